//! The native module `koko._koko` behind the Python package `koko`: conversions and error mapping over
//! `koko-core`, nothing more. Money crosses as `decimal.Decimal`, times as timezone-aware `datetime`.
#![forbid(unsafe_code)]

mod batch;
mod convert;
mod errors;
mod events;
mod export;
mod inner;
mod operations;
mod pages;
mod plan;
mod records;
mod records_accounts;
mod records_circulation;
mod store;
mod store_accounts;
mod store_backup;
mod store_catalogue;
mod store_circulation;
mod store_events;
mod store_rentals;
mod store_search;

use pyo3::prelude::*;

/// The native half of the `koko` package.
#[pymodule]
fn _koko(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    module.add_class::<plan::PricePlan>()?;
    module.add_class::<plan::Quote>()?;
    module.add_class::<plan::QuoteLine>()?;
    module.add_class::<records::Book>()?;
    module.add_class::<records::Copy>()?;
    module.add_class::<records::Customer>()?;
    module.add_class::<records::Rental>()?;
    module.add_class::<records::Receipt>()?;
    module.add_class::<records::PlanVersion>()?;
    module.add_class::<records::RevenueLine>()?;
    module.add_class::<records_accounts::LedgerEntry>()?;
    module.add_class::<records_accounts::Block>()?;
    module.add_class::<records_accounts::Account>()?;
    module.add_class::<records_accounts::Statement>()?;
    module.add_class::<records_accounts::AgedBalance>()?;
    module.add_class::<records_circulation::Hold>()?;
    module.add_class::<records_circulation::Found>()?;
    module.add_class::<records_circulation::Notice>()?;
    module.add_class::<events::Event>()?;
    module.add_class::<export::CsvChunks>()?;
    module.add_class::<export::OutstandingCharges>()?;
    module.add_class::<export::CurrencyTotal>()?;
    module.add_class::<store::BookStore>()?;
    module.add_class::<batch::Batch>()?;
    module.add_class::<pages::KeysetIterator>()?;
    Ok(())
}
