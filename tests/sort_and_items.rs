//! Issue 12, end to end on both backends: history newest first (pages, streams, cursors
//! bound to their order, the index read backwards), Square's products read back from stored
//! changes, ListInventoryItems by ids (Shopify's `ids` with `limit` and a cursor), and items
//! without a SKU.

mod common;

use common::ledger::{apply, at_minute, change_id, now_micros, receipt_at, shop_and_item};
use common::paging::{list_all, pages};
use common::{TestServer, UNKNOWN_ID, assert_rejected, mask};
use futures::StreamExt;
use sea_orm::{ConnectionTrait, Database, Statement, TransactionTrait};
use stockledger::api::ledger_wire::product_to_wire;
use stockledger::domain::product::Product;
use stockledger::proto::v1::{
    BatchRetrieveInventoryChangesRequest as ChangesRequest, CreateInventoryItemRequest,
    InventoryChangeType, InventoryItem, ListInventoryItemsRequest as ItemsRequest,
    RetrieveInventoryAdjustmentRequest, SortOrder, StreamInventoryChangesRequest,
    StreamInventoryChangesResponse, UpdateInventoryItemRequest,
};
use tonic::Code;

/// Receipts at minutes that repeat (so ties are broken by server sequence) and arrive out
/// of order, in several batches: 24 changes.
async fn history_with_ties(server: &mut TestServer) -> (String, String) {
    let (shop, item) = shop_and_item(server, "MUG").await;
    let base = now_micros() - 3_600_000_000;
    for batch in 0..4 {
        let changes = (0..6)
            .map(|k| receipt_at(&item, &shop, at_minute(base, (batch * 7 + k * 5) % 11)))
            .collect();
        apply(server, changes).await;
    }
    (shop, item)
}

fn ids(changes: &[stockledger::proto::v1::InventoryChange]) -> Vec<String> {
    changes.iter().map(change_id).collect()
}

fn streamed_ids(messages: &[StreamInventoryChangesResponse]) -> Vec<String> {
    messages
        .iter()
        .map(|m| change_id(m.change.as_ref().expect("a change")))
        .collect()
}

async fn stream_all(
    server: &mut TestServer,
    request: StreamInventoryChangesRequest,
) -> Result<Vec<StreamInventoryChangesResponse>, tonic::Status> {
    let mut stream = server
        .inventory
        .stream_inventory_changes(request)
        .await?
        .into_inner();
    let mut all = Vec::new();
    while let Some(message) = stream.next().await {
        all.push(message?);
    }
    Ok(all)
}

fn newest(request: ChangesRequest) -> ChangesRequest {
    ChangesRequest {
        sort_order: SortOrder::NewestFirst.into(),
        ..request
    }
}

on_both_backends!(newest_first_pages_are_the_reverse_of_oldest_first);
async fn newest_first_pages_are_the_reverse_of_oldest_first(mut server: TestServer) {
    history_with_ties(&mut server).await;
    let by_four = ChangesRequest {
        limit: 4,
        ..ChangesRequest::default()
    };
    let oldest = list_all(&mut server, by_four.clone()).await;
    assert_eq!(oldest.len(), 24);
    let explicit_oldest = ChangesRequest {
        sort_order: SortOrder::OldestFirst.into(),
        ..by_four.clone()
    };
    assert_eq!(
        ids(&list_all(&mut server, explicit_oldest).await),
        ids(&oldest),
        "OLDEST_FIRST is the default"
    );
    let newest_pages = pages(&mut server, newest(by_four.clone())).await;
    assert!(newest_pages.len() >= 3, "{} pages", newest_pages.len());
    assert!(newest_pages.iter().all(|p| p.len() <= 4));
    let mut reversed = ids(&oldest);
    reversed.reverse();
    let newest_ids: Vec<String> = newest_pages.iter().flat_map(|p| ids(p)).collect();
    assert_eq!(newest_ids, reversed, "newest first is the exact reverse");

    // With a filter, the same: the reverse of the filtered oldest-first history.
    let adjustments = ChangesRequest {
        types: vec![InventoryChangeType::Adjustment.into()],
        limit: 5,
        ..ChangesRequest::default()
    };
    let mut filtered = ids(&list_all(&mut server, adjustments.clone()).await);
    filtered.reverse();
    assert_eq!(
        ids(&list_all(&mut server, newest(adjustments)).await),
        filtered
    );

    // A later page may leave sort_order unspecified, like the other filters: the cursor
    // carries it.
    let first = server
        .inventory
        .batch_retrieve_inventory_changes(newest(by_four.clone()))
        .await
        .unwrap()
        .into_inner();
    let second = server
        .inventory
        .batch_retrieve_inventory_changes(ChangesRequest {
            cursor: first.cursor.clone(),
            limit: 4,
            ..ChangesRequest::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ids(&second.changes), reversed[4..8]);

    // A cursor of one order is refused for the other, with or without other filters.
    let oldest_first_page = server
        .inventory
        .batch_retrieve_inventory_changes(by_four.clone())
        .await
        .unwrap()
        .into_inner();
    for (cursor, order) in [
        (&first.cursor, SortOrder::OldestFirst),
        (&oldest_first_page.cursor, SortOrder::NewestFirst),
    ] {
        for limit in [0, 4] {
            let other = ChangesRequest {
                cursor: cursor.clone(),
                sort_order: order.into(),
                limit,
                ..ChangesRequest::default()
            };
            let refused = server.inventory.batch_retrieve_inventory_changes(other);
            let refused = assert_rejected(refused.await, Code::InvalidArgument, &["cursor"]);
            assert_eq!(refused.reason.as_deref(), Some("INVALID_CURSOR"));
            assert!(
                refused.message.contains("other filters"),
                "{}",
                refused.message
            );
        }
    }
    // Repeating the cursor's own order is accepted.
    let same = ChangesRequest {
        cursor: oldest_first_page.cursor.clone(),
        sort_order: SortOrder::OldestFirst.into(),
        limit: 4,
        ..ChangesRequest::default()
    };
    let same = server.inventory.batch_retrieve_inventory_changes(same);
    assert_eq!(
        ids(&same.await.unwrap().into_inner().changes),
        ids(&oldest[4..8])
    );

    // An unknown order is INVALID_ENUM_VALUE naming sort_order, on both RPCs.
    let unknown = ChangesRequest {
        sort_order: 3,
        ..ChangesRequest::default()
    };
    let refused = server.inventory.batch_retrieve_inventory_changes(unknown);
    let refused = assert_rejected(refused.await, Code::InvalidArgument, &["sort_order"]);
    assert_eq!(refused.reason.as_deref(), Some("INVALID_ENUM_VALUE"));
    let unknown = StreamInventoryChangesRequest {
        sort_order: -1,
        ..StreamInventoryChangesRequest::default()
    };
    let refused = stream_all(&mut server, unknown).await;
    let refused = assert_rejected(refused, Code::InvalidArgument, &["sort_order"]);
    assert_eq!(refused.reason.as_deref(), Some("INVALID_ENUM_VALUE"));
}

on_both_backends!(newest_first_streams_resume_from_their_cursors);
async fn newest_first_streams_resume_from_their_cursors(mut server: TestServer) {
    history_with_ties(&mut server).await;
    let oldest = list_all(&mut server, ChangesRequest::default()).await;
    let mut reversed = ids(&oldest);
    reversed.reverse();
    let newest_stream = StreamInventoryChangesRequest {
        sort_order: SortOrder::NewestFirst.into(),
        ..StreamInventoryChangesRequest::default()
    };
    let all = stream_all(&mut server, newest_stream.clone())
        .await
        .unwrap();
    assert_eq!(streamed_ids(&all), reversed);

    // Resumed from a message's cursor: the rest, still newest first, whether the order is
    // repeated or left to the cursor.
    for k in [0, 9, 22] {
        for order in [SortOrder::NewestFirst, SortOrder::Unspecified] {
            let resumed = StreamInventoryChangesRequest {
                cursor: all[k].cursor.clone(),
                sort_order: order.into(),
                ..StreamInventoryChangesRequest::default()
            };
            let resumed = stream_all(&mut server, resumed).await.unwrap();
            assert_eq!(streamed_ids(&resumed), reversed[k + 1..], "after {k}");
        }
    }
    let after_last = StreamInventoryChangesRequest {
        cursor: all[23].cursor.clone(),
        ..StreamInventoryChangesRequest::default()
    };
    assert!(
        stream_all(&mut server, after_last)
            .await
            .unwrap()
            .is_empty()
    );

    // The stream's cursor pages BatchRetrieveInventoryChanges in the same order.
    let page = ChangesRequest {
        cursor: all[9].cursor.clone(),
        limit: 3,
        ..ChangesRequest::default()
    };
    let page = server.inventory.batch_retrieve_inventory_changes(page);
    assert_eq!(
        ids(&page.await.unwrap().into_inner().changes),
        reversed[10..13]
    );

    // A newest-first cursor is refused for oldest first, and the other way round.
    let oldest_stream = stream_all(&mut server, StreamInventoryChangesRequest::default())
        .await
        .unwrap();
    for (cursor, order) in [
        (&all[5].cursor, SortOrder::OldestFirst),
        (&oldest_stream[5].cursor, SortOrder::NewestFirst),
    ] {
        let other = StreamInventoryChangesRequest {
            cursor: cursor.clone(),
            sort_order: order.into(),
            ..StreamInventoryChangesRequest::default()
        };
        let refused = stream_all(&mut server, other).await;
        let refused = assert_rejected(refused, Code::InvalidArgument, &["cursor"]);
        assert_eq!(refused.reason.as_deref(), Some("INVALID_CURSOR"));
    }
}

/// The query plan of one history page read newest first, after a position.
async fn history_plan(database_url: &str) -> String {
    let db = Database::connect(database_url).await.unwrap();
    let backend = db.get_database_backend();
    let query = "SELECT * FROM inventory_changes WHERE merchant_id = 'm' \
                 AND (occurred_at, seq) < (5, 7) ORDER BY occurred_at DESC, seq DESC LIMIT 101";
    let tx = db.begin().await.unwrap();
    let explain = if backend == sea_orm::DbBackend::Postgres {
        // The test tables are tiny: make the planner show what it does on large ones.
        tx.execute_unprepared("SET LOCAL enable_seqscan = off")
            .await
            .unwrap();
        format!("EXPLAIN {query}")
    } else {
        format!("EXPLAIN QUERY PLAN {query}")
    };
    let rows = tx
        .query_all_raw(Statement::from_string(backend, explain))
        .await
        .unwrap();
    let lines: Vec<String> = rows
        .iter()
        .map(|row| {
            let column = if backend == sea_orm::DbBackend::Postgres {
                "QUERY PLAN"
            } else {
                "detail"
            };
            row.try_get::<String>("", column).unwrap()
        })
        .collect();
    tx.rollback().await.unwrap();
    lines.join("\n")
}

on_both_backends!(newest_first_reads_the_history_index_backwards);
async fn newest_first_reads_the_history_index_backwards(server: TestServer) {
    let plan = history_plan(&server.database_url).await;
    eprintln!("{plan}");
    assert!(
        plan.contains("inventory_changes_history_idx"),
        "uses the (merchant, occurred_at, seq) index:\n{plan}"
    );
    assert!(
        !plan.contains("TEMP B-TREE") && !plan.contains("Sort"),
        "no sort step: the index is read in order, backwards:\n{plan}"
    );
    if plan.contains("Index Scan") {
        assert!(plan.contains("Backward"), "{plan}");
    }
}

on_both_backends!(every_product_reads_back_by_its_name);
async fn every_product_reads_back_by_its_name(mut server: TestServer) {
    let (shop, item) = shop_and_item(&mut server, "MUG").await;
    let base = now_micros() - 60_000_000;
    let applied = apply(
        &mut server,
        vec![receipt_at(&item, &shop, at_minute(base, 0))],
    )
    .await;
    let id = change_id(&applied.changes[0]);
    let retrieve = |id: &str| RetrieveInventoryAdjustmentRequest {
        adjustment_id: id.into(),
    };
    let product_of = async |server: &mut TestServer| {
        let adjustment = server
            .inventory
            .retrieve_inventory_adjustment(retrieve(&id))
            .await
            .unwrap()
            .into_inner()
            .adjustment
            .unwrap();
        adjustment.source.unwrap().product
    };
    assert_eq!(
        product_of(&mut server).await,
        i32::from(stockledger::proto::v1::Product::ExternalApi),
        "a change made through the API"
    );
    let db = Database::connect(&server.database_url).await.unwrap();
    let backend = db.get_database_backend();
    let set_product = async |name: &str| {
        let sql = match backend {
            sea_orm::DbBackend::Postgres => {
                "UPDATE inventory_changes SET source_product = $1 WHERE id = $2"
            }
            _ => "UPDATE inventory_changes SET source_product = ? WHERE id = ?",
        };
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [name.into(), id.clone().into()],
        ))
        .await
        .unwrap();
    };
    for product in Product::ALL {
        set_product(product.as_str()).await;
        let wire = product_of(&mut server).await;
        assert_eq!(wire, i32::from(product_to_wire(product)), "{product:?}");
        let name = stockledger::proto::v1::Product::try_from(wire)
            .unwrap()
            .as_str_name();
        assert_eq!(Product::parse(name), Some(product), "{name}");
    }
    set_product("NOT_A_PRODUCT").await;
    assert_eq!(
        product_of(&mut server).await,
        0,
        "unknown names read as unspecified"
    );
}

async fn create(server: &mut TestServer, sku: &str) -> Result<InventoryItem, tonic::Status> {
    let created = server
        .items
        .create_inventory_item(CreateInventoryItemRequest {
            inventory_item: Some(InventoryItem {
                sku: sku.into(),
                ..InventoryItem::default()
            }),
        })
        .await?;
    Ok(created.into_inner().inventory_item.unwrap())
}

fn item_ids(items: &[InventoryItem]) -> Vec<String> {
    items.iter().map(|i| i.id.clone()).collect()
}

on_both_backends!(items_are_listed_by_ids_with_limit_and_cursor);
async fn items_are_listed_by_ids_with_limit_and_cursor(mut server: TestServer) {
    let mut created = Vec::new();
    for k in 0..9 {
        created.push(create(&mut server, &format!("SKU-{k}")).await.unwrap().id);
    }
    // Asked for out of order, with an unknown id and a repeat: creation order, each once,
    // the unknown id simply absent.
    let asked = vec![
        created[7].clone(),
        created[1].clone(),
        UNKNOWN_ID.to_owned(),
        created[4].clone(),
        created[1].clone(),
        created[2].clone(),
        created[8].clone(),
    ];
    let by_ids = ItemsRequest {
        ids: asked.clone(),
        limit: 2,
        ..ItemsRequest::default()
    };
    let paged = pages(&mut server, by_ids.clone()).await;
    assert!(paged.len() >= 3, "{} pages", paged.len());
    let listed: Vec<String> = paged.iter().flat_map(|p| item_ids(p)).collect();
    let expected: Vec<String> = [1, 2, 4, 7, 8]
        .iter()
        .map(|&k| created[k].clone())
        .collect();
    assert_eq!(listed, expected);

    // The cursor carries the ids: long lists as a digest, so the ids are sent again; other
    // ids with the cursor are refused.
    let first = server.items.list_inventory_items(by_ids.clone()).await;
    let first = first.unwrap().into_inner();
    assert_eq!(item_ids(&first.inventory_items), expected[..2]);
    let without_ids = ItemsRequest {
        cursor: first.cursor.clone(),
        limit: 2,
        ..ItemsRequest::default()
    };
    let refused = server.items.list_inventory_items(without_ids).await;
    let refused = assert_rejected(refused, Code::InvalidArgument, &["cursor"]);
    assert!(refused.message.contains("send the first page's filters"));
    let other_ids = ItemsRequest {
        ids: vec![created[1].clone()],
        cursor: first.cursor.clone(),
        ..ItemsRequest::default()
    };
    let refused = server.items.list_inventory_items(other_ids).await;
    assert_rejected(refused, Code::InvalidArgument, &["cursor"]);
    // A short list travels whole: later pages may leave it out.
    let two = ItemsRequest {
        ids: vec![created[3].clone(), created[5].clone()],
        limit: 1,
        ..ItemsRequest::default()
    };
    let page = server.items.list_inventory_items(two).await.unwrap();
    let page = page.into_inner();
    assert_eq!(item_ids(&page.inventory_items), [created[3].clone()]);
    let next = ItemsRequest {
        cursor: page.cursor,
        limit: 1,
        ..ItemsRequest::default()
    };
    let next = server.items.list_inventory_items(next).await.unwrap();
    let next = next.into_inner();
    assert_eq!(item_ids(&next.inventory_items), [created[5].clone()]);
    assert!(next.cursor.is_empty());

    // With the SKU filter too.
    let both = ItemsRequest {
        ids: asked.clone(),
        sku: "SKU-4".into(),
        ..ItemsRequest::default()
    };
    let both = server.items.list_inventory_items(both).await.unwrap();
    assert_eq!(
        item_ids(&both.into_inner().inventory_items),
        [created[4].clone()]
    );

    // 100 ids are accepted (here 91 unknown); 101 are ARRAY_LENGTH_TOO_LONG on ids; a
    // malformed id is INVALID_ID naming it.
    let mut hundred: Vec<String> = (0..91)
        .map(|i| format!("01a20c5a-8f67-7031-9d39-{i:012}"))
        .collect();
    hundred.extend(created.iter().cloned());
    let all = ItemsRequest {
        ids: hundred.clone(),
        limit: 4,
        ..ItemsRequest::default()
    };
    assert_eq!(item_ids(&list_all(&mut server, all).await), created);
    hundred.push(UNKNOWN_ID.into());
    let too_many = ItemsRequest {
        ids: hundred,
        ..ItemsRequest::default()
    };
    let refused = server.items.list_inventory_items(too_many).await;
    let refused = assert_rejected(refused, Code::InvalidArgument, &["ids"]);
    assert_eq!(refused.reason.as_deref(), Some("ARRAY_LENGTH_TOO_LONG"));
    let malformed = ItemsRequest {
        ids: vec![created[0].clone(), "nope".into()],
        ..ItemsRequest::default()
    };
    let refused = server.items.list_inventory_items(malformed).await;
    let refused = assert_rejected(refused, Code::InvalidArgument, &["ids[1]"]);
    assert_eq!(refused.reason.as_deref(), Some("INVALID_ID"));
}

on_both_backends!(items_may_have_no_sku_and_may_share_one);
async fn items_may_have_no_sku_and_may_share_one(mut server: TestServer) {
    let none = create(&mut server, "").await.unwrap();
    let blank = create(&mut server, "   ").await.unwrap();
    assert_eq!((none.sku.as_str(), blank.sku.as_str()), ("", ""));
    assert_ne!(none.id, blank.id);
    let first = create(&mut server, "A").await.unwrap();

    // A SKU another item has is taken all the same, on create and on update (a SKU is a
    // label, as on Shopify, not a key).
    let second = create(&mut server, " A ").await.unwrap();
    assert_eq!(second.sku, "A");
    let update = |id: &str, sku: &str, paths: &[&str]| UpdateInventoryItemRequest {
        inventory_item: Some(InventoryItem {
            id: id.into(),
            sku: sku.into(),
            ..InventoryItem::default()
        }),
        update_mask: mask(paths),
    };
    let named = server
        .items
        .update_inventory_item(update(&none.id, "A", &["sku"]))
        .await
        .unwrap()
        .into_inner()
        .inventory_item
        .unwrap();
    assert_eq!(named.sku, "A");

    // A SKU is cleared through the mask: that item leaves the SKU's items.
    let cleared = server
        .items
        .update_inventory_item(update(&first.id, "", &["sku"]))
        .await
        .unwrap()
        .into_inner()
        .inventory_item
        .unwrap();
    assert_eq!(cleared.sku, "");

    // Reads: no SKU reads back empty; the SKU filter finds every item with it, in id order
    // (the SKU-less items never).
    let all = list_all(&mut server, ItemsRequest::default()).await;
    let skus: Vec<(String, String)> = all.iter().map(|i| (i.id.clone(), i.sku.clone())).collect();
    assert_eq!(
        skus,
        [
            (none.id.clone(), "A".to_owned()),
            (blank.id.clone(), String::new()),
            (first.id.clone(), String::new()),
            (second.id.clone(), "A".to_owned()),
        ]
    );
    let by_sku = ItemsRequest {
        sku: "A".into(),
        limit: 1,
        ..ItemsRequest::default()
    };
    assert_eq!(
        item_ids(&list_all(&mut server, by_sku).await),
        [none.id, second.id]
    );
}

/// The (merchant, sku) lookup of the SKU filter, a page in id order as ListInventoryItems
/// reads it, uses the index on (merchant_id, sku, id).
async fn sku_plan(database_url: &str) -> String {
    let db = Database::connect(database_url).await.unwrap();
    let backend = db.get_database_backend();
    let query = "SELECT * FROM inventory_items WHERE merchant_id = 'm' AND sku = 'A' \
                 AND id > '0' ORDER BY id LIMIT 51";
    let tx = db.begin().await.unwrap();
    let (explain, column) = if backend == sea_orm::DbBackend::Postgres {
        tx.execute_unprepared("SET LOCAL enable_seqscan = off")
            .await
            .unwrap();
        (format!("EXPLAIN {query}"), "QUERY PLAN")
    } else {
        (format!("EXPLAIN QUERY PLAN {query}"), "detail")
    };
    let rows = tx
        .query_all_raw(Statement::from_string(backend, explain))
        .await
        .unwrap();
    let plan: Vec<String> = rows
        .iter()
        .map(|row| row.try_get::<String>("", column).unwrap())
        .collect();
    tx.rollback().await.unwrap();
    plan.join("\n")
}

on_both_backends!(the_sku_filter_uses_the_sku_index);
async fn the_sku_filter_uses_the_sku_index(server: TestServer) {
    let plan = sku_plan(&server.database_url).await;
    eprintln!("{plan}");
    assert!(
        plan.contains("inventory_items_merchant_sku_idx"),
        "the SKU lookup uses the index on (merchant_id, sku, id):\n{plan}"
    );
    assert!(
        !plan.contains("TEMP B-TREE") && !plan.contains("Sort"),
        "the index gives the page order, nothing is sorted:\n{plan}"
    );
}
