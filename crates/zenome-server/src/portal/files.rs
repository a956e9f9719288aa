//! Portal pages of sequencing data: QC per sequencing centre (R4.2) —
//! distributions over time as charts, and the files that failed — so the
//! periodic re-evaluation of a centre is a glance; beside them the drift
//! report of the latest re-evaluation (`zenome_app::qc_drift`), its metrics
//! over past runs, and staff's "re-evaluate now".

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use zenome_app::qc_drift::{CentreDrift, DriftReport, stats::METRICS};
use zenome_domain::organisation::OrgCode;
use zenome_domain::role::Role;
use zenome_store::QcDriftResultRow;

use super::i18n::Tr;
use super::{PageCtx, Visit, chart, error_page, page, to_login};
use crate::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal/qc", get(centres))
        .route("/portal/qc/drift/run", post(run_drift))
        .route("/portal/qc/{centre}", get(centre))
}

struct CentreRow {
    code: String,
    /// Its name in the page's language.
    name: String,
    files: usize,
    failed: usize,
    /// `drifting`, `stable`, `not_enough_data`, or empty before any run.
    drift: String,
    drift_label: String,
    drift_class: &'static str,
    /// The drifting metrics with their reasons, in the page's language.
    drift_why: String,
}

/// When the latest re-evaluation ran and over which periods.
struct RunInfo {
    at: String,
    window: String,
    baseline: String,
}

#[derive(Template)]
#[template(path = "qc_centres.html")]
struct CentresPage {
    ctx: PageCtx,
    centres: Vec<CentreRow>,
    run: Option<RunInfo>,
    can_run: bool,
}

/// The badge class of a verdict (the portal's existing state colours).
fn drift_class(verdict: &str) -> &'static str {
    match verdict {
        "drifting" => "withdrawn",
        "stable" => "active",
        _ => "residual",
    }
}

fn day(t: time::OffsetDateTime) -> String {
    super::local_time(t).chars().take(10).collect()
}

fn run_info(r: &DriftReport) -> RunInfo {
    RunInfo {
        at: super::local_time(r.run.at),
        window: format!("{} – {}", day(r.run.window_start), day(r.run.window_end)),
        baseline: format!(
            "{} – {}",
            day(r.run.baseline_start),
            day(r.run.window_start)
        ),
    }
}

fn why(tr: Tr, c: &CentreDrift) -> String {
    c.drifting()
        .map(|m| format!("{}: {}", tr.t(&m.metric), tr.t(&m.reason)))
        .collect::<Vec<_>>()
        .join("; ")
}

fn may_run_drift(a: &zenome_app::Actor) -> bool {
    a.role == Role::DataCentreStaff
}

async fn centres(State(s): State<AppState>, h: HeaderMap) -> Response {
    let v = Visit::read(&s, &h, "/portal/qc").await;
    let Some(a) = &v.actor else { return to_login() };
    let codes = match s.app.qc_centres(a).await {
        Ok(c) => c,
        Err(e) => return error_page(&s, &v, e),
    };
    let report = match s.app.qc_drift_latest(a).await {
        Ok(r) => r,
        Err(e) => return error_page(&s, &v, e),
    };
    let tr = v.tr();
    let mut rows = Vec::new();
    for c in codes {
        let files = s.app.centre_files(a, &c).await.unwrap_or_default();
        let drift = report
            .as_ref()
            .and_then(|r| r.centres.iter().find(|d| d.centre == c.as_str()));
        let name = drift
            .map(|d| if tr.is_ja() { &d.name_ja } else { &d.name })
            .cloned()
            .unwrap_or_default();
        let verdict = drift.map(|d| d.verdict.clone()).unwrap_or_default();
        rows.push(CentreRow {
            code: c.to_string(),
            name,
            failed: files.iter().filter(|f| f.qc_status == "failed").count(),
            files: files.len(),
            drift_label: if verdict.is_empty() {
                String::new()
            } else {
                tr.t(&verdict).to_string()
            },
            drift_class: drift_class(&verdict),
            drift_why: drift.map(|d| why(tr, d)).unwrap_or_default(),
            drift: verdict,
        });
    }
    page(
        StatusCode::OK,
        CentresPage {
            ctx: v.ctx(&s, None),
            centres: rows,
            run: report.as_ref().map(run_info),
            can_run: may_run_drift(a),
        },
    )
}

/// Staff re-evaluate every centre now (CSRF-checked form).
async fn run_drift(
    State(s): State<AppState>,
    h: HeaderMap,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Response {
    let v = Visit::read(&s, &h, "/portal/qc").await;
    let Some(a) = &v.actor else { return to_login() };
    if !v.check_csrf(&s, &form) {
        return super::csrf_failed(&s, &v);
    }
    match s.app.run_qc_drift(a, "requested").await {
        Ok(_) => Redirect::to("/portal/qc").into_response(),
        Err(e) => error_page(&s, &v, e),
    }
}

/// One metric of the latest run, formatted.
struct DriftRow {
    key: String,
    label: String,
    verdict: String,
    verdict_label: String,
    class: &'static str,
    reason: String,
    note: String,
    window: String,
    baseline: String,
    programme: String,
}

fn shown(metric: &str, n: i64, value: Option<f64>) -> String {
    match value {
        None => format!("— (n = {n})"),
        Some(x) if metric == "failure_rate" => format!("{:.1} % (n = {n})", 100.0 * x),
        Some(x) => format!("{x:.3} (n = {n})"),
    }
}

fn drift_row(tr: Tr, m: &QcDriftResultRow) -> DriftRow {
    DriftRow {
        key: m.metric.clone(),
        label: tr.t(&m.metric).to_string(),
        verdict_label: tr.t(&m.verdict).to_string(),
        class: drift_class(&m.verdict),
        verdict: m.verdict.clone(),
        reason: tr.t(&m.reason).to_string(),
        note: m.note.clone(),
        window: shown(&m.metric, m.window_n, m.window_value),
        baseline: shown(&m.metric, m.baseline_n, m.baseline_value),
        programme: shown(&m.metric, m.programme_n, m.programme_value),
    }
}

/// A metric's window, baseline and programme values over past runs.
fn drift_chart(
    tr: Tr,
    metric: &str,
    history: &[(time::OffsetDateTime, QcDriftResultRow)],
) -> String {
    let now = time::OffsetDateTime::now_utc();
    let mut points = Vec::new();
    for (at, r) in history.iter().filter(|(_, r)| r.metric == metric) {
        let x = -((now - *at).as_seconds_f64() / 86_400.0);
        for (class, v, n) in [
            (0, r.window_value, r.window_n),
            (1, r.baseline_value, r.baseline_n),
            (2, r.programme_value, r.programme_n),
        ] {
            if let Some(y) = v {
                points.push(chart::Point {
                    x,
                    y,
                    class,
                    label: format!("{}: {y:.3} (n = {n})", super::local_time(*at)),
                });
            }
        }
    }
    if points.is_empty() {
        return String::new();
    }
    let (mut lo, mut hi) = points
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.y), b.max(p.y)));
    let pad = ((hi - lo) * 0.1).max(hi.abs() * 0.02).max(1e-3);
    // rates and fractions never go below 0
    lo = if lo >= 0.0 {
        (lo - pad).max(0.0)
    } else {
        lo - pad
    };
    hi += pad;
    let x_lo = points.iter().map(|p| p.x).fold(0.0_f64, f64::min).min(-1.0);
    chart::scatter(
        &format!("{} — {}", tr.t(metric), tr.t("qc_drift_history")),
        &chart::Axes {
            x_label: tr.t("qc_drift_days_ago"),
            y_label: tr.t(metric),
            x_range: (x_lo * 1.05, 0.0),
            y_range: (lo, hi),
        },
        &[],
        &[
            chart::Series {
                label: tr.t("qc_drift_window"),
                colour: "#c0392b",
            },
            chart::Series {
                label: tr.t("qc_drift_baseline"),
                colour: "#1a5276",
            },
            chart::Series {
                label: tr.t("qc_drift_programme"),
                colour: "#7f8c8d",
            },
        ],
        &points,
    )
}

/// One metric's distribution over a centre's files.
struct Metric {
    label: String,
    n: usize,
    min: String,
    median: String,
    max: String,
}

struct FailedFile {
    id: String,
    name: String,
    format: String,
    participant: String,
    when: String,
    reasons: String,
}

#[derive(Template)]
#[template(path = "qc_centre.html")]
struct CentrePage {
    ctx: PageCtx,
    centre: String,
    files: usize,
    failed_count: usize,
    by_month: String,
    metrics: Vec<Metric>,
    failed: Vec<FailedFile>,
    /// The centre's name in the page's language (empty before any run).
    name: String,
    drift_verdict: String,
    drift_label: String,
    drift_class: &'static str,
    drift: Vec<DriftRow>,
    run: Option<RunInfo>,
    /// The metric charted, and the chart over past runs.
    chart_metric: String,
    drift_chart: String,
    can_run: bool,
}

fn stat(label: &str, mut v: Vec<f64>) -> Option<Metric> {
    v.retain(|x| x.is_finite());
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let f = |x: f64| format!("{x:.3}");
    Some(Metric {
        label: label.into(),
        n: v.len(),
        min: f(v[0]),
        median: f(v[v.len() / 2]),
        max: f(v[v.len() - 1]),
    })
}

async fn centre(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(code): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let v = Visit::read(&s, &h, &format!("/portal/qc/{code}")).await;
    let Some(a) = &v.actor else { return to_login() };
    let Ok(c) = code.parse::<OrgCode>() else {
        return error_page(&s, &v, zenome_app::AppError::NotFound("sequencing centre"));
    };
    let files = match s.app.centre_files(a, &c).await {
        Ok(f) => f,
        Err(e) => return error_page(&s, &v, e),
    };
    let tr = v.tr();
    let mut months: BTreeMap<String, [i64; 2]> = BTreeMap::new();
    let mut series: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let mut failed = Vec::new();
    for f in &files {
        let m = format!(
            "{}-{:02}",
            f.created_at.year(),
            u8::from(f.created_at.month())
        );
        months.entry(m).or_default()[usize::from(f.qc_status == "failed")] += 1;
        let q: serde_json::Value = serde_json::from_str(&f.qc).unwrap_or_default();
        for (key, label) in [
            ("q30_fraction", "fastq_q30"),
            ("mean_quality", "fastq_mean_quality"),
            ("mapped_fraction", "alignment_mapped"),
            ("duplicate_fraction", "alignment_duplicates"),
            ("ts_tv", "vcf_ts_tv"),
            ("het_hom_ratio", "vcf_het_hom"),
        ] {
            if let Some(x) = q.get(key).and_then(serde_json::Value::as_f64) {
                series.entry(label).or_default().push(x);
            }
        }
        if f.qc_status == "failed" {
            let reasons: Vec<String> = serde_json::from_str(&f.qc_failures).unwrap_or_default();
            failed.push(FailedFile {
                id: f.id.clone(),
                name: f.name.clone(),
                format: f.format.clone(),
                participant: f.participant_id.to_string(),
                when: super::local_time(f.created_at),
                reasons: reasons.join("; "),
            });
        }
    }
    let by_month = chart::stacked_bars(
        tr.t("qc_by_month"),
        &months
            .into_iter()
            .map(|(m, c)| (m, c.to_vec()))
            .collect::<Vec<_>>(),
        &[
            chart::Series {
                label: tr.t("qc_passed"),
                colour: "#117a65",
            },
            chart::Series {
                label: tr.t("qc_failed"),
                colour: "#c0392b",
            },
        ],
    );
    let metrics = series
        .into_iter()
        .filter_map(|(k, vals)| stat(tr.t(k), vals))
        .collect();
    let report = match s.app.qc_drift_latest(a).await {
        Ok(r) => r,
        Err(e) => return error_page(&s, &v, e),
    };
    let drift = report
        .as_ref()
        .and_then(|r| r.centres.iter().find(|d| d.centre == c.as_str()));
    let history = match s.app.qc_drift_history(a, &c, 60).await {
        Ok(h) => h,
        Err(e) => return error_page(&s, &v, e),
    };
    // the metric asked for, else the first drifting one, else failure rate
    let chart_metric = q
        .get("metric")
        .filter(|m| METRICS.iter().any(|x| x.name == m.as_str()))
        .cloned()
        .or_else(|| drift.and_then(|d| d.drifting().next().map(|m| m.metric.clone())))
        .unwrap_or_else(|| "failure_rate".into());
    let verdict = drift.map(|d| d.verdict.clone()).unwrap_or_default();
    page(
        StatusCode::OK,
        CentrePage {
            ctx: v.ctx(&s, None),
            centre: code,
            failed_count: failed.len(),
            files: files.len(),
            by_month,
            metrics,
            failed,
            name: drift
                .map(|d| if tr.is_ja() { &d.name_ja } else { &d.name })
                .cloned()
                .unwrap_or_default(),
            drift_label: if verdict.is_empty() {
                String::new()
            } else {
                tr.t(&verdict).to_string()
            },
            drift_class: drift_class(&verdict),
            drift_verdict: verdict,
            drift: drift
                .map(|d| d.metrics.iter().map(|m| drift_row(tr, m)).collect())
                .unwrap_or_default(),
            run: report.as_ref().map(run_info),
            drift_chart: drift_chart(tr, &chart_metric, &history),
            chart_metric,
            can_run: may_run_drift(a),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::super::i18n::{Lang, Tr};
    use zenome_app::qc_drift::stats::METRICS;

    #[test]
    fn every_drift_text_has_both_languages() {
        let mut keys: Vec<&str> = METRICS.iter().map(|m| m.name).collect();
        keys.extend([
            "drifting",
            "stable",
            "not_enough_data",
            "within_limits",
            "failure_rate_above_baseline",
            "failure_rate_above_programme",
            "median_below_baseline",
            "median_above_baseline",
            "median_below_programme",
            "median_above_programme",
            "qc_drift",
            "qc_drift_lead",
            "qc_drift_window",
            "qc_drift_baseline",
            "qc_drift_programme",
            "qc_drift_last_run",
            "qc_drift_never",
            "qc_drift_run_now",
            "qc_drift_history",
            "qc_drift_days_ago",
        ]);
        for k in keys {
            for lang in [Lang::En, Lang::Ja] {
                assert_ne!(Tr(lang).t(k), k, "no {lang:?} text for {k}");
            }
        }
    }
}
