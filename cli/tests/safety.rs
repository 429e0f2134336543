//! The `koko` command never guesses: a store that does not exist is an error for every command (exit status 2, one
//! line saying how to create one) and is not created; only `koko init` creates a store; imports need a price plan
//! and refuse rows whose fields do not line up with the header; a store another process holds is named as such.

use std::process::{Command, Output};

use koko_core::{BookStore, PricePlan, SledStorage};

fn koko(store: Option<&str>, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_koko"));
    command.args(args).env_remove("KOKO_STORE");
    if let Some(store) = store {
        command.env("KOKO_STORE", store);
    }
    command.output().expect("run koko")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A sled store in `dir` with story 3 in force, and where its customers file goes.
fn store_with_plan(dir: &std::path::Path) -> (String, std::path::PathBuf) {
    let shop = dir.join("shop");
    BookStore::with_default_plan(SledStorage::open(&shop).unwrap(), PricePlan::story3()).unwrap();
    (
        shop.to_string_lossy().into_owned(),
        dir.join("customers.csv"),
    )
}

/// The exit status and the first line of standard error.
fn refusal(out: &Output) -> (Option<i32>, String) {
    (
        out.status.code(),
        text(&out.stderr).lines().next().unwrap_or("").to_owned(),
    )
}

#[test]
fn a_misspelt_store_is_an_error_for_every_command_and_is_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let typo = dir.path().join("shpo");
    let name = typo.to_str().unwrap();
    let dump = dir.path().join("nightly.dump");
    let csv = dir.path().join("books.csv");
    std::fs::write(&csv, "title,author,category\nEmma,Jane Austen,novel\n").unwrap();
    let want = format!("koko: no Koko store at {name}; create one with `koko init {name}`");
    for args in [
        vec!["check"],
        vec!["backup", "-o", dump.to_str().unwrap()],
        vec!["export", "books"],
        vec!["import", "books", csv.to_str().unwrap()],
        vec!["plan", "show"],
        vec![
            "report",
            "--from",
            "2024-01-01T00:00:00Z",
            "--to",
            "2024-02-01T00:00:00Z",
        ],
        vec!["restore", dump.to_str().unwrap()],
    ] {
        let out = koko(Some(name), &args);
        assert_eq!(refusal(&out), (Some(2), want.clone()), "{args:?}");
        assert!(text(&out.stdout).is_empty(), "{args:?} printed a result");
    }
    assert!(!typo.exists(), "a command created the misspelt store");
    assert!(!dump.exists(), "a backup of no store was written");
    // A path whose parents do not exist is not created either.
    let deep = dir.path().join("nonexistent/dir/x");
    let out = koko(Some(deep.to_str().unwrap()), &["check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!dir.path().join("nonexistent").exists());
}

#[test]
fn init_creates_a_store_once_with_its_plan_and_plan_shows_publishes_and_lists() {
    let dir = tempfile::tempdir().unwrap();
    let shop = dir.path().join("shop");
    let name = shop.to_str().unwrap();
    let out = koko(None, &["init", name, "--plan", "story3"]);
    assert_eq!(
        (out.status.code(), text(&out.stdout).trim().to_owned()),
        (
            Some(0),
            format!(
                "created a Koko store at {name}, its plan (version 1) in force from 1970-01-01T00:00:00Z"
            )
        )
    );
    // Not twice, and not over a directory that holds something else.
    let again = koko(None, &["init", name]);
    assert_eq!(
        refusal(&again),
        (
            Some(2),
            format!("koko: there is already a Koko store at {name}")
        )
    );
    let busy = dir.path().join("busy");
    std::fs::create_dir(&busy).unwrap();
    std::fs::write(busy.join("notes.txt"), "mine").unwrap();
    assert_eq!(
        koko(None, &["init", busy.to_str().unwrap()]).status.code(),
        Some(2)
    );
    // The plan in force is story 3, printed as a plan file publish reads back.
    let shown = koko(Some(name), &["plan", "show"]);
    assert!(shown.status.success(), "{}", text(&shown.stderr));
    let shown = text(&shown.stdout);
    let (first, json) = shown.split_once('\n').unwrap();
    assert_eq!(
        first,
        "# plan version 1, in force from 1970-01-01T00:00:00Z"
    );
    assert_eq!(PricePlan::from_json(json).unwrap(), PricePlan::story3());
    // Publish a copy with poetry from 2030 on; history lists both versions in order.
    let mut doc: serde_json::Value = serde_json::from_str(json).unwrap();
    doc["categories"]["poetry"] = doc["categories"]["regular"].clone();
    let file = dir.path().join("poetry.json");
    std::fs::write(&file, doc.to_string()).unwrap();
    let published = koko(
        Some(name),
        &[
            "plan",
            "publish",
            file.to_str().unwrap(),
            "--from",
            "2030-01-01T00:00:00Z",
        ],
    );
    assert_eq!(
        text(&published.stdout).trim(),
        "published plan version 2, in force from 2030-01-01T00:00:00Z"
    );
    let history = koko(Some(name), &["plan", "history"]);
    assert_eq!(
        text(&history.stdout),
        "version,in_force_from,currency,categories\n\
         1,1970-01-01T00:00:00Z,USD,fiction novel regular\n\
         2,2030-01-01T00:00:00Z,USD,fiction novel poetry regular\n"
    );
    // A plan that does not parse is refused with its file's name.
    std::fs::write(&file, "{\"categories\": 3}").unwrap();
    let bad = koko(Some(name), &["plan", "publish", file.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).contains("poetry.json"),
        "{}",
        text(&bad.stderr)
    );
}

#[test]
fn a_store_without_a_plan_imports_nothing_and_says_how_to_set_one() {
    let dir = tempfile::tempdir().unwrap();
    let shop = dir.path().join("shop");
    let name = shop.to_str().unwrap();
    let out = koko(None, &["init", name]);
    assert!(
        text(&out.stdout).contains("without a price plan"),
        "{}",
        text(&out.stdout)
    );
    let csv = dir.path().join("books.csv");
    std::fs::write(
        &csv,
        "title,author,category\nEmma,Jane Austen,Novel\nOde,Keats,poetry\n",
    )
    .unwrap();
    let refused = koko(Some(name), &["import", "books", csv.to_str().unwrap()]);
    let (code, line) = refusal(&refused);
    assert_eq!(code, Some(2));
    assert!(
        line.contains("no price plan") && line.contains("koko plan publish"),
        "{line}"
    );
    let books = koko(Some(name), &["export", "books"]);
    assert_eq!(
        text(&books.stdout),
        "id,title,author,category,isbn,copies,available\n"
    );
    // With a plan, the same file's unpriced categories are refused by line.
    assert!(koko(
        Some(name),
        &[
            "plan",
            "publish",
            "story3",
            "--from",
            "1970-01-01T00:00:00Z"
        ]
    )
    .status
    .success());
    let imported = koko(Some(name), &["import", "books", csv.to_str().unwrap()]);
    assert_eq!(imported.status.code(), Some(1));
    let problems = text(&imported.stderr);
    assert!(
        problems.contains("line 2: category:") && problems.contains("line 3: category:"),
        "{problems}"
    );
}

#[test]
fn rows_with_fields_missing_or_extra_are_refused_by_line_and_unknown_columns_stop_the_import() {
    let dir = tempfile::tempdir().unwrap();
    let (name, csv) = store_with_plan(dir.path());
    let name = name.as_str();
    std::fs::write(
        &csv,
        "first_name,last_name,email\nAda,Lovelace,ada@example.org\nAlan,Turing,alan@example.org,extra\nGrace,Hopper\n",
    )
    .unwrap();
    let out = koko(Some(name), &["import", "customers", csv.to_str().unwrap()]);
    assert_eq!(
        (out.status.code(), text(&out.stderr), text(&out.stdout).trim().to_owned()),
        (
            Some(1),
            "line 3: row: has 4 fields; the header has 3\nline 4: row: has 2 fields; the header has 3\n".to_owned(),
            "imported 1 customers from 3 rows; 0 skipped (already there: their e-mail address is a customer's); 2 rows refused".to_owned()
        )
    );
    // A misspelt column is not skipped in silence: nothing is imported.
    std::fs::write(
        &csv,
        "first_name,last_name,emial\nEdsger,Dijkstra,ed@example.org\n",
    )
    .unwrap();
    let out = koko(Some(name), &["import", "customers", csv.to_str().unwrap()]);
    let (code, line) = refusal(&out);
    assert_eq!(code, Some(2));
    assert!(line.contains("unknown column \"emial\""), "{line}");
    let customers = koko(Some(name), &["export", "customers"]);
    assert_eq!(text(&customers.stdout).lines().count(), 2, "only Ada");
}

#[test]
fn a_store_held_by_another_process_is_named_with_that_process() {
    let dir = tempfile::tempdir().unwrap();
    let shop = dir.path().join("shop");
    let _held = SledStorage::open(&shop).unwrap();
    let out = koko(Some(shop.to_str().unwrap()), &["check"]);
    let (code, line) = refusal(&out);
    assert_eq!(code, Some(2));
    assert!(
        line.contains(&format!(
            "is open in another process (process {}",
            std::process::id()
        )),
        "{line}"
    );
    assert!(line.contains("stop it, or work through it"), "{line}");
    assert_eq!(text(&out.stderr).lines().count(), 1, "one line, no trace");
}

#[test]
fn importing_customers_again_skips_those_already_there_by_their_email() {
    let dir = tempfile::tempdir().unwrap();
    let (name, csv) = store_with_plan(dir.path());
    let name = name.as_str();
    std::fs::write(
        &csv,
        "first_name,last_name,email\nAda,Lovelace,ada@example.org\nAlan,Turing,alan@example.org\nGrace,Hopper,\n",
    )
    .unwrap();
    let first = koko(Some(name), &["import", "customers", csv.to_str().unwrap()]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    // The same file again (as a retry loop would send it), one address now written in capitals: the customers
    // with an address are skipped; Grace, who has none, cannot be told from a new Grace and is imported again.
    std::fs::write(
        &csv,
        "first_name,last_name,email\nAda,Lovelace,ADA@example.org\nAlan,Turing,alan@example.org\nGrace,Hopper,\n",
    )
    .unwrap();
    let again = koko(Some(name), &["import", "customers", csv.to_str().unwrap()]);
    assert_eq!(
        (again.status.code(), text(&again.stdout).trim().to_owned()),
        (
            Some(0),
            "imported 1 customers from 3 rows; 2 skipped (already there: their e-mail address is a customer's); 0 rows refused"
                .to_owned()
        )
    );
    let customers = koko(Some(name), &["export", "customers"]);
    assert_eq!(
        text(&customers.stdout),
        "id,first_name,last_name,email,active\n1,Ada,Lovelace,ada@example.org,true\n2,Alan,Turing,alan@example.org,true\n\
         3,Grace,Hopper,,true\n4,Grace,Hopper,,true\n"
    );
}

#[test]
fn a_dry_run_reports_what_an_import_would_do_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (name, csv) = store_with_plan(dir.path());
    let name = name.as_str();
    let books = dir.path().join("books.csv");
    // Line 3 repeats line 2's title (a title is unique, case and spaces ignored): the dry run sees it as the
    // import would, though nothing of line 2 is written. Line 4 names a category the plan does not price.
    std::fs::write(
        &books,
        "title,author,category,isbn,copies\nEmma,Jane Austen,novel,,2\n emma ,J. Austen,novel,,1\n\
         Poems,Anon,poetry,,1\nDune,Frank Herbert,fiction,,3\n",
    )
    .unwrap();
    let before = text(&koko(Some(name), &["backup"]).stdout);
    let tried = koko(
        Some(name),
        &["import", "books", books.to_str().unwrap(), "--dry-run"],
    );
    assert_eq!(tried.status.code(), Some(1), "some rows would be refused");
    let problems = text(&tried.stderr);
    assert!(problems.starts_with("line 3: title: "), "{problems}");
    assert!(problems.contains("\nline 4: category: "), "{problems}");
    assert_eq!(problems.lines().count(), 2, "{problems}");
    assert_eq!(
        text(&tried.stdout).trim(),
        "dry run: would import 2 books (5 copies) from 4 rows; 2 rows refused; nothing was written"
    );
    let after = text(&koko(Some(name), &["backup"]).stdout);
    let records = |dump: &str| dump.lines().skip(1).map(str::to_owned).collect::<Vec<_>>();
    assert_eq!(
        records(&after),
        records(&before),
        "the dry run wrote nothing"
    );
    // The import itself does what the dry run said.
    let done = koko(Some(name), &["import", "books", books.to_str().unwrap()]);
    assert_eq!(
        (
            done.status.code(),
            text(&done.stderr),
            text(&done.stdout).trim().to_owned()
        ),
        (
            Some(1),
            problems,
            "imported 2 books (5 copies) from 4 rows; 2 rows refused".to_owned()
        )
    );
    // Customers: a dry run of a re-import counts those already there as skipped.
    std::fs::write(
        &csv,
        "first_name,last_name,email\nAda,Lovelace,ada@example.org\n",
    )
    .unwrap();
    assert_eq!(
        koko(Some(name), &["import", "customers", csv.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    std::fs::write(
        &csv,
        "first_name,last_name,email\nAda,Lovelace,ada@example.org\nAlan,Turing,alan@example.org\n",
    )
    .unwrap();
    let tried = koko(
        Some(name),
        &["import", "customers", csv.to_str().unwrap(), "--dry-run"],
    );
    assert_eq!(
        (tried.status.code(), text(&tried.stdout).trim().to_owned()),
        (
            Some(0),
            "dry run: would import 1 customers from 2 rows; 1 skipped (already there: their e-mail address is a \
             customer's); 0 rows refused; nothing was written"
                .to_owned()
        )
    );
    let customers = koko(Some(name), &["export", "customers"]);
    assert_eq!(text(&customers.stdout).lines().count(), 2, "only Ada");
}

#[test]
fn update_gives_customers_already_there_the_rows_names() {
    let dir = tempfile::tempdir().unwrap();
    let (name, csv) = store_with_plan(dir.path());
    let name = name.as_str();
    std::fs::write(
        &csv,
        "first_name,last_name,email\nAda,Lovelace,ada@example.org\nAlan,Turing,alan@example.org\n",
    )
    .unwrap();
    assert_eq!(
        koko(Some(name), &["import", "customers", csv.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    // Ada's name changed, Alan's did not, Grace is new.
    std::fs::write(
        &csv,
        "first_name,last_name,email\nAugusta Ada,King,ADA@example.org\nAlan,Turing,alan@example.org\n\
         Grace,Hopper,grace@example.org\n",
    )
    .unwrap();
    let file = csv.to_str().unwrap();
    let tried = koko(
        Some(name),
        &["import", "customers", file, "--update", "--dry-run"],
    );
    assert_eq!(
        text(&tried.stdout).trim(),
        "dry run: would import 1 customers from 3 rows; 1 updated; 1 skipped (already there: their e-mail address \
         is a customer's); 0 rows refused; nothing was written"
    );
    let export = || text(&koko(Some(name), &["export", "customers"]).stdout);
    assert_eq!(
        export(),
        "id,first_name,last_name,email,active\n1,Ada,Lovelace,ada@example.org,true\n2,Alan,Turing,alan@example.org,true\n"
    );
    let done = koko(Some(name), &["import", "customers", file, "--update"]);
    assert_eq!(
        (done.status.code(), text(&done.stdout).trim().to_owned()),
        (
            Some(0),
            "imported 1 customers from 3 rows; 1 updated; 1 skipped (already there: their e-mail address is a \
             customer's); 0 rows refused"
                .to_owned()
        )
    );
    assert_eq!(
        export(),
        "id,first_name,last_name,email,active\n1,Augusta Ada,King,ada@example.org,true\n\
         2,Alan,Turing,alan@example.org,true\n3,Grace,Hopper,grace@example.org,true\n"
    );
    // Books are never updated by an import.
    let out = koko(Some(name), &["import", "books", file, "--update"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        refusal(&out).1.contains("--update applies to customers"),
        "{}",
        refusal(&out).1
    );
}

#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    // `koko export books | head -1`: the pipe closes while koko still writes (100 KB, past a pipe's buffer).
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    let (name, _) = store_with_plan(dir.path());
    let books = dir.path().join("books.csv");
    let rows: String = (1..=3000)
        .map(|i| format!("Title {i},Author,novel\n"))
        .collect();
    std::fs::write(&books, format!("title,author,category\n{rows}")).unwrap();
    assert_eq!(
        koko(Some(&name), &["import", "books", books.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_koko"))
        .args(["export", "books"])
        .env("KOKO_STORE", &name)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert_eq!(first, "id,title,author,category,isbn,copies,available\n");
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        (out.status.code(), text(&out.stderr)),
        (Some(0), String::new())
    );
}
