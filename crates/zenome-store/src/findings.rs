//! Annotation runs (`annotation_runs`) and each participant's current
//! findings (`participant_findings`, one JSON document a participant); see
//! migration `findings`. The documents' shape belongs to the app.

use std::collections::HashMap;

use time::OffsetDateTime;

use crate::time_ms::{from_ms, to_ms};
use crate::{Store, StoreError, WriteTx};

/// One annotation run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnotationRunRow {
    pub id: String,
    pub started_at: OffsetDateTime,
    pub finished_at: OffsetDateTime,
    /// `initial`, `variants_loaded`, `knowledge_update` or `requested`.
    pub reason: String,
    /// The gene model's file name and digest.
    pub gene_model: String,
    /// JSON list of `kind@version` of the knowledge bases.
    pub knowledge: String,
    pub code_version: String,
    pub participants: i64,
    pub changed: i64,
}

/// A participant's current findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingsRow {
    pub participant_id: String,
    pub run_id: String,
    /// JSON document (the app's `FindingsDoc`).
    pub body: String,
    /// JSON list of changes from the document it replaced.
    pub changes: String,
    pub at: OffsetDateTime,
}

type RunTuple = (String, i64, i64, String, String, String, String, i64, i64);
const RUN_COLS: &str = "id, started_at, finished_at, reason, gene_model, knowledge, code_version, participants, changed";

fn run(r: RunTuple) -> Result<AnnotationRunRow, StoreError> {
    Ok(AnnotationRunRow {
        id: r.0,
        started_at: from_ms(r.1)?,
        finished_at: from_ms(r.2)?,
        reason: r.3,
        gene_model: r.4,
        knowledge: r.5,
        code_version: r.6,
        participants: r.7,
        changed: r.8,
    })
}

type FindingsTuple = (String, String, String, String, i64);

fn findings(r: FindingsTuple) -> Result<FindingsRow, StoreError> {
    Ok(FindingsRow {
        participant_id: r.0,
        run_id: r.1,
        body: r.2,
        changes: r.3,
        at: from_ms(r.4)?,
    })
}

fn sql(s: String) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(s)
}

impl WriteTx {
    /// Records a run.
    pub async fn insert_annotation_run(&mut self, r: &AnnotationRunRow) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO annotation_runs (id, started_at, finished_at, reason, gene_model, knowledge, code_version, participants, changed) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&r.id)
        .bind(to_ms(r.started_at))
        .bind(to_ms(r.finished_at))
        .bind(&r.reason)
        .bind(&r.gene_model)
        .bind(&r.knowledge)
        .bind(&r.code_version)
        .bind(r.participants)
        .bind(r.changed)
        .execute(self.conn())
        .await
        .map_err(|e| StoreError::on_write(e, "annotation run"))?;
        Ok(())
    }

    /// Sets a participant's current findings (replacing the previous ones).
    pub async fn put_findings(&mut self, r: &FindingsRow) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO participant_findings (participant_id, run_id, body, changes, at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (participant_id) DO UPDATE SET run_id = $2, body = $3, changes = $4, at = $5",
        )
        .bind(&r.participant_id)
        .bind(&r.run_id)
        .bind(&r.body)
        .bind(&r.changes)
        .bind(to_ms(r.at))
        .execute(self.conn())
        .await
        .map_err(|e| StoreError::on_write(e, "participant findings"))?;
        Ok(())
    }
}

impl Store {
    /// A participant's current findings.
    pub async fn findings_of(&self, participant: &str) -> Result<Option<FindingsRow>, StoreError> {
        let r: Option<FindingsTuple> = sqlx::query_as(
            "SELECT participant_id, run_id, body, changes, at FROM participant_findings WHERE participant_id = $1",
        )
        .bind(participant)
        .fetch_optional(self.pool())
        .await?;
        r.map(findings).transpose()
    }

    /// Every participant's current findings, by participant.
    pub async fn all_findings(&self) -> Result<Vec<FindingsRow>, StoreError> {
        let rows: Vec<FindingsTuple> = sqlx::query_as(
            "SELECT participant_id, run_id, body, changes, at FROM participant_findings ORDER BY participant_id",
        )
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(findings).collect()
    }

    /// One run.
    pub async fn annotation_run(&self, id: &str) -> Result<Option<AnnotationRunRow>, StoreError> {
        let r: Option<RunTuple> = sqlx::query_as(sql(format!(
            "SELECT {RUN_COLS} FROM annotation_runs WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        r.map(run).transpose()
    }

    /// Every run, newest first.
    pub async fn annotation_runs(&self) -> Result<Vec<AnnotationRunRow>, StoreError> {
        let rows: Vec<RunTuple> = sqlx::query_as(sql(format!(
            "SELECT {RUN_COLS} FROM annotation_runs ORDER BY finished_at DESC, id DESC"
        )))
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(run).collect()
    }

    /// Participant id → facility code, for every participant.
    pub async fn participant_facilities(&self) -> Result<HashMap<String, String>, StoreError> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT id, facility_code FROM participants")
                .fetch_all(self.pool())
                .await?;
        Ok(rows.into_iter().collect())
    }
}

/// A trial entered by staff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrialRow {
    pub id: String,
    /// JSON object (the app checks its shape).
    pub body: String,
    pub entered_by: String,
    pub entered_at: OffsetDateTime,
}

impl WriteTx {
    /// Records a trial; an id in use (even retired) is a conflict.
    pub async fn insert_trial(&mut self, r: &TrialRow) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO trials (id, body, entered_by, entered_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&r.id)
        .bind(&r.body)
        .bind(&r.entered_by)
        .bind(to_ms(r.entered_at))
        .execute(self.conn())
        .await
        .map_err(|e| StoreError::on_write(e, "id"))?;
        Ok(())
    }

    /// Retires an active trial; false when there is none by that id.
    pub async fn retire_trial(&mut self, id: &str, by: &str) -> Result<bool, StoreError> {
        let at = to_ms(self.at());
        let r = sqlx::query(
            "UPDATE trials SET retired_by = $1, retired_at = $2 WHERE id = $3 AND retired_at IS NULL",
        )
        .bind(by)
        .bind(at)
        .bind(id)
        .execute(self.conn())
        .await
        .map_err(|e| StoreError::on_write(e, "trial"))?;
        Ok(r.rows_affected() == 1)
    }
}

impl Store {
    /// The trials staff entered and did not retire, oldest first.
    pub async fn entered_trials(&self) -> Result<Vec<TrialRow>, StoreError> {
        let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
            "SELECT id, body, entered_by, entered_at FROM trials WHERE retired_at IS NULL ORDER BY entered_at, id",
        )
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(TrialRow {
                    id: r.0,
                    body: r.1,
                    entered_by: r.2,
                    entered_at: from_ms(r.3)?,
                })
            })
            .collect()
    }

    /// Whether any trial (active or retired) has this id.
    pub async fn trial_id_taken(&self, id: &str) -> Result<bool, StoreError> {
        let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM trials WHERE id = $1")
            .bind(id)
            .fetch_one(self.pool())
            .await?;
        Ok(n.0 > 0)
    }
}
