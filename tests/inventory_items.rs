//! InventoryItemService end to end: a real server, a real database, the generated client.

mod common;

use std::collections::HashSet;

use common::{TestServer, assert_rejected};
use prost_types::FieldMask;
use stockledger::proto::v1::{
    BatchGetInventoryItemsRequest, CountryHarmonizedSystemCode, CreateInventoryItemRequest,
    GetInventoryItemRequest, InventoryItem, ListInventoryItemsRequest, UpdateInventoryItemRequest,
};
use tonic::Code;

fn item(sku: &str) -> InventoryItem {
    InventoryItem {
        sku: sku.into(),
        ..InventoryItem::default()
    }
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
    let response = server
        .items
        .get_inventory_item(GetInventoryItemRequest { id: id.into() })
        .await?;
    Ok(response.into_inner().inventory_item.expect("item"))
}

async fn list_all(
    server: &mut TestServer,
    request: ListInventoryItemsRequest,
) -> Vec<InventoryItem> {
    let mut all = Vec::new();
    let mut request = request;
    loop {
        let page = server
            .items
            .list_inventory_items(request.clone())
            .await
            .expect("list")
            .into_inner();
        all.extend(page.inventory_items);
        if page.cursor.is_empty() {
            return all;
        }
        request = ListInventoryItemsRequest {
            cursor: page.cursor,
            ..request
        };
    }
}

async fn count_items(server: &mut TestServer) -> usize {
    list_all(
        server,
        ListInventoryItemsRequest {
            limit: 250,
            ..Default::default()
        },
    )
    .await
    .len()
}

on_both_backends! {
    async fn create_then_get_returns_every_field(server) {
        let mut server = server;
        let created = create(&mut server, InventoryItem {
            sku: "  IPOD2008PINK ".into(),
            cost: "25.50".into(),
            country_code_of_origin: "CA".into(),
            province_code_of_origin: "QC".into(),
            harmonized_system_code: "123456".into(),
            country_harmonized_system_codes: vec![
                CountryHarmonizedSystemCode { harmonized_system_code: "1234561111".into(), country_code: "CA".into() },
                CountryHarmonizedSystemCode { harmonized_system_code: "1234562222".into(), country_code: "US".into() },
            ],
            requires_shipping: Some(false),
            ..InventoryItem::default()
        }).await.unwrap();
        assert!(!created.id.is_empty());
        assert_eq!(created.sku, "IPOD2008PINK", "the SKU is trimmed");
        assert_eq!(created.cost, "25.5", "the cost is normalised");
        assert_eq!(created.tracked, Some(true), "tracked defaults to true");
        assert_eq!(created.requires_shipping, Some(false));
        assert!(created.created_at.is_some() && created.created_at == created.updated_at);
        let fetched = get(&mut server, &created.id).await.unwrap();
        assert_eq!(fetched, created);
    }
}

on_both_backends! {
    async fn cost_round_trips_exactly(server) {
        let mut server = server;
        for (i, cost) in ["12345678901234.56789", "0.00001", "92233720368547.75807", "0", "1"].iter().enumerate() {
            let created = create(&mut server, InventoryItem { cost: cost.to_string(), ..item(&format!("C{i}")) }).await.unwrap();
            assert_eq!(get(&mut server, &created.id).await.unwrap().cost, *cost);
        }
        let too_big = create(&mut server, InventoryItem { cost: "92233720368547.75808".into(), ..item("BIG") }).await;
        assert_rejected(too_big, Code::InvalidArgument, &["inventory_item.cost"]);
    }
}

on_both_backends! {
    async fn every_validation_rule_names_its_field(server) {
        let mut server = server;
        let hs = |code: &str, country: &str| CountryHarmonizedSystemCode {
            harmonized_system_code: code.into(),
            country_code: country.into(),
        };
        let cases: Vec<(InventoryItem, &[&str])> = vec![
            (item(""), &["inventory_item.sku"]),
            (item("   "), &["inventory_item.sku"]),
            (item(&"x".repeat(256)), &["inventory_item.sku"]),
            (InventoryItem { cost: "-0.01".into(), ..item("A") }, &["inventory_item.cost"]),
            (InventoryItem { cost: "1.000001".into(), ..item("A") }, &["inventory_item.cost"]),
            (InventoryItem { cost: "1e3".into(), ..item("A") }, &["inventory_item.cost"]),
            (InventoryItem { cost: "NaN".into(), ..item("A") }, &["inventory_item.cost"]),
            (InventoryItem { country_code_of_origin: "XX".into(), ..item("A") }, &["inventory_item.country_code_of_origin"]),
            (InventoryItem { country_code_of_origin: "fr".into(), ..item("A") }, &["inventory_item.country_code_of_origin"]),
            (InventoryItem { country_code_of_origin: "FRA".into(), ..item("A") }, &["inventory_item.country_code_of_origin"]),
            (InventoryItem { province_code_of_origin: "QC".into(), ..item("A") }, &["inventory_item.province_code_of_origin"]),
            (
                InventoryItem { country_code_of_origin: "US".into(), province_code_of_origin: "QC".into(), ..item("A") },
                &["inventory_item.province_code_of_origin"],
            ),
            (InventoryItem { harmonized_system_code: "12345".into(), ..item("A") }, &["inventory_item.harmonized_system_code"]),
            (InventoryItem { harmonized_system_code: "12345678901234".into(), ..item("A") }, &["inventory_item.harmonized_system_code"]),
            (InventoryItem { harmonized_system_code: "12345a".into(), ..item("A") }, &["inventory_item.harmonized_system_code"]),
            (
                InventoryItem { harmonized_system_code: "123456".into(), country_harmonized_system_codes: vec![hs("6543211111", "CA")], ..item("A") },
                &["inventory_item.country_harmonized_system_codes[0].harmonized_system_code"],
            ),
            (
                InventoryItem { country_harmonized_system_codes: vec![hs("1234561111", "CA"), hs("1234561111", "ZZ")], ..item("A") },
                &["inventory_item.country_harmonized_system_codes[1].country_code"],
            ),
            (
                InventoryItem { country_harmonized_system_codes: vec![hs("1234561111", "CA"), hs("1234562222", "CA")], ..item("A") },
                &["inventory_item.country_harmonized_system_codes[1].country_code"],
            ),
            (InventoryItem { id: "x".into(), ..item("A") }, &["inventory_item.id"]),
        ];
        for (bad, fields) in cases {
            assert_rejected(create(&mut server, bad).await, Code::InvalidArgument, fields);
        }
        let missing = server.items.create_inventory_item(CreateInventoryItemRequest { inventory_item: None }).await;
        assert_rejected(missing, Code::InvalidArgument, &["inventory_item"]);
        assert_eq!(count_items(&mut server).await, 0, "rejected requests change nothing");
    }
}

on_both_backends! {
    async fn duplicate_sku_is_already_exists(server) {
        let mut server = server;
        create(&mut server, item("SKU-1")).await.unwrap();
        let err = create(&mut server, item(" SKU-1 ")).await.unwrap_err();
        assert_eq!(err.code(), Code::AlreadyExists);
        assert!(err.message().contains("SKU-1"));
        create(&mut server, item("sku-1")).await.expect("SKUs are case-sensitive");
        assert_eq!(count_items(&mut server).await, 2);
    }
}

on_both_backends! {
    async fn malformed_and_unknown_ids(server) {
        let mut server = server;
        assert_rejected(get(&mut server, "").await, Code::InvalidArgument, &["id"]);
        assert_rejected(get(&mut server, "not-an-id").await, Code::InvalidArgument, &["id"]);
        let unknown = get(&mut server, "01a20c5a-8f67-7031-9d39-e3d5cae5d630").await;
        assert_rejected(unknown, Code::NotFound, &[]);
    }
}

on_both_backends! {
    async fn batch_get_returns_found_items_in_request_order(server) {
        let mut server = server;
        let a = create(&mut server, item("A")).await.unwrap();
        let b = create(&mut server, item("B")).await.unwrap();
        let unknown = "01a20c5a-8f67-7031-9d39-e3d5cae5d630".to_string();
        let response = server.items.batch_get_inventory_items(BatchGetInventoryItemsRequest {
            ids: vec![b.id.clone(), unknown, a.id.clone(), b.id.clone()],
        }).await.unwrap().into_inner();
        let skus: Vec<&str> = response.inventory_items.iter().map(|i| i.sku.as_str()).collect();
        assert_eq!(skus, ["B", "A"]);

        let empty = server.items.batch_get_inventory_items(BatchGetInventoryItemsRequest { ids: vec![] }).await;
        assert_rejected(empty, Code::InvalidArgument, &["ids"]);
        let too_many = server.items.batch_get_inventory_items(BatchGetInventoryItemsRequest { ids: vec![a.id.clone(); 101] }).await;
        assert_rejected(too_many, Code::InvalidArgument, &["ids"]);
        let malformed = server.items.batch_get_inventory_items(BatchGetInventoryItemsRequest { ids: vec![a.id.clone(), "junk".into()] }).await;
        assert_rejected(malformed, Code::InvalidArgument, &["ids[1]"]);
        let hundred = server.items.batch_get_inventory_items(BatchGetInventoryItemsRequest { ids: vec![a.id.clone(); 100] }).await;
        assert_eq!(hundred.unwrap().into_inner().inventory_items.len(), 1);
    }
}

on_both_backends! {
    async fn pagination_never_skips_or_repeats_during_concurrent_inserts(server) {
        let mut server = server;
        let mut original = HashSet::new();
        for i in 0..60 {
            original.insert(create(&mut server, item(&format!("ORIG-{i:03}"))).await.unwrap().id);
        }
        let mut writer_client = server.items.clone();
        let writer = tokio::spawn(async move {
            for i in 0..40 {
                writer_client
                    .create_inventory_item(CreateInventoryItemRequest { inventory_item: Some(item(&format!("NEW-{i:03}"))) })
                    .await
                    .expect("concurrent create");
            }
        });
        let mut seen = Vec::new();
        let mut request = ListInventoryItemsRequest { limit: 7, ..Default::default() };
        let mut pages = 0;
        loop {
            let page = server.items.list_inventory_items(request.clone()).await.unwrap().into_inner();
            assert!(page.inventory_items.len() <= 7);
            pages += 1;
            seen.extend(page.inventory_items.into_iter().map(|i| i.id));
            if page.cursor.is_empty() {
                break;
            }
            tokio::task::yield_now().await;
            request = ListInventoryItemsRequest { cursor: page.cursor, ..request };
        }
        writer.await.unwrap();
        assert!(pages >= 9, "60+ items at 7 a page take at least 9 pages, took {pages}");
        let unique: HashSet<_> = seen.iter().cloned().collect();
        assert_eq!(unique.len(), seen.len(), "no item is repeated");
        assert!(original.is_subset(&unique), "no item that existed before is skipped");
        assert_eq!(count_items(&mut server).await, 100);
    }
}

on_both_backends! {
    async fn list_filters_by_sku_and_updated_after(server) {
        let mut server = server;
        let a = create(&mut server, item("A")).await.unwrap();
        create(&mut server, item("B")).await.unwrap();
        let by_sku = list_all(&mut server, ListInventoryItemsRequest { sku: "A".into(), ..Default::default() }).await;
        assert_eq!(by_sku, vec![a.clone()]);

        let since = a.updated_at;
        let later = create(&mut server, item("C")).await.unwrap();
        let updated = list_all(&mut server, ListInventoryItemsRequest { updated_after: since, limit: 1, ..Default::default() }).await;
        let skus: Vec<&str> = updated.iter().map(|i| i.sku.as_str()).collect();
        assert_eq!(skus, ["B", "C"]);
        assert_eq!(updated[1], later);
    }
}

on_both_backends! {
    async fn cursors_are_checked(server) {
        let mut server = server;
        for sku in ["A", "B", "C"] {
            create(&mut server, item(sku)).await.unwrap();
        }
        let first = server.items.list_inventory_items(ListInventoryItemsRequest { limit: 1, ..Default::default() })
            .await.unwrap().into_inner();
        assert!(!first.cursor.is_empty());
        for junk in ["garbage", "eyJ4IjoxfQ", "%%%"] {
            let bad = server.items.list_inventory_items(ListInventoryItemsRequest { cursor: junk.into(), ..Default::default() }).await;
            let err = assert_rejected(bad, Code::InvalidArgument, &["cursor"]);
            assert_eq!(err.reason.as_deref(), Some("INVALID_CURSOR"));
        }
        let other_filter = server.items.list_inventory_items(ListInventoryItemsRequest {
            cursor: first.cursor.clone(), sku: "B".into(), ..Default::default()
        }).await;
        assert_rejected(other_filter, Code::InvalidArgument, &["cursor"]);
        let bad_limit = server.items.list_inventory_items(ListInventoryItemsRequest { limit: 251, ..Default::default() }).await;
        assert_rejected(bad_limit, Code::InvalidArgument, &["limit"]);
        let negative = server.items.list_inventory_items(ListInventoryItemsRequest { limit: -1, ..Default::default() }).await;
        assert_rejected(negative, Code::InvalidArgument, &["limit"]);
        let default_page = server.items.list_inventory_items(ListInventoryItemsRequest::default()).await.unwrap().into_inner();
        assert_eq!(default_page.inventory_items.len(), 3);
        assert!(default_page.cursor.is_empty());
    }
}

on_both_backends! {
    async fn updates_follow_the_field_mask(server) {
        let mut server = server;
        let created = create(&mut server, InventoryItem {
            cost: "10".into(),
            country_code_of_origin: "FR".into(),
            ..item("MASK")
        }).await.unwrap();
        let update = |item: InventoryItem, paths: &[&str]| UpdateInventoryItemRequest {
            inventory_item: Some(item),
            update_mask: Some(FieldMask { paths: paths.iter().map(|p| p.to_string()).collect() }),
        };

        // Only the masked field changes, even though others are set in the request.
        let changed = server.items.update_inventory_item(update(
            InventoryItem { id: created.id.clone(), cost: "11.5".into(), sku: "IGNORED".into(), ..Default::default() },
            &["cost"],
        )).await.unwrap().into_inner().inventory_item.unwrap();
        assert_eq!((changed.cost.as_str(), changed.sku.as_str()), ("11.5", "MASK"));
        let micros = |t: &Option<prost_types::Timestamp>| t.as_ref().map(|t| (t.seconds, t.nanos)).unwrap();
        assert!(micros(&changed.updated_at) > micros(&created.updated_at));
        assert_eq!(changed.created_at, created.created_at);

        // A masked field left empty clears it; tracked can be switched off.
        let cleared = server.items.update_inventory_item(update(
            InventoryItem { id: created.id.clone(), tracked: Some(false), ..Default::default() },
            &["country_code_of_origin", "tracked"],
        )).await.unwrap().into_inner().inventory_item.unwrap();
        assert_eq!(cleared.country_code_of_origin, "");
        assert_eq!(cleared.tracked, Some(false));
        assert_eq!(cleared.cost, "11.5");

        // Without a mask, the fields set in the request are updated.
        let implied = server.items.update_inventory_item(UpdateInventoryItemRequest {
            inventory_item: Some(InventoryItem { id: created.id.clone(), sku: "MASK-2".into(), ..Default::default() }),
            update_mask: None,
        }).await.unwrap().into_inner().inventory_item.unwrap();
        assert_eq!((implied.sku.as_str(), implied.cost.as_str()), ("MASK-2", "11.5"));
        assert_eq!(get(&mut server, &created.id).await.unwrap(), implied);

        // Bad updates are refused and change nothing.
        let unknown_path = server.items.update_inventory_item(update(
            InventoryItem { id: created.id.clone(), ..Default::default() }, &["id"],
        )).await;
        assert_rejected(unknown_path, Code::InvalidArgument, &["update_mask.paths[0]"]);
        let invalid_value = server.items.update_inventory_item(update(
            InventoryItem { id: created.id.clone(), cost: "-1".into(), ..Default::default() }, &["cost"],
        )).await;
        assert_rejected(invalid_value, Code::InvalidArgument, &["inventory_item.cost"]);
        let clearing_sku = server.items.update_inventory_item(update(
            InventoryItem { id: created.id.clone(), ..Default::default() }, &["sku"],
        )).await;
        assert_rejected(clearing_sku, Code::InvalidArgument, &["inventory_item.sku"]);
        let province_without_country = server.items.update_inventory_item(update(
            InventoryItem { id: created.id.clone(), province_code_of_origin: "QC".into(), ..Default::default() },
            &["province_code_of_origin"],
        )).await;
        assert_rejected(province_without_country, Code::InvalidArgument, &["inventory_item.province_code_of_origin"]);
        let nothing = server.items.update_inventory_item(UpdateInventoryItemRequest {
            inventory_item: Some(InventoryItem { id: created.id.clone(), ..Default::default() }),
            update_mask: None,
        }).await;
        assert_rejected(nothing, Code::InvalidArgument, &["update_mask"]);
        let unknown_id = server.items.update_inventory_item(update(
            InventoryItem { id: "01a20c5a-8f67-7031-9d39-e3d5cae5d630".into(), cost: "1".into(), ..Default::default() }, &["cost"],
        )).await;
        assert_rejected(unknown_id, Code::NotFound, &[]);
        assert_eq!(get(&mut server, &created.id).await.unwrap(), implied, "refused updates changed nothing");

        // A SKU taken by another item is ALREADY_EXISTS.
        create(&mut server, item("TAKEN")).await.unwrap();
        let taken = server.items.update_inventory_item(update(
            InventoryItem { id: created.id.clone(), sku: "TAKEN".into(), ..Default::default() }, &["sku"],
        )).await;
        assert_eq!(taken.unwrap_err().code(), Code::AlreadyExists);
    }
}

on_both_backends! {
    async fn concurrent_updates_of_different_fields_are_all_kept(server) {
        let mut server = server;
        let created = create(&mut server, item("RACE")).await.unwrap();
        let mut tasks = Vec::new();
        for i in 0..10 {
            let mut client = server.items.clone();
            let id = created.id.clone();
            tasks.push(tokio::spawn(async move {
                let (field, value) = if i % 2 == 0 {
                    ("cost", InventoryItem { id, cost: format!("{i}"), ..Default::default() })
                } else {
                    ("harmonized_system_code", InventoryItem { id, harmonized_system_code: format!("{i}00000"), ..Default::default() })
                };
                client.update_inventory_item(UpdateInventoryItemRequest {
                    inventory_item: Some(value),
                    update_mask: Some(FieldMask { paths: vec![field.into()] }),
                }).await.expect("update");
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let last = get(&mut server, &created.id).await.unwrap();
        assert!(!last.cost.is_empty() && !last.harmonized_system_code.is_empty(), "neither field's update was lost: {last:?}");
    }
}
