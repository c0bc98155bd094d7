// Inventory items: the goods whose stock the ledger tracks, as InventoryItem values (cost
// a Decimal, time.Time times), created, read, listed page after page and updated through
// the Client.

package stockledger

import (
	"context"
	"iter"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	pb "github.com/stockledger/stockledger/clients/go/stockledgerv1"
)

// CountryHarmonizedSystemCode is the HS code that applies when an item is shipped into
// one country.
type CountryHarmonizedSystemCode struct {
	HarmonizedSystemCode string
	CountryCode          string
}

// InventoryItem is a physical good whose stock is tracked per location and state; its ID
// is the catalog object id of changes and counts.
type InventoryItem struct {
	ID string
	// SKU may be empty and is not unique.
	SKU string
	// Cost is the unit cost; nil when the item has none.
	Cost                         *Decimal
	CountryCodeOfOrigin          string
	ProvinceCodeOfOrigin         string
	HarmonizedSystemCode         string
	CountryHarmonizedSystemCodes []CountryHarmonizedSystemCode
	// Tracked: changes for an untracked item are refused.
	Tracked          bool
	RequiresShipping bool
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// InventoryItemOf converts an item from the wire (an error only for a cost that is no
// decimal, which the server never sends).
func InventoryItemOf(i *pb.InventoryItem) (InventoryItem, error) {
	out := InventoryItem{
		ID: i.GetId(), SKU: i.GetSku(), CountryCodeOfOrigin: i.GetCountryCodeOfOrigin(),
		ProvinceCodeOfOrigin: i.GetProvinceCodeOfOrigin(), HarmonizedSystemCode: i.GetHarmonizedSystemCode(),
		Tracked: i.GetTracked(), RequiresShipping: i.GetRequiresShipping(),
		CreatedAt: Time(i.GetCreatedAt()), UpdatedAt: Time(i.GetUpdatedAt()),
	}
	cost, ok, err := parseWire(i.GetCost())
	if err != nil {
		return InventoryItem{}, err
	}
	if ok {
		out.Cost = &cost
	}
	for _, code := range i.GetCountryHarmonizedSystemCodes() {
		out.CountryHarmonizedSystemCodes = append(out.CountryHarmonizedSystemCodes,
			CountryHarmonizedSystemCode{HarmonizedSystemCode: code.GetHarmonizedSystemCode(), CountryCode: code.GetCountryCode()})
	}
	return out, nil
}

func inventoryItemOf(i *pb.InventoryItem, err error) (InventoryItem, error) {
	if err != nil {
		return InventoryItem{}, err
	}
	return InventoryItemOf(i)
}

// ItemFields are an item's writable fields. CreateInventoryItem sends the ones that are
// set (non-nil) and leaves the others to the server's defaults (no SKU, no cost, tracked,
// requires shipping); UpdateInventoryItem changes exactly the ones that are set.
// new("MUG-RED") and new(false) make the pointers; an empty value clears a field (new(""),
// a non-nil empty CountryHarmonizedSystemCodes).
type ItemFields struct {
	SKU                          *string
	Cost                         *Decimal
	CountryCodeOfOrigin          *string
	ProvinceCodeOfOrigin         *string
	HarmonizedSystemCode         *string
	CountryHarmonizedSystemCodes []CountryHarmonizedSystemCode // nil: not set
	Tracked                      *bool
	RequiresShipping             *bool
}

// wire is the item with the set fields and their field mask paths.
func (f ItemFields) wire() (*pb.InventoryItem, []string) {
	item := &pb.InventoryItem{Tracked: f.Tracked, RequiresShipping: f.RequiresShipping}
	var paths []string
	text := func(value *string, target *string, path string) {
		if value != nil {
			*target, paths = *value, append(paths, path)
		}
	}
	text(f.SKU, &item.Sku, "sku")
	if f.Cost != nil {
		item.Cost, paths = f.Cost.String(), append(paths, "cost")
	}
	text(f.CountryCodeOfOrigin, &item.CountryCodeOfOrigin, "country_code_of_origin")
	text(f.ProvinceCodeOfOrigin, &item.ProvinceCodeOfOrigin, "province_code_of_origin")
	text(f.HarmonizedSystemCode, &item.HarmonizedSystemCode, "harmonized_system_code")
	if f.CountryHarmonizedSystemCodes != nil {
		item.CountryHarmonizedSystemCodes = []*pb.CountryHarmonizedSystemCode{}
		for _, code := range f.CountryHarmonizedSystemCodes {
			item.CountryHarmonizedSystemCodes = append(item.CountryHarmonizedSystemCodes,
				&pb.CountryHarmonizedSystemCode{HarmonizedSystemCode: code.HarmonizedSystemCode, CountryCode: code.CountryCode})
		}
		paths = append(paths, "country_harmonized_system_codes")
	}
	if f.Tracked != nil {
		paths = append(paths, "tracked")
	}
	if f.RequiresShipping != nil {
		paths = append(paths, "requires_shipping")
	}
	return item, paths
}

// CreateInventoryItem creates an item with the fields that are set.
func (c *Client) CreateInventoryItem(ctx context.Context, fields ItemFields) (InventoryItem, error) {
	item, _ := fields.wire()
	resp, err := c.Items.CreateInventoryItem(ctx, &pb.CreateInventoryItemRequest{InventoryItem: item})
	return inventoryItemOf(resp.GetInventoryItem(), err)
}

// GetInventoryItem reads one item (an *Error with code NOT_FOUND if the caller has none
// with that id).
func (c *Client) GetInventoryItem(ctx context.Context, id string) (InventoryItem, error) {
	resp, err := c.Items.GetInventoryItem(ctx, &pb.GetInventoryItemRequest{Id: id})
	return inventoryItemOf(resp.GetInventoryItem(), err)
}

// BatchGetInventoryItems reads up to 100 items by id, in the order of ids (duplicates
// once); an id that names no item of the caller is left out.
func (c *Client) BatchGetInventoryItems(ctx context.Context, ids ...string) ([]InventoryItem, error) {
	resp, err := c.Items.BatchGetInventoryItems(ctx, &pb.BatchGetInventoryItemsRequest{Ids: ids})
	if err != nil {
		return nil, err
	}
	items := make([]InventoryItem, 0, len(resp.GetInventoryItems()))
	for _, wire := range resp.GetInventoryItems() {
		item, err := InventoryItemOf(wire)
		if err != nil {
			return nil, err
		}
		items = append(items, item)
	}
	return items, nil
}

// ListInventoryItemsOptions are what ListInventoryItems sends; the zero value lists every
// item, 50 a page.
type ListInventoryItemsOptions struct {
	// SKU: only the items with exactly this SKU; empty means any.
	SKU string
	// UpdatedAfter: only items updated strictly later; the zero time means any.
	UpdatedAfter time.Time
	// IDs: only these items (at most 100); empty means all.
	IDs []string
	// PageSize is how many items each call reads (1–250); 0 means the server's default.
	PageSize int32
}

// ListInventoryItems yields every item that matches opts, oldest first, page after page;
// a failed page ends the sequence with its error.
func (c *Client) ListInventoryItems(ctx context.Context, opts ListInventoryItemsOptions) iter.Seq2[InventoryItem, error] {
	return func(yield func(InventoryItem, error) bool) {
		req := &pb.ListInventoryItemsRequest{
			Limit: opts.PageSize, Sku: opts.SKU, UpdatedAfter: Timestamp(opts.UpdatedAfter), Ids: opts.IDs,
		}
		for {
			resp, err := c.Items.ListInventoryItems(ctx, req)
			if err != nil {
				yield(InventoryItem{}, err)
				return
			}
			for _, wire := range resp.GetInventoryItems() {
				item, err := InventoryItemOf(wire)
				if !yield(item, err) || err != nil {
					return
				}
			}
			if resp.GetCursor() == "" {
				return
			}
			req.Cursor = resp.GetCursor()
		}
	}
}

// UpdateInventoryItem changes exactly the fields that are set (an update that sets none is
// refused locally: MISSING_REQUIRED_PARAMETER on update_mask). It answers the item as
// stored.
func (c *Client) UpdateInventoryItem(ctx context.Context, id string, fields ItemFields) (InventoryItem, error) {
	item, paths := fields.wire()
	if len(paths) == 0 {
		return InventoryItem{}, refuse(codes.InvalidArgument, ReasonMissingRequiredParameter, "update_mask",
			"the update sets no field", nil)
	}
	item.Id = id
	resp, err := c.Items.UpdateInventoryItem(ctx, &pb.UpdateInventoryItemRequest{
		InventoryItem: item, UpdateMask: &fieldmaskpb.FieldMask{Paths: paths},
	})
	return inventoryItemOf(resp.GetInventoryItem(), err)
}
