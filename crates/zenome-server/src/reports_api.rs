//! Return of results (issue 13): patient reports and recontact requests.
//! `/api/v1/reports` lists what the caller may see (a clinician: the
//! facility's released reports and stop notices; data-centre staff: every
//! report, the review queue), each with links to its HTML and PDF; the
//! workflow's steps are POSTs on a report; recontact requests live under
//! `/api/v1/recontacts`.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zenome_app::AppError;
use zenome_app::reports::{Reanalysis, RecontactView, ReportEventView, ReportView};

use crate::AppState;
use crate::extract::{ApiActor, ApiJson};
use crate::problem::ApiError;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/reports", get(list_reports).post(draft_report))
        .route("/api/v1/reports/reanalysis", post(reanalyse))
        .route("/api/v1/reports/{id}", get(get_report))
        .route("/api/v1/reports/{id}/html", get(report_html))
        .route("/api/v1/reports/{id}/pdf", get(report_pdf))
        .route("/api/v1/reports/{id}/comments", post(comment))
        .route("/api/v1/reports/{id}/interpretation", put(interpretation))
        .route("/api/v1/reports/{id}/sign-off", post(sign_off))
        .route("/api/v1/reports/{id}/release", post(release))
        .route("/api/v1/reports/{id}/acknowledge", post(acknowledge))
        .route("/api/v1/reports/{id}/conveyed", post(conveyed))
        .route(
            "/api/v1/recontacts",
            get(list_recontacts).post(raise_recontact),
        )
        .route("/api/v1/recontacts/{id}/confirm", post(confirm_recontact))
        .route("/api/v1/recontacts/{id}/dismiss", post(dismiss_recontact))
        .route("/api/v1/recontacts/{id}/outcome", post(recontact_outcome))
}

/// One step of a report's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportEventDto {
    /// RFC 3339.
    at: String,
    actor: String,
    /// `draft`, `comment`, `edit_interpretation`, `sign_off`, `release`,
    /// `acknowledge`, `convey`, `supersede`, `stop`.
    action: String,
    #[schema(value_type = Object)]
    detail: serde_json::Value,
}

impl From<ReportEventView> for ReportEventDto {
    fn from(e: ReportEventView) -> Self {
        Self {
            at: e.at,
            actor: e.actor,
            action: e.action,
            detail: e.detail,
        }
    }
}

/// A patient report.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportDto {
    id: String,
    participant_id: String,
    /// The collecting facility: the only one the report goes to.
    facility: String,
    version: i64,
    /// `cancer` or `rare_disease`.
    kind: String,
    /// `draft`, `signed_off`, `released`, `acknowledged`, `conveyed`,
    /// `superseded`, `stopped`.
    status: String,
    /// SHA-256 of the frozen content (printed on the report).
    content_sha256: String,
    created_at: String,
    signed_off_by: Option<String>,
    signed_off_at: Option<String>,
    released_at: Option<String>,
    acknowledged_by: Option<String>,
    acknowledged_at: Option<String>,
    conveyed_on: Option<String>,
    superseded_by: Option<String>,
    /// Why it was stopped before release (what the facility is told).
    stopped_reason: Option<String>,
    /// `{"html": …, "pdf": …}` (absent for a stop notice).
    #[schema(value_type = Object)]
    links: serde_json::Value,
    /// The content (zenome-reports' `ReportContent`), where the caller may
    /// read it; only in `GET /api/v1/reports/{id}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object)]
    content: Option<serde_json::Value>,
    /// Oldest first; only in `GET /api/v1/reports/{id}`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    history: Vec<ReportEventDto>,
}

fn dto(r: ReportView, with_content: bool) -> ReportDto {
    let links = if r.content.is_some() {
        serde_json::json!({
            "html": format!("/api/v1/reports/{}/html", r.id),
            "pdf": format!("/api/v1/reports/{}/pdf", r.id),
            "portal": format!("/portal/reports/{}", r.id),
        })
    } else {
        serde_json::json!({})
    };
    ReportDto {
        content: if with_content {
            r.content
                .as_ref()
                .and_then(|c| serde_json::to_value(c).ok())
        } else {
            None
        },
        links,
        id: r.id,
        participant_id: r.participant_id,
        facility: r.facility,
        version: r.version,
        kind: r.kind,
        status: r.status,
        content_sha256: r.content_sha256,
        created_at: r.created_at,
        signed_off_by: r.signed_off_by,
        signed_off_at: r.signed_off_at,
        released_at: r.released_at,
        acknowledged_by: r.acknowledged_by,
        acknowledged_at: r.acknowledged_at,
        conveyed_on: r.conveyed_on,
        superseded_by: r.superseded_by,
        stopped_reason: r.stopped_reason,
        history: r.history.into_iter().map(Into::into).collect(),
    }
}

/// The reports the caller may see, newest first.
#[utoipa::path(get, path = "/api/v1/reports", tag = "reports",
    responses(
        (status = 200, description = "reports with status and links", body = [ReportDto]),
        (status = 401, description = "not authenticated", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "neither data-centre staff nor a clinician", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn list_reports(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<ReportDto>>, ApiError> {
    Ok(Json(
        s.app
            .reports(&a)
            .await?
            .into_iter()
            .map(|r| dto(r, false))
            .collect(),
    ))
}

/// Which participant to report on.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftRequest {
    participant_id: String,
}

/// Drafts a new report version (data-centre staff).
#[utoipa::path(post, path = "/api/v1/reports", tag = "reports", request_body = DraftRequest,
    responses(
        (status = 201, description = "the draft", body = ReportDto),
        (status = 403, description = "not data-centre staff", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such participant", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "consent does not ask for results, identity hold, or nothing to report on (the message says which)", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn draft_report(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<DraftRequest>,
) -> Result<(StatusCode, Json<ReportDto>), ApiError> {
    let id = b
        .participant_id
        .parse()
        .map_err(|_| AppError::NotFound("participant"))?;
    Ok((
        StatusCode::CREATED,
        Json(dto(s.app.draft_report(&a, &id).await?, true)),
    ))
}

/// One report with its content and history.
#[utoipa::path(get, path = "/api/v1/reports/{id}", tag = "reports",
    params(("id" = String, Path, description = "report id")),
    responses(
        (status = 200, description = "the report", body = ReportDto),
        (status = 403, description = "neither data-centre staff nor a clinician", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such report for the caller (another facility's, or not released)", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn get_report(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<ReportDto>, ApiError> {
    Ok(Json(dto(s.app.report(&a, &id).await?, true)))
}

/// The report as a standalone HTML document (Japanese and English labels).
#[utoipa::path(get, path = "/api/v1/reports/{id}/html", tag = "reports",
    params(("id" = String, Path, description = "report id")),
    responses(
        (status = 200, description = "HTML", content_type = "text/html"),
        (status = 404, description = "no such report for the caller", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn report_html(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let html = s.app.report_html(&a, &id, true).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            // the document carries its own style: allowed for it alone
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
            ),
        ],
        html,
    )
        .into_response())
}

/// The report as PDF (rendered by headless Chromium, fonts embedded).
#[utoipa::path(get, path = "/api/v1/reports/{id}/pdf", tag = "reports",
    params(("id" = String, Path, description = "report id")),
    responses(
        (status = 200, description = "PDF", content_type = "application/pdf"),
        (status = 404, description = "no such report for the caller", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "the renderer is not available ([reports] chromium)", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn report_pdf(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(pdf_response(&id, s.app.report_pdf(&a, &id).await?))
}

/// A report's PDF as a download (the API's and the portal's).
pub(crate) fn pdf_response(id: &str, pdf: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"report-{id}.pdf\""),
            ),
        ],
        pdf,
    )
        .into_response()
}

/// A reviewer's comment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentRequest {
    comment: String,
}

/// Comments on a report under review (data-centre staff).
#[utoipa::path(post, path = "/api/v1/reports/{id}/comments", tag = "reports", request_body = CommentRequest,
    params(("id" = String, Path, description = "report id")),
    responses(
        (status = 200, description = "the report", body = ReportDto),
        (status = 403, description = "not data-centre staff", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "not under review", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn comment(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<CommentRequest>,
) -> Result<Json<ReportDto>, ApiError> {
    Ok(Json(dto(
        s.app.comment_report(&a, &id, &b.comment).await?,
        true,
    )))
}

/// The interpretation text.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InterpretationRequest {
    interpretation: String,
}

/// Replaces a draft's interpretation (data-centre staff).
#[utoipa::path(put, path = "/api/v1/reports/{id}/interpretation", tag = "reports", request_body = InterpretationRequest,
    params(("id" = String, Path, description = "report id")),
    responses(
        (status = 200, description = "the report", body = ReportDto),
        (status = 403, description = "not data-centre staff", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "no longer a draft", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn interpretation(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<InterpretationRequest>,
) -> Result<Json<ReportDto>, ApiError> {
    Ok(Json(dto(
        s.app
            .edit_interpretation(&a, &id, &b.interpretation)
            .await?,
        true,
    )))
}

/// The reviewer's second factor.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignOffRequest {
    /// A current TOTP code of the signing reviewer (not one already used).
    totp: String,
}

/// Signs a draft off (data-centre staff, logged in, with a fresh TOTP code).
#[utoipa::path(post, path = "/api/v1/reports/{id}/sign-off", tag = "reports", request_body = SignOffRequest,
    params(("id" = String, Path, description = "report id")),
    responses(
        (status = 200, description = "signed off", body = ReportDto),
        (status = 403, description = "not data-centre staff, or an API token instead of a person", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "not a draft, or stopped now (consent, identity): the message says why", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "the second factor is missing, wrong or already used", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn sign_off(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<SignOffRequest>,
) -> Result<Json<ReportDto>, ApiError> {
    Ok(Json(dto(
        s.app.sign_off_report(&a, &id, &b.totp).await?,
        true,
    )))
}

/// Sends a signed-off report to the collecting facility (data-centre staff).
#[utoipa::path(post, path = "/api/v1/reports/{id}/release", tag = "reports",
    params(("id" = String, Path, description = "report id")),
    responses(
        (status = 200, description = "released", body = ReportDto),
        (status = 403, description = "not data-centre staff", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "not signed off, or stopped now (consent withdrawn or changed, identity hold): the facility is told", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn release(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<ReportDto>, ApiError> {
    Ok(Json(dto(s.app.release_report(&a, &id).await?, true)))
}

/// The facility's clinician has read the report.
#[utoipa::path(post, path = "/api/v1/reports/{id}/acknowledge", tag = "reports",
    params(("id" = String, Path, description = "report id")),
    responses(
        (status = 200, description = "acknowledged", body = ReportDto),
        (status = 403, description = "not a clinician", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such released report at the caller's facility", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "not released", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn acknowledge(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<ReportDto>, ApiError> {
    Ok(Json(dto(s.app.acknowledge_report(&a, &id).await?, true)))
}

/// When the result was conveyed to the patient.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConveyedRequest {
    /// `YYYY-MM-DD`.
    conveyed_on: String,
}

/// Records that the clinician conveyed the result to the patient.
#[utoipa::path(post, path = "/api/v1/reports/{id}/conveyed", tag = "reports", request_body = ConveyedRequest,
    params(("id" = String, Path, description = "report id")),
    responses(
        (status = 200, description = "recorded", body = ReportDto),
        (status = 403, description = "not a clinician", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such released report at the caller's facility", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "not acknowledged", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "not a date, before the release or in the future", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn conveyed(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ConveyedRequest>,
) -> Result<Json<ReportDto>, ApiError> {
    Ok(Json(dto(
        s.app.convey_report(&a, &id, &b.conveyed_on).await?,
        true,
    )))
}

/// What a re-analysis did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReanalysisDto {
    compared: usize,
    /// `[participant, new report, previous report]`.
    redrafted: Vec<(String, String, String)>,
    /// Recontact requests proposed.
    proposed: Vec<String>,
}

impl From<Reanalysis> for ReanalysisDto {
    fn from(r: Reanalysis) -> Self {
        Self {
            compared: r.compared,
            redrafted: r.redrafted,
            proposed: r.proposed,
        }
    }
}

/// Re-analyses every reported participant (data-centre staff): a changed
/// actionable content drafts a new version and proposes a recontact.
#[utoipa::path(post, path = "/api/v1/reports/reanalysis", tag = "reports",
    responses(
        (status = 200, description = "what changed", body = ReanalysisDto),
        (status = 403, description = "not data-centre staff", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn reanalyse(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<ReanalysisDto>, ApiError> {
    Ok(Json(s.app.reanalyse_reports(&a).await?.into()))
}

/// A recontact request.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecontactDto {
    id: String,
    participant_id: String,
    facility: String,
    /// `new_finding`, `trial`, `consent_update`.
    reason: String,
    detail: String,
    /// `proposed`, `open`, `closed`, `dismissed`.
    status: String,
    report_id: Option<String>,
    raised_by: String,
    raised_at: String,
    outcome: Option<String>,
    outcome_by: Option<String>,
    outcome_at: Option<String>,
}

impl From<RecontactView> for RecontactDto {
    fn from(r: RecontactView) -> Self {
        Self {
            id: r.id,
            participant_id: r.participant_id,
            facility: r.facility,
            reason: r.reason,
            detail: r.detail,
            status: r.status,
            report_id: r.report_id,
            raised_by: r.raised_by,
            raised_at: r.raised_at,
            outcome: r.outcome,
            outcome_by: r.outcome_by,
            outcome_at: r.outcome_at,
        }
    }
}

/// Recontact requests the caller may see (never a participant who declined
/// recontact).
#[utoipa::path(get, path = "/api/v1/recontacts", tag = "reports",
    responses(
        (status = 200, description = "requests, newest first", body = [RecontactDto]),
        (status = 403, description = "neither data-centre staff nor a clinician", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn list_recontacts(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<RecontactDto>>, ApiError> {
    Ok(Json(
        s.app
            .recontacts(&a)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// A recontact request to raise.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecontactRequest {
    participant_id: String,
    /// `new_finding`, `trial` or `consent_update`.
    reason: String,
    detail: String,
}

/// Raises a recontact request to the participant's facility (data-centre
/// staff); refused for a participant who declined recontact.
#[utoipa::path(post, path = "/api/v1/recontacts", tag = "reports", request_body = RecontactRequest,
    responses(
        (status = 201, description = "raised", body = RecontactDto),
        (status = 403, description = "not data-centre staff", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "the participant declined recontact", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "unknown reason or empty detail", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn raise_recontact(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<RecontactRequest>,
) -> Result<(StatusCode, Json<RecontactDto>), ApiError> {
    let id = b
        .participant_id
        .parse()
        .map_err(|_| AppError::NotFound("participant"))?;
    Ok((
        StatusCode::CREATED,
        Json(
            s.app
                .raise_recontact(&a, &id, &b.reason, &b.detail)
                .await?
                .into(),
        ),
    ))
}

/// Confirms a proposed request: it goes to the facility (data-centre staff).
#[utoipa::path(post, path = "/api/v1/recontacts/{id}/confirm", tag = "reports",
    params(("id" = String, Path, description = "request id")),
    responses(
        (status = 200, description = "open", body = RecontactDto),
        (status = 403, description = "not data-centre staff", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "not proposed", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn confirm_recontact(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<RecontactDto>, ApiError> {
    Ok(Json(s.app.decide_recontact(&a, &id, true).await?.into()))
}

/// Dismisses a proposed request (data-centre staff).
#[utoipa::path(post, path = "/api/v1/recontacts/{id}/dismiss", tag = "reports",
    params(("id" = String, Path, description = "request id")),
    responses(
        (status = 200, description = "dismissed", body = RecontactDto),
        (status = 403, description = "not data-centre staff", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "not proposed", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn dismiss_recontact(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<RecontactDto>, ApiError> {
    Ok(Json(s.app.decide_recontact(&a, &id, false).await?.into()))
}

/// What happened when the facility recontacted the patient.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutcomeRequest {
    outcome: String,
}

/// The facility's clinician records the outcome of an open request.
#[utoipa::path(post, path = "/api/v1/recontacts/{id}/outcome", tag = "reports", request_body = OutcomeRequest,
    params(("id" = String, Path, description = "request id")),
    responses(
        (status = 200, description = "closed", body = RecontactDto),
        (status = 403, description = "not a clinician", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such open request at the caller's facility", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "not open", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn recontact_outcome(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<OutcomeRequest>,
) -> Result<Json<RecontactDto>, ApiError> {
    Ok(Json(
        s.app
            .record_recontact_outcome(&a, &id, &b.outcome)
            .await?
            .into(),
    ))
}
