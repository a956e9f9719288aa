//! Extractors: the API caller (bearer token), JSON bodies whose errors are
//! problem+json naming the field, and the client address.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use zenome_app::{Actor, AppError};

use crate::AppState;
use crate::problem::ApiError;

/// Who made an API request, filled in by [`ApiActor`] for the access log.
#[derive(Clone, Default)]
pub struct AuditSlot(pub Arc<Mutex<Option<SlotInfo>>>);

/// What the access log needs to know about the caller.
#[derive(Clone, Debug)]
pub struct SlotInfo {
    /// The audit name of the actor.
    pub actor: String,
    /// For API tokens: (owner, token hash), to track the addresses it is used from.
    pub token: Option<(String, String)>,
}

/// The authenticated API caller, from `Authorization: Bearer …`: an API
/// token, a session token, or a GA4GH Passport/Visa issued by Zenome.
pub struct ApiActor(pub Actor);

impl FromRequestParts<AppState> for ApiActor {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(AppError::Unauthorized)?;
        let actor = if token.starts_with("eyJ") {
            state.app.actor_from_visas(token).await?
        } else {
            state.app.actor_from_bearer(token).await?
        };
        if let Some(slot) = parts.extensions.get::<AuditSlot>() {
            let tok = token
                .starts_with("zk_")
                .then(|| (actor.username.clone(), zenome_auth::hash_token(token)));
            *slot.0.lock().expect("audit slot") = Some(SlotInfo {
                actor: actor.audit_name(),
                token: tok,
            });
        }
        Ok(Self(actor))
    }
}

/// The bearer token itself (for logout).
pub struct BearerToken(pub String);

impl<S: Send + Sync> FromRequestParts<S> for BearerToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| Self(t.trim().to_string()))
            .ok_or(ApiError(AppError::Unauthorized))
    }
}

/// The client's address, when the server runs on a socket.
pub struct ClientIp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip().to_string()),
        ))
    }
}

/// A JSON body. Malformed JSON is a 400, a body of the wrong shape a 422
/// naming the field serde stopped at; a NUL character in any string a 400
/// naming its field.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = axum::response::Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let ct_ok = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        use axum::response::IntoResponse as _;
        if !ct_ok {
            return Err(ApiError(AppError::invalid(
                "content-type",
                "expected application/json",
            ))
            .into_response());
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| {
                ApiError(AppError::invalid(
                    "body",
                    "the request body could not be read",
                ))
                .into_response()
            })?;
        if let Some(field) = crate::nul::json_field(&bytes) {
            return Err(crate::nul::refused(&field));
        }
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        match serde_path_to_error::deserialize::<_, T>(de) {
            Ok(v) => Ok(Self(v)),
            Err(e) => {
                let path = e.path().to_string();
                let inner = e.into_inner();
                let msg = inner.to_string();
                let field = missing_field(&msg)
                    .map(|f| {
                        if path == "." {
                            f
                        } else {
                            format!("{path}.{f}")
                        }
                    })
                    .or_else(|| (path != ".").then_some(path))
                    .unwrap_or_else(|| "body".into());
                Err(ApiError(AppError::invalid(field, msg)).into_response())
            }
        }
    }
}

fn missing_field(msg: &str) -> Option<String> {
    let rest = msg.strip_prefix("missing field `")?;
    Some(rest.split('`').next()?.to_string())
}
