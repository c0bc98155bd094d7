// Adjustment reasons: why a change was made, standard or the merchant's own.

package stockledger

import (
	"context"

	pb "github.com/stockledger/stockledger/clients/go/stockledgerv1"
)

// --- adjustment reasons ---

// ReasonID names a standard adjustment reason (InventoryAdjustmentReasonType_..._DAMAGED,
// …); a merchant's own is CustomReasonID.
func ReasonID(reasonType pb.InventoryAdjustmentReasonType) *pb.InventoryAdjustmentReasonId {
	return &pb.InventoryAdjustmentReasonId{Type: reasonType}
}

// CustomReasonID names a merchant's custom adjustment reason by its id.
func CustomReasonID(customReasonID string) *pb.InventoryAdjustmentReasonId {
	return &pb.InventoryAdjustmentReasonId{
		Type:           pb.InventoryAdjustmentReasonType_INVENTORY_ADJUSTMENT_REASON_TYPE_CUSTOM,
		CustomReasonId: customReasonID,
	}
}

// WithReason says why a change was made (adjustment, physical count or transfer): a
// standard reason (not a system code) or a custom one that is not deleted; a deleted one
// is refused with codes.InvalidArgument, reason ADJUSTMENT_REASON_DELETED.
func WithReason(reasonID *pb.InventoryAdjustmentReasonId) ChangeOption {
	return func(c *pb.InventoryChange) {
		switch member := c.GetChange().(type) {
		case *pb.InventoryChange_Adjustment:
			member.Adjustment.ReasonId = reasonID
		case *pb.InventoryChange_PhysicalCount:
			member.PhysicalCount.ReasonId = reasonID
		case *pb.InventoryChange_Transfer:
			member.Transfer.ReasonId = reasonID
		}
	}
}

// WithCost sets what a receipt's units cost the merchant (an adjustment from NONE or
// UNLINKED_RETURN; the server refuses it on any other change).
func WithCost(amount Decimal, currency string) ChangeOption {
	return func(c *pb.InventoryChange) {
		if a := c.GetAdjustment(); a != nil {
			a.CostMoney = &pb.Money{Amount: amount.String(), Currency: currency}
		}
	}
}

// WithVendor sets whom a receipt's units were bought from (receipts only, as WithCost).
func WithVendor(vendorID string) ChangeOption {
	return func(c *pb.InventoryChange) {
		if a := c.GetAdjustment(); a != nil {
			a.VendorId = vendorID
		}
	}
}

// ListInventoryAdjustmentReasons lists the standard reasons in type order, then the
// merchant's custom ones, oldest first; req (nil for the defaults) adds deleted custom
// reasons (IncludeDeleted) and Square's system codes (IncludeSystemCodes).
func (c *Client) ListInventoryAdjustmentReasons(ctx context.Context, req *pb.ListInventoryAdjustmentReasonsRequest) ([]*pb.InventoryAdjustmentReason, error) {
	if req == nil {
		req = &pb.ListInventoryAdjustmentReasonsRequest{}
	}
	resp, err := c.Inventory.ListInventoryAdjustmentReasons(ctx, req)
	return resp.GetAdjustmentReasons(), err
}

// CreateInventoryAdjustmentReason creates a custom reason: name unique among the live
// custom reasons (else codes.AlreadyExists), direction INCREASE or DECREASE, fixed once
// created. An empty idempotencyKey gets a random one; pass your own to make retries safe.
func (c *Client) CreateInventoryAdjustmentReason(ctx context.Context, idempotencyKey, name string, direction pb.InventoryAdjustmentReasonDirection) (*pb.InventoryAdjustmentReason, error) {
	resp, err := c.Inventory.CreateInventoryAdjustmentReason(ctx, &pb.CreateInventoryAdjustmentReasonRequest{
		IdempotencyKey:   keyOr(idempotencyKey),
		AdjustmentReason: &pb.InventoryAdjustmentReason{Name: name, Direction: direction},
	})
	return resp.GetAdjustmentReason(), err
}

// RetrieveInventoryAdjustmentReason reads one reason, standard or custom (a deleted
// custom one too).
func (c *Client) RetrieveInventoryAdjustmentReason(ctx context.Context, reasonID *pb.InventoryAdjustmentReasonId) (*pb.InventoryAdjustmentReason, error) {
	resp, err := c.Inventory.RetrieveInventoryAdjustmentReason(ctx, &pb.RetrieveInventoryAdjustmentReasonRequest{ReasonId: reasonID})
	return resp.GetAdjustmentReason(), err
}

// UpdateInventoryAdjustmentReason renames a custom reason that is not deleted (a deleted
// one: codes.FailedPrecondition).
func (c *Client) UpdateInventoryAdjustmentReason(ctx context.Context, reasonID *pb.InventoryAdjustmentReasonId, name string) (*pb.InventoryAdjustmentReason, error) {
	resp, err := c.Inventory.UpdateInventoryAdjustmentReason(ctx, &pb.UpdateInventoryAdjustmentReasonRequest{
		ReasonId:         reasonID,
		AdjustmentReason: &pb.InventoryAdjustmentReason{Name: name},
	})
	return resp.GetAdjustmentReason(), err
}

// DeleteInventoryAdjustmentReason soft-deletes a custom reason: still retrievable and
// named by the changes that carry it, but a new change naming it is refused.
func (c *Client) DeleteInventoryAdjustmentReason(ctx context.Context, reasonID *pb.InventoryAdjustmentReasonId) (*pb.InventoryAdjustmentReason, error) {
	resp, err := c.Inventory.DeleteInventoryAdjustmentReason(ctx, &pb.DeleteInventoryAdjustmentReasonRequest{ReasonId: reasonID})
	return resp.GetAdjustmentReason(), err
}

// RestoreInventoryAdjustmentReason restores a soft-deleted custom reason
// (codes.AlreadyExists when a live reason has taken its name meanwhile).
func (c *Client) RestoreInventoryAdjustmentReason(ctx context.Context, reasonID *pb.InventoryAdjustmentReasonId) (*pb.InventoryAdjustmentReason, error) {
	resp, err := c.Inventory.RestoreInventoryAdjustmentReason(ctx, &pb.RestoreInventoryAdjustmentReasonRequest{ReasonId: reasonID})
	return resp.GetAdjustmentReason(), err
}
