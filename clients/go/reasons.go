// Adjustment reasons: why a change was made, standard or the merchant's own, as
// AdjustmentReason values (time.Time times), and the change options that name them.

package stockledger

import (
	"context"
	"time"

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

// The directions of a custom adjustment reason, fixed when it is created.
const (
	ReasonIncrease = pb.InventoryAdjustmentReasonDirection_INVENTORY_ADJUSTMENT_REASON_DIRECTION_INCREASE
	ReasonDecrease = pb.InventoryAdjustmentReasonDirection_INVENTORY_ADJUSTMENT_REASON_DIRECTION_DECREASE
)

// AdjustmentReason is why changes are made: a standard reason (ID.Type) or a merchant's
// custom one (ID.CustomReasonId).
type AdjustmentReason struct {
	// ID names the reason in WithReason and in history filters.
	ID        *pb.InventoryAdjustmentReasonId
	Name      string
	Direction pb.InventoryAdjustmentReasonDirection
	// Deleted: a soft-deleted custom reason (RestoreInventoryAdjustmentReason brings it back).
	Deleted   bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// AdjustmentReasonOf converts a reason from the wire.
func AdjustmentReasonOf(r *pb.InventoryAdjustmentReason) AdjustmentReason {
	return AdjustmentReason{
		ID: r.GetId(), Name: r.GetName(), Direction: r.GetDirection(), Deleted: r.GetIsDeleted(),
		CreatedAt: Time(r.GetCreatedAt()), UpdatedAt: Time(r.GetUpdatedAt()),
	}
}

func adjustmentReasonOf(r *pb.InventoryAdjustmentReason, err error) (AdjustmentReason, error) {
	if err != nil {
		return AdjustmentReason{}, err
	}
	return AdjustmentReasonOf(r), nil
}

// ListReasonsOptions are what ListInventoryAdjustmentReasons sends; the zero value lists
// the standard reasons and the live custom ones.
type ListReasonsOptions struct {
	// IncludeDeleted adds the soft-deleted custom reasons.
	IncludeDeleted bool
	// IncludeSystemCodes adds Square's system codes.
	IncludeSystemCodes bool
}

// ListInventoryAdjustmentReasons lists the standard reasons in type order, then the
// merchant's custom ones, oldest first.
func (c *Client) ListInventoryAdjustmentReasons(ctx context.Context, opts ListReasonsOptions) ([]AdjustmentReason, error) {
	resp, err := c.Inventory.ListInventoryAdjustmentReasons(ctx, &pb.ListInventoryAdjustmentReasonsRequest{
		IncludeDeleted: opts.IncludeDeleted, IncludeSystemCodes: opts.IncludeSystemCodes,
	})
	if err != nil {
		return nil, err
	}
	reasons := make([]AdjustmentReason, len(resp.GetAdjustmentReasons()))
	for i, r := range resp.GetAdjustmentReasons() {
		reasons[i] = AdjustmentReasonOf(r)
	}
	return reasons, nil
}

// CreateInventoryAdjustmentReason creates a custom reason: name unique among the live
// custom reasons (else ALREADY_EXISTS), direction ReasonIncrease or ReasonDecrease, fixed
// once created. An empty idempotencyKey gets a random one; pass your own to make retries
// safe.
func (c *Client) CreateInventoryAdjustmentReason(ctx context.Context, idempotencyKey, name string, direction pb.InventoryAdjustmentReasonDirection) (AdjustmentReason, error) {
	resp, err := c.Inventory.CreateInventoryAdjustmentReason(ctx, &pb.CreateInventoryAdjustmentReasonRequest{
		IdempotencyKey:   keyOr(idempotencyKey),
		AdjustmentReason: &pb.InventoryAdjustmentReason{Name: name, Direction: direction},
	})
	return adjustmentReasonOf(resp.GetAdjustmentReason(), err)
}

// RetrieveInventoryAdjustmentReason reads one reason, standard or custom (a deleted
// custom one too).
func (c *Client) RetrieveInventoryAdjustmentReason(ctx context.Context, reasonID *pb.InventoryAdjustmentReasonId) (AdjustmentReason, error) {
	resp, err := c.Inventory.RetrieveInventoryAdjustmentReason(ctx, &pb.RetrieveInventoryAdjustmentReasonRequest{ReasonId: reasonID})
	return adjustmentReasonOf(resp.GetAdjustmentReason(), err)
}

// UpdateInventoryAdjustmentReason renames a custom reason that is not deleted (a deleted
// one: FAILED_PRECONDITION).
func (c *Client) UpdateInventoryAdjustmentReason(ctx context.Context, reasonID *pb.InventoryAdjustmentReasonId, name string) (AdjustmentReason, error) {
	resp, err := c.Inventory.UpdateInventoryAdjustmentReason(ctx, &pb.UpdateInventoryAdjustmentReasonRequest{
		ReasonId:         reasonID,
		AdjustmentReason: &pb.InventoryAdjustmentReason{Name: name},
	})
	return adjustmentReasonOf(resp.GetAdjustmentReason(), err)
}

// DeleteInventoryAdjustmentReason soft-deletes a custom reason: still retrievable and
// named by the changes that carry it, but a new change naming it is refused.
func (c *Client) DeleteInventoryAdjustmentReason(ctx context.Context, reasonID *pb.InventoryAdjustmentReasonId) (AdjustmentReason, error) {
	resp, err := c.Inventory.DeleteInventoryAdjustmentReason(ctx, &pb.DeleteInventoryAdjustmentReasonRequest{ReasonId: reasonID})
	return adjustmentReasonOf(resp.GetAdjustmentReason(), err)
}

// RestoreInventoryAdjustmentReason restores a soft-deleted custom reason (ALREADY_EXISTS
// when a live reason has taken its name meanwhile).
func (c *Client) RestoreInventoryAdjustmentReason(ctx context.Context, reasonID *pb.InventoryAdjustmentReasonId) (AdjustmentReason, error) {
	resp, err := c.Inventory.RestoreInventoryAdjustmentReason(ctx, &pb.RestoreInventoryAdjustmentReasonRequest{ReasonId: reasonID})
	return adjustmentReasonOf(resp.GetAdjustmentReason(), err)
}
