//! Reads from a read-only replica: listings and search go to a streaming replica while it is up and close enough
//! to the primary; everything else — writes, reads by id, accounts, reads inside a backup — goes to the primary.
//!
//! Whether the replica may serve is checked at most every [`CHECK_EVERY`]: a connection (waiting at most
//! [`REPLICA_TIMEOUT`]) and its replay lag (`now() - pg_last_xact_replay_timestamp()` while WAL it received is not
//! replayed yet; 0 when it replayed everything). Down, unreachable or lagging more than the bound: reads go to the
//! primary until the next check finds it fit. A query that fails on the replica is run again on the primary.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use postgres::NoTls;
use r2d2_postgres::PostgresConnectionManager;

use super::error::pg_error;
use super::pool::{Conn, Manager, Pool, Pooled};
use crate::error::{Error, Result};

/// How often the replica's health and lag are checked.
pub(super) const CHECK_EVERY: Duration = Duration::from_millis(500);
/// How long a read waits for a replica connection (connecting included) before going to the primary.
const REPLICA_TIMEOUT: Duration = Duration::from_secs(1);

/// The replica's lag in milliseconds: 0 once everything received is replayed (or on a primary).
const LAG_SQL: &str = "SELECT CASE
        WHEN NOT pg_is_in_recovery() THEN 0
        WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
        ELSE COALESCE((EXTRACT(EPOCH FROM (now() - pg_last_xact_replay_timestamp())) * 1000)::bigint,
                      9223372036854775807)
    END";

/// The replica's pool, and whether it may serve.
pub(super) struct Replica {
    pool: Pool,
    /// The most lag at which it serves.
    max_lag: Duration,
    /// When the replica was last checked, and whether it could serve then.
    health: Mutex<Option<(Instant, bool)>>,
}

impl Replica {
    /// A pool on the replica `url`. Never fails for a replica that is down: its reads go to the primary.
    pub(super) fn new(url: &str, pool_size: u32, max_lag: Duration) -> Result<Self> {
        let mut config: postgres::Config = url.parse().map_err(|e| {
            Error::invalid_input(
                "replica",
                format!("not a PostgreSQL connection string: {e}"),
            )
        })?;
        config.connect_timeout(REPLICA_TIMEOUT);
        let manager = Manager(PostgresConnectionManager::new(config, NoTls));
        let pool = r2d2::Pool::builder()
            .max_size(pool_size.max(1))
            .min_idle(Some(0))
            .connection_timeout(REPLICA_TIMEOUT)
            .build_unchecked(manager);
        Ok(Replica {
            pool,
            max_lag,
            health: Mutex::new(None),
        })
    }

    /// A replica connection if the replica may serve now, else `None` (read from the primary).
    pub(super) fn connection(&self) -> Option<Pooled> {
        let checked = *self.health.lock().unwrap_or_else(PoisonError::into_inner);
        match checked {
            Some((at, fit)) if at.elapsed() < CHECK_EVERY => {
                if !fit {
                    return None;
                }
                let conn = self.pool.get().ok();
                if conn.is_none() {
                    self.mark(false);
                }
                conn
            }
            _ => {
                let conn = self.pool.get().ok();
                let fit = match conn {
                    Some(mut conn) => match self.lag(&mut conn) {
                        Ok(lag) if lag <= self.max_lag => {
                            self.mark(true);
                            return Some(conn);
                        }
                        _ => false,
                    },
                    None => false,
                };
                self.mark(fit);
                None
            }
        }
    }

    /// Records whether the replica may serve (`false` after a failed query): until the next check, reads go where
    /// this says.
    pub(super) fn mark(&self, fit: bool) {
        *self.health.lock().unwrap_or_else(PoisonError::into_inner) = Some((Instant::now(), fit));
    }

    /// How far the replica behind `conn` lags the primary.
    fn lag(&self, conn: &mut Conn) -> Result<Duration> {
        let millis: i64 = conn
            .query_one(LAG_SQL, &[])
            .and_then(|row| row.try_get(0))
            .map_err(pg_error)?;
        Ok(Duration::from_millis(u64::try_from(millis).unwrap_or(0)))
    }
}
