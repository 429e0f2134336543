//! The operation language of the whole system: an [`Operation`] says what to change, an [`Outcome`] what it
//! made. Every write of every entry point (the facade, the batch API, the bindings, the REST API) is one of these,
//! applied by the one dispatcher ([`super::dispatch`]) over a backend's transaction.
//!
//! A batch ([`Storage::apply_batch`]) is applied in order, each operation seeing the effects of the ones before
//! it, each accepted or rejected on its own; the accepted ones are committed together.
//!
//! [`Storage::apply_batch`]: crate::Storage::apply_batch

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::domain::{
    Block, Book, BookCopy, BookUpdate, Customer, CustomerUpdate, DumpRecord, Hold, LedgerEntry,
    NewBook, NewCustomer, Rental,
};
use crate::error::{Error, Result};
use crate::ids::{BookId, CopyId, CustomerId, HoldId, RentalId};
use crate::money::{decimal_str, Currency};
use crate::pricing::{PlanVersion, PricePlan};

/// What to rent: any available copy of a book, or one specific copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RentTarget {
    /// The first available copy of this book (in copy id order).
    Book(BookId),
    /// Exactly this copy.
    Copy(CopyId),
}

/// A request to open a rental. It is priced by the plan version in force at `rented_at`, whose id is stored on the
/// rental.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RentRequest {
    /// The book or copy to rent.
    pub target: RentTarget,
    /// Who rents it.
    pub customer: CustomerId,
    /// When.
    pub rented_at: DateTime<Utc>,
}

/// One write to a store.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use koko_core::{BookId, CustomerId, MemoryStorage, NewBook, NewCustomer, Operation, Outcome, PricePlan,
///                 RentTarget, Storage};
///
/// let storage = MemoryStorage::new();
/// let at = Utc.with_ymd_and_hms(2024, 6, 3, 10, 0, 0).unwrap();
/// let results = storage.apply_batch(vec![
///     Operation::publish_plan(PricePlan::story3(), at),
///     Operation::AddBook { book: NewBook::new("Emma", "Jane Austen", "novel"), copies: 1 },
///     Operation::RegisterCustomer(NewCustomer::new("Ada", "Lovelace")),
///     Operation::Rent { target: RentTarget::Book(BookId::new(1)), customer: CustomerId::new(1), at },
///     Operation::Rent { target: RentTarget::Book(BookId::new(1)), customer: CustomerId::new(1), at },
/// ]).unwrap();
/// assert!(matches!(results[3], Ok(Outcome::Rental(_))));
/// assert_eq!(results[4].as_ref().unwrap_err().kind(), "Unavailable"); // the first rent took the only copy
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Operation {
    /// Adds a book with `copies` copies (1..=10,000). Answers [`Outcome::Book`].
    AddBook {
        /// The book.
        book: NewBook,
        /// How many copies.
        copies: u32,
    },
    /// Changes a book's fields. Answers [`Outcome::BookUpdated`].
    UpdateBook {
        /// The book.
        id: BookId,
        /// The fields to change.
        update: BookUpdate,
    },
    /// Adds copies of a book. Answers [`Outcome::Copies`].
    AddCopies {
        /// The book.
        book: BookId,
        /// How many (1..=10,000).
        count: u32,
        /// When — the new copies serve the book's waiting holds first, ready from this instant (`None`: now).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at: Option<DateTime<Utc>>,
    },
    /// Withdraws a copy on the shelf or a lost one (`true`), or reinstates a withdrawn one (`false`, to the first
    /// waiting hold or the shelf). A rented copy or one set aside for a hold cannot be withdrawn
    /// ([`Error::Unavailable`]); a lost copy is brought back with [`Operation::MarkFound`]. Answers
    /// [`Outcome::Copy`].
    SetWithdrawn {
        /// The copy.
        copy: CopyId,
        /// Withdraw or reinstate.
        withdrawn: bool,
        /// When — a reinstated copy serves the book's first waiting hold, ready from this instant (`None`: now).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at: Option<DateTime<Utc>>,
    },
    /// Registers a customer. Answers [`Outcome::Customer`].
    RegisterCustomer(NewCustomer),
    /// Changes a customer's fields. Answers [`Outcome::Customer`].
    UpdateCustomer {
        /// The customer.
        id: CustomerId,
        /// The fields to change.
        update: CustomerUpdate,
    },
    /// Opens a rental under the plan version in force at `at`. Answers [`Outcome::Rental`].
    Rent {
        /// A book (its first available copy) or one copy.
        target: RentTarget,
        /// Who rents.
        customer: CustomerId,
        /// When.
        at: DateTime<Utc>,
    },
    /// Closes a rental, charging it under the plan version it was opened with, and frees the copy (to the first
    /// waiting hold of its book, or the shelf). A damage fee, if given, is posted as a `fee` entry with its note.
    /// Answers [`Outcome::Rental`].
    Return {
        /// The rental.
        rental: RentalId,
        /// When it came back.
        at: DateTime<Utc>,
        /// A fee for damage found at the return, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        damage: Option<Damage>,
    },
    /// Closes the open rental of a copy (a drop box: the copy is what is scanned). Answers [`Outcome::Rental`];
    /// a copy that is not rented out is [`Error::InvalidInput`] on `copy`.
    ReturnCopy {
        /// The copy handed back.
        copy: CopyId,
        /// When it came back.
        at: DateTime<Utc>,
    },
    /// Renews an open rental at `at`: its due date moves forward by the loan period, as its plan version's tariff
    /// allows (`renewals`). Refused with [`Error::Blocked`] on `renewals.max`, `manual` or `limits.max_balance`;
    /// a rental without a due date is [`Error::InvalidInput`] on `rental`. Answers [`Outcome::Rental`].
    Renew {
        /// The rental.
        rental: RentalId,
        /// When.
        at: DateTime<Utc>,
    },
    /// Queues `customer` for `book` at `at` (one active hold per customer and book; `limits.max_holds`; an
    /// inactive or blocked customer is refused). A copy on the shelf is set aside at once (the hold is `ready`).
    /// Answers [`Outcome::Hold`].
    PlaceHold {
        /// Who asks.
        customer: CustomerId,
        /// For which title.
        book: BookId,
        /// When.
        at: DateTime<Utc>,
    },
    /// Cancels a waiting or ready hold; a copy set aside for it passes to the next waiting hold (or the shelf).
    /// Answers [`Outcome::Hold`].
    CancelHold {
        /// The hold.
        hold: HoldId,
        /// When.
        at: DateTime<Utc>,
    },
    /// Expires every ready hold whose `ready_until` is before `at`, passing each copy to the next waiting hold.
    /// Answers [`Outcome::Holds`] (the expired ones).
    ExpireHolds {
        /// Now.
        at: DateTime<Utc>,
    },
    /// Closes an open rental as lost at `at`: the charge accrued until then, plus the tariff's `replacement`
    /// fees as `fee` entries; the copy becomes lost. Answers [`Outcome::Rental`].
    DeclareLost {
        /// The rental.
        rental: RentalId,
        /// When it was declared lost.
        at: DateTime<Utc>,
    },
    /// Brings a lost copy back into circulation (to the first waiting hold or the shelf), crediting the
    /// replacement fee when the plan says `replacement.refund_when_found`. Answers [`Outcome::Found`].
    MarkFound {
        /// The copy.
        copy: CopyId,
        /// When it was found.
        at: DateTime<Utc>,
    },
    /// Records that notices were sent (their [`Notice::key`](crate::Notice::key)s), so they are not listed again.
    /// Marking a key twice changes nothing. Answers [`Outcome::Notified`] (how many keys were new).
    MarkNotified {
        /// The notices' keys (1 to 10,000, each 1 to 255 characters).
        keys: Vec<String>,
        /// When they were sent.
        at: DateTime<Utc>,
    },
    /// Publishes a price plan version. Answers [`Outcome::PlanVersion`].
    PublishPlan {
        /// The plan (boxed: a plan is far larger than any other operation).
        plan: Box<PricePlan>,
        /// From when it prices new rentals.
        effective_from: DateTime<Utc>,
    },
    /// Records a payment: a positive amount in the store's currency, at most its minor unit's decimals. Paying
    /// more than is owed leaves a credit. Answers [`Outcome::Entry`].
    Pay {
        /// Who pays.
        customer: CustomerId,
        /// How much.
        #[serde(with = "decimal_str")]
        amount: Decimal,
        /// The currency the caller means; `None` is the store's. Any other than the store's is refused.
        currency: Option<Currency>,
        /// When.
        at: DateTime<Utc>,
        /// An optional note (a receipt number, the means of payment).
        note: Option<String>,
    },
    /// Forgives part or all of what a customer owes (at most the balance at that moment), with a reason.
    /// Answers [`Outcome::Entry`].
    Waive {
        /// Whose debt.
        customer: CustomerId,
        /// How much.
        #[serde(with = "decimal_str")]
        amount: Decimal,
        /// When.
        at: DateTime<Utc>,
        /// Why (required).
        reason: String,
    },
    /// Hands money back: at most the customer's credit at that moment, with a reason. Answers
    /// [`Outcome::Entry`].
    Refund {
        /// To whom.
        customer: CustomerId,
        /// How much.
        #[serde(with = "decimal_str")]
        amount: Decimal,
        /// When.
        at: DateTime<Utc>,
        /// Why (required).
        reason: String,
    },
    /// Posts a fee (a debit other than a rental's charge: a damaged cover, a lost card), with a reason.
    /// Answers [`Outcome::Entry`].
    PostFee {
        /// Who owes it.
        customer: CustomerId,
        /// How much.
        #[serde(with = "decimal_str")]
        amount: Decimal,
        /// When.
        at: DateTime<Utc>,
        /// The rental it belongs to, if any (it must be the customer's).
        rental: Option<RentalId>,
        /// Why (required).
        reason: String,
    },
    /// Blocks a customer from renting, with a reason, until `until` (or until unblocked). Replaces an earlier
    /// block. Answers [`Outcome::Block`].
    BlockCustomer {
        /// Who.
        customer: CustomerId,
        /// Why (required).
        reason: String,
        /// When the block starts.
        at: DateTime<Utc>,
        /// When it ends by itself, if ever (after `at`).
        until: Option<DateTime<Utc>>,
    },
    /// Lifts a customer's manual block (a customer who is not blocked stays so). Answers [`Outcome::Block`].
    UnblockCustomer {
        /// Who.
        customer: CustomerId,
    },
    /// Stores consumer `name`'s checkpoint in the event feed: it has handled every event up to `position` (at most
    /// the last position; it may move back, to read again). Appends no event. Answers [`Outcome::Checkpoint`].
    SetCheckpoint {
        /// The consumer (1 to 100 characters).
        name: String,
        /// The last position it handled (0: none).
        position: u64,
    },
    /// Forgets consumer `name`'s checkpoint (a consumer that is gone no longer holds back
    /// [`Operation::PruneEvents`]). Appends no event. Answers [`Outcome::CheckpointRemoved`].
    RemoveCheckpoint {
        /// The consumer.
        name: String,
    },
    /// Removes the feed's events before position `before`, and is refused ([`Error::InvalidInput`] on `before`)
    /// if a consumer's checkpoint has not passed them all. Appends no event. Answers [`Outcome::Pruned`].
    PruneEvents {
        /// The first position kept.
        before: u64,
    },
    /// Applies `operation` at most once per `key`: the first time, the effect and the key are stored together;
    /// later, the same key with the same operation answers the first outcome and changes nothing, and the same
    /// key with another operation is [`Error::Duplicate`] on `idempotency_key`. A rejected operation stores no
    /// key, so a retry may succeed. Keys are 1 to 255 characters; `recorded_at` dates the key for pruning.
    Idempotent {
        /// The client's key.
        key: String,
        /// When the key was first used (the store's clock), for [`Storage::prune_idempotency_keys`].
        ///
        /// [`Storage::prune_idempotency_keys`]: crate::Storage::prune_idempotency_keys
        recorded_at: DateTime<Utc>,
        /// Whether the operation's instant (`at`) came from the store's clock rather than the caller: then a
        /// retry a moment later, with a later `at`, is still the same request.
        clock_time: bool,
        /// The operation.
        operation: Box<Operation>,
    },
    /// Writes one record of a dump as it is: only [`crate::backup`] makes these (the record is not reachable
    /// from outside koko), never serialised.
    #[doc(hidden)]
    #[serde(skip)]
    Restore(RestoreInput),
}

/// A fee for damage found when a copy comes back, with what was found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Damage {
    /// The fee: positive, in the store's currency, at most its minor unit's decimals.
    #[serde(with = "decimal_str")]
    pub fee: Decimal,
    /// What was damaged (required).
    pub note: String,
}

impl Operation {
    /// A plain return (no damage fee).
    pub fn return_at(rental: RentalId, at: DateTime<Utc>) -> Self {
        Operation::Return {
            rental,
            at,
            damage: None,
        }
    }

    /// [`Operation::PublishPlan`] without spelling the box.
    pub fn publish_plan(plan: PricePlan, effective_from: DateTime<Utc>) -> Self {
        Operation::PublishPlan {
            plan: Box::new(plan),
            effective_from,
        }
    }

    /// The operation's name, as bindings and logs spell it: `"add_book"`, `"rent"`, `"return"`, …
    pub fn name(&self) -> &'static str {
        match self {
            Operation::AddBook { .. } => "add_book",
            Operation::UpdateBook { .. } => "update_book",
            Operation::AddCopies { .. } => "add_copies",
            Operation::SetWithdrawn { .. } => "set_withdrawn",
            Operation::RegisterCustomer(_) => "register_customer",
            Operation::UpdateCustomer { .. } => "update_customer",
            Operation::Rent { .. } => "rent",
            Operation::Return { .. } => "return",
            Operation::ReturnCopy { .. } => "return_copy",
            Operation::Renew { .. } => "renew",
            Operation::PlaceHold { .. } => "place_hold",
            Operation::CancelHold { .. } => "cancel_hold",
            Operation::ExpireHolds { .. } => "expire_holds",
            Operation::DeclareLost { .. } => "declare_lost",
            Operation::MarkFound { .. } => "mark_found",
            Operation::MarkNotified { .. } => "mark_notified",
            Operation::PublishPlan { .. } => "publish_plan",
            Operation::Pay { .. } => "pay",
            Operation::Waive { .. } => "waive",
            Operation::Refund { .. } => "refund",
            Operation::PostFee { .. } => "post_fee",
            Operation::BlockCustomer { .. } => "block_customer",
            Operation::UnblockCustomer { .. } => "unblock_customer",
            Operation::SetCheckpoint { .. } => "set_checkpoint",
            Operation::RemoveCheckpoint { .. } => "remove_checkpoint",
            Operation::PruneEvents { .. } => "prune_events",
            Operation::Idempotent { operation, .. } => operation.name(),
            Operation::Restore(_) => "restore",
        }
    }
}

/// A dump record for [`Operation::Restore`], built only by [`crate::backup`].
#[doc(hidden)]
#[derive(Clone, Debug, PartialEq)]
pub struct RestoreInput(pub(crate) RestoreStep);

/// One step of a restore: a record of the dump, or a copy's final status once the rentals and holds it names
/// exist (a copy is first written on the shelf, with its book).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum RestoreStep {
    Record(Box<DumpRecord>),
    CopyStatus(BookCopy),
}

/// What an accepted [`Operation`] made or changed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    /// A new book and its copies ([`Operation::AddBook`]).
    Book {
        /// The book.
        book: Book,
        /// Its copies, in id order.
        copies: Vec<BookCopy>,
    },
    /// The book as changed ([`Operation::UpdateBook`]).
    BookUpdated(Book),
    /// New copies ([`Operation::AddCopies`]).
    Copies(Vec<BookCopy>),
    /// The copy as changed ([`Operation::SetWithdrawn`]).
    Copy(BookCopy),
    /// The customer as registered or changed.
    Customer(Customer),
    /// The rental as opened or closed.
    Rental(Rental),
    /// The plan version published (boxed: a plan is far larger than any other outcome).
    PlanVersion(Box<PlanVersion>),
    /// The ledger entry posted (payments, waivers, refunds, fees).
    Entry(LedgerEntry),
    /// The hold as placed or cancelled.
    Hold(Hold),
    /// The holds an operation changed (the expired ones, in id order).
    Holds(Vec<Hold>),
    /// A found copy, as it now stands, and the replacement fee credited back (if the plan says so).
    Found {
        /// The copy.
        copy: BookCopy,
        /// The credit posted.
        credit: Option<LedgerEntry>,
    },
    /// How many notices were newly marked as sent.
    Notified(u64),
    /// A customer's manual block as it now stands (`None`: not blocked).
    Block {
        /// Who.
        customer: CustomerId,
        /// The block.
        block: Option<Block>,
    },
    /// A record of a dump was written ([`crate::backup::restore`]).
    Restored,
    /// A consumer's checkpoint as stored ([`Operation::SetCheckpoint`]).
    Checkpoint {
        /// The consumer.
        name: String,
        /// Its checkpoint.
        position: u64,
    },
    /// The checkpoint [`Operation::RemoveCheckpoint`] removed (`None`: the consumer had none).
    CheckpointRemoved(Option<u64>),
    /// How many events [`Operation::PruneEvents`] removed.
    Pruned(u64),
}

impl Outcome {
    fn mismatch(self, wanted: &str) -> Error {
        Error::Corruption(format!(
            "a storage operation answered {self:?} where {wanted} was expected"
        ))
    }

    /// The book and copies of an [`Outcome::Book`].
    pub fn into_book(self) -> Result<(Book, Vec<BookCopy>)> {
        match self {
            Outcome::Book { book, copies } => Ok((book, copies)),
            other => Err(other.mismatch("a new book")),
        }
    }

    /// The book of an [`Outcome::BookUpdated`] (or of an [`Outcome::Book`]).
    pub fn into_updated_book(self) -> Result<Book> {
        match self {
            Outcome::BookUpdated(book) | Outcome::Book { book, .. } => Ok(book),
            other => Err(other.mismatch("a book")),
        }
    }

    /// The copies of an [`Outcome::Copies`].
    pub fn into_copies(self) -> Result<Vec<BookCopy>> {
        match self {
            Outcome::Copies(copies) => Ok(copies),
            other => Err(other.mismatch("copies")),
        }
    }

    /// The copy of an [`Outcome::Copy`].
    pub fn into_copy(self) -> Result<BookCopy> {
        match self {
            Outcome::Copy(copy) => Ok(copy),
            other => Err(other.mismatch("a copy")),
        }
    }

    /// The customer of an [`Outcome::Customer`].
    pub fn into_customer(self) -> Result<Customer> {
        match self {
            Outcome::Customer(customer) => Ok(customer),
            other => Err(other.mismatch("a customer")),
        }
    }

    /// The rental of an [`Outcome::Rental`].
    pub fn into_rental(self) -> Result<Rental> {
        match self {
            Outcome::Rental(rental) => Ok(rental),
            other => Err(other.mismatch("a rental")),
        }
    }

    /// The version of an [`Outcome::PlanVersion`].
    pub fn into_plan_version(self) -> Result<PlanVersion> {
        match self {
            Outcome::PlanVersion(version) => Ok(*version),
            other => Err(other.mismatch("a plan version")),
        }
    }
}

impl Outcome {
    /// The entry of an [`Outcome::Entry`].
    pub fn into_entry(self) -> Result<LedgerEntry> {
        match self {
            Outcome::Entry(entry) => Ok(entry),
            other => Err(other.mismatch("a ledger entry")),
        }
    }

    /// The hold of an [`Outcome::Hold`].
    pub fn into_hold(self) -> Result<Hold> {
        match self {
            Outcome::Hold(hold) => Ok(hold),
            other => Err(other.mismatch("a hold")),
        }
    }

    /// The holds of an [`Outcome::Holds`].
    pub fn into_holds(self) -> Result<Vec<Hold>> {
        match self {
            Outcome::Holds(holds) => Ok(holds),
            other => Err(other.mismatch("holds")),
        }
    }

    /// The copy and credit of an [`Outcome::Found`].
    pub fn into_found(self) -> Result<(BookCopy, Option<LedgerEntry>)> {
        match self {
            Outcome::Found { copy, credit } => Ok((copy, credit)),
            other => Err(other.mismatch("a found copy")),
        }
    }

    /// The count of an [`Outcome::Notified`].
    pub fn into_notified(self) -> Result<u64> {
        match self {
            Outcome::Notified(count) => Ok(count),
            other => Err(other.mismatch("a count of notices")),
        }
    }

    /// The block of an [`Outcome::Block`].
    pub fn into_block(self) -> Result<Option<Block>> {
        match self {
            Outcome::Block { block, .. } => Ok(block),
            other => Err(other.mismatch("a block")),
        }
    }
}

/// The one result of a batch of one.
pub(crate) fn single(results: Vec<Result<Outcome>>) -> Result<Outcome> {
    results.into_iter().next().unwrap_or_else(|| {
        Err(Error::Corruption(
            "a storage batch of one answered nothing".into(),
        ))
    })
}
