//! Persistence: SQLite (WAL) through sqlx, migrations and repositories.
