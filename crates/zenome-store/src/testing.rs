//! Fresh databases for tests: a SQLite file in a temporary directory, or a
//! new database on the PostgreSQL server named by `ZENOME_TEST_POSTGRES_URL`.
//!
//! When that variable is unset, PostgreSQL tests are skipped with a notice,
//! except under CI (`CI` set), where its absence is a failure: CI must test
//! the production engine.

use std::path::Path;

use sqlx::migrate::MigrateDatabase;

use crate::{Store, StoreError};

/// The variable naming the PostgreSQL server for tests (a URL to any
/// database on it, e.g. `postgres://zenome:zenome@127.0.0.1:5432/postgres`).
pub const POSTGRES_ENV: &str = "ZENOME_TEST_POSTGRES_URL";

/// A migrated store on a new SQLite file in `dir`.
pub async fn fresh_sqlite(dir: &Path) -> Result<Store, StoreError> {
    let url = format!("sqlite://{}", dir.join("zenome.db").display());
    let s = Store::connect(&url).await?;
    s.migrate().await?;
    Ok(s)
}

/// The URL of a new, empty PostgreSQL database, or `None` when no server is
/// configured outside CI.
pub async fn fresh_postgres_url() -> Option<String> {
    let base = match std::env::var(POSTGRES_ENV) {
        Ok(u) if !u.is_empty() => u,
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{POSTGRES_ENV} must be set under CI: the PostgreSQL tests may not be skipped"
            );
            eprintln!("note: {POSTGRES_ENV} is not set; skipping the PostgreSQL half of this test");
            return None;
        }
    };
    sqlx::any::install_default_drivers();
    let name = format!("zt_{}", uuid::Uuid::new_v4().simple());
    let mut url = url::Url::parse(&base).expect("ZENOME_TEST_POSTGRES_URL is a URL");
    url.set_path(&format!("/{name}"));
    sqlx::Any::create_database(url.as_str())
        .await
        .expect("create a fresh PostgreSQL database");
    Some(url.to_string())
}

/// A migrated store on a new PostgreSQL database, or `None` (see module docs).
pub async fn fresh_postgres() -> Option<Store> {
    let url = fresh_postgres_url().await?;
    let s = Store::connect(&url)
        .await
        .expect("connect to the fresh database");
    s.migrate().await.expect("migrate the fresh database");
    Some(s)
}

/// Overwrites one audit entry's detail behind the store's back, as an
/// attacker with database access would (tests of tamper detection only).
pub async fn tamper_audit_detail(store: &Store, seq: i64, detail: &str) {
    sqlx::query("UPDATE audit_log SET detail = $1 WHERE seq = $2")
        .bind(detail)
        .bind(seq)
        .execute(store.pool())
        .await
        .expect("tamper");
}
