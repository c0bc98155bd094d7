//! Fuzz target: cursors and resume tokens (`stockledger::api::cursor`).
//!
//! `Cursors::resolve` is the one decode path of every `cursor` and `resume_token` a client
//! sends back. The input is used three ways:
//!
//! 1. as the token itself, for every query and the filter and position types the RPCs use:
//!    it must be refused as `cursor` / `INVALID_CURSOR` (anything but a token this service
//!    signed) or resolve to filters and a position that encode back to an equivalent token,
//!    never panic;
//! 2. as the body of a token that carries a valid signature (signed here the way the
//!    service signs, a check below makes sure of that): this reaches the decoding behind the
//!    signature check (body, filters, positions), which forged tokens never do. It must
//!    refuse or accept without panicking, and what it accepts must encode back to a token
//!    that resolves to the same filters and position;
//! 3. as the filters of a first page (a `WireFilters` message): whatever filters a query
//!    takes, the token issued for them resolves to them, and to the same position.

#![no_main]

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use libfuzzer_sys::fuzz_target;
use prost::Message;
use sha2::Sha256;
use stockledger::api::cursor::{
    CursorFilters, CursorPosition, Cursors, Query, VERSION, WireFilters,
};
use stockledger::domain::error::{Violation, reasons};
use stockledger::domain::tenant::MerchantId;
use stockledger::store::ledger::{ChangeQuery, CountQuery};

const KEY: &[u8] = b"fuzzing key";
const TAG_LEN: usize = 16;
const QUERIES: [Query; 6] = [
    Query::Items,
    Query::Locations,
    Query::InventoryCounts,
    Query::InventoryChanges,
    Query::WatchChanges,
    Query::WatchCounts,
];

fuzz_target!(|data: &[u8]| {
    let cursors = Cursors::with_key(KEY);
    let merchant = MerchantId("merchant-1".into());
    check_signer(&cursors, &merchant);

    // 1. Arbitrary text as a token.
    resolve_everything(&cursors, &merchant, &String::from_utf8_lossy(data));

    // 2. Arbitrary bytes as a signed token's body.
    resolve_everything(&cursors, &merchant, &sign(&merchant, data));

    // 3. Arbitrary first-page filters.
    if let Ok(wire) = WireFilters::decode(data) {
        let number = data
            .iter()
            .fold(0i64, |n, b| n.rotate_left(8) ^ i64::from(*b));
        if let Some(filters) = ChangeQuery::from_wire(wire.clone()) {
            round_trip(
                &cursors,
                &merchant,
                Query::InventoryChanges,
                filters,
                (number, 7),
            );
        }
        if let Some(filters) = CountQuery::from_wire(wire) {
            let position = (
                number,
                "item".to_owned(),
                "loc".to_owned(),
                "IN_STOCK".into(),
            );
            round_trip(
                &cursors,
                &merchant,
                Query::InventoryCounts,
                filters,
                position,
            );
        }
    }
});

/// A token with `body`, signed as the service signs (version byte, body, truncated HMAC
/// over the merchant, a zero, the version and the body).
fn sign(merchant: &MerchantId, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(KEY).expect("any key length");
    mac.update(merchant.0.as_bytes());
    mac.update(&[0, VERSION]);
    mac.update(body);
    let mut bytes = vec![VERSION];
    bytes.extend_from_slice(body);
    bytes.extend_from_slice(&mac.finalize().into_bytes()[..TAG_LEN]);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// [`sign`] signs exactly as the service does: re-signing an issued token's body gives the
/// same token. (If the format changes, this fails rather than leaving part 2 of the target
/// fuzzing nothing but signature refusals.)
fn check_signer(cursors: &Cursors, merchant: &MerchantId) {
    let issued = cursors
        .encoder(Query::InventoryChanges, merchant, &ChangeQuery::default())
        .encode(&(1i64, 2i64));
    let bytes = URL_SAFE_NO_PAD.decode(&issued).expect("base64url");
    let body = &bytes[1..bytes.len() - TAG_LEN];
    assert_eq!(
        sign(merchant, body),
        issued,
        "the fuzz target's signer is stale"
    );
}

/// Resolves `token` for every query with every pair of filter and position types the RPCs
/// use.
fn resolve_everything(cursors: &Cursors, merchant: &MerchantId, token: &str) {
    for query in QUERIES {
        resolve::<ChangeQuery, (i64, i64)>(cursors, merchant, query, token);
        resolve::<CountQuery, (i64, String, String, String)>(cursors, merchant, query, token);
        resolve::<CountQuery, (i64, i32)>(cursors, merchant, query, token);
        resolve::<ChangeQuery, i64>(cursors, merchant, query, token);
        resolve::<ChangeQuery, String>(cursors, merchant, query, token);
    }
}

fn resolve<F, P>(cursors: &Cursors, merchant: &MerchantId, query: Query, token: &str)
where
    F: CursorFilters + Clone + std::fmt::Debug,
    P: CursorPosition + PartialEq + std::fmt::Debug,
{
    for request in [F::default(), F::from_wire(some_filters()).expect("valid")] {
        match cursors.resolve::<F, P>(query, merchant, token, request.clone()) {
            Ok((filters, None)) => {
                assert!(token.is_empty(), "{token:?} resolved without a position");
                assert_eq!(filters, request);
            }
            Ok((filters, Some(position))) => {
                round_trip(cursors, merchant, query, filters, position);
            }
            Err(refusal) => check_refusal(&refusal),
        }
    }
}

/// Filters of a request that sends some.
fn some_filters() -> WireFilters {
    WireFilters {
        catalog_object_ids: vec!["item-1".into()],
        states: vec!["IN_STOCK".into()],
        ..WireFilters::default()
    }
}

/// The token issued for `filters` and `position` resolves to them, with or without the
/// filters sent again.
fn round_trip<F, P>(cursors: &Cursors, merchant: &MerchantId, query: Query, filters: F, position: P)
where
    F: CursorFilters + Clone + std::fmt::Debug,
    P: CursorPosition + PartialEq + std::fmt::Debug,
{
    let token = cursors.encoder(query, merchant, &filters).encode(&position);
    let resent = cursors
        .resolve::<F, P>(query, merchant, &token, filters.clone())
        .expect("an issued token resolves with its filters");
    assert_eq!(resent.0, filters);
    assert_eq!(resent.1.as_ref(), Some(&position));
    match cursors.resolve::<F, P>(query, merchant, &token, F::default()) {
        Ok((omitted, Some(at))) => assert!(omitted == filters && at == position),
        Ok((_, None)) => panic!("an issued token resolved without a position"),
        // Filters too long to carry must be sent again.
        Err(refusal) => check_refusal(&refusal),
    }
    let other = MerchantId("merchant-2".into());
    let refusal = cursors
        .resolve::<F, P>(query, &other, &token, filters)
        .expect_err("another merchant's token");
    check_refusal(&refusal);
}

fn check_refusal(refusal: &Violation) {
    assert_eq!(refusal.field, "cursor");
    assert_eq!(refusal.reason, reasons::INVALID_CURSOR);
}
