//! Zenome's metadata store: every row about organisations, participants,
//! consent, lineage, users, sessions and the audit trail.
//!
//! One code path serves both engines through sqlx's `Any` driver: SQLite (a
//! file under the data dir) is the embedded default, PostgreSQL the
//! production store, chosen by the URL. Queries are runtime-checked, portable
//! SQL (`$1` placeholders, `RETURNING`), and the store test suite runs on
//! both engines.
//!
//! Every change goes through a [`WriteTx`], which appends its hash-chained
//! audit entry before anything else and commits both together or neither.

mod access;
mod audit;
mod batch;
mod clinical;
mod consent;
mod error;
mod files;
mod findings;
mod identity;
mod lineage;
mod notifications;
mod organisations;
mod participants;
mod pipelines;
mod qc_drift;
mod reports;
mod rows;
mod stats;
pub mod testing;
mod time_ms;
mod users;
mod vcf_samples;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, Transaction};
use time::OffsetDateTime;

pub use access::{AlertRow, ApplicationEventRow, ApplicationRow, DatasetRow, GrantRow};
pub use audit::{AuditEntry, AuditRecord, ChainBreak, ChainWalk, GENESIS_HASH, entry_hash};
pub use clinical::{ClinicalRow, NewClinical};
pub use error::StoreError;
pub use files::{CopyRow, ObjectRow, UploadRow};
pub use findings::{AnnotationRunRow, FindingsRow, TrialRow};
pub use identity::{IdentityCheckRow, IdentityHoldRow, IdentitySampleRow};
pub use notifications::NotificationRow;
pub use participants::{ParticipantFilter, ParticipantRow};
pub use pipelines::{
    EvaluationRow, MetricRow, PipelineResultRow, PipelineVersionRow, PromotionRow, TruthSetRow,
};
pub use qc_drift::{QcDriftResultRow, QcDriftRunRow, QcSampleRow};
pub use reports::{RecontactRow, ReportEventRow, ReportRow, ReportUpdate};
pub use stats::{PublicStats, StatCount};
pub use time_ms::{now, truncate};
pub use users::{NewUser, SessionRecord, TokenInfo, TokenRecord, UserKind, UserRecord};
pub use vcf_samples::VcfSampleRow;

/// Which database engine the store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// SQLite, the embedded default.
    Sqlite,
    /// PostgreSQL, the production store.
    Postgres,
}

/// The metadata store. Cheap to clone (a pool handle).
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    engine: Engine,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

impl Store {
    /// Connects to `url` (`sqlite://PATH` or `postgres://…`). A SQLite file
    /// is created if missing.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let engine = if url.starts_with("sqlite:") {
            Engine::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Engine::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl);
        };
        let url = match engine {
            Engine::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_string(),
        };
        let options = AnyConnectOptions::from_str(&url).map_err(StoreError::Connect)?;
        let pool = AnyPoolOptions::new()
            .max_connections(match engine {
                Engine::Sqlite => 8,
                Engine::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if engine == Engine::Sqlite {
                        use sqlx::Executor;
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute("PRAGMA busy_timeout = 30000").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(StoreError::Connect)?;
        Ok(Self { pool, engine })
    }

    /// Applies pending migrations.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    /// Which engine this store runs on.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// Closes the pool, waiting for connections to finish.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Starts a write: opens a transaction and appends `entry` to the audit
    /// trail in it. Nothing is visible until [`WriteTx::commit`].
    pub async fn begin(&self, entry: AuditEntry) -> Result<WriteTx, StoreError> {
        let now = time_ms::now();
        let mut tx = self.pool.begin().await?;
        let seq = audit::append(&mut tx, &entry, now).await?;
        Ok(WriteTx {
            tx,
            at: now,
            audit_seq: seq,
        })
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }
}

/// An open write transaction that already holds its audit entry.
pub struct WriteTx {
    tx: Transaction<'static, Any>,
    at: OffsetDateTime,
    audit_seq: i64,
}

impl WriteTx {
    /// The time of this write (also the audit entry's time).
    pub fn at(&self) -> OffsetDateTime {
        self.at
    }

    /// The audit position of this write.
    pub fn audit_seq(&self) -> i64 {
        self.audit_seq
    }

    /// Commits the change and its audit entry together.
    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        Ok(())
    }

    pub(crate) fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }
}
