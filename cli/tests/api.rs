//! `koko --api URL`: backup, check, export and report through a server that holds the store. The server here is a
//! few lines of `std::net` answering `GET /backup/` the way the REST API does (its own test runs the real one), so
//! these tests can say exactly what went over the wire: the token sent, a dump cut short, an error answer.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::{Command, Output};
use std::sync::mpsc;
use std::thread;

use koko_core::backup::backup;
use koko_core::{BookStore, NewBook, NewCustomer, PricePlan};

/// One answer the fake server gives: status line and body.
struct Answer {
    status: &'static str,
    content_type: &'static str,
    body: Vec<u8>,
}

/// Serves `answers` one per connection on 127.0.0.1; sends each request's head (request line and headers) back.
fn serve(answers: Vec<Answer>) -> (String, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://127.0.0.1:{}/api",
        listener.local_addr().unwrap().port()
    );
    let (heads, received) = mpsc::channel();
    thread::spawn(move || {
        for answer in answers {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            let mut reader = BufReader::new(stream);
            let mut head = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                head.push_str(&line);
            }
            let _ = heads.send(head);
            let mut stream = reader.into_inner();
            let _ = write!(
                stream,
                "HTTP/1.1 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                answer.status,
                answer.content_type,
                answer.body.len()
            );
            let _ = stream.write_all(&answer.body);
        }
    });
    (url, received)
}

fn dump_answer(dump: &[u8]) -> Answer {
    Answer {
        status: "200 OK",
        content_type: "application/x-ndjson; charset=utf-8",
        body: dump.to_vec(),
    }
}

/// A store with two books (three copies), Ada, one open rental and one closed one (a novel kept two days: 4.50).
fn a_shops_dump() -> Vec<u8> {
    let store = BookStore::in_memory(PricePlan::story3()).unwrap();
    let emma = store
        .add_book(&NewBook::new("Emma", "Jane Austen", "novel"), 2)
        .unwrap();
    store
        .add_book(&NewBook::new("Dune", "Frank Herbert", "fiction"), 1)
        .unwrap();
    let ada = store
        .register_customer(&NewCustomer::new("Ada", "Lovelace").with_email("ada@example.org"))
        .unwrap();
    let at = chrono::DateTime::parse_from_rfc3339("2024-06-03T10:00:00Z")
        .unwrap()
        .to_utc();
    let first = store.rent_book_at(ada.id, emma.id, at).unwrap();
    store
        .return_rental_at(first.id, at + chrono::Duration::days(2))
        .unwrap();
    store.rent_book_at(ada.id, emma.id, at).unwrap();
    let mut dump = Vec::new();
    backup(store.storage(), &mut dump).unwrap();
    dump
}

fn koko(args: &[&str], token: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_koko"));
    command
        .args(args)
        .env_remove("KOKO_STORE")
        .env_remove("KOKO_API_URL")
        .env_remove("KOKO_API_TOKEN");
    if let Some(token) = token {
        command.env("KOKO_API_TOKEN", token);
    }
    command.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn backup_through_the_api_copies_the_servers_dump_with_the_token() {
    let dump = a_shops_dump();
    let (url, heads) = serve(vec![dump_answer(&dump)]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nightly.dump");
    let out = koko(
        &["--api", &url, "backup", "-o", file.to_str().unwrap()],
        Some("s3cret"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(std::fs::read(&file).unwrap(), dump);
    assert_eq!(
        text(&out.stderr).trim(),
        "backed up: 1 plan versions, 2 books, 3 copies, 1 customers, 2 rentals, 1 ledger entries, 0 holds, 0 notices sent"
    );
    let head = heads.recv().unwrap();
    assert!(head.starts_with("GET /api/backup/ HTTP/1.1\r\n"), "{head}");
    assert!(
        head.contains("\r\nauthorization: Token s3cret\r\n")
            || head.contains("\r\nAuthorization: Token s3cret\r\n"),
        "{head}"
    );
}

#[test]
fn check_export_and_report_run_on_a_snapshot_of_the_servers_store() {
    let dump = a_shops_dump();
    let (url, _) = serve(vec![
        dump_answer(&dump),
        dump_answer(&dump),
        dump_answer(&dump),
    ]);
    let check = koko(&["--api", &url, "check"], Some("t"));
    assert_eq!(
        (check.status.code(), text(&check.stdout).trim().to_owned()),
        (
            Some(0),
            "checked 2 books, 3 copies, 1 customers, 2 rentals, 1 ledger entries: no problem"
                .to_owned()
        )
    );
    let books = koko(&["--api", &url, "export", "books"], Some("t"));
    assert_eq!(
        text(&books.stdout),
        "id,title,author,category,isbn,copies,available\n1,Emma,Jane Austen,novel,,2,1\n2,Dune,Frank Herbert,fiction,,1,1\n"
    );
    let report = koko(
        &[
            "--api",
            &url,
            "report",
            "--from",
            "2024-06-01T00:00:00Z",
            "--to",
            "2024-07-01T00:00:00Z",
        ],
        Some("t"),
    );
    assert_eq!(
        text(&report.stdout),
        "currency,category,rentals,total\nUSD,novel,1,4.50\n"
    );
}

#[test]
fn a_dump_cut_short_is_refused_and_leaves_no_backup_file() {
    let dump = a_shops_dump();
    let cut = dump[..dump.len() - 30].to_vec();
    let (url, _) = serve(vec![dump_answer(&cut), dump_answer(&cut)]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nightly.dump");
    let out = koko(
        &["--api", &url, "backup", "-o", file.to_str().unwrap()],
        Some("t"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("dump"), "{}", text(&out.stderr));
    assert!(!file.exists(), "an incomplete copy was left as a backup");
    let check = koko(&["--api", &url, "check"], Some("t"));
    assert_eq!(check.status.code(), Some(2));
    assert!(check.stdout.is_empty());
}

#[test]
fn the_servers_refusal_is_one_line_that_says_what_to_do() {
    let (url, _) = serve(vec![
        Answer {
            status: "401 Unauthorized",
            content_type: "application/json",
            body: br#"{"detail":"Invalid token."}"#.to_vec(),
        },
        Answer {
            status: "403 Forbidden",
            content_type: "application/json",
            body: br#"{"detail":"You do not have permission to perform this action."}"#.to_vec(),
        },
    ]);
    let first = koko(&["--api", &url, "check"], Some("wrong"));
    assert_eq!(first.status.code(), Some(2));
    assert_eq!(
        text(&first.stderr),
        format!(
            "koko: GET {url}/backup/ answered HTTP 401: Invalid token.; the token is not a valid one (set \
             KOKO_API_TOKEN to a staff user's token)\n"
        )
    );
    let second = koko(&["--api", &url, "export", "books"], Some("a-customer's"));
    assert!(
        text(&second.stderr).ends_with("the token is not a staff user's\n"),
        "{}",
        text(&second.stderr)
    );
}

#[test]
fn the_api_needs_a_token_https_away_from_this_machine_and_no_writes() {
    let out = koko(&["--api", "http://127.0.0.1:9/", "check"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).starts_with("koko: --api needs a staff token: set KOKO_API_TOKEN"),
        "{}",
        text(&out.stderr)
    );
    let out = koko(&["--api", "http://shop.example/api/", "backup"], Some("t"));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("over plain HTTP only to this machine"),
        "{}",
        text(&out.stderr)
    );
    for args in [
        vec!["import", "books", "books.csv"],
        vec!["restore", "x.dump"],
        vec!["plan", "publish", "story3"],
    ] {
        let mut all = vec!["--api", "http://127.0.0.1:9/"];
        all.extend(args.iter());
        let out = koko(&all, Some("t"));
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            text(&out.stderr).contains("with --api, koko runs backup, check, export and report"),
            "{args:?}"
        );
    }
    // Nothing listens on port 9: one line naming the API.
    let out = koko(&["--api", "http://127.0.0.1:9/", "check"], Some("t"));
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.starts_with("koko: cannot reach the API at http://127.0.0.1:9: "),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1);
}

#[test]
fn a_store_moved_in_from_the_original_checks_through_the_api_too() {
    // Its rental ids have gaps (rows the import refused): the snapshot must hold them as they are.
    let dir = tempfile::tempdir().unwrap();
    let shop = dir.path().join("shop");
    let shop = shop.to_str().unwrap();
    assert_eq!(
        koko(&["init", shop, "--plan", "story3"], None)
            .status
            .code(),
        Some(0)
    );
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/original/koko_book_store.sqlite3"
    );
    let imported = koko(&["--store", shop, "import", "original", fixture], None);
    assert_eq!(
        imported.status.code(),
        Some(1),
        "some rows are refused: {}",
        text(&imported.stderr)
    );
    let dump = koko(&["--store", shop, "backup"], None).stdout;
    let (url, _) = serve(vec![dump_answer(&dump)]);
    let check = koko(&["--api", &url, "check"], Some("t"));
    assert_eq!(
        (check.status.code(), text(&check.stdout).trim().to_owned()),
        (
            Some(0),
            "checked 10 books, 10 copies, 6 customers, 12 rentals, 6 ledger entries: no problem"
                .to_owned()
        ),
        "{}",
        text(&check.stderr)
    );
}
