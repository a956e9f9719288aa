//! Pipelines and their evaluation (issue 11) on the wire:
//! `/api/v1/pipelines` (list, register a version), `/api/v1/pipelines/{name}`
//! (versions, evaluations, promotions, results),
//! `…/{name}/{version}/evaluations|promote|retire`, and `/api/v1/truth-sets`.
//! Data-centre staff write; staff and admins read.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zenome_app::AppError;
use zenome_app::pipelines::{
    ComparisonLine, EvaluationView, MetricView, NewPipelineVersion, NewTruthSet, PipelineDetail,
    PipelineSummary, PromotionView, QuerySource, ResultView, TruthSetView, VersionView,
};

use crate::AppState;
use crate::extract::{ApiActor, ApiJson};
use crate::problem::ApiError;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/pipelines",
            get(list_pipelines).post(register_pipeline),
        )
        .route("/api/v1/pipelines/{name}", get(get_pipeline))
        .route(
            "/api/v1/pipelines/{name}/{version}/evaluations",
            post(evaluate_pipeline),
        )
        .route(
            "/api/v1/pipelines/{name}/{version}/promote",
            post(promote_pipeline),
        )
        .route(
            "/api/v1/pipelines/{name}/{version}/retire",
            post(retire_pipeline),
        )
        .route(
            "/api/v1/truth-sets",
            get(list_truth_sets).post(register_truth_set),
        )
}

/// A tool and its version.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ToolDto {
    name: String,
    version: String,
}

/// The reference a version runs against.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferenceDto {
    /// `GRCh38`, `GRCh37`…
    assembly: String,
    /// The FASTA's file name.
    fasta: String,
}

/// A pipeline version to register.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewVersionDto {
    /// Any UTF-8 text (Japanese too), 1–100 characters, no control
    /// characters, `/` or `@`.
    name: String,
    /// 1–50 characters, no white space, `/` or `@`.
    version: String,
    /// `caller`, `filter`, `model`, `aligner`, `annotator` or `workflow`
    /// (the same for every version of a name).
    kind: String,
    #[serde(default)]
    tools: Vec<ToolDto>,
    reference: ReferenceDto,
    /// A JSON object.
    #[serde(default = "empty_object")]
    #[schema(value_type = Object)]
    parameters: serde_json::Value,
    /// `sha256:` and 64 lowercase hex digits.
    #[serde(default)]
    container_digest: Option<String>,
}

fn empty_object() -> serde_json::Value {
    serde_json::json!({})
}

/// A registered version.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionDto {
    name: String,
    version: String,
    /// `name@version`: how a file's or batch's `pipeline` names it.
    label: String,
    kind: String,
    tools: Vec<ToolDto>,
    reference: ReferenceDto,
    #[schema(value_type = Object)]
    parameters: serde_json::Value,
    container_digest: Option<String>,
    /// `registered`, `current` or `retired`.
    state: String,
    registered_by: String,
    /// RFC 3339.
    registered_at: String,
}

impl From<VersionView> for VersionDto {
    fn from(v: VersionView) -> Self {
        Self {
            name: v.name,
            version: v.version,
            label: v.label,
            kind: v.kind,
            tools: v
                .tools
                .into_iter()
                .map(|t| ToolDto {
                    name: t.name,
                    version: t.version,
                })
                .collect(),
            reference: ReferenceDto {
                assembly: v.reference_assembly,
                fasta: v.reference_fasta,
            },
            parameters: v.parameters,
            container_digest: v.container_digest,
            state: v.state,
            registered_by: v.registered_by,
            registered_at: v.registered_at,
        }
    }
}

/// A pipeline in the list.
#[derive(Debug, Serialize, ToSchema)]
pub struct PipelineSummaryDto {
    name: String,
    kind: String,
    versions: Vec<String>,
    current: Option<String>,
    evaluations: usize,
}

impl From<PipelineSummary> for PipelineSummaryDto {
    fn from(p: PipelineSummary) -> Self {
        Self {
            name: p.name,
            kind: p.kind,
            versions: p.versions,
            current: p.current,
            evaluations: p.evaluations,
        }
    }
}

/// One summary row (hap.py's `summary.csv` line).
#[derive(Debug, Serialize, ToSchema)]
pub struct MetricDto {
    /// `SNP` or `INDEL`.
    #[serde(rename = "type")]
    variant_type: String,
    /// `ALL` or `PASS`.
    filter: String,
    truth_total: i64,
    tp: i64,
    #[serde(rename = "fn")]
    fn_: i64,
    query_total: i64,
    fp: i64,
    unk: i64,
    fp_gt: i64,
    recall: Option<f64>,
    precision: Option<f64>,
    frac_na: Option<f64>,
    f1: Option<f64>,
}

impl From<MetricView> for MetricDto {
    fn from(m: MetricView) -> Self {
        Self {
            variant_type: m.variant_type,
            filter: m.filter,
            truth_total: m.truth_total,
            tp: m.tp,
            fn_: m.fn_,
            query_total: m.query_total,
            fp: m.fp,
            unk: m.unk,
            fp_gt: m.fp_gt,
            recall: m.recall,
            precision: m.precision,
            frac_na: m.frac_na,
            f1: m.f1,
        }
    }
}

/// A stored evaluation.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvaluationDto {
    id: String,
    pipeline: String,
    version: String,
    truth_set: String,
    truth_version: String,
    /// The confident-regions file used.
    regions: Option<String>,
    /// `object:<id>` or `file:<name>`.
    query: String,
    query_sha256: String,
    /// `reference` (full haplotype comparison) or `ref_alleles`.
    base_source: String,
    evaluated_by: String,
    evaluated_at: String,
    /// SNP and INDEL × ALL and PASS.
    metrics: Vec<MetricDto>,
    /// The whole report (`zenome evaluate --format json`).
    #[schema(value_type = Object)]
    report: serde_json::Value,
    /// False: this call set was evaluated against this truth set before;
    /// that evaluation is answered and nothing new stored.
    created: bool,
}

impl From<EvaluationView> for EvaluationDto {
    fn from(e: EvaluationView) -> Self {
        Self {
            id: e.id,
            pipeline: e.pipeline,
            version: e.version,
            truth_set: e.truth_set,
            truth_version: e.truth_version,
            regions: e.regions,
            query: e.query,
            query_sha256: e.query_sha256,
            base_source: e.base_source,
            evaluated_by: e.evaluated_by,
            evaluated_at: e.evaluated_at,
            metrics: e.metrics.into_iter().map(Into::into).collect(),
            report: e.report,
            created: e.created,
        }
    }
}

/// One metric compared for a promotion.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComparisonDto {
    truth_set: String,
    /// `SNP` or `INDEL` (PASS).
    variant_type: String,
    /// `recall`, `precision` or `f1`.
    metric: String,
    candidate: Option<f64>,
    current: Option<f64>,
    difference: Option<f64>,
    ok: bool,
}

impl From<ComparisonLine> for ComparisonDto {
    fn from(c: ComparisonLine) -> Self {
        Self {
            truth_set: c.truth_set,
            variant_type: c.variant_type,
            metric: c.metric,
            candidate: c.candidate,
            current: c.current,
            difference: c.difference,
            ok: c.ok,
        }
    }
}

/// A promotion: who made which version current, instead of which, why.
#[derive(Debug, Serialize, ToSchema)]
pub struct PromotionDto {
    version: String,
    previous_version: Option<String>,
    /// The rule and tolerance in force.
    rule: String,
    comparison: Vec<ComparisonDto>,
    reason: String,
    promoted_by: String,
    promoted_at: String,
}

impl From<PromotionView> for PromotionDto {
    fn from(p: PromotionView) -> Self {
        Self {
            version: p.version,
            previous_version: p.previous_version,
            rule: p.rule,
            comparison: p.comparison.into_iter().map(Into::into).collect(),
            reason: p.reason,
            promoted_by: p.promoted_by,
            promoted_at: p.promoted_at,
        }
    }
}

/// A result a version produced.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResultDto {
    /// `file` or `variant_batch`.
    kind: String,
    id: String,
    version: String,
    name: String,
    format: String,
    participant_id: Option<String>,
    /// The `pipeline` text as recorded with the result.
    recorded: String,
    at: String,
}

impl From<ResultView> for ResultDto {
    fn from(r: ResultView) -> Self {
        Self {
            kind: r.kind,
            id: r.id,
            version: r.version,
            name: r.name,
            format: r.format,
            participant_id: r.participant_id,
            recorded: r.recorded,
            at: r.at,
        }
    }
}

/// A pipeline with its versions, evaluations, promotions and results.
#[derive(Debug, Serialize, ToSchema)]
pub struct PipelineDto {
    name: String,
    kind: String,
    current: Option<String>,
    versions: Vec<VersionDto>,
    evaluations: Vec<EvaluationDto>,
    /// Newest first: the first says why the current version is current.
    promotions: Vec<PromotionDto>,
    /// Files and variant batches whose recorded pipeline names a version
    /// (data-centre staff only).
    results: Vec<ResultDto>,
    /// The promotion rule in force (`not_worse`, `f1_not_worse`).
    rule: String,
    tolerance: f64,
}

impl From<PipelineDetail> for PipelineDto {
    fn from(d: PipelineDetail) -> Self {
        Self {
            name: d.name,
            kind: d.kind,
            current: d.current,
            versions: d.versions.into_iter().map(Into::into).collect(),
            evaluations: d.evaluations.into_iter().map(Into::into).collect(),
            promotions: d.promotions.into_iter().map(Into::into).collect(),
            results: d.results.into_iter().map(Into::into).collect(),
            rule: d.rule,
            tolerance: d.tolerance,
        }
    }
}

/// What to evaluate: a truth set and the version's call set, either a
/// stored VCF object or a file in `[pipelines] calls_dir`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluateDto {
    truth_set: String,
    truth_version: String,
    /// A stored VCF object's id…
    #[serde(default)]
    object_id: Option<String>,
    /// …or a file name under the calls directory.
    #[serde(default)]
    file: Option<String>,
}

/// Why a version should become current (or be retired).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonDto {
    reason: String,
}

/// A truth set to register; file names are relative to `[pipelines]
/// truth_dir`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTruthSetDto {
    name: String,
    version: String,
    /// The truth VCF's sample column.
    sample: String,
    assembly: String,
    vcf: String,
    /// Confident regions (BED).
    #[serde(default)]
    regions: Option<String>,
    /// A reference FASTA (indexed) for the full haplotype comparison.
    #[serde(default)]
    reference: Option<String>,
}

/// A registered truth set.
#[derive(Debug, Serialize, ToSchema)]
pub struct TruthSetDto {
    name: String,
    version: String,
    sample: String,
    assembly: String,
    vcf: String,
    vcf_sha256: String,
    regions: Option<String>,
    regions_sha256: Option<String>,
    reference: Option<String>,
    registered_by: String,
    registered_at: String,
}

impl From<TruthSetView> for TruthSetDto {
    fn from(t: TruthSetView) -> Self {
        Self {
            name: t.name,
            version: t.version,
            sample: t.sample,
            assembly: t.assembly,
            vcf: t.vcf,
            vcf_sha256: t.vcf_sha256,
            regions: t.regions,
            regions_sha256: t.regions_sha256,
            reference: t.reference,
            registered_by: t.registered_by,
            registered_at: t.registered_at,
        }
    }
}

/// Pipelines with their versions and which is current.
#[utoipa::path(get, path = "/api/v1/pipelines", tag = "pipelines", operation_id = "list_pipelines",
    responses(
        (status = 200, description = "pipelines by name", body = [PipelineSummaryDto]),
        (status = 401, description = "not authenticated", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not data-centre staff or admin", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn list_pipelines(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<PipelineSummaryDto>>, ApiError> {
    Ok(Json(
        s.app
            .pipelines(&a)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Data-centre staff register a pipeline version.
#[utoipa::path(post, path = "/api/v1/pipelines", tag = "pipelines", operation_id = "register_pipeline_version", request_body = NewVersionDto,
    responses(
        (status = 201, description = "registered", body = VersionDto),
        (status = 401, description = "not authenticated", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not data-centre staff", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "the version exists (versions are never reused), or another kind than the pipeline's", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "a field that does not fit (named)", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn register_pipeline(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(req): ApiJson<NewVersionDto>,
) -> Result<(StatusCode, Json<VersionDto>), ApiError> {
    let v = s
        .app
        .register_pipeline(
            &a,
            NewPipelineVersion {
                name: req.name,
                version: req.version,
                kind: req.kind,
                tools: req.tools.into_iter().map(|t| (t.name, t.version)).collect(),
                reference_assembly: req.reference.assembly,
                reference_fasta: req.reference.fasta,
                parameters: req.parameters,
                container_digest: req.container_digest,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(v.into())))
}

/// A pipeline: versions, evaluations, promotions and the results its
/// versions produced.
#[utoipa::path(get, path = "/api/v1/pipelines/{name}", tag = "pipelines", operation_id = "get_pipeline",
    params(("name" = String, Path, description = "pipeline name (percent-encoded)")),
    responses(
        (status = 200, description = "the pipeline", body = PipelineDto),
        (status = 401, description = "not authenticated", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not data-centre staff or admin", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no pipeline of that name", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn get_pipeline(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(name): Path<String>,
) -> Result<Json<PipelineDto>, ApiError> {
    Ok(Json(s.app.pipeline(&a, &name).await?.into()))
}

/// Data-centre staff evaluate a version's call set against a truth set;
/// the report and its summary rows are stored.
#[utoipa::path(post, path = "/api/v1/pipelines/{name}/{version}/evaluations", tag = "pipelines", operation_id = "evaluate_pipeline_version", request_body = EvaluateDto,
    params(("name" = String, Path, description = "pipeline name"), ("version" = String, Path, description = "version")),
    responses(
        (status = 201, description = "evaluated and stored", body = EvaluationDto),
        (status = 200, description = "this call set was evaluated against this truth set before: that evaluation", body = EvaluationDto),
        (status = 401, description = "not authenticated", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not data-centre staff", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such version or truth set", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "the version is retired", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "the call set cannot be evaluated (named: file, object, sample, assembly…)", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn evaluate_pipeline(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path((name, version)): Path<(String, String)>,
    ApiJson(req): ApiJson<EvaluateDto>,
) -> Result<(StatusCode, Json<EvaluationDto>), ApiError> {
    let query = match (req.object_id, req.file) {
        (Some(o), None) => QuerySource::Object(o),
        (None, Some(f)) => QuerySource::File(f),
        _ => {
            return Err(AppError::invalid(
                "object_id",
                "give either object_id (a stored VCF) or file (in the calls directory)",
            )
            .into());
        }
    };
    let e = s
        .app
        .evaluate_pipeline(
            &a,
            &name,
            &version,
            (&req.truth_set, &req.truth_version),
            query,
        )
        .await?;
    let status = if e.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(e.into())))
}

/// Data-centre staff make a version current, if the configured rule finds
/// it not worse than the current one on every truth set.
#[utoipa::path(post, path = "/api/v1/pipelines/{name}/{version}/promote", tag = "pipelines", operation_id = "promote_pipeline_version", request_body = ReasonDto,
    params(("name" = String, Path, description = "pipeline name"), ("version" = String, Path, description = "version")),
    responses(
        (status = 200, description = "promoted: the promotion record", body = PromotionDto),
        (status = 401, description = "not authenticated", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not data-centre staff", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such version", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "refused: which metric on which truth set is worse and by how much; or already current, retired, not evaluated", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "no reason given", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn promote_pipeline(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path((name, version)): Path<(String, String)>,
    ApiJson(req): ApiJson<ReasonDto>,
) -> Result<Json<PromotionDto>, ApiError> {
    Ok(Json(
        s.app
            .promote_pipeline(&a, &name, &version, &req.reason)
            .await?
            .into(),
    ))
}

/// Data-centre staff retire a version that is not current.
#[utoipa::path(post, path = "/api/v1/pipelines/{name}/{version}/retire", tag = "pipelines", operation_id = "retire_pipeline_version", request_body = ReasonDto,
    params(("name" = String, Path, description = "pipeline name"), ("version" = String, Path, description = "version")),
    responses(
        (status = 204, description = "retired"),
        (status = 401, description = "not authenticated", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not data-centre staff", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such version", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "the version is current or retired", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "no reason given", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn retire_pipeline(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path((name, version)): Path<(String, String)>,
    ApiJson(req): ApiJson<ReasonDto>,
) -> Result<StatusCode, ApiError> {
    s.app
        .retire_pipeline(&a, &name, &version, &req.reason)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Registered truth sets.
#[utoipa::path(get, path = "/api/v1/truth-sets", tag = "pipelines", operation_id = "list_truth_sets",
    responses(
        (status = 200, description = "truth sets", body = [TruthSetDto]),
        (status = 401, description = "not authenticated", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not data-centre staff or admin", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn list_truth_sets(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<TruthSetDto>>, ApiError> {
    Ok(Json(
        s.app
            .truth_sets(&a)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Data-centre staff register a truth set whose files are in the truth-set
/// directory.
#[utoipa::path(post, path = "/api/v1/truth-sets", tag = "pipelines", operation_id = "register_truth_set", request_body = NewTruthSetDto,
    responses(
        (status = 201, description = "registered, with the files' digests", body = TruthSetDto),
        (status = 401, description = "not authenticated", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not data-centre staff", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "the version exists", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "a field that does not fit, or a file that is not there (named)", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn register_truth_set(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(req): ApiJson<NewTruthSetDto>,
) -> Result<(StatusCode, Json<TruthSetDto>), ApiError> {
    let t = s
        .app
        .register_truth_set(
            &a,
            NewTruthSet {
                name: req.name,
                version: req.version,
                sample: req.sample,
                assembly: req.assembly,
                vcf: req.vcf,
                regions: req.regions,
                reference: req.reference,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(t.into())))
}
