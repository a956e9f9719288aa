//! In-app notifications (issue 15): `GET /api/v1/notifications` (the
//! caller's, newest first) and `POST /api/v1/notifications/read`.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use serde::Serialize;
use utoipa::ToSchema;
use zenome_app::notifications::NotificationView;

use crate::AppState;
use crate::extract::ApiActor;
use crate::problem::ApiError;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/notifications", get(list))
        .route("/api/v1/notifications/read", post(read))
}

/// One notification.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationDto {
    id: String,
    /// RFC 3339.
    at: String,
    text_en: String,
    text_ja: String,
    /// A portal path.
    link: String,
    read: bool,
}

impl From<NotificationView> for NotificationDto {
    fn from(n: NotificationView) -> Self {
        Self {
            id: n.id,
            at: n.at,
            text_en: n.text_en,
            text_ja: n.text_ja,
            link: n.link,
            read: n.read,
        }
    }
}

/// The caller's notifications, newest first (at most 200).
#[utoipa::path(get, path = "/api/v1/notifications", tag = "access",
    responses(
        (status = 200, description = "notifications", body = [NotificationDto]),
        (status = 401, description = "not authenticated", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn list(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<NotificationDto>>, ApiError> {
    Ok(Json(
        s.app
            .notifications(&a)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// How many were marked read.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadDto {
    marked: u64,
}

/// Marks all of the caller's notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/read", tag = "access",
    responses(
        (status = 200, description = "marked", body = ReadDto),
        (status = 401, description = "not authenticated", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn read(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<ReadDto>, ApiError> {
    Ok(Json(ReadDto {
        marked: s.app.read_notifications(&a).await?,
    }))
}
