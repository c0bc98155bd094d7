//! Following the primary among several PostgreSQL hosts: a URL may name a primary and its
//! standbys as libpq does, `postgres://user@host1:5432,host2:5432/db`. The store connects
//! to whichever host takes writes (`pg_is_in_recovery()` false) and, while the database
//! does not answer or answers as a read-only standby, looks for the primary again every
//! [`RECHECK_INTERVAL`]; once a standby is promoted, new connections go to it, without a
//! restart (docs/reliability.md, "Failover"). A single-host URL is used as it is.

use std::str::FromStr;
use std::time::Duration;

use sea_orm::sqlx::postgres::PgConnectOptions;
use sea_orm::sqlx::{ConnectOptions, Connection, PgPool};

/// How often the primary is looked for while the current host cannot take writes.
const RECHECK_INTERVAL: Duration = Duration::from_millis(500);
/// How long one host has to answer whether it is the primary.
const HOST_TIMEOUT: Duration = Duration::from_secs(2);

/// The single-host URLs a URL names, in its order: one per host of a comma-separated
/// host list (each with its own port, or the default), the rest of the URL shared. `None`
/// for a URL with one host, or one that is not PostgreSQL's.
pub(crate) fn host_urls(url: &str) -> Option<Vec<String>> {
    let (scheme, rest) = url.split_once("://")?;
    if !matches!(scheme, "postgres" | "postgresql") {
        return None;
    }
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let (userinfo, hosts) = match authority.rsplit_once('@') {
        Some((userinfo, hosts)) => (Some(userinfo), hosts),
        None => (None, authority),
    };
    if !hosts.contains(',') {
        return None;
    }
    Some(
        hosts
            .split(',')
            .map(|host| match userinfo {
                Some(userinfo) => format!("{scheme}://{userinfo}@{host}{tail}"),
                None => format!("{scheme}://{host}{tail}"),
            })
            .collect(),
    )
}

/// Connection options for one host's URL, as the pool uses them.
pub(crate) fn options(url: &str) -> Result<PgConnectOptions, sea_orm::sqlx::Error> {
    Ok(PgConnectOptions::from_str(url)?.disable_statement_logging())
}

/// The first of `urls` whose host takes writes, if any answers so.
pub(crate) async fn find_primary(urls: &[String]) -> Option<String> {
    for url in urls {
        if is_primary(url).await {
            return Some(url.clone());
        }
    }
    None
}

async fn is_primary(url: &str) -> bool {
    let Ok(options) = options(url) else {
        return false;
    };
    let check = async {
        let mut connection = options.connect().await?;
        let in_recovery: bool = sea_orm::sqlx::query_scalar("SELECT pg_is_in_recovery()")
            .fetch_one(&mut connection)
            .await?;
        connection.close().await.ok();
        Ok::<_, sea_orm::sqlx::Error>(!in_recovery)
    };
    matches!(
        tokio::time::timeout(HOST_TIMEOUT, check).await,
        Ok(Ok(true))
    )
}

/// Keeps `pools` connecting to the primary among `urls`, starting from `current`, until
/// the first pool is closed; the second one (small, health's) asks whether its host is
/// still the primary.
pub(crate) async fn follow(urls: Vec<String>, mut current: String, pools: Vec<PgPool>) {
    loop {
        tokio::time::sleep(RECHECK_INTERVAL).await;
        if pools[0].is_closed() {
            return;
        }
        // Through a pooled connection: no new connection while all is well.
        let in_recovery = sea_orm::sqlx::query_scalar::<_, bool>("SELECT pg_is_in_recovery()")
            .fetch_one(&pools[1]);
        if matches!(
            tokio::time::timeout(HOST_TIMEOUT, in_recovery).await,
            Ok(Ok(false))
        ) {
            continue;
        }
        let Some(primary) = find_primary(&urls).await else {
            continue;
        };
        if primary == current {
            continue;
        }
        let Ok(options) = options(&primary) else {
            continue;
        };
        tracing::warn!(
            from = %host_of(&current),
            to = %host_of(&primary),
            "the database's primary moved; new connections go to the new one"
        );
        for pool in &pools {
            pool.set_connect_options(options.clone());
        }
        current = primary;
    }
}

/// The host and port of a URL, for the log (never its password).
fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_lists_split_into_one_url_per_host() {
        assert_eq!(
            host_urls("postgres://u:p@a:5432,b:5433/db?sslmode=disable"),
            Some(vec![
                "postgres://u:p@a:5432/db?sslmode=disable".to_owned(),
                "postgres://u:p@b:5433/db?sslmode=disable".to_owned(),
            ])
        );
        assert_eq!(
            host_urls("postgresql://a,b/db"),
            Some(vec![
                "postgresql://a/db".to_owned(),
                "postgresql://b/db".to_owned()
            ])
        );
        assert_eq!(host_urls("postgres://u@a:5432/db"), None);
        assert_eq!(host_urls("sqlite://a,b.db?mode=rwc"), None);
        assert_eq!(host_of("postgres://u:secret@a:5432/db"), "a:5432");
    }
}
