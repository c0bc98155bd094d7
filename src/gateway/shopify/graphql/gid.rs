//! Shopify's Global IDs (`gid://shopify/InventoryItem/<id>`) over Stockledger's ids: the id
//! part is the Stockledger id as it is (a UUID where Shopify has a number). A bare id is
//! accepted too, as Shopify's clients sometimes send the legacy id.

/// The object kinds the door names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// An inventory item.
    InventoryItem,
    /// A location.
    Location,
    /// A batch of changes written by one mutation.
    InventoryAdjustmentGroup,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::InventoryItem => "InventoryItem",
            Kind::Location => "Location",
            Kind::InventoryAdjustmentGroup => "InventoryAdjustmentGroup",
        }
    }
}

const PREFIX: &str = "gid://shopify/";

/// The Global ID of `id`.
pub fn gid(kind: Kind, id: &str) -> String {
    format!("{PREFIX}{}/{id}", kind.name())
}

/// The Stockledger id a Global ID of `kind` (or a bare id) names, or why it names none.
pub fn parse(kind: Kind, text: &str) -> Result<String, String> {
    let Some(rest) = text.strip_prefix(PREFIX) else {
        if text.contains('/') || text.trim().is_empty() {
            return Err(format!("`{text}` is not a {} id", kind.name()));
        }
        return Ok(text.to_owned());
    };
    match rest.split_once('/') {
        Some((named, id)) if named == kind.name() && !id.is_empty() && !id.contains(['/', '?']) => {
            Ok(id.to_owned())
        }
        _ => Err(format!(
            "`{text}` is not a Global ID of a {0} (gid://shopify/{0}/<id>)",
            kind.name()
        )),
    }
}

/// The Global ID of the level of `item` at `location`, as Shopify spells it.
pub fn level_gid(location: &str, item: &str) -> String {
    format!("{PREFIX}InventoryLevel/{location}?inventory_item_id={item}")
}

/// The location and item a level's Global ID names.
pub fn parse_level(text: &str) -> Result<(String, String), String> {
    let refused = || {
        format!(
            "`{text}` is not a Global ID of an InventoryLevel \
             (gid://shopify/InventoryLevel/<location id>?inventory_item_id=<item id>)"
        )
    };
    let rest = text
        .strip_prefix(PREFIX)
        .and_then(|r| r.strip_prefix("InventoryLevel/"))
        .ok_or_else(refused)?;
    let (location, item) = rest.split_once("?inventory_item_id=").ok_or_else(refused)?;
    if location.is_empty() || item.is_empty() || location.contains('/') || item.contains('&') {
        return Err(refused());
    }
    Ok((location.to_owned(), item.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_ids_round_trip_and_bare_ids_pass() {
        let id = "0190b8f4-0000-7000-8000-000000000001";
        let item = gid(Kind::InventoryItem, id);
        assert_eq!(item, format!("gid://shopify/InventoryItem/{id}"));
        assert_eq!(parse(Kind::InventoryItem, &item).unwrap(), id);
        assert_eq!(parse(Kind::InventoryItem, id).unwrap(), id);
        let level = level_gid("loc", id);
        assert_eq!(parse_level(&level).unwrap(), ("loc".into(), id.into()));
    }

    #[test]
    fn another_kind_or_a_malformed_id_is_refused() {
        let location = gid(Kind::Location, "abc");
        assert!(parse(Kind::InventoryItem, &location).is_err());
        assert!(parse(Kind::InventoryItem, "gid://shopify/InventoryItem/").is_err());
        assert!(parse(Kind::InventoryItem, "gid://other/InventoryItem/1").is_err());
        assert!(parse(Kind::Location, "").is_err());
        assert!(parse_level("gid://shopify/InventoryLevel/abc").is_err());
        assert!(parse_level(&gid(Kind::Location, "abc")).is_err());
    }
}
