//! A fixed workload for instruction-count profiling of the quoting hot paths.
//!
//! `valgrind --tool=callgrind target/release/examples/profile_quote <what> <n>` runs `n` operations; the
//! difference of two runs' instruction totals divided by the difference of their `n` is the cost of one
//! operation, repeatable whatever else the machine is doing. `<what>` is `total`, `quote`, `quote_at` or
//! `curve365`.

use std::hint::black_box;

use koko_benches::at;
use koko_core::PricePlan;

fn main() {
    let mut args = std::env::args().skip(1);
    let what = args.next().unwrap_or_else(|| "total".to_owned());
    let n: u32 = args
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let plan = PricePlan::story3();
    let mut checksum = 0u64;
    for i in 0..n {
        let days = black_box(1 + i % 30);
        checksum += match what.as_str() {
            "total" => plan
                .total_for_days(black_box("regular"), days)
                .map(|t| t.mantissa() as u64),
            "quote" => plan
                .quote_days(black_box("regular"), days)
                .map(|q| q.lines.len() as u64),
            "quote_at" => plan
                .quote("regular", at(0), at(i64::from(days) * 24 + 5))
                .map(|q| q.lines.len() as u64),
            "curve365" => plan.price_curve("regular", 365).map(|c| c.len() as u64),
            other => {
                eprintln!("unknown workload {other:?}: total, quote, quote_at or curve365");
                std::process::exit(2);
            }
        }
        .unwrap_or(0);
    }
    println!("{what} x{n}: checksum {checksum}");
}
