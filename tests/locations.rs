//! LocationService end to end: a real server, a real database, the generated client.

mod common;

use std::collections::HashSet;

use common::{TestServer, assert_rejected};
use prost_types::FieldMask;
use stockledger::proto::v1::{
    CreateLocationRequest, GetLocationRequest, ListLocationsRequest, Location, LocationStatus,
    UpdateLocationRequest,
};
use tonic::Code;

fn location(name: &str) -> Location {
    Location {
        name: name.into(),
        ..Location::default()
    }
}

async fn create(server: &mut TestServer, location: Location) -> Result<Location, tonic::Status> {
    let response = server
        .locations
        .create_location(CreateLocationRequest {
            location: Some(location),
        })
        .await?;
    Ok(response.into_inner().location.expect("created location"))
}

async fn list_all(server: &mut TestServer, request: ListLocationsRequest) -> Vec<Location> {
    let mut all = Vec::new();
    let mut request = request;
    loop {
        let page = server
            .locations
            .list_locations(request.clone())
            .await
            .expect("list")
            .into_inner();
        all.extend(page.locations);
        if page.cursor.is_empty() {
            return all;
        }
        request = ListLocationsRequest {
            cursor: page.cursor,
            ..request
        };
    }
}

on_both_backends! {
    async fn create_get_and_defaults(server) {
        let mut server = server;
        let created = create(&mut server, Location { description: "The flagship".into(), ..location(" Main Street ") }).await.unwrap();
        assert_eq!(created.name, "Main Street");
        assert_eq!(created.status(), LocationStatus::Active);
        let fetched = server.locations.get_location(GetLocationRequest { id: created.id.clone() })
            .await.unwrap().into_inner().location.unwrap();
        assert_eq!(fetched, created);
    }
}

on_both_backends! {
    async fn bad_locations_are_refused_and_change_nothing(server) {
        let mut server = server;
        let cases: Vec<(Location, &[&str])> = vec![
            (location(""), &["location.name"]),
            (location(&"n".repeat(256)), &["location.name"]),
            (Location { description: "d".repeat(1025), ..location("ok") }, &["location.description"]),
            (Location { status: 99, ..location("ok") }, &["location.status"]),
            (Location { id: "preset".into(), ..location("ok") }, &["location.id"]),
        ];
        for (bad, fields) in cases {
            assert_rejected(create(&mut server, bad).await, Code::InvalidArgument, fields);
        }
        assert!(list_all(&mut server, ListLocationsRequest::default()).await.is_empty());

        create(&mut server, location("Depot")).await.unwrap();
        let duplicate = create(&mut server, location("Depot")).await;
        assert_eq!(duplicate.unwrap_err().code(), Code::AlreadyExists);

        let malformed = server.locations.get_location(GetLocationRequest { id: "nope".into() }).await;
        assert_rejected(malformed, Code::InvalidArgument, &["id"]);
        let unknown = server.locations.get_location(GetLocationRequest { id: "01a20c5a-8f67-7031-9d39-e3d5cae5d630".into() }).await;
        assert_rejected(unknown, Code::NotFound, &[]);
    }
}

on_both_backends! {
    async fn deactivation_is_an_update_and_filters_lists(server) {
        let mut server = server;
        let a = create(&mut server, location("A")).await.unwrap();
        let b = create(&mut server, location("B")).await.unwrap();
        let deactivated = server.locations.update_location(UpdateLocationRequest {
            location: Some(Location { id: a.id.clone(), status: LocationStatus::Inactive.into(), ..Default::default() }),
            update_mask: Some(FieldMask { paths: vec!["status".into()] }),
        }).await.unwrap().into_inner().location.unwrap();
        assert_eq!(deactivated.status(), LocationStatus::Inactive);
        assert_eq!(deactivated.name, "A", "unmasked fields stay");

        let active = list_all(&mut server, ListLocationsRequest { status: LocationStatus::Active.into(), ..Default::default() }).await;
        assert_eq!(active.iter().map(|l| l.id.clone()).collect::<Vec<_>>(), vec![b.id.clone()]);
        let inactive = list_all(&mut server, ListLocationsRequest { status: LocationStatus::Inactive.into(), ..Default::default() }).await;
        assert_eq!(inactive, vec![deactivated]);
        assert_eq!(list_all(&mut server, ListLocationsRequest::default()).await.len(), 2, "nothing is deleted");

        let unspecified_status = server.locations.update_location(UpdateLocationRequest {
            location: Some(Location { id: a.id.clone(), ..Default::default() }),
            update_mask: Some(FieldMask { paths: vec!["status".into()] }),
        }).await;
        assert_rejected(unspecified_status, Code::InvalidArgument, &["location.status"]);
        let renamed_to_taken = server.locations.update_location(UpdateLocationRequest {
            location: Some(Location { id: a.id.clone(), name: "B".into(), ..Default::default() }),
            update_mask: None,
        }).await;
        assert_eq!(renamed_to_taken.unwrap_err().code(), Code::AlreadyExists);
    }
}

on_both_backends! {
    async fn pages_cover_every_location_once(server) {
        let mut server = server;
        let mut created = HashSet::new();
        for i in 0..23 {
            created.insert(create(&mut server, location(&format!("L{i:02}"))).await.unwrap().id);
        }
        let listed = list_all(&mut server, ListLocationsRequest { limit: 5, ..Default::default() }).await;
        let ids: Vec<String> = listed.into_iter().map(|l| l.id).collect();
        assert_eq!(ids.len(), 23);
        assert_eq!(ids.iter().cloned().collect::<HashSet<_>>(), created);
        let bad = server.locations.list_locations(ListLocationsRequest { cursor: "bogus".into(), ..Default::default() }).await;
        assert_rejected(bad, Code::InvalidArgument, &["cursor"]);
    }
}
