//! Consent events: appended, never changed.

use std::collections::HashMap;

use zenome_domain::consent::{ConsentEvent, ConsentHistory};
use zenome_domain::id::ParticipantId;

use crate::rows::{consent_action, consent_body};
use crate::time_ms::{from_ms, to_ms};
use crate::{Store, StoreError, WriteTx};

/// One consent event as stored: seq, kind, body, effective and recorded times.
pub(crate) type Row = (i64, String, String, i64, i64);

/// Builds a checked history from one participant's rows, oldest first.
pub(crate) fn history(rows: Vec<Row>) -> Result<ConsentHistory, StoreError> {
    let events = rows
        .into_iter()
        .map(|r| {
            Ok(ConsentEvent {
                seq: u32::try_from(r.0).map_err(|e| StoreError::corrupt("consent_events", e))?,
                action: consent_action(&r.1, &r.2)?,
                effective_at: from_ms(r.3)?,
                recorded_at: from_ms(r.4)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    ConsentHistory::from_events(events).map_err(|e| StoreError::corrupt("consent_events", e))
}

/// Consent events of many participants, each row led by its participant id,
/// ordered by participant and sequence.
pub(crate) type KeyedRow = (String, i64, String, String, i64, i64);

/// Groups keyed event rows into one history per participant id.
pub(crate) fn histories(
    rows: Vec<KeyedRow>,
) -> Result<HashMap<String, ConsentHistory>, StoreError> {
    let mut by: HashMap<String, Vec<Row>> = HashMap::new();
    for (pid, seq, kind, body, eff, rec) in rows {
        by.entry(pid).or_default().push((seq, kind, body, eff, rec));
    }
    by.into_iter()
        .map(|(pid, rows)| Ok((pid, history(rows)?)))
        .collect()
}

const SELECT: &str = "SELECT seq, kind, body, effective_at, recorded_at FROM consent_events \
    WHERE participant_id = $1 ORDER BY seq";

impl WriteTx {
    /// The participant's history, read inside the transaction (so a check
    /// and the append that follows see the same state).
    pub async fn consent_history(
        &mut self,
        id: &ParticipantId,
    ) -> Result<ConsentHistory, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(SELECT)
            .bind(id.as_str())
            .fetch_all(self.conn())
            .await?;
        history(rows)
    }

    /// Appends an event that the domain has checked.
    pub async fn append_consent_event(
        &mut self,
        id: &ParticipantId,
        e: &ConsentEvent,
        by: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO consent_events (participant_id, seq, kind, body, effective_at, recorded_at, recorded_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.as_str())
        .bind(i64::from(e.seq))
        .bind(e.action.kind())
        .bind(consent_body(&e.action))
        .bind(to_ms(e.effective_at))
        .bind(to_ms(e.recorded_at))
        .bind(by)
        .execute(self.conn())
        .await
        .map_err(|e| StoreError::on_write(e, "consent event"))?;
        sqlx::query("UPDATE consent_version SET version = version + 1 WHERE id = 1")
            .execute(self.conn())
            .await
            .map_err(|e| StoreError::on_write(e, "consent version"))?;
        Ok(())
    }
}

impl Store {
    /// A number that changes whenever any consent event is recorded (it is
    /// bumped in the event's transaction): read it before the histories, and
    /// histories folded under an unchanged number are still current.
    pub async fn consent_version(&self) -> Result<i64, StoreError> {
        let (v,): (i64,) = sqlx::query_as("SELECT version FROM consent_version WHERE id = 1")
            .fetch_one(self.pool())
            .await?;
        Ok(v)
    }

    /// The participant's consent history.
    pub async fn consent_history(&self, id: &ParticipantId) -> Result<ConsentHistory, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(SELECT)
            .bind(id.as_str())
            .fetch_all(self.pool())
            .await?;
        history(rows)
    }

    /// The consent histories of every participant (of one facility, when
    /// given), by participant id, in one query: for exports that check
    /// consent per participant at national scale. A participant who never
    /// consented has no entry.
    pub async fn consent_histories(
        &self,
        facility: Option<&str>,
    ) -> Result<HashMap<String, ConsentHistory>, StoreError> {
        let rows: Vec<KeyedRow> = sqlx::query_as(
            "SELECT e.participant_id, e.seq, e.kind, e.body, e.effective_at, e.recorded_at \
             FROM consent_events e JOIN participants p ON p.id = e.participant_id \
             WHERE ($1 = '' OR p.facility_code = $1) ORDER BY e.participant_id, e.seq",
        )
        .bind(facility.unwrap_or(""))
        .fetch_all(self.pool())
        .await?;
        histories(rows)
    }

    /// The consent histories of many participants, keyed by id (one who
    /// never consented has no entry).
    pub async fn consent_histories_of(
        &self,
        ids: &[ParticipantId],
    ) -> Result<HashMap<String, ConsentHistory>, StoreError> {
        let mut rows: Vec<KeyedRow> = Vec::new();
        for chunk in ids.chunks(crate::batch::CHUNK) {
            rows.extend(keyed_rows(self.pool(), chunk).await?);
        }
        histories(rows)
    }
}

impl WriteTx {
    /// [`Store::consent_histories_of`] inside the transaction, so that a
    /// check made before it can be confirmed against what it will commit on.
    pub async fn consent_histories_of(
        &mut self,
        ids: &[ParticipantId],
    ) -> Result<HashMap<String, ConsentHistory>, StoreError> {
        let mut rows: Vec<KeyedRow> = Vec::new();
        for chunk in ids.chunks(crate::batch::CHUNK) {
            rows.extend(keyed_rows(&mut *self.conn(), chunk).await?);
        }
        histories(rows)
    }
}

/// The consent events of one chunk of participants.
async fn keyed_rows<'e, E>(ex: E, ids: &[ParticipantId]) -> Result<Vec<KeyedRow>, StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let q = format!(
        "SELECT participant_id, seq, kind, body, effective_at, recorded_at FROM consent_events \
         WHERE participant_id IN ({}) ORDER BY participant_id, seq",
        crate::batch::placeholders(1, ids.len())
    );
    let mut query = sqlx::query_as::<_, KeyedRow>(sqlx::AssertSqlSafe(q));
    for id in ids {
        query = query.bind(id.as_str());
    }
    Ok(query.fetch_all(ex).await?)
}
