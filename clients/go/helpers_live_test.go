// Live tests of the typed helpers: locations and items created, read, listed across pages
// and updated as Go values (exact decimals, time.Time), counts read page after page, and
// one error type for the client's own refusals and the server's.

package stockledger_test

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	stockledger "github.com/stockledger/stockledger/clients/go"
	pb "github.com/stockledger/stockledger/clients/go/stockledgerv1"
)

// recent fails unless t is a server time of the last minute (set, not the zero time).
func recent(t *testing.T, what string, at time.Time) {
	t.Helper()
	if age := time.Since(at); at.IsZero() || age < -time.Minute || age > time.Minute {
		t.Errorf("%s = %v, want a time of the last minute", what, at)
	}
}

func TestLocationsAreCreatedReadListedAndUpdated(t *testing.T) {
	c, ctx := live(t)
	suffix := unique()
	var created []stockledger.Location
	for _, name := range []string{"North ", "South ", "East "} {
		loc, err := c.CreateLocation(ctx, name+suffix, stockledger.WithDescription("by the "+name+"door"))
		must(t, err)
		created = append(created, loc)
	}
	north := created[0]
	if north.Name != "North "+suffix || north.Status != stockledger.LocationActive || north.Description != "by the North door" || north.ForbidNegativeCounts {
		t.Fatalf("created %+v", north)
	}
	recent(t, "CreatedAt", north.CreatedAt)

	read, err := c.GetLocation(ctx, north.ID)
	must(t, err)
	if read != north {
		t.Fatalf("GetLocation = %+v, want what CreateLocation answered, %+v", read, north)
	}

	// Two a page: the three new ones come over two pages at least, in creation order.
	var listed []string
	for loc, err := range c.ListLocations(ctx, stockledger.ListLocationsOptions{PageSize: 2}) {
		must(t, err)
		if slices.ContainsFunc(created, func(l stockledger.Location) bool { return l.ID == loc.ID }) {
			listed = append(listed, loc.ID)
		}
	}
	if want := []string{created[0].ID, created[1].ID, created[2].ID}; !slices.Equal(listed, want) {
		t.Fatalf("ListLocations yielded %v of ours, want %v", listed, want)
	}

	// Deactivate South and clear its description; its name stays.
	south, err := c.UpdateLocation(ctx, created[1].ID, stockledger.LocationUpdate{
		Status: stockledger.LocationInactive, Description: new(""), ForbidNegativeCounts: new(true),
	})
	must(t, err)
	if south.Status != stockledger.LocationInactive || south.Description != "" || !south.ForbidNegativeCounts || south.Name != "South "+suffix {
		t.Fatalf("after the update: %+v", south)
	}
	if south.UpdatedAt.Before(south.CreatedAt) || !south.CreatedAt.Equal(created[1].CreatedAt) {
		t.Fatalf("times after the update: created %v updated %v", south.CreatedAt, south.UpdatedAt)
	}
	inactive := 0
	for loc, err := range c.ListLocations(ctx, stockledger.ListLocationsOptions{Status: stockledger.LocationInactive}) {
		must(t, err)
		if loc.Status != stockledger.LocationInactive {
			t.Fatalf("the inactive listing yielded %+v", loc)
		}
		if loc.ID == south.ID {
			inactive++
		}
	}
	if inactive != 1 {
		t.Fatalf("the inactive listing yielded South %d times", inactive)
	}

	// Refusals: a taken name (the server), an update of nothing (the client).
	_, err = c.CreateLocation(ctx, "North "+suffix)
	if taken := refusal(t, err); taken.CodeName() != "ALREADY_EXISTS" || taken.Local {
		t.Fatalf("a taken name: %v (local %v)", taken, taken.Local)
	}
	_, err = c.UpdateLocation(ctx, north.ID, stockledger.LocationUpdate{})
	if empty := refusal(t, err); !empty.Local || empty.CodeName() != "INVALID_ARGUMENT" ||
		empty.Reason != stockledger.ReasonMissingRequiredParameter || empty.Field() != "update_mask" {
		t.Fatalf("an update of nothing: %v (local %v, field %q)", empty, empty.Local, empty.Field())
	}
}

func TestItemsAreCreatedReadListedAndUpdated(t *testing.T) {
	c, ctx := live(t)
	sku := "MUG-" + unique()
	// The largest cost there is: a float64 would round it.
	maxCost := stockledger.MustDecimal("92233720368547.75807")
	first, err := c.CreateInventoryItem(ctx, stockledger.ItemFields{SKU: new(sku), Cost: new(stockledger.MustDecimal("12.50"))})
	must(t, err)
	second, err := c.CreateInventoryItem(ctx, stockledger.ItemFields{
		SKU: new(sku), Cost: &maxCost, RequiresShipping: new(false), CountryCodeOfOrigin: new("FR"),
	})
	must(t, err)
	if first.SKU != sku || first.Cost == nil || first.Cost.String() != "12.5" || !first.Tracked || !first.RequiresShipping {
		t.Fatalf("first item: %+v (cost %v)", first, first.Cost)
	}
	if second.Cost == nil || !second.Cost.Equal(maxCost) || second.RequiresShipping || second.CountryCodeOfOrigin != "FR" {
		t.Fatalf("second item: %+v (cost %v)", second, second.Cost)
	}
	recent(t, "CreatedAt", first.CreatedAt)

	read, err := c.GetInventoryItem(ctx, second.ID)
	must(t, err)
	if read.ID != second.ID || !read.Cost.Equal(maxCost) || !read.CreatedAt.Equal(second.CreatedAt) {
		t.Fatalf("GetInventoryItem = %+v, want %+v", read, second)
	}
	both, err := c.BatchGetInventoryItems(ctx, second.ID, first.ID)
	must(t, err)
	if len(both) != 2 || both[0].ID != second.ID || both[1].ID != first.ID {
		t.Fatalf("BatchGetInventoryItems = %+v, want the second then the first", both)
	}

	// One a page, by SKU: both items over two pages, oldest first.
	var listed []string
	for item, err := range c.ListInventoryItems(ctx, stockledger.ListInventoryItemsOptions{SKU: sku, PageSize: 1}) {
		must(t, err)
		listed = append(listed, item.ID)
	}
	if want := []string{first.ID, second.ID}; !slices.Equal(listed, want) {
		t.Fatalf("ListInventoryItems by SKU = %v, want %v", listed, want)
	}

	// The smallest cost, no SKU, untracked; the country of origin stays.
	updated, err := c.UpdateInventoryItem(ctx, second.ID, stockledger.ItemFields{
		Cost: new(stockledger.MustDecimal("0.00001")), SKU: new(""), Tracked: new(false),
	})
	must(t, err)
	if updated.Cost.String() != "0.00001" || updated.SKU != "" || updated.Tracked || updated.CountryCodeOfOrigin != "FR" {
		t.Fatalf("after the update: %+v (cost %v)", updated, updated.Cost)
	}
	_, err = c.UpdateInventoryItem(ctx, second.ID, stockledger.ItemFields{})
	if empty := refusal(t, err); !empty.Local || empty.Field() != "update_mask" {
		t.Fatalf("an update of nothing: %v", empty)
	}
	_, err = c.UpdateInventoryItem(ctx, second.ID, stockledger.ItemFields{CountryCodeOfOrigin: new("XX")})
	if bad := refusal(t, err); bad.Local || bad.CodeName() != "INVALID_ARGUMENT" || bad.Field() != "inventory_item.country_code_of_origin" {
		t.Fatalf("an unknown country: %v (field %q)", bad, bad.Field())
	}
}

func TestInventoryCountsPageThroughTypedCounts(t *testing.T) {
	c, ctx := live(t)
	locationID, itemID := shop(t, c, ctx)
	other, err := c.CreateLocation(ctx, "Back Room "+unique())
	must(t, err)
	_, err = c.BatchChangeInventory(ctx, "",
		stockledger.Adjustment(itemID, locationID, stockledger.StateNone, stockledger.StateInStock, stockledger.MustDecimal("2.5")),
		stockledger.Adjustment(itemID, other.ID, stockledger.StateNone, stockledger.StateInStock, stockledger.MustDecimal("0.00001")),
		stockledger.Adjustment(itemID, other.ID, stockledger.StateInStock, stockledger.StateWaste, stockledger.MustDecimal("0.00001")))
	must(t, err)

	got := map[string]string{}
	for count, err := range c.InventoryCounts(ctx, stockledger.CountsFilter{
		ItemIDs: []string{itemID}, States: []pb.InventoryState{stockledger.StateInStock}, PageSize: 1,
	}) {
		must(t, err)
		if count.State != stockledger.StateInStock || count.CatalogObjectID != itemID {
			t.Fatalf("a count outside the filter: %+v", count)
		}
		recent(t, "CalculatedAt", count.CalculatedAt)
		got[count.LocationID] = count.Quantity.String()
	}
	if len(got) != 2 || got[locationID] != "2.5" || got[other.ID] != "0" {
		t.Fatalf("InventoryCounts = %v, want 2.5 at the shop and 0 in the back room", got)
	}
}

func TestEveryRefusalIsOneErrorType(t *testing.T) {
	c, ctx := live(t)
	locationID, itemID := shop(t, c, ctx)

	// The server's refusal of a quantity with six places...
	_, err := c.Inventory.BatchChangeInventory(ctx, &pb.BatchChangeInventoryRequest{
		IdempotencyKey: unique(),
		Changes: []*pb.InventoryChange{{
			Type: pb.InventoryChangeType_INVENTORY_CHANGE_TYPE_ADJUSTMENT,
			Change: &pb.InventoryChange_Adjustment{Adjustment: &pb.InventoryAdjustment{
				CatalogObjectId: itemID, LocationId: locationID, FromState: stockledger.StateNone,
				ToState: stockledger.StateInStock, Quantity: "1.000001",
			}},
		}},
	})
	server := refusal(t, err)
	if server.Local || server.CodeName() != "INVALID_ARGUMENT" || server.Field() != "changes[0].adjustment.quantity" || server.Reason == "" {
		t.Fatalf("the server's refusal: %v (field %q, reason %q)", server, server.Field(), server.Reason)
	}
	// ...and the client's of the same value: the same type, code and reason.
	_, err = stockledger.ParseDecimalField("changes[0].adjustment.quantity", "1.000001")
	local := refusal(t, err)
	if !local.Local || local.CodeName() != server.CodeName() || local.Reason != server.Reason || local.Field() != server.Field() {
		t.Fatalf("the client's refusal %v (reason %q, field %q) differs from the server's %v", local, local.Reason, local.Field(), server)
	}
	if !errors.Is(err, stockledger.ErrTooPrecise) || local.Code != codes.InvalidArgument {
		t.Fatalf("the client's refusal %v is not ErrTooPrecise / codes.InvalidArgument", err)
	}
	_, err = stockledger.ParseDecimal("1,5")
	if comma := refusal(t, err); !comma.Local || comma.CodeName() != "INVALID_ARGUMENT" || comma.Reason != stockledger.ReasonInvalidValue || comma.Field() != "" {
		t.Fatalf("ParseDecimal(\"1,5\"): %v (field %q)", comma, comma.Field())
	}

	// A hold without a time, refused before anything is sent.
	_, err = c.CreateReservation(ctx, stockledger.ReservationRequest{
		Lines: []stockledger.ReservationLine{{CatalogObjectID: itemID, LocationID: locationID, Quantity: stockledger.DecimalFromInt(1)}},
	})
	if hold := refusal(t, err); !hold.Local || hold.Field() != "ttl" || hold.Reason != stockledger.ReasonMissingRequiredParameter {
		t.Fatalf("a hold without a time: %v (field %q)", hold, hold.Field())
	}
	// No token: refused by Dial with the same type.
	_, err = stockledger.Dial("127.0.0.1:1", "")
	if token := refusal(t, err); !token.Local || token.CodeName() != "UNAUTHENTICATED" {
		t.Fatalf("Dial without a token: %v", token)
	}
}

func TestRecordedChangesAreReadAsGoValues(t *testing.T) {
	c, ctx := live(t)
	locationID, itemID := shop(t, c, ctx)
	backRoom, err := c.CreateLocation(ctx, "Back Room "+unique())
	must(t, err)
	batch, err := c.BatchChangeInventory(ctx, "",
		stockledger.Adjustment(itemID, locationID, stockledger.StateNone, stockledger.StateInStock, stockledger.MustDecimal("10.5"),
			stockledger.WithCost(stockledger.MustDecimal("2.25"), "EUR"), stockledger.WithVendor("vendor-1")),
		stockledger.PhysicalCount(itemID, locationID, stockledger.StateInStock, stockledger.MustDecimal("10.25")),
		stockledger.Transfer(itemID, locationID, backRoom.ID, stockledger.StateInStock, stockledger.MustDecimal("0.25")))
	must(t, err)
	if len(batch.Changes) != 3 {
		t.Fatalf("the batch recorded %d changes, want 3", len(batch.Changes))
	}
	ids := make([]string, 3)
	for i, change := range batch.Changes {
		ids[i] = change.ID
	}

	receipt, err := c.RetrieveInventoryAdjustment(ctx, ids[0])
	must(t, err)
	if receipt.ID != ids[0] || receipt.FromState != stockledger.StateNone || receipt.ToState != stockledger.StateInStock ||
		receipt.LocationID != locationID || receipt.Quantity.String() != "10.5" || receipt.VendorID != "vendor-1" ||
		receipt.Cost == nil || receipt.Cost.Amount.String() != "2.25" || receipt.Cost.Currency != "EUR" || receipt.TotalPrice != nil {
		t.Fatalf("the receipt: %+v (cost %+v)", receipt, receipt.Cost)
	}
	recent(t, "OccurredAt", receipt.OccurredAt)
	recent(t, "CreatedAt", receipt.CreatedAt)

	count, err := c.RetrieveInventoryPhysicalCount(ctx, ids[1])
	must(t, err)
	if count.Type != pb.InventoryChangeType_INVENTORY_CHANGE_TYPE_PHYSICAL_COUNT || count.ToState != stockledger.StateInStock ||
		count.Quantity.String() != "10.25" || count.LocationID != locationID {
		t.Fatalf("the physical count: %+v", count)
	}
	transfer, err := c.RetrieveInventoryTransfer(ctx, ids[2])
	must(t, err)
	if transfer.Type != pb.InventoryChangeType_INVENTORY_CHANGE_TYPE_TRANSFER || transfer.FromLocationID != locationID ||
		transfer.ToLocationID != backRoom.ID || transfer.Quantity.String() != "0.25" || transfer.ToState != stockledger.StateInStock {
		t.Fatalf("the transfer: %+v", transfer)
	}
	// The same change, as the batch answered it.
	if fromBatch := batch.Changes[2]; fromBatch.ID != transfer.ID || !fromBatch.Quantity.Equal(transfer.Quantity) || !fromBatch.CreatedAt.Equal(transfer.CreatedAt) {
		t.Fatalf("the batch answered the transfer as %+v, RetrieveInventoryTransfer as %+v", fromBatch, transfer)
	}

	_, err = c.RetrieveInventoryTransfer(ctx, ids[0]) // an adjustment's id
	if wrong := refusal(t, err); wrong.Local || wrong.CodeName() != "NOT_FOUND" {
		t.Fatalf("a transfer by an adjustment's id: %v", wrong)
	}
}

// uuid4 is a random UUID, the form of an imported change's id.
func uuid4() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// The clients-test token carries INVENTORY_IMPORT: the import itself is checked.
func TestImportInventoryChanges(t *testing.T) {
	c, ctx := live(t)
	locationID, itemID := shop(t, c, ctx)
	id := uuid4()
	monthAgo := time.Now().Add(-30 * 24 * time.Hour).Truncate(time.Millisecond)
	history := stockledger.ImportBatch{Changes: []*pb.InventoryChange{
		stockledger.Adjustment(itemID, locationID, stockledger.StateNone, stockledger.StateInStock, stockledger.MustDecimal("5"),
			stockledger.WithChangeID(id), stockledger.WithOccurredAt(monthAgo)),
	}}
	broken := stockledger.ImportBatch{Changes: []*pb.InventoryChange{
		stockledger.Adjustment(itemID, locationID, stockledger.StateInStock, stockledger.StateSold, stockledger.MustDecimal("1"),
			stockledger.WithOccurredAt(monthAgo.Add(time.Hour))),
		stockledger.Adjustment(itemID, "no-such-location", stockledger.StateInStock, stockledger.StateSold, stockledger.MustDecimal("1"),
			stockledger.WithOccurredAt(monthAgo.Add(time.Hour))),
	}}
	result, err := c.ImportInventoryChanges(ctx, history, broken)
	if err != nil {
		t.Fatalf("an import: %v", err)
	}
	if result.Applied != 1 || result.Refused != 1 || result.HeldBack != 1 || result.AlreadyPresent != 0 ||
		len(result.RefusedChanges) != 1 || result.RefusedChanges[0].Index != 2 || result.RefusedChanges[0].Reason == "" {
		t.Fatalf("the import: %+v", result)
	}
	imported, err := c.RetrieveInventoryAdjustment(ctx, id)
	must(t, err)
	if !imported.OccurredAt.Equal(monthAgo) || imported.Quantity.String() != "5" {
		t.Fatalf("the imported receipt: %+v, want 5 at %v", imported, monthAgo)
	}
	again, err := c.ImportInventoryChanges(ctx, history)
	must(t, err)
	if again.Applied != 0 || again.AlreadyPresent != 1 {
		t.Fatalf("the same history again: %+v, want it already present", again)
	}
}
