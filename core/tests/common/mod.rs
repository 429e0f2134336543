//! Storage backends for the integration tests: each makes a fresh, empty store (PostgreSQL: a new database on the
//! server `KOKO_TEST_POSTGRES` names) and the persistent ones can reopen it.
#![allow(dead_code)] // each test file uses some of them

#[cfg(feature = "postgres")]
use std::sync::atomic::Ordering;

use koko_core::Storage;

/// One test of a generic test function on one backend: `backend_test!(Backend, name)` is `#[test] fn name()`
/// running `super::name::<super::Backend>()`. On PostgreSQL it is ignored, with how to run it, unless the tests
/// were built with `KOKO_TEST_POSTGRES` set (koko-core's build script then sets `cfg(koko_test_postgres)`), so
/// `cargo test` passes without a server and says how many tests it left out.
#[macro_export]
macro_rules! backend_test {
    (Postgres, $test:ident) => {
        $crate::backend_test!(@pg Postgres, $test);
    };
    (PostgresReplicaDown, $test:ident) => {
        $crate::backend_test!(@pg PostgresReplicaDown, $test);
    };
    (@pg $backend:ident, $test:ident) => {
        #[test]
        #[cfg_attr(
            not(koko_test_postgres),
            ignore = "needs PostgreSQL: set KOKO_TEST_POSTGRES, or run `scripts/test core`, which starts a server"
        )]
        fn $test() {
            super::$test::<super::$backend>();
        }
    };
    ($backend:ident, $test:ident) => {
        #[test]
        fn $test() {
            super::$test::<super::$backend>();
        }
    };
}

pub trait Backend: Sized {
    type S: Storage + 'static;
    fn fresh() -> Self;
    fn storage(&self) -> &Self::S;
}

/// A backend that keeps its data across a close and reopen.
pub trait Persistent: Backend {
    fn reopen(self) -> Self;
}

pub struct Memory(koko_core::MemoryStorage);

impl Backend for Memory {
    type S = koko_core::MemoryStorage;
    fn fresh() -> Self {
        Memory(koko_core::MemoryStorage::new())
    }
    fn storage(&self) -> &Self::S {
        &self.0
    }
}

pub struct Sled {
    storage: koko_core::SledStorage,
    dir: tempfile::TempDir,
}

impl Backend for Sled {
    type S = koko_core::SledStorage;
    fn fresh() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let storage = koko_core::SledStorage::open(dir.path()).expect("open sled");
        Sled { storage, dir }
    }
    fn storage(&self) -> &Self::S {
        &self.storage
    }
}

/// sled with background flushing every 5 ms instead of a flush per commit.
pub struct SledInterval(Sled);

impl Backend for SledInterval {
    type S = koko_core::SledStorage;
    fn fresh() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let options = koko_core::SledOptions {
            durability: koko_core::Durability::Interval(std::time::Duration::from_millis(5)),
            ..Default::default()
        };
        let storage = koko_core::SledStorage::open_with(dir.path(), options).expect("open sled");
        SledInterval(Sled { storage, dir })
    }
    fn storage(&self) -> &Self::S {
        &self.0.storage
    }
}

impl Persistent for SledInterval {
    fn reopen(self) -> Self {
        SledInterval(self.0.reopen())
    }
}

/// PostgreSQL: a fresh database per test on the server named by `KOKO_TEST_POSTGRES` (scripts/test starts one).
#[cfg(feature = "postgres")]
pub struct Postgres {
    storage: koko_core::PostgresStorage,
    url: String,
}

#[cfg(feature = "postgres")]
impl Backend for Postgres {
    type S = koko_core::PostgresStorage;
    fn fresh() -> Self {
        use std::sync::atomic::AtomicUsize;
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let admin = std::env::var("KOKO_TEST_POSTGRES").expect(
            "KOKO_TEST_POSTGRES must name a PostgreSQL server for the postgres feature's tests \
             (e.g. \"host=127.0.0.1 port=5432 user=postgres dbname=postgres\"); scripts/test starts one",
        );
        let name = format!(
            "koko_test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        let mut client = ::postgres::Client::connect(&admin, ::postgres::NoTls)
            .expect("connect to the test server");
        // A database name cannot be a query parameter; this one is made of digits and a fixed prefix.
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create a test database");
        let url = format!("{admin} dbname={name}");
        let storage =
            koko_core::PostgresStorage::connect(&url).expect("connect to the test database");
        Postgres { storage, url }
    }
    fn storage(&self) -> &Self::S {
        &self.storage
    }
}

/// `conninfo` (a `key=value` connection string) with its port replaced by one nobody listens on: a server that is
/// down.
pub fn with_port_nobody_listens_on(conninfo: &str) -> String {
    conninfo
        .split_whitespace()
        .map(|kv| {
            if kv.starts_with("port=") {
                "port=1"
            } else {
                kv
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// PostgreSQL with a read replica configured that is down (a port nobody listens on): every operation must work as
/// on the primary alone, listings and search falling back to it. (A live replica is tested in tests/replica.rs:
/// listings there may lag a write just made, which this suite's listings do not allow.)
#[cfg(feature = "postgres")]
pub struct PostgresReplicaDown(Postgres);

#[cfg(feature = "postgres")]
impl Backend for PostgresReplicaDown {
    type S = koko_core::PostgresStorage;
    fn fresh() -> Self {
        let Postgres { storage, url } = Postgres::fresh();
        drop(storage);
        let down = with_port_nobody_listens_on(&url);
        let options = koko_core::PostgresOptions {
            replica: Some(down),
            ..Default::default()
        };
        let storage = koko_core::PostgresStorage::connect_with(&url, options).expect("connect");
        PostgresReplicaDown(Postgres { storage, url })
    }
    fn storage(&self) -> &Self::S {
        &self.0.storage
    }
}

#[cfg(feature = "postgres")]
impl Postgres {
    /// The test database's connection string.
    pub fn url(&self) -> &str {
        &self.url
    }
}

#[cfg(feature = "postgres")]
impl Persistent for Postgres {
    fn reopen(self) -> Self {
        let Postgres { storage, url } = self;
        drop(storage);
        let storage = koko_core::PostgresStorage::connect(&url).expect("reconnect");
        Postgres { storage, url }
    }
}

impl Persistent for Sled {
    fn reopen(self) -> Self {
        let Sled { storage, dir } = self;
        drop(storage);
        let storage = koko_core::SledStorage::open(dir.path()).expect("reopen sled");
        Sled { storage, dir }
    }
}
