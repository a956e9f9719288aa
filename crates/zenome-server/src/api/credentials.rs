//! Credential management: a user's API tokens (list, issue with an optional
//! expiry, revoke) and disabling users. Tokens are listed by id, never by
//! secret; someone else's tokens look absent (404) to anyone but an admin.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zenome_store::TokenInfo;

use super::dto::rfc3339;
use crate::AppState;
use crate::extract::{ApiActor, ApiJson};
use crate::problem::ApiError;

type ApiResult<T> = Result<T, ApiError>;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/users/{username}/tokens",
            get(list_tokens).post(issue_token),
        )
        .route("/api/v1/users/{username}/tokens/{id}", delete(revoke_token))
        .route("/api/v1/users/{username}/disable", post(disable_user))
        .route("/api/v1/users/{username}/enable", post(enable_user))
}

/// An API token as listed: never the secret.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TokenDto {
    /// Public id (what revocation takes).
    id: String,
    /// Label given at creation.
    label: String,
    /// RFC 3339.
    created_at: String,
    /// RFC 3339, to the minute; absent if never used.
    last_used_at: Option<String>,
    /// RFC 3339; absent if it never expires.
    expires_at: Option<String>,
    /// RFC 3339; absent unless revoked.
    revoked_at: Option<String>,
    /// `active`, `expired` or `revoked`.
    state: &'static str,
}

impl From<TokenInfo> for TokenDto {
    fn from(t: TokenInfo) -> Self {
        let now = time::OffsetDateTime::now_utc();
        let state = if t.revoked_at.is_some() {
            "revoked"
        } else if t.expires_at.is_some_and(|e| e <= now) {
            "expired"
        } else {
            "active"
        };
        Self {
            id: t.id,
            label: t.label,
            created_at: rfc3339(t.created_at),
            last_used_at: t.last_used_at.map(rfc3339),
            expires_at: t.expires_at.map(rfc3339),
            revoked_at: t.revoked_at.map(rfc3339),
            state,
        }
    }
}

/// A token to issue.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewTokenDto {
    /// What it is for (1 to 100 characters).
    label: String,
    /// Days until it expires (1 to 3650); absent: it never expires.
    expires_in_days: Option<u32>,
}

/// A newly issued token: the secret is shown here, once.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct IssuedTokenDto {
    /// Public id.
    id: String,
    /// The bearer token (`zk_…`).
    token: String,
    /// RFC 3339; absent if it never expires.
    expires_at: Option<String>,
}

/// A user's API tokens (the user or an admin).
#[utoipa::path(get, path = "/api/v1/users/{username}/tokens", tag = "admin",
    params(("username" = String, Path, description = "login name")),
    responses(
        (status = 200, description = "the tokens, newest first", body = [TokenDto]),
        (status = 401, description = "not authenticated", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "unknown role", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such user, or not yours", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn list_tokens(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(username): Path<String>,
) -> ApiResult<Json<Vec<TokenDto>>> {
    Ok(Json(
        s.app
            .api_tokens(&a, &username)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Issues an API token to a machine user (admin), optionally expiring.
#[utoipa::path(post, path = "/api/v1/users/{username}/tokens", tag = "admin", request_body = NewTokenDto,
    params(("username" = String, Path, description = "login name")),
    responses(
        (status = 201, description = "issued; the secret is shown once", body = IssuedTokenDto),
        (status = 401, description = "not authenticated", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not an admin", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such user", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "invalid field (named)", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn issue_token(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(username): Path<String>,
    ApiJson(t): ApiJson<NewTokenDto>,
) -> ApiResult<(StatusCode, Json<IssuedTokenDto>)> {
    let expires_at = match t.expires_in_days {
        None => None,
        Some(d @ 1..=3650) => {
            Some(time::OffsetDateTime::now_utc() + time::Duration::days(i64::from(d)))
        }
        Some(_) => {
            return Err(zenome_app::AppError::invalid("expires_in_days", "1 to 3650").into());
        }
    };
    let (id, token) = s
        .app
        .issue_api_token(&a, &username, &t.label, expires_at)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(IssuedTokenDto {
            id,
            token: token.expose().clone(),
            expires_at: expires_at.map(rfc3339),
        }),
    ))
}

/// Revokes one of a user's API tokens (the user or an admin): 401 from the
/// next request on, and passports issued under it stop too.
#[utoipa::path(delete, path = "/api/v1/users/{username}/tokens/{id}", tag = "admin",
    params(("username" = String, Path, description = "login name"), ("id" = String, Path, description = "token id")),
    responses(
        (status = 204, description = "revoked (also when it already was)"),
        (status = 401, description = "not authenticated", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "unknown role", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such user or token, or not yours", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn revoke_token(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path((username, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    s.app.revoke_api_token(&a, &username, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Disables a user (admin): every session, token and passport of theirs is
/// refused at once.
#[utoipa::path(post, path = "/api/v1/users/{username}/disable", tag = "admin",
    params(("username" = String, Path, description = "login name")),
    responses(
        (status = 204, description = "disabled"),
        (status = 401, description = "not authenticated", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not an admin", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such user", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "an admin cannot disable themselves", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn disable_user(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(username): Path<String>,
) -> ApiResult<StatusCode> {
    s.app.set_user_disabled(&a, &username, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Re-enables a user (admin). Their old sessions stay ended.
#[utoipa::path(post, path = "/api/v1/users/{username}/enable", tag = "admin",
    params(("username" = String, Path, description = "login name")),
    responses(
        (status = 204, description = "enabled"),
        (status = 401, description = "not authenticated", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not an admin", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such user", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn enable_user(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(username): Path<String>,
) -> ApiResult<StatusCode> {
    s.app.set_user_disabled(&a, &username, false).await?;
    Ok(StatusCode::NO_CONTENT)
}
