//! The one place that knows there are two SQL backends. A [`Statement`] is
//! a sqlx query for PostgreSQL or for SQLite, chosen by the connection it
//! was made from; its [`bind`](Statement::bind) accepts any value both
//! backends encode, and its results are [`Row`]s that decode any column
//! type both backends know. Every failure leaves here as a [`StoreError`],
//! so the stores never convert a sqlx error themselves.
//!
//! Why an enum and not a store generic over `sqlx::Database`: sqlx's traits
//! over an unknown database need a dozen higher-ranked bounds (`for<'q>
//! Uuid: Encode<'q, DB>`, an `Executor` bound on `&mut DB::Connection`, …)
//! that Rust does not imply from a trait, so every impl block would repeat
//! them. With two concrete backends each bound is checked against both at
//! compile time instead, and the query code stays free of type parameters.
//!
//! SQL written for both uses `$1`-style parameters (SQLite accepts them)
//! and binds timestamps from Rust rather than calling `now()`.

use std::str::FromStr;

use rust_decimal::Decimal;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArguments, PgConnection, PgPool, PgRow, PgTypeInfo, PgValueRef};
use sqlx::query::Query;
use sqlx::sqlite::{
    SqliteArguments, SqliteConnection, SqlitePool, SqliteRow, SqliteTypeInfo, SqliteValueRef,
};
use sqlx::{Decode, Encode, FromRow, Postgres, Row as _, SqlSafeStr, Sqlite, Type};
use wabot_actors::StoreError;

/// Which SQL backend a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// PostgreSQL, with row-level security.
    Postgres,
    /// SQLite, the embedded default.
    Sqlite,
}

/// A value [`Statement::bind`] accepts: one both backends encode.
pub trait Param<'t>:
    Encode<'t, Postgres> + Type<Postgres> + Encode<'t, Sqlite> + Type<Sqlite>
{
}

impl<'t, T> Param<'t> for T where
    T: Encode<'t, Postgres> + Type<Postgres> + Encode<'t, Sqlite> + Type<Sqlite>
{
}

/// A column type [`Row::get`] decodes: one both backends decode.
pub trait Column:
    for<'r> Decode<'r, Postgres> + Type<Postgres> + for<'r> Decode<'r, Sqlite> + Type<Sqlite>
{
}

impl<T> Column for T where
    T: for<'r> Decode<'r, Postgres> + Type<Postgres> + for<'r> Decode<'r, Sqlite> + Type<Sqlite>
{
}

/// A record type [`Row::parse`] builds (a `#[derive(sqlx::FromRow)]` struct).
pub trait Record: for<'r> FromRow<'r, PgRow> + for<'r> FromRow<'r, SqliteRow> {}

impl<T> Record for T where T: for<'r> FromRow<'r, PgRow> + for<'r> FromRow<'r, SqliteRow> {}

/// One SQL statement with its parameters, for the backend it was made for.
#[must_use = "a statement does nothing until it runs"]
pub struct Statement {
    query: BackendQuery,
    /// What a missing row is reported as ("tenant", "order", …).
    subject: &'static str,
}

enum BackendQuery {
    Postgres(Query<'static, Postgres, PgArguments>),
    Sqlite(Query<'static, Sqlite, SqliteArguments>),
}

/// Where a statement runs: a pool or a transaction's connection.
pub enum Target<'c> {
    /// Any connection of a PostgreSQL pool.
    PostgresPool(&'c PgPool),
    /// One PostgreSQL connection (a transaction's).
    PostgresConnection(&'c mut PgConnection),
    /// Any connection of a SQLite pool.
    SqlitePool(&'c SqlitePool),
    /// One SQLite connection (a transaction's).
    SqliteConnection(&'c mut SqliteConnection),
}

/// A result row of either backend.
pub enum Row {
    /// A PostgreSQL row.
    Postgres(PgRow),
    /// A SQLite row.
    Sqlite(SqliteRow),
}

impl Backend {
    /// Parameter placeholders for SQL built per call, from the first.
    pub fn placeholders(self) -> Placeholders {
        Placeholders {
            backend: self,
            next: 0,
        }
    }

    /// A statement of `sql` for this backend.
    pub fn statement(self, sql: impl SqlSafeStr) -> Statement {
        let query = match self {
            Backend::Postgres => BackendQuery::Postgres(sqlx::query(sql)),
            Backend::Sqlite => BackendQuery::Sqlite(sqlx::query(sql)),
        };
        Statement {
            query,
            subject: "row",
        }
    }
}

impl Statement {
    /// Names what a missing row is (reported as [`StoreError::NotFound`]).
    pub fn about(mut self, subject: &'static str) -> Self {
        self.subject = subject;
        self
    }

    /// Keeps the statement out of the connection's statement cache: for SQL
    /// built per call (bulk lists whose length varies), which would only
    /// push the fixed statements out.
    pub fn once(mut self) -> Self {
        self.query = match self.query {
            BackendQuery::Postgres(q) => BackendQuery::Postgres(q.persistent(false)),
            BackendQuery::Sqlite(q) => BackendQuery::Sqlite(q.persistent(false)),
        };
        self
    }

    /// Adds the next parameter.
    pub fn bind<'t, T: Param<'t>>(mut self, value: T) -> Self {
        self.query = match self.query {
            BackendQuery::Postgres(q) => BackendQuery::Postgres(q.bind(value)),
            BackendQuery::Sqlite(q) => BackendQuery::Sqlite(q.bind(value)),
        };
        self
    }

    /// Runs it; returns how many rows it changed.
    pub async fn execute<'c>(self, target: impl Into<Target<'c>>) -> Result<u64, StoreError> {
        let subject = self.subject;
        let changed: Result<u64, sqlx::Error> = match (self.query, target.into()) {
            (BackendQuery::Postgres(q), Target::PostgresPool(pool)) => {
                q.execute(pool).await.map(|done| done.rows_affected())
            }
            (BackendQuery::Postgres(q), Target::PostgresConnection(connection)) => {
                q.execute(connection).await.map(|done| done.rows_affected())
            }
            (BackendQuery::Sqlite(q), Target::SqlitePool(pool)) => {
                q.execute(pool).await.map(|done| done.rows_affected())
            }
            (BackendQuery::Sqlite(q), Target::SqliteConnection(connection)) => {
                q.execute(connection).await.map(|done| done.rows_affected())
            }
            _ => return Err(mismatched_backend()),
        };
        changed.map_err(|error| store_error(error, subject))
    }

    /// Every row it returns.
    pub async fn fetch_all<'c>(
        self,
        target: impl Into<Target<'c>>,
    ) -> Result<Vec<Row>, StoreError> {
        let subject = self.subject;
        let rows: Result<Vec<Row>, sqlx::Error> = match (self.query, target.into()) {
            (BackendQuery::Postgres(q), Target::PostgresPool(pool)) => q
                .fetch_all(pool)
                .await
                .map(|rows| rows.into_iter().map(Row::Postgres).collect()),
            (BackendQuery::Postgres(q), Target::PostgresConnection(connection)) => q
                .fetch_all(connection)
                .await
                .map(|rows| rows.into_iter().map(Row::Postgres).collect()),
            (BackendQuery::Sqlite(q), Target::SqlitePool(pool)) => q
                .fetch_all(pool)
                .await
                .map(|rows| rows.into_iter().map(Row::Sqlite).collect()),
            (BackendQuery::Sqlite(q), Target::SqliteConnection(connection)) => q
                .fetch_all(connection)
                .await
                .map(|rows| rows.into_iter().map(Row::Sqlite).collect()),
            _ => return Err(mismatched_backend()),
        };
        rows.map_err(|error| store_error(error, subject))
    }

    /// The row it returns, if any.
    pub async fn fetch_optional<'c>(
        self,
        target: impl Into<Target<'c>>,
    ) -> Result<Option<Row>, StoreError> {
        let subject = self.subject;
        let row: Result<Option<Row>, sqlx::Error> = match (self.query, target.into()) {
            (BackendQuery::Postgres(q), Target::PostgresPool(pool)) => q
                .fetch_optional(pool)
                .await
                .map(|row| row.map(Row::Postgres)),
            (BackendQuery::Postgres(q), Target::PostgresConnection(connection)) => q
                .fetch_optional(connection)
                .await
                .map(|row| row.map(Row::Postgres)),
            (BackendQuery::Sqlite(q), Target::SqlitePool(pool)) => {
                q.fetch_optional(pool).await.map(|row| row.map(Row::Sqlite))
            }
            (BackendQuery::Sqlite(q), Target::SqliteConnection(connection)) => q
                .fetch_optional(connection)
                .await
                .map(|row| row.map(Row::Sqlite)),
            _ => return Err(mismatched_backend()),
        };
        row.map_err(|error| store_error(error, subject))
    }

    /// The one row it returns; [`StoreError::NotFound`] if none.
    pub async fn fetch_one<'c>(self, target: impl Into<Target<'c>>) -> Result<Row, StoreError> {
        let subject = self.subject;
        self.fetch_optional(target)
            .await?
            .ok_or(StoreError::NotFound(subject))
    }

    /// Every row it returns, as records.
    pub async fn fetch_all_as<'c, O: Record>(
        self,
        target: impl Into<Target<'c>>,
    ) -> Result<Vec<O>, StoreError> {
        self.fetch_all(target)
            .await?
            .iter()
            .map(Row::parse)
            .collect()
    }

    /// The one row it returns, as a record.
    pub async fn fetch_one_as<'c, O: Record>(
        self,
        target: impl Into<Target<'c>>,
    ) -> Result<O, StoreError> {
        self.fetch_one(target).await?.parse()
    }

    /// The row it returns, if any, as a record.
    pub async fn fetch_optional_as<'c, O: Record>(
        self,
        target: impl Into<Target<'c>>,
    ) -> Result<Option<O>, StoreError> {
        self.fetch_optional(target)
            .await?
            .map(|row| row.parse())
            .transpose()
    }

    /// The first column of the one row it returns.
    pub async fn fetch_scalar<'c, T: Column>(
        self,
        target: impl Into<Target<'c>>,
    ) -> Result<T, StoreError> {
        self.fetch_one(target).await?.first()
    }

    /// The first column of the row it returns, if any.
    pub async fn fetch_optional_scalar<'c, T: Column>(
        self,
        target: impl Into<Target<'c>>,
    ) -> Result<Option<T>, StoreError> {
        self.fetch_optional(target)
            .await?
            .map(|row| row.first())
            .transpose()
    }
}

impl Row {
    /// Column `name`.
    pub fn get<T: Column>(&self, name: &str) -> Result<T, StoreError> {
        match self {
            Row::Postgres(row) => row.try_get(name),
            Row::Sqlite(row) => row.try_get(name),
        }
        .map_err(backend)
    }

    /// The first column.
    pub fn first<T: Column>(&self) -> Result<T, StoreError> {
        match self {
            Row::Postgres(row) => row.try_get(0),
            Row::Sqlite(row) => row.try_get(0),
        }
        .map_err(backend)
    }

    /// The whole row as a record.
    pub fn parse<O: Record>(&self) -> Result<O, StoreError> {
        match self {
            Row::Postgres(row) => O::from_row(row),
            Row::Sqlite(row) => O::from_row(row),
        }
        .map_err(backend)
    }
}

/// Money: NUMERIC on PostgreSQL, exact decimal text with two places on
/// SQLite (which has no decimal type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Money(pub Decimal);

impl Type<Postgres> for Money {
    fn type_info() -> PgTypeInfo {
        <Decimal as Type<Postgres>>::type_info()
    }
}

impl Encode<'_, Postgres> for Money {
    fn encode_by_ref(
        &self,
        buf: &mut sqlx::postgres::PgArgumentBuffer,
    ) -> Result<IsNull, BoxDynError> {
        <Decimal as Encode<Postgres>>::encode_by_ref(&self.0, buf)
    }
}

impl Decode<'_, Postgres> for Money {
    fn decode(value: PgValueRef<'_>) -> Result<Self, BoxDynError> {
        <Decimal as Decode<Postgres>>::decode(value).map(Money)
    }
}

impl Type<Sqlite> for Money {
    fn type_info() -> SqliteTypeInfo {
        <String as Type<Sqlite>>::type_info()
    }
}

impl Encode<'_, Sqlite> for Money {
    fn encode_by_ref(
        &self,
        buf: &mut <Sqlite as sqlx::Database>::ArgumentBuffer,
    ) -> Result<IsNull, BoxDynError> {
        let text = format!("{:.2}", self.0.round_dp(2));
        <String as Encode<Sqlite>>::encode(text, buf)
    }
}

impl Decode<'_, Sqlite> for Money {
    fn decode(value: SqliteValueRef<'_>) -> Result<Self, BoxDynError> {
        let text = <&str as Decode<Sqlite>>::decode(value)?;
        Ok(Money(Decimal::from_str(text)?))
    }
}

/// A storage failure whose cause is only worth logging.
pub fn backend(error: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(error.to_string())
}

fn mismatched_backend() -> StoreError {
    StoreError::Backend("a statement ran on a connection of the other backend".to_owned())
}

/// Maps a database error to a [`StoreError`]; `subject` names the row.
pub fn store_error(error: sqlx::Error, subject: &'static str) -> StoreError {
    match &error {
        sqlx::Error::RowNotFound => StoreError::NotFound(subject),
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            let detail = format!("{} {}", db.constraint().unwrap_or_default(), db.message());
            StoreError::Conflict(conflict_message(&detail))
        }
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
            StoreError::Conflict(format!("{subject} refers to something that does not exist"))
        }
        _ => StoreError::Backend(error.to_string()),
    }
}

fn conflict_message(detail: &str) -> String {
    let known = [
        (
            "phone_number",
            "a tenant with this phone number already exists",
        ),
        (
            "whatsapp_session_id",
            "this WhatsApp session is already used by a tenant",
        ),
        (
            "waha_instances",
            "a WAHA instance with this name already exists",
        ),
        ("item_id", "two menu items have the same item_id"),
    ];
    known
        .iter()
        .find(|(needle, _)| detail.contains(needle))
        .map_or_else(
            || "already exists".to_owned(),
            |(_, message)| (*message).to_owned(),
        )
}

/// Numbers the parameters of SQL built per call (bulk lists): `$1, $2, …`
/// on PostgreSQL, plain `?` on SQLite. SQLite's parser looks each numbered
/// name up in a list, which is quadratic in a bulk statement's thousands of
/// parameters (15 % of the CPU under load, profiled); anonymous `?`s are
/// numbered by position at no cost.
pub struct Placeholders {
    backend: Backend,
    next: usize,
}

impl Placeholders {
    /// The next parameter.
    pub fn one(&mut self) -> String {
        self.next += 1;
        match self.backend {
            Backend::Postgres => format!("${}", self.next),
            Backend::Sqlite => "?".to_owned(),
        }
    }

    /// The `VALUES` rows of `rows` rows of `columns` parameters each:
    /// `($1, $2), ($3, $4)` or `(?, ?), (?, ?)`.
    pub fn rows(&mut self, rows: usize, columns: usize) -> String {
        let mut list = String::with_capacity(rows * columns * 5);
        for row in 0..rows {
            if row > 0 {
                list.push_str(", ");
            }
            list.push('(');
            for column in 0..columns {
                if column > 0 {
                    list.push_str(", ");
                }
                list.push_str(&self.one());
            }
            list.push(')');
        }
        list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_on_postgres_and_anonymous_on_sqlite() {
        let mut postgres = Backend::Postgres.placeholders();
        assert_eq!(postgres.one(), "$1");
        assert_eq!(postgres.rows(2, 2), "($2, $3), ($4, $5)");
        let mut sqlite = Backend::Sqlite.placeholders();
        assert_eq!(sqlite.one(), "?");
        assert_eq!(sqlite.rows(1, 3), "(?, ?, ?)");
    }
}
