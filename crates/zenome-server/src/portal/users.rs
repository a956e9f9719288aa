//! Portal pages for credentials: the admin's user list (disable / enable),
//! and a user's API tokens with a revoke button each (the user or an admin).
//! Every form carries the CSRF token; the services audit every change.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use zenome_app::auth::UserSummary;

use super::{PageCtx, Visit, csrf_failed, error_page, local_time, page, to_login};
use crate::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal/users", get(users_page))
        .route("/portal/users/{name}/{action}", post(user_action))
        .route("/portal/users/{name}/tokens", get(tokens_page))
        .route(
            "/portal/users/{name}/tokens/{id}/revoke",
            post(revoke_submit),
        )
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    ctx: PageCtx,
    users: Vec<UserSummary>,
}

async fn users_page(State(s): State<AppState>, h: HeaderMap) -> Response {
    let v = Visit::read(&s, &h, "/portal/users").await;
    let Some(a) = &v.actor else { return to_login() };
    match s.app.users(a).await {
        Ok(users) => page(
            StatusCode::OK,
            UsersPage {
                ctx: v.ctx(&s, None),
                users,
            },
        ),
        Err(e) => error_page(&s, &v, e),
    }
}

async fn user_action(
    State(s): State<AppState>,
    h: HeaderMap,
    Path((name, action)): Path<(String, String)>,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Response {
    let v = Visit::read(&s, &h, "/portal/users").await;
    let Some(a) = &v.actor else { return to_login() };
    if !v.check_csrf(&s, &form) {
        return csrf_failed(&s, &v);
    }
    let disabled = match action.as_str() {
        "disable" => true,
        "enable" => false,
        _ => return error_page(&s, &v, zenome_app::AppError::NotFound("page")),
    };
    match s.app.set_user_disabled(a, &name, disabled).await {
        Ok(()) => Redirect::to("/portal/users").into_response(),
        Err(e) => error_page(&s, &v, e),
    }
}

/// A token row as shown.
struct TokenRow {
    id: String,
    label: String,
    created: String,
    last_used: String,
    expires: String,
    state: &'static str,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    ctx: PageCtx,
    username: String,
    tokens: Vec<TokenRow>,
}

async fn tokens_page(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    let v = Visit::read(&s, &h, "/portal/users").await;
    let Some(a) = &v.actor else { return to_login() };
    let now = time::OffsetDateTime::now_utc();
    match s.app.api_tokens(a, &name).await {
        Ok(list) => page(
            StatusCode::OK,
            TokensPage {
                ctx: v.ctx(&s, None),
                username: name,
                tokens: list
                    .into_iter()
                    .map(|t| TokenRow {
                        state: if t.revoked_at.is_some() {
                            "token_revoked"
                        } else if t.expires_at.is_some_and(|e| e <= now) {
                            "token_expired"
                        } else {
                            "token_active"
                        },
                        id: t.id,
                        label: t.label,
                        created: local_time(t.created_at),
                        last_used: t.last_used_at.map(local_time).unwrap_or_default(),
                        expires: t.expires_at.map(local_time).unwrap_or_default(),
                    })
                    .collect(),
            },
        ),
        Err(e) => error_page(&s, &v, e),
    }
}

async fn revoke_submit(
    State(s): State<AppState>,
    h: HeaderMap,
    Path((name, id)): Path<(String, String)>,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Response {
    let v = Visit::read(&s, &h, "/portal/users").await;
    let Some(a) = &v.actor else { return to_login() };
    if !v.check_csrf(&s, &form) {
        return csrf_failed(&s, &v);
    }
    match s.app.revoke_api_token(a, &name, &id).await {
        Ok(()) => Redirect::to(&format!("/portal/users/{name}/tokens")).into_response(),
        Err(e) => error_page(&s, &v, e),
    }
}
