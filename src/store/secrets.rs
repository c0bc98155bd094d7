//! Secrets shared by every replica of a database, created on first use.

use sea_orm::{ActiveValue::Set, EntityTrait};

use super::entity::server_secret;
use super::{Store, StoreError, now_micros};

/// Length of a generated secret, bytes.
pub const SECRET_LEN: usize = 32;

impl Store {
    /// The secret called `name`: the stored one, or — on first use — 32 random bytes,
    /// stored so that every replica (and every restart) signs and checks with the same one.
    /// When two replicas create it at once, both end up with the one stored first.
    pub async fn shared_secret(&self, name: &str) -> Result<[u8; SECRET_LEN], StoreError> {
        let mut fresh = [0u8; SECRET_LEN];
        getrandom::fill(&mut fresh)
            .map_err(|e| StoreError::Corrupt(format!("no randomness: {e}")))?;
        let row = server_secret::ActiveModel {
            name: Set(name.to_owned()),
            secret: Set(hex(&fresh)),
            created_at: Set(now_micros()),
        };
        server_secret::Entity::insert(row)
            .on_conflict_do_nothing()
            .exec(self.connection())
            .await?;
        let stored = server_secret::Entity::find_by_id(name.to_owned())
            .one(self.connection())
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("secret {name:?} vanished")))?;
        unhex(&stored.secret).ok_or_else(|| {
            StoreError::Corrupt(format!("secret {name:?} is not {SECRET_LEN} hex bytes"))
        })
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<[u8; SECRET_LEN]> {
    let mut out = [0u8; SECRET_LEN];
    if text.len() != SECRET_LEN * 2 {
        return None;
    }
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}
