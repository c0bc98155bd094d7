//! Square's HTTP/JSON front door end to end (docs/square.md): a real server with
//! `--http-listen`'s second listener, a real database of each backend, a plain HTTP client
//! sending Square's JSON, and the gRPC clients beside it on the same ledger.

mod common;

use common::front_doors::FrontDoors as Both;
use common::ledger::{item, location};
use common::{Backend, UNKNOWN_ID, mint_token};
use reqwest::StatusCode;
use serde_json::{Value, json};
use stockledger::auth::scopes::Scope;
use stockledger::proto::v1::RetrieveInventoryAdjustmentRequest;
use stockledger::store::Store;

impl Both {
    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .expect("POST");
        (response.status(), response.json().await.expect("JSON body"))
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("GET");
        (response.status(), response.json().await.expect("JSON body"))
    }
}

macro_rules! on_both_backends {
    ($($test:ident),+ $(,)?) => {
        $(
            mod $test {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$test(super::Both::start(super::Backend::Sqlite, "square-merchant", "Square SDK").await).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$test(super::Both::start(super::Backend::Postgres, "square-merchant", "Square SDK").await).await;
                }
            }
        )+
    };
}

/// RFC 3339, `minutes` ago.
fn ago(minutes: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::minutes(minutes))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn adjust(item: &str, location: &str, from: &str, to: &str, quantity: &str, minutes: i64) -> Value {
    json!({
        "type": "ADJUSTMENT",
        "adjustment": {
            "from_state": from, "to_state": to, "location_id": location,
            "catalog_object_id": item, "quantity": quantity, "occurred_at": ago(minutes),
        }
    })
}

/// `{state: quantity}` of a response's counts.
fn counts(body: &Value) -> Vec<(String, String)> {
    let mut counts: Vec<_> = body["counts"]
        .as_array()
        .map(|c| c.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|c| {
            (
                c["state"].as_str().unwrap().to_owned(),
                c["quantity"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    counts.sort();
    counts
}

fn pair(state: &str, quantity: &str) -> (String, String) {
    (state.into(), quantity.into())
}

/// The seed's day through Square's paths: batch-create, a physical count through the
/// deprecated alias, counts and changes with paging, one change by id on every path.
async fn seed_day(mut both: Both) {
    let shop = location(&mut both.clients, "Corner Shop").await;
    let mug = item(&mut both.clients, "MUG-RED").await;
    let (status, day) = both
        .post(
            "/v2/inventory/changes/batch-create",
            json!({
                "idempotency_key": "day-1",
                "changes": [
                    adjust(&mug, &shop, "NONE", "IN_STOCK", "100", 50),
                    {
                        "type": "ADJUSTMENT",
                        "adjustment": {
                            "from_state": "IN_STOCK", "to_state": "SOLD", "location_id": shop,
                            "catalog_object_id": mug, "quantity": "3", "occurred_at": ago(40),
                            "total_price_money": {"amount": 2997, "currency": "USD"},
                        }
                    },
                    adjust(&mug, &shop, "IN_STOCK", "SOLD", "1", 30),
                    adjust(&mug, &shop, "IN_STOCK", "WASTE", "2", 20),
                ],
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{day}");
    assert_eq!(counts(&day), [pair("IN_STOCK", "94"), pair("WASTE", "2")]);
    let changes = day["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 4);
    let sale = &changes[1]["adjustment"];
    assert_eq!(
        sale["total_price_money"],
        json!({"amount": 2997, "currency": "USD"})
    );
    assert_eq!(sale["catalog_object_type"], "INVENTORY_ITEM");
    assert_eq!(sale["source"]["product"], "EXTERNAL_API");
    assert_eq!(sale["source"]["name"], "Square SDK");
    let receipt_id = changes[0]["adjustment"]["id"].as_str().unwrap().to_owned();

    let (status, counted) = both
        .post(
            "/v2/inventory/batch-change",
            json!({
                "idempotency_key": "count-1",
                "changes": [{
                    "type": "PHYSICAL_COUNT",
                    "physical_count": {
                        "catalog_object_id": mug, "location_id": shop, "state": "IN_STOCK",
                        "quantity": "93", "occurred_at": ago(10),
                    }
                }],
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{counted}");
    assert_eq!(counts(&counted), [pair("IN_STOCK", "93")]);
    let count_id = counted["changes"][0]["physical_count"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Counts, one a page, on both paths.
    for path in [
        "/v2/inventory/counts/batch-retrieve",
        "/v2/inventory/batch-retrieve-counts",
    ] {
        let mut all = Vec::new();
        let mut cursor = String::new();
        let mut pages = 0;
        loop {
            let (status, page) = both
                .post(
                    path,
                    json!({"catalog_object_ids": [mug], "limit": 1, "cursor": cursor}),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{page}");
            pages += 1;
            all.extend(counts(&page));
            match page["cursor"].as_str() {
                Some(next) => cursor = next.to_owned(),
                None => break,
            }
        }
        all.sort();
        assert_eq!(all, [pair("IN_STOCK", "93"), pair("WASTE", "2")], "{path}");
        assert!(pages >= 2, "{path}: {pages} pages");
    }
    let (status, one) = both
        .get(&format!(
            "/v2/inventory/{mug}?location_ids={shop},{UNKNOWN_ID}"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{one}");
    assert_eq!(counts(&one), [pair("IN_STOCK", "93"), pair("WASTE", "2")]);

    // Changes, two a page, oldest first, on both paths.
    for path in [
        "/v2/inventory/changes/batch-retrieve",
        "/v2/inventory/batch-retrieve-changes",
    ] {
        let mut types = Vec::new();
        let mut cursor = String::new();
        let mut pages = 0;
        loop {
            let (status, page) = both
                .post(
                    path,
                    json!({"location_ids": [shop], "limit": 2, "cursor": cursor}),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{page}");
            pages += 1;
            for change in page["changes"].as_array().unwrap() {
                types.push(change["type"].as_str().unwrap().to_owned());
            }
            match page["cursor"].as_str() {
                Some(next) => cursor = next.to_owned(),
                None => break,
            }
        }
        assert_eq!(pages, 3, "{path}");
        assert_eq!(
            types,
            [
                "ADJUSTMENT",
                "ADJUSTMENT",
                "ADJUSTMENT",
                "ADJUSTMENT",
                "PHYSICAL_COUNT"
            ]
        );
    }
    let (_, counts_only) = both
        .post(
            "/v2/inventory/changes/batch-retrieve",
            json!({"types": ["PHYSICAL_COUNT"], "states": ["IN_STOCK"]}),
        )
        .await;
    assert_eq!(counts_only["changes"].as_array().unwrap().len(), 1);
    // One item's changes: newest first.
    let (status, newest) = both.get(&format!("/v2/inventory/{mug}/changes")).await;
    assert_eq!(status, StatusCode::OK, "{newest}");
    assert_eq!(newest["changes"][0]["type"], "PHYSICAL_COUNT");
    assert_eq!(newest["changes"].as_array().unwrap().len(), 5);

    // One change by id, on every path; gRPC reads the same change.
    for path in ["adjustments", "adjustment"] {
        let (status, got) = both
            .get(&format!("/v2/inventory/{path}/{receipt_id}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{got}");
        assert_eq!(got["adjustment"]["quantity"], "100");
        assert_eq!(got["adjustment"]["from_state"], "NONE");
    }
    for path in ["physical-counts", "physical-count"] {
        let (status, got) = both.get(&format!("/v2/inventory/{path}/{count_id}")).await;
        assert_eq!(status, StatusCode::OK, "{got}");
        assert_eq!(got["count"]["quantity"], "93");
    }
    let by_grpc = both
        .clients
        .inventory
        .retrieve_inventory_adjustment(RetrieveInventoryAdjustmentRequest {
            adjustment_id: receipt_id.clone(),
        })
        .await
        .expect("gRPC reads it")
        .into_inner();
    assert_eq!(by_grpc.adjustment.unwrap().id, receipt_id);

    // The same key with another request: Square's IDEMPOTENCY_KEY_REUSED.
    let (status, again) = both
        .post(
            "/v2/inventory/changes/batch-create",
            json!({"idempotency_key": "count-1", "changes": counted_request(&mug, &shop)}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{again}");
    assert_eq!(again["errors"][0]["code"], "IDEMPOTENCY_KEY_REUSED");
    assert_eq!(again["errors"][0]["field"], "idempotency_key");
    assert_verified(&both.database_url).await;
}

/// A request other than the one first sent with its key.
fn counted_request(item: &str, location: &str) -> Value {
    json!([adjust(item, location, "IN_STOCK", "WASTE", "1", 5)])
}

async fn assert_verified(database_url: &str) {
    let store = Store::connect(database_url).await.unwrap();
    let differences = store.verify_counts().await.expect("verify");
    assert!(
        differences.is_empty(),
        "counts differ from history: {differences:?}"
    );
    store.close().await.ok();
}

/// A transfer between two locations, read back on both of Square's transfer paths.
async fn transfers(mut both: Both) {
    let north = location(&mut both.clients, "North").await;
    let south = location(&mut both.clients, "South").await;
    let mug = item(&mut both.clients, "MUG").await;
    let (status, moved) = both
        .post(
            "/v2/inventory/changes/batch-create",
            json!({
                "idempotency_key": "move-1",
                "changes": [
                    adjust(&mug, &north, "NONE", "IN_STOCK", "10", 30),
                    {
                        "type": "TRANSFER",
                        "transfer": {
                            "state": "IN_STOCK", "from_location_id": north, "to_location_id": south,
                            "catalog_object_id": mug, "quantity": "4", "occurred_at": ago(20),
                        }
                    },
                ],
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    // Answered in Square's 2026 model: an adjustment between two locations.
    let moved_change = &moved["changes"][1];
    assert_eq!(moved_change["type"], "ADJUSTMENT", "{moved}");
    assert_eq!(moved_change["adjustment"]["from_state"], "IN_STOCK");
    assert_eq!(moved_change["adjustment"]["to_state"], "IN_STOCK");
    assert_eq!(
        moved_change["adjustment"]["from_location_id"],
        north.as_str()
    );
    assert_eq!(moved_change["adjustment"]["to_location_id"], south.as_str());
    let id = moved_change["adjustment"]["id"].as_str().unwrap();
    for path in ["transfers", "transfer"] {
        let (status, got) = both.get(&format!("/v2/inventory/{path}/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{got}");
        assert_eq!(got["transfer"]["to_location_id"], south.as_str());
        assert_eq!(got["transfer"]["quantity"], "4");
    }
    // Square's 2026 SDKs read a move as an adjustment, by the adjustment paths.
    for path in ["adjustments", "adjustment"] {
        let (status, got) = both.get(&format!("/v2/inventory/{path}/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{got}");
        assert_eq!(got["adjustment"], moved_change["adjustment"], "{path}");
    }

    // Square's 2026 SDKs write the same move as an adjustment from one location to another,
    // and a single-location adjustment with both location fields naming it.
    let (status, moved_again) = both
        .post(
            "/v2/inventory/changes/batch-create",
            json!({
                "idempotency_key": "move-2",
                "changes": [
                    {
                        "type": "ADJUSTMENT",
                        "adjustment": {
                            "from_state": "IN_STOCK", "to_state": "IN_STOCK",
                            "from_location_id": north, "to_location_id": south,
                            "catalog_object_id": mug, "quantity": "1", "occurred_at": ago(10),
                        }
                    },
                    {
                        "type": "ADJUSTMENT",
                        "adjustment": {
                            "from_state": "IN_STOCK", "to_state": "SOLD",
                            "from_location_id": south, "to_location_id": south,
                            "catalog_object_id": mug, "quantity": "2", "occurred_at": ago(5),
                        }
                    },
                ],
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved_again}");
    let sale = &moved_again["changes"][1]["adjustment"];
    // Square's 2026 model: the location as from/to, never the retired location_id.
    assert!(sale.get("location_id").is_none(), "{sale}");
    assert_eq!(sale["from_location_id"], south.as_str());
    assert_eq!(sale["to_location_id"], south.as_str());
    let (_, south_counts) = both
        .get(&format!("/v2/inventory/{mug}?location_ids={south}"))
        .await;
    assert_eq!(counts(&south_counts), [pair("IN_STOCK", "3")]);
    let (_, north_counts) = both
        .get(&format!("/v2/inventory/{mug}?location_ids={north}"))
        .await;
    assert_eq!(counts(&north_counts), [pair("IN_STOCK", "5")]);

    // An ADJUSTMENT filter includes the moves, as in Square's model.
    let (status, adjustments) = both
        .post(
            "/v2/inventory/changes/batch-retrieve",
            json!({"catalog_object_ids": [mug], "types": ["ADJUSTMENT"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{adjustments}");
    assert_eq!(
        adjustments["changes"].as_array().unwrap().len(),
        4,
        "{adjustments}"
    );
}

/// Refusals in Square's envelope: status, category, code and field.
async fn refusals(mut both: Both) {
    let shop = location(&mut both.clients, "Shop").await;
    let mug = item(&mut both.clients, "MUG").await;
    let expect = |body: &Value, category: &str, code: &str, field: Option<&str>| {
        let first = &body["errors"][0];
        assert_eq!(first["category"], category, "{body}");
        assert_eq!(first["code"], code, "{body}");
        assert_eq!(first["field"].as_str(), field, "{body}");
        assert!(
            first["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{body}"
        );
    };
    let (status, body) = both
        .post(
            "/v2/inventory/changes/batch-create",
            json!({"idempotency_key": "k", "changes": [adjust(&mug, &shop, "IN_STOCK", "SOLD", "-1", 5)]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    expect(
        &body,
        "INVALID_REQUEST_ERROR",
        "VALUE_TOO_LOW",
        Some("changes[0].adjustment.quantity"),
    );
    let (status, body) = both
        .post(
            "/v2/inventory/changes/batch-create",
            json!({"idempotency_key": "k", "changes": [adjust(&mug, &shop, "IN_STOCK", "LOST", "1", 5)]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    expect(
        &body,
        "INVALID_REQUEST_ERROR",
        "INVALID_ENUM_VALUE",
        Some("changes[0].adjustment.to_state"),
    );
    let (status, body) = both
        .post(
            "/v2/inventory/changes/batch-create",
            json!({"idempotency_key": "k", "changes": [{
                "type": "ADJUSTMENT",
                "adjustment": {"from_state": "NONE", "to_state": "IN_STOCK", "location_id": shop,
                    "catalog_object_id": mug, "quantity": "1", "occurred_at": "yesterday"}
            }]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    expect(
        &body,
        "INVALID_REQUEST_ERROR",
        "INVALID_TIME",
        Some("changes[0].adjustment.occurred_at"),
    );
    // A future occurred_at, even within the ledger's own five minutes of clock skew, is
    // refused as Square refuses it, and applies nothing.
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(60))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let (status, body) = both
        .post(
            "/v2/inventory/changes/batch-create",
            json!({"idempotency_key": "future", "changes": [{
                "type": "PHYSICAL_COUNT",
                "physical_count": {"state": "IN_STOCK", "location_id": shop,
                    "catalog_object_id": mug, "quantity": "5", "occurred_at": soon}
            }]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    expect(
        &body,
        "INVALID_REQUEST_ERROR",
        "INVALID_TIME",
        Some("changes[0].physical_count.occurred_at"),
    );
    let (_, counts) = both
        .post(
            "/v2/inventory/counts/batch-retrieve",
            json!({"catalog_object_ids": [mug]}),
        )
        .await;
    assert!(
        counts.get("counts").is_none_or(|c| c == &json!([])),
        "{counts}"
    );
    let (status, body) = both
        .post("/v2/inventory/changes/batch-create", json!({"changes": []}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    expect(
        &body,
        "INVALID_REQUEST_ERROR",
        "MISSING_REQUIRED_PARAMETER",
        Some("idempotency_key"),
    );
    let (status, body) = both
        .post(
            "/v2/inventory/counts/batch-retrieve",
            json!({"limit": "ten"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    expect(&body, "INVALID_REQUEST_ERROR", "BAD_REQUEST", Some("limit"));
    let (status, body) = both
        .post(
            "/v2/inventory/counts/batch-retrieve",
            json!({"limit": 1001}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    expect(
        &body,
        "INVALID_REQUEST_ERROR",
        "VALUE_TOO_HIGH",
        Some("limit"),
    );
    let (status, body) = both
        .post(
            "/v2/inventory/changes/batch-retrieve",
            json!({"cursor": "garbage"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    expect(
        &body,
        "INVALID_REQUEST_ERROR",
        "INVALID_CURSOR",
        Some("cursor"),
    );
    let (status, body) = both
        .get(&format!("/v2/inventory/adjustments/{UNKNOWN_ID}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    expect(
        &body,
        "INVALID_REQUEST_ERROR",
        "NOT_FOUND",
        Some("adjustment_id"),
    );
    let (status, body) = both.get("/v2/inventory/physical-counts/nope").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    expect(
        &body,
        "INVALID_REQUEST_ERROR",
        "INVALID_VALUE",
        Some("physical_count_id"),
    );
    let (status, body) = both.get("/v2/catalog/list").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    expect(&body, "INVALID_REQUEST_ERROR", "NOT_FOUND", None);
    let (status, body) = both.get("/v2/inventory/changes/batch-create").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    expect(&body, "INVALID_REQUEST_ERROR", "METHOD_NOT_ALLOWED", None);
    // The server answers an oversize body before reading it and closes the connection, so
    // it goes on a connection of its own (a pooled one might be reused after the close).
    let huge = "x".repeat(5 * 1024 * 1024);
    let oversize = reqwest::Client::new()
        .post(format!("{}/v2/inventory/changes/batch-create", both.base))
        .bearer_auth(&both.token)
        .json(&json!({"idempotency_key": huge}))
        .send()
        .await
        .expect("POST");
    assert_eq!(oversize.status(), StatusCode::PAYLOAD_TOO_LARGE);
    expect(
        &oversize.json().await.expect("JSON body"),
        "INVALID_REQUEST_ERROR",
        "REQUEST_ENTITY_TOO_LARGE",
        None,
    );

    // Tokens: none, unknown, and one without the scope.
    let anonymous = both
        .http
        .get(format!("{}/v2/inventory/{mug}", both.base))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    expect(
        &anonymous.json().await.unwrap(),
        "AUTHENTICATION_ERROR",
        "UNAUTHORIZED",
        None,
    );
    let store = Store::connect(&both.database_url).await.unwrap();
    let reader = mint_token(&store, "square-merchant", &[Scope::InventoryRead], "reader").await;
    let denied = both
        .http
        .post(format!("{}/v2/inventory/changes/batch-create", both.base))
        .bearer_auth(&reader)
        .json(&json!({"idempotency_key": "r", "changes": [adjust(&mug, &shop, "NONE", "IN_STOCK", "1", 5)]}))
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), StatusCode::FORBIDDEN);
    expect(
        &denied.json().await.unwrap(),
        "AUTHENTICATION_ERROR",
        "INSUFFICIENT_SCOPES",
        None,
    );
    // The reader may read; another merchant's token sees nothing of this one.
    let read = both
        .http
        .get(format!("{}/v2/inventory/{mug}", both.base))
        .bearer_auth(&reader)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), StatusCode::OK);
    let stranger = mint_token(&store, "someone-else", &Scope::ALL, "stranger").await;
    let (_, day) = both
        .post(
            "/v2/inventory/changes/batch-create",
            json!({"idempotency_key": "mine", "changes": [adjust(&mug, &shop, "NONE", "IN_STOCK", "5", 5)]}),
        )
        .await;
    let id = day["changes"][0]["adjustment"]["id"].as_str().unwrap();
    let hidden = both
        .http
        .get(format!("{}/v2/inventory/adjustments/{id}", both.base))
        .bearer_auth(&stranger)
        .send()
        .await
        .unwrap();
    assert_eq!(hidden.status(), StatusCode::NOT_FOUND);
}

/// Long lists: half a megabyte of `types` (40,000 entries) is answered 400 in Square's
/// envelope naming `types` (it was a 500), as are 1,001 `states` of the counts; the same
/// type sent a thousand times is one filter, answered as if sent once.
async fn long_lists(mut both: Both) {
    let shop = location(&mut both.clients, "Shop").await;
    let mug = item(&mut both.clients, "MUG").await;
    let (status, _) = both
        .post(
            "/v2/inventory/changes/batch-create",
            json!({"idempotency_key": "in", "changes": [adjust(&mug, &shop, "NONE", "IN_STOCK", "5", 5)]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let refused = |body: &Value, field: &str| {
        let first = &body["errors"][0];
        assert_eq!(first["category"], "INVALID_REQUEST_ERROR", "{body}");
        assert_eq!(first["code"], "ARRAY_LENGTH_TOO_LONG", "{body}");
        assert_eq!(first["field"], field, "{body}");
    };
    let types = vec!["ADJUSTMENT"; 40_000];
    let body = json!({"types": types});
    assert!(body.to_string().len() > 500_000);
    let (status, answer) = both
        .post("/v2/inventory/changes/batch-retrieve", body)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    refused(&answer, "types");
    let (status, answer) = both
        .post(
            "/v2/inventory/counts/batch-retrieve",
            json!({"states": vec!["IN_STOCK"; 1001]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    refused(&answer, "states");

    let once = both
        .post(
            "/v2/inventory/changes/batch-retrieve",
            json!({"types": ["ADJUSTMENT"], "states": ["IN_STOCK"]}),
        )
        .await;
    let repeated = both
        .post(
            "/v2/inventory/changes/batch-retrieve",
            json!({"types": vec!["ADJUSTMENT"; 1000], "states": vec!["IN_STOCK"; 1000]}),
        )
        .await;
    assert_eq!(once.0, StatusCode::OK, "{}", once.1);
    assert_eq!(
        once.1["changes"].as_array().map(Vec::len),
        Some(1),
        "{}",
        once.1
    );
    assert_eq!(repeated, once);
}

/// Stockledger's own states (Shopify's named quantities), which Square does not have
/// (docs/square.md, "States Square does not have"): written through gRPC, their counts are
/// left out of Square's answers, their changes answered as SUPPORTED_BY_NEWER_VERSION (and
/// found by it), and a request naming one is refused, naming the field and the state.
async fn states_square_does_not_have(mut both: Both) {
    use stockledger::proto::v1::InventoryState as S;
    let shop = location(&mut both.clients, "Corner Shop").await;
    let mug = item(&mut both.clients, "MUG-RED").await;
    let applied = common::ledger::apply(
        &mut both.clients,
        vec![
            common::ledger::adjust(&mug, &shop, S::None, S::InStock, "10"),
            common::ledger::adjust(&mug, &shop, S::InStock, S::Damaged, "3"),
            common::ledger::count(&mug, &shop, S::SafetyStock, "4"),
        ],
    )
    .await;
    let damaged_id = common::ledger::change_id(&applied.changes[1]);
    let counted_id = common::ledger::change_id(&applied.changes[2]);

    // Counts: only Square's states are answered, on every path.
    let (status, one) = both.get(&format!("/v2/inventory/{mug}")).await;
    assert_eq!(status, StatusCode::OK, "{one}");
    assert_eq!(counts(&one), [pair("IN_STOCK", "7")]);
    let (status, all) = both
        .post(
            "/v2/inventory/counts/batch-retrieve",
            json!({"catalog_object_ids": [mug]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(counts(&all), [pair("IN_STOCK", "7")]);
    let (status, refused) = both
        .post(
            "/v2/inventory/counts/batch-retrieve",
            json!({"catalog_object_ids": [mug], "states": ["IN_STOCK", "DAMAGED"]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_eq!(refused["errors"][0]["code"], "INVALID_ENUM_VALUE");
    assert_eq!(refused["errors"][0]["field"], "states[1]");
    assert!(
        refused["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .starts_with("DAMAGED is not one of Square's states"),
        "{refused}"
    );

    // Changes: in Square's word for a state its version cannot express.
    let (status, history) = both
        .post(
            "/v2/inventory/changes/batch-retrieve",
            json!({"catalog_object_ids": [mug]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{history}");
    let changes = history["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 3, "{history}");
    assert_eq!(changes[1]["adjustment"]["from_state"], "IN_STOCK");
    assert_eq!(
        changes[1]["adjustment"]["to_state"],
        "SUPPORTED_BY_NEWER_VERSION"
    );
    assert_eq!(
        changes[2]["physical_count"]["state"],
        "SUPPORTED_BY_NEWER_VERSION"
    );
    let (status, newer) = both
        .post(
            "/v2/inventory/changes/batch-retrieve",
            json!({"catalog_object_ids": [mug], "states": ["SUPPORTED_BY_NEWER_VERSION"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{newer}");
    let ids: Vec<&str> = newer["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            c["adjustment"]["id"]
                .as_str()
                .or(c["physical_count"]["id"].as_str())
                .unwrap()
        })
        .collect();
    assert_eq!(ids, [damaged_id.as_str(), counted_id.as_str()]);
    let (status, by_id) = both
        .get(&format!("/v2/inventory/adjustments/{damaged_id}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{by_id}");
    assert_eq!(
        by_id["adjustment"]["to_state"],
        "SUPPORTED_BY_NEWER_VERSION"
    );
    let (status, by_id) = both
        .get(&format!("/v2/inventory/physical-counts/{counted_id}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{by_id}");
    assert_eq!(by_id["count"]["state"], "SUPPORTED_BY_NEWER_VERSION");
    let (status, refused) = both
        .post(
            "/v2/inventory/changes/batch-retrieve",
            json!({"states": ["QUALITY_CONTROL"]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_eq!(refused["errors"][0]["field"], "states[0]");

    // Writes naming one are refused, at the field the caller wrote; nothing is applied.
    let other = location(&mut both.clients, "Back Room").await;
    for (change, field) in [
        (
            adjust(&mug, &shop, "IN_STOCK", "DAMAGED", "1", 1),
            "changes[0].adjustment.to_state",
        ),
        (
            json!({"type": "ADJUSTMENT", "adjustment": {
                "from_state": "SAFETY_STOCK", "to_state": "SAFETY_STOCK",
                "from_location_id": shop, "to_location_id": other,
                "catalog_object_id": mug, "quantity": "1",
            }}),
            "changes[0].adjustment.from_state",
        ),
        (
            json!({"type": "PHYSICAL_COUNT", "physical_count": {
                "state": "QUALITY_CONTROL", "location_id": shop,
                "catalog_object_id": mug, "quantity": "1", "occurred_at": ago(1),
            }}),
            "changes[0].physical_count.state",
        ),
    ] {
        let (status, refused) = both
            .post(
                "/v2/inventory/changes/batch-create",
                json!({"idempotency_key": uuid::Uuid::new_v4().to_string(), "changes": [change]}),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
        assert_eq!(
            refused["errors"][0]["code"], "INVALID_ENUM_VALUE",
            "{field}"
        );
        assert_eq!(refused["errors"][0]["field"], field);
    }
    let (_, one) = both.get(&format!("/v2/inventory/{mug}")).await;
    assert_eq!(counts(&one), [pair("IN_STOCK", "7")]);
    common::ledger::assert_quantity(&mut both.clients, &mug, &shop, S::Damaged, Some("3")).await;
}

on_both_backends!(
    seed_day,
    transfers,
    refusals,
    long_lists,
    states_square_does_not_have
);
