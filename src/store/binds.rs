//! Bind values and their placeholders in the style of the backend, for the statements the
//! store writes by hand (`?` on SQLite, `$1`, `$2`, … on PostgreSQL).

use sea_orm::{DatabaseBackend, Value};

/// The values of one statement, in order.
pub(crate) struct Binds {
    backend: DatabaseBackend,
    /// The values pushed so far, to pass with the statement.
    pub(crate) values: Vec<Value>,
}

impl Binds {
    /// No values yet, for a statement on `backend`.
    pub(crate) fn new(backend: DatabaseBackend) -> Binds {
        Binds {
            backend,
            values: Vec::new(),
        }
    }

    /// Adds `value` and returns its placeholder.
    pub(crate) fn push(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        match self.backend {
            DatabaseBackend::Postgres => format!("${}", self.values.len()),
            _ => "?".to_owned(),
        }
    }
}
