//! QC re-evaluation per sequencing centre (R4.2) on the wire: the latest run
//! (`GET /api/v1/qc/drift`), the history of runs (`GET
//! /api/v1/qc/drift/runs`) — staff every centre, a sequencing centre its
//! own, as on the QC pages — and a run now (`POST /api/v1/qc/drift/runs`,
//! staff).

use axum::Json;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zenome_app::AppError;
use zenome_app::qc_drift::{CentreDrift, DriftReport, DriftRunOutcome};
use zenome_store::QcDriftResultRow;

use crate::AppState;
use crate::api::dto::rfc3339;
use crate::extract::ApiActor;
use crate::problem::ApiError;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/qc/drift", get(latest))
        .route("/api/v1/qc/drift/runs", get(list_runs).post(run_now))
}

/// One run: when, why, over which periods.
#[derive(Debug, Serialize, ToSchema)]
pub struct QcDriftRunDto {
    id: String,
    /// RFC 3339.
    at: String,
    /// `scheduled`, `requested` or `initial`.
    reason: String,
    /// Who asked (`system:qc_drift` for the schedule).
    requested_by: String,
    /// The recent window: files ingested from `window_start` to `window_end`.
    window_start: String,
    window_end: String,
    /// The centre's baseline: from `baseline_start` to `window_start`.
    baseline_start: String,
    /// Centres in this report.
    centres: i64,
    /// Of which drifting.
    drifting: i64,
}

/// A metric over one group of files.
#[derive(Debug, Serialize, ToSchema)]
pub struct QcDriftGroupDto {
    /// Files (carrying the metric).
    n: i64,
    /// Failure rate (fraction) or median; absent without files.
    value: Option<f64>,
    /// Failed files (failure rate) or the MAD scaled by 1.4826.
    spread: Option<f64>,
}

/// One metric of one centre.
#[derive(Debug, Serialize, ToSchema)]
pub struct QcDriftMetricDto {
    /// `failure_rate`, `fastq_q30`, `fastq_mean_quality`, `alignment_mapped`,
    /// `alignment_duplicates`, `vcf_ts_tv`, `vcf_het_hom`.
    metric: String,
    /// `stable`, `drifting` or `not_enough_data`.
    verdict: String,
    /// `within_limits`, `not_enough_data`, `failure_rate_above_baseline`,
    /// `failure_rate_above_programme`, `median_below_baseline`,
    /// `median_above_baseline`, `median_below_programme`,
    /// `median_above_programme`.
    reason: String,
    /// The reason in English with its numbers.
    note: String,
    /// The centre's recent window.
    window: QcDriftGroupDto,
    /// The centre's own baseline.
    baseline: QcDriftGroupDto,
    /// The rest of the programme over the same window.
    programme: QcDriftGroupDto,
}

/// One centre's verdict.
#[derive(Debug, Serialize, ToSchema)]
pub struct QcDriftCentreDto {
    centre: String,
    name: String,
    name_ja: String,
    /// The worst of its metrics: `drifting`, `stable` or `not_enough_data`.
    verdict: String,
    metrics: Vec<QcDriftMetricDto>,
}

/// A run with the centres the caller may see.
#[derive(Debug, Serialize, ToSchema)]
pub struct QcDriftReportDto {
    /// Absent before the first run.
    run: Option<QcDriftRunDto>,
    centres: Vec<QcDriftCentreDto>,
}

/// A run made now.
#[derive(Debug, Serialize, ToSchema)]
pub struct QcDriftOutcomeDto {
    #[serde(flatten)]
    report: QcDriftReportDto,
    /// `centre:metric` that started drifting with this run (each raised a
    /// `qc_drift` alert).
    newly_drifting: Vec<String>,
}

fn group(n: i64, value: Option<f64>, spread: Option<f64>) -> QcDriftGroupDto {
    QcDriftGroupDto { n, value, spread }
}

fn metric(m: QcDriftResultRow) -> QcDriftMetricDto {
    QcDriftMetricDto {
        window: group(m.window_n, m.window_value, m.window_spread),
        baseline: group(m.baseline_n, m.baseline_value, m.baseline_spread),
        programme: group(m.programme_n, m.programme_value, m.programme_spread),
        metric: m.metric,
        verdict: m.verdict,
        reason: m.reason,
        note: m.note,
    }
}

fn centre(c: CentreDrift) -> QcDriftCentreDto {
    QcDriftCentreDto {
        centre: c.centre,
        name: c.name,
        name_ja: c.name_ja,
        verdict: c.verdict,
        metrics: c.metrics.into_iter().map(metric).collect(),
    }
}

impl From<DriftReport> for QcDriftReportDto {
    fn from(r: DriftReport) -> Self {
        let run = r.run;
        Self {
            run: Some(QcDriftRunDto {
                id: run.id,
                at: rfc3339(run.at),
                reason: run.reason,
                requested_by: run.requested_by,
                window_start: rfc3339(run.window_start),
                window_end: rfc3339(run.window_end),
                baseline_start: rfc3339(run.baseline_start),
                centres: run.centres,
                drifting: run.drifting,
            }),
            centres: r.centres.into_iter().map(centre).collect(),
        }
    }
}

/// The latest QC re-evaluation of the sequencing centres: each centre's
/// verdict and every metric (window, baseline, programme).
#[utoipa::path(get, path = "/api/v1/qc/drift", tag = "files", operation_id = "qc_drift_latest",
    responses(
        (status = 200, description = "the latest run (run absent before the first) with the centres the caller may see", body = QcDriftReportDto),
        (status = 401, description = "not authenticated", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "neither data-centre staff nor a sequencing centre", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn latest(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<QcDriftReportDto>, ApiError> {
    Ok(Json(match s.app.qc_drift_latest(&a).await? {
        Some(r) => r.into(),
        None => QcDriftReportDto {
            run: None,
            centres: Vec::new(),
        },
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct RunsParams {
    /// How many runs, newest first (1–100, default 20).
    limit: Option<i64>,
}

/// The history of QC re-evaluations, newest first.
#[utoipa::path(get, path = "/api/v1/qc/drift/runs", tag = "files", operation_id = "qc_drift_runs",
    params(RunsParams),
    responses(
        (status = 200, description = "runs, newest first, each with the centres the caller may see", body = [QcDriftReportDto]),
        (status = 401, description = "not authenticated", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "neither data-centre staff nor a sequencing centre", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "a query parameter that cannot be read, or a limit outside 1–100 (named)", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn list_runs(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    q: Result<Query<RunsParams>, QueryRejection>,
) -> Result<Json<Vec<QcDriftReportDto>>, ApiError> {
    let Query(q) = q.map_err(|e| AppError::invalid("query", e.body_text()))?;
    let limit = q.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(AppError::invalid("limit", "between 1 and 100").into());
    }
    Ok(Json(
        s.app
            .qc_drift_runs(&a, limit)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Re-evaluates every sequencing centre now (data-centre staff); a metric
/// that starts drifting raises a `qc_drift` alert.
#[utoipa::path(post, path = "/api/v1/qc/drift/runs", tag = "files", operation_id = "qc_drift_run",
    responses(
        (status = 201, description = "the run made now and what started drifting with it", body = QcDriftOutcomeDto),
        (status = 401, description = "not authenticated", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not data-centre staff", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "a [qc_drift] setting out of range (named)", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn run_now(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<(StatusCode, Json<QcDriftOutcomeDto>), ApiError> {
    let DriftRunOutcome {
        report,
        newly_drifting,
    } = s.app.run_qc_drift(&a, "requested").await?;
    Ok((
        StatusCode::CREATED,
        Json(QcDriftOutcomeDto {
            report: report.into(),
            newly_drifting: newly_drifting
                .into_iter()
                .map(|(c, m)| format!("{c}:{m}"))
                .collect(),
        }),
    ))
}
