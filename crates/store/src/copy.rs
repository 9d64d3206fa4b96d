//! Copying a whole store to another (`spcred store migrate`): SQLite to PostgreSQL when a team
//! outgrows one machine, or back. Rows are copied as they are stored, sealed secrets included, so
//! nothing is ever decrypted and no master key is needed; the copy is then verified table by
//! table, by row count and by a checksum over every value, read back from the target.

use crate::{Backend, Conn, Store, StoreError};
use sqlx::any::{AnyRow, AnyTypeInfoKind};
use sqlx::{Column, Row, ValueRef};

/// Rows inserted per statement.
const BATCH: usize = 200;

/// What was copied of one table, as read back from the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCopy {
    /// The table.
    pub table: String,
    /// Its rows.
    pub rows: u64,
    /// The checksum of its rows: the sum of each row's SHA-256 (first 8 bytes), so that it does
    /// not depend on the order the engines return rows in.
    pub checksum: u64,
}

/// One stored value, as both engines hold it.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Bytes(Vec<u8>),
}

impl Value {
    fn read(row: &AnyRow, i: usize) -> Result<Self, StoreError> {
        let raw = row.try_get_raw(i)?;
        if raw.is_null() {
            return Ok(Self::Null);
        }
        let kind = raw.type_info().kind();
        Ok(match kind {
            AnyTypeInfoKind::SmallInt | AnyTypeInfoKind::Integer | AnyTypeInfoKind::BigInt | AnyTypeInfoKind::Bool => {
                Self::Int(row.try_get::<i64, _>(i)?)
            }
            AnyTypeInfoKind::Real | AnyTypeInfoKind::Double => Self::Real(row.try_get::<f64, _>(i)?),
            AnyTypeInfoKind::Text => Self::Text(row.try_get::<String, _>(i)?),
            AnyTypeInfoKind::Blob => Self::Bytes(row.try_get::<Vec<u8>, _>(i)?),
            AnyTypeInfoKind::Null => Self::Null,
        })
    }

    /// Feeds a canonical encoding (a tag, then the value) to `out`.
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Self::Null => out.push(0),
            Self::Int(v) => {
                out.push(1);
                out.extend_from_slice(&v.to_be_bytes());
            }
            Self::Real(v) => {
                out.push(2);
                out.extend_from_slice(&v.to_bits().to_be_bytes());
            }
            Self::Text(v) => {
                out.push(3);
                out.extend_from_slice(&(v.len() as u64).to_be_bytes());
                out.extend_from_slice(v.as_bytes());
            }
            Self::Bytes(v) => {
                out.push(4);
                out.extend_from_slice(&(v.len() as u64).to_be_bytes());
                out.extend_from_slice(v);
            }
        }
    }
}

/// The tables of a store, parents before the tables that refer to them (so that inserting in
/// this order satisfies every foreign key), without the migration bookkeeping.
async fn tables(conn: &mut Conn) -> Result<Vec<String>, StoreError> {
    let (names_sql, refs_sql) = match Backend::of(conn) {
        Backend::Sqlite => (
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
            "SELECT m.name, f.\"table\" FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f \
             WHERE m.type = 'table'",
        ),
        Backend::Postgres => (
            "SELECT CAST(table_name AS TEXT) FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1",
            "SELECT CAST(c.conrelid::regclass AS TEXT), CAST(c.confrelid::regclass AS TEXT) FROM pg_constraint c \
             WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace",
        ),
    };
    let mut names: Vec<String> = sqlx::query_scalar(names_sql).fetch_all(&mut *conn).await?;
    names.retain(|n| n != "schema_migrations");
    let refs: Vec<(String, String)> = sqlx::query_as(refs_sql).fetch_all(&mut *conn).await?;
    let mut ordered: Vec<String> = Vec::with_capacity(names.len());
    while ordered.len() < names.len() {
        let before = ordered.len();
        for name in &names {
            let ready = !ordered.contains(name)
                && refs.iter().filter(|(t, _)| t == name).all(|(_, parent)| parent == name || ordered.contains(parent));
            if ready {
                ordered.push(name.clone());
            }
        }
        if ordered.len() == before {
            return Err(StoreError::Corrupt("the tables' foreign keys form a cycle".into()));
        }
    }
    Ok(ordered)
}

/// A table's columns, in the source's order.
async fn columns(conn: &mut Conn, table: &str) -> Result<Vec<String>, StoreError> {
    let row = sqlx::query(&format!("SELECT * FROM {table} LIMIT 1")).fetch_optional(&mut *conn).await?;
    Ok(match row {
        Some(row) => row.columns().iter().map(|c| c.name().to_owned()).collect(),
        None => match Backend::of(conn) {
            Backend::Sqlite => {
                sqlx::query_scalar("SELECT name FROM pragma_table_info($1) ORDER BY cid")
                    .bind(table)
                    .fetch_all(conn)
                    .await?
            }
            Backend::Postgres => {
                sqlx::query_scalar(
                    "SELECT CAST(column_name AS TEXT) FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
                )
                .bind(table)
                .fetch_all(conn)
                .await?
            }
        },
    })
}

/// For each of `columns`, a NULL of the column's type in the target (PostgreSQL does not take an
/// untyped one; SQLite takes any).
async fn nulls(conn: &mut Conn, table: &str, columns: &[String]) -> Result<Vec<Value>, StoreError> {
    if Backend::of(conn) == Backend::Sqlite {
        return Ok(vec![Value::Null; columns.len()]);
    }
    let types: Vec<(String, String)> = sqlx::query_as(
        "SELECT CAST(column_name AS TEXT), CAST(data_type AS TEXT) FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name = $1",
    )
    .bind(table)
    .fetch_all(conn)
    .await?;
    columns
        .iter()
        .map(|c| match types.iter().find(|(name, _)| name == c).map(|(_, t)| t.as_str()) {
            Some("bigint" | "integer" | "smallint") => Ok(Value::Int(0)),
            Some("double precision" | "real") => Ok(Value::Real(0.0)),
            Some("bytea") => Ok(Value::Bytes(Vec::new())),
            Some(_) => Ok(Value::Text(String::new())),
            None => Err(StoreError::Unavailable(format!("the target's table {table} has no column {c}"))),
        })
        .collect()
}

/// Rows and checksum of `table`, over `columns` in that order.
async fn summary(conn: &mut Conn, table: &str, columns: &[String]) -> Result<TableCopy, StoreError> {
    let rows = sqlx::query(&format!("SELECT {} FROM {table}", columns.join(", "))).fetch_all(conn).await?;
    let mut checksum = 0u64;
    let mut buf = Vec::new();
    for row in &rows {
        buf.clear();
        for i in 0..columns.len() {
            Value::read(row, i)?.encode(&mut buf);
        }
        let digest = crypto::sha256(&buf);
        checksum = checksum.wrapping_add(u64::from_be_bytes(digest[..8].try_into().unwrap_or_default()));
    }
    Ok(TableCopy { table: table.to_owned(), rows: rows.len() as u64, checksum })
}

/// Copies every row of `from` into `to`, which must be empty (a new database with its schema),
/// and verifies the copy. Both must be at this build's schema version ([`Store::connect`]
/// migrates them). Returns each table's rows and checksum; a table that does not match is an
/// error, and then nothing of the copy is kept.
pub async fn copy(from: &Store, to: &Store) -> Result<Vec<TableCopy>, StoreError> {
    let mut source = from.begin().await?;
    let mut target = to.begin().await?;
    let source_tables = tables(&mut source).await?;
    let mut target_tables = tables(&mut target).await?;
    let mut wanted = source_tables.clone();
    wanted.sort();
    target_tables.sort();
    if wanted != target_tables {
        return Err(StoreError::Unavailable(
            "the two stores do not have the same tables: is one of them from another version?".into(),
        ));
    }
    for table in &source_tables {
        let rows: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(&mut *target).await?;
        if rows > 0 {
            return Err(StoreError::Unavailable(format!("the target is not empty: its table {table} has {rows} rows")));
        }
    }
    let mut report = Vec::with_capacity(source_tables.len());
    for table in &source_tables {
        let cols = columns(&mut source, table).await?;
        let expected = summary(&mut source, table, &cols).await?;
        let null_of = nulls(&mut target, table, &cols).await?;
        let rows = sqlx::query(&format!("SELECT {} FROM {table}", cols.join(", "))).fetch_all(&mut *source).await?;
        for chunk in rows.chunks(BATCH) {
            let sql = format!(
                "INSERT INTO {table} ({}) VALUES {}",
                cols.join(", "),
                crate::param_rows(1, chunk.len(), cols.len())
            );
            let mut insert = sqlx::query(&sql);
            for row in chunk {
                for (i, null) in null_of.iter().enumerate() {
                    insert = match Value::read(row, i)? {
                        Value::Null => match null {
                            Value::Int(_) => insert.bind(None::<i64>),
                            Value::Real(_) => insert.bind(None::<f64>),
                            Value::Bytes(_) => insert.bind(None::<Vec<u8>>),
                            Value::Null | Value::Text(_) => insert.bind(None::<String>),
                        },
                        Value::Int(v) => insert.bind(v),
                        Value::Real(v) => insert.bind(v),
                        Value::Text(v) => insert.bind(v),
                        Value::Bytes(v) => insert.bind(v),
                    };
                }
            }
            insert.execute(&mut *target).await?;
        }
        let copied = summary(&mut target, table, &cols).await?;
        if copied != expected {
            return Err(StoreError::Corrupt(format!(
                "table {table}: {} rows (checksum {:016x}) read back from the target, {} rows ({:016x}) in the source",
                copied.rows, copied.checksum, expected.rows, expected.checksum
            )));
        }
        report.push(copied);
    }
    if Backend::of(&target) == Backend::Postgres {
        // Identity columns hand out ids after the copied ones.
        let identities: Vec<(String, String)> = sqlx::query_as(
            "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT) FROM information_schema.columns \
             WHERE table_schema = current_schema() AND is_identity = 'YES'",
        )
        .fetch_all(&mut *target)
        .await?;
        for (table, column) in identities {
            sqlx::query(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', '{column}'), COALESCE(MAX({column}), 0) + 1, false) FROM {table}"
            ))
            .execute(&mut *target)
            .await?;
        }
    }
    target.commit().await?;
    drop(source);
    Ok(report)
}
