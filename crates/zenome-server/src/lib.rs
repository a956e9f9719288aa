//! Zenome's HTTP server: the only crate that knows axum.
//!
//! It owns the wire: the JSON API under `/api/v1` (with its OpenAPI
//! document), GA4GH service-info, the server-rendered bilingual portal, the
//! Prometheus `/metrics`, security headers, CSRF checks and request logs. It
//! decides nothing about who may do what: every handler calls a
//! `zenome_app::App` service, which does.

mod access_log;
mod api;
mod beacon;
mod clinical_api;
mod extract;
mod files_api;
mod findings_api;
mod grant_files_api;
mod identity_api;
mod metrics_layer;
mod notifications_api;
mod nul;
mod openapi;
mod pipelines_api;
mod portal;
mod prioritise_api;
mod problem;
mod qc_drift_api;
mod reports_api;
mod security;
mod service_info;
mod variants_api;

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tower_http::trace::TraceLayer;
use zenome_app::App;

pub use openapi::openapi_json;

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    /// The application services.
    pub app: App,
    metrics: PrometheusHandle,
}

fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .install_recorder()
                .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder().handle())
        })
        .clone()
}

/// The whole router: API, portal, service-info, metrics.
pub fn router(app: App) -> Router {
    let state = AppState {
        app,
        metrics: metrics_handle(),
    };
    let limit = tower_http::limit::RequestBodyLimitLayer::new(8 * 1024 * 1024);
    Router::new()
        .merge(api::routes().layer(limit))
        .merge(beacon::routes().layer(limit))
        .merge(portal::routes().layer(limit))
        .merge(clinical_api::routes().layer(tower_http::limit::RequestBodyLimitLayer::new(64 * 1024 * 1024)))
        .merge(files_api::routes())
        .merge(files_api::drs_routes())
        .merge(files_api::htsget_routes())
        .merge(variants_api::routes().layer(limit))
        .merge(identity_api::routes().layer(limit))
        .merge(qc_drift_api::routes().layer(limit))
        .merge(findings_api::routes().layer(limit))
        .merge(prioritise_api::routes().layer(limit))
        .merge(reports_api::routes().layer(limit))
        .merge(grant_files_api::routes().layer(limit))
        .merge(notifications_api::routes().layer(limit))
        .merge(pipelines_api::routes().layer(limit))
        .route("/service-info", get(service_info::service_info))
        .route("/metrics", get(metrics_layer::render))
        .route("/healthz", get(|| async { "ok" }))
        .fallback(portal::not_found)
        .route_layer(axum::middleware::from_fn(nul::refuse))
        .layer(axum::middleware::from_fn_with_state(state.clone(), access_log::log))
        .layer(axum::middleware::from_fn(metrics_layer::track))
        .layer(axum::middleware::from_fn_with_state(state.clone(), security::headers))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &http::Request<_>| {
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
        }))
        .with_state(state)
}

/// Serves until `shutdown` resolves, then drains connections (graceful).
pub async fn serve(
    app: App,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let store = app.store().clone();
    // what a crash left in the upload path: finish uploads whose bytes were
    // all durable, remove partial copies and ended stagings
    let started = std::time::SystemTime::now();
    let recover_app = app.clone();
    let recovery = tokio::spawn(async move {
        match recover_app.recover_uploads(started).await {
            Ok(r) => {
                if !(r.finished.is_empty()
                    && r.failed.is_empty()
                    && r.partials.is_empty()
                    && r.stale_staging.is_empty())
                {
                    tracing::warn!(
                        finished = ?r.finished,
                        failed = ?r.failed,
                        partial_files_removed = r.partials.len(),
                        stale_staging_removed = r.stale_staging.len(),
                        "recovered the upload path after an unclean stop"
                    );
                }
            }
            Err(e) => tracing::error!(error = ?e, "upload recovery at start-up failed"),
        }
        // the variant store's working copy against its object store copy
        match recover_app.sync_variant_store().await {
            Ok(s) if s.published > 0 || s.fetched > 0 => tracing::info!(
                published = s.published,
                fetched = s.fetched,
                batches = s.batches,
                "variant store synchronised with its object store"
            ),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "variant store synchronisation failed"),
        }
        // stored files never fingerprinted (a stop before their run)
        match recover_app.fingerprint_unprocessed().await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(
                n,
                "fingerprinting stored files that were never fingerprinted"
            ),
            Err(e) => tracing::error!(error = ?e, "identity recovery at start-up failed"),
        }
        // stored VCFs the variant store never saw (a stop before their load)
        match recover_app.load_unloaded_variants().await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(
                n,
                "loading stored VCFs that were never loaded into the variant store"
            ),
            Err(e) => tracing::error!(error = ?e, "variant load recovery at start-up failed"),
        }
        // participants in the variant store never annotated
        recover_app.settle_variant_loads().await;
        if let Err(e) = recover_app.annotate_unannotated().await {
            tracing::error!(error = ?e, "annotation at start-up failed");
        }
    });
    let purge_store = store.clone();
    let purge = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        loop {
            tick.tick().await;
            if let Err(e) = purge_store
                .purge_sessions(time::OffsetDateTime::now_utc())
                .await
            {
                tracing::warn!(error = %e, "cannot purge expired sessions");
            }
        }
    });
    // Anchors the audit head at start, then whenever `[audit] every_entries`
    // entries or `every_minutes` minutes have passed (a cheap read of the
    // head every few seconds), and once more at shutdown.
    let anchor_app = app.clone();
    let anchor_mark = std::sync::Arc::new(tokio::sync::Mutex::new(None));
    let anchor_state = anchor_mark.clone();
    let anchor = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        let mut failing = false;
        loop {
            tick.tick().await;
            let mut last = anchor_state.lock().await;
            match anchor_app.anchor_if_due(&mut last, false).await {
                Ok(_) if failing => {
                    failing = false;
                    tracing::info!("audit anchors are written again");
                }
                Ok(_) => {}
                // logged once per outage, not every few seconds
                Err(e) if !failing => {
                    failing = true;
                    tracing::error!(error = ?e, "cannot write an audit anchor");
                }
                Err(_) => {}
            }
        }
    });
    let scrub_app = app.clone();
    let hours = u64::from(app.config().files.scrub_interval_hours);
    let scrub = tokio::spawn(async move {
        if hours == 0 {
            return;
        }
        let every = Duration::from_secs(hours * 3600);
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        loop {
            tick.tick().await;
            match scrub_app.scrub().await {
                Ok(r) => tracing::info!(
                    objects = r.objects,
                    repaired = r.repaired.len(),
                    lost = r.lost.len(),
                    "scheduled scrub"
                ),
                Err(e) => tracing::error!(error = ?e, "scheduled scrub failed"),
            }
        }
    });
    // QC re-evaluation of the sequencing centres: whenever none ran within
    // `[qc_drift] interval_hours`, checked five minutes after start (out of
    // the way of the start-up recovery) and every ten minutes after, so a
    // restart neither skips nor repeats a run
    let drift_app = app.clone();
    let drift = tokio::spawn(async move {
        if drift_app.config().qc_drift.interval_hours == 0 {
            return;
        }
        let mut tick = tokio::time::interval_at(
            tokio::time::Instant::now() + Duration::from_secs(300),
            Duration::from_secs(600),
        );
        loop {
            tick.tick().await;
            if let Err(e) = drift_app.run_qc_drift_if_due().await {
                tracing::error!(error = ?e, "scheduled QC re-evaluation failed");
            }
        }
    });
    let closing_app = app.clone();
    let r = axum::serve(
        listener,
        router(app).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    recovery.abort();
    purge.abort();
    // taken first, so the task is never stopped between an anchor's put
    // and its record
    let mut last = anchor_mark.lock().await;
    anchor.abort();
    if let Err(e) = closing_app.anchor_if_due(&mut last, true).await {
        tracing::error!(error = ?e, "cannot write the closing audit anchor");
    }
    scrub.abort();
    drift.abort();
    store.close().await;
    r
}
