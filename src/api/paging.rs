//! Opaque cursors and page sizes shared by every list RPC.
//!
//! A cursor carries the filters of the first page and the key of the last row returned,
//! base64url-encoded JSON tagged with the query kind and the merchant. Later pages take
//! their filters from the cursor; a cursor presented with other filters, to another RPC or
//! by another merchant is refused.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::domain::error::{Violation, reasons};
use crate::store::{MerchantId, Page};

/// Longest cursor accepted (a cursor longer than any we issue is malformed).
const MAX_CURSOR_LEN: usize = 4096;

#[derive(Serialize, Deserialize)]
struct Envelope<F, K> {
    /// Which query the cursor belongs to.
    q: String,
    /// The merchant whose data it pages.
    m: String,
    /// The filters of the first page.
    f: F,
    /// Key of the last row returned.
    k: K,
}

/// Encodes a cursor for query `kind` after the row with `key`.
pub fn encode_cursor<F: Serialize, K: Serialize>(
    kind: &str,
    merchant: &MerchantId,
    filters: &F,
    key: &K,
) -> String {
    CursorEncoder::new(kind, merchant, filters).encode(key)
}

/// Encodes the cursors of one query — same kind, merchant and filters, a different key each
/// — at the cost of the key alone: streams hand out a cursor with every message.
#[derive(Clone, Debug)]
pub struct CursorEncoder {
    /// The base64 of the envelope up to its key, padded with JSON whitespace to a multiple
    /// of three bytes so that the key's base64 can simply be appended.
    head: String,
}

impl CursorEncoder {
    /// An encoder for query `kind` of `merchant` with `filters`.
    pub fn new<F: Serialize>(kind: &str, merchant: &MerchantId, filters: &F) -> Self {
        let envelope = Envelope {
            q: kind.to_owned(),
            m: merchant.0.clone(),
            f: filters,
            k: (),
        };
        let mut head = serde_json::to_vec(&envelope).expect("cursor fields always serialise");
        // `…,"k":null}` → `…,"k":` + padding; the key and the closing brace follow.
        head.truncate(head.len() - "null}".len());
        while head.len() % 3 != 0 {
            head.push(b' ');
        }
        CursorEncoder {
            head: URL_SAFE_NO_PAD.encode(head),
        }
    }

    /// The cursor after the row with `key`.
    pub fn encode<K: Serialize>(&self, key: &K) -> String {
        let mut tail = serde_json::to_vec(key).expect("cursor keys always serialise");
        tail.push(b'}');
        let mut cursor = String::with_capacity(self.head.len() + tail.len() * 4 / 3 + 4);
        cursor.push_str(&self.head);
        URL_SAFE_NO_PAD.encode_string(tail, &mut cursor);
        cursor
    }
}

/// The cursor of the page after `page`: empty on the last page, else one that resumes after
/// its last row, whose key `key` tells.
pub fn next_cursor<T, F: Serialize, K: Serialize>(
    kind: &str,
    merchant: &MerchantId,
    filters: &F,
    page: &Page<T>,
    key: impl FnOnce(&T) -> K,
) -> String {
    match page.items.last() {
        Some(last) if page.has_more => encode_cursor(kind, merchant, filters, &key(last)),
        _ => String::new(),
    }
}

/// The filters and resume key of a request: from its cursor if it has one (checking that
/// the request's own filters are empty or the same), else its own filters and no key.
pub fn resolve_cursor<F, K>(
    kind: &str,
    merchant: &MerchantId,
    cursor: &str,
    request_filters: F,
) -> Result<(F, Option<K>), Violation>
where
    F: DeserializeOwned + PartialEq + Default,
    K: DeserializeOwned,
{
    if cursor.is_empty() {
        return Ok((request_filters, None));
    }
    let invalid = |why: &str| Violation::new("cursor", reasons::INVALID_CURSOR, why.to_owned());
    if cursor.len() > MAX_CURSOR_LEN {
        return Err(invalid("is not a cursor issued by this service"));
    }
    let envelope: Envelope<F, K> = URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| invalid("is not a cursor issued by this service"))?;
    if envelope.q != kind {
        return Err(invalid("belongs to another kind of query"));
    }
    if envelope.m != merchant.0 {
        // Another merchant's cursor is indistinguishable from a forged one.
        return Err(invalid("is not a cursor issued by this service"));
    }
    if request_filters != F::default() && request_filters != envelope.f {
        return Err(invalid(
            "was issued for other filters: repeat the first page's filters or leave them empty",
        ));
    }
    Ok((envelope.f, Some(envelope.k)))
}

/// A page size: 0 means `default`; otherwise 1..=`max`.
pub fn page_limit(field: &str, requested: i32, default: u64, max: u64) -> Result<u64, Violation> {
    match u64::try_from(requested) {
        Ok(0) => Ok(default),
        Ok(n) if n <= max => Ok(n),
        Ok(_) => Err(Violation::new(
            field,
            reasons::VALUE_TOO_HIGH,
            format!("must be at most {max}"),
        )),
        Err(_) => Err(Violation::new(
            field,
            reasons::VALUE_TOO_LOW,
            "must be at least 1 (0 means the default)",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_resolve_to_their_filters_and_key_for_their_merchant_only() {
        let merchant = MerchantId("m-1".into());
        let filters = vec!["item-a".to_owned(), "item-b".to_owned()];
        for kind in ["a", "ab", "abc"] {
            let encoder = CursorEncoder::new(kind, &merchant, &filters);
            for key in [(1i64, 2i64), (-5, 1_800_000_000_000_000)] {
                let fast = encoder.encode(&key);
                let resolved: (Vec<String>, Option<(i64, i64)>) =
                    resolve_cursor(kind, &merchant, &fast, Vec::new()).unwrap();
                assert_eq!(resolved, (filters.clone(), Some(key)), "kind {kind:?}");
                let other = MerchantId("m-2".into());
                assert!(
                    resolve_cursor::<Vec<String>, (i64, i64)>(kind, &other, &fast, vec![]).is_err()
                );
            }
        }
    }

    #[derive(Serialize, Deserialize, PartialEq, Default, Debug, Clone)]
    struct Filters {
        sku: Option<String>,
    }

    fn m(id: &str) -> MerchantId {
        MerchantId(id.into())
    }

    #[test]
    fn cursor_round_trips_with_its_filters() {
        let filters = Filters {
            sku: Some("A".into()),
        };
        let cursor = encode_cursor("items", &m("a"), &filters, &"last-id");
        let (f, k): (Filters, Option<String>) =
            resolve_cursor("items", &m("a"), &cursor, Filters::default()).unwrap();
        assert_eq!((f, k.as_deref()), (filters.clone(), Some("last-id")));
        assert!(resolve_cursor::<Filters, String>("items", &m("a"), &cursor, filters).is_ok());
        assert!(
            resolve_cursor::<Filters, String>("items", &m("b"), &cursor, Filters::default())
                .is_err()
        );
    }

    #[test]
    fn cursor_is_bound_to_its_query() {
        let cursor = encode_cursor(
            "items",
            &m("a"),
            &Filters {
                sku: Some("A".into()),
            },
            &"x",
        );
        let other = Filters {
            sku: Some("B".into()),
        };
        assert!(resolve_cursor::<Filters, String>("items", &m("a"), &cursor, other).is_err());
        assert!(
            resolve_cursor::<Filters, String>("locations", &m("a"), &cursor, Filters::default())
                .is_err()
        );
        for junk in ["!!!", "abc", "eyJ9", &"a".repeat(5000)] {
            let err = resolve_cursor::<Filters, String>("items", &m("a"), junk, Filters::default())
                .unwrap_err();
            assert_eq!(err.reason, reasons::INVALID_CURSOR);
        }
    }

    #[test]
    fn limits_are_bounded() {
        assert_eq!(page_limit("limit", 0, 50, 250), Ok(50));
        assert_eq!(page_limit("limit", 250, 50, 250), Ok(250));
        assert!(page_limit("limit", 251, 50, 250).is_err());
        assert!(page_limit("limit", -1, 50, 250).is_err());
    }
}
