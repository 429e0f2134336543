//! The append-only acknowledgement log: what the writer asked for, and what the store acknowledged.
//!
//! One JSON object per line. Before each operation the writer appends a `begin` line (the operation and the
//! error it expects, if any); after the operation returns it appends an `ok` line (the operation and its result:
//! ids, instants, the stored charge, the ledger entries a payment, a return or a loss posted, holds) or an `err`
//! line (the error's kind). Each line is written with **one** `write(2)` on a file opened with `O_APPEND` and no
//! userspace buffer, so a `SIGKILL` can leave at most the very last line torn; [`read_log`] ignores a torn final
//! line and rejects anything torn before it.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

use chrono::{DateTime, Utc};
use koko_core::{
    Book, BookCopy, BookId, CopyId, Customer, CustomerId, CustomerUpdate, Damage, Decimal, Hold,
    HoldId, LedgerEntry, NewBook, NewCustomer, Operation, RentTarget, Rental, RentalId,
};
use serde::{Deserialize, Serialize};

/// One operation of the workload, with the arguments that identify its effect in a store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Op {
    /// `BookStore::add_book` with `copies` copies.
    AddBook {
        /// Unique per writer run.
        title: String,
        /// The author.
        author: String,
        /// A category story 3 prices.
        category: String,
        /// 1–3.
        copies: u32,
    },
    /// `BookStore::register_customer`.
    RegisterCustomer {
        /// First name.
        first_name: String,
        /// Last name, unique per writer run.
        last_name: String,
    },
    /// `BookStore::rent_book_at`: the first available copy of `book`.
    RentBook {
        /// Customer id.
        customer: u64,
        /// Book id.
        book: u64,
        /// Rental instant.
        at: DateTime<Utc>,
    },
    /// `BookStore::rent_copy_at`: exactly `copy`.
    RentCopy {
        /// Customer id.
        customer: u64,
        /// Copy id.
        copy: u64,
        /// Rental instant.
        at: DateTime<Utc>,
    },
    /// `BookStore::return_rental_at`, or `BookStore::return_damaged_at` with a damage fee.
    Return {
        /// Rental id.
        rental: u64,
        /// Return instant.
        at: DateTime<Utc>,
        /// A damage fee found at the return, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        damage: Option<DamageFee>,
    },
    /// `Operation::Pay` of `cents` hundredths of the store's currency, in the store's currency, without a note.
    Pay {
        /// Customer id.
        customer: u64,
        /// The amount in cents (`Decimal::new(cents, 2)`); positive unless provoked to fail.
        cents: i64,
        /// Payment instant.
        at: DateTime<Utc>,
    },
    /// `Operation::Renew` (through `BookStore::apply`): moves an open rental's due date on by its loan period.
    Renew {
        /// Rental id.
        rental: u64,
        /// Renewal instant.
        at: DateTime<Utc>,
    },
    /// `BookStore::place_hold_at`: queues a customer for a book (ready at once if a copy is on the shelf).
    PlaceHold {
        /// Customer id.
        customer: u64,
        /// Book id.
        book: u64,
        /// Placement instant.
        at: DateTime<Utc>,
    },
    /// `BookStore::cancel_hold_at`.
    CancelHold {
        /// Hold id.
        hold: u64,
        /// Cancellation instant.
        at: DateTime<Utc>,
    },
    /// `BookStore::expire_holds_at`: every ready hold not picked up by `at` expires.
    ExpireHolds {
        /// Now.
        at: DateTime<Utc>,
    },
    /// `BookStore::declare_lost_at`: closes an open rental as lost, with the tariff's replacement fees.
    DeclareLost {
        /// Rental id.
        rental: u64,
        /// When it was declared lost.
        at: DateTime<Utc>,
    },
    /// `BookStore::mark_found_at`: a lost copy back in circulation, its replacement fee credited if the plan says.
    MarkFound {
        /// Copy id.
        copy: u64,
        /// When it was found.
        at: DateTime<Utc>,
    },
    /// `BookStore::deactivate_customer`.
    Deactivate {
        /// Customer id.
        customer: u64,
    },
    /// `BookStore::apply_batch` of these operations (none of them a batch), each expected to succeed: the
    /// writer builds batches its view says are valid throughout.
    Batch {
        /// The operations, in order.
        ops: Vec<Op>,
    },
}

impl Op {
    /// The store operation the writer calls for this one (a deactivation is a customer update); `None` for a
    /// batch, which is a list of them.
    pub fn operation(&self) -> Option<Operation> {
        Some(match self {
            Op::AddBook {
                title,
                author,
                category,
                copies,
            } => Operation::AddBook {
                book: NewBook::new(title, author, category),
                copies: *copies,
            },
            Op::RegisterCustomer {
                first_name,
                last_name,
            } => Operation::RegisterCustomer(NewCustomer::new(first_name, last_name)),
            Op::RentBook { customer, book, at } => Operation::Rent {
                target: RentTarget::Book(BookId::new(*book)),
                customer: CustomerId::new(*customer),
                at: *at,
            },
            Op::RentCopy { customer, copy, at } => Operation::Rent {
                target: RentTarget::Copy(CopyId::new(*copy)),
                customer: CustomerId::new(*customer),
                at: *at,
            },
            Op::Return { rental, at, damage } => Operation::Return {
                rental: RentalId::new(*rental),
                at: *at,
                damage: damage.as_ref().map(|d| Damage {
                    fee: Decimal::new(d.cents, 2),
                    note: d.note.clone(),
                }),
            },
            Op::Pay {
                customer,
                cents,
                at,
            } => Operation::Pay {
                customer: CustomerId::new(*customer),
                amount: Decimal::new(*cents, 2),
                currency: None,
                at: *at,
                note: None,
            },
            Op::Renew { rental, at } => Operation::Renew {
                rental: RentalId::new(*rental),
                at: *at,
            },
            Op::PlaceHold { customer, book, at } => Operation::PlaceHold {
                customer: CustomerId::new(*customer),
                book: BookId::new(*book),
                at: *at,
            },
            Op::CancelHold { hold, at } => Operation::CancelHold {
                hold: HoldId::new(*hold),
                at: *at,
            },
            Op::ExpireHolds { at } => Operation::ExpireHolds { at: *at },
            Op::DeclareLost { rental, at } => Operation::DeclareLost {
                rental: RentalId::new(*rental),
                at: *at,
            },
            Op::MarkFound { copy, at } => Operation::MarkFound {
                copy: CopyId::new(*copy),
                at: *at,
            },
            Op::Deactivate { customer } => Operation::UpdateCustomer {
                id: CustomerId::new(*customer),
                update: CustomerUpdate {
                    active: Some(false),
                    ..CustomerUpdate::default()
                },
            },
            Op::Batch { .. } => return None,
        })
    }

    /// The instant the operation names (for a batch, the latest its operations name); `None` for one that names
    /// none (adding a book, registering or deactivating a customer).
    pub fn at(&self) -> Option<DateTime<Utc>> {
        match self {
            Op::RentBook { at, .. }
            | Op::RentCopy { at, .. }
            | Op::Return { at, .. }
            | Op::Pay { at, .. }
            | Op::Renew { at, .. }
            | Op::PlaceHold { at, .. }
            | Op::CancelHold { at, .. }
            | Op::ExpireHolds { at }
            | Op::DeclareLost { at, .. }
            | Op::MarkFound { at, .. } => Some(*at),
            Op::AddBook { .. } | Op::RegisterCustomer { .. } | Op::Deactivate { .. } => None,
            Op::Batch { ops } => ops.iter().filter_map(Op::at).max(),
        }
    }
}

/// A damage fee charged at a return (`Damage`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DamageFee {
    /// The fee in cents (`Decimal::new(cents, 2)`).
    pub cents: i64,
    /// What was damaged.
    pub note: String,
}

/// What an acknowledged operation returned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// The book added, and the ids of its copies (`None` if reading them back failed).
    Book {
        /// The stored book.
        book: Book,
        /// Its copies' ids, read back after the add.
        copies: Option<Vec<u64>>,
    },
    /// A registered or deactivated customer.
    Customer {
        /// The customer as stored.
        customer: Customer,
    },
    /// An opened rental, a renewed one (with its new due date and renewals), or a closed one with its charge.
    Rental {
        /// The rental as stored.
        rental: Rental,
        /// For a return: the `charge` ledger entry it posted, read back right after the return
        /// (`Storage::charge_entry`; `None` for a rent, or if reading it back failed).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        charge_entry: Option<Box<LedgerEntry>>,
        /// For a damaged return or a copy declared lost: the `fee` entries naming the rental, read back right after
        /// (empty otherwise, or if reading them back failed).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        fees: Vec<LedgerEntry>,
    },
    /// The ledger entry a payment posted (its id, amount and the balance after it).
    Entry {
        /// The entry as the store answered it.
        entry: LedgerEntry,
    },
    /// A hold as placed or cancelled.
    Hold {
        /// The hold as the store answered it.
        hold: Hold,
    },
    /// The holds an expiry expired, in id order.
    Holds {
        /// The expired holds.
        holds: Vec<Hold>,
    },
    /// A found copy as it now stands, and the credit posted for it.
    Found {
        /// The copy (on the shelf, or set aside for a waiting hold).
        copy: BookCopy,
        /// The replacement fee credited back, if the plan says so.
        credit: Option<LedgerEntry>,
    },
    /// The outcome of every operation of a batch, in order.
    Batch {
        /// One per operation.
        outcomes: Vec<Outcome>,
    },
}

/// One line of the log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Entry {
    /// A writer process started.
    Start {
        /// Its process id.
        pid: u32,
        /// Its seed.
        seed: u64,
        /// Its durability mode, as given on the command line.
        durability: String,
    },
    /// The writer is about to call the store.
    Begin {
        /// Sequence number within the run (from 0).
        seq: u64,
        /// The operation.
        op: Op,
        /// The error kind the writer provoked on purpose (a conflict), if any.
        expect: Option<String>,
    },
    /// The store returned `Ok`: the operation is acknowledged.
    Ok {
        /// The `begin` line's sequence number.
        seq: u64,
        /// When the result came back: nanoseconds since the Unix epoch (wall clock).
        acked_ns: u64,
        /// The operation.
        op: Op,
        /// What it returned.
        outcome: Outcome,
    },
    /// The store returned an error.
    Err {
        /// The `begin` line's sequence number.
        seq: u64,
        /// When the error came back, nanoseconds since the Unix epoch.
        acked_ns: u64,
        /// The operation.
        op: Op,
        /// The error kind the writer expected, if it provoked one on purpose.
        expect: Option<String>,
        /// `Error::kind()`.
        kind: String,
        /// The error's message.
        message: String,
        /// Whether the failed operation's effect was nevertheless visible when the writer read the store back
        /// in the same process right after the error (`None`: not probed, or the read-back failed too).
        visible: Option<bool>,
        /// Why the read-back failed, if it did.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        probe_error: Option<String>,
    },
}

/// Nanoseconds since the Unix epoch, by the wall clock (shared by the writer and the test process).
pub fn unix_nanos() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// The writing end: appends whole lines with one `write(2)` each.
#[derive(Debug)]
pub struct AckWriter {
    file: File,
}

impl AckWriter {
    /// Opens (creating if needed) `path` for appending (`O_APPEND`).
    pub fn open(path: &Path) -> io::Result<Self> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(AckWriter { file })
    }

    /// Appends `entry` as one line, in one `write` call; a short write is an error.
    pub fn append(&mut self, entry: &Entry) -> io::Result<()> {
        let mut line = serde_json::to_vec(entry).map_err(io::Error::other)?;
        line.push(b'\n');
        let written = self.file.write(&line)?;
        if written != line.len() {
            return Err(io::Error::new(
                io::ErrorKind::WriteZero,
                format!(
                    "short write to the ack log: {written} of {} bytes",
                    line.len()
                ),
            ));
        }
        Ok(())
    }
}

/// How one logged operation ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// Acknowledged (`ok` line).
    Acked {
        /// What it returned.
        outcome: Outcome,
        /// When, in Unix nanoseconds.
        acked_ns: u64,
    },
    /// Failed (`err` line).
    Failed {
        /// `Error::kind()`.
        kind: String,
        /// The error message.
        message: String,
        /// Visible in-process right after the error (see [`Entry::Err`]).
        visible: Option<bool>,
    },
    /// Begun but never answered: the writer died during the call (or while logging its result).
    InFlight,
}

/// One operation as the log tells it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Logged {
    /// The writer run it belongs to (index of its `start` line).
    pub run: usize,
    /// Its sequence number within the run.
    pub seq: u64,
    /// The operation.
    pub op: Op,
    /// The error kind provoked on purpose, if any.
    pub expect: Option<String>,
    /// How it ended.
    pub ending: Ending,
    /// When its result came back (Unix nanoseconds); `None` while in flight.
    pub ended_ns: Option<u64>,
}

/// A parsed log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AckLog {
    /// The runs' seeds, in order.
    pub seeds: Vec<u64>,
    /// Every operation begun, in log order.
    pub ops: Vec<Logged>,
    /// Whether the last line was torn (no final newline) and ignored.
    pub torn_tail: bool,
}

impl AckLog {
    /// How many operations were acknowledged.
    pub fn acked(&self) -> usize {
        self.ops
            .iter()
            .filter(|l| matches!(l.ending, Ending::Acked { .. }))
            .count()
    }

    /// How many operations failed.
    pub fn failed(&self) -> usize {
        self.ops
            .iter()
            .filter(|l| matches!(l.ending, Ending::Failed { .. }))
            .count()
    }
}

/// Reads a log: every complete line must parse and pair up (`begin` then its `ok`/`err`); a torn final line is
/// ignored. A missing file is an empty log (the writer was killed before it created it).
pub fn read_log(path: &Path) -> Result<AckLog, String> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(AckLog::default()),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let mut log = AckLog::default();
    let mut lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    // `split` yields a last piece after the final newline: empty if the file ends cleanly, else a torn line.
    let tail = lines.pop().unwrap_or_default();
    log.torn_tail = !tail.is_empty();
    let mut open: Option<usize> = None;
    for (number, line) in lines.iter().enumerate() {
        let entry: Entry = serde_json::from_slice(line).map_err(|e| {
            format!(
                "{} line {}: not a whole entry ({e}): {:?}",
                path.display(),
                number + 1,
                String::from_utf8_lossy(line)
            )
        })?;
        let at = |what: &str| format!("{} line {}: {what}", path.display(), number + 1);
        match entry {
            Entry::Start { seed, .. } => {
                open = None;
                log.seeds.push(seed);
            }
            Entry::Begin { seq, op, expect } => {
                if open.is_some() {
                    return Err(at("a begin while another operation is open"));
                }
                if log.seeds.is_empty() {
                    return Err(at("a begin before any start line"));
                }
                open = Some(log.ops.len());
                log.ops.push(Logged {
                    run: log.seeds.len() - 1,
                    seq,
                    op,
                    expect,
                    ending: Ending::InFlight,
                    ended_ns: None,
                });
            }
            Entry::Ok {
                seq,
                acked_ns,
                op,
                outcome,
            } => {
                let logged = close(&mut log, open.take(), seq, &op).map_err(|e| at(&e))?;
                logged.ending = Ending::Acked { outcome, acked_ns };
                logged.ended_ns = Some(acked_ns);
            }
            Entry::Err {
                seq,
                acked_ns,
                op,
                kind,
                message,
                visible,
                ..
            } => {
                let logged = close(&mut log, open.take(), seq, &op).map_err(|e| at(&e))?;
                logged.ended_ns = Some(acked_ns);
                logged.ending = Ending::Failed {
                    kind,
                    message,
                    visible,
                };
            }
        }
    }
    Ok(log)
}

fn close<'a>(
    log: &'a mut AckLog,
    open: Option<usize>,
    seq: u64,
    op: &Op,
) -> Result<&'a mut Logged, String> {
    let index = open.ok_or_else(|| format!("a result for operation {seq}, which is not open"))?;
    let logged = &mut log.ops[index];
    if logged.seq != seq || &logged.op != op {
        return Err(format!(
            "the result of operation {seq} does not match the open operation {}",
            logged.seq
        ));
    }
    Ok(logged)
}
