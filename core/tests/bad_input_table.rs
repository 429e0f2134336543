//! The shared bad-input table (`tests/bad_input_table.json`, also run by the Python and JS suites): every case
//! marked for Rust must fail with the expected kind and field (or entity) and a message, and a store must be exactly
//! as it was — compared as a canonical dump of every record — then still take the `after_all` operations.
//!
//! Tags in `args`: `{"$ref": name}` an id the fixture saved, `{"$datetime": iso}` an instant, `{"$json": value}`
//! that value as JSON text, `{"$string_of": [s, n]}` `s` repeated `n` times, `{"$plan": preset}` a preset plan.
//! Cases for runtimes that can express wrong types, NaN or naive times are not marked for Rust: its types rule
//! them out.

mod common;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use koko_core::{
    BookId, BookQuery, BookStore, BookUpdate, CopyId, CustomerId, CustomerUpdate, Decimal, Error,
    HoldId, NewBook, NewCustomer, Operation, PricePlan, RentTarget, RentalId, Storage,
};
use serde_json::Value;

use common::{Backend, Memory, Sled};

const TABLE: &str = include_str!("bad_input_table.json");

/// Ids the fixture saved, by name.
type Saved = BTreeMap<String, u64>;

fn resolve(value: &Value, saved: &Saved) -> Value {
    match value {
        Value::Object(map) if map.len() == 1 => {
            let (tag, inner) = map.iter().next().unwrap();
            match tag.as_str() {
                "$ref" => Value::from(saved[inner.as_str().unwrap()]),
                "$json" => Value::String(resolve(inner, saved).to_string()),
                "$string_of" => {
                    let s = inner[0].as_str().unwrap();
                    Value::String(s.repeat(inner[1].as_u64().unwrap() as usize))
                }
                "$datetime" | "$plan" => value.clone(),
                _ => Value::Object(
                    map.iter()
                        .map(|(k, v)| (k.clone(), resolve(v, saved)))
                        .collect(),
                ),
            }
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), resolve(v, saved)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|v| resolve(v, saved)).collect()),
        other => other.clone(),
    }
}

/// Typed access to a case's resolved arguments.
struct Args<'a>(&'a Value);

impl Args<'_> {
    fn str(&self, key: &str) -> &str {
        self.0[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key}: not a string"))
    }
    fn opt_str(&self, key: &str) -> Option<String> {
        self.0.get(key).and_then(Value::as_str).map(str::to_owned)
    }
    fn u64(&self, key: &str) -> u64 {
        self.0[key]
            .as_u64()
            .unwrap_or_else(|| panic!("{key}: not a u64"))
    }
    fn u32(&self, key: &str) -> u32 {
        u32::try_from(self.u64(key)).unwrap_or_else(|_| panic!("{key}: not a u32"))
    }
    fn time(&self, key: &str) -> DateTime<Utc> {
        let iso = self.0[key]["$datetime"]
            .as_str()
            .unwrap_or_else(|| panic!("{key}: not a $datetime"));
        DateTime::parse_from_rfc3339(iso)
            .unwrap_or_else(|e| panic!("{key}: {e}"))
            .with_timezone(&Utc)
    }
    fn plan(&self) -> PricePlan {
        match &self.0["plan"] {
            Value::String(name) => PricePlan::preset(name).unwrap(),
            tagged => PricePlan::preset(tagged["$plan"].as_str().unwrap()).unwrap(),
        }
    }
    fn money(&self, key: &str) -> Decimal {
        self.str(key)
            .parse()
            .unwrap_or_else(|e| panic!("{key}: not a decimal ({e})"))
    }
    fn has(&self, key: &str) -> bool {
        self.0.get(key).is_some()
    }
}

/// An operation's outcome when it creates nothing the fixture keeps.
fn none<T>(outcome: Result<T, Error>) -> Result<Option<u64>, Error> {
    outcome.map(|_| None)
}

/// Runs one operation; `Ok(Some(id))` for operations that create something (the fixture saves it).
fn run<S: Storage>(store: &BookStore<S>, op: &str, a: &Args<'_>) -> Result<Option<u64>, Error> {
    match op {
        "quote_days" => none(a.plan().quote_days(a.str("category"), a.u32("days"))),
        "total_for_days" => none(a.plan().total_for_days(a.str("category"), a.u32("days"))),
        "price_curve" => none(a.plan().price_curve(a.str("category"), a.u32("max_days"))),
        "quote" if a.has("due_at") => none(a.plan().quote_with_due(
            a.str("category"),
            a.time("rented_at"),
            Some(a.time("due_at")),
            a.time("returned_at"),
        )),
        "quote" => none(a.plan().quote(
            a.str("category"),
            a.time("rented_at"),
            a.time("returned_at"),
        )),
        "due_at" => none(a.plan().due_at(a.str("category"), a.time("rented_at"))),
        "plan_json" => none(PricePlan::from_json(a.str("document"))),
        "plan_toml" => none(PricePlan::from_toml(a.str("document"))),
        "preset" => none(PricePlan::preset(a.str("name"))),
        "add_book" => {
            let mut book = NewBook::new(a.str("title"), a.str("author"), a.str("category"));
            book.isbn = a.opt_str("isbn");
            let copies = if a.has("copies") { a.u32("copies") } else { 1 };
            store.add_book(&book, copies).map(|b| Some(b.id.get()))
        }
        "update_book" => {
            let update = BookUpdate {
                title: a.opt_str("title"),
                author: a.opt_str("author"),
                isbn: a.opt_str("isbn").map(Some),
                category: a.opt_str("category"),
            };
            none(store.update_book(BookId::new(a.u64("book")), &update))
        }
        "add_copies" => none(store.add_copies(BookId::new(a.u64("book")), a.u32("count"))),
        "withdraw_copy" => none(store.withdraw_copy(CopyId::new(a.u64("copy")))),
        "reinstate_copy" => none(store.reinstate_copy(CopyId::new(a.u64("copy")))),
        "book" => none(store.book(BookId::new(a.u64("book")))),
        "copies" => none(store.copies(BookId::new(a.u64("book")))),
        "register_customer" => {
            let mut customer = NewCustomer::new(a.str("first_name"), a.str("last_name"));
            customer.email = a.opt_str("email");
            store.register_customer(&customer).map(|c| Some(c.id.get()))
        }
        "update_customer" => {
            let update = CustomerUpdate {
                first_name: a.opt_str("first_name"),
                last_name: a.opt_str("last_name"),
                email: a.opt_str("email").map(Some),
                active: None,
            };
            none(store.update_customer(CustomerId::new(a.u64("customer")), &update))
        }
        "deactivate_customer" => {
            none(store.deactivate_customer(CustomerId::new(a.u64("customer"))))
        }
        "activate_customer" => none(store.activate_customer(CustomerId::new(a.u64("customer")))),
        "customer" => none(store.customer(CustomerId::new(a.u64("customer")))),
        "customer_rentals" => none(
            store
                .customer_rentals(CustomerId::new(a.u64("customer")))
                .map(|r| r.count()),
        ),
        "rent" if a.has("idempotency_key") => {
            let op = Operation::Rent {
                target: RentTarget::Book(BookId::new(a.u64("book"))),
                customer: CustomerId::new(a.u64("customer")),
                at: a.time("at"),
            };
            let outcome = store.apply_idempotent(a.str("idempotency_key"), op, false)?;
            outcome.into_rental().map(|r| Some(r.id.get()))
        }
        "rent" => {
            let customer = CustomerId::new(a.u64("customer"));
            let rental = if a.has("copy") {
                store.rent_copy_at(customer, CopyId::new(a.u64("copy")), a.time("at"))
            } else {
                store.rent_book_at(customer, BookId::new(a.u64("book")), a.time("at"))
            };
            rental.map(|r| Some(r.id.get()))
        }
        "return_rental" if a.has("damage_fee") => none(store.return_damaged_at(
            RentalId::new(a.u64("rental")),
            a.time("at"),
            a.money("damage_fee"),
            a.str("note"),
        )),
        "return_rental" => {
            none(store.return_rental_at(RentalId::new(a.u64("rental")), a.time("at")))
        }
        "place_hold" => none(store.place_hold_at(
            CustomerId::new(a.u64("customer")),
            BookId::new(a.u64("book")),
            a.time("at"),
        )),
        "cancel_hold" => none(store.cancel_hold_at(HoldId::new(a.u64("hold")), a.time("at"))),
        "declare_lost" => none(store.declare_lost_at(RentalId::new(a.u64("rental")), a.time("at"))),
        "mark_found" => none(store.mark_found_at(CopyId::new(a.u64("copy")), a.time("at"))),
        "mark_notified" => {
            let keys: Vec<String> = a.0["keys"]
                .as_array()
                .expect("keys")
                .iter()
                .map(|k| match &k["$string_of"] {
                    // {"$string_of": [text, n]}: text repeated n times.
                    Value::Array(spec) => spec[0]
                        .as_str()
                        .expect("text")
                        .repeat(spec[1].as_u64().expect("a count") as usize),
                    _ => k.as_str().expect("a key").to_owned(),
                })
                .collect();
            none(store.mark_notified(&keys, a.time("at")))
        }
        "hold" => none(store.hold(HoldId::new(a.u64("hold")))),
        "search_books" => {
            let query = BookQuery {
                text: a.opt_str("search"),
                category: a.opt_str("category"),
                available: a.0.get("available").and_then(Value::as_bool),
            };
            let after = a.has("after").then(|| BookId::new(a.u64("after")));
            none(store.search_books(&query, after, a.u64("limit") as usize))
        }
        "search_customers" => {
            let after = a.has("after").then(|| CustomerId::new(a.u64("after")));
            none(store.search_customers(
                &a.opt_str("search").unwrap_or_default(),
                after,
                a.u64("limit") as usize,
            ))
        }
        "books_page" => {
            let after = a.has("after").then(|| BookId::new(a.u64("after")));
            none(store.books_page(after, a.u64("limit") as usize))
        }
        "book_holds" => none(store.book_holds(BookId::new(a.u64("book")))),
        "customer_holds" => none(store.customer_holds(CustomerId::new(a.u64("customer")))),
        "quote_return" => none(store.quote_return(RentalId::new(a.u64("rental")), a.time("at"))),
        "rental" => none(store.rental(RentalId::new(a.u64("rental")))),
        "store_quote" => none(store.quote(
            a.str("category"),
            a.time("rented_at"),
            a.time("returned_at"),
        )),
        "publish_plan" => none(store.publish_plan(a.plan(), a.time("effective_from"))),
        "revenue" => none(store.revenue(a.time("from"), a.time("to"))),
        "renew" => none(store.apply(Operation::Renew {
            rental: RentalId::new(a.u64("rental")),
            at: a.time("at"),
        })),
        "pay" => {
            let currency = match a.opt_str("currency") {
                Some(code) => Some(code.parse()?),
                None => None,
            };
            none(store.storage().apply(Operation::Pay {
                customer: CustomerId::new(a.u64("customer")),
                amount: a.money("amount"),
                currency,
                at: store.now(),
                note: a.opt_str("note"),
            }))
        }
        "waive" => none(store.waive(
            CustomerId::new(a.u64("customer")),
            a.money("amount"),
            a.str("reason"),
        )),
        "refund" => none(store.refund(
            CustomerId::new(a.u64("customer")),
            a.money("amount"),
            a.str("reason"),
        )),
        "block_customer" => none(store.block_customer(
            CustomerId::new(a.u64("customer")),
            a.str("reason"),
            a.has("until").then(|| a.time("until")),
        )),
        other => panic!("the table names an operation this runner does not know: {other}"),
    }
}

/// Every record, in id order, as one canonical text.
fn dump<S: Storage>(store: &BookStore<S>) -> String {
    let mut out = String::new();
    for book in store.books().unwrap() {
        let book = book.unwrap();
        out += &format!("{book:?} {:?}\n", store.copies(book.id).unwrap());
    }
    for customer in store.customers().unwrap() {
        let customer = customer.unwrap();
        out += &format!("{customer:?} {:?}\n", store.account(customer.id).unwrap());
    }
    for rental in store.rentals().unwrap() {
        out += &format!("{:?}\n", rental.unwrap());
    }
    for version in store.storage().plan_versions().unwrap() {
        out += &format!(
            "{} {} {}\n",
            version.id,
            version.effective_from,
            version.plan.to_json()
        );
    }
    out
}

fn run_steps<S: Storage>(store: &BookStore<S>, steps: &Value, saved: &mut Saved) {
    for step in steps.as_array().unwrap() {
        let args = resolve(&step["args"], saved);
        let op = step["op"].as_str().unwrap();
        let made =
            run(store, op, &Args(&args)).unwrap_or_else(|e| panic!("fixture step {op}: {e}"));
        if let (Some(name), Some(id)) = (step["save"].as_str(), made) {
            saved.insert(name.to_owned(), id);
        }
        if let Some(names) = step["save_copies"].as_array() {
            let copies = store.copies(BookId::new(made.unwrap())).unwrap();
            for (name, copy) in names.iter().zip(copies) {
                saved.insert(name.as_str().unwrap().to_owned(), copy.id.get());
            }
        }
    }
}

/// Runs every Rust case on a fresh fixture store of backend `B`; returns the failures, described.
fn run_table<B: Backend>() -> (usize, Vec<String>) {
    let table: Value = serde_json::from_str(TABLE).unwrap();
    let fixture = &table["fixture"];
    let mut failures = Vec::new();
    let mut count = 0;
    for case in table["cases"].as_array().unwrap() {
        if !case["runtimes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "rust")
        {
            continue;
        }
        count += 1;
        let name = case["name"].as_str().unwrap();
        let backend = B::fresh();
        let plan = PricePlan::preset(fixture["plan"].as_str().unwrap()).unwrap();
        let store = BookStore::with_default_plan(backend.storage(), plan).unwrap();
        let mut saved = Saved::new();
        run_steps(&store, &fixture["steps"], &mut saved);
        let before = dump(&store);
        let args = resolve(&case["args"], &saved);
        let outcome = run(&store, case["op"].as_str().unwrap(), &Args(&args));
        let expect = &case["expect"];
        let problem = match outcome {
            Ok(_) => Some("succeeded".to_owned()),
            Err(err) => {
                let entity = match &err {
                    Error::NotFound { entity, .. } => Some(*entity),
                    _ => None,
                };
                let kind_ok =
                    err.kind() == expect["kind"].as_str().unwrap() && !err.to_string().is_empty();
                let field_ok = expect
                    .get("field")
                    .is_none_or(|f| err.field() == f.as_str());
                let entity_ok = expect.get("entity").is_none_or(|e| entity == e.as_str());
                (!(kind_ok && field_ok && entity_ok)).then(|| {
                    format!(
                        "got {} field {:?} entity {entity:?}: {err}",
                        err.kind(),
                        err.field()
                    )
                })
            }
        };
        let problem =
            problem.or_else(|| (dump(&store) != before).then(|| "the store changed".to_owned()));
        if let Some(problem) = problem {
            failures.push(format!("{name}: expected {expect}, {problem}"));
            continue;
        }
        let mut after = saved.clone();
        run_steps(&store, &fixture["after_all"], &mut after);
    }
    (count, failures)
}

fn check<B: Backend>(backend: &str) {
    let (count, failures) = run_table::<B>();
    assert!(
        count >= 247,
        "only {count} Rust cases in the table: were some lost?"
    );
    assert!(
        failures.is_empty(),
        "{} of {count} bad-input cases failed on {backend}:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
    println!(
        "bad inputs ({backend}): {count} cases, each the expected typed error, store unchanged"
    );
}

#[test]
fn every_bad_input_is_a_typed_error_and_leaves_memory_unchanged() {
    check::<Memory>("memory");
}

#[test]
fn every_bad_input_is_a_typed_error_and_leaves_sled_unchanged() {
    check::<Sled>("sled");
}
