//! The README's reservations as a program: a shop with 3 mugs holds 2 for a cart, is refused
//! a second hold of 2 (only 1 available), sells 1 of the 2 held, releases the other, lists
//! the cart's reservation by its reference id, and is refused a commit of a reservation that
//! holds nothing. Fresh names on every run, so it runs again and again on the same server:
//!
//! ```sh
//! STOCKLEDGER_TOKEN=... cargo run -p stockledger-client --example reservations   # STOCKLEDGER_ADDR defaults to 127.0.0.1:50051
//! ```

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::TryStreamExt;
use stockledger_client::changes::adjustment;
use stockledger_client::pb::{self, InventoryState as S};
use stockledger_client::{
    Client, Commit, Decimal, Error, GuardRefusal, Hold, NewItem, NewLocation, NewReservation,
    ReservationFilter, ReservationLine,
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::var("STOCKLEDGER_ADDR").unwrap_or_else(|_| "127.0.0.1:50051".into());
    let client = Client::connect(addr, std::env::var("STOCKLEDGER_TOKEN")?).await?;
    let run = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos();
    let shop = client
        .create_location(NewLocation::new(format!("Web Shop {run}")))
        .await?
        .id;
    let item = client
        .create_inventory_item(NewItem::new().sku(format!("MUG-{run}")))
        .await?
        .id;
    client
        .batch_change_inventory(pb::BatchChangeInventoryRequest {
            idempotency_key: format!("receive-{run}"),
            changes: vec![adjustment(
                &item,
                &shop,
                S::None,
                S::InStock,
                Decimal::from(3),
            )?],
            ..Default::default()
        })
        .await?;

    let lines = vec![ReservationLine::new(&item, &shop, Decimal::from(2))];
    let hold = Hold::For(Duration::from_secs(15 * 60));
    let cart = client
        .create_reservation(
            NewReservation::new(lines.clone(), hold).reference_id(format!("cart-{run}")),
        )
        .await?;
    let err = refused(
        client
            .create_reservation(NewReservation::new(lines, hold))
            .await,
    )?;
    if let Some(GuardRefusal::InsufficientQuantity {
        field,
        available_quantity,
        ..
    }) = err.guard_refusal()
    {
        println!("{field} has only {available_quantity}"); // lines[0].quantity has only 1
    }

    // Sell 1 of the 2, give the other back.
    client
        .commit_reservation(&cart.id, Commit::line(0, Decimal::ONE))
        .await?;
    let cart = client.release_reservation(&cart.id).await?;
    let line = &cart.lines[0];
    println!(
        "{:?} {} {}",
        cart.state, line.committed_quantity, line.released_quantity
    ); // Released 1 1
    let carts: Vec<_> = client
        .list_reservations(ReservationFilter::all().reference_id(&cart.reference_id))
        .try_collect()
        .await?;
    println!("{:?}", carts.iter().map(|r| r.state).collect::<Vec<_>>()); // [Released]

    let err = refused(client.commit_reservation(&cart.id, Commit::all()).await)?;
    println!("{:?} {:?}", err.reason(), err.reservation_state()); // Some("RESERVATION_NOT_HELD") Some(Released)
    Ok(())
}

/// The error of a call that had to be refused.
fn refused<T>(result: Result<T, Error>) -> Result<Error, &'static str> {
    result.err().ok_or("the call was accepted")
}
