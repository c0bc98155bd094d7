//! Stored items and locations are trusted on read: rules are checked when a row is written,
//! so a rule tightened later must not turn existing rows into errors on Get and List.
//!
//! Each test writes rows with raw SQL that today's rules would refuse (as if written under
//! looser rules), then reads them through the store on both backends.

mod common;

use sea_orm::ConnectionTrait;
use stockledger::domain::item::{ItemDraft, validate_item};
use stockledger::domain::location::LocationStatus;
use stockledger::store::items::ItemListQuery;
use stockledger::store::locations::LocationListQuery;
use stockledger::store::{MerchantId, Store, StoreError};

/// A migrated store on `backend`, with one merchant; the directory keeps a SQLite file alive.
async fn store_on(backend: common::Backend) -> (Store, MerchantId, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = match backend {
        common::Backend::Sqlite => {
            format!("sqlite://{}?mode=rwc", dir.path().join("rows.db").display())
        }
        common::Backend::Postgres => common::postgres::fresh_database_url().await,
    };
    let store = Store::connect(&url).await.expect("connecting");
    store.migrate().await.expect("migrating");
    let merchant = store.ensure_merchant("legacy").await.expect("a merchant");
    (store, merchant, dir)
}

async fn execute(store: &Store, sql: &str) {
    store
        .connection()
        .execute_unprepared(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// An item whose general HS code has 5 digits (the rule now asks for 6 to 13) and whose
/// country-specific code does not start with it.
async fn insert_legacy_item(store: &Store, merchant: &MerchantId) -> String {
    let id = new_id();
    execute(
        store,
        &format!(
            "INSERT INTO inventory_items (id, merchant_id, sku, cost_units, \
             country_code_of_origin, province_code_of_origin, harmonized_system_code, \
             country_harmonized_system_codes, tracked, requires_shipping, created_at, \
             updated_at) VALUES ('{id}', '{m}', 'LEGACY-1', 150000, 'CA', 'QC', '12345', \
             '[{{\"harmonized_system_code\":\"99999999\",\"country_code\":\"US\"}}]', \
             TRUE, FALSE, 1, 2)",
            m = merchant.0
        ),
    )
    .await;
    id
}

async fn legacy_items_read_back(backend: common::Backend) {
    let (store, merchant, _dir) = store_on(backend).await;
    let id = insert_legacy_item(&store, &merchant).await;
    // Today's rules refuse what the row holds…
    let got = store
        .get_item(&merchant, &id)
        .await
        .expect("Get reads the row");
    let refused = validate_item(&ItemDraft::from(&got.attributes)).unwrap_err();
    let fields: Vec<&str> = refused.0.iter().map(|v| v.field.as_str()).collect();
    assert_eq!(fields, ["harmonized_system_code"], "{refused}");

    // …and yet Get, BatchGet and List return it exactly as stored.
    let item = &got.attributes;
    assert_eq!(item.sku.as_ref().map(|s| s.as_str()), Some("LEGACY-1"));
    assert_eq!(item.cost.map(|c| c.to_string()).as_deref(), Some("1.5"));
    assert_eq!(
        item.harmonized_system_code.as_ref().unwrap().as_str(),
        "12345"
    );
    let country_hs = &item.country_harmonized_system_codes;
    assert_eq!(country_hs.len(), 1);
    assert_eq!(country_hs[0].harmonized_system_code.as_str(), "99999999");
    assert_eq!(country_hs[0].country_code.as_str(), "US");
    assert!(item.tracked && !item.requires_shipping);
    assert_eq!((got.created_at, got.updated_at), (1, 2));

    let batch = store
        .batch_get_items(&merchant, std::slice::from_ref(&id))
        .await
        .expect("BatchGet reads the row");
    assert_eq!(batch, std::slice::from_ref(&got));
    let query = ItemListQuery {
        limit: 10,
        ..ItemListQuery::default()
    };
    let page = store
        .list_items(&merchant, &query)
        .await
        .expect("List reads the row");
    assert_eq!(page.items, std::slice::from_ref(&got));

    // Writing is where the rules apply: an update must satisfy today's rules.
    let update = store
        .update_item(&merchant, &id, |current| {
            validate_item(&ItemDraft {
                tracked: Some(false),
                ..ItemDraft::from(current)
            })
        })
        .await;
    match update {
        Ok(Err(v)) => assert_eq!(v.0[0].field, "harmonized_system_code"),
        other => panic!("expected the update to be refused, got {other:?}"),
    }
    assert_eq!(store.get_item(&merchant, &id).await.unwrap(), got);
}

async fn legacy_locations_read_back(backend: common::Backend) {
    let (store, merchant, _dir) = store_on(backend).await;
    // A name longer than today's 255 characters, with surrounding spaces.
    let name = format!(" {} ", "n".repeat(300));
    let id = new_id();
    execute(
        &store,
        &format!(
            "INSERT INTO locations (id, merchant_id, name, status, description, created_at, \
             updated_at) VALUES ('{id}', '{m}', '{name}', 'INACTIVE', '', 3, 4)",
            m = merchant.0
        ),
    )
    .await;

    let got = store
        .get_location(&merchant, &id)
        .await
        .expect("Get reads the row");
    assert_eq!(got.attributes.name, name);
    assert_eq!(got.attributes.status, LocationStatus::Inactive);
    assert_eq!((got.created_at, got.updated_at), (3, 4));
    let query = LocationListQuery {
        limit: 10,
        ..LocationListQuery::default()
    };
    let page = store
        .list_locations(&merchant, &query)
        .await
        .expect("List reads the row");
    assert_eq!(page.items, [got]);

    // A status this server cannot decode is still corrupt data, not a rule.
    execute(
        &store,
        &format!("UPDATE locations SET status = 'PAUSED' WHERE id = '{id}'"),
    )
    .await;
    match store.get_location(&merchant, &id).await {
        Err(StoreError::Corrupt(what)) => assert!(what.contains("PAUSED"), "{what}"),
        other => panic!("expected a corrupt row, got {other:?}"),
    }
}

mod sqlite {
    use super::*;

    #[tokio::test]
    async fn legacy_items_read_back() {
        super::legacy_items_read_back(common::Backend::Sqlite).await;
    }

    #[tokio::test]
    async fn legacy_locations_read_back() {
        super::legacy_locations_read_back(common::Backend::Sqlite).await;
    }
}

mod postgres {
    use super::*;

    #[tokio::test]
    async fn legacy_items_read_back() {
        super::legacy_items_read_back(common::Backend::Postgres).await;
    }

    #[tokio::test]
    async fn legacy_locations_read_back() {
        super::legacy_locations_read_back(common::Backend::Postgres).await;
    }
}
