//! The single table of which scope each RPC requires.

pub use crate::domain::scope::{Scope, parse_scope_list};

/// What a gRPC method path requires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone may call it (health, reflection).
    Public,
    /// A valid token with this scope.
    Requires(Scope),
    /// Not a method this server knows: authenticate, then let the router answer UNIMPLEMENTED.
    Unknown,
}

/// The one table of which scope each RPC needs.
const RPC_SCOPES: &[(&str, Scope)] = &[
    (
        "/stockledger.v1.WebhookService/CreateWebhookSubscription",
        Scope::WebhooksWrite,
    ),
    (
        "/stockledger.v1.WebhookService/DeleteWebhookSubscription",
        Scope::WebhooksWrite,
    ),
    (
        "/stockledger.v1.WebhookService/ReplayWebhookSubscription",
        Scope::WebhooksWrite,
    ),
    (
        "/stockledger.v1.WebhookService/GetWebhookSubscription",
        Scope::WebhooksRead,
    ),
    (
        "/stockledger.v1.WebhookService/ListWebhookSubscriptions",
        Scope::WebhooksRead,
    ),
    (
        "/stockledger.v1.ReservationService/CreateReservation",
        Scope::ReservationsWrite,
    ),
    (
        "/stockledger.v1.ReservationService/CommitReservation",
        Scope::ReservationsWrite,
    ),
    (
        "/stockledger.v1.ReservationService/ReleaseReservation",
        Scope::ReservationsWrite,
    ),
    (
        "/stockledger.v1.ReservationService/ExtendReservation",
        Scope::ReservationsWrite,
    ),
    (
        "/stockledger.v1.ReservationService/GetReservation",
        Scope::ReservationsRead,
    ),
    (
        "/stockledger.v1.ReservationService/ListReservations",
        Scope::ReservationsRead,
    ),
    (
        "/stockledger.v1.InventoryService/BatchChangeInventory",
        Scope::InventoryWrite,
    ),
    (
        "/stockledger.v1.InventoryService/ImportInventoryChanges",
        Scope::InventoryImport,
    ),
    (
        "/stockledger.v1.InventoryService/BatchRetrieveInventoryCounts",
        Scope::InventoryRead,
    ),
    (
        "/stockledger.v1.InventoryService/RetrieveInventoryCount",
        Scope::InventoryRead,
    ),
    (
        "/stockledger.v1.InventoryService/BatchRetrieveInventoryChanges",
        Scope::InventoryRead,
    ),
    (
        "/stockledger.v1.InventoryService/RetrieveInventoryAdjustment",
        Scope::InventoryRead,
    ),
    (
        "/stockledger.v1.InventoryService/RetrieveInventoryPhysicalCount",
        Scope::InventoryRead,
    ),
    (
        "/stockledger.v1.InventoryService/RetrieveInventoryTransfer",
        Scope::InventoryRead,
    ),
    (
        "/stockledger.v1.InventoryService/StreamInventoryChanges",
        Scope::InventoryRead,
    ),
    (
        "/stockledger.v1.InventoryService/WatchInventoryChanges",
        Scope::InventoryRead,
    ),
    (
        "/stockledger.v1.InventoryService/SetInventoryReorderPoint",
        Scope::InventoryWrite,
    ),
    (
        "/stockledger.v1.InventoryService/DeleteInventoryReorderPoint",
        Scope::InventoryWrite,
    ),
    (
        "/stockledger.v1.InventoryService/ListInventoryReorderPoints",
        Scope::InventoryRead,
    ),
    (
        "/stockledger.v1.InventoryService/WatchInventoryAlerts",
        Scope::InventoryRead,
    ),
    (
        "/stockledger.v1.InventoryService/WatchInventoryCounts",
        Scope::InventoryRead,
    ),
    (
        "/stockledger.v1.InventoryService/ListInventoryAdjustmentReasons",
        Scope::InventoryRead,
    ),
    (
        "/stockledger.v1.InventoryService/RetrieveInventoryAdjustmentReason",
        Scope::InventoryRead,
    ),
    (
        "/stockledger.v1.InventoryService/CreateInventoryAdjustmentReason",
        Scope::InventoryWrite,
    ),
    (
        "/stockledger.v1.InventoryService/UpdateInventoryAdjustmentReason",
        Scope::InventoryWrite,
    ),
    (
        "/stockledger.v1.InventoryService/DeleteInventoryAdjustmentReason",
        Scope::InventoryWrite,
    ),
    (
        "/stockledger.v1.InventoryService/RestoreInventoryAdjustmentReason",
        Scope::InventoryWrite,
    ),
    (
        "/stockledger.v1.InventoryItemService/CreateInventoryItem",
        Scope::ItemsWrite,
    ),
    (
        "/stockledger.v1.InventoryItemService/GetInventoryItem",
        Scope::ItemsRead,
    ),
    (
        "/stockledger.v1.InventoryItemService/BatchGetInventoryItems",
        Scope::ItemsRead,
    ),
    (
        "/stockledger.v1.InventoryItemService/ListInventoryItems",
        Scope::ItemsRead,
    ),
    (
        "/stockledger.v1.InventoryItemService/UpdateInventoryItem",
        Scope::ItemsWrite,
    ),
    (
        "/stockledger.v1.LocationService/CreateLocation",
        Scope::LocationsWrite,
    ),
    (
        "/stockledger.v1.LocationService/GetLocation",
        Scope::LocationsRead,
    ),
    (
        "/stockledger.v1.LocationService/ListLocations",
        Scope::LocationsRead,
    ),
    (
        "/stockledger.v1.LocationService/UpdateLocation",
        Scope::LocationsWrite,
    ),
];

const PUBLIC_SERVICES: &[&str] = &[
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1.ServerReflection/",
    "/grpc.reflection.v1alpha.ServerReflection/",
];

/// What calling `path` requires.
pub fn access_for(path: &str) -> Access {
    if PUBLIC_SERVICES
        .iter()
        .any(|prefix| path.starts_with(prefix))
    {
        return Access::Public;
    }
    RPC_SCOPES
        .iter()
        .find(|(rpc, _)| *rpc == path)
        .map_or(Access::Unknown, |(_, scope)| Access::Requires(*scope))
}

/// Every RPC path with its scope (for documentation and tests).
pub fn rpc_scopes() -> &'static [(&'static str, Scope)] {
    RPC_SCOPES
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rpc_of_the_contract_has_a_scope() {
        use prost::Message;
        let set =
            prost_types::FileDescriptorSet::decode(crate::proto::FILE_DESCRIPTOR_SET).unwrap();
        let mut paths = Vec::new();
        for file in &set.file {
            for service in &file.service {
                for method in &service.method {
                    paths.push(format!(
                        "/{}.{}/{}",
                        file.package(),
                        service.name(),
                        method.name()
                    ));
                }
            }
        }
        assert_eq!(paths.len(), RPC_SCOPES.len());
        for path in paths {
            assert!(
                matches!(access_for(&path), Access::Requires(_)),
                "{path} has no scope"
            );
        }
    }

    #[test]
    fn health_and_reflection_are_public() {
        assert_eq!(access_for("/grpc.health.v1.Health/Check"), Access::Public);
        assert_eq!(
            access_for("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"),
            Access::Public
        );
        assert_eq!(access_for("/stockledger.v1.Nope/X"), Access::Unknown);
    }

    #[test]
    fn scope_lists_parse() {
        assert_eq!(
            parse_scope_list("ITEMS_READ, INVENTORY_READ,ITEMS_READ"),
            Ok(vec![Scope::InventoryRead, Scope::ItemsRead])
        );
        assert!(parse_scope_list("ITEMS_READ,ADMIN").is_err());
        assert!(parse_scope_list("").is_err());
    }
}
