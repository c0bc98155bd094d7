// Streams as Go values: Stream, an open server stream read with Recv or All, and what the
// three server streams yield (StreamedChange of the history stream, WatchedChange and
// WatchedCount of the live feeds), converted from the wire like every other answer.

package stockledger

import (
	"context"
	"io"
	"iter"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/stockledger/stockledger/clients/go/stockledgerv1"
)

// Stream is an open server stream of T. Read it with Recv (io.EOF at its end) or range
// over All; Close ends the call early.
type Stream[T any] struct {
	recv   func() (T, error)
	cancel context.CancelFunc
	ended  bool // the stream ended (empty) before open returned
}

// Recv returns the next item, io.EOF at the end of the stream, or an *Error: the
// server's (codes.Canceled after Close) or a message that does not convert.
func (s *Stream[T]) Recv() (T, error) {
	if s.ended {
		var zero T
		return zero, io.EOF
	}
	return s.recv()
}

// All yields every item until the stream ends (no error) or fails (the *Error, last).
// Leaving the loop early closes the stream.
func (s *Stream[T]) All() iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		defer s.Close()
		for {
			item, err := s.Recv()
			if err == io.EOF {
				return
			}
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			if !yield(item, nil) {
				return
			}
		}
	}
}

// Close cancels the call (no-op once it has ended).
func (s *Stream[T]) Close() { s.cancel() }

// open starts a server stream whose messages W convert to items T.
func open[Req, W, T any](ctx context.Context, call func(context.Context, *Req, ...grpc.CallOption) (grpc.ServerStreamingClient[W], error), req *Req, convert func(*W) (T, error)) (*Stream[T], error) {
	ctx, cancel := context.WithCancel(ctx)
	stream, err := call(ctx, req)
	if err != nil {
		cancel()
		return nil, AsError(err)
	}
	recv := func() (T, error) {
		msg, err := stream.Recv()
		if err != nil {
			var zero T
			if err == io.EOF {
				return zero, io.EOF
			}
			return zero, AsError(err)
		}
		return convert(msg)
	}
	// The response headers mean the server has fixed where the stream starts (for a
	// watch from now: every change committed after this returns is delivered). A refused
	// call fails here rather than on the first Recv.
	// grpc-go reports a call that ended without headers (a refusal is trailers-only) as
	// nil metadata; its status then comes from Recv.
	md, err := stream.Header()
	if err != nil {
		cancel()
		return nil, AsError(err)
	}
	if md == nil {
		if _, err := stream.Recv(); err != io.EOF {
			cancel()
			if err == nil {
				return nil, AsError(status.Error(codes.Internal, "stockledger: a stream sent a message without headers"))
			}
			return nil, AsError(err)
		}
		return &Stream[T]{recv: recv, cancel: cancel, ended: true}, nil
	}
	return &Stream[T]{recv: recv, cancel: cancel}, nil
}

// StreamedChange is one item of StreamInventoryChanges: the next change of the history
// and the cursor that resumes right after it.
type StreamedChange struct {
	Change Change
	// Cursor, set as the request's Cursor, resumes the stream right after Change.
	Cursor string
}

// StreamInventoryChanges streams the whole filtered history, oldest first (newest first
// with SORT_ORDER_NEWEST_FIRST); each item's Cursor, set as req.Cursor, resumes right
// after it.
func (c *Client) StreamInventoryChanges(ctx context.Context, req *pb.StreamInventoryChangesRequest) (*Stream[StreamedChange], error) {
	return open(ctx, c.Inventory.StreamInventoryChanges, req, func(msg *pb.StreamInventoryChangesResponse) (StreamedChange, error) {
		change, err := ChangeOf(msg.GetChange())
		if err != nil {
			return StreamedChange{}, err
		}
		return StreamedChange{Change: change, Cursor: msg.GetCursor()}, nil
	})
}

// WatchedChange is one item of WatchInventoryChanges: a committed change, its place in
// the merchant's feed and the token that resumes right after it.
type WatchedChange struct {
	Change Change
	// Sequence is the change's per-merchant number: gap-free, in commit order.
	Sequence uint64
	// ResumeToken, set as the request's ResumeToken, resumes the watch right after Change.
	ResumeToken string
}

// WatchInventoryChanges opens the live feed of committed changes, in commit order. It
// starts from now unless req.Start says WATCH_START_BEGINNING; to resume right after an
// item, pass only its token: &stockledgerv1.WatchInventoryChangesRequest{ResumeToken: t}.
// The watch is established when this returns. On server shutdown Recv fails with
// codes.Unavailable: resume from the last ResumeToken.
func (c *Client) WatchInventoryChanges(ctx context.Context, req *pb.WatchInventoryChangesRequest) (*Stream[WatchedChange], error) {
	return open(ctx, c.Inventory.WatchInventoryChanges, req, func(msg *pb.WatchInventoryChangesResponse) (WatchedChange, error) {
		change, err := ChangeOf(msg.GetChange())
		if err != nil {
			return WatchedChange{}, err
		}
		return WatchedChange{Change: change, Sequence: msg.GetSequence(), ResumeToken: msg.GetResumeToken()}, nil
	})
}

// CountUpdate is a count that a committed change moved.
type CountUpdate struct {
	CatalogObjectID string
	LocationID      string
	State           pb.InventoryState
	// PreviousQuantity is the quantity before the change; nil when the count did not
	// exist before.
	PreviousQuantity *Decimal
	// Quantity is the quantity after the change.
	Quantity Decimal
	// CalculatedAt is the server time of the change.
	CalculatedAt time.Time
	// ChangeID and ChangeType name the change that caused the update.
	ChangeID   string
	ChangeType pb.InventoryChangeType
}

// CountUpdateOf converts a count update from the wire.
func CountUpdateOf(u *pb.InventoryCountUpdate) (CountUpdate, error) {
	quantity, _, err := parseWire(u.GetQuantity())
	if err != nil {
		return CountUpdate{}, err
	}
	previous, existed, err := parseWire(u.GetPreviousQuantity())
	if err != nil {
		return CountUpdate{}, err
	}
	update := CountUpdate{
		CatalogObjectID: u.GetCatalogObjectId(), LocationID: u.GetLocationId(), State: u.GetState(),
		Quantity: quantity, CalculatedAt: Time(u.GetCalculatedAt()),
		ChangeID: u.GetChangeId(), ChangeType: u.GetChangeType(),
	}
	if existed {
		update.PreviousQuantity = &previous
	}
	return update, nil
}

// WatchedCount is one item of WatchInventoryCounts: a count update, the sequence of the
// change that caused it and the token that resumes right after it.
type WatchedCount struct {
	Update CountUpdate
	// Sequence is the per-merchant number of the change that caused Update (the updates
	// of one change share it).
	Sequence uint64
	// ResumeToken, set as the request's ResumeToken, resumes the watch right after Update.
	ResumeToken string
}

// WatchInventoryCounts opens the live feed of count updates; same start and resume rules
// as WatchInventoryChanges.
func (c *Client) WatchInventoryCounts(ctx context.Context, req *pb.WatchInventoryCountsRequest) (*Stream[WatchedCount], error) {
	return open(ctx, c.Inventory.WatchInventoryCounts, req, func(msg *pb.WatchInventoryCountsResponse) (WatchedCount, error) {
		update, err := CountUpdateOf(msg.GetUpdate())
		if err != nil {
			return WatchedCount{}, err
		}
		return WatchedCount{Update: update, Sequence: msg.GetSequence(), ResumeToken: msg.GetResumeToken()}, nil
	})
}
