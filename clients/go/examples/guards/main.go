// The README's guarded changes as a program: a web shop that forbids negative counts
// receives 5 only if the count does not exist yet, then tries a sale that expects 4 on the
// shelf (refused: there are 5) and a sale of 6 (refused: only 5 available). Fresh names on
// every run, so it runs again and again on the same server:
//
//	STOCKLEDGER_TOKEN=... go run ./examples/guards   # STOCKLEDGER_ADDR defaults to 127.0.0.1:50051
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log"
	"os"

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
	loc, err := c.CreateLocation(ctx, "Web Shop "+run, stockledger.WithForbidNegativeCounts(true))
	if err != nil {
		log.Fatal(err)
	}
	item, err := c.CreateInventoryItem(ctx, &stockledgerv1.InventoryItem{Sku: "MUG-" + run})
	if err != nil {
		log.Fatal(err)
	}
	none, inStock, sold := stockledgerv1.InventoryState_INVENTORY_STATE_NONE,
		stockledgerv1.InventoryState_INVENTORY_STATE_IN_STOCK, stockledgerv1.InventoryState_INVENTORY_STATE_SOLD

	_, err = c.BatchChangeInventory(ctx, "",
		stockledger.Adjustment(item.Id, loc.Id, none, inStock, stockledger.MustDecimal("5"), stockledger.ExpectAbsent()))
	if err != nil {
		log.Fatal(err)
	}
	// Sell 2, but only if the shelf still holds the 4 we saw.
	_, err = c.BatchChangeInventory(ctx, "",
		stockledger.Adjustment(item.Id, loc.Id, inStock, sold, stockledger.MustDecimal("2"), stockledger.ExpectQuantity(stockledger.MustDecimal("4"))))
	var refused *stockledger.Error
	if !errors.As(err, &refused) || !refused.IsQuantityMismatch() {
		log.Fatalf("expected a quantity mismatch, got %v", err)
	}
	actual, _ := refused.ActualQuantity()
	fmt.Println(refused.Metadata["field"], "is actually", actual) // changes[0].expected_quantity is actually 5

	_, err = c.BatchChangeInventory(ctx, "",
		stockledger.Adjustment(item.Id, loc.Id, inStock, sold, stockledger.MustDecimal("6")))
	if !errors.As(err, &refused) || !refused.IsInsufficientQuantity() {
		log.Fatalf("expected an insufficient quantity, got %v", err)
	}
	available, _ := refused.AvailableQuantity()
	count, _ := refused.GuardedCount()
	fmt.Println(count.State, "has only", available) // INVENTORY_STATE_IN_STOCK has only 5
}
