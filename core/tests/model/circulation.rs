//! The model's circulation: holds queued per book, copies set aside for the first waiting hold whenever one comes
//! back, lost copies with their replacement fees, found copies — the rules of `core/src/storage/circulation.rs`,
//! restated in plain maps.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use koko_core::{BookId, CopyId, CopyStatus, CustomerId, Decimal, HoldId, HoldStatus, RentalId};

use super::{Model, Outcome};

/// How long a copy set aside waits in the model's plan, and how many holds a customer may have.
pub const PICKUP_DAYS: i64 = 2;
pub const MAX_HOLDS: usize = 2;

/// Per category: the replacement fee, the processing fee, and whether the fee is credited when found.
pub fn replacement(category: &str) -> Option<(Decimal, Decimal, bool)> {
    match category {
        "novel" => Some((Decimal::new(1000, 2), Decimal::new(200, 2), true)),
        "fiction" => Some((Decimal::new(800, 2), Decimal::ZERO, false)),
        _ => None,
    }
}

/// A hold as the model knows it.
#[derive(Clone, Debug)]
pub struct HoldM {
    pub book: BookId,
    pub customer: CustomerId,
    pub status: HoldStatus,
    pub copy: Option<CopyId>,
    pub ready_until: Option<DateTime<Utc>>,
}

/// The model's circulation state.
#[derive(Default)]
pub struct Circulation {
    /// Hold `n` at index `n - 1`.
    pub holds: Vec<HoldM>,
    /// Copy → the ready hold it is set aside for.
    pub on_hold: BTreeMap<CopyId, HoldId>,
    /// Copy → the rental it was lost under, and when it was declared lost.
    pub lost: BTreeMap<CopyId, (RentalId, DateTime<Utc>)>,
}

impl Circulation {
    pub fn hold(&self, id: HoldId) -> &HoldM {
        &self.holds[id.get() as usize - 1]
    }

    fn hold_mut(&mut self, id: HoldId) -> &mut HoldM {
        &mut self.holds[id.get() as usize - 1]
    }

    fn ids(&self) -> impl Iterator<Item = (HoldId, &HoldM)> {
        self.holds
            .iter()
            .enumerate()
            .map(|(i, h)| (HoldId::new(i as u64 + 1), h))
    }

    /// The customer's waiting or ready hold on a book.
    pub fn active(&self, customer: CustomerId, book: BookId) -> Option<HoldId> {
        self.ids()
            .find(|(_, h)| h.customer == customer && h.book == book && h.status.is_active())
            .map(|(id, _)| id)
    }

    pub fn first_waiting(&self, book: BookId) -> Option<HoldId> {
        self.ids()
            .find(|(_, h)| h.book == book && h.status == HoldStatus::Waiting)
            .map(|(id, _)| id)
    }

    fn describe(&self, id: HoldId) -> String {
        let h = self.hold(id);
        format!(
            "hold {id} {} copy {:?}",
            h.status.as_str(),
            h.copy.map(|c| c.get())
        )
    }
}

impl Model {
    pub fn book_of(&self, copy: CopyId) -> BookId {
        self.books
            .iter()
            .find(|(_, _, copies)| copies.contains(&copy))
            .map(|(book, _, _)| *book)
            .expect("a known copy")
    }

    /// On the shelf: not rented, set aside or lost.
    pub fn shelf(&self, copy: CopyId) -> bool {
        !self.rented.contains_key(&copy)
            && !self.circ.on_hold.contains_key(&copy)
            && !self.circ.lost.contains_key(&copy)
    }

    /// A copy came back at `at`: to the first waiting hold of its book, or the shelf.
    pub fn release(&mut self, copy: CopyId, at: DateTime<Utc>) {
        if let Some(id) = self.circ.first_waiting(self.book_of(copy)) {
            let hold = self.circ.hold_mut(id);
            hold.status = HoldStatus::Ready;
            hold.copy = Some(copy);
            hold.ready_until = Some(at + Duration::days(PICKUP_DAYS));
            self.circ.on_hold.insert(copy, id);
        }
    }

    /// The copy `customer` gets when renting `target`: a copy on the shelf, or one set aside for their hold.
    pub fn rentable(
        &self,
        customer: CustomerId,
        book: BookId,
        copy: Option<CopyId>,
    ) -> Option<CopyId> {
        let mine = |c: &CopyId| {
            self.circ
                .on_hold
                .get(c)
                .is_some_and(|h| self.circ.hold(*h).customer == customer)
        };
        match copy {
            Some(copy) => (self.shelf(copy) || mine(&copy)).then_some(copy),
            None => {
                let ready = self.circ.active(customer, book).and_then(|h| {
                    let hold = self.circ.hold(h);
                    hold.copy.filter(|_| hold.status == HoldStatus::Ready)
                });
                let copies = &self.books.iter().find(|(b, _, _)| *b == book)?.2;
                ready.or_else(|| copies.iter().copied().find(|c| self.shelf(*c)))
            }
        }
    }

    /// A rent of `copy` by `customer` at `at` fulfils their hold on the book (releasing the copy it was ready on,
    /// if another).
    pub fn fulfil(&mut self, customer: CustomerId, copy: CopyId, at: DateTime<Utc>) {
        let book = self.book_of(copy);
        let Some(id) = self.circ.active(customer, book) else {
            return;
        };
        let hold = self.circ.hold(id).clone();
        if let (HoldStatus::Ready, Some(other)) = (hold.status, hold.copy) {
            self.circ.on_hold.remove(&other);
            if other != copy {
                self.release(other, at);
            }
        }
        let hold = self.circ.hold_mut(id);
        hold.status = HoldStatus::Fulfilled;
        hold.copy = Some(copy);
    }

    pub fn place_hold(
        &mut self,
        customer: CustomerId,
        active: bool,
        book: BookId,
        at: DateTime<Utc>,
    ) -> Outcome {
        if !active {
            return Err("InactiveCustomer");
        }
        if self.circ.active(customer, book).is_some() {
            return Err("Duplicate");
        }
        let mine = self
            .circ
            .holds
            .iter()
            .filter(|h| h.customer == customer && h.status.is_active())
            .count();
        if mine >= MAX_HOLDS {
            return Err("Blocked");
        }
        let copies = self
            .books
            .iter()
            .find(|(b, _, _)| *b == book)
            .expect("a book")
            .2
            .clone();
        let shelf = copies.into_iter().find(|c| self.shelf(*c));
        self.circ.holds.push(HoldM {
            book,
            customer,
            status: HoldStatus::Waiting,
            copy: None,
            ready_until: None,
        });
        let id = HoldId::new(self.circ.holds.len() as u64);
        if let Some(copy) = shelf {
            let hold = self.circ.hold_mut(id);
            hold.status = HoldStatus::Ready;
            hold.copy = Some(copy);
            hold.ready_until = Some(at + Duration::days(PICKUP_DAYS));
            self.circ.on_hold.insert(copy, id);
        }
        Ok(self.circ.describe(id))
    }

    pub fn cancel_hold(&mut self, id: HoldId, at: DateTime<Utc>) -> Outcome {
        let hold = self.circ.hold(id).clone();
        if !hold.status.is_active() {
            return Err("InvalidInput");
        }
        self.circ.hold_mut(id).status = HoldStatus::Cancelled;
        if let (HoldStatus::Ready, Some(copy)) = (hold.status, hold.copy) {
            self.circ.on_hold.remove(&copy);
            self.release(copy, at);
        }
        Ok(self.circ.describe(id))
    }

    pub fn expire_holds(&mut self, at: DateTime<Utc>) -> Outcome {
        let mut expired = Vec::new();
        for index in 0..self.circ.holds.len() {
            let id = HoldId::new(index as u64 + 1);
            let hold = self.circ.hold(id).clone();
            let (HoldStatus::Ready, Some(copy), Some(until)) =
                (hold.status, hold.copy, hold.ready_until)
            else {
                continue;
            };
            if until >= at {
                continue;
            }
            self.circ.hold_mut(id).status = HoldStatus::Expired;
            self.circ.on_hold.remove(&copy);
            self.release(copy, at);
            expired.push(id.get());
        }
        Ok(format!("holds {expired:?}"))
    }

    /// A lost rental: charged what accrued until `at` plus the category's replacement fees.
    pub fn declare_lost(
        &mut self,
        id: RentalId,
        at: DateTime<Utc>,
        plan: &koko_core::PricePlan,
    ) -> Outcome {
        let (copy, category, rented_at, charge) = self.rentals[&id].clone();
        if charge.is_some() {
            return Err("AlreadyReturned");
        }
        let due = self.dues[&id].0;
        let total = plan
            .quote_with_due(category, rented_at, due, at)
            .map_err(|e| e.kind())?
            .total;
        let fees =
            replacement(category).map_or(Decimal::ZERO, |(fee, processing, _)| fee + processing);
        self.rented.remove(&copy);
        self.circ.lost.insert(copy, (id, at));
        self.rentals
            .insert(id, (copy, category, rented_at, Some(total.to_string())));
        let customer = self.owners[&id];
        *self.balances.entry(customer).or_default() += total + fees;
        *self.charges.entry(customer).or_default() += 1;
        Ok(format!("rental {id} lost {total}"))
    }

    pub fn mark_found(&mut self, copy: CopyId, at: DateTime<Utc>) -> Outcome {
        let Some((rental, lost_at)) = self.circ.lost.get(&copy).copied() else {
            return Err("InvalidInput");
        };
        if at < lost_at {
            return Err("InvalidInput");
        }
        let category = self.rentals[&rental].1;
        let credit = replacement(category)
            .filter(|(fee, _, refund)| *refund && *fee > Decimal::ZERO)
            .map(|(fee, _, _)| fee);
        if let Some(fee) = credit {
            *self.balances.entry(self.owners[&rental]).or_default() -= fee;
        }
        self.circ.lost.remove(&copy);
        self.release(copy, at);
        let status = if self.circ.on_hold.contains_key(&copy) {
            "on_hold"
        } else {
            "available"
        };
        Ok(format!(
            "found copy {copy} {status} credit {:?}",
            credit.map(|c| c.to_string())
        ))
    }

    /// The status the model expects of a copy.
    pub fn copy_status(&self, copy: CopyId) -> CopyStatus {
        if let Some(rental) = self.rented.get(&copy) {
            CopyStatus::Rented(*rental)
        } else if let Some(hold) = self.circ.on_hold.get(&copy) {
            CopyStatus::OnHold(*hold)
        } else if let Some((rental, _)) = self.circ.lost.get(&copy) {
            CopyStatus::Lost(*rental)
        } else {
            CopyStatus::Available
        }
    }

    /// Every hold's status, and each book's queue in order, must be the model's.
    pub fn check_holds<S: koko_core::Storage>(
        &self,
        store: &koko_core::BookStore<S>,
    ) -> Result<(), String> {
        for (id, want) in self.circ.ids() {
            let got = store.hold(id).map_err(|e| e.to_string())?;
            if (got.status, got.copy, got.ready_until) != (want.status, want.copy, want.ready_until)
            {
                return Err(format!("hold {id} is {got:?}; the model says {want:?}"));
            }
        }
        for (book, _, _) in &self.books {
            let queue: Vec<(HoldId, Option<u32>)> = store
                .book_holds(*book)
                .map_err(|e| e.to_string())?
                .into_iter()
                .map(|h| (h.id, h.position))
                .collect();
            let mut position = 0;
            let want: Vec<(HoldId, Option<u32>)> = self
                .circ
                .ids()
                .filter(|(_, h)| h.book == *book && h.status.is_active())
                .map(|(id, h)| {
                    let waiting = h.status == HoldStatus::Waiting;
                    position += u32::from(waiting);
                    (id, waiting.then_some(position))
                })
                .collect();
            if queue != want {
                return Err(format!(
                    "book {book}'s queue is {queue:?}; the model says {want:?}"
                ));
            }
        }
        Ok(())
    }
}
