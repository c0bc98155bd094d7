//! The process's open-file limit and the connection budget that must fit inside it. Every
//! connection is a file descriptor, and so are the database pool's connections (and on
//! SQLite its database, journal and shared-memory files), health's own database connection,
//! the listeners and the logs. When connections took them all, nothing else could open:
//! not the database, not a health check. So at start the soft limit is raised to the hard
//! one, and `--max-connections` is lowered, with a warning, to what fits with
//! [`KEPT_FOR_THE_REST`] descriptors to spare.

/// Descriptors never given to client connections: the pool's 16 database connections
/// (three files each on SQLite), health's and the feed's own connections, the listeners,
/// standard streams and the runtime's, with room to spare.
pub const KEPT_FOR_THE_REST: usize = 128;

/// Raises the soft open-file limit to the hard limit, and returns `max_connections`, or
/// fewer, so that it fits under that limit with [`KEPT_FOR_THE_REST`] to spare (at least
/// one connection). Warns when it lowers `max_connections` or cannot read the limit.
pub fn fit_connections(max_connections: usize) -> usize {
    let open_files = match raise_open_file_limit() {
        Ok(limit) => limit,
        Err(err) => {
            tracing::warn!(error = %err, "cannot read the open-file limit; --max-connections kept as given");
            return max_connections;
        }
    };
    let fits = usize::try_from(open_files)
        .unwrap_or(usize::MAX)
        .saturating_sub(KEPT_FOR_THE_REST)
        .max(1);
    if max_connections > fits {
        tracing::warn!(
            requested = max_connections,
            max_connections = fits,
            open_file_limit = open_files,
            kept_for_the_rest = KEPT_FOR_THE_REST,
            "--max-connections lowered to fit the open-file limit (raise `ulimit -n` for more)"
        );
        return fits;
    }
    max_connections
}

/// The soft open-file limit after raising it as far as the hard limit allows.
fn raise_open_file_limit() -> std::io::Result<u64> {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => Ok(limit),
        // Raising may be refused (e.g. an unlimited hard limit above the kernel's ceiling):
        // the current soft limit still holds.
        Err(_) => rlimit::Resource::NOFILE.get().map(|(soft, _)| soft),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_fit_under_the_open_file_limit_with_room_to_spare() {
        let (soft, _) = rlimit::Resource::NOFILE.get().unwrap();
        let fitted = fit_connections(usize::MAX);
        let (raised, _) = rlimit::Resource::NOFILE.get().unwrap();
        assert!(raised >= soft, "the soft limit is never lowered");
        assert_eq!(fitted as u64, raised - KEPT_FOR_THE_REST as u64);
        assert_eq!(fit_connections(10), 10, "a budget that fits is kept");
    }
}
