// Low-stock alerts (docs/alerts.md): reorder points of items at locations as ReorderPoint
// values, and the WatchInventoryAlerts feed as typed Alert values.

package stockledger

import (
	"context"
	"iter"
	"time"

	pb "github.com/stockledger/stockledger/clients/go/stockledgerv1"
)

// ReorderPoint is the reorder point of an item at a location: its IN_STOCK count there is
// low at or below Point.
type ReorderPoint struct {
	CatalogObjectID string
	LocationID      string
	Point           Decimal
	UpdatedAt       time.Time
}

// ReorderPointOf converts a reorder point from the wire.
func ReorderPointOf(p *pb.InventoryReorderPoint) (ReorderPoint, error) {
	point, _, err := parseWire(p.GetReorderPoint())
	if err != nil {
		return ReorderPoint{}, err
	}
	return ReorderPoint{
		CatalogObjectID: p.GetCatalogObjectId(), LocationID: p.GetLocationId(),
		Point: point, UpdatedAt: Time(p.GetUpdatedAt()),
	}, nil
}

// ReorderPointSet is what SetInventoryReorderPoint answered.
type ReorderPointSet struct {
	ReorderPoint ReorderPoint
	// Quantity is the IN_STOCK quantity now; nil when the count does not exist (read as 0).
	Quantity *Decimal
	// Low tells whether that quantity is at or below the point now.
	Low bool
}

// SetInventoryReorderPoint sets (creates or replaces) the reorder point of an item at a
// location. Setting it raises no alert; the answer tells whether the count is low now.
func (c *Client) SetInventoryReorderPoint(ctx context.Context, catalogObjectID, locationID string, point Decimal) (ReorderPointSet, error) {
	resp, err := c.Inventory.SetInventoryReorderPoint(ctx, &pb.SetInventoryReorderPointRequest{
		CatalogObjectId: catalogObjectID, LocationId: locationID, ReorderPoint: point.String(),
	})
	if err != nil {
		return ReorderPointSet{}, err
	}
	stored, err := ReorderPointOf(resp.GetReorderPoint())
	if err != nil {
		return ReorderPointSet{}, err
	}
	set := ReorderPointSet{ReorderPoint: stored, Low: resp.GetLow()}
	quantity, exists, err := parseWire(resp.GetQuantity())
	if err != nil {
		return ReorderPointSet{}, err
	}
	if exists {
		set.Quantity = &quantity
	}
	return set, nil
}

// DeleteInventoryReorderPoint deletes the reorder point of an item at a location (an
// *Error with code NOT_FOUND when none is set).
func (c *Client) DeleteInventoryReorderPoint(ctx context.Context, catalogObjectID, locationID string) error {
	_, err := c.Inventory.DeleteInventoryReorderPoint(ctx, &pb.DeleteInventoryReorderPointRequest{
		CatalogObjectId: catalogObjectID, LocationId: locationID,
	})
	return err
}

// ListReorderPointsOptions are what ListInventoryReorderPoints sends; the zero value lists
// every reorder point, 100 a page.
type ListReorderPointsOptions struct {
	CatalogObjectIDs []string
	LocationIDs      []string
	// PageSize is how many points each call reads (1–1000); 0 means the server's default.
	PageSize int32
}

// ListInventoryReorderPoints yields every reorder point, by item then location, page after
// page; a failed page ends the sequence with its error.
func (c *Client) ListInventoryReorderPoints(ctx context.Context, opts ListReorderPointsOptions) iter.Seq2[ReorderPoint, error] {
	return func(yield func(ReorderPoint, error) bool) {
		req := &pb.ListInventoryReorderPointsRequest{
			CatalogObjectIds: opts.CatalogObjectIDs, LocationIds: opts.LocationIDs, Limit: opts.PageSize,
		}
		for {
			resp, err := c.Inventory.ListInventoryReorderPoints(ctx, req)
			if err != nil {
				yield(ReorderPoint{}, err)
				return
			}
			for _, wire := range resp.GetReorderPoints() {
				point, err := ReorderPointOf(wire)
				if !yield(point, err) || err != nil {
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

// Alert is a crossing of an IN_STOCK count over its reorder point: Kind LOW (to or below
// it) or RECOVERED (back above it), made by change ChangeID.
type Alert struct {
	CatalogObjectID string
	LocationID      string
	Kind            pb.InventoryAlertKind
	Quantity        Decimal
	ReorderPoint    Decimal
	ChangeID        string
	OccurredAt      time.Time
	CalculatedAt    time.Time
}

// AlertOf converts an alert from the wire.
func AlertOf(a *pb.InventoryAlert) (Alert, error) {
	quantity, _, err := parseWire(a.GetQuantity())
	if err != nil {
		return Alert{}, err
	}
	point, _, err := parseWire(a.GetReorderPoint())
	if err != nil {
		return Alert{}, err
	}
	return Alert{
		CatalogObjectID: a.GetCatalogObjectId(), LocationID: a.GetLocationId(), Kind: a.GetKind(),
		Quantity: quantity, ReorderPoint: point, ChangeID: a.GetChangeId(),
		OccurredAt: Time(a.GetOccurredAt()), CalculatedAt: Time(a.GetCalculatedAt()),
	}, nil
}

// WatchedAlert is one item of WatchInventoryAlerts: an alert, the sequence of the change
// that caused it and the token that resumes right after it.
type WatchedAlert struct {
	Alert       Alert
	Sequence    uint64
	ResumeToken string
}

// WatchInventoryAlerts opens the live feed of low-stock alerts; same start and resume
// rules as WatchInventoryChanges.
func (c *Client) WatchInventoryAlerts(ctx context.Context, req *pb.WatchInventoryAlertsRequest) (*Stream[WatchedAlert], error) {
	return open(ctx, c.Inventory.WatchInventoryAlerts, req, func(msg *pb.WatchInventoryAlertsResponse) (WatchedAlert, error) {
		alert, err := AlertOf(msg.GetAlert())
		if err != nil {
			return WatchedAlert{}, err
		}
		return WatchedAlert{Alert: alert, Sequence: msg.GetSequence(), ResumeToken: msg.GetResumeToken()}, nil
	})
}
