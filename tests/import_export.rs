//! `stockledger import` and `stockledger export` (docs/import-export.md), run as a user runs
//! them, on SQLite and PostgreSQL: a generated history of 100,000 rows two years back whose
//! counts equal the fold of the file and whose second import changes nothing; bad rows named
//! by file, line, column and reason with nothing of their batches applied; export → import →
//! export byte for byte.

mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use common::Backend;
use common::process::run;
use sea_orm_migration::MigratorTrait;
use stockledger::domain::decimal::Fixed5;
use stockledger::domain::ledger::InventoryState;
use stockledger::store::Store;
use stockledger::store::ledger::{ChangeQuery, CountQuery};

const MERCHANT: &str = "moving-in";
const ROWS: usize = 100_000;
const ITEMS: usize = 40;
const LOCATIONS: usize = 4;

async fn database_url(backend: Backend, dir: &Path, name: &str) -> String {
    match backend {
        Backend::Sqlite => format!("sqlite://{}?mode=rwc", dir.join(name).display()),
        Backend::Postgres => common::postgres::fresh_database_url().await,
    }
}

fn item_id(i: usize) -> String {
    format!("0190a1b2-0000-7000-8000-{:012x}", 0x1000 + i)
}

fn location_id(l: usize) -> String {
    format!("0190a1b2-0000-7000-8000-{:012x}", 0x2000 + l)
}

fn change_id(n: usize) -> String {
    format!("0190a1b2-0000-7000-9000-{n:012x}")
}

fn write_catalogue(dir: &Path) {
    let mut items = String::from("id,sku,cost,tracked\n");
    for i in 0..ITEMS {
        writeln!(items, "{},SKU-{i},{}.5,true", item_id(i), i + 1).unwrap();
    }
    std::fs::write(dir.join("items.csv"), items).unwrap();
    let mut locations = String::from("id,name,status\n");
    for l in 0..LOCATIONS {
        writeln!(locations, "{},Location {l},ACTIVE", location_id(l)).unwrap();
    }
    std::fs::write(dir.join("locations.csv"), locations).unwrap();
}

type Key = (String, String, InventoryState);

/// A deterministic pseudo-random history, oldest first, two years back to a day ago, and
/// the counts its fold gives.
fn write_history(dir: &Path) -> BTreeMap<Key, Fixed5> {
    let mut counts: BTreeMap<Key, i64> = BTreeMap::new();
    let mut csv = String::from(
        "id,type,occurred_at,catalog_object_id,quantity,from_state,to_state,state,location_id,\
         from_location_id,to_location_id,reference_id,employee_id,source_name\n",
    );
    let now = chrono::Utc::now().timestamp();
    let start = now - 2 * 365 * 86_400;
    let step = (now - 86_400 - start) / ROWS as i64;
    let mut seed: u64 = 0x5eed;
    let mut next = |n: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    for n in 0..ROWS {
        let at = chrono::DateTime::from_timestamp(start + n as i64 * step, 0)
            .unwrap()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let item = item_id(next(ITEMS as u64) as usize);
        let l = next(LOCATIONS as u64) as usize;
        let location = location_id(l);
        let q = next(20) as i64 + 1;
        let id = change_id(n);
        let mut add = |loc: &str, state, delta: i64| {
            *counts
                .entry((item.clone(), loc.to_owned(), state))
                .or_default() += delta;
        };
        match next(10) {
            0..=3 => {
                add(&location, InventoryState::InStock, q);
                writeln!(csv, "{id},ADJUSTMENT,{at},{item},{q},NONE,IN_STOCK,,{location},,,PO-{n},emp-{l},Old system").unwrap();
            }
            4..=6 => {
                add(&location, InventoryState::InStock, -q);
                writeln!(csv, "{id},ADJUSTMENT,{at},{item},{q},IN_STOCK,SOLD,,{location},,,sale-{n},,Old system").unwrap();
            }
            7 => {
                add(&location, InventoryState::InStock, -q);
                add(&location, InventoryState::Waste, q);
                writeln!(
                    csv,
                    "{id},ADJUSTMENT,{at},{item},{q},IN_STOCK,WASTE,,{location},,,,,Old system"
                )
                .unwrap();
            }
            8 => {
                let to = location_id((l + 1) % LOCATIONS);
                add(&location, InventoryState::InStock, -q);
                add(&to, InventoryState::InStock, q);
                writeln!(
                    csv,
                    "{id},TRANSFER,{at},{item},{q},,,IN_STOCK,,{location},{to},TR-{n},,Old system"
                )
                .unwrap();
            }
            _ => {
                let counted = q * 3;
                counts.insert(
                    (item.clone(), location.clone(), InventoryState::InStock),
                    counted,
                );
                writeln!(csv, "{id},PHYSICAL_COUNT,{at},{item},{counted},,,IN_STOCK,{location},,,count-{n},emp-{l},Old system").unwrap();
            }
        }
    }
    std::fs::write(dir.join("changes.csv"), csv).unwrap();
    counts
        .into_iter()
        .map(|(k, v)| (k, Fixed5::from_units(v * 100_000)))
        .collect()
}

/// Every count of the merchant, read through the store.
async fn stored_counts(database_url: &str) -> BTreeMap<Key, Fixed5> {
    let store = Store::connect(database_url).await.unwrap();
    let merchant = store.find_merchant(MERCHANT).await.unwrap().unwrap();
    let mut counts = BTreeMap::new();
    let mut after = None;
    loop {
        let page = store
            .list_counts(&merchant, &CountQuery::default(), after.clone(), 1000)
            .await
            .unwrap();
        for c in &page.items {
            counts.insert(
                (
                    c.key.catalog_object_id.clone(),
                    c.key.location_id.clone(),
                    c.key.state,
                ),
                c.quantity,
            );
        }
        after = page.items.last().map(|c| {
            (
                c.calculated_at,
                c.key.catalog_object_id.clone(),
                c.key.location_id.clone(),
                c.key.state.as_str().to_owned(),
            )
        });
        if !page.has_more {
            break;
        }
    }
    store.close().await.unwrap();
    counts
}

async fn history_len(database_url: &str) -> usize {
    let store = Store::connect(database_url).await.unwrap();
    let Some(merchant) = store.find_merchant(MERCHANT).await.unwrap() else {
        return 0;
    };
    let mut n = 0;
    let mut after = None;
    loop {
        let page = store
            .list_changes(&merchant, &ChangeQuery::default(), after, 1000)
            .await
            .unwrap();
        n += page.items.len();
        after = page.items.last().map(|c| (c.change.occurred_at, c.seq));
        if !page.has_more {
            break;
        }
    }
    store.close().await.unwrap();
    n
}

fn stockledger(args: &[&str], database_url: &str) -> (bool, String, String) {
    let out = run(args, database_url);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn import_args<'a>(dir: &'a Path, files: &[&str], extra: &[&'a str]) -> Vec<String> {
    let mut args = vec!["import".to_owned(), "--merchant".into(), MERCHANT.into()];
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(files.iter().map(|f| dir.join(f).display().to_string()));
    args
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

async fn a_large_history_imports_once(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = database_url(backend, dir.path(), "big.db").await;
    write_catalogue(dir.path());
    let expected = write_history(dir.path());
    let args = import_args(
        dir.path(),
        &["items.csv", "locations.csv", "changes.csv"],
        &[],
    );

    let started = Instant::now();
    let (ok, stdout, stderr) = stockledger(&strs(&args), &url);
    let first = started.elapsed();
    assert!(ok, "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!(
            "changes: {ROWS} applied, 0 already present, 0 refused"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("items: {ITEMS} applied")),
        "{stdout}"
    );
    assert_eq!(
        stored_counts(&url).await,
        expected,
        "counts are the fold of the file"
    );
    assert_eq!(history_len(&url).await, ROWS);

    let started = Instant::now();
    let (ok, stdout, stderr) = stockledger(&strs(&args), &url);
    let second = started.elapsed();
    assert!(ok, "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!(
            "changes: 0 applied, {ROWS} already present, 0 refused"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("items: 0 applied, {ITEMS} already present")),
        "{stdout}"
    );
    assert_eq!(history_len(&url).await, ROWS, "nothing recorded twice");
    assert_eq!(stored_counts(&url).await, expected);

    let (ok, stdout, _) = stockledger(&["verify"], &url);
    assert!(ok, "{stdout}");
    eprintln!(
        "{backend:?}: {ROWS} rows imported in {:.1} s ({:.0} rows/s), again in {:.1} s",
        first.as_secs_f64(),
        ROWS as f64 / first.as_secs_f64(),
        second.as_secs_f64()
    );
}

async fn bad_rows_are_named_and_their_batches_refused(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = database_url(backend, dir.path(), "bad.db").await;
    write_catalogue(dir.path());
    // Three batches of 1,000 rows (lines 2–1001, 1002–2001, 2002–3001 with the header).
    let mut csv = String::from(
        "id,type,occurred_at,catalog_object_id,quantity,to_state,from_state,location_id\n",
    );
    let unknown_item = "0190a1b2-0000-7000-8000-00000000ffff";
    for n in 0..3000 {
        let line = n + 2;
        let quantity = if line == 10 { "1.234567" } else { "1" };
        let to_state = if line == 20 { "SHELF" } else { "IN_STOCK" };
        let item = if line == 2500 {
            unknown_item.to_owned()
        } else {
            item_id(n % ITEMS)
        };
        let at = if line == 30 {
            "2999-01-01T00:00:00Z"
        } else {
            "2021-06-01T12:00:00Z"
        };
        writeln!(
            csv,
            "{},ADJUSTMENT,{at},{item},{quantity},{to_state},NONE,{}",
            change_id(n),
            location_id(0)
        )
        .unwrap();
    }
    std::fs::write(dir.path().join("changes.csv"), csv).unwrap();
    let catalogue = import_args(dir.path(), &["items.csv", "locations.csv"], &[]);
    assert!(stockledger(&strs(&catalogue), &url).0);

    let dry = import_args(dir.path(), &["changes.csv"], &["--dry-run"]);
    let (ok, dry_stdout, _) = stockledger(&strs(&dry), &url);
    assert!(!ok, "a dry run with bad rows fails: {dry_stdout}");
    assert_eq!(history_len(&url).await, 0, "a dry run writes nothing");

    let args = import_args(dir.path(), &["changes.csv"], &[]);
    let (ok, stdout, stderr) = stockledger(&strs(&args), &url);
    assert!(!ok, "{stdout}");
    assert_eq!(
        without_dry_run_line(&dry_stdout),
        stdout,
        "the dry run said what the real run did, the ledger's refusals (an unknown item) included"
    );
    let file = dir.path().join("changes.csv").display().to_string();
    for (line, column, reason) in [
        (10, "quantity", "at most 5 digits after the decimal point"),
        (20, "to_state", "is not a known value"),
        (30, "occurred_at", "INVALID_TIME"),
        (2500, "catalog_object_id", "NOT_FOUND"),
    ] {
        let wanted = format!("REFUSED {file}:{line}: column {column}: ");
        let found = stdout.lines().find(|l| l.starts_with(&wanted));
        assert!(
            found.is_some_and(|l| l.contains(reason)),
            "line {line} named with {column} and {reason}:\n{stdout}\n{stderr}"
        );
    }
    assert_eq!(stdout.matches("REFUSED").count(), 4, "{stdout}");
    assert!(
        stdout.contains("changes: 1000 applied, 0 already present, 4 refused, 1996 held back"),
        "{stdout}"
    );
    assert_eq!(
        history_len(&url).await,
        1000,
        "only the good batch is applied"
    );
    assert!(stockledger(&["verify"], &url).0);

    // A batch whose first half is already present: a refusal in its second half still names
    // its own line (the write path skips present ids and renumbers what it refuses).
    let mut csv = String::from(
        "id,type,occurred_at,catalog_object_id,quantity,to_state,from_state,location_id\n",
    );
    for n in 1000..2000 {
        let item = if n == 1700 {
            unknown_item.to_owned()
        } else {
            item_id(n % ITEMS)
        };
        let id = if n < 1500 {
            change_id(n)
        } else {
            change_id(n + 10_000)
        };
        writeln!(
            csv,
            "{id},ADJUSTMENT,2021-06-01T12:00:00Z,{item},1,IN_STOCK,NONE,{}",
            location_id(0)
        )
        .unwrap();
    }
    std::fs::write(dir.path().join("again-changes.csv"), csv).unwrap();
    let args = import_args(dir.path(), &["again-changes.csv"], &[]);
    let (ok, stdout, _) = stockledger(&strs(&args), &url);
    assert!(!ok);
    let wanted = format!(
        "REFUSED {}:702: column catalog_object_id: NOT_FOUND",
        dir.path().join("again-changes.csv").display()
    );
    assert!(stdout.contains(&wanted), "{wanted}\n{stdout}");
    assert_eq!(history_len(&url).await, 1000);
}

/// A dry run's output without the line saying it was one.
fn without_dry_run_line(stdout: &str) -> String {
    stdout
        .lines()
        .filter(|l| !l.starts_with("dry run: "))
        .map(|l| format!("{l}\n"))
        .collect()
}

async fn a_dry_run_says_what_the_real_run_would_do(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = database_url(backend, dir.path(), "dry.db").await;
    write_catalogue(dir.path());
    write_history(dir.path());
    let everything = ["items.csv", "locations.csv", "changes.csv"];

    // On a database nothing has touched yet: the history names items the same run brings,
    // so every row would be applied; nothing is written, not even the schema's rows.
    let dry = import_args(dir.path(), &everything, &["--dry-run"]);
    let (ok, dry_stdout, stderr) = stockledger(&strs(&dry), &url);
    assert!(ok, "{dry_stdout}\n{stderr}");
    assert!(
        dry_stdout.contains(&format!(
            "changes: {ROWS} applied, 0 already present, 0 refused"
        )),
        "{dry_stdout}"
    );
    assert!(
        dry_stdout.contains("checked: every row accepted"),
        "{dry_stdout}"
    );
    let store = Store::connect(&url).await.unwrap();
    assert_eq!(
        store.migrate().await.unwrap().len(),
        stockledger::store::migration::Migrator::migrations().len(),
        "the dry run left the schema unmigrated"
    );
    assert_eq!(
        store.find_merchant(MERCHANT).await.unwrap(),
        None,
        "the dry run created no merchant"
    );
    store.close().await.unwrap();

    // Another merchant holds the catalogue's ids: every row would be refused, and the dry
    // run says so row by row (it used to print "every row accepted").
    let other = [
        "import",
        "--merchant",
        "another-shop",
        &dir.path().join("items.csv").display().to_string(),
        &dir.path().join("locations.csv").display().to_string(),
    ]
    .map(str::to_owned);
    assert!(stockledger(&strs(&other), &url).0);
    let catalogue = ["items.csv", "locations.csv"];
    let dry = import_args(dir.path(), &catalogue, &["--dry-run"]);
    let (ok, dry_stdout, _) = stockledger(&strs(&dry), &url);
    assert!(!ok, "{dry_stdout}");
    assert_eq!(
        dry_stdout.matches("ALREADY_EXISTS").count(),
        ITEMS + LOCATIONS,
        "{dry_stdout}"
    );
    let real = import_args(dir.path(), &catalogue, &[]);
    let (ok, stdout, _) = stockledger(&strs(&real), &url);
    assert!(!ok, "{stdout}");
    assert_eq!(without_dry_run_line(&dry_stdout), stdout);
}

/// The spellings of one UUID that a UUID parser accepts: canonical, upper case, braced,
/// without hyphens, as a URN.
fn spellings(id: &str) -> [String; 5] {
    [
        id.to_owned(),
        id.to_uppercase(),
        format!("{{{id}}}"),
        id.replace('-', ""),
        format!("urn:uuid:{}", id.to_uppercase()),
    ]
}

/// One UUID is one id however it is spelled: a change row imported five times, once in
/// each spelling (its item and location ids upper-cased too), applies once; five spellings
/// in one file are one id on five lines; an items row with an existing item's id in upper
/// case names that item rather than making a second one.
async fn one_uuid_in_any_spelling_is_imported_once(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = database_url(backend, dir.path(), "spellings.db").await;
    write_catalogue(dir.path());
    let catalogue = import_args(dir.path(), &["items.csv", "locations.csv"], &[]);
    assert!(stockledger(&strs(&catalogue), &url).0);

    let header = "id,type,occurred_at,catalog_object_id,quantity,from_state,to_state,location_id\n";
    let row = |id: &str| {
        format!(
            "{id},ADJUSTMENT,2021-06-01T12:00:00Z,{},5,NONE,IN_STOCK,{}\n",
            item_id(0).to_uppercase(),
            location_id(0).to_uppercase()
        )
    };
    for (n, id) in spellings(&change_id(7)).iter().enumerate() {
        let name = format!("spelling{n}-changes.csv");
        std::fs::write(dir.path().join(&name), format!("{header}{}", row(id))).unwrap();
        let (ok, stdout, stderr) =
            stockledger(&strs(&import_args(dir.path(), &[&name], &[])), &url);
        assert!(ok, "{id}: {stdout}{stderr}");
        let expected = if n == 0 {
            "changes: 1 applied, 0 already present, 0 refused"
        } else {
            "changes: 0 applied, 1 already present, 0 refused"
        };
        assert!(stdout.contains(expected), "{id}: {stdout}");
    }
    assert_eq!(history_len(&url).await, 1);
    let key = (item_id(0), location_id(0), InventoryState::InStock);
    assert_eq!(
        stored_counts(&url).await.get(&key),
        Some(&Fixed5::from_units(5 * 100_000)),
        "the row moved the count once"
    );

    let all: String = spellings(&change_id(8)).iter().map(|id| row(id)).collect();
    std::fs::write(dir.path().join("all-changes.csv"), format!("{header}{all}")).unwrap();
    let (ok, stdout, _) = stockledger(
        &strs(&import_args(dir.path(), &["all-changes.csv"], &[])),
        &url,
    );
    assert!(!ok, "{stdout}");
    let file = dir.path().join("all-changes.csv").display().to_string();
    for line in 3..=6 {
        let wanted =
            format!("REFUSED {file}:{line}: column id: ALREADY_EXISTS: the id is also on line 2");
        assert!(stdout.contains(&wanted), "{wanted}\n{stdout}");
    }
    assert_eq!(history_len(&url).await, 1, "nothing of the refused batch");

    std::fs::write(
        dir.path().join("upper-items.csv"),
        format!(
            "id,sku,cost,tracked\n{},SKU-OTHER,1,true\n",
            item_id(0).to_uppercase()
        ),
    )
    .unwrap();
    let (ok, stdout, stderr) = stockledger(
        &strs(&import_args(dir.path(), &["upper-items.csv"], &[])),
        &url,
    );
    assert!(ok, "{stdout}{stderr}");
    assert!(
        stdout.contains("items: 0 applied, 1 already present, 0 refused"),
        "{stdout}"
    );
    let store = Store::connect(&url).await.unwrap();
    let merchant = store.find_merchant(MERCHANT).await.unwrap().unwrap();
    let item = store.get_item(&merchant, &item_id(0)).await.unwrap();
    assert_eq!(
        item.attributes.sku.as_ref().map(|s| s.as_str()),
        Some("SKU-0"),
        "the existing item, left as it was"
    );
    store.close().await.unwrap();
}

/// JSON Lines as a user's editor writes them: a UTF-8 byte order mark before the first line
/// is accepted, as in CSV; a key given twice in one object refuses its line naming the key
/// (it kept the last value), nothing of its batch applied; one row with several problems is
/// one refused row — in the tally and in the closing line, which also counts the reasons
/// listed (it said "6 row(s) refused" for one row).
async fn json_lines_rows_are_read_as_written(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = database_url(backend, dir.path(), "jsonl.db").await;
    let (item, shop) = (item_id(0), location_id(0));
    std::fs::write(
        dir.path().join("items.jsonl"),
        format!("\u{feff}{{\"id\": \"{item}\", \"sku\": \"BOM-1\", \"tracked\": true}}\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("locations.jsonl"),
        format!("\u{feff}{{\"id\": \"{shop}\", \"name\": \"Shop\"}}\n"),
    )
    .unwrap();
    let (ok, stdout, stderr) = stockledger(
        &strs(&import_args(
            dir.path(),
            &["items.jsonl", "locations.jsonl"],
            &[],
        )),
        &url,
    );
    assert!(ok, "a byte order mark is accepted: {stdout}{stderr}");
    assert!(
        stdout.contains("items: 1 applied, 0 already present, 0 refused"),
        "{stdout}"
    );
    assert!(stdout.contains("locations: 1 applied"), "{stdout}");

    let receipt = |id: usize, extra: &str| {
        format!(
            "{{\"adjustment\": {{\"id\": \"{}\", \"occurredAt\": \"2021-06-01T12:00:00Z\", \
             \"catalogObjectId\": \"{item}\", \"locationId\": \"{shop}\", \
             \"fromState\": \"INVENTORY_STATE_NONE\", \"toState\": \"INVENTORY_STATE_IN_STOCK\", \
             \"quantity\": \"5\"{extra}}}}}\n",
            change_id(id)
        )
    };
    let file = dir.path().join("changes.jsonl");
    std::fs::write(
        &file,
        format!(
            "\u{feff}{}{}",
            receipt(1, ""),
            receipt(2, ", \"quantity\": \"500\"")
        ),
    )
    .unwrap();
    let (ok, stdout, stderr) = stockledger(
        &strs(&import_args(dir.path(), &["changes.jsonl"], &[])),
        &url,
    );
    assert!(!ok, "{stdout}");
    let wanted = format!(
        "REFUSED {}:2: column adjustment.quantity: duplicate key \"quantity\"",
        file.display()
    );
    assert!(stdout.contains(&wanted), "{wanted}\n{stdout}");
    assert!(
        stdout.contains("changes: 0 applied, 0 already present, 1 refused, 1 held back"),
        "{stdout}"
    );
    assert!(
        stderr.contains(
            "1 row(s) refused (changes: 1), 1 reason(s) listed above; 1 good row(s) held back"
        ),
        "{stderr}"
    );
    assert_eq!(history_len(&url).await, 0, "nothing of the batch");

    // One row, many problems: one refused row, every problem listed.
    let bad = "{\"adjustment\": {\"occurredAt\": \"2999-01-01T00:00:00Z\", \
               \"catalogObjectId\": \"nope\", \"locationId\": \"nope\", \
               \"fromState\": \"INVENTORY_STATE_IN_STOCK\", \"toState\": \"INVENTORY_STATE_IN_STOCK\", \
               \"quantity\": \"1.234567\", \"referenceId\": \"a\\u0000b\"}}\n";
    std::fs::write(dir.path().join("bad-changes.jsonl"), bad).unwrap();
    let (ok, stdout, stderr) = stockledger(
        &strs(&import_args(dir.path(), &["bad-changes.jsonl"], &[])),
        &url,
    );
    assert!(!ok, "{stdout}");
    let reasons = stdout.matches("REFUSED").count();
    assert!(reasons >= 5, "every problem of the row listed: {stdout}");
    assert!(
        stdout.contains("changes: 0 applied, 0 already present, 1 refused"),
        "{stdout}"
    );
    let closing = format!("1 row(s) refused (changes: 1), {reasons} reason(s) listed above");
    assert!(stderr.contains(&closing), "{closing}\n{stderr}");
}

async fn export_import_export_round_trips(backend: Backend) {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/moving-in");
    let dir = tempfile::tempdir().unwrap();
    for format in ["jsonl", "csv"] {
        let first_url = database_url(backend, dir.path(), &format!("first-{format}.db")).await;
        let files: Vec<String> = ["items", "locations", "changes"]
            .iter()
            .map(|k| examples.join(format!("{k}.{format}")).display().to_string())
            .collect();
        let mut args = vec!["import", "--merchant", MERCHANT];
        args.extend(files.iter().map(String::as_str));
        let (ok, stdout, stderr) = stockledger(&args, &first_url);
        assert!(ok, "{stdout}\n{stderr}");
        assert!(stdout.contains("changes: 20 applied"), "{stdout}");

        let first = dir.path().join(format!("first-{format}"));
        let first_out = first.display().to_string();
        let export = |out: &str, url: &str| {
            let (ok, stdout, stderr) = stockledger(
                &[
                    "export",
                    "--merchant",
                    MERCHANT,
                    "--format",
                    format,
                    "--out",
                    out,
                ],
                url,
            );
            assert!(ok, "{stdout}\n{stderr}");
        };
        export(&first_out, &first_url);

        let second_url = database_url(backend, dir.path(), &format!("second-{format}.db")).await;
        let exported: Vec<String> = ["items", "locations", "changes"]
            .iter()
            .map(|k| first.join(format!("{k}.{format}")).display().to_string())
            .collect();
        let mut args = vec!["import", "--merchant", MERCHANT];
        args.extend(exported.iter().map(String::as_str));
        let (ok, stdout, stderr) = stockledger(&args, &second_url);
        assert!(ok, "{stdout}\n{stderr}");
        let second = dir.path().join(format!("second-{format}"));
        export(&second.display().to_string(), &second_url);

        for kind in ["items", "locations", "counts", "changes"] {
            let name = format!("{kind}.{format}");
            let a = std::fs::read(first.join(&name)).unwrap();
            let b = std::fs::read(second.join(&name)).unwrap();
            assert!(!a.is_empty());
            assert!(
                a == b,
                "{name} differs after a round trip:\n{}\n---\n{}",
                String::from_utf8_lossy(&a),
                String::from_utf8_lossy(&b)
            );
        }
        let (ok, stdout, _) = stockledger(&["verify"], &second_url);
        assert!(ok, "{stdout}");

        // A time range of history only.
        let range = dir.path().join(format!("range-{format}"));
        let (ok, stdout, _) = stockledger(
            &[
                "export",
                "--merchant",
                MERCHANT,
                "--format",
                format,
                "--out",
                &range.display().to_string(),
                "--since",
                "2024-02-01T00:00:00Z",
                "--until",
                "2024-03-01T00:00:00Z",
            ],
            &second_url,
        );
        assert!(ok, "{stdout}");
        let changes = std::fs::read_to_string(range.join(format!("changes.{format}"))).unwrap();
        let rows = changes.lines().count() - usize::from(format == "csv");
        assert!(rows > 0 && rows < 20, "{changes}");
        assert!(!changes.contains("2024-01-"), "{changes}");
    }
}

/// ImportInventoryChanges: a stream of three batches — two years old and with an id, one
/// with a bad change, the first again — answered with applied, already present and refused
/// (index, field, reason); the token needs INVENTORY_IMPORT, which `token create` accepts.
async fn import_over_grpc(mut server: common::TestServer) {
    use common::ledger::{adjust, assert_quantity, assert_verified, shop_and_item};
    use stockledger::proto::v1 as pb;
    let (shop, item) = shop_and_item(&mut server, "IMPORTED").await;
    let two_years_ago = prost_types::Timestamp {
        seconds: chrono::Utc::now().timestamp() - 2 * 365 * 86_400,
        nanos: 0,
    };
    let with = |mut change: pb::InventoryChange, id: &str, quantity: &str| {
        if let Some(pb::inventory_change::Change::Adjustment(a)) = &mut change.change {
            a.id = id.into();
            a.quantity = quantity.into();
            a.occurred_at = Some(two_years_ago);
            a.reference_id = "old-system".into();
        }
        change
    };
    let receipt = || {
        adjust(
            &item,
            &shop,
            pb::InventoryState::None,
            pb::InventoryState::InStock,
            "1",
        )
    };
    let first = pb::ImportInventoryChangesRequest {
        changes: vec![
            with(receipt(), &change_id(1), "10"),
            with(receipt(), &change_id(2), "5"),
        ],
        source: Some(pb::SourceApplication {
            name: "Old system".into(),
            ..Default::default()
        }),
    };
    let bad = pb::ImportInventoryChangesRequest {
        changes: vec![
            with(receipt(), &change_id(3), "1"),
            with(receipt(), &change_id(4), "1.234567"),
        ],
        source: None,
    };
    let response = server
        .inventory
        .import_inventory_changes(futures::stream::iter([first.clone(), bad, first]))
        .await
        .expect("ImportInventoryChanges")
        .into_inner();
    assert_eq!(
        (
            response.applied,
            response.already_present,
            response.refused,
            response.held_back
        ),
        (2, 2, 1, 1),
        "{response:?}"
    );
    let refused = &response.refused_changes[0];
    assert_eq!(refused.index, 3, "the 4th change of the stream");
    assert_eq!(refused.field, "adjustment.quantity");
    assert_eq!(refused.reason, "INVALID_VALUE");
    assert_quantity(
        &mut server,
        &item,
        &shop,
        pb::InventoryState::InStock,
        Some("15"),
    )
    .await;
    let history = common::ledger::history(&mut server, Default::default()).await;
    let Some(pb::inventory_change::Change::Adjustment(a)) = &history[0].change else {
        panic!("an adjustment");
    };
    assert_eq!(a.id, change_id(1), "the id is kept");
    assert_eq!(a.occurred_at, Some(two_years_ago), "the time is kept");
    assert_eq!(a.source.as_ref().unwrap().name, "Old system");
    assert_verified(&server).await;

    // Reservations cannot come this way: a reservation's move would hold units that no
    // reservation of this database holds.
    let mut reserving = with(receipt(), &change_id(5), "1");
    if let Some(pb::inventory_change::Change::Adjustment(a)) = &mut reserving.change {
        (a.from_state, a.to_state) = (
            pb::InventoryState::InStock as i32,
            pb::InventoryState::ReservedForSale as i32,
        );
        a.reservation_id = change_id(6);
    }
    let request = pb::ImportInventoryChangesRequest {
        changes: vec![reserving],
        source: None,
    };
    let response = server
        .inventory
        .import_inventory_changes(futures::stream::iter([request]))
        .await
        .expect("ImportInventoryChanges")
        .into_inner();
    assert_eq!(response.applied, 0, "{response:?}");
    let fields: Vec<(&str, &str)> = response
        .refused_changes
        .iter()
        .map(|r| (r.field.as_str(), r.reason.as_str()))
        .collect();
    assert_eq!(
        fields,
        [("adjustment.reservation_id", "READ_ONLY_FIELD")],
        "{response:?}"
    );

    let (ok, stdout, stderr) = stockledger(
        &[
            "token",
            "create",
            "--merchant",
            "importer",
            "--scopes",
            "INVENTORY_IMPORT",
            "--app-name",
            "Importer",
        ],
        &server.database_url,
    );
    assert!(ok, "{stdout}{stderr}");
    let (_, help, _) = stockledger(&["token", "create", "--help"], &server.database_url);
    assert!(help.contains("INVENTORY_IMPORT"), "{help}");
}

on_both_backends!(import_over_grpc);

/// The gRPC side of one UUID, one id: a Get and a filter with the id upper-cased or braced
/// find the item; ImportInventoryChanges of one change in five spellings, one message each,
/// applies it once (the other four already present); two spellings in one message are one
/// id twice, refused naming the second with nothing applied; a message without ids sent
/// again with its item and location ids spelled otherwise is already present.
async fn one_uuid_in_any_spelling_over_grpc(mut server: common::TestServer) {
    use common::ledger::{adjust, assert_quantity, shop_and_item};
    use stockledger::proto::v1 as pb;
    let (shop, item) = shop_and_item(&mut server, "SPELLED").await;
    let got = server
        .items
        .get_inventory_item(pb::GetInventoryItemRequest {
            id: item.to_uppercase(),
        })
        .await
        .expect("a Get with the id upper-cased")
        .into_inner();
    assert_eq!(got.inventory_item.unwrap().id, item, "answered canonically");

    let receipt = |id: &str| {
        let mut change = adjust(
            &item.to_uppercase(),
            &format!("{{{shop}}}"),
            pb::InventoryState::None,
            pb::InventoryState::InStock,
            "5",
        );
        if let Some(pb::inventory_change::Change::Adjustment(a)) = &mut change.change {
            a.id = id.into();
        }
        change
    };
    let messages = spellings(&change_id(1)).map(|id| pb::ImportInventoryChangesRequest {
        changes: vec![receipt(&id)],
        source: None,
    });
    let response = server
        .inventory
        .import_inventory_changes(futures::stream::iter(messages))
        .await
        .expect("ImportInventoryChanges")
        .into_inner();
    assert_eq!(
        (response.applied, response.already_present, response.refused),
        (1, 4, 0),
        "{response:?}"
    );
    assert_quantity(
        &mut server,
        &item,
        &shop,
        pb::InventoryState::InStock,
        Some("5"),
    )
    .await;

    let [first, second, ..] = spellings(&change_id(2));
    let twice = pb::ImportInventoryChangesRequest {
        changes: vec![receipt(&first), receipt(&second)],
        source: None,
    };
    let response = server
        .inventory
        .import_inventory_changes(futures::stream::iter([twice]))
        .await
        .expect("ImportInventoryChanges")
        .into_inner();
    assert_eq!(
        (response.applied, response.refused, response.held_back),
        (0, 1, 1),
        "{response:?}"
    );
    let refused = &response.refused_changes[0];
    assert_eq!(
        (
            refused.index,
            refused.field.as_str(),
            refused.reason.as_str()
        ),
        (1, "adjustment.id", "ALREADY_EXISTS")
    );

    let counts = server
        .inventory
        .batch_retrieve_inventory_counts(pb::BatchRetrieveInventoryCountsRequest {
            catalog_object_ids: vec![format!("{{{}}}", item.to_uppercase())],
            location_ids: vec![shop.replace('-', "")],
            ..Default::default()
        })
        .await
        .expect("a counts filter in other spellings")
        .into_inner()
        .counts;
    assert_eq!(
        counts
            .iter()
            .map(|c| c.quantity.as_str())
            .collect::<Vec<_>>(),
        ["5"],
        "the change applied once, found by its ids in any spelling"
    );

    // A message without ids sent again with its ids spelled otherwise is the same message.
    let unnamed = |item: String, shop: String| pb::ImportInventoryChangesRequest {
        changes: vec![adjust(
            &item,
            &shop,
            pb::InventoryState::None,
            pb::InventoryState::InStock,
            "2",
        )],
        source: None,
    };
    let messages = [
        unnamed(item.clone(), shop.clone()),
        unnamed(item.to_uppercase(), shop.replace('-', "")),
    ];
    let response = server
        .inventory
        .import_inventory_changes(futures::stream::iter(messages))
        .await
        .expect("ImportInventoryChanges")
        .into_inner();
    assert_eq!(
        (response.applied, response.already_present),
        (1, 1),
        "{response:?}"
    );
    assert_quantity(
        &mut server,
        &item,
        &shop,
        pb::InventoryState::InStock,
        Some("7"),
    )
    .await;
}

on_both_backends!(one_uuid_in_any_spelling_over_grpc);

/// A Shopify catalogue as it is: two items share a SKU, and one has an HS-code entry
/// without a country (`:610910`, Shopify's general code). Both import, and the export
/// writes both, each with the SKU, in id order, the entry as the general code.
async fn a_shopify_catalogue_imports_whole(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = database_url(backend, dir.path(), "shopify.db").await;
    let items = format!(
        "id,sku,cost,tracked,country_harmonized_system_codes\n\
         {},TWIN,1,true,\n\
         {},TWIN,2,true,:610910;US:6109100012\n",
        item_id(1),
        item_id(0)
    );
    std::fs::write(dir.path().join("shopify-items.csv"), items).unwrap();
    let import = import_args(dir.path(), &["shopify-items.csv"], &[]);
    let (ok, stdout, stderr) = stockledger(&strs(&import), &url);
    assert!(ok, "{stdout}{stderr}");
    assert!(
        stdout.contains("items: 2 applied, 0 already present, 0 refused"),
        "{stdout}"
    );

    let out = dir.path().join("exported");
    let export = [
        "export",
        "--merchant",
        MERCHANT,
        "--format",
        "csv",
        "--out",
        &out.display().to_string(),
    ];
    let (ok, stdout, stderr) = stockledger(&export, &url);
    assert!(ok, "{stdout}{stderr}");
    let exported = std::fs::read_to_string(out.join("items.csv")).unwrap();
    let rows: Vec<(&str, &str)> = exported
        .lines()
        .skip(1)
        .map(|line| {
            let mut cells = line.split(',');
            (cells.next().unwrap(), cells.next().unwrap())
        })
        .collect();
    assert_eq!(
        rows,
        [(item_id(0).as_str(), "TWIN"), (item_id(1).as_str(), "TWIN")],
        "{exported}"
    );
    let store = Store::connect(&url).await.unwrap();
    let merchant = store.find_merchant(MERCHANT).await.unwrap().unwrap();
    let item = store.get_item(&merchant, &item_id(0)).await.unwrap();
    let hs = &item.attributes;
    assert_eq!(
        hs.harmonized_system_code.as_ref().map(|c| c.as_str()),
        Some("610910")
    );
    let countries: Vec<&str> = hs
        .country_harmonized_system_codes
        .iter()
        .map(|c| c.country_code.as_str())
        .collect();
    assert_eq!(countries, ["US"]);
    store.close().await.unwrap();
}

macro_rules! on_both {
    ($($test:ident),+ $(,)?) => {
        $(
            mod $test {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$test(super::Backend::Sqlite).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$test(super::Backend::Postgres).await;
                }
            }
        )+
    };
}

on_both!(
    a_large_history_imports_once,
    bad_rows_are_named_and_their_batches_refused,
    export_import_export_round_trips,
    one_uuid_in_any_spelling_is_imported_once,
    json_lines_rows_are_read_as_written,
    a_shopify_catalogue_imports_whole,
    a_dry_run_says_what_the_real_run_would_do,
);
