//! Shopify's HTTP/JSON front door end to end: a real server with `--http-listen`'s second
//! listener, a real database of each backend, a plain HTTP client sending Shopify's REST
//! JSON with `X-Shopify-Access-Token`, and the gRPC clients beside it on the same ledger.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use common::front_doors::FrontDoors as Both;
use common::ledger::{item, location};
use common::{Backend, Clients, UNKNOWN_ID, mint_token};
use reqwest::header::{HeaderMap, LINK};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use stockledger::auth::scopes::Scope;
use stockledger::proto::v1::{
    BatchRetrieveInventoryChangesRequest, CreateInventoryItemRequest, InventoryChange,
    InventoryItem, InventoryState, inventory_change::Change,
};
use stockledger::store::Store;
use tokio::sync::Barrier;

const V: &str = "/admin/api/2025-10";

/// An answer: status, headers, the body as sent and as JSON (`Null` if not JSON).
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
    json: Value,
}

impl Answer {
    /// The URL of the `Link` header's `rel="next"`, if any.
    fn next(&self) -> Option<String> {
        let link = self.headers.get(LINK)?.to_str().expect("ASCII Link");
        let (url, rel) = link.split_once(';').expect("<url>; rel");
        assert_eq!(rel.trim(), "rel=\"next\"", "{link}");
        Some(
            url.trim()
                .strip_prefix('<')
                .and_then(|u| u.strip_suffix('>'))
                .expect("<url>")
                .to_owned(),
        )
    }
}

impl Both {
    /// `method url` with `token` in `X-Shopify-Access-Token` (none if `None`), the extra
    /// `headers`, and `body` as the raw JSON text.
    async fn send_to(
        &self,
        method: Method,
        url: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Answer {
        let mut request = self.http.request(method, url);
        if let Some(token) = token {
            request = request.header("X-Shopify-Access-Token", token);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_owned());
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            text,
            json,
        }
    }

    async fn get(&self, path: &str) -> Answer {
        let url = format!("{}{path}", self.base);
        self.send_to(Method::GET, &url, Some(&self.token), &[], None)
            .await
    }

    async fn put(&self, path: &str, body: Value) -> Answer {
        let url = format!("{}{path}", self.base);
        let body = body.to_string();
        self.send_to(Method::PUT, &url, Some(&self.token), &[], Some(&body))
            .await
    }

    /// POST of a raw JSON text (so that numbers are sent exactly as written).
    async fn post_raw(&self, path: &str, body: &str) -> Answer {
        let url = format!("{}{path}", self.base);
        self.send_to(Method::POST, &url, Some(&self.token), &[], Some(body))
            .await
    }

    async fn set(&self, item: &str, location: &str, available: &str) -> Answer {
        self.post_raw(
            &format!("{V}/inventory_levels/set.json"),
            &level_body(item, location, "available", available),
        )
        .await
    }

    async fn adjust(&self, item: &str, location: &str, by: &str) -> Answer {
        self.post_raw(
            &format!("{V}/inventory_levels/adjust.json"),
            &level_body(item, location, "available_adjustment", by),
        )
        .await
    }

    /// The `available` of (item, location) as `GET inventory_levels.json` writes it.
    async fn available(&self, item: &str, location: &str) -> String {
        let answer = self
            .get(&format!(
                "{V}/inventory_levels.json?inventory_item_ids={item}&location_ids={location}"
            ))
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        let levels = answer.json["inventory_levels"].as_array().expect("levels");
        assert_eq!(levels.len(), 1, "{}", answer.text);
        levels[0]["available"].to_string()
    }
}

/// A level write's body: `{"location_id":…,"inventory_item_id":…,"<field>":<quantity>}`,
/// the quantity written as given (`0.5`, `-2`, `"abc"`).
fn level_body(item: &str, location: &str, field: &str, quantity: &str) -> String {
    format!(r#"{{"location_id":"{location}","inventory_item_id":"{item}","{field}":{quantity}}}"#)
}

macro_rules! on_both_backends {
    ($($test:ident),+ $(,)?) => {
        $(
            mod $test {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$test(super::Both::start(super::Backend::Sqlite, "shopify-merchant", "Shopify app").await).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$test(super::Both::start(super::Backend::Postgres, "shopify-merchant", "Shopify app").await).await;
                }
            }
        )+
    };
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

/// Creates an item by gRPC with every field it is given.
async fn create_item(clients: &mut Clients, item: InventoryItem) -> String {
    clients
        .items
        .create_inventory_item(CreateInventoryItemRequest {
            inventory_item: Some(item),
        })
        .await
        .expect("create item")
        .into_inner()
        .inventory_item
        .expect("item")
        .id
}

/// GET and PUT of one item: Shopify's formatting, partial updates, refusals.
async fn items(mut both: Both) {
    let mug = create_item(
        &mut both.clients,
        InventoryItem {
            sku: "MUG-RED".into(),
            cost: "12.5".into(),
            ..Default::default()
        },
    )
    .await;
    let got = both.get(&format!("{V}/inventory_items/{mug}.json")).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);
    let item = &got.json["inventory_item"];
    assert_eq!(item["id"], mug.as_str());
    assert_eq!(item["sku"], "MUG-RED");
    assert_eq!(item["cost"], "12.50", "cost has two decimals");
    for absent in [
        "country_code_of_origin",
        "province_code_of_origin",
        "harmonized_system_code",
    ] {
        assert!(
            item.get(absent).is_some_and(Value::is_null),
            "{absent} must be present and null: {item}"
        );
    }
    assert_eq!(item["country_harmonized_system_codes"], json!([]));
    assert_eq!(item["tracked"], true);
    assert_eq!(item["requires_shipping"], true);
    let created_at = item["created_at"].as_str().expect("created_at").to_owned();
    assert!(
        chrono::DateTime::parse_from_rfc3339(&created_at).is_ok(),
        "{created_at}"
    );
    assert!(item["updated_at"].is_string(), "{item}");

    // Another item, with no cost and no SKU: both null.
    let bare = create_item(&mut both.clients, InventoryItem::default()).await;
    let got = both.get(&format!("{V}/inventory_items/{bare}.json")).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);
    assert!(got.json["inventory_item"]["cost"].is_null(), "{}", got.text);
    assert!(got.json["inventory_item"]["sku"].is_null(), "{}", got.text);

    // PUT: the fields present are updated; read-only fields are accepted and ignored.
    let path = format!("{V}/inventory_items/{mug}.json");
    let put = both
        .put(
            &path,
            json!({"inventory_item": {
                "id": UNKNOWN_ID,
                "cost": "3",
                "country_code_of_origin": "FR",
                "requires_shipping": false,
                "created_at": "2001-01-01T00:00:00Z",
                "updated_at": "2001-01-01T00:00:00Z",
                "admin_graphql_api_id": "gid://shopify/InventoryItem/1",
            }}),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    let item = &put.json["inventory_item"];
    assert_eq!(item["id"], mug.as_str(), "the path names the item");
    assert_eq!(item["cost"], "3.00");
    assert_eq!(item["country_code_of_origin"], "FR");
    assert_eq!(item["requires_shipping"], false);
    assert_eq!(item["tracked"], true, "absent: unchanged");
    assert_eq!(item["sku"], "MUG-RED", "absent: unchanged");
    assert_eq!(item["created_at"], created_at.as_str(), "read-only");
    // null clears.
    let put = both
        .put(&path, json!({"inventory_item": {"sku": null}}))
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    assert!(put.json["inventory_item"]["sku"].is_null(), "{}", put.text);
    assert_eq!(put.json["inventory_item"]["cost"], "3.00");
    // A whole item as read, changed and sent back, is taken as it is.
    let mut whole = both.get(&path).await.json;
    whole["inventory_item"]["tracked"] = json!(false);
    let put = both.put(&path, whole).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    assert_eq!(put.json["inventory_item"]["tracked"], false);
    assert_eq!(put.json["inventory_item"]["country_code_of_origin"], "FR");
    // And the gRPC side reads what the door wrote.
    let by_grpc = both
        .clients
        .items
        .get_inventory_item(stockledger::proto::v1::GetInventoryItemRequest { id: mug.clone() })
        .await
        .expect("gRPC reads it")
        .into_inner()
        .inventory_item
        .expect("item");
    assert_eq!(by_grpc.sku, "");
    assert_eq!(by_grpc.cost, "3");
    assert_eq!(by_grpc.tracked, Some(false));

    // An invalid country: 422, errors per field.
    let refused = both
        .put(
            &path,
            json!({"inventory_item": {"country_code_of_origin": "XX"}}),
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    let messages = refused.json["errors"]["country_code_of_origin"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", refused.text));
    assert!(
        !messages.is_empty() && messages.iter().all(Value::is_string),
        "{}",
        refused.text
    );
    // An unknown field: 400.
    let refused = both
        .put(&path, json!({"inventory_item": {"colour": "red"}}))
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.text);
    assert!(refused.json["errors"].is_object(), "{}", refused.text);
    // Nothing changed by the refusals.
    let after = both.get(&path).await;
    assert_eq!(after.json["inventory_item"]["country_code_of_origin"], "FR");
    // An unknown id: 404 Not Found, on GET and PUT.
    let unknown = format!("{V}/inventory_items/{UNKNOWN_ID}.json");
    let got = both.get(&unknown).await;
    assert_eq!(got.status, StatusCode::NOT_FOUND, "{}", got.text);
    assert_eq!(got.json, json!({"errors": "Not Found"}));
    let put = both
        .put(&unknown, json!({"inventory_item": {"sku": "X"}}))
        .await;
    assert_eq!(put.status, StatusCode::NOT_FOUND, "{}", put.text);
    assert_eq!(put.json, json!({"errors": "Not Found"}));
}

/// A PUT may give an item a SKU another item has (SKUs may repeat, as on Shopify): both
/// keep it, and `inventory_items.json?ids=…` answers both.
async fn shared_skus(mut both: Both) {
    let mug = item(&mut both.clients, "MUG").await;
    let cup = item(&mut both.clients, "CUP").await;
    let put = both
        .put(
            &format!("{V}/inventory_items/{cup}.json"),
            json!({"inventory_item": {"sku": "MUG"}}),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    assert_eq!(put.json["inventory_item"]["sku"], "MUG");
    let listed = both
        .get(&format!("{V}/inventory_items.json?ids={cup},{mug}"))
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    let items: Vec<(&str, &str)> = listed.json["inventory_items"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", listed.text))
        .iter()
        .map(|i| (i["id"].as_str().unwrap(), i["sku"].as_str().unwrap()))
        .collect();
    assert_eq!(items, [(mug.as_str(), "MUG"), (cup.as_str(), "MUG")]);
}

/// A `country_harmonized_system_codes` entry with `"country_code": null` is the item's
/// general HS code, as on Shopify: it sets the general code, is dropped when equal to it,
/// and is refused (422 on `country_code`) when it differs.
async fn hs_codes_without_a_country(mut both: Both) {
    let tee = item(&mut both.clients, "TEE").await;
    let path = format!("{V}/inventory_items/{tee}.json");
    let codes =
        |entries: Value| json!({"inventory_item": {"country_harmonized_system_codes": entries}});
    let put = both
        .put(
            &path,
            codes(json!([
                {"harmonized_system_code": "610910", "country_code": null},
                {"harmonized_system_code": "6109100012", "country_code": "US"},
            ])),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    let item = &put.json["inventory_item"];
    assert_eq!(item["harmonized_system_code"], "610910", "{item}");
    assert_eq!(
        item["country_harmonized_system_codes"],
        json!([{"harmonized_system_code": "6109100012", "country_code": "US"}])
    );

    // A whole Shopify item whose country-less entry repeats the general code.
    let mut whole = both.get(&path).await.json;
    whole["inventory_item"]["country_harmonized_system_codes"] =
        json!([{"harmonized_system_code": "610910", "country_code": null}]);
    let put = both.put(&path, whole).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    assert_eq!(
        put.json["inventory_item"]["harmonized_system_code"],
        "610910"
    );
    assert_eq!(
        put.json["inventory_item"]["country_harmonized_system_codes"],
        json!([])
    );

    // A different code, or no code at all: refused, nothing changed.
    for (entries, field) in [
        (
            json!([{"harmonized_system_code": "620000", "country_code": null}]),
            "country_code",
        ),
        (json!([{"country_code": null}]), "harmonized_system_code"),
    ] {
        let refused = both.put(&path, codes(entries)).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            refused.text
        );
        assert!(refused.json["errors"][field].is_array(), "{}", refused.text);
    }
    let after = both.get(&path).await;
    assert_eq!(
        after.json["inventory_item"]["harmonized_system_code"],
        "610910"
    );
}

/// `inventory_items.json?ids=…&limit=2` over five ids, following the `Link` headers as given.
async fn item_pages(mut both: Both) {
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(item(&mut both.clients, &format!("PAGE-{n}")).await);
    }
    // One item not asked for, which no page may hold.
    let other = item(&mut both.clients, "OTHER").await;
    let first = format!(
        "{}{V}/inventory_items.json?ids={}&limit=2",
        both.base,
        ids.join(",")
    );
    let mut url = Some(first);
    let mut seen = Vec::new();
    let mut pages = 0;
    while let Some(next) = url {
        let page = both
            .send_to(Method::GET, &next, Some(&both.token), &[], None)
            .await;
        assert_eq!(page.status, StatusCode::OK, "{next}: {}", page.text);
        pages += 1;
        assert!(pages <= 5, "the pages do not end");
        let items = page.json["inventory_items"].as_array().expect("items");
        assert!(items.len() <= 2, "{}", page.text);
        for item in items {
            seen.push(item["id"].as_str().unwrap().to_owned());
        }
        url = page.next();
        if url.is_none() {
            assert!(page.headers.get(LINK).is_none());
        }
    }
    assert_eq!(pages, 3, "2 + 2 + 1");
    let distinct: BTreeSet<_> = seen.iter().cloned().collect();
    assert_eq!(distinct.len(), seen.len(), "repeated: {seen:?}");
    assert_eq!(distinct, ids.iter().cloned().collect::<BTreeSet<_>>());
    assert!(!seen.contains(&other));
}

/// Kinds of the item's history, oldest first: (type, from, to or state, quantity).
async fn history(clients: &mut Clients, item: &str) -> Vec<(String, String, String, String)> {
    let changes: Vec<InventoryChange> = clients
        .inventory
        .batch_retrieve_inventory_changes(BatchRetrieveInventoryChangesRequest {
            catalog_object_ids: vec![item.into()],
            ..Default::default()
        })
        .await
        .expect("BatchRetrieveInventoryChanges")
        .into_inner()
        .changes;
    changes
        .into_iter()
        .map(|change| match change.change.expect("a change") {
            Change::PhysicalCount(count) => (
                "PHYSICAL_COUNT".to_owned(),
                String::new(),
                count.state().as_str_name().to_owned(),
                count.quantity,
            ),
            Change::Adjustment(adjustment) => (
                "ADJUSTMENT".to_owned(),
                adjustment.from_state().as_str_name().to_owned(),
                adjustment.to_state().as_str_name().to_owned(),
                adjustment.quantity,
            ),
            other => panic!("unexpected change {other:?}"),
        })
        .collect()
}

fn row(kind: &str, from: InventoryState, to: InventoryState, quantity: &str) -> [String; 4] {
    [
        kind.to_owned(),
        if kind == "PHYSICAL_COUNT" {
            String::new()
        } else {
            from.as_str_name().to_owned()
        },
        to.as_str_name().to_owned(),
        quantity.to_owned(),
    ]
}

/// set.json, adjust.json and inventory_levels.json; the history they leave; refusals.
async fn levels(mut both: Both) {
    let shop = location(&mut both.clients, "Shop").await;
    let back = location(&mut both.clients, "Back room").await;
    let mug = item(&mut both.clients, "MUG").await;
    let plate = item(&mut both.clients, "PLATE").await;

    let set = both.set(&mug, &shop, "42").await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    assert!(
        set.text.contains(r#""available":42,"#) || set.text.contains(r#""available":42}"#),
        "{}",
        set.text
    );
    let level = &set.json["inventory_level"];
    assert_eq!(level["inventory_item_id"], mug.as_str());
    assert_eq!(level["location_id"], shop.as_str());
    assert!(level["updated_at"].is_string(), "{}", set.text);

    let down = both.adjust(&mug, &shop, "-2").await;
    assert_eq!(down.status, StatusCode::OK, "{}", down.text);
    assert_eq!(down.json["inventory_level"]["available"].to_string(), "40");
    let up = both.adjust(&mug, &shop, "0.5").await;
    assert_eq!(up.status, StatusCode::OK, "{}", up.text);
    assert!(
        up.text.contains(r#""available":40.5"#),
        "an exact JSON number: {}",
        up.text
    );

    // The ledger's history: the count, then the adjustments, the loss as IN_STOCK → WASTE.
    use InventoryState as S;
    let rows: Vec<[String; 4]> = history(&mut both.clients, &mug)
        .await
        .into_iter()
        .map(|(a, b, c, d)| [a, b, c, d])
        .collect();
    assert_eq!(
        rows,
        [
            row("PHYSICAL_COUNT", S::Unspecified, S::InStock, "42"),
            row("ADJUSTMENT", S::InStock, S::Waste, "2"),
            row("ADJUSTMENT", S::None, S::InStock, "0.5"),
        ]
    );

    // Levels by item: the mug at the shop, the plate at the back room.
    let set = both.set(&plate, &back, "7").await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    let listed = both
        .get(&format!(
            "{V}/inventory_levels.json?inventory_item_ids={mug}"
        ))
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    let levels = listed.json["inventory_levels"].as_array().expect("levels");
    assert_eq!(levels.len(), 1, "{}", listed.text);
    assert_eq!(levels[0]["location_id"], shop.as_str());
    assert!(
        listed.text.contains(r#""available":40.5"#),
        "{}",
        listed.text
    );
    assert_eq!(
        levels[0]["admin_graphql_api_id"],
        format!("gid://shopify/InventoryLevel/{shop}?inventory_item_id={mug}")
    );
    // updated_at_min is inclusive, as on Shopify: the level's own updated_at finds it.
    let updated_at = levels[0]["updated_at"].as_str().unwrap().to_owned();
    let since = both
        .get(&format!(
            "{V}/inventory_levels.json?inventory_item_ids={mug}&updated_at_min={}",
            updated_at.replace('+', "%2B")
        ))
        .await;
    let found = since.json["inventory_levels"].as_array().map(Vec::len);
    assert_eq!(found, Some(1), "{}", since.text);
    // Shopify's bounds: a filter is required, at most 50 ids each, limit at most 250.
    let many = vec![mug.clone(); 51].join(",");
    for (query, field) in [
        (String::new(), "base"),
        (format!("inventory_item_ids={many}"), "inventory_item_ids"),
        (format!("inventory_item_ids={mug}&limit=251"), "limit"),
    ] {
        let refused = both
            .get(&format!("{V}/inventory_levels.json?{query}"))
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert!(
            refused.json["errors"][field].is_array(),
            "{query}: {}",
            refused.text
        );
    }
    let listed = both
        .get(&format!(
            "{V}/inventory_levels.json?inventory_item_ids={mug},{plate}"
        ))
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    let mut pairs: Vec<(String, String, String)> = listed.json["inventory_levels"]
        .as_array()
        .expect("levels")
        .iter()
        .map(|l| {
            (
                l["inventory_item_id"].as_str().unwrap().to_owned(),
                l["location_id"].as_str().unwrap().to_owned(),
                l["available"].to_string(),
            )
        })
        .collect();
    pairs.sort();
    let mut expected = vec![
        (mug.clone(), shop.clone(), "40.5".to_owned()),
        (plate.clone(), back.clone(), "7".to_owned()),
    ];
    expected.sort();
    assert_eq!(pairs, expected);

    // Refusals: zero, and a quantity that is not a number.
    let zero = both.adjust(&mug, &shop, "0").await;
    assert_eq!(
        zero.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        zero.text
    );
    assert!(
        zero.json["errors"]["available_adjustment"].is_array(),
        "{}",
        zero.text
    );
    let abc = both.set(&mug, &shop, r#""abc""#).await;
    assert_eq!(abc.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", abc.text);
    assert!(abc.json["errors"]["available"].is_array(), "{}", abc.text);
    assert_eq!(both.available(&mug, &shop).await, "40.5");
    assert_eq!(history(&mut both.clients, &mug).await.len(), 3);
    assert_verified(&both.database_url).await;
}

/// Twenty `adjust.json +1` at once: every one applied.
async fn concurrent_adjusts(mut both: Both) {
    const TASKS: usize = 20;
    let shop = location(&mut both.clients, "Shop").await;
    let mug = item(&mut both.clients, "MUG").await;
    let set = both.set(&mug, &shop, "10").await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    let both = Arc::new(both);
    let barrier = Arc::new(Barrier::new(TASKS));
    let mut tasks = Vec::new();
    for _ in 0..TASKS {
        let (both, barrier, mug, shop) = (both.clone(), barrier.clone(), mug.clone(), shop.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let answer = both.adjust(&mug, &shop, "1").await;
            (answer.status, answer.text)
        }));
    }
    for task in tasks {
        let (status, text) = task.await.expect("task");
        assert_eq!(status, StatusCode::OK, "{text}");
    }
    assert_eq!(both.available(&mug, &shop).await, "30");
    let mut clients = both.clients.clone();
    assert_eq!(history(&mut clients, &mug).await.len(), 1 + TASKS);
    assert_verified(&both.database_url).await;
}

/// `Idempotency-Key` on `adjust.json`: a retry with the same key applies once; another key,
/// or none, is another change.
async fn idempotent_adjust(mut both: Both) {
    let shop = location(&mut both.clients, "Shop").await;
    let mug = item(&mut both.clients, "MUG").await;
    let url = format!("{}{V}/inventory_levels/adjust.json", both.base);
    let body = level_body(&mug, &shop, "available_adjustment", "5");
    let key = [("Idempotency-Key", "restock-1")];
    for attempt in 0..2 {
        let answer = both
            .send_to(Method::POST, &url, Some(&both.token), &key, Some(&body))
            .await;
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "attempt {attempt}: {}",
            answer.text
        );
        assert_eq!(
            answer.json["inventory_level"]["available"].to_string(),
            "5",
            "attempt {attempt}: {}",
            answer.text
        );
    }
    assert_eq!(both.available(&mug, &shop).await, "5");
    assert_eq!(history(&mut both.clients, &mug).await.len(), 1);
    // Another key is another change; no key, too.
    let other = [("Idempotency-Key", "restock-2")];
    let answer = both
        .send_to(Method::POST, &url, Some(&both.token), &other, Some(&body))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let answer = both.adjust(&mug, &shop, "5").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(both.available(&mug, &shop).await, "15");
    assert_verified(&both.database_url).await;
}

/// `Idempotency-Key` on `set.json`: a retry with the same key records one count.
async fn idempotent_set(mut both: Both) {
    let shop = location(&mut both.clients, "Shop").await;
    let mug = item(&mut both.clients, "MUG").await;
    let set_url = format!("{}{V}/inventory_levels/set.json", both.base);
    let set_body = level_body(&mug, &shop, "available", "3");
    let key = [("Idempotency-Key", "count-1")];
    for attempt in 0..2 {
        let answer = both
            .send_to(
                Method::POST,
                &set_url,
                Some(&both.token),
                &key,
                Some(&set_body),
            )
            .await;
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "attempt {attempt}: {}",
            answer.text
        );
    }
    assert_eq!(both.available(&mug, &shop).await, "3");
    assert_eq!(history(&mut both.clients, &mug).await.len(), 1);
    assert_verified(&both.database_url).await;
}

/// Ids in another spelling of their UUID (upper case, braces) name the same item and
/// location: the item is read, `adjust.json` answers the level it moved (the answer in
/// canonical ids), and the levels list finds it.
async fn ids_in_any_spelling(mut both: Both) {
    let shop = location(&mut both.clients, "Shop").await;
    let mug = item(&mut both.clients, "MUG").await;
    let (upper_mug, braced_shop) = (mug.to_uppercase(), format!("{{{shop}}}"));
    let read = both
        .get(&format!("{V}/inventory_items/{upper_mug}.json"))
        .await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text);
    assert_eq!(
        read.json["inventory_item"]["id"],
        json!(mug),
        "{}",
        read.text
    );
    let moved = both.adjust(&upper_mug, &braced_shop, "4").await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    assert_eq!(
        moved.json["inventory_level"]["available"], 4,
        "{}",
        moved.text
    );
    assert_eq!(
        moved.json["inventory_level"]["inventory_item_id"],
        json!(mug),
        "{}",
        moved.text
    );
    assert_eq!(both.available(&upper_mug, &braced_shop).await, "4");
}

/// Sends `method path` with the merchant's token, `headers` given as raw bytes (which
/// reqwest's text headers cannot carry) and `body`: the status and the body as JSON.
async fn send_raw(
    both: &Both,
    method: Method,
    path: &str,
    headers: &[(&str, &[u8])],
    body: Option<String>,
) -> (StatusCode, HeaderMap, Value) {
    let mut request = both
        .http
        .request(method, format!("{}{path}", both.base))
        .header("X-Shopify-Access-Token", &both.token);
    for (name, value) in headers {
        let value = reqwest::header::HeaderValue::from_bytes(value).expect("a header value");
        request = request.header(*name, value);
    }
    if let Some(body) = body {
        request = request
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
    }
    let response = request.send().await.expect("request");
    let (status, headers) = (response.status(), response.headers().clone());
    let json = response.json().await.unwrap_or(Value::Null);
    (status, headers, json)
}

/// Headers the door reads are never taken as absent when they are unusable: an
/// `Idempotency-Key` that is not UTF-8 (or sent twice) is refused naming it, and a retry with
/// it is refused again — the adjust is applied by neither (it was applied twice); a UTF-8 key
/// works as any other; a token header that is not visible ASCII is 401 naming it.
async fn unusable_headers_are_refused(mut both: Both) {
    let shop = location(&mut both.clients, "Shop").await;
    let mug = item(&mut both.clients, "MUG").await;
    let adjust = format!("{V}/inventory_levels/adjust.json");
    let body = || Some(level_body(&mug, &shop, "available_adjustment", "5"));
    for attempt in 0..2 {
        let (status, _, answer) = send_raw(
            &both,
            Method::POST,
            &adjust,
            &[("Idempotency-Key", b"restock-\xe9t\xe9")],
            body(),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "attempt {attempt}: {answer}"
        );
        assert_eq!(
            answer["errors"]["Idempotency-Key"][0], "must be UTF-8 text",
            "{answer}"
        );
    }
    let (status, _, answer) = send_raw(
        &both,
        Method::POST,
        &adjust,
        &[("Idempotency-Key", b"a"), ("Idempotency-Key", b"b")],
        body(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(answer["errors"]["Idempotency-Key"].is_array(), "{answer}");
    assert!(
        history(&mut both.clients, &mug).await.is_empty(),
        "nothing applied"
    );

    for attempt in 0..2 {
        let (status, _, answer) = send_raw(
            &both,
            Method::POST,
            &adjust,
            &[("Idempotency-Key", "réassort-1".as_bytes())],
            body(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "attempt {attempt}: {answer}");
    }
    assert_eq!(
        history(&mut both.clients, &mug).await.len(),
        1,
        "applied once"
    );

    let url = format!(
        "{}{V}/inventory_levels.json?inventory_item_ids={mug}",
        both.base
    );
    let token = reqwest::header::HeaderValue::from_bytes(b"t\xf6ken").unwrap();
    let response = both
        .http
        .get(&url)
        .header("X-Shopify-Access-Token", token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let answer: Value = response.json().await.unwrap();
    assert!(
        answer["errors"]
            .as_str()
            .is_some_and(|e| e.contains("X-Shopify-Access-Token")),
        "{answer}"
    );
}

/// The `Link` of a page is built from a validated host: a `Host` that is not a plain
/// `host[:port]` is refused naming it (it was reflected raw into the `Link` header), and so
/// is an `X-Forwarded-Proto` other than http or https; a plain host and `https` make the
/// link, an IPv6 literal too.
async fn links_use_a_validated_host(mut both: Both) {
    for n in 0..2 {
        item(&mut both.clients, &format!("LINKED-{n}")).await;
    }
    let page = format!("{V}/inventory_items.json?limit=1");
    for (host, proto) in [
        (b"evil.example>; rel=\"x\", <http://a".as_slice(), None),
        (b"shop.example/evil".as_slice(), None),
        (b"h\xc3\xb4te".as_slice(), None),
        (b"shop.example".as_slice(), Some(b"javascript".as_slice())),
    ] {
        let mut headers = vec![("Host", host)];
        headers.extend(proto.map(|p| ("X-Forwarded-Proto", p)));
        let (status, sent, answer) = send_raw(&both, Method::GET, &page, &headers, None).await;
        let named = if proto.is_some() {
            "X-Forwarded-Proto"
        } else {
            "Host"
        };
        assert_eq!(status, StatusCode::BAD_REQUEST, "{host:?}: {answer}");
        assert!(answer["errors"][named].is_array(), "{host:?}: {answer}");
        assert!(sent.get(LINK).is_none());
    }
    for (host, proto, origin) in [
        ("shop.example:8443", "https", "https://shop.example:8443"),
        ("[::1]:8080", "http", "http://[::1]:8080"),
    ] {
        let (status, sent, answer) = send_raw(
            &both,
            Method::GET,
            &page,
            &[
                ("Host", host.as_bytes()),
                ("X-Forwarded-Proto", proto.as_bytes()),
            ],
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        let link = sent.get(LINK).expect("a next page").to_str().unwrap();
        let wanted = format!("<{origin}{V}/inventory_items.json?limit=1&page_info=");
        assert!(link.starts_with(&wanted), "{link}");
        assert!(link.ends_with(">; rel=\"next\""), "{link}");
    }
}

/// Tokens: none, unknown, one without the scope, and `Authorization: Bearer`.
async fn tokens(mut both: Both) {
    let shop = location(&mut both.clients, "Shop").await;
    let mug = item(&mut both.clients, "MUG").await;
    let levels = format!(
        "{}{V}/inventory_levels.json?inventory_item_ids={mug}",
        both.base
    );
    let adjust = format!("{}{V}/inventory_levels/adjust.json", both.base);
    let body = level_body(&mug, &shop, "available_adjustment", "1");

    let anonymous = both.send_to(Method::GET, &levels, None, &[], None).await;
    assert_eq!(
        anonymous.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        anonymous.text
    );
    assert!(anonymous.json["errors"].is_string(), "{}", anonymous.text);
    let anonymous = both
        .send_to(Method::POST, &adjust, None, &[], Some(&body))
        .await;
    assert_eq!(
        anonymous.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        anonymous.text
    );
    let unknown = both
        .send_to(Method::GET, &levels, Some("not-a-token"), &[], None)
        .await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED, "{}", unknown.text);

    let store = Store::connect(&both.database_url).await.unwrap();
    let reader = mint_token(
        &store,
        "shopify-merchant",
        &[Scope::InventoryRead, Scope::ItemsRead],
        "reader",
    )
    .await;
    store.close().await.ok();
    let denied = both
        .send_to(Method::POST, &adjust, Some(&reader), &[], Some(&body))
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN, "{}", denied.text);
    assert!(denied.json["errors"].is_string(), "{}", denied.text);
    let denied = both
        .send_to(
            Method::POST,
            &format!("{}{V}/inventory_levels/set.json", both.base),
            Some(&reader),
            &[],
            Some(&level_body(&mug, &shop, "available", "9")),
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN, "{}", denied.text);
    // The reader may read.
    let read = both
        .send_to(Method::GET, &levels, Some(&reader), &[], None)
        .await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text);
    assert_eq!(read.json["inventory_levels"], json!([]), "nothing written");

    // The token in `Authorization: Bearer` works too.
    let bearer = format!("Bearer {}", both.token);
    let authorization = [("Authorization", bearer.as_str())];
    let written = both
        .send_to(Method::POST, &adjust, None, &authorization, Some(&body))
        .await;
    assert_eq!(written.status, StatusCode::OK, "{}", written.text);
    let read = both
        .send_to(Method::GET, &levels, None, &authorization, None)
        .await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text);
    assert_eq!(read.json["inventory_levels"][0]["available"], 1);
    let item = both
        .send_to(
            Method::GET,
            &format!("{}{V}/inventory_items/{mug}.json", both.base),
            None,
            &authorization,
            None,
        )
        .await;
    assert_eq!(item.status, StatusCode::OK, "{}", item.text);
}

on_both_backends!(
    items,
    shared_skus,
    hs_codes_without_a_country,
    item_pages,
    levels,
    concurrent_adjusts,
    idempotent_adjust,
    idempotent_set,
    tokens,
    ids_in_any_spelling,
    unusable_headers_are_refused,
    links_use_a_validated_host,
);
