//! Clinical records (R2): append-only versions of each participant's
//! record, as JSON judged by the app against its dictionary version.

use time::OffsetDateTime;
use zenome_domain::id::ParticipantId;

use crate::time_ms::{from_ms, to_ms};
use crate::{Store, StoreError, WriteTx};

/// One version of a participant's clinical record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClinicalRow {
    /// Id of this version.
    pub id: String,
    /// Whose record.
    pub participant_id: ParticipantId,
    /// 1 for the first submission, then one more per correction.
    pub version: i64,
    /// The dictionary version the record was entered with.
    pub dictionary_version: String,
    /// The record (JSON).
    pub record: String,
    /// `form`, `api`, `bulk_csv`, `bulk_json`, `phenopacket`, `demo`.
    pub source: String,
    /// Cancer site (ICD-O-3 topography, 3 characters) or rare-disease
    /// group, for the public counts.
    pub summary_key: Option<String>,
    /// Who submitted it.
    pub submitted_by: String,
    /// When.
    pub submitted_at: OffsetDateTime,
}

/// A record about to be stored: the version is assigned by the store.
#[derive(Debug, Clone)]
pub struct NewClinical {
    /// Whose record.
    pub participant_id: ParticipantId,
    /// Dictionary version.
    pub dictionary_version: String,
    /// The record (JSON).
    pub record: String,
    /// Where it came from.
    pub source: &'static str,
    /// Summary key for the public counts.
    pub summary_key: Option<String>,
}

const COLS: &str = "id, participant_id, version, dictionary_version, record, source, summary_key, submitted_by, submitted_at";

/// [`COLS`] of the table aliased `c`.
fn prefixed_cols() -> String {
    COLS.split(", ")
        .map(|c| format!("c.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

type Tuple = (
    String,
    String,
    i64,
    String,
    String,
    String,
    Option<String>,
    String,
    i64,
);

fn row(r: Tuple) -> Result<ClinicalRow, StoreError> {
    Ok(ClinicalRow {
        id: r.0,
        participant_id: r
            .1
            .parse()
            .map_err(|e| StoreError::corrupt("clinical_records", e))?,
        version: r.2,
        dictionary_version: r.3,
        record: r.4,
        source: r.5,
        summary_key: r.6,
        submitted_by: r.7,
        submitted_at: from_ms(r.8)?,
    })
}

fn sql(s: String) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(s)
}

impl WriteTx {
    /// Appends a new version of a participant's record and returns it.
    pub async fn insert_clinical(
        &mut self,
        id: &str,
        r: &NewClinical,
        by: &str,
    ) -> Result<ClinicalRow, StoreError> {
        let at = self.at();
        let (last,): (Option<i64>,) =
            sqlx::query_as("SELECT MAX(version) FROM clinical_records WHERE participant_id = $1")
                .bind(r.participant_id.as_str())
                .fetch_one(self.conn())
                .await?;
        let version = last.unwrap_or(0) + 1;
        sqlx::query(sql(format!(
            "INSERT INTO clinical_records ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        )))
        .bind(id)
        .bind(r.participant_id.as_str())
        .bind(version)
        .bind(&r.dictionary_version)
        .bind(&r.record)
        .bind(r.source)
        .bind(r.summary_key.clone())
        .bind(by)
        .bind(to_ms(at))
        .execute(self.conn())
        .await
        .map_err(|e| StoreError::on_write(e, "participant"))?;
        Ok(ClinicalRow {
            id: id.to_string(),
            participant_id: r.participant_id.clone(),
            version,
            dictionary_version: r.dictionary_version.clone(),
            record: r.record.clone(),
            source: r.source.to_string(),
            summary_key: r.summary_key.clone(),
            submitted_by: by.to_string(),
            submitted_at: at,
        })
    }

    /// The latest version of a participant's record, inside the transaction.
    pub async fn latest_clinical(
        &mut self,
        participant: &ParticipantId,
    ) -> Result<Option<ClinicalRow>, StoreError> {
        let r: Option<Tuple> = sqlx::query_as(sql(format!(
            "SELECT {COLS} FROM clinical_records WHERE participant_id = $1 ORDER BY version DESC LIMIT 1"
        )))
        .bind(participant.as_str())
        .fetch_optional(self.conn())
        .await?;
        r.map(row).transpose()
    }
}

impl Store {
    /// The latest version of a participant's record.
    pub async fn latest_clinical(
        &self,
        participant: &ParticipantId,
    ) -> Result<Option<ClinicalRow>, StoreError> {
        let r: Option<Tuple> = sqlx::query_as(sql(format!(
            "SELECT {COLS} FROM clinical_records WHERE participant_id = $1 ORDER BY version DESC LIMIT 1"
        )))
        .bind(participant.as_str())
        .fetch_optional(self.pool())
        .await?;
        r.map(row).transpose()
    }

    /// The latest record of many participants, keyed by participant id
    /// (those without a record are left out).
    pub async fn latest_clinical_of(
        &self,
        ids: &[ParticipantId],
    ) -> Result<std::collections::HashMap<String, ClinicalRow>, StoreError> {
        let mut out = std::collections::HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(crate::batch::CHUNK) {
            let q = format!(
                "SELECT {} FROM clinical_records c WHERE c.participant_id IN ({}) \
                 AND c.version = (SELECT MAX(c2.version) FROM clinical_records c2 WHERE c2.participant_id = c.participant_id)",
                prefixed_cols(),
                crate::batch::placeholders(1, chunk.len())
            );
            let mut query = sqlx::query_as::<_, Tuple>(sql(q));
            for id in chunk {
                query = query.bind(id.as_str());
            }
            for r in query.fetch_all(self.pool()).await? {
                let r = row(r)?;
                out.insert(r.participant_id.as_str().to_string(), r);
            }
        }
        Ok(out)
    }

    /// Every version of a participant's record, oldest first.
    pub async fn clinical_history(
        &self,
        participant: &ParticipantId,
    ) -> Result<Vec<ClinicalRow>, StoreError> {
        let rows: Vec<Tuple> = sqlx::query_as(sql(format!(
            "SELECT {COLS} FROM clinical_records WHERE participant_id = $1 ORDER BY version"
        )))
        .bind(participant.as_str())
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(row).collect()
    }

    /// The latest record of every participant (of one facility, when
    /// given), ordered by participant.
    pub async fn latest_clinical_all(
        &self,
        facility: Option<&str>,
    ) -> Result<Vec<ClinicalRow>, StoreError> {
        let cols = prefixed_cols();
        let q = format!(
            "SELECT {cols} FROM clinical_records c \
             JOIN participants p ON p.id = c.participant_id \
             WHERE c.version = (SELECT MAX(c2.version) FROM clinical_records c2 WHERE c2.participant_id = c.participant_id) \
             AND ($1 = '' OR p.facility_code = $1) ORDER BY c.participant_id"
        );
        let rows: Vec<Tuple> = sqlx::query_as(sql(q))
            .bind(facility.unwrap_or(""))
            .fetch_all(self.pool())
            .await?;
        rows.into_iter().map(row).collect()
    }

    /// The latest record of every member of a dataset, ordered by
    /// participant (membership only: the caller checks consent and grant).
    pub async fn latest_clinical_in_dataset(
        &self,
        dataset: &str,
    ) -> Result<Vec<ClinicalRow>, StoreError> {
        let q = format!(
            "SELECT {} FROM clinical_records c \
             JOIN dataset_members m ON m.participant_id = c.participant_id AND m.dataset_id = $1 \
             WHERE c.version = (SELECT MAX(c2.version) FROM clinical_records c2 WHERE c2.participant_id = c.participant_id) \
             ORDER BY c.participant_id",
            prefixed_cols()
        );
        let rows: Vec<Tuple> = sqlx::query_as(sql(q))
            .bind(dataset)
            .fetch_all(self.pool())
            .await?;
        rows.into_iter().map(row).collect()
    }

    /// The summary key (cancer site or rare-disease group) of each
    /// participant's latest clinical record, by participant id (records
    /// without one are left out). For subgroup counts of variant queries.
    pub async fn clinical_summary_keys(
        &self,
    ) -> Result<std::collections::HashMap<String, String>, StoreError> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT c.participant_id, c.summary_key FROM clinical_records c \
             WHERE c.summary_key IS NOT NULL \
             AND c.version = (SELECT MAX(c2.version) FROM clinical_records c2 WHERE c2.participant_id = c.participant_id)",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().collect())
    }

    /// Participants with a clinical record, by disease area and summary key
    /// (latest versions only). For the public page: counts only.
    pub async fn clinical_counts(&self) -> Result<Vec<(String, String, i64)>, StoreError> {
        let rows: Vec<(String, Option<String>, i64)> = sqlx::query_as(
            "SELECT p.disease_area, c.summary_key, COUNT(*) FROM clinical_records c \
             JOIN participants p ON p.id = c.participant_id \
             WHERE c.version = (SELECT MAX(c2.version) FROM clinical_records c2 WHERE c2.participant_id = c.participant_id) \
             GROUP BY p.disease_area, c.summary_key ORDER BY p.disease_area, c.summary_key",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(a, k, n)| (a, k.unwrap_or_default(), n))
            .collect())
    }
}
