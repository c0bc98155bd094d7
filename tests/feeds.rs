//! Live feeds end to end: WatchInventoryChanges and WatchInventoryCounts deliver every
//! committed change exactly once, in sequence order, across writers, replicas, restarts and
//! slow readers, on SQLite and PostgreSQL.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::ledger::*;
use common::ports::free_port;
use common::process::{ServeProcess, serve};
use common::{Clients, TestServer, assert_rejected};
use stockledger::proto::v1::{
    BatchChangeInventoryResponse, InventoryChangeType, InventoryState as S,
    WatchInventoryChangesRequest, WatchInventoryChangesResponse, WatchInventoryCountsRequest,
    WatchStart,
};
use tokio_stream::StreamExt;
use tonic::{Code, Streaming};

/// How long a feed may take to deliver a committed change.
const DELIVERY: Duration = Duration::from_secs(30);

async fn watch(
    server: &TestServer,
    request: WatchInventoryChangesRequest,
) -> Streaming<WatchInventoryChangesResponse> {
    let mut inventory = server.inventory.clone();
    let stream = inventory.watch_inventory_changes(request).await;
    stream.expect("watch").into_inner()
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

/// Asserts that `stream` delivers nothing more for a while.
async fn assert_quiet<T: std::fmt::Debug>(stream: &mut Streaming<T>) {
    let quiet = tokio::time::timeout(Duration::from_millis(1500), stream.next()).await;
    assert!(quiet.is_err(), "nothing more is delivered: {quiet:?}");
}

fn from_beginning() -> WatchInventoryChangesRequest {
    WatchInventoryChangesRequest {
        start: WatchStart::Beginning.into(),
        ..Default::default()
    }
}

fn resume_after(resume_token: &str) -> WatchInventoryChangesRequest {
    WatchInventoryChangesRequest {
        resume_token: resume_token.into(),
        ..Default::default()
    }
}

fn sequences(messages: &[WatchInventoryChangesResponse]) -> Vec<u64> {
    messages.iter().map(|m| m.sequence).collect()
}

/// The ids of the changes delivered in `messages`.
fn delivered(messages: &[WatchInventoryChangesResponse]) -> Vec<String> {
    let change = |m: &WatchInventoryChangesResponse| change_id(m.change.as_ref().expect("change"));
    messages.iter().map(change).collect()
}

/// The ids of the changes a batch recorded.
fn recorded(response: &BatchChangeInventoryResponse) -> Vec<String> {
    response.changes.iter().map(change_id).collect()
}

on_both_backends!(watch_replays_resumes_and_follows_live);
async fn watch_replays_resumes_and_follows_live(mut server: TestServer) {
    let (l, i) = shop_and_item(&mut server, "W").await;
    let mut ids = Vec::new();
    for n in 1..=3 {
        let n = n.to_string();
        let changes = vec![
            adjust(&i, &l, S::None, S::InStock, &n),
            count(&i, &l, S::Waste, &n),
        ];
        ids.extend(recorded(&apply(&mut server, changes).await));
    }
    let mut stream = watch(&server, from_beginning()).await;
    let first = take(&mut stream, 6).await;
    assert_eq!(sequences(&first), [1, 2, 3, 4, 5, 6]);
    assert_eq!(delivered(&first), ids);

    let live = apply(&mut server, vec![adjust(&i, &l, S::InStock, S::Sold, "1")]).await;
    let next = take(&mut stream, 1).await;
    assert_eq!(
        (sequences(&next), delivered(&next)),
        (vec![7], recorded(&live))
    );

    let mut resumed = watch(&server, resume_after(&first[3].resume_token)).await;
    assert_eq!(sequences(&take(&mut resumed, 3).await), [5, 6, 7]);

    let mut from_now = watch(&server, WatchInventoryChangesRequest::default()).await;
    let counts_only = WatchInventoryChangesRequest {
        types: vec![InventoryChangeType::PhysicalCount.into()],
        ..from_beginning()
    };
    let mut filtered = watch(&server, counts_only).await;
    apply(&mut server, vec![adjust(&i, &l, S::None, S::InStock, "5")]).await;
    let now = take(&mut from_now, 1).await;
    assert_eq!(sequences(&now), [8], "NOW starts after what was committed");
    let physical = take(&mut filtered, 3).await;
    let kinds: Vec<_> = physical
        .iter()
        .map(|m| m.change.as_ref().unwrap().r#type())
        .collect();
    assert_eq!(kinds, [InventoryChangeType::PhysicalCount; 3]);

    let mut inventory = server.inventory.clone();
    let both = WatchInventoryChangesRequest {
        start: WatchStart::Now.into(),
        ..resume_after(&first[0].resume_token)
    };
    let both = inventory.watch_inventory_changes(both).await;
    assert_rejected(both, Code::InvalidArgument, &["start"]);
    let junk = inventory
        .watch_inventory_changes(resume_after("junk"))
        .await;
    assert_rejected(junk, Code::InvalidArgument, &["resume_token"]);
}

on_both_backends!(count_updates_carry_previous_quantity_and_cause);
async fn count_updates_carry_previous_quantity_and_cause(mut server: TestServer) {
    let (l, i) = shop_and_item(&mut server, "C").await;
    let mut inventory = server.inventory.clone();
    let mut watch_counts = async |request| {
        let stream = inventory.watch_inventory_counts(request).await;
        stream.expect("watch counts").into_inner()
    };
    let mut counts = watch_counts(WatchInventoryCountsRequest::default()).await;
    let day = vec![
        adjust(&i, &l, S::None, S::InStock, "100"),
        adjust(&i, &l, S::InStock, S::Sold, "3"),
        adjust(&i, &l, S::InStock, S::Waste, "2"),
    ];
    let ids = recorded(&apply(&mut server, day).await);
    let got = take(&mut counts, 4).await;
    let seen: Vec<(u64, S, &str, &str, &str)> = got
        .iter()
        .map(|m| {
            let u = m.update.as_ref().unwrap();
            let (previous, now) = (u.previous_quantity.as_str(), u.quantity.as_str());
            (m.sequence, u.state(), previous, now, u.change_id.as_str())
        })
        .collect();
    assert_eq!(
        seen,
        [
            (1, S::InStock, "", "100", ids[0].as_str()),
            (2, S::InStock, "100", "97", ids[1].as_str()),
            (3, S::InStock, "97", "95", ids[2].as_str()),
            (3, S::Waste, "", "2", ids[2].as_str()),
        ]
    );
    assert_quiet(&mut counts).await;

    let inside_a_change = WatchInventoryCountsRequest {
        resume_token: got[2].resume_token.clone(),
        ..Default::default()
    };
    let mut resumed = watch_counts(inside_a_change).await;
    let next = take(&mut resumed, 1).await.remove(0).update.unwrap();
    let continues = "resuming continues inside one change's updates";
    assert_eq!(next.state(), S::Waste, "{continues}");
}

on_both_backends!(concurrent_writers_on_two_replicas_reach_every_watcher_exactly_once);
async fn concurrent_writers_on_two_replicas_reach_every_watcher_exactly_once(
    mut server: TestServer,
) {
    let replica = server.replica().await;
    let (l, i) = shop_and_item(&mut server, "R").await;
    let mut watchers = Vec::new();
    for n in 0..4 {
        let target = if n % 2 == 0 { &server } else { &replica };
        watchers.push(watch(target, WatchInventoryChangesRequest::default()).await);
    }
    let writers: Vec<_> = (0..6)
        .map(|w| {
            let target = if w % 2 == 0 { &server } else { &replica };
            let mut client = target.inventory.clone();
            let receipt = adjust(&i, &l, S::None, S::InStock, "1");
            tokio::spawn(async move {
                let mut ids = Vec::new();
                for n in 0..15 {
                    let changes = vec![receipt.clone(); 1 + n % 3];
                    let written = client.batch_change_inventory(batch(changes)).await;
                    ids.extend(recorded(&written.expect("write").into_inner()));
                }
                ids
            })
        })
        .collect();
    let mut committed = HashSet::new();
    for writer in writers {
        committed.extend(writer.await.unwrap());
    }
    let total = committed.len();
    assert_eq!(total, 6 * (5 * (1 + 2 + 3)));
    for mut watcher in watchers {
        let got = take(&mut watcher, total).await;
        let in_order: Vec<u64> = (1..=total as u64).collect();
        assert_eq!(sequences(&got), in_order, "gap-free, in order, no repeats");
        let ids: HashSet<String> = delivered(&got).into_iter().collect();
        assert_eq!(ids, committed, "exactly the committed set");
    }
    replica.stop().await;
}

on_both_backends!(a_restart_mid_stream_loses_and_repeats_nothing);
async fn a_restart_mid_stream_loses_and_repeats_nothing(mut server: TestServer) {
    let (l, i) = shop_and_item(&mut server, "K").await;
    let receipt = adjust(&i, &l, S::None, S::InStock, "1");
    let before = apply(&mut server, vec![receipt.clone(); 5]).await;
    let mut stream = watch(&server, from_beginning()).await;
    let read = take(&mut stream, 5).await;
    assert_eq!(sequences(&read), [1, 2, 3, 4, 5]);
    assert_eq!(delivered(&read), recorded(&before));
    let token = read.last().unwrap().resume_token.clone();

    // The old stream ends with the server: nothing but, at most, an UNAVAILABLE status.
    let mut server = server.restart().await;
    let mut ending = Vec::new();
    while let Some(message) = tokio::time::timeout(DELIVERY, stream.next())
        .await
        .expect("ends")
    {
        ending.push(message);
    }
    match ending.as_slice() {
        [] => {}
        [Err(status)] => assert_eq!(status.code(), Code::Unavailable, "{status:?}"),
        more => panic!("after the last change only the end may come, got {more:?}"),
    }

    let after = apply(&mut server, vec![receipt; 3]).await;
    let mut resumed = watch(&server, resume_after(&token)).await;
    let got = take(&mut resumed, 3).await;
    assert_eq!(sequences(&got), [6, 7, 8]);
    assert_eq!(delivered(&got), recorded(&after));
    assert_quiet(&mut resumed).await;
}

on_both_backends!(a_watcher_that_stops_reading_is_caught_up_from_the_log);
async fn a_watcher_that_stops_reading_is_caught_up_from_the_log(mut server: TestServer) {
    let (l, i) = shop_and_item(&mut server, "B").await;
    let mut stalled = watch(&server, WatchInventoryChangesRequest::default()).await;
    for _ in 0..30 {
        let receipts = vec![adjust(&i, &l, S::None, S::InStock, "1"); 100];
        apply(&mut server, receipts).await;
    }
    let got = take(&mut stalled, 3000).await;
    assert_eq!(sequences(&got), (1..=3000).collect::<Vec<_>>());
    assert_verified(&server).await;
}

on_both_backends!(a_killed_replica_process_loses_nothing_for_its_watchers);
async fn a_killed_replica_process_loses_nothing_for_its_watchers(mut server: TestServer) {
    let (l, i) = shop_and_item(&mut server, "P").await;
    // A second `stockledger serve` process on the same database.
    let port = free_port();
    let mut command = serve(&server.database_url, port);
    command.arg("--no-dev-token");
    let replica = ServeProcess::spawn(command, port);
    let mut there = Clients::new(&replica.channel().await, &server.token).inventory;

    // Writes through the separate process reach a watcher of this server.
    let mut here = watch(&server, WatchInventoryChangesRequest::default()).await;
    let replicated = there.watch_inventory_changes(from_beginning()).await;
    let mut replicated = replicated.unwrap().into_inner();
    let mut written = Vec::new();
    for n in 0..10 {
        let target = if n % 2 == 0 {
            &mut there
        } else {
            &mut server.inventory
        };
        let receipt = batch(vec![adjust(&i, &l, S::None, S::InStock, "1")]);
        let response = target.batch_change_inventory(receipt).await;
        written.extend(recorded(&response.unwrap().into_inner()));
    }
    let seen_here = delivered(&take(&mut here, 10).await);
    assert_eq!(
        seen_here, written,
        "both processes' writes, in commit order"
    );

    // Kill the replica hard mid-stream, keep writing, and resume elsewhere from the last token.
    let read_before_kill = take(&mut replicated, 4).await;
    drop(replica);
    for _ in 0..3 {
        let receipt = adjust(&i, &l, S::None, S::InStock, "1");
        written.extend(recorded(&apply(&mut server, vec![receipt]).await));
    }
    let token = &read_before_kill.last().unwrap().resume_token;
    let mut resumed = watch(&server, resume_after(token)).await;
    let rest = delivered(&take(&mut resumed, 9).await);
    let after = &written[4..];
    assert_eq!(rest, after, "exactly the changes after the last one read");
    assert_verified(&server).await;
}
