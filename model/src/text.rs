//! The rules of free text a caller gives: names, titles, ISBNs, e-mail addresses, categories, notes.

use crate::rejected::Rejected;

/// Longest name, title, author or note, in characters.
const MAX_TEXT_CHARS: usize = 500;
/// Longest category, in bytes.
const MAX_CATEGORY_LEN: usize = 64;

/// Trimmed, not empty, at most [`MAX_TEXT_CHARS`], no control characters.
pub(crate) fn required(field: &str, value: &str) -> Result<String, Rejected> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(Rejected::invalid(field));
    }
    optional(field, trimmed)?;
    Ok(trimmed.to_owned())
}

/// At most [`MAX_TEXT_CHARS`], no control characters.
pub(crate) fn optional(field: &str, value: &str) -> Result<(), Rejected> {
    if value.chars().count() > MAX_TEXT_CHARS || value.chars().any(char::is_control) {
        return Err(Rejected::invalid(field));
    }
    Ok(())
}

/// A category: required text of at most [`MAX_CATEGORY_LEN`] bytes.
pub(crate) fn category(value: &str) -> Result<String, Rejected> {
    let category = required("category", value)?;
    if category.len() > MAX_CATEGORY_LEN {
        return Err(Rejected::invalid("category"));
    }
    Ok(category)
}

/// The key under which a title is unique: trimmed, compared case-insensitively.
pub(crate) fn title_key(title: &str) -> String {
    title.trim().to_lowercase()
}

/// An ISBN-10 or ISBN-13 without its hyphens and spaces (a final `x` upper-cased), if its check digit holds.
pub(crate) fn isbn(raw: &str) -> Result<String, Rejected> {
    optional("isbn", raw)?;
    let digits: String = raw
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let values: Option<Vec<u32>> = digits
        .chars()
        .enumerate()
        .map(|(i, c)| match c {
            'X' if i == 9 && digits.len() == 10 => Some(10),
            c => c.to_digit(10),
        })
        .collect();
    let valid = match values.as_deref() {
        // ISBN-10: the digits weighted 10 down to 1 sum to a multiple of 11.
        Some(v) if v.len() == 10 => {
            v.iter()
                .zip((1..=10).rev())
                .map(|(d, w)| d * w)
                .sum::<u32>()
                % 11
                == 0
        }
        // ISBN-13: the digits weighted 1, 3, 1, 3, … sum to a multiple of 10.
        Some(v) if v.len() == 13 => {
            v.iter()
                .zip([1, 3].iter().cycle())
                .map(|(d, w)| d * w)
                .sum::<u32>()
                % 10
                == 0
        }
        _ => false,
    };
    if valid {
        Ok(digits)
    } else {
        Err(Rejected::invalid("isbn"))
    }
}

/// An e-mail address: required text, one `@` with something on each side, no white space.
pub(crate) fn email(raw: &str) -> Result<String, Rejected> {
    let email = required("email", raw)?;
    match email.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !email.contains(char::is_whitespace) =>
        {
            Ok(email)
        }
        _ => Err(Rejected::invalid("email")),
    }
}
