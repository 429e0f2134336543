//! `koko events`: the feed as JSON lines, after a position, of some types, and followed as it grows.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

fn koko(store: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_koko"))
        .args(args)
        .env("KOKO_STORE", store)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// (position, type) of each line.
fn lines(out: &Output) -> Vec<(u64, String)> {
    text(&out.stdout)
        .lines()
        .map(|line| {
            let event: serde_json::Value = serde_json::from_str(line).unwrap();
            (
                event["position"].as_u64().unwrap(),
                event["type"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn the_feed_prints_as_json_lines_after_a_position_and_of_some_types() {
    let dir = tempfile::tempdir().unwrap();
    let shop = dir.path().join("shop");
    let shop = shop.to_str().unwrap();
    assert_eq!(
        koko(shop, &["init", shop, "--plan", "story3"])
            .status
            .code(),
        Some(0)
    );
    let csv = dir.path().join("books.csv");
    std::fs::write(
        &csv,
        "title,author,category,copies\nEmma,Jane Austen,novel,2\nDune,Frank Herbert,fiction,1\n",
    )
    .unwrap();
    assert_eq!(
        koko(shop, &["import", "books", csv.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    let people = dir.path().join("customers.csv");
    std::fs::write(
        &people,
        "first_name,last_name,email\nAda,Lovelace,ada@example.org\n",
    )
    .unwrap();
    assert_eq!(
        koko(shop, &["import", "customers", people.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    // The plan published by init, two books added, Ada registered: in commit order, from 1.
    let all = koko(shop, &["events"]);
    assert_eq!(all.status.code(), Some(0), "{}", text(&all.stderr));
    let want = |items: &[(u64, &str)]| {
        items
            .iter()
            .map(|(p, t)| (*p, t.to_string()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        lines(&all),
        want(&[
            (1, "plan.published"),
            (2, "book.added"),
            (3, "book.added"),
            (4, "customer.registered")
        ])
    );
    let first: serde_json::Value =
        serde_json::from_str(text(&all.stdout).lines().nth(1).unwrap()).unwrap();
    assert_eq!(first["id"], "evt_00000000000000000002");
    assert_eq!(first["data"]["book"]["title"], "Emma");
    assert_eq!(
        lines(&koko(shop, &["events", "--after", "2"])),
        want(&[(3, "book.added"), (4, "customer.registered")])
    );
    assert_eq!(
        lines(&koko(
            shop,
            &["events", "--types", "customer.registered,plan.published"]
        )),
        want(&[(1, "plan.published"), (4, "customer.registered")])
    );
    let bad = koko(shop, &["events", "--types", "rental.borrowed"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).contains("rental.borrowed"),
        "{}",
        text(&bad.stderr)
    );
}

#[test]
fn follow_prints_what_is_there_and_waits_for_more() {
    let dir = tempfile::tempdir().unwrap();
    let shop = dir.path().join("shop");
    let shop = shop.to_str().unwrap();
    assert_eq!(
        koko(shop, &["init", shop, "--plan", "story3"])
            .status
            .code(),
        Some(0)
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_koko"))
        .args(["events", "--follow"])
        .env("KOKO_STORE", shop)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert!(line.contains("\"type\":\"plan.published\""), "{line}");
    // Still running: following, not done.
    std::thread::sleep(std::time::Duration::from_millis(700));
    assert!(
        child.try_wait().unwrap().is_none(),
        "--follow stopped at the end of the feed"
    );
    child.kill().unwrap();
    child.wait().unwrap();
}
