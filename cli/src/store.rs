//! Opening the store a command names — only a store that exists: a wrong path or database is an error, never a new
//! empty store (`koko init` is the one command that creates one).

use std::path::Path;

use koko_core::{BookStore, SledStorage, Storage};

/// A store on whichever backend its name says.
pub(crate) type Store = BookStore<Box<dyn Storage>>;

/// The boxed error every command returns (exit status 2).
pub(crate) type Failure = Box<dyn std::error::Error>;

/// Whether a command may create the store it names.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// The store must exist (every command but `init`).
    Existing,
    /// The store must not exist yet (`init`): a sled directory that is absent or empty, a PostgreSQL database
    /// without Koko's tables.
    New,
}

/// Opens `name`: a `postgresql://` or `postgres://` URL (with the `postgres` feature), else a sled directory
/// (`sled:DIR` names one too).
pub(crate) fn open(name: &str, mode: Mode) -> Result<Store, Failure> {
    let storage: Box<dyn Storage> = if name.starts_with("postgresql://")
        || name.starts_with("postgres://")
    {
        postgres(name, mode)?
    } else {
        let dir = Path::new(name.strip_prefix("sled:").unwrap_or(name));
        let exists = is_sled_store(dir);
        match (mode, exists) {
                (Mode::Existing, false) => return Err(no_store(name)),
                (Mode::New, true) => {
                    return Err(format!("there is already a Koko store at {name}").into())
                }
                (Mode::New, false) if dir.read_dir().is_ok_and(|mut d| d.next().is_some()) => {
                    return Err(format!(
                        "{name} is a directory that holds other files, not a Koko store; name a new or empty \
                         directory"
                    )
                    .into())
                }
                _ => {}
            }
        Box::new(SledStorage::open(dir)?)
    };
    Ok(BookStore::open(storage)?)
}

/// Whether `dir` holds a sled store (sled writes its `conf` and `db` files when it creates one).
fn is_sled_store(dir: &Path) -> bool {
    dir.join("conf").is_file() && dir.join("db").is_file()
}

/// The error of a store that does not exist.
fn no_store(name: &str) -> Failure {
    let name = shown(name);
    format!("no Koko store at {name}; create one with `koko init {name}`").into()
}

/// A store's name as messages show it: a connection string without its password.
pub(crate) fn shown(name: &str) -> String {
    match (name.find("://"), name.rfind('@')) {
        (Some(scheme), Some(at)) if scheme + 3 < at => {
            let credentials = &name[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &name[..scheme + 3], &name[at..]),
                None => name.to_owned(),
            }
        }
        _ => name.to_owned(),
    }
}

#[cfg(feature = "postgres")]
fn postgres(url: &str, mode: Mode) -> Result<Box<dyn Storage>, Failure> {
    match (mode, koko_core::PostgresStorage::holds_store(url)?) {
        (Mode::Existing, false) => return Err(no_store(url)),
        (Mode::New, true) => {
            return Err(format!("there is already a Koko store at {}", shown(url)).into())
        }
        _ => {}
    }
    Ok(Box::new(koko_core::PostgresStorage::connect(url)?))
}

#[cfg(not(feature = "postgres"))]
fn postgres(_url: &str, _mode: Mode) -> Result<Box<dyn Storage>, Failure> {
    Err("this koko was built without PostgreSQL (the `postgres` feature)".into())
}
