//! Adjustment reasons (docs/ledger.md, "Reasons") over gRPC on both backends: a merchant's
//! custom reasons live, are renamed, deleted and restored; changes carry standard or custom
//! reasons (and receipts their cost and vendor); history is filtered by reason, page by
//! page and streamed; a deleted reason refuses new changes but stays on the old ones; a
//! merchant never sees another's reasons; export → import keeps every reason.

mod common;

use common::ledger::*;

use common::{TestServer, assert_rejected, call_error};
use stockledger::domain::scope::Scope;
use stockledger::proto::v1::{
    self as pb, InventoryAdjustmentReasonDirection as Direction,
    InventoryAdjustmentReasonType as T, InventoryChange, InventoryState as S,
    inventory_change::Change,
};
use tokio_stream::StreamExt;
use tonic::Code;

fn standard(kind: T) -> pb::InventoryAdjustmentReasonId {
    pb::InventoryAdjustmentReasonId {
        r#type: kind as i32,
        custom_reason_id: String::new(),
    }
}

fn custom(id: &str) -> pb::InventoryAdjustmentReasonId {
    pb::InventoryAdjustmentReasonId {
        r#type: T::Custom as i32,
        custom_reason_id: id.into(),
    }
}

/// The same change carrying `reason`.
fn because(
    mut change: InventoryChange,
    reason: pb::InventoryAdjustmentReasonId,
) -> InventoryChange {
    match change.change.as_mut().expect("member") {
        Change::Adjustment(a) => a.reason_id = Some(reason),
        Change::PhysicalCount(c) => c.reason_id = Some(reason),
        Change::Transfer(t) => t.reason_id = Some(reason),
    }
    change
}

fn reason_of(change: &InventoryChange) -> Option<pb::InventoryAdjustmentReasonId> {
    match change.change.as_ref().expect("member") {
        Change::Adjustment(a) => a.reason_id.clone(),
        Change::PhysicalCount(c) => c.reason_id.clone(),
        Change::Transfer(t) => t.reason_id.clone(),
    }
}

async fn create(
    server: &mut TestServer,
    key: &str,
    name: &str,
    direction: Direction,
) -> Result<pb::InventoryAdjustmentReason, tonic::Status> {
    let created = server
        .clients
        .inventory
        .create_inventory_adjustment_reason(pb::CreateInventoryAdjustmentReasonRequest {
            idempotency_key: key.into(),
            adjustment_reason: Some(pb::InventoryAdjustmentReason {
                name: name.into(),
                direction: direction as i32,
                ..Default::default()
            }),
        })
        .await?;
    Ok(created.into_inner().adjustment_reason.expect("a reason"))
}

async fn listed(server: &mut TestServer, deleted: bool, system: bool) -> Vec<(i32, String, bool)> {
    let list = server
        .clients
        .inventory
        .list_inventory_adjustment_reasons(pb::ListInventoryAdjustmentReasonsRequest {
            include_deleted: deleted,
            include_system_codes: system,
        })
        .await
        .expect("list")
        .into_inner();
    list.adjustment_reasons
        .into_iter()
        .map(|r| {
            let id = r.id.expect("id");
            (id.r#type, id.custom_reason_id, r.is_deleted)
        })
        .collect()
}

fn custom_ids(list: &[(i32, String, bool)]) -> Vec<(String, bool)> {
    list.iter()
        .filter(|(t, _, _)| *t == T::Custom as i32)
        .map(|(_, id, deleted)| (id.clone(), *deleted))
        .collect()
}

fn reason_id_of(reason: &pb::InventoryAdjustmentReason) -> String {
    reason.id.as_ref().expect("id").custom_reason_id.clone()
}

async fn set_deleted(
    server: &mut TestServer,
    id: &str,
    deleted: bool,
) -> pb::InventoryAdjustmentReason {
    let reason_id = Some(custom(id));
    let api = &mut server.clients.inventory;
    let answer = if deleted {
        api.delete_inventory_adjustment_reason(pb::DeleteInventoryAdjustmentReasonRequest {
            reason_id,
        })
        .await
        .expect("delete")
        .into_inner()
        .adjustment_reason
    } else {
        api.restore_inventory_adjustment_reason(pb::RestoreInventoryAdjustmentReasonRequest {
            reason_id,
        })
        .await
        .expect("restore")
        .into_inner()
        .adjustment_reason
    };
    answer.expect("a reason")
}

/// A shop's custom reason from creation to deletion and back.
async fn custom_reasons_live_are_deleted_and_restored(mut server: TestServer) {
    let (shop, mug) = shop_and_item(&mut server.clients, "MUG").await;
    apply(
        &mut server.clients,
        vec![adjust(&mug, &shop, S::None, S::InStock, "20")],
    )
    .await;

    let breakage = create(&mut server, "k-1", "  Breakage ", Direction::Decrease)
        .await
        .expect("created");
    let id = reason_id_of(&breakage);
    assert_eq!(breakage.name, "Breakage", "names are trimmed");
    assert_eq!(breakage.direction, Direction::Decrease as i32);
    assert!(breakage.created_at.is_some() && !breakage.is_deleted);
    // A retry answers the same reason; the key with another request is refused.
    let again = create(&mut server, "k-1", "  Breakage ", Direction::Decrease).await;
    assert_eq!(reason_id_of(&again.unwrap()), id);
    let reused = create(&mut server, "k-1", "Other", Direction::Decrease).await;
    let error = assert_rejected(reused, Code::AlreadyExists, &["idempotency_key"]);
    assert_eq!(error.reason.as_deref(), Some("IDEMPOTENCY_KEY_REUSED"));
    // A live reason's name is taken; a direction is required.
    let taken = create(&mut server, "k-2", "Breakage", Direction::Increase).await;
    assert_rejected(taken, Code::AlreadyExists, &["adjustment_reason.name"]);
    let undirected = create(&mut server, "k-3", "Found", Direction::Unspecified).await;
    assert_rejected(
        undirected,
        Code::InvalidArgument,
        &["adjustment_reason.direction"],
    );

    // Listed after the ten standard seller reasons and Shopify's; system codes on request.
    let plain = listed(&mut server, false, false).await;
    assert_eq!(custom_ids(&plain), [(id.clone(), false)]);
    assert!(plain.iter().any(|(t, ..)| *t == T::Theft as i32));
    assert!(plain.iter().any(|(t, ..)| *t == T::Correction as i32));
    assert!(!plain.iter().any(|(t, ..)| *t == T::Sale as i32));
    let with_system = listed(&mut server, false, true).await;
    assert_eq!(with_system.len(), plain.len() + 5);

    // Renamed: the name changes, not the direction.
    let api = &mut server.clients.inventory;
    let renamed = api
        .update_inventory_adjustment_reason(pb::UpdateInventoryAdjustmentReasonRequest {
            reason_id: Some(custom(&id)),
            adjustment_reason: Some(pb::InventoryAdjustmentReason {
                name: "Broken in store".into(),
                ..Default::default()
            }),
        })
        .await
        .expect("renamed")
        .into_inner()
        .adjustment_reason
        .unwrap();
    assert_eq!(renamed.name, "Broken in store");
    let micros = |t: &Option<prost_types::Timestamp>| {
        let t = t.as_ref().expect("a time");
        (t.seconds, t.nanos)
    };
    assert!(micros(&renamed.updated_at) > micros(&breakage.updated_at));
    assert_eq!(renamed.created_at, breakage.created_at);
    let redirected = api
        .update_inventory_adjustment_reason(pb::UpdateInventoryAdjustmentReasonRequest {
            reason_id: Some(custom(&id)),
            adjustment_reason: Some(pb::InventoryAdjustmentReason {
                name: "Broken".into(),
                direction: Direction::Increase as i32,
                ..Default::default()
            }),
        })
        .await;
    assert_rejected(
        redirected,
        Code::InvalidArgument,
        &["adjustment_reason.direction"],
    );
    // Standard reasons are not the merchant's to change.
    let standard_update = api
        .delete_inventory_adjustment_reason(pb::DeleteInventoryAdjustmentReasonRequest {
            reason_id: Some(standard(T::Theft)),
        })
        .await;
    assert_rejected(standard_update, Code::InvalidArgument, &["reason_id.type"]);

    // A change carrying it is recorded with it.
    let broken = because(adjust(&mug, &shop, S::InStock, S::Waste, "2"), custom(&id));
    let recorded = apply(&mut server.clients, vec![broken.clone()]).await;
    assert_eq!(reason_of(&recorded.changes[0]), Some(custom(&id)));

    // Deleted: still retrievable, listed only on request, refused on a new change.
    let deleted = set_deleted(&mut server, &id, true).await;
    assert!(deleted.is_deleted);
    assert_eq!(custom_ids(&listed(&mut server, false, false).await), []);
    assert_eq!(
        custom_ids(&listed(&mut server, true, false).await),
        [(id.clone(), true)]
    );
    let retrieved = server
        .clients
        .inventory
        .retrieve_inventory_adjustment_reason(pb::RetrieveInventoryAdjustmentReasonRequest {
            reason_id: Some(custom(&id)),
        })
        .await
        .unwrap()
        .into_inner()
        .adjustment_reason
        .unwrap();
    assert_eq!(
        (retrieved.name.as_str(), retrieved.is_deleted),
        ("Broken in store", true)
    );
    let refused = try_apply(&mut server.clients, vec![broken.clone()]).await;
    let error = assert_rejected(
        refused,
        Code::InvalidArgument,
        &["changes[0].adjustment.reason_id.custom_reason_id"],
    );
    assert!(error.message.contains("deleted"), "{}", error.message);
    assert_quantity(&mut server.clients, &mug, &shop, S::Waste, Some("2")).await;
    let update_deleted = server
        .clients
        .inventory
        .update_inventory_adjustment_reason(pb::UpdateInventoryAdjustmentReasonRequest {
            reason_id: Some(custom(&id)),
            adjustment_reason: Some(pb::InventoryAdjustmentReason {
                name: "Again".into(),
                ..Default::default()
            }),
        })
        .await;
    let error = call_error(update_deleted.unwrap_err());
    assert_eq!(error.code, Code::FailedPrecondition);
    assert_eq!(error.reason.as_deref(), Some("ADJUSTMENT_REASON_DELETED"));

    // Its name is free again; restoring it while another live reason holds the name fails.
    let other = create(&mut server, "k-4", "Broken in store", Direction::Decrease)
        .await
        .expect("the name is free");
    let restore = server
        .clients
        .inventory
        .restore_inventory_adjustment_reason(pb::RestoreInventoryAdjustmentReasonRequest {
            reason_id: Some(custom(&id)),
        })
        .await;
    assert_eq!(restore.unwrap_err().code(), Code::AlreadyExists);
    set_deleted(&mut server, &reason_id_of(&other), true).await;
    let restored = set_deleted(&mut server, &id, false).await;
    assert!(!restored.is_deleted);
    apply(&mut server.clients, vec![broken]).await;
    assert_quantity(&mut server.clients, &mug, &shop, S::Waste, Some("4")).await;

    // Another merchant sees none of it.
    let token = server.token_for("merchant-b", &Scope::ALL, "B app").await;
    let mut b = server.clients(&token);
    let theirs = b
        .inventory
        .retrieve_inventory_adjustment_reason(pb::RetrieveInventoryAdjustmentReasonRequest {
            reason_id: Some(custom(&id)),
        })
        .await;
    assert_rejected(theirs, Code::NotFound, &["reason_id.custom_reason_id"]);
    let b_shop = location(&mut b, "B shop").await;
    let b_mug = item(&mut b, "B-MUG").await;
    let borrowed = because(
        adjust(&b_mug, &b_shop, S::None, S::InStock, "1"),
        custom(&id),
    );
    let refused = try_apply(&mut b, vec![borrowed]).await;
    let error = assert_rejected(
        refused,
        Code::InvalidArgument,
        &["changes[0].adjustment.reason_id.custom_reason_id"],
    );
    assert!(
        error.message.contains("no adjustment reason"),
        "{}",
        error.message
    );
    assert_verified(&server).await;
}

/// Standard reasons on every kind of change, a receipt's cost and vendor, the rules on them,
/// and history filtered by reason (paged, streamed).
async fn changes_carry_reasons_costs_and_vendors(mut server: TestServer) {
    let (shop, back, mug) = two_locations_and_item(&mut server.clients, "MUG").await;
    let clients = &mut server.clients;
    let mut receipt = because(
        adjust(&mug, &shop, S::None, S::InStock, "12"),
        standard(T::Received),
    );
    if let Some(Change::Adjustment(a)) = receipt.change.as_mut() {
        a.cost_money = Some(pb::Money {
            amount: "30.00001".into(),
            currency: "EUR".into(),
        });
        a.vendor_id = "vendor-7".into();
    }
    let recorded = apply(clients, vec![receipt]).await;
    let Some(Change::Adjustment(a)) = &recorded.changes[0].change else {
        panic!("an adjustment");
    };
    assert_eq!(a.cost_money.as_ref().unwrap().amount, "30.00001");
    assert_eq!(a.vendor_id, "vendor-7");
    let read = clients
        .inventory
        .retrieve_inventory_adjustment(pb::RetrieveInventoryAdjustmentRequest {
            adjustment_id: a.id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .adjustment
        .unwrap();
    assert_eq!(&read, a, "retrieved as recorded");

    apply(
        clients,
        vec![
            because(
                adjust(&mug, &shop, S::InStock, S::Waste, "1"),
                standard(T::Theft),
            ),
            because(
                adjust(&mug, &shop, S::InStock, S::Waste, "2"),
                standard(T::Theft),
            ),
            because(
                count(&mug, &shop, S::InStock, "8"),
                standard(T::CycleCountAvailable),
            ),
            because(
                transfer(&mug, &shop, &back, "3"),
                standard(T::MovementCreated),
            ),
            adjust(&mug, &shop, S::InStock, S::Sold, "1"),
        ],
    )
    .await;

    // Rules: no system codes, cost and vendor on receipts only, CUSTOM needs its id.
    let sale = adjust(&mug, &shop, S::InStock, S::Sold, "1");
    let mut priced_sale = sale.clone();
    if let Some(Change::Adjustment(a)) = priced_sale.change.as_mut() {
        a.cost_money = Some(pb::Money {
            amount: "1".into(),
            currency: "EUR".into(),
        });
        a.vendor_id = "v".into();
    }
    let table: Vec<(InventoryChange, Vec<&str>)> = vec![
        (
            because(transfer(&mug, &shop, &back, "1"), standard(T::Transfer)),
            vec!["changes[0].transfer.reason_id.type"],
        ),
        (
            priced_sale,
            vec![
                "changes[0].adjustment.cost_money",
                "changes[0].adjustment.vendor_id",
            ],
        ),
        (
            because(sale.clone(), custom("")),
            vec!["changes[0].adjustment.reason_id.custom_reason_id"],
        ),
        (
            because(
                sale.clone(),
                pb::InventoryAdjustmentReasonId {
                    r#type: 999,
                    custom_reason_id: String::new(),
                },
            ),
            vec!["changes[0].adjustment.reason_id.type"],
        ),
        (
            because(sale, custom("0190a8a4-0000-7000-8000-000000000000")),
            vec!["changes[0].adjustment.reason_id.custom_reason_id"],
        ),
    ];
    for (change, fields) in table {
        let refused = try_apply(clients, vec![change]).await;
        assert_rejected(refused, Code::InvalidArgument, &fields);
    }
    assert_quantity(clients, &mug, &shop, S::InStock, Some("4")).await;

    // History by reason: exactly the changes carrying one of them, across pages.
    let by_reasons = |reasons: Vec<pb::InventoryAdjustmentReasonId>, limit: i32| {
        pb::BatchRetrieveInventoryChangesRequest {
            catalog_object_ids: vec![mug.clone()],
            reason_ids: reasons,
            limit,
            ..Default::default()
        }
    };
    let thefts = history(clients, by_reasons(vec![standard(T::Theft)], 0)).await;
    let quantities: Vec<_> = thefts
        .iter()
        .map(|c| match &c.change {
            Some(Change::Adjustment(a)) => a.quantity.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(quantities, ["1", "2"]);
    let wanted = vec![standard(T::Received), standard(T::MovementCreated)];
    let mut pages = Vec::new();
    let mut request = by_reasons(wanted.clone(), 1);
    loop {
        let page = clients
            .inventory
            .batch_retrieve_inventory_changes(request.clone())
            .await
            .unwrap()
            .into_inner();
        pages.extend(page.changes.iter().map(reason_of));
        if page.cursor.is_empty() {
            break;
        }
        request = pb::BatchRetrieveInventoryChangesRequest {
            cursor: page.cursor,
            limit: 1,
            ..Default::default()
        };
    }
    assert_eq!(pages, [Some(wanted[0].clone()), Some(wanted[1].clone())]);
    let mut streamed = clients
        .inventory
        .stream_inventory_changes(pb::StreamInventoryChangesRequest {
            reason_ids: vec![standard(T::CycleCountAvailable), standard(T::Theft)],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let mut kinds = Vec::new();
    while let Some(message) = streamed.next().await {
        kinds.push(reason_of(&message.unwrap().change.unwrap()).unwrap().r#type);
    }
    assert_eq!(
        kinds,
        [
            T::Theft as i32,
            T::Theft as i32,
            T::CycleCountAvailable as i32
        ]
    );
    let too_many = by_reasons(vec![standard(T::Theft); 101], 0);
    let refused = clients
        .inventory
        .batch_retrieve_inventory_changes(too_many)
        .await;
    assert_rejected(refused, Code::InvalidArgument, &["reason_ids"]);
    assert_verified(&server).await;
}

/// Export → import into a fresh database keeps every reason, cost and vendor, in CSV and
/// JSON Lines, including a custom reason the second database does not have.
async fn export_import_keeps_reasons(mut server: TestServer) {
    let (shop, mug) = shop_and_item(&mut server.clients, "MUG").await;
    let mine = create(&mut server, "k", "Breakage", Direction::Decrease)
        .await
        .unwrap();
    let mut receipt = because(
        adjust(&mug, &shop, S::None, S::InStock, "5"),
        standard(T::Received),
    );
    if let Some(Change::Adjustment(a)) = receipt.change.as_mut() {
        a.cost_money = Some(pb::Money {
            amount: "2.5".into(),
            currency: "USD".into(),
        });
        a.vendor_id = "acme".into();
    }
    apply(
        &mut server.clients,
        vec![
            receipt,
            because(
                adjust(&mug, &shop, S::InStock, S::Waste, "1"),
                custom(&reason_id_of(&mine)),
            ),
            because(
                count(&mug, &shop, S::InStock, "3"),
                standard(T::CycleCountAvailable),
            ),
        ],
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    for format in ["csv", "jsonl"] {
        let RoundTrip { first, second } =
            export_import_round_trip(&server, dir.path(), format).await;
        let name = format!("changes.{format}");
        let before = std::fs::read_to_string(first.join(&name)).unwrap();
        for kept in [
            "acme",
            "RECEIVED",
            "CYCLE_COUNT_AVAILABLE",
            &reason_id_of(&mine),
        ] {
            assert!(before.contains(kept), "{kept} in\n{before}");
        }
        let after = std::fs::read_to_string(second.join(&name)).unwrap();
        assert_eq!(before, after, "{name} after the round trip");
    }
}

on_both_backends!(
    custom_reasons_live_are_deleted_and_restored,
    changes_carry_reasons_costs_and_vendors,
    export_import_keeps_reasons
);
