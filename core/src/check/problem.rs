//! What a check finds: one [`Problem`] per broken invariant, naming the records concerned. Its family of invariants
//! is in `family.rs`, how each reads in `describe.rs`.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::record::{Listing, Record};
use crate::domain::{CopyStatus, EntryKind, EventKind, Hold};
use crate::ids::{BookId, CopyId, CustomerId, HoldId, LedgerEntryId, PlanVersionId, RentalId};
use crate::money::Currency;

/// One broken invariant, naming the records concerned. Its [`Display`](std::fmt::Display) is one line for a
/// person (`koko check` prints it); match on the variant to act on it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    // --- Listing ---
    /// A listing gives an id no greater than the one before it (so ids are out of order or repeated).
    OutOfOrder {
        /// The listing.
        listing: Listing,
        /// The id listed.
        id: u64,
        /// The id listed before it.
        after: u64,
    },
    /// A record listed by a book or customer names another one (a copy of another book, a ledger entry or hold
    /// of another customer).
    WrongOwner {
        /// The listing (`Copies`, `Ledger` or `Holds`).
        listing: Listing,
        /// The record's id.
        id: u64,
        /// The book or customer the record names.
        owner: u64,
    },
    /// Two books list the same copy, or two customers the same ledger entry or hold.
    ListedTwice {
        /// The kind of record.
        record: Record,
        /// Its id.
        id: u64,
    },
    /// A ledger entry or hold names a customer that does not exist (found only in a [`Snapshot`](super::Snapshot),
    /// where records are kept apart from the customers listing them).
    OwnerMissing {
        /// `LedgerEntry` or `Hold`.
        record: Record,
        /// Its id.
        id: u64,
        /// The customer it names.
        customer: CustomerId,
    },

    // --- Rentals ---
    /// A rental names a copy that does not exist.
    RentalCopyMissing {
        /// The rental.
        rental: RentalId,
        /// The copy it names.
        copy: CopyId,
    },
    /// A rental's copy belongs to another book than the rental names.
    RentalCopyOfOtherBook {
        /// The rental.
        rental: RentalId,
        /// Its copy.
        copy: CopyId,
        /// The book the rental names.
        book: BookId,
        /// The book the copy belongs to.
        copy_book: BookId,
    },
    /// A rental names a book that does not exist.
    RentalBookMissing {
        /// The rental.
        rental: RentalId,
        /// The book it names.
        book: BookId,
    },
    /// A rental names a customer that does not exist.
    RentalCustomerMissing {
        /// The rental.
        rental: RentalId,
        /// The customer it names.
        customer: CustomerId,
    },
    /// A rental names a plan version that does not exist.
    PlanVersionMissing {
        /// The rental.
        rental: RentalId,
        /// The plan version it names.
        plan_version: PlanVersionId,
    },
    /// A rental's plan cannot work out its due date (its category is not priced by it).
    DueDateUnknown {
        /// The rental.
        rental: RentalId,
        /// Why, as the plan says.
        reason: String,
    },
    /// A renewal comes before the rental, before the renewal ahead of it, or after the return.
    RenewalOutOfOrder {
        /// The rental.
        rental: RentalId,
        /// Which renewal (0 for the first).
        renewal: usize,
        /// When it was made.
        at: DateTime<Utc>,
    },
    /// A rental was renewed although its category has no loan period (no due date to move on).
    RenewedWithoutDueDate {
        /// The rental.
        rental: RentalId,
        /// When the renewal was made.
        at: DateTime<Utc>,
    },
    /// A renewal the rental's plan refuses (more renewals than it allows, or none allowed).
    RenewalRefused {
        /// The rental.
        rental: RentalId,
        /// Which renewal (0 for the first).
        renewal: usize,
        /// When it was made.
        at: DateTime<Utc>,
        /// Why, as the plan says.
        reason: String,
    },
    /// A rental's due date is not the one its plan gives for its rental instant, moved on by each renewal.
    DueDateWrong {
        /// The rental.
        rental: RentalId,
        /// The due date it stores.
        due_at: Option<DateTime<Utc>>,
        /// The due date its plan and renewals give.
        expected: Option<DateTime<Utc>>,
    },
    /// An open rental carries a charge.
    OpenButCharged {
        /// The rental.
        rental: RentalId,
    },
    /// A closed rental carries no charge.
    ClosedWithoutCharge {
        /// The rental.
        rental: RentalId,
    },
    /// A rental was returned before it was rented.
    ReturnedBeforeRented {
        /// The rental.
        rental: RentalId,
        /// When it was rented.
        rented_at: DateTime<Utc>,
        /// When it was returned.
        returned_at: DateTime<Utc>,
    },
    /// A closed rental's charge is not its quote (`PricePlan::quote_with_due` under its plan version, for its
    /// times and its stored due date).
    ChargeNotQuote {
        /// The rental.
        rental: RentalId,
        /// The total it was charged.
        charged: Decimal,
        /// The quote's total.
        quote: Decimal,
    },
    /// A closed rental's times cannot be quoted under its plan version.
    Unquotable {
        /// The rental.
        rental: RentalId,
        /// Why, as the plan says.
        reason: String,
    },

    // --- Copies ---
    /// An open rental's copy is not marked rented under it.
    OpenRentalNotMarked {
        /// The open rental.
        rental: RentalId,
        /// Its copy.
        copy: CopyId,
        /// The copy's status.
        status: CopyStatus,
    },
    /// A copy is marked rented under a rental that is not open on it.
    MarkedRentedNotOpen {
        /// The copy.
        copy: CopyId,
        /// The rental its status names.
        rental: RentalId,
    },
    /// A copy has several open rentals.
    SeveralOpenRentals {
        /// The copy.
        copy: CopyId,
        /// Its open rentals, in id order.
        rentals: Vec<RentalId>,
    },

    // --- Ledger ---
    /// A ledger entry of a negative amount (amounts are positive; the kind says which way they go).
    NegativeAmount {
        /// The entry.
        entry: LedgerEntryId,
        /// Its amount.
        amount: Decimal,
    },
    /// A ledger entry's `balance_after` is not the sum of the customer's entries up to it.
    RunningBalance {
        /// The entry.
        entry: LedgerEntryId,
        /// Its customer.
        customer: CustomerId,
        /// The balance it states.
        balance_after: Decimal,
        /// The sum of the entries up to and including it.
        sum: Decimal,
    },
    /// The sum of a customer's ledger overflows.
    BalanceOverflow {
        /// The entry at which it overflows.
        entry: LedgerEntryId,
        /// Its customer.
        customer: CustomerId,
    },
    /// A customer's stored balance is not the sum of their ledger.
    AccountBalance {
        /// The customer.
        customer: CustomerId,
        /// The balance their account stores.
        balance: Decimal,
        /// The sum of their ledger.
        sum: Decimal,
    },
    /// A customer has no account.
    NoAccount {
        /// The customer.
        customer: CustomerId,
    },
    /// Two customers share an e-mail address (case ignored), which is one customer's natural key: a store from
    /// before addresses were unique. Neither is merged into the other; an operator decides.
    SharedEmail {
        /// The customer with the higher id.
        customer: CustomerId,
        /// The first customer (lowest id) with the address, who keeps it.
        first: CustomerId,
        /// The address, in lower case.
        email: String,
    },
    /// A customer's account counts another number of open rentals than they have.
    OpenRentalCount {
        /// The customer.
        customer: CustomerId,
        /// What their account counts.
        counted: u64,
        /// How many open rentals name them.
        open: u64,
    },

    // --- Charges ---
    /// A `charge` entry names no rental.
    ChargeWithoutRental {
        /// The entry.
        entry: LedgerEntryId,
    },
    /// An open rental has charge entries.
    OpenRentalCharged {
        /// The rental.
        rental: RentalId,
        /// The charge entries naming it.
        entries: Vec<LedgerEntryId>,
    },
    /// A closed rental has no charge entry, or several.
    ChargeEntryCount {
        /// The rental.
        rental: RentalId,
        /// The charge entries naming it.
        entries: Vec<LedgerEntryId>,
    },
    /// A closed rental's charge entry is not of its charge: another amount or currency, another customer, or
    /// another instant than its return.
    ChargeEntryMismatch {
        /// The rental.
        rental: RentalId,
        /// Its customer.
        customer: CustomerId,
        /// When it was returned.
        returned_at: DateTime<Utc>,
        /// What it was charged.
        charged: Decimal,
        /// In which currency.
        currency: Currency,
        /// Its charge entry.
        entry: LedgerEntryId,
        /// The entry's customer.
        entry_customer: CustomerId,
        /// The entry's instant.
        entry_at: DateTime<Utc>,
        /// The entry's amount.
        entry_amount: Decimal,
        /// The entry's currency.
        entry_currency: Currency,
    },
    /// Ledger entries name a rental that does not exist.
    EntriesOfUnknownRental {
        /// Their kind (`Charge`, `Fee` or `Waiver`).
        kind: EntryKind,
        /// The rental they name.
        rental: RentalId,
        /// The entries.
        entries: Vec<LedgerEntryId>,
    },

    // --- Holds ---
    /// A hold names a book that does not exist.
    HoldBookMissing {
        /// The hold.
        hold: HoldId,
        /// The book it names.
        book: BookId,
    },
    /// A hold closed before it was placed.
    HoldClosedBeforePlaced {
        /// The hold.
        hold: HoldId,
        /// When it was placed.
        placed_at: DateTime<Utc>,
        /// When it closed.
        closed_at: DateTime<Utc>,
    },
    /// A hold's fields do not fit its status: waiting (no copy, deadline, close or rental), ready (a copy and a
    /// deadline, open), fulfilled (a copy, closed, a rental), cancelled (closed, no rental, a copy exactly when a
    /// deadline), expired (a copy, no rental, closed after its deadline).
    HoldFieldsUnfit {
        /// The hold as stored.
        hold: Box<Hold>,
    },
    /// A ready hold's copy is not a copy of its book set aside for it.
    ReadyHoldCopy {
        /// The hold.
        hold: HoldId,
        /// Its customer.
        customer: CustomerId,
        /// Its book.
        book: BookId,
        /// The copy it names.
        copy: CopyId,
        /// The copy's book and status, if the copy exists.
        found: Option<(BookId, CopyStatus)>,
    },
    /// A copy is set aside for a hold that is not a ready hold of its book naming it.
    CopyOnHoldUnnamed {
        /// The copy.
        copy: CopyId,
        /// Its book.
        book: BookId,
        /// The hold its status names.
        hold: HoldId,
    },
    /// Holds wait for a book while copies of it are on the shelf.
    WaitingWhileOnShelf {
        /// The book.
        book: BookId,
        /// Its available copies.
        copies: Vec<CopyId>,
        /// Its waiting holds.
        holds: Vec<HoldId>,
    },
    /// A customer has more than one waiting or ready hold on a book.
    SeveralActiveHolds {
        /// The customer.
        customer: CustomerId,
        /// The book.
        book: BookId,
        /// The holds.
        holds: Vec<HoldId>,
    },
    /// A fulfilled hold's rental is not its customer's rental of its copy of its book, opened when it closed.
    FulfilmentMismatch {
        /// The hold.
        hold: HoldId,
        /// The rental it names.
        rental: RentalId,
        /// Whether that rental exists.
        exists: bool,
    },

    // --- Lost ---
    /// A copy is lost under a rental that is not its latest rental, closed as lost.
    LostCopyRental {
        /// The copy.
        copy: CopyId,
        /// The rental its status names.
        rental: RentalId,
    },
    /// A rental is marked lost but still open.
    LostButOpen {
        /// The rental.
        rental: RentalId,
    },
    /// A lost rental's category has no tariff in its plan version (so its fees cannot be known).
    NoTariff {
        /// The rental.
        rental: RentalId,
        /// Why, as the plan says.
        reason: String,
    },
    /// A lost rental lacks the replacement and processing fees its plan version sets (those above zero), posted
    /// to its customer when it was declared lost.
    ReplacementFees {
        /// The rental.
        rental: RentalId,
        /// When it was declared lost.
        lost_at: DateTime<Utc>,
        /// The fees its plan sets, in posting order.
        expected: Vec<Decimal>,
        /// The fee entries naming it at that instant, of its customer.
        entries: Vec<LedgerEntryId>,
    },
    /// A lost rental's credit (a `waiver` of the replacement fee) is missing although its copy was found and its
    /// plan credits the fee, is there although it should not be, or is not of the fee, its customer, or an
    /// instant no earlier than the loss.
    FoundCredit {
        /// The rental.
        rental: RentalId,
        /// Its copy.
        copy: CopyId,
        /// The copy's status now, if the copy exists.
        status: Option<CopyStatus>,
        /// The credit owed (the replacement fee), if one is.
        owed: Option<Decimal>,
        /// The waiver entries naming the rental.
        entries: Vec<LedgerEntryId>,
    },
    /// A rental not lost has waiver entries naming it (only a found copy's credit names a rental).
    CreditOfKeptRental {
        /// The rental.
        rental: RentalId,
        /// The waiver entries naming it.
        entries: Vec<LedgerEntryId>,
    },
    /// A fee entry names a rental of another customer.
    FeeOfOtherCustomer {
        /// The entry.
        entry: LedgerEntryId,
        /// The customer it is posted to.
        customer: CustomerId,
        /// The rental it names.
        rental: RentalId,
        /// The rental's customer.
        renter: CustomerId,
    },

    // --- Indexes ---
    /// An index lacks a record it should list (an open rental, a customer's rental).
    IndexLacks {
        /// The index (`OpenRentals` or `CustomerRentals`).
        listing: Listing,
        /// The record's id.
        id: u64,
    },
    /// An index lists a record it should not (a rental not open, or not the customer's, or not existing).
    IndexHas {
        /// The index (`OpenRentals` or `CustomerRentals`).
        listing: Listing,
        /// The record's id.
        id: u64,
    },
    /// The charge index (`Storage::charge_entry`) finds another entry for a rental than its ledger holds.
    ChargeIndex {
        /// The rental.
        rental: RentalId,
        /// What the index finds.
        found: Option<LedgerEntryId>,
        /// The first charge entry naming the rental in the ledger.
        ledger: Option<LedgerEntryId>,
    },
    /// A hold queue — a book's (`Storage::book_holds`) or the active holds (`Storage::active_holds`) — is not
    /// exactly the waiting and ready holds, in id order, the waiting ones numbered 1, 2, … per book.
    HoldQueue {
        /// The book, or `None` for the active holds.
        book: Option<BookId>,
        /// What the queue lists.
        listed: Vec<Hold>,
        /// What it should list.
        expected: Vec<Hold>,
    },
    /// A record is found by its id but listed by no book or customer (probing ids up to the largest listed + 16).
    FoundUnlisted {
        /// `Copy` or `Hold`.
        record: Record,
        /// Its id.
        id: u64,
    },
    /// A listed record is not found by its id.
    ListedNotFound {
        /// `Copy` or `Hold`.
        record: Record,
        /// Its id.
        id: u64,
    },

    // --- Events ---
    /// The feed's positions are not consecutive: after position `after` comes `next`, not `after + 1` (a gap,
    /// or positions out of order or repeated).
    EventGap {
        /// A position of the feed.
        after: u64,
        /// The position the feed holds next.
        next: u64,
    },
    /// An event's id is not the one its position gives (`evt_` and the position, 20 digits).
    EventId {
        /// The event's position.
        position: u64,
        /// The id it has.
        id: String,
    },
    /// The store's counter of positions given (`Storage::last_event_position`) is not the feed's last position.
    EventCounter {
        /// What the counter says.
        counter: u64,
        /// The position of the feed's last event.
        last: u64,
    },
    /// A consumer's checkpoint is past the last position given.
    CheckpointPastFeed {
        /// The consumer.
        name: String,
        /// Its checkpoint.
        position: u64,
        /// The last position given.
        last: u64,
    },
    /// The feed by type lacks an event of the feed (`Storage::events_of_types_after` of its type skips it).
    EventIndexLacks {
        /// The event's type.
        kind: EventKind,
        /// Its position.
        position: u64,
    },
    /// The feed by type lists a position under a type the feed holds no event of there.
    EventIndexHas {
        /// The type it is listed under.
        kind: EventKind,
        /// The position.
        position: u64,
    },
    /// The feed by type cannot be read for a type (it names an event the feed does not hold).
    EventIndexUnreadable {
        /// The type.
        kind: EventKind,
        /// What the store answered.
        reason: String,
    },
}
