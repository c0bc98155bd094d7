//! Fuzz target: the protobuf decode path of every request message.
//!
//! The input is decoded as each of the 19 request messages of the three services, both as
//! a bare message (what tonic's codec does with a gRPC frame) and length-delimited. Decoding
//! must never panic, whatever the bytes. A message that decodes must re-encode to exactly
//! `encoded_len` bytes and decode back to itself, and encoding it again must give the same
//! bytes: the request digest of BatchChangeInventory (idempotency) hashes that encoding.

#![no_main]

use libfuzzer_sys::fuzz_target;
use prost::Message;
use stockledger::proto::v1 as pb;

fuzz_target!(|data: &[u8]| {
    check::<pb::BatchChangeInventoryRequest>(data);
    check::<pb::BatchRetrieveInventoryCountsRequest>(data);
    check::<pb::RetrieveInventoryCountRequest>(data);
    check::<pb::BatchRetrieveInventoryChangesRequest>(data);
    check::<pb::RetrieveInventoryAdjustmentRequest>(data);
    check::<pb::RetrieveInventoryPhysicalCountRequest>(data);
    check::<pb::RetrieveInventoryTransferRequest>(data);
    check::<pb::StreamInventoryChangesRequest>(data);
    check::<pb::WatchInventoryChangesRequest>(data);
    check::<pb::WatchInventoryCountsRequest>(data);
    check::<pb::CreateInventoryItemRequest>(data);
    check::<pb::GetInventoryItemRequest>(data);
    check::<pb::BatchGetInventoryItemsRequest>(data);
    check::<pb::ListInventoryItemsRequest>(data);
    check::<pb::UpdateInventoryItemRequest>(data);
    check::<pb::CreateLocationRequest>(data);
    check::<pb::GetLocationRequest>(data);
    check::<pb::ListLocationsRequest>(data);
    check::<pb::UpdateLocationRequest>(data);
});

/// Decodes `data` as `M` (bare and length-delimited) and checks the round trip.
fn check<M: Message + Default + PartialEq>(data: &[u8]) {
    if let Ok(message) = M::decode(data) {
        round_trip(&message);
    }
    if let Ok(message) = M::decode_length_delimited(data) {
        round_trip(&message);
    }
}

fn round_trip<M: Message + Default + PartialEq>(message: &M) {
    let bytes = message.encode_to_vec();
    assert_eq!(bytes.len(), message.encoded_len());
    let again = M::decode(bytes.as_slice()).expect("an encoded message decodes");
    assert!(again == *message, "the message changed in a round trip");
    assert_eq!(again.encode_to_vec(), bytes, "the encoding is not stable");
}
