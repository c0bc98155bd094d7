//! Scopes: the permissions a token may carry. Which scope each RPC needs is the auth
//! layer's table (`auth::scopes`).

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
    /// Bring in history from another system (ImportInventoryChanges): changes with any past
    /// occurred_at and their original ids, times and sources.
    InventoryImport,
    /// Read reservations.
    ReservationsRead,
    /// Create, commit, release and extend reservations.
    ReservationsWrite,
    /// Read webhook subscriptions, their signature keys and delivery state.
    WebhooksRead,
    /// Create, delete and replay webhook subscriptions.
    WebhooksWrite,
}

impl Scope {
    /// Every scope.
    pub const ALL: [Scope; 11] = [
        Scope::InventoryRead,
        Scope::InventoryWrite,
        Scope::ItemsRead,
        Scope::ItemsWrite,
        Scope::LocationsRead,
        Scope::LocationsWrite,
        Scope::InventoryImport,
        Scope::ReservationsRead,
        Scope::ReservationsWrite,
        Scope::WebhooksRead,
        Scope::WebhooksWrite,
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
            Scope::InventoryImport => "INVENTORY_IMPORT",
            Scope::ReservationsRead => "RESERVATIONS_READ",
            Scope::ReservationsWrite => "RESERVATIONS_WRITE",
            Scope::WebhooksRead => "WEBHOOKS_READ",
            Scope::WebhooksWrite => "WEBHOOKS_WRITE",
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
