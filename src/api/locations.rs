//! LocationService: decode, call the domain and the store, encode.

use tonic::{Request, Response, Status};

use super::convert::{require_id, timestamp_from_micros};
use super::cursor::{CursorFilters, Cursors, Query, WireFilters};
use super::error::StoreContext;
use super::paging::page_limit;
use super::{ApiError, caller, reject_read_only};
use crate::domain::error::{Violation, reasons};
use crate::domain::location::{
    LocationDraft, LocationStatus, validate_new_location, validate_updated_location,
};
use crate::domain::mask;
use crate::proto::v1::{self as pb, location_service_server::LocationService};
use crate::store::Store;
use crate::store::locations::{LocationListQuery, LocationRecord};

const WHAT: &str = "location";
const DEFAULT_PAGE: u64 = 50;
const MAX_PAGE: u64 = 250;

/// Serves LocationService from a [`Store`].
#[derive(Clone, Debug)]
pub struct LocationApi {
    store: Store,
    cursors: Cursors,
}

impl LocationApi {
    /// A service over `store` whose list cursors `cursors` signs.
    pub fn new(store: Store, cursors: Cursors) -> Self {
        LocationApi { store, cursors }
    }
}

/// The filters a list cursor carries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct LocationFilters {
    status: Option<String>,
}

impl CursorFilters for LocationFilters {
    fn to_wire(&self) -> WireFilters {
        WireFilters {
            status: self.status.clone(),
            ..WireFilters::default()
        }
    }

    fn from_wire(wire: WireFilters) -> Option<Self> {
        Some(LocationFilters {
            status: wire.status,
        })
    }
}

#[tonic::async_trait]
impl LocationService for LocationApi {
    async fn create_location(
        &self,
        request: Request<pb::CreateLocationRequest>,
    ) -> Result<Response<pb::CreateLocationResponse>, Status> {
        let merchant = caller(&request)?.merchant;
        let location = request
            .into_inner()
            .location
            .ok_or_else(|| Violation::missing("location"))?;
        reject_read_only(
            "location",
            &[
                ("id", location.id.is_empty()),
                ("created_at", location.created_at.is_none()),
                ("updated_at", location.updated_at.is_none()),
            ],
        )?;
        let draft = draft_from_proto(&location).map_err(|v| v.within("location"))?;
        let attributes = validate_new_location(&draft).map_err(|v| v.within("location"))?;
        let record = self
            .store
            .create_location(&merchant, attributes)
            .await
            .within("location")?;
        Ok(Response::new(pb::CreateLocationResponse {
            location: Some(location_to_proto(&record)),
        }))
    }

    async fn get_location(
        &self,
        request: Request<pb::GetLocationRequest>,
    ) -> Result<Response<pb::GetLocationResponse>, Status> {
        let merchant = caller(&request)?.merchant;
        let id = require_id("id", &request.get_ref().id)?;
        let record = self
            .store
            .get_location(&merchant, &id)
            .await
            .or_not_found(WHAT, "id", &id)
            .within("location")?;
        Ok(Response::new(pb::GetLocationResponse {
            location: Some(location_to_proto(&record)),
        }))
    }

    async fn list_locations(
        &self,
        request: Request<pb::ListLocationsRequest>,
    ) -> Result<Response<pb::ListLocationsResponse>, Status> {
        let merchant = caller(&request)?.merchant;
        let req = request.get_ref();
        let limit = page_limit("limit", req.limit, DEFAULT_PAGE, MAX_PAGE)?;
        let status = status_from_proto("status", req.status)?;
        let requested = LocationFilters {
            status: status.map(|s| s.as_str().to_owned()),
        };
        let (filters, after_id) =
            self.cursors
                .resolve(Query::Locations, &merchant, &req.cursor, requested)?;
        let query = LocationListQuery {
            after_id,
            status: filters
                .status
                .as_deref()
                .and_then(LocationStatus::from_stored),
            limit,
        };
        let page = self
            .store
            .list_locations(&merchant, &query)
            .await
            .map_err(ApiError::from)?;
        let cursor = self
            .cursors
            .next(Query::Locations, &merchant, &filters, &page, |last| {
                last.id.clone()
            });
        Ok(Response::new(pb::ListLocationsResponse {
            locations: page.items.iter().map(location_to_proto).collect(),
            cursor,
        }))
    }

    async fn update_location(
        &self,
        request: Request<pb::UpdateLocationRequest>,
    ) -> Result<Response<pb::UpdateLocationResponse>, Status> {
        let merchant = caller(&request)?.merchant;
        let req = request.into_inner();
        let location = req.location.ok_or_else(|| Violation::missing("location"))?;
        let id = require_id("location.id", &location.id)?;
        let update = draft_from_proto(&location).map_err(|v| v.within("location"))?;
        let paths = req.update_mask.map(|m| m.paths).unwrap_or_default();
        let fields = mask::resolve(&paths, |f| update.is_populated(f))?;
        let record = self
            .store
            .update_location(&merchant, &id, |current| {
                validate_updated_location(&LocationDraft::from(current).patched(&update, &fields))
            })
            .await
            .or_not_found(WHAT, "location.id", &id)
            .within("location")?
            .map_err(ApiError::Invalid)
            .within("location")?;
        Ok(Response::new(pb::UpdateLocationResponse {
            location: Some(location_to_proto(&record)),
        }))
    }
}

/// `None` for UNSPECIFIED; refuses values outside the enum.
fn status_from_proto(field: &str, raw: i32) -> Result<Option<LocationStatus>, Violation> {
    match pb::LocationStatus::try_from(raw) {
        Ok(pb::LocationStatus::Unspecified) => Ok(None),
        Ok(pb::LocationStatus::Active) => Ok(Some(LocationStatus::Active)),
        Ok(pb::LocationStatus::Inactive) => Ok(Some(LocationStatus::Inactive)),
        Err(_) => Err(Violation::new(
            field,
            reasons::INVALID_ENUM_VALUE,
            format!("{raw} is not a LocationStatus"),
        )),
    }
}

/// The unchecked domain draft of a wire location (public for `transfer::import`).
pub fn draft_from_proto(location: &pb::Location) -> Result<LocationDraft, Violation> {
    Ok(LocationDraft {
        name: location.name.clone(),
        status: status_from_proto("status", location.status)?,
        description: location.description.clone(),
    })
}

/// A stored location on the wire (public for `transfer::export`).
pub fn location_to_proto(record: &LocationRecord) -> pb::Location {
    let status = match record.attributes.status {
        LocationStatus::Active => pb::LocationStatus::Active,
        LocationStatus::Inactive => pb::LocationStatus::Inactive,
    };
    pb::Location {
        id: record.id.clone(),
        name: record.attributes.name.clone(),
        status: status.into(),
        description: record.attributes.description.clone(),
        created_at: Some(timestamp_from_micros(record.created_at)),
        updated_at: Some(timestamp_from_micros(record.updated_at)),
    }
}
