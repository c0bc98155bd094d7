//! Shopify's GraphQL Admin door (`POST /admin/api/{version}/graphql.json`), over HTTP on a
//! real server, on both backends: reads with named quantities, the inventory mutations with
//! compare-and-swap and `@idempotent`, userErrors, cost, and a compare-and-swap race.

mod common;

use common::Backend;
use common::front_doors::FrontDoors;
use common::ledger::{item, shop_and_item};
use serde_json::{Value, json};
use stockledger::proto::v1::{self as pb, CreateReservationRequest, ReservationLine};

/// Posts `query` with `variables` as API `version`: (HTTP status, body).
async fn post(doors: &FrontDoors, version: &str, query: &str, variables: Value) -> (u16, Value) {
    let url = format!("{}/admin/api/{version}/graphql.json", doors.base);
    let answer = doors
        .http
        .post(url)
        .header("X-Shopify-Access-Token", &doors.token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("posting GraphQL");
    let status = answer.status().as_u16();
    (status, answer.json().await.expect("a JSON answer"))
}

/// Posts and expects data without top-level errors.
async fn data(doors: &FrontDoors, version: &str, query: &str, variables: Value) -> Value {
    let (status, body) = post(doors, version, query, variables).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    body["data"].clone()
}

const LEVEL: &str = r#"query($item: ID!, $location: ID!) {
  inventoryItem(id: $item) {
    sku
    inventoryLevel(locationId: $location) {
      quantities(names: ["available", "reserved", "damaged", "on_hand"]) { name quantity }
    }
  }
}"#;

/// The level's `available`, `reserved`, `damaged` and `on_hand`.
async fn quantities(doors: &FrontDoors, item: &str, location: &str) -> [i64; 4] {
    let vars = json!({ "item": gid("InventoryItem", item), "location": gid("Location", location) });
    let data = data(doors, "2026-04", LEVEL, vars).await;
    let list = &data["inventoryItem"]["inventoryLevel"]["quantities"];
    let of = |name: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|q| q["name"] == name)
            .and_then(|q| q["quantity"].as_i64())
            .unwrap_or_else(|| panic!("{name} in {data}"))
    };
    [
        of("available"),
        of("reserved"),
        of("damaged"),
        of("on_hand"),
    ]
}

fn gid(kind: &str, id: &str) -> String {
    format!("gid://shopify/{kind}/{id}")
}

const ADJUST: &str = r#"mutation($input: InventoryAdjustQuantitiesInput!, $key: String!) {
  inventoryAdjustQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id reason referenceDocumentUri changes { name delta quantityAfterChange itemId locationId } }
    userErrors { field message code }
  }
}"#;

const SET: &str = r#"mutation($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { changes { delta quantityAfterChange } }
    userErrors { field message code }
  }
}"#;

fn adjust_input(item: &str, location: &str, delta: i64, from: Option<i64>) -> Value {
    json!({
        "name": "available",
        "reason": "correction",
        "referenceDocumentUri": "logistics://cycle/1",
        "changes": [{
            "delta": delta,
            "inventoryItemId": gid("InventoryItem", item),
            "locationId": gid("Location", location),
            "changeFromQuantity": from,
        }],
    })
}

async fn a_shops_day_through_graphql(backend: Backend) {
    let mut doors = FrontDoors::start(backend, "graphql", "GraphQL day").await;
    let (shop, item) = shop_and_item(&mut doors.clients, "GQL-1").await;

    // Stock the item at the shop with 10 available.
    let activate = r#"mutation($item: ID!, $location: ID!) {
      inventoryActivate(inventoryItemId: $item, locationId: $location, available: 10) {
        inventoryLevel { id quantities(names: ["available"]) { quantity } }
        userErrors { code }
      }
    }"#;
    let vars = json!({ "item": gid("InventoryItem", &item), "location": gid("Location", &shop) });
    let activated = data(&doors, "2026-04", activate, vars.clone()).await;
    let level = &activated["inventoryActivate"]["inventoryLevel"];
    assert_eq!(
        level["id"],
        format!("gid://shopify/InventoryLevel/{shop}?inventory_item_id={item}")
    );
    assert_eq!(level["quantities"][0]["quantity"], 10);
    // Activating again changes nothing.
    data(&doors, "2026-04", activate, vars).await;
    assert_eq!(quantities(&doors, &item, &shop).await, [10, 0, 0, 10]);

    // Sell 3 with a compare-and-swap on the 10 there are.
    let input = adjust_input(&item, &shop, -3, Some(10));
    let vars = json!({ "input": input, "key": "sale-1" });
    let sold = data(&doors, "2026-07", ADJUST, vars.clone()).await;
    let payload = &sold["inventoryAdjustQuantities"];
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    let group = &payload["inventoryAdjustmentGroup"];
    assert_eq!(group["reason"], "correction");
    assert_eq!(group["referenceDocumentUri"], "logistics://cycle/1");
    assert_eq!(group["changes"][0]["delta"], -3);
    assert_eq!(group["changes"][0]["quantityAfterChange"], 7);
    assert_eq!(group["changes"][0]["itemId"], gid("InventoryItem", &item));
    // A retry with the same key answers the same group and changes nothing more.
    let retried = data(&doors, "2026-07", ADJUST, vars).await;
    assert_eq!(
        retried["inventoryAdjustQuantities"]["inventoryAdjustmentGroup"]["id"],
        group["id"]
    );
    assert_eq!(quantities(&doors, &item, &shop).await, [7, 0, 0, 7]);
    // The history keeps Shopify's reason: the sale is the item's one CORRECTION.
    let corrections = doors
        .clients
        .inventory
        .batch_retrieve_inventory_changes(pb::BatchRetrieveInventoryChangesRequest {
            catalog_object_ids: vec![item.clone()],
            reason_ids: vec![pb::InventoryAdjustmentReasonId {
                r#type: pb::InventoryAdjustmentReasonType::Correction as i32,
                custom_reason_id: String::new(),
            }],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .changes;
    let quantities_moved: Vec<_> = corrections
        .iter()
        .filter_map(|c| match &c.change {
            Some(pb::inventory_change::Change::Adjustment(a)) => Some(a.quantity.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(quantities_moved, ["3"], "{corrections:?}");
    // The key with another input is refused.
    let other = json!({ "input": adjust_input(&item, &shop, -1, Some(7)), "key": "sale-1" });
    let reused = data(&doors, "2026-07", ADJUST, other).await;
    let errors = &reused["inventoryAdjustQuantities"]["userErrors"];
    assert_eq!(
        errors[0]["code"], "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
        "{errors}"
    );

    // A stale changeFromQuantity refuses the batch, naming the field.
    let stale = json!({ "input": adjust_input(&item, &shop, -1, Some(10)), "key": "sale-2" });
    let refused = data(&doors, "2026-07", ADJUST, stale).await;
    let payload = &refused["inventoryAdjustQuantities"];
    assert_eq!(payload["inventoryAdjustmentGroup"], Value::Null);
    assert_eq!(
        payload["userErrors"][0]["code"],
        "CHANGE_FROM_QUANTITY_STALE"
    );
    assert_eq!(
        payload["userErrors"][0]["field"],
        json!(["input", "changes", "0", "changeFromQuantity"])
    );
    assert!(
        payload["userErrors"][0]["message"]
            .as_str()
            .unwrap()
            .contains('7')
    );
    // From 2026-07 the field must be sent (null skips the check); before, it may be left out.
    let mut missing = adjust_input(&item, &shop, 1, None);
    missing["changes"][0]
        .as_object_mut()
        .unwrap()
        .remove("changeFromQuantity");
    let vars = json!({ "input": missing, "key": "restock-1" });
    let refused = data(&doors, "2026-07", ADJUST, vars.clone()).await;
    let errors = &refused["inventoryAdjustQuantities"]["userErrors"];
    assert_eq!(
        errors[0]["code"], "CHANGE_FROM_QUANTITY_REQUIRED",
        "{errors}"
    );
    data(&doors, "2026-04", ADJUST, vars).await;
    assert_eq!(quantities(&doors, &item, &shop).await, [8, 0, 0, 8]);

    // Set: compare-and-swap is mandatory from 2026-04.
    let set_input = |from: Option<Option<i64>>| {
        let mut quantity = json!({
            "inventoryItemId": gid("InventoryItem", &item),
            "locationId": gid("Location", &shop),
            "quantity": 20,
        });
        if let Some(from) = from {
            quantity["changeFromQuantity"] = json!(from);
        }
        json!({ "name": "available", "reason": "cycle_count_available", "quantities": [quantity] })
    };
    let refused = data(
        &doors,
        "2026-04",
        SET,
        json!({ "input": set_input(None), "key": "count-1" }),
    )
    .await;
    let errors = &refused["inventorySetQuantities"]["userErrors"];
    assert_eq!(errors[0]["code"], "COMPARE_QUANTITY_REQUIRED", "{errors}");
    let stale = json!({ "input": set_input(Some(Some(3))), "key": "count-2" });
    let refused = data(&doors, "2026-04", SET, stale).await;
    let errors = &refused["inventorySetQuantities"]["userErrors"];
    assert_eq!(errors[0]["code"], "CHANGE_FROM_QUANTITY_STALE", "{errors}");
    let counted = json!({ "input": set_input(Some(Some(8))), "key": "count-3" });
    let counted = data(&doors, "2026-04", SET, counted).await;
    let change = &counted["inventorySetQuantities"]["inventoryAdjustmentGroup"]["changes"][0];
    assert_eq!(
        (
            change["delta"].clone(),
            change["quantityAfterChange"].clone()
        ),
        (json!(12), json!(20))
    );
    assert_eq!(quantities(&doors, &item, &shop).await, [20, 0, 0, 20]);

    // A reservation shows as reserved, and on_hand is their sum.
    let hold = CreateReservationRequest {
        idempotency_key: "cart-1".into(),
        lines: vec![ReservationLine {
            catalog_object_id: item.clone(),
            location_id: shop.clone(),
            quantity: "2".into(),
            ..Default::default()
        }],
        ttl: Some(prost_types::Duration {
            seconds: 600,
            nanos: 0,
        }),
        ..Default::default()
    };
    doors
        .clients
        .reservations
        .create_reservation(hold)
        .await
        .unwrap();
    assert_eq!(quantities(&doors, &item, &shop).await, [18, 2, 0, 20]);

    // Damaged stock is its own count: 3 units written in as damaged, then 1 written off.
    let damaged = |delta: i64, key: &str| {
        let mut input = adjust_input(&item, &shop, delta, None);
        input["name"] = json!("damaged");
        input["reason"] = json!("damaged");
        json!({ "input": input, "key": key })
    };
    let noted = data(&doors, "2026-07", ADJUST, damaged(3, "damaged-1")).await;
    let change = &noted["inventoryAdjustQuantities"]["inventoryAdjustmentGroup"]["changes"][0];
    assert_eq!(
        (
            change["name"].clone(),
            change["quantityAfterChange"].clone()
        ),
        (json!("damaged"), json!(3))
    );
    data(&doors, "2026-07", ADJUST, damaged(-1, "damaged-2")).await;
    assert_eq!(quantities(&doors, &item, &shop).await, [18, 2, 2, 22]);

    // Names Stockledger does not record are refused by name, never answered as zero.
    let damaged = r#"query($id: ID!) { inventoryLevel(id: $id) { quantities(names: ["committed"]) { quantity } } }"#;
    let level_id = format!("gid://shopify/InventoryLevel/{shop}?inventory_item_id={item}");
    let (status, body) = post(&doors, "2026-04", damaged, json!({ "id": level_id })).await;
    assert_eq!(status, 200);
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("committed") && message.contains("not kept"),
        "{body}"
    );

    // Lists, by SKU, with cost in extensions.
    let listed = r#"{ inventoryItems(first: 5, query: "sku:GQL-1") { nodes { id sku } pageInfo { hasNextPage } }
                      locations(first: 5) { nodes { name isActive } } }"#;
    let (_, body) = post(&doors, "2026-04", listed, json!({})).await;
    assert_eq!(
        body["data"]["inventoryItems"]["nodes"][0]["sku"], "GQL-1",
        "{body}"
    );
    assert_eq!(body["data"]["locations"]["nodes"][0]["name"], "Shop");
    let cost = &body["extensions"]["cost"];
    assert_eq!(cost["actualQueryCost"], 2, "{body}");
    assert!(cost["requestedQueryCost"].as_u64().unwrap() >= 6, "{body}");
    let bucket = &cost["throttleStatus"];
    let (maximum, left) = (
        bucket["maximumAvailable"].as_f64().unwrap(),
        bucket["currentlyAvailable"].as_f64().unwrap(),
    );
    assert!(
        left < maximum && left >= maximum - 50.0,
        "two calls were taken from the bucket: {body}"
    );

    // @idempotent is mandatory from 2026-04; an unknown token is 401.
    let bare = ADJUST
        .replace(" @idempotent(key: $key)", "")
        .replace(", $key: String!", "");
    let vars = json!({ "input": adjust_input(&item, &shop, 1, None) });
    let (_, body) = post(&doors, "2026-04", &bare, vars.clone()).await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("@idempotent"),
        "{body}"
    );
    let answer = doors
        .http
        .post(format!("{}/admin/api/2026-04/graphql.json", doors.base))
        .header("X-Shopify-Access-Token", "shpat_unknown")
        .json(&json!({ "query": "{ locations(first: 1) { nodes { name } } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shops_day_through_graphql_on_sqlite() {
    a_shops_day_through_graphql(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shops_day_through_graphql_on_postgres() {
    a_shops_day_through_graphql(Backend::Postgres).await;
}

/// SKUs may repeat, as on Shopify: `inventoryItemUpdate` gives an item a SKU another item
/// has, and `inventoryItems(query: "sku:…")` answers every item with it, in creation order,
/// page after page.
async fn items_sharing_a_sku_through_graphql(backend: Backend) {
    let mut doors = FrontDoors::start(backend, "graphql-skus", "GraphQL SKUs").await;
    let first = item(&mut doors.clients, "TWIN").await;
    let other = item(&mut doors.clients, "OTHER").await;
    let second = item(&mut doors.clients, "TWIN").await;
    let update = r#"mutation($id: ID!) {
      inventoryItemUpdate(id: $id, input: { sku: "TWIN" }) {
        inventoryItem { sku }
        userErrors { field message code }
      }
    }"#;
    let updated = data(
        &doors,
        "2026-04",
        update,
        json!({ "id": gid("InventoryItem", &other) }),
    )
    .await;
    assert_eq!(
        updated["inventoryItemUpdate"],
        json!({ "inventoryItem": { "sku": "TWIN" }, "userErrors": [] })
    );
    let _unrelated = item(&mut doors.clients, "TWIN-NOT").await;

    let listed = r#"query($after: String) {
      inventoryItems(first: 1, after: $after, query: "sku:TWIN") {
        nodes { legacyResourceId sku }
        pageInfo { hasNextPage endCursor }
      }
    }"#;
    let (mut found, mut after) = (Vec::new(), Value::Null);
    loop {
        let page = data(&doors, "2026-04", listed, json!({ "after": after })).await;
        let page = &page["inventoryItems"];
        for node in page["nodes"].as_array().unwrap() {
            assert_eq!(node["sku"], "TWIN", "{page}");
            found.push(node["legacyResourceId"].as_str().unwrap().to_owned());
        }
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(
        found,
        [first, other, second],
        "every item with the SKU, in creation order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_sharing_a_sku_through_graphql_on_sqlite() {
    items_sharing_a_sku_through_graphql(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_sharing_a_sku_through_graphql_on_postgres() {
    items_sharing_a_sku_through_graphql(Backend::Postgres).await;
}

/// 16 writers each take one unit at a time with a compare-and-swap on the quantity they
/// read, retrying when it was stale: no update is lost — the final quantity is the start
/// less the accepted takes.
async fn compare_and_swap_race(backend: Backend) {
    let mut doors = FrontDoors::start(backend, "race", "Race").await;
    let (shop, item) = shop_and_item(&mut doors.clients, "RACE").await;
    let activate = format!(
        r#"mutation {{ inventoryActivate(inventoryItemId: "{}", locationId: "{}", available: 100) {{ userErrors {{ code }} }} }}"#,
        gid("InventoryItem", &item),
        gid("Location", &shop)
    );
    data(&doors, "2026-04", &activate, json!({})).await;
    let doors = std::sync::Arc::new(doors);
    let mut writers = Vec::new();
    for writer in 0..16 {
        let (doors, item, shop) = (doors.clone(), item.clone(), shop.clone());
        writers.push(tokio::spawn(async move {
            let (mut taken, mut stale) = (0, 0);
            for attempt in 0..6 {
                let [available, _, _, _] = quantities(&doors, &item, &shop).await;
                let key = format!("take-{writer}-{attempt}");
                let vars =
                    json!({ "input": adjust_input(&item, &shop, -1, Some(available)), "key": key });
                let answer = data(&doors, "2026-07", ADJUST, vars).await;
                let errors = &answer["inventoryAdjustQuantities"]["userErrors"];
                match errors[0]["code"].as_str() {
                    None => taken += 1,
                    Some("CHANGE_FROM_QUANTITY_STALE") => stale += 1,
                    other => panic!("unexpected refusal {other:?}: {errors}"),
                }
            }
            (taken, stale)
        }));
    }
    let (mut taken, mut stale) = (0, 0);
    for writer in writers {
        let (t, s) = writer.await.unwrap();
        taken += t;
        stale += s;
    }
    println!("compare-and-swap race ({backend:?}): {taken} taken, {stale} refused as stale");
    assert!(taken > 0);
    assert_eq!(quantities(&doors, &item, &shop).await[0], 100 - taken);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_and_swap_race_loses_no_update_on_sqlite() {
    compare_and_swap_race(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_and_swap_race_loses_no_update_on_postgres() {
    compare_and_swap_race(Backend::Postgres).await;
}

const MOVE: &str = r#"mutation($input: InventoryMoveQuantitiesInput!, $key: String!) {
  inventoryMoveQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id reason referenceDocumentUri changes { name delta quantityAfterChange itemId locationId } }
    userErrors { field message code }
  }
}"#;

/// One move of `quantity` of `item` from (`location`, `name`) to (`location`, `name`), with
/// the `changeFromQuantity` of each end.
fn one_move(
    item: &str,
    quantity: i64,
    from: (&str, &str, Option<i64>),
    to: (&str, &str, Option<i64>),
) -> Value {
    let end = |(location, name, expected): (&str, &str, Option<i64>)| json!({ "locationId": gid("Location", location), "name": name, "changeFromQuantity": expected });
    json!({
        "inventoryItemId": gid("InventoryItem", item),
        "quantity": quantity,
        "from": end(from),
        "to": end(to),
    })
}

/// `inventoryMoveQuantities`' variables for `moves`, with the idempotency key `key`.
fn moves(key: &str, moves: Vec<Value>) -> Value {
    json!({
        "input": { "reason": "damaged", "referenceDocumentUri": "logistics://move/7", "changes": moves },
        "key": key,
    })
}

/// Each change of a move's group as (name, delta, quantityAfterChange, location id).
fn move_changes(payload: &Value) -> Vec<(String, i64, i64, String)> {
    let changes = &payload["inventoryAdjustmentGroup"]["changes"];
    changes
        .as_array()
        .unwrap_or_else(|| panic!("no group in {payload}"))
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_owned(),
                c["delta"].as_i64().unwrap(),
                c["quantityAfterChange"].as_i64().unwrap(),
                c["locationId"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The (code, field path) of each user error of a payload.
fn user_errors(payload: &Value) -> Vec<(String, String)> {
    payload["userErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let field: Vec<&str> = e["field"]
                .as_array()
                .map(|f| f.iter().map(|p| p.as_str().unwrap()).collect())
                .unwrap_or_default();
            (e["code"].as_str().unwrap_or("").to_owned(), field.join("."))
        })
        .collect()
}

/// Moves between names at one location and between locations, their guards and
/// refusals, an idempotent retry, and deactivating levels.
async fn moves_and_deactivation(backend: Backend) {
    let mut doors = FrontDoors::start(backend, "moves", "GraphQL moves").await;
    let (a, b, item) = common::ledger::two_locations_and_item(&mut doors.clients, "MOVE-1").await;
    let activate = format!(
        r#"mutation {{ inventoryActivate(inventoryItemId: "{}", locationId: "{}", available: 10) {{ userErrors {{ code }} }} }}"#,
        gid("InventoryItem", &item),
        gid("Location", &a)
    );
    data(&doors, "2026-04", &activate, json!({})).await;
    let (loc_a, loc_b) = (gid("Location", &a), gid("Location", &b));

    // 3 found damaged at A: available → damaged, both ends compared (damaged was never
    // written: 0, as quantities(names:) reads it).
    let found_damaged = moves(
        "move-1",
        vec![one_move(
            &item,
            3,
            (&a, "available", Some(10)),
            (&a, "damaged", Some(0)),
        )],
    );
    let moved = data(&doors, "2026-07", MOVE, found_damaged.clone()).await;
    let payload = &moved["inventoryMoveQuantities"];
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    assert_eq!(
        move_changes(payload),
        [
            ("available".into(), -3, 7, loc_a.clone()),
            ("damaged".into(), 3, 3, loc_a.clone()),
        ]
    );
    let group = &payload["inventoryAdjustmentGroup"];
    assert_eq!(group["reason"], "damaged");
    assert_eq!(group["referenceDocumentUri"], "logistics://move/7");
    assert_eq!(quantities(&doors, &item, &a).await, [7, 0, 3, 10]);
    // A retry with the key answers the same group and moves nothing more.
    let retried = data(&doors, "2026-07", MOVE, found_damaged).await;
    assert_eq!(
        retried["inventoryMoveQuantities"]["inventoryAdjustmentGroup"]["id"],
        group["id"]
    );
    assert_eq!(quantities(&doors, &item, &a).await, [7, 0, 3, 10]);

    // 4 available sent from A to B: a transfer.
    let sent = moves(
        "move-2",
        vec![one_move(
            &item,
            4,
            (&a, "available", Some(7)),
            (&b, "available", None),
        )],
    );
    let moved = data(&doors, "2026-07", MOVE, sent).await;
    let payload = &moved["inventoryMoveQuantities"];
    assert_eq!(
        move_changes(payload),
        [
            ("available".into(), -4, 3, loc_a.clone()),
            ("available".into(), 4, 4, loc_b.clone()),
        ],
        "{payload}"
    );
    assert_eq!(quantities(&doors, &item, &a).await, [3, 0, 3, 6]);
    assert_eq!(quantities(&doors, &item, &b).await, [4, 0, 0, 4]);
    // The gRPC history has it as one transfer of IN_STOCK from A to B, with its reference
    // document and Shopify's reason kept.
    let history = doors
        .clients
        .inventory
        .batch_retrieve_inventory_changes(pb::BatchRetrieveInventoryChangesRequest {
            catalog_object_ids: vec![item.clone()],
            types: vec![pb::InventoryChangeType::Transfer as i32],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let transfers: Vec<_> = history
        .changes
        .iter()
        .filter_map(|c| match &c.change {
            Some(pb::inventory_change::Change::Transfer(t)) => Some((
                t.from_location_id.clone(),
                t.to_location_id.clone(),
                t.state,
                t.quantity.clone(),
                t.reference_id.clone(),
                t.reason_id.clone(),
            )),
            _ => None,
        })
        .collect();
    assert_eq!(
        transfers,
        [(
            a.clone(),
            b.clone(),
            pb::InventoryState::InStock as i32,
            "4".to_owned(),
            "logistics://move/7".to_owned(),
            Some(pb::InventoryAdjustmentReasonId {
                r#type: pb::InventoryAdjustmentReasonType::Damaged as i32,
                custom_reason_id: String::new(),
            })
        )]
    );

    // A stale end refuses the whole batch, naming it: the first move's guards hold, the
    // second's destination (A's available, 3 before the batch and 2 after the first move)
    // does not.
    let stale = moves(
        "move-3",
        vec![
            one_move(
                &item,
                1,
                (&a, "available", Some(3)),
                (&a, "damaged", Some(3)),
            ),
            one_move(
                &item,
                1,
                (&b, "available", Some(4)),
                (&a, "available", Some(5)),
            ),
            one_move(
                &item,
                1,
                (&a, "damaged", Some(4)),
                (&a, "available", Some(2)),
            ),
        ],
    );
    let refused = data(&doors, "2026-07", MOVE, stale).await;
    let payload = &refused["inventoryMoveQuantities"];
    assert_eq!(payload["inventoryAdjustmentGroup"], Value::Null);
    assert_eq!(
        user_errors(payload),
        [(
            "CHANGE_FROM_QUANTITY_STALE".into(),
            "input.changes.1.to.changeFromQuantity".into()
        )],
        "{payload}"
    );
    let stale_from = moves(
        "move-4",
        vec![one_move(
            &item,
            1,
            (&a, "available", Some(7)),
            (&a, "damaged", None),
        )],
    );
    let refused = data(&doors, "2026-07", MOVE, stale_from).await;
    let payload = &refused["inventoryMoveQuantities"];
    assert_eq!(
        user_errors(payload),
        [(
            "CHANGE_FROM_QUANTITY_STALE".into(),
            "input.changes.0.from.changeFromQuantity".into()
        )],
        "{payload}"
    );
    assert!(
        payload["userErrors"][0]["message"]
            .as_str()
            .unwrap()
            .contains('3'),
        "the message says the quantity now: {payload}"
    );
    // A name never written at B reads as 0: a destination guard of 2 there is stale too.
    let stale_to = moves(
        "move-5",
        vec![one_move(
            &item,
            1,
            (&b, "available", Some(4)),
            (&b, "damaged", Some(2)),
        )],
    );
    let refused = data(&doors, "2026-07", MOVE, stale_to).await;
    let payload = &refused["inventoryMoveQuantities"];
    assert_eq!(
        user_errors(payload),
        [(
            "CHANGE_FROM_QUANTITY_STALE".into(),
            "input.changes.0.to.changeFromQuantity".into()
        )],
        "{payload}"
    );
    assert_eq!(quantities(&doors, &item, &a).await, [3, 0, 3, 6]);
    assert_eq!(quantities(&doors, &item, &b).await, [4, 0, 0, 4]);

    // What Stockledger cannot back is refused on its field, nothing applied: reserved moves
    // only with reservations, a move between locations keeps its name, a move needs both
    // ends' changeFromQuantity from 2026-07.
    let mut missing = one_move(&item, 1, (&a, "available", None), (&a, "damaged", None));
    missing["to"]
        .as_object_mut()
        .unwrap()
        .remove("changeFromQuantity");
    let unbackable = moves(
        "move-6",
        vec![
            one_move(&item, 1, (&a, "available", None), (&a, "reserved", None)),
            one_move(&item, 1, (&a, "available", None), (&b, "damaged", None)),
            one_move(&item, 1, (&a, "on_hand", None), (&a, "damaged", None)),
            missing,
        ],
    );
    let refused = data(&doors, "2026-07", MOVE, unbackable).await;
    let payload = &refused["inventoryMoveQuantities"];
    assert_eq!(payload["inventoryAdjustmentGroup"], Value::Null);
    assert_eq!(
        user_errors(payload),
        [
            (
                "INVALID_QUANTITY_NAME".into(),
                "input.changes.0.to.name".into()
            ),
            (
                "DIFFERENT_LOCATIONS".into(),
                "input.changes.1.to.locationId".into()
            ),
            (
                "INVALID_QUANTITY_NAME".into(),
                "input.changes.2.from.name".into()
            ),
            (
                "CHANGE_FROM_QUANTITY_REQUIRED".into(),
                "input.changes.3.to.changeFromQuantity".into()
            ),
        ],
        "{payload}"
    );
    assert_eq!(quantities(&doors, &item, &a).await, [3, 0, 3, 6]);

    // Deactivating: a level holding stock is refused, saying what it holds; once its stock
    // is moved away it is deactivated without a change (the ledger keeps its counts, at 0).
    let deactivate = r#"mutation($id: ID!) { inventoryDeactivate(inventoryLevelId: $id) { userErrors { field message } } }"#;
    let level_b =
        json!({ "id": format!("gid://shopify/InventoryLevel/{b}?inventory_item_id={item}") });
    let refused = data(&doors, "2026-04", deactivate, level_b.clone()).await;
    let errors = &refused["inventoryDeactivate"]["userErrors"];
    assert_eq!(errors[0]["field"], json!(["inventoryLevelId"]), "{errors}");
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("available 4"),
        "{errors}"
    );
    let back = moves(
        "move-7",
        vec![one_move(
            &item,
            4,
            (&b, "available", Some(4)),
            (&a, "available", Some(3)),
        )],
    );
    let moved = data(&doors, "2026-07", MOVE, back).await;
    assert_eq!(
        moved["inventoryMoveQuantities"]["userErrors"],
        json!([]),
        "{moved}"
    );
    let done = data(&doors, "2026-04", deactivate, level_b).await;
    assert_eq!(
        done["inventoryDeactivate"]["userErrors"],
        json!([]),
        "{done}"
    );
    assert_eq!(quantities(&doors, &item, &b).await, [0, 0, 0, 0]);
    assert_eq!(quantities(&doors, &item, &a).await, [7, 0, 3, 10]);
    let unknown = json!({ "id": format!("gid://shopify/InventoryLevel/{}?inventory_item_id={item}", uuid::Uuid::new_v4()) });
    let refused = data(&doors, "2026-04", deactivate, unknown).await;
    let errors = &refused["inventoryDeactivate"]["userErrors"];
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("not stocked"),
        "{errors}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moves_and_deactivation_on_sqlite() {
    moves_and_deactivation(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moves_and_deactivation_on_postgres() {
    moves_and_deactivation(Backend::Postgres).await;
}
