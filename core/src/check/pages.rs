//! Reading a store's feed page by page: the pages a check asks for, and a stream of their items.

use crate::error::{Error, Result};

/// Records one at a time, or the error that ended the stream.
type Stream<'a, T> = Box<dyn Iterator<Item = Result<T, Error>> + 'a>;

/// Events a check reads per call from a store's feed and from each type's range of the feed by type.
pub(super) const FEED_PAGE: usize = 1000;
pub(super) const TYPE_PAGE: usize = 256;

/// The items of `page(after)` called page after page, each after the key of the last item, until a page
/// shorter than `size`.
pub(super) fn paged<'a, T: 'a>(
    size: usize,
    key: fn(&T) -> Option<u64>,
    mut page: impl FnMut(Option<u64>) -> Result<Vec<T>> + 'a,
) -> Stream<'a, T> {
    let mut after = None;
    let mut buffer = std::collections::VecDeque::new();
    let mut done = false;
    Box::new(std::iter::from_fn(move || loop {
        if let Some(item) = buffer.pop_front() {
            return Some(Ok(item));
        }
        if done {
            return None;
        }
        let items = match page(after) {
            Ok(items) => items,
            Err(err) => {
                done = true;
                return Some(Err(err));
            }
        };
        done = items.len() < size;
        match items.last().and_then(key) {
            Some(last) => after = Some(last),
            None => done = true,
        }
        buffer.extend(items);
    }))
}
