//! The server's ids (items, locations, changes): UUIDs. An id of another shape can name
//! nothing, so it is refused as `INVALID_ID` wherever it is sent — a Get, a filter, a
//! change of a batch — before anything is looked up; a well-formed id that names nothing
//! the caller owns is `NOT_FOUND`.

use super::error::{Violation, reasons};
use super::text::quote;

/// Whether `text` has the shape of the server's ids (a UUID).
pub fn is_well_formed_id(text: &str) -> bool {
    uuid::Uuid::try_parse(text).is_ok()
}

/// Checks a required id: present (`MISSING_REQUIRED_PARAMETER`) and well formed
/// (`INVALID_ID`, quoting at most a bounded part of it).
pub fn check_id(field: &str, id: &str) -> Result<(), Violation> {
    if id.is_empty() {
        Err(Violation::missing(field))
    } else if !is_well_formed_id(id) {
        Err(Violation::new(
            field,
            reasons::INVALID_ID,
            format!("{} is not a valid id", quote(id)),
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_table() {
        let table: &[(&str, Option<&str>)] = &[
            ("01a20c5a-8f67-7031-9d39-e3d5cae5d630", None),
            ("01A20C5A-8F67-7031-9D39-E3D5CAE5D630", None),
            ("", Some(reasons::MISSING_REQUIRED_PARAMETER)),
            ("nope", Some(reasons::INVALID_ID)),
            (
                " 01a20c5a-8f67-7031-9d39-e3d5cae5d630",
                Some(reasons::INVALID_ID),
            ),
            (
                "01a20c5a-8f67-7031-9d39-e3d5cae5d63",
                Some(reasons::INVALID_ID),
            ),
            (
                "01a20c5a-8f67-7031-9d39-e3d5cae5d630\0",
                Some(reasons::INVALID_ID),
            ),
            (
                "01a20c5a-8f67-7031-9d39-e3d5cae5d6３0",
                Some(reasons::INVALID_ID),
            ),
        ];
        for (id, expected) in table {
            assert_eq!(
                check_id("id", id).err().map(|v| v.reason),
                *expected,
                "{id:?}"
            );
        }
    }

    #[test]
    fn a_huge_id_is_quoted_briefly() {
        let refused = check_id("ids[3]", &"x".repeat(3 << 20)).unwrap_err();
        assert_eq!(refused.field, "ids[3]");
        assert!(refused.description.len() < 100, "{}", refused.description);
    }
}
