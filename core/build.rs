//! Tells the tests whether a PostgreSQL server is there to test against: with `KOKO_TEST_POSTGRES` set when the
//! crate is built, `cfg(koko_test_postgres)` is on and the PostgreSQL tests run; without it they are reported as
//! ignored, with how to run them (`KOKO_TEST_POSTGRES_REPLICA`, a streaming replica of it, does the same for
//! `cfg(koko_test_postgres_replica)`). Nothing else depends on it.
fn main() {
    for (var, cfg) in [
        ("KOKO_TEST_POSTGRES", "koko_test_postgres"),
        ("KOKO_TEST_POSTGRES_REPLICA", "koko_test_postgres_replica"),
    ] {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
        println!("cargo::rerun-if-env-changed={var}");
        if std::env::var_os(var).is_some_and(|v| !v.is_empty()) {
            println!("cargo::rustc-cfg={cfg}");
        }
    }
}
