//! What the write scenarios write, shared by the server's clients and the raw baseline so
//! that both write the same rows: receipts (NONE → IN_STOCK, 2.5) and every fourth change a
//! sale (IN_STOCK → SOLD, 1), spread over 50 items × 5 locations or all on one pair.

use std::sync::Arc;

use stockledger::proto::v1::inventory_change::Change;
use stockledger::proto::v1::inventory_item_service_client::InventoryItemServiceClient;
use stockledger::proto::v1::location_service_client::LocationServiceClient;
use stockledger::proto::v1::{
    BatchChangeInventoryRequest, CreateInventoryItemRequest, CreateLocationRequest,
    InventoryAdjustment, InventoryChange, InventoryItem, InventoryState, Location,
};
use tonic::service::interceptor::InterceptedService;

use crate::bearer::Bearer;
use crate::load::Client;
use crate::server::{Inventory, Server};

/// Items of the catalog.
pub const ITEMS: usize = 50;
/// Locations of the catalog.
pub const LOCATIONS: usize = 5;
/// Item × location pairs the spread workload writes to.
pub const PAIRS: usize = ITEMS * LOCATIONS;

/// The items and locations the benchmark writes to, as created on a server.
#[derive(Clone, Debug)]
pub struct Catalog {
    /// Item ids.
    pub items: Vec<String>,
    /// Location ids.
    pub locations: Vec<String>,
}

impl Catalog {
    /// Creates [`ITEMS`] items and [`LOCATIONS`] locations through the API.
    pub async fn create(server: &Server) -> Catalog {
        let bearer = Bearer::new(&server.token);
        let channel = server.channel().await;
        let mut items_api = InventoryItemServiceClient::new(InterceptedService::new(
            channel.clone(),
            bearer.clone(),
        ));
        let mut locations_api =
            LocationServiceClient::new(InterceptedService::new(channel, bearer));
        let mut locations = Vec::with_capacity(LOCATIONS);
        for n in 0..LOCATIONS {
            let location = Location {
                name: format!("Bench location {n}"),
                ..Default::default()
            };
            let created = locations_api
                .create_location(CreateLocationRequest {
                    location: Some(location),
                })
                .await
                .expect("creating a location");
            locations.push(created.into_inner().location.expect("location").id);
        }
        let mut items = Vec::with_capacity(ITEMS);
        for n in 0..ITEMS {
            let item = InventoryItem {
                sku: format!("BENCH-{n:03}"),
                ..Default::default()
            };
            let created = items_api
                .create_inventory_item(CreateInventoryItemRequest {
                    inventory_item: Some(item),
                })
                .await
                .expect("creating an item");
            items.push(created.into_inner().inventory_item.expect("item").id);
        }
        Catalog { items, locations }
    }

    /// The (item, location) of pair `pair` (0..[`PAIRS`]).
    pub fn pair(&self, pair: usize) -> (&str, &str) {
        (
            &self.items[pair / LOCATIONS],
            &self.locations[pair % LOCATIONS],
        )
    }
}

/// Which pairs a write scenario touches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keys {
    /// Spread over every pair.
    Spread,
    /// Every client on pair 0.
    Hot,
}

/// A receipt or a sale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// NONE → IN_STOCK, 2.5.
    Receipt,
    /// IN_STOCK → SOLD, 1.
    Sale,
}

impl Kind {
    /// The adjustment's from and to states.
    pub fn states(self) -> (InventoryState, InventoryState) {
        match self {
            Kind::Receipt => (InventoryState::None, InventoryState::InStock),
            Kind::Sale => (InventoryState::InStock, InventoryState::Sold),
        }
    }

    /// The quantity as sent on the wire.
    pub fn quantity(self) -> &'static str {
        match self {
            Kind::Receipt => "2.5",
            Kind::Sale => "1",
        }
    }

    /// The quantity as stored: fixed-point units of 10⁻⁵.
    pub fn quantity_units(self) -> i64 {
        match self {
            Kind::Receipt => 250_000,
            Kind::Sale => 100_000,
        }
    }

    /// What the change does to the IN_STOCK count, in units.
    pub fn in_stock_delta_units(self) -> i64 {
        match self {
            Kind::Receipt => self.quantity_units(),
            Kind::Sale => -self.quantity_units(),
        }
    }
}

/// One change of a write scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Planned {
    /// Which item × location pair.
    pub pair: usize,
    /// Receipt or sale.
    pub kind: Kind,
}

/// The `n`-th change written by client `client`.
pub fn planned(keys: Keys, client: usize, n: u64) -> Planned {
    let pair = match keys {
        Keys::Hot => 0,
        // 31 is coprime with PAIRS: consecutive changes walk every pair.
        Keys::Spread => ((client as u64 * 7919 + n * 31) % PAIRS as u64) as usize,
    };
    let kind = if n % 4 == 3 {
        Kind::Sale
    } else {
        Kind::Receipt
    };
    Planned { pair, kind }
}

/// The next `size` changes of a client, advancing its counter.
pub fn next_batch(keys: Keys, client: usize, counter: &mut u64, size: usize) -> Vec<Planned> {
    (0..size)
        .map(|_| {
            *counter += 1;
            planned(keys, client, *counter)
        })
        .collect()
}

/// The wire form of planned changes, with a fresh idempotency key.
pub fn batch_request(catalog: &Catalog, changes: &[Planned]) -> BatchChangeInventoryRequest {
    let changes = changes
        .iter()
        .map(|planned| {
            let (item, location) = catalog.pair(planned.pair);
            adjustment(
                item,
                location,
                planned.kind.states(),
                planned.kind.quantity(),
            )
        })
        .collect();
    request(changes)
}

/// An adjustment of `quantity` of `item` at `location` between `states` (from, to).
pub fn adjustment(
    item: &str,
    location: &str,
    (from, to): (InventoryState, InventoryState),
    quantity: &str,
) -> InventoryChange {
    InventoryChange {
        expected_quantity: None,
        r#type: 0,
        change: Some(Change::Adjustment(InventoryAdjustment {
            catalog_object_id: item.to_owned(),
            location_id: location.to_owned(),
            from_state: from.into(),
            to_state: to.into(),
            quantity: quantity.to_owned(),
            ..Default::default()
        })),
    }
}

/// A batch of `changes` with a fresh idempotency key and no guard.
pub fn request(changes: Vec<InventoryChange>) -> BatchChangeInventoryRequest {
    BatchChangeInventoryRequest {
        forbid_negative_counts: None,
        idempotency_key: uuid::Uuid::new_v4().to_string(),
        changes,
        ignore_unchanged_counts: None,
    }
}

/// A client writing batches through BatchChangeInventory.
pub struct ApiWriter {
    client: Inventory,
    catalog: Arc<Catalog>,
    keys: Keys,
    id: usize,
    counter: u64,
    batch: usize,
    forbid_negative_counts: Option<bool>,
}

impl ApiWriter {
    /// Client number `id` writing batches of `batch` changes.
    pub fn new(
        client: Inventory,
        catalog: Arc<Catalog>,
        keys: Keys,
        id: usize,
        batch: usize,
    ) -> Self {
        ApiWriter {
            client,
            catalog,
            keys,
            id,
            counter: 0,
            batch,
            forbid_negative_counts: None,
        }
    }

    /// The same writer sending every batch with `forbid_negative_counts` (a guard).
    pub fn guarded(self) -> Self {
        ApiWriter {
            forbid_negative_counts: Some(true),
            ..self
        }
    }
}

impl Client for ApiWriter {
    async fn call(&mut self) -> Result<u64, String> {
        let changes = next_batch(self.keys, self.id, &mut self.counter, self.batch);
        let mut request = batch_request(&self.catalog, &changes);
        request.forbid_negative_counts = self.forbid_negative_counts;
        self.client
            .batch_change_inventory(request)
            .await
            .map_err(|status| format!("{:?}: {}", status.code(), status.message()))?;
        Ok(self.batch as u64)
    }
}
