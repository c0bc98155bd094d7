//! Code generated from `proto/` by build.rs, and the descriptor set served by reflection.

/// The `stockledger.v1` package: messages, clients and servers.
pub mod v1 {
    #![allow(
        missing_docs,
        clippy::large_enum_variant,
        clippy::doc_lazy_continuation
    )]
    tonic::include_proto!("stockledger.v1");
}

/// Encoded `FileDescriptorSet` of every stockledger proto, for gRPC server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/stockledger_descriptor.bin"));
