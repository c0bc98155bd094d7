//! The OpenAPI document at `GET /openapi.json` against the routes a live server really
//! serves: every operation it lists is answered by a handler (not the router's fallback, not
//! 405), every path the Square and Shopify SDKs call is listed with its method (Square's
//! deprecated names marked deprecated), and every `$ref` in it resolves.

mod common;

use common::Backend;
use common::front_doors::FrontDoors as Live;
use common::ledger::{item, location};
use reqwest::{Method, StatusCode};
use serde_json::Value;

impl Live {
    /// The document, fetched without a token.
    async fn document(&self) -> Value {
        let response = self
            .http
            .get(format!("{}/openapi.json", self.base))
            .send()
            .await
            .expect("GET /openapi.json");
        assert_eq!(response.status(), StatusCode::OK);
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(
            content_type.starts_with("application/json"),
            "{content_type}"
        );
        let text = response.text().await.expect("body");
        serde_json::from_str(&text).expect("the document is JSON")
    }

    /// `method path` with the token the path's door reads (`Authorization: Bearer` under
    /// `/v2`, `X-Shopify-Access-Token` under `/admin`) and `{}` as the body of a POST or PUT:
    /// the status and the body (`Value::Null` if it is not JSON).
    async fn call(&self, method: Method, path: &str) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base));
        request = if path.starts_with("/admin/") {
            request.header("X-Shopify-Access-Token", &self.token)
        } else {
            request.bearer_auth(&self.token)
        };
        if method == Method::POST || method == Method::PUT {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body("{}");
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let text = response.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

/// The answer of a path no handler serves, per door.
struct Fallbacks {
    square: (StatusCode, Value),
    shopify: (StatusCode, Value),
}

impl Fallbacks {
    async fn read(live: &Live) -> Fallbacks {
        let square = live.call(Method::GET, "/v2/inventory/no/such/path").await;
        assert_eq!(square.0, StatusCode::NOT_FOUND, "{}", square.1);
        assert!(is_square_fallback(&square.1), "{}", square.1);
        let shopify = live
            .call(Method::GET, "/admin/api/2025-10/nothing.json")
            .await;
        assert_eq!(shopify.0, StatusCode::NOT_FOUND, "{}", shopify.1);
        assert_eq!(shopify.1, serde_json::json!({"errors": "Not Found"}));
        Fallbacks { square, shopify }
    }

    /// Whether an answer to `path` is the router's "no such route" answer.
    fn unserved(&self, path: &str, status: StatusCode, body: &Value) -> bool {
        if path.starts_with("/admin/") {
            (status, body) == (self.shopify.0, &self.shopify.1)
        } else {
            status == self.square.0 && (body == &self.square.1 || is_square_fallback(body))
        }
    }
}

/// Square's fallback: NOT_FOUND whose detail says the path is not served.
fn is_square_fallback(body: &Value) -> bool {
    body["errors"][0]["code"] == "NOT_FOUND"
        && body["errors"][0]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("not served"))
}

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

/// `(method, path template)` of every operation the document lists.
fn operations(document: &Value) -> Vec<(String, String)> {
    let paths = document["paths"].as_object().expect("paths");
    let mut operations = Vec::new();
    for (path, item) in paths {
        for method in METHODS {
            if item.get(method).is_some() {
                operations.push((method.to_owned(), path.clone()));
            }
        }
    }
    operations
}

/// `template` with `{version}` as "2025-10" and every other parameter as `id`.
fn fill(template: &str, id: &str) -> String {
    let mut path = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let close = open + rest[open..].find('}').expect("closed parameter");
        path.push_str(&rest[..open]);
        path.push_str(if &rest[open + 1..close] == "version" {
            "2025-10"
        } else {
            id
        });
        rest = &rest[close + 1..];
    }
    path.push_str(rest);
    path
}

/// A template with its parameters' names erased: `/a/{id}.json` is `/a/{}.json`.
fn shape(template: &str) -> String {
    let mut shape = String::new();
    let mut inside = false;
    for c in template.chars() {
        match c {
            '{' => {
                inside = true;
                shape.push('{');
            }
            '}' => {
                inside = false;
                shape.push('}');
            }
            _ if inside => {}
            _ => shape.push(c),
        }
    }
    shape
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_operation_is_served() {
    let mut live = Live::start(Backend::Sqlite, "openapi-merchant", "OpenAPI test").await;
    let document = live.document().await;
    let fallbacks = Fallbacks::read(&live).await;
    // A real item, so that Shopify's item paths answer for an id they know: their 404 for an
    // unknown id is the same `{"errors":"Not Found"}` as an unserved path's.
    location(&mut live.clients, "Shop").await;
    let id = item(&mut live.clients, "OPENAPI-1").await;

    // The probe tells served from unserved: a method a path does not take is 405, a path
    // no handler has is the fallback.
    let (status, body) = live
        .call(Method::GET, "/v2/inventory/changes/batch-create")
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
    let (status, body) = live
        .call(Method::POST, "/admin/api/2025-10/inventory_levels.json")
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");

    let operations = operations(&document);
    assert!(operations.len() >= 20, "{operations:?}");
    for (method, template) in &operations {
        let path = fill(template, &id);
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let (status, body) = live.call(method.clone(), &path).await;
        assert_ne!(
            status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {template} ({path}) is documented but not allowed: {body}"
        );
        assert!(
            !fallbacks.unserved(&path, status, &body),
            "{method} {template} ({path}) is documented but answered by the fallback: {status} {body}"
        );
        assert!(
            status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
            "{method} {template} ({path}) refused the token: {status} {body}"
        );
        assert!(
            !status.is_server_error(),
            "{method} {template} ({path}): {status} {body}"
        );
    }
}

/// Every path the SDKs call: (method, template, deprecated).
const SDK_PATHS: &[(&str, &str, bool)] = &[
    ("post", "/v2/inventory/changes/batch-create", false),
    ("post", "/v2/inventory/changes/batch-retrieve", false),
    ("post", "/v2/inventory/counts/batch-retrieve", false),
    ("get", "/v2/inventory/{catalog_object_id}", false),
    ("get", "/v2/inventory/{catalog_object_id}/changes", false),
    ("get", "/v2/inventory/adjustments/{id}", false),
    ("get", "/v2/inventory/physical-counts/{id}", false),
    ("get", "/v2/inventory/transfers/{id}", false),
    ("post", "/v2/inventory/batch-change", true),
    ("post", "/v2/inventory/batch-retrieve-changes", true),
    ("post", "/v2/inventory/batch-retrieve-counts", true),
    ("get", "/v2/inventory/adjustment/{id}", true),
    ("get", "/v2/inventory/physical-count/{id}", true),
    ("get", "/v2/inventory/transfer/{id}", true),
    ("get", "/admin/api/{version}/inventory_items.json", false),
    (
        "get",
        "/admin/api/{version}/inventory_items/{id}.json",
        false,
    ),
    (
        "put",
        "/admin/api/{version}/inventory_items/{id}.json",
        false,
    ),
    ("get", "/admin/api/{version}/inventory_levels.json", false),
    (
        "post",
        "/admin/api/{version}/inventory_levels/set.json",
        false,
    ),
    (
        "post",
        "/admin/api/{version}/inventory_levels/adjust.json",
        false,
    ),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sdk_path_is_documented() {
    let live = Live::start(Backend::Sqlite, "openapi-merchant", "OpenAPI test").await;
    let document = live.document().await;
    assert!(
        document["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.")),
        "{}",
        document["openapi"]
    );
    let paths = document["paths"].as_object().expect("paths");
    let by_shape: std::collections::BTreeMap<String, &Value> =
        paths.iter().map(|(p, item)| (shape(p), item)).collect();
    assert_eq!(by_shape.len(), paths.len(), "two templates of one shape");
    for (method, template, deprecated) in SDK_PATHS {
        let item = by_shape
            .get(&shape(template))
            .unwrap_or_else(|| panic!("{template} is not in the document"));
        let operation = item
            .get(*method)
            .unwrap_or_else(|| panic!("{template} is documented without {method}"));
        assert_eq!(
            operation["deprecated"].as_bool().unwrap_or(false),
            *deprecated,
            "{method} {template}: deprecated is {}",
            operation["deprecated"]
        );
        assert!(
            operation["operationId"].as_str().is_some(),
            "{method} {template} has no operationId"
        );
        // Each operation names the way its door takes a token.
        let scheme = if template.starts_with("/admin/") {
            "shopify_token"
        } else {
            "bearer"
        };
        let security = operation["security"].as_array().unwrap_or_else(|| {
            panic!("{method} {template} has no security: {operation}");
        });
        assert!(
            security.iter().any(|s| s.get(scheme).is_some()),
            "{method} {template}: {security:?}"
        );
    }
}

/// Every `$ref` under `value`, with where it was found.
fn refs<'a>(value: &'a Value, at: String, found: &mut Vec<(String, &'a str)>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                if key == "$ref"
                    && let Some(target) = child.as_str()
                {
                    found.push((at.clone(), target));
                } else {
                    refs(child, format!("{at}/{key}"), found);
                }
            }
        }
        Value::Array(list) => {
            for (i, child) in list.iter().enumerate() {
                refs(child, format!("{at}/{i}"), found);
            }
        }
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_ref_resolves() {
    let live = Live::start(Backend::Sqlite, "openapi-merchant", "OpenAPI test").await;
    let document = live.document().await;
    let mut found = Vec::new();
    refs(&document, String::new(), &mut found);
    assert!(found.len() >= 10, "suspiciously few $refs: {}", found.len());
    for (at, target) in &found {
        let pointer = target
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("{at}: {target} is not local to the document"));
        assert!(
            pointer.starts_with("/components/schemas/"),
            "{at}: {target} is not a schema of components"
        );
        let schema = document
            .pointer(pointer)
            .unwrap_or_else(|| panic!("{at}: {target} resolves to nothing"));
        assert!(
            schema.is_object(),
            "{at}: {target} is not a schema: {schema}"
        );
    }
    // The security schemes the operations name are defined.
    let schemes = document["components"]["securitySchemes"]
        .as_object()
        .expect("securitySchemes");
    for (method, template) in operations(&document) {
        for requirement in document["paths"][&template][&method]["security"]
            .as_array()
            .into_iter()
            .flatten()
        {
            for name in requirement.as_object().expect("requirement").keys() {
                assert!(
                    schemes.contains_key(name),
                    "{method} {template}: security scheme {name} is not defined"
                );
            }
        }
    }
}
