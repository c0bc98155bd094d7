//! Compiles `proto/` with protox (no system protoc) into tonic/prost code, and writes the
//! encoded descriptor set that gRPC server reflection serves.

use std::{env, fs, path::PathBuf};

use prost::Message;

const PROTOS: &[&str] = &[
    "proto/stockledger/v1/inventory.proto",
    "proto/stockledger/v1/inventory_item.proto",
    "proto/stockledger/v1/location.proto",
    "proto/stockledger/v1/reservation.proto",
    "proto/stockledger/v1/webhook.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    let descriptors = protox::compile(PROTOS, ["proto"])?;
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    fs::write(
        out_dir.join("stockledger_descriptor.bin"),
        descriptors.encode_to_vec(),
    )?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(descriptors)?;
    Ok(())
}
