//! The memory store's rentals table.

use std::ops::Bound;

use super::counted::Reads;
use crate::domain::Rental;
use crate::error::{Error, Result};
use crate::ids::RentalId;

/// Rentals by id. Ids come from this store's own counter, one after another from 1, so rental `n` lives at index
/// `n - 1`: lookups are an index, and id order is vector order.
#[derive(Clone, Debug, Default)]
pub(super) struct RentalTable(Vec<Rental>, Reads);

impl RentalTable {
    fn index(id: RentalId) -> Option<usize> {
        usize::try_from(id.get().checked_sub(1)?).ok()
    }

    pub(super) fn get(&self, id: RentalId) -> Option<&Rental> {
        self.1.add(1);
        self.0.get(Self::index(id)?)
    }

    /// Every rental read so far ([`crate::Storage::reads`]).
    pub(super) fn reads(&self) -> u64 {
        self.1.get()
    }

    /// Replaces rental `id`, or appends the next one; any other id is a broken invariant, refused before any
    /// change.
    pub(super) fn put(&mut self, rental: &Rental) -> Result<()> {
        match Self::index(rental.id) {
            Some(i) if i < self.0.len() => self.0[i] = rental.clone(),
            Some(i) if i == self.0.len() => self.0.push(rental.clone()),
            _ => {
                return Err(Error::Corruption(format!(
                    "rental id {} is out of sequence ({} rentals stored)",
                    rental.id,
                    self.0.len()
                )))
            }
        }
        Ok(())
    }

    /// Up to `page` rentals after `after`, in id order.
    pub(super) fn page(&self, after: Bound<RentalId>, page: usize) -> Vec<(RentalId, Rental)> {
        let start = match after {
            Bound::Unbounded => 0,
            Bound::Excluded(id) => Self::index(id).map_or(0, |i| i + 1),
            Bound::Included(id) => Self::index(id).unwrap_or(0),
        };
        let page: Vec<(RentalId, Rental)> = self
            .0
            .iter()
            .skip(start)
            .take(page)
            .map(|r| (r.id, r.clone()))
            .collect();
        self.1.add(page.len() as u64);
        page
    }
}
