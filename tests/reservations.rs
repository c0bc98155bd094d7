//! Reservations end to end (docs/reservations.md), on both backends: the lifecycle as the
//! README tells it (reserve 2 of the last 3, a second reservation of 2 refused, commit 1,
//! the rest expires), retries, the last units reserved by many buyers at once through two
//! server processes, and expiry exactly once across replicas, a SIGKILL and a restart.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::ledger::{adjust, apply, quantity, shop_and_item};
use common::load::{Fleet, assert_verify_passes};
use common::{Backend, Clients, TestServer, call_error};
use stockledger::proto::v1::inventory_change::Change;
use stockledger::proto::v1::{
    CommitLine, CommitReservationRequest, CreateReservationRequest, ExtendReservationRequest,
    GetReservationRequest, InventoryState, ListReservationsRequest, ReleaseReservationRequest,
    Reservation, ReservationLine, ReservationState, StreamInventoryChangesRequest,
};
use tonic::Code;
use tonic_types::StatusExt;

use InventoryState::{InStock, None as NoState, ReservedForSale, Sold};

fn create(item: &str, shop: &str, quantity: &str, ttl: Duration) -> CreateReservationRequest {
    CreateReservationRequest {
        idempotency_key: uuid::Uuid::new_v4().to_string(),
        lines: vec![ReservationLine {
            catalog_object_id: item.into(),
            location_id: shop.into(),
            quantity: quantity.into(),
            ..Default::default()
        }],
        ttl: Some(prost_types::Duration {
            seconds: ttl.as_secs() as i64,
            nanos: ttl.subsec_nanos() as i32,
        }),
        expires_at: None,
        reference_id: "order-1".into(),
    }
}

async fn get(clients: &mut Clients, id: &str) -> Reservation {
    clients
        .reservations
        .get_reservation(GetReservationRequest { id: id.into() })
        .await
        .expect("get reservation")
        .into_inner()
        .reservation
        .expect("reservation")
}

async fn counts(clients: &mut Clients, item: &str, shop: &str) -> [Option<String>; 2] {
    [
        quantity(clients, item, shop, InStock).await,
        quantity(clients, item, shop, ReservedForSale).await,
    ]
}

fn some(a: &str, b: &str) -> [Option<String>; 2] {
    [Some(a.to_owned()), Some(b.to_owned())]
}

/// Every change of the merchant's history, oldest first.
async fn all_changes(clients: &mut Clients) -> Vec<stockledger::proto::v1::InventoryChange> {
    let mut stream = clients
        .inventory
        .stream_inventory_changes(StreamInventoryChangesRequest::default())
        .await
        .expect("stream")
        .into_inner();
    let mut changes = Vec::new();
    while let Some(message) = stream.message().await.expect("stream message") {
        changes.push(message.change.expect("change"));
    }
    changes
}

/// (reservation id, from state, to state) of every change a reservation made.
async fn reservation_moves(clients: &mut Clients) -> Vec<(String, i32, i32)> {
    all_changes(clients)
        .await
        .into_iter()
        .filter_map(|c| match c.change {
            Some(Change::Adjustment(a)) if !a.reservation_id.is_empty() => {
                Some((a.reservation_id, a.from_state, a.to_state))
            }
            _ => None,
        })
        .collect()
}

on_both_backends!(reserve_commit_and_expire_as_the_readme_tells);
async fn reserve_commit_and_expire_as_the_readme_tells(mut server: TestServer) {
    let (shop, item) = shop_and_item(&mut server, "LAST3").await;
    apply(
        &mut server,
        vec![adjust(&item, &shop, NoState, InStock, "3")],
    )
    .await;

    // Reserve 2 of the last 3.
    let first = create(&item, &shop, "2", Duration::from_secs(2));
    let held = server
        .reservations
        .create_reservation(first.clone())
        .await
        .expect("reserve 2 of 3")
        .into_inner()
        .reservation
        .expect("reservation");
    assert_eq!(held.state(), ReservationState::Held);
    assert_eq!(held.lines[0].held_quantity, "2");
    assert_eq!(counts(&mut server, &item, &shop).await, some("1", "2"));

    // A retry answers the same reservation and reserves nothing more.
    let again = server
        .reservations
        .create_reservation(first)
        .await
        .expect("retry")
        .into_inner()
        .reservation
        .expect("reservation");
    assert_eq!(again.id, held.id);
    assert_eq!(counts(&mut server, &item, &shop).await, some("1", "2"));

    // A second reservation of 2 is refused: 1 is available.
    let refused = server
        .reservations
        .create_reservation(create(&item, &shop, "2", Duration::from_secs(60)))
        .await
        .expect_err("only 1 available");
    let info = refused.get_details_error_info().expect("ErrorInfo");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(info.reason, "INSUFFICIENT_QUANTITY");
    assert_eq!(info.metadata["field"], "lines[0].quantity");
    assert_eq!(info.metadata["available_quantity"], "1");
    assert_eq!(counts(&mut server, &item, &shop).await, some("1", "2"));

    // Commit 1: sold out of the reservation.
    let commit = CommitReservationRequest {
        id: held.id.clone(),
        idempotency_key: uuid::Uuid::new_v4().to_string(),
        lines: vec![CommitLine {
            line: 0,
            quantity: "1".into(),
        }],
        total_price_money: None,
    };
    let committed = server
        .reservations
        .commit_reservation(commit.clone())
        .await
        .expect("commit 1")
        .into_inner()
        .reservation
        .expect("reservation");
    assert_eq!(committed.state(), ReservationState::Held);
    assert_eq!(committed.lines[0].committed_quantity, "1");
    assert_eq!(counts(&mut server, &item, &shop).await, some("1", "1"));
    // Its retry commits nothing more.
    server
        .reservations
        .commit_reservation(commit)
        .await
        .expect("commit retried");
    assert_eq!(counts(&mut server, &item, &shop).await, some("1", "1"));

    // The rest expires by itself, once.
    tokio::time::sleep(Duration::from_millis(3_000)).await;
    let expired = get(&mut server, &held.id).await;
    assert_eq!(expired.state(), ReservationState::Expired);
    assert_eq!(expired.lines[0].released_quantity, "1");
    assert_eq!(counts(&mut server, &item, &shop).await, some("2", "0"));
    let late = server
        .reservations
        .commit_reservation(CommitReservationRequest {
            id: held.id.clone(),
            idempotency_key: uuid::Uuid::new_v4().to_string(),
            ..Default::default()
        })
        .await
        .expect_err("nothing held");
    assert_eq!(
        call_error(late).reason.as_deref(),
        Some("RESERVATION_NOT_HELD")
    );

    // The history tells it, each change attributed to the reservation.
    let moves = reservation_moves(&mut server).await;
    let of = |from: InventoryState, to: InventoryState| (held.id.clone(), from as i32, to as i32);
    assert_eq!(
        moves,
        vec![
            of(InStock, ReservedForSale),
            of(ReservedForSale, Sold),
            of(ReservedForSale, InStock)
        ]
    );
    common::ledger::assert_verified(&server).await;
}

on_both_backends!(release_gives_everything_back_and_is_idempotent);
async fn release_gives_everything_back_and_is_idempotent(mut server: TestServer) {
    let (shop, item) = shop_and_item(&mut server, "REL").await;
    apply(
        &mut server,
        vec![adjust(&item, &shop, NoState, InStock, "5")],
    )
    .await;
    let held = server
        .reservations
        .create_reservation(create(&item, &shop, "4.5", Duration::from_secs(600)))
        .await
        .expect("reserve")
        .into_inner()
        .reservation
        .expect("reservation");
    let extended = server
        .reservations
        .extend_reservation(ExtendReservationRequest {
            id: held.id.clone(),
            ttl: Some(prost_types::Duration {
                seconds: 3600,
                nanos: 0,
            }),
            expires_at: None,
        })
        .await
        .expect("extend")
        .into_inner()
        .reservation
        .expect("reservation");
    let seconds = |r: &Reservation| r.expires_at.as_ref().unwrap().seconds;
    assert!(
        seconds(&extended) >= seconds(&held) + 2_900,
        "an hour from now"
    );
    assert_eq!(
        get(&mut server, &held.id).await.expires_at,
        extended.expires_at
    );
    for _ in 0..2 {
        let released = server
            .reservations
            .release_reservation(ReleaseReservationRequest {
                id: held.id.clone(),
            })
            .await
            .expect("release")
            .into_inner()
            .reservation
            .expect("reservation");
        assert_eq!(released.state(), ReservationState::Released);
        assert_eq!(counts(&mut server, &item, &shop).await, some("5", "0"));
    }
    let commit = server
        .reservations
        .commit_reservation(CommitReservationRequest {
            id: held.id.clone(),
            idempotency_key: "k".into(),
            ..Default::default()
        })
        .await
        .expect_err("released");
    assert_eq!(commit.code(), Code::FailedPrecondition);
    assert_eq!(reservation_moves(&mut server).await.len(), 2);
}

/// Buyers at once, each reserving one of the last units.
const BUYERS: usize = 64;
/// The units there are.
const UNITS: usize = 10;

async fn last_units_are_reserved_exactly_once(backend: Backend, replicas: usize) {
    let fleet = Fleet::start(backend, replicas).await;
    let mut clients = fleet.clients(0).await;
    let (shop, item) = shop_and_item(&mut clients, "LAST").await;
    let units = UNITS.to_string();
    apply(
        &mut clients,
        vec![adjust(&item, &shop, NoState, InStock, &units)],
    )
    .await;
    let mut buyers = tokio::task::JoinSet::new();
    for buyer in 0..BUYERS {
        let mut clients = fleet.clients(buyer % replicas).await;
        let request = create(&item, &shop, "1", Duration::from_secs(600));
        buyers.spawn(async move { clients.reservations.create_reservation(request).await });
    }
    let (mut held, mut refused) = (0, 0);
    while let Some(outcome) = buyers.join_next().await {
        match outcome.expect("buyer") {
            Ok(_) => held += 1,
            Err(status) => {
                let err = call_error(status);
                assert_eq!(
                    err.reason.as_deref(),
                    Some("INSUFFICIENT_QUANTITY"),
                    "{}",
                    err.message
                );
                refused += 1;
            }
        }
    }
    println!(
        "reservations::{backend:?}: {BUYERS} buyers reserving 1 of {UNITS} through \
         {replicas} process(es): {held} held, {refused} refused"
    );
    assert_eq!((held, refused), (UNITS, BUYERS - UNITS));
    assert_eq!(counts(&mut clients, &item, &shop).await, some("0", &units));
    assert_verify_passes(&fleet.database_url);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn last_units_reserved_sqlite() {
    last_units_are_reserved_exactly_once(Backend::Sqlite, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn last_units_reserved_postgres_two_processes() {
    last_units_are_reserved_exactly_once(Backend::Postgres, 2).await;
}

/// Creates `n` one-unit reservations with short TTLs through every replica, kills one
/// replica with SIGKILL while they expire and starts it again, then checks that each was
/// released exactly once (history and state) and nothing is left held.
async fn every_reservation_expires_exactly_once(backend: Backend, replicas: usize, n: usize) {
    let mut fleet = Fleet::start(backend, replicas).await;
    let mut clients = fleet.clients(0).await;
    let (shop, item) = shop_and_item(&mut clients, "EXPIRY").await;
    let total = n.to_string();
    apply(
        &mut clients,
        vec![adjust(&item, &shop, NoState, InStock, &total)],
    )
    .await;
    let started = std::time::Instant::now();
    let mut creators = tokio::task::JoinSet::new();
    const CREATORS: usize = 16;
    for creator in 0..CREATORS {
        let mut clients = fleet.clients(creator % replicas).await;
        let (item, shop) = (item.clone(), shop.clone());
        let count = n / CREATORS + usize::from(creator < n % CREATORS);
        creators.spawn(async move {
            let mut ids = Vec::with_capacity(count);
            for _ in 0..count {
                let request = create(&item, &shop, "1", Duration::from_secs(3));
                let created = clients.reservations.create_reservation(request).await;
                ids.push(
                    created
                        .expect("reserve")
                        .into_inner()
                        .reservation
                        .unwrap()
                        .id,
                );
            }
            ids
        });
    }
    let mut ids = Vec::with_capacity(n);
    while let Some(created) = creators.join_next().await {
        ids.extend(created.expect("creator"));
    }
    // Kill a replica while reservations are falling due, and bring it back.
    fleet.kill(0).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    fleet.restart(0).await;
    let mut clients = fleet.clients(0).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let [_, reserved] = counts(&mut clients, &item, &shop).await;
        if reserved.as_deref() == Some("0") || std::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let mut released: HashMap<String, usize> = HashMap::new();
    for (id, from, to) in reservation_moves(&mut clients).await {
        if (from, to) == (ReservedForSale as i32, InStock as i32) {
            *released.entry(id).or_default() += 1;
        }
    }
    for id in &ids {
        assert_eq!(released.get(id), Some(&1), "reservation {id} released once");
        assert_eq!(
            get(&mut clients, id).await.state(),
            ReservationState::Expired
        );
    }
    println!(
        "reservations::{backend:?}: {n} reservations through {replicas} process(es), one \
         SIGKILLed and restarted: all expired exactly once within {:.1} s of the first",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(released.len(), n);
    assert_eq!(counts(&mut clients, &item, &shop).await, some(&total, "0"));
    fleet.stop().await;
    assert_verify_passes(&fleet.database_url);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_exactly_once_sqlite_across_a_restart() {
    every_reservation_expires_exactly_once(Backend::Sqlite, 1, 200).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_exactly_once_postgres_two_replicas() {
    every_reservation_expires_exactly_once(Backend::Postgres, 2, 1_000).await;
}

/// The reference model of one item at one location: whole units in stock and reserved,
/// and each open reservation's id and units held.
#[derive(Debug, Default)]
struct Model {
    in_stock: i64,
    reserved: i64,
    reservations: Vec<(String, i64)>,
}

async fn reserve_units(
    server: &mut TestServer,
    item: &str,
    shop: &str,
    units: i64,
    ttl: Duration,
) -> Option<String> {
    let request = create(item, shop, &units.to_string(), ttl);
    let created = server.reservations.create_reservation(request).await;
    created.ok().map(|r| r.into_inner().reservation.unwrap().id)
}

on_both_backends!(random_interleavings_match_the_model);
async fn random_interleavings_match_the_model(mut server: TestServer) {
    let mut rng = common::load::Rng::seeded("random_interleavings_match_the_model");
    let (shop, item) = shop_and_item(&mut server, "MODEL").await;
    let mut model = Model::default();
    let long = Duration::from_secs(600);
    for step in 0..60 {
        let units = rng.between(1, 4) as i64;
        let open: Vec<usize> = (0..model.reservations.len())
            .filter(|n| model.reservations[*n].1 > 0)
            .collect();
        let what = match rng.between(0, 5) {
            0 => {
                let receipt = adjust(&item, &shop, NoState, InStock, &units.to_string());
                apply(&mut server, vec![receipt]).await;
                model.in_stock += units;
                "receive"
            }
            1 => {
                let sale = adjust(&item, &shop, InStock, Sold, &units.to_string());
                let request = stockledger::proto::v1::BatchChangeInventoryRequest {
                    forbid_negative_counts: Some(true),
                    ..common::ledger::batch(vec![sale])
                };
                let sold = server.inventory.batch_change_inventory(request).await;
                assert_eq!(
                    sold.is_ok(),
                    model.in_stock >= units,
                    "step {step}: sell {units}"
                );
                if sold.is_ok() {
                    model.in_stock -= units;
                }
                "guarded sale"
            }
            2 => {
                let id = reserve_units(&mut server, &item, &shop, units, long).await;
                assert_eq!(
                    id.is_some(),
                    model.in_stock >= units,
                    "step {step}: reserve"
                );
                if let Some(id) = id {
                    model.in_stock -= units;
                    model.reserved += units;
                    model.reservations.push((id, units));
                }
                "reserve"
            }
            3 if !open.is_empty() => {
                let n = *rng.pick(&open);
                let (id, held) = model.reservations[n].clone();
                let part = rng.between(1, held as u64) as i64;
                let commit = CommitReservationRequest {
                    id,
                    idempotency_key: uuid::Uuid::new_v4().to_string(),
                    lines: vec![CommitLine {
                        line: 0,
                        quantity: part.to_string(),
                    }],
                    total_price_money: None,
                };
                server
                    .reservations
                    .commit_reservation(commit)
                    .await
                    .expect("commit");
                model.reserved -= part;
                model.reservations[n].1 -= part;
                "commit"
            }
            4 if !open.is_empty() => {
                let n = *rng.pick(&open);
                let (id, held) = model.reservations[n].clone();
                let release = ReleaseReservationRequest { id };
                server
                    .reservations
                    .release_reservation(release)
                    .await
                    .expect("release");
                model.reserved -= held;
                model.in_stock += held;
                model.reservations[n].1 = 0;
                "release"
            }
            _ => {
                // A reservation that expires: held, then given back by the server.
                let short = Duration::from_millis(700);
                let id = reserve_units(&mut server, &item, &shop, units, short).await;
                assert_eq!(
                    id.is_some(),
                    model.in_stock >= units,
                    "step {step}: reserve"
                );
                if let Some(id) = id {
                    let mut state = get(&mut server, &id).await.state();
                    for _ in 0..100 {
                        if state == ReservationState::Expired {
                            break;
                        }
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        state = get(&mut server, &id).await.state();
                    }
                    assert_eq!(state, ReservationState::Expired, "step {step}");
                }
                "reserve and expire"
            }
        };
        let [in_stock, reserved] = counts(&mut server, &item, &shop).await;
        let counted = |q: Option<String>| q.map_or(0, |q| q.parse::<i64>().unwrap());
        assert_eq!(
            (counted(in_stock), counted(reserved)),
            (model.in_stock, model.reserved),
            "after step {step} ({what})"
        );
    }
    common::ledger::assert_verified(&server).await;
}

on_both_backends!(reservations_are_listed_by_state_and_reference);
async fn reservations_are_listed_by_state_and_reference(mut server: TestServer) {
    let (shop, item) = shop_and_item(&mut server, "LIST").await;
    apply(
        &mut server,
        vec![adjust(&item, &shop, NoState, InStock, "10")],
    )
    .await;
    let mut ids = Vec::new();
    for n in 0..5 {
        let mut request = create(&item, &shop, "1", Duration::from_secs(600));
        request.reference_id = format!("order-{}", n % 2);
        let created = server.reservations.create_reservation(request).await;
        ids.push(
            created
                .expect("reserve")
                .into_inner()
                .reservation
                .unwrap()
                .id,
        );
    }
    let release = ReleaseReservationRequest { id: ids[1].clone() };
    server
        .reservations
        .release_reservation(release)
        .await
        .expect("release");
    let list =
        |state: ReservationState, reference_id: &str, cursor: String| ListReservationsRequest {
            limit: 2,
            cursor,
            state: state as i32,
            reference_id: reference_id.into(),
        };
    // Every reservation, two by two, in creation order.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = server
            .reservations
            .list_reservations(list(ReservationState::Unspecified, "", cursor))
            .await
            .expect("list")
            .into_inner();
        seen.extend(page.reservations.into_iter().map(|r| r.id));
        if page.cursor.is_empty() {
            break;
        }
        cursor = page.cursor;
    }
    assert_eq!(seen, ids);
    let held_order_1 = server
        .reservations
        .list_reservations(ListReservationsRequest {
            limit: 10,
            ..list(ReservationState::Held, "order-1", String::new())
        })
        .await
        .expect("filtered list")
        .into_inner();
    let found: Vec<String> = held_order_1
        .reservations
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(
        found,
        vec![ids[3].clone()],
        "order-1 is 1 and 3; 1 is released"
    );
    let bad = server
        .reservations
        .list_reservations(list(ReservationState::Unspecified, "", "nope".into()))
        .await;
    assert_eq!(
        call_error(bad.unwrap_err()).reason.as_deref(),
        Some("INVALID_CURSOR")
    );
}

on_both_backends!(reservations_move_with_their_history);
/// `stockledger export` then `import` into another database, in both file formats: the
/// counts (RESERVED_FOR_SALE included), the history with each change's reservation and the
/// reservations themselves arrive as they were; a held reservation can be committed on the
/// new database, and exporting it again gives the same files.
async fn reservations_move_with_their_history(mut server: TestServer) {
    let backend = if server.database_url.starts_with("sqlite") {
        Backend::Sqlite
    } else {
        Backend::Postgres
    };
    let (shop, item) = shop_and_item(&mut server, "MOVING").await;
    apply(
        &mut server,
        vec![adjust(&item, &shop, NoState, InStock, "10")],
    )
    .await;
    let hour = Duration::from_secs(3600);
    let reserve = async |clients: &mut Clients, quantity: &str| {
        let created = clients
            .reservations
            .create_reservation(create(&item, &shop, quantity, hour))
            .await;
        created
            .expect("reserve")
            .into_inner()
            .reservation
            .unwrap()
            .id
    };
    let held = reserve(&mut server, "3").await;
    let released = reserve(&mut server, "2").await;
    let sold = reserve(&mut server, "1.5").await;
    let commit = |id: &str, lines: Vec<CommitLine>| CommitReservationRequest {
        id: id.into(),
        idempotency_key: uuid::Uuid::new_v4().to_string(),
        lines,
        ..Default::default()
    };
    let one = CommitLine {
        line: 0,
        quantity: "1".into(),
    };
    for request in [commit(&held, vec![one]), commit(&sold, Vec::new())] {
        server
            .reservations
            .commit_reservation(request)
            .await
            .expect("commit");
    }
    let release = ReleaseReservationRequest {
        id: released.clone(),
    };
    server
        .reservations
        .release_reservation(release)
        .await
        .expect("release");
    assert_eq!(counts(&mut server, &item, &shop).await, some("5.5", "2"));
    let moves = reservation_moves(&mut server).await;
    let mut reservations = Vec::new();
    for id in [&held, &released, &sold] {
        reservations.push(get(&mut server, id).await);
    }

    let dir = tempfile::tempdir().unwrap();
    for format in ["csv", "jsonl"] {
        let export = |url: &str, out: &std::path::Path| {
            let out = out.display().to_string();
            let args = [
                "export",
                "--merchant",
                common::TEST_MERCHANT,
                "--format",
                format,
                "--out",
                &out,
            ];
            let done = common::process::run(&args, url);
            assert!(done.status.success(), "{done:?}");
        };
        let first = dir.path().join(format!("first-{format}"));
        export(&server.database_url, &first);
        let (url, _db_dir) = common::fresh_database(backend).await;
        let files: Vec<String> = ["items", "locations", "changes", "reservations"]
            .iter()
            .map(|k| first.join(format!("{k}.{format}")).display().to_string())
            .collect();
        let mut args = vec!["import", "--merchant", common::TEST_MERCHANT];
        args.extend(files.iter().map(String::as_str));
        let done = common::process::run(&args, &url);
        let stdout = String::from_utf8_lossy(&done.stdout);
        assert!(done.status.success(), "{done:?}");
        assert!(
            stdout.contains("changes: 7 applied") && stdout.contains("reservations: 3 applied"),
            "{stdout}"
        );
        assert_verify_passes(&url);

        let mut moved = TestServer::start_at(url.clone()).await;
        assert_eq!(counts(&mut moved, &item, &shop).await, some("5.5", "2"));
        assert_eq!(reservation_moves(&mut moved).await, moves);
        for reservation in &reservations {
            assert_eq!(&get(&mut moved, &reservation.id).await, reservation);
        }
        let second = dir.path().join(format!("second-{format}"));
        export(&url, &second);
        for kind in ["counts", "changes", "reservations"] {
            let name = format!("{kind}.{format}");
            let a = std::fs::read_to_string(first.join(&name)).unwrap();
            let b = std::fs::read_to_string(second.join(&name)).unwrap();
            assert_eq!(a, b, "{name} differs after a round trip");
        }
        // What was held is still held, and can be sold here.
        moved
            .reservations
            .commit_reservation(commit(&held, Vec::new()))
            .await
            .expect("commit what the import brought");
        assert_eq!(counts(&mut moved, &item, &shop).await, some("5.5", "0"));
        moved.stop().await;
        assert_verify_passes(&url);
    }
}
