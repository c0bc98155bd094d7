// The README's quick start as a program: creates a location and an item, receives 100 and
// sells 3 in one batch, and prints the count. Needs a running server:
//
//	STOCKLEDGER_TOKEN=... go run ./examples/quickstart   # STOCKLEDGER_ADDR defaults to 127.0.0.1:50051
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
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
	// Names are unique per merchant: a fresh suffix lets the program run again on the same server.
	var random [4]byte
	_, _ = rand.Read(random[:])
	run := hex.EncodeToString(random[:])
	loc, err := c.CreateLocation(ctx, "Quick Start Shop "+run)
	if err != nil {
		log.Fatal(err)
	}
	item, err := c.CreateInventoryItem(ctx, &stockledgerv1.InventoryItem{Sku: "QUICK-START-MUG-" + run})
	if err != nil {
		log.Fatal(err)
	}
	none, inStock, sold := stockledgerv1.InventoryState_INVENTORY_STATE_NONE,
		stockledgerv1.InventoryState_INVENTORY_STATE_IN_STOCK, stockledgerv1.InventoryState_INVENTORY_STATE_SOLD
	if _, err := c.BatchChangeInventory(ctx, "",
		stockledger.Adjustment(item.Id, loc.Id, none, inStock, stockledger.MustDecimal("100")),
		stockledger.Adjustment(item.Id, loc.Id, inStock, sold, stockledger.MustDecimal("3"))); err != nil {
		log.Fatal(err)
	}
	counts, err := c.RetrieveInventoryCount(ctx, item.Id)
	if err != nil {
		log.Fatal(err)
	}
	for _, count := range counts {
		fmt.Println(count.State, count.Quantity) // INVENTORY_STATE_IN_STOCK 97
	}
}
