//! InventoryService: the ledger's RPCs. Until the ledger lands, every RPC answers
//! UNIMPLEMENTED with a structured error.

use std::pin::Pin;

use futures::Stream;
use tonic::{Request, Response, Status};

use super::ApiError;
use crate::proto::v1::{self as pb, inventory_service_server::InventoryService};
use crate::store::Store;

/// A server-streaming response body.
type ResponseStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// Serves InventoryService from a [`Store`].
#[derive(Clone, Debug)]
pub struct InventoryApi {
    #[allow(dead_code)]
    store: Store,
}

impl InventoryApi {
    /// A service over `store`.
    pub fn new(store: Store) -> Self {
        InventoryApi { store }
    }
}

fn unimplemented<T>(rpc: &'static str) -> Result<T, Status> {
    Err(ApiError::Unimplemented(rpc).into())
}

#[tonic::async_trait]
impl InventoryService for InventoryApi {
    async fn batch_change_inventory(
        &self,
        _: Request<pb::BatchChangeInventoryRequest>,
    ) -> Result<Response<pb::BatchChangeInventoryResponse>, Status> {
        unimplemented("BatchChangeInventory")
    }

    async fn batch_retrieve_inventory_counts(
        &self,
        _: Request<pb::BatchRetrieveInventoryCountsRequest>,
    ) -> Result<Response<pb::BatchRetrieveInventoryCountsResponse>, Status> {
        unimplemented("BatchRetrieveInventoryCounts")
    }

    async fn retrieve_inventory_count(
        &self,
        _: Request<pb::RetrieveInventoryCountRequest>,
    ) -> Result<Response<pb::RetrieveInventoryCountResponse>, Status> {
        unimplemented("RetrieveInventoryCount")
    }

    async fn batch_retrieve_inventory_changes(
        &self,
        _: Request<pb::BatchRetrieveInventoryChangesRequest>,
    ) -> Result<Response<pb::BatchRetrieveInventoryChangesResponse>, Status> {
        unimplemented("BatchRetrieveInventoryChanges")
    }

    async fn retrieve_inventory_adjustment(
        &self,
        _: Request<pb::RetrieveInventoryAdjustmentRequest>,
    ) -> Result<Response<pb::RetrieveInventoryAdjustmentResponse>, Status> {
        unimplemented("RetrieveInventoryAdjustment")
    }

    async fn retrieve_inventory_physical_count(
        &self,
        _: Request<pb::RetrieveInventoryPhysicalCountRequest>,
    ) -> Result<Response<pb::RetrieveInventoryPhysicalCountResponse>, Status> {
        unimplemented("RetrieveInventoryPhysicalCount")
    }

    async fn retrieve_inventory_transfer(
        &self,
        _: Request<pb::RetrieveInventoryTransferRequest>,
    ) -> Result<Response<pb::RetrieveInventoryTransferResponse>, Status> {
        unimplemented("RetrieveInventoryTransfer")
    }

    type StreamInventoryChangesStream = ResponseStream<pb::StreamInventoryChangesResponse>;

    async fn stream_inventory_changes(
        &self,
        _: Request<pb::StreamInventoryChangesRequest>,
    ) -> Result<Response<Self::StreamInventoryChangesStream>, Status> {
        unimplemented("StreamInventoryChanges")
    }

    type WatchInventoryChangesStream = ResponseStream<pb::WatchInventoryChangesResponse>;

    async fn watch_inventory_changes(
        &self,
        _: Request<pb::WatchInventoryChangesRequest>,
    ) -> Result<Response<Self::WatchInventoryChangesStream>, Status> {
        unimplemented("WatchInventoryChanges")
    }

    type WatchInventoryCountsStream = ResponseStream<pb::WatchInventoryCountsResponse>;

    async fn watch_inventory_counts(
        &self,
        _: Request<pb::WatchInventoryCountsRequest>,
    ) -> Result<Response<Self::WatchInventoryCountsStream>, Status> {
        unimplemented("WatchInventoryCounts")
    }
}
