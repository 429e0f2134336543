//! What an operation inside a batch sees: sled's committed state under a [`Layer`] of the batch's accepted writes
//! ([`BatchLayer`]), under a layer of its own ([`SledTx`]), and the layered lookups (a key, the first key under a
//! prefix, the keys of a range, counted up to a bound) that `tx.rs`'s rules read through. Each lookup of a layer
//! is a key or a range of its keys, never a scan of the whole layer.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::layout::{
    decode, decode_u64, encode, id_key, open_prefix, Trees, OPEN_COUNT, OPEN_OF_CUSTOMER,
};
use crate::error::{Error, Result};
use crate::ids::{BookId, CustomerId};
use crate::pricing::PlanVersion;

/// Writes not yet in sled, per tree: key → the new value, or `None` for a removal.
#[derive(Default)]
pub(super) struct Layer(Vec<BTreeMap<Vec<u8>, Option<Vec<u8>>>>);

impl Layer {
    pub(super) fn tree(&self, tree: usize) -> Option<&BTreeMap<Vec<u8>, Option<Vec<u8>>>> {
        self.0.get(tree)
    }

    /// The layer's entry for a key: `None` if it has none, `Some(None)` for a removal.
    pub(super) fn get(&self, tree: usize, key: &[u8]) -> Option<Option<&[u8]>> {
        self.tree(tree)?.get(key).map(|v| v.as_deref())
    }

    pub(super) fn set(&mut self, tree: usize, key: &[u8], value: Option<Vec<u8>>) {
        if self.0.len() <= tree {
            self.0.resize_with(tree + 1, BTreeMap::new);
        }
        self.0[tree].insert(key.to_vec(), value);
    }

    /// Moves `other`'s writes over this layer's.
    pub(super) fn merge(&mut self, other: Layer) {
        for (tree, writes) in other.0.into_iter().enumerate() {
            if writes.is_empty() {
                continue;
            }
            if self.0.len() <= tree {
                self.0.resize_with(tree + 1, BTreeMap::new);
            }
            self.0[tree].extend(writes);
        }
    }

    /// The layer's entries of `tree` under `prefix`, in key order.
    pub(super) fn under<'l>(
        &'l self,
        tree: usize,
        prefix: &'l [u8],
    ) -> impl Iterator<Item = (&'l Vec<u8>, &'l Option<Vec<u8>>)> + 'l {
        self.tree(tree).into_iter().flat_map(move |writes| {
            writes
                .range::<[u8], _>((
                    std::ops::Bound::Included(prefix),
                    std::ops::Bound::Unbounded,
                ))
                .take_while(move |(key, _)| key.starts_with(prefix))
        })
    }

    /// The layer's entries of `tree` from `from` up to (not including) `to`, in key order.
    pub(super) fn between<'l>(
        &'l self,
        tree: usize,
        from: &'l [u8],
        to: &'l [u8],
    ) -> impl Iterator<Item = (&'l Vec<u8>, &'l Option<Vec<u8>>)> + 'l {
        self.tree(tree).into_iter().flat_map(move |writes| {
            writes.range::<[u8], _>((
                std::ops::Bound::Included(from),
                std::ops::Bound::Excluded(to),
            ))
        })
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.iter().all(BTreeMap::is_empty)
    }

    /// The trees this layer writes, in position order.
    pub(super) fn trees(&self) -> impl Iterator<Item = usize> + '_ {
        self.0
            .iter()
            .enumerate()
            .filter(|(_, writes)| !writes.is_empty())
            .map(|(tree, _)| tree)
    }

    /// The writes of one tree: (key, value or `None`), in key order.
    pub(super) fn entries(&self, tree: usize) -> impl Iterator<Item = (&[u8], &Option<Vec<u8>>)> {
        self.tree(tree)
            .into_iter()
            .flat_map(|writes| writes.iter().map(|(key, value)| (key.as_slice(), value)))
    }
}

/// Per (tree, prefix), the sled key a scan under the prefix resumes from.
type ResumePoints = std::collections::HashMap<(usize, Vec<u8>), Vec<u8>>;

/// The effects of a batch's accepted operations so far.
#[derive(Default)]
pub(super) struct BatchLayer {
    pub(super) writes: Layer,
    /// Plan versions the batch published (also in `writes`), for pricing later operations of the batch.
    pub(super) plans: Vec<Arc<PlanVersion>>,
    /// Per (tree, prefix): where a scan of sled under the prefix resumes — every sled key before it is shadowed
    /// by `writes` (see `SledTx::first_under`).
    resume: std::cell::RefCell<ResumePoints>,
}

/// One operation's view and its writes.
pub(super) struct SledTx<'a> {
    pub(super) trees: &'a Trees,
    /// The plan versions committed before this batch.
    pub(super) committed_plans: &'a [Arc<PlanVersion>],
    pub(super) batch: &'a BatchLayer,
    pub(super) writes: Layer,
    pub(super) plans: Vec<Arc<PlanVersion>>,
}

impl<'a> SledTx<'a> {
    pub(super) fn new(
        trees: &'a Trees,
        committed_plans: &'a [Arc<PlanVersion>],
        batch: &'a BatchLayer,
    ) -> Self {
        SledTx {
            trees,
            committed_plans,
            batch,
            writes: Layer::default(),
            plans: Vec::new(),
        }
    }

    /// This operation's effects, to merge into the batch once it is accepted.
    pub(super) fn into_effects(self) -> (Layer, Vec<Arc<PlanVersion>>) {
        (self.writes, self.plans)
    }

    /// Reads a key through the layers and hands its bytes (or `None`) to `read`, without copying them.
    pub(super) fn with_raw<R>(
        &self,
        tree: usize,
        key: &[u8],
        read: impl FnOnce(Option<&[u8]>) -> Result<R>,
    ) -> Result<R> {
        if let Some(value) = self.writes.get(tree, key) {
            return read(value);
        }
        if let Some(value) = self.batch.writes.get(tree, key) {
            return read(value);
        }
        let stored = self.trees.read(tree).get(key).map_err(Error::storage)?;
        read(stored.as_deref())
    }

    pub(super) fn set(&mut self, tree: usize, key: &[u8], value: Option<Vec<u8>>) {
        self.writes.set(tree, key, value);
    }

    /// How many open rentals a customer has (the `n` key of `open_of_customer`; absent: none).
    pub(super) fn open_count(&self, customer: CustomerId) -> Result<u64> {
        self.with_raw(
            OPEN_OF_CUSTOMER,
            &open_prefix(OPEN_COUNT, customer),
            |raw| raw.map_or(Ok(0), decode_u64),
        )
    }

    pub(super) fn get<T: DeserializeOwned>(&self, tree: usize, key: &[u8]) -> Result<Option<T>> {
        self.with_raw(tree, key, |raw| raw.map(decode).transpose())
    }

    pub(super) fn put<T: Serialize>(&mut self, tree: usize, key: &[u8], value: &T) -> Result<()> {
        let raw = encode(value)?;
        self.set(tree, key, Some(raw));
        Ok(())
    }

    pub(super) fn owner(&self, tree: usize, key: &[u8]) -> Result<Option<BookId>> {
        self.with_raw(tree, key, |raw| {
            raw.map(|raw| decode_u64(raw).map(BookId::new)).transpose()
        })
    }

    pub(super) fn set_owner(&mut self, tree: usize, key: &[u8], owner: Option<BookId>) {
        self.set(tree, key, owner.map(|id| id_key(id.get()).to_vec()));
    }

    /// The first key of `tree` under `prefix`, seen through the layers: the first key the layers hold with a
    /// value (this operation's entries over the batch's), or sled's first key under the prefix that no layer
    /// shadows, whichever is smaller.
    ///
    /// Within a batch sled does not change and the batch layer only grows, so a sled key the batch layer shadows
    /// stays shadowed: the scan resumes where the last one found the batch layer's shadow end (`BatchLayer::
    /// resume`), which keeps renting the same book many times in one batch linear instead of quadratic.
    pub(super) fn first_under(&self, tree: usize, prefix: &[u8]) -> Result<Option<Vec<u8>>> {
        let own = |key: &[u8]| self.writes.get(tree, key);
        // The layers' first present key: the batch's keys as this operation sees them, then this operation's.
        let from_batch = self
            .batch
            .writes
            .under(tree, prefix)
            .find(|(key, value)| match own(key) {
                Some(mine) => mine.is_some(),
                None => value.is_some(),
            })
            .map(|(key, _)| key.clone());
        let from_op = self
            .writes
            .under(tree, prefix)
            .find(|(_, value)| value.is_some())
            .map(|(key, _)| key.clone());
        let from_layers = match (from_batch, from_op) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };

        let memo_key = (tree, prefix.to_vec());
        let start = self
            .batch
            .resume
            .borrow()
            .get(&memo_key)
            .cloned()
            .unwrap_or_else(|| prefix.to_vec());
        let mut batch_shadow_ends = None;
        let mut last_shadowed: Option<sled::IVec> = None;
        let mut from_sled = None;
        for item in self.trees.read(tree).range(start..) {
            let (key, _) = item.map_err(Error::storage)?;
            if !key.starts_with(prefix) {
                break;
            }
            if self.batch.writes.get(tree, &key).is_some() {
                last_shadowed = Some(key);
                continue;
            }
            batch_shadow_ends.get_or_insert_with(|| key.to_vec());
            if own(&key).is_none() {
                from_sled = Some(key.to_vec());
                break;
            }
        }
        // Every sled key scanned before `batch_shadow_ends` is shadowed by the batch; if none was unshadowed,
        // everything up to the last key seen is (the next scan starts just after it).
        let resume = batch_shadow_ends.or_else(|| {
            last_shadowed.map(|key| {
                let mut after = key.to_vec();
                after.push(0);
                after
            })
        });
        if let Some(resume) = resume {
            self.batch.resume.borrow_mut().insert(memo_key, resume);
        }
        Ok(match (from_layers, from_sled) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        })
    }

    /// How many keys of `tree` under `prefix` there are, seen through the layers, counted up to `at_most`.
    pub(super) fn count_under(&self, tree: usize, prefix: &[u8], at_most: usize) -> Result<usize> {
        self.count_between(tree, prefix, &past_prefix(prefix), at_most)
    }

    /// How many keys of `tree` lie in `[from, to)`, seen through the layers, counted up to `at_most`: the layers'
    /// (this batch's) keys first, then sled's that no layer shadows, until `at_most` is reached.
    pub(super) fn count_between(
        &self,
        tree: usize,
        from: &[u8],
        to: &[u8],
        at_most: usize,
    ) -> Result<usize> {
        let mut layered: BTreeMap<&[u8], bool> = BTreeMap::new();
        for layer in [&self.batch.writes, &self.writes] {
            for (key, value) in layer.between(tree, from, to) {
                layered.insert(key.as_slice(), value.is_some());
            }
        }
        let mut count = layered.values().filter(|present| **present).count();
        if count >= at_most {
            return Ok(at_most);
        }
        for item in self.trees.read(tree).range(from.to_vec()..to.to_vec()) {
            let (key, _) = item.map_err(Error::storage)?;
            if !layered.contains_key(key.as_ref()) {
                count += 1;
                if count >= at_most {
                    break;
                }
            }
        }
        Ok(count.min(at_most))
    }

    /// Every key of `tree` from `from` up to (not including) `to`, seen through the layers, in key order.
    pub(super) fn all_between(&self, tree: usize, from: &[u8], to: &[u8]) -> Result<Vec<Vec<u8>>> {
        let mut merged: BTreeMap<Vec<u8>, bool> = BTreeMap::new();
        for item in self.trees.read(tree).range(from.to_vec()..to.to_vec()) {
            let (key, _) = item.map_err(Error::storage)?;
            merged.insert(key.to_vec(), true);
        }
        for layer in [&self.batch.writes, &self.writes] {
            for (key, value) in layer.between(tree, from, to) {
                merged.insert(key.clone(), value.is_some());
            }
        }
        Ok(merged
            .into_iter()
            .filter_map(|(key, present)| present.then_some(key))
            .collect())
    }

    pub(super) fn plans(&self) -> impl Iterator<Item = &Arc<PlanVersion>> {
        self.committed_plans
            .iter()
            .chain(&self.batch.plans)
            .chain(&self.plans)
    }
}

/// The first key after every key that starts with `prefix`: the prefix with its last byte below 0xff raised by
/// one and the rest dropped (a prefix of 0xff bytes only, which no layout uses, gets one past any key up to 64
/// bytes longer).
pub(super) fn past_prefix(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    let mut end = prefix.to_vec();
    end.extend_from_slice(&[0xff; 65]);
    end
}
