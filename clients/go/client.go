// Package stockledger is the Go client of the Stockledger gRPC inventory ledger.
//
//	c, err := stockledger.Dial("127.0.0.1:50051", token) // or WithTLS(stockledger.TLS{...}) after token
//	...
//	defer c.Close()
//	loc, err := c.CreateLocation(ctx, "Corner Shop")
//	item, err := c.CreateInventoryItem(ctx, stockledger.ItemFields{SKU: new("MUG-RED")})
//	_, err = c.BatchChangeInventory(ctx, "",
//		stockledger.Adjustment(item.ID, loc.ID, stockledger.StateNone, stockledger.StateInStock, stockledger.DecimalFromInt(100)))
//	counts, err := c.RetrieveInventoryCount(ctx, item.ID)
//
// Every call carries the bearer token. Every error is an *Error (errors.As), the server's
// refusals and the client's own alike; quantities are Decimal (exact, never float64),
// times time.Time, streams a Stream of typed items (StreamedChange, WatchedChange,
// WatchedCount) with Recv and an iter.Seq2, listings iter.Seq2 over every page. The
// generated stubs (package stockledgerv1) are the fields Inventory, Items, Locations and
// Reservations.
package stockledger

import (
	"context"
	"io"
	"iter"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/stockledger/stockledger/clients/go/stockledgerv1"
)

// Client is a connection to a Stockledger server. Its generated stubs are ready to use;
// they too return *Error.
type Client struct {
	conn *grpc.ClientConn
	// Inventory is the generated InventoryService client.
	Inventory pb.InventoryServiceClient
	// Items is the generated InventoryItemService client.
	Items pb.InventoryItemServiceClient
	// Locations is the generated LocationService client.
	Locations pb.LocationServiceClient
	// Reservations is the generated ReservationService client.
	Reservations pb.ReservationServiceClient
}

// Dial connects to addr ("127.0.0.1:50051") in plaintext; every call sends
// "authorization: Bearer <token>". WithTLS(TLS{...}) among opts connects over TLS instead
// (tls.go). Extra options come after the defaults, so any grpc.DialOption applies too
// (grpc.WithTransportCredentials with credentials of your own also switches to TLS). The
// connection is made lazily, on the first call.
func Dial(addr, token string, opts ...grpc.DialOption) (*Client, error) {
	if token == "" {
		return nil, refuse(codes.Unauthenticated, ReasonMissingRequiredParameter, "token",
			"a token is required (stockledger token create ...)", nil)
	}
	if err := tlsError(opts); err != nil {
		return nil, err
	}
	all := append([]grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(bearer(token)),
		grpc.WithChainUnaryInterceptor(unaryErrors),
		grpc.WithChainStreamInterceptor(streamErrors),
	}, opts...)
	conn, err := grpc.NewClient(addr, all...)
	if err != nil {
		return nil, AsError(err) // a malformed address or option: codes.Unknown
	}
	return &Client{
		conn:         conn,
		Inventory:    pb.NewInventoryServiceClient(conn),
		Items:        pb.NewInventoryItemServiceClient(conn),
		Locations:    pb.NewLocationServiceClient(conn),
		Reservations: pb.NewReservationServiceClient(conn),
	}, nil
}

// Conn is the underlying connection.
func (c *Client) Conn() *grpc.ClientConn { return c.conn }

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// bearer sends the token on every call. It does not require transport security, so
// it works on a plaintext connection to a local server too.
type bearer string

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}

func (bearer) RequireTransportSecurity() bool { return false }

func unaryErrors(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	if err := invoker(ctx, method, req, reply, cc, opts...); err != nil {
		return AsError(err)
	}
	return nil
}

func streamErrors(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	stream, err := streamer(ctx, desc, cc, method, opts...)
	if err != nil {
		return nil, AsError(err)
	}
	return errorStream{stream}, nil
}

type errorStream struct{ grpc.ClientStream }

func (s errorStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	if err == nil || err == io.EOF {
		return err
	}
	return AsError(err)
}

func (s errorStream) SendMsg(m any) error {
	err := s.ClientStream.SendMsg(m)
	if err == nil || err == io.EOF {
		return err
	}
	return AsError(err)
}

// --- the ledger ---

// ChangeOption sets an optional field of a change built by Adjustment, PhysicalCount or
// Transfer: ExpectQuantity, ExpectAbsent, WithReason, WithCost or WithVendor (reasons.go).
type ChangeOption func(*pb.InventoryChange)

// ExpectQuantity guards a change (compare-and-swap): the count it takes from (an
// adjustment's from-state count, its to-state count for a receipt from NONE; the count a
// physical count replaces; a transfer's source count) must hold exactly quantity just
// before the change, or the whole batch is refused (an *Error whose IsQuantityMismatch is
// true).
func ExpectQuantity(quantity Decimal) ChangeOption {
	return func(c *pb.InventoryChange) { c.ExpectedQuantity = proto.String(quantity.String()) }
}

// ExpectAbsent guards a change like ExpectQuantity, requiring that the count does not
// exist yet (absent is not zero): the server's "ABSENT".
func ExpectAbsent() ChangeOption {
	return func(c *pb.InventoryChange) { c.ExpectedQuantity = proto.String(absent) }
}

// absent is how the server spells a count that does not exist.
const absent = "ABSENT"

func withOptions(change *pb.InventoryChange, opts []ChangeOption) *pb.InventoryChange {
	for _, opt := range opts {
		opt(change)
	}
	return change
}

// Adjustment is a change that moves quantity from one state to another at a location.
func Adjustment(itemID, locationID string, from, to pb.InventoryState, quantity Decimal, opts ...ChangeOption) *pb.InventoryChange {
	return withOptions(&pb.InventoryChange{
		Type: pb.InventoryChangeType_INVENTORY_CHANGE_TYPE_ADJUSTMENT,
		Change: &pb.InventoryChange_Adjustment{Adjustment: &pb.InventoryAdjustment{
			CatalogObjectId: itemID, LocationId: locationID, FromState: from, ToState: to, Quantity: quantity.String(),
		}},
	}, opts)
}

// PhysicalCount is a change that records a counted quantity in one state at a location.
func PhysicalCount(itemID, locationID string, state pb.InventoryState, quantity Decimal, opts ...ChangeOption) *pb.InventoryChange {
	return withOptions(&pb.InventoryChange{
		Type: pb.InventoryChangeType_INVENTORY_CHANGE_TYPE_PHYSICAL_COUNT,
		Change: &pb.InventoryChange_PhysicalCount{PhysicalCount: &pb.InventoryPhysicalCount{
			CatalogObjectId: itemID, LocationId: locationID, State: state, Quantity: quantity.String(),
		}},
	}, opts)
}

// Transfer is a change that moves quantity in one state between two locations.
func Transfer(itemID, fromLocationID, toLocationID string, state pb.InventoryState, quantity Decimal, opts ...ChangeOption) *pb.InventoryChange {
	return withOptions(&pb.InventoryChange{
		Type: pb.InventoryChangeType_INVENTORY_CHANGE_TYPE_TRANSFER,
		Change: &pb.InventoryChange_Transfer{Transfer: &pb.InventoryTransfer{
			CatalogObjectId: itemID, FromLocationId: fromLocationID, ToLocationId: toLocationID, State: state, Quantity: quantity.String(),
		}},
	}, opts)
}

// ChangeID is the id of whichever member of the change is set.
func ChangeID(change *pb.InventoryChange) string {
	switch {
	case change.GetAdjustment() != nil:
		return change.GetAdjustment().GetId()
	case change.GetPhysicalCount() != nil:
		return change.GetPhysicalCount().GetId()
	default:
		return change.GetTransfer().GetId()
	}
}

// BatchChangeInventory applies the changes atomically and answers what it did. An empty
// idempotencyKey gets a random one; pass your own to make retries safe.
func (c *Client) BatchChangeInventory(ctx context.Context, idempotencyKey string, changes ...*pb.InventoryChange) (BatchResult, error) {
	return c.BatchChangeInventoryWith(ctx, BatchOptions{IdempotencyKey: idempotencyKey}, changes...)
}

// BatchOptions are the request fields of BatchChangeInventoryWith beside the changes.
type BatchOptions struct {
	// IdempotencyKey: empty gets a random one; pass your own to make retries safe.
	IdempotencyKey string
	// IgnoreUnchangedCounts: nil is the server's default (true).
	IgnoreUnchangedCounts *bool
	// ForbidNegativeCounts: true, no count the batch lowers may end below zero (refused
	// with an *Error whose IsInsufficientQuantity is true); false, counts may go negative;
	// nil, each location's forbid_negative_counts decides. proto.Bool makes the pointer.
	ForbidNegativeCounts *bool
}

// BatchResult is what a batch did.
type BatchResult struct {
	// Counts are the current counts of every (item, location, tracked state) the batch
	// touched.
	Counts []Count
	// Changes are the changes recorded, with their ids and times, in request order (a
	// physical count skipped as unchanged is absent).
	Changes []Change
}

// BatchChangeInventoryWith is BatchChangeInventory with the request's other fields.
func (c *Client) BatchChangeInventoryWith(ctx context.Context, opts BatchOptions, changes ...*pb.InventoryChange) (BatchResult, error) {
	resp, err := c.Inventory.BatchChangeInventory(ctx, &pb.BatchChangeInventoryRequest{
		IdempotencyKey:        keyOr(opts.IdempotencyKey),
		Changes:               changes,
		IgnoreUnchangedCounts: opts.IgnoreUnchangedCounts,
		ForbidNegativeCounts:  opts.ForbidNegativeCounts,
	})
	if err != nil {
		return BatchResult{}, err
	}
	var result BatchResult
	for _, wire := range resp.GetCounts() {
		count, err := CountOf(wire)
		if err != nil {
			return BatchResult{}, err
		}
		result.Counts = append(result.Counts, count)
	}
	for _, wire := range resp.GetChanges() {
		change, err := ChangeOf(wire)
		if err != nil {
			return BatchResult{}, err
		}
		result.Changes = append(result.Changes, change)
	}
	return result, nil
}

// The inventory states, for change builders and filters: StateNone is outside the
// ledger (the source of a receipt), StateInStock what can be sold.
const (
	StateNone                    = pb.InventoryState_INVENTORY_STATE_NONE
	StateInStock                 = pb.InventoryState_INVENTORY_STATE_IN_STOCK
	StateSold                    = pb.InventoryState_INVENTORY_STATE_SOLD
	StateReturnedByCustomer      = pb.InventoryState_INVENTORY_STATE_RETURNED_BY_CUSTOMER
	StateReservedForSale         = pb.InventoryState_INVENTORY_STATE_RESERVED_FOR_SALE
	StateSoldOnline              = pb.InventoryState_INVENTORY_STATE_SOLD_ONLINE
	StateOrderedFromVendor       = pb.InventoryState_INVENTORY_STATE_ORDERED_FROM_VENDOR
	StateReceivedFromVendor      = pb.InventoryState_INVENTORY_STATE_RECEIVED_FROM_VENDOR
	StateInTransitTo             = pb.InventoryState_INVENTORY_STATE_IN_TRANSIT_TO
	StateInTransit               = pb.InventoryState_INVENTORY_STATE_IN_TRANSIT
	StateWaste                   = pb.InventoryState_INVENTORY_STATE_WASTE
	StateUnlinkedReturn          = pb.InventoryState_INVENTORY_STATE_UNLINKED_RETURN
	StateComposed                = pb.InventoryState_INVENTORY_STATE_COMPOSED
	StateDecomposed              = pb.InventoryState_INVENTORY_STATE_DECOMPOSED
	StateSupportedByNewerVersion = pb.InventoryState_INVENTORY_STATE_SUPPORTED_BY_NEWER_VERSION
	StateCustom                  = pb.InventoryState_INVENTORY_STATE_CUSTOM
	StateUntracked               = pb.InventoryState_INVENTORY_STATE_UNTRACKED
)

// Count is a current count with its quantity as a Decimal and its time as a time.Time.
type Count struct {
	CatalogObjectID string
	LocationID      string
	State           pb.InventoryState
	Quantity        Decimal
	CalculatedAt    time.Time
}

// CountOf converts a count from the wire.
func CountOf(c *pb.InventoryCount) (Count, error) {
	quantity, _, err := parseWire(c.GetQuantity())
	if err != nil {
		return Count{}, err
	}
	return Count{
		CatalogObjectID: c.GetCatalogObjectId(), LocationID: c.GetLocationId(), State: c.GetState(),
		Quantity: quantity, CalculatedAt: Time(c.GetCalculatedAt()),
	}, nil
}

// CountsFilter is what InventoryCounts sends; the zero value reads every count of the
// merchant, 50 a page.
type CountsFilter struct {
	// ItemIDs and LocationIDs: only counts of these items, at these locations; empty
	// means all.
	ItemIDs     []string
	LocationIDs []string
	// States: only counts in these states; empty means all.
	States []pb.InventoryState
	// UpdatedAfter: only counts calculated strictly later; the zero time means any.
	UpdatedAfter time.Time
	// AsOf: the counts as they were at that time; the zero time means now.
	AsOf time.Time
	// PageSize is how many counts each call reads; 0 means the server's default.
	PageSize int32
}

// InventoryCounts yields every count that matches filter (BatchRetrieveInventoryCounts,
// page after page); a failed page ends the sequence with its error.
func (c *Client) InventoryCounts(ctx context.Context, filter CountsFilter) iter.Seq2[Count, error] {
	return func(yield func(Count, error) bool) {
		req := &pb.BatchRetrieveInventoryCountsRequest{
			CatalogObjectIds: filter.ItemIDs, LocationIds: filter.LocationIDs, States: filter.States,
			UpdatedAfter: Timestamp(filter.UpdatedAfter), AsOf: Timestamp(filter.AsOf), Limit: filter.PageSize,
		}
		for {
			resp, err := c.Inventory.BatchRetrieveInventoryCounts(ctx, req)
			if err != nil {
				yield(Count{}, err)
				return
			}
			for _, wire := range resp.GetCounts() {
				count, err := CountOf(wire)
				if !yield(count, err) || err != nil {
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

// RetrieveInventoryCount reads every current count of one item (all pages), optionally
// only at some locations.
func (c *Client) RetrieveInventoryCount(ctx context.Context, itemID string, locationIDs ...string) ([]Count, error) {
	req := &pb.RetrieveInventoryCountRequest{CatalogObjectId: itemID, LocationIds: locationIDs}
	var counts []Count
	for {
		resp, err := c.Inventory.RetrieveInventoryCount(ctx, req)
		if err != nil {
			return nil, err
		}
		for _, wire := range resp.GetCounts() {
			count, err := CountOf(wire)
			if err != nil {
				return nil, err
			}
			counts = append(counts, count)
		}
		if resp.GetCursor() == "" {
			return counts, nil
		}
		req.Cursor = resp.GetCursor()
	}
}

// InventoryChanges pages through BatchRetrieveInventoryChanges (req's filters, req.Limit
// changes a page) and yields every change as a Change, oldest first (newest first with
// SORT_ORDER_NEWEST_FIRST); a failed page, or a change that does not convert, ends the
// sequence with its *Error.
func (c *Client) InventoryChanges(ctx context.Context, req *pb.BatchRetrieveInventoryChangesRequest) iter.Seq2[Change, error] {
	return func(yield func(Change, error) bool) {
		for {
			resp, err := c.Inventory.BatchRetrieveInventoryChanges(ctx, req)
			if err != nil {
				yield(Change{}, err)
				return
			}
			for _, wire := range resp.GetChanges() {
				change, err := ChangeOf(wire)
				if !yield(change, err) || err != nil {
					return
				}
			}
			if resp.GetCursor() == "" {
				return
			}
			next := proto.Clone(req).(*pb.BatchRetrieveInventoryChangesRequest)
			next.Cursor = resp.GetCursor()
			req = next
		}
	}
}

// --- times ---

// Time converts a wire timestamp (zero time.Time for an absent one), in UTC.
func Time(ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	return ts.AsTime()
}

// Timestamp converts a time for the wire (nil for the zero time, meaning "absent").
func Timestamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}
