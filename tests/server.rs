//! The server as a whole: reflection, health, the binary's lifecycle and its shutdown.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{TestServer, assert_rejected, free_port};
use stockledger::proto::v1::{CreateInventoryItemRequest, GetInventoryItemRequest, InventoryItem};
use tokio_stream::StreamExt;
use tonic::Code;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};
use tonic_reflection::pb::v1::{
    ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
    server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
};

async fn listed_services(server: &TestServer) -> Vec<String> {
    let mut client = ServerReflectionClient::new(server.channel.clone());
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = client
        .server_reflection_info(tokio_stream::iter(vec![request]))
        .await
        .expect("reflection call")
        .into_inner();
    let response = responses
        .next()
        .await
        .expect("one response")
        .expect("reflection answer");
    match response.message_response {
        Some(MessageResponse::ListServicesResponse(list)) => {
            let mut names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
            names.sort();
            names
        }
        other => panic!("unexpected reflection answer {other:?}"),
    }
}

on_both_backends! {
    async fn reflection_lists_every_service(server) {
        assert_eq!(listed_services(&server).await, [
            "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection",
            "stockledger.v1.InventoryItemService",
            "stockledger.v1.InventoryService",
            "stockledger.v1.LocationService",
        ]);
        // Older tools (Postman, grpcui, evans) speak v1alpha.
        use tonic_reflection::pb::v1alpha as alpha;
        let mut client = alpha::server_reflection_client::ServerReflectionClient::new(server.channel.clone());
        let request = alpha::ServerReflectionRequest {
            host: String::new(),
            message_request: Some(alpha::server_reflection_request::MessageRequest::ListServices(String::new())),
        };
        let mut responses = client.server_reflection_info(tokio_stream::iter(vec![request])).await.unwrap().into_inner();
        let response = responses.next().await.unwrap().unwrap();
        let Some(alpha::server_reflection_response::MessageResponse::ListServicesResponse(list)) = response.message_response else {
            panic!("unexpected v1alpha answer");
        };
        assert!(list.service.iter().any(|s| s.name == "stockledger.v1.InventoryService"));
    }
}

on_both_backends! {
    async fn health_reports_serving(server) {
        let mut health = HealthClient::new(server.channel.clone());
        for service in ["", "stockledger.v1.InventoryService", "stockledger.v1.InventoryItemService", "stockledger.v1.LocationService"] {
            let status = health.check(HealthCheckRequest { service: service.into() }).await.unwrap().into_inner();
            assert_eq!(status.status(), ServingStatus::Serving, "{service:?}");
        }
        let unknown = health.check(HealthCheckRequest { service: "nope.Service".into() }).await;
        assert_eq!(unknown.unwrap_err().code(), Code::NotFound);
    }
}

on_both_backends! {
    async fn data_survives_a_restart(server) {
        let mut server = server;
        let created = server
            .items
            .create_inventory_item(CreateInventoryItemRequest {
                inventory_item: Some(InventoryItem { sku: "KEEP".into(), cost: "0.00001".into(), ..Default::default() }),
            })
            .await
            .unwrap()
            .into_inner()
            .inventory_item
            .unwrap();
        let mut server = server.restart().await;
        let fetched = server
            .items
            .get_inventory_item(GetInventoryItemRequest { id: created.id.clone() })
            .await
            .unwrap()
            .into_inner()
            .inventory_item
            .unwrap();
        assert_eq!(fetched, created);
    }
}
