//! Pooled connections that keep their prepared statements: each SQL text is parsed once per connection, then only
//! bound and executed, which halves the round trips of every query after the first.
//!
//! Every statement of the backend goes through here ([`Statements`] in a transaction, [`Conn`] outside one),
//! migration scripts aside. SQL is taken only as `&'static str`: a statement is text written in the source, never
//! built at run time, so every value reaches PostgreSQL as a bound parameter.

use std::collections::HashMap;

use postgres::types::ToSql;
use postgres::{Client, GenericClient, NoTls, Row, Statement};
use r2d2_postgres::PostgresConnectionManager;

/// A pool of [`Conn`]s to one server (the primary, or the replica).
pub(super) type Pool = r2d2::Pool<Manager>;

/// A [`Conn`] lent by a [`Pool`], returned to it when dropped.
pub(super) type Pooled = r2d2::PooledConnection<Manager>;

/// A connection and the statements prepared on it, by their SQL text.
pub(super) struct Conn {
    /// The connection.
    pub(super) client: Client,
    /// The statements prepared on `client`.
    pub(super) statements: Statements,
}

impl Conn {
    /// The rows of `sql`, outside any transaction.
    pub(super) fn query(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, postgres::Error> {
        self.statements.query(&mut self.client, sql, params)
    }

    /// The row of `sql`, if it returns one (an error if more).
    pub(super) fn query_opt(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, postgres::Error> {
        self.statements.query_opt(&mut self.client, sql, params)
    }

    /// The one row of `sql` (an error if none or more).
    pub(super) fn query_one(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Row, postgres::Error> {
        self.statements.query_one(&mut self.client, sql, params)
    }

    /// Runs `sql`; answers how many rows it changed.
    pub(super) fn execute(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, postgres::Error> {
        self.statements.execute(&mut self.client, sql, params)
    }
}

/// Prepared statements of one connection.
#[derive(Default)]
pub(super) struct Statements(HashMap<&'static str, Statement>);

impl Statements {
    /// The statement for `sql`, prepared through `client` (a connection or a transaction on it) the first time.
    pub(super) fn get(
        &mut self,
        client: &mut impl GenericClient,
        sql: &'static str,
    ) -> Result<Statement, postgres::Error> {
        if let Some(statement) = self.0.get(sql) {
            return Ok(statement.clone());
        }
        let statement = client.prepare(sql)?;
        self.0.insert(sql, statement.clone());
        Ok(statement)
    }

    /// The rows of `sql`, run through `client`.
    pub(super) fn query(
        &mut self,
        client: &mut impl GenericClient,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, postgres::Error> {
        let statement = self.get(client, sql)?;
        client.query(&statement, params)
    }

    /// The row of `sql`, run through `client`, if it returns one (an error if more).
    pub(super) fn query_opt(
        &mut self,
        client: &mut impl GenericClient,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, postgres::Error> {
        let statement = self.get(client, sql)?;
        client.query_opt(&statement, params)
    }

    /// The one row of `sql`, run through `client` (an error if none or more).
    pub(super) fn query_one(
        &mut self,
        client: &mut impl GenericClient,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Row, postgres::Error> {
        let statement = self.get(client, sql)?;
        client.query_one(&statement, params)
    }

    /// Runs `sql` through `client`; answers how many rows it changed.
    pub(super) fn execute(
        &mut self,
        client: &mut impl GenericClient,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, postgres::Error> {
        let statement = self.get(client, sql)?;
        client.execute(&statement, params)
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
