// The README's reservations as a program: a shop with 3 mugs holds 2 for a cart, is
// refused a second hold of 2 (only 1 available), sells 1 of the 2 held, releases the
// other, lists the cart's reservation by its reference id, and is refused a commit of a
// reservation that holds nothing. Fresh names on every run, so it runs again and again
// on the same server:
//
//	STOCKLEDGER_TOKEN=... go run ./examples/reservations   # STOCKLEDGER_ADDR defaults to 127.0.0.1:50051
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	stockledger "github.com/stockledger/stockledger/clients/go"
	"github.com/stockledger/stockledger/clients/go/stockledgerv1"
)

func main() {
	addr := os.Getenv("STOCKLEDGER_ADDR")
	if addr == "" {
		addr = "127.0.0.1:50051"
	}
	ctx := context.Background()
	c, err := stockledger.Dial(addr, os.Getenv("STOCKLEDGER_TOKEN"))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	var random [4]byte
	_, _ = rand.Read(random[:])
	run := hex.EncodeToString(random[:])
	loc, err := c.CreateLocation(ctx, "Web Shop "+run)
	if err != nil {
		log.Fatal(err)
	}
	item, err := c.CreateInventoryItem(ctx, &stockledgerv1.InventoryItem{Sku: "MUG-" + run})
	if err != nil {
		log.Fatal(err)
	}
	_, err = c.BatchChangeInventory(ctx, "", stockledger.Adjustment(item.Id, loc.Id,
		stockledgerv1.InventoryState_INVENTORY_STATE_NONE, stockledgerv1.InventoryState_INVENTORY_STATE_IN_STOCK, stockledger.MustDecimal("3")))
	if err != nil {
		log.Fatal(err)
	}

	lines := []stockledger.ReservationLine{{CatalogObjectID: item.Id, LocationID: loc.Id, Quantity: stockledger.MustDecimal("2")}}
	cart, err := c.CreateReservation(ctx, stockledger.ReservationRequest{
		Lines: lines, Hold: stockledger.HoldFor(15 * time.Minute), ReferenceID: "cart-" + run,
	})
	if err != nil {
		log.Fatal(err)
	}
	_, err = c.CreateReservation(ctx, stockledger.ReservationRequest{Lines: lines, Hold: stockledger.HoldFor(15 * time.Minute)})
	var refused *stockledger.Error
	if !errors.As(err, &refused) || !refused.IsInsufficientQuantity() {
		log.Fatalf("expected an insufficient quantity, got %v", err)
	}
	available, _ := refused.AvailableQuantity()
	fmt.Println(refused.Metadata["field"], "has only", available) // lines[0].quantity has only 1

	// Sell 1 of the 2, give the other back.
	if _, err = c.CommitReservation(ctx, cart.ID, stockledger.CommitOptions{
		Lines: []stockledger.CommitLine{{Line: 0, Quantity: stockledger.MustDecimal("1")}},
	}); err != nil {
		log.Fatal(err)
	}
	if cart, err = c.ReleaseReservation(ctx, cart.ID); err != nil {
		log.Fatal(err)
	}
	fmt.Println(cart.State, cart.Lines[0].CommittedQuantity, cart.Lines[0].ReleasedQuantity) // RESERVATION_STATE_RELEASED 1 1
	for r, err := range c.ListReservations(ctx, stockledger.ListReservationsOptions{ReferenceID: "cart-" + run}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(r.ID == cart.ID, r.State) // true RESERVATION_STATE_RELEASED
	}

	_, err = c.CommitReservation(ctx, cart.ID, stockledger.CommitOptions{})
	if !errors.As(err, &refused) || !refused.IsReservationNotHeld() {
		log.Fatalf("expected a reservation that holds nothing, got %v", err)
	}
	state, _ := refused.ReservationState()
	fmt.Println(refused.Reason, state) // RESERVATION_NOT_HELD RESERVATION_STATE_RELEASED
}
