//! TLS on every listener (`serve --tls-cert/--tls-key`, docs/operations.md "TLS"), from
//! outside: the real binary with certificates made by scripts/test-ca.sh, called over gRPC
//! (tonic's rustls client) and HTTPS (reqwest), plaintext refused; with `--tls-client-ca`
//! a client without a certificate, or with one another CA signed, is refused and one the
//! CA signed is served; unusable files stop the server at start, naming the flag.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::Clients;
use common::ports::free_port;
use common::process::{ServeProcess, run, serve};
use stockledger::proto::v1 as pb;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

/// A directory holding the certificates scripts/test-ca.sh makes.
struct TestCa {
    dir: tempfile::TempDir,
}

impl TestCa {
    fn new() -> TestCa {
        let dir = tempfile::tempdir().unwrap();
        let made = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/test-ca.sh"))
            .arg(dir.path())
            .status()
            .expect("running scripts/test-ca.sh");
        assert!(made.success(), "scripts/test-ca.sh failed");
        TestCa { dir }
    }

    fn path(&self, file: &str) -> PathBuf {
        self.dir.path().join(file)
    }

    fn read(&self, file: &str) -> Vec<u8> {
        std::fs::read(self.path(file)).unwrap()
    }
}

/// A server over TLS on a fresh SQLite database, with the doors on `http_port`; `extra`
/// flags added; and a token for its default merchant.
fn serve_tls(ca: &TestCa, extra: &[&str]) -> (ServeProcess, u16, String, tempfile::TempDir) {
    let db = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", db.path().join("tls.db").display());
    let (port, http_port) = (free_port(), free_port());
    let mut command = serve(&url, port);
    command
        .args(["--http-listen", &format!("127.0.0.1:{http_port}")])
        .arg("--tls-cert")
        .arg(ca.path("server.pem"))
        .arg("--tls-key")
        .arg(ca.path("server.key"))
        .args(extra)
        .arg("--no-dev-token");
    let server = ServeProcess::spawn(command, port);
    let token = token_from_cli(&url);
    (server, http_port, token, db)
}

/// A token for the default merchant, made with `stockledger token create` on `url`.
fn token_from_cli(url: &str) -> String {
    let out = run(
        &[
            "token",
            "create",
            "--merchant",
            "default",
            "--scopes",
            "LOCATIONS_READ,LOCATIONS_WRITE,INVENTORY_READ",
            "--app-name",
            "TLS tests",
        ],
        url,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A gRPC channel over TLS to 127.0.0.1:`port` trusting the test CA, presenting
/// `client` (a `<name>.pem`/`<name>.key` pair of the CA directory) if given.
async fn tls_channel(
    ca: &TestCa,
    port: u16,
    client: Option<&str>,
) -> Result<Channel, tonic::transport::Error> {
    let mut tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(ca.read("ca.pem")))
        .domain_name("localhost");
    if let Some(name) = client {
        tls = tls.identity(Identity::from_pem(
            ca.read(&format!("{name}.pem")),
            ca.read(&format!("{name}.key")),
        ));
    }
    Channel::from_shared(format!("https://127.0.0.1:{port}"))
        .unwrap()
        .tls_config(tls)?
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await
}

async fn serving(channel: Channel) -> bool {
    let answer = HealthClient::new(channel)
        .check(HealthCheckRequest::default())
        .await;
    answer.is_ok_and(|a| a.into_inner().status == ServingStatus::Serving as i32)
}

/// A location made and listed back over `channel` (real calls, authenticated): its id.
async fn location_round_trip(channel: &Channel, token: &str) -> String {
    let mut clients = Clients::new(channel, token);
    let made = clients
        .locations
        .create_location(pb::CreateLocationRequest {
            location: Some(pb::Location {
                name: "Over TLS".into(),
                ..Default::default()
            }),
        })
        .await
        .expect("creating a location over TLS")
        .into_inner();
    let listed = clients
        .locations
        .list_locations(pb::ListLocationsRequest::default())
        .await
        .expect("listing locations over TLS")
        .into_inner();
    let made_id = made.location.unwrap().id;
    assert!(listed.locations.iter().any(|l| l.id == made_id));
    made_id
}

/// An HTTPS client trusting the test CA, presenting `client` if given.
fn https_client(ca: &TestCa, client: Option<&str>) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&ca.read("ca.pem")).unwrap());
    if let Some(name) = client {
        let mut pem = ca.read(&format!("{name}.pem"));
        pem.extend(ca.read(&format!("{name}.key")));
        builder = builder.identity(reqwest::Identity::from_pem(&pem).unwrap());
    }
    builder.build().unwrap()
}

async fn healthz(client: &reqwest::Client, url: &str) -> Result<String, reqwest::Error> {
    client
        .get(url)
        .send()
        .await?
        .error_for_status()?
        .text()
        .await
}

#[tokio::test]
async fn grpc_and_the_doors_are_served_over_tls_and_plaintext_is_refused() {
    let ca = TestCa::new();
    let (server, http_port, token, _db) = serve_tls(&ca, &[]);

    let channel = tls_channel(&ca, server.port, None)
        .await
        .expect("a TLS channel");
    assert!(serving(channel.clone()).await);
    let location = location_round_trip(&channel, &token).await;

    // Plaintext HTTP/2 to the TLS port gets no answer.
    let plaintext = Channel::from_shared(format!("http://127.0.0.1:{}", server.port))
        .unwrap()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(5))
        .connect()
        .await;
    if let Ok(plaintext) = plaintext {
        assert!(!serving(plaintext).await, "plaintext gRPC was served");
    }
    // A client that does not trust the CA refuses the server.
    let untrusting = Channel::from_shared(format!("https://127.0.0.1:{}", server.port))
        .unwrap()
        .tls_config(
            ClientTlsConfig::new()
                .ca_certificate(Certificate::from_pem(ca.read("other-ca.pem")))
                .domain_name("localhost"),
        )
        .unwrap()
        .connect()
        .await;
    assert!(
        untrusting.is_err(),
        "a certificate from an untrusted CA was accepted"
    );

    let https = https_client(&ca, None);
    let health = healthz(&https, &format!("https://localhost:{http_port}/healthz"))
        .await
        .expect("/healthz over HTTPS");
    assert!(health.contains("SERVING"), "{health}");
    let square = https
        .post(format!(
            "https://127.0.0.1:{http_port}/v2/inventory/counts/batch-retrieve"
        ))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "location_ids": [location] }))
        .send()
        .await
        .expect("Square's door over HTTPS");
    assert_eq!(square.status(), 200, "{:?}", square.text().await);
    let plain = reqwest::get(format!("http://127.0.0.1:{http_port}/healthz")).await;
    assert!(plain.is_err(), "plaintext HTTP was served: {plain:?}");
}

#[tokio::test]
async fn with_a_client_ca_only_clients_it_signed_are_served() {
    let ca = TestCa::new();
    let client_ca = ca.path("ca.pem");
    let client_ca = client_ca.to_str().unwrap();
    let (server, http_port, token, _db) = serve_tls(&ca, &["--tls-client-ca", client_ca]);

    let signed = tls_channel(&ca, server.port, Some("client")).await.unwrap();
    assert!(serving(signed.clone()).await);
    location_round_trip(&signed, &token).await;
    // TLS 1.3 clients learn of a refused certificate at their first call, not at connect.
    for refused in [None, Some("other-client")] {
        let served = match tls_channel(&ca, server.port, refused).await {
            Ok(channel) => serving(channel).await,
            Err(_) => false,
        };
        assert!(!served, "a client presenting {refused:?} was served");
    }

    let url = format!("https://127.0.0.1:{http_port}/healthz");
    let health = healthz(&https_client(&ca, Some("client")), &url).await;
    assert!(
        health
            .expect("/healthz with a client certificate")
            .contains("SERVING")
    );
    for refused in [None, Some("other-client")] {
        let answer = healthz(&https_client(&ca, refused), &url).await;
        assert!(
            answer.is_err(),
            "HTTPS with {refused:?} was served: {answer:?}"
        );
    }
}

/// `serve` with `tls` flags on a fresh database: it must exit at once, failing; its stderr.
fn refused_start(tls: &[&Path]) -> String {
    let db = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", db.path().join("bad.db").display());
    let flags = ["--tls-cert", "--tls-key", "--tls-client-ca"];
    let mut command = serve(&url, free_port());
    for (flag, path) in flags.iter().zip(tls) {
        command.arg(flag).arg(path);
    }
    let out = command.stderr(Stdio::piped()).output().unwrap();
    assert!(!out.status.success(), "serve started with {tls:?}");
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn unusable_tls_files_stop_the_server_naming_the_flag_and_file() {
    let ca = TestCa::new();
    let missing = ca.path("missing.key");
    let error = refused_start(&[&ca.path("server.pem"), &missing]);
    assert!(
        error.contains("--tls-key") && error.contains("missing.key"),
        "{error}"
    );
    // A key that is not the certificate's.
    let error = refused_start(&[&ca.path("server.pem"), &ca.path("client.key")]);
    assert!(error.contains("--tls-key"), "{error}");
    // A key where the certificate should be.
    let error = refused_start(&[&ca.path("server.key"), &ca.path("server.key")]);
    assert!(
        error.contains("--tls-cert") && error.contains("no certificate"),
        "{error}"
    );
    let error = refused_start(&[
        &ca.path("server.pem"),
        &ca.path("server.key"),
        &ca.path("server.key"),
    ]);
    assert!(error.contains("--tls-client-ca"), "{error}");
    // A certificate without its key is a usage error.
    let db = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", db.path().join("u.db").display());
    let out = serve(&url, free_port())
        .arg("--tls-cert")
        .arg(ca.path("server.pem"))
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--tls-key"));
}
