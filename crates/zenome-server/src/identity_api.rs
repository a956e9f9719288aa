//! Sample identity under `/api/v1/identity` (issue 9): the hold queue and
//! its resolution (data-centre staff), a participant's fingerprints, checks
//! and holds (staff, and the participant's facility), fingerprinting a
//! stored file on demand (staff), and the relatedness pairs behind the
//! portal's plot.

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zenome_app::AppError;
use zenome_app::identity::{CheckView, HoldAction, HoldView, ParticipantIdentity, SampleView};

use crate::AppState;
use crate::api::dto::rfc3339;
use crate::extract::{ApiActor, ApiJson};
use crate::problem::ApiError;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/identity/holds", get(list_holds))
        .route("/api/v1/identity/holds/{id}/resolution", post(resolve))
        .route("/api/v1/identity/participants/{id}", get(participant))
        .route("/api/v1/identity/fingerprints", post(fingerprint))
        .route("/api/v1/identity/relatedness", get(relatedness))
}

/// One check's outcome.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckDto {
    id: String,
    /// `same_library`, `tumour_normal`, `same_participant`, `cohort_match`,
    /// `pedigree`, `undeclared_relative`, `sex`, `contamination`, `coverage`.
    kind: String,
    /// `pass`, `warn` or `fail`.
    verdict: String,
    /// The sample checked (an identity sample id).
    sample_id: String,
    /// The other sample of a pair check.
    other_id: Option<String>,
    /// The other sample's participant.
    other_participant: Option<String>,
    /// The numbers behind the verdict (LOD, kinship, IBS0, sites, sex call…).
    #[schema(value_type = Object)]
    numbers: serde_json::Value,
    /// One sentence.
    message: String,
    /// The hold the failing check opened or joined.
    hold_id: Option<String>,
    /// RFC 3339.
    at: String,
}

impl From<CheckView> for CheckDto {
    fn from(c: CheckView) -> Self {
        Self {
            id: c.id,
            kind: c.kind,
            verdict: c.verdict,
            sample_id: c.sample_id,
            other_id: c.other_id,
            other_participant: c.other_participant,
            numbers: c.numbers,
            message: c.message,
            hold_id: c.hold_id,
            at: rfc3339(c.at),
        }
    }
}

/// A hold on a library, with the checks behind it.
#[derive(Debug, Serialize, ToSchema)]
pub struct HoldDto {
    id: String,
    /// The library held (lineage node id) and its barcode.
    library_id: String,
    library_barcode: Option<String>,
    participant_id: String,
    /// `open`, `released`, `excluded` or `relabelled`.
    state: String,
    opened_at: String,
    resolved_by: Option<String>,
    resolved_at: Option<String>,
    /// The reason recorded with the resolution.
    resolution: Option<String>,
    checks: Vec<CheckDto>,
}

impl From<HoldView> for HoldDto {
    fn from(h: HoldView) -> Self {
        Self {
            id: h.id,
            library_id: h.library_id,
            library_barcode: h.library_barcode,
            participant_id: h.participant_id,
            state: h.state,
            opened_at: rfc3339(h.opened_at),
            resolved_by: h.resolved_by,
            resolved_at: h.resolved_at.map(rfc3339),
            resolution: h.resolution,
            checks: h.checks.into_iter().map(Into::into).collect(),
        }
    }
}

/// A fingerprinted sample.
#[derive(Debug, Serialize, ToSchema)]
pub struct SampleDto {
    id: String,
    /// The stored file (DRS id).
    object_id: String,
    /// The sample name in the file.
    sample: String,
    participant_id: String,
    library_id: String,
    library_barcode: Option<String>,
    tumour: bool,
    /// `genotypes` (VCF) or `reads` (CRAM/BAM).
    evidence: String,
    /// Panel sites called.
    n_called: i64,
    /// Sex call, contamination, mean depth.
    #[schema(value_type = Object)]
    summary: serde_json::Value,
    at: String,
}

impl From<SampleView> for SampleDto {
    fn from(s: SampleView) -> Self {
        Self {
            id: s.id,
            object_id: s.object_id,
            sample: s.sample,
            participant_id: s.participant_id,
            library_id: s.library_id,
            library_barcode: s.library_barcode,
            tumour: s.tumour,
            evidence: s.evidence,
            n_called: s.n_called,
            summary: s.summary,
            at: rfc3339(s.at),
        }
    }
}

/// A participant's sample identity.
#[derive(Debug, Serialize, ToSchema)]
pub struct ParticipantIdentityDto {
    participant_id: String,
    /// True while a library is on hold or excluded: the genome is not
    /// counted, released or served.
    blocked: bool,
    samples: Vec<SampleDto>,
    /// Newest first.
    checks: Vec<CheckDto>,
    holds: Vec<HoldDto>,
}

impl From<ParticipantIdentity> for ParticipantIdentityDto {
    fn from(p: ParticipantIdentity) -> Self {
        Self {
            participant_id: p.participant_id,
            blocked: p.blocked,
            samples: p.samples.into_iter().map(Into::into).collect(),
            checks: p.checks.into_iter().map(Into::into).collect(),
            holds: p.holds.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct HoldParams {
    /// `open` (default), `released`, `excluded` or `all`.
    state: Option<String>,
}

/// The identity hold queue (data-centre staff).
#[utoipa::path(get, path = "/api/v1/identity/holds", tag = "identity", params(HoldParams),
    responses(
        (status = 200, description = "holds, oldest first, with the checks behind each", body = [HoldDto]),
        (status = 422, description = "bad state (named)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not authenticated", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not data-centre staff", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn list_holds(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Query(q): Query<HoldParams>,
) -> Result<Json<Vec<HoldDto>>, ApiError> {
    let state = match q.state.as_deref() {
        None => Some("open"),
        Some("all") => None,
        Some(other) => Some(other),
    };
    let holds = s.app.identity_holds(&a, state).await?;
    Ok(Json(holds.into_iter().map(Into::into).collect()))
}

/// How staff resolve a hold.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolutionDto {
    /// `release` (the sample is who it says), `exclude` (not to be used) or
    /// `relabel` (it is `extract`'s participant's: the library moves there
    /// and is checked again).
    action: String,
    /// For `relabel`: the extract (barcode or node id) of the participant
    /// the library really belongs to.
    #[serde(default)]
    extract: Option<String>,
    /// Why, 1 to 2000 characters; recorded and audited.
    reason: String,
}

/// Resolves an open hold (data-centre staff), with a recorded reason:
/// release, exclude, or relabel to another participant's extract.
#[utoipa::path(post, path = "/api/v1/identity/holds/{id}/resolution", tag = "identity", request_body = ResolutionDto,
    params(("id" = String, Path, description = "hold id")),
    responses(
        (status = 200, description = "the hold as resolved", body = HoldDto),
        (status = 422, description = "bad action or reason (named)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not authenticated", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not data-centre staff", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such hold", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "the hold is resolved already, or (relabel) the library's genotypes are in the variant store", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn resolve(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ResolutionDto>,
) -> Result<Json<HoldDto>, ApiError> {
    let h = if b.action == "relabel" {
        let extract = b
            .extract
            .as_deref()
            .ok_or_else(|| AppError::invalid("extract", "a relabel names the extract"))?;
        s.app
            .relabel_identity_hold(&a, &id, extract, &b.reason)
            .await?
    } else {
        let action = HoldAction::parse(&b.action)
            .ok_or_else(|| AppError::invalid("action", "release, exclude or relabel"))?;
        s.app
            .resolve_identity_hold(&a, &id, action, &b.reason)
            .await?
    };
    Ok(Json(h.into()))
}

/// A participant's fingerprinted samples, checks and holds (staff; the
/// participant's own facility).
#[utoipa::path(get, path = "/api/v1/identity/participants/{id}", tag = "identity",
    params(("id" = String, Path, description = "participant id")),
    responses(
        (status = 200, description = "samples, checks (newest first) and holds", body = ParticipantIdentityDto),
        (status = 401, description = "not authenticated", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "role without access to sample identity", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such participant in the caller's scope", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn participant(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<ParticipantIdentityDto>, ApiError> {
    let id = id.parse().map_err(|_| AppError::NotFound("participant"))?;
    Ok(Json(s.app.participant_identity(&a, &id).await?.into()))
}

/// A stored file to fingerprint.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FingerprintRequestDto {
    /// The stored CRAM, BAM or VCF (DRS id).
    object_id: String,
}

/// What a fingerprinting run did.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunDto {
    /// The identity samples taken.
    samples: Vec<String>,
    checks: usize,
    failed: usize,
    /// Libraries put on hold.
    holds_opened: Vec<String>,
}

/// Fingerprints a stored file and checks it now (data-centre staff): the
/// retry of a failed automatic run. A file already fingerprinted is 409.
#[utoipa::path(post, path = "/api/v1/identity/fingerprints", tag = "identity", request_body = FingerprintRequestDto,
    responses(
        (status = 201, description = "fingerprinted and checked", body = RunDto),
        (status = 422, description = "not a CRAM, BAM or VCF, or unreadable (named)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "not authenticated", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not data-centre staff", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such object", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "fingerprinted already", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn fingerprint(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<FingerprintRequestDto>,
) -> Result<(StatusCode, Json<RunDto>), ApiError> {
    let r = s.app.fingerprint_object(&a, &b.object_id).await?;
    Ok((
        StatusCode::CREATED,
        Json(RunDto {
            samples: r.samples,
            checks: r.checks,
            failed: r.failed,
            holds_opened: r.holds_opened,
        }),
    ))
}

/// One pair of the relatedness plot.
#[derive(Debug, Serialize, ToSchema)]
pub struct PointDto {
    a: String,
    b: String,
    a_participant: String,
    b_participant: String,
    /// KING-robust kinship.
    kinship: f64,
    /// Fraction of shared sites with no allele in common.
    ibs0: f64,
    n_sites: u32,
    /// `same_participant`, `declared_relatives` or `other`.
    expected: String,
}

/// Kinship against IBS0 for the cohort's pairs (data-centre staff): all
/// pairs up to 2,000 samples, the recorded pair checks beyond.
#[utoipa::path(get, path = "/api/v1/identity/relatedness", tag = "identity",
    responses(
        (status = 200, description = "pairs", body = [PointDto]),
        (status = 401, description = "not authenticated", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not data-centre staff", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn relatedness(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<PointDto>>, ApiError> {
    let points = s.app.identity_relatedness(&a, RELATEDNESS_MAX).await?;
    Ok(Json(
        points
            .into_iter()
            .map(|p| PointDto {
                a: p.a,
                b: p.b,
                a_participant: p.a_participant,
                b_participant: p.b_participant,
                kinship: p.kinship,
                ibs0: p.ibs0,
                n_sites: p.n_sites,
                expected: p.expected.into(),
            })
            .collect(),
    ))
}

/// All pairs are drawn up to this many samples.
pub(crate) const RELATEDNESS_MAX: usize = 2_000;
