//! RFC 9457 problem details: every API error leaves through here, one status
//! per `AppError` variant. A 5xx body never carries the internal cause,
//! which goes to the log.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use zenome_app::AppError;

/// An API error.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        Self(e)
    }
}

impl From<zenome_domain::DomainError> for ApiError {
    fn from(e: zenome_domain::DomainError) -> Self {
        Self(e.into())
    }
}

/// The problem+json body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary of the kind.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What happened here.
    pub detail: String,
    /// The field at fault, for validation errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Every fault of a refused submission (row, path, item, rule, messages
    /// in English and Japanese).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub errors: Option<Vec<zenome_app::error::SubmissionProblem>>,
}

pub(crate) fn status_of(e: &AppError) -> StatusCode {
    match e {
        AppError::Unauthorized => StatusCode::UNAUTHORIZED,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Conflict { .. } => StatusCode::CONFLICT,
        AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::Rejected { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Store(_) | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

pub(crate) fn problem_of(e: &AppError) -> Problem {
    let status = status_of(e);
    let (kind, title, detail, field) = match e {
        AppError::Unauthorized => (
            "unauthorized",
            "Authentication required",
            "missing or invalid credentials".to_string(),
            None,
        ),
        AppError::Forbidden(m) => ("forbidden", "Forbidden", m.clone(), None),
        AppError::NotFound(what) => ("not-found", "Not found", format!("{what} not found"), None),
        AppError::Invalid { field, reason } => (
            "invalid-field",
            "Invalid field",
            format!("{field}: {reason}"),
            Some(field.clone()),
        ),
        AppError::Conflict { field, message } => {
            ("conflict", "Conflict", message.clone(), field.clone())
        }
        AppError::RateLimited { retry_after } => (
            "rate-limited",
            "Too many attempts",
            format!("try again in {retry_after} seconds"),
            None,
        ),
        AppError::Rejected { what, problems } => (
            "rejected",
            "Submission refused",
            format!(
                "{what}: {} problem(s), nothing was stored; first: {}",
                problems.len(),
                problems
                    .first()
                    .map(|p| p.message_en.as_str())
                    .unwrap_or_default()
            ),
            None,
        ),
        AppError::Store(_) | AppError::Internal(_) => (
            "internal",
            "Internal error",
            "an internal error occurred; it has been logged".to_string(),
            None,
        ),
    };
    Problem {
        kind: format!("https://zenome.jp/problems/{kind}"),
        title: title.into(),
        status: status.as_u16(),
        detail,
        field,
        errors: match e {
            AppError::Rejected { problems, .. } => Some(problems.clone()),
            _ => None,
        },
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_of(&self.0);
        if status.is_server_error() {
            tracing::error!(error = ?self.0, "request failed");
        }
        let mut resp = (status, Json(problem_of(&self.0))).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let AppError::RateLimited { retry_after } = &self.0
            && let Ok(v) = HeaderValue::from_str(&retry_after.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"zenome\""),
            );
        }
        resp
    }
}
