//! The words a book or a customer is found by: lower case, accents folded, split at anything that is not a letter
//! or a digit — so `Tolkien`, `tolkien` and `TÓLKIEN` are one word, and a search for `tolk` finds them all.

use std::collections::BTreeSet;

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use super::{Book, Customer};

/// The longest word kept, in characters (longer ones are cut: a prefix search still finds them).
const MAX_WORD: usize = 64;
/// The most words a search query may have.
pub(crate) const MAX_QUERY_WORDS: usize = 10;

/// Which records a word belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WordIndex {
    /// Books: the words of the title and the author, the ISBN, and the category.
    Books,
    /// Customers: the words of the names and the email address.
    Customers,
}

impl WordIndex {
    /// A one-byte tag for keys.
    pub(crate) fn tag(self) -> u8 {
        match self {
            WordIndex::Books => b'b',
            WordIndex::Customers => b'c',
        }
    }
}

/// The normalised words of `text`, in order of appearance, without repeats.
pub(crate) fn words(text: &str) -> Vec<String> {
    let folded: String = text
        .nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect();
    let mut seen = BTreeSet::new();
    folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().take(MAX_WORD).collect::<String>())
        .filter(|w| seen.insert(w.clone()))
        .collect()
}

/// The word that stands for a category: a control character no normal word contains, the category as written,
/// and a terminator, so a category is matched exactly and never by a search for ordinary words.
pub(crate) fn category_word(category: &str) -> String {
    format!("\u{1}{category}\u{2}")
}

/// Every word a book is found by.
pub(crate) fn book_words(book: &Book) -> BTreeSet<String> {
    let mut all: BTreeSet<String> = words(&book.title).into_iter().collect();
    all.extend(words(&book.author));
    if let Some(isbn) = &book.isbn {
        all.insert(isbn.to_lowercase());
    }
    all.insert(category_word(&book.category));
    all
}

/// Every word a customer is found by.
pub(crate) fn customer_words(customer: &Customer) -> BTreeSet<String> {
    let mut all: BTreeSet<String> = words(&customer.first_name).into_iter().collect();
    all.extend(words(&customer.last_name));
    if let Some(email) = &customer.email {
        all.extend(words(email));
    }
    all
}

/// The prefixes a search query looks for: its words, or — for a query of digits, hyphens and spaces (and an ISBN's
/// final `X`) — the ISBN digits as one prefix.
pub(crate) fn query_words(query: &str) -> Vec<String> {
    let trimmed = query.trim();
    let isbn_like = trimmed.len() >= 2
        && trimmed.chars().any(|c| c.is_ascii_digit())
        && trimmed
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | ' ' | 'x' | 'X'));
    if isbn_like {
        return vec![trimmed
            .chars()
            .filter(|c| !matches!(c, '-' | ' '))
            .flat_map(char::to_lowercase)
            .collect()];
    }
    words(query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_fold_case_and_accents() {
        assert_eq!(words("Tólkien, J.R.R."), ["tolkien", "j", "r"]);
        assert_eq!(
            words("Émile Zola — L'Assommoir"),
            ["emile", "zola", "l", "assommoir"]
        );
        assert_eq!(
            words("ada.lovelace@example.org"),
            ["ada", "lovelace", "example", "org"]
        );
        assert_eq!(words("  "), Vec::<String>::new());
    }

    #[test]
    fn isbn_queries_are_one_prefix() {
        assert_eq!(query_words("978-0-441"), ["9780441"]);
        assert_eq!(query_words("080442957x"), ["080442957x"]);
        assert_eq!(query_words("Dune 1965"), ["dune", "1965"]);
    }
}
