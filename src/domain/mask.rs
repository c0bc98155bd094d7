//! Field-mask resolution for partial updates (AIP-134): which fields an update touches.

use super::error::{Violation, reasons};
use super::text::quote;

/// A resource field that an update may name in its mask.
pub trait MaskField: Copy + Eq + Sized + 'static {
    /// Every updatable field, in a stable order.
    const ALL: &'static [Self];
    /// The field's name in the proto message (a mask path).
    fn path(self) -> &'static str;
}

/// The fields an update applies to.
///
/// - `paths` empty (mask absent or empty): every field that `is_populated` says the
///   request set, as AIP-134 prescribes.
/// - `["*"]`: every field, so empty values clear.
/// - otherwise exactly the named fields; an unknown or repeated path is refused.
pub fn resolve<F: MaskField>(
    paths: &[String],
    is_populated: impl Fn(F) -> bool,
) -> Result<Vec<F>, Violation> {
    let fields: Vec<F> = if paths.is_empty() {
        F::ALL
            .iter()
            .copied()
            .filter(|f| is_populated(*f))
            .collect()
    } else if paths.len() == 1 && paths[0] == "*" {
        F::ALL.to_vec()
    } else {
        let mut fields = Vec::with_capacity(paths.len());
        for (i, path) in paths.iter().enumerate() {
            let field = F::ALL
                .iter()
                .copied()
                .find(|f| f.path() == path)
                .ok_or_else(|| {
                    let known: Vec<&str> = F::ALL.iter().map(|f| f.path()).collect();
                    Violation::new(
                        format!("update_mask.paths[{i}]"),
                        reasons::INVALID_FIELD_MASK,
                        format!(
                            "unknown or read-only field {}; updatable fields: {}",
                            quote(path),
                            known.join(", ")
                        ),
                    )
                })?;
            if fields.contains(&field) {
                return Err(Violation::new(
                    format!("update_mask.paths[{i}]"),
                    reasons::INVALID_FIELD_MASK,
                    format!("field {} is named twice", quote(path)),
                ));
            }
            fields.push(field);
        }
        fields
    };
    if fields.is_empty() {
        return Err(Violation::new(
            "update_mask",
            reasons::INVALID_FIELD_MASK,
            "names no field to update (and the request sets none)",
        ));
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Field {
        A,
        B,
    }

    impl MaskField for Field {
        const ALL: &'static [Self] = &[Field::A, Field::B];
        fn path(self) -> &'static str {
            match self {
                Field::A => "a",
                Field::B => "b",
            }
        }
    }

    fn paths(p: &[&str]) -> Vec<String> {
        p.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn absent_mask_means_populated_fields() {
        assert_eq!(resolve(&[], |f| f == Field::B), Ok(vec![Field::B]));
        assert!(resolve::<Field>(&[], |_| false).is_err());
    }

    #[test]
    fn star_means_everything() {
        assert_eq!(
            resolve(&paths(&["*"]), |_| false),
            Ok(vec![Field::A, Field::B])
        );
    }

    #[test]
    fn named_fields_are_checked() {
        assert_eq!(resolve(&paths(&["b"]), |_| true), Ok(vec![Field::B]));
        let err = resolve::<Field>(&paths(&["a", "zzz"]), |_| true).unwrap_err();
        assert_eq!(err.field, "update_mask.paths[1]");
        assert!(resolve::<Field>(&paths(&["a", "a"]), |_| true).is_err());
    }
}
