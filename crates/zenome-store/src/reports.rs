//! Patient reports (`reports`, `report_events`) and recontact requests
//! (`recontact_requests`); see migration `reports`. The content's shape and
//! the workflow's rules belong to zenome-reports and the app: this module
//! stores, and refuses a status change that does not start from the status
//! the caller read (so two reviewers cannot both release).

use time::OffsetDateTime;

use crate::time_ms::{from_ms, to_ms};
use crate::{Store, StoreError, WriteTx};

/// One report version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRow {
    pub id: String,
    pub participant_id: String,
    pub facility_code: String,
    pub version: i64,
    /// `cancer` or `rare_disease`.
    pub kind: String,
    pub status: String,
    /// JSON (zenome-reports' `ReportContent`).
    pub content: String,
    pub content_sha256: String,
    pub created_at: OffsetDateTime,
    pub created_by: String,
    pub signed_off_by: Option<String>,
    pub signed_off_at: Option<OffsetDateTime>,
    pub released_at: Option<OffsetDateTime>,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<OffsetDateTime>,
    /// `YYYY-MM-DD`, as the clinician recorded it.
    pub conveyed_on: Option<String>,
    pub conveyed_by: Option<String>,
    pub superseded_by: Option<String>,
    pub stopped_reason: Option<String>,
}

/// A status change and the columns it sets (`None`: left as it is).
#[derive(Debug, Clone, Default)]
pub struct ReportUpdate {
    pub signed_off_by: Option<String>,
    pub signed_off: bool,
    pub released: bool,
    pub acknowledged_by: Option<String>,
    pub conveyed_on: Option<String>,
    pub conveyed_by: Option<String>,
    pub superseded_by: Option<String>,
    pub stopped_reason: Option<String>,
}

/// One step in a report's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportEventRow {
    pub report_id: String,
    pub seq: i64,
    pub at: OffsetDateTime,
    pub actor: String,
    pub action: String,
    /// JSON object.
    pub detail: String,
}

/// A recontact request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecontactRow {
    pub id: String,
    pub participant_id: String,
    pub facility_code: String,
    pub reason: String,
    pub detail: String,
    pub status: String,
    pub report_id: Option<String>,
    pub raised_by: String,
    pub raised_at: OffsetDateTime,
    pub outcome: Option<String>,
    pub outcome_by: Option<String>,
    pub outcome_at: Option<OffsetDateTime>,
}

const REPORT_COLS: &str = "id, participant_id, facility_code, version, kind, status, content, content_sha256, created_at, created_by, \
     signed_off_by, signed_off_at, released_at, acknowledged_by, acknowledged_at, conveyed_on, conveyed_by, superseded_by, stopped_reason";

type ReportTuple = (
    (
        String,
        String,
        String,
        i64,
        String,
        String,
        String,
        String,
        i64,
        String,
    ),
    (
        Option<String>,
        Option<i64>,
        Option<i64>,
        Option<String>,
        Option<i64>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    ),
);

fn opt_ms(v: Option<i64>) -> Result<Option<OffsetDateTime>, StoreError> {
    v.map(from_ms).transpose()
}

fn report(r: &sqlx::any::AnyRow) -> Result<ReportRow, StoreError> {
    use sqlx::Row;
    let t: ReportTuple = (
        (
            r.try_get(0)?,
            r.try_get(1)?,
            r.try_get(2)?,
            r.try_get(3)?,
            r.try_get(4)?,
            r.try_get(5)?,
            r.try_get(6)?,
            r.try_get(7)?,
            r.try_get(8)?,
            r.try_get(9)?,
        ),
        (
            r.try_get(10)?,
            r.try_get(11)?,
            r.try_get(12)?,
            r.try_get(13)?,
            r.try_get(14)?,
            r.try_get(15)?,
            r.try_get(16)?,
            r.try_get(17)?,
            r.try_get(18)?,
        ),
    );
    let (a, b) = t;
    Ok(ReportRow {
        id: a.0,
        participant_id: a.1,
        facility_code: a.2,
        version: a.3,
        kind: a.4,
        status: a.5,
        content: a.6,
        content_sha256: a.7,
        created_at: from_ms(a.8)?,
        created_by: a.9,
        signed_off_by: b.0,
        signed_off_at: opt_ms(b.1)?,
        released_at: opt_ms(b.2)?,
        acknowledged_by: b.3,
        acknowledged_at: opt_ms(b.4)?,
        conveyed_on: b.5,
        conveyed_by: b.6,
        superseded_by: b.7,
        stopped_reason: b.8,
    })
}

const RECONTACT_COLS: &str = "id, participant_id, facility_code, reason, detail, status, report_id, raised_by, raised_at, outcome, outcome_by, outcome_at";

type RecontactTuple = (
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    i64,
    Option<String>,
    Option<String>,
    Option<i64>,
);

fn recontact(r: RecontactTuple) -> Result<RecontactRow, StoreError> {
    Ok(RecontactRow {
        id: r.0,
        participant_id: r.1,
        facility_code: r.2,
        reason: r.3,
        detail: r.4,
        status: r.5,
        report_id: r.6,
        raised_by: r.7,
        raised_at: from_ms(r.8)?,
        outcome: r.9,
        outcome_by: r.10,
        outcome_at: opt_ms(r.11)?,
    })
}

fn sql(s: String) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(s)
}

impl WriteTx {
    /// Stores a new report version (its first event is the caller's).
    pub async fn insert_report(&mut self, r: &ReportRow) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO reports (id, participant_id, facility_code, version, kind, status, content, content_sha256, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&r.id)
        .bind(&r.participant_id)
        .bind(&r.facility_code)
        .bind(r.version)
        .bind(&r.kind)
        .bind(&r.status)
        .bind(&r.content)
        .bind(&r.content_sha256)
        .bind(to_ms(r.created_at))
        .bind(&r.created_by)
        .execute(self.conn())
        .await
        .map_err(|e| StoreError::on_write(e, "report version"))?;
        Ok(())
    }

    /// A report as this transaction sees it.
    pub async fn report_for_update(&mut self, id: &str) -> Result<Option<ReportRow>, StoreError> {
        let r = sqlx::query(sql(format!(
            "SELECT {REPORT_COLS} FROM reports WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.conn())
        .await?;
        r.as_ref().map(report).transpose()
    }

    /// Every version of a participant's reports, newest first.
    pub async fn reports_of_participant_tx(
        &mut self,
        participant: &str,
    ) -> Result<Vec<ReportRow>, StoreError> {
        let rows = sqlx::query(sql(format!(
            "SELECT {REPORT_COLS} FROM reports WHERE participant_id = $1 ORDER BY version DESC"
        )))
        .bind(participant)
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(report).collect()
    }

    /// Replaces a draft's content; false when the report is no draft.
    pub async fn set_report_content(
        &mut self,
        id: &str,
        content: &str,
        sha256: &str,
    ) -> Result<bool, StoreError> {
        let r = sqlx::query(
            "UPDATE reports SET content = $1, content_sha256 = $2 WHERE id = $3 AND status = 'draft'",
        )
        .bind(content)
        .bind(sha256)
        .bind(id)
        .execute(self.conn())
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Moves a report from status `from` to `to`, setting what `u` names;
    /// false when it is no longer in `from` (someone else moved it first).
    pub async fn update_report(
        &mut self,
        id: &str,
        from: &str,
        to: &str,
        u: &ReportUpdate,
    ) -> Result<bool, StoreError> {
        let at = to_ms(self.at());
        let r = sqlx::query(
            "UPDATE reports SET status = $1, \
               signed_off_by = COALESCE($2, signed_off_by), \
               signed_off_at = CASE WHEN $3 = 1 THEN $4 ELSE signed_off_at END, \
               released_at = CASE WHEN $5 = 1 THEN $4 ELSE released_at END, \
               acknowledged_by = COALESCE($6, acknowledged_by), \
               acknowledged_at = CASE WHEN $6 IS NULL THEN acknowledged_at ELSE $4 END, \
               conveyed_on = COALESCE($7, conveyed_on), \
               conveyed_by = COALESCE($8, conveyed_by), \
               superseded_by = COALESCE($9, superseded_by), \
               stopped_reason = COALESCE($10, stopped_reason) \
             WHERE id = $11 AND status = $12",
        )
        .bind(to)
        .bind(u.signed_off_by.as_deref())
        .bind(i64::from(u.signed_off))
        .bind(at)
        .bind(i64::from(u.released))
        .bind(u.acknowledged_by.as_deref())
        .bind(u.conveyed_on.as_deref())
        .bind(u.conveyed_by.as_deref())
        .bind(u.superseded_by.as_deref())
        .bind(u.stopped_reason.as_deref())
        .bind(id)
        .bind(from)
        .execute(self.conn())
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Appends a step to a report's history.
    pub async fn insert_report_event(
        &mut self,
        report_id: &str,
        actor: &str,
        action: &str,
        detail: &serde_json::Value,
    ) -> Result<(), StoreError> {
        let (seq,): (i64,) = sqlx::query_as(
            "SELECT COALESCE(MAX(seq), 0) + 1 FROM report_events WHERE report_id = $1",
        )
        .bind(report_id)
        .fetch_one(self.conn())
        .await?;
        sqlx::query(
            "INSERT INTO report_events (report_id, seq, at, actor, action, detail) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(report_id)
        .bind(seq)
        .bind(to_ms(self.at()))
        .bind(actor)
        .bind(action)
        .bind(detail.to_string())
        .execute(self.conn())
        .await
        .map_err(|e| StoreError::on_write(e, "report event"))?;
        Ok(())
    }

    /// Stores a recontact request.
    pub async fn insert_recontact(&mut self, r: &RecontactRow) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO recontact_requests (id, participant_id, facility_code, reason, detail, status, report_id, raised_by, raised_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&r.id)
        .bind(&r.participant_id)
        .bind(&r.facility_code)
        .bind(&r.reason)
        .bind(&r.detail)
        .bind(&r.status)
        .bind(r.report_id.as_deref())
        .bind(&r.raised_by)
        .bind(to_ms(r.raised_at))
        .execute(self.conn())
        .await
        .map_err(|e| StoreError::on_write(e, "recontact request"))?;
        Ok(())
    }

    /// A recontact request as this transaction sees it.
    pub async fn recontact_for_update(
        &mut self,
        id: &str,
    ) -> Result<Option<RecontactRow>, StoreError> {
        let r: Option<RecontactTuple> = sqlx::query_as(sql(format!(
            "SELECT {RECONTACT_COLS} FROM recontact_requests WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.conn())
        .await?;
        r.map(recontact).transpose()
    }

    /// Moves a request from `from` to `to` (with the outcome when given);
    /// false when it is no longer in `from`.
    pub async fn update_recontact(
        &mut self,
        id: &str,
        from: &str,
        to: &str,
        outcome: Option<(&str, &str)>,
    ) -> Result<bool, StoreError> {
        let at = to_ms(self.at());
        let r = sqlx::query(
            "UPDATE recontact_requests SET status = $1, outcome = COALESCE($2, outcome), outcome_by = COALESCE($3, outcome_by), \
               outcome_at = CASE WHEN $2 IS NULL THEN outcome_at ELSE $4 END WHERE id = $5 AND status = $6",
        )
        .bind(to)
        .bind(outcome.map(|o| o.0))
        .bind(outcome.map(|o| o.1))
        .bind(at)
        .bind(id)
        .bind(from)
        .execute(self.conn())
        .await?;
        Ok(r.rows_affected() == 1)
    }
}

impl Store {
    /// One report.
    pub async fn report(&self, id: &str) -> Result<Option<ReportRow>, StoreError> {
        let r = sqlx::query(sql(format!(
            "SELECT {REPORT_COLS} FROM reports WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        r.as_ref().map(report).transpose()
    }

    /// Reports, newest first: of one facility (`Some`) or all, in the
    /// given statuses (all when empty).
    pub async fn reports(
        &self,
        facility: Option<&str>,
        statuses: &[&str],
    ) -> Result<Vec<ReportRow>, StoreError> {
        let rows = sqlx::query(sql(format!(
            "SELECT {REPORT_COLS} FROM reports WHERE ($1 IS NULL OR facility_code = $1) ORDER BY created_at DESC, id"
        )))
        .bind(facility)
        .fetch_all(self.pool())
        .await?;
        let rows: Vec<ReportRow> = rows.iter().map(report).collect::<Result<_, _>>()?;
        Ok(rows
            .into_iter()
            .filter(|r| statuses.is_empty() || statuses.contains(&r.status.as_str()))
            .collect())
    }

    /// Every version of a participant's reports, newest first.
    pub async fn reports_of_participant(
        &self,
        participant: &str,
    ) -> Result<Vec<ReportRow>, StoreError> {
        let rows = sqlx::query(sql(format!(
            "SELECT {REPORT_COLS} FROM reports WHERE participant_id = $1 ORDER BY version DESC"
        )))
        .bind(participant)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(report).collect()
    }

    /// A report's history, oldest first.
    pub async fn report_events(&self, id: &str) -> Result<Vec<ReportEventRow>, StoreError> {
        let rows: Vec<(String, i64, i64, String, String, String)> = sqlx::query_as(
            "SELECT report_id, seq, at, actor, action, detail FROM report_events WHERE report_id = $1 ORDER BY seq",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(ReportEventRow {
                    report_id: r.0,
                    seq: r.1,
                    at: from_ms(r.2)?,
                    actor: r.3,
                    action: r.4,
                    detail: r.5,
                })
            })
            .collect()
    }

    /// Recontact requests, newest first: of one facility or all.
    pub async fn recontacts(
        &self,
        facility: Option<&str>,
    ) -> Result<Vec<RecontactRow>, StoreError> {
        let rows: Vec<RecontactTuple> = sqlx::query_as(sql(format!(
            "SELECT {RECONTACT_COLS} FROM recontact_requests WHERE ($1 IS NULL OR facility_code = $1) ORDER BY raised_at DESC, id"
        )))
        .bind(facility)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(recontact).collect()
    }
}
