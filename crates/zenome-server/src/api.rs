//! The JSON API under `/api/v1`. Each handler parses the wire shape, calls
//! one `App` service with the authenticated actor, and shapes the answer.

pub(crate) mod access;
pub(crate) mod credentials;
pub(crate) mod dto;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;
use zenome_app::AppError;
use zenome_app::auth::NewUserSpec;
use zenome_app::registry::ParticipantQuery;
use zenome_auth::Secret;
use zenome_domain::id::{Barcode, ParticipantId};
use zenome_domain::lineage::NodeId;
use zenome_store::UserKind;

use crate::AppState;
use crate::extract::{ApiActor, ApiJson, BearerToken, ClientIp};
use crate::problem::ApiError;
use dto::*;

type ApiResult<T> = Result<T, ApiError>;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(crate::openapi::serve))
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/auth/logout", post(logout))
        .route("/api/v1/me", get(me))
        .route("/api/v1/public/summary", get(public_summary))
        .route(
            "/api/v1/organisations",
            get(list_organisations).post(create_organisation),
        )
        .route("/api/v1/users", get(list_users).post(create_user))
        .route(
            "/api/v1/participants",
            get(list_participants).post(create_participant),
        )
        .route("/api/v1/participants/{id}", get(get_participant))
        .route(
            "/api/v1/participants/{id}/consents",
            get(get_consent).post(post_consent),
        )
        .route("/api/v1/participants/{id}/lineage", get(get_lineage))
        .route("/api/v1/lineage/nodes", post(create_node))
        .route(
            "/api/v1/lineage/nodes/{id}",
            get(get_node).patch(patch_node),
        )
        .route("/api/v1/libraries/{barcode}", get(get_library))
        .route("/api/v1/audit", get(list_audit))
        .merge(access::routes())
        .merge(credentials::routes())
}

fn pid(s: &str) -> Result<ParticipantId, ApiError> {
    parse::<ParticipantId>("participant_id", Some(s)).map_err(Into::into)
}

/// Logs a human in (password + TOTP) and returns a session bearer token.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = crate::problem::Problem), (status = 429, body = crate::problem::Problem)))]
pub(crate) async fn login(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(r): ApiJson<LoginRequest>,
) -> ApiResult<Json<LoginResponse>> {
    let out = s
        .app
        .login(&r.username, &r.password, &r.totp, ip.as_deref())
        .await?;
    Ok(Json(LoginResponse {
        token: out.token.expose().clone(),
        expires_at: rfc3339(out.expires_at),
        user: (&out.actor).into(),
    }))
}

/// Ends the session of the bearer token.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204), (status = 401, body = crate::problem::Problem)), security(("bearer" = [])))]
pub(crate) async fn logout(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    BearerToken(t): BearerToken,
) -> ApiResult<StatusCode> {
    s.app.logout(&a, &t).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who the caller is.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", responses((status = 200, body = MeDto), (status = 401, body = crate::problem::Problem), (status = 403, body = crate::problem::Problem)), security(("bearer" = [])))]
pub(crate) async fn me(ApiActor(a): ApiActor) -> Json<MeDto> {
    Json((&a).into())
}

/// Programme progress: counts only, public.
#[utoipa::path(get, path = "/api/v1/public/summary", tag = "public", responses((status = 200, body = PublicSummaryDto)))]
pub(crate) async fn public_summary(State(s): State<AppState>) -> ApiResult<Json<PublicSummaryDto>> {
    Ok(Json((&s.app.public_stats().await?).into()))
}

/// All organisations.
#[utoipa::path(get, path = "/api/v1/organisations", tag = "registry", responses((status = 200, body = [OrganisationDto]), (status = 401, body = crate::problem::Problem)), security(("bearer" = [])))]
pub(crate) async fn list_organisations(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> ApiResult<Json<Vec<OrganisationDto>>> {
    Ok(Json(
        s.app
            .organisations(&a)
            .await?
            .iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Registers an organisation (admin).
#[utoipa::path(post, path = "/api/v1/organisations", tag = "registry", request_body = OrganisationDto,
    responses((status = 201, body = OrganisationDto), (status = 403, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)), security(("bearer" = [])))]
pub(crate) async fn create_organisation(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(o): ApiJson<OrganisationDto>,
) -> ApiResult<(StatusCode, Json<OrganisationDto>)> {
    zenome_app::policy::require_admin(&a)?;
    let org = o.to_domain()?;
    s.app.register_organisation(&a, org.clone()).await?;
    Ok((StatusCode::CREATED, Json((&org).into())))
}

/// All users (admin).
#[utoipa::path(get, path = "/api/v1/users", tag = "admin", responses((status = 200, body = [UserDto]), (status = 403, body = crate::problem::Problem)), security(("bearer" = [])))]
pub(crate) async fn list_users(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> ApiResult<Json<Vec<UserDto>>> {
    Ok(Json(
        s.app
            .users(&a)
            .await?
            .into_iter()
            .map(|u| UserDto {
                id: u.id,
                username: u.username,
                display_name: u.display_name,
                kind: u.kind.into(),
                role: u.role,
                scope: u.scope,
                disabled: u.disabled,
            })
            .collect(),
    ))
}

/// Creates a user (admin). The secrets are in the answer, once.
#[utoipa::path(post, path = "/api/v1/users", tag = "admin", request_body = NewUserDto,
    responses((status = 201, body = CreatedUserDto), (status = 403, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)), security(("bearer" = [])))]
pub(crate) async fn create_user(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(u): ApiJson<NewUserDto>,
) -> ApiResult<(StatusCode, Json<CreatedUserDto>)> {
    let kind = match u.kind.as_deref().unwrap_or("human") {
        "human" => UserKind::Human,
        "machine" => UserKind::Machine,
        _ => return Err(AppError::invalid("kind", "expected human or machine").into()),
    };
    let created = s
        .app
        .create_user(
            &a,
            NewUserSpec {
                username: u.username.clone(),
                display_name: u.display_name,
                kind,
                role: u.role,
                scope: u.scope,
                password: u.password.map(Secret::new),
                totp: None,
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedUserDto {
            id: created.id,
            password: created.password.map(|p| p.expose().clone()),
            totp_url: created
                .totp
                .as_ref()
                .map(|t| t.otpauth_url("Zenome", &u.username)),
            totp_secret: created.totp.map(|t| t.to_base32()),
            api_token: created.api_token.map(|t| t.expose().clone()),
        }),
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListParams {
    /// Facility code (data-centre staff only; a facility always sees its own).
    facility: Option<String>,
    /// `cancer` or `rare_disease`.
    disease_area: Option<String>,
    /// Page size, 1 to 500 (default 50).
    limit: Option<i64>,
    /// Rows to skip.
    offset: Option<i64>,
}

/// Participants in the caller's scope.
#[utoipa::path(get, path = "/api/v1/participants", tag = "registry", params(ListParams),
    responses((status = 200, body = ParticipantPage), (status = 403, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)), security(("bearer" = [])))]
pub(crate) async fn list_participants(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    q: Result<Query<ListParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<ParticipantPage>> {
    let Query(q) = q.map_err(|e| AppError::invalid("query", e.body_text()))?;
    let query = ParticipantQuery {
        facility: parse_opt("facility", q.facility.as_deref())?,
        disease_area: parse_opt("disease_area", q.disease_area.as_deref())?,
        limit: q.limit,
        offset: q.offset,
    };
    let (rows, total) = s.app.participants(&a, query).await?;
    Ok(Json(ParticipantPage {
        items: rows.iter().map(Into::into).collect(),
        total,
        limit: q.limit.unwrap_or(50),
        offset: q.offset.unwrap_or(0),
    }))
}

/// Registers a participant at the caller's facility.
#[utoipa::path(post, path = "/api/v1/participants", tag = "registry", request_body = NewParticipantDto,
    responses((status = 201, body = ParticipantDto), (status = 403, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)), security(("bearer" = [])))]
pub(crate) async fn create_participant(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(p): ApiJson<NewParticipantDto>,
) -> ApiResult<(StatusCode, Json<ParticipantDto>)> {
    zenome_app::policy::registering_facility(&a)?;
    let p = s.app.register_participant(&a, p.to_domain()?).await?;
    Ok((
        StatusCode::CREATED,
        Json(ParticipantDto::new(&p, "not_given")),
    ))
}

/// One participant with consent.
#[utoipa::path(get, path = "/api/v1/participants/{id}", tag = "registry", params(("id" = String, Path, description = "participant id")),
    responses((status = 200, body = ParticipantDetailDto), (status = 404, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)), security(("bearer" = [])))]
pub(crate) async fn get_participant(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<ParticipantDetailDto>> {
    let v = s.app.participant(&a, &pid(&id)?).await?;
    Ok(Json((&v).into()))
}

/// A participant's consent: state and history.
#[utoipa::path(get, path = "/api/v1/participants/{id}/consents", tag = "consent", params(("id" = String, Path, description = "participant id")),
    responses((status = 200, body = ConsentDto), (status = 404, body = crate::problem::Problem)), security(("bearer" = [])))]
pub(crate) async fn get_consent(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<ConsentDto>> {
    let v = s.app.participant(&a, &pid(&id)?).await?;
    Ok(Json((&v.consent).into()))
}

/// Gives, amends or withdraws consent (append-only).
#[utoipa::path(post, path = "/api/v1/participants/{id}/consents", tag = "consent", params(("id" = String, Path, description = "participant id")), request_body = ConsentRequest,
    responses((status = 201, body = ConsentDto), (status = 404, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)), security(("bearer" = [])))]
pub(crate) async fn post_consent(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(r): ApiJson<ConsentRequest>,
) -> ApiResult<(StatusCode, Json<ConsentDto>)> {
    let id = pid(&id)?;
    let (cmd, effective_at) = r.to_domain()?;
    s.app.record_consent(&a, &id, cmd, effective_at).await?;
    let v = s.app.participant(&a, &id).await?;
    Ok((StatusCode::CREATED, Json((&v.consent).into())))
}

/// A participant's lineage as a tree: specimens and everything derived.
#[utoipa::path(get, path = "/api/v1/participants/{id}/lineage", tag = "lineage", params(("id" = String, Path, description = "participant id")),
    responses((status = 200, body = LineageDto), (status = 404, body = crate::problem::Problem)), security(("bearer" = [])))]
pub(crate) async fn get_lineage(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<LineageDto>> {
    let (view, nodes) = s.app.lineage(&a, &pid(&id)?).await?;
    Ok(Json(LineageDto {
        participant: ParticipantDto::new(&view.participant, view.consent.current().as_str()),
        specimens: tree(&nodes),
    }))
}

/// Registers a specimen or a derivative (aliquot, extract, library, run, file).
#[utoipa::path(post, path = "/api/v1/lineage/nodes", tag = "lineage", request_body = NewNodeDto,
    responses((status = 201, body = NodeDto), (status = 403, body = crate::problem::Problem), (status = 404, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)), security(("bearer" = [])))]
pub(crate) async fn create_node(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(n): ApiJson<NewNodeDto>,
) -> ApiResult<(StatusCode, Json<NodeDto>)> {
    let members = dto::parse_members(n.members.as_deref().unwrap_or_default())?;
    let node = s
        .app
        .register_node_with_members(&a, n.to_domain()?, &members)
        .await?;
    Ok((StatusCode::CREATED, Json((&node).into())))
}

/// One node with its chain up to the specimen.
#[utoipa::path(get, path = "/api/v1/lineage/nodes/{id}", tag = "lineage", params(("id" = String, Path, description = "node id")),
    responses((status = 200, body = NodeWithAncestryDto), (status = 404, body = crate::problem::Problem)), security(("bearer" = [])))]
pub(crate) async fn get_node(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<NodeWithAncestryDto>> {
    let chain = s.app.node(&a, &NodeId::new(id)).await?;
    let (first, rest) = chain.split_first().ok_or(AppError::NotFound("node"))?;
    Ok(Json(NodeWithAncestryDto {
        node: first.into(),
        ancestry: rest.iter().map(Into::into).collect(),
    }))
}

/// Marks material as available, residual or exhausted.
#[utoipa::path(patch, path = "/api/v1/lineage/nodes/{id}", tag = "lineage", params(("id" = String, Path, description = "node id")), request_body = NodePatch,
    responses((status = 200, body = NodeDto), (status = 404, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)), security(("bearer" = [])))]
pub(crate) async fn patch_node(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<NodePatch>,
) -> ApiResult<Json<NodeDto>> {
    let status = parse("status", Some(&p.status))?;
    let n = s
        .app
        .set_material_status(&a, &NodeId::new(id), status)
        .await?;
    Ok(Json((&n).into()))
}

/// A library by barcode, with its ancestry and runs (sequencing centres).
#[utoipa::path(get, path = "/api/v1/libraries/{barcode}", tag = "lineage", params(("barcode" = String, Path, description = "library barcode")),
    responses((status = 200, body = LibraryDto), (status = 404, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)), security(("bearer" = [])))]
pub(crate) async fn get_library(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(b): Path<String>,
) -> ApiResult<Json<LibraryDto>> {
    let b: Barcode = parse("barcode", Some(&b))?;
    let info = s.app.library(&a, &b).await?;
    Ok(Json(LibraryDto {
        library: (&info.library).into(),
        ancestry: info.ancestry.iter().skip(1).map(Into::into).collect(),
        runs_and_files: info.descendants.iter().map(Into::into).collect(),
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditParams {
    /// Only entries about this target, e.g. `participant:ZP…`.
    target: Option<String>,
    /// How many, newest first (1 to 1000, default 100).
    limit: Option<i64>,
}

/// The newest audit entries (admin, data-centre staff).
#[utoipa::path(get, path = "/api/v1/audit", tag = "admin", params(AuditParams),
    responses((status = 200, body = [AuditDto]), (status = 403, body = crate::problem::Problem)), security(("bearer" = [])))]
pub(crate) async fn list_audit(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    q: Result<Query<AuditParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Vec<AuditDto>>> {
    zenome_app::policy::require_auditor(&a)?;
    let Query(q) = q.map_err(|e| AppError::invalid("query", e.body_text()))?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(AppError::invalid("limit", "between 1 and 1000").into());
    }
    let rows = s
        .app
        .store()
        .audit_recent(q.target.as_deref(), limit)
        .await
        .map_err(AppError::from)?;
    Ok(Json(
        rows.into_iter()
            .map(|r| AuditDto {
                seq: r.seq,
                at: rfc3339(r.at),
                actor: r.actor,
                action: r.action,
                target: r.target,
                detail: serde_json::from_str(&r.detail)
                    .unwrap_or(serde_json::Value::String(r.detail)),
                hash: r.hash,
            })
            .collect(),
    ))
}
