//! QC drift runs per sequencing centre (`qc_drift_runs`, `qc_drift_results`;
//! see migration `qc_drift`) and the light read of stored files' QC they are
//! computed from. The tests themselves belong to the app.

use time::OffsetDateTime;

use crate::time_ms::{from_ms, to_ms};
use crate::{Store, StoreError, WriteTx};

/// One run.
#[derive(Debug, Clone, PartialEq)]
pub struct QcDriftRunRow {
    pub id: String,
    /// Its audit position (commit order); set by the store on insert.
    pub seq: i64,
    pub at: OffsetDateTime,
    /// `scheduled`, `requested` or `initial`.
    pub reason: String,
    /// Audit name of who asked.
    pub requested_by: String,
    pub window_start: OffsetDateTime,
    pub window_end: OffsetDateTime,
    pub baseline_start: OffsetDateTime,
    /// JSON object of the thresholds used.
    pub settings: String,
    pub centres: i64,
    pub drifting: i64,
}

/// One metric of one centre in a run.
#[derive(Debug, Clone, PartialEq)]
pub struct QcDriftResultRow {
    pub run_id: String,
    pub centre: String,
    pub metric: String,
    pub window_n: i64,
    pub window_value: Option<f64>,
    pub window_spread: Option<f64>,
    pub baseline_n: i64,
    pub baseline_value: Option<f64>,
    pub baseline_spread: Option<f64>,
    pub programme_n: i64,
    pub programme_value: Option<f64>,
    pub programme_spread: Option<f64>,
    /// `stable`, `drifting` or `not_enough_data`.
    pub verdict: String,
    /// The reason's code (`failure_rate_above_baseline`, …).
    pub reason: String,
    /// The reason in one English sentence with its numbers.
    pub note: String,
}

/// A stored file's QC as the drift job reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QcSampleRow {
    pub centre: String,
    pub format: String,
    /// QC JSON.
    pub qc: String,
    /// `passed` or `failed`.
    pub qc_status: String,
    pub created_at: OffsetDateTime,
}

type RunTuple = (
    String,
    i64,
    i64,
    String,
    String,
    i64,
    i64,
    i64,
    String,
    i64,
    i64,
);
const RUN_COLS: &str = "id, seq, at, reason, requested_by, window_start, window_end, baseline_start, settings, centres, drifting";

fn run(r: RunTuple) -> Result<QcDriftRunRow, StoreError> {
    Ok(QcDriftRunRow {
        id: r.0,
        seq: r.1,
        at: from_ms(r.2)?,
        reason: r.3,
        requested_by: r.4,
        window_start: from_ms(r.5)?,
        window_end: from_ms(r.6)?,
        baseline_start: from_ms(r.7)?,
        settings: r.8,
        centres: r.9,
        drifting: r.10,
    })
}

const RESULT_COLS: &str = "r.run_id, r.centre, r.metric, r.window_n, r.window_value, r.window_spread, r.baseline_n, r.baseline_value, r.baseline_spread, r.programme_n, r.programme_value, r.programme_spread, r.verdict, r.reason, r.note";

fn result(r: &sqlx::any::AnyRow) -> Result<QcDriftResultRow, StoreError> {
    use sqlx::Row;
    Ok(QcDriftResultRow {
        run_id: r.try_get(0)?,
        centre: r.try_get(1)?,
        metric: r.try_get(2)?,
        window_n: r.try_get(3)?,
        window_value: r.try_get(4)?,
        window_spread: r.try_get(5)?,
        baseline_n: r.try_get(6)?,
        baseline_value: r.try_get(7)?,
        baseline_spread: r.try_get(8)?,
        programme_n: r.try_get(9)?,
        programme_value: r.try_get(10)?,
        programme_spread: r.try_get(11)?,
        verdict: r.try_get(12)?,
        reason: r.try_get(13)?,
        note: r.try_get(14)?,
    })
}

fn sql(s: String) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(s)
}

impl WriteTx {
    /// The (centre, metric) pairs the latest committed run found drifting,
    /// read inside this transaction (so concurrent runs see each other in
    /// commit order).
    pub async fn latest_qc_drift_flags(&mut self) -> Result<Vec<(String, String)>, StoreError> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT centre, metric FROM qc_drift_results WHERE verdict = 'drifting' AND run_id = \
             (SELECT id FROM qc_drift_runs ORDER BY seq DESC LIMIT 1) ORDER BY centre, metric",
        )
        .fetch_all(self.conn())
        .await?;
        Ok(rows)
    }

    /// Records a run (its `seq` and `at` are this write's) and every result
    /// row; returns the run as stored.
    pub async fn insert_qc_drift_run(
        &mut self,
        r: &QcDriftRunRow,
        results: &[QcDriftResultRow],
    ) -> Result<QcDriftRunRow, StoreError> {
        let mut r = r.clone();
        r.seq = self.audit_seq();
        r.at = self.at();
        sqlx::query(sql(format!(
            "INSERT INTO qc_drift_runs ({RUN_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        )))
        .bind(&r.id)
        .bind(r.seq)
        .bind(to_ms(r.at))
        .bind(&r.reason)
        .bind(&r.requested_by)
        .bind(to_ms(r.window_start))
        .bind(to_ms(r.window_end))
        .bind(to_ms(r.baseline_start))
        .bind(&r.settings)
        .bind(r.centres)
        .bind(r.drifting)
        .execute(self.conn())
        .await
        .map_err(|e| StoreError::on_write(e, "qc drift run"))?;
        for x in results {
            // not a cached statement: through the `Any` driver a NULL is
            // declared as an integer to PostgreSQL, so a statement first
            // prepared with an absent value would refuse the next row's
            // float in that place
            sqlx::query(
                "INSERT INTO qc_drift_results (run_id, centre, metric, window_n, window_value, window_spread, \
                 baseline_n, baseline_value, baseline_spread, programme_n, programme_value, programme_spread, verdict, reason, note) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            )
            .bind(&r.id)
            .bind(&x.centre)
            .bind(&x.metric)
            .bind(x.window_n)
            .bind(x.window_value)
            .bind(x.window_spread)
            .bind(x.baseline_n)
            .bind(x.baseline_value)
            .bind(x.baseline_spread)
            .bind(x.programme_n)
            .bind(x.programme_value)
            .bind(x.programme_spread)
            .bind(&x.verdict)
            .bind(&x.reason)
            .bind(&x.note)
            .persistent(false)
            .execute(self.conn())
            .await
            .map_err(|e| StoreError::on_write(e, "qc drift result"))?;
        }
        Ok(r)
    }
}

impl Store {
    /// The QC of every stored file with a centre ingested at or after
    /// `since`, oldest first.
    pub async fn qc_samples_since(
        &self,
        since: OffsetDateTime,
    ) -> Result<Vec<QcSampleRow>, StoreError> {
        let rows: Vec<(String, String, String, String, i64)> = sqlx::query_as(
            "SELECT centre, format, qc, qc_status, created_at FROM objects \
             WHERE centre IS NOT NULL AND created_at >= $1 ORDER BY created_at, id",
        )
        .bind(to_ms(since))
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(QcSampleRow {
                    centre: r.0,
                    format: r.1,
                    qc: r.2,
                    qc_status: r.3,
                    created_at: from_ms(r.4)?,
                })
            })
            .collect()
    }

    /// The newest runs, newest first.
    pub async fn qc_drift_runs(&self, limit: i64) -> Result<Vec<QcDriftRunRow>, StoreError> {
        let rows: Vec<RunTuple> = sqlx::query_as(sql(format!(
            "SELECT {RUN_COLS} FROM qc_drift_runs ORDER BY seq DESC LIMIT $1"
        )))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(run).collect()
    }

    /// The results of one run, by centre and metric.
    pub async fn qc_drift_results(&self, run: &str) -> Result<Vec<QcDriftResultRow>, StoreError> {
        let rows = sqlx::query(sql(format!(
            "SELECT {RESULT_COLS} FROM qc_drift_results r WHERE r.run_id = $1 ORDER BY r.centre, r.metric"
        )))
        .bind(run)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(result).collect()
    }

    /// One centre's results over the newest `limit` runs that judged it,
    /// with each run's time, oldest first.
    pub async fn qc_drift_history(
        &self,
        centre: &str,
        limit: i64,
    ) -> Result<Vec<(OffsetDateTime, QcDriftResultRow)>, StoreError> {
        let rows = sqlx::query(sql(format!(
            "SELECT {RESULT_COLS}, u.at, u.seq FROM qc_drift_results r JOIN qc_drift_runs u ON u.id = r.run_id \
             WHERE r.centre = $1 AND u.seq IN (SELECT u2.seq FROM qc_drift_runs u2 JOIN qc_drift_results r2 ON r2.run_id = u2.id \
             WHERE r2.centre = $1 AND r2.metric = 'failure_rate' ORDER BY u2.seq DESC LIMIT $2) \
             ORDER BY u.seq, r.metric"
        )))
        .bind(centre)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                use sqlx::Row;
                Ok((from_ms(r.try_get(15)?)?, result(r)?))
            })
            .collect()
    }
}
