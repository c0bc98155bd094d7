// Unit tests of the wire conversions of stream items (CountUpdateOf, ChangeOf of a
// streamed change): absent quantities, decimals as the server writes them, and a
// malformed quantity refused as an *Error; they need no server.

package stockledger_test

import (
	"errors"
	"testing"

	stockledger "github.com/stockledger/stockledger/clients/go"
	pb "github.com/stockledger/stockledger/clients/go/stockledgerv1"
)

func TestCountUpdateOfTellsANewCountFromAChangedOne(t *testing.T) {
	created, err := stockledger.CountUpdateOf(&pb.InventoryCountUpdate{
		CatalogObjectId: "item", LocationId: "loc", State: pb.InventoryState_INVENTORY_STATE_IN_STOCK,
		Quantity: "12.50", ChangeId: "change", ChangeType: pb.InventoryChangeType_INVENTORY_CHANGE_TYPE_ADJUSTMENT,
	})
	if err != nil {
		t.Fatal(err)
	}
	if created.PreviousQuantity != nil || created.Quantity.String() != "12.5" || created.ChangeID != "change" ||
		created.State != pb.InventoryState_INVENTORY_STATE_IN_STOCK || !created.CalculatedAt.IsZero() {
		t.Errorf("a new count converted to %+v", created)
	}
	changed, err := stockledger.CountUpdateOf(&pb.InventoryCountUpdate{PreviousQuantity: "0", Quantity: "-1"})
	if err != nil {
		t.Fatal(err)
	}
	if changed.PreviousQuantity == nil || changed.PreviousQuantity.String() != "0" || changed.Quantity.String() != "-1" {
		t.Errorf("a count from 0 to -1 converted to %+v (previous %v)", changed, changed.PreviousQuantity)
	}
}

func TestAMalformedWireQuantityIsAnError(t *testing.T) {
	_, err := stockledger.CountUpdateOf(&pb.InventoryCountUpdate{Quantity: "1", PreviousQuantity: "one"})
	var refused *stockledger.Error
	if !errors.As(err, &refused) || refused.CodeName() != "INVALID_ARGUMENT" {
		t.Errorf("a previous quantity of \"one\": %v", err)
	}
	_, err = stockledger.ChangeOf(&pb.InventoryChange{Change: &pb.InventoryChange_Transfer{Transfer: &pb.InventoryTransfer{Quantity: "1.123456"}}})
	if !errors.As(err, &refused) || !errors.Is(err, stockledger.ErrTooPrecise) {
		t.Errorf("a transfer of 1.123456: %v", err)
	}
}
