//! LocationService: decode, call the domain and the store, encode.

use tonic::{Request, Response, Status};

use super::convert::require_id;
use super::cursor::{CursorFilters, Cursors, Query, WireFilters};
use super::error::StoreContext;
use super::location_wire::{location_draft, location_to_wire, status_from_wire};
use super::paging::page_limit;
use super::{ApiError, caller, reject_read_only};
use crate::domain::error::Violation;
use crate::domain::location::{
    LocationDraft, LocationStatus, validate_new_location, validate_updated_location,
};
use crate::domain::mask;
use crate::proto::v1::{self as pb, location_service_server::LocationService};
use crate::store::Store;
use crate::store::locations::LocationListQuery;

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
        let draft = location_draft(&location).map_err(|v| v.within("location"))?;
        let attributes = validate_new_location(&draft).map_err(|v| v.within("location"))?;
        let record = self
            .store
            .create_location(&merchant, attributes)
            .await
            .within("location")?;
        Ok(Response::new(pb::CreateLocationResponse {
            location: Some(location_to_wire(&record)),
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
            location: Some(location_to_wire(&record)),
        }))
    }

    async fn list_locations(
        &self,
        request: Request<pb::ListLocationsRequest>,
    ) -> Result<Response<pb::ListLocationsResponse>, Status> {
        let merchant = caller(&request)?.merchant;
        let req = request.get_ref();
        let limit = page_limit("limit", req.limit, DEFAULT_PAGE, MAX_PAGE)?;
        let status = status_from_wire("status", req.status)?;
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
            locations: page.items.iter().map(location_to_wire).collect(),
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
        let update = location_draft(&location).map_err(|v| v.within("location"))?;
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
            location: Some(location_to_wire(&record)),
        }))
    }
}
