//! Text a caller sends: the one rule for free text (no control characters, a bounded
//! length) and the bounded quoting of a caller's value in an error message.
//!
//! Free text is every string field that is not a number, a code or an id: SKUs, names,
//! descriptions, references (`reference_id`, `transaction_id`, …) and idempotency keys.
//! Whatever a caller sends, an error quotes at most [`MAX_QUOTED_CHARS`] characters of it.

use super::error::{Violation, reasons};

/// Most characters of a caller's value that an error message quotes.
pub const MAX_QUOTED_CHARS: usize = 64;

/// Checks free text of at most `max_chars` characters (characters, not bytes) without
/// control characters (Unicode category Cc: NUL, CR, LF, TAB, ESC, DEL, C1 controls).
/// Too long is `VALUE_TOO_LONG`; a control character is `INVALID_VALUE`. Emptiness is the
/// caller's rule (required or optional), not checked here.
pub fn check_free_text(field: &str, text: &str, max_chars: usize) -> Result<(), Violation> {
    if text.chars().nth(max_chars).is_some() {
        return Err(Violation::new(
            field,
            reasons::VALUE_TOO_LONG,
            format!("must be at most {max_chars} characters"),
        ));
    }
    if let Some(position) = text.chars().position(char::is_control) {
        return Err(Violation::invalid(
            field,
            format!("must not contain control characters (one at character {position})"),
        ));
    }
    Ok(())
}

/// `text` cut to at most `max_bytes` bytes at a character boundary, with "…" in place of
/// what was cut (the result, "…" included, stays within `max_bytes` when it is at least 3).
pub fn truncate_bytes(text: &str, max_bytes: usize) -> std::borrow::Cow<'_, str> {
    const ELLIPSIS: &str = "…";
    if text.len() <= max_bytes {
        return text.into();
    }
    let mut end = max_bytes.saturating_sub(ELLIPSIS.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{ELLIPSIS}", &text[..end]).into()
}

/// A caller's value as an error message quotes it: in double quotes, with control
/// characters escaped, and cut after [`MAX_QUOTED_CHARS`] characters with "…".
pub fn quote(value: &str) -> String {
    match value.char_indices().nth(MAX_QUOTED_CHARS) {
        None => format!("{value:?}"),
        Some((cut, _)) => {
            let quoted = format!("{:?}", &value[..cut]);
            // `"abc"` → `"abc…"`: the ellipsis inside the quotes.
            format!("{}…\"", &quoted[..quoted.len() - 1])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_text_table() {
        // (text, limit, expected reason or None when accepted)
        let table: &[(&str, usize, Option<&str>)] = &[
            ("", 5, None),
            ("PO-7", 5, None),
            ("héllo", 5, None),
            ("a b c", 5, None),
            ("日本語", 3, None),
            ("🙂", 1, None),
            ("\u{200B}zero-width", 20, None),
            ("toolong", 5, Some(reasons::VALUE_TOO_LONG)),
            ("日本語!", 3, Some(reasons::VALUE_TOO_LONG)),
            ("a\0b", 5, Some(reasons::INVALID_VALUE)),
            ("a\rb", 5, Some(reasons::INVALID_VALUE)),
            ("a\nb", 5, Some(reasons::INVALID_VALUE)),
            ("a\tb", 5, Some(reasons::INVALID_VALUE)),
            ("\u{1b}[31m", 10, Some(reasons::INVALID_VALUE)),
            ("a\u{7f}", 5, Some(reasons::INVALID_VALUE)),
            ("a\u{85}", 5, Some(reasons::INVALID_VALUE)),
            ("a\u{9b}", 5, Some(reasons::INVALID_VALUE)),
            // Too long is reported before what the text holds.
            ("\0\0\0\0\0\0", 5, Some(reasons::VALUE_TOO_LONG)),
        ];
        for (text, limit, expected) in table {
            let got = check_free_text("f", text, *limit).err().map(|v| v.reason);
            assert_eq!(got, *expected, "{text:?} (at most {limit})");
        }
        let refused = check_free_text("changes[0].adjustment.reference_id", "a\nb", 9).unwrap_err();
        assert_eq!(refused.field, "changes[0].adjustment.reference_id");
    }

    #[test]
    fn quotes_are_bounded_and_escaped() {
        assert_eq!(quote("abc"), "\"abc\"");
        assert_eq!(quote("a\0b\n"), "\"a\\0b\\n\"");
        let exact = "x".repeat(MAX_QUOTED_CHARS);
        assert_eq!(quote(&exact), format!("\"{exact}\""));
        let long = "é".repeat(3_000_000);
        let quoted = quote(&long);
        assert_eq!(quoted, format!("\"{}…\"", "é".repeat(MAX_QUOTED_CHARS)));
        assert!(quote(&"\0".repeat(1_000_000)).len() < 8 * MAX_QUOTED_CHARS);
    }

    #[test]
    fn truncation_keeps_characters_whole() {
        assert_eq!(truncate_bytes("short", 10), "short");
        assert_eq!(truncate_bytes("abcdefghij", 10), "abcdefghij");
        assert_eq!(truncate_bytes("abcdefghijk", 10), "abcdefg…");
        let accented = "é".repeat(100);
        let cut = truncate_bytes(&accented, 10);
        assert_eq!(cut, "ééé…");
        assert!(cut.len() <= 10);
        for max in 3..40 {
            assert!(
                truncate_bytes(&"日本語".repeat(20), max).len() <= max,
                "{max}"
            );
        }
    }
}
