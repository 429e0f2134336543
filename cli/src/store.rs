//! Opening the store a command names.

use koko_core::{BookStore, SledStorage, Storage};

/// A store on whichever backend its name says.
pub(crate) type Store = BookStore<Box<dyn Storage>>;

/// Opens `name`: a `postgresql://` or `postgres://` URL (with the `postgres` feature), else a sled directory
/// (`sled:DIR` names one too).
pub(crate) fn open(name: &str) -> Result<Store, Box<dyn std::error::Error>> {
    let storage: Box<dyn Storage> =
        if name.starts_with("postgresql://") || name.starts_with("postgres://") {
            postgres(name)?
        } else {
            Box::new(SledStorage::open(
                name.strip_prefix("sled:").unwrap_or(name),
            )?)
        };
    Ok(BookStore::open(storage)?)
}

#[cfg(feature = "postgres")]
fn postgres(url: &str) -> Result<Box<dyn Storage>, Box<dyn std::error::Error>> {
    Ok(Box::new(koko_core::PostgresStorage::connect(url)?))
}

#[cfg(not(feature = "postgres"))]
fn postgres(_url: &str) -> Result<Box<dyn Storage>, Box<dyn std::error::Error>> {
    Err("this koko was built without PostgreSQL (the `postgres` feature)".into())
}
