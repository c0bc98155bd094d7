//! Locations: the places that hold stock. [`Client::create_location`](crate::Client::create_location),
//! [`get_location`](crate::Client::get_location), [`list_locations`](crate::Client::list_locations)
//! and [`update_location`](crate::Client::update_location) take and return these types:
//! times as [`SystemTime`]s, the status as [`pb::LocationStatus`] (`Active`, `Inactive`).

use std::time::SystemTime;

use crate::pb;

/// A location, as the server answers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// Its id, assigned by the server.
    pub id: String,
    /// Its name, unique per merchant.
    pub name: String,
    /// `Active` (accepts inventory changes) or `Inactive`.
    pub status: pb::LocationStatus,
    /// Free-form description; empty when none.
    pub description: String,
    /// Whether a batch that does not say otherwise may not leave a count of this location
    /// that it lowers below zero.
    pub forbid_negative_counts: bool,
    /// When it was created (server time).
    pub created_at: Option<SystemTime>,
    /// When it last changed (server time).
    pub updated_at: Option<SystemTime>,
}

impl From<pb::Location> for Location {
    fn from(location: pb::Location) -> Self {
        Location {
            status: location.status(),
            created_at: crate::time::from_field(location.created_at.as_ref()),
            updated_at: crate::time::from_field(location.updated_at.as_ref()),
            id: location.id,
            name: location.name,
            description: location.description,
            forbid_negative_counts: location.forbid_negative_counts,
        }
    }
}

/// What [`Client::create_location`](crate::Client::create_location) sends:
/// `NewLocation::new(name)`, optionally `.description(..)`, `.status(..)` (default `Active`)
/// and `.forbid_negative_counts(true)`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewLocation {
    /// 1–255 characters, unique per merchant.
    pub name: String,
    /// Empty for none.
    pub description: String,
    /// `None`: `Active`.
    pub status: Option<pb::LocationStatus>,
    /// Default `false`.
    pub forbid_negative_counts: bool,
}

impl NewLocation {
    /// A location named `name`.
    pub fn new(name: impl Into<String>) -> Self {
        NewLocation {
            name: name.into(),
            ..Default::default()
        }
    }

    /// With a description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// Created in `status` (e.g. `Inactive`).
    pub fn status(mut self, status: pb::LocationStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// Whether batches may leave its counts below zero by default.
    pub fn forbid_negative_counts(mut self, forbid: bool) -> Self {
        self.forbid_negative_counts = forbid;
        self
    }

    pub(crate) fn to_wire(&self) -> pb::CreateLocationRequest {
        pb::CreateLocationRequest {
            location: Some(pb::Location {
                name: self.name.clone(),
                description: self.description.clone(),
                status: self.status.map_or(0, |status| status as i32),
                forbid_negative_counts: self.forbid_negative_counts,
                ..Default::default()
            }),
        }
    }
}

/// What [`Client::update_location`](crate::Client::update_location) changes: only the
/// fields given (`LocationUpdate::new().name(..).status(..)`), named in the update mask,
/// so an empty description or `false` is set as given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LocationUpdate {
    /// A new name.
    pub name: Option<String>,
    /// A new description (empty clears it).
    pub description: Option<String>,
    /// A new status.
    pub status: Option<pb::LocationStatus>,
    /// A new `forbid_negative_counts`.
    pub forbid_negative_counts: Option<bool>,
}

impl LocationUpdate {
    /// Changes nothing yet.
    pub fn new() -> Self {
        LocationUpdate::default()
    }

    /// Renames it.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets its description (empty clears it).
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets its status (`Inactive` deactivates it).
    pub fn status(mut self, status: pb::LocationStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// Sets `forbid_negative_counts` (also back to `false`).
    pub fn forbid_negative_counts(mut self, forbid: bool) -> Self {
        self.forbid_negative_counts = Some(forbid);
        self
    }

    pub(crate) fn to_wire(&self, id: String) -> pb::UpdateLocationRequest {
        let mut paths = Vec::new();
        let mut location = pb::Location {
            id,
            ..Default::default()
        };
        if let Some(name) = &self.name {
            location.name = name.clone();
            paths.push("name".to_owned());
        }
        if let Some(description) = &self.description {
            location.description = description.clone();
            paths.push("description".to_owned());
        }
        if let Some(status) = self.status {
            location.status = status as i32;
            paths.push("status".to_owned());
        }
        if let Some(forbid) = self.forbid_negative_counts {
            location.forbid_negative_counts = forbid;
            paths.push("forbid_negative_counts".to_owned());
        }
        pb::UpdateLocationRequest {
            location: Some(location),
            update_mask: Some(prost_types::FieldMask { paths }),
        }
    }
}

/// What [`Client::list_locations`](crate::Client::list_locations) reads:
/// [`LocationFilter::all`], optionally only one `.status(..)`, `.page_size(..)` a call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LocationFilter {
    /// Only locations in this status; `None`: all.
    pub status: Option<pb::LocationStatus>,
    /// Locations a page (1–250); 0: the server's default (50).
    pub page_size: i32,
}

impl LocationFilter {
    /// Every location.
    pub fn all() -> Self {
        LocationFilter::default()
    }

    /// Only locations in `status`.
    pub fn status(mut self, status: pb::LocationStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// `page_size` locations a call (1–250).
    pub fn page_size(mut self, page_size: i32) -> Self {
        self.page_size = page_size;
        self
    }

    pub(crate) fn to_wire(&self) -> pb::ListLocationsRequest {
        pb::ListLocationsRequest {
            limit: self.page_size,
            cursor: String::new(),
            status: self.status.map_or(0, |status| status as i32),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_update_names_exactly_the_fields_given() {
        let request = LocationUpdate::new()
            .description("")
            .forbid_negative_counts(false)
            .to_wire("loc-1".into());
        assert_eq!(
            request.update_mask.unwrap().paths,
            ["description", "forbid_negative_counts"]
        );
        let location = request.location.unwrap();
        assert_eq!(location.id, "loc-1");
        let request = LocationUpdate::new()
            .name("Back room")
            .status(pb::LocationStatus::Inactive)
            .to_wire("loc-1".into());
        assert_eq!(request.update_mask.unwrap().paths, ["name", "status"]);
        assert_eq!(
            request.location.unwrap().status(),
            pb::LocationStatus::Inactive
        );
    }

    #[test]
    fn a_new_location_and_a_filter_on_the_wire() {
        let location = NewLocation::new("Shop")
            .forbid_negative_counts(true)
            .to_wire()
            .location
            .unwrap();
        assert_eq!(
            (
                location.name.as_str(),
                location.status,
                location.forbid_negative_counts
            ),
            ("Shop", 0, true)
        );
        let filter = LocationFilter::all()
            .status(pb::LocationStatus::Active)
            .page_size(10)
            .to_wire();
        assert_eq!((filter.status, filter.limit), (1, 10));
    }
}
