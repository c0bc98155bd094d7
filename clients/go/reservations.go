// Reservations: holds on stock until they are committed (sold), released or expire, as
// Reservation values with Decimal quantities and time.Time times.

package stockledger

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"iter"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/stockledger/stockledger/clients/go/stockledgerv1"
)

// ReservationLine is units of one item held at one location. Creating a reservation sends
// CatalogObjectID, LocationID and Quantity; the others are what the server reports.
type ReservationLine struct {
	CatalogObjectID string
	LocationID      string
	// Quantity is the units reserved.
	Quantity Decimal
	// CommittedQuantity is the units committed (sold) so far.
	CommittedQuantity Decimal
	// ReleasedQuantity is the units released (by a caller or at expiry) so far.
	ReleasedQuantity Decimal
	// HeldQuantity is the units still held: Quantity − CommittedQuantity − ReleasedQuantity.
	HeldQuantity Decimal
}

// Reservation is a reservation with decimal quantities and time.Time times.
type Reservation struct {
	ID string
	// State is RESERVATION_STATE_HELD, _COMMITTED, _RELEASED or _EXPIRED.
	State pb.ReservationState
	// Lines are in the order they were sent.
	Lines       []ReservationLine
	ReferenceID string
	// ExpiresAt is when the server releases what is still held.
	ExpiresAt time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ReservationOf converts a reservation from the wire.
func ReservationOf(r *pb.Reservation) (Reservation, error) {
	out := Reservation{
		ID: r.GetId(), State: r.GetState(), ReferenceID: r.GetReferenceId(),
		ExpiresAt: Time(r.GetExpiresAt()), CreatedAt: Time(r.GetCreatedAt()), UpdatedAt: Time(r.GetUpdatedAt()),
	}
	for _, line := range r.GetLines() {
		var quantities [4]Decimal
		for i, text := range []string{line.GetQuantity(), line.GetCommittedQuantity(), line.GetReleasedQuantity(), line.GetHeldQuantity()} {
			quantity, _, err := parseWire(text)
			if err != nil {
				return Reservation{}, err
			}
			quantities[i] = quantity
		}
		out.Lines = append(out.Lines, ReservationLine{
			CatalogObjectID: line.GetCatalogObjectId(), LocationID: line.GetLocationId(),
			Quantity: quantities[0], CommittedQuantity: quantities[1], ReleasedQuantity: quantities[2], HeldQuantity: quantities[3],
		})
	}
	return out, nil
}

// Hold says how long a reservation holds: exactly one of TTL (from now) and ExpiresAt.
type Hold struct {
	TTL       time.Duration
	ExpiresAt time.Time
}

// HoldFor holds for ttl from now.
func HoldFor(ttl time.Duration) Hold { return Hold{TTL: ttl} }

// HoldUntil holds until t.
func HoldUntil(t time.Time) Hold { return Hold{ExpiresAt: t} }

func (h Hold) wire() (*durationpb.Duration, *timestamppb.Timestamp, error) {
	if h.TTL == 0 && h.ExpiresAt.IsZero() {
		return nil, nil, refuse(codes.InvalidArgument, ReasonMissingRequiredParameter, "ttl",
			"a Hold needs a TTL (HoldFor) or an ExpiresAt (HoldUntil)", nil)
	}
	if h.TTL != 0 && !h.ExpiresAt.IsZero() {
		return nil, nil, refuse(codes.InvalidArgument, ReasonInvalidValue, "expires_at",
			"a Hold takes a TTL (HoldFor) or an ExpiresAt (HoldUntil), not both", nil)
	}
	if h.TTL != 0 {
		return durationpb.New(h.TTL), nil, nil
	}
	return nil, Timestamp(h.ExpiresAt), nil
}

// ReservationRequest is what CreateReservation sends.
type ReservationRequest struct {
	// Lines: 1–100, each CatalogObjectID, LocationID and Quantity.
	Lines []ReservationLine
	// Hold: HoldFor(ttl) or HoldUntil(t).
	Hold Hold
	// ReferenceID is the caller's own id (an order, a cart); optional.
	ReferenceID string
	// IdempotencyKey: empty gets a random one; pass your own to make retries safe.
	IdempotencyKey string
}

// CreateReservation holds every line from IN_STOCK, all or nothing. A line the stock
// cannot cover is refused with an *Error whose IsInsufficientQuantity is true
// (AvailableQuantity, Metadata["field"] "lines[i].quantity").
func (c *Client) CreateReservation(ctx context.Context, req ReservationRequest) (Reservation, error) {
	ttl, expiresAt, err := req.Hold.wire()
	if err != nil {
		return Reservation{}, err
	}
	lines := make([]*pb.ReservationLine, len(req.Lines))
	for i, line := range req.Lines {
		lines[i] = &pb.ReservationLine{CatalogObjectId: line.CatalogObjectID, LocationId: line.LocationID, Quantity: line.Quantity.String()}
	}
	resp, err := c.Reservations.CreateReservation(ctx, &pb.CreateReservationRequest{
		IdempotencyKey: keyOr(req.IdempotencyKey), Lines: lines, Ttl: ttl, ExpiresAt: expiresAt, ReferenceId: req.ReferenceID,
	})
	return reservationOf(resp.GetReservation(), err)
}

// CommitLine is units of one line to commit: Line is its position in the reservation's
// lines, from 0.
type CommitLine struct {
	Line     int32
	Quantity Decimal
}

// Money is an amount in a currency (ISO 4217, "EUR").
type Money struct {
	Amount   Decimal
	Currency string
}

// CommitOptions are what CommitReservation sends beside the id.
type CommitOptions struct {
	// Lines to commit; none commits everything held.
	Lines []CommitLine
	// TotalPrice of the units sold, recorded on the first SOLD adjustment; optional.
	TotalPrice *Money
	// IdempotencyKey: empty gets a random one; pass your own to make retries safe.
	IdempotencyKey string
}

// CommitReservation sells held units (RESERVED_FOR_SALE → SOLD). Refused with an *Error
// whose IsReservationNotHeld is true once nothing is held, IsReservationExpired past
// its ExpiresAt.
func (c *Client) CommitReservation(ctx context.Context, id string, opts CommitOptions) (Reservation, error) {
	req := &pb.CommitReservationRequest{Id: id, IdempotencyKey: keyOr(opts.IdempotencyKey)}
	for _, line := range opts.Lines {
		req.Lines = append(req.Lines, &pb.CommitLine{Line: line.Line, Quantity: line.Quantity.String()})
	}
	if opts.TotalPrice != nil {
		req.TotalPriceMoney = &pb.Money{Amount: opts.TotalPrice.Amount.String(), Currency: opts.TotalPrice.Currency}
	}
	resp, err := c.Reservations.CommitReservation(ctx, req)
	return reservationOf(resp.GetReservation(), err)
}

// ReleaseReservation gives back everything still held; a reservation that holds nothing
// is answered as it is.
func (c *Client) ReleaseReservation(ctx context.Context, id string) (Reservation, error) {
	resp, err := c.Reservations.ReleaseReservation(ctx, &pb.ReleaseReservationRequest{Id: id})
	return reservationOf(resp.GetReservation(), err)
}

// ExtendReservation moves a held reservation's ExpiresAt: HoldFor(ttl) or HoldUntil(t).
func (c *Client) ExtendReservation(ctx context.Context, id string, hold Hold) (Reservation, error) {
	ttl, expiresAt, err := hold.wire()
	if err != nil {
		return Reservation{}, err
	}
	resp, err := c.Reservations.ExtendReservation(ctx, &pb.ExtendReservationRequest{Id: id, Ttl: ttl, ExpiresAt: expiresAt})
	return reservationOf(resp.GetReservation(), err)
}

// GetReservation reads one reservation.
func (c *Client) GetReservation(ctx context.Context, id string) (Reservation, error) {
	resp, err := c.Reservations.GetReservation(ctx, &pb.GetReservationRequest{Id: id})
	return reservationOf(resp.GetReservation(), err)
}

// ListReservationsOptions are what ListReservations sends; the zero value lists every
// reservation, 50 a page.
type ListReservationsOptions struct {
	// State: only reservations in this state; RESERVATION_STATE_UNSPECIFIED means all.
	State pb.ReservationState
	// ReferenceID: only reservations with this reference id; empty means all.
	ReferenceID string
	// PageSize is how many reservations each call reads (1–250); 0 means the server's
	// default.
	PageSize int32
}

// ListReservations pages through ListReservations (opts' filters, opts.PageSize
// reservations a page) and yields every reservation, oldest first; a failed page ends the
// sequence with its error.
func (c *Client) ListReservations(ctx context.Context, opts ListReservationsOptions) iter.Seq2[Reservation, error] {
	return func(yield func(Reservation, error) bool) {
		req := &pb.ListReservationsRequest{Limit: opts.PageSize, State: opts.State, ReferenceId: opts.ReferenceID}
		for {
			resp, err := c.Reservations.ListReservations(ctx, req)
			if err != nil {
				yield(Reservation{}, err)
				return
			}
			for _, wire := range resp.GetReservations() {
				reservation, err := ReservationOf(wire)
				if !yield(reservation, err) || err != nil {
					return
				}
			}
			if resp.GetCursor() == "" {
				return
			}
			req.Cursor = resp.GetCursor()
		}
	}
}

func reservationOf(r *pb.Reservation, err error) (Reservation, error) {
	if err != nil {
		return Reservation{}, err
	}
	return ReservationOf(r)
}

// keyOr is key, or a random one when empty.
func keyOr(key string) string {
	if key != "" {
		return key
	}
	var random [16]byte
	_, _ = rand.Read(random[:])
	return hex.EncodeToString(random[:])
}

// The ErrorInfo reasons of a refused reservation step (code FailedPrecondition).
const (
	ReasonReservationNotHeld = "RESERVATION_NOT_HELD"
	ReasonReservationExpired = "RESERVATION_EXPIRED"
)

// IsReservationNotHeld reports whether the reservation holds nothing any more; see
// ReservationState.
func (e *Error) IsReservationNotHeld() bool {
	return e.Code == codes.FailedPrecondition && e.Reason == ReasonReservationNotHeld
}

// IsReservationExpired reports whether the reservation is past its ExpiresAt (its units
// are being released).
func (e *Error) IsReservationExpired() bool {
	return e.Code == codes.FailedPrecondition && e.Reason == ReasonReservationExpired
}

// ReservationState is, for a reservation that holds nothing, where it is
// (RESERVATION_STATE_COMMITTED, _RELEASED, _EXPIRED); ok is false for any other error.
func (e *Error) ReservationState() (state pb.ReservationState, ok bool) {
	if !e.IsReservationNotHeld() {
		return pb.ReservationState_RESERVATION_STATE_UNSPECIFIED, false
	}
	value, ok := pb.ReservationState_value["RESERVATION_STATE_"+e.Metadata["state"]]
	return pb.ReservationState(value), ok
}
