//! InventoryItemService end to end: a real server, a real database, the generated client.

mod common;

use std::collections::HashSet;

use common::paging::{Paged, list_all, pages};
use common::{TestServer, UNKNOWN_ID, assert_ids_checked, assert_rejected, mask};
use prost_types::FieldMask;
use stockledger::proto::v1::{
    BatchGetInventoryItemsRequest, CountryHarmonizedSystemCode, CreateInventoryItemRequest,
    GetInventoryItemRequest, InventoryItem, ListInventoryItemsRequest, ListInventoryItemsResponse,
    UpdateInventoryItemRequest,
};
use tonic::Code;

fn item(sku: &str) -> InventoryItem {
    InventoryItem {
        sku: sku.into(),
        ..InventoryItem::default()
    }
}

/// `item` with the text field `field` (as a field mask names it) set to `value`.
fn with(field: &str, value: &str, item: InventoryItem) -> InventoryItem {
    let mut item = item;
    let slot = match field {
        "id" => &mut item.id,
        "sku" => &mut item.sku,
        "cost" => &mut item.cost,
        "country_code_of_origin" => &mut item.country_code_of_origin,
        "province_code_of_origin" => &mut item.province_code_of_origin,
        "harmonized_system_code" => &mut item.harmonized_system_code,
        other => panic!("no text field {other}"),
    };
    *slot = value.into();
    item
}

async fn create(
    server: &mut TestServer,
    item: InventoryItem,
) -> Result<InventoryItem, tonic::Status> {
    let response = server
        .items
        .create_inventory_item(CreateInventoryItemRequest {
            inventory_item: Some(item),
        })
        .await?;
    Ok(response.into_inner().inventory_item.expect("created item"))
}

async fn get(server: &mut TestServer, id: &str) -> Result<InventoryItem, tonic::Status> {
    let request = GetInventoryItemRequest { id: id.into() };
    let response = server.items.get_inventory_item(request).await?;
    Ok(response.into_inner().inventory_item.expect("item"))
}

async fn batch_get(
    server: &mut TestServer,
    ids: Vec<String>,
) -> Result<Vec<InventoryItem>, tonic::Status> {
    let request = BatchGetInventoryItemsRequest { ids };
    let response = server.items.batch_get_inventory_items(request).await?;
    Ok(response.into_inner().inventory_items)
}

/// Updates `item`'s fields named by `update_mask` (or, without one, those it sets).
async fn update(
    server: &mut TestServer,
    item: InventoryItem,
    update_mask: Option<FieldMask>,
) -> Result<InventoryItem, tonic::Status> {
    let request = UpdateInventoryItemRequest {
        inventory_item: Some(item),
        update_mask,
    };
    let response = server.items.update_inventory_item(request).await?;
    Ok(response.into_inner().inventory_item.expect("updated item"))
}

/// One page of ListInventoryItems.
async fn list_page(
    server: &mut TestServer,
    request: ListInventoryItemsRequest,
) -> Result<ListInventoryItemsResponse, tonic::Status> {
    Ok(server
        .items
        .list_inventory_items(request)
        .await?
        .into_inner())
}

/// A ListInventoryItems request with `limit`.
fn limited(limit: i32) -> ListInventoryItemsRequest {
    ListInventoryItemsRequest {
        limit,
        ..Default::default()
    }
}

async fn count_items(server: &mut TestServer) -> usize {
    list_all(server, limited(250)).await.len()
}

on_both_backends!(create_then_get_returns_every_field);
async fn create_then_get_returns_every_field(mut server: TestServer) {
    let created = create(
        &mut server,
        InventoryItem {
            sku: "  IPOD2008PINK ".into(),
            cost: "25.50".into(),
            country_code_of_origin: "CA".into(),
            province_code_of_origin: "QC".into(),
            harmonized_system_code: "123456".into(),
            country_harmonized_system_codes: vec![
                CountryHarmonizedSystemCode {
                    harmonized_system_code: "1234561111".into(),
                    country_code: "CA".into(),
                },
                CountryHarmonizedSystemCode {
                    harmonized_system_code: "1234562222".into(),
                    country_code: "US".into(),
                },
            ],
            requires_shipping: Some(false),
            ..InventoryItem::default()
        },
    )
    .await
    .unwrap();
    assert!(!created.id.is_empty());
    assert_eq!(created.sku, "IPOD2008PINK", "the SKU is trimmed");
    assert_eq!(created.cost, "25.5", "the cost is normalised");
    assert_eq!(created.tracked, Some(true), "tracked defaults to true");
    assert_eq!(created.requires_shipping, Some(false));
    assert!(created.created_at.is_some() && created.created_at == created.updated_at);
    let fetched = get(&mut server, &created.id).await.unwrap();
    assert_eq!(fetched, created);
}

on_both_backends!(cost_round_trips_exactly);
async fn cost_round_trips_exactly(mut server: TestServer) {
    for (i, cost) in [
        "12345678901234.56789",
        "0.00001",
        "92233720368547.75807",
        "0",
        "1",
    ]
    .iter()
    .enumerate()
    {
        let created = create(
            &mut server,
            InventoryItem {
                cost: cost.to_string(),
                ..item(&format!("C{i}"))
            },
        )
        .await
        .unwrap();
        assert_eq!(get(&mut server, &created.id).await.unwrap().cost, *cost);
    }
    let too_big = create(
        &mut server,
        InventoryItem {
            cost: "92233720368547.75808".into(),
            ..item("BIG")
        },
    )
    .await;
    assert_rejected(too_big, Code::InvalidArgument, &["inventory_item.cost"]);
}

on_both_backends!(every_validation_rule_names_its_field);
async fn every_validation_rule_names_its_field(mut server: TestServer) {
    // Each bad value of one field, on an otherwise valid item.
    let long_sku = "x".repeat(256);
    let bad_values: [(&str, &[&str]); 6] = [
        // An empty SKU is no SKU (optional: tests/sort_and_items.rs).
        ("sku", &["A\nB", "\u{0}", &long_sku]),
        ("cost", &["-0.01", "1.000001", "1e3", "NaN"]),
        ("country_code_of_origin", &["XX", "fr", "FRA"]),
        ("province_code_of_origin", &["QC"]),
        (
            "harmonized_system_code",
            &["12345", "12345678901234", "12345a"],
        ),
        ("id", &["x"]),
    ];
    for (field, values) in bad_values {
        for value in values {
            let refused = create(&mut server, with(field, value, item("A"))).await;
            let violation = format!("inventory_item.{field}");
            assert_rejected(refused, Code::InvalidArgument, &[&violation]);
        }
    }

    // Rules between fields.
    let hs = |code: &str, country: &str| CountryHarmonizedSystemCode {
        harmonized_system_code: code.into(),
        country_code: country.into(),
    };
    let codes = |codes: Vec<CountryHarmonizedSystemCode>| InventoryItem {
        country_harmonized_system_codes: codes,
        ..item("A")
    };
    let in_us = with("country_code_of_origin", "US", item("A"));
    let general_hs = with("harmonized_system_code", "123456", item("A"));
    let cases = [
        (
            with("province_code_of_origin", "QC", in_us),
            "inventory_item.province_code_of_origin",
        ),
        (
            InventoryItem {
                country_harmonized_system_codes: vec![hs("6543211111", "CA")],
                ..general_hs
            },
            "inventory_item.country_harmonized_system_codes[0].harmonized_system_code",
        ),
        (
            codes(vec![hs("1234561111", "CA"), hs("1234561111", "ZZ")]),
            "inventory_item.country_harmonized_system_codes[1].country_code",
        ),
        (
            codes(vec![hs("1234561111", "CA"), hs("1234562222", "CA")]),
            "inventory_item.country_harmonized_system_codes[1].country_code",
        ),
    ];
    for (bad, violation) in cases {
        let refused = create(&mut server, bad).await;
        assert_rejected(refused, Code::InvalidArgument, &[violation]);
    }
    let missing = server
        .items
        .create_inventory_item(CreateInventoryItemRequest {
            inventory_item: None,
        })
        .await;
    assert_rejected(missing, Code::InvalidArgument, &["inventory_item"]);
    assert_eq!(
        count_items(&mut server).await,
        0,
        "rejected requests change nothing"
    );
}

on_both_backends!(an_hs_entry_without_a_country_is_the_general_code);
/// An HS-code entry without a `country_code` is the item's general code, as on Shopify: it
/// sets an unset general code, is dropped when equal to it, and is refused, naming the
/// entry's `country_code`, when it differs; one such entry at most. The item answers the
/// general code, never an entry with an invented country.
async fn an_hs_entry_without_a_country_is_the_general_code(mut server: TestServer) {
    let hs = |code: &str, country: &str| CountryHarmonizedSystemCode {
        harmonized_system_code: code.into(),
        country_code: country.into(),
    };
    let with_codes = |general: &str, codes: Vec<CountryHarmonizedSystemCode>| InventoryItem {
        harmonized_system_code: general.into(),
        country_harmonized_system_codes: codes,
        ..item("TEE")
    };

    // Create: it sets the general code; equal to the general code it is dropped.
    let set = create(
        &mut server,
        with_codes("", vec![hs("610910", ""), hs("6109100012", "US")]),
    )
    .await
    .unwrap();
    assert_eq!(set.harmonized_system_code, "610910");
    assert_eq!(
        set.country_harmonized_system_codes,
        [hs("6109100012", "US")]
    );
    assert_eq!(get(&mut server, &set.id).await.unwrap(), set, "as stored");
    let same = create(&mut server, with_codes("610910", vec![hs("610910", "")]))
        .await
        .unwrap();
    assert_eq!(
        (
            same.harmonized_system_code.as_str(),
            same.country_harmonized_system_codes.len()
        ),
        ("610910", 0)
    );

    // Refused: a different general code, a second entry without a country.
    let entry = |i: usize, field: &str| {
        format!("inventory_item.country_harmonized_system_codes[{i}].{field}")
    };
    let differs = create(
        &mut server,
        with_codes("610910", vec![hs("6109100012", "US"), hs("620000", "")]),
    )
    .await;
    let differs = assert_rejected(differs, Code::InvalidArgument, &[&entry(1, "country_code")]);
    assert_eq!(differs.reason.as_deref(), Some("INVALID_VALUE"));
    assert!(differs.message.contains("general"), "{}", differs.message);
    let twice = create(
        &mut server,
        with_codes("", vec![hs("610910", ""), hs("610910", "")]),
    )
    .await;
    assert_rejected(twice, Code::InvalidArgument, &[&entry(1, "country_code")]);
    assert_eq!(count_items(&mut server).await, 2, "refusals write nothing");

    // Update: the same rules, against the item's general code.
    let plain = create(&mut server, item("PLAIN")).await.unwrap();
    let codes_of = |id: &str, codes: Vec<CountryHarmonizedSystemCode>| InventoryItem {
        id: id.into(),
        country_harmonized_system_codes: codes,
        ..InventoryItem::default()
    };
    let updated = update(
        &mut server,
        codes_of(&plain.id, vec![hs("620000", "")]),
        mask(&["country_harmonized_system_codes"]),
    )
    .await
    .unwrap();
    assert_eq!(updated.harmonized_system_code, "620000");
    assert!(updated.country_harmonized_system_codes.is_empty());
    let refused = update(
        &mut server,
        codes_of(&set.id, vec![hs("620000", "")]),
        mask(&["country_harmonized_system_codes"]),
    )
    .await;
    assert_rejected(refused, Code::InvalidArgument, &[&entry(0, "country_code")]);
    assert_eq!(get(&mut server, &set.id).await.unwrap(), set, "unchanged");
    let replaced = update(
        &mut server,
        codes_of(&set.id, vec![hs("620000", "")]),
        mask(&["harmonized_system_code", "country_harmonized_system_codes"]),
    )
    .await
    .unwrap();
    assert_eq!(
        (
            replaced.harmonized_system_code.as_str(),
            replaced.country_harmonized_system_codes.len()
        ),
        ("620000", 0)
    );
}

on_both_backends!(items_may_share_a_sku);
/// A SKU is a label, not a key (as on Shopify): a second item may take a SKU another item
/// has, and the `sku` filter finds every item with it, in id (creation) order, page by page.
async fn items_may_share_a_sku(mut server: TestServer) {
    let first = create(&mut server, item("SKU-1")).await.unwrap();
    let other = create(&mut server, item("sku-1")).await.unwrap();
    let second = create(&mut server, item(" SKU-1 "))
        .await
        .expect("a SKU another item has is accepted");
    assert_eq!(second.sku, "SKU-1", "still trimmed");
    assert_ne!(first.id, second.id);
    let third = create(&mut server, item("SKU-1")).await.unwrap();
    assert_eq!(count_items(&mut server).await, 4);

    let by_sku = |sku: &str, limit: i32| ListInventoryItemsRequest {
        sku: sku.into(),
        limit,
        ..Default::default()
    };
    let shared = [first.id.clone(), second.id.clone(), third.id.clone()];
    for limit in [1, 2, 250] {
        let found = list_all(&mut server, by_sku("SKU-1", limit)).await;
        let ids: Vec<String> = found.iter().map(|i| i.id.clone()).collect();
        assert_eq!(
            ids, shared,
            "every item with the SKU, in id order (limit {limit})"
        );
    }
    let case_sensitive = list_all(&mut server, by_sku("sku-1", 250)).await;
    assert_eq!(case_sensitive, [other]);
}

on_both_backends!(malformed_and_unknown_ids);
async fn malformed_and_unknown_ids(mut server: TestServer) {
    assert_ids_checked("id", async |id| get(&mut server, id).await).await;
}

on_both_backends!(batch_get_returns_found_items_in_request_order);
async fn batch_get_returns_found_items_in_request_order(mut server: TestServer) {
    let a = create(&mut server, item("A")).await.unwrap();
    let b = create(&mut server, item("B")).await.unwrap();
    let ids = vec![b.id.clone(), UNKNOWN_ID.into(), a.id.clone(), b.id.clone()];
    let found = batch_get(&mut server, ids).await.unwrap();
    let skus: Vec<&str> = found.iter().map(|i| i.sku.as_str()).collect();
    assert_eq!(skus, ["B", "A"]);

    let empty = batch_get(&mut server, vec![]).await;
    assert_rejected(empty, Code::InvalidArgument, &["ids"]);
    let too_many = batch_get(&mut server, vec![a.id.clone(); 101]).await;
    assert_rejected(too_many, Code::InvalidArgument, &["ids"]);
    let malformed = batch_get(&mut server, vec![a.id.clone(), "junk".into()]).await;
    assert_rejected(malformed, Code::InvalidArgument, &["ids[1]"]);
    let hundred = batch_get(&mut server, vec![a.id.clone(); 100]).await;
    assert_eq!(hundred.unwrap().len(), 1);
}

on_both_backends!(pagination_never_skips_or_repeats_during_concurrent_inserts);
async fn pagination_never_skips_or_repeats_during_concurrent_inserts(mut server: TestServer) {
    let mut original = HashSet::new();
    for i in 0..60 {
        let created = create(&mut server, item(&format!("ORIG-{i:03}"))).await;
        original.insert(created.unwrap().id);
    }
    let mut writer_client = server.items.clone();
    let writer = tokio::spawn(async move {
        for i in 0..40 {
            let request = CreateInventoryItemRequest {
                inventory_item: Some(item(&format!("NEW-{i:03}"))),
            };
            let created = writer_client.create_inventory_item(request).await;
            created.expect("concurrent create");
        }
    });
    let pages = pages(&mut server, limited(7)).await;
    writer.await.unwrap();
    assert!(pages.iter().all(|page| page.len() <= 7));
    assert!(
        pages.len() >= 9,
        "60+ items at 7 a page take at least 9 pages, took {}",
        pages.len()
    );
    let seen: Vec<String> = pages.into_iter().flatten().map(|i| i.id).collect();
    let unique: HashSet<_> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "no item is repeated");
    assert!(
        original.is_subset(&unique),
        "no item that existed before is skipped"
    );
    assert_eq!(count_items(&mut server).await, 100);
}

on_both_backends!(list_filters_by_sku_and_updated_after);
async fn list_filters_by_sku_and_updated_after(mut server: TestServer) {
    let a = create(&mut server, item("A")).await.unwrap();
    create(&mut server, item("B")).await.unwrap();
    let sku_a = ListInventoryItemsRequest {
        sku: "A".into(),
        ..Default::default()
    };
    assert_eq!(list_all(&mut server, sku_a).await, vec![a.clone()]);

    let later = create(&mut server, item("C")).await.unwrap();
    let updated_after_a = ListInventoryItemsRequest {
        updated_after: a.updated_at,
        ..limited(1)
    };
    let updated = list_all(&mut server, updated_after_a).await;
    let skus: Vec<&str> = updated.iter().map(|i| i.sku.as_str()).collect();
    assert_eq!(skus, ["B", "C"]);
    assert_eq!(updated[1], later);
}

on_both_backends!(cursors_are_checked);
async fn cursors_are_checked(mut server: TestServer) {
    for sku in ["A", "B", "C"] {
        create(&mut server, item(sku)).await.unwrap();
    }
    let first = list_page(&mut server, limited(1)).await.unwrap();
    assert!(!first.cursor.is_empty());
    for junk in ["garbage", "eyJ4IjoxfQ", "%%%"] {
        let bad = list_page(&mut server, limited(0).after(junk.into())).await;
        let err = assert_rejected(bad, Code::InvalidArgument, &["cursor"]);
        assert_eq!(err.reason.as_deref(), Some("INVALID_CURSOR"));
    }
    let other_filter = ListInventoryItemsRequest {
        cursor: first.cursor.clone(),
        sku: "B".into(),
        ..Default::default()
    };
    let other_filter = list_page(&mut server, other_filter).await;
    assert_rejected(other_filter, Code::InvalidArgument, &["cursor"]);
    for bad_limit in [251, -1] {
        let bad = list_page(&mut server, limited(bad_limit)).await;
        assert_rejected(bad, Code::InvalidArgument, &["limit"]);
    }
    let default_page = list_page(&mut server, limited(0)).await.unwrap();
    assert_eq!(default_page.inventory_items.len(), 3);
    assert!(default_page.cursor.is_empty());
}

on_both_backends!(updates_follow_the_field_mask);
async fn updates_follow_the_field_mask(mut server: TestServer) {
    let created = InventoryItem {
        cost: "10".into(),
        country_code_of_origin: "FR".into(),
        ..item("MASK")
    };
    let created = create(&mut server, created).await.unwrap();
    let id = created.id.clone();
    let of_created = |item: InventoryItem| InventoryItem {
        id: id.clone(),
        ..item
    };

    // Only the masked field changes, even though others are set in the request.
    let cost_and_sku = of_created(InventoryItem {
        cost: "11.5".into(),
        ..item("IGNORED")
    });
    let changed = update(&mut server, cost_and_sku, mask(&["cost"])).await;
    let changed = changed.unwrap();
    assert_eq!(
        (changed.cost.as_str(), changed.sku.as_str()),
        ("11.5", "MASK")
    );
    let micros =
        |t: &Option<prost_types::Timestamp>| t.as_ref().map(|t| (t.seconds, t.nanos)).unwrap();
    assert!(micros(&changed.updated_at) > micros(&created.updated_at));
    assert_eq!(changed.created_at, created.created_at);

    // A masked field left empty clears it; tracked can be switched off.
    let untracked = of_created(InventoryItem {
        tracked: Some(false),
        ..Default::default()
    });
    let paths = mask(&["country_code_of_origin", "tracked"]);
    let cleared = update(&mut server, untracked, paths).await.unwrap();
    assert_eq!(cleared.country_code_of_origin, "");
    assert_eq!(cleared.tracked, Some(false));
    assert_eq!(cleared.cost, "11.5");

    // Without a mask, the fields set in the request are updated.
    let implied = update(&mut server, of_created(item("MASK-2")), None).await;
    let implied = implied.unwrap();
    assert_eq!(
        (implied.sku.as_str(), implied.cost.as_str()),
        ("MASK-2", "11.5")
    );
    assert_eq!(get(&mut server, &created.id).await.unwrap(), implied);

    // Bad updates are refused and change nothing.
    let blank = of_created(InventoryItem::default());
    let negative_cost = InventoryItem {
        cost: "-1".into(),
        ..blank.clone()
    };
    let province = InventoryItem {
        province_code_of_origin: "QC".into(),
        ..blank.clone()
    };
    let control_sku = InventoryItem {
        sku: "A\tB".into(),
        ..blank.clone()
    };
    let refused: [(&InventoryItem, Option<FieldMask>, &str); 5] = [
        (&blank, mask(&["id"]), "update_mask.paths[0]"),
        (&negative_cost, mask(&["cost"]), "inventory_item.cost"),
        (&control_sku, mask(&["sku"]), "inventory_item.sku"),
        (
            &province,
            mask(&["province_code_of_origin"]),
            "inventory_item.province_code_of_origin",
        ),
        (&blank, None, "update_mask"),
    ];
    for (bad, update_mask, field) in refused {
        let result = update(&mut server, bad.clone(), update_mask).await;
        assert_rejected(result, Code::InvalidArgument, &[field]);
    }
    let unknown = InventoryItem {
        id: UNKNOWN_ID.into(),
        ..item("VALID")
    };
    let unknown = update(&mut server, unknown, mask(&["sku"])).await;
    assert_rejected(unknown, Code::NotFound, &["inventory_item.id"]);
    assert_eq!(
        get(&mut server, &created.id).await.unwrap(),
        implied,
        "refused updates changed nothing"
    );

    // A SKU another item has may be taken too: SKUs are labels, not keys.
    let other = create(&mut server, item("SHARED")).await.unwrap();
    let shared = update(&mut server, of_created(item("SHARED")), mask(&["sku"])).await;
    assert_eq!(shared.unwrap().sku, "SHARED");
    let request = ListInventoryItemsRequest {
        sku: "SHARED".into(),
        ..Default::default()
    };
    let found = list_all(&mut server, request).await;
    let ids: Vec<&str> = found.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, [id.as_str(), other.id.as_str()], "both, in id order");
}

/// The fields the concurrent updates below set, one field per update.
const RACED_FIELDS: [&str; 5] = [
    "sku",
    "cost",
    "harmonized_system_code",
    "country_code_of_origin",
    "requires_shipping",
];

fn raced_fields(item: &InventoryItem) -> (&str, &str, &str, &str, Option<bool>) {
    (
        &item.sku,
        &item.cost,
        &item.harmonized_system_code,
        &item.country_code_of_origin,
        item.requires_shipping,
    )
}

on_both_backends!(concurrent_updates_of_different_fields_are_all_kept);
/// Each round sends one update per field at the same time, every one with a new value; all
/// of the new values must be in the item afterwards, in whatever order the server ran them.
async fn concurrent_updates_of_different_fields_are_all_kept(mut server: TestServer) {
    let created = create(&mut server, item("RACE")).await.unwrap();
    for round in 0..8_u32 {
        let wanted = InventoryItem {
            id: created.id.clone(),
            sku: format!("RACE-{round}"),
            cost: format!("{round}.5"),
            harmonized_system_code: (100_000 + round).to_string(),
            country_code_of_origin: ["FR", "CA", "JP", "BR"][round as usize % 4].into(),
            requires_shipping: Some(round % 2 == 1),
            ..Default::default()
        };
        // The same item in every request: each mask lets exactly one field through.
        let updates = RACED_FIELDS.map(|field| {
            let mut client = server.items.clone();
            let request = UpdateInventoryItemRequest {
                inventory_item: Some(wanted.clone()),
                update_mask: mask(&[field]),
            };
            tokio::spawn(async move { client.update_inventory_item(request).await })
        });
        for update in updates {
            update.await.unwrap().expect("update");
        }
        let after = get(&mut server, &created.id).await.unwrap();
        assert_eq!(
            raced_fields(&after),
            raced_fields(&wanted),
            "round {round}: no update was lost"
        );
    }
}
