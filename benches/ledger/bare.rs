//! Baseline (c): a bare tonic server inside the benchmark whose StreamInventoryChanges
//! sends clones of pre-built messages as fast as the transport takes them, with nothing
//! else behind it. Every other RPC is unimplemented.

use std::pin::Pin;
use std::sync::Arc;

use futures::Stream;
use stockledger::proto::v1::inventory_service_server::{InventoryService, InventoryServiceServer};
use stockledger::proto::v1::*;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::server::TcpIncoming;
use tonic::{Request, Response, Status};

type Streamed<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;
type Unary<T> = Result<Response<T>, Status>;

/// Streams `count` messages cycling through `messages`.
struct BareInventory {
    messages: Arc<Vec<StreamInventoryChangesResponse>>,
    count: u64,
}

fn bare() -> Status {
    Status::unimplemented("the bare stream server only streams")
}

#[tonic::async_trait]
impl InventoryService for BareInventory {
    type StreamInventoryChangesStream = Streamed<StreamInventoryChangesResponse>;
    type WatchInventoryChangesStream = Streamed<WatchInventoryChangesResponse>;
    type WatchInventoryCountsStream = Streamed<WatchInventoryCountsResponse>;
    type WatchInventoryAlertsStream = Streamed<WatchInventoryAlertsResponse>;

    async fn stream_inventory_changes(
        &self,
        _: Request<StreamInventoryChangesRequest>,
    ) -> Unary<Self::StreamInventoryChangesStream> {
        let messages = self.messages.clone();
        let sent = (0..self.count).map(move |n| Ok(messages[n as usize % messages.len()].clone()));
        Ok(Response::new(Box::pin(futures::stream::iter(sent))))
    }

    async fn batch_change_inventory(
        &self,
        _: Request<BatchChangeInventoryRequest>,
    ) -> Unary<BatchChangeInventoryResponse> {
        Err(bare())
    }

    async fn import_inventory_changes(
        &self,
        _: Request<tonic::Streaming<ImportInventoryChangesRequest>>,
    ) -> Unary<ImportInventoryChangesResponse> {
        Err(bare())
    }

    async fn batch_retrieve_inventory_counts(
        &self,
        _: Request<BatchRetrieveInventoryCountsRequest>,
    ) -> Unary<BatchRetrieveInventoryCountsResponse> {
        Err(bare())
    }

    async fn retrieve_inventory_count(
        &self,
        _: Request<RetrieveInventoryCountRequest>,
    ) -> Unary<RetrieveInventoryCountResponse> {
        Err(bare())
    }

    async fn batch_retrieve_inventory_changes(
        &self,
        _: Request<BatchRetrieveInventoryChangesRequest>,
    ) -> Unary<BatchRetrieveInventoryChangesResponse> {
        Err(bare())
    }

    async fn retrieve_inventory_adjustment(
        &self,
        _: Request<RetrieveInventoryAdjustmentRequest>,
    ) -> Unary<RetrieveInventoryAdjustmentResponse> {
        Err(bare())
    }

    async fn retrieve_inventory_physical_count(
        &self,
        _: Request<RetrieveInventoryPhysicalCountRequest>,
    ) -> Unary<RetrieveInventoryPhysicalCountResponse> {
        Err(bare())
    }

    async fn retrieve_inventory_transfer(
        &self,
        _: Request<RetrieveInventoryTransferRequest>,
    ) -> Unary<RetrieveInventoryTransferResponse> {
        Err(bare())
    }

    async fn list_inventory_adjustment_reasons(
        &self,
        _: Request<ListInventoryAdjustmentReasonsRequest>,
    ) -> Unary<ListInventoryAdjustmentReasonsResponse> {
        Err(bare())
    }

    async fn create_inventory_adjustment_reason(
        &self,
        _: Request<CreateInventoryAdjustmentReasonRequest>,
    ) -> Unary<CreateInventoryAdjustmentReasonResponse> {
        Err(bare())
    }

    async fn retrieve_inventory_adjustment_reason(
        &self,
        _: Request<RetrieveInventoryAdjustmentReasonRequest>,
    ) -> Unary<RetrieveInventoryAdjustmentReasonResponse> {
        Err(bare())
    }

    async fn update_inventory_adjustment_reason(
        &self,
        _: Request<UpdateInventoryAdjustmentReasonRequest>,
    ) -> Unary<UpdateInventoryAdjustmentReasonResponse> {
        Err(bare())
    }

    async fn delete_inventory_adjustment_reason(
        &self,
        _: Request<DeleteInventoryAdjustmentReasonRequest>,
    ) -> Unary<DeleteInventoryAdjustmentReasonResponse> {
        Err(bare())
    }

    async fn restore_inventory_adjustment_reason(
        &self,
        _: Request<RestoreInventoryAdjustmentReasonRequest>,
    ) -> Unary<RestoreInventoryAdjustmentReasonResponse> {
        Err(bare())
    }

    async fn watch_inventory_changes(
        &self,
        _: Request<WatchInventoryChangesRequest>,
    ) -> Unary<Self::WatchInventoryChangesStream> {
        Err(bare())
    }

    async fn watch_inventory_counts(
        &self,
        _: Request<WatchInventoryCountsRequest>,
    ) -> Unary<Self::WatchInventoryCountsStream> {
        Err(bare())
    }

    async fn set_inventory_reorder_point(
        &self,
        _: Request<SetInventoryReorderPointRequest>,
    ) -> Unary<SetInventoryReorderPointResponse> {
        Err(bare())
    }

    async fn delete_inventory_reorder_point(
        &self,
        _: Request<DeleteInventoryReorderPointRequest>,
    ) -> Unary<DeleteInventoryReorderPointResponse> {
        Err(bare())
    }

    async fn list_inventory_reorder_points(
        &self,
        _: Request<ListInventoryReorderPointsRequest>,
    ) -> Unary<ListInventoryReorderPointsResponse> {
        Err(bare())
    }

    async fn watch_inventory_alerts(
        &self,
        _: Request<WatchInventoryAlertsRequest>,
    ) -> Unary<Self::WatchInventoryAlertsStream> {
        Err(bare())
    }
}

/// A running bare server.
pub struct BareServer {
    /// Where it listens.
    pub port: u16,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl BareServer {
    /// Serves `count` clones of `messages` (cycled) per StreamInventoryChanges call, with
    /// the stockledger server's transport settings (TCP_NODELAY).
    pub async fn start(messages: Vec<StreamInventoryChangesResponse>, count: u64) -> BareServer {
        assert!(
            !messages.is_empty(),
            "the bare stream needs sample messages"
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("binding");
        let port = listener.local_addr().expect("local address").port();
        let service = InventoryServiceServer::new(BareInventory {
            messages: Arc::new(messages),
            count,
        });
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            tonic::transport::Server::builder()
                .add_service(service)
                .serve_with_incoming_shutdown(
                    TcpIncoming::from(listener).with_nodelay(Some(true)),
                    async {
                        stopped.await.ok();
                    },
                )
                .await
                .expect("bare server failed");
        });
        BareServer { port, stop, task }
    }

    /// Stops the server.
    pub async fn stop(self) {
        self.stop.send(()).ok();
        self.task.await.ok();
    }
}
