//! The notices side of [`BookStore`]: what should be sent to customers, and recording what was.

use chrono::{DateTime, Duration, Utc};

use super::book_store::BookStore;
use crate::domain::{HoldStatus, Notice, NoticeKind, Rental};
use crate::engine::Operation;
use crate::error::Result;
use crate::pricing::NoticesPolicy;
use crate::storage::Storage;

impl<S: Storage> BookStore<S> {
    /// What should be sent at `at` and has not been ([`BookStore::mark_notified`]), in this order: each open rental
    /// (by id) that is overdue — one notice at the highest level of the plan's `notices.overdue_days` it reached
    /// (a reminder skipped while the sender was not running is not sent late) — or due within
    /// `notices.due_soon_days`; then each ready hold (by id). Rental notices follow the plan in force at `at`
    /// (none without its `notices` section) and carry what the rental would be charged if returned at `at`.
    ///
    /// ```
    /// use chrono::{Duration, TimeZone, Utc};
    /// use koko_core::{BookStore, NewBook, NewCustomer, NoticeKind, PricePlan};
    ///
    /// let plan = PricePlan::from_json(r#"{"currency": "USD",
    ///     "default": {"tiers": [{"from_day": 1, "rate": "1.00"}],
    ///                 "late_fee": {"loan_days": 7, "per_day": "0.50"}},
    ///     "notices": {"due_soon_days": 2, "overdue_days": [1, 7]}}"#).unwrap();
    /// let store = BookStore::in_memory(plan).unwrap();
    /// let book = store.add_book(&NewBook::new("Emma", "Jane Austen", "novel"), 1).unwrap();
    /// let ada = store.register_customer(&NewCustomer::new("Ada", "Lovelace")).unwrap();
    /// let monday = Utc.with_ymd_and_hms(2024, 6, 3, 10, 0, 0).unwrap();
    /// store.rent_book_at(ada.id, book.id, monday).unwrap(); // due the next Monday
    /// let notices = store.notices(monday + Duration::days(6)).unwrap();
    /// assert_eq!((notices[0].kind, notices[0].amount.unwrap().to_string()), (NoticeKind::DueSoon, "6.00".into()));
    /// store.mark_notified(&[notices[0].key.clone()], monday + Duration::days(6)).unwrap();
    /// assert!(store.notices(monday + Duration::days(6)).unwrap().is_empty());
    /// let late = store.notices(monday + Duration::days(8)).unwrap(); // a day late: the first reminder
    /// assert_eq!((late[0].kind, late[0].level), (NoticeKind::Overdue, 1));
    /// ```
    pub fn notices(&self, at: DateTime<Utc>) -> Result<Vec<Notice>> {
        let policy = match self.plan_at(at) {
            Ok(version) => version.plan.notices().cloned(),
            Err(crate::error::Error::NotFound { .. }) => None,
            Err(other) => return Err(other),
        };
        let mut notices = Vec::new();
        if let Some(policy) = policy {
            // A notice is due for a rental due by `at` plus the due-soon days: only those are read, from the index
            // of the open rentals by due date.
            let soon = Duration::days(i64::from(policy.due_soon_days.unwrap_or(0)));
            let due_by = at
                .checked_add_signed(soon)
                .map_or(DateTime::<Utc>::MAX_UTC, super::rentals::just_after);
            for rental in self.storage.rentals_due_before(due_by)? {
                if let Some(notice) = self.rental_notice(&rental, &policy, at)? {
                    if self.storage.notified(&notice.key)?.is_none() {
                        notices.push(notice);
                    }
                }
            }
        }
        for hold in self.storage.ready_holds()? {
            let (HoldStatus::Ready, Some(until)) = (hold.status, hold.ready_until) else {
                continue;
            };
            let key = Notice::hold_key(hold.id);
            if self.storage.notified(&key)?.is_none() {
                notices.push(Notice {
                    key,
                    kind: NoticeKind::HoldReady,
                    level: 0,
                    customer: hold.customer,
                    book: hold.book,
                    rental: None,
                    hold: Some(hold.id),
                    due_at: until,
                    amount: None,
                    currency: None,
                });
            }
        }
        Ok(notices)
    }

    /// The notice an open rental calls for at `at`, sent or not.
    fn rental_notice(
        &self,
        rental: &Rental,
        policy: &NoticesPolicy,
        at: DateTime<Utc>,
    ) -> Result<Option<Notice>> {
        let Some(due) = rental.due_at else {
            return Ok(None);
        };
        let after = |days: u32| due.checked_add_signed(Duration::days(i64::from(days)));
        let level = policy
            .overdue_days
            .iter()
            .rposition(|&days| after(days).is_some_and(|reached| at >= reached));
        let (kind, level) = match level {
            Some(index) => (NoticeKind::Overdue, index as u32 + 1),
            None => {
                let soon = policy
                    .due_soon_days
                    .and_then(|days| due.checked_sub_signed(Duration::days(i64::from(days))));
                match soon {
                    Some(from) if at >= from && at < due => (NoticeKind::DueSoon, 0),
                    _ => return Ok(None),
                }
            }
        };
        let charge = self.charge(rental, at.max(rental.rented_at))?;
        Ok(Some(Notice {
            key: Notice::rental_key(kind, level, rental.id, due),
            kind,
            level,
            customer: rental.customer,
            book: rental.book,
            rental: Some(rental.id),
            hold: None,
            due_at: due,
            amount: Some(charge.total),
            currency: Some(charge.currency),
        }))
    }

    /// Records that the notices with these keys were sent at `at`, so [`BookStore::notices`] no longer lists them.
    /// Marking a key again changes nothing; answers how many keys were new.
    pub fn mark_notified(&self, keys: &[String], at: DateTime<Utc>) -> Result<u64> {
        self.apply(Operation::MarkNotified {
            keys: keys.to_vec(),
            at,
        })?
        .into_notified()
    }
}
