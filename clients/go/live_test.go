// Live tests of the client against a running server (STOCKLEDGER_ADDR, STOCKLEDGER_TOKEN):
// batches and counts, history paging, watches and streams, refusals as *Error, guarded
// changes, reservations and adjustment reasons.
package stockledger_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	stockledger "github.com/stockledger/stockledger/clients/go"
	pb "github.com/stockledger/stockledger/clients/go/stockledgerv1"
)

const (
	none    = pb.InventoryState_INVENTORY_STATE_NONE
	inStock = pb.InventoryState_INVENTORY_STATE_IN_STOCK
	sold    = pb.InventoryState_INVENTORY_STATE_SOLD
	waste   = pb.InventoryState_INVENTORY_STATE_WASTE
)

// live connects to the server named by STOCKLEDGER_ADDR with STOCKLEDGER_TOKEN; without
// them the test fails (scripts/clients-test.sh go sets both).
func live(t *testing.T) (*stockledger.Client, context.Context) {
	t.Helper()
	addr, token := os.Getenv("STOCKLEDGER_ADDR"), os.Getenv("STOCKLEDGER_TOKEN")
	if addr == "" || token == "" {
		t.Fatal("STOCKLEDGER_ADDR and STOCKLEDGER_TOKEN must name a running server and a token with every scope: run scripts/clients-test.sh go")
	}
	c, err := stockledger.Dial(addr, token)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c, ctx
}

func unique() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// shop creates a fresh location and item.
func shop(t *testing.T, c *stockledger.Client, ctx context.Context) (locationID, itemID string) {
	t.Helper()
	suffix := unique()
	loc, err := c.CreateLocation(ctx, "Corner Shop "+suffix)
	if err != nil {
		t.Fatal(err)
	}
	item, err := c.CreateInventoryItem(ctx, stockledger.ItemFields{SKU: new("MUG-RED-" + suffix)})
	if err != nil {
		t.Fatal(err)
	}
	return loc.ID, item.ID
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

type stateQuantity struct {
	state    pb.InventoryState
	quantity string
}

func quantities(t *testing.T, counts []stockledger.Count) []stateQuantity {
	t.Helper()
	var out []stateQuantity
	for _, count := range counts {
		out = append(out, stateQuantity{count.State, count.Quantity.String()})
	}
	slices.SortFunc(out, func(a, b stateQuantity) int { return int(a.state - b.state) })
	return out
}

// seedDay receives 100, sells 3 and 1, wastes 2 (one batch), then counts 93.
func seedDay(t *testing.T, c *stockledger.Client, ctx context.Context, locationID, itemID string) {
	t.Helper()
	day, err := c.BatchChangeInventory(ctx, "day-1-"+itemID,
		stockledger.Adjustment(itemID, locationID, none, inStock, stockledger.DecimalFromInt(100)),
		stockledger.Adjustment(itemID, locationID, inStock, sold, stockledger.MustDecimal("3")),
		stockledger.Adjustment(itemID, locationID, inStock, sold, stockledger.MustDecimal("1")),
		stockledger.Adjustment(itemID, locationID, inStock, waste, stockledger.MustDecimal("2")),
	)
	must(t, err)
	if got, want := quantities(t, day.Counts), []stateQuantity{{inStock, "94"}, {waste, "2"}}; !slices.Equal(got, want) {
		t.Fatalf("after the day's batch: %v, want %v", got, want)
	}
	closing, err := c.BatchChangeInventory(ctx, "close-1-"+itemID,
		stockledger.PhysicalCount(itemID, locationID, inStock, stockledger.MustDecimal("93")))
	must(t, err)
	if got, want := quantities(t, closing.Counts), []stateQuantity{{inStock, "93"}}; !slices.Equal(got, want) {
		t.Fatalf("after the physical count: %v, want %v", got, want)
	}
}

func TestTheSeedDay(t *testing.T) {
	c, ctx := live(t)
	locationID, itemID := shop(t, c, ctx)
	seedDay(t, c, ctx, locationID, itemID)

	counts, err := c.RetrieveInventoryCount(ctx, itemID)
	must(t, err)
	if len(counts) != 2 {
		t.Fatalf("counts: %+v", counts)
	}
	for _, count := range counts {
		want := map[pb.InventoryState]string{inStock: "93", waste: "2"}[count.State]
		if count.Quantity.String() != want || count.LocationID != locationID {
			t.Errorf("count %+v, want %s", count, want)
		}
		if time.Since(count.CalculatedAt) > 5*time.Minute || count.CalculatedAt.After(time.Now().Add(time.Minute)) {
			t.Errorf("calculated_at %v is not about now", count.CalculatedAt)
		}
	}

	// The history, two changes a page, until the cursor is empty.
	var paged []string
	req := &pb.BatchRetrieveInventoryChangesRequest{CatalogObjectIds: []string{itemID}, Limit: 2}
	pages := 0
	for {
		resp, err := c.Inventory.BatchRetrieveInventoryChanges(ctx, req)
		must(t, err)
		pages++
		for _, change := range resp.GetChanges() {
			paged = append(paged, stockledger.ChangeID(change))
		}
		if resp.GetCursor() == "" {
			break
		}
		req.Cursor = resp.GetCursor()
	}
	if len(paged) != 5 || pages != 3 {
		t.Fatalf("paged %d changes in %d pages, want 5 in 3", len(paged), pages)
	}
	var iterated []string
	var quantities []string
	for change, err := range c.InventoryChanges(ctx, &pb.BatchRetrieveInventoryChangesRequest{CatalogObjectIds: []string{itemID}, Limit: 2}) {
		must(t, err)
		iterated = append(iterated, change.ID)
		quantities = append(quantities, change.Quantity.String())
		if change.CatalogObjectID != itemID || change.LocationID != locationID || time.Since(change.CreatedAt) > 5*time.Minute {
			t.Errorf("history change %+v is not this item's, at this location, made now", change)
		}
	}
	if !slices.Equal(iterated, paged) {
		t.Errorf("InventoryChanges = %v, want %v", iterated, paged)
	}

	// The same history as a stream, read to its end.
	stream, err := c.StreamInventoryChanges(ctx, &pb.StreamInventoryChangesRequest{CatalogObjectIds: []string{itemID}})
	must(t, err)
	var streamed []stockledger.StreamedChange
	for item, err := range stream.All() {
		must(t, err)
		streamed = append(streamed, item)
	}
	var ids, streamedQuantities []string
	var types []pb.InventoryChangeType
	for _, item := range streamed {
		ids = append(ids, item.Change.ID)
		types = append(types, item.Change.Type)
		streamedQuantities = append(streamedQuantities, item.Change.Quantity.String())
		if item.Cursor == "" {
			t.Errorf("streamed change %s has no cursor", item.Change.ID)
		}
	}
	if !slices.Equal(ids, paged) {
		t.Errorf("streamed %v, want %v", ids, paged)
	}
	if !slices.Equal(streamedQuantities, quantities) {
		t.Errorf("streamed quantities %v, history's %v", streamedQuantities, quantities)
	}
	adj, count := pb.InventoryChangeType_INVENTORY_CHANGE_TYPE_ADJUSTMENT, pb.InventoryChangeType_INVENTORY_CHANGE_TYPE_PHYSICAL_COUNT
	if want := []pb.InventoryChangeType{adj, adj, adj, adj, count}; !slices.Equal(types, want) {
		t.Errorf("streamed types %v, want %v", types, want)
	}

	// Resuming the stream from the third change's cursor gives the last two (Recv loop).
	rest, err := c.StreamInventoryChanges(ctx, &pb.StreamInventoryChangesRequest{CatalogObjectIds: []string{itemID}, Cursor: streamed[2].Cursor})
	must(t, err)
	var restIDs []string
	for {
		item, err := rest.Recv()
		if err == io.EOF {
			break
		}
		must(t, err)
		restIDs = append(restIDs, item.Change.ID)
	}
	if !slices.Equal(restIDs, paged[3:]) {
		t.Errorf("resumed stream %v, want %v", restIDs, paged[3:])
	}
}

func TestWatchDeliversLiveChangesAndResumes(t *testing.T) {
	c, ctx := live(t)
	locationID, itemID := shop(t, c, ctx)
	_, err := c.BatchChangeInventory(ctx, "", stockledger.Adjustment(itemID, locationID, none, inStock, stockledger.DecimalFromInt(10)))
	must(t, err)
	sell := func(n int64) string {
		t.Helper()
		resp, err := c.BatchChangeInventory(ctx, "", stockledger.Adjustment(itemID, locationID, inStock, sold, stockledger.DecimalFromInt(n)))
		must(t, err)
		return resp.Changes[0].ID
	}

	watch, err := c.WatchInventoryChanges(ctx, &pb.WatchInventoryChangesRequest{
		CatalogObjectIds: []string{itemID}, Start: pb.WatchStart_WATCH_START_NOW,
	})
	must(t, err)
	firstID := sell(1)
	first, err := watch.Recv()
	must(t, err)
	watch.Close()
	if first.Change.ID != firstID || first.ResumeToken == "" || first.Change.Quantity.String() != "1" || first.Change.ToState != sold {
		t.Fatalf("first watched change %+v, want %s selling 1", first, firstID)
	}

	secondID, thirdID := sell(2), sell(3)
	resumed, err := c.WatchInventoryChanges(ctx, &pb.WatchInventoryChangesRequest{ResumeToken: first.ResumeToken})
	must(t, err)
	var got []string
	var sequences []uint64
	for item, err := range resumed.All() {
		must(t, err)
		got = append(got, item.Change.ID)
		sequences = append(sequences, item.Sequence)
		if len(got) == 2 {
			break
		}
	}
	if !slices.Equal(got, []string{secondID, thirdID}) {
		t.Errorf("resumed watch %v, want %v", got, []string{secondID, thirdID})
	}
	if !slices.Equal(sequences, []uint64{first.Sequence + 1, first.Sequence + 2}) {
		t.Errorf("sequences %v after %d", sequences, first.Sequence)
	}
}

func TestReorderPointsAndAlerts(t *testing.T) {
	c, ctx := live(t)
	locationID, itemID := shop(t, c, ctx)
	set, err := c.SetInventoryReorderPoint(ctx, itemID, locationID, stockledger.MustDecimal("2.5"))
	must(t, err)
	if set.ReorderPoint.Point.String() != "2.5" || set.Quantity != nil || !set.Low {
		t.Fatalf("set %+v, want 2.5, no count, low", set)
	}
	var listed []string
	for point, err := range c.ListInventoryReorderPoints(ctx, stockledger.ListReorderPointsOptions{CatalogObjectIDs: []string{itemID}}) {
		must(t, err)
		listed = append(listed, point.LocationID)
	}
	if !slices.Equal(listed, []string{locationID}) {
		t.Fatalf("listed %v, want %v", listed, []string{locationID})
	}
	watch, err := c.WatchInventoryAlerts(ctx, &pb.WatchInventoryAlertsRequest{
		CatalogObjectIds: []string{itemID}, Start: pb.WatchStart_WATCH_START_NOW,
	})
	must(t, err)
	defer watch.Close()
	_, err = c.BatchChangeInventory(ctx, "", stockledger.Adjustment(itemID, locationID, none, inStock, stockledger.DecimalFromInt(3)))
	must(t, err)
	_, err = c.BatchChangeInventory(ctx, "", stockledger.Adjustment(itemID, locationID, inStock, sold, stockledger.DecimalFromInt(1)))
	must(t, err)
	recovered, err := watch.Recv()
	must(t, err)
	low, err := watch.Recv()
	must(t, err)
	if recovered.Alert.Kind != pb.InventoryAlertKind_INVENTORY_ALERT_KIND_RECOVERED || recovered.Alert.Quantity.String() != "3" {
		t.Errorf("first alert %+v, want RECOVERED at 3", recovered.Alert)
	}
	if low.Alert.Kind != pb.InventoryAlertKind_INVENTORY_ALERT_KIND_LOW || low.Alert.ReorderPoint.String() != "2.5" || low.Sequence != recovered.Sequence+1 {
		t.Errorf("second alert %+v (sequence %d), want LOW at 2, point 2.5", low.Alert, low.Sequence)
	}
	must(t, c.DeleteInventoryReorderPoint(ctx, itemID, locationID))
	if err := c.DeleteInventoryReorderPoint(ctx, itemID, locationID); status.Code(err) != codes.NotFound {
		t.Errorf("deleting again: %v, want NOT_FOUND", err)
	}
}

func TestWatchCountsDeliversTypedUpdatesAndResumes(t *testing.T) {
	c, ctx := live(t)
	locationID, itemID := shop(t, c, ctx)
	watch, err := c.WatchInventoryCounts(ctx, &pb.WatchInventoryCountsRequest{
		CatalogObjectIds: []string{itemID}, Start: pb.WatchStart_WATCH_START_NOW,
	})
	must(t, err)
	receipt, err := c.BatchChangeInventory(ctx, "", stockledger.Adjustment(itemID, locationID, none, inStock, stockledger.MustDecimal("10.5")))
	must(t, err)
	sale, err := c.BatchChangeInventory(ctx, "", stockledger.Adjustment(itemID, locationID, inStock, sold, stockledger.DecimalFromInt(3)))
	must(t, err)

	// The receipt creates the IN_STOCK count (no previous quantity); the sale lowers it
	// (SOLD keeps no count).
	created, err := watch.Recv()
	must(t, err)
	lowered, err := watch.Recv()
	must(t, err)
	watch.Close()
	if u := created.Update; u.CatalogObjectID != itemID || u.LocationID != locationID || u.State != inStock ||
		u.PreviousQuantity != nil || u.Quantity.String() != "10.5" || u.ChangeID != receipt.Changes[0].ID ||
		u.ChangeType != pb.InventoryChangeType_INVENTORY_CHANGE_TYPE_ADJUSTMENT || time.Since(u.CalculatedAt) > 5*time.Minute {
		t.Errorf("update of the receipt %+v", u)
	}
	if u := lowered.Update; u.PreviousQuantity == nil || u.PreviousQuantity.String() != "10.5" ||
		u.Quantity.String() != "7.5" || u.ChangeID != sale.Changes[0].ID {
		t.Errorf("update of the sale %+v (previous %v)", u, u.PreviousQuantity)
	}
	if created.ResumeToken == "" || lowered.Sequence <= created.Sequence {
		t.Errorf("sequences %d then %d, token %q", created.Sequence, lowered.Sequence, created.ResumeToken)
	}
	if _, err := watch.Recv(); refusal(t, err).Code != codes.Canceled {
		t.Errorf("Recv after Close: %v, want CANCELED", err)
	}

	// Resumed after the first update, the watch gives the second again.
	resumed, err := c.WatchInventoryCounts(ctx, &pb.WatchInventoryCountsRequest{ResumeToken: created.ResumeToken})
	must(t, err)
	for item, err := range resumed.All() {
		must(t, err)
		if item.Update.ChangeID != sale.Changes[0].ID || item.Sequence != lowered.Sequence || item.Update.Quantity.String() != "7.5" {
			t.Errorf("resumed at %+v, want the sale's update", item)
		}
		break
	}

	// A state that keeps no count is refused, as an *Error, when the watch opens.
	_, err = c.WatchInventoryCounts(ctx, &pb.WatchInventoryCountsRequest{States: []pb.InventoryState{sold}})
	if refused := refusal(t, err); refused.CodeName() != "INVALID_ARGUMENT" {
		t.Errorf("watch of SOLD counts: %v", err)
	}
}

func TestARefusedRequestIsAnError(t *testing.T) {
	c, ctx := live(t)
	locationID, itemID := shop(t, c, ctx)
	if _, err := stockledger.ParseDecimal("1.123456"); err == nil {
		t.Fatal("the client accepted 6 places")
	}
	// Built by hand: Decimal cannot hold 6 places.
	tooPrecise := &pb.InventoryChange{Change: &pb.InventoryChange_Adjustment{Adjustment: &pb.InventoryAdjustment{
		CatalogObjectId: itemID, LocationId: locationID, FromState: none, ToState: inStock, Quantity: "1.123456",
	}}}
	_, err := c.BatchChangeInventory(ctx, "", tooPrecise)
	var refused *stockledger.Error
	if !errors.As(err, &refused) {
		t.Fatalf("error %v (%T) is not a *stockledger.Error", err, err)
	}
	if refused.Code != codes.InvalidArgument || status.Code(err) != codes.InvalidArgument {
		t.Errorf("code %v", refused.Code)
	}
	if refused.Reason == "" || refused.Domain != "stockledger" {
		t.Errorf("reason %q domain %q", refused.Reason, refused.Domain)
	}
	if !slices.Contains(refused.Fields(), "changes[0].adjustment.quantity") {
		t.Errorf("fields %v", refused.Fields())
	}
	counts, err := c.RetrieveInventoryCount(ctx, itemID)
	must(t, err)
	if len(counts) != 0 {
		t.Errorf("a refused batch changed counts: %v", counts)
	}

	// The raw stubs return *Error too.
	_, err = c.Items.GetInventoryItem(ctx, &pb.GetInventoryItemRequest{Id: "not an id"})
	if !errors.As(err, &refused) || refused.Reason != "INVALID_ID" || !slices.Equal(refused.Fields(), []string{"id"}) {
		t.Errorf("raw stub error %v", err)
	}
}

func TestABadTokenIsUnauthenticated(t *testing.T) {
	_, ctx := live(t)
	stranger, err := stockledger.Dial(os.Getenv("STOCKLEDGER_ADDR"), "not-a-token")
	must(t, err)
	defer stranger.Close()
	_, err = stranger.CreateLocation(ctx, "nowhere")
	if status.Code(err) != codes.Unauthenticated {
		t.Errorf("create with a bad token: %v", err)
	}
	_, err = stranger.WatchInventoryChanges(ctx, &pb.WatchInventoryChangesRequest{})
	var refused *stockledger.Error
	if !errors.As(err, &refused) || refused.Code != codes.Unauthenticated {
		t.Errorf("watch with a bad token: %v", err)
	}
}

func TestAnEmptyStreamEndsAtOnce(t *testing.T) {
	c, ctx := live(t)
	_, itemID := shop(t, c, ctx)
	stream, err := c.StreamInventoryChanges(ctx, &pb.StreamInventoryChangesRequest{CatalogObjectIds: []string{itemID}})
	must(t, err)
	for item, err := range stream.All() {
		t.Fatalf("a history without changes streamed %v, %v", item, err)
	}
	if _, err := stream.Recv(); err != io.EOF {
		t.Errorf("Recv after the end: %v, want io.EOF", err)
	}
}

// refusal is the *stockledger.Error of a call that must have been refused.
func refusal(t *testing.T, err error) *stockledger.Error {
	t.Helper()
	var refused *stockledger.Error
	if !errors.As(err, &refused) {
		t.Fatalf("error %v (%T) is not a *stockledger.Error", err, err)
	}
	return refused
}

func TestGuardedChanges(t *testing.T) {
	c, ctx := live(t)
	suffix := unique()
	// A web shop: by default no batch may take one of its counts below zero.
	loc, err := c.CreateLocation(ctx, "Web Shop "+suffix, stockledger.WithForbidNegativeCounts(true))
	must(t, err)
	if !loc.ForbidNegativeCounts {
		t.Fatal("the location does not forbid negative counts")
	}
	item, err := c.CreateInventoryItem(ctx, stockledger.ItemFields{SKU: new("MUG-GUARD-" + suffix)})
	must(t, err)
	locationID, itemID := loc.ID, item.ID
	want := stockledger.CountKey{CatalogObjectID: itemID, LocationID: locationID, State: inStock}

	// ExpectAbsent: the first receipt, only if the count does not exist yet.
	first, err := c.BatchChangeInventory(ctx, "",
		stockledger.Adjustment(itemID, locationID, none, inStock, stockledger.DecimalFromInt(10), stockledger.ExpectAbsent()))
	must(t, err)
	if got := quantities(t, first.Counts); !slices.Equal(got, []stateQuantity{{inStock, "10"}}) {
		t.Fatalf("after the receipt: %v", got)
	}
	_, err = c.BatchChangeInventory(ctx, "",
		stockledger.Adjustment(itemID, locationID, none, inStock, stockledger.DecimalFromInt(10), stockledger.ExpectAbsent()))
	if again := refusal(t, err); !again.IsQuantityMismatch() {
		t.Fatalf("a second ABSENT receipt: %v", again)
	} else if actual, exists := again.ActualQuantity(); !exists || actual.String() != "10" {
		t.Errorf("actual quantity %v (exists %v), want 10", actual, exists)
	}

	// Two guarded sales: the second expects 10 but finds what the first left.
	_, err = c.BatchChangeInventory(ctx, "",
		stockledger.Adjustment(itemID, locationID, inStock, sold, stockledger.MustDecimal("1.5"), stockledger.ExpectQuantity(stockledger.DecimalFromInt(10))),
		stockledger.Adjustment(itemID, locationID, inStock, sold, stockledger.MustDecimal("1"), stockledger.ExpectQuantity(stockledger.MustDecimal("10.00"))))
	mismatch := refusal(t, err)
	if !mismatch.IsQuantityMismatch() || mismatch.IsInsufficientQuantity() || status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("a mismatched sale: %v", mismatch)
	}
	if actual, exists := mismatch.ActualQuantity(); !exists || !actual.Equal(stockledger.MustDecimal("8.5")) {
		t.Errorf("actual quantity %v (exists %v), want 8.5", actual, exists)
	}
	if _, ok := mismatch.AvailableQuantity(); ok {
		t.Error("a mismatch has an available quantity")
	}
	if got, ok := mismatch.GuardedCount(); !ok || got != want {
		t.Errorf("guarded count %+v, want %+v", got, want)
	}
	if field := mismatch.Metadata["field"]; field != "changes[1].expected_quantity" || !slices.Equal(mismatch.Fields(), []string{field}) {
		t.Errorf("field %q, violations %v", field, mismatch.Fields())
	}

	// Absent is not zero: a WASTE count that does not exist.
	_, err = c.BatchChangeInventory(ctx, "",
		stockledger.PhysicalCount(itemID, locationID, waste, stockledger.DecimalFromInt(1), stockledger.ExpectQuantity(stockledger.DecimalFromInt(0))))
	absent := refusal(t, err)
	if _, exists := absent.ActualQuantity(); !absent.IsQuantityMismatch() || exists {
		t.Errorf("expecting 0 of an absent count: %v", absent)
	}
	if got, _ := absent.GuardedCount(); got.State != waste {
		t.Errorf("guarded count %+v", got)
	}

	// Selling 11 of 10 at the web shop: refused with what was available.
	_, err = c.BatchChangeInventory(ctx, "",
		stockledger.Adjustment(itemID, locationID, inStock, sold, stockledger.DecimalFromInt(11)))
	short := refusal(t, err)
	if !short.IsInsufficientQuantity() || short.IsQuantityMismatch() || short.Code != codes.FailedPrecondition {
		t.Fatalf("an oversale: %v", short)
	}
	if available, ok := short.AvailableQuantity(); !ok || available.String() != "10" {
		t.Errorf("available quantity %v (%v), want 10", available, ok)
	}
	if got, ok := short.GuardedCount(); !ok || got != want {
		t.Errorf("guarded count %+v, want %+v", got, want)
	}
	if !slices.Equal(short.Fields(), []string{"changes[0].adjustment.quantity"}) || short.Metadata["field"] != "changes[0].adjustment.quantity" {
		t.Errorf("fields %v", short.Fields())
	}

	// The batch overrides the location's default; the matching guarded sale goes through.
	oversold, err := c.BatchChangeInventoryWith(ctx, stockledger.BatchOptions{ForbidNegativeCounts: proto.Bool(false)},
		stockledger.Adjustment(itemID, locationID, inStock, sold, stockledger.DecimalFromInt(11), stockledger.ExpectQuantity(stockledger.DecimalFromInt(10))))
	must(t, err)
	if got := quantities(t, oversold.Counts); !slices.Equal(got, []stateQuantity{{inStock, "-1"}}) {
		t.Fatalf("after the oversale: %v", got)
	}
}

func TestForbidNegativeCountsPerBatch(t *testing.T) {
	c, ctx := live(t)
	locationID, itemID := shop(t, c, ctx)
	_, err := c.BatchChangeInventory(ctx, "",
		stockledger.Adjustment(itemID, locationID, none, inStock, stockledger.MustDecimal("2.25")))
	must(t, err)
	_, err = c.BatchChangeInventoryWith(ctx, stockledger.BatchOptions{ForbidNegativeCounts: proto.Bool(true)},
		stockledger.Adjustment(itemID, locationID, inStock, waste, stockledger.DecimalFromInt(3)))
	short := refusal(t, err)
	if available, ok := short.AvailableQuantity(); !ok || available.String() != "2.25" {
		t.Errorf("available quantity %v (%v), want 2.25: %v", available, ok, short)
	}
}

func TestReservations(t *testing.T) {
	c, ctx := live(t)
	locationID, itemID := shop(t, c, ctx)
	if _, err := c.BatchChangeInventory(ctx, "", stockledger.Adjustment(itemID, locationID, none, inStock, stockledger.MustDecimal("3"))); err != nil {
		t.Fatal(err)
	}
	line := func(quantity string) []stockledger.ReservationLine {
		return []stockledger.ReservationLine{{CatalogObjectID: itemID, LocationID: locationID, Quantity: stockledger.MustDecimal(quantity)}}
	}
	run := unique()

	// Reserve 2 of 3 (no idempotency key: the client makes one).
	held, err := c.CreateReservation(ctx, stockledger.ReservationRequest{
		Lines: line("2"), Hold: stockledger.HoldFor(5 * time.Minute), ReferenceID: "cart-" + run,
	})
	if err != nil {
		t.Fatal(err)
	}
	if held.State != pb.ReservationState_RESERVATION_STATE_HELD || held.ReferenceID != "cart-"+run || held.ID == "" {
		t.Fatalf("created %+v", held)
	}
	if len(held.Lines) != 1 || held.Lines[0].Quantity.String() != "2" || held.Lines[0].HeldQuantity.String() != "2" ||
		held.Lines[0].CommittedQuantity.String() != "0" || held.Lines[0].CatalogObjectID != itemID {
		t.Fatalf("lines %+v", held.Lines)
	}
	if !held.ExpiresAt.After(time.Now()) || held.CreatedAt.IsZero() {
		t.Fatalf("times %+v", held)
	}
	if got, err := c.GetReservation(ctx, held.ID); err != nil || got.ID != held.ID || got.State != held.State {
		t.Fatalf("get: %+v %v", got, err)
	}

	// A second reservation of 2 is refused: 1 is available.
	_, err = c.CreateReservation(ctx, stockledger.ReservationRequest{Lines: line("2.00"), Hold: stockledger.HoldUntil(time.Now().Add(time.Minute))})
	var refused *stockledger.Error
	if !errors.As(err, &refused) || !refused.IsInsufficientQuantity() || refused.IsReservationNotHeld() {
		t.Fatalf("expected an insufficient quantity, got %v", err)
	}
	if available, ok := refused.AvailableQuantity(); !ok || available.String() != "1" {
		t.Fatalf("available %v %v", available, ok)
	}
	if count, ok := refused.GuardedCount(); !ok || refused.Metadata["field"] != "lines[0].quantity" || count.CatalogObjectID != itemID || count.LocationID != locationID {
		t.Fatalf("refused %+v", refused)
	}

	// Extend it, commit 1 (retried with the same key: nothing more), release the rest.
	later := time.Now().Add(10 * time.Minute)
	extended, err := c.ExtendReservation(ctx, held.ID, stockledger.HoldUntil(later))
	if err != nil || extended.ExpiresAt.Sub(later).Abs() > time.Second {
		t.Fatalf("extend: %+v %v", extended, err)
	}
	commit := stockledger.CommitOptions{
		Lines:          []stockledger.CommitLine{{Line: 0, Quantity: stockledger.MustDecimal("1")}},
		TotalPrice:     &stockledger.Money{Amount: stockledger.MustDecimal("9.50"), Currency: "EUR"},
		IdempotencyKey: "commit-" + run,
	}
	for range 2 {
		committed, err := c.CommitReservation(ctx, held.ID, commit)
		if err != nil {
			t.Fatal(err)
		}
		if committed.State != pb.ReservationState_RESERVATION_STATE_HELD || committed.Lines[0].CommittedQuantity.String() != "1" || committed.Lines[0].HeldQuantity.String() != "1" {
			t.Fatalf("committed %+v", committed)
		}
	}
	released, err := c.ReleaseReservation(ctx, held.ID)
	if err != nil {
		t.Fatal(err)
	}
	if l := released.Lines[0]; released.State != pb.ReservationState_RESERVATION_STATE_RELEASED ||
		l.CommittedQuantity.String() != "1" || l.ReleasedQuantity.String() != "1" || l.HeldQuantity.String() != "0" {
		t.Fatalf("released %+v", released)
	}
	counts, err := c.RetrieveInventoryCount(ctx, itemID)
	if err != nil {
		t.Fatal(err)
	}
	for _, count := range counts {
		if (count.State == inStock && count.Quantity.String() != "2") ||
			(count.State == pb.InventoryState_INVENTORY_STATE_RESERVED_FOR_SALE && !count.Quantity.IsZero()) {
			t.Fatalf("counts %+v", counts)
		}
	}

	// Nothing is held any more.
	_, err = c.CommitReservation(ctx, held.ID, stockledger.CommitOptions{})
	if !errors.As(err, &refused) || !refused.IsReservationNotHeld() || refused.IsReservationExpired() {
		t.Fatalf("expected not held, got %v", err)
	}
	if state, ok := refused.ReservationState(); !ok || state != pb.ReservationState_RESERVATION_STATE_RELEASED {
		t.Fatalf("state %v %v", state, ok)
	}
	if _, err = c.ExtendReservation(ctx, held.ID, stockledger.HoldFor(time.Minute)); !errors.As(err, &refused) || !refused.IsReservationNotHeld() {
		t.Fatalf("expected not held, got %v", err)
	}

	// A 1-second hold expires by itself.
	brief, err := c.CreateReservation(ctx, stockledger.ReservationRequest{Lines: line("0.5"), Hold: stockledger.HoldFor(time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2500 * time.Millisecond)
	expired, err := c.GetReservation(ctx, brief.ID)
	if err != nil || expired.State != pb.ReservationState_RESERVATION_STATE_EXPIRED || expired.Lines[0].ReleasedQuantity.String() != "0.5" {
		t.Fatalf("expired %+v %v", expired, err)
	}
	_, err = c.CommitReservation(ctx, brief.ID, stockledger.CommitOptions{})
	if state, ok := stockledger.AsError(err).ReservationState(); !ok || state != pb.ReservationState_RESERVATION_STATE_EXPIRED {
		t.Fatalf("late commit: %v", err)
	}

	// Exactly one of TTL and ExpiresAt.
	if _, err := c.ExtendReservation(ctx, held.ID, stockledger.Hold{}); err == nil {
		t.Fatal("an empty Hold was accepted")
	}
}

func TestListReservations(t *testing.T) {
	c, ctx := live(t)
	locationID, itemID := shop(t, c, ctx)
	if _, err := c.BatchChangeInventory(ctx, "", stockledger.Adjustment(itemID, locationID, none, inStock, stockledger.MustDecimal("10"))); err != nil {
		t.Fatal(err)
	}
	run := unique()

	// Three held reservations, each with its own reference id; the second is released.
	var refs, ids []string
	for n := range 3 {
		ref := "order-" + run + "-" + string(rune('a'+n))
		created, err := c.CreateReservation(ctx, stockledger.ReservationRequest{
			Lines:       []stockledger.ReservationLine{{CatalogObjectID: itemID, LocationID: locationID, Quantity: stockledger.MustDecimal("1")}},
			Hold:        stockledger.HoldFor(5 * time.Minute),
			ReferenceID: ref,
		})
		must(t, err)
		refs, ids = append(refs, ref), append(ids, created.ID)
	}
	released, err := c.ReleaseReservation(ctx, ids[1])
	must(t, err)
	if released.State != pb.ReservationState_RESERVATION_STATE_RELEASED {
		t.Fatalf("released %+v", released)
	}

	// list collects the ids ListReservations yields; ours keeps this test's, in order.
	list := func(opts stockledger.ListReservationsOptions) []string {
		t.Helper()
		var got []string
		for reservation, err := range c.ListReservations(ctx, opts) {
			must(t, err)
			got = append(got, reservation.ID)
		}
		return got
	}
	ours := func(got []string) []string {
		var mine []string
		for _, id := range got {
			if slices.Contains(ids, id) {
				mine = append(mine, id)
			}
		}
		return mine
	}

	// Every reservation, two a page (the file's other reservations are the merchant's too).
	first, err := c.Reservations.ListReservations(ctx, &pb.ListReservationsRequest{Limit: 2})
	must(t, err)
	if len(first.GetReservations()) != 2 || first.GetCursor() == "" {
		t.Fatalf("first page of 2: %d reservations, cursor %q", len(first.GetReservations()), first.GetCursor())
	}
	all := list(stockledger.ListReservationsOptions{PageSize: 2})
	if len(all) < 3 || all[0] != first.GetReservations()[0].GetId() || all[1] != first.GetReservations()[1].GetId() {
		t.Fatalf("all = %v, first page %v", all, first.GetReservations())
	}
	seen := map[string]bool{}
	for _, id := range all {
		if seen[id] {
			t.Fatalf("%s listed twice in %v", id, all)
		}
		seen[id] = true
	}
	if got := ours(all); !slices.Equal(got, ids) {
		t.Fatalf("all: ours = %v, want %v", got, ids)
	}

	// By state, and by reference id.
	held := pb.ReservationState_RESERVATION_STATE_HELD
	releasedState := pb.ReservationState_RESERVATION_STATE_RELEASED
	if got, want := ours(list(stockledger.ListReservationsOptions{State: held, PageSize: 2})), []string{ids[0], ids[2]}; !slices.Equal(got, want) {
		t.Fatalf("held = %v, want %v", got, want)
	}
	if got, want := ours(list(stockledger.ListReservationsOptions{State: releasedState, PageSize: 2})), []string{ids[1]}; !slices.Equal(got, want) {
		t.Fatalf("released = %v, want %v", got, want)
	}
	var byReference []stockledger.Reservation
	for reservation, err := range c.ListReservations(ctx, stockledger.ListReservationsOptions{ReferenceID: refs[1]}) {
		must(t, err)
		byReference = append(byReference, reservation)
	}
	if len(byReference) != 1 || byReference[0].ID != ids[1] || byReference[0].State != releasedState ||
		byReference[0].ReferenceID != refs[1] || !byReference[0].UpdatedAt.Equal(released.UpdatedAt) ||
		byReference[0].Lines[0].ReleasedQuantity.String() != "1" {
		t.Fatalf("by reference id: %+v, want %+v", byReference, released)
	}
	if got, want := list(stockledger.ListReservationsOptions{ReferenceID: refs[2], State: held}), []string{ids[2]}; !slices.Equal(got, want) {
		t.Fatalf("held with %s = %v, want %v", refs[2], got, want)
	}
	if got := list(stockledger.ListReservationsOptions{ReferenceID: refs[2], State: releasedState}); len(got) != 0 {
		t.Fatalf("released with %s = %v, want none", refs[2], got)
	}

	// A refused page ends the sequence with an *Error.
	var refusals int
	for _, err := range c.ListReservations(ctx, stockledger.ListReservationsOptions{PageSize: 251}) {
		var refused *stockledger.Error
		if !errors.As(err, &refused) || refused.Code != codes.InvalidArgument {
			t.Fatalf("page size 251: %v", err)
		}
		refusals++
	}
	if refusals != 1 {
		t.Fatalf("%d refusals, want 1", refusals)
	}
}

func TestAdjustmentReasons(t *testing.T) {
	c, ctx := live(t)
	locationID, itemID := shop(t, c, ctx)
	name := "Found in the back room " + unique()
	increase := stockledger.ReasonIncrease
	custom := pb.InventoryAdjustmentReasonType_INVENTORY_ADJUSTMENT_REASON_TYPE_CUSTOM
	damaged := stockledger.ReasonID(pb.InventoryAdjustmentReasonType_INVENTORY_ADJUSTMENT_REASON_TYPE_DAMAGED)

	reason, err := c.CreateInventoryAdjustmentReason(ctx, "", name, increase)
	must(t, err)
	id := reason.ID
	if id.GetType() != custom || id.GetCustomReasonId() == "" || reason.Name != name ||
		reason.Direction != increase || reason.Deleted || reason.CreatedAt.IsZero() {
		t.Fatalf("created %v", reason)
	}
	// Listed with the standard reasons, and retrievable.
	listedIDs := func(opts stockledger.ListReasonsOptions) (custom []string, standard []pb.InventoryAdjustmentReasonType) {
		t.Helper()
		reasons, err := c.ListInventoryAdjustmentReasons(ctx, opts)
		must(t, err)
		for _, r := range reasons {
			if r.ID.GetCustomReasonId() != "" {
				custom = append(custom, r.ID.GetCustomReasonId())
			} else {
				standard = append(standard, r.ID.GetType())
			}
		}
		return custom, standard
	}
	customIDs, standard := listedIDs(stockledger.ListReasonsOptions{})
	if !slices.Contains(customIDs, id.GetCustomReasonId()) || !slices.Contains(standard, damaged.GetType()) {
		t.Errorf("listed custom %v standard %v: want %s and DAMAGED among them", customIDs, standard, id.GetCustomReasonId())
	}
	retrieved, err := c.RetrieveInventoryAdjustmentReason(ctx, id)
	must(t, err)
	if !proto.Equal(retrieved.ID, reason.ID) || retrieved.Name != reason.Name || retrieved.Direction != reason.Direction ||
		retrieved.Deleted || !retrieved.CreatedAt.Equal(reason.CreatedAt) || !retrieved.UpdatedAt.Equal(reason.UpdatedAt) {
		t.Errorf("retrieved %v, want %v", retrieved, reason)
	}

	// A receipt carrying the reason, a cost and a vendor is answered with them.
	vendor := "vendor-" + unique()
	received, err := c.BatchChangeInventory(ctx, "",
		stockledger.Adjustment(itemID, locationID, none, inStock, stockledger.DecimalFromInt(7),
			stockledger.WithReason(id), stockledger.WithCost(stockledger.MustDecimal("12.50"), "EUR"), stockledger.WithVendor(vendor)),
		stockledger.Adjustment(itemID, locationID, inStock, waste, stockledger.DecimalFromInt(1), stockledger.WithReason(damaged)))
	must(t, err)
	receipt := received.Changes[0]
	if !proto.Equal(receipt.ReasonID, id) || receipt.VendorID != vendor || receipt.Cost == nil ||
		receipt.Cost.Amount.String() != "12.5" || receipt.Cost.Currency != "EUR" {
		t.Errorf("receipt answered as %+v", receipt)
	}
	wasted := received.Changes[1]
	if !proto.Equal(wasted.ReasonID, damaged) {
		t.Errorf("waste's reason %v, want DAMAGED", wasted.ReasonID)
	}

	// The history filtered by the reason: exactly that change, on both reads.
	var filtered []string
	for change, err := range c.InventoryChanges(ctx, &pb.BatchRetrieveInventoryChangesRequest{
		CatalogObjectIds: []string{itemID}, ReasonIds: []*pb.InventoryAdjustmentReasonId{id},
	}) {
		must(t, err)
		filtered = append(filtered, change.ID)
	}
	if !slices.Equal(filtered, []string{receipt.ID}) {
		t.Errorf("history by reason %v, want [%s]", filtered, receipt.ID)
	}
	stream, err := c.StreamInventoryChanges(ctx, &pb.StreamInventoryChangesRequest{
		CatalogObjectIds: []string{itemID}, ReasonIds: []*pb.InventoryAdjustmentReasonId{id},
	})
	must(t, err)
	var streamed []string
	for item, err := range stream.All() {
		must(t, err)
		streamed = append(streamed, item.Change.ID)
		if !proto.Equal(item.Change.ReasonID, id) || item.Change.Cost == nil || item.Change.Cost.Amount.String() != "12.5" {
			t.Errorf("streamed receipt %+v lost its reason or cost", item.Change)
		}
	}
	if !slices.Equal(streamed, []string{receipt.ID}) {
		t.Errorf("stream by reason %v, want [%s]", streamed, receipt.ID)
	}

	renamed, err := c.UpdateInventoryAdjustmentReason(ctx, id, name+" (renamed)")
	must(t, err)
	if renamed.Name != name+" (renamed)" || renamed.Direction != increase {
		t.Errorf("renamed %v", renamed)
	}

	// Deleted: no longer listed, and a new change naming it is refused.
	deleted, err := c.DeleteInventoryAdjustmentReason(ctx, id)
	must(t, err)
	if !deleted.Deleted {
		t.Errorf("deleted %v", deleted)
	}
	if customIDs, _ := listedIDs(stockledger.ListReasonsOptions{}); slices.Contains(customIDs, id.GetCustomReasonId()) {
		t.Errorf("a deleted reason is listed: %v", customIDs)
	}
	if customIDs, _ := listedIDs(stockledger.ListReasonsOptions{IncludeDeleted: true}); !slices.Contains(customIDs, id.GetCustomReasonId()) {
		t.Errorf("IncludeDeleted does not list it: %v", customIDs)
	}
	_, err = c.BatchChangeInventory(ctx, "", stockledger.Adjustment(itemID, locationID, none, inStock, stockledger.DecimalFromInt(1), stockledger.WithReason(id)))
	if refused := refusal(t, err); refused.Code != codes.InvalidArgument || refused.Reason != "ADJUSTMENT_REASON_DELETED" {
		t.Errorf("a change naming a deleted reason: %v, want InvalidArgument ADJUSTMENT_REASON_DELETED", err)
	}
	_, err = c.UpdateInventoryAdjustmentReason(ctx, id, name+" again")
	if stale := refusal(t, err); stale.Code != codes.FailedPrecondition {
		t.Errorf("renaming a deleted reason: %v, want FailedPrecondition", err)
	}
	counts, err := c.RetrieveInventoryCount(ctx, itemID)
	must(t, err)
	if got, want := quantities(t, counts), []stateQuantity{{inStock, "6"}, {waste, "1"}}; !slices.Equal(got, want) {
		t.Errorf("counts %v, want %v", got, want)
	}

	// Restored: accepted again.
	restored, err := c.RestoreInventoryAdjustmentReason(ctx, id)
	must(t, err)
	if restored.Deleted || restored.Name != name+" (renamed)" {
		t.Errorf("restored %v", restored)
	}
	again, err := c.BatchChangeInventory(ctx, "", stockledger.Adjustment(itemID, locationID, none, inStock, stockledger.DecimalFromInt(1), stockledger.WithReason(id)))
	must(t, err)
	if got := again.Changes[0].ReasonID; !proto.Equal(got, id) {
		t.Errorf("after restore the change carries %v, want %v", got, id)
	}
	if got, want := quantities(t, again.Counts), []stateQuantity{{inStock, "7"}}; !slices.Equal(got, want) {
		t.Errorf("counts after restore %v, want %v", got, want)
	}
}
