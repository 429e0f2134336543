//! Searching 100,000 books on sled (issue 15's target: median search ≤ 5 ms): one-word prefixes, two-word
//! queries, and a category with availability, 20 results a page.
//!
//! The store is built once (titles and authors of two to four words from a fixed 3,000-word vocabulary) and kept
//! in `target/bench-data/sled-books-<n>`; `KOKO_BENCH_BOOKS` chooses another size.

use std::path::PathBuf;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use koko_core::{
    BookQuery, BookStore, Durability, NewBook, Operation, PricePlan, SledOptions, SledStorage,
};

fn books() -> u64 {
    std::env::var("KOKO_BENCH_BOOKS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000)
}

/// A deterministic vocabulary: 3,000 pronounceable words of two or three syllables.
fn vocabulary() -> Vec<String> {
    const SYLLABLES: [&str; 20] = [
        "ka", "lo", "mir", "sen", "ta", "vo", "rin", "del", "ma", "shi", "qua", "ber", "no", "fu",
        "gal", "te", "xi", "por", "ul", "zen",
    ];
    let mut words = Vec::with_capacity(3_000);
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    while words.len() < 3_000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let parts = 2 + (state % 2) as usize;
        let word: String = (0..parts)
            .map(|i| SYLLABLES[((state >> (8 * i + 3)) % 20) as usize])
            .collect();
        if !words.contains(&word) {
            words.push(word);
        }
    }
    words
}

fn pick(words: &[String], seed: u64, i: u64) -> &str {
    let x = seed
        .wrapping_mul(0x9e37_79b9_7f4a_7c15)
        .wrapping_add(i * 0x632b_e59b_d9b4_e019);
    &words[((x >> 17) % words.len() as u64) as usize]
}

fn open(dir: &PathBuf) -> BookStore<SledStorage> {
    let options = SledOptions {
        durability: Durability::Interval(Duration::from_millis(500)),
        cache_capacity: Some(64 << 20),
    };
    match SledStorage::open_with(dir, options)
        .and_then(|storage| BookStore::with_default_plan(storage, PricePlan::story3()))
    {
        Ok(store) => store,
        Err(err) => panic!("cannot open {}: {err}", dir.display()),
    }
}

/// The cached store, built first if it is not complete.
fn store(n: u64, words: &[String]) -> BookStore<SledStorage> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench-data");
    let dir = root.join(format!("sled-books-{n}"));
    let done = root.join(format!("sled-books-{n}.complete"));
    if !done.exists() {
        let _ = std::fs::remove_dir_all(&dir);
        eprintln!("building {} with {n} books (once)", dir.display());
        let store = open(&dir);
        let categories = ["regular", "fiction", "novel"];
        for start in (0..n).step_by(1_000) {
            let batch: Vec<Operation> = (start..n.min(start + 1_000))
                .map(|i| {
                    let title_words = 2 + i % 3;
                    let title: Vec<&str> = (0..title_words).map(|w| pick(words, i, w)).collect();
                    let author = format!("{} {}", pick(words, i, 7), pick(words, i, 8));
                    Operation::AddBook {
                        // The number keeps titles unique (a title is unique in a store).
                        book: NewBook::new(
                            format!("{} {i}", title.join(" ")),
                            author,
                            categories[(i % 3) as usize],
                        ),
                        copies: 1,
                    }
                })
                .collect();
            for result in store.apply_batch(batch).expect("a batch") {
                result.expect("a book");
            }
        }
        store.flush().expect("flush");
        drop(store);
        std::fs::write(&done, n.to_string()).expect("mark complete");
    }
    open(&dir)
}

fn bench(c: &mut Criterion) {
    let words = vocabulary();
    let n = books();
    let store = store(n, &words);
    // 64 queries of each kind, run round-robin: the medians are over many different queries.
    let one: Vec<BookQuery> = (0..64)
        .map(|q| BookQuery {
            text: Some(pick(&words, 99, q).chars().take(4).collect()),
            ..BookQuery::default()
        })
        .collect();
    let two: Vec<BookQuery> = (0..64)
        .map(|q| BookQuery {
            text: Some(format!(
                "{} {}",
                pick(&words, 7, q),
                &pick(&words, 8, q)[..3]
            )),
            ..BookQuery::default()
        })
        .collect();
    let shelf = BookQuery {
        category: Some("fiction".into()),
        available: Some(true),
        ..BookQuery::default()
    };
    let mut group = c.benchmark_group(format!("search_{n}_books"));
    let mut i = 0;
    group.bench_function("one word prefix, 20 a page", |b| {
        b.iter(|| {
            i += 1;
            store
                .search_books(&one[i % one.len()], None, 20)
                .expect("search")
        })
    });
    group.bench_function("two words, 20 a page", |b| {
        b.iter(|| {
            i += 1;
            store
                .search_books(&two[i % two.len()], None, 20)
                .expect("search")
        })
    });
    group.bench_function("category and on the shelf, 20 a page", |b| {
        b.iter(|| store.search_books(&shelf, None, 20).expect("search"))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
