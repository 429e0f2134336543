//! How each [`Problem`] reads: one line, naming the records. The wording of the problems `koko check` found
//! before this module existed is kept word for word (scripts and operators grep for it).

use std::fmt::{self, Display, Formatter};

use super::problem::Problem;
use super::record::{Listing, Record};
use crate::domain::Hold;

impl Display for Record {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Display for Listing {
    /// The listing in words: `"the books"`, `"book 3's copies"`, `"customer 5's ledger"`, ….
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Listing::Books => f.write_str("the books"),
            Listing::Copies { book } => write!(f, "book {book}'s copies"),
            Listing::Customers => f.write_str("the customers"),
            Listing::Rentals => f.write_str("the rentals"),
            Listing::Ledger { customer } => write!(f, "customer {customer}'s ledger"),
            Listing::Holds { customer } => write!(f, "customer {customer}'s holds"),
            Listing::OpenRentals => f.write_str("the open-rental index"),
            Listing::CustomerRentals { customer } => {
                write!(f, "customer {customer}'s rental index")
            }
        }
    }
}

/// Ids as `1, 2, 3` (`none` for none).
fn list<T: Display>(ids: &[T]) -> String {
    if ids.is_empty() {
        return "none".to_owned();
    }
    ids.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Holds as `id (status, position)`.
fn queue(holds: &[Hold]) -> String {
    let places: Vec<String> = holds
        .iter()
        .map(|h| match h.position {
            Some(p) => format!("{} ({} {p})", h.id, h.status.as_str()),
            None => format!("{} ({})", h.id, h.status.as_str()),
        })
        .collect();
    list(&places)
}

fn maybe<T: Display>(value: &Option<T>) -> String {
    value
        .as_ref()
        .map_or_else(|| "none".to_owned(), ToString::to_string)
}

impl Display for Problem {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        use Problem::*;
        match self {
            OutOfOrder { listing, id, after } => {
                let what = listing.record();
                write!(f, "{what} {id} is listed after {what} {after}")?;
                match listing {
                    Listing::Books | Listing::Customers | Listing::Rentals => Ok(()),
                    _ => write!(f, " in {listing}"),
                }
            }
            WrongOwner { listing, id, owner } => match listing {
                Listing::Copies { book } => write!(f, "copy {id} of book {book} names book {owner}"),
                _ => write!(
                    f,
                    "{listing} lists {} {id}, which names customer {owner}",
                    listing.record()
                ),
            },
            ListedTwice { record, id } => write!(f, "{record} {id} is listed twice"),
            OwnerMissing {
                record,
                id,
                customer,
            } => write!(f, "{record} {id}: customer {customer} does not exist"),

            RentalCopyMissing { rental, copy } => {
                write!(f, "rental {rental}: copy {copy} does not exist")
            }
            RentalCopyOfOtherBook {
                rental,
                copy,
                book,
                copy_book,
            } => write!(
                f,
                "rental {rental}: copy {copy} belongs to book {copy_book}, the rental says book {book}"
            ),
            RentalBookMissing { rental, book } => {
                write!(f, "rental {rental}: book {book} does not exist")
            }
            RentalCustomerMissing { rental, customer } => {
                write!(f, "rental {rental}: customer {customer} does not exist")
            }
            PlanVersionMissing {
                rental,
                plan_version,
            } => write!(
                f,
                "rental {rental} names plan version {plan_version}, which does not exist"
            ),
            DueDateUnknown { rental, reason } => write!(
                f,
                "rental {rental}: its due date cannot be worked out: {reason}"
            ),
            RenewalOutOfOrder {
                rental,
                renewal,
                at,
            } => write!(
                f,
                "rental {rental}: renewal {renewal} at {at} is out of order (before the rental or the renewal \
                 ahead of it, or after the return)"
            ),
            RenewedWithoutDueDate { rental, at } => write!(
                f,
                "rental {rental}: renewed at {at}, but its category has no loan period"
            ),
            RenewalRefused {
                rental,
                renewal,
                at,
                reason,
            } => write!(
                f,
                "rental {rental}: renewal {renewal} at {at} is refused by its plan: {reason}"
            ),
            DueDateWrong {
                rental,
                due_at,
                expected,
            } => write!(
                f,
                "rental {rental}: due at {}; its plan and renewals say {}",
                maybe(due_at),
                maybe(expected)
            ),
            OpenButCharged { rental } => write!(f, "rental {rental}: open but charged"),
            ClosedWithoutCharge { rental } => write!(f, "closed rental {rental} has no charge"),
            ReturnedBeforeRented {
                rental,
                rented_at,
                returned_at,
            } => write!(
                f,
                "rental {rental}: returned at {returned_at}, before it was rented at {rented_at}"
            ),
            ChargeNotQuote {
                rental,
                charged,
                quote,
            } => {
                write!(
                    f,
                    "rental {rental} was charged {charged} but its quote is {quote}"
                )?;
                if charged == quote {
                    f.write_str(" (its days or lines differ)")?;
                }
                Ok(())
            }
            Unquotable { rental, reason } => {
                write!(f, "rental {rental} cannot be quoted: {reason}")
            }

            OpenRentalNotMarked { rental, copy, .. } => write!(
                f,
                "open rental {rental} holds copy {copy}, which is not marked rented under it"
            ),
            MarkedRentedNotOpen { copy, rental } => write!(
                f,
                "copy {copy} is marked rented under rental {rental}, which is not open on it"
            ),
            SeveralOpenRentals { copy, rentals } => write!(
                f,
                "copy {copy} has {} open rentals: {}",
                rentals.len(),
                list(rentals)
            ),

            NegativeAmount { entry, amount } => {
                write!(f, "ledger entry {entry}: negative amount {amount}")
            }
            RunningBalance {
                entry,
                balance_after,
                sum,
                ..
            } => write!(
                f,
                "ledger entry {entry} says the balance is {balance_after}, the entries before it add up to {sum}"
            ),
            BalanceOverflow { entry, customer } => write!(
                f,
                "ledger entry {entry} of customer {customer}: the running sum overflows"
            ),
            AccountBalance {
                customer,
                balance,
                sum,
            } => write!(
                f,
                "customer {customer}'s balance is {balance}, the ledger adds up to {sum}"
            ),
            NoAccount { customer } => write!(f, "customer {customer} has no account"),
            SharedEmail {
                customer,
                first,
                email,
            } => write!(
                f,
                "customer {customer} shares the e-mail address {email} with customer {first} (an address is one \
                 customer's: change one of them)"
            ),
            OpenRentalCount {
                customer,
                counted,
                open,
            } => write!(
                f,
                "customer {customer}'s account counts {counted} open rentals, they have {open}"
            ),

            ChargeWithoutRental { entry } => {
                write!(f, "ledger entry {entry}: a charge without a rental")
            }
            OpenRentalCharged { rental, entries } => write!(
                f,
                "rental {rental}: open, yet charged by ledger entries {}",
                list(entries)
            ),
            ChargeEntryCount { rental, entries } => write!(
                f,
                "closed rental {rental} has {} charge entries ({}); exactly one expected",
                entries.len(),
                list(entries)
            ),
            ChargeEntryMismatch {
                rental,
                customer,
                returned_at,
                charged,
                currency,
                entry,
                entry_customer,
                entry_at,
                entry_amount,
                entry_currency,
            } => write!(
                f,
                "rental {rental} (customer {customer}, returned at {returned_at}, charged {charged} {currency}): its \
                 charge entry {entry} is {entry_amount} {entry_currency} to customer {entry_customer} at {entry_at}"
            ),
            EntriesOfUnknownRental {
                kind,
                rental,
                entries,
            } => write!(
                f,
                "{} entries {} name rental {rental}, which does not exist",
                kind.name(),
                list(entries)
            ),

            HoldBookMissing { hold, book } => write!(f, "hold {hold}: book {book} does not exist"),
            HoldClosedBeforePlaced {
                hold,
                placed_at,
                closed_at,
            } => write!(
                f,
                "hold {hold}: closed at {closed_at}, before it was placed at {placed_at}"
            ),
            HoldFieldsUnfit { hold } => write!(
                f,
                "hold {} is {} with copy {}, ready until {}, closed at {}, rental {}",
                hold.id,
                hold.status.as_str(),
                maybe(&hold.copy),
                maybe(&hold.ready_until),
                maybe(&hold.closed_at),
                maybe(&hold.rental)
            ),
            ReadyHoldCopy {
                hold,
                customer,
                book,
                copy,
                found,
            } => {
                write!(
                    f,
                    "ready hold {hold} of customer {customer} for book {book} names copy {copy}, which "
                )?;
                match found {
                    None => f.write_str("does not exist"),
                    Some((other, _)) if other != book => write!(f, "is a copy of book {other}"),
                    Some((_, status)) => write!(f, "is {status:?}"),
                }
            }
            CopyOnHoldUnnamed { copy, book, hold } => write!(
                f,
                "copy {copy} of book {book} is on hold for hold {hold}, which is not a ready hold of that book \
                 naming it"
            ),
            WaitingWhileOnShelf {
                book,
                copies,
                holds,
            } => write!(
                f,
                "book {book} has copies {} on the shelf while holds {} wait for it",
                list(copies),
                list(holds)
            ),
            SeveralActiveHolds {
                customer,
                book,
                holds,
            } => write!(
                f,
                "customer {customer} has {} active holds on book {book}: {}",
                holds.len(),
                list(holds)
            ),
            FulfilmentMismatch {
                hold,
                rental,
                exists,
            } => {
                write!(f, "fulfilled hold {hold} names rental {rental}, which ")?;
                if *exists {
                    f.write_str(
                        "is not its customer's rental of its copy of its book, opened when the hold closed",
                    )
                } else {
                    f.write_str("does not exist")
                }
            }

            LostCopyRental { copy, rental } => write!(
                f,
                "copy {copy} is lost under rental {rental}, which is not its latest rental closed as lost"
            ),
            LostButOpen { rental } => write!(f, "rental {rental}: lost, yet open"),
            NoTariff { rental, reason } => write!(
                f,
                "rental {rental}: its category has no tariff in its plan version: {reason}"
            ),
            ReplacementFees {
                rental,
                lost_at,
                expected,
                entries,
            } => write!(
                f,
                "rental {rental}: declared lost at {lost_at}; its plan's replacement fees are {}, its fee entries \
                 then are {}",
                list(expected),
                list(entries)
            ),
            FoundCredit {
                rental,
                copy,
                status,
                owed,
                entries,
            } => {
                write!(f, "rental {rental}: its copy {copy} is ")?;
                match status {
                    Some(status) => write!(f, "{status:?}")?,
                    None => f.write_str("missing")?,
                }
                match owed {
                    Some(fee) => write!(f, "; the replacement fee {fee} is owed back")?,
                    None => f.write_str("; no credit is owed")?,
                }
                write!(f, "; its waiver entries are {}", list(entries))
            }
            CreditOfKeptRental { rental, entries } => write!(
                f,
                "rental {rental}: not lost, yet waiver entries {} name it",
                list(entries)
            ),
            FeeOfOtherCustomer {
                entry,
                customer,
                rental,
                renter,
            } => write!(
                f,
                "fee entry {entry} of customer {customer} names rental {rental}, which is customer {renter}'s"
            ),

            IndexLacks { listing, id } => {
                write!(f, "{listing} lacks {} {id}", listing.record())
            }
            IndexHas { listing, id } => {
                let why = match listing {
                    Listing::OpenRentals => "which is not open",
                    Listing::CustomerRentals { .. } => "which is not theirs",
                    _ => "which it should not",
                };
                write!(f, "{listing} lists {} {id}, {why}", listing.record())
            }
            ChargeIndex {
                rental,
                found,
                ledger,
            } => write!(
                f,
                "rental {rental}: the charge index finds entry {}, the ledger holds {}",
                maybe(found),
                maybe(ledger)
            ),
            HoldQueue {
                book,
                listed,
                expected,
            } => {
                match book {
                    Some(book) => write!(f, "book {book}'s hold queue lists ")?,
                    None => f.write_str("the active holds list ")?,
                }
                write!(
                    f,
                    "{}; its waiting and ready holds are {}",
                    queue(listed),
                    queue(expected)
                )?;
                if queue(listed) == queue(expected) {
                    f.write_str(" (their fields differ)")?;
                }
                Ok(())
            }
            FoundUnlisted { record, id } => {
                let by = match record {
                    Record::Copy => "book",
                    _ => "customer",
                };
                write!(f, "{record} {id} exists but no {by} lists it")
            }
            ListedNotFound { record, id } => {
                write!(f, "{record} {id} is listed but not found by its id")
            }
            EventGap { after, next } => write!(
                f,
                "the feed goes from position {after} to position {next}: its positions are not consecutive"
            ),
            EventId { position, id } => write!(
                f,
                "the event at position {position} has id {id:?}, not {:?}",
                crate::domain::Event::id_at(*position)
            ),
            EventCounter { counter, last } => write!(
                f,
                "the feed's counter of positions given says {counter}, but its last event is at position {last}"
            ),
            CheckpointPastFeed {
                name,
                position,
                last,
            } => write!(
                f,
                "consumer {name:?}'s checkpoint {position} is past the feed's last position {last}"
            ),
            EventIndexLacks { kind, position } => write!(
                f,
                "the feed by type lacks the {kind} event at position {position}"
            ),
            EventIndexHas { kind, position } => write!(
                f,
                "the feed by type lists position {position} as {kind}, which the feed does not hold there"
            ),
            EventIndexUnreadable { kind, reason } => {
                write!(f, "the feed by type cannot be read for {kind}: {reason}")
            }
        }
    }
}
