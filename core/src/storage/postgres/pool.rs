//! Pooled connections that keep their prepared statements: each SQL text is parsed once per connection, then only
//! bound and executed, which halves the round trips of every query after the first.

use std::collections::HashMap;

use postgres::{Client, NoTls, Statement};
use r2d2_postgres::PostgresConnectionManager;

/// A connection and the statements prepared on it, by their SQL text.
pub(super) struct Conn {
    pub(super) client: Client,
    pub(super) statements: Statements,
}

/// Prepared statements of one connection.
#[derive(Default)]
pub(super) struct Statements(HashMap<&'static str, Statement>);

impl Statements {
    /// The statement for `sql`, prepared through `client` (a connection or a transaction on it) the first time.
    pub(super) fn get(
        &mut self,
        client: &mut impl postgres::GenericClient,
        sql: &'static str,
    ) -> Result<Statement, postgres::Error> {
        if let Some(statement) = self.0.get(sql) {
            return Ok(statement.clone());
        }
        let statement = client.prepare(sql)?;
        self.0.insert(sql, statement.clone());
        Ok(statement)
    }
}

/// r2d2's manager for [`Conn`]s: `PostgresConnectionManager` plus an empty statement cache per connection.
#[derive(Debug)]
pub(super) struct Manager(pub(super) PostgresConnectionManager<NoTls>);

impl r2d2::ManageConnection for Manager {
    type Connection = Conn;
    type Error = postgres::Error;

    fn connect(&self) -> Result<Conn, postgres::Error> {
        Ok(Conn {
            client: self.0.connect()?,
            statements: Statements::default(),
        })
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<(), postgres::Error> {
        self.0.is_valid(&mut conn.client)
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        self.0.has_broken(&mut conn.client)
    }
}
