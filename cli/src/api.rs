//! `koko --api URL`: the operator's read-only commands through a running REST API, for a store the server holds
//! (a sled store serves one process at a time).
//!
//! The server answers `GET /backup/` (staff) with a dump of its store taken while its writes wait, so the dump is
//! one consistent state. `koko --api URL backup` copies that dump, checked line by line
//! ([`koko_core::backup::copy_verified`]); `check`, `export` and `report` restore it into a temporary sled store
//! (removed afterwards) and run exactly as they do on a store opened directly — on that one consistent snapshot, at
//! the cost of one download of the whole store.

use std::io::{BufReader, Write};
use std::time::Duration;

use koko_core::backup::{self, DumpSummary};
use koko_core::{BookStore, SledStorage, Storage};
use tempfile::TempDir;

use crate::store::{Failure, Store};

/// The media type of a dump over HTTP.
const DUMP_MEDIA_TYPE: &str = "application/x-ndjson";

/// A running Koko REST API and the staff token to call it with.
pub(crate) struct Api {
    base: String,
    token: String,
    agent: ureq::Agent,
}

impl Api {
    /// The API at `url` (its root, e.g. `https://shop.example/api/`), called with `token`. A token is sent over
    /// plain HTTP only to this machine.
    pub(crate) fn new(url: &str, token: Option<&str>) -> Result<Api, Failure> {
        let Some(token) = token.map(str::trim).filter(|t| !t.is_empty()) else {
            return Err("--api needs a staff token: set KOKO_API_TOKEN (or pass --token); a staff user gets one \
                        from POST /auth/token/ or `manage.py drf_create_token USER`"
                .into());
        };
        let base = url.trim_end_matches('/');
        let (scheme, rest) = base.split_once("://").ok_or_else(|| {
            format!("--api {url}: not a URL (expected https://HOST/… or http://127.0.0.1:PORT/…)")
        })?;
        let host = rest.split('/').next().unwrap_or_default();
        let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
        let name = if host.starts_with('[') {
            host.split(']')
                .next()
                .map(|h| h.trim_start_matches('['))
                .unwrap_or_default()
        } else {
            host.split(':').next().unwrap_or_default()
        };
        match scheme {
            "https" => {}
            "http" if matches!(name, "127.0.0.1" | "localhost" | "::1") => {}
            "http" => {
                return Err(format!(
                    "--api {url}: a staff token is sent over plain HTTP only to this machine (127.0.0.1, \
                     localhost, ::1); use https://"
                )
                .into())
            }
            other => return Err(format!("--api {url}: unknown scheme {other:?} (use https://)").into()),
        }
        let config = ureq::Agent::config_builder()
            .timeout_connect(Some(Duration::from_secs(10)))
            .http_status_as_error(false)
            .user_agent(format!("koko-cli/{}", env!("CARGO_PKG_VERSION")))
            .build();
        Ok(Api {
            base: base.to_owned(),
            token: token.to_owned(),
            agent: ureq::Agent::new_with_config(config),
        })
    }

    /// `GET /backup/`: the server's dump as a reader, or why not in one line.
    fn dump(&self) -> Result<impl std::io::BufRead, Failure> {
        let url = format!("{}/backup/", self.base);
        let response = self
            .agent
            .get(&url)
            .header("Authorization", &format!("Token {}", self.token))
            .header("Accept", DUMP_MEDIA_TYPE)
            .call()
            .map_err(|e| format!("cannot reach the API at {}: {e}", self.base))?;
        let status = response.status().as_u16();
        if status != 200 {
            let detail = response
                .into_body()
                .with_config()
                .limit(64 * 1024)
                .read_to_string()
                .ok()
                .and_then(|body| detail_of(&body))
                .unwrap_or_default();
            let hint = match status {
                401 => {
                    "; the token is not a valid one (set KOKO_API_TOKEN to a staff user's token)"
                }
                403 => "; the token is not a staff user's",
                404 => "; is the URL the API's root, and the server a Koko API with GET /backup/?",
                _ => "",
            };
            return Err(format!("GET {url} answered HTTP {status}{detail}{hint}").into());
        }
        Ok(BufReader::with_capacity(
            256 * 1024,
            response.into_body().into_reader(),
        ))
    }

    /// `koko --api URL backup`: the server's dump written to `out`, checked as it is copied.
    pub(crate) fn backup(&self, out: impl Write) -> Result<DumpSummary, Failure> {
        Ok(backup::copy_verified(self.dump()?, out)?)
    }

    /// The server's store as of now: its dump restored into a temporary sled store (not memory: a store moved in
    /// from elsewhere may have gaps in its rental ids, which the memory store does not hold).
    pub(crate) fn snapshot(&self) -> Result<Snapshot, Failure> {
        let dir = tempfile::Builder::new()
            .prefix("koko-snapshot-")
            .tempdir()?;
        let storage = SledStorage::open(dir.path())?;
        backup::restore(&storage, self.dump()?)?;
        let storage: Box<dyn Storage> = Box::new(storage);
        Ok(Snapshot {
            store: BookStore::open(storage)?,
            _dir: dir,
        })
    }
}

/// A copy of the server's store, removed when dropped.
pub(crate) struct Snapshot {
    /// The copy (dropped first: fields drop in order).
    pub(crate) store: Store,
    _dir: TempDir,
}

/// `: DETAIL` from a DRF error answer (`{"detail": "…"}`), if it is one.
fn detail_of(body: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    let detail = value.get("detail")?.as_str()?;
    Some(format!(": {detail}"))
}
