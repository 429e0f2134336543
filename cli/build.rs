//! Tells the tests whether a PostgreSQL server is there to test against: with `KOKO_TEST_POSTGRES` set when the
//! crate is built, `cfg(koko_test_postgres)` is on and the PostgreSQL tests run; without it they are reported as
//! ignored, with how to run them. Nothing else depends on it.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(koko_test_postgres)");
    println!("cargo::rerun-if-env-changed=KOKO_TEST_POSTGRES");
    if std::env::var_os("KOKO_TEST_POSTGRES").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=koko_test_postgres");
    }
}
