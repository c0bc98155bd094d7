//! Cursors and resume tokens: the one wire format behind every `cursor` and `resume_token`
//! this service hands out, small whatever the filters, versioned, bound to one merchant and
//! tamper-evident.
//!
//! A token is `base64url(version ‖ body ‖ tag)`:
//! - `version` is one byte, [`VERSION`] today. Tokens of the first format (base64 of a JSON
//!   object, so starting with `{`) are refused with a message saying to start again.
//! - `body` is a protobuf [`CursorBody`]: which query it pages, its filters — carried whole
//!   when their encoding is short, otherwise only as a digest, the client then sending the
//!   filters again with the token, as Square's clients do — and the position after which the
//!   next page starts. The body's messages are declared here with explicit tags, apart from
//!   the store's structs, so renaming a field in the store cannot change what a token means.
//! - `tag` is the first 16 bytes of HMAC-SHA256 over the merchant id, the version and the
//!   body, keyed with a secret every replica of the database shares
//!   ([`Store::shared_secret`]). Another merchant's token, a forged or an altered one all
//!   fail this check alike.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use prost::Message;
use sha2::{Digest, Sha256};

use crate::domain::error::{Violation, reasons};
use crate::domain::ledger::{ChangeType, InventoryState};
use crate::domain::reason::ReasonId;
use crate::store::alerts::AlertQuery;
use crate::store::ledger::{ChangeQuery, CountQuery};
use crate::store::{MerchantId, Page, Store, StoreError};

/// The format written today.
pub const VERSION: u8 = 2;
/// Longest token accepted: longer than any this service issues.
pub const MAX_TOKEN_CHARS: usize = 1024;
/// Filters whose encoding is at most this long travel inside the token; longer ones travel
/// as a digest and must be sent again with it.
const MAX_CARRIED_FILTER_BYTES: usize = 160;
/// Bytes of the HMAC kept in a token.
const TAG_LEN: usize = 16;
/// Bytes of the filters' SHA-256 kept in a token.
const DIGEST_LEN: usize = 16;
/// Name of the signing key among the database's shared secrets.
const KEY_NAME: &str = "cursor_signing_key";

type HmacSha256 = Hmac<Sha256>;

/// The queries a token can belong to. The numbers are part of the wire format: never reuse
/// one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Query {
    /// ListInventoryItems.
    Items = 1,
    /// ListLocations.
    Locations = 2,
    /// BatchRetrieveInventoryCounts, RetrieveInventoryCount.
    InventoryCounts = 3,
    /// BatchRetrieveInventoryChanges, StreamInventoryChanges.
    InventoryChanges = 4,
    /// WatchInventoryChanges resume tokens.
    WatchChanges = 5,
    /// WatchInventoryCounts resume tokens.
    WatchCounts = 6,
    /// ListReservations.
    Reservations = 7,
    /// ListInventoryReorderPoints.
    ReorderPoints = 8,
    /// WatchInventoryAlerts resume tokens.
    WatchAlerts = 9,
}

/// A token's body.
#[derive(Clone, PartialEq, Message)]
pub struct CursorBody {
    /// [`Query`] number.
    #[prost(uint32, tag = "1")]
    pub query: u32,
    /// The filters' [`WireFilters`] encoding, when short.
    #[prost(bytes = "vec", optional, tag = "2")]
    pub filters: Option<Vec<u8>>,
    /// The first [`DIGEST_LEN`] bytes of the SHA-256 of that encoding, when it is not carried.
    #[prost(bytes = "vec", optional, tag = "3")]
    pub filters_digest: Option<Vec<u8>>,
    /// The key of the last row returned. Always the last field: streams encode everything
    /// before it once and append a new position for each message.
    #[prost(message, optional, tag = "4")]
    pub position: Option<WirePosition>,
}

/// Every filter any query takes; each query uses its own subset. Enumerations travel by
/// name so that renumbering them cannot change a token's meaning.
#[derive(Clone, PartialEq, Message)]
pub struct WireFilters {
    /// Item ids.
    #[prost(string, repeated, tag = "1")]
    pub catalog_object_ids: Vec<String>,
    /// Location ids.
    #[prost(string, repeated, tag = "2")]
    pub location_ids: Vec<String>,
    /// Change types by name (`ADJUSTMENT`, …).
    #[prost(string, repeated, tag = "3")]
    pub types: Vec<String>,
    /// States by name (`IN_STOCK`, …).
    #[prost(string, repeated, tag = "4")]
    pub states: Vec<String>,
    /// Lower time bound, µs.
    #[prost(sint64, optional, tag = "5")]
    pub updated_after: Option<i64>,
    /// Upper time bound, µs.
    #[prost(sint64, optional, tag = "6")]
    pub updated_before: Option<i64>,
    /// An item SKU.
    #[prost(string, optional, tag = "7")]
    pub sku: Option<String>,
    /// A location status.
    #[prost(string, optional, tag = "8")]
    pub status: Option<String>,
    /// History newest first; absent (as in every token issued before the field existed)
    /// means oldest first.
    #[prost(bool, optional, tag = "9")]
    pub newest_first: Option<bool>,
    /// Counts as of this instant, µs; absent (as in every token issued before the field
    /// existed): the current counts.
    #[prost(sint64, optional, tag = "10")]
    pub as_of: Option<i64>,
    /// A reservation's reference id.
    #[prost(string, optional, tag = "11")]
    pub reference_id: Option<String>,
    /// Adjustment reasons by their stored spelling (`THEFT`, `CUSTOM:<id>`).
    #[prost(string, repeated, tag = "12")]
    pub reasons: Vec<String>,
}

/// A row's position: its key's numbers and texts, in the order the query's key defines.
#[derive(Clone, PartialEq, Message)]
pub struct WirePosition {
    /// The numeric parts.
    #[prost(sint64, repeated, tag = "1")]
    pub numbers: Vec<i64>,
    /// The text parts.
    #[prost(string, repeated, tag = "2")]
    pub texts: Vec<String>,
}

/// Filters a token can carry.
pub trait CursorFilters: Sized + PartialEq + Default {
    /// Their wire form.
    fn to_wire(&self) -> WireFilters;
    /// Back from the wire form; `None` if it cannot be this query's.
    fn from_wire(wire: WireFilters) -> Option<Self>;
}

/// Row keys a token can carry.
pub trait CursorPosition: Sized {
    /// Its wire form.
    fn to_wire(&self) -> WirePosition;
    /// Back from the wire form; `None` if it has the wrong shape.
    fn from_wire(wire: WirePosition) -> Option<Self>;
}

/// Signs and checks tokens with the database's shared key; cheap to clone.
#[derive(Clone)]
pub struct Cursors {
    key: HmacSha256,
}

impl std::fmt::Debug for Cursors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cursors { key: <secret> }")
    }
}

impl Cursors {
    /// Tokens signed with the key shared by every replica of `store`'s database (created on
    /// first use).
    pub async fn load(store: &Store) -> Result<Cursors, StoreError> {
        Ok(Cursors::with_key(&store.shared_secret(KEY_NAME).await?))
    }

    /// Tokens signed with `key`.
    pub fn with_key(key: &[u8]) -> Cursors {
        Cursors {
            key: HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length"),
        }
    }

    /// An encoder of `query`'s tokens for `merchant` with `filters`.
    pub fn encoder<F: CursorFilters>(
        &self,
        query: Query,
        merchant: &MerchantId,
        filters: &F,
    ) -> CursorEncoder {
        let encoded = filters.to_wire().encode_to_vec();
        let (carried, digest) = if encoded.len() <= MAX_CARRIED_FILTER_BYTES {
            (Some(encoded), None)
        } else {
            (None, Some(filters_digest(&encoded)))
        };
        let head = CursorBody {
            query: query as u32,
            filters: carried,
            filters_digest: digest,
            position: None,
        }
        .encode_to_vec();
        let mut mac = self.key.clone();
        mac.update(merchant.0.as_bytes());
        mac.update(&[0, VERSION]);
        mac.update(&head);
        CursorEncoder { mac, head }
    }

    /// The token of the page after `page`: empty on the last page, else one that resumes
    /// after its last row, whose key `key` tells.
    pub fn next<T, F: CursorFilters, P: CursorPosition>(
        &self,
        query: Query,
        merchant: &MerchantId,
        filters: &F,
        page: &Page<T>,
        key: impl FnOnce(&T) -> P,
    ) -> String {
        match page.items.last() {
            Some(last) if page.has_more => {
                self.encoder(query, merchant, filters).encode(&key(last))
            }
            _ => String::new(),
        }
    }

    /// The filters and resume position of a request: from its `token` if it has one (the
    /// request's own filters must then be empty or the same — and must be sent again when
    /// the token carries only their digest), else the request's filters and no position.
    /// A refusal names the field `cursor`.
    pub fn resolve<F: CursorFilters, P: CursorPosition>(
        &self,
        query: Query,
        merchant: &MerchantId,
        token: &str,
        request_filters: F,
    ) -> Result<(F, Option<P>), Violation> {
        if token.is_empty() {
            return Ok((request_filters, None));
        }
        let body = self.open(merchant, token)?;
        if body.query != query as u32 {
            return Err(invalid("belongs to another kind of query"));
        }
        let filters = match (body.filters, body.filters_digest) {
            (Some(carried), None) => {
                let carried = WireFilters::decode(carried.as_slice())
                    .ok()
                    .and_then(F::from_wire)
                    .ok_or_else(not_ours)?;
                if request_filters != F::default() && request_filters != carried {
                    return Err(other_filters());
                }
                carried
            }
            (None, Some(digest)) => {
                if request_filters == F::default() {
                    return Err(invalid(
                        "was issued for filters too long to carry: send the first page's filters with it",
                    ));
                }
                let sent = filters_digest(&request_filters.to_wire().encode_to_vec());
                if sent != digest {
                    return Err(invalid(
                        "was issued for other filters: repeat the first page's filters",
                    ));
                }
                request_filters
            }
            _ => return Err(not_ours()),
        };
        let position = body.position.and_then(P::from_wire).ok_or_else(not_ours)?;
        Ok((filters, Some(position)))
    }

    /// The body of `token` if it is one this service issued to `merchant`.
    fn open(&self, merchant: &MerchantId, token: &str) -> Result<CursorBody, Violation> {
        if token.len() > MAX_TOKEN_CHARS {
            return Err(not_ours());
        }
        let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| not_ours())?;
        match bytes.first() {
            Some(&VERSION) => {}
            Some(b'{') => {
                return Err(invalid(
                    "was issued by an earlier version of Stockledger and is no longer accepted: start again from the first page (or a new watch)",
                ));
            }
            _ => return Err(not_ours()),
        }
        if bytes.len() < 1 + TAG_LEN {
            return Err(not_ours());
        }
        let (signed, tag) = bytes.split_at(bytes.len() - TAG_LEN);
        let body = &signed[1..];
        let mut mac = self.key.clone();
        mac.update(merchant.0.as_bytes());
        mac.update(&[0, VERSION]);
        mac.update(body);
        // Another merchant's token is indistinguishable from a forged one.
        mac.verify_truncated_left(tag).map_err(|_| not_ours())?;
        CursorBody::decode(body).map_err(|_| not_ours())
    }
}

/// Encodes the tokens of one query — same kind, merchant and filters, a different position
/// each — at the cost of the position alone: streams hand out a token with every message.
#[derive(Clone)]
pub struct CursorEncoder {
    /// The HMAC state after the merchant, version and `head`.
    mac: HmacSha256,
    /// The body's fields before the position.
    head: Vec<u8>,
}

impl std::fmt::Debug for CursorEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CursorEncoder")
            .field("head_len", &self.head.len())
            .finish()
    }
}

impl CursorEncoder {
    /// The token after the row at `position`.
    pub fn encode<P: CursorPosition>(&self, position: &P) -> String {
        let mut bytes = Vec::with_capacity(1 + self.head.len() + 64 + TAG_LEN);
        bytes.push(VERSION);
        bytes.extend_from_slice(&self.head);
        let tail_start = bytes.len();
        prost::encoding::message::encode(4, &position.to_wire(), &mut bytes);
        let mut mac = self.mac.clone();
        mac.update(&bytes[tail_start..]);
        bytes.extend_from_slice(&mac.finalize().into_bytes()[..TAG_LEN]);
        URL_SAFE_NO_PAD.encode(bytes)
    }
}

fn filters_digest(encoded: &[u8]) -> Vec<u8> {
    Sha256::digest(encoded)[..DIGEST_LEN].to_vec()
}

fn invalid(why: &str) -> Violation {
    Violation::new("cursor", reasons::INVALID_CURSOR, why.to_owned())
}

/// The refusal of a token issued for other filters than the request's.
pub fn other_filters() -> Violation {
    invalid("was issued for other filters: repeat the first page's filters or leave them empty")
}

fn not_ours() -> Violation {
    invalid("is not a cursor issued by this service for this merchant")
}

fn names<T: Copy>(values: &[T], name: fn(T) -> &'static str) -> Vec<String> {
    values.iter().map(|v| name(*v).to_owned()).collect()
}

fn parse_names<T>(names: Vec<String>, parse: fn(&str) -> Option<T>) -> Option<Vec<T>> {
    names.iter().map(|n| parse(n)).collect()
}

impl CursorFilters for ChangeQuery {
    fn to_wire(&self) -> WireFilters {
        WireFilters {
            catalog_object_ids: self.catalog_object_ids.clone(),
            location_ids: self.location_ids.clone(),
            types: names(&self.types, ChangeType::as_str),
            states: names(&self.states, InventoryState::as_str),
            reasons: self.reasons.iter().map(ReasonId::stored).collect(),
            updated_after: self.updated_after,
            updated_before: self.updated_before,
            newest_first: self.newest_first.then_some(true),
            ..WireFilters::default()
        }
    }

    fn from_wire(wire: WireFilters) -> Option<Self> {
        Some(ChangeQuery {
            catalog_object_ids: wire.catalog_object_ids,
            location_ids: wire.location_ids,
            types: parse_names(wire.types, ChangeType::from_stored)?,
            states: parse_names(wire.states, InventoryState::from_stored)?,
            reasons: parse_names(wire.reasons, ReasonId::from_stored)?,
            updated_after: wire.updated_after,
            updated_before: wire.updated_before,
            newest_first: wire.newest_first.unwrap_or(false),
        })
    }
}

impl CursorFilters for CountQuery {
    fn to_wire(&self) -> WireFilters {
        WireFilters {
            catalog_object_ids: self.catalog_object_ids.clone(),
            location_ids: self.location_ids.clone(),
            states: names(&self.states, InventoryState::as_str),
            updated_after: self.updated_after,
            as_of: self.as_of,
            ..WireFilters::default()
        }
    }

    fn from_wire(wire: WireFilters) -> Option<Self> {
        Some(CountQuery {
            catalog_object_ids: wire.catalog_object_ids,
            location_ids: wire.location_ids,
            states: parse_names(wire.states, InventoryState::from_stored)?,
            updated_after: wire.updated_after,
            as_of: wire.as_of,
        })
    }
}

impl CursorFilters for AlertQuery {
    fn to_wire(&self) -> WireFilters {
        WireFilters {
            catalog_object_ids: self.catalog_object_ids.clone(),
            location_ids: self.location_ids.clone(),
            ..WireFilters::default()
        }
    }

    fn from_wire(wire: WireFilters) -> Option<Self> {
        Some(AlertQuery {
            catalog_object_ids: wire.catalog_object_ids,
            location_ids: wire.location_ids,
        })
    }
}

/// A reorder point's listing position (item, location).
impl CursorPosition for (String, String) {
    fn to_wire(&self) -> WirePosition {
        WirePosition {
            numbers: vec![],
            texts: vec![self.0.clone(), self.1.clone()],
        }
    }

    fn from_wire(wire: WirePosition) -> Option<Self> {
        match (wire.numbers.as_slice(), <[String; 2]>::try_from(wire.texts)) {
            ([], Ok([item, location])) => Some((item, location)),
            _ => None,
        }
    }
}

/// A text key (an id).
impl CursorPosition for String {
    fn to_wire(&self) -> WirePosition {
        WirePosition {
            numbers: vec![],
            texts: vec![self.clone()],
        }
    }

    fn from_wire(wire: WirePosition) -> Option<Self> {
        match (wire.numbers.as_slice(), <[String; 1]>::try_from(wire.texts)) {
            ([], Ok([id])) => Some(id),
            _ => None,
        }
    }
}

/// A feed sequence.
impl CursorPosition for i64 {
    fn to_wire(&self) -> WirePosition {
        WirePosition {
            numbers: vec![*self],
            texts: vec![],
        }
    }

    fn from_wire(wire: WirePosition) -> Option<Self> {
        match (wire.numbers.as_slice(), wire.texts.as_slice()) {
            (&[n], []) => Some(n),
            _ => None,
        }
    }
}

/// A history key (occurred_at, sequence).
impl CursorPosition for (i64, i64) {
    fn to_wire(&self) -> WirePosition {
        WirePosition {
            numbers: vec![self.0, self.1],
            texts: vec![],
        }
    }

    fn from_wire(wire: WirePosition) -> Option<Self> {
        match (wire.numbers.as_slice(), wire.texts.as_slice()) {
            (&[a, b], []) => Some((a, b)),
            _ => None,
        }
    }
}

/// A count update's feed position (sequence, ordinal).
impl CursorPosition for (i64, i32) {
    fn to_wire(&self) -> WirePosition {
        WirePosition {
            numbers: vec![self.0, i64::from(self.1)],
            texts: vec![],
        }
    }

    fn from_wire(wire: WirePosition) -> Option<Self> {
        match (wire.numbers.as_slice(), wire.texts.as_slice()) {
            (&[a, b], []) => Some((a, i32::try_from(b).ok()?)),
            _ => None,
        }
    }
}

/// A count's listing position (calculated_at, item, location, state).
impl CursorPosition for (i64, String, String, String) {
    fn to_wire(&self) -> WirePosition {
        WirePosition {
            numbers: vec![self.0],
            texts: vec![self.1.clone(), self.2.clone(), self.3.clone()],
        }
    }

    fn from_wire(wire: WirePosition) -> Option<Self> {
        match (wire.numbers.as_slice(), <[String; 3]>::try_from(wire.texts)) {
            (&[at], Ok([item, location, state])) => Some((at, item, location, state)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(id: &str) -> MerchantId {
        MerchantId(id.into())
    }

    fn cursors() -> Cursors {
        Cursors::with_key(b"test key")
    }

    fn ids(n: usize) -> Vec<String> {
        (0..n)
            .map(|i| format!("0190a1b2-c3d4-7e5f-8a9b-{i:012}"))
            .collect()
    }

    fn query(n: usize) -> ChangeQuery {
        ChangeQuery {
            catalog_object_ids: ids(n),
            types: vec![ChangeType::Transfer],
            states: vec![InventoryState::InStock, InventoryState::Waste],
            updated_after: Some(-5),
            ..ChangeQuery::default()
        }
    }

    #[test]
    fn short_filters_travel_in_the_token_and_long_ones_as_a_digest() {
        let c = cursors();
        for n in [0, 1, 2, 74, 1000] {
            let filters = query(n);
            let token = c
                .encoder(Query::InventoryChanges, &m("a"), &filters)
                .encode(&(7i64, 9i64));
            assert!(token.len() <= 400, "{n} ids: {} chars", token.len());
            let resent: (ChangeQuery, Option<(i64, i64)>) = c
                .resolve(Query::InventoryChanges, &m("a"), &token, filters.clone())
                .unwrap();
            assert_eq!(resent, (filters.clone(), Some((7, 9))));
            let omitted = c.resolve::<ChangeQuery, (i64, i64)>(
                Query::InventoryChanges,
                &m("a"),
                &token,
                ChangeQuery::default(),
            );
            if n <= 2 {
                assert_eq!(omitted.unwrap(), (filters, Some((7, 9))));
            } else {
                let refused = omitted.unwrap_err();
                assert_eq!(refused.reason, reasons::INVALID_CURSOR);
                assert!(
                    refused
                        .description
                        .contains("send the first page's filters")
                );
            }
        }
    }

    #[test]
    fn other_filters_other_queries_and_other_merchants_are_refused() {
        let c = cursors();
        for n in [1, 200] {
            let token = c
                .encoder(Query::InventoryChanges, &m("a"), &query(n))
                .encode(&(1i64, 2i64));
            let resolve = |query: Query, merchant: &str, filters: ChangeQuery| {
                c.resolve::<ChangeQuery, (i64, i64)>(query, &m(merchant), &token, filters)
                    .unwrap_err()
                    .description
            };
            assert!(resolve(Query::InventoryChanges, "a", query(n + 1)).contains("other filters"));
            assert!(resolve(Query::WatchChanges, "a", query(n)).contains("another kind"));
            assert!(resolve(Query::InventoryChanges, "b", query(n)).contains("not a cursor"));
            assert!(
                Cursors::with_key(b"other key")
                    .resolve::<ChangeQuery, (i64, i64)>(
                        Query::InventoryChanges,
                        &m("a"),
                        &token,
                        query(n)
                    )
                    .is_err()
            );
        }
    }

    #[test]
    fn the_sort_order_travels_in_the_token_and_old_tokens_read_as_oldest_first() {
        let c = cursors();
        let newest = ChangeQuery {
            newest_first: true,
            ..query(1)
        };
        let token = c
            .encoder(Query::InventoryChanges, &m("a"), &newest)
            .encode(&(3i64, 4i64));
        let carried: (ChangeQuery, Option<(i64, i64)>) = c
            .resolve(
                Query::InventoryChanges,
                &m("a"),
                &token,
                ChangeQuery::default(),
            )
            .unwrap();
        assert_eq!(carried, (newest.clone(), Some((3, 4))));
        let oldest = c
            .resolve::<ChangeQuery, (i64, i64)>(Query::InventoryChanges, &m("a"), &token, query(1))
            .unwrap_err();
        assert!(oldest.description.contains("other filters"));
        // Oldest first encodes as before the field existed: tokens already issued keep
        // their meaning.
        assert_eq!(query(1).to_wire().newest_first, None);
        assert_eq!(
            ChangeQuery::from_wire(WireFilters {
                newest_first: None,
                ..query(1).to_wire()
            }),
            Some(query(1))
        );
        // Long filters travel as a digest, which covers the order too.
        let long_newest = ChangeQuery {
            newest_first: true,
            ..query(200)
        };
        let token = c
            .encoder(Query::InventoryChanges, &m("a"), &long_newest)
            .encode(&(3i64, 4i64));
        assert!(
            c.resolve::<ChangeQuery, (i64, i64)>(
                Query::InventoryChanges,
                &m("a"),
                &token,
                query(200)
            )
            .is_err()
        );
    }

    #[test]
    fn every_altered_byte_is_detected() {
        let c = cursors();
        let token = c
            .encoder(Query::InventoryCounts, &m("a"), &CountQuery::default())
            .encode(&(5i64, "i".to_owned(), "l".to_owned(), "IN_STOCK".to_owned()));
        let bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
        for i in 0..bytes.len() {
            let mut altered = bytes.clone();
            altered[i] ^= 0x01;
            let altered = URL_SAFE_NO_PAD.encode(altered);
            let refused = c
                .resolve::<CountQuery, (i64, String, String, String)>(
                    Query::InventoryCounts,
                    &m("a"),
                    &altered,
                    CountQuery::default(),
                )
                .unwrap_err();
            assert_eq!(refused.reason, reasons::INVALID_CURSOR, "byte {i}");
        }
        for cut in [0, 1, token.len() / 2, token.len() - 1] {
            assert!(
                c.resolve::<CountQuery, (i64, String, String, String)>(
                    Query::InventoryCounts,
                    &m("a"),
                    &token[..cut.max(1)],
                    CountQuery::default(),
                )
                .is_err()
            );
        }
    }

    #[test]
    fn tokens_of_the_first_format_are_refused_with_a_clear_message() {
        // What the first format looked like: base64url of a JSON envelope.
        let old = URL_SAFE_NO_PAD.encode(
            br#"{"q":"inventory_changes","m":"a","f":{"catalog_object_ids":[]},"k":[1,2]}"#,
        );
        let refused = cursors()
            .resolve::<ChangeQuery, (i64, i64)>(
                Query::InventoryChanges,
                &m("a"),
                &old,
                ChangeQuery::default(),
            )
            .unwrap_err();
        assert_eq!(refused.reason, reasons::INVALID_CURSOR);
        assert!(refused.description.contains("earlier version"));
    }

    #[test]
    fn positions_of_every_shape_round_trip_and_refuse_other_shapes() {
        fn round<P: CursorPosition + PartialEq + std::fmt::Debug>(p: P) {
            assert_eq!(P::from_wire(p.to_wire()), Some(p));
        }
        round("id".to_owned());
        round(-3i64);
        round((i64::MIN, i64::MAX));
        round((4i64, -7i32));
        round((1i64, "a".to_owned(), "b".to_owned(), "c".to_owned()));
        assert_eq!(<(i64, i64)>::from_wire(7i64.to_wire()), None);
        assert_eq!(<(i64, i32)>::from_wire((1i64, i64::MAX).to_wire()), None);
        assert_eq!(String::from_wire((1i64, 2i64).to_wire()), None);
    }

    #[test]
    fn a_large_filter_still_gives_a_small_token() {
        let c = cursors();
        let filters = CountQuery {
            catalog_object_ids: ids(1000),
            location_ids: ids(1000),
            ..CountQuery::default()
        };
        let token = c
            .encoder(Query::WatchCounts, &m("a"), &filters)
            .encode(&(1i64, 2i32));
        assert!(token.len() < 120, "{} chars", token.len());
    }
}
