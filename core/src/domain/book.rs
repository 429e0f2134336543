//! Books (titles in the catalogue) and their physical copies.

use serde::{Deserialize, Serialize};

use super::text::{optional_text, required_text};
use crate::error::{Error, Result};
use crate::ids::{BookId, CopyId, HoldId, RentalId};

/// A title in the catalogue. Titles are unique (trimmed, case-insensitively); so is the ISBN when given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Book {
    /// The book's id.
    pub id: BookId,
    /// The title as entered (trimmed).
    pub title: String,
    /// The author.
    pub author: String,
    /// The ISBN-10 or ISBN-13, digits only (an ISBN-10 may end in `X`).
    pub isbn: Option<String>,
    /// The pricing category: `regular`, `fiction`, `novel`, or any category the price plan defines.
    pub category: String,
}

/// What it takes to add a book to the catalogue.
///
/// ```
/// use koko_core::NewBook;
///
/// let book = NewBook::new("Dune", "Frank Herbert", "fiction").with_isbn("978-0-441-17271-9");
/// assert_eq!(book.isbn.as_deref(), Some("978-0-441-17271-9"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewBook {
    /// The title; must not be empty.
    pub title: String,
    /// The author; must not be empty.
    pub author: String,
    /// An optional ISBN-10 or ISBN-13 (hyphens and spaces are ignored; the check digit is verified).
    pub isbn: Option<String>,
    /// The pricing category.
    pub category: String,
}

impl NewBook {
    /// A book without an ISBN.
    pub fn new(
        title: impl Into<String>,
        author: impl Into<String>,
        category: impl Into<String>,
    ) -> Self {
        NewBook {
            title: title.into(),
            author: author.into(),
            isbn: None,
            category: category.into(),
        }
    }

    /// Sets the ISBN.
    pub fn with_isbn(mut self, isbn: impl Into<String>) -> Self {
        self.isbn = Some(isbn.into());
        self
    }

    /// Checks and normalises every field: trimmed text, a valid ISBN in digits, a non-empty category.
    pub(crate) fn validated(&self) -> Result<NewBook> {
        Ok(NewBook {
            title: required_text("title", &self.title)?,
            author: required_text("author", &self.author)?,
            isbn: self.isbn.as_deref().map(normalize_isbn).transpose()?,
            category: validated_category(&self.category)?,
        })
    }
}

/// Changes to a book; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookUpdate {
    /// A new title.
    pub title: Option<String>,
    /// A new author.
    pub author: Option<String>,
    /// A new ISBN (`Some(None)` removes it).
    pub isbn: Option<Option<String>>,
    /// A new category. Open rentals keep the category they were rented under.
    pub category: Option<String>,
}

impl BookUpdate {
    /// Applies the update to `book`, validating the new values.
    pub(crate) fn apply(&self, book: &Book) -> Result<Book> {
        let mut out = book.clone();
        if let Some(title) = &self.title {
            out.title = required_text("title", title)?;
        }
        if let Some(author) = &self.author {
            out.author = required_text("author", author)?;
        }
        if let Some(isbn) = &self.isbn {
            out.isbn = isbn.as_deref().map(normalize_isbn).transpose()?;
        }
        if let Some(category) = &self.category {
            out.category = validated_category(category)?;
        }
        Ok(out)
    }
}

fn validated_category(category: &str) -> Result<String> {
    let category = required_text("category", category)?;
    if category.len() > 64 {
        return Err(Error::invalid_input(
            "category",
            "longer than 64 characters",
        ));
    }
    Ok(category)
}

/// Strips hyphens and spaces and verifies the ISBN-10 or ISBN-13 check digit.
fn normalize_isbn(raw: &str) -> Result<String> {
    optional_text("isbn", raw)?;
    let digits: String = raw
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let valid = match digits.len() {
        10 => {
            let mut sum = 0u32;
            for (i, c) in digits.chars().enumerate() {
                let value = match (i, c) {
                    (9, 'X') => 10,
                    (_, c) => match c.to_digit(10) {
                        Some(d) => d,
                        None => return Err(isbn_error(raw)),
                    },
                };
                sum += value * (10 - i as u32);
            }
            sum % 11 == 0
        }
        13 => {
            let mut sum = 0u32;
            for (i, c) in digits.chars().enumerate() {
                let d = c.to_digit(10).ok_or_else(|| isbn_error(raw))?;
                sum += if i % 2 == 0 { d } else { 3 * d };
            }
            sum % 10 == 0
        }
        _ => false,
    };
    if valid {
        Ok(digits)
    } else {
        Err(isbn_error(raw))
    }
}

fn isbn_error(raw: &str) -> Error {
    Error::invalid_input("isbn", format!("{raw:?} is not a valid ISBN-10 or ISBN-13"))
}

/// Whether a copy can be rented.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CopyStatus {
    /// On the shelf.
    Available,
    /// Out with a customer, under this open rental.
    Rented(RentalId),
    /// Taken out of circulation; never rented again unless reinstated.
    Withdrawn,
    /// Set aside for a ready hold: only the hold's customer can rent it.
    OnHold(HoldId),
    /// Declared lost while out under this rental; back in circulation only when marked found.
    Lost(RentalId),
}

impl CopyStatus {
    /// The status as the bindings write it: `"available"`, `"rented"`, `"withdrawn"`, `"on_hold"`, `"lost"`.
    pub fn as_str(self) -> &'static str {
        match self {
            CopyStatus::Available => "available",
            CopyStatus::Rented(_) => "rented",
            CopyStatus::Withdrawn => "withdrawn",
            CopyStatus::OnHold(_) => "on_hold",
            CopyStatus::Lost(_) => "lost",
        }
    }
}

/// One physical item of a [`Book`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookCopy {
    /// The copy's id.
    pub id: CopyId,
    /// The book it is a copy of.
    pub book: BookId,
    /// Available, rented (and under which rental) or withdrawn.
    pub status: CopyStatus,
}

/// The former name of [`BookCopy`], kept so existing code compiles; it shadowed `std::marker::Copy` wherever it was
/// imported.
#[deprecated(
    since = "0.2.0",
    note = "renamed BookCopy: `Copy` shadows std::marker::Copy"
)]
pub type Copy = BookCopy;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isbn_check_digits() {
        assert_eq!(
            normalize_isbn("978-0-441-17271-9").unwrap(),
            "9780441172719"
        );
        assert_eq!(normalize_isbn("0-306-40615-2").unwrap(), "0306406152");
        assert_eq!(normalize_isbn("0-8044-2957-x").unwrap(), "080442957X");
        assert!(normalize_isbn("978-0-441-17271-8").is_err());
        assert!(normalize_isbn("12345").is_err());
        assert!(normalize_isbn("97804411727X9").is_err());
    }

    #[test]
    fn new_book_is_trimmed_and_checked() {
        let book = NewBook::new("  Dune ", "Frank Herbert", " fiction ")
            .validated()
            .unwrap();
        assert_eq!(book.title, "Dune");
        assert_eq!(book.category, "fiction");
        let err = NewBook::new("", "x", "regular").validated().unwrap_err();
        assert_eq!(err.field(), Some("title"));
    }
}
