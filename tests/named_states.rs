//! Shopify's named quantities as states of the ledger (docs/ledger.md, "Named quantities"):
//! DAMAGED, QUALITY_CONTROL and SAFETY_STOCK keep counts and are written like WASTE, over
//! gRPC on both backends — moves in and out, physical counts, transfers, guards, counts and
//! history filtered by them, counts as of a moment, `stockledger verify`, and an export →
//! import round trip that keeps them.

mod common;

use common::TestServer;
use common::ledger::*;
use common::process::run;
use stockledger::proto::v1::{
    BatchChangeInventoryRequest, BatchRetrieveInventoryChangesRequest,
    BatchRetrieveInventoryCountsRequest, InventoryChange, InventoryCount, InventoryState as S,
    InventoryTransfer, inventory_change::Change,
};
use tonic::Code;
use tonic_types::StatusExt;

/// A refusal's code, ErrorInfo reason, first field and ErrorInfo metadata.
struct Refused {
    code: Code,
    reason: String,
    field: String,
    metadata: std::collections::HashMap<String, String>,
}

fn refused(status: tonic::Status) -> Refused {
    let details = status.get_error_details();
    let info = details.error_info().expect("an ErrorInfo");
    Refused {
        code: status.code(),
        reason: info.reason.clone(),
        field: info.metadata.get("field").cloned().unwrap_or_default(),
        metadata: info.metadata.clone(),
    }
}

/// `(state, quantity)` of counts, sorted.
fn by_state(counts: &[InventoryCount]) -> Vec<(S, String)> {
    let mut out: Vec<_> = counts
        .iter()
        .map(|c| (c.state(), c.quantity.clone()))
        .collect();
    out.sort();
    out
}

fn pair(state: S, quantity: &str) -> (S, String) {
    (state, quantity.to_owned())
}

/// A transfer of `state` between two locations.
fn transfer_of(state: S, item: &str, from: &str, to: &str, quantity: &str) -> InventoryChange {
    InventoryChange {
        expected_quantity: None,
        r#type: 0,
        change: Some(Change::Transfer(InventoryTransfer {
            catalog_object_id: item.into(),
            from_location_id: from.into(),
            to_location_id: to.into(),
            state: state.into(),
            quantity: quantity.into(),
            ..Default::default()
        })),
    }
}

async fn counts_in(
    server: &mut TestServer,
    item: &str,
    states: &[S],
    as_of: Option<prost_types::Timestamp>,
) -> Vec<(S, String)> {
    let page = server
        .clients
        .inventory
        .batch_retrieve_inventory_counts(BatchRetrieveInventoryCountsRequest {
            catalog_object_ids: vec![item.into()],
            states: states.iter().map(|s| *s as i32).collect(),
            as_of,
            ..Default::default()
        })
        .await
        .expect("counts")
        .into_inner();
    by_state(&page.counts)
}

/// The user's day: 3 damaged mugs leave IN_STOCK, one is written off and one repaired; a
/// safety stock is counted; goods wait in quality control and move to another location.
async fn named_quantities_are_counted(mut server: TestServer) {
    let (shop, back, mug) = two_locations_and_item(&mut server.clients, "MUG").await;
    let base = now_micros() - 3_600_000_000;
    let clients = &mut server.clients;
    apply(
        clients,
        vec![at(
            adjust(&mug, &shop, S::None, S::InStock, "10"),
            at_minute(base, 10),
        )],
    )
    .await;
    let moved = apply(
        clients,
        vec![at(
            adjust(&mug, &shop, S::InStock, S::Damaged, "3"),
            at_minute(base, 20),
        )],
    )
    .await;
    // The batch answers the two counts it moved.
    assert_eq!(
        by_state(&moved.counts),
        [pair(S::InStock, "7"), pair(S::Damaged, "3")]
    );
    assert_quantity(clients, &mug, &shop, S::Damaged, Some("3")).await;
    assert_quantity(clients, &mug, &shop, S::InStock, Some("7")).await;

    apply(
        clients,
        vec![
            at(
                adjust(&mug, &shop, S::Damaged, S::Waste, "1"),
                at_minute(base, 30),
            ),
            at(
                adjust(&mug, &shop, S::Damaged, S::InStock, "1"),
                at_minute(base, 30),
            ),
            at(count(&mug, &shop, S::SafetyStock, "4"), at_minute(base, 30)),
            at(
                adjust(&mug, &shop, S::None, S::QualityControl, "5"),
                at_minute(base, 30),
            ),
            at(
                transfer_of(S::QualityControl, &mug, &shop, &back, "2"),
                at_minute(base, 40),
            ),
        ],
    )
    .await;
    assert_quantity(clients, &mug, &shop, S::Damaged, Some("1")).await;
    assert_quantity(clients, &mug, &shop, S::InStock, Some("8")).await;
    assert_quantity(clients, &mug, &shop, S::Waste, Some("1")).await;
    assert_quantity(clients, &mug, &shop, S::SafetyStock, Some("4")).await;
    assert_quantity(clients, &mug, &shop, S::QualityControl, Some("3")).await;
    assert_quantity(clients, &mug, &back, S::QualityControl, Some("2")).await;

    // A later physical count of SAFETY_STOCK sets it, like any counted state.
    let recounted = apply(clients, vec![count(&mug, &shop, S::SafetyStock, "6")]).await;
    assert_eq!(by_state(&recounted.counts), [pair(S::SafetyStock, "6")]);

    // The counts filter takes the new states (and only counted ones).
    assert_eq!(
        counts_in(&mut server, &mug, &[S::Damaged, S::SafetyStock], None).await,
        [pair(S::Damaged, "1"), pair(S::SafetyStock, "6")]
    );
    assert_eq!(
        counts_in(&mut server, &mug, &[S::QualityControl], None).await,
        [pair(S::QualityControl, "2"), pair(S::QualityControl, "3")]
    );
    assert_eq!(
        counts_in(&mut server, &mug, &[], None).await.len(),
        6,
        "IN_STOCK, WASTE, DAMAGED, SAFETY_STOCK, and QUALITY_CONTROL at both locations"
    );

    // As of minute 25: the damaged three were out of IN_STOCK; nothing else had happened.
    assert_eq!(
        counts_in(&mut server, &mug, &[], at_minute(base, 25)).await,
        [pair(S::InStock, "7"), pair(S::Damaged, "3")]
    );
    assert_eq!(
        counts_in(&mut server, &mug, &[S::SafetyStock], at_minute(base, 35)).await,
        [pair(S::SafetyStock, "4")]
    );

    // History filtered by a new state: every change that names it, on either side.
    let named = |states: &[S]| BatchRetrieveInventoryChangesRequest {
        catalog_object_ids: vec![mug.clone()],
        states: states.iter().map(|s| *s as i32).collect(),
        ..Default::default()
    };
    let damaged = history(&mut server.clients, named(&[S::Damaged])).await;
    assert_eq!(damaged.len(), 3, "{damaged:?}");
    let safety = history(&mut server.clients, named(&[S::SafetyStock])).await;
    assert_eq!(safety.len(), 2, "the two physical counts");
    let control = history(&mut server.clients, named(&[S::QualityControl])).await;
    assert_eq!(control.len(), 2, "the receipt and the transfer");
    assert!(matches!(
        &control[1].change,
        Some(Change::Transfer(t)) if t.state() == S::QualityControl
    ));

    assert_verified(&server).await;
    let verify = run(&["verify"], &server.database_url);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
}

/// Refusals and guards hold for the new states as for WASTE: nothing moves to NONE, a
/// state is not moved to itself, and `forbid_negative_counts` and `expected_quantity` judge
/// their counts.
async fn named_quantities_are_guarded(mut server: TestServer) {
    let (shop, mug) = shop_and_item(&mut server.clients, "MUG").await;
    let clients = &mut server.clients;
    apply(
        clients,
        vec![
            adjust(&mug, &shop, S::None, S::InStock, "10"),
            adjust(&mug, &shop, S::InStock, S::Damaged, "3"),
        ],
    )
    .await;
    for (change, field) in [
        (
            adjust(&mug, &shop, S::Damaged, S::None, "1"),
            "changes[0].adjustment.to_state",
        ),
        (
            adjust(&mug, &shop, S::SafetyStock, S::SafetyStock, "1"),
            "changes[0].adjustment.to_state",
        ),
    ] {
        let refusal = refused(try_apply(clients, vec![change]).await.unwrap_err());
        assert_eq!(refusal.code, Code::InvalidArgument);
        assert_eq!(refusal.reason, "INVALID_STATE_TRANSITION");
        assert_eq!(refusal.field, field);
    }
    // Writing off more damaged mugs than there are, where negative counts are forbidden.
    let status = clients
        .inventory
        .batch_change_inventory(BatchChangeInventoryRequest {
            forbid_negative_counts: Some(true),
            ..batch(vec![adjust(&mug, &shop, S::Damaged, S::Waste, "4")])
        })
        .await
        .unwrap_err();
    let short = refused(status);
    assert_eq!(short.code, Code::FailedPrecondition);
    assert_eq!(short.reason, "INSUFFICIENT_QUANTITY");
    assert_eq!(short.field, "changes[0].adjustment.quantity");
    assert_eq!(short.metadata["available_quantity"], "3");
    assert_eq!(short.metadata["state"], "DAMAGED");
    // Compare-and-swap on a DAMAGED count.
    let mut guarded = adjust(&mug, &shop, S::Damaged, S::Waste, "1");
    guarded.expected_quantity = Some("2".into());
    let mismatch = refused(try_apply(clients, vec![guarded.clone()]).await.unwrap_err());
    assert_eq!(mismatch.reason, "QUANTITY_MISMATCH");
    assert_eq!(mismatch.metadata["actual_quantity"], "3");
    assert_eq!(mismatch.metadata["state"], "DAMAGED");
    guarded.expected_quantity = Some("3".into());
    apply(clients, vec![guarded]).await;
    assert_quantity(clients, &mug, &shop, S::Damaged, Some("2")).await;
    assert_quantity(clients, &mug, &shop, S::InStock, Some("7")).await;
    assert_verified(&server).await;
}

/// `stockledger export` writes the new states by name (CSV and JSON Lines) and
/// `stockledger import` reads them back: the second database exports the same files.
async fn export_import_keeps_named_quantities(mut server: TestServer) {
    let (shop, back, mug) = two_locations_and_item(&mut server.clients, "MUG").await;
    apply(
        &mut server.clients,
        vec![
            adjust(&mug, &shop, S::None, S::InStock, "10"),
            adjust(&mug, &shop, S::InStock, S::Damaged, "3"),
            adjust(&mug, &shop, S::Damaged, S::Waste, "1"),
            count(&mug, &shop, S::SafetyStock, "4"),
            adjust(&mug, &shop, S::None, S::QualityControl, "2"),
            transfer_of(S::QualityControl, &mug, &shop, &back, "1"),
        ],
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    for format in ["csv", "jsonl"] {
        let RoundTrip { first, second } =
            export_import_round_trip(&server, dir.path(), format).await;
        let counts = std::fs::read_to_string(first.join(format!("counts.{format}"))).unwrap();
        let changes = std::fs::read_to_string(first.join(format!("changes.{format}"))).unwrap();
        for name in ["DAMAGED", "QUALITY_CONTROL", "SAFETY_STOCK"] {
            assert!(counts.contains(name), "{name} in\n{counts}");
            assert!(changes.contains(name), "{name} in\n{changes}");
        }
        for kind in ["counts", "changes"] {
            let name = format!("{kind}.{format}");
            assert_eq!(
                std::fs::read_to_string(first.join(&name)).unwrap(),
                std::fs::read_to_string(second.join(&name)).unwrap(),
                "{name} after the round trip"
            );
        }
    }
    assert_quantity(
        &mut server.clients,
        &mug,
        &back,
        S::QualityControl,
        Some("1"),
    )
    .await;
}

on_both_backends!(
    named_quantities_are_counted,
    named_quantities_are_guarded,
    export_import_keeps_named_quantities
);
