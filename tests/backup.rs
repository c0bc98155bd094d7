//! `stockledger backup` against the real binary: a SQLite database copied while a server
//! commits batches to it, restored as docs/operations.md says (the file copied into place,
//! `stockledger verify`, a server started on it), and the refusals an operator may meet.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use common::Clients;
use common::ledger::{adjust, apply, item, location, quantity};
use common::load::assert_verify_passes;
use common::ports::free_port;
use common::process::{ServeProcess, run, serve};
use stockledger::proto::v1::InventoryState;

const SCOPES: &str = "INVENTORY_READ,INVENTORY_WRITE,ITEMS_WRITE,LOCATIONS_WRITE";

/// A server on `database_url` started as in production (no development token), and
/// clients sending `token`.
async fn start(database_url: &str, token: &str) -> (ServeProcess, Clients) {
    let port = free_port();
    let mut command = serve(database_url, port);
    command.arg("--no-dev-token");
    let process = ServeProcess::spawn(command, port);
    let clients = Clients::new(&process.channel().await, token);
    (process, clients)
}

/// Runs `stockledger args…`, returning its stdout; panics with its output unless it
/// succeeds.
fn succeed(args: &[&str], database_url: &str) -> String {
    let out = run(args, database_url);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "stockledger {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Runs `stockledger args…`, which must fail; returns its stderr.
fn refused(args: &[&str], database_url: &str) -> String {
    let out = run(args, database_url);
    assert!(
        !out.status.success(),
        "stockledger {args:?} should have failed"
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

async fn in_stock(clients: &mut Clients, item: &str, location: &str) -> Option<String> {
    quantity(clients, item, location, InventoryState::InStock).await
}

/// Batch k of the live writer: k units of A and one of B received. After K batches, B is
/// K and A is K(K+1)/2: both together name the moment of the history a copy holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_of_a_live_database_restores_a_moment_of_its_history() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let live = format!("sqlite://{}?mode=rwc", dir.path().join("live.db").display());
    succeed(&["migrate"], &live);
    let token = succeed(
        &[
            "token",
            "create",
            "--merchant",
            "backup-test",
            "--scopes",
            SCOPES,
            "--app-name",
            "Backup test",
        ],
        &live,
    );
    let token = token.trim().to_owned();
    let (server, mut clients) = start(&live, &token).await;
    let shop = location(&mut clients, "Shop").await;
    let (a, b, seed) = (
        item(&mut clients, "A").await,
        item(&mut clients, "B").await,
        item(&mut clients, "SEED").await,
    );
    // Some history first, so that the copy takes a while: 40 batches of 100 receipts.
    for _ in 0..40 {
        let receipts = (0..100)
            .map(|_| {
                adjust(
                    &seed,
                    &shop,
                    InventoryState::None,
                    InventoryState::InStock,
                    "1",
                )
            })
            .collect();
        apply(&mut clients, receipts).await;
    }

    let acked = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (acked, stop, mut clients) = (acked.clone(), stop.clone(), clients.clone());
        let (a, b, shop) = (a.clone(), b.clone(), shop.clone());
        tokio::spawn(async move {
            let mut k = 0u64;
            while !stop.load(Ordering::SeqCst) {
                k += 1;
                let changes = vec![
                    adjust(
                        &a,
                        &shop,
                        InventoryState::None,
                        InventoryState::InStock,
                        &k.to_string(),
                    ),
                    adjust(
                        &b,
                        &shop,
                        InventoryState::None,
                        InventoryState::InStock,
                        "1",
                    ),
                ];
                // Any refusal (a locked database, say) fails the test.
                apply(&mut clients, changes).await;
                acked.store(k, Ordering::SeqCst);
            }
        })
    };
    while acked.load(Ordering::SeqCst) < 20 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }

    let backup_file = dir.path().join("backup.db");
    let to = backup_file.to_string_lossy().into_owned();
    let before = acked.load(Ordering::SeqCst);
    let said = {
        let (live, to) = (live.clone(), to.clone());
        tokio::task::spawn_blocking(move || succeed(&["backup", "--to", &to], &live))
            .await
            .expect("backup task")
    };
    let after = acked.load(Ordering::SeqCst);
    while acked.load(Ordering::SeqCst) < after + 20 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    stop.store(true, Ordering::SeqCst);
    writer.await.expect("the writer met no refusal");
    assert!(
        after > before,
        "the server acknowledged no write while the backup ran ({before} before, {after} after)"
    );
    assert!(
        said.starts_with(&format!("backed up to {to}: ")),
        "backup said: {said}"
    );
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&backup_file)
            .expect("the backup")
            .permissions(),
    );
    assert_eq!(mode & 0o077, 0, "a backup is readable by its owner only");

    // Refusals: the file exists now; PostgreSQL is pg_dump's; a missing database is not
    // created.
    let size = std::fs::metadata(&backup_file).expect("backup").len();
    let again = refused(&["backup", "--to", &to], &live);
    assert!(
        again.contains("--to") && again.contains("exists"),
        "{again}"
    );
    assert_eq!(std::fs::metadata(&backup_file).expect("backup").len(), size);
    let postgres = refused(
        &["backup", "--to", &format!("{to}.pg")],
        "postgres://stockledger@127.0.0.1:1/stockledger",
    );
    assert!(postgres.contains("pg_dump"), "{postgres}");
    let nowhere = dir.path().join("nowhere.db");
    let missing = refused(
        &["backup", "--to", &format!("{to}.missing")],
        &format!("sqlite://{}?mode=rwc", nowhere.display()),
    );
    assert!(missing.contains("--database-url"), "{missing}");
    assert!(!nowhere.exists(), "a backup never creates its source");
    assert!(!std::path::Path::new(&format!("{to}.missing")).exists());

    // The live server goes on after the backup, and stops cleanly.
    let k_live = acked.load(Ordering::SeqCst);
    assert_eq!(
        in_stock(&mut clients, &b, &shop).await.as_deref(),
        Some(k_live.to_string().as_str())
    );
    drop(clients);
    assert!(server.terminate().await.status.success());

    // Restore: the copy put in place of a database file, verified, then served.
    let restored_file = dir.path().join("restored").join("stockledger.db");
    std::fs::create_dir_all(restored_file.parent().expect("parent")).expect("directory");
    std::fs::copy(&backup_file, &restored_file).expect("copying the backup into place");
    let restored = format!("sqlite://{}?mode=rwc", restored_file.display());
    assert_verify_passes(&restored);
    let (server, mut clients) = start(&restored, &token).await;
    let k: u64 = in_stock(&mut clients, &b, &shop)
        .await
        .expect("B counted in the backup")
        .parse()
        .expect("a whole number");
    assert!(
        (before..=after).contains(&k),
        "the backup holds {k} batches: it must be a moment between the backup's start \
         ({before} acknowledged) and its end ({after})"
    );
    assert_eq!(
        in_stock(&mut clients, &a, &shop).await,
        Some((k * (k + 1) / 2).to_string()),
        "A after exactly the first {k} batches"
    );
    assert_eq!(
        in_stock(&mut clients, &seed, &shop).await.as_deref(),
        Some("4000")
    );
    assert!(
        said.contains(&format!("{} inventory changes", 4000 + 2 * k)),
        "backup said: {said} (expected {} changes)",
        4000 + 2 * k
    );
    drop(clients);
    assert!(server.terminate().await.status.success());
    println!(
        "backup: {said}the copy holds the first {k} of the writer's batches \
         ({before} acknowledged when it started, {after} when it ended)"
    );
}
