//! Reading reservations. They are written only by the ledger's write path
//! (`store::batch::rows`), in the transaction of the changes that move their units.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, Statement};

use super::binds::Binds;
use super::{MerchantId, Page, Store, StoreError};
use crate::domain::decimal::Fixed5;
use crate::domain::reservation::{Reservation, ReservationLine, ReservationState};

/// Which reservations a list page holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReservationListQuery {
    /// Only ids strictly greater than this (the previous page's last id).
    pub after_id: Option<String>,
    /// Only reservations in this state.
    pub state: Option<ReservationState>,
    /// Only reservations with this reference id.
    pub reference_id: Option<String>,
    /// Page size.
    pub limit: u64,
}

const COLUMNS: &str = "r.id, r.merchant_id, r.state, r.reference_id, r.expires_at, r.created_at, r.updated_at, \
     r.version";

impl Store {
    /// One reservation of the merchant; `NotFound` when it has none with this id.
    pub async fn get_reservation(
        &self,
        merchant: &MerchantId,
        id: &str,
    ) -> Result<Reservation, StoreError> {
        let found = self
            .read_reservations(
                |b| {
                    format!(
                        "r.id = {} AND r.merchant_id = {}",
                        b.push(id),
                        b.push(&merchant.0)
                    )
                },
                "",
            )
            .await?;
        found
            .into_iter()
            .next()
            .map(|(_, reservation)| reservation)
            .ok_or(StoreError::NotFound)
    }

    /// Up to `limit` held reservations of any merchant whose `expires_at` is at or before
    /// `now` (µs), the longest due first: what the expiry sweep releases.
    pub async fn due_reservations(
        &self,
        now: i64,
        limit: u64,
    ) -> Result<Vec<(MerchantId, Reservation)>, StoreError> {
        self.read_reservations(
            |b| {
                let held = b.push(ReservationState::Held.as_str());
                format!("r.state = {held} AND r.expires_at <= {}", b.push(now))
            },
            &format!("ORDER BY r.expires_at, r.id LIMIT {limit}"),
        )
        .await
    }

    /// One page of the merchant's reservations in id (creation) order: ids strictly after
    /// `after_id`, in `state` and with `reference_id` when given.
    pub async fn list_reservations(
        &self,
        merchant: &MerchantId,
        query: &ReservationListQuery,
    ) -> Result<Page<Reservation>, StoreError> {
        let filter = |b: &mut Binds| {
            let mut filter = format!("r.merchant_id = {}", b.push(&merchant.0));
            if let Some(after) = &query.after_id {
                filter.push_str(&format!(" AND r.id > {}", b.push(after)));
            }
            if let Some(state) = query.state {
                filter.push_str(&format!(" AND r.state = {}", b.push(state.as_str())));
            }
            if let Some(reference_id) = &query.reference_id {
                filter.push_str(&format!(" AND r.reference_id = {}", b.push(reference_id)));
            }
            filter
        };
        let tail = format!("ORDER BY r.id LIMIT {}", query.limit + 1);
        let rows = self.read_reservations(filter, &tail).await?;
        let reservations = rows.into_iter().map(|(_, r)| r).collect();
        Ok(Page::from_overfetch(reservations, query.limit))
    }

    async fn read_reservations(
        &self,
        filter: impl FnOnce(&mut Binds) -> String,
        tail: &str,
    ) -> Result<Vec<(MerchantId, Reservation)>, StoreError> {
        let db = self.connection();
        let backend = db.get_database_backend();
        let mut binds = Binds::new(backend);
        let filter = filter(&mut binds);
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                format!("SELECT {COLUMNS} FROM reservations r WHERE {filter} {tail}"),
                binds.values,
            ))
            .await?;
        let mut reservations = Vec::with_capacity(rows.len());
        for row in rows {
            let state: String = row.try_get_by_index(2)?;
            let state = ReservationState::from_stored(&state)
                .ok_or_else(|| StoreError::Corrupt(format!("reservation state {state:?}")))?;
            let merchant: String = row.try_get_by_index(1)?;
            reservations.push((
                MerchantId(merchant),
                Reservation {
                    id: row.try_get_by_index(0)?,
                    state,
                    lines: Vec::new(),
                    reference_id: row.try_get_by_index(3)?,
                    expires_at: row.try_get_by_index(4)?,
                    created_at: row.try_get_by_index(5)?,
                    updated_at: row.try_get_by_index(6)?,
                    version: row.try_get_by_index(7)?,
                },
            ));
        }
        if reservations.is_empty() {
            return Ok(reservations);
        }
        let mut binds = Binds::new(backend);
        let placeholders: Vec<String> = reservations
            .iter()
            .map(|(_, r)| binds.push(&r.id))
            .collect();
        let placeholders = placeholders.join(", ");
        let line_rows = db
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                format!(
                    "SELECT reservation_id, catalog_object_id, location_id, quantity_units, \
                     committed_units, released_units FROM reservation_lines \
                     WHERE reservation_id IN ({placeholders}) ORDER BY reservation_id, line_no"
                ),
                binds.values,
            ))
            .await?;
        let mut lines: HashMap<String, Vec<ReservationLine>> = HashMap::new();
        for row in line_rows {
            let id: String = row.try_get_by_index(0)?;
            let units = |i| row.try_get_by_index::<i64>(i).map(Fixed5::from_units);
            lines.entry(id).or_default().push(ReservationLine {
                catalog_object_id: row.try_get_by_index(1)?,
                location_id: row.try_get_by_index(2)?,
                quantity: units(3)?,
                committed: units(4)?,
                released: units(5)?,
            });
        }
        for (_, reservation) in &mut reservations {
            reservation.lines = lines.remove(&reservation.id).unwrap_or_default();
        }
        Ok(reservations)
    }
}

impl Store {
    /// The request digest an idempotency key of the merchant was used with, if it was.
    pub async fn idempotency_digest(
        &self,
        merchant: &MerchantId,
        key: &str,
    ) -> Result<Option<String>, StoreError> {
        let db = self.connection();
        let backend = db.get_database_backend();
        let mut binds = Binds::new(backend);
        let sql = format!(
            "SELECT request_digest FROM idempotency_keys \
             WHERE merchant_id = {} AND idempotency_key = {}",
            binds.push(&merchant.0),
            binds.push(key)
        );
        let row = db
            .query_one_raw(Statement::from_sql_and_values(backend, sql, binds.values))
            .await?;
        Ok(row.map(|r| r.try_get_by_index(0)).transpose()?)
    }
}
