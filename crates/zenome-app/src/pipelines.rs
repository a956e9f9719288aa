//! Pipelines as first-class records (R5.1) and their evaluation (R5.4):
//! staff register pipeline versions (kind, tools with versions, reference,
//! parameters, container digest) and truth sets (files under `[pipelines]
//! truth_dir`), evaluate a version's call set against a truth set with
//! `zenome_evaluate` (on a blocking thread; report and summary rows stored
//! in one transaction), and promote a version to current only when the
//! configured rule finds it not worse than the current one on every truth
//! set the current one was evaluated on. Promotions and refusals are
//! audited with who, when and the reason given.
//!
//! A version's results are the stored files (and variant-store batches)
//! whose free-text `pipeline` names it: `name@version` or `name version`,
//! alone or followed by details (`zenome_domain::pipeline::produced_by`).
//!
//! Data-centre staff register, evaluate, promote and retire; staff and
//! admins read. Results (which name participants) are listed to staff only.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use zenome_domain::pipeline::{
    self as dp, ContainerDigest, PipelineName, PipelineSpec, PipelineState, PipelineVersion,
    ReferenceGenome, Tool, TruthSetName,
};
use zenome_domain::role::Role;
use zenome_evaluate::{Filter, Report, VariantType};
use zenome_store::{
    AuditEntry, EvaluationRow, MetricRow, PipelineVersionRow, PromotionRow, StoreError, TruthSetRow,
};

use crate::config::PromotionRule;
use crate::{Actor, App, AppError};

/// Most results listed on a version's page.
const RESULTS_LIMIT: i64 = 500;

/// A version to register, as it arrives (checked by [`App::register_pipeline`]).
#[derive(Debug, Clone, Default)]
pub struct NewPipelineVersion {
    pub name: String,
    pub version: String,
    pub kind: String,
    /// (tool, version) pairs, in the order they run.
    pub tools: Vec<(String, String)>,
    pub reference_assembly: String,
    pub reference_fasta: String,
    /// A JSON object.
    pub parameters: serde_json::Value,
    pub container_digest: Option<String>,
}

/// A truth set to register.
#[derive(Debug, Clone, Default)]
pub struct NewTruthSet {
    pub name: String,
    pub version: String,
    /// The sample column of the truth VCF.
    pub sample: String,
    pub assembly: String,
    /// File names relative to the truth-set directory.
    pub vcf: String,
    pub regions: Option<String>,
    pub reference: Option<String>,
}

/// Which call set of a version to evaluate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuerySource {
    /// A stored VCF object (as the version's run uploaded it).
    Object(String),
    /// A file under `[pipelines] calls_dir`.
    File(String),
}

/// A registered version.
#[derive(Debug, Clone, Serialize)]
pub struct VersionView {
    pub name: String,
    pub version: String,
    /// `name@version`, the label its results carry.
    pub label: String,
    pub kind: String,
    pub tools: Vec<ToolView>,
    pub reference_assembly: String,
    pub reference_fasta: String,
    pub parameters: serde_json::Value,
    pub container_digest: Option<String>,
    /// `registered`, `current` or `retired`.
    pub state: String,
    pub registered_by: String,
    /// RFC 3339.
    pub registered_at: String,
}

/// A tool and its version.
#[derive(Debug, Clone, Serialize)]
pub struct ToolView {
    pub name: String,
    pub version: String,
}

/// A pipeline in the list.
#[derive(Debug, Clone, Serialize)]
pub struct PipelineSummary {
    pub name: String,
    pub kind: String,
    pub versions: Vec<String>,
    pub current: Option<String>,
    pub evaluations: usize,
}

/// A registered truth set.
#[derive(Debug, Clone, Serialize)]
pub struct TruthSetView {
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
    pub registered_at: String,
}

/// One summary row of an evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct MetricView {
    /// `SNP` or `INDEL`.
    pub variant_type: String,
    /// `ALL` or `PASS`.
    pub filter: String,
    pub truth_total: i64,
    pub tp: i64,
    #[serde(rename = "fn")]
    pub fn_: i64,
    pub query_total: i64,
    pub fp: i64,
    pub unk: i64,
    pub fp_gt: i64,
    pub recall: Option<f64>,
    pub precision: Option<f64>,
    pub frac_na: Option<f64>,
    pub f1: Option<f64>,
}

/// A stored evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct EvaluationView {
    pub id: String,
    pub pipeline: String,
    pub version: String,
    pub truth_set: String,
    pub truth_version: String,
    pub regions: Option<String>,
    /// `object:<id>` or `file:<name>`.
    pub query: String,
    pub query_sha256: String,
    /// `reference` or `ref_alleles`.
    pub base_source: String,
    pub evaluated_by: String,
    pub evaluated_at: String,
    pub metrics: Vec<MetricView>,
    /// The whole `zenome_evaluate::Report`.
    pub report: serde_json::Value,
    /// False when the same call set had been evaluated against the same
    /// truth set before: this is that evaluation, nothing new was stored.
    pub created: bool,
}

impl EvaluationView {
    /// The metric row of a type under PASS.
    pub fn pass(&self, variant_type: &str) -> Option<&MetricView> {
        self.metrics
            .iter()
            .find(|m| m.variant_type == variant_type && m.filter == "PASS")
    }
}

/// One metric compared for a promotion.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct ComparisonLine {
    /// `name@version` of the truth set.
    pub truth_set: String,
    /// `SNP` or `INDEL` (PASS records).
    pub variant_type: String,
    /// `recall`, `precision` or `f1`.
    pub metric: String,
    pub candidate: Option<f64>,
    /// The current version's value (absent: no current version, or not
    /// evaluated there).
    pub current: Option<f64>,
    /// candidate − current.
    pub difference: Option<f64>,
    /// Whether this line allows the promotion.
    pub ok: bool,
}

/// A promotion on record.
#[derive(Debug, Clone, Serialize)]
pub struct PromotionView {
    pub version: String,
    pub previous_version: Option<String>,
    pub rule: String,
    pub comparison: Vec<ComparisonLine>,
    pub reason: String,
    pub promoted_by: String,
    pub promoted_at: String,
}

/// A result a version produced.
#[derive(Debug, Clone, Serialize)]
pub struct ResultView {
    /// `file` (a stored object) or `variant_batch`.
    pub kind: String,
    /// Object id, or batch number.
    pub id: String,
    pub version: String,
    pub name: String,
    pub format: String,
    /// Whose data (files only).
    pub participant_id: Option<String>,
    /// The pipeline text as recorded.
    pub recorded: String,
    pub at: String,
}

/// A pipeline with everything about it.
#[derive(Debug, Clone, Serialize)]
pub struct PipelineDetail {
    pub name: String,
    pub kind: String,
    pub current: Option<String>,
    pub versions: Vec<VersionView>,
    pub evaluations: Vec<EvaluationView>,
    /// Newest first; the first is why the current version is current.
    pub promotions: Vec<PromotionView>,
    /// Staff only (they name participants).
    pub results: Vec<ResultView>,
    /// The rule in force for promotions.
    pub rule: String,
    pub tolerance: f64,
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn require_staff(actor: &Actor, what: &str) -> Result<(), AppError> {
    if actor.role == Role::DataCentreStaff {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "role {} may not {what}",
            actor.role.name()
        )))
    }
}

fn require_reader(actor: &Actor) -> Result<(), AppError> {
    match actor.role {
        Role::DataCentreStaff | Role::Admin => Ok(()),
        _ => Err(AppError::Forbidden(format!(
            "role {} may not read pipelines",
            actor.role.name()
        ))),
    }
}

/// A file name under a configured directory: relative, no `..`, no
/// control characters.
fn relative_file(field: &str, name: &str) -> Result<PathBuf, AppError> {
    let bad = || {
        AppError::invalid(
            field,
            format!("expected a file name relative to the configured directory, found {name:?}"),
        )
    };
    if name.trim().is_empty() || name.chars().any(char::is_control) {
        return Err(bad());
    }
    let p = Path::new(name);
    if !p.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err(bad());
    }
    Ok(p.to_path_buf())
}

fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = std::io::Read::read(&mut f, &mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// Digest of a file under `dir`, on a blocking thread; a missing file is
/// an invalid `field`.
async fn digest_in(dir: &Path, field: &str, name: &str) -> Result<(PathBuf, String), AppError> {
    let path = dir.join(relative_file(field, name)?);
    let p = path.clone();
    let r = tokio::task::spawn_blocking(move || sha256_file(&p))
        .await
        .map_err(|e| AppError::Internal(format!("digest: {e}")))?;
    match r {
        Ok(d) => Ok((path, d)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(AppError::invalid(
            field,
            format!("no file {name:?} in the configured directory"),
        )),
        Err(e) => Err(AppError::Internal(format!("{}: {e}", path.display()))),
    }
}

fn version_view(r: &PipelineVersionRow) -> VersionView {
    let tools: Vec<ToolView> = serde_json::from_str::<Vec<(String, String)>>(&r.tools)
        .unwrap_or_default()
        .into_iter()
        .map(|(name, version)| ToolView { name, version })
        .collect();
    VersionView {
        label: format!("{}@{}", r.name, r.version),
        name: r.name.clone(),
        version: r.version.clone(),
        kind: r.kind.clone(),
        tools,
        reference_assembly: r.reference_assembly.clone(),
        reference_fasta: r.reference_fasta.clone(),
        parameters: serde_json::from_str(&r.parameters).unwrap_or(serde_json::Value::Null),
        container_digest: r.container_digest.clone(),
        state: r.state.clone(),
        registered_by: r.registered_by.clone(),
        registered_at: rfc3339(r.registered_at),
    }
}

fn truth_view(r: TruthSetRow) -> TruthSetView {
    TruthSetView {
        name: r.name,
        version: r.version,
        sample: r.sample,
        assembly: r.assembly,
        vcf: r.vcf,
        vcf_sha256: r.vcf_sha256,
        regions: r.regions,
        regions_sha256: r.regions_sha256,
        reference: r.reference,
        registered_by: r.registered_by,
        registered_at: rfc3339(r.registered_at),
    }
}

fn evaluation_view(r: EvaluationRow, created: bool) -> EvaluationView {
    EvaluationView {
        metrics: r
            .metrics
            .into_iter()
            .map(|m| MetricView {
                variant_type: m.variant_type,
                filter: m.filter,
                truth_total: m.truth_total,
                tp: m.truth_tp,
                fn_: m.truth_fn,
                query_total: m.query_total,
                fp: m.query_fp,
                unk: m.query_unk,
                fp_gt: m.fp_gt,
                recall: m.recall,
                precision: m.precision,
                frac_na: m.frac_na,
                f1: m.f1,
            })
            .collect(),
        report: serde_json::from_str(&r.report).unwrap_or(serde_json::Value::Null),
        id: r.id,
        pipeline: r.pipeline,
        version: r.version,
        truth_set: r.truth_name,
        truth_version: r.truth_version,
        regions: r.regions,
        query: r.query,
        query_sha256: r.query_sha256,
        base_source: r.base_source,
        evaluated_by: r.evaluated_by,
        evaluated_at: rfc3339(r.evaluated_at),
        created,
    }
}

fn promotion_view(r: PromotionRow) -> PromotionView {
    PromotionView {
        version: r.version,
        previous_version: r.previous_version,
        rule: r.rule,
        comparison: serde_json::from_str(&r.comparison).unwrap_or_default(),
        reason: r.reason,
        promoted_by: r.promoted_by,
        promoted_at: rfc3339(r.promoted_at),
    }
}

fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A report's summary rows as stored.
fn metric_rows(report: &Report) -> Vec<MetricRow> {
    report
        .summary
        .iter()
        .map(|r| MetricRow {
            variant_type: r.variant_type.as_str().to_string(),
            filter: r.filter.as_str().to_string(),
            truth_total: count(r.truth_total),
            truth_tp: count(r.tp),
            truth_fn: count(r.fn_),
            query_total: count(r.query_total),
            query_fp: count(r.fp),
            query_unk: count(r.unk),
            fp_gt: count(r.fp_gt),
            recall: r.recall,
            precision: r.precision,
            frac_na: r.frac_na,
            f1: r.f1,
        })
        .collect()
}

/// The latest evaluation of each (version, truth set).
fn latest(evals: &[EvaluationRow]) -> BTreeMap<(String, String), &EvaluationRow> {
    let mut out: BTreeMap<(String, String), &EvaluationRow> = BTreeMap::new();
    for e in evals {
        // oldest first, so the last one written wins
        out.insert(
            (
                e.version.clone(),
                format!("{}@{}", e.truth_name, e.truth_version),
            ),
            e,
        );
    }
    out
}

fn metric_of(e: &EvaluationRow, variant_type: VariantType, metric: &str) -> Option<f64> {
    let m = e
        .metrics
        .iter()
        .find(|m| m.variant_type == variant_type.as_str() && m.filter == Filter::Pass.as_str())?;
    match metric {
        "recall" => m.recall,
        "precision" => m.precision,
        _ => m.f1,
    }
}

/// The outcome of applying the promotion rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    pub lines: Vec<ComparisonLine>,
    /// Why not, one sentence each; empty: allowed.
    pub refusals: Vec<String>,
}

/// Applies `rule` to `candidate` against `current` (if any), with the
/// latest evaluation of each version on each truth set.
pub fn judge(
    rule: PromotionRule,
    tolerance: f64,
    evals: &[EvaluationRow],
    candidate: &str,
    current: Option<&str>,
) -> Judgement {
    let latest = latest(evals);
    let of = |v: &str| -> BTreeMap<String, &EvaluationRow> {
        latest
            .iter()
            .filter(|((ver, _), _)| ver == v)
            .map(|((_, t), e)| (t.clone(), *e))
            .collect()
    };
    let cand = of(candidate);
    let cur = current.map(of).unwrap_or_default();
    let metrics: &[&str] = match rule {
        PromotionRule::NotWorse => &["recall", "precision", "f1"],
        PromotionRule::F1NotWorse => &["f1"],
    };
    let mut lines = Vec::new();
    let mut refusals = Vec::new();
    if cand.is_empty() {
        refusals.push(format!(
            "version {candidate} has no evaluation: evaluate it on the registered truth sets first"
        ));
    }
    if let Some(cv) = current {
        for t in cur.keys() {
            if !cand.contains_key(t) {
                refusals.push(format!(
                    "version {candidate} has not been evaluated on truth set {t}, on which the current version {cv} was"
                ));
            }
        }
    }
    for (t, ce) in &cand {
        for vt in [VariantType::Snp, VariantType::Indel] {
            for m in metrics {
                let c = metric_of(ce, vt, m);
                let p = cur.get(t).and_then(|e| metric_of(e, vt, m));
                let difference = match (c, p) {
                    (Some(c), Some(p)) => Some(c - p),
                    _ => None,
                };
                let ok = match (c, p) {
                    (_, None) => true,
                    (None, Some(_)) => false,
                    (Some(c), Some(p)) => c >= p - tolerance,
                };
                if !ok {
                    let cv = current.unwrap_or_default();
                    refusals.push(match (c, p) {
                        (Some(c), Some(p)) => format!(
                            "{} PASS {m} on truth set {t} is {c:.4}, {:.4} below the current version {cv} ({p:.4}; tolerance {tolerance})",
                            vt.as_str(),
                            p - c
                        ),
                        _ => format!(
                            "{} PASS {m} on truth set {t} could not be measured for version {candidate} (current version {cv}: {:.4})",
                            vt.as_str(),
                            p.unwrap_or_default()
                        ),
                    });
                }
                lines.push(ComparisonLine {
                    truth_set: t.clone(),
                    variant_type: vt.as_str().to_string(),
                    metric: (*m).to_string(),
                    candidate: c,
                    current: p,
                    difference,
                    ok,
                });
            }
        }
    }
    Judgement { lines, refusals }
}

impl App {
    /// Every pipeline with its versions and which is current.
    pub async fn pipelines(&self, actor: &Actor) -> Result<Vec<PipelineSummary>, AppError> {
        require_reader(actor)?;
        let rows = self.store().pipeline_versions(None).await?;
        let mut out: Vec<PipelineSummary> = Vec::new();
        for r in rows {
            match out.last_mut() {
                Some(p) if p.name == r.name => {
                    p.versions.push(r.version.clone());
                    if r.state == "current" {
                        p.current = Some(r.version.clone());
                    }
                }
                _ => out.push(PipelineSummary {
                    name: r.name.clone(),
                    kind: r.kind.clone(),
                    versions: vec![r.version.clone()],
                    current: (r.state == "current").then(|| r.version.clone()),
                    evaluations: 0,
                }),
            }
        }
        let counts = self.store().evaluation_counts().await?;
        for p in &mut out {
            p.evaluations = counts
                .get(&p.name)
                .map_or(0, |n| usize::try_from(*n).unwrap_or(0));
        }
        Ok(out)
    }

    /// One pipeline: versions, evaluations, promotions and (for staff) the
    /// results its versions produced.
    pub async fn pipeline(&self, actor: &Actor, name: &str) -> Result<PipelineDetail, AppError> {
        require_reader(actor)?;
        let rows = self.store().pipeline_versions(Some(name)).await?;
        if rows.is_empty() {
            return Err(AppError::NotFound("pipeline"));
        }
        let evaluations = self
            .store()
            .pipeline_evaluations(name)
            .await?
            .into_iter()
            .map(|e| evaluation_view(e, true))
            .collect();
        let promotions = self
            .store()
            .pipeline_promotions(name)
            .await?
            .into_iter()
            .map(promotion_view)
            .collect();
        let results = if actor.role == Role::DataCentreStaff {
            self.results_of(&rows).await?
        } else {
            Vec::new()
        };
        Ok(PipelineDetail {
            name: name.to_string(),
            kind: rows[0].kind.clone(),
            current: rows
                .iter()
                .find(|r| r.state == "current")
                .map(|r| r.version.clone()),
            versions: rows.iter().map(version_view).collect(),
            evaluations,
            promotions,
            results,
            rule: self.config().pipelines.promotion.as_str().to_string(),
            tolerance: self.config().pipelines.tolerance,
        })
    }

    /// Stored files and variant batches whose recorded pipeline names one
    /// of these versions.
    async fn results_of(&self, rows: &[PipelineVersionRow]) -> Result<Vec<ResultView>, AppError> {
        let mut out = Vec::new();
        let parsed: Vec<(String, PipelineName, PipelineVersion)> = rows
            .iter()
            .filter_map(|r| {
                Some((
                    r.version.clone(),
                    r.name.parse().ok()?,
                    r.version.parse().ok()?,
                ))
            })
            .collect();
        for (v, n, ver) in &parsed {
            let at = format!("{n}@{ver}");
            let space = format!("{n} {ver}");
            for o in self
                .store()
                .objects_with_pipeline_prefix([&at, &space], RESULTS_LIMIT)
                .await?
            {
                if dp::produced_by(&o.pipeline, n, ver) {
                    out.push(ResultView {
                        kind: "file".into(),
                        id: o.object_id,
                        version: v.clone(),
                        name: o.name,
                        format: o.format,
                        participant_id: Some(o.participant_id),
                        recorded: o.pipeline,
                        at: rfc3339(o.created_at),
                    });
                }
            }
        }
        let app = self.clone();
        let batches = tokio::task::spawn_blocking(move || -> Result<Vec<ResultView>, AppError> {
            let Some(store) = app.opened_variant_store()? else {
                return Ok(Vec::new());
            };
            let mut out = Vec::new();
            for b in &store.manifest().batches {
                if let Some((v, _, _)) = parsed
                    .iter()
                    .find(|(_, n, ver)| dp::produced_by(&b.pipeline, n, ver))
                {
                    out.push(ResultView {
                        kind: "variant_batch".into(),
                        id: b.id.to_string(),
                        version: v.clone(),
                        name: b.source_file.clone(),
                        format: "variant store batch".into(),
                        participant_id: None,
                        recorded: b.pipeline.clone(),
                        at: b.loaded_at.clone(),
                    });
                }
            }
            Ok(out)
        })
        .await
        .map_err(|e| AppError::Internal(format!("variant batches: {e}")))??;
        out.extend(batches);
        Ok(out)
    }

    /// Staff register a pipeline version. A version of an existing name
    /// must be of the same kind; (name, version) is never reused.
    pub async fn register_pipeline(
        &self,
        actor: &Actor,
        new: NewPipelineVersion,
    ) -> Result<VersionView, AppError> {
        require_staff(actor, "register pipelines")?;
        let tools = new
            .tools
            .iter()
            .map(|(n, v)| Tool::new(n, v))
            .collect::<Result<Vec<_>, _>>()?;
        if tools.len() > 50 {
            return Err(AppError::invalid("tools", "at most 50 tools"));
        }
        if !new.parameters.is_object() {
            return Err(AppError::invalid("parameters", "expected a JSON object"));
        }
        let parameters = new.parameters.to_string();
        if parameters.len() > 64 * 1024 {
            return Err(AppError::invalid("parameters", "at most 64 KiB of JSON"));
        }
        let spec = PipelineSpec {
            name: new.name.parse()?,
            version: new.version.parse()?,
            kind: new.kind.parse()?,
            tools,
            reference: ReferenceGenome::new(&new.reference_assembly, &new.reference_fasta)?,
            parameters,
            container_digest: new
                .container_digest
                .as_deref()
                .filter(|d| !d.is_empty())
                .map(str::parse::<ContainerDigest>)
                .transpose()?,
        };
        let existing = self
            .store()
            .pipeline_versions(Some(spec.name.as_str()))
            .await?;
        if let Some(other) = existing.first()
            && other.kind != spec.kind.as_str()
        {
            return Err(AppError::Conflict {
                field: Some("kind".into()),
                message: format!(
                    "pipeline {} is a {}; a version cannot be a {}",
                    spec.name,
                    other.kind,
                    spec.kind.as_str()
                ),
            });
        }
        if existing.iter().any(|r| r.version == spec.version.as_str()) {
            return Err(duplicate_version(&spec));
        }
        let mut entry = AuditEntry::new(
            actor.audit_name(),
            "pipeline.registered",
            format!("pipeline:{}", spec.label()),
        );
        entry.detail = serde_json::json!({
            "kind": spec.kind.as_str(),
            "reference": spec.reference.assembly(),
            "container_digest": spec.container_digest.as_ref().map(ContainerDigest::as_str),
        });
        let row = PipelineVersionRow {
            name: spec.name.to_string(),
            version: spec.version.to_string(),
            kind: spec.kind.as_str().into(),
            tools: serde_json::to_string(
                &spec
                    .tools
                    .iter()
                    .map(|t| (t.name(), t.version()))
                    .collect::<Vec<_>>(),
            )
            .map_err(|e| AppError::Internal(e.to_string()))?,
            reference_assembly: spec.reference.assembly().into(),
            reference_fasta: spec.reference.fasta().into(),
            parameters: spec.parameters.clone(),
            container_digest: spec.container_digest.as_ref().map(|d| d.to_string()),
            state: PipelineState::Registered.as_str().into(),
            registered_by: actor.audit_name(),
            registered_at: zenome_store::now(),
        };
        let mut tx = self.store().begin(entry).await?;
        match tx.insert_pipeline_version(&row).await {
            Err(StoreError::Duplicate { .. }) => return Err(duplicate_version(&spec)),
            r => r?,
        }
        tx.commit().await?;
        Ok(version_view(&row))
    }

    /// Registered truth sets.
    pub async fn truth_sets(&self, actor: &Actor) -> Result<Vec<TruthSetView>, AppError> {
        require_reader(actor)?;
        Ok(self
            .store()
            .truth_sets()
            .await?
            .into_iter()
            .map(truth_view)
            .collect())
    }

    /// Staff register a truth set whose files are in the truth-set
    /// directory (their digests are recorded).
    pub async fn register_truth_set(
        &self,
        actor: &Actor,
        new: NewTruthSet,
    ) -> Result<TruthSetView, AppError> {
        require_staff(actor, "register truth sets")?;
        let name: TruthSetName = new.name.parse()?;
        let version: PipelineVersion = new.version.parse()?;
        for (field, v) in [("sample", &new.sample), ("assembly", &new.assembly)] {
            if v.trim().is_empty() || v.chars().count() > 100 || v.chars().any(char::is_control) {
                return Err(AppError::invalid(
                    field,
                    "1 to 100 characters, no control characters",
                ));
            }
        }
        let dir = self.config().truth_dir();
        let (_, vcf_sha256) = digest_in(&dir, "vcf", &new.vcf).await?;
        let regions = new.regions.filter(|r| !r.trim().is_empty());
        let regions_sha256 = match &regions {
            Some(r) => Some(digest_in(&dir, "regions", r).await?.1),
            None => None,
        };
        let reference = new.reference.filter(|r| !r.trim().is_empty());
        if let Some(r) = &reference {
            let p = dir.join(relative_file("reference", r)?);
            if !tokio::fs::try_exists(&p).await.unwrap_or(false) {
                return Err(AppError::invalid(
                    "reference",
                    format!("no file {r:?} in the truth-set directory"),
                ));
            }
        }
        let row = TruthSetRow {
            name: name.to_string(),
            version: version.to_string(),
            sample: new.sample.trim().into(),
            assembly: new.assembly.trim().into(),
            vcf: new.vcf,
            vcf_sha256,
            regions,
            regions_sha256,
            reference,
            registered_by: actor.audit_name(),
            registered_at: zenome_store::now(),
        };
        let mut entry = AuditEntry::new(
            actor.audit_name(),
            "truth_set.registered",
            format!("truth_set:{name}@{version}"),
        );
        entry.detail = serde_json::json!({"vcf": row.vcf, "vcf_sha256": row.vcf_sha256, "regions": row.regions});
        let mut tx = self.store().begin(entry).await?;
        match tx.insert_truth_set(&row).await {
            Err(StoreError::Duplicate { .. }) => {
                return Err(AppError::Conflict {
                    field: Some("version".into()),
                    message: format!("truth set {name} version {version} is already registered"),
                });
            }
            r => r?,
        }
        tx.commit().await?;
        Ok(truth_view(row))
    }

    /// The version row, or 404.
    async fn version_row(&self, name: &str, version: &str) -> Result<PipelineVersionRow, AppError> {
        self.store()
            .pipeline_versions(Some(name))
            .await?
            .into_iter()
            .find(|r| r.version == version)
            .ok_or(AppError::NotFound("pipeline version"))
    }

    /// Staff evaluate a version's call set against a truth set: the
    /// query is a stored VCF object (which, if it records a pipeline, must
    /// name this version) or a file in the calls directory. The same call
    /// set (by SHA-256) against the same truth set is evaluated once: the
    /// second request answers the stored evaluation (`created: false`).
    pub async fn evaluate_pipeline(
        &self,
        actor: &Actor,
        name: &str,
        version: &str,
        truth: (&str, &str),
        query: QuerySource,
    ) -> Result<EvaluationView, AppError> {
        require_staff(actor, "evaluate pipelines")?;
        let v = self.version_row(name, version).await?;
        if v.state == PipelineState::Retired.as_str() {
            return Err(AppError::Conflict {
                field: Some("version".into()),
                message: format!("version {version} of {name} is retired"),
            });
        }
        let ts = self
            .store()
            .truth_set(truth.0, truth.1)
            .await?
            .ok_or(AppError::NotFound("truth set"))?;
        let tdir = self.config().truth_dir();
        let truth_vcf = tdir.join(relative_file("truth_set", &ts.vcf)?);
        let regions = ts
            .regions
            .as_deref()
            .map(|r| relative_file("truth_set", r).map(|p| tdir.join(p)))
            .transpose()?;
        let reference = ts
            .reference
            .as_deref()
            .map(|r| relative_file("truth_set", r).map(|p| tdir.join(p)))
            .transpose()?;
        // the query as a local file, and what it is
        let mut temp: Option<PathBuf> = None;
        let (query_path, query_label, query_sha256) = match &query {
            QuerySource::File(f) => {
                let (p, d) = digest_in(&self.config().calls_dir(), "query", f).await?;
                (p, format!("file:{f}"), d)
            }
            QuerySource::Object(id) => {
                let obj = self
                    .object_for(actor, id, None)
                    .await
                    .map_err(|e| match e {
                        AppError::NotFound(_) => {
                            AppError::invalid("object_id", "no such stored object")
                        }
                        e => e,
                    })?;
                if obj.format != "vcf" {
                    return Err(AppError::invalid("object_id", "not a VCF/BCF object"));
                }
                let (pn, pv): (PipelineName, PipelineVersion) = (name.parse()?, version.parse()?);
                if let Some(rec) = obj.pipeline.as_deref().filter(|p| !p.trim().is_empty())
                    && !dp::produced_by(rec, &pn, &pv)
                {
                    return Err(AppError::invalid(
                        "object_id",
                        format!("the object records pipeline {rec:?}, not {name}@{version}"),
                    ));
                }
                if let Some(existing) = self
                    .store()
                    .evaluation_of(name, version, truth, &obj.sha256)
                    .await?
                {
                    return Ok(evaluation_view(existing, false));
                }
                let tmp = self
                    .config()
                    .calls_dir()
                    .join(format!(".incoming-{}.vcf", uuid::Uuid::new_v4()));
                temp = Some(tmp.clone());
                if let Err(e) = self.decrypt_to(actor, &obj, &tmp).await {
                    let _ = tokio::fs::remove_file(&tmp).await;
                    return Err(e);
                }
                (tmp, format!("object:{id}"), obj.sha256.clone())
            }
        };
        let out = async {
            if let Some(existing) = self
                .store()
                .evaluation_of(name, version, truth, &query_sha256)
                .await?
            {
                return Ok(evaluation_view(existing, false));
            }
            let options = zenome_evaluate::Options {
                regions,
                reference,
                truth_sample: Some(ts.sample.clone()),
                ..Default::default()
            };
            let q = query_path.clone();
            // server paths never reach the caller: each file is named by its
            // file name (the query by its label)
            let mut names: Vec<(String, String)> = Vec::new();
            let short = |p: &Path| {
                p.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            };
            names.push((query_path.display().to_string(), query_label.clone()));
            names.push((truth_vcf.display().to_string(), short(&truth_vcf)));
            for p in options.regions.iter().chain(options.reference.iter()) {
                names.push((p.display().to_string(), short(p)));
            }
            let tv = truth_vcf.clone();
            let mut report =
                tokio::task::spawn_blocking(move || zenome_evaluate::evaluate(&tv, &q, &options))
                    .await
                    .map_err(|e| AppError::Internal(format!("evaluation: {e}")))?
                    .map_err(|e| {
                        let mut m = e.to_string();
                        for (full, name) in &names {
                            m = m.replace(full.as_str(), name);
                        }
                        AppError::invalid("query", m)
                    })?;
            report.truth.path = short(&truth_vcf);
            report.query.path = query_label.clone();
            for n in &mut report.notes {
                for (full, name) in &names {
                    *n = n.replace(full.as_str(), name);
                }
            }
            self.record_evaluation(
                actor,
                name,
                version,
                truth,
                &query_label,
                &query_sha256,
                &report,
            )
            .await
        }
        .await;
        if let Some(t) = temp {
            let _ = tokio::fs::remove_file(&t).await;
        }
        out
    }

    /// Stores an evaluation computed by `zenome_evaluate` (the report and
    /// its summary rows in one transaction, audited). The same query digest
    /// for the same version and truth set answers the stored one.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_evaluation(
        &self,
        actor: &Actor,
        name: &str,
        version: &str,
        truth: (&str, &str),
        query: &str,
        query_sha256: &str,
        report: &Report,
    ) -> Result<EvaluationView, AppError> {
        require_staff(actor, "evaluate pipelines")?;
        let v = self.version_row(name, version).await?;
        let ts = self
            .store()
            .truth_set(truth.0, truth.1)
            .await?
            .ok_or(AppError::NotFound("truth set"))?;
        let row = EvaluationRow {
            id: uuid::Uuid::now_v7().to_string(),
            pipeline: v.name.clone(),
            version: v.version.clone(),
            truth_name: ts.name.clone(),
            truth_version: ts.version.clone(),
            regions: ts.regions.clone(),
            query: query.to_string(),
            query_sha256: query_sha256.to_string(),
            base_source: match report.base_source {
                zenome_evaluate::BaseSource::Reference => "reference".into(),
                zenome_evaluate::BaseSource::RefAlleles => "ref_alleles".into(),
            },
            report: serde_json::to_string(report).map_err(|e| AppError::Internal(e.to_string()))?,
            evaluated_by: actor.audit_name(),
            evaluated_at: zenome_store::now(),
            metrics: metric_rows(report),
        };
        let f1 = |t| report.row(t, Filter::Pass).f1;
        let mut entry = AuditEntry::new(
            actor.audit_name(),
            "pipeline.evaluated",
            format!("pipeline:{}@{}", v.name, v.version),
        );
        entry.detail = serde_json::json!({
            "evaluation": row.id,
            "truth_set": format!("{}@{}", ts.name, ts.version),
            "query": row.query,
            "query_sha256": row.query_sha256,
            "snp_pass_f1": f1(VariantType::Snp),
            "indel_pass_f1": f1(VariantType::Indel),
            "engine": concat!("zenome-evaluate ", env!("CARGO_PKG_VERSION")),
        });
        let mut tx = self.store().begin(entry).await?;
        match tx.insert_evaluation(&row).await {
            Err(StoreError::Duplicate { .. }) => {
                drop(tx);
                let existing = self
                    .store()
                    .evaluation_of(name, version, truth, query_sha256)
                    .await?
                    .ok_or_else(|| AppError::Internal("duplicate evaluation not found".into()))?;
                return Ok(evaluation_view(existing, false));
            }
            r => r?,
        }
        tx.commit().await?;
        Ok(evaluation_view(row, true))
    }

    /// Staff make `version` the current one of `name` if the configured
    /// rule finds it not worse than the current version (see [`judge`]);
    /// `reason` is required. The check runs inside the write transaction,
    /// after its lock, so concurrent promotions are judged one after the
    /// other and one version stays current. A refusal (409, naming each
    /// metric, truth set and by how much) is audited too.
    pub async fn promote_pipeline(
        &self,
        actor: &Actor,
        name: &str,
        version: &str,
        reason: &str,
    ) -> Result<PromotionView, AppError> {
        require_staff(actor, "promote pipeline versions")?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(AppError::invalid(
                "reason",
                "say why this version should become current",
            ));
        }
        if reason.chars().count() > 2000 || reason.chars().any(|c| c.is_control() && c != '\n') {
            return Err(AppError::invalid(
                "reason",
                "at most 2000 characters, no control characters",
            ));
        }
        self.version_row(name, version).await?;
        let cfg = &self.config().pipelines;
        let rule = format!("{} (tolerance {})", cfg.promotion.as_str(), cfg.tolerance);
        let target = format!("pipeline:{name}@{version}");
        let mut entry = AuditEntry::new(actor.audit_name(), "pipeline.promoted", target.clone());
        entry.detail = serde_json::json!({"reason": reason, "rule": rule});
        let mut tx = self.store().begin(entry).await?;
        let versions = tx.pipeline_versions_now(name).await?;
        let Some(candidate) = versions.iter().find(|r| r.version == version) else {
            return Err(AppError::NotFound("pipeline version"));
        };
        let state: PipelineState = candidate
            .state
            .parse()
            .map_err(|e| AppError::Internal(format!("stored state: {e}")))?;
        let refuse_state = match state {
            PipelineState::Current => {
                Some(format!("version {version} of {name} is already current"))
            }
            PipelineState::Retired => Some(format!("version {version} of {name} is retired")),
            PipelineState::Registered => None,
        };
        let current = versions
            .iter()
            .find(|r| r.state == PipelineState::Current.as_str())
            .map(|r| r.version.clone());
        let evals = tx.pipeline_evaluations_now(name).await?;
        let j = judge(
            cfg.promotion,
            cfg.tolerance,
            &evals,
            version,
            current.as_deref(),
        );
        let refusals: Vec<String> = refuse_state.into_iter().chain(j.refusals).collect();
        if !refusals.is_empty() {
            drop(tx);
            let mut entry =
                AuditEntry::new(actor.audit_name(), "pipeline.promotion_refused", target);
            entry.detail = serde_json::json!({
                "reason": reason,
                "rule": rule,
                "current": current,
                "refusals": refusals,
            });
            self.store().begin(entry).await?.commit().await?;
            return Err(AppError::Conflict {
                field: Some("version".into()),
                message: format!(
                    "version {version} of {name} is not promoted under rule {rule}: {}",
                    refusals.join("; ")
                ),
            });
        }
        if !tx.make_current(name, version).await? {
            return Err(AppError::Conflict {
                field: Some("version".into()),
                message: format!("version {version} of {name} cannot become current now"),
            });
        }
        let row = PromotionRow {
            id: uuid::Uuid::now_v7().to_string(),
            pipeline: name.to_string(),
            version: version.to_string(),
            previous_version: current,
            rule,
            comparison: serde_json::to_string(&j.lines)
                .map_err(|e| AppError::Internal(e.to_string()))?,
            reason: reason.to_string(),
            promoted_by: actor.audit_name(),
            promoted_at: tx.at(),
            audit_seq: tx.audit_seq(),
        };
        tx.insert_promotion(&row).await?;
        tx.commit().await?;
        Ok(promotion_view(row))
    }

    /// Staff retire a version that is not current (kept, never promoted
    /// again); `reason` is required and audited.
    pub async fn retire_pipeline(
        &self,
        actor: &Actor,
        name: &str,
        version: &str,
        reason: &str,
    ) -> Result<(), AppError> {
        require_staff(actor, "retire pipeline versions")?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(AppError::invalid(
                "reason",
                "say why this version is retired",
            ));
        }
        let v = self.version_row(name, version).await?;
        let mut entry = AuditEntry::new(
            actor.audit_name(),
            "pipeline.retired",
            format!("pipeline:{name}@{version}"),
        );
        entry.detail = serde_json::json!({"reason": reason});
        let mut tx = self.store().begin(entry).await?;
        if !tx.retire_pipeline_version(name, version).await? {
            return Err(AppError::Conflict {
                field: Some("version".into()),
                message: format!(
                    "version {version} of {name} is {}: only a registered version is retired",
                    v.state
                ),
            });
        }
        tx.commit().await?;
        Ok(())
    }
}

fn duplicate_version(spec: &PipelineSpec) -> AppError {
    AppError::Conflict {
        field: Some("version".into()),
        message: format!(
            "pipeline {} version {} is already registered (versions are never reused)",
            spec.name, spec.version
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(version: &str, truth: &str, snp: (f64, f64), indel: (f64, f64)) -> EvaluationRow {
        let m = |t: &str, (r, p): (f64, f64)| MetricRow {
            variant_type: t.into(),
            filter: "PASS".into(),
            truth_total: 100,
            truth_tp: 0,
            truth_fn: 0,
            query_total: 0,
            query_fp: 0,
            query_unk: 0,
            fp_gt: 0,
            recall: Some(r),
            precision: Some(p),
            frac_na: None,
            f1: Some(2.0 * r * p / (r + p)),
        };
        EvaluationRow {
            id: format!("{version}-{truth}"),
            pipeline: "p".into(),
            version: version.into(),
            truth_name: truth.into(),
            truth_version: "1".into(),
            regions: None,
            query: "file:q".into(),
            query_sha256: version.into(),
            base_source: "reference".into(),
            report: "{}".into(),
            evaluated_by: "t".into(),
            evaluated_at: OffsetDateTime::UNIX_EPOCH,
            metrics: vec![m("SNP", snp), m("INDEL", indel)],
        }
    }

    #[test]
    fn the_rule_names_the_metric_truth_set_and_gap() {
        let evals = vec![
            eval("1", "T", (0.99, 0.99), (0.90, 0.95)),
            eval("2", "T", (0.995, 0.99), (0.85, 0.96)),
            eval("3", "T", (0.995, 0.995), (0.92, 0.96)),
        ];
        let j = judge(PromotionRule::NotWorse, 0.0, &evals, "2", Some("1"));
        assert_eq!(j.refusals.len(), 2, "{:?}", j.refusals);
        assert!(
            j.refusals[0].contains("INDEL PASS recall on truth set T@1 is 0.8500, 0.0500 below"),
            "{:?}",
            j.refusals
        );
        // within a tolerance of 0.06 it passes
        assert!(
            judge(PromotionRule::NotWorse, 0.06, &evals, "2", Some("1"))
                .refusals
                .is_empty()
        );
        assert!(
            judge(PromotionRule::NotWorse, 0.0, &evals, "3", Some("1"))
                .refusals
                .is_empty()
        );
        // F1 only: version 2's INDEL F1 is lower too
        let f1 = judge(PromotionRule::F1NotWorse, 0.0, &evals, "2", Some("1"));
        assert_eq!(f1.refusals.len(), 1, "{:?}", f1.refusals);
        assert!(f1.refusals[0].contains("INDEL PASS f1"));
        // no evaluation: refused; first version: allowed with one
        assert!(
            !judge(PromotionRule::NotWorse, 0.0, &evals, "9", None)
                .refusals
                .is_empty()
        );
        assert!(
            judge(PromotionRule::NotWorse, 0.0, &evals, "1", None)
                .refusals
                .is_empty()
        );
        // a truth set the current version has and the candidate lacks
        let mut more = evals.clone();
        more.push(eval("1", "U", (0.9, 0.9), (0.9, 0.9)));
        let j = judge(PromotionRule::NotWorse, 0.0, &more, "3", Some("1"));
        assert!(
            j.refusals
                .iter()
                .any(|r| r.contains("not been evaluated on truth set U@1")),
            "{:?}",
            j.refusals
        );
    }
}
