//! Cursors and resume tokens as clients hold them: small whatever the filters (up to the
//! 1,000 ids the contract allows), usable after a restart and on another replica, refused
//! clearly when altered, foreign or of the first format — on SQLite and PostgreSQL.

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::ledger::*;
use common::{TestServer, assert_rejected, call_error};
use stockledger::proto::v1::{
    BatchRetrieveInventoryChangesRequest, BatchRetrieveInventoryCountsRequest, InventoryState as S,
    StreamInventoryChangesRequest, WatchInventoryChangesRequest, WatchStart,
};
use tokio_stream::StreamExt;
use tonic::Code;

/// Longest token a client should ever have to keep.
const SMALL: usize = 400;

/// `real` followed by unknown well-formed ids, `total` in all.
fn many_ids(real: &str, total: usize) -> Vec<String> {
    let mut ids = vec![real.to_owned()];
    ids.extend((1..total).map(|i| format!("01a20c5a-8f67-7031-9d39-{i:012}")));
    ids
}

/// `changes` receipts of one unit of a new item at a new location.
async fn history_of(server: &mut TestServer, sku: &str, changes: usize) -> (String, String) {
    let (location, item) = shop_and_item(server, sku).await;
    let receipts = (0..changes)
        .map(|_| adjust(&item, &location, S::None, S::InStock, "1"))
        .collect();
    apply(server, receipts).await;
    (location, item)
}

on_both_backends!(a_thousand_id_filter_pages_streams_and_watches_with_small_tokens);
async fn a_thousand_id_filter_pages_streams_and_watches_with_small_tokens(mut server: TestServer) {
    let (_, item) = history_of(&mut server, "CUR-1", 12).await;
    let ids = many_ids(&item, 1000);
    let request = |cursor: String| BatchRetrieveInventoryChangesRequest {
        catalog_object_ids: ids.clone(),
        limit: 5,
        cursor,
        ..Default::default()
    };

    // Paging: every page's cursor is small; the filters are sent again with it.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = server
            .inventory
            .batch_retrieve_inventory_changes(request(cursor))
            .await
            .expect("a page")
            .into_inner();
        seen.extend(page.changes.iter().map(change_id));
        assert!(page.cursor.len() < SMALL, "cursor of {}", page.cursor.len());
        if page.cursor.is_empty() {
            break;
        }
        cursor = page.cursor;
    }
    assert_eq!(seen.len(), 12);

    // Without its filters, a cursor too small to carry them says what to do.
    let first = server
        .inventory
        .batch_retrieve_inventory_changes(request(String::new()))
        .await
        .unwrap()
        .into_inner();
    let bare = BatchRetrieveInventoryChangesRequest {
        cursor: first.cursor.clone(),
        ..Default::default()
    };
    let refused = assert_rejected(
        server
            .inventory
            .batch_retrieve_inventory_changes(bare)
            .await,
        Code::InvalidArgument,
        &["cursor"],
    );
    assert_eq!(refused.reason.as_deref(), Some("INVALID_CURSOR"));
    assert!(refused.message.contains("send the first page's filters"));

    // Counts with the same filter page too.
    let counts = BatchRetrieveInventoryCountsRequest {
        catalog_object_ids: ids.clone(),
        limit: 1,
        ..Default::default()
    };
    let page = server
        .inventory
        .batch_retrieve_inventory_counts(counts)
        .await
        .unwrap()
        .into_inner();
    assert!(page.cursor.len() < SMALL);

    // A stream resumed from the cursor of its fifth message goes on from the sixth.
    let stream_request = |cursor: String| StreamInventoryChangesRequest {
        catalog_object_ids: ids.clone(),
        cursor,
        ..Default::default()
    };
    let mut stream = server
        .inventory
        .stream_inventory_changes(stream_request(String::new()))
        .await
        .unwrap()
        .into_inner();
    let mut streamed = Vec::new();
    while let Some(message) = stream.next().await {
        streamed.push(message.unwrap());
    }
    assert_eq!(streamed.len(), 12);
    assert!(streamed.iter().all(|m| m.cursor.len() < SMALL));
    let resumed = server
        .inventory
        .stream_inventory_changes(stream_request(streamed[4].cursor.clone()))
        .await
        .unwrap()
        .into_inner()
        .collect::<Vec<_>>()
        .await;
    let resumed: Vec<String> = resumed
        .into_iter()
        .map(|m| change_id(m.unwrap().change.as_ref().unwrap()))
        .collect();
    let expected: Vec<String> = streamed[5..]
        .iter()
        .map(|m| change_id(m.change.as_ref().unwrap()))
        .collect();
    assert_eq!(resumed, expected);

    // A watch resumed from its third message's token delivers the fourth next.
    let watch_request = |resume_token: String, start: WatchStart| WatchInventoryChangesRequest {
        catalog_object_ids: ids.clone(),
        resume_token,
        start: start.into(),
        ..Default::default()
    };
    let mut watch = server
        .inventory
        .watch_inventory_changes(watch_request(String::new(), WatchStart::Beginning))
        .await
        .unwrap()
        .into_inner();
    let mut watched = Vec::new();
    for _ in 0..4 {
        watched.push(watch.next().await.unwrap().unwrap());
    }
    drop(watch);
    assert!(watched.iter().all(|m| m.resume_token.len() < SMALL));
    let mut resumed = server
        .inventory
        .watch_inventory_changes(watch_request(
            watched[2].resume_token.clone(),
            WatchStart::Unspecified,
        ))
        .await
        .unwrap()
        .into_inner();
    let next = resumed.next().await.unwrap().unwrap();
    assert_eq!(next.sequence, watched[3].sequence);
}

on_both_backends!(tokens_outlive_a_restart_and_work_on_every_replica);
async fn tokens_outlive_a_restart_and_work_on_every_replica(mut server: TestServer) {
    let (_, item) = history_of(&mut server, "CUR-2", 3).await;
    let request = |cursor: String| BatchRetrieveInventoryChangesRequest {
        catalog_object_ids: vec![item.clone()],
        limit: 1,
        cursor,
        ..Default::default()
    };
    let first = server
        .inventory
        .batch_retrieve_inventory_changes(request(String::new()))
        .await
        .unwrap()
        .into_inner();
    let second_id = {
        let page = server
            .inventory
            .batch_retrieve_inventory_changes(request(first.cursor.clone()))
            .await
            .unwrap()
            .into_inner();
        change_id(&page.changes[0])
    };

    let mut replica = server.replica().await;
    let on_replica = replica
        .inventory
        .batch_retrieve_inventory_changes(request(first.cursor.clone()))
        .await
        .expect("another server on the same database accepts the cursor")
        .into_inner();
    assert_eq!(change_id(&on_replica.changes[0]), second_id);
    drop(replica);

    let mut restarted = server.restart().await;
    let after_restart = restarted
        .inventory
        .batch_retrieve_inventory_changes(request(first.cursor))
        .await
        .expect("a restarted server accepts the cursor")
        .into_inner();
    assert_eq!(change_id(&after_restart.changes[0]), second_id);
}

on_both_backends!(altered_foreign_and_first_format_tokens_are_refused_clearly);
async fn altered_foreign_and_first_format_tokens_are_refused_clearly(mut server: TestServer) {
    let (_, item) = history_of(&mut server, "CUR-3", 3).await;
    let request = |cursor: String| BatchRetrieveInventoryChangesRequest {
        catalog_object_ids: vec![item.clone()],
        limit: 1,
        cursor,
        ..Default::default()
    };
    let cursor = server
        .inventory
        .batch_retrieve_inventory_changes(request(String::new()))
        .await
        .unwrap()
        .into_inner()
        .cursor;

    // A cursor of the first format: base64url of a JSON envelope.
    let first_format = URL_SAFE_NO_PAD.encode(format!(
        r#"{{"q":"inventory_changes","m":"x","f":{{"catalog_object_ids":["{item}"]}},"k":[1,2]}}"#
    ));
    let mut altered = URL_SAFE_NO_PAD.decode(&cursor).unwrap();
    let middle = altered.len() / 2;
    altered[middle] ^= 0x20;
    let foreign = {
        let token = server
            .token_for(
                "someone-else",
                &stockledger::auth::scopes::Scope::ALL,
                "Other",
            )
            .await;
        let mut other = server.clients(&token);
        history_of_other(&mut other).await
    };
    for (what, bad, says) in [
        ("first format", first_format, "earlier version"),
        ("altered", URL_SAFE_NO_PAD.encode(altered), "not a cursor"),
        (
            "truncated",
            cursor[..cursor.len() - 3].to_owned(),
            "not a cursor",
        ),
        ("oversize", "A".repeat(5000), "not a cursor"),
        ("another merchant's", foreign, "not a cursor"),
    ] {
        let status = server
            .inventory
            .batch_retrieve_inventory_changes(request(bad))
            .await
            .expect_err(what);
        let err = call_error(status);
        assert_eq!(err.code, Code::InvalidArgument, "{what}");
        assert_eq!(err.reason.as_deref(), Some("INVALID_CURSOR"), "{what}");
        assert_eq!(err.fields, ["cursor"], "{what}");
        assert!(err.message.contains(says), "{what}: {}", err.message);
    }
}

/// A history cursor of another merchant, whose clients `other` are.
async fn history_of_other(other: &mut common::Clients) -> String {
    let (location, item) = shop_and_item(other, "OTHER").await;
    apply(
        other,
        vec![
            adjust(&item, &location, S::None, S::InStock, "1"),
            adjust(&item, &location, S::None, S::InStock, "1"),
        ],
    )
    .await;
    let request = BatchRetrieveInventoryChangesRequest {
        limit: 1,
        ..Default::default()
    };
    other
        .inventory
        .batch_retrieve_inventory_changes(request)
        .await
        .unwrap()
        .into_inner()
        .cursor
}
