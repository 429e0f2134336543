//! Validation of the free-text fields shared by books and customers.

use crate::error::{Error, Result};

/// Longest accepted name, title or author, in characters.
pub(crate) const MAX_TEXT_CHARS: usize = 500;

/// Trims `value` and checks it is non-empty, not too long and free of control characters.
pub(crate) fn required_text(field: &str, value: &str) -> Result<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(Error::invalid_input(field, "must not be empty"));
    }
    optional_text(field, trimmed).map(|_| trimmed.to_owned())
}

/// Checks an optional free-text value: not too long, no control characters.
pub(crate) fn optional_text(field: &str, value: &str) -> Result<()> {
    if value.chars().count() > MAX_TEXT_CHARS {
        return Err(Error::invalid_input(
            field,
            format!("longer than {MAX_TEXT_CHARS} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::invalid_input(
            field,
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// The key under which a title is unique: trimmed and compared case-insensitively.
pub(crate) fn title_key(title: &str) -> String {
    title.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_key_ignores_case_and_outer_space() {
        assert_eq!(title_key("  The Hobbit "), title_key("the HOBBIT"));
        assert_ne!(title_key("The Hobbit"), title_key("The Hobbit 2"));
    }

    #[test]
    fn required_text_rejects_blank_and_control_characters() {
        assert!(required_text("title", "   ").is_err());
        assert!(required_text("title", "a\u{0}b").is_err());
        assert_eq!(required_text("title", " Dune ").unwrap(), "Dune");
        assert!(required_text("title", &"x".repeat(MAX_TEXT_CHARS + 1)).is_err());
    }
}
