//! Live tests over mutual TLS against the second server `scripts/clients-test.sh` starts:
//! `STOCKLEDGER_TLS_ADDR`, `_TOKEN`, `_CA` (the CA that issued the server's and the
//! client's certificates), `_CERT`, `_KEY` (the client's) and `_DIR` (every file
//! `scripts/test-ca.sh` made). Built only with `--features live-tests,tls`; `test.sh` runs
//! them, and a missing variable fails them.
//!
//! A trusted client certificate is served; none, another CA's, a CA that did not issue the
//! server's certificate, a server name the certificate does not hold and plaintext are
//! refused with the client's `Error`, code `Unavailable`.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use stockledger_client::{Client, ClientBuilder, Error, NewLocation};
use tonic::Code;

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: the TLS live tests need the server over mutual TLS that \
             scripts/clients-test.sh starts (STOCKLEDGER_TLS_ADDR, _TOKEN, _CA, _CERT, _KEY, \
             _DIR); run scripts/clients-test.sh rust"
        )
    })
}

fn read(path: impl Into<PathBuf>) -> Vec<u8> {
    let path = path.into();
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn file(name: &str) -> Vec<u8> {
    read(PathBuf::from(var("STOCKLEDGER_TLS_DIR")).join(name))
}

fn builder() -> ClientBuilder {
    Client::builder(var("STOCKLEDGER_TLS_ADDR"), var("STOCKLEDGER_TLS_TOKEN"))
        .connect_timeout(Duration::from_secs(10))
}

/// Trusts the test CA and presents the client certificate it signed.
fn trusted() -> ClientBuilder {
    builder()
        .ca_certificate_pem(read(var("STOCKLEDGER_TLS_CA")))
        .expect("the test CA is PEM")
        .identity_pem(
            read(var("STOCKLEDGER_TLS_CERT")),
            read(var("STOCKLEDGER_TLS_KEY")),
        )
        .expect("the client certificate and key are PEM")
}

fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

/// Creates a location and reads it back.
async fn round_trip(client: &Client) -> Result<(), Error> {
    let shop = client
        .create_location(NewLocation::new(unique("rust-tls-shop")))
        .await?;
    assert_eq!(client.get_location(&shop.id).await?, shop);
    Ok(())
}

/// The error of connecting with `builder` and making a call: the handshake may fail at
/// connect or (TLS 1.3: the server checks the client's certificate after the client has
/// finished) at the first call.
async fn refusal(builder: ClientBuilder) -> Error {
    match builder.connect().await {
        Err(err) => err,
        Ok(client) => round_trip(&client)
            .await
            .expect_err("the server must refuse this connection"),
    }
}

#[tokio::test]
async fn a_client_certificate_the_ca_signed_is_served() {
    let client = trusted().connect().await.expect("connect over mutual TLS");
    round_trip(&client).await.expect("a call over mutual TLS");
}

#[tokio::test]
async fn the_server_name_can_be_set_apart_from_the_address() {
    let client = trusted()
        .domain_name("localhost")
        .connect()
        .await
        .expect("connect by IP, verifying the name localhost");
    round_trip(&client)
        .await
        .expect("the certificate holds localhost");
    let err = refusal(trusted().domain_name("ledger.invalid")).await;
    assert_eq!(err.code(), Code::Unavailable, "{err}");
}

#[tokio::test]
async fn without_a_client_certificate_the_server_refuses() {
    let ca_only = builder()
        .ca_certificate_pem(read(var("STOCKLEDGER_TLS_CA")))
        .expect("the test CA is PEM");
    let err = refusal(ca_only).await;
    assert_eq!(err.code(), Code::Unavailable, "{err}");
}

#[tokio::test]
async fn a_client_certificate_of_another_ca_is_refused() {
    let other = builder()
        .ca_certificate_pem(read(var("STOCKLEDGER_TLS_CA")))
        .expect("the test CA is PEM")
        .identity_pem(file("other-client.pem"), file("other-client.key"))
        .expect("the other client certificate and key are PEM");
    let err = refusal(other).await;
    assert_eq!(err.code(), Code::Unavailable, "{err}");
}

#[tokio::test]
async fn a_ca_that_did_not_issue_the_server_certificate_is_not_trusted() {
    let wrong_ca = builder()
        .ca_certificate_pem(file("other-ca.pem"))
        .expect("the other CA is PEM")
        .identity_pem(
            read(var("STOCKLEDGER_TLS_CERT")),
            read(var("STOCKLEDGER_TLS_KEY")),
        )
        .expect("the client certificate and key are PEM");
    let err = refusal(wrong_ca).await;
    assert_eq!(err.code(), Code::Unavailable, "{err}");
}

#[tokio::test]
async fn system_roots_do_not_trust_the_test_ca() {
    // TLS without a CA certificate trusts the system's roots, which do not hold the test CA.
    let err = refusal(
        builder()
            .tls()
            .identity_pem(
                read(var("STOCKLEDGER_TLS_CERT")),
                read(var("STOCKLEDGER_TLS_KEY")),
            )
            .expect("the client certificate and key are PEM"),
    )
    .await;
    assert_eq!(err.code(), Code::Unavailable, "{err}");
}

#[tokio::test]
async fn plaintext_is_refused_by_the_tls_server() {
    let err = refusal(builder()).await;
    assert_eq!(err.code(), Code::Unavailable, "{err}");
}
