//! The rule scenarios (`tests/scenarios/*.json`, worked out by hand from the rules; the format is in
//! `tests/scenarios/README.md`) on every backend: memory, sled, sled with interval flushing and PostgreSQL. The same
//! files run from Python (bindings-python/tests/test_scenarios.py) and over HTTP against the REST API
//! (examples/django-api/tests/test_scenarios.py). Each step is one call through [`koko_core::BookStore`]; its
//! answer must match what the step expects, or its error the kind and field written down.

mod common;
#[path = "scenario_runner/mod.rs"]
mod scenarios_run;

use common::{Backend, Memory, Sled, SledInterval};
#[cfg(feature = "postgres")]
use common::{Persistent, Postgres};

/// A backend the scenarios can reopen at a `reopen` step (memory keeps its store: it has nothing to reopen).
pub trait Reopen: Backend {
    fn reopened(self) -> Self;
}

impl Reopen for Memory {
    fn reopened(self) -> Self {
        self
    }
}

impl Reopen for Sled {
    fn reopened(self) -> Self {
        common::Persistent::reopen(self)
    }
}

impl Reopen for SledInterval {
    fn reopened(self) -> Self {
        common::Persistent::reopen(self)
    }
}

#[cfg(feature = "postgres")]
impl Reopen for Postgres {
    fn reopened(self) -> Self {
        Persistent::reopen(self)
    }
}

/// One test per scenario file and backend, e.g. `sled::circulation`.
macro_rules! scenario_files {
    ($($file:ident),* $(,)?) => {
        $(
            fn $file<B: Reopen>() {
                scenarios_run::run_file::<B>(stringify!($file));
            }
        )*
        macro_rules! on_backend {
            ($module:ident => $backend:ident) => {
                mod $module {
                    $( crate::backend_test!($backend, $file); )*
                }
            };
        }
        /// Every file of the folder has a test above (a new file is not forgotten).
        #[test]
        fn every_scenario_file_runs() {
            let listed = [$(stringify!($file)),*];
            let mut found: Vec<String> = std::fs::read_dir(scenarios_run::folder())
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .filter_map(|name| name.strip_suffix(".json").map(str::to_owned))
                .collect();
            found.sort();
            let mut listed: Vec<String> = listed.iter().map(|s| s.to_string()).collect();
            listed.sort();
            assert_eq!(found, listed, "tests/scenarios/*.json and the files listed in tests/scenarios.rs");
        }
    };
}

scenario_files!(circulation, ledger, notices, renewals);

on_backend!(memory => Memory);
on_backend!(sled => Sled);
on_backend!(sled_interval => SledInterval);
#[cfg(feature = "postgres")]
on_backend!(postgres => Postgres);
