// Changes as Go values: Change, one recorded adjustment, physical count or transfer with
// its quantity and money as Decimal and its times as time.Time, and the helpers that read
// one by id.

package stockledger

import (
	"context"
	"time"

	pb "github.com/stockledger/stockledger/clients/go/stockledgerv1"
)

// Change is one recorded change of the ledger. Which fields mean something depends on
// Type: an adjustment moves Quantity from FromState to ToState at LocationID; a physical
// count sets the count of ToState at LocationID to Quantity; a transfer moves Quantity in
// ToState (FromState is the same) from FromLocationID to ToLocationID.
type Change struct {
	ID string
	// Type is INVENTORY_CHANGE_TYPE_ADJUSTMENT, _PHYSICAL_COUNT or _TRANSFER.
	Type            pb.InventoryChangeType
	ReferenceID     string
	CatalogObjectID string
	FromState       pb.InventoryState
	ToState         pb.InventoryState
	LocationID      string
	FromLocationID  string
	ToLocationID    string
	Quantity        Decimal
	// ReasonID says why, when the change named a reason.
	ReasonID *pb.InventoryAdjustmentReasonId
	// TotalPrice (a sale), Cost and VendorID (a receipt) and ReservationID belong to
	// adjustments; nil or empty otherwise.
	TotalPrice    *Money
	Cost          *Money
	VendorID      string
	ReservationID string
	OccurredAt    time.Time
	CreatedAt     time.Time
}

// ChangeOf converts a change from the wire, whichever member is set.
func ChangeOf(change *pb.InventoryChange) (Change, error) {
	switch {
	case change.GetAdjustment() != nil:
		return adjustmentOf(change.GetAdjustment())
	case change.GetPhysicalCount() != nil:
		return physicalCountOf(change.GetPhysicalCount())
	default:
		return transferOf(change.GetTransfer())
	}
}

func adjustmentOf(a *pb.InventoryAdjustment) (Change, error) {
	quantity, _, err := parseWire(a.GetQuantity())
	if err != nil {
		return Change{}, err
	}
	totalPrice, err := moneyOf(a.GetTotalPriceMoney())
	if err != nil {
		return Change{}, err
	}
	cost, err := moneyOf(a.GetCostMoney())
	if err != nil {
		return Change{}, err
	}
	return Change{
		ID: a.GetId(), Type: pb.InventoryChangeType_INVENTORY_CHANGE_TYPE_ADJUSTMENT, ReferenceID: a.GetReferenceId(),
		CatalogObjectID: a.GetCatalogObjectId(), FromState: a.GetFromState(), ToState: a.GetToState(),
		LocationID: a.GetLocationId(), Quantity: quantity, ReasonID: a.GetReasonId(),
		TotalPrice: totalPrice, Cost: cost, VendorID: a.GetVendorId(), ReservationID: a.GetReservationId(),
		OccurredAt: Time(a.GetOccurredAt()), CreatedAt: Time(a.GetCreatedAt()),
	}, nil
}

func physicalCountOf(p *pb.InventoryPhysicalCount) (Change, error) {
	quantity, _, err := parseWire(p.GetQuantity())
	if err != nil {
		return Change{}, err
	}
	return Change{
		ID: p.GetId(), Type: pb.InventoryChangeType_INVENTORY_CHANGE_TYPE_PHYSICAL_COUNT, ReferenceID: p.GetReferenceId(),
		CatalogObjectID: p.GetCatalogObjectId(), ToState: p.GetState(), LocationID: p.GetLocationId(),
		Quantity: quantity, ReasonID: p.GetReasonId(),
		OccurredAt: Time(p.GetOccurredAt()), CreatedAt: Time(p.GetCreatedAt()),
	}, nil
}

func transferOf(t *pb.InventoryTransfer) (Change, error) {
	quantity, _, err := parseWire(t.GetQuantity())
	if err != nil {
		return Change{}, err
	}
	return Change{
		ID: t.GetId(), Type: pb.InventoryChangeType_INVENTORY_CHANGE_TYPE_TRANSFER, ReferenceID: t.GetReferenceId(),
		CatalogObjectID: t.GetCatalogObjectId(), FromState: t.GetState(), ToState: t.GetState(),
		FromLocationID: t.GetFromLocationId(), ToLocationID: t.GetToLocationId(), Quantity: quantity,
		ReasonID: t.GetReasonId(), OccurredAt: Time(t.GetOccurredAt()), CreatedAt: Time(t.GetCreatedAt()),
	}, nil
}

// moneyOf converts an amount from the wire; nil for an absent one.
func moneyOf(m *pb.Money) (*Money, error) {
	if m == nil {
		return nil, nil
	}
	amount, _, err := parseWire(m.GetAmount())
	if err != nil {
		return nil, err
	}
	return &Money{Amount: amount, Currency: m.GetCurrency()}, nil
}

// RetrieveInventoryAdjustment reads one adjustment by its id (ChangeID of a change a
// batch answered).
func (c *Client) RetrieveInventoryAdjustment(ctx context.Context, id string) (Change, error) {
	resp, err := c.Inventory.RetrieveInventoryAdjustment(ctx, &pb.RetrieveInventoryAdjustmentRequest{AdjustmentId: id})
	if err != nil {
		return Change{}, err
	}
	return adjustmentOf(resp.GetAdjustment())
}

// RetrieveInventoryPhysicalCount reads one physical count by its id.
func (c *Client) RetrieveInventoryPhysicalCount(ctx context.Context, id string) (Change, error) {
	resp, err := c.Inventory.RetrieveInventoryPhysicalCount(ctx, &pb.RetrieveInventoryPhysicalCountRequest{PhysicalCountId: id})
	if err != nil {
		return Change{}, err
	}
	return physicalCountOf(resp.GetPhysicalCount())
}

// RetrieveInventoryTransfer reads one transfer by its id.
func (c *Client) RetrieveInventoryTransfer(ctx context.Context, id string) (Change, error) {
	resp, err := c.Inventory.RetrieveInventoryTransfer(ctx, &pb.RetrieveInventoryTransferRequest{TransferId: id})
	if err != nil {
		return Change{}, err
	}
	return transferOf(resp.GetTransfer())
}
