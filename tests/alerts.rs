//! Low-stock alerts end to end (docs/alerts.md): reorder points set, listed and deleted
//! through InventoryService and `stockledger reorder-point`; an alert for each crossing of
//! an IN_STOCK count over its reorder point, written with the change that made it and
//! delivered by WatchInventoryAlerts exactly once, resumably — also under many concurrent
//! writers on two replicas, on SQLite and PostgreSQL.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::ledger::*;
use common::load::{Rng, units};
use common::process::run;
use common::{Clients, TestServer, UNKNOWN_ID, assert_rejected};
use stockledger::proto::v1::{
    DeleteInventoryReorderPointRequest, InventoryAlertKind as Kind, InventoryState as S,
    ListInventoryReorderPointsRequest, SetInventoryReorderPointRequest,
    SetInventoryReorderPointResponse, WatchInventoryAlertsRequest, WatchInventoryAlertsResponse,
    WatchInventoryCountsRequest, WatchInventoryCountsResponse, WatchStart,
};
use tokio_stream::StreamExt;
use tonic::{Code, Streaming};

/// How long a feed may take to deliver a committed change.
const DELIVERY: Duration = Duration::from_secs(30);

async fn set_point(
    clients: &mut Clients,
    item: &str,
    location: &str,
    point: &str,
) -> Result<SetInventoryReorderPointResponse, tonic::Status> {
    let request = SetInventoryReorderPointRequest {
        catalog_object_id: item.into(),
        location_id: location.into(),
        reorder_point: point.into(),
    };
    let answer = clients.inventory.set_inventory_reorder_point(request).await;
    answer.map(|r| r.into_inner())
}

async fn watch_alerts(
    clients: &Clients,
    request: WatchInventoryAlertsRequest,
) -> Streaming<WatchInventoryAlertsResponse> {
    let mut inventory = clients.inventory.clone();
    let stream = inventory.watch_inventory_alerts(request).await;
    stream.expect("watch alerts").into_inner()
}

fn from_beginning() -> WatchInventoryAlertsRequest {
    WatchInventoryAlertsRequest {
        start: WatchStart::Beginning.into(),
        ..Default::default()
    }
}

/// Reads exactly `n` messages, failing after [`DELIVERY`] without one.
async fn take<T>(stream: &mut Streaming<T>, n: usize) -> Vec<T> {
    let mut got = Vec::with_capacity(n);
    while got.len() < n {
        let next = tokio::time::timeout(DELIVERY, stream.next()).await;
        let next = next.expect("a message within the delivery time");
        got.push(next.expect("stream open").expect("message"));
    }
    got
}

/// Reads messages until none comes for a while.
async fn drain<T>(stream: &mut Streaming<T>) -> Vec<T> {
    let mut got = Vec::new();
    while let Ok(next) = tokio::time::timeout(Duration::from_secs(3), stream.next()).await {
        got.push(next.expect("stream open").expect("message"));
    }
    got
}

/// Asserts that `stream` delivers nothing more for a while.
async fn assert_quiet<T: std::fmt::Debug>(stream: &mut Streaming<T>) {
    let quiet = tokio::time::timeout(Duration::from_millis(1500), stream.next()).await;
    assert!(quiet.is_err(), "nothing more is delivered: {quiet:?}");
}

/// An alert as the tests compare them: (sequence, item, location, kind, quantity units,
/// reorder point units).
type Seen = (u64, String, String, Kind, i64, i64);

fn seen(messages: &[WatchInventoryAlertsResponse]) -> Vec<Seen> {
    messages
        .iter()
        .map(|m| {
            let a = m.alert.as_ref().expect("alert");
            (
                m.sequence,
                a.catalog_object_id.clone(),
                a.location_id.clone(),
                a.kind(),
                units(&a.quantity),
                units(&a.reorder_point),
            )
        })
        .collect()
}

on_both_backends!(reorder_points_are_set_listed_and_deleted);
async fn reorder_points_are_set_listed_and_deleted(mut server: TestServer) {
    let (a, b, item) = two_locations_and_item(&mut server, "RP").await;
    let other_item = common::ledger::item(&mut server, "RP2").await;
    apply(&mut server, vec![count(&item, &a, S::InStock, "3")]).await;

    // The answer tells whether the count is low now; an absent count reads as 0.
    let set = set_point(&mut server, &item, &a, "5").await.unwrap();
    assert_eq!((set.quantity.as_str(), set.low), ("3", true));
    let set = set_point(&mut server, &item, &a, "2.5").await.unwrap();
    assert_eq!((set.quantity.as_str(), set.low), ("3", false), "replaced");
    assert_eq!(set.reorder_point.unwrap().reorder_point, "2.5");
    let set = set_point(&mut server, &item, &b, "0").await.unwrap();
    assert_eq!((set.quantity.as_str(), set.low), ("", true));
    set_point(&mut server, &other_item, &b, "1").await.unwrap();

    assert_rejected(
        set_point(&mut server, UNKNOWN_ID, &a, "1").await,
        Code::NotFound,
        &["catalog_object_id"],
    );
    assert_rejected(
        set_point(&mut server, &item, UNKNOWN_ID, "1").await,
        Code::NotFound,
        &["location_id"],
    );
    assert_rejected(
        set_point(&mut server, &item, &a, "-1").await,
        Code::InvalidArgument,
        &["reorder_point"],
    );
    // Another merchant sees none of them and cannot set one on these ids.
    let token = server
        .token_for("someone-else", &stockledger::auth::scopes::Scope::ALL, "x")
        .await;
    let mut other = server.clients(&token);
    assert_rejected(
        set_point(&mut other, &item, &a, "1").await,
        Code::NotFound,
        &["catalog_object_id"],
    );
    let listed = other
        .inventory
        .list_inventory_reorder_points(ListInventoryReorderPointsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(listed.reorder_points.is_empty());

    // Pages of one, then the filters.
    let mut all = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = server
            .inventory
            .list_inventory_reorder_points(ListInventoryReorderPointsRequest {
                limit: 1,
                cursor: cursor.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        all.extend(page.reorder_points);
        if page.cursor.is_empty() {
            break;
        }
        cursor = page.cursor;
    }
    let mut expected = vec![
        (item.clone(), a.clone(), "2.5"),
        (item.clone(), b.clone(), "0"),
        (other_item.clone(), b.clone(), "1"),
    ];
    expected.sort();
    let listed: Vec<_> = all
        .iter()
        .map(|p| {
            (
                p.catalog_object_id.clone(),
                p.location_id.clone(),
                p.reorder_point.as_str(),
            )
        })
        .collect();
    assert_eq!(listed, expected);
    let at_b = server
        .inventory
        .list_inventory_reorder_points(ListInventoryReorderPointsRequest {
            location_ids: vec![b.clone()],
            catalog_object_ids: vec![item.clone()],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(at_b.reorder_points.len(), 1);
    assert_eq!(at_b.reorder_points[0].location_id, b);

    let delete = DeleteInventoryReorderPointRequest {
        catalog_object_id: item.clone(),
        location_id: b.clone(),
    };
    server
        .inventory
        .delete_inventory_reorder_point(delete.clone())
        .await
        .unwrap();
    assert_rejected(
        server
            .inventory
            .delete_inventory_reorder_point(delete)
            .await,
        Code::NotFound,
        &["location_id"],
    );
}

on_both_backends!(each_crossing_alerts_once_and_the_watch_resumes);
async fn each_crossing_alerts_once_and_the_watch_resumes(mut server: TestServer) {
    let (a, b, item) = two_locations_and_item(&mut server, "AL").await;
    set_point(&mut server, &item, &a, "5").await.unwrap();
    set_point(&mut server, &item, &b, "1").await.unwrap();
    let mut live = watch_alerts(&server, WatchInventoryAlertsRequest::default()).await;
    let mut at_b = watch_alerts(
        &server,
        WatchInventoryAlertsRequest {
            location_ids: vec![b.clone()],
            start: WatchStart::Beginning.into(),
            ..Default::default()
        },
    )
    .await;

    let receive = |q: &str| adjust(&item, &a, S::None, S::InStock, q);
    let sell = |q: &str| adjust(&item, &a, S::InStock, S::Sold, q);
    // seq 1: 0 (absent) → 10: above the point, RECOVERED.
    apply(&mut server, vec![receive("10")]).await;
    // seq 2: 10 → 4: LOW; seq 3: 4 → 3 and seq 4: 3 → 4 stay low: nothing.
    apply(&mut server, vec![sell("6"), sell("1"), receive("1")]).await;
    // seq 5: a physical count of 8: RECOVERED.
    apply(&mut server, vec![count(&item, &a, S::InStock, "8")]).await;
    // seq 6: 8 → 5 at A (LOW) and 0 → 3 at B (RECOVERED), one transfer, two alerts.
    apply(&mut server, vec![transfer(&item, &a, &b, "3")]).await;
    // seq 7: a sale at A, 5 → 4: still low, nothing (and SOLD counts never alert).
    apply(&mut server, vec![sell("1")]).await;

    let expected: Vec<Seen> = vec![
        (
            1,
            item.clone(),
            a.clone(),
            Kind::Recovered,
            1_000_000,
            500_000,
        ),
        (2, item.clone(), a.clone(), Kind::Low, 400_000, 500_000),
        (
            5,
            item.clone(),
            a.clone(),
            Kind::Recovered,
            800_000,
            500_000,
        ),
        (6, item.clone(), a.clone(), Kind::Low, 500_000, 500_000),
        (
            6,
            item.clone(),
            b.clone(),
            Kind::Recovered,
            300_000,
            100_000,
        ),
    ];
    let got = take(&mut live, expected.len()).await;
    assert_eq!(seen(&got), expected);
    assert_quiet(&mut live).await;
    let transfer_alert = got[3].alert.as_ref().unwrap();
    assert!(!transfer_alert.change_id.is_empty());
    assert_eq!(
        got[4].alert.as_ref().unwrap().change_id,
        transfer_alert.change_id,
        "both ends of the transfer name it"
    );
    assert_eq!(seen(&take(&mut at_b, 1).await), expected[4..]);
    assert_quiet(&mut at_b).await;

    // The webhooks' deliverer reads the same log from the store, page by page.
    let store = stockledger::store::Store::connect(&server.database_url)
        .await
        .unwrap();
    let merchant = store
        .find_merchant(common::TEST_MERCHANT)
        .await
        .unwrap()
        .unwrap();
    let first = store.feed_alerts(&merchant, (0, -1), 3).await.unwrap();
    let last = first.last().unwrap();
    let rest = store
        .feed_alerts(&merchant, (last.feed_seq, last.ordinal), 10)
        .await
        .unwrap();
    let positions: Vec<(i64, i32, &str)> = first
        .iter()
        .chain(&rest)
        .map(|a| (a.feed_seq, a.ordinal, a.kind.as_str()))
        .collect();
    assert_eq!(
        positions,
        [
            (1, 0, "RECOVERED"),
            (2, 0, "LOW"),
            (5, 0, "RECOVERED"),
            (6, 0, "LOW"),
            (6, 1, "RECOVERED"),
        ]
    );
    assert_eq!(rest[1].change_id, transfer_alert.change_id);
    store.close().await.unwrap();

    // Resuming after the second alert, on a restarted server, gives the rest, once.
    let token = got[1].resume_token.clone();
    drop(live);
    drop(at_b);
    let mut server = server.restart().await;
    let mut resumed = watch_alerts(
        &server,
        WatchInventoryAlertsRequest {
            resume_token: token,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(seen(&take(&mut resumed, 3).await), expected[2..]);
    // A deleted point raises nothing more; a new crossing elsewhere does.
    server
        .inventory
        .delete_inventory_reorder_point(DeleteInventoryReorderPointRequest {
            catalog_object_id: item.clone(),
            location_id: b.clone(),
        })
        .await
        .unwrap();
    apply(&mut server, vec![transfer(&item, &b, &a, "3")]).await;
    let next = take(&mut resumed, 1).await;
    assert_eq!(
        seen(&next),
        [(
            8,
            item.clone(),
            a.clone(),
            Kind::Recovered,
            700_000,
            500_000
        )]
    );
    assert_quiet(&mut resumed).await;
}

/// What each writer does to the counts at A and B (both with reorder point 3).
#[derive(Clone, Copy, Debug)]
enum Move {
    ReceiveA,
    SellA,
    AToB,
    BToA,
    SellB,
    CountA,
}

on_both_backends!(concurrent_writers_on_two_replicas_alert_exactly_once_per_crossing);
async fn concurrent_writers_on_two_replicas_alert_exactly_once_per_crossing(
    mut server: TestServer,
) {
    let replica = server.replica().await;
    let (a, b, item) = two_locations_and_item(&mut server, "CC").await;
    set_point(&mut server, &item, &a, "3").await.unwrap();
    set_point(&mut server, &item, &b, "3").await.unwrap();
    apply(
        &mut server,
        vec![
            count(&item, &a, S::InStock, "4"),
            count(&item, &b, S::InStock, "3"),
        ],
    )
    .await;
    let mut rng = Rng::seeded("concurrent alerts");
    let writers: Vec<_> = (0..6)
        .map(|w| {
            let target = if w % 2 == 0 { &server } else { &replica };
            let mut client = target.inventory.clone();
            let mut rng = rng.fork();
            let (a, b, item) = (a.clone(), b.clone(), item.clone());
            tokio::spawn(async move {
                for _ in 0..25 {
                    let mut changes = Vec::new();
                    for _ in 0..rng.between(1, 3) {
                        let moves = [
                            Move::ReceiveA,
                            Move::SellA,
                            Move::AToB,
                            Move::BToA,
                            Move::SellB,
                            Move::CountA,
                        ];
                        let q = rng.between(1, 2).to_string();
                        changes.push(match *rng.pick(&moves) {
                            Move::ReceiveA => adjust(&item, &a, S::None, S::InStock, &q),
                            Move::SellA => adjust(&item, &a, S::InStock, S::Sold, &q),
                            Move::AToB => transfer(&item, &a, &b, &q),
                            Move::BToA => transfer(&item, &b, &a, &q),
                            Move::SellB => adjust(&item, &b, S::InStock, S::Sold, &q),
                            Move::CountA => count(&item, &a, S::InStock, "3"),
                        });
                    }
                    let written = client.batch_change_inventory(batch(changes)).await;
                    written.expect("write");
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }

    // What the count history implies: every IN_STOCK update in feed order, each previous
    // quantity the one before it left, each crossing of 3 an alert.
    let mut counts = server.inventory.clone();
    let updates = counts
        .watch_inventory_counts(WatchInventoryCountsRequest {
            states: vec![S::InStock.into()],
            start: WatchStart::Beginning.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let mut updates = updates;
    let updates: Vec<WatchInventoryCountsResponse> = drain(&mut updates).await;
    assert!(
        updates.len() > 150,
        "every write moved IN_STOCK: {}",
        updates.len()
    );
    let point = 300_000;
    let mut last: HashMap<String, i64> = HashMap::new();
    let mut implied: Vec<Seen> = Vec::new();
    for u in &updates {
        let update = u.update.as_ref().unwrap();
        let location = update.location_id.clone();
        let previous = match update.previous_quantity.as_str() {
            "" => 0,
            text => units(text),
        };
        assert_eq!(
            previous,
            last.get(&location).copied().unwrap_or(0),
            "previous quantities chain exactly"
        );
        let quantity = units(&update.quantity);
        last.insert(location.clone(), quantity);
        let kind = match (previous <= point, quantity <= point) {
            (false, true) => Kind::Low,
            (true, false) => Kind::Recovered,
            _ => continue,
        };
        implied.push((u.sequence, item.clone(), location, kind, quantity, point));
    }
    assert!(
        implied.len() >= 10,
        "the writers crossed the line often: {}",
        implied.len()
    );

    // Watchers on both replicas see exactly those alerts, once each, in feed order.
    for target in [&server, &replica] {
        let mut watcher = watch_alerts(target, from_beginning()).await;
        let got = seen(&take(&mut watcher, implied.len()).await);
        assert_eq!(got, implied, "the alerts the history implies");
        assert_quiet(&mut watcher).await;
        for location in [&a, &b] {
            let kinds: Vec<Kind> = got
                .iter()
                .filter(|s| &s.2 == location)
                .map(|s| s.3)
                .collect();
            assert!(
                kinds.windows(2).all(|w| w[0] != w[1]),
                "LOW and RECOVERED alternate at each count: {kinds:?}"
            );
        }
    }
    assert_verified(&server).await;
    replica.stop().await;
}

on_both_backends!(the_reorder_point_command_sets_lists_and_deletes);
async fn the_reorder_point_command_sets_lists_and_deletes(mut server: TestServer) {
    let (shop, item) = shop_and_item(&mut server, "CLI").await;
    apply(&mut server, vec![count(&item, &shop, S::InStock, "2")]).await;
    let url = server.database_url.clone();
    let merchant = common::TEST_MERCHANT;
    let out = run(
        &[
            "reorder-point",
            "set",
            "--merchant",
            merchant,
            "--item",
            &item,
            "--location",
            &shop,
            "--quantity",
            "4",
        ],
        &url,
    );
    assert!(out.status.success(), "{out:?}");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("IN_STOCK 2, low"), "{said}");

    let out = run(
        &[
            "reorder-point",
            "set",
            "--merchant",
            merchant,
            "--item",
            &item,
            "--location",
            &shop,
            "--quantity",
            "-1",
        ],
        &url,
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--quantity"),
        "{out:?}"
    );

    let listed = run(&["reorder-point", "list", "--merchant", merchant], &url);
    let listed = String::from_utf8_lossy(&listed.stdout).to_string();
    assert!(listed.contains(&format!("{item}\t{shop}\t4\t")), "{listed}");
    // The server sees what the command set: a sale crossing 4 from above alerts.
    let mut watcher = watch_alerts(&server, WatchInventoryAlertsRequest::default()).await;
    apply(
        &mut server,
        vec![adjust(&item, &shop, S::None, S::InStock, "5")],
    )
    .await;
    let got = take(&mut watcher, 1).await;
    assert_eq!(got[0].alert.as_ref().unwrap().kind(), Kind::Recovered);

    let out = run(
        &[
            "reorder-point",
            "delete",
            "--merchant",
            merchant,
            "--item",
            &item,
            "--location",
            &shop,
        ],
        &url,
    );
    assert!(out.status.success(), "{out:?}");
    let listed = run(&["reorder-point", "list", "--merchant", merchant], &url);
    assert!(!String::from_utf8_lossy(&listed.stdout).contains(&item));
}

on_both_backends!(reorder_points_export_and_import_again_without_alerts);
async fn reorder_points_export_and_import_again_without_alerts(mut server: TestServer) {
    let (a, b, item) = two_locations_and_item(&mut server, "EX").await;
    apply(&mut server, vec![count(&item, &a, S::InStock, "2")]).await;
    set_point(&mut server, &item, &a, "4").await.unwrap();
    set_point(&mut server, &item, &b, "1.5").await.unwrap();
    apply(
        &mut server,
        vec![adjust(&item, &a, S::None, S::InStock, "5")],
    )
    .await;
    let listed = |clients: &mut Clients| {
        let mut inventory = clients.inventory.clone();
        async move {
            let page = inventory
                .list_inventory_reorder_points(ListInventoryReorderPointsRequest::default())
                .await
                .unwrap()
                .into_inner();
            page.reorder_points
        }
    };
    let before = listed(&mut server).await;
    assert_eq!(before.len(), 2);
    let dir = tempfile::tempdir().unwrap();
    for format in ["jsonl", "csv"] {
        let out = dir.path().join(format);
        let out_text = out.display().to_string();
        let merchant = common::TEST_MERCHANT;
        let exported = run(
            &[
                "export",
                "--merchant",
                merchant,
                "--format",
                format,
                "--out",
                &out_text,
            ],
            &server.database_url,
        );
        assert!(exported.status.success(), "{exported:?}");
        let backend = if server.database_url.starts_with("sqlite") {
            common::Backend::Sqlite
        } else {
            common::Backend::Postgres
        };
        let (url, _db_dir) = common::fresh_database(backend).await;
        let files: Vec<String> = ["items", "locations", "changes", "reorder_points"]
            .iter()
            .map(|k| out.join(format!("{k}.{format}")).display().to_string())
            .collect();
        let mut args = vec!["import", "--merchant", merchant];
        args.extend(files.iter().map(String::as_str));
        let imported = run(&args, &url);
        assert!(imported.status.success(), "{imported:?}");
        let said = String::from_utf8_lossy(&imported.stdout);
        assert!(said.contains("reorder points: 2 applied"), "{said}");

        let mut again = TestServer::start_at(url.clone()).await;
        assert_eq!(
            listed(&mut again).await,
            before,
            "{format}: the same points"
        );
        // The history came in before the points: it raised no alert.
        let mut watcher = watch_alerts(&again, from_beginning()).await;
        assert_quiet(&mut watcher).await;
        // The points hold on the imported counts (7 at A): a sale to 4 is LOW.
        apply(
            &mut again,
            vec![adjust(&item, &a, S::InStock, S::Sold, "3")],
        )
        .await;
        let got = take(&mut watcher, 1).await;
        assert_eq!(got[0].alert.as_ref().unwrap().kind(), Kind::Low);
        again.stop().await;

        // A point naming an item the merchant lacks is refused by line and column.
        let bad = dir.path().join(format!("bad-{format}"));
        std::fs::create_dir_all(&bad).unwrap();
        let path = bad.join(format!("reorder_points.{format}"));
        let row = match format {
            "csv" => format!(
                "catalog_object_id,location_id,reorder_point,updated_at\n{UNKNOWN_ID},{a},1,\n"
            ),
            _ => format!(
                "{{\"catalogObjectId\":\"{UNKNOWN_ID}\",\"locationId\":\"{a}\",\"reorderPoint\":\"1\"}}\n"
            ),
        };
        std::fs::write(&path, row).unwrap();
        let path_text = path.display().to_string();
        let refused = run(&["import", "--merchant", merchant, &path_text], &url);
        assert!(!refused.status.success());
        let said = String::from_utf8_lossy(&refused.stdout);
        assert!(
            said.contains("catalog_object_id") && said.contains("NOT_FOUND"),
            "{said}"
        );
    }
}
