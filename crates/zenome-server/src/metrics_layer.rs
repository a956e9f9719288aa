//! Prometheus metrics: request counts and latencies by route, rendered at
//! `/metrics`.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;

pub(crate) async fn track(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let resp = next.run(req).await;
    let status = resp.status().as_u16().to_string();
    metrics::counter!("zenome_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status).increment(1);
    metrics::histogram!("zenome_http_request_duration_seconds", "method" => method, "route" => route)
        .record(start.elapsed().as_secs_f64());
    resp
}

pub(crate) async fn render(State(s): State<AppState>) -> impl IntoResponse {
    if let Ok(stats) = s.app.public_stats().await {
        let total: i64 = stats.participants.iter().map(|c| c.n).sum();
        metrics::gauge!("zenome_participants").set(total as f64);
        for c in &stats.consent {
            metrics::gauge!("zenome_participants_by_consent", "state" => c.key.clone())
                .set(c.n as f64);
        }
    }
    if let Ok((seq, _)) = s.app.store().audit_head().await {
        metrics::gauge!("zenome_audit_entries").set(seq as f64);
    }
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        s.metrics.render(),
    )
}
