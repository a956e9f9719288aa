//! Portal pages for sample identity (issue 9): the staff hold queue with a
//! resolve form per hold (release or exclude, with a reason; CSRF-checked,
//! audited by the service) and the cohort's relatedness plot (kinship
//! against IBS0, drawn on the server as SVG), and one participant's
//! identity page (samples, checks, holds) for staff and the participant's
//! facility.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use zenome_app::AppError;
use zenome_app::identity::{CheckView, HoldAction, HoldView, SampleView};

use super::chart::{self, Point, Series};
use super::i18n::Tr;
use super::{PageCtx, Visit, csrf_failed, error_page, local_time, page, to_login};
use crate::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal/identity", get(queue_page))
        .route("/portal/identity/holds/{id}/resolve", post(resolve_submit))
        .route("/portal/participants/{id}/identity", get(participant_page))
}

/// A check as shown: its kind and verdict as labels, the numbers that
/// matter in a line.
struct CheckRow {
    kind: String,
    verdict: String,
    /// The counterpart's participant, when it is another participant.
    other: Option<String>,
    /// The counterpart's library barcode and evidence (and this side's).
    with: String,
    numbers: String,
    message: String,
    at: String,
}

fn num(v: &serde_json::Value, key: &str) -> Option<f64> {
    v.get(key).and_then(serde_json::Value::as_f64)
}

/// A check as read from one library's hold (`library`) or one
/// participant's page (`participant`): the counterpart named from there.
fn check_row(c: CheckView, library: Option<&str>, participant: Option<&str>) -> CheckRow {
    let n = &c.numbers;
    let (other, with) = match c.counterpart(library, participant) {
        Some(side) => {
            let here = if std::ptr::eq(side, &c.sample_side) {
                c.other_side.as_ref()
            } else {
                Some(&c.sample_side)
            };
            let lib = |s: &zenome_app::identity::Side| {
                format!(
                    "{} ({})",
                    s.library_barcode
                        .clone()
                        .unwrap_or_else(|| s.library_id.clone()),
                    if s.evidence == "reads" {
                        "CRAM/BAM"
                    } else {
                        "VCF"
                    }
                )
            };
            let other_participant = participant
                .map_or_else(
                    || {
                        here.map(|h| h.participant != side.participant)
                            .unwrap_or(true)
                    },
                    |p| side.participant != p,
                )
                .then(|| side.participant.clone());
            (
                other_participant,
                format!("{} ↔ {}", here.map(lib).unwrap_or_default(), lib(side)),
            )
        }
        None => (None, String::new()),
    };
    let mut parts = Vec::new();
    if let Some(l) = num(n, "lod") {
        parts.push(format!("LOD {l:.1}"));
    }
    if let Some(k) = num(n, "kinship") {
        parts.push(format!("kinship {k:.3}"));
    }
    if let Some(i) = num(n, "ibs0_fraction") {
        parts.push(format!("IBS0 {i:.3}"));
    }
    if let Some(s) = num(n, "n_sites") {
        parts.push(format!("{s} sites"));
    }
    if let Some(e) = num(n, "estimate") {
        parts.push(format!("{:.1} %", e * 100.0));
    }
    if let Some(x) = n
        .get("call")
        .and_then(|c| c.get("sex"))
        .and_then(|s| s.as_str())
    {
        parts.push(format!("chrX: {x}"));
    }
    CheckRow {
        kind: format!("check_{}", c.kind),
        verdict: format!("verdict_{}", c.verdict),
        other,
        with,
        numbers: parts.join(" · "),
        message: c.message,
        at: local_time(c.at),
    }
}

struct HoldRow {
    id: String,
    participant: String,
    library: String,
    state: String,
    opened: String,
    resolved_by: String,
    resolution: String,
    checks: Vec<CheckRow>,
}

fn hold_row(h: HoldView) -> HoldRow {
    let library = h.library_id.clone();
    HoldRow {
        id: h.id,
        participant: h.participant_id,
        library: h.library_barcode.unwrap_or(h.library_id),
        state: format!("hold_{}", h.state),
        opened: local_time(h.opened_at),
        resolved_by: match (h.resolved_by, h.resolved_at) {
            (Some(b), Some(t)) => format!("{b} · {}", local_time(t)),
            (Some(b), None) => b,
            _ => String::new(),
        },
        resolution: h.resolution.unwrap_or_default(),
        checks: h
            .checks
            .into_iter()
            .map(|c| check_row(c, Some(&library), None))
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "identity.html")]
struct QueuePage {
    ctx: PageCtx,
    open: Vec<HoldRow>,
    closed: Vec<HoldRow>,
    plot: String,
    pairs: usize,
}

/// The relatedness plot: kinship (y) against IBS0 (x), one point a pair,
/// coloured by what the registry expects of the pair.
fn relatedness_svg(t: Tr, points: &[zenome_app::identity::RelatednessPoint]) -> String {
    let classes = [
        Series {
            label: t.t("pair_same_participant"),
            colour: "#d95f02",
        },
        Series {
            label: t.t("pair_declared_relatives"),
            colour: "#1b9e77",
        },
        Series {
            label: t.t("pair_other"),
            colour: "#7570b3",
        },
    ];
    let max_ibs0 = points.iter().map(|p| p.ibs0).fold(0.05f64, f64::max);
    let pts: Vec<Point> = points
        .iter()
        .map(|p| Point {
            x: p.ibs0,
            y: p.kinship,
            class: match p.expected {
                "same_participant" => 0,
                "declared_relatives" => 1,
                _ => 2,
            },
            label: format!(
                "{} – {}: kinship {:.3}, IBS0 {:.3}, {} sites",
                p.a_participant, p.b_participant, p.kinship, p.ibs0, p.n_sites
            ),
        })
        .collect();
    chart::scatter(
        t.t("relatedness_plot"),
        &chart::Axes {
            x_label: t.t("axis_ibs0"),
            y_label: t.t("axis_kinship"),
            x_range: (0.0, (max_ibs0 * 1.1).min(1.0)),
            y_range: (-0.5, 0.55),
        },
        &[
            (0.354, t.t("guide_same")),
            (0.177, t.t("guide_first_degree")),
            (0.0884, t.t("guide_second_degree")),
        ],
        &classes,
        &pts,
    )
}

async fn queue_page(State(s): State<AppState>, h: HeaderMap) -> Response {
    let v = Visit::read(&s, &h, "/portal/identity").await;
    let Some(a) = &v.actor else { return to_login() };
    let holds = match s.app.identity_holds(a, None).await {
        Ok(h) => h,
        Err(e) => return error_page(&s, &v, e),
    };
    let points = match s
        .app
        .identity_relatedness(a, crate::identity_api::RELATEDNESS_MAX)
        .await
    {
        Ok(p) => p,
        Err(e) => return error_page(&s, &v, e),
    };
    let (open, closed): (Vec<_>, Vec<_>) = holds.into_iter().partition(|h| h.state == "open");
    let mut closed: Vec<HoldRow> = closed.into_iter().map(hold_row).collect();
    closed.reverse();
    page(
        StatusCode::OK,
        QueuePage {
            plot: relatedness_svg(v.tr(), &points),
            pairs: points.len(),
            ctx: v.ctx(&s, None),
            open: open.into_iter().map(hold_row).collect(),
            closed,
        },
    )
}

async fn resolve_submit(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Response {
    let v = Visit::read(&s, &h, "/portal/identity").await;
    let Some(a) = &v.actor else { return to_login() };
    if !v.check_csrf(&s, &form) {
        return csrf_failed(&s, &v);
    }
    let reason = form.get("reason").map(String::as_str).unwrap_or_default();
    let done = match form.get("action").map(String::as_str) {
        Some("relabel") => {
            let extract = form.get("extract").map(String::as_str).unwrap_or_default();
            s.app.relabel_identity_hold(a, &id, extract, reason).await
        }
        other => match other.and_then(HoldAction::parse) {
            Some(action) => s.app.resolve_identity_hold(a, &id, action, reason).await,
            None => Err(AppError::invalid("action", "release, exclude or relabel")),
        },
    };
    match done {
        Ok(_) => Redirect::to("/portal/identity").into_response(),
        Err(e) => error_page(&s, &v, e),
    }
}

struct SampleRow {
    library: String,
    tumour: bool,
    evidence: String,
    file: String,
    n_called: i64,
    sex: String,
    contamination: String,
    depth: String,
}

fn sample_row(s: SampleView) -> SampleRow {
    let m = &s.summary;
    SampleRow {
        library: s.library_barcode.unwrap_or(s.library_id),
        tumour: s.tumour,
        evidence: format!("evidence_{}", s.evidence),
        file: m
            .get("source")
            .and_then(|x| x.as_str())
            .unwrap_or(&s.sample)
            .to_string(),
        n_called: s.n_called,
        sex: m
            .get("sex")
            .and_then(|x| x.get("sex"))
            .and_then(|x| x.as_str())
            .unwrap_or("Unknown")
            .to_string(),
        contamination: num(m, "contamination")
            .map_or_else(|| "–".into(), |c| format!("{:.1} %", c * 100.0)),
        depth: num(m, "mean_depth").map_or_else(|| "–".into(), |d| format!("{d:.1}×")),
    }
}

#[derive(Template)]
#[template(path = "identity_participant.html")]
struct ParticipantPage {
    ctx: PageCtx,
    id: String,
    blocked: bool,
    staff: bool,
    samples: Vec<SampleRow>,
    checks: Vec<CheckRow>,
    holds: Vec<HoldRow>,
}

async fn participant_page(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let v = Visit::read(&s, &h, &format!("/portal/participants/{id}/identity")).await;
    let Some(a) = &v.actor else { return to_login() };
    let Ok(pid) = id.parse() else {
        return error_page(&s, &v, AppError::NotFound("participant"));
    };
    let pid_text = id.clone();
    match s.app.participant_identity(a, &pid).await {
        Ok(p) => page(
            StatusCode::OK,
            ParticipantPage {
                ctx: v.ctx(&s, None),
                staff: a.role == zenome_domain::role::Role::DataCentreStaff,
                id: p.participant_id,
                blocked: p.blocked,
                samples: p.samples.into_iter().map(sample_row).collect(),
                checks: p
                    .checks
                    .into_iter()
                    .map(|c| check_row(c, None, Some(&pid_text)))
                    .collect(),
                holds: p.holds.into_iter().map(hold_row).collect(),
            },
        ),
        Err(e) => error_page(&s, &v, e),
    }
}
