//! The secondary-use API: datasets, applications and their review, grants,
//! passports, data reads under grants, alerts, transparency.

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zenome_app::AppError;
use zenome_app::access::applications::{ApplicationView, Preview};
use zenome_app::access::datasets::{DatasetView, MemberSelection, NewDataset};
use zenome_app::access::grants::GrantView;
use zenome_app::access::{ApplicationBody, PurposeBody};
use zenome_domain::access::{DataType, Vote};

use super::dto::{parse, parse_opt, parse_time, rfc3339};
use crate::AppState;
use crate::extract::{ApiActor, ApiJson, ClientIp};
use crate::problem::ApiError;

type ApiResult<T> = Result<T, ApiError>;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/datasets", get(list_datasets).post(create_dataset))
        .route("/api/v1/datasets/{id}", get(get_dataset))
        .route("/api/v1/datasets/{id}/members", post(add_members))
        .route(
            "/api/v1/datasets/{id}/participants",
            get(dataset_participants),
        )
        .route(
            "/api/v1/datasets/{id}/participants/{pid}",
            get(dataset_participant),
        )
        .route(
            "/api/v1/applications",
            get(list_applications).post(create_application),
        )
        .route("/api/v1/applications/preview", post(preview_application))
        .route(
            "/api/v1/applications/{id}",
            get(get_application).put(update_application),
        )
        .route("/api/v1/applications/{id}/preview", get(preview_saved))
        .route("/api/v1/applications/{id}/submit", post(submit_application))
        .route("/api/v1/applications/{id}/assign", post(assign_application))
        .route(
            "/api/v1/applications/{id}/comments",
            post(comment_application),
        )
        .route(
            "/api/v1/applications/{id}/request-changes",
            post(request_changes),
        )
        .route("/api/v1/applications/{id}/votes", post(vote_application))
        .route(
            "/api/v1/applications/{id}/interests",
            post(declare_interests),
        )
        .route(
            "/api/v1/applications/{id}/withdraw",
            post(withdraw_application),
        )
        .route("/api/v1/grants", get(list_grants))
        .route("/api/v1/grants/{id}", get(get_grant))
        .route("/api/v1/grants/{id}/revoke", post(revoke_grant))
        .route("/api/v1/passport", get(passport))
        .route("/api/v1/alerts", get(list_alerts))
        .route("/api/v1/alerts/{id}/acknowledge", post(acknowledge_alert))
        .route("/api/v1/participants/{id}/data-use", get(data_use))
        .route("/api/v1/public/projects", get(public_projects))
        .route("/.well-known/jwks.json", get(jwks))
}

/// A dataset.
#[derive(Debug, Serialize, ToSchema)]
pub struct DatasetDto {
    /// Id.
    pub id: String,
    /// Title (English).
    pub title: String,
    /// Title (Japanese).
    pub title_ja: String,
    /// Description.
    pub description: String,
    /// `1`, `2` or `3`.
    pub security_level: String,
    /// Data types it holds.
    pub data_types: Vec<String>,
    /// The use every member's consent must allow.
    #[schema(value_type = Object)]
    pub consent_requirement: serde_json::Value,
    /// `group_restricted` or `controlled_access`.
    pub release_state: String,
    /// End of the embargo.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub embargo_until: Option<String>,
    /// The producing research group.
    pub producer_group: Vec<String>,
    /// Participants added.
    pub members: usize,
    /// Of those, whose consent fits the requirement now.
    pub eligible: usize,
}

impl From<&DatasetView> for DatasetDto {
    fn from(v: &DatasetView) -> Self {
        Self {
            id: v.row.id.clone(),
            title: v.row.title.clone(),
            title_ja: v.row.title_ja.clone(),
            description: v.row.description.clone(),
            security_level: v.security_level.as_str().into(),
            data_types: v
                .data_types
                .iter()
                .map(|t| t.as_str().to_string())
                .collect(),
            consent_requirement: serde_json::json!({ "scope": v.requirement.scope, "disease": v.requirement.disease }),
            release_state: v.release.as_str().into(),
            embargo_until: v.row.embargo_until.map(rfc3339),
            producer_group: v.producer_group.clone(),
            members: v.members,
            eligible: v.eligible,
        }
    }
}

/// A dataset to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDatasetDto {
    /// Id (`a-z 0-9 -`).
    pub id: String,
    /// Title (English).
    pub title: String,
    /// Title (Japanese).
    pub title_ja: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// `1`, `2` or `3`.
    pub security_level: String,
    /// Data types it holds.
    pub data_types: Vec<String>,
    /// Consent requirement: purpose scope every member must allow.
    pub requirement_scope: String,
    /// For a disease requirement: the MONDO id.
    pub requirement_disease: Option<String>,
    /// End of the embargo (RFC 3339); none: controlled access at once.
    pub embargo_until: Option<String>,
    /// User names of the producing research group.
    #[serde(default)]
    pub producer_group: Vec<String>,
}

/// Participants to add to a dataset.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MembersDto {
    /// These participants…
    #[serde(default)]
    pub participants: Vec<String>,
    /// …or every participant of this facility…
    pub facility: Option<String>,
    /// …and/or of this disease area.
    pub disease_area: Option<String>,
}

/// How many were added.
#[derive(Debug, Serialize, ToSchema)]
pub struct AddedDto {
    /// Newly added.
    pub added: u64,
}

fn data_types(v: &[String]) -> Result<Vec<DataType>, AppError> {
    v.iter()
        .map(|t| parse::<DataType>("data_types", Some(t)))
        .collect()
}

/// The dataset catalogue.
#[utoipa::path(get, path = "/api/v1/datasets", tag = "access", responses((status = 200, body = [DatasetDto])), security(("bearer" = [])))]
pub(crate) async fn list_datasets(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> ApiResult<Json<Vec<DatasetDto>>> {
    Ok(Json(
        s.app.datasets(&a).await?.iter().map(Into::into).collect(),
    ))
}

/// Creates a dataset (data-centre staff).
#[utoipa::path(post, path = "/api/v1/datasets", tag = "access", request_body = NewDatasetDto,
    responses((status = 201, body = DatasetDto), (status = 403, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)), security(("bearer" = [])))]
pub(crate) async fn create_dataset(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(d): ApiJson<NewDatasetDto>,
) -> ApiResult<(StatusCode, Json<DatasetDto>)> {
    zenome_app::access::datasets::require_staff(&a)?;
    let v = s
        .app
        .create_dataset(
            &a,
            NewDataset {
                id: d.id,
                title: d.title,
                title_ja: d.title_ja,
                description: d.description,
                security_level: parse("security_level", Some(&d.security_level))?,
                data_types: data_types(&d.data_types)?,
                requirement: PurposeBody {
                    scope: d.requirement_scope,
                    disease: d.requirement_disease,
                    description: String::new(),
                    commercial: false,
                    country: "JP".into(),
                    ethics_approval: true,
                    ethics_reference: None,
                },
                embargo_until: parse_time("embargo_until", d.embargo_until.as_deref())?,
                producer_group: d.producer_group,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json((&v).into())))
}

/// One dataset.
#[utoipa::path(get, path = "/api/v1/datasets/{id}", tag = "access", params(("id" = String, Path)), responses((status = 200, body = DatasetDto), (status = 404, body = crate::problem::Problem)), security(("bearer" = [])))]
pub(crate) async fn get_dataset(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<DatasetDto>> {
    Ok(Json((&s.app.dataset(&a, &id).await?).into()))
}

/// Adds participants to a dataset (data-centre staff).
#[utoipa::path(post, path = "/api/v1/datasets/{id}/members", tag = "access", params(("id" = String, Path)), request_body = MembersDto,
    responses((status = 200, body = AddedDto), (status = 403, body = crate::problem::Problem), (status = 404, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)), security(("bearer" = [])))]
pub(crate) async fn add_members(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(m): ApiJson<MembersDto>,
) -> ApiResult<Json<AddedDto>> {
    let sel = MemberSelection {
        participants: m
            .participants
            .iter()
            .map(|p| parse("participants", Some(p)))
            .collect::<Result<_, _>>()?,
        facility: parse_opt("facility", m.facility.as_deref())?,
        disease_area: parse_opt("disease_area", m.disease_area.as_deref())?,
    };
    Ok(Json(AddedDto {
        added: s.app.add_dataset_members(&a, &id, sel).await?,
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct TypeParam {
    /// `vcf`, `cram`, `fastq` or `clinical` (default `vcf`).
    data_type: Option<String>,
}

/// A participant available under a grant.
#[derive(Debug, Serialize, ToSchema)]
pub struct GrantedParticipantDto {
    /// Pseudonymous id.
    pub id: String,
    /// Disease area.
    pub disease_area: String,
    /// Sex.
    pub sex: String,
}

/// The participants of a dataset the caller may use now.
#[derive(Debug, Serialize, ToSchema)]
pub struct DatasetReadDto {
    /// Dataset.
    pub dataset: String,
    /// Data type.
    pub data_type: String,
    /// The grant (or `group:<dataset>`) the read is allowed under.
    pub via: String,
    /// Participants whose consent allows the grant's purpose at this moment.
    pub participants: Vec<GrantedParticipantDto>,
}

/// Reads the participants of a dataset under the caller's grant: only those
/// whose consent fits the grant's purpose now. Accepts a GA4GH Passport as
/// bearer token.
#[utoipa::path(get, path = "/api/v1/datasets/{id}/participants", tag = "access", params(("id" = String, Path), TypeParam),
    responses((status = 200, body = DatasetReadDto), (status = 401, body = crate::problem::Problem), (status = 403, body = crate::problem::Problem), (status = 404, body = crate::problem::Problem)), security(("bearer" = [])))]
pub(crate) async fn dataset_participants(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Query(q): Query<TypeParam>,
) -> ApiResult<Json<DatasetReadDto>> {
    let t: DataType = parse_opt("data_type", q.data_type.as_deref())?.unwrap_or(DataType::Vcf);
    let (auth, ids) = s
        .app
        .dataset_participants(&a, &id, t, ip.as_deref())
        .await?;
    let mut participants = Vec::with_capacity(ids.len());
    for pid in &ids {
        if let Some(r) = s
            .app
            .store()
            .participant(pid)
            .await
            .map_err(AppError::from)?
        {
            participants.push(GrantedParticipantDto {
                id: pid.to_string(),
                disease_area: r.participant.disease_area.as_str().into(),
                sex: r.participant.sex.as_str().into(),
            });
        }
    }
    Ok(Json(DatasetReadDto {
        dataset: id,
        data_type: t.as_str().into(),
        via: auth.via,
        participants,
    }))
}

/// One participant's files of a type under the caller's grant.
#[derive(Debug, Serialize, ToSchema)]
pub struct ParticipantReadDto {
    /// Pseudonymous id.
    pub id: String,
    /// The grant the read is allowed under.
    pub via: String,
    /// Lineage file nodes of the requested format.
    pub files: Vec<super::dto::NodeDto>,
}

/// Reads one participant's data of a type (the per-read grant and consent check).
#[utoipa::path(get, path = "/api/v1/datasets/{id}/participants/{pid}", tag = "access", params(("id" = String, Path), ("pid" = String, Path), TypeParam),
    responses((status = 200, body = ParticipantReadDto), (status = 403, body = crate::problem::Problem), (status = 404, body = crate::problem::Problem)), security(("bearer" = [])))]
pub(crate) async fn dataset_participant(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ClientIp(ip): ClientIp,
    Path((id, pid)): Path<(String, String)>,
    Query(q): Query<TypeParam>,
) -> ApiResult<Json<ParticipantReadDto>> {
    let t: DataType = parse_opt("data_type", q.data_type.as_deref())?.unwrap_or(DataType::Vcf);
    let pid: zenome_domain::id::ParticipantId = parse("participant_id", Some(&pid))?;
    let auth = s
        .app
        .check_participant_access(&a, &id, t, &pid, ip.as_deref())
        .await?;
    let nodes = s.app.store().nodes_of(&pid).await.map_err(AppError::from)?;
    let files = nodes
        .iter()
        .filter(|n| matches!(&n.details, zenome_domain::lineage::NodeDetails::File { format, .. } if format.as_str() == t.as_str()))
        .map(Into::into)
        .collect();
    Ok(Json(ParticipantReadDto {
        id: pid.to_string(),
        via: auth.via,
        files,
    }))
}

/// An application's content, as submitted.
#[derive(Debug, Serialize, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct ApplicationBodyDto {
    /// Project title.
    pub title: String,
    /// Affiliation.
    pub affiliation: String,
    /// Co-applicants' user names.
    #[serde(default)]
    pub co_applicants: Vec<String>,
    /// The research purpose.
    pub purpose: PurposeDto,
    /// Dataset ids.
    pub datasets: Vec<String>,
    /// `vcf`, `cram`, `fastq`, `clinical`.
    pub data_types: Vec<String>,
    /// Why FASTQ is needed.
    pub fastq_need: Option<String>,
    /// First day (YYYY-MM-DD).
    pub start: String,
    /// Last day (YYYY-MM-DD).
    pub end: String,
    /// The data access agreement version accepted (`GET /api/v1/agreement`
    /// names the one in force); required to submit.
    #[serde(default)]
    pub agreement_accepted: Option<String>,
}

/// A research purpose.
#[derive(Debug, Serialize, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct PurposeDto {
    /// `general`, `health_medical`, `disease`, `ancestry`, `methods`.
    pub scope: String,
    /// MONDO id for `disease`.
    pub disease: Option<String>,
    /// What the research is.
    pub description: String,
    /// Commercial use of results (always true for industry).
    #[serde(default)]
    pub commercial: bool,
    /// Country of use (ISO 3166 alpha-2, default JP).
    pub country: Option<String>,
    /// Ethics approval obtained.
    #[serde(default)]
    pub ethics_approval: bool,
    /// Its reference.
    pub ethics_reference: Option<String>,
}

impl From<ApplicationBodyDto> for ApplicationBody {
    fn from(d: ApplicationBodyDto) -> Self {
        Self {
            title: d.title,
            affiliation: d.affiliation,
            co_applicants: d.co_applicants,
            purpose: PurposeBody {
                scope: d.purpose.scope,
                disease: d.purpose.disease,
                description: d.purpose.description,
                commercial: d.purpose.commercial,
                country: d.purpose.country.unwrap_or_else(|| "JP".into()),
                ethics_approval: d.purpose.ethics_approval,
                ethics_reference: d.purpose.ethics_reference,
            },
            datasets: d.datasets,
            data_types: d.data_types,
            fastq_need: d.fastq_need,
            agreement_accepted: d.agreement_accepted,
            start: d.start,
            end: d.end,
        }
    }
}

impl From<&ApplicationBody> for ApplicationBodyDto {
    fn from(b: &ApplicationBody) -> Self {
        Self {
            title: b.title.clone(),
            affiliation: b.affiliation.clone(),
            co_applicants: b.co_applicants.clone(),
            purpose: PurposeDto {
                scope: b.purpose.scope.clone(),
                disease: b.purpose.disease.clone(),
                description: b.purpose.description.clone(),
                commercial: b.purpose.commercial,
                country: Some(b.purpose.country.clone()),
                ethics_approval: b.purpose.ethics_approval,
                ethics_reference: b.purpose.ethics_reference.clone(),
            },
            datasets: b.datasets.clone(),
            data_types: b.data_types.clone(),
            fastq_need: b.fastq_need.clone(),
            start: b.start.clone(),
            end: b.end.clone(),
            agreement_accepted: b.agreement_accepted.clone(),
        }
    }
}

/// How a dataset's participants stand against the purpose.
#[derive(Debug, Serialize, ToSchema)]
pub struct CompatibilityDto {
    /// Dataset.
    pub dataset: String,
    /// Participants in it.
    pub members: usize,
    /// Whose consent allows the purpose.
    pub compatible: usize,
    /// Refused, by reason.
    pub excluded: Vec<ReasonCountDto>,
    /// Referred to the DAC.
    pub referred: usize,
    /// Without consent in force.
    pub without_consent: usize,
}

/// A reason and how many it concerns.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReasonCountDto {
    /// Reason.
    pub reason: String,
    /// Count.
    pub count: usize,
}

/// One fee line.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeeLineDto {
    /// Item.
    pub item: String,
    /// Cases.
    pub cases: u64,
    /// Amount.
    pub amount: u64,
}

/// What an application covers and costs, and what stops its submission.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewDto {
    /// Per dataset.
    pub datasets: Vec<CompatibilityDto>,
    /// Distinct participants covered.
    pub cases: u64,
    /// Fee lines.
    pub fee: Vec<FeeLineDto>,
    /// Fee total.
    pub fee_total: u64,
    /// Currency.
    pub currency: String,
    /// Problems as (field, message); empty when it can be submitted.
    pub problems: Vec<ProblemItemDto>,
}

/// A problem that blocks submission.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemItemDto {
    /// Field.
    pub field: String,
    /// Message.
    pub message: String,
}

fn preview_dto(p: Preview, currency: &str) -> PreviewDto {
    PreviewDto {
        datasets: p
            .datasets
            .into_iter()
            .map(|d| CompatibilityDto {
                dataset: d.dataset,
                members: d.members,
                compatible: d.allowed,
                excluded: d
                    .denied
                    .into_iter()
                    .map(|(reason, count)| ReasonCountDto { reason, count })
                    .collect(),
                referred: d.referred,
                without_consent: d.without_consent,
            })
            .collect(),
        cases: p.cases,
        fee_total: p.fee.total,
        fee: p
            .fee
            .lines
            .into_iter()
            .map(|l| FeeLineDto {
                item: l.item,
                cases: l.cases,
                amount: l.amount,
            })
            .collect(),
        currency: currency.into(),
        problems: p
            .problems
            .into_iter()
            .map(|(field, message)| ProblemItemDto { field, message })
            .collect(),
    }
}

/// A review event.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewEventDto {
    /// Position.
    pub seq: i64,
    /// Kind.
    pub kind: String,
    /// Who.
    pub actor: String,
    /// Details.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    /// When.
    pub at: String,
}

/// An application with its review.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationDto {
    /// Id.
    pub id: String,
    /// Applicant.
    pub applicant: String,
    /// `academic` or `industry`.
    pub sector: String,
    /// State.
    pub state: String,
    /// Content.
    pub body: ApplicationBodyDto,
    /// Fee at submission.
    pub fee_total: i64,
    /// Review events.
    pub events: Vec<ReviewEventDto>,
    /// The grant, once approved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_id: Option<String>,
    /// Created.
    pub created_at: String,
    /// Last changed.
    pub updated_at: String,
}

impl From<&ApplicationView> for ApplicationDto {
    fn from(v: &ApplicationView) -> Self {
        Self {
            id: v.row.id.clone(),
            applicant: v.row.applicant.clone(),
            sector: v.sector.as_str().into(),
            state: v.state.as_str().into(),
            body: (&v.body).into(),
            fee_total: v.row.fee_total,
            events: v
                .events
                .iter()
                .map(|e| ReviewEventDto {
                    seq: e.seq,
                    kind: e.kind.clone(),
                    actor: e.actor.clone(),
                    detail: serde_json::from_str(&e.body).unwrap_or_default(),
                    at: rfc3339(e.at),
                })
                .collect(),
            grant_id: v.grant.as_ref().map(|g| g.id.clone()),
            created_at: rfc3339(v.row.created_at),
            updated_at: rfc3339(v.row.updated_at),
        }
    }
}

/// The new application's id.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedDto {
    /// Id.
    pub id: String,
}

/// Applications the caller may see.
#[utoipa::path(get, path = "/api/v1/applications", tag = "access", responses((status = 200, body = [ApplicationDto]), (status = 403, body = crate::problem::Problem)), security(("bearer" = [])))]
pub(crate) async fn list_applications(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> ApiResult<Json<Vec<ApplicationDto>>> {
    Ok(Json(
        s.app
            .applications(&a)
            .await?
            .iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Starts a draft (researchers).
#[utoipa::path(post, path = "/api/v1/applications", tag = "access", request_body = ApplicationBodyDto,
    responses((status = 201, body = CreatedDto), (status = 403, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)), security(("bearer" = [])))]
pub(crate) async fn create_application(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<ApplicationBodyDto>,
) -> ApiResult<(StatusCode, Json<CreatedDto>)> {
    let id = s.app.create_application(&a, b.into()).await?;
    Ok((StatusCode::CREATED, Json(CreatedDto { id })))
}

/// Before submitting: compatible participants per dataset (DUO matching
/// against each consent now), the fee, and what would stop submission.
#[utoipa::path(post, path = "/api/v1/applications/preview", tag = "access", request_body = ApplicationBodyDto,
    responses((status = 200, body = PreviewDto), (status = 403, body = crate::problem::Problem)), security(("bearer" = [])))]
pub(crate) async fn preview_application(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<ApplicationBodyDto>,
) -> ApiResult<Json<PreviewDto>> {
    let p = s.app.preview(&a, &b.into()).await?;
    Ok(Json(preview_dto(p, &s.app.config().access.fees.currency)))
}

/// The preview of a saved application.
#[utoipa::path(get, path = "/api/v1/applications/{id}/preview", tag = "access", params(("id" = String, Path)),
    responses((status = 200, body = PreviewDto), (status = 404, body = crate::problem::Problem)), security(("bearer" = [])))]
pub(crate) async fn preview_saved(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<PreviewDto>> {
    let p = s.app.preview_application(&a, &id).await?;
    Ok(Json(preview_dto(p, &s.app.config().access.fees.currency)))
}

/// One application.
#[utoipa::path(get, path = "/api/v1/applications/{id}", tag = "access", params(("id" = String, Path)),
    responses((status = 200, body = ApplicationDto), (status = 404, body = crate::problem::Problem)), security(("bearer" = [])))]
pub(crate) async fn get_application(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<ApplicationDto>> {
    Ok(Json((&s.app.application(&a, &id).await?).into()))
}

/// Replaces a draft's content (applicant).
#[utoipa::path(put, path = "/api/v1/applications/{id}", tag = "access", params(("id" = String, Path)), request_body = ApplicationBodyDto,
    responses((status = 200, body = ApplicationDto), (status = 404, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)), security(("bearer" = [])))]
pub(crate) async fn update_application(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ApplicationBodyDto>,
) -> ApiResult<Json<ApplicationDto>> {
    s.app.update_application(&a, &id, b.into()).await?;
    Ok(Json((&s.app.application(&a, &id).await?).into()))
}

macro_rules! action {
    ($name:ident, $path:literal, $doc:literal, |$s:ident, $a:ident, $id:ident| $body:expr) => {
        #[doc = $doc]
        #[utoipa::path(post, path = $path, tag = "access", params(("id" = String, Path)),
            responses((status = 200, body = ApplicationDto), (status = 403, body = crate::problem::Problem), (status = 404, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)), security(("bearer" = [])))]
        pub(crate) async fn $name(State($s): State<AppState>, ApiActor($a): ApiActor, Path($id): Path<String>) -> ApiResult<Json<ApplicationDto>> {
            $body?;
            Ok(Json((&$s.app.application(&$a, &$id).await?).into()))
        }
    };
}

action!(
    submit_application,
    "/api/v1/applications/{id}/submit",
    "Sends the application to the DAC (applicant).",
    |s, a, id| s.app.submit_application(&a, &id).await
);
action!(
    assign_application,
    "/api/v1/applications/{id}/assign",
    "A DAC member takes the application.",
    |s, a, id| s.app.assign_application(&a, &id).await
);
action!(
    withdraw_application,
    "/api/v1/applications/{id}/withdraw",
    "The applicant withdraws the application.",
    |s, a, id| s.app.withdraw_application(&a, &id).await
);

/// A comment or a request for changes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TextDto {
    /// The text.
    pub text: String,
}

/// Comments on an application (applicant, co-applicants, DAC, staff).
#[utoipa::path(post, path = "/api/v1/applications/{id}/comments", tag = "access", params(("id" = String, Path)), request_body = TextDto,
    responses((status = 200, body = ApplicationDto), (status = 404, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem)), security(("bearer" = [])))]
pub(crate) async fn comment_application(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(t): ApiJson<TextDto>,
) -> ApiResult<Json<ApplicationDto>> {
    s.app.comment_application(&a, &id, &t.text).await?;
    Ok(Json((&s.app.application(&a, &id).await?).into()))
}

/// Sends the application back for changes (DAC).
#[utoipa::path(post, path = "/api/v1/applications/{id}/request-changes", tag = "access", params(("id" = String, Path)), request_body = TextDto,
    responses((status = 200, body = ApplicationDto), (status = 403, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem)), security(("bearer" = [])))]
pub(crate) async fn request_changes(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(t): ApiJson<TextDto>,
) -> ApiResult<Json<ApplicationDto>> {
    s.app.request_changes(&a, &id, &t.text).await?;
    Ok(Json((&s.app.application(&a, &id).await?).into()))
}

/// A DAC member's vote.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoteDto {
    /// `approve`, `approve_with_conditions` or `reject`.
    pub decision: String,
    /// Conditions or reasons (required unless approving plainly).
    pub reason: Option<String>,
    /// The voter's declaration, recorded before the vote: `false` (no
    /// conflict) lets the vote count; `true` recuses the voter. May be
    /// omitted when declared already (`POST …/interests`).
    pub conflict_of_interest: Option<bool>,
}

/// A DAC member's declaration of interests.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InterestsDto {
    /// Whether the member has a conflict of interest (it recuses them).
    pub conflict: bool,
    /// What the conflict is (required when there is one).
    #[serde(default)]
    pub note: String,
}

/// A DAC member declares their interests in an application (before
/// voting, anew for each submission).
#[utoipa::path(post, path = "/api/v1/applications/{id}/interests", tag = "access", params(("id" = String, Path)), request_body = InterestsDto,
    responses((status = 200, body = ApplicationDto), (status = 403, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)), security(("bearer" = [])))]
pub(crate) async fn declare_interests(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<InterestsDto>,
) -> ApiResult<Json<ApplicationDto>> {
    s.app
        .declare_interests(&a, &id, b.conflict, &b.note)
        .await?;
    Ok(Json((&s.app.application(&a, &id).await?).into()))
}

/// Votes on an application (DAC). Enough approvals under the applicant's
/// rule set approve it (and create the grant and invoice); a rejection rejects.
#[utoipa::path(post, path = "/api/v1/applications/{id}/votes", tag = "access", params(("id" = String, Path)), request_body = VoteDto,
    responses((status = 200, body = ApplicationDto), (status = 403, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)), security(("bearer" = [])))]
pub(crate) async fn vote_application(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(v): ApiJson<VoteDto>,
) -> ApiResult<Json<ApplicationDto>> {
    let reason = v.reason.unwrap_or_default();
    let vote = match v.decision.as_str() {
        "approve" => Vote::Approve,
        "approve_with_conditions" => Vote::ApproveWithConditions(reason),
        "reject" => Vote::Reject(reason),
        _ => {
            return Err(AppError::invalid(
                "decision",
                "expected approve, approve_with_conditions or reject",
            )
            .into());
        }
    };
    if let Some(conflict) = v.conflict_of_interest {
        s.app
            .declare_interests(
                &a,
                &id,
                conflict,
                if conflict {
                    "declared with the vote"
                } else {
                    ""
                },
            )
            .await?;
    }
    s.app.vote_application(&a, &id, vote).await?;
    Ok(Json((&s.app.application(&a, &id).await?).into()))
}

/// A grant.
#[derive(Debug, Serialize, ToSchema)]
pub struct GrantDto {
    /// Id.
    pub id: String,
    /// The application.
    pub application_id: String,
    /// Project title.
    pub title: String,
    /// Institution.
    pub institution: String,
    /// Grantees.
    pub people: Vec<String>,
    /// Datasets.
    pub datasets: Vec<String>,
    /// Data types.
    pub data_types: Vec<String>,
    /// Purpose scope.
    pub purpose: String,
    /// `academic` or `industry`.
    pub sector: String,
    /// DAC conditions.
    pub conditions: Vec<String>,
    /// DUO obligations.
    pub obligations: Vec<String>,
    /// The data access agreement version the applicant accepted.
    pub agreement: Option<String>,
    /// From.
    pub starts_at: String,
    /// Until.
    pub expires_at: String,
    /// `active`, `expired`, `revoked`, `not_started`.
    pub status: String,
}

impl From<&GrantView> for GrantDto {
    fn from(g: &GrantView) -> Self {
        Self {
            id: g.row.id.clone(),
            application_id: g.row.application_id.clone(),
            title: g.row.title.clone(),
            institution: g.row.institution.clone(),
            people: g.people.clone(),
            datasets: g.datasets.clone(),
            data_types: g
                .data_types
                .iter()
                .map(|t| t.as_str().to_string())
                .collect(),
            purpose: g.row.purpose_summary.clone(),
            sector: g.sector.as_str().into(),
            conditions: g.conditions.clone(),
            obligations: g.obligations.clone(),
            agreement: g.agreement.clone(),
            starts_at: rfc3339(g.row.starts_at),
            expires_at: rfc3339(g.row.expires_at),
            status: g.status.into(),
        }
    }
}

/// Grants held (researchers) or overseen (DAC, staff).
#[utoipa::path(get, path = "/api/v1/grants", tag = "access", responses((status = 200, body = [GrantDto]), (status = 403, body = crate::problem::Problem)), security(("bearer" = [])))]
pub(crate) async fn list_grants(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> ApiResult<Json<Vec<GrantDto>>> {
    Ok(Json(
        s.app.grants(&a).await?.iter().map(Into::into).collect(),
    ))
}

/// One grant.
#[utoipa::path(get, path = "/api/v1/grants/{id}", tag = "access", params(("id" = String, Path)), responses((status = 200, body = GrantDto), (status = 404, body = crate::problem::Problem)), security(("bearer" = [])))]
pub(crate) async fn get_grant(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<GrantDto>> {
    Ok(Json((&s.app.grant(&a, &id).await?).into()))
}

/// A reason.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonDto {
    /// Why.
    pub reason: String,
}

/// Revokes a grant (DAC, staff): effective on the next read.
#[utoipa::path(post, path = "/api/v1/grants/{id}/revoke", tag = "access", params(("id" = String, Path)), request_body = ReasonDto,
    responses((status = 200, body = GrantDto), (status = 403, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem)), security(("bearer" = [])))]
pub(crate) async fn revoke_grant(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(r): ApiJson<ReasonDto>,
) -> ApiResult<Json<GrantDto>> {
    s.app.revoke_grant(&a, &id, &r.reason).await?;
    Ok(Json((&s.app.grant(&a, &id).await?).into()))
}

/// A GA4GH Passport.
#[derive(Debug, Serialize, ToSchema)]
pub struct PassportDto {
    /// The passport JWT (`ga4gh_passport_v1` holds one ControlledAccessGrants visa per granted dataset).
    pub passport: String,
}

/// The caller's GA4GH Passport, one visa per dataset of each grant in force.
#[utoipa::path(get, path = "/api/v1/passport", tag = "access", responses((status = 200, body = PassportDto), (status = 403, body = crate::problem::Problem)), security(("bearer" = [])))]
pub(crate) async fn passport(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> ApiResult<Json<PassportDto>> {
    Ok(Json(PassportDto {
        passport: s.app.passport(&a).await?,
    }))
}

pub(crate) async fn jwks(State(s): State<AppState>) -> Json<serde_json::Value> {
    Json(s.app.jwks())
}

/// An alert.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertDto {
    /// Id.
    pub id: String,
    /// When.
    pub at: String,
    /// Rule.
    pub rule: String,
    /// `warning` or `critical`.
    pub severity: String,
    /// Who.
    pub actor: String,
    /// Summary.
    pub summary: String,
    /// Details.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    /// Acknowledged by, if so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acknowledged_by: Option<String>,
}

impl From<&zenome_store::AlertRow> for AlertDto {
    fn from(r: &zenome_store::AlertRow) -> Self {
        Self {
            id: r.id.clone(),
            at: rfc3339(r.at),
            rule: r.rule.clone(),
            severity: r.severity.clone(),
            actor: r.actor.clone(),
            summary: r.summary.clone(),
            detail: serde_json::from_str(&r.detail).unwrap_or_default(),
            acknowledged_by: r.acknowledged.as_ref().map(|a| a.1.clone()),
        }
    }
}

/// The newest alerts (staff, admin).
#[utoipa::path(get, path = "/api/v1/alerts", tag = "admin", responses((status = 200, body = [AlertDto]), (status = 403, body = crate::problem::Problem)), security(("bearer" = [])))]
pub(crate) async fn list_alerts(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> ApiResult<Json<Vec<AlertDto>>> {
    Ok(Json(
        s.app
            .alerts(&a, 500)
            .await?
            .iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Acknowledges an alert (staff, admin).
#[utoipa::path(post, path = "/api/v1/alerts/{id}/acknowledge", tag = "admin", params(("id" = String, Path)), responses((status = 204), (status = 404, body = crate::problem::Problem)), security(("bearer" = [])))]
pub(crate) async fn acknowledge_alert(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    s.app.acknowledge_alert(&a, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A project that used a participant's data.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectDto {
    /// Title.
    pub title: String,
    /// Institution.
    pub institution: String,
    /// Purpose.
    pub purpose: String,
    /// `academic` or `industry`.
    pub sector: String,
    /// From.
    pub starts_at: String,
    /// Until.
    pub expires_at: String,
    /// `active`, `expired`, `revoked`.
    pub status: String,
}

/// The approved projects whose grants included a participant's data (their facility, staff).
#[utoipa::path(get, path = "/api/v1/participants/{id}/data-use", tag = "access", params(("id" = String, Path)),
    responses((status = 200, body = [ProjectDto]), (status = 404, body = crate::problem::Problem)), security(("bearer" = [])))]
pub(crate) async fn data_use(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<ProjectDto>>> {
    let pid = parse("participant_id", Some(&id))?;
    Ok(Json(
        s.app
            .participant_data_use(&a, &pid)
            .await?
            .iter()
            .map(|g| ProjectDto {
                title: g.row.title.clone(),
                institution: g.row.institution.clone(),
                purpose: g.row.purpose_summary.clone(),
                sector: g.sector.as_str().into(),
                starts_at: rfc3339(g.row.starts_at),
                expires_at: rfc3339(g.row.expires_at),
                status: g.status.into(),
            })
            .collect(),
    ))
}

/// Approved projects (public).
#[utoipa::path(get, path = "/api/v1/public/projects", tag = "public", responses((status = 200, body = [ProjectDto])))]
pub(crate) async fn public_projects(State(s): State<AppState>) -> ApiResult<Json<Vec<ProjectDto>>> {
    Ok(Json(
        s.app
            .approved_projects()
            .await?
            .into_iter()
            .map(|p| ProjectDto {
                title: p.title,
                institution: p.institution,
                purpose: p.purpose,
                sector: p.sector,
                starts_at: rfc3339(p.starts_at),
                expires_at: rfc3339(p.expires_at),
                status: if p.revoked {
                    "revoked".into()
                } else {
                    "approved".into()
                },
            })
            .collect(),
    ))
}
