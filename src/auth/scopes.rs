//! Scopes, and the single table of which scope each RPC requires.

use std::fmt;

/// A permission a token may carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Read counts and history.
    InventoryRead,
    /// Record inventory changes.
    InventoryWrite,
    /// Read inventory items.
    ItemsRead,
    /// Create and update inventory items.
    ItemsWrite,
    /// Read locations.
    LocationsRead,
    /// Create and update locations.
    LocationsWrite,
}

impl Scope {
    /// Every scope.
    pub const ALL: [Scope; 6] = [
        Scope::InventoryRead,
        Scope::InventoryWrite,
        Scope::ItemsRead,
        Scope::ItemsWrite,
        Scope::LocationsRead,
        Scope::LocationsWrite,
    ];

    /// The scope's name, as on the command line and in errors.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::InventoryRead => "INVENTORY_READ",
            Scope::InventoryWrite => "INVENTORY_WRITE",
            Scope::ItemsRead => "ITEMS_READ",
            Scope::ItemsWrite => "ITEMS_WRITE",
            Scope::LocationsRead => "LOCATIONS_READ",
            Scope::LocationsWrite => "LOCATIONS_WRITE",
        }
    }

    /// Reads a scope name.
    pub fn parse(text: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Parses a comma-separated scope list (`INVENTORY_READ,ITEMS_READ`); duplicates collapse.
pub fn parse_scope_list(text: &str) -> Result<Vec<Scope>, String> {
    let mut scopes = Vec::new();
    for name in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let scope = Scope::parse(name).ok_or_else(|| {
            let known: Vec<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
            format!("unknown scope {name:?}; known scopes: {}", known.join(", "))
        })?;
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    if scopes.is_empty() {
        return Err("at least one scope is required".into());
    }
    scopes.sort();
    Ok(scopes)
}

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
        "/stockledger.v1.InventoryService/BatchChangeInventory",
        Scope::InventoryWrite,
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
        "/stockledger.v1.InventoryService/WatchInventoryCounts",
        Scope::InventoryRead,
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
