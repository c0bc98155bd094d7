//! Compiles the service's protos (`proto/`, a link to the repository's `../../proto`, the
//! one source of truth, whose files `cargo package` copies into the .crate) with protox (no
//! system protoc) into tonic client stubs; no server code is generated.

const PROTOS: &[&str] = &[
    "stockledger/v1/inventory.proto",
    "stockledger/v1/inventory_item.proto",
    "stockledger/v1/location.proto",
    "stockledger/v1/reservation.proto",
    "stockledger/v1/webhook.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Each file, not the directory: proto/ is a link, and a file's path through it is
    // stat'ed like any other.
    for proto in PROTOS {
        println!("cargo:rerun-if-changed=proto/{proto}");
    }
    let descriptors = protox::compile(PROTOS, ["proto"])?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(false)
        .compile_fds(descriptors)?;
    Ok(())
}
