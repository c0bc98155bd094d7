//! The documented CSV column set of each kind a file holds — items, locations, counts,
//! reorder points, history (docs/import-export.md) — and the column of a change's field path, for naming
//! where a refused row went wrong.

use std::collections::HashMap;

use super::cells::{flag_text, parse_state, reason_cells, short, state_name, time_text};
use super::{CsvRow, FileMessage, RowError};
use crate::api::ledger_wire::product_to_wire;
use crate::domain::product::Product;
use crate::proto::v1 as pb;

impl FileMessage for pb::InventoryItem {
    const NAME: &'static str = "stockledger.v1.InventoryItem";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "sku",
        "cost",
        "country_code_of_origin",
        "province_code_of_origin",
        "harmonized_system_code",
        "country_harmonized_system_codes",
        "tracked",
        "requires_shipping",
        "created_at",
        "updated_at",
    ];

    fn from_csv(row: &CsvRow<'_>) -> Result<Self, RowError> {
        let codes = row.get("country_harmonized_system_codes");
        let country_harmonized_system_codes = codes
            .split(';')
            .filter(|c| !c.is_empty())
            .map(|pair| {
                let (country, code) = pair.split_once(':').ok_or_else(|| {
                    RowError::new(
                        "country_harmonized_system_codes",
                        "must be COUNTRY:CODE pairs separated by ';'",
                    )
                })?;
                Ok(pb::CountryHarmonizedSystemCode {
                    harmonized_system_code: code.to_owned(),
                    country_code: country.to_owned(),
                })
            })
            .collect::<Result<_, RowError>>()?;
        Ok(pb::InventoryItem {
            id: row.get("id"),
            sku: row.get("sku"),
            cost: row.get("cost"),
            country_code_of_origin: row.get("country_code_of_origin"),
            province_code_of_origin: row.get("province_code_of_origin"),
            harmonized_system_code: row.get("harmonized_system_code"),
            country_harmonized_system_codes,
            tracked: row.flag("tracked")?,
            requires_shipping: row.flag("requires_shipping")?,
            created_at: row.time("created_at")?,
            updated_at: row.time("updated_at")?,
        })
    }

    fn to_csv(&self) -> Vec<String> {
        let codes: Vec<String> = self
            .country_harmonized_system_codes
            .iter()
            .map(|c| format!("{}:{}", c.country_code, c.harmonized_system_code))
            .collect();
        vec![
            self.id.clone(),
            self.sku.clone(),
            self.cost.clone(),
            self.country_code_of_origin.clone(),
            self.province_code_of_origin.clone(),
            self.harmonized_system_code.clone(),
            codes.join(";"),
            flag_text(self.tracked),
            flag_text(self.requires_shipping),
            time_text(&self.created_at),
            time_text(&self.updated_at),
        ]
    }
}

impl FileMessage for pb::Location {
    const NAME: &'static str = "stockledger.v1.Location";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "name",
        "status",
        "description",
        "created_at",
        "updated_at",
        "forbid_negative_counts",
    ];

    fn from_csv(row: &CsvRow<'_>) -> Result<Self, RowError> {
        Ok(pb::Location {
            id: row.get("id"),
            name: row.get("name"),
            status: row.enumerated("status", "LOCATION_STATUS_", |n| {
                pb::LocationStatus::from_str_name(n).map(Into::into)
            })?,
            description: row.get("description"),
            created_at: row.time("created_at")?,
            updated_at: row.time("updated_at")?,
            forbid_negative_counts: row.flag("forbid_negative_counts")?.unwrap_or(false),
        })
    }

    fn to_csv(&self) -> Vec<String> {
        let status = pb::LocationStatus::try_from(self.status)
            .ok()
            .filter(|s| *s != pb::LocationStatus::Unspecified)
            .map(|s| short(s.as_str_name(), "LOCATION_STATUS_"))
            .unwrap_or_default();
        vec![
            self.id.clone(),
            self.name.clone(),
            status,
            self.description.clone(),
            time_text(&self.created_at),
            time_text(&self.updated_at),
            flag_text(Some(self.forbid_negative_counts)),
        ]
    }
}

impl FileMessage for pb::InventoryCount {
    const NAME: &'static str = "stockledger.v1.InventoryCount";
    const COLUMNS: &'static [&'static str] = &[
        "catalog_object_id",
        "location_id",
        "state",
        "quantity",
        "calculated_at",
    ];

    fn from_csv(row: &CsvRow<'_>) -> Result<Self, RowError> {
        Ok(pb::InventoryCount {
            catalog_object_id: row.get("catalog_object_id"),
            location_id: row.get("location_id"),
            state: row.enumerated("state", "INVENTORY_STATE_", parse_state)?,
            quantity: row.get("quantity"),
            calculated_at: row.time("calculated_at")?,
            ..Default::default()
        })
    }

    fn to_csv(&self) -> Vec<String> {
        vec![
            self.catalog_object_id.clone(),
            self.location_id.clone(),
            state_name(self.state),
            self.quantity.clone(),
            time_text(&self.calculated_at),
        ]
    }
}

impl FileMessage for pb::InventoryReorderPoint {
    const NAME: &'static str = "stockledger.v1.InventoryReorderPoint";
    const COLUMNS: &'static [&'static str] = &[
        "catalog_object_id",
        "location_id",
        "reorder_point",
        "updated_at",
    ];

    fn from_csv(row: &CsvRow<'_>) -> Result<Self, RowError> {
        Ok(pb::InventoryReorderPoint {
            catalog_object_id: row.get("catalog_object_id"),
            location_id: row.get("location_id"),
            reorder_point: row.get("reorder_point"),
            updated_at: row.time("updated_at")?,
        })
    }

    fn to_csv(&self) -> Vec<String> {
        vec![
            self.catalog_object_id.clone(),
            self.location_id.clone(),
            self.reorder_point.clone(),
            time_text(&self.updated_at),
        ]
    }
}

impl FileMessage for pb::Reservation {
    const NAME: &'static str = "stockledger.v1.Reservation";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "state",
        "reference_id",
        "expires_at",
        "created_at",
        "updated_at",
        "lines",
    ];

    fn from_csv(row: &CsvRow<'_>) -> Result<Self, RowError> {
        let lines = row
            .get("lines")
            .split(';')
            .filter(|l| !l.is_empty())
            .map(|line| {
                let parts: Vec<&str> = line.split(':').collect();
                let [item, location, quantity, committed, released] = parts[..] else {
                    return Err(RowError::new(
                        "lines",
                        "must be ITEM:LOCATION:QUANTITY:COMMITTED:RELEASED lines separated by ';'",
                    ));
                };
                Ok(pb::ReservationLine {
                    catalog_object_id: item.to_owned(),
                    location_id: location.to_owned(),
                    quantity: quantity.to_owned(),
                    committed_quantity: committed.to_owned(),
                    released_quantity: released.to_owned(),
                    held_quantity: String::new(),
                })
            })
            .collect::<Result<_, RowError>>()?;
        Ok(pb::Reservation {
            id: row.get("id"),
            state: row.enumerated("state", "RESERVATION_STATE_", |n| {
                pb::ReservationState::from_str_name(n).map(Into::into)
            })?,
            lines,
            reference_id: row.get("reference_id"),
            expires_at: row.time("expires_at")?,
            created_at: row.time("created_at")?,
            updated_at: row.time("updated_at")?,
        })
    }

    fn to_csv(&self) -> Vec<String> {
        let state = pb::ReservationState::try_from(self.state)
            .ok()
            .filter(|s| *s != pb::ReservationState::Unspecified)
            .map(|s| short(s.as_str_name(), "RESERVATION_STATE_"))
            .unwrap_or_default();
        let lines: Vec<String> = self
            .lines
            .iter()
            .map(|l| {
                format!(
                    "{}:{}:{}:{}:{}",
                    l.catalog_object_id,
                    l.location_id,
                    l.quantity,
                    l.committed_quantity,
                    l.released_quantity
                )
            })
            .collect();
        vec![
            self.id.clone(),
            state,
            self.reference_id.clone(),
            time_text(&self.expires_at),
            time_text(&self.created_at),
            time_text(&self.updated_at),
            lines.join(";"),
        ]
    }
}

/// The columns of a history row in CSV.
pub const CHANGE_COLUMNS: &[&str] = &[
    "id",
    "type",
    "occurred_at",
    "created_at",
    "catalog_object_id",
    "quantity",
    "from_state",
    "to_state",
    "state",
    "location_id",
    "from_location_id",
    "to_location_id",
    "total_price_amount",
    "total_price_currency",
    "reference_id",
    "employee_id",
    "team_member_id",
    "transaction_id",
    "refund_id",
    "purchase_order_id",
    "goods_receipt_id",
    "reservation_id",
    "reason_type",
    "custom_reason_id",
    "cost_amount",
    "cost_currency",
    "vendor_id",
    "source_product",
    "source_application_id",
    "source_name",
];

impl FileMessage for pb::InventoryChange {
    const NAME: &'static str = "stockledger.v1.InventoryChange";
    const COLUMNS: &'static [&'static str] = CHANGE_COLUMNS;

    fn from_csv(row: &CsvRow<'_>) -> Result<Self, RowError> {
        use pb::inventory_change::Change;
        let source = {
            // The domain's product names: Square's (`SQUARE_POS`) or the API's (`PRODUCT_…`).
            let product_name = row.get("source_product");
            let product: i32 = if product_name.is_empty() {
                0
            } else {
                Product::parse(&product_name)
                    .map(|p| product_to_wire(p).into())
                    .ok_or_else(|| {
                        RowError::new(
                            "source_product",
                            format!("{product_name:?} is not a known product"),
                        )
                    })?
            };
            let (application_id, name) = (row.get("source_application_id"), row.get("source_name"));
            (product != 0 || !application_id.is_empty() || !name.is_empty()).then_some(
                pb::SourceApplication {
                    product,
                    application_id,
                    name,
                },
            )
        };
        let state = |column| row.enumerated(column, "INVENTORY_STATE_", parse_state);
        let kind = row.get("type");
        let change = match kind.as_str() {
            "ADJUSTMENT" => {
                let amount = row.get("total_price_amount");
                let currency = row.get("total_price_currency");
                let (cost_amount, cost_currency) =
                    (row.get("cost_amount"), row.get("cost_currency"));
                Change::Adjustment(pb::InventoryAdjustment {
                    id: row.get("id"),
                    reference_id: row.get("reference_id"),
                    from_state: state("from_state")?,
                    to_state: state("to_state")?,
                    location_id: row.get("location_id"),
                    catalog_object_id: row.get("catalog_object_id"),
                    quantity: row.get("quantity"),
                    total_price_money: (!amount.is_empty() || !currency.is_empty())
                        .then_some(pb::Money { amount, currency }),
                    occurred_at: row.time("occurred_at")?,
                    created_at: row.time("created_at")?,
                    source,
                    employee_id: row.get("employee_id"),
                    team_member_id: row.get("team_member_id"),
                    transaction_id: row.get("transaction_id"),
                    refund_id: row.get("refund_id"),
                    purchase_order_id: row.get("purchase_order_id"),
                    goods_receipt_id: row.get("goods_receipt_id"),
                    reservation_id: row.get("reservation_id"),
                    reason_id: row.reason()?,
                    cost_money: (!cost_amount.is_empty() || !cost_currency.is_empty()).then_some(
                        pb::Money {
                            amount: cost_amount,
                            currency: cost_currency,
                        },
                    ),
                    vendor_id: row.get("vendor_id"),
                    ..Default::default()
                })
            }
            "PHYSICAL_COUNT" => Change::PhysicalCount(pb::InventoryPhysicalCount {
                id: row.get("id"),
                reference_id: row.get("reference_id"),
                catalog_object_id: row.get("catalog_object_id"),
                state: state("state")?,
                location_id: row.get("location_id"),
                quantity: row.get("quantity"),
                source,
                employee_id: row.get("employee_id"),
                team_member_id: row.get("team_member_id"),
                occurred_at: row.time("occurred_at")?,
                created_at: row.time("created_at")?,
                reason_id: row.reason()?,
                ..Default::default()
            }),
            "TRANSFER" => Change::Transfer(pb::InventoryTransfer {
                id: row.get("id"),
                reference_id: row.get("reference_id"),
                state: state("state")?,
                from_location_id: row.get("from_location_id"),
                to_location_id: row.get("to_location_id"),
                catalog_object_id: row.get("catalog_object_id"),
                quantity: row.get("quantity"),
                occurred_at: row.time("occurred_at")?,
                created_at: row.time("created_at")?,
                source,
                employee_id: row.get("employee_id"),
                team_member_id: row.get("team_member_id"),
                reason_id: row.reason()?,
                ..Default::default()
            }),
            other => {
                return Err(RowError::new(
                    "type",
                    format!("must be ADJUSTMENT, PHYSICAL_COUNT or TRANSFER, not {other:?}"),
                ));
            }
        };
        let change_type = match &change {
            Change::Adjustment(_) => pb::InventoryChangeType::Adjustment,
            Change::PhysicalCount(_) => pb::InventoryChangeType::PhysicalCount,
            Change::Transfer(_) => pb::InventoryChangeType::Transfer,
        };
        Ok(pb::InventoryChange {
            r#type: change_type.into(),
            change: Some(change),
            expected_quantity: None,
        })
    }

    fn to_csv(&self) -> Vec<String> {
        use pb::inventory_change::Change;
        let mut values: HashMap<&str, String> = HashMap::new();
        let source = |s: &Option<pb::SourceApplication>, values: &mut HashMap<&str, String>| {
            if let Some(s) = s {
                let product = pb::Product::try_from(s.product)
                    .ok()
                    .filter(|p| *p != pb::Product::Unspecified)
                    .map(|p| short(p.as_str_name(), "PRODUCT_"))
                    .unwrap_or_default();
                values.insert("source_product", product);
                values.insert("source_application_id", s.application_id.clone());
                values.insert("source_name", s.name.clone());
            }
        };
        let reason = |r: &Option<pb::InventoryAdjustmentReasonId>,
                      values: &mut HashMap<&str, String>| {
            let (kind, custom) = reason_cells(r);
            values.insert("reason_type", kind);
            values.insert("custom_reason_id", custom);
        };
        match &self.change {
            Some(Change::Adjustment(a)) => {
                values.extend([
                    ("type", "ADJUSTMENT".to_owned()),
                    ("id", a.id.clone()),
                    ("occurred_at", time_text(&a.occurred_at)),
                    ("created_at", time_text(&a.created_at)),
                    ("catalog_object_id", a.catalog_object_id.clone()),
                    ("quantity", a.quantity.clone()),
                    ("from_state", state_name(a.from_state)),
                    ("to_state", state_name(a.to_state)),
                    ("location_id", a.location_id.clone()),
                    ("reference_id", a.reference_id.clone()),
                    ("employee_id", a.employee_id.clone()),
                    ("team_member_id", a.team_member_id.clone()),
                    ("transaction_id", a.transaction_id.clone()),
                    ("refund_id", a.refund_id.clone()),
                    ("purchase_order_id", a.purchase_order_id.clone()),
                    ("goods_receipt_id", a.goods_receipt_id.clone()),
                    ("reservation_id", a.reservation_id.clone()),
                    ("vendor_id", a.vendor_id.clone()),
                ]);
                if let Some(m) = &a.total_price_money {
                    values.insert("total_price_amount", m.amount.clone());
                    values.insert("total_price_currency", m.currency.clone());
                }
                if let Some(m) = &a.cost_money {
                    values.insert("cost_amount", m.amount.clone());
                    values.insert("cost_currency", m.currency.clone());
                }
                reason(&a.reason_id, &mut values);
                source(&a.source, &mut values);
            }
            Some(Change::PhysicalCount(c)) => {
                values.extend([
                    ("type", "PHYSICAL_COUNT".to_owned()),
                    ("id", c.id.clone()),
                    ("occurred_at", time_text(&c.occurred_at)),
                    ("created_at", time_text(&c.created_at)),
                    ("catalog_object_id", c.catalog_object_id.clone()),
                    ("quantity", c.quantity.clone()),
                    ("state", state_name(c.state)),
                    ("location_id", c.location_id.clone()),
                    ("reference_id", c.reference_id.clone()),
                    ("employee_id", c.employee_id.clone()),
                    ("team_member_id", c.team_member_id.clone()),
                ]);
                reason(&c.reason_id, &mut values);
                source(&c.source, &mut values);
            }
            Some(Change::Transfer(t)) => {
                values.extend([
                    ("type", "TRANSFER".to_owned()),
                    ("id", t.id.clone()),
                    ("occurred_at", time_text(&t.occurred_at)),
                    ("created_at", time_text(&t.created_at)),
                    ("catalog_object_id", t.catalog_object_id.clone()),
                    ("quantity", t.quantity.clone()),
                    ("state", state_name(t.state)),
                    ("from_location_id", t.from_location_id.clone()),
                    ("to_location_id", t.to_location_id.clone()),
                    ("reference_id", t.reference_id.clone()),
                    ("employee_id", t.employee_id.clone()),
                    ("team_member_id", t.team_member_id.clone()),
                ]);
                reason(&t.reason_id, &mut values);
                source(&t.source, &mut values);
            }
            None => {}
        }
        CHANGE_COLUMNS
            .iter()
            .map(|c| values.remove(c).unwrap_or_default())
            .collect()
    }
}

/// The CSV column of a change's field path (`adjustment.total_price_money.amount` →
/// `total_price_amount`).
pub fn change_csv_column(path: &str) -> String {
    let field = path.rsplit_once('.').map_or(path, |(_, f)| f);
    if path.contains("cost_money") {
        return match field {
            "currency" => "cost_currency".into(),
            _ => "cost_amount".into(),
        };
    }
    if path.contains("reason_id") {
        return match field {
            "custom_reason_id" => "custom_reason_id".into(),
            _ => "reason_type".into(),
        };
    }
    match (path.contains("total_price_money"), field) {
        (true, "amount") => "total_price_amount".into(),
        (true, "currency") => "total_price_currency".into(),
        (true, _) => "total_price_amount".into(),
        (false, f) if CHANGE_COLUMNS.contains(&f) => f.into(),
        (false, "adjustment" | "physical_count" | "transfer") => "type".into(),
        (false, f) => f.into(),
    }
}
