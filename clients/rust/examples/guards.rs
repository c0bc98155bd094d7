//! The README's guarded changes as a program: a web shop that forbids negative counts
//! receives 5 only if the count does not exist yet, then tries a sale that expects 4 on the
//! shelf (refused: there are 5) and a sale of 6 (refused: only 5 available). Fresh names on
//! every run, so it runs again and again on the same server:
//!
//! ```sh
//! STOCKLEDGER_TOKEN=... cargo run -p stockledger-client --example guards   # STOCKLEDGER_ADDR defaults to 127.0.0.1:50051
//! ```

use std::time::{SystemTime, UNIX_EPOCH};

use stockledger_client::changes::{Expected, adjustment};
use stockledger_client::pb::{self, InventoryState as S};
use stockledger_client::{Client, Decimal, Error, GuardRefusal, NewItem, NewLocation};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::var("STOCKLEDGER_ADDR").unwrap_or_else(|_| "127.0.0.1:50051".into());
    let client = Client::connect(addr, std::env::var("STOCKLEDGER_TOKEN")?).await?;
    let run = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos();
    let shop = client
        .create_location(NewLocation::new(format!("Web Shop {run}")).forbid_negative_counts(true))
        .await?
        .id;
    let item = client
        .create_inventory_item(NewItem::new().sku(format!("MUG-{run}")))
        .await?
        .id;
    let batch = |key: &str, change| pb::BatchChangeInventoryRequest {
        idempotency_key: format!("{key}-{run}"),
        changes: vec![change],
        ..Default::default()
    };

    let receipt = adjustment(&item, &shop, S::None, S::InStock, Decimal::from(5))?
        .expecting(Expected::Absent)?;
    client
        .batch_change_inventory(batch("receive", receipt))
        .await?;

    // Sell 2, but only if the shelf still holds the 4 we saw.
    let sale = adjustment(&item, &shop, S::InStock, S::Sold, Decimal::from(2))?
        .expecting(Decimal::from(4))?;
    let err = refused(client.batch_change_inventory(batch("sale", sale)).await)?;
    if let Some(GuardRefusal::QuantityMismatch {
        actual_quantity,
        field,
        ..
    }) = err.guard_refusal()
    {
        println!("{field} is actually {actual_quantity:?}"); // changes[0].expected_quantity is actually Some(5)
    }

    let big_sale = adjustment(&item, &shop, S::InStock, S::Sold, Decimal::from(6))?;
    let err = refused(
        client
            .batch_change_inventory(batch("big-sale", big_sale))
            .await,
    )?;
    println!("only {:?} available", err.available_quantity()); // only Some(5) available
    Ok(())
}

/// The error of a call that had to be refused.
fn refused<T>(result: Result<T, Error>) -> Result<Error, &'static str> {
    result.err().ok_or("the batch was accepted")
}
