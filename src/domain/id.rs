//! The server's ids (items, locations, changes): UUIDs, always in one spelling — lowercase,
//! hyphenated (`01a20c5a-8f67-7031-9d39-e3d5cae5d630`). An id is accepted in any spelling of
//! a UUID (upper case, braces, no hyphens, `urn:uuid:`) and canonicalised once, where it
//! enters — a Get, a filter, a change of a batch, an import — so that one UUID is one id
//! everywhere: it finds the same item, and an import sees it as already present. An id of
//! another shape can name nothing, so it is refused as `INVALID_ID` before anything is
//! looked up; a well-formed id that names nothing the caller owns is `NOT_FOUND`.

use super::error::{Violation, Violations, reasons};
use super::list::check_length;
use super::text::quote;

/// The canonical spelling of a required id: present (`MISSING_REQUIRED_PARAMETER`), a UUID
/// in any of its spellings (`INVALID_ID`, quoting at most a bounded part of it), written
/// lowercase and hyphenated.
pub fn canonical_id(field: &str, id: &str) -> Result<String, Violation> {
    if id.is_empty() {
        return Err(Violation::missing(field));
    }
    uuid::Uuid::try_parse(id)
        .map(|uuid| uuid.hyphenated().to_string())
        .map_err(|_| {
            Violation::new(
                field,
                reasons::INVALID_ID,
                format!("{} is not a valid id", quote(id)),
            )
        })
}

/// The canonical spellings of a list of ids `field`: at most `max` (`ARRAY_LENGTH_TOO_LONG`,
/// checked first), each as [`canonical_id`] (`field[i]`).
pub fn canonical_ids(field: &str, ids: &[String], max: usize) -> Result<Vec<String>, Violations> {
    check_length(field, ids.len(), max, "ids")?;
    let mut errors = Violations::default();
    let canonical = ids
        .iter()
        .enumerate()
        .filter_map(|(i, id)| errors.check(canonical_id(&format!("{field}[{i}]"), id)))
        .collect();
    errors.into_result(canonical)
}

/// For each id of a batch (`None`: the change names none), the position of the first
/// earlier change naming the same id, if any: one id names one change.
pub fn repeated_ids<'a>(ids: impl IntoIterator<Item = Option<&'a str>>) -> Vec<Option<usize>> {
    let mut first: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    ids.into_iter()
        .enumerate()
        .map(|(i, id)| {
            id.and_then(|id| {
                first.get(id).copied().or_else(|| {
                    first.insert(id, i);
                    None
                })
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CANONICAL: &str = "01a20c5a-8f67-7031-9d39-e3d5cae5d630";

    #[test]
    fn id_table() {
        let table: &[(&str, Result<&str, &str>)] = &[
            (CANONICAL, Ok(CANONICAL)),
            ("01A20C5A-8F67-7031-9D39-E3D5CAE5D630", Ok(CANONICAL)),
            ("{01a20c5a-8f67-7031-9d39-e3d5cae5d630}", Ok(CANONICAL)),
            ("01a20c5a8f6770319d39e3d5cae5d630", Ok(CANONICAL)),
            (
                "urn:uuid:01A20C5A-8F67-7031-9D39-E3D5CAE5D630",
                Ok(CANONICAL),
            ),
            ("", Err(reasons::MISSING_REQUIRED_PARAMETER)),
            ("nope", Err(reasons::INVALID_ID)),
            (
                " 01a20c5a-8f67-7031-9d39-e3d5cae5d630",
                Err(reasons::INVALID_ID),
            ),
            (
                "01a20c5a-8f67-7031-9d39-e3d5cae5d63",
                Err(reasons::INVALID_ID),
            ),
            (
                "01a20c5a-8f67-7031-9d39-e3d5cae5d630\0",
                Err(reasons::INVALID_ID),
            ),
            (
                "01a20c5a-8f67-7031-9d39-e3d5cae5d6３0",
                Err(reasons::INVALID_ID),
            ),
        ];
        for (id, expected) in table {
            assert_eq!(
                canonical_id("id", id).as_deref().map_err(|v| v.reason),
                *expected,
                "{id:?}"
            );
        }
    }

    #[test]
    fn a_huge_id_is_quoted_briefly() {
        let refused = canonical_id("ids[3]", &"x".repeat(3 << 20)).unwrap_err();
        assert_eq!(refused.field, "ids[3]");
        assert!(refused.description.len() < 100, "{}", refused.description);
    }

    #[test]
    fn a_list_of_ids_is_bounded_then_canonicalised_entry_by_entry() {
        let upper = CANONICAL.to_uppercase();
        assert_eq!(
            canonical_ids("ids", &[upper.clone(), CANONICAL.into()], 2),
            Ok(vec![CANONICAL.to_owned(), CANONICAL.to_owned()])
        );
        let too_many = canonical_ids("ids", &[upper.clone(), "x".into(), "y".into()], 2);
        let fields = |r: Result<Vec<String>, Violations>| -> Vec<(String, &str)> {
            r.unwrap_err()
                .0
                .into_iter()
                .map(|v| (v.field, v.reason))
                .collect()
        };
        assert_eq!(
            fields(too_many),
            [("ids".to_owned(), reasons::ARRAY_LENGTH_TOO_LONG)]
        );
        assert_eq!(
            fields(canonical_ids("ids", &[upper, "x".into(), String::new()], 3)),
            [
                ("ids[1]".to_owned(), reasons::INVALID_ID),
                ("ids[2]".to_owned(), reasons::MISSING_REQUIRED_PARAMETER)
            ]
        );
    }

    #[test]
    fn a_repeated_id_points_at_its_first_change() {
        assert_eq!(
            repeated_ids([Some("a"), None, Some("b"), Some("a"), None, Some("a")]),
            [None, None, None, Some(0), None, Some(0)]
        );
    }
}
