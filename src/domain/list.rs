//! Bounds on the lists a request carries. Every repeated field of every request has a most
//! number of entries, checked before any entry is looked at, so that no request makes the
//! server build a query of unbounded size (docs/limits.md); an enum filter names each value
//! once, however often it was sent.

use super::error::{Violation, reasons};

/// Most entries of a filter's list: ids of items or locations, change types, states.
pub const MAX_FILTER_ENTRIES: usize = 1000;

/// Refuses a list `field` of `len` entries beyond `max` (`ARRAY_LENGTH_TOO_LONG`), naming
/// its entries `noun` in the description.
pub fn check_length(field: &str, len: usize, max: usize, noun: &str) -> Result<(), Violation> {
    if len > max {
        Err(Violation::new(
            field,
            reasons::ARRAY_LENGTH_TOO_LONG,
            format!("must hold at most {max} {noun} (it holds {len})"),
        ))
    } else {
        Ok(())
    }
}

/// `values` with each value once, where it first appeared.
pub fn distinct<T: PartialEq>(values: Vec<T>) -> Vec<T> {
    let mut kept: Vec<T> = Vec::with_capacity(values.len().min(16));
    for value in values {
        if !kept.contains(&value) {
            kept.push(value);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_may_hold_up_to_its_bound() {
        assert_eq!(check_length("types", 1000, 1000, "types"), Ok(()));
        let refused = check_length("types", 1001, 1000, "types").unwrap_err();
        assert_eq!(refused.field, "types");
        assert_eq!(refused.reason, reasons::ARRAY_LENGTH_TOO_LONG);
        assert_eq!(
            refused.description,
            "must hold at most 1000 types (it holds 1001)"
        );
    }

    #[test]
    fn distinct_keeps_first_appearances_in_order() {
        assert_eq!(distinct(vec![3, 1, 3, 2, 1]), [3, 1, 2]);
        assert_eq!(distinct(Vec::<i32>::new()), Vec::<i32>::new());
        assert_eq!(distinct(vec![7; 40_000]), [7]);
    }
}
