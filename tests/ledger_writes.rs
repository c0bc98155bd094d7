//! BatchChangeInventory end to end: count rules, state rules, quantities, time window,
//! atomicity, idempotency and concurrency, on SQLite and PostgreSQL.

mod common;

use common::ledger::*;
use common::{assert_rejected, call_error};
use stockledger::proto::v1::{
    BatchChangeInventoryRequest, BatchRetrieveInventoryChangesRequest, InventoryState as S,
    UpdateInventoryItemRequest, UpdateLocationRequest,
};
use tonic::Code;

on_both_backends! {
    async fn the_seed_day_ends_at_93(server) {
        let mut server = server;
        let (l, i) = (location(&mut server, "Shop").await, item(&mut server, "MUG").await);
        let response = apply(&mut server, vec![
            adjust(&i, &l, S::None, S::InStock, "100"),
            adjust(&i, &l, S::InStock, S::Sold, "3"),
            adjust(&i, &l, S::InStock, S::Sold, "1"),
            adjust(&i, &l, S::InStock, S::Waste, "2"),
        ]).await;
        let quantities: Vec<(i32, &str)> = response.counts.iter().map(|c| (c.state, c.quantity.as_str())).collect();
        assert_eq!(quantities, [(S::InStock as i32, "94"), (S::Waste as i32, "2")]);
        assert_eq!(response.changes.len(), 4);
        for change in &response.changes {
            let stockledger::proto::v1::inventory_change::Change::Adjustment(a) = change.change.as_ref().unwrap() else { panic!() };
            assert!(!a.id.is_empty() && a.created_at.is_some());
            assert_eq!(a.source.as_ref().unwrap().product, stockledger::proto::v1::Product::ExternalApi as i32);
            assert_eq!(change.r#type, stockledger::proto::v1::InventoryChangeType::Adjustment as i32, "type is filled in");
        }
        apply(&mut server, vec![count(&i, &l, S::InStock, "93")]).await;
        assert_eq!(quantity(&mut server, &i, &l, S::InStock).await.as_deref(), Some("93"));
        assert_eq!(quantity(&mut server, &i, &l, S::Waste).await.as_deref(), Some("2"));
        assert_verified(&server).await;
    }
}

on_both_backends! {
    async fn squares_timeline_keeps_95_then_93(server) {
        let mut server = server;
        let (l, i) = (location(&mut server, "Shop").await, item(&mut server, "TEE").await);
        let base = now_micros() - 3_600_000_000; // 13:00 is an hour ago
        apply(&mut server, vec![at(adjust(&i, &l, S::None, S::InStock, "100"), at_minute(base, 0))]).await;
        apply(&mut server, vec![at(adjust(&i, &l, S::InStock, S::Sold, "3"), at_minute(base, 10))]).await;
        assert_eq!(quantity(&mut server, &i, &l, S::InStock).await.as_deref(), Some("97"));
        apply(&mut server, vec![at(count(&i, &l, S::InStock, "95"), at_minute(base, 30))]).await;
        let late = apply(&mut server, vec![at(adjust(&i, &l, S::InStock, S::Sold, "2"), at_minute(base, 20))]).await;
        assert_eq!(late.counts[0].quantity, "95", "a sale older than the physical count does not move the count");
        apply(&mut server, vec![at(adjust(&i, &l, S::InStock, S::Waste, "2"), at_minute(base, 40))]).await;
        assert_eq!(quantity(&mut server, &i, &l, S::InStock).await.as_deref(), Some("93"));

        let history = server.inventory.batch_retrieve_inventory_changes(BatchRetrieveInventoryChangesRequest {
            catalog_object_ids: vec![i.clone()], ..Default::default()
        }).await.unwrap().into_inner().changes;
        assert_eq!(history.len(), 5, "the late sale is recorded in history");
        let kinds: Vec<i32> = history.iter().map(|c| c.r#type).collect();
        assert_eq!(kinds, [1, 1, 1, 2, 1], "history is in occurred_at order: the 13:20 sale sits before the 13:30 count");
        assert_verified(&server).await;
    }
}

on_both_backends! {
    async fn a_late_physical_count_recomputes_from_the_changes_after_it(server) {
        let mut server = server;
        let (l, i) = (location(&mut server, "Shop").await, item(&mut server, "CAP").await);
        let base = now_micros() - 3_600_000_000;
        apply(&mut server, vec![
            at(adjust(&i, &l, S::None, S::InStock, "10"), at_minute(base, 10)),
            at(adjust(&i, &l, S::None, S::InStock, "5"), at_minute(base, 50)),
            at(adjust(&i, &l, S::InStock, S::Sold, "1.5"), at_minute(base, 55)),
        ]).await;
        assert_eq!(quantity(&mut server, &i, &l, S::InStock).await.as_deref(), Some("13.5"));
        apply(&mut server, vec![at(count(&i, &l, S::InStock, "100"), at_minute(base, 40))]).await;
        assert_eq!(quantity(&mut server, &i, &l, S::InStock).await.as_deref(), Some("103.5"));
        // An older physical count than the current anchor is history only.
        apply(&mut server, vec![at(count(&i, &l, S::InStock, "7"), at_minute(base, 20))]).await;
        assert_eq!(quantity(&mut server, &i, &l, S::InStock).await.as_deref(), Some("103.5"));
        assert_verified(&server).await;
    }
}

on_both_backends! {
    async fn ties_in_occurred_at_break_by_arrival(server) {
        let mut server = server;
        let (l, i) = (location(&mut server, "Shop").await, item(&mut server, "TIE").await);
        let when = at_minute(now_micros() - 600_000_000, 0);
        apply(&mut server, vec![at(adjust(&i, &l, S::None, S::InStock, "4"), when)]).await;
        apply(&mut server, vec![at(count(&i, &l, S::InStock, "10"), when)]).await;
        apply(&mut server, vec![at(adjust(&i, &l, S::None, S::InStock, "1"), when)]).await;
        assert_eq!(quantity(&mut server, &i, &l, S::InStock).await.as_deref(), Some("11"));
        assert_verified(&server).await;
    }
}

on_both_backends! {
    async fn transfers_move_stock_between_locations(server) {
        let mut server = server;
        let (a, b) = (location(&mut server, "Warehouse").await, location(&mut server, "Shop").await);
        let i = item(&mut server, "BOX").await;
        apply(&mut server, vec![adjust(&i, &a, S::None, S::InStock, "50")]).await;
        let moved = apply(&mut server, vec![transfer(&i, &a, &b, "12.25")]).await;
        let mut quantities: Vec<(String, String)> = moved.counts.iter().map(|c| (c.location_id.clone(), c.quantity.clone())).collect();
        quantities.sort();
        let mut expected = vec![(a.clone(), "37.75".to_string()), (b.clone(), "12.25".to_string())];
        expected.sort();
        assert_eq!(quantities, expected);
        let same = server.inventory.batch_change_inventory(batch(vec![transfer(&i, &a, &a, "1")])).await;
        assert_rejected(same, Code::InvalidArgument, &["changes[0].transfer.to_location_id"]);
        assert_verified(&server).await;
    }
}

on_both_backends! {
    async fn state_rules_name_the_offending_change(server) {
        let mut server = server;
        let (l, i) = (location(&mut server, "Shop").await, item(&mut server, "X").await);
        let ok = adjust(&i, &l, S::None, S::InStock, "1");
        let cases: Vec<(stockledger::proto::v1::InventoryChange, &str)> = vec![
            (adjust(&i, &l, S::InStock, S::None, "1"), "changes[1].adjustment.to_state"),
            (adjust(&i, &l, S::InStock, S::InStock, "1"), "changes[1].adjustment.to_state"),
            (adjust(&i, &l, S::Custom, S::InStock, "1"), "changes[1].adjustment.from_state"),
            (adjust(&i, &l, S::InStock, S::ReservedForSale, "1"), "changes[1].adjustment.to_state"),
            (adjust(&i, &l, S::Unspecified, S::InStock, "1"), "changes[1].adjustment.from_state"),
            (count(&i, &l, S::Sold, "1"), "changes[1].physical_count.state"),
            (count(&i, &l, S::InStock, "-1"), "changes[1].physical_count.quantity"),
            (adjust(&i, &l, S::None, S::InStock, "0"), "changes[1].adjustment.quantity"),
            (adjust(&i, &l, S::None, S::InStock, "-2"), "changes[1].adjustment.quantity"),
            (adjust(&i, &l, S::None, S::InStock, "1.000001"), "changes[1].adjustment.quantity"),
            (adjust(&i, &l, S::None, S::InStock, "1e2"), "changes[1].adjustment.quantity"),
            (adjust(&i, &l, S::None, S::InStock, "1000000000.1"), "changes[1].adjustment.quantity"),
            (adjust("", &l, S::None, S::InStock, "1"), "changes[1].adjustment.catalog_object_id"),
            (adjust(&i, "", S::None, S::InStock, "1"), "changes[1].adjustment.location_id"),
            (adjust("01a20c5a-8f67-7031-9d39-e3d5cae5d630", &l, S::None, S::InStock, "1"), "changes[1].adjustment.catalog_object_id"),
            (adjust(&i, "01a20c5a-8f67-7031-9d39-e3d5cae5d630", S::None, S::InStock, "1"), "changes[1].adjustment.location_id"),
            (stockledger::proto::v1::InventoryChange { r#type: 2, ..adjust(&i, &l, S::None, S::InStock, "1") }, "changes[1].type"),
            (stockledger::proto::v1::InventoryChange { r#type: 1, change: None }, "changes[1].adjustment"),
        ];
        for (bad, field) in cases {
            let result = server.inventory.batch_change_inventory(batch(vec![ok.clone(), bad])).await;
            assert_rejected(result, Code::InvalidArgument, &[field]);
        }
        assert_eq!(quantity(&mut server, &i, &l, S::InStock).await, None, "no rejected batch applied its valid change");
        let history = server.inventory.batch_retrieve_inventory_changes(BatchRetrieveInventoryChangesRequest::default()).await.unwrap();
        assert!(history.into_inner().changes.is_empty());
    }
}

on_both_backends! {
    async fn occurred_at_must_be_within_the_window(server) {
        let mut server = server;
        let (l, i) = (location(&mut server, "Shop").await, item(&mut server, "T").await);
        let now = now_micros();
        for bad in [now - 25 * 3_600_000_000, now + 3_600_000_000] {
            let change = at(adjust(&i, &l, S::None, S::InStock, "1"), at_minute(bad, 0));
            let err = assert_rejected(
                server.inventory.batch_change_inventory(batch(vec![change])).await,
                Code::InvalidArgument,
                &["changes[0].adjustment.occurred_at"],
            );
            assert_eq!(err.reason.as_deref(), Some("INVALID_TIME"));
        }
        apply(&mut server, vec![at(adjust(&i, &l, S::None, S::InStock, "1"), at_minute(now - 23 * 3_600_000_000, 0))]).await;
    }
}

on_both_backends! {
    async fn untracked_items_and_inactive_locations_are_refused(server) {
        let mut server = server;
        let (l, i) = (location(&mut server, "Shop").await, item(&mut server, "U").await);
        server.items.update_inventory_item(UpdateInventoryItemRequest {
            inventory_item: Some(stockledger::proto::v1::InventoryItem { id: i.clone(), tracked: Some(false), ..Default::default() }),
            update_mask: None,
        }).await.unwrap();
        let err = assert_rejected(
            server.inventory.batch_change_inventory(batch(vec![adjust(&i, &l, S::None, S::InStock, "1")])).await,
            Code::InvalidArgument,
            &["changes[0].adjustment.catalog_object_id"],
        );
        assert_eq!(err.reason.as_deref(), Some("ITEM_NOT_TRACKED"));

        let j = item(&mut server, "V").await;
        server.locations.update_location(UpdateLocationRequest {
            location: Some(stockledger::proto::v1::Location { id: l.clone(), status: 2, ..Default::default() }),
            update_mask: None,
        }).await.unwrap();
        let err = assert_rejected(
            server.inventory.batch_change_inventory(batch(vec![adjust(&j, &l, S::None, S::InStock, "1")])).await,
            Code::InvalidArgument,
            &["changes[0].adjustment.location_id"],
        );
        assert_eq!(err.reason.as_deref(), Some("LOCATION_INACTIVE"));
    }
}

on_both_backends! {
    async fn quantities_are_exact_normalised_and_bounded(server) {
        let mut server = server;
        let (l, i) = (location(&mut server, "Shop").await, item(&mut server, "Q").await);
        let r = apply(&mut server, vec![
            adjust(&i, &l, S::None, S::InStock, "0.00001"),
            adjust(&i, &l, S::None, S::InStock, "2.50000"),
        ]).await;
        assert_eq!(r.counts[0].quantity, "2.50001");
        let r = apply(&mut server, vec![adjust(&i, &l, S::InStock, S::Sold, "10")]).await;
        assert_eq!(r.counts[0].quantity, "-7.49999", "negative counts record reality");

        // 1000 receipts of 10^9 reach 10^12; one more unit overflows the bound and changes nothing.
        let big: Vec<_> = (0..100).map(|_| adjust(&i, &l, S::None, S::InStock, "1000000000")).collect();
        for _ in 0..10 {
            apply(&mut server, big.clone()).await;
        }
        let before = quantity(&mut server, &i, &l, S::InStock).await.unwrap();
        assert_eq!(before, "999999999992.50001");
        apply(&mut server, vec![adjust(&i, &l, S::None, S::InStock, "7.49999")]).await;
        let over = server.inventory.batch_change_inventory(batch(vec![
            adjust(&i, &l, S::InStock, S::Waste, "1"),
            adjust(&i, &l, S::None, S::InStock, "1.00001"),
        ])).await;
        let err = assert_rejected(over, Code::OutOfRange, &["changes[1].adjustment.quantity"]);
        assert_eq!(err.reason.as_deref(), Some("COUNT_OUT_OF_RANGE"));
        assert_eq!(quantity(&mut server, &i, &l, S::InStock).await.as_deref(), Some("1000000000000"));
        assert_eq!(quantity(&mut server, &i, &l, S::Waste).await, None, "the rejected batch left nothing behind");
        assert_verified(&server).await;
    }
}

on_both_backends! {
    async fn ignore_unchanged_counts_defaults_to_true(server) {
        let mut server = server;
        let (l, i) = (location(&mut server, "Shop").await, item(&mut server, "I").await);
        apply(&mut server, vec![adjust(&i, &l, S::None, S::InStock, "5")]).await;
        let skipped = apply(&mut server, vec![count(&i, &l, S::InStock, "5")]).await;
        assert!(skipped.changes.is_empty(), "an unchanged physical count is not recorded");
        assert_eq!(skipped.counts[0].quantity, "5");
        let recorded = server.inventory.batch_change_inventory(BatchChangeInventoryRequest {
            ignore_unchanged_counts: Some(false),
            ..batch(vec![count(&i, &l, S::InStock, "5")])
        }).await.unwrap().into_inner();
        assert_eq!(recorded.changes.len(), 1);
        let first_zero = apply(&mut server, vec![count(&i, &l, S::Waste, "0")]).await;
        assert_eq!(first_zero.changes.len(), 1, "a first count of 0 is recorded: it is not the same as never counted");
        assert_eq!(quantity(&mut server, &i, &l, S::Waste).await.as_deref(), Some("0"));
    }
}

on_both_backends! {
    async fn idempotency_keys_replay_and_refuse_reuse(server) {
        let mut server = server;
        let (l, i) = (location(&mut server, "Shop").await, item(&mut server, "K").await);
        let request = batch(vec![adjust(&i, &l, S::None, S::InStock, "3")]);
        let first = server.inventory.batch_change_inventory(request.clone()).await.unwrap().into_inner();
        let again = server.inventory.batch_change_inventory(request.clone()).await.unwrap().into_inner();
        assert_eq!(first, again, "a retry returns the original response");
        assert_eq!(quantity(&mut server, &i, &l, S::InStock).await.as_deref(), Some("3"), "and applies nothing twice");

        let mut other = request.clone();
        other.changes[0] = adjust(&i, &l, S::None, S::InStock, "4");
        let err = assert_rejected(server.inventory.batch_change_inventory(other).await, Code::AlreadyExists, &["idempotency_key"]);
        assert_eq!(err.reason.as_deref(), Some("IDEMPOTENCY_KEY_REUSED"));

        for bad in [String::new(), "k".repeat(129)] {
            let r = server.inventory.batch_change_inventory(BatchChangeInventoryRequest { idempotency_key: bad, ..request.clone() }).await;
            assert_rejected(r, Code::InvalidArgument, &["idempotency_key"]);
        }
        let empty = server.inventory.batch_change_inventory(batch(vec![])).await;
        assert_rejected(empty, Code::InvalidArgument, &["changes"]);
        let too_many = server.inventory.batch_change_inventory(batch(vec![adjust(&i, &l, S::None, S::InStock, "1"); 101])).await;
        assert_rejected(too_many, Code::InvalidArgument, &["changes"]);
        assert_eq!(quantity(&mut server, &i, &l, S::InStock).await.as_deref(), Some("3"));
    }
}

on_both_backends! {
    async fn one_key_used_concurrently_applies_once(server) {
        let mut server = server;
        let (l, i) = (location(&mut server, "Shop").await, item(&mut server, "C").await);
        let request = batch(vec![adjust(&i, &l, S::None, S::InStock, "1")]);
        let calls: Vec<_> = (0..8).map(|_| {
            let mut client = server.inventory.clone();
            let request = request.clone();
            tokio::spawn(async move { client.batch_change_inventory(request).await.map(|r| r.into_inner()) })
        }).collect();
        let mut responses = Vec::new();
        for call in calls {
            responses.push(call.await.unwrap().expect("every retry succeeds"));
        }
        assert!(responses.windows(2).all(|w| w[0] == w[1]), "every caller sees the same response");
        assert_eq!(quantity(&mut server, &i, &l, S::InStock).await.as_deref(), Some("1"));
        let history = server.inventory.batch_retrieve_inventory_changes(BatchRetrieveInventoryChangesRequest::default()).await.unwrap();
        assert_eq!(history.into_inner().changes.len(), 1);
    }
}

on_both_backends! {
    async fn concurrent_writers_never_lose_an_update(server) {
        let mut server = server;
        let (a, b) = (location(&mut server, "A").await, location(&mut server, "B").await);
        let i = item(&mut server, "HOT").await;
        apply(&mut server, vec![adjust(&i, &a, S::None, S::InStock, "1000")]).await;
        let writers: Vec<_> = (0..8).map(|w| {
            let mut client = server.inventory.clone();
            let (i, a, b) = (i.clone(), a.clone(), b.clone());
            tokio::spawn(async move {
                for n in 0..10 {
                    // Alternate lock order across writers: A then B, or B then A.
                    let changes = if (w + n) % 2 == 0 {
                        vec![transfer(&i, &a, &b, "1"), adjust(&i, &a, S::InStock, S::Sold, "0.5")]
                    } else {
                        vec![adjust(&i, &b, S::None, S::InStock, "0.25"), transfer(&i, &b, &a, "0.25")]
                    };
                    client.batch_change_inventory(batch(changes)).await.map_err(call_error).map_err(|e| e.message).expect("write");
                }
            })
        }).collect();
        for writer in writers {
            writer.await.unwrap();
        }
        // 40 batches move 1 to B and sell 0.5 at A; 40 add 0.25 at B and move it back to A.
        assert_eq!(quantity(&mut server, &i, &a, S::InStock).await.as_deref(), Some("950"));
        assert_eq!(quantity(&mut server, &i, &b, S::InStock).await.as_deref(), Some("40"));
        assert_verified(&server).await;
    }
}

on_both_backends! {
    async fn verify_command_finds_tampered_counts(server) {
        let mut server = server;
        let (l, i) = (location(&mut server, "Shop").await, item(&mut server, "V").await);
        apply(&mut server, vec![adjust(&i, &l, S::None, S::InStock, "100"), adjust(&i, &l, S::InStock, S::Waste, "2")]).await;
        let verify = || {
            std::process::Command::new(env!("CARGO_BIN_EXE_stockledger"))
                .args(["verify", "--database-url", &server.database_url])
                .output()
                .unwrap()
        };
        let clean = verify();
        assert!(clean.status.success(), "{}", String::from_utf8_lossy(&clean.stderr));
        assert!(String::from_utf8_lossy(&clean.stdout).contains("every count equals its history"));

        let store = stockledger::store::Store::connect(&server.database_url).await.unwrap();
        use sea_orm::ConnectionTrait;
        store.connection().execute_unprepared("UPDATE inventory_counts SET quantity_units = quantity_units + 1 WHERE state = 'WASTE'").await.unwrap();
        store.close().await.unwrap();
        let dirty = verify();
        assert!(!dirty.status.success());
        let report = String::from_utf8_lossy(&dirty.stdout);
        assert!(report.contains("state=WASTE stored=2.00001 history=2"), "{report}");
    }
}
