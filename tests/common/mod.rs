//! The one test helper: a real stockledger server on an ephemeral port, on a fresh
//! database of the chosen backend, with connected generated clients.
#![allow(dead_code)]

pub mod bearer;
pub mod cluster;
pub mod front_doors;
pub mod ledger;
pub mod load;
pub mod paging;
pub mod ports;
pub mod postgres;
pub mod process;
pub mod reflection;
pub mod tmpfs;

pub use bearer::{Authed, Bearer};

use std::net::SocketAddr;

use stockledger::auth::scopes::Scope;
use stockledger::proto::v1::{
    inventory_item_service_client::InventoryItemServiceClient,
    inventory_service_client::InventoryServiceClient,
    location_service_client::LocationServiceClient,
    reservation_service_client::ReservationServiceClient,
    webhook_service_client::WebhookServiceClient,
};
use stockledger::store::Store;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

/// The merchant every [`TestServer`] client acts for.
pub const TEST_MERCHANT: &str = "test-merchant";

/// A well-formed id that names nothing.
pub const UNKNOWN_ID: &str = "01a20c5a-8f67-7031-9d39-e3d5cae5d630";

/// A field mask of `paths`.
pub fn mask(paths: &[&str]) -> Option<prost_types::FieldMask> {
    Some(prost_types::FieldMask {
        paths: paths.iter().map(|p| p.to_string()).collect(),
    })
}

/// Clients of every stockledger service, all using one token.
#[derive(Clone, Debug)]
pub struct Clients {
    /// InventoryItemService client.
    pub items: InventoryItemServiceClient<Authed>,
    /// LocationService client.
    pub locations: LocationServiceClient<Authed>,
    /// InventoryService client.
    pub inventory: InventoryServiceClient<Authed>,
    /// ReservationService client.
    pub reservations: ReservationServiceClient<Authed>,
    /// WebhookService client.
    pub webhooks: WebhookServiceClient<Authed>,
}

impl Clients {
    /// Clients over `channel` sending `token` (any text: invalid tokens are tested too).
    pub fn new(channel: &Channel, token: &str) -> Clients {
        let bearer = Bearer::new(token);
        let authed = || InterceptedService::new(channel.clone(), bearer.clone());
        Clients {
            items: InventoryItemServiceClient::new(authed()),
            locations: LocationServiceClient::new(authed()),
            inventory: InventoryServiceClient::new(authed()),
            reservations: ReservationServiceClient::new(authed()),
            webhooks: WebhookServiceClient::new(authed()),
        }
    }
}

/// Which database a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in a temporary directory.
    Sqlite,
    /// A database in the throw-away PostgreSQL cluster.
    Postgres,
}

/// A running server and clients connected to it. Dropping it stops the server. It derefs to
/// its [`Clients`], so `server.items` is its InventoryItemService client, and a helper taking
/// `&mut Clients` takes `&mut server` too.
pub struct TestServer {
    /// Where the server listens.
    pub addr: SocketAddr,
    /// The database URL it serves from.
    pub database_url: String,
    /// A channel to the server (unauthenticated).
    pub channel: Channel,
    /// The token of the clients below: every scope, merchant [`TEST_MERCHANT`].
    pub token: String,
    /// Clients of every service, sending [`TestServer::token`].
    pub clients: Clients,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl TestServer {
    /// Starts a server on a fresh database of `backend`.
    pub async fn start(backend: Backend) -> TestServer {
        let (database_url, dir) = fresh_database(backend).await;
        Self::start_on(database_url, dir).await
    }

    /// Starts a server on an existing database (migrated if it is not yet), as its
    /// operator would after filling it with `stockledger import`.
    pub async fn start_at(database_url: String) -> TestServer {
        let dir = tempfile::tempdir().expect("creating a temporary directory");
        Self::start_on(database_url, dir).await
    }

    async fn start_on(database_url: String, dir: tempfile::TempDir) -> TestServer {
        let store = Store::connect(&database_url)
            .await
            .expect("connecting to the test database");
        store.migrate().await.expect("migrating the test database");
        let token = mint_token(&store, TEST_MERCHANT, &Scope::ALL, "Test application").await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding");
        let addr = listener.local_addr().expect("local address");
        let (shutdown, stop) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            stockledger::server::serve(store, listener, async {
                stop.await.ok();
            })
            .await
            .expect("server failed");
        });
        let channel = connect(addr).await;
        let clients = Clients::new(&channel, &token);
        TestServer {
            addr,
            database_url,
            token,
            clients,
            channel,
            shutdown: Some(shutdown),
            task: Some(task),
            _dir: dir,
        }
    }

    /// A new token for `merchant` (created if needed) with `scopes`.
    pub async fn token_for(&self, merchant: &str, scopes: &[Scope], app_name: &str) -> String {
        let store = Store::connect(&self.database_url).await.expect("connect");
        let token = mint_token(&store, merchant, scopes, app_name).await;
        store.close().await.ok();
        token
    }

    /// Clients sending `token`.
    pub fn clients(&self, token: &str) -> Clients {
        Clients::new(&self.channel, token)
    }

    /// Clients with the server's own token on a connection of their own, as another
    /// program would have.
    pub async fn new_connection(&self) -> Clients {
        Clients::new(&connect(self.addr).await, &self.token)
    }

    /// Stops the server, waiting for in-flight calls to finish.
    pub async fn stop(mut self) {
        self.stop_in_place().await;
    }

    /// Another server (a replica) on the same database.
    pub async fn replica(&self) -> TestServer {
        let dir = tempfile::tempdir().expect("temporary directory");
        Self::start_on(self.database_url.clone(), dir).await
    }

    /// Stops the server and starts a new one on the same database.
    pub async fn restart(mut self) -> TestServer {
        self.stop_in_place().await;
        let dir = std::mem::replace(
            &mut self._dir,
            tempfile::tempdir().expect("temporary directory"),
        );
        Self::start_on(self.database_url.clone(), dir).await
    }

    async fn stop_in_place(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            shutdown.send(()).ok();
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task panicked");
        }
    }
}

/// The URL of a fresh, empty database of `backend`, and the directory an SQLite one lives
/// in (removed when dropped).
pub async fn fresh_database(backend: Backend) -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("creating a temporary directory");
    let database_url = match backend {
        Backend::Sqlite => format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display()),
        Backend::Postgres => postgres::fresh_database_url().await,
    };
    (database_url, dir)
}

/// A fresh, migrated SQLite database (in a directory removed when dropped) and a token with
/// every scope for `merchant`, for tests that start the binary themselves: (its URL, the
/// token, the directory).
pub async fn sqlite_with_token(
    merchant: &str,
    app_name: &str,
) -> (String, String, tempfile::TempDir) {
    let (url, dir) = fresh_database(Backend::Sqlite).await;
    let store = Store::connect(&url).await.expect("connecting");
    store.migrate().await.expect("migrating");
    let token = mint_token(&store, merchant, &Scope::ALL, app_name).await;
    store.close().await.expect("closing the store");
    (url, token, dir)
}

impl std::ops::Deref for TestServer {
    type Target = Clients;

    fn deref(&self) -> &Clients {
        &self.clients
    }
}

impl std::ops::DerefMut for TestServer {
    fn deref_mut(&mut self) -> &mut Clients {
        &mut self.clients
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            shutdown.send(()).ok();
        }
    }
}

/// Runs each named `async fn(TestServer)` as two tests, `name::sqlite` and
/// `name::postgres`, each given a fresh [`TestServer`] on that backend. The test bodies stay
/// ordinary functions, where rustfmt and rust-analyzer reach them.
#[macro_export]
macro_rules! on_both_backends {
    ($($test:ident),+ $(,)?) => {
        $(
            mod $test {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let server =
                        $crate::common::TestServer::start($crate::common::Backend::Sqlite).await;
                    super::$test(server).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let server =
                        $crate::common::TestServer::start($crate::common::Backend::Postgres).await;
                    super::$test(server).await;
                }
            }
        )+
    };
}

/// The code and the decoded rich details of a failed call.
pub struct CallError {
    /// The gRPC code.
    pub code: tonic::Code,
    /// The ErrorInfo reason, if any.
    pub reason: Option<String>,
    /// The fields named by BadRequest violations.
    pub fields: Vec<String>,
    /// The status message.
    pub message: String,
}

/// Unpacks a failed call's status.
pub fn call_error(status: tonic::Status) -> CallError {
    use tonic_types::StatusExt;
    let details = status.get_error_details();
    CallError {
        code: status.code(),
        reason: details.error_info().map(|i| i.reason.clone()),
        fields: details
            .bad_request()
            .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
            .unwrap_or_default(),
        message: status.message().to_owned(),
    }
}

/// Asserts a call failed with `code`, naming exactly `fields` in its violations.
#[track_caller]
pub fn assert_rejected<T: std::fmt::Debug>(
    result: Result<T, tonic::Status>,
    code: tonic::Code,
    fields: &[&str],
) -> CallError {
    let status = result.expect_err("the call should have failed");
    let err = call_error(status);
    assert_eq!(err.code, code, "unexpected code; message: {}", err.message);
    assert_eq!(
        err.fields, fields,
        "unexpected violations; message: {}",
        err.message
    );
    assert!(
        err.reason.is_some(),
        "every error carries an ErrorInfo reason"
    );
    err
}

/// Asserts that `lookup` refuses malformed ids as INVALID_ARGUMENT naming `field`, and
/// answers NOT_FOUND, naming `field` too, for a well-formed id that names nothing.
pub async fn assert_ids_checked<T: std::fmt::Debug>(
    field: &str,
    mut lookup: impl AsyncFnMut(&str) -> Result<T, tonic::Status>,
) {
    for malformed in ["", "nope"] {
        let refused = lookup(malformed).await;
        assert_rejected(refused, tonic::Code::InvalidArgument, &[field]);
    }
    assert_rejected(lookup(UNKNOWN_ID).await, tonic::Code::NotFound, &[field]);
}

/// Mints and stores a token, returning the bearer text.
pub async fn mint_token(store: &Store, merchant: &str, scopes: &[Scope], app_name: &str) -> String {
    let minted = stockledger::auth::token::mint().expect("randomness");
    store
        .create_token(
            merchant,
            scopes,
            app_name,
            &minted.id,
            &minted.secret_digest,
        )
        .await
        .expect("storing a token");
    minted.bearer
}

/// A new connection to a server at `addr`.
pub async fn connect(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .expect("valid uri")
        .connect()
        .await
        .expect("connecting to the server")
}

/// A token's two parts: `slk_<id>` and its secret. The secret is base64url and may itself
/// hold `_`, so the split is at the second `_`, never the last.
pub fn token_parts(token: &str) -> (&str, &str) {
    let id_end = token
        .match_indices('_')
        .nth(1)
        .map(|(i, _)| i)
        .expect("a token of the form slk_<id>_<secret>");
    (&token[..id_end], &token[id_end + 1..])
}
