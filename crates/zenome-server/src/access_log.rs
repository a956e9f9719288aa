//! The access log (R8.2): every authenticated API request — reads included,
//! refusals included — becomes an entry of the hash-chained audit trail,
//! with the caller, the path, the status and the address. Changes are
//! audited again, in their own transaction, with their details.

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::json;
use zenome_store::AuditEntry;

use crate::AppState;
use crate::extract::AuditSlot;

fn logged(path: &str) -> bool {
    (path.starts_with("/api/v1/") || path.starts_with("/ga4gh/") || path.starts_with("/htsget/"))
        && !path.starts_with("/api/v1/public/")
        && path != "/api/v1/openapi.json"
        && path != "/api/v1/auth/login"
}

pub(crate) async fn log(State(s): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if !logged(&path) {
        return next.run(req).await;
    }
    let method = req.method().as_str().to_ascii_lowercase();
    let ip = req
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    let slot = AuditSlot::default();
    req.extensions_mut().insert(slot.clone());
    let resp = next.run(req).await;
    let info = slot.0.lock().expect("audit slot").clone();
    let actor = info
        .as_ref()
        .map(|i| i.actor.clone())
        .unwrap_or_else(|| format!("anonymous@{}", ip.as_deref().unwrap_or("unknown")));
    let status = resp.status().as_u16();
    let entry = AuditEntry::new(actor, format!("http.{method}"), path)
        .with_detail(json!({ "status": status, "ip": ip }));
    let token = info.as_ref().and_then(|i| i.token.as_ref());
    if let Err(e) = s
        .app
        .record_access(
            entry,
            token.map(|(u, h)| (u.as_str(), h.as_str())),
            ip.as_deref(),
        )
        .await
    {
        tracing::error!(error = ?e, "cannot record an access");
    }
    resp
}
