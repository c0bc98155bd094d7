//! One page of a keyset-paginated query.

/// Rows of one page, and whether more follow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    /// The rows, in the query's order.
    pub items: Vec<T>,
    /// Whether at least one more row follows the last one.
    pub has_more: bool,
}

impl<T> Page<T> {
    /// Builds a page from rows fetched with `LIMIT limit + 1`: the extra row, if any, only
    /// tells that more follow.
    pub fn from_overfetch(mut rows: Vec<T>, limit: u64) -> Page<T> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let has_more = rows.len() > limit;
        rows.truncate(limit);
        Page {
            items: rows,
            has_more,
        }
    }

    /// Converts every row.
    pub fn try_map<U, E>(self, f: impl FnMut(T) -> Result<U, E>) -> Result<Page<U>, E> {
        Ok(Page {
            items: self.items.into_iter().map(f).collect::<Result<_, _>>()?,
            has_more: self.has_more,
        })
    }
}
