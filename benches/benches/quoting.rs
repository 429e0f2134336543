//! Quoting: one quote per preset and category, late fees, calendar days, batches, price curves, and the time-zone
//! lookups calendar days rest on (koko-core's compact table side by side with chrono-tz).

use std::hint::black_box;

use chrono::{Duration, TimeZone as _, Utc};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use koko_benches::{at, calendar_plan, late_fee_plan};
use koko_core::{PricePlan, TimeZone};

fn presets(c: &mut Criterion) {
    let mut group = c.benchmark_group("quote_days");
    for (name, plan) in [
        ("story1", PricePlan::story1()),
        ("story2", PricePlan::story2()),
        ("story3", PricePlan::story3()),
    ] {
        for category in ["regular", "fiction", "novel"] {
            group.bench_with_input(
                BenchmarkId::new(name, category),
                &category,
                |b, category| b.iter(|| plan.quote_days(black_box(category), black_box(5))),
            );
        }
    }
    group.finish();

    let mut group = c.benchmark_group("total_for_days");
    let story3 = PricePlan::story3();
    group.bench_function("story3/regular", |b| {
        b.iter(|| story3.total_for_days(black_box("regular"), black_box(5)))
    });
    group.finish();

    let mut group = c.benchmark_group("quote");
    for (name, plan) in [
        ("story3", PricePlan::story3()),
        ("late_fee", late_fee_plan()),
        ("calendar_berlin", calendar_plan()),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                plan.quote(
                    black_box("regular"),
                    black_box(at(0)),
                    black_box(at(20 * 24 + 5)),
                )
            })
        });
    }
    group.finish();
}

fn batches(c: &mut Criterion) {
    let plan = PricePlan::story3();
    let days: Vec<u32> = (0..1_000_000u32).map(|i| i % 60).collect();
    let mut group = c.benchmark_group("batch");
    group.sample_size(10);
    group.throughput(Throughput::Elements(days.len() as u64));
    group.bench_function("1M totals story3/regular", |b| {
        b.iter(|| {
            days.iter()
                .map(|d| plan.total_for_days("regular", *d))
                .collect::<Result<Vec<_>, _>>()
        })
    });
    group.finish();

    let mut group = c.benchmark_group("price_curve");
    for max_days in [14u32, 365] {
        group.throughput(Throughput::Elements(u64::from(max_days)));
        group.bench_with_input(
            BenchmarkId::new("story3/regular", max_days),
            &max_days,
            |b, max_days| b.iter(|| plan.price_curve("regular", *max_days)),
        );
    }
    group.finish();
}

fn time_zones(c: &mut Criterion) {
    // 1,000 instants spread over 1970–2035: the local date of each, in a zone with a long history of changes.
    let start = Utc.with_ymd_and_hms(1970, 1, 1, 0, 0, 0).unwrap();
    let instants: Vec<_> = (0..1_000_i64)
        .map(|i| start + Duration::seconds(i * 2_049_113))
        .collect();
    let mut group = c.benchmark_group("local_date");
    group.throughput(Throughput::Elements(instants.len() as u64));
    for name in ["Europe/Berlin", "America/New_York"] {
        let koko: TimeZone = name.parse().unwrap();
        let chrono: chrono_tz::Tz = name.parse().unwrap();
        let ours: Vec<_> = instants.iter().map(|&t| koko.local_date(t)).collect();
        let theirs: Vec<_> = instants
            .iter()
            .map(|t| t.with_timezone(&chrono).date_naive())
            .collect();
        assert_eq!(ours, theirs, "{name}");
        group.bench_function(BenchmarkId::new("koko", name), |b| {
            b.iter(|| {
                for &t in &instants {
                    black_box(koko.local_date(black_box(t)));
                }
            })
        });
        group.bench_function(BenchmarkId::new("chrono-tz", name), |b| {
            b.iter(|| {
                for t in &instants {
                    black_box(black_box(t).with_timezone(&chrono).date_naive());
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, presets, batches, time_zones);
criterion_main!(benches);
