//! Pipeline versions, truth sets, evaluations (with their summary metrics
//! as columns) and promotions; see migration `pipelines`. What a valid
//! version or a fair comparison is belongs to the domain and the app; this
//! module keeps rows, and the partial unique index keeps one current
//! version a name.

use std::collections::HashMap;

use sqlx::AnyConnection;
use time::OffsetDateTime;

use crate::time_ms::{from_ms, to_ms};
use crate::{Store, StoreError, WriteTx};

/// A registered pipeline version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineVersionRow {
    pub name: String,
    pub version: String,
    /// `caller`, `filter`, `model`, `aligner`, `annotator`, `workflow`.
    pub kind: String,
    /// JSON list of `{name, version}`.
    pub tools: String,
    pub reference_assembly: String,
    pub reference_fasta: String,
    /// JSON object.
    pub parameters: String,
    pub container_digest: Option<String>,
    /// `registered`, `current`, `retired`.
    pub state: String,
    pub registered_by: String,
    pub registered_at: OffsetDateTime,
}

/// A registered truth set (file names relative to the truth-set directory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TruthSetRow {
    pub name: String,
    pub version: String,
    pub sample: String,
    pub assembly: String,
    pub vcf: String,
    pub vcf_sha256: String,
    pub regions: Option<String>,
    pub regions_sha256: Option<String>,
    pub reference: Option<String>,
    pub registered_by: String,
    pub registered_at: OffsetDateTime,
}

/// One summary row of an evaluation (hap.py's `summary.csv` line).
#[derive(Debug, Clone, PartialEq)]
pub struct MetricRow {
    /// `SNP` or `INDEL`.
    pub variant_type: String,
    /// `ALL` or `PASS`.
    pub filter: String,
    pub truth_total: i64,
    pub truth_tp: i64,
    pub truth_fn: i64,
    pub query_total: i64,
    pub query_fp: i64,
    pub query_unk: i64,
    pub fp_gt: i64,
    pub recall: Option<f64>,
    pub precision: Option<f64>,
    pub frac_na: Option<f64>,
    pub f1: Option<f64>,
}

/// A stored evaluation with its summary rows.
#[derive(Debug, Clone, PartialEq)]
pub struct EvaluationRow {
    pub id: String,
    pub pipeline: String,
    pub version: String,
    pub truth_name: String,
    pub truth_version: String,
    /// The regions file used, if any.
    pub regions: Option<String>,
    /// What was evaluated: `object:<id>` or `file:<name>`.
    pub query: String,
    pub query_sha256: String,
    /// `reference` or `ref_alleles`.
    pub base_source: String,
    /// The whole report (JSON).
    pub report: String,
    pub evaluated_by: String,
    pub evaluated_at: OffsetDateTime,
    pub metrics: Vec<MetricRow>,
}

/// A promotion: which version became current, instead of which, why, and
/// the comparison that allowed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromotionRow {
    pub id: String,
    pub pipeline: String,
    pub version: String,
    pub previous_version: Option<String>,
    /// The rule in force (`not_worse`, `f1_not_worse`, with its tolerance).
    pub rule: String,
    /// JSON: the comparison per truth set, type and metric.
    pub comparison: String,
    pub reason: String,
    pub promoted_by: String,
    pub promoted_at: OffsetDateTime,
    /// The audit entry of the promotion.
    pub audit_seq: i64,
}

/// A stored file whose recorded pipeline may name a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineResultRow {
    pub object_id: String,
    pub name: String,
    pub format: String,
    pub participant_id: String,
    pub pipeline: String,
    pub qc_status: String,
    pub created_at: OffsetDateTime,
}

fn sql(s: String) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(s)
}

const VERSION_COLS: &str = "name, version, kind, tools, reference_assembly, reference_fasta, parameters, container_digest, state, registered_by, registered_at";
type VersionTuple = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    i64,
);

fn version_row(r: VersionTuple) -> Result<PipelineVersionRow, StoreError> {
    Ok(PipelineVersionRow {
        name: r.0,
        version: r.1,
        kind: r.2,
        tools: r.3,
        reference_assembly: r.4,
        reference_fasta: r.5,
        parameters: r.6,
        container_digest: r.7,
        state: r.8,
        registered_by: r.9,
        registered_at: from_ms(r.10)?,
    })
}

const TRUTH_COLS: &str = "name, version, sample, assembly, vcf, vcf_sha256, regions, regions_sha256, reference, registered_by, registered_at";
type TruthTuple = (
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    i64,
);

fn truth_row(r: TruthTuple) -> Result<TruthSetRow, StoreError> {
    Ok(TruthSetRow {
        name: r.0,
        version: r.1,
        sample: r.2,
        assembly: r.3,
        vcf: r.4,
        vcf_sha256: r.5,
        regions: r.6,
        regions_sha256: r.7,
        reference: r.8,
        registered_by: r.9,
        registered_at: from_ms(r.10)?,
    })
}

const EVAL_COLS: &str = "id, pipeline, version, truth_name, truth_version, regions, query, query_sha256, base_source, report, evaluated_by, evaluated_at";
type EvalTuple = (
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    String,
    String,
    String,
    i64,
);

const METRIC_COLS: &str = "m.evaluation_id, m.variant_type, m.filter, m.truth_total, m.truth_tp, m.truth_fn, m.query_total, m.query_fp, m.query_unk, m.fp_gt, m.metric_recall, m.metric_precision, m.metric_frac_na, m.metric_f1";
type MetricTuple = (
    String,
    String,
    String,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    Option<f64>,
    Option<f64>,
    Option<f64>,
    Option<f64>,
);

const PROMOTION_COLS: &str = "id, pipeline, version, previous_version, rule, comparison, reason, promoted_by, promoted_at, audit_seq";
type PromotionTuple = (
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    String,
    String,
    i64,
    i64,
);

fn promotion_row(r: PromotionTuple) -> Result<PromotionRow, StoreError> {
    Ok(PromotionRow {
        id: r.0,
        pipeline: r.1,
        version: r.2,
        previous_version: r.3,
        rule: r.4,
        comparison: r.5,
        reason: r.6,
        promoted_by: r.7,
        promoted_at: from_ms(r.8)?,
        audit_seq: r.9,
    })
}

/// Versions of `name` (every name when `None`), by name then registration.
async fn versions_on(
    c: &mut AnyConnection,
    name: Option<&str>,
) -> Result<Vec<PipelineVersionRow>, StoreError> {
    let rows: Vec<VersionTuple> = match name {
        Some(n) => {
            sqlx::query_as(sql(format!(
                "SELECT {VERSION_COLS} FROM pipeline_versions WHERE name = $1 ORDER BY registered_at, version"
            )))
            .bind(n)
            .fetch_all(&mut *c)
            .await?
        }
        None => {
            sqlx::query_as(sql(format!(
                "SELECT {VERSION_COLS} FROM pipeline_versions ORDER BY name, registered_at, version"
            )))
            .fetch_all(&mut *c)
            .await?
        }
    };
    rows.into_iter().map(version_row).collect()
}

/// Evaluations of `name`'s versions (or only the one with `id`) with their
/// metrics, oldest first.
async fn evaluations_on(
    c: &mut AnyConnection,
    name: &str,
    id: Option<&str>,
) -> Result<Vec<EvaluationRow>, StoreError> {
    let only = if id.is_some() { " AND id = $2" } else { "" };
    let q = format!(
        "SELECT {EVAL_COLS} FROM pipeline_evaluations WHERE pipeline = $1{only} ORDER BY evaluated_at, id"
    );
    let mut rq = sqlx::query_as::<_, EvalTuple>(sql(q)).bind(name);
    if let Some(id) = id {
        rq = rq.bind(id);
    }
    let rows = rq.fetch_all(&mut *c).await?;
    let only = if id.is_some() { " AND e.id = $2" } else { "" };
    let q = format!(
        "SELECT {METRIC_COLS} FROM pipeline_evaluation_metrics m JOIN pipeline_evaluations e ON e.id = m.evaluation_id \
         WHERE e.pipeline = $1{only} ORDER BY m.evaluation_id, m.variant_type DESC, m.filter"
    );
    let mut mq = sqlx::query_as::<_, MetricTuple>(sql(q)).bind(name);
    if let Some(id) = id {
        mq = mq.bind(id);
    }
    let metrics = mq.fetch_all(&mut *c).await?;
    let mut by_eval: HashMap<String, Vec<MetricRow>> = HashMap::new();
    for m in metrics {
        by_eval.entry(m.0).or_default().push(MetricRow {
            variant_type: m.1,
            filter: m.2,
            truth_total: m.3,
            truth_tp: m.4,
            truth_fn: m.5,
            query_total: m.6,
            query_fp: m.7,
            query_unk: m.8,
            fp_gt: m.9,
            recall: m.10,
            precision: m.11,
            frac_na: m.12,
            f1: m.13,
        });
    }
    rows.into_iter()
        .map(|r| {
            Ok(EvaluationRow {
                metrics: by_eval.remove(&r.0).unwrap_or_default(),
                id: r.0,
                pipeline: r.1,
                version: r.2,
                truth_name: r.3,
                truth_version: r.4,
                regions: r.5,
                query: r.6,
                query_sha256: r.7,
                base_source: r.8,
                report: r.9,
                evaluated_by: r.10,
                evaluated_at: from_ms(r.11)?,
            })
        })
        .collect()
}

impl WriteTx {
    /// Registers a version; an existing (name, version) is `Duplicate
    /// { what: "version" }`.
    pub async fn insert_pipeline_version(
        &mut self,
        r: &PipelineVersionRow,
    ) -> Result<(), StoreError> {
        sqlx::query(sql(format!(
            "INSERT INTO pipeline_versions ({VERSION_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        )))
        .bind(&r.name)
        .bind(&r.version)
        .bind(&r.kind)
        .bind(&r.tools)
        .bind(&r.reference_assembly)
        .bind(&r.reference_fasta)
        .bind(&r.parameters)
        .bind(r.container_digest.clone())
        .bind(&r.state)
        .bind(&r.registered_by)
        .bind(to_ms(r.registered_at))
        .execute(self.conn())
        .await
        .map_err(|e| StoreError::on_write(e, "version"))?;
        Ok(())
    }

    /// Registers a truth set; an existing (name, version) is a duplicate.
    pub async fn insert_truth_set(&mut self, r: &TruthSetRow) -> Result<(), StoreError> {
        sqlx::query(sql(format!(
            "INSERT INTO truth_sets ({TRUTH_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        )))
        .bind(&r.name)
        .bind(&r.version)
        .bind(&r.sample)
        .bind(&r.assembly)
        .bind(&r.vcf)
        .bind(&r.vcf_sha256)
        .bind(r.regions.clone())
        .bind(r.regions_sha256.clone())
        .bind(r.reference.clone())
        .bind(&r.registered_by)
        .bind(to_ms(r.registered_at))
        .execute(self.conn())
        .await
        .map_err(|e| StoreError::on_write(e, "truth_set"))?;
        Ok(())
    }

    /// Stores an evaluation and its summary rows; the same query digest for
    /// the same version and truth set is `Duplicate { what: "evaluation" }`.
    pub async fn insert_evaluation(&mut self, r: &EvaluationRow) -> Result<(), StoreError> {
        sqlx::query(sql(format!(
            "INSERT INTO pipeline_evaluations ({EVAL_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        )))
        .bind(&r.id)
        .bind(&r.pipeline)
        .bind(&r.version)
        .bind(&r.truth_name)
        .bind(&r.truth_version)
        .bind(r.regions.clone())
        .bind(&r.query)
        .bind(&r.query_sha256)
        .bind(&r.base_source)
        .bind(&r.report)
        .bind(&r.evaluated_by)
        .bind(to_ms(r.evaluated_at))
        .execute(self.conn())
        .await
        .map_err(|e| StoreError::on_write(e, "evaluation"))?;
        for m in &r.metrics {
            sqlx::query(
                "INSERT INTO pipeline_evaluation_metrics (evaluation_id, variant_type, filter, truth_total, truth_tp, truth_fn, \
                 query_total, query_fp, query_unk, fp_gt, metric_recall, metric_precision, metric_frac_na, metric_f1) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            )
            .bind(&r.id)
            .bind(&m.variant_type)
            .bind(&m.filter)
            .bind(m.truth_total)
            .bind(m.truth_tp)
            .bind(m.truth_fn)
            .bind(m.query_total)
            .bind(m.query_fp)
            .bind(m.query_unk)
            .bind(m.fp_gt)
            .bind(m.recall)
            .bind(m.precision)
            .bind(m.frac_na)
            .bind(m.f1)
            .execute(self.conn())
            .await
            .map_err(|e| StoreError::on_write(e, "evaluation metrics"))?;
        }
        Ok(())
    }

    /// `name`'s versions as this transaction sees them (after its lock).
    pub async fn pipeline_versions_now(
        &mut self,
        name: &str,
    ) -> Result<Vec<PipelineVersionRow>, StoreError> {
        versions_on(self.conn(), Some(name)).await
    }

    /// `name`'s evaluations as this transaction sees them.
    pub async fn pipeline_evaluations_now(
        &mut self,
        name: &str,
    ) -> Result<Vec<EvaluationRow>, StoreError> {
        evaluations_on(self.conn(), name, None).await
    }

    /// Makes `version` the current one of `name` (the current one before,
    /// if any, goes back to `registered`). False when `version` is not in
    /// state `registered`.
    pub async fn make_current(&mut self, name: &str, version: &str) -> Result<bool, StoreError> {
        sqlx::query(
            "UPDATE pipeline_versions SET state = 'registered' WHERE name = $1 AND state = 'current'",
        )
        .bind(name)
        .execute(self.conn())
        .await
        .map_err(|e| StoreError::on_write(e, "version"))?;
        let r = sqlx::query(
            "UPDATE pipeline_versions SET state = 'current' WHERE name = $1 AND version = $2 AND state = 'registered'",
        )
        .bind(name)
        .bind(version)
        .execute(self.conn())
        .await
        .map_err(|e| StoreError::on_write(e, "current"))?;
        Ok(r.rows_affected() == 1)
    }

    /// Retires a version that is not current; false when there is no such
    /// registered version.
    pub async fn retire_pipeline_version(
        &mut self,
        name: &str,
        version: &str,
    ) -> Result<bool, StoreError> {
        let r = sqlx::query(
            "UPDATE pipeline_versions SET state = 'retired' WHERE name = $1 AND version = $2 AND state = 'registered'",
        )
        .bind(name)
        .bind(version)
        .execute(self.conn())
        .await
        .map_err(|e| StoreError::on_write(e, "version"))?;
        Ok(r.rows_affected() == 1)
    }

    /// Records a promotion.
    pub async fn insert_promotion(&mut self, r: &PromotionRow) -> Result<(), StoreError> {
        sqlx::query(sql(format!(
            "INSERT INTO pipeline_promotions ({PROMOTION_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        )))
        .bind(&r.id)
        .bind(&r.pipeline)
        .bind(&r.version)
        .bind(r.previous_version.clone())
        .bind(&r.rule)
        .bind(&r.comparison)
        .bind(&r.reason)
        .bind(&r.promoted_by)
        .bind(to_ms(r.promoted_at))
        .bind(r.audit_seq)
        .execute(self.conn())
        .await
        .map_err(|e| StoreError::on_write(e, "promotion"))?;
        Ok(())
    }
}

impl Store {
    /// Versions of `name`, or of every pipeline.
    pub async fn pipeline_versions(
        &self,
        name: Option<&str>,
    ) -> Result<Vec<PipelineVersionRow>, StoreError> {
        let mut c = self.pool().acquire().await?;
        versions_on(&mut c, name).await
    }

    /// Evaluations of `name`'s versions, oldest first.
    pub async fn pipeline_evaluations(&self, name: &str) -> Result<Vec<EvaluationRow>, StoreError> {
        let mut c = self.pool().acquire().await?;
        evaluations_on(&mut c, name, None).await
    }

    /// The evaluation of this query file for this version and truth set.
    pub async fn evaluation_of(
        &self,
        pipeline: &str,
        version: &str,
        truth: (&str, &str),
        query_sha256: &str,
    ) -> Result<Option<EvaluationRow>, StoreError> {
        let mut c = self.pool().acquire().await?;
        let id: Option<(String,)> = sqlx::query_as(
            "SELECT id FROM pipeline_evaluations WHERE pipeline = $1 AND version = $2 \
             AND truth_name = $3 AND truth_version = $4 AND query_sha256 = $5",
        )
        .bind(pipeline)
        .bind(version)
        .bind(truth.0)
        .bind(truth.1)
        .bind(query_sha256)
        .fetch_optional(&mut *c)
        .await?;
        let Some((id,)) = id else { return Ok(None) };
        Ok(evaluations_on(&mut c, pipeline, Some(&id))
            .await?
            .into_iter()
            .next())
    }

    /// How many evaluations each pipeline has.
    pub async fn evaluation_counts(&self) -> Result<HashMap<String, i64>, StoreError> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT pipeline, COUNT(*) FROM pipeline_evaluations GROUP BY pipeline")
                .fetch_all(self.pool())
                .await?;
        Ok(rows.into_iter().collect())
    }

    /// Every truth set, by name and version.
    pub async fn truth_sets(&self) -> Result<Vec<TruthSetRow>, StoreError> {
        let rows: Vec<TruthTuple> = sqlx::query_as(sql(format!(
            "SELECT {TRUTH_COLS} FROM truth_sets ORDER BY name, registered_at, version"
        )))
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(truth_row).collect()
    }

    /// One truth set.
    pub async fn truth_set(
        &self,
        name: &str,
        version: &str,
    ) -> Result<Option<TruthSetRow>, StoreError> {
        let r: Option<TruthTuple> = sqlx::query_as(sql(format!(
            "SELECT {TRUTH_COLS} FROM truth_sets WHERE name = $1 AND version = $2"
        )))
        .bind(name)
        .bind(version)
        .fetch_optional(self.pool())
        .await?;
        r.map(truth_row).transpose()
    }

    /// Promotions of `name`, newest first.
    pub async fn pipeline_promotions(&self, name: &str) -> Result<Vec<PromotionRow>, StoreError> {
        let rows: Vec<PromotionTuple> = sqlx::query_as(sql(format!(
            "SELECT {PROMOTION_COLS} FROM pipeline_promotions WHERE pipeline = $1 ORDER BY promoted_at DESC, audit_seq DESC"
        )))
        .bind(name)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(promotion_row).collect()
    }

    /// Stored files whose recorded pipeline starts with either prefix (the
    /// app narrows them to the exact version), newest first, at most `limit`.
    pub async fn objects_with_pipeline_prefix(
        &self,
        prefixes: [&str; 2],
        limit: i64,
    ) -> Result<Vec<PipelineResultRow>, StoreError> {
        let like = |prefix: &str| -> String {
            let mut s: String = prefix
                .chars()
                .flat_map(|c| match c {
                    '\\' | '%' | '_' => vec!['\\', c],
                    c => vec![c],
                })
                .collect();
            s.push('%');
            s
        };
        let rows: Vec<(String, String, String, String, String, String, i64)> = sqlx::query_as(
            "SELECT id, name, format, participant_id, pipeline, qc_status, created_at FROM objects \
             WHERE pipeline LIKE $1 ESCAPE '\\' OR pipeline LIKE $2 ESCAPE '\\' ORDER BY created_at DESC, id LIMIT $3",
        )
        .bind(like(prefixes[0]))
        .bind(like(prefixes[1]))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(PipelineResultRow {
                    object_id: r.0,
                    name: r.1,
                    format: r.2,
                    participant_id: r.3,
                    pipeline: r.4,
                    qc_status: r.5,
                    created_at: from_ms(r.6)?,
                })
            })
            .collect()
    }
}
