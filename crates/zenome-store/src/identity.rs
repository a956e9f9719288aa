//! Sample identity: which fingerprint is whose (`identity_samples`), what
//! each check found (`identity_checks`), which libraries are held
//! (`identity_holds`) and which stored files were fingerprinted
//! (`identity_runs`); see migration `identity`. The fingerprints themselves
//! are in the app's Parquet table.

use std::collections::HashSet;

use time::OffsetDateTime;

use crate::time_ms::{from_ms, to_ms};
use crate::{ObjectRow, Store, StoreError, WriteTx};

/// One fingerprinted sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentitySampleRow {
    /// Its id (the fingerprint's name in the Parquet table).
    pub id: String,
    /// The stored file it was taken from.
    pub object_id: String,
    /// The column (VCF) or read-group sample (CRAM/BAM) name in the file.
    pub sample: String,
    /// Whose sample the lineage says it is.
    pub participant_id: String,
    /// The library it was sequenced from.
    pub library_id: String,
    /// Whether the library comes from a tumour specimen.
    pub tumour: bool,
    /// `genotypes` (VCF) or `reads` (CRAM/BAM).
    pub evidence: String,
    /// The panel's digest.
    pub panel: String,
    /// Panel sites called.
    pub n_called: i64,
    /// JSON: sex call, contamination, depth.
    pub summary: String,
    /// When it was taken.
    pub at: OffsetDateTime,
}

/// One check's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityCheckRow {
    /// Its id.
    pub id: String,
    /// The sample checked.
    pub sample_id: String,
    /// The second sample of a pair check.
    pub other_id: Option<String>,
    /// `same_library`, `tumour_normal`, `same_participant`, `cohort_match`,
    /// `pedigree`, `undeclared_relative`, `sex`, `contamination`, `coverage`.
    pub kind: String,
    /// `pass`, `warn` or `fail`.
    pub verdict: String,
    /// The numbers behind the verdict (JSON).
    pub numbers: String,
    /// One sentence.
    pub message: String,
    /// The hold a failing check opened or joined.
    pub hold_id: Option<String>,
    /// When.
    pub at: OffsetDateTime,
}

/// A hold on a library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityHoldRow {
    /// Its id.
    pub id: String,
    /// The library held.
    pub library_id: String,
    /// Whose library the lineage says it is.
    pub participant_id: String,
    /// `open`, `released` or `excluded`.
    pub state: String,
    /// When it was opened.
    pub opened_at: OffsetDateTime,
    /// Who resolved it.
    pub resolved_by: Option<String>,
    /// When.
    pub resolved_at: Option<OffsetDateTime>,
    /// The recorded reason.
    pub resolution: Option<String>,
}

type SampleTuple = (
    String,
    String,
    String,
    String,
    String,
    i64,
    String,
    String,
    i64,
    String,
    i64,
);
const SAMPLE_COLS: &str = "s.id, s.object_id, s.sample, s.participant_id, s.library_id, s.tumour, s.evidence, s.panel, s.n_called, s.summary, s.at";

fn sample(r: SampleTuple) -> Result<IdentitySampleRow, StoreError> {
    Ok(IdentitySampleRow {
        id: r.0,
        object_id: r.1,
        sample: r.2,
        participant_id: r.3,
        library_id: r.4,
        tumour: r.5 != 0,
        evidence: r.6,
        panel: r.7,
        n_called: r.8,
        summary: r.9,
        at: from_ms(r.10)?,
    })
}

type CheckTuple = (
    String,
    String,
    Option<String>,
    String,
    String,
    String,
    String,
    Option<String>,
    i64,
);
const CHECK_COLS: &str =
    "c.id, c.sample_id, c.other_id, c.kind, c.verdict, c.numbers, c.message, c.hold_id, c.at";

fn check(r: CheckTuple) -> Result<IdentityCheckRow, StoreError> {
    Ok(IdentityCheckRow {
        id: r.0,
        sample_id: r.1,
        other_id: r.2,
        kind: r.3,
        verdict: r.4,
        numbers: r.5,
        message: r.6,
        hold_id: r.7,
        at: from_ms(r.8)?,
    })
}

type HoldTuple = (
    String,
    String,
    String,
    String,
    i64,
    Option<String>,
    Option<i64>,
    Option<String>,
);
const HOLD_COLS: &str = "h.id, h.library_id, h.participant_id, h.state, h.opened_at, h.resolved_by, h.resolved_at, h.resolution";

fn hold(r: HoldTuple) -> Result<IdentityHoldRow, StoreError> {
    Ok(IdentityHoldRow {
        id: r.0,
        library_id: r.1,
        participant_id: r.2,
        state: r.3,
        opened_at: from_ms(r.4)?,
        resolved_by: r.5,
        resolved_at: r.6.map(from_ms).transpose()?,
        resolution: r.7,
    })
}

fn sql(s: String) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(s)
}

impl WriteTx {
    /// Records a fingerprinted sample.
    pub async fn insert_identity_sample(
        &mut self,
        r: &IdentitySampleRow,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO identity_samples (id, object_id, sample, participant_id, library_id, tumour, evidence, panel, n_called, summary, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&r.id)
        .bind(&r.object_id)
        .bind(&r.sample)
        .bind(&r.participant_id)
        .bind(&r.library_id)
        .bind(i64::from(r.tumour))
        .bind(&r.evidence)
        .bind(&r.panel)
        .bind(r.n_called)
        .bind(&r.summary)
        .bind(to_ms(r.at))
        .execute(self.conn())
        .await
        .map_err(|e| StoreError::on_write(e, "identity sample"))?;
        Ok(())
    }

    /// The open hold of `library`, opened now if there is none; returns its
    /// id and whether it was opened by this call.
    pub async fn open_identity_hold(
        &mut self,
        library: &str,
        participant: &str,
    ) -> Result<(String, bool), StoreError> {
        let open: Option<(String,)> = sqlx::query_as(
            "SELECT id FROM identity_holds WHERE library_id = $1 AND state = 'open'",
        )
        .bind(library)
        .fetch_optional(self.conn())
        .await?;
        if let Some((id,)) = open {
            return Ok((id, false));
        }
        let id = uuid::Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO identity_holds (id, library_id, participant_id, state, opened_at) VALUES ($1, $2, $3, 'open', $4)",
        )
        .bind(&id)
        .bind(library)
        .bind(participant)
        .bind(to_ms(self.at()))
        .execute(self.conn())
        .await
        .map_err(|e| StoreError::on_write(e, "identity hold"))?;
        self.bump_consent_version().await?;
        Ok((id, true))
    }

    /// Records a check's outcome.
    pub async fn insert_identity_check(&mut self, r: &IdentityCheckRow) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO identity_checks (id, sample_id, other_id, kind, verdict, numbers, message, hold_id, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&r.id)
        .bind(&r.sample_id)
        .bind(&r.other_id)
        .bind(&r.kind)
        .bind(&r.verdict)
        .bind(&r.numbers)
        .bind(&r.message)
        .bind(&r.hold_id)
        .bind(to_ms(r.at))
        .execute(self.conn())
        .await
        .map_err(|e| StoreError::on_write(e, "identity check"))?;
        Ok(())
    }

    /// Lists a check under a hold.
    pub async fn link_identity_check(&mut self, hold: &str, check: &str) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO identity_hold_checks (hold_id, check_id) VALUES ($1, $2)")
            .bind(hold)
            .bind(check)
            .execute(self.conn())
            .await
            .map_err(|e| StoreError::on_write(e, "identity hold check"))?;
        Ok(())
    }

    /// Closes an open hold as `released` or `excluded` with the reason;
    /// `false` when it is not open (resolved meanwhile, or absent).
    pub async fn resolve_identity_hold(
        &mut self,
        id: &str,
        state: &str,
        by: &str,
        reason: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE identity_holds SET state = $2, resolved_by = $3, resolved_at = $4, resolution = $5 \
             WHERE id = $1 AND state = 'open'",
        )
        .bind(id)
        .bind(state)
        .bind(by)
        .bind(to_ms(self.at()))
        .bind(reason)
        .execute(self.conn())
        .await
        .map_err(|e| StoreError::on_write(e, "identity hold"))?;
        if done.rows_affected() == 1 {
            self.bump_consent_version().await?;
        }
        Ok(done.rows_affected() == 1)
    }

    /// Moves a library, with every node under it, to another participant
    /// under `extract` (a relabel after an identity check): the nodes, the
    /// stored files, the VCF columns and the fingerprints follow. Returns
    /// the nodes moved (the library first).
    pub async fn relabel_library(
        &mut self,
        library: &str,
        participant: &str,
        extract: &str,
    ) -> Result<Vec<String>, StoreError> {
        let moved: Vec<(String,)> = sqlx::query_as(
            "WITH RECURSIVE down (id, depth) AS ( \
                SELECT id, 0 FROM lineage_nodes WHERE id = $1 \
                UNION ALL \
                SELECT n.id, down.depth + 1 FROM lineage_nodes n JOIN down ON n.parent_id = down.id) \
             SELECT id FROM down ORDER BY depth, id",
        )
        .bind(library)
        .fetch_all(self.conn())
        .await?;
        sqlx::query("UPDATE lineage_nodes SET parent_id = $2 WHERE id = $1")
            .bind(library)
            .bind(extract)
            .execute(self.conn())
            .await
            .map_err(|e| StoreError::on_write(e, "extract"))?;
        for (id,) in &moved {
            for q in [
                "UPDATE lineage_nodes SET participant_id = $2 WHERE id = $1",
                "UPDATE objects SET participant_id = $2 WHERE node_id = $1",
            ] {
                sqlx::query(q)
                    .bind(id)
                    .bind(participant)
                    .execute(self.conn())
                    .await
                    .map_err(|e| StoreError::on_write(e, "participant_id"))?;
            }
        }
        for q in [
            "UPDATE identity_samples SET participant_id = $2 WHERE library_id = $1",
            "UPDATE vcf_samples SET participant_id = $2 WHERE library_id = $1",
        ] {
            sqlx::query(q)
                .bind(library)
                .bind(participant)
                .execute(self.conn())
                .await
                .map_err(|e| StoreError::on_write(e, "participant_id"))?;
        }
        Ok(moved.into_iter().map(|(id,)| id).collect())
    }

    /// Records that a stored file was fingerprinted (`done`) or could not be
    /// (`failed`, with the reason); a later attempt replaces it.
    pub async fn set_identity_run(
        &mut self,
        object: &str,
        state: &str,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO identity_runs (object_id, state, error, at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (object_id) DO UPDATE SET state = $2, error = $3, at = $4",
        )
        .bind(object)
        .bind(state)
        .bind(error)
        .bind(to_ms(self.at()))
        .execute(self.conn())
        .await
        .map_err(|e| StoreError::on_write(e, "object_id"))?;
        Ok(())
    }

    /// Bumps the version readers of "who may be counted now" key their
    /// caches on (consent events and identity holds both change it).
    pub async fn bump_consent_version(&mut self) -> Result<(), StoreError> {
        sqlx::query("UPDATE consent_version SET version = version + 1 WHERE id = 1")
            .execute(self.conn())
            .await
            .map_err(|e| StoreError::on_write(e, "consent version"))?;
        Ok(())
    }
}

impl Store {
    /// Every fingerprinted sample whose library is not excluded (the cohort
    /// new samples are compared with), oldest first.
    pub async fn identity_cohort(&self) -> Result<Vec<IdentitySampleRow>, StoreError> {
        let rows: Vec<SampleTuple> = sqlx::query_as(sql(format!(
            "SELECT {SAMPLE_COLS} FROM identity_samples s WHERE NOT EXISTS \
             (SELECT 1 FROM identity_holds h WHERE h.library_id = s.library_id AND h.state = 'excluded') \
             ORDER BY s.at, s.id"
        )))
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(sample).collect()
    }

    /// The fingerprinted samples of a participant, oldest first.
    pub async fn identity_samples_of(
        &self,
        participant: &str,
    ) -> Result<Vec<IdentitySampleRow>, StoreError> {
        let rows: Vec<SampleTuple> = sqlx::query_as(sql(format!(
            "SELECT {SAMPLE_COLS} FROM identity_samples s WHERE s.participant_id = $1 ORDER BY s.at, s.id"
        )))
        .bind(participant)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(sample).collect()
    }

    /// One fingerprinted sample.
    pub async fn identity_sample(&self, id: &str) -> Result<Option<IdentitySampleRow>, StoreError> {
        let r: Option<SampleTuple> = sqlx::query_as(sql(format!(
            "SELECT {SAMPLE_COLS} FROM identity_samples s WHERE s.id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        r.map(sample).transpose()
    }

    /// The checks involving any sample of a participant (as the sample
    /// checked or as the other of a pair), newest first.
    pub async fn identity_checks_of(
        &self,
        participant: &str,
    ) -> Result<Vec<IdentityCheckRow>, StoreError> {
        let rows: Vec<CheckTuple> = sqlx::query_as(sql(format!(
            "SELECT {CHECK_COLS} FROM identity_checks c WHERE c.sample_id IN \
             (SELECT id FROM identity_samples WHERE participant_id = $1) \
             OR c.other_id IN (SELECT id FROM identity_samples WHERE participant_id = $1) \
             ORDER BY c.at DESC, c.id"
        )))
        .bind(participant)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(check).collect()
    }

    /// The checks a hold was opened or joined by.
    pub async fn identity_checks_of_hold(
        &self,
        hold_id: &str,
    ) -> Result<Vec<IdentityCheckRow>, StoreError> {
        let rows: Vec<CheckTuple> = sqlx::query_as(sql(format!(
            "SELECT {CHECK_COLS} FROM identity_checks c JOIN identity_hold_checks l ON l.check_id = c.id \
             WHERE l.hold_id = $1 ORDER BY c.at, c.id"
        )))
        .bind(hold_id)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(check).collect()
    }

    /// The fingerprinted samples of one library.
    pub async fn identity_samples_of_library(
        &self,
        library: &str,
    ) -> Result<Vec<IdentitySampleRow>, StoreError> {
        let rows: Vec<SampleTuple> = sqlx::query_as(sql(format!(
            "SELECT {SAMPLE_COLS} FROM identity_samples s WHERE s.library_id = $1 ORDER BY s.at, s.id"
        )))
        .bind(library)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(sample).collect()
    }

    /// Whether any VCF stored under `library` (or naming it as a column) is
    /// in the variant store: its genotypes are there under the participant
    /// id of the time.
    pub async fn library_in_variant_store(&self, library: &str) -> Result<bool, StoreError> {
        let r: Option<(i64,)> = sqlx::query_as(
            "SELECT 1 FROM variant_loads v JOIN objects o ON o.id = v.object_id \
             WHERE v.state = 'loaded' AND (o.node_id IN (SELECT node_id FROM vcf_samples WHERE library_id = $1) \
             OR o.node_id IN (WITH RECURSIVE down (id) AS ( \
                 SELECT id FROM lineage_nodes WHERE id = $1 \
                 UNION ALL SELECT n.id FROM lineage_nodes n JOIN down ON n.parent_id = down.id) \
               SELECT id FROM down)) LIMIT 1",
        )
        .bind(library)
        .fetch_optional(self.pool())
        .await?;
        Ok(r.is_some())
    }

    /// Every pair check (both samples named), for the relatedness plot.
    pub async fn identity_pair_checks(&self) -> Result<Vec<IdentityCheckRow>, StoreError> {
        let rows: Vec<CheckTuple> = sqlx::query_as(sql(format!(
            "SELECT {CHECK_COLS} FROM identity_checks c WHERE c.other_id IS NOT NULL ORDER BY c.at, c.id"
        )))
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(check).collect()
    }

    /// Holds in `state` (`None`: all), oldest first.
    pub async fn identity_holds(
        &self,
        state: Option<&str>,
    ) -> Result<Vec<IdentityHoldRow>, StoreError> {
        let rows: Vec<HoldTuple> = match state {
            Some(s) => {
                sqlx::query_as(sql(format!(
                    "SELECT {HOLD_COLS} FROM identity_holds h WHERE h.state = $1 ORDER BY h.opened_at, h.id"
                )))
                .bind(s)
                .fetch_all(self.pool())
                .await?
            }
            None => {
                sqlx::query_as(sql(format!(
                    "SELECT {HOLD_COLS} FROM identity_holds h ORDER BY h.opened_at, h.id"
                )))
                .fetch_all(self.pool())
                .await?
            }
        };
        rows.into_iter().map(hold).collect()
    }

    /// The holds of one participant's libraries, oldest first.
    pub async fn identity_holds_of(
        &self,
        participant: &str,
    ) -> Result<Vec<IdentityHoldRow>, StoreError> {
        let rows: Vec<HoldTuple> = sqlx::query_as(sql(format!(
            "SELECT {HOLD_COLS} FROM identity_holds h WHERE h.participant_id = $1 ORDER BY h.opened_at, h.id"
        )))
        .bind(participant)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(hold).collect()
    }

    /// One hold.
    pub async fn identity_hold(&self, id: &str) -> Result<Option<IdentityHoldRow>, StoreError> {
        let r: Option<HoldTuple> = sqlx::query_as(sql(format!(
            "SELECT {HOLD_COLS} FROM identity_holds h WHERE h.id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        r.map(hold).transpose()
    }

    /// Participants whose genome may not be used: a library on hold, or a
    /// library excluded after review.
    pub async fn identity_blocked(&self) -> Result<HashSet<String>, StoreError> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT DISTINCT participant_id FROM identity_holds WHERE state IN ('open', 'excluded')",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Whether one participant's genome may not be used (see
    /// [`Store::identity_blocked`]).
    pub async fn identity_blocks(&self, participant: &str) -> Result<bool, StoreError> {
        let r: Option<(i64,)> = sqlx::query_as(
            "SELECT 1 FROM identity_holds WHERE participant_id = $1 AND state IN ('open', 'excluded') LIMIT 1",
        )
        .bind(participant)
        .fetch_optional(self.pool())
        .await?;
        Ok(r.is_some())
    }

    /// The last fingerprinting outcome of a stored object: state and error.
    pub async fn identity_run(
        &self,
        object: &str,
    ) -> Result<Option<(String, Option<String>)>, StoreError> {
        Ok(
            sqlx::query_as("SELECT state, error FROM identity_runs WHERE object_id = $1")
                .bind(object)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    /// Stored sequence files (CRAM, BAM, VCF) that passed QC and were never
    /// fingerprinted, oldest first.
    pub async fn never_fingerprinted(&self) -> Result<Vec<ObjectRow>, StoreError> {
        self.objects_where(
            "WHERE format IN ('cram', 'bam', 'vcf') AND qc_status = 'passed' AND status = 'available' \
             AND NOT EXISTS (SELECT 1 FROM identity_runs r WHERE r.object_id = objects.id)",
            None,
        )
        .await
    }
}
