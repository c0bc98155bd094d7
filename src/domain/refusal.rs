//! Why the ledger refuses a batch, typed: which change, which of its fields, why. Every rule
//! about a change or a group of changes (`domain::validate`, `domain::decide`) answers in
//! these terms, and each front door names the field in its own words from them — the gRPC
//! API as `changes[3].adjustment.quantity`, an import as the change's index and
//! `adjustment.quantity`, a file import as a line and a column, Square's door as the
//! member the caller wrote. Nothing downstream reads an index or a member back out of text.

use std::fmt;

use super::error::{Violation, Violations};
use super::guard::GuardRefusal;
use super::ledger::ChangeType;

/// A rule one change of a batch broke.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeViolation {
    /// Position of the change in the batch as the caller sent it.
    pub index: usize,
    /// The member of the change the field belongs to (`adjustment`, `physical_count`,
    /// `transfer`); `None` when the field is the change's own (its `type`).
    pub member: Option<ChangeType>,
    /// What is wrong; its `field` is relative to the member (`quantity`), or to the change
    /// when `member` is `None`. An empty field is the member (or the change) as a whole.
    pub violation: Violation,
}

impl ChangeViolation {
    /// The field's path inside the change: `adjustment.quantity`, `type`, `transfer`.
    pub fn path_in_change(&self) -> String {
        let field = &self.violation.field;
        match (self.member, field.is_empty()) {
            (Some(member), true) => member.member().to_owned(),
            (Some(member), false) => format!("{}.{field}", member.member()),
            (None, _) => field.clone(),
        }
    }

    /// The field's path in the batch request: `changes[3].adjustment.quantity`.
    pub fn path(&self) -> String {
        let inside = self.path_in_change();
        if inside.is_empty() {
            format!("changes[{}]", self.index)
        } else {
            format!("changes[{}].{inside}", self.index)
        }
    }

    /// The violation with its field spelt as [`ChangeViolation::path`].
    pub fn into_violation(self) -> Violation {
        Violation {
            field: self.path(),
            ..self.violation
        }
    }
}

/// Every rule the changes of a batch broke; never empty when returned as an error.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChangeViolations(pub Vec<ChangeViolation>);

impl ChangeViolations {
    /// `violations` of the fields of change `index`'s `member`.
    pub fn in_member(index: usize, member: ChangeType, violations: Violations) -> Self {
        ChangeViolations(
            violations
                .0
                .into_iter()
                .map(|violation| ChangeViolation {
                    index,
                    member: Some(member),
                    violation,
                })
                .collect(),
        )
    }

    /// One violation of change `index` itself (its `type`, a member missing).
    pub fn of_change(index: usize, violation: Violation) -> Self {
        ChangeViolations(vec![ChangeViolation {
            index,
            member: None,
            violation,
        }])
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds every violation of `other`.
    pub fn extend(&mut self, other: ChangeViolations) {
        self.0.extend(other.0);
    }

    /// The violations with request paths (`changes[i].…`), as the gRPC API reports them.
    pub fn into_violations(self) -> Violations {
        Violations(
            self.0
                .into_iter()
                .map(ChangeViolation::into_violation)
                .collect(),
        )
    }

    /// The positions of the changes at fault, each once, in increasing order.
    pub fn indices(&self) -> std::collections::BTreeSet<usize> {
        self.0.iter().map(|v| v.index).collect()
    }
}

/// Why the ledger refused a whole batch. A refused batch changes nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The idempotency key was used before for a different request.
    IdempotencyKeyReused,
    /// Changes break rules of their own or of the facts they name (an unknown item, an
    /// inactive location, an id another merchant holds).
    Invalid(ChangeViolations),
    /// A change would take a count beyond its bounds.
    CountOutOfRange(ChangeViolation),
    /// A guard of the batch failed (FAILED_PRECONDITION): a change's `expected_quantity`
    /// differs from its count, or the batch would leave a count below zero where that is
    /// forbidden. Kept with the batch's idempotency key: a retry answers the same.
    Guard(GuardRefusal),
    /// The reservation a step was computed from has changed since it was read (another
    /// step got there first): read it again and decide again.
    ReservationChanged,
}

impl From<ChangeViolations> for Refusal {
    fn from(violations: ChangeViolations) -> Self {
        Refusal::Invalid(violations)
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::IdempotencyKeyReused => {
                f.write_str("the idempotency key was used for a different request")
            }
            Refusal::Invalid(violations) => {
                write!(f, "{}", violations.clone().into_violations())
            }
            Refusal::CountOutOfRange(change) => write!(
                f,
                "{}: the change would take a count beyond its bounds",
                change.path()
            ),
            Refusal::Guard(guard) => {
                let violation = guard.violation();
                write!(
                    f,
                    "{}: {}",
                    violation.path(),
                    violation.violation.description
                )
            }
            Refusal::ReservationChanged => f.write_str("the reservation changed since it was read"),
        }
    }
}

impl std::error::Error for Refusal {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::error::reasons;

    fn violation(member: Option<ChangeType>, field: &str) -> ChangeViolation {
        ChangeViolation {
            index: 3,
            member,
            violation: Violation::new(field, reasons::INVALID_VALUE, "bad"),
        }
    }

    #[test]
    fn paths_name_the_change_its_member_and_field() {
        let cases = [
            (
                Some(ChangeType::Adjustment),
                "quantity",
                "changes[3].adjustment.quantity",
            ),
            (
                Some(ChangeType::PhysicalCount),
                "occurred_at",
                "changes[3].physical_count.occurred_at",
            ),
            (Some(ChangeType::Transfer), "", "changes[3].transfer"),
            (None, "type", "changes[3].type"),
            (None, "", "changes[3]"),
        ];
        for (member, field, path) in cases {
            assert_eq!(violation(member, field).path(), path, "{member:?} {field}");
        }
        assert_eq!(
            violation(Some(ChangeType::Transfer), "state").path_in_change(),
            "transfer.state"
        );
    }

    #[test]
    fn indices_are_each_change_at_fault_once() {
        let mut second = violation(None, "type");
        second.index = 1;
        let all = ChangeViolations(vec![violation(None, ""), second, violation(None, "x")]);
        assert_eq!(all.indices().into_iter().collect::<Vec<_>>(), vec![1, 3]);
    }
}
