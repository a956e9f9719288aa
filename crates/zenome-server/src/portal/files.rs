//! Portal pages of sequencing data: QC per sequencing centre (R4.2) —
//! distributions over time as charts, and the files that failed — so the
//! periodic re-evaluation of a centre is a glance.

use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use zenome_domain::organisation::OrgCode;

use super::{PageCtx, Visit, chart, error_page, page, to_login};
use crate::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal/qc", get(centres))
        .route("/portal/qc/{centre}", get(centre))
}

struct CentreRow {
    code: String,
    files: usize,
    failed: usize,
}

#[derive(Template)]
#[template(path = "qc_centres.html")]
struct CentresPage {
    ctx: PageCtx,
    centres: Vec<CentreRow>,
}

async fn centres(State(s): State<AppState>, h: HeaderMap) -> Response {
    let v = Visit::read(&s, &h, "/portal/qc").await;
    let Some(a) = &v.actor else { return to_login() };
    let codes = match s.app.qc_centres(a).await {
        Ok(c) => c,
        Err(e) => return error_page(&s, &v, e),
    };
    let mut rows = Vec::new();
    for c in codes {
        let files = s.app.centre_files(a, &c).await.unwrap_or_default();
        rows.push(CentreRow {
            code: c.to_string(),
            failed: files.iter().filter(|f| f.qc_status == "failed").count(),
            files: files.len(),
        });
    }
    page(
        StatusCode::OK,
        CentresPage {
            ctx: v.ctx(&s, None),
            centres: rows,
        },
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

async fn centre(State(s): State<AppState>, h: HeaderMap, Path(code): Path<String>) -> Response {
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
        },
    )
}
