// Importing history: ImportInventoryChanges streams batches of changes from another system
// (scope INVENTORY_IMPORT) and answers an ImportResult; WithOccurredAt and WithChangeID
// give a change its original time and id.

package stockledger

import (
	"context"
	"io"
	"time"

	pb "github.com/stockledger/stockledger/clients/go/stockledgerv1"
)

// WithOccurredAt sets when the change happened: for BatchChangeInventory not in the
// future, for ImportInventoryChanges any past time.
func WithOccurredAt(at time.Time) ChangeOption {
	return func(c *pb.InventoryChange) {
		switch member := c.GetChange().(type) {
		case *pb.InventoryChange_Adjustment:
			member.Adjustment.OccurredAt = Timestamp(at)
		case *pb.InventoryChange_PhysicalCount:
			member.PhysicalCount.OccurredAt = Timestamp(at)
		case *pb.InventoryChange_Transfer:
			member.Transfer.OccurredAt = Timestamp(at)
		}
	}
}

// WithChangeID gives an imported change its original id (a UUID): the server keeps it
// when free and skips the change when the merchant already has it, so importing the same
// history twice changes nothing.
func WithChangeID(id string) ChangeOption {
	return func(c *pb.InventoryChange) {
		switch member := c.GetChange().(type) {
		case *pb.InventoryChange_Adjustment:
			member.Adjustment.Id = id
		case *pb.InventoryChange_PhysicalCount:
			member.PhysicalCount.Id = id
		case *pb.InventoryChange_Transfer:
			member.Transfer.Id = id
		}
	}
}

// ImportBatch is one message of an import: 1–1000 changes applied whole or not at all.
type ImportBatch struct {
	Changes []*pb.InventoryChange
	// Source is recorded on the changes that carry none; nil: the token's application.
	Source *pb.SourceApplication
}

// RefusedChange is one change an import refused (and with it its whole batch).
type RefusedChange struct {
	// Index is the change's position in the import, from 0 over every batch.
	Index int64
	// Field is the path inside the change ("adjustment.quantity"); empty for the whole
	// change.
	Field string
	// Reason is as in an *Error's Reason ("INVALID_VALUE", "NOT_FOUND", …).
	Reason      string
	Description string
}

// ImportResult is what an import did.
type ImportResult struct {
	// Applied changes are recorded now.
	Applied int64
	// AlreadyPresent changes were skipped: the merchant already has their id.
	AlreadyPresent int64
	// Refused changes were bad on their own or refused by the ledger.
	Refused int64
	// HeldBack changes were good but in a batch with a refused one.
	HeldBack int64
	// RefusedChanges are the refusals in import order (at most 1000; Refused counts all).
	RefusedChanges []RefusedChange
}

// ImportInventoryChanges sends the batches in order on one stream and answers once the
// server has taken them all. A refused change is reported in the result, not as an error;
// the error is for a refused call (PERMISSION_DENIED without scope INVENTORY_IMPORT) or a
// broken stream.
func (c *Client) ImportInventoryChanges(ctx context.Context, batches ...ImportBatch) (ImportResult, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.Inventory.ImportInventoryChanges(ctx)
	if err != nil {
		return ImportResult{}, err
	}
	for _, batch := range batches {
		// A refused call fails a Send with io.EOF: its status comes from CloseAndRecv.
		if err := stream.Send(&pb.ImportInventoryChangesRequest{Changes: batch.Changes, Source: batch.Source}); err == io.EOF {
			break
		} else if err != nil {
			return ImportResult{}, err
		}
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		return ImportResult{}, err
	}
	result := ImportResult{
		Applied: resp.GetApplied(), AlreadyPresent: resp.GetAlreadyPresent(),
		Refused: resp.GetRefused(), HeldBack: resp.GetHeldBack(),
	}
	for _, refused := range resp.GetRefusedChanges() {
		result.RefusedChanges = append(result.RefusedChanges, RefusedChange{
			Index: refused.GetIndex(), Field: refused.GetField(), Reason: refused.GetReason(), Description: refused.GetDescription(),
		})
	}
	return result, nil
}
