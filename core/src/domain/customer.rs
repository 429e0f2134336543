//! Customers.

use serde::{Deserialize, Serialize};

use super::text::{optional_text, required_text};
use crate::error::{Error, Result};
use crate::ids::CustomerId;

/// A registered customer. Only active customers can rent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    /// The customer's id.
    pub id: CustomerId,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Optional e-mail address.
    pub email: Option<String>,
    /// Whether the customer may rent.
    pub active: bool,
}

/// What it takes to register a customer (registered customers start active).
///
/// ```
/// use koko_core::NewCustomer;
///
/// let ada = NewCustomer::new("Ada", "Lovelace").with_email("ada@example.org");
/// assert_eq!(ada.email.as_deref(), Some("ada@example.org"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCustomer {
    /// First name; must not be empty.
    pub first_name: String,
    /// Last name; must not be empty.
    pub last_name: String,
    /// Optional e-mail address (must contain one `@` with text on both sides).
    pub email: Option<String>,
}

impl NewCustomer {
    /// A customer without an e-mail address.
    pub fn new(first_name: impl Into<String>, last_name: impl Into<String>) -> Self {
        NewCustomer {
            first_name: first_name.into(),
            last_name: last_name.into(),
            email: None,
        }
    }

    /// Sets the e-mail address.
    pub fn with_email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    pub(crate) fn validated(&self) -> Result<NewCustomer> {
        Ok(NewCustomer {
            first_name: required_text("first_name", &self.first_name)?,
            last_name: required_text("last_name", &self.last_name)?,
            email: self.email.as_deref().map(validated_email).transpose()?,
        })
    }
}

/// Changes to a customer; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerUpdate {
    /// A new first name.
    pub first_name: Option<String>,
    /// A new last name.
    pub last_name: Option<String>,
    /// A new e-mail address (`Some(None)` removes it).
    pub email: Option<Option<String>>,
    /// Activate or deactivate.
    pub active: Option<bool>,
}

impl CustomerUpdate {
    pub(crate) fn apply(&self, customer: &Customer) -> Result<Customer> {
        let mut out = customer.clone();
        if let Some(first) = &self.first_name {
            out.first_name = required_text("first_name", first)?;
        }
        if let Some(last) = &self.last_name {
            out.last_name = required_text("last_name", last)?;
        }
        if let Some(email) = &self.email {
            out.email = email.as_deref().map(validated_email).transpose()?;
        }
        if let Some(active) = self.active {
            out.active = active;
        }
        Ok(out)
    }
}

fn validated_email(raw: &str) -> Result<String> {
    let email = required_text("email", raw)?;
    match email.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !email.contains(char::is_whitespace) =>
        {
            optional_text("email", &email)?;
            Ok(email)
        }
        _ => Err(Error::invalid_input(
            "email",
            format!("{raw:?} is not an e-mail address"),
        )),
    }
}

/// The key under which a customer's e-mail address is unique: the validated address in lower case, so
/// `Ada@Example.org` and `ada@example.org` are one address.
pub(crate) fn email_key(email: &str) -> String {
    email.to_lowercase()
}
