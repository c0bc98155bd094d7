//! The `stockledger` binary: `serve`, `migrate`, `token`, `reorder-point`, `verify`,
//! `import`, `export` and `backup`.

use std::process::ExitCode;

use clap::Parser;
use stockledger::auth::scopes::{Scope, parse_scope_list};
use stockledger::auth::token;
use stockledger::config::{
    Cli, Command, ExportArgs, ImportArgs, ReorderPointArgs, ReorderPointCommand, TokenCommand,
    WebhookCommand,
};
use stockledger::server::tls::Tls;
use stockledger::store::merchants::DEFAULT_MERCHANT;
use stockledger::store::tokens::TokenRecord;
use stockledger::store::{Store, backup};
use stockledger::transfer::export::{self, ExportOptions};
use stockledger::transfer::import;
use stockledger::{server, telemetry};

// The server allocates and frees many small strings per row streamed or written; glibc's
// allocator spent a fifth of a history stream's CPU consolidating them (perf).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let otlp_endpoint = match &cli.command {
        Command::Serve(args) => args.otlp_endpoint.clone(),
        _ => None,
    };
    let telemetry = match telemetry::init(cli.log_format, otlp_endpoint.as_deref()) {
        Ok(telemetry) => telemetry,
        Err(err) => {
            eprintln!("stockledger: {err}");
            return ExitCode::FAILURE;
        }
    };
    let code = match run(cli.command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "stockledger failed");
            ExitCode::FAILURE
        }
    };
    // The spans of the last calls, stopped by a signal, are exported before the process ends.
    telemetry.shutdown().await;
    code
}

async fn run(command: Command) -> Result<(), Box<dyn std::error::Error>> {
    match command {
        Command::Serve(args) => {
            // The TLS files before anything else: a wrong one stops the server at once.
            let limits = args.limits();
            let tls = args
                .tls_files()
                .map(|files| Tls::load(&files, limits.connections.handshake_timeout))
                .transpose()?;
            // Both addresses first: a taken address stops the server before it says anything.
            // They listen only once the schema is ready, so a caller that can connect can
            // also be served (nobody waits in a backlog through a migration).
            let grpc_address = reserve(args.listen, "--listen")?;
            let http_address = args
                .http_listen
                .map(|address| reserve(address, "--http-listen"))
                .transpose()?;
            let metrics_address = args
                .metrics_listen
                .map(|address| reserve(address, "--metrics-listen"))
                .transpose()?;
            let store = Store::connect(&args.database.database_url).await?;
            let applied = store.migrate().await?;
            if !applied.is_empty() {
                tracing::info!(migrations = %applied.join(", "), "database schema migrated");
            }
            let listener = grpc_address.listen()?;
            let http = http_address.map(Reserved::listen).transpose()?;
            let metrics = metrics_address.map(Reserved::listen).transpose()?;
            if !args.no_dev_token && store.token_count().await? == 0 {
                let address = listener.local_addr()?.to_string();
                print_development_token(&store, &address, tls.as_ref()).await?;
            }
            let security = match &tls {
                None => "plaintext",
                Some(tls) if tls.client_auth() => "TLS, client certificates required",
                Some(_) => "TLS",
            };
            tracing::info!(address = %listener.local_addr()?, security, "stockledger listening (gRPC)");
            if let Some(http) = &http {
                tracing::info!(
                    address = %http.local_addr()?,
                    "HTTP listening: Square and Shopify front doors, /console, /healthz"
                );
            }
            let grace = std::time::Duration::from_secs(args.shutdown_grace_seconds);
            if let Some(metrics) = &metrics {
                tracing::info!(address = %metrics.local_addr()?, "metrics listening: /metrics, /healthz");
            }
            let listeners = server::Listeners {
                grpc: listener,
                http,
                metrics,
                tls,
            };
            server::serve_until_signal(store.clone(), listeners, limits, grace).await?;
            store.close().await?;
            tracing::info!("stopped");
        }
        Command::Migrate(args) => {
            let store = Store::connect(&args.database_url).await?;
            let applied = store.migrate().await?;
            if applied.is_empty() {
                println!("the database's schema is up to date");
            } else {
                println!(
                    "applied {} migration(s): {}",
                    applied.len(),
                    applied.join(", ")
                );
            }
            store.close().await?;
        }
        Command::Token(args) => {
            let store = Store::connect(&args.database.database_url).await?;
            say_migrated(&store.migrate().await?);
            let result = run_token(&store, args.command).await;
            store.close().await?;
            result?;
        }
        Command::ReorderPoint(args) => {
            let store = Store::connect(&args.database.database_url).await?;
            say_migrated(&store.migrate().await?);
            let result = run_reorder_point(&store, args).await;
            store.close().await?;
            result?;
        }
        Command::Webhook(args) => {
            let store = Store::connect(&args.database.database_url).await?;
            say_migrated(&store.migrate().await?);
            let result = run_webhook(&store, args.merchant.as_deref(), args.command).await;
            store.close().await?;
            result?;
        }
        Command::Verify(args) => run_verify(&args.database_url).await?,
        Command::Import(args) => run_import(args).await?,
        Command::Export(args) => run_export(args).await?,
        Command::Backup(args) => {
            let made = backup::backup_sqlite(&args.database.database_url, &args.to).await?;
            println!(
                "backed up to {}: {} bytes, {} inventory changes",
                args.to.display(),
                made.bytes,
                made.changes
            );
        }
    }
    Ok(())
}

/// What a command other than `serve` and `migrate` tells on stderr when it had to migrate
/// the database's schema first (a new database, or one an older binary made).
fn say_migrated(applied: &[String]) {
    if !applied.is_empty() {
        eprintln!(
            "stockledger: migrated the database's schema first ({} migration(s), up to {})",
            applied.len(),
            applied.last().map_or("", String::as_str)
        );
    }
}

/// An address bound for a listener that does not listen yet: connections to it are refused
/// until [`Reserved::listen`], instead of queueing unanswered.
struct Reserved {
    socket: tokio::net::TcpSocket,
    address: std::net::SocketAddr,
    flag: &'static str,
}

/// Binds `address`, given by `flag`; an error names both.
fn reserve(address: std::net::SocketAddr, flag: &'static str) -> Result<Reserved, String> {
    let named = |e| cannot_listen(address, flag, e);
    let socket = if address.is_ipv4() {
        tokio::net::TcpSocket::new_v4()
    } else {
        tokio::net::TcpSocket::new_v6()
    }
    .map_err(named)?;
    // As `TcpListener::bind` does: a restarted server can take its address back at once.
    socket.set_reuseaddr(true).map_err(named)?;
    socket.bind(address).map_err(named)?;
    Ok(Reserved {
        socket,
        address,
        flag,
    })
}

impl Reserved {
    /// Starts accepting connections; an error names the address and its flag.
    fn listen(self) -> Result<tokio::net::TcpListener, String> {
        let Reserved {
            socket,
            address,
            flag,
        } = self;
        socket
            .listen(1024)
            .map_err(|e| cannot_listen(address, flag, e))
    }
}

/// Why `address`, given by `flag`, could not be listened on: both named.
fn cannot_listen(address: std::net::SocketAddr, flag: &str, error: std::io::Error) -> String {
    format!("cannot listen on {address} ({flag}): {error}")
}

/// `stockledger token create | list | revoke`.
async fn run_token(store: &Store, command: TokenCommand) -> Result<(), Box<dyn std::error::Error>> {
    match command {
        TokenCommand::Create {
            merchant,
            scopes,
            app_name,
            expires_in,
        } => {
            let scopes = parse_scope_list(&scopes)?;
            if app_name.trim().is_empty() {
                return Err("--app-name must not be empty".into());
            }
            let expires_at = match expires_in {
                None => None,
                Some(after) => {
                    let micros = i64::try_from(after.as_micros())
                        .ok()
                        .and_then(|after| stockledger::store::now_micros().checked_add(after))
                        .filter(|_| !after.is_zero())
                        .ok_or("--expires-in must be more than zero and less than 292,000 years")?;
                    Some(micros)
                }
            };
            let minted = token::mint()?;
            store
                .create_expiring_token(
                    &merchant,
                    &scopes,
                    app_name.trim(),
                    &minted.id,
                    &minted.secret_digest,
                    expires_at,
                )
                .await?;
            println!("{}", minted.bearer);
        }
        TokenCommand::List => {
            println!("ID\tMERCHANT\tAPPLICATION\tSCOPES\tSTATUS\tEXPIRES");
            let now = stockledger::store::now_micros();
            for (t, merchant_name) in store.list_tokens().await? {
                let scopes: Vec<&str> = t.scopes.iter().map(|s| s.as_str()).collect();
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    t.id,
                    merchant_name,
                    t.application_name,
                    scopes.join(","),
                    token_status(&t, now),
                    expiry(&t),
                );
            }
        }
        TokenCommand::Revoke { id } => {
            store
                .revoke_token(&id)
                .await
                .map_err(|e| format!("token {id}: {e}"))?;
            println!("revoked {id}");
        }
    }
    Ok(())
}

/// `stockledger reorder-point`: the same checks as SetInventoryReorderPoint, errors naming
/// the flag.
async fn run_reorder_point(
    store: &Store,
    args: ReorderPointArgs,
) -> Result<(), Box<dyn std::error::Error>> {
    use stockledger::domain::alert::parse_reorder_point;
    use stockledger::domain::id::canonical_id;
    use stockledger::store::alerts::{AlertQuery, SetReorderPoint};
    let id = |flag: &str, text: &str| {
        canonical_id(flag, text).map_err(|v| format!("{}: {}", v.field, v.description))
    };
    if args.merchant.trim().is_empty() {
        return Err("--merchant is required".into());
    }
    let merchant = store
        .find_merchant(&args.merchant)
        .await?
        .ok_or_else(|| format!("--merchant: no merchant {:?}", args.merchant))?;
    match args.command {
        ReorderPointCommand::Set {
            item,
            location,
            quantity,
        } => {
            let item = id("--item", &item)?;
            let location = id("--location", &location)?;
            let point = parse_reorder_point("--quantity", &quantity)
                .map_err(|v| format!("{}: {}", v.field, v.description))?;
            let now = stockledger::store::now_micros();
            match store
                .set_reorder_point(&merchant, &item, &location, point, now)
                .await?
            {
                SetReorderPoint::Set { quantity, low, .. } => {
                    let on_hand = quantity.map_or_else(|| "none".to_owned(), |q| q.to_string());
                    let state = if low { "low" } else { "not low" };
                    println!("set {point} for {item} at {location}: IN_STOCK {on_hand}, {state}");
                }
                SetReorderPoint::NoItem => return Err(format!("--item: no item {item}").into()),
                SetReorderPoint::NoLocation => {
                    return Err(format!("--location: no location {location}").into());
                }
            }
        }
        ReorderPointCommand::Delete { item, location } => {
            let item = id("--item", &item)?;
            let location = id("--location", &location)?;
            store
                .delete_reorder_point(&merchant, &item, &location)
                .await
                .map_err(|e| format!("reorder point of {item} at {location}: {e}"))?;
            println!("deleted the reorder point of {item} at {location}");
        }
        ReorderPointCommand::List { item, location } => {
            let query = AlertQuery {
                catalog_object_ids: item
                    .map(|i| id("--item", &i))
                    .transpose()?
                    .into_iter()
                    .collect(),
                location_ids: location
                    .map(|l| id("--location", &l))
                    .transpose()?
                    .into_iter()
                    .collect(),
            };
            println!("ITEM\tLOCATION\tREORDER_POINT\tUPDATED");
            let mut after = None;
            loop {
                let page = store
                    .list_reorder_points(&merchant, &query, after.take(), 1000)
                    .await?;
                for p in &page.items {
                    let updated = chrono::DateTime::from_timestamp_micros(p.updated_at)
                        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
                        .unwrap_or_default();
                    println!(
                        "{}\t{}\t{}\t{}",
                        p.catalog_object_id, p.location_id, p.reorder_point, updated
                    );
                }
                match page.items.last() {
                    Some(last) if page.has_more => {
                        after = Some((last.catalog_object_id.clone(), last.location_id.clone()));
                    }
                    _ => break,
                }
            }
        }
    }
    Ok(())
}

/// `stockledger webhook create | list | delete | replay`: the checks and answers of
/// WebhookService, on the database.
async fn run_webhook(
    store: &Store,
    merchant: Option<&str>,
    command: WebhookCommand,
) -> Result<(), Box<dyn std::error::Error>> {
    use stockledger::api::webhooks::start_position;
    use stockledger::domain::webhook::{
        EventType, SubscriptionDraft, WebhookFormat, validate_subscription,
    };
    let name = merchant.ok_or("--merchant is required")?;
    let merchant = store
        .find_merchant(name)
        .await?
        .ok_or_else(|| format!("--merchant: no merchant named {name:?}"))?;
    let head = store.feed_head(&merchant).await?;
    let from = |flag: Option<i64>| match flag {
        Some(0) => Err("--from-sequence must be at least 1".to_owned()),
        Some(from) => start_position("--from-sequence", from, head)
            .map(Some)
            .map_err(|e| e.to_string()),
        None => Ok(None),
    };
    match command {
        WebhookCommand::Create {
            url,
            format,
            events,
            name,
            shop_domain,
            from_sequence,
        } => {
            let draft = SubscriptionDraft {
                name,
                notification_url: url,
                format: WebhookFormat::from_stored(&format.to_ascii_uppercase()),
                event_types: events
                    .split(',')
                    .map(|e| EventType::from_stored(e.trim()))
                    .collect(),
                shopify_shop_domain: shop_domain,
            };
            let spec = validate_subscription(&draft).map_err(|violations| {
                let flag = |field: &str| match field.split('[').next() {
                    Some("notification_url") => "--url",
                    Some("event_types") => "--events",
                    Some("format") => "--format",
                    Some("shopify_shop_domain") => "--shop-domain",
                    _ => "--name",
                };
                violations
                    .0
                    .iter()
                    .map(|v| format!("{}: {}", flag(&v.field), v.description))
                    .collect::<Vec<_>>()
                    .join("; ")
            })?;
            let after = from(from_sequence)?.map_or(head, |p| p.seq);
            let created = store
                .create_webhook_subscription(&merchant, spec, after)
                .await?;
            println!("id={}", created.id);
            println!("signature_key={}", created.signature_key);
        }
        WebhookCommand::List => {
            println!("ID\tFORMAT\tEVENTS\tSTATE\tDELIVERED\tFEED\tFAILURES\tURL\tLAST_ERROR");
            for s in store.list_webhook_subscriptions(&merchant).await? {
                let events: Vec<&str> = s.spec.event_types.iter().map(|e| e.as_str()).collect();
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    s.id,
                    s.spec.format.as_str(),
                    events.join(","),
                    s.state.as_str(),
                    s.position.seq,
                    head,
                    s.failed_attempts,
                    s.spec.notification_url,
                    s.last_error,
                );
            }
        }
        WebhookCommand::Delete { id } => {
            store
                .delete_webhook_subscription(&merchant, &id)
                .await
                .map_err(|e| format!("subscription {id}: {e}"))?;
            println!("deleted {id}");
        }
        WebhookCommand::Replay { id, from_sequence } => {
            let replayed = store
                .replay_webhook_subscription(&merchant, &id, from(from_sequence)?)
                .await
                .map_err(|e| format!("subscription {id}: {e}"))?;
            println!(
                "replaying {id} after feed sequence {}",
                replayed.position.seq
            );
        }
    }
    Ok(())
}

/// A token's status in `token list`: revoked, expired or active.
fn token_status(token: &TokenRecord, now: i64) -> &'static str {
    if token.revoked_at.is_some() {
        "revoked"
    } else if token.expired_at(now) {
        "expired"
    } else {
        "active"
    }
}

/// A token's expiry in `token list`: RFC 3339 UTC to the second, or `never`.
fn expiry(token: &TokenRecord) -> String {
    token
        .expires_at
        .and_then(chrono::DateTime::from_timestamp_micros)
        .map_or_else(
            || "never".to_owned(),
            |at| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        )
}

/// `stockledger import`: every refused row on stdout, then the tallies; fails if any row
/// was refused.
async fn run_import(args: ImportArgs) -> Result<(), Box<dyn std::error::Error>> {
    let options = import::options_from_files(
        &args.merchant,
        &args.files,
        [
            args.items,
            args.locations,
            args.changes,
            args.reservations,
            args.reorder_points,
        ],
        args.dry_run,
        args.source_name,
    )?;
    let store = Store::connect(&args.database.database_url).await?;
    if !options.dry_run {
        // A dry run writes nothing, not even the schema.
        say_migrated(&store.migrate().await?);
    }
    let result = import::import(&store, &options).await;
    store.close().await?;
    let report = result?;
    for refusal in &report.refusals {
        println!("REFUSED {refusal}");
    }
    let verb = if options.dry_run {
        "checked"
    } else {
        "imported"
    };
    println!("items: {}", report.items);
    println!("locations: {}", report.locations);
    println!("changes: {}", report.changes);
    println!("reservations: {}", report.reservations);
    println!("reorder points: {}", report.reorder_points);
    if options.dry_run {
        println!("dry run: nothing written ('applied' counts the rows that would be)");
    }
    if report.has_refusals() {
        return Err(report.refusal_summary().into());
    }
    println!("{verb}: every row accepted");
    Ok(())
}

/// `stockledger export`.
async fn run_export(args: ExportArgs) -> Result<(), Box<dyn std::error::Error>> {
    let options = ExportOptions {
        merchant: args.merchant,
        format: args.format,
        out: args.out,
        since: args.since.map(|t| t.timestamp_micros()),
        until: args.until.map(|t| t.timestamp_micros()),
    };
    let store = Store::connect(&args.database.database_url).await?;
    let result = export::export(&store, &options).await;
    store.close().await?;
    for (path, rows) in result?.files {
        println!("{}: {rows} rows", path.display());
    }
    Ok(())
}

/// `stockledger verify`: rebuilds every count from its history; fails if any differs.
async fn run_verify(database_url: &str) -> Result<(), Box<dyn std::error::Error>> {
    // The default URL's mode=rwc would create an empty file, and then fail on its tables.
    if let Some(file) = stockledger::store::sqlite_file(database_url)
        && !file.exists()
    {
        let shown = file.display();
        return Err(format!("--database-url {database_url}: no database at {shown}").into());
    }
    let store = Store::connect(database_url).await?;
    let differences = store.verify_counts().await?;
    let checkpoints = store.verify_checkpoints().await?;
    store.close().await?;
    for d in &differences {
        let show = |q: Option<stockledger::domain::decimal::Fixed5>| {
            q.map_or("absent".to_owned(), |q| q.to_string())
        };
        println!(
            "DIFFERENCE merchant={} item={} location={} state={} stored={} history={}",
            d.merchant_id,
            d.key.catalog_object_id,
            d.key.location_id,
            d.key.state.as_str(),
            show(d.stored),
            show(d.expected),
        );
    }
    for d in &checkpoints {
        let position = |p: (i64, i64)| format!("{}/{}", p.0, p.1);
        println!(
            "DIFFERENCE merchant={} item={} location={} state={} checkpoint={} stored={} history={}",
            d.merchant_id,
            d.key.catalog_object_id,
            d.key.location_id,
            d.key.state.as_str(),
            position(d.stored.position),
            d.stored.quantity,
            d.expected
                .map_or("absent".to_owned(), |e| e.quantity.to_string()),
        );
    }
    if !differences.is_empty() || !checkpoints.is_empty() {
        return Err(format!(
            "{} count(s) and {} checkpoint(s) differ from their history",
            differences.len(),
            checkpoints.len()
        )
        .into());
    }
    println!("verified: every count equals its history, and so does every checkpoint");
    Ok(())
}

/// First run: a token with every scope for the default merchant, shown once on stdout
/// (never through the log) with a grpcurl line to paste.
async fn print_development_token(
    store: &Store,
    address: &str,
    tls: Option<&Tls>,
) -> Result<(), Box<dyn std::error::Error>> {
    let minted = token::mint()?;
    store
        .create_token(
            DEFAULT_MERCHANT,
            &Scope::ALL,
            "Development token",
            &minted.id,
            &minted.secret_digest,
        )
        .await?;
    println!(
        "Development token for merchant {DEFAULT_MERCHANT:?}, every scope (shown once; only its hash is stored):"
    );
    println!();
    println!("  export STOCKLEDGER_TOKEN={}", minted.bearer);
    println!();
    // grpcurl's transport flags: the CA that signed --tls-cert (and a client certificate).
    let transport = match tls {
        None => "-plaintext",
        Some(tls) if tls.client_auth() => "-cacert ca.pem -cert client.pem -key client.key",
        Some(_) => "-cacert ca.pem",
    };
    println!("Try it:");
    println!(
        "  grpcurl {transport} -H \"authorization: Bearer $STOCKLEDGER_TOKEN\" {address} stockledger.v1.LocationService/ListLocations"
    );
    if tls.is_some() {
        println!("(ca.pem: the certificate of the CA that signed --tls-cert.)");
    }
    println!("Turn this off with --no-dev-token (STOCKLEDGER_NO_DEV_TOKEN=true) in production.");
    println!();
    Ok(())
}
