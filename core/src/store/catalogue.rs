//! The catalogue and customers of [`BookStore`]: books, copies, customers.

use super::book_store::BookStore;
use crate::domain::{Book, BookCopy, BookUpdate, Customer, CustomerUpdate, NewBook, NewCustomer};
use crate::engine::Operation;
use crate::error::Result;
use crate::ids::{BookId, CopyId, CustomerId};
use crate::storage::{Records, Storage};

impl<S: Storage> BookStore<S> {
    /// Adds a book with `copies` copies (1 is the simple default). Its category must be priced by the current
    /// plan; the title (case-insensitive) and ISBN must be new.
    pub fn add_book(&self, book: &NewBook, copies: u32) -> Result<Book> {
        self.apply(Operation::AddBook {
            book: book.clone(),
            copies,
        })?
        .into_book()
        .map(|(book, _)| book)
    }

    /// Adds `count` more copies of a book.
    pub fn add_copies(&self, book: BookId, count: u32) -> Result<Vec<BookCopy>> {
        self.apply(Operation::AddCopies {
            book,
            count,
            at: Some(self.now()),
        })?
        .into_copies()
    }

    /// Changes a book's title, author, ISBN or category. Open rentals keep the category they were rented under.
    pub fn update_book(&self, id: BookId, update: &BookUpdate) -> Result<Book> {
        self.apply(Operation::UpdateBook {
            id,
            update: update.clone(),
        })?
        .into_updated_book()
    }

    /// Takes a copy on the shelf (or a lost one) out of circulation.
    pub fn withdraw_copy(&self, copy: CopyId) -> Result<BookCopy> {
        self.set_withdrawn(copy, true)
    }

    /// Puts a withdrawn copy back into circulation (to the first waiting hold of its book, or the shelf).
    pub fn reinstate_copy(&self, copy: CopyId) -> Result<BookCopy> {
        self.set_withdrawn(copy, false)
    }

    fn set_withdrawn(&self, copy: CopyId, withdrawn: bool) -> Result<BookCopy> {
        self.apply(Operation::SetWithdrawn {
            copy,
            withdrawn,
            at: Some(self.now()),
        })?
        .into_copy()
    }

    /// One book.
    pub fn book(&self, id: BookId) -> Result<Book> {
        self.storage.book(id)
    }

    /// Every book, in id order.
    pub fn books(&self) -> Result<Records<'_, Book>> {
        self.storage.books()
    }

    /// A book's copies, in id order.
    pub fn copies(&self, book: BookId) -> Result<Vec<BookCopy>> {
        self.storage.copies_of(book)
    }

    /// How many copies of a book are on the shelf (counted from the index of available copies: the book's rented,
    /// held, lost and withdrawn copies cost nothing).
    pub fn available_copies(&self, book: BookId) -> Result<usize> {
        self.storage.available_copies(book)
    }

    // --- customers -----------------------------------------------------------------------------------------

    /// Registers a customer (active).
    pub fn register_customer(&self, customer: &NewCustomer) -> Result<Customer> {
        self.apply(Operation::RegisterCustomer(customer.clone()))?
            .into_customer()
    }

    /// Changes a customer's fields.
    pub fn update_customer(&self, id: CustomerId, update: &CustomerUpdate) -> Result<Customer> {
        self.apply(Operation::UpdateCustomer {
            id,
            update: update.clone(),
        })?
        .into_customer()
    }

    /// Deactivates a customer: they can no longer rent (open rentals can still be returned).
    pub fn deactivate_customer(&self, id: CustomerId) -> Result<Customer> {
        self.set_active(id, false)
    }

    /// Reactivates a customer.
    pub fn activate_customer(&self, id: CustomerId) -> Result<Customer> {
        self.set_active(id, true)
    }

    fn set_active(&self, id: CustomerId, active: bool) -> Result<Customer> {
        let update = CustomerUpdate {
            active: Some(active),
            ..CustomerUpdate::default()
        };
        self.update_customer(id, &update)
    }

    /// One customer.
    pub fn customer(&self, id: CustomerId) -> Result<Customer> {
        self.storage.customer(id)
    }

    /// The customer with the e-mail address `email` (case ignored), if any: customers' natural key.
    ///
    /// ```
    /// use koko_core::{BookStore, NewCustomer, PricePlan};
    ///
    /// let store = BookStore::in_memory(PricePlan::story3()).unwrap();
    /// let ada = store.register_customer(&NewCustomer::new("Ada", "Lovelace").with_email("ada@example.org")).unwrap();
    /// assert_eq!(store.customer_by_email("Ada@Example.org").unwrap().map(|c| c.id), Some(ada.id));
    /// assert!(store.customer_by_email("grace@example.org").unwrap().is_none());
    /// ```
    pub fn customer_by_email(&self, email: &str) -> Result<Option<Customer>> {
        self.storage.customer_by_email(email)
    }

    /// Every customer, in id order.
    pub fn customers(&self) -> Result<Records<'_, Customer>> {
        self.storage.customers()
    }
}
