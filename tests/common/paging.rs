//! Reading every page of a paged call: the list and batch-retrieve requests that answer with
//! a cursor to the next page.

use std::future::Future;

use stockledger::proto::v1::{
    BatchRetrieveInventoryChangesRequest, BatchRetrieveInventoryCountsRequest, InventoryChange,
    InventoryCount, InventoryItem, ListInventoryItemsRequest, ListLocationsRequest, Location,
};

use super::Clients;

/// A request whose answer comes in pages linked by a cursor.
pub trait Paged: Clone {
    /// What one page lists.
    type Item;

    /// Fetches the page this request asks for: its items and the next page's cursor (empty
    /// after the last page). Panics if the call fails.
    fn fetch(self, clients: &mut Clients) -> impl Future<Output = (Vec<Self::Item>, String)>;

    /// The same request, for the page after `cursor`.
    fn after(self, cursor: String) -> Self;
}

/// Every page of `request`, in order. Yields to other tasks between pages, so that writers
/// running beside the reader get their turn.
pub async fn pages<R: Paged>(clients: &mut Clients, request: R) -> Vec<Vec<R::Item>> {
    let mut pages = Vec::new();
    let mut request = request;
    loop {
        let (items, cursor) = request.clone().fetch(clients).await;
        pages.push(items);
        if cursor.is_empty() {
            return pages;
        }
        tokio::task::yield_now().await;
        request = request.after(cursor);
    }
}

/// Every item of every page of `request`, in order.
pub async fn list_all<R: Paged>(clients: &mut Clients, request: R) -> Vec<R::Item> {
    pages(clients, request)
        .await
        .into_iter()
        .flatten()
        .collect()
}

impl Paged for ListLocationsRequest {
    type Item = Location;

    async fn fetch(self, clients: &mut Clients) -> (Vec<Location>, String) {
        let page = clients.locations.list_locations(self).await;
        let page = page.expect("ListLocations").into_inner();
        (page.locations, page.cursor)
    }

    fn after(self, cursor: String) -> Self {
        ListLocationsRequest { cursor, ..self }
    }
}

impl Paged for ListInventoryItemsRequest {
    type Item = InventoryItem;

    async fn fetch(self, clients: &mut Clients) -> (Vec<InventoryItem>, String) {
        let page = clients.items.list_inventory_items(self).await;
        let page = page.expect("ListInventoryItems").into_inner();
        (page.inventory_items, page.cursor)
    }

    fn after(self, cursor: String) -> Self {
        ListInventoryItemsRequest { cursor, ..self }
    }
}

impl Paged for BatchRetrieveInventoryCountsRequest {
    type Item = InventoryCount;

    async fn fetch(self, clients: &mut Clients) -> (Vec<InventoryCount>, String) {
        let page = clients
            .inventory
            .batch_retrieve_inventory_counts(self)
            .await;
        let page = page.expect("BatchRetrieveInventoryCounts").into_inner();
        (page.counts, page.cursor)
    }

    fn after(self, cursor: String) -> Self {
        BatchRetrieveInventoryCountsRequest { cursor, ..self }
    }
}

impl Paged for BatchRetrieveInventoryChangesRequest {
    type Item = InventoryChange;

    async fn fetch(self, clients: &mut Clients) -> (Vec<InventoryChange>, String) {
        let page = clients
            .inventory
            .batch_retrieve_inventory_changes(self)
            .await;
        let page = page.expect("BatchRetrieveInventoryChanges").into_inner();
        (page.changes, page.cursor)
    }

    fn after(self, cursor: String) -> Self {
        BatchRetrieveInventoryChangesRequest { cursor, ..self }
    }
}
