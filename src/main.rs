//! The `stockledger` binary: `serve`, `migrate` and `verify`.

use std::process::ExitCode;

use clap::Parser;
use stockledger::config::{Cli, Command};
use stockledger::store::Store;
use stockledger::{server, telemetry};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init(cli.log_format);
    match run(cli.command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "stockledger failed");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> Result<(), Box<dyn std::error::Error>> {
    match command {
        Command::Serve(args) => {
            let store = Store::connect(&args.database.database_url).await?;
            store.migrate().await?;
            let listener = tokio::net::TcpListener::bind(args.listen).await?;
            tracing::info!(address = %listener.local_addr()?, "stockledger listening");
            let grace = std::time::Duration::from_secs(args.shutdown_grace_seconds);
            server::serve_until_signal(store.clone(), listener, grace).await?;
            store.close().await?;
            tracing::info!("stopped");
        }
        Command::Migrate(args) => {
            let store = Store::connect(&args.database_url).await?;
            store.migrate().await?;
            tracing::info!("migrations applied");
            store.close().await?;
        }
        Command::Verify(args) => {
            let store = Store::connect(&args.database_url).await?;
            let differences = store.verify_counts().await?;
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
            if !differences.is_empty() {
                return Err(
                    format!("{} count(s) differ from their history", differences.len()).into(),
                );
            }
            println!("verified: every count equals its history");
        }
    }
    Ok(())
}
