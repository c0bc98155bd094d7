//! Reading every page of a paged call: the list and batch-retrieve requests that answer with
//! a cursor to the next page.

use std::future::Future;

use stockledger::proto::v1::{
    BatchRetrieveInventoryChangesRequest as ChangesRequest,
    BatchRetrieveInventoryCountsRequest as CountsRequest, InventoryChange, InventoryCount,
    InventoryItem, ListInventoryItemsRequest as ItemsRequest,
    ListLocationsRequest as LocationsRequest, Location,
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

/// Implements [`Paged`] for a request whose answer lists its items in `$items`, fetched by
/// `$client.$rpc`: the generated types share no trait, so one template serves all four.
macro_rules! paged {
    ($request:ident, $client:ident . $rpc:ident, $items:ident: $item:ident) => {
        impl Paged for $request {
            type Item = $item;

            async fn fetch(self, clients: &mut Clients) -> (Vec<$item>, String) {
                let page = clients.$client.$rpc(self).await;
                let page = page.expect(stringify!($rpc)).into_inner();
                (page.$items, page.cursor)
            }

            fn after(self, cursor: String) -> Self {
                $request { cursor, ..self }
            }
        }
    };
}

paged!(LocationsRequest, locations.list_locations, locations: Location);
paged!(ItemsRequest, items.list_inventory_items, inventory_items: InventoryItem);
paged!(CountsRequest, inventory.batch_retrieve_inventory_counts, counts: InventoryCount);
paged!(ChangesRequest, inventory.batch_retrieve_inventory_changes, changes: InventoryChange);
