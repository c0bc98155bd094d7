//! LocationService end to end: a real server, a real database, the generated client.

mod common;

use std::collections::HashSet;

use common::paging::list_all;
use common::{TestServer, assert_ids_checked, assert_rejected, mask};
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

/// Updates a location's fields named by the request's mask (or, without one, those it sets).
async fn update(
    server: &mut TestServer,
    request: UpdateLocationRequest,
) -> Result<Location, tonic::Status> {
    let response = server.locations.update_location(request).await?;
    Ok(response.into_inner().location.expect("updated location"))
}

async fn get(server: &mut TestServer, id: &str) -> Result<Location, tonic::Status> {
    let request = GetLocationRequest { id: id.into() };
    let response = server.locations.get_location(request).await?;
    Ok(response.into_inner().location.expect("location"))
}

on_both_backends!(create_get_and_defaults);
async fn create_get_and_defaults(mut server: TestServer) {
    let flagship = Location {
        description: "The flagship".into(),
        ..location(" Main Street ")
    };
    let created = create(&mut server, flagship).await.unwrap();
    assert_eq!(created.name, "Main Street");
    assert_eq!(created.status(), LocationStatus::Active);
    assert_eq!(get(&mut server, &created.id).await.unwrap(), created);
}

on_both_backends!(bad_locations_are_refused_and_change_nothing);
async fn bad_locations_are_refused_and_change_nothing(mut server: TestServer) {
    let cases: Vec<(Location, &[&str])> = vec![
        (location(""), &["location.name"]),
        (location(&"n".repeat(256)), &["location.name"]),
        (
            Location {
                description: "d".repeat(1025),
                ..location("ok")
            },
            &["location.description"],
        ),
        (
            Location {
                status: 99,
                ..location("ok")
            },
            &["location.status"],
        ),
        (
            Location {
                id: "preset".into(),
                ..location("ok")
            },
            &["location.id"],
        ),
    ];
    for (bad, fields) in cases {
        assert_rejected(
            create(&mut server, bad).await,
            Code::InvalidArgument,
            fields,
        );
    }
    assert!(
        list_all(&mut server, ListLocationsRequest::default())
            .await
            .is_empty()
    );

    create(&mut server, location("Depot")).await.unwrap();
    let duplicate = create(&mut server, location("Depot")).await;
    assert_eq!(duplicate.unwrap_err().code(), Code::AlreadyExists);

    assert_ids_checked("id", async |id| get(&mut server, id).await).await;
}

on_both_backends!(deactivation_is_an_update_and_filters_lists);
async fn deactivation_is_an_update_and_filters_lists(mut server: TestServer) {
    let a = create(&mut server, location("A")).await.unwrap();
    let b = create(&mut server, location("B")).await.unwrap();
    let of_a = |location: Location| Location {
        id: a.id.clone(),
        ..location
    };
    let deactivate = UpdateLocationRequest {
        location: Some(of_a(Location {
            status: LocationStatus::Inactive.into(),
            ..Default::default()
        })),
        update_mask: mask(&["status"]),
    };
    let deactivated = update(&mut server, deactivate).await.unwrap();
    assert_eq!(deactivated.status(), LocationStatus::Inactive);
    assert_eq!(deactivated.name, "A", "unmasked fields stay");

    let with_status = |status: LocationStatus| ListLocationsRequest {
        status: status.into(),
        ..Default::default()
    };
    let active = list_all(&mut server, with_status(LocationStatus::Active)).await;
    assert_eq!(active, vec![b]);
    let inactive = list_all(&mut server, with_status(LocationStatus::Inactive)).await;
    assert_eq!(inactive, vec![deactivated]);
    let all = list_all(&mut server, ListLocationsRequest::default()).await;
    assert_eq!(all.len(), 2, "nothing is deleted");

    let no_status = UpdateLocationRequest {
        location: Some(of_a(Location::default())),
        update_mask: mask(&["status"]),
    };
    let unspecified_status = update(&mut server, no_status).await;
    assert_rejected(
        unspecified_status,
        Code::InvalidArgument,
        &["location.status"],
    );
    let rename = UpdateLocationRequest {
        location: Some(of_a(location("B"))),
        update_mask: None,
    };
    let renamed_to_taken = update(&mut server, rename).await;
    assert_eq!(renamed_to_taken.unwrap_err().code(), Code::AlreadyExists);
}

on_both_backends!(pages_cover_every_location_once);
async fn pages_cover_every_location_once(mut server: TestServer) {
    let mut created = HashSet::new();
    for i in 0..23 {
        created.insert(
            create(&mut server, location(&format!("L{i:02}")))
                .await
                .unwrap()
                .id,
        );
    }
    let listed = list_all(
        &mut server,
        ListLocationsRequest {
            limit: 5,
            ..Default::default()
        },
    )
    .await;
    let ids: Vec<String> = listed.into_iter().map(|l| l.id).collect();
    assert_eq!(ids.len(), 23);
    assert_eq!(ids.iter().cloned().collect::<HashSet<_>>(), created);
    let bad = server
        .locations
        .list_locations(ListLocationsRequest {
            cursor: "bogus".into(),
            ..Default::default()
        })
        .await;
    assert_rejected(bad, Code::InvalidArgument, &["cursor"]);
}
