//! The OpenAPI document of both front doors, served at [`PATH`]. It is derived from the
//! handlers' `#[utoipa::path]` attributes and the JSON types that serialize the answers,
//! so a field or a path cannot change without the document changing with it; Square's
//! deprecated paths are added from the same table the router serves them from
//! ([`super::square::ALIASES`]). `tests/openapi.rs` calls every operation it lists against
//! a live server.

use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};

use super::{shopify, square};

/// Where the document is served.
pub const PATH: &str = "/openapi.json";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Stockledger HTTP front doors",
        description = "Square's Inventory API (Connect v2) and Shopify's inventory items and \
            levels, served by Stockledger so that their official SDKs work against it \
            unchanged. The gRPC API (stockledger.v1) is the full API; these paths call it.",
        license(name = "Apache-2.0")
    ),
    paths(
        square::batch_change,
        square::batch_retrieve_changes,
        square::batch_retrieve_counts,
        square::item_counts,
        square::item_changes,
        square::adjustment,
        square::physical_count,
        square::transfer,
        square::list_reasons,
        square::create_reason,
        square::retrieve_reason,
        square::update_reason,
        square::delete_reason,
        square::restore_reason,
        square::create_webhook_subscription,
        square::list_webhook_subscriptions,
        square::retrieve_webhook_subscription,
        square::delete_webhook_subscription,
        shopify::list_items,
        shopify::get_item,
        shopify::update_item,
        shopify::list_levels,
        shopify::set_level,
        shopify::adjust_level,
        shopify::graphql::graphql,
    ),
    modifiers(&Security),
    tags(
        (name = "square", description = "Square's v2 Inventory paths (docs/square.md)"),
        (name = "shopify", description = "Shopify's inventory_items and inventory_levels (docs/shopify.md)")
    )
)]
struct FrontDoors;

/// The two ways the doors take a token.
struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        components.add_security_scheme(
            "shopify_token",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new(shopify::TOKEN_HEADER))),
        );
    }
}

/// The document: every path served, Square's deprecated names marked deprecated.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut document = FrontDoors::openapi();
    for (current, alias) in square::ALIASES {
        let Some(mut item) = document.paths.paths.get(*current).cloned() else {
            continue;
        };
        for operation in [&mut item.get, &mut item.post].into_iter().flatten() {
            operation.deprecated = Some(utoipa::openapi::Deprecated::True);
            operation.operation_id = operation
                .operation_id
                .as_ref()
                .map(|id| format!("{id}Deprecated"));
        }
        document.paths.paths.insert((*alias).to_owned(), item);
    }
    document
}

/// The document as served.
pub fn document_json() -> String {
    document()
        .to_pretty_json()
        .expect("the OpenAPI document serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_alias_is_documented_as_deprecated_beside_its_current_path() {
        let document = document();
        for (current, alias) in square::ALIASES {
            assert!(document.paths.paths.contains_key(*current), "{current}");
            let item = &document.paths.paths[*alias];
            let operation = item.get.as_ref().or(item.post.as_ref()).expect(alias);
            assert!(
                matches!(
                    operation.deprecated,
                    Some(utoipa::openapi::Deprecated::True)
                ),
                "{alias} is not marked deprecated"
            );
        }
    }

    #[test]
    fn operation_ids_are_unique() {
        let document = document();
        let mut ids: Vec<_> = document
            .paths
            .paths
            .values()
            .flat_map(|item| [&item.get, &item.post, &item.put])
            .flatten()
            .filter_map(|operation| operation.operation_id.clone())
            .collect();
        let count = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), count);
    }
}
