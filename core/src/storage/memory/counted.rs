//! The memory store's tables, each counting the entries its reads visit ([`crate::Storage::reads`]): a lookup is
//! one read, a listing one per entry it yields. Writes are not counted.

use std::borrow::Borrow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::Hash;
use std::ops::RangeBounds;
use std::sync::atomic::{AtomicU64, Ordering};

/// How many entries a table's reads visited.
#[derive(Debug, Default)]
pub(super) struct Reads(AtomicU64);

impl Clone for Reads {
    fn clone(&self) -> Self {
        Reads(AtomicU64::new(self.get()))
    }
}

impl Reads {
    pub(super) fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    pub(super) fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    /// `items`, counting each one it yields.
    fn counting<'a, I: Iterator + 'a>(&'a self, items: I) -> impl Iterator<Item = I::Item> + 'a {
        items.inspect(move |_| self.add(1))
    }
}

/// An ordered map that counts its reads.
#[derive(Debug)]
pub(super) struct Map<K, V> {
    map: BTreeMap<K, V>,
    reads: Reads,
}

impl<K: Clone, V: Clone> Clone for Map<K, V> {
    fn clone(&self) -> Self {
        Map {
            map: self.map.clone(),
            reads: self.reads.clone(),
        }
    }
}

impl<K, V> Default for Map<K, V> {
    fn default() -> Self {
        Map {
            map: BTreeMap::new(),
            reads: Reads::default(),
        }
    }
}

impl<K: Ord, V> Map<K, V> {
    pub(super) fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.reads.add(1);
        self.map.get(key)
    }

    pub(super) fn contains_key(&self, key: &K) -> bool {
        self.reads.add(1);
        self.map.contains_key(key)
    }

    pub(super) fn range<R: RangeBounds<K>>(&self, range: R) -> impl Iterator<Item = (&K, &V)> {
        self.reads.counting(self.map.range(range))
    }

    pub(super) fn insert(&mut self, key: K, value: V) -> Option<V> {
        self.map.insert(key, value)
    }

    /// Removes every entry before `key` (not counted: a write); answers them.
    pub(super) fn take_before(&mut self, key: &K) -> BTreeMap<K, V> {
        let kept = self.map.split_off(key);
        std::mem::replace(&mut self.map, kept)
    }

    pub(super) fn reads(&self) -> u64 {
        self.reads.get()
    }
}

/// An ordered set that counts its reads.
#[derive(Debug)]
pub(super) struct Set<T> {
    set: BTreeSet<T>,
    reads: Reads,
}

impl<T: Clone> Clone for Set<T> {
    fn clone(&self) -> Self {
        Set {
            set: self.set.clone(),
            reads: self.reads.clone(),
        }
    }
}

impl<T> Default for Set<T> {
    fn default() -> Self {
        Set {
            set: BTreeSet::new(),
            reads: Reads::default(),
        }
    }
}

impl<T: Ord> Set<T> {
    pub(super) fn range<R: RangeBounds<T>>(&self, range: R) -> impl Iterator<Item = &T> {
        self.reads.counting(self.set.range(range))
    }

    /// [`Set::range`] from its end.
    pub(super) fn range_back<R: RangeBounds<T>>(&self, range: R) -> impl Iterator<Item = &T> {
        self.reads.counting(self.set.range(range).rev())
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &T> {
        self.reads.counting(self.set.iter())
    }

    pub(super) fn insert(&mut self, item: T) -> bool {
        self.set.insert(item)
    }

    pub(super) fn remove(&mut self, item: &T) -> bool {
        self.set.remove(item)
    }

    pub(super) fn reads(&self) -> u64 {
        self.reads.get()
    }
}

/// A hash map that counts its reads.
#[derive(Debug)]
pub(super) struct Hashed<K, V> {
    map: HashMap<K, V>,
    reads: Reads,
}

impl<K: Clone, V: Clone> Clone for Hashed<K, V> {
    fn clone(&self) -> Self {
        Hashed {
            map: self.map.clone(),
            reads: self.reads.clone(),
        }
    }
}

impl<K, V> Default for Hashed<K, V> {
    fn default() -> Self {
        Hashed {
            map: HashMap::new(),
            reads: Reads::default(),
        }
    }
}

impl<K: Hash + Eq, V> Hashed<K, V> {
    pub(super) fn get<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.reads.add(1);
        self.map.get(key)
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.reads.counting(self.map.iter())
    }

    pub(super) fn insert(&mut self, key: K, value: V) -> Option<V> {
        self.map.insert(key, value)
    }

    pub(super) fn remove<Q: Hash + Eq + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.map.remove(key)
    }

    /// Keeps the entries `keep` accepts, reading each.
    pub(super) fn retain(&mut self, keep: impl FnMut(&K, &mut V) -> bool) {
        self.reads.add(self.map.len() as u64);
        self.map.retain(keep);
    }

    pub(super) fn len(&self) -> usize {
        self.map.len()
    }

    pub(super) fn reads(&self) -> u64 {
        self.reads.get()
    }
}
