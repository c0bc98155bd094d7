//! A real server with both listeners — gRPC and the HTTP front doors (`--http-listen`) — on a
//! fresh database of either backend, a token with every scope, gRPC clients and the HTTP base
//! URL: what the Square, Shopify and OpenAPI tests drive.

use stockledger::auth::scopes::Scope;
use stockledger::server::{ServerLimits, serve_with_http};
use stockledger::store::Store;
use tokio::sync::oneshot;

use super::{Backend, Clients, connect, mint_token, postgres};

/// A running server with both listeners; dropping it stops the server.
pub struct FrontDoors {
    /// `http://127.0.0.1:<port>` of the HTTP listener.
    pub base: String,
    /// A token with every scope.
    pub token: String,
    /// The server's database.
    pub database_url: String,
    /// gRPC clients sending `token`.
    pub clients: Clients,
    /// A plain HTTP client.
    pub http: reqwest::Client,
    _stop: oneshot::Sender<()>,
    _dir: tempfile::TempDir,
}

impl FrontDoors {
    /// Starts a server on a fresh `backend` database, its token minted for `merchant` and
    /// the application `app`.
    pub async fn start(backend: Backend, merchant: &str, app: &str) -> FrontDoors {
        let dir = tempfile::tempdir().expect("temporary directory");
        let database_url = match backend {
            Backend::Sqlite => format!("sqlite://{}?mode=rwc", dir.path().join("s.db").display()),
            Backend::Postgres => postgres::fresh_database_url().await,
        };
        FrontDoors::start_on(database_url, dir, merchant, app).await
    }

    /// [`FrontDoors::start`] on the database at `database_url`; `dir` lives as long as the
    /// server.
    pub async fn start_on(
        database_url: String,
        dir: tempfile::TempDir,
        merchant: &str,
        app: &str,
    ) -> FrontDoors {
        let store = Store::connect(&database_url).await.expect("connecting");
        store.migrate().await.expect("migrating");
        let token = mint_token(&store, merchant, &Scope::ALL, app).await;
        let grpc = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let http = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let (grpc_addr, http_addr) = (grpc.local_addr().unwrap(), http.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let shutdown = async {
                stopped.await.ok();
            };
            serve_with_http(store, grpc, Some(http), ServerLimits::default(), shutdown)
                .await
                .expect("server failed");
        });
        let channel = connect(grpc_addr).await;
        FrontDoors {
            base: format!("http://{http_addr}"),
            clients: Clients::new(&channel, &token),
            token,
            database_url,
            http: reqwest::Client::new(),
            _stop: stop,
            _dir: dir,
        }
    }
}
