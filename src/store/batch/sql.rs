//! Set-based SQL for a group: multi-row `VALUES` lists, split only where the database's
//! bind limit requires, in the placeholder style of each backend.

use sea_orm::sea_query::Value;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseTransaction, QueryResult, Statement};

use crate::store::StoreError;

/// Most bind values in one statement (SQLite allows 32,766, PostgreSQL 65,535).
const MAX_BIND_VALUES: usize = 30_000;

/// `$1, $2, …` on PostgreSQL, `?` on SQLite: `rows` parenthesised tuples of `width`.
pub(in crate::store) fn tuples(backend: DatabaseBackend, rows: usize, width: usize) -> String {
    let mut sql = String::with_capacity(rows * width * 5);
    let mut n = 0;
    for r in 0..rows {
        sql.push_str(if r == 0 { "(" } else { ",(" });
        for c in 0..width {
            if c > 0 {
                sql.push(',');
            }
            n += 1;
            match backend {
                DatabaseBackend::Postgres => {
                    sql.push('$');
                    sql.push_str(&n.to_string());
                }
                _ => sql.push('?'),
            }
        }
        sql.push(')');
    }
    sql
}

/// Runs `head VALUES (…),(…) tail` over `rows` in as few statements as the bind limit
/// allows, returning the rows each statement returned.
pub(super) async fn run_values(
    tx: &DatabaseTransaction,
    head: &str,
    tail: &str,
    width: usize,
    rows: Vec<Vec<Value>>,
    returning: bool,
) -> Result<(u64, Vec<QueryResult>), StoreError> {
    let backend = tx.get_database_backend();
    let per_statement = (MAX_BIND_VALUES / width).max(1);
    let mut affected = 0;
    let mut returned = Vec::new();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Value>> = rows.by_ref().take(per_statement).collect();
        let sql = format!(
            "{head} VALUES {} {tail}",
            tuples(backend, chunk.len(), width)
        );
        let statement = Statement::from_sql_and_values(backend, sql, chunk.into_iter().flatten());
        if returning {
            let result = tx.query_all_raw(statement).await?;
            affected += result.len() as u64;
            returned.extend(result);
        } else {
            affected += tx.execute_raw(statement).await?.rows_affected();
        }
    }
    Ok((affected, returned))
}
