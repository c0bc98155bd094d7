//! Live feeds end to end: WatchInventoryChanges and WatchInventoryCounts deliver every
//! committed change exactly once, in sequence order, across writers, replicas, restarts and
//! slow readers, on SQLite and PostgreSQL.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::ledger::*;
use common::{TestServer, assert_rejected};
use stockledger::proto::v1::{
    InventoryChange, InventoryState as S, WatchInventoryChangesRequest,
    WatchInventoryChangesResponse, WatchInventoryCountsRequest, WatchStart,
    inventory_change::Change,
};
use tokio_stream::StreamExt;
use tonic::{Code, Streaming};

fn change_id(change: &InventoryChange) -> String {
    match change.change.as_ref().unwrap() {
        Change::Adjustment(a) => a.id.clone(),
        Change::PhysicalCount(c) => c.id.clone(),
        Change::Transfer(t) => t.id.clone(),
    }
}

async fn watch(
    server: &TestServer,
    request: WatchInventoryChangesRequest,
) -> Streaming<WatchInventoryChangesResponse> {
    server
        .inventory
        .clone()
        .watch_inventory_changes(request)
        .await
        .expect("watch")
        .into_inner()
}

/// Reads exactly `n` messages, failing after 30 s without one.
async fn take(
    stream: &mut Streaming<WatchInventoryChangesResponse>,
    n: usize,
) -> Vec<WatchInventoryChangesResponse> {
    let mut got = Vec::with_capacity(n);
    while got.len() < n {
        let next = tokio::time::timeout(Duration::from_secs(30), stream.next())
            .await
            .expect("a message within 30 s");
        got.push(next.expect("stream open").expect("message"));
    }
    got
}

fn from_beginning() -> WatchInventoryChangesRequest {
    WatchInventoryChangesRequest {
        start: WatchStart::Beginning.into(),
        ..Default::default()
    }
}

on_both_backends! {
    async fn watch_replays_resumes_and_follows_live(server) {
        let mut server = server;
        let (l, i) = (location(&mut server, "Shop").await, item(&mut server, "W").await);
        let mut ids = Vec::new();
        for n in 1..=3 {
            let r = apply(&mut server, vec![adjust(&i, &l, S::None, S::InStock, &n.to_string()), count(&i, &l, S::Waste, &n.to_string())]).await;
            ids.extend(r.changes.iter().map(change_id));
        }
        let mut stream = watch(&server, from_beginning()).await;
        let first = take(&mut stream, 6).await;
        assert_eq!(first.iter().map(|m| m.sequence).collect::<Vec<_>>(), [1, 2, 3, 4, 5, 6]);
        assert_eq!(first.iter().map(|m| change_id(m.change.as_ref().unwrap())).collect::<Vec<_>>(), ids);

        let live = apply(&mut server, vec![adjust(&i, &l, S::InStock, S::Sold, "1")]).await;
        let next = take(&mut stream, 1).await;
        assert_eq!((next[0].sequence, change_id(next[0].change.as_ref().unwrap())), (7, change_id(&live.changes[0])));

        let mut resumed = watch(&server, WatchInventoryChangesRequest { resume_token: first[3].resume_token.clone(), ..Default::default() }).await;
        let rest = take(&mut resumed, 3).await;
        assert_eq!(rest.iter().map(|m| m.sequence).collect::<Vec<_>>(), [5, 6, 7]);

        let mut from_now = watch(&server, WatchInventoryChangesRequest::default()).await;
        let counts_only = WatchInventoryChangesRequest { types: vec![2], start: WatchStart::Beginning.into(), ..Default::default() };
        let mut filtered = watch(&server, counts_only).await;
        apply(&mut server, vec![adjust(&i, &l, S::None, S::InStock, "5")]).await;
        assert_eq!(take(&mut from_now, 1).await[0].sequence, 8, "NOW starts after what was committed");
        let physical = take(&mut filtered, 3).await;
        assert!(physical.iter().all(|m| m.change.as_ref().unwrap().r#type == 2));

        let both = server.inventory.clone().watch_inventory_changes(WatchInventoryChangesRequest {
            resume_token: first[0].resume_token.clone(), start: WatchStart::Now.into(), ..Default::default()
        }).await;
        assert_rejected(both, Code::InvalidArgument, &["start"]);
        let junk = server.inventory.clone().watch_inventory_changes(WatchInventoryChangesRequest { resume_token: "junk".into(), ..Default::default() }).await;
        assert_rejected(junk, Code::InvalidArgument, &["resume_token"]);
    }
}

on_both_backends! {
    async fn count_updates_carry_previous_quantity_and_cause(server) {
        let mut server = server;
        let (l, i) = (location(&mut server, "Shop").await, item(&mut server, "C").await);
        let mut counts = server.inventory.clone().watch_inventory_counts(WatchInventoryCountsRequest::default()).await.unwrap().into_inner();
        let day = apply(&mut server, vec![
            adjust(&i, &l, S::None, S::InStock, "100"),
            adjust(&i, &l, S::InStock, S::Sold, "3"),
            adjust(&i, &l, S::InStock, S::Waste, "2"),
        ]).await;
        let mut got = Vec::new();
        while got.len() < 4 {
            got.push(tokio::time::timeout(Duration::from_secs(30), counts.next()).await.unwrap().unwrap().unwrap());
        }
        let seen: Vec<(u64, i32, String, String, String)> = got.iter().map(|m| {
            let u = m.update.as_ref().unwrap();
            (m.sequence, u.state, u.previous_quantity.clone(), u.quantity.clone(), u.change_id.clone())
        }).collect();
        let ids: Vec<String> = day.changes.iter().map(change_id).collect();
        assert_eq!(seen, vec![
            (1, S::InStock as i32, String::new(), "100".into(), ids[0].clone()),
            (2, S::InStock as i32, "100".into(), "97".into(), ids[1].clone()),
            (3, S::InStock as i32, "97".into(), "95".into(), ids[2].clone()),
            (3, S::Waste as i32, String::new(), "2".into(), ids[2].clone()),
        ]);
        let mut resumed = server.inventory.clone().watch_inventory_counts(WatchInventoryCountsRequest {
            resume_token: got[2].resume_token.clone(), ..Default::default()
        }).await.unwrap().into_inner();
        let next = tokio::time::timeout(Duration::from_secs(30), resumed.next()).await.unwrap().unwrap().unwrap();
        assert_eq!(next.update.unwrap().state, S::Waste as i32, "resuming continues inside one change's updates");
    }
}

on_both_backends! {
    async fn concurrent_writers_on_two_replicas_reach_every_watcher_exactly_once(server) {
        let mut server = server;
        let replica = server.replica().await;
        let (l, i) = (location(&mut server, "Shop").await, item(&mut server, "R").await);
        let mut watchers = Vec::new();
        for n in 0..4 {
            let target = if n % 2 == 0 { &server } else { &replica };
            watchers.push(watch(target, WatchInventoryChangesRequest::default()).await);
        }
        let writers: Vec<_> = (0..6).map(|w| {
            let mut client = if w % 2 == 0 { server.inventory.clone() } else { replica.inventory.clone() };
            let (i, l) = (i.clone(), l.clone());
            tokio::spawn(async move {
                let mut ids = Vec::new();
                for n in 0..15 {
                    let changes = (0..=(n % 3)).map(|_| adjust(&i, &l, S::None, S::InStock, "1")).collect();
                    let r = client.batch_change_inventory(batch(changes)).await.expect("write").into_inner();
                    ids.extend(r.changes.iter().map(change_id));
                }
                ids
            })
        }).collect();
        let mut committed = HashSet::new();
        for writer in writers {
            committed.extend(writer.await.unwrap());
        }
        let total = committed.len();
        assert_eq!(total, 6 * (5 * (1 + 2 + 3)));
        for mut watcher in watchers {
            let got = take(&mut watcher, total).await;
            let sequences: Vec<u64> = got.iter().map(|m| m.sequence).collect();
            assert_eq!(sequences, (1..=total as u64).collect::<Vec<_>>(), "gap-free, in order, no repeats");
            let ids: HashSet<String> = got.iter().map(|m| change_id(m.change.as_ref().unwrap())).collect();
            assert_eq!(ids, committed, "exactly the committed set");
        }
        replica.stop().await;
    }
}

on_both_backends! {
    async fn a_restart_mid_stream_loses_and_repeats_nothing(server) {
        let mut server = server;
        let (l, i) = (location(&mut server, "Shop").await, item(&mut server, "K").await);
        apply(&mut server, vec![adjust(&i, &l, S::None, S::InStock, "1"); 5]).await;
        let mut stream = watch(&server, from_beginning()).await;
        let before = take(&mut stream, 5).await;
        let token = before.last().unwrap().resume_token.clone();

        let mut server = server.restart().await;
        let ended = tokio::time::timeout(Duration::from_secs(30), stream.next()).await.expect("the stream ends");
        if let Some(Err(status)) = ended {
            assert_eq!(status.code(), Code::Unavailable, "{status:?}");
        }
        apply(&mut server, vec![adjust(&i, &l, S::None, S::InStock, "1"); 3]).await;
        let mut resumed = watch(&server, WatchInventoryChangesRequest { resume_token: token, ..Default::default() }).await;
        let after = take(&mut resumed, 3).await;
        assert_eq!(after.iter().map(|m| m.sequence).collect::<Vec<_>>(), [6, 7, 8]);
        let quiet = tokio::time::timeout(Duration::from_millis(1500), resumed.next()).await;
        assert!(quiet.is_err(), "nothing more is delivered: {quiet:?}");
    }
}

on_both_backends! {
    async fn a_watcher_that_stops_reading_is_caught_up_from_the_log(server) {
        let mut server = server;
        let (l, i) = (location(&mut server, "Shop").await, item(&mut server, "B").await);
        let mut stalled = watch(&server, WatchInventoryChangesRequest::default()).await;
        for _ in 0..30 {
            apply(&mut server, vec![adjust(&i, &l, S::None, S::InStock, "1"); 100]).await;
        }
        let got = take(&mut stalled, 3000).await;
        assert_eq!(got.iter().map(|m| m.sequence).collect::<Vec<_>>(), (1..=3000).collect::<Vec<_>>());
        assert_verified(&server).await;
    }
}

/// A second `stockledger serve` process on the same database.
struct ProcessReplica {
    child: std::process::Child,
    clients: common::Clients,
}

impl ProcessReplica {
    async fn start(server: &TestServer) -> ProcessReplica {
        let port = common::free_port();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_stockledger"))
            .args([
                "serve",
                "--no-dev-token",
                "--listen",
                &format!("127.0.0.1:{port}"),
            ])
            .env("DATABASE_URL", &server.database_url)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("starting a replica process");
        common::wait_for_port(port);
        let channel = tonic::transport::Channel::from_shared(format!("http://127.0.0.1:{port}"))
            .unwrap()
            .connect()
            .await
            .unwrap();
        ProcessReplica {
            child,
            clients: common::Clients::new(&channel, &server.token),
        }
    }
}

impl Drop for ProcessReplica {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

on_both_backends! {
    async fn a_killed_replica_process_loses_nothing_for_its_watchers(server) {
        let mut server = server;
        let (l, i) = (location(&mut server, "Shop").await, item(&mut server, "P").await);
        let mut replica = ProcessReplica::start(&server).await;

        // Writes through the separate process reach a watcher of this server.
        let mut here = watch(&server, WatchInventoryChangesRequest::default()).await;
        let mut there = replica.clients.inventory.watch_inventory_changes(from_beginning()).await.unwrap().into_inner();
        let mut written = Vec::new();
        for n in 0..10 {
            let target = if n % 2 == 0 { &mut replica.clients.inventory } else { &mut server.inventory };
            let r = target.batch_change_inventory(batch(vec![adjust(&i, &l, S::None, S::InStock, "1")])).await.unwrap().into_inner();
            written.push(change_id(&r.changes[0]));
        }
        let seen_here: Vec<String> = take(&mut here, 10).await.iter().map(|m| change_id(m.change.as_ref().unwrap())).collect();
        assert_eq!(seen_here, written, "both processes' writes, in commit order");

        // Kill the replica hard mid-stream, keep writing, and resume elsewhere from the last token.
        let read_before_kill = take(&mut there, 4).await;
        drop(replica);
        for _ in 0..3 {
            let r = apply(&mut server, vec![adjust(&i, &l, S::None, S::InStock, "1")]).await;
            written.push(change_id(&r.changes[0]));
        }
        let token = read_before_kill.last().unwrap().resume_token.clone();
        let mut resumed = watch(&server, WatchInventoryChangesRequest { resume_token: token, ..Default::default() }).await;
        let rest: Vec<String> = take(&mut resumed, 9).await.iter().map(|m| change_id(m.change.as_ref().unwrap())).collect();
        assert_eq!(rest, written[4..], "exactly the changes after the last one read");
        assert_verified(&server).await;
    }
}
