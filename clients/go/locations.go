// Locations: the places that hold stock, as Location values (time.Time times, typed
// status), created, read, listed page after page and updated through the Client.

package stockledger

import (
	"context"
	"iter"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	pb "github.com/stockledger/stockledger/clients/go/stockledgerv1"
)

// A location's status: active locations accept inventory changes, inactive ones keep
// their counts and history readable but refuse new changes (reason LOCATION_INACTIVE).
const (
	LocationActive   = pb.LocationStatus_LOCATION_STATUS_ACTIVE
	LocationInactive = pb.LocationStatus_LOCATION_STATUS_INACTIVE
)

// Location is a place that holds stock.
type Location struct {
	ID   string
	Name string
	// Status is LocationActive or LocationInactive.
	Status      pb.LocationStatus
	Description string
	// ForbidNegativeCounts: a batch that does not decide itself may not leave a count of
	// this location that it lowers below zero.
	ForbidNegativeCounts bool
	CreatedAt            time.Time
	UpdatedAt            time.Time
}

// LocationOf converts a location from the wire.
func LocationOf(l *pb.Location) Location {
	return Location{
		ID: l.GetId(), Name: l.GetName(), Status: l.GetStatus(), Description: l.GetDescription(),
		ForbidNegativeCounts: l.GetForbidNegativeCounts(),
		CreatedAt:            Time(l.GetCreatedAt()), UpdatedAt: Time(l.GetUpdatedAt()),
	}
}

func locationOf(l *pb.Location, err error) (Location, error) {
	if err != nil {
		return Location{}, err
	}
	return LocationOf(l), nil
}

// LocationOption sets an optional field of a location to create.
type LocationOption func(*pb.Location)

// WithForbidNegativeCounts sets the location's forbid_negative_counts: a batch that does
// not set its own ForbidNegativeCounts may not leave a count of this location that it
// lowers below zero (refused with IsInsufficientQuantity).
func WithForbidNegativeCounts(forbid bool) LocationOption {
	return func(l *pb.Location) { l.ForbidNegativeCounts = forbid }
}

// WithDescription sets the location's description (at most 1024 characters, no line
// breaks).
func WithDescription(description string) LocationOption {
	return func(l *pb.Location) { l.Description = description }
}

// CreateLocation creates an active location; name is unique per merchant (else an *Error
// with code ALREADY_EXISTS).
func (c *Client) CreateLocation(ctx context.Context, name string, opts ...LocationOption) (Location, error) {
	location := &pb.Location{Name: name}
	for _, opt := range opts {
		opt(location)
	}
	resp, err := c.Locations.CreateLocation(ctx, &pb.CreateLocationRequest{Location: location})
	return locationOf(resp.GetLocation(), err)
}

// GetLocation reads one location (an *Error with code NOT_FOUND if the caller has none
// with that id).
func (c *Client) GetLocation(ctx context.Context, id string) (Location, error) {
	resp, err := c.Locations.GetLocation(ctx, &pb.GetLocationRequest{Id: id})
	return locationOf(resp.GetLocation(), err)
}

// ListLocationsOptions are what ListLocations sends; the zero value lists every location,
// 50 a page.
type ListLocationsOptions struct {
	// Status: only locations with this status; LOCATION_STATUS_UNSPECIFIED means all.
	Status pb.LocationStatus
	// PageSize is how many locations each call reads (1–250); 0 means the server's default.
	PageSize int32
}

// ListLocations yields every location, oldest first, page after page; a failed page ends
// the sequence with its error.
func (c *Client) ListLocations(ctx context.Context, opts ListLocationsOptions) iter.Seq2[Location, error] {
	return func(yield func(Location, error) bool) {
		req := &pb.ListLocationsRequest{Limit: opts.PageSize, Status: opts.Status}
		for {
			resp, err := c.Locations.ListLocations(ctx, req)
			if err != nil {
				yield(Location{}, err)
				return
			}
			for _, wire := range resp.GetLocations() {
				if !yield(LocationOf(wire), nil) {
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

// LocationUpdate names the fields UpdateLocation changes: each one that is set (non-nil;
// Status not LOCATION_STATUS_UNSPECIFIED), to its value. new("…") makes the pointers.
type LocationUpdate struct {
	Name                 *string
	Status               pb.LocationStatus
	Description          *string // new(""): no description
	ForbidNegativeCounts *bool
}

// UpdateLocation changes the fields update sets, and only those (an update that sets none
// is refused locally: MISSING_REQUIRED_PARAMETER on update_mask). It answers the location
// as stored.
func (c *Client) UpdateLocation(ctx context.Context, id string, update LocationUpdate) (Location, error) {
	location := &pb.Location{Id: id, Status: update.Status}
	var paths []string
	if update.Name != nil {
		location.Name, paths = *update.Name, append(paths, "name")
	}
	if update.Status != pb.LocationStatus_LOCATION_STATUS_UNSPECIFIED {
		paths = append(paths, "status")
	}
	if update.Description != nil {
		location.Description, paths = *update.Description, append(paths, "description")
	}
	if update.ForbidNegativeCounts != nil {
		location.ForbidNegativeCounts, paths = *update.ForbidNegativeCounts, append(paths, "forbid_negative_counts")
	}
	if len(paths) == 0 {
		return Location{}, refuse(codes.InvalidArgument, ReasonMissingRequiredParameter, "update_mask",
			"the update sets no field", nil)
	}
	resp, err := c.Locations.UpdateLocation(ctx, &pb.UpdateLocationRequest{
		Location: location, UpdateMask: &fieldmaskpb.FieldMask{Paths: paths},
	})
	return locationOf(resp.GetLocation(), err)
}
