//! Koko quick start: a book store on the embedded sled store.
//!
//! ```text
//! cargo run --example quickstart            # data in ./koko-data
//! KOKO_DATA=/tmp/shop cargo run --example quickstart
//! ```
//!
//! The first run seeds a small catalogue; every run rents and returns a few books with explicit dates and prints
//! itemised receipts. Run it twice: the second run finds the first run's data.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{Duration, TimeZone, Utc};
use koko_core::{BookStore, NewBook, NewCustomer, PricePlan, SledStorage};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("quickstart failed: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), koko_core::Error> {
    let path = std::env::var_os("KOKO_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("koko-data"));
    let store = BookStore::with_default_plan(SledStorage::open(&path)?, PricePlan::story3())?;
    let plan = store.current_plan()?;
    println!(
        "Koko store at {} — price plan {:?} (version {}), in {}",
        path.display(),
        plan.plan.name().unwrap_or("unnamed"),
        plan.id,
        plan.plan.currency()
    );

    let earlier = store.rentals()?.count();
    if store.books()?.next().is_none() {
        println!("First run: seeding the catalogue.");
        let catalogue = [
            ("The Hobbit", "J. R. R. Tolkien", "novel", 2),
            ("Dune", "Frank Herbert", "fiction", 1),
            ("A Brief History of Time", "Stephen Hawking", "regular", 1),
            ("Pride and Prejudice", "Jane Austen", "novel", 1),
            (
                "The Left Hand of Darkness",
                "Ursula K. Le Guin",
                "fiction",
                1,
            ),
            ("The Elements of Style", "Strunk & White", "regular", 1),
        ];
        for (title, author, category, copies) in catalogue {
            store.add_book(&NewBook::new(title, author, category), copies)?;
        }
        store.register_customer(
            &NewCustomer::new("Ada", "Lovelace").with_email("ada@example.org"),
        )?;
        store.register_customer(&NewCustomer::new("Alan", "Turing"))?;
    } else {
        println!(
            "Found the data of earlier runs: {} books, {} customers, {earlier} rentals ({} still open).",
            store.books()?.count(),
            store.customers()?.count(),
            store.active_rentals()?.count()
        );
    }

    // Each run happens a week after the previous one, so the dates differ from run to run.
    let run = u32::try_from(earlier / 4).unwrap_or(0);
    let monday = Utc
        .with_ymd_and_hms(2024, 6, 3, 10, 0, 0)
        .single()
        .unwrap_or_default()
        + Duration::weeks(i64::from(run));
    let customers: Vec<_> = store.customers()?.collect::<Result<_, _>>()?;
    let books: Vec<_> = store.books()?.collect::<Result<_, _>>()?;
    let pick = |category: &str| books.iter().find(|b| b.category == category);
    let (Some(ada), Some(alan)) = (customers.first(), customers.get(1)) else {
        return Err(koko_core::Error::Corruption(
            "the demo customers are missing".into(),
        ));
    };
    let left_open: Vec<_> = store.active_rentals()?.collect::<Result<_, _>>()?;
    for rental in left_open {
        println!(
            "Returning rental {} left open by the previous run:",
            rental.id
        );
        let receipt = store.return_rental_at(rental.id, monday)?;
        println!("\n{receipt}\n");
    }
    let plans = [
        ("regular", ada, 72), // 3 days: 1.00 + 1.00 + 1.50
        ("novel", alan, 47),  // 47 hours is 1 day; the novel minimum is 4.50
        ("fiction", ada, 48), // 2 days at 3.00
    ];
    println!(
        "\nRun {} — renting on {}:",
        run + 1,
        monday.format("%A %Y-%m-%d %H:%M UTC")
    );
    for (category, customer, hours) in plans {
        let Some(book) = pick(category) else { continue };
        let rental = store.rent_book_at(customer.id, book.id, monday)?;
        println!(
            "  {} {} rents {:?} ({category}), rental {}",
            customer.first_name, customer.last_name, book.title, rental.id
        );
        let returned = monday + Duration::hours(hours);
        let preview = store.quote_return(rental.id, returned)?;
        println!(
            "    would owe {} {} if returned after {hours} h",
            preview.total, preview.currency
        );
        let receipt = store.return_rental_at(rental.id, returned)?;
        println!("\n{receipt}\n");
    }
    // Leave one rental open; the next run returns it, a week later.
    if let Some(book) = books.iter().find(|b| b.title.starts_with("The Left Hand")) {
        let open = store.rent_book_at(alan.id, book.id, monday + Duration::hours(1))?;
        println!(
            "  Alan Turing takes {:?} home (rental {}); the next run returns it.\n",
            book.title, open.id
        );
    }
    // Ada settles what she owes at the desk; Alan's charges stay on his account.
    let owed = store.account(ada.id)?.balance;
    if owed > koko_core::Decimal::ZERO {
        let paid = store.pay(ada.id, owed, Some("cash at the desk"))?;
        println!(
            "  Ada Lovelace pays {} {} in cash: her balance is now {}.",
            paid.amount, paid.currency, paid.balance_after
        );
    }
    let alan_account = store.account(alan.id)?;
    let entries = alan_account.entries.len();
    println!(
        "  Alan Turing owes {} ({entries} ledger {}).\n",
        alan_account.balance,
        if entries == 1 { "entry" } else { "entries" }
    );
    let revenue = store.revenue(
        Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or_default(),
        Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or_default(),
    )?;
    println!("Revenue so far, all runs:");
    for line in &revenue.lines {
        println!(
            "  {:<8} {:>3} rentals {:>8} {}",
            line.category, line.rentals, line.total, line.currency
        );
    }
    store.flush()?;
    println!(
        "\nData kept in {} — run again to see it persist.",
        path.display()
    );
    Ok(())
}
