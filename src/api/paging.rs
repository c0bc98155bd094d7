//! Page sizes shared by every list RPC (their cursors are in [`super::cursor`]).

use crate::domain::error::{Violation, reasons};

/// A page size: 0 means `default`; otherwise 1..=`max`.
pub fn page_limit(field: &str, requested: i32, default: u64, max: u64) -> Result<u64, Violation> {
    match u64::try_from(requested) {
        Ok(0) => Ok(default),
        Ok(n) if n <= max => Ok(n),
        Ok(_) => Err(Violation::new(
            field,
            reasons::VALUE_TOO_HIGH,
            format!("must be at most {max}"),
        )),
        Err(_) => Err(Violation::new(
            field,
            reasons::VALUE_TOO_LOW,
            "must be at least 1 (0 means the default)",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_bounded() {
        assert_eq!(page_limit("limit", 0, 50, 250), Ok(50));
        assert_eq!(page_limit("limit", 250, 50, 250), Ok(250));
        assert!(page_limit("limit", 251, 50, 250).is_err());
        assert!(page_limit("limit", -1, 50, 250).is_err());
    }
}
