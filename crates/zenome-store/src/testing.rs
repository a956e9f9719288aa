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

/// Moves a grant's expiry (tests of expiry, which would otherwise wait for
/// the calendar).
pub async fn set_grant_expiry(store: &Store, grant: &str, expires_at: time::OffsetDateTime) {
    sqlx::query("UPDATE grants SET expires_at = $1 WHERE id = $2")
        .bind(crate::time_ms::to_ms(expires_at))
        .bind(grant)
        .execute(store.pool())
        .await
        .expect("set expiry");
}

/// Rewrites the whole audit chain from entry 1, recomputing every hash, as
/// an attacker with database access who wants `verify` to pass would. Only
/// the anchors (kept outside the database) can tell.
pub async fn rewrite_audit_chain(store: &Store) {
    let all = store.audit_after(0, i64::MAX).await.expect("read chain");
    let mut prev = crate::GENESIS_HASH.to_string();
    for r in &all {
        let h = crate::entry_hash(
            &prev,
            r.seq,
            crate::time_ms::to_ms(r.at),
            &r.actor,
            &r.action,
            &r.target,
            &r.detail,
        );
        sqlx::query("UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE seq = $3")
            .bind(&prev)
            .bind(&h)
            .bind(r.seq)
            .execute(store.pool())
            .await
            .expect("rewrite");
        prev = h;
    }
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&prev)
        .execute(store.pool())
        .await
        .expect("rewrite head");
}

/// Removes every audit entry after `seq` and sets the head back to entry
/// `seq`, as an attacker with database access who wants to hide the latest
/// entries would (tests of tamper detection only).
pub async fn truncate_audit_after(store: &Store, seq: i64) {
    let hash = if seq == 0 {
        crate::GENESIS_HASH.to_string()
    } else {
        store.audit_after(seq - 1, 1).await.expect("read entry")[0]
            .hash
            .clone()
    };
    sqlx::query("DELETE FROM audit_log WHERE seq > $1")
        .bind(seq)
        .execute(store.pool())
        .await
        .expect("truncate");
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(seq)
        .bind(&hash)
        .execute(store.pool())
        .await
        .expect("truncate head");
}

/// Moves every audit entry `minutes` into the past and recomputes the chain
/// (tests of the unanchored tail's age, which would otherwise wait for the
/// clock).
pub async fn age_audit_trail(store: &Store, minutes: i64) {
    sqlx::query("UPDATE audit_log SET at = at - $1")
        .bind(minutes * 60_000)
        .execute(store.pool())
        .await
        .expect("age");
    rewrite_audit_chain(store).await;
}

/// Appends `n` audit entries in one transaction, fast (benchmarks of
/// `verify`): the chain they form is valid.
pub async fn bulk_audit(store: &Store, n: i64) -> Result<(), StoreError> {
    let mut tx = store.pool().begin().await?;
    let (mut seq, mut prev): (i64, String) =
        sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(&mut *tx)
            .await?;
    let at = crate::time_ms::to_ms(crate::now());
    for i in 0..n {
        seq += 1;
        let target = format!("dataset:bench-{}", i % 50);
        let detail = format!("{{\"participants\":{}}}", i % 1000);
        let h = crate::entry_hash(&prev, seq, at, "user:bench", "data.read", &target, &detail);
        sqlx::query("INSERT INTO audit_log (seq, at, actor, action, target, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(seq)
            .bind(at)
            .bind("user:bench")
            .bind("data.read")
            .bind(&target)
            .bind(&detail)
            .bind(&prev)
            .bind(&h)
            .execute(&mut *tx)
            .await?;
        prev = h;
    }
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(seq)
        .bind(&prev)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Creates an empty database at `url` (PostgreSQL) or file (SQLite).
pub async fn create_database(url: &str) -> Result<(), StoreError> {
    sqlx::any::install_default_drivers();
    sqlx::Any::create_database(url)
        .await
        .map_err(StoreError::Connect)
}

/// Forgets that a stored VCF object was ever loaded into the variant store
/// (as if the server had stopped between registering it and loading it).
pub async fn forget_variant_load(store: &Store, object: &str) {
    sqlx::query("DELETE FROM variant_loads WHERE object_id = $1")
        .bind(object)
        .execute(store.pool())
        .await
        .expect("delete variant load");
}

/// Removes what one fingerprinting run of `object` recorded (its samples,
/// their checks and the run), as a stop between writing the fingerprint
/// table and committing the rows leaves it: the table keeps the rows.
pub async fn forget_identity_run(store: &Store, object: &str) {
    for q in [
        "DELETE FROM identity_hold_checks WHERE check_id IN (SELECT id FROM identity_checks WHERE sample_id IN (SELECT id FROM identity_samples WHERE object_id = $1))",
        "DELETE FROM identity_checks WHERE sample_id IN (SELECT id FROM identity_samples WHERE object_id = $1)",
        "DELETE FROM identity_samples WHERE object_id = $1",
        "DELETE FROM identity_runs WHERE object_id = $1",
    ] {
        sqlx::query(q)
            .bind(object)
            .execute(store.pool())
            .await
            .expect("forget an identity run");
    }
}

/// Moves a stored object's ingest time (tests of the QC drift job, and the
/// demo's history of earlier weeks, which would otherwise wait for the
/// calendar).
pub async fn set_object_created_at(store: &Store, object: &str, at: time::OffsetDateTime) {
    sqlx::query("UPDATE objects SET created_at = $1 WHERE id = $2")
        .bind(crate::time_ms::to_ms(at))
        .bind(object)
        .execute(store.pool())
        .await
        .expect("set created_at");
}

/// Registers a stored file of `participant` from `centre` with the given
/// QC JSON and status, ingested at `at`, behind the services (no bytes, no
/// copies): many files for the QC drift tests without generating and
/// uploading each. Returns the object id.
pub async fn insert_qc_file(
    store: &Store,
    participant: &str,
    centre: &str,
    format: &str,
    qc: &str,
    failed: bool,
    at: time::OffsetDateTime,
) -> String {
    let id = uuid::Uuid::now_v7().to_string();
    let node = format!("qc-{id}");
    let ms = crate::time_ms::to_ms(at);
    sqlx::query(
        "INSERT INTO lineage_nodes (id, participant_id, parent_id, kind, barcode, details, created_at, created_by) \
         VALUES ($1, $2, NULL, 'file', NULL, $3, $4, 'test')",
    )
    .bind(&node)
    .bind(participant)
    .bind(format!(r#"{{"kind":"file","format":"{format}","state":"stored"}}"#))
    .bind(ms)
    .execute(store.pool())
    .await
    .expect("insert file node");
    sqlx::query(
        "INSERT INTO objects (id, node_id, participant_id, name, format, size, md5, sha256, stored_size, stored_sha256, header_len, object_key, qc, qc_status, qc_failures, pipeline, reference, centre, status, created_at, index_key) \
         VALUES ($1, $2, $3, $4, $5, 0, '', $6, 0, '', 0, '', $7, $8, $9, NULL, NULL, $10, 'available', $11, NULL)",
    )
    .bind(&id)
    .bind(&node)
    .bind(participant)
    .bind(format!("{id}.{format}"))
    .bind(format)
    .bind(&id)
    .bind(qc)
    .bind(if failed { "failed" } else { "passed" })
    .bind(if failed { r#"["qc below threshold"]"# } else { "[]" })
    .bind(centre)
    .bind(ms)
    .execute(store.pool())
    .await
    .expect("insert object");
    id
}
