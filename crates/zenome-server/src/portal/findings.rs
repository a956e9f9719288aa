//! Portal pages for annotation and actionability (issue 10): one patient's
//! findings (annotated variants, therapies with evidence levels and their
//! source records, hotspots, secondary findings where the patient chose to
//! receive them, matching trials, what the latest run changed) for staff
//! and the patient's facility; and the clinical trials with how many
//! patients each matches, drawn as bars.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use zenome_app::AppError;
use zenome_app::findings::{
    FindingChange, RunView, SecondaryView, TherapyView, TrialView, VariantView,
};

use super::chart;
use super::{PageCtx, Visit, csrf_failed, error_page, page, to_login};
use crate::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal/participants/{id}/findings", get(findings_page))
        .route("/portal/trials", get(trials_page).post(trial_submit))
}

#[derive(Template)]
#[template(path = "findings.html")]
struct FindingsPage {
    ctx: PageCtx,
    id: String,
    run: Option<RunView>,
    blocked: bool,
    variants: Vec<VariantView>,
    therapies: Vec<TherapyView>,
    secondary: Vec<SecondaryView>,
    withheld: usize,
    wants_secondary: Option<bool>,
    trials: Vec<(String, String, String)>,
    changes: Vec<FindingChange>,
    not_annotated: u64,
}

async fn findings_page(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let v = Visit::read(&s, &h, &format!("/portal/participants/{id}/findings")).await;
    let Some(a) = &v.actor else { return to_login() };
    let Ok(pid) = id.parse() else {
        return error_page(&s, &v, AppError::NotFound("participant"));
    };
    match s.app.participant_findings(a, &pid).await {
        Ok(p) => page(
            StatusCode::OK,
            FindingsPage {
                ctx: v.ctx(&s, None),
                id: p.participant_id,
                run: p.run,
                blocked: p.identity_blocked,
                not_annotated: p.findings.not_annotated,
                variants: p.findings.variants,
                therapies: p.findings.therapies,
                secondary: p.findings.secondary,
                withheld: p.secondary_withheld,
                wants_secondary: p.wants_secondary_findings,
                trials: p
                    .trials
                    .into_iter()
                    .map(|t| (t.id, t.title, t.reasons.join(" · ")))
                    .collect(),
                changes: p.changes,
            },
        ),
        Err(e) => error_page(&s, &v, e),
    }
}

#[derive(Template)]
#[template(path = "trials.html")]
struct TrialsPage {
    ctx: PageCtx,
    trials: Vec<TrialView>,
    chart: String,
    /// Data-centre staff get the form to enter a trial.
    staff: bool,
}

async fn trials_page(State(s): State<AppState>, h: HeaderMap) -> Response {
    let v = Visit::read(&s, &h, "/portal/trials").await;
    let Some(a) = &v.actor else { return to_login() };
    match s.app.trials(a).await {
        Ok(trials) => {
            let ctx = v.ctx(&s, None);
            let rows: Vec<(String, Option<f64>)> = trials
                .iter()
                .map(|t| (t.id.clone(), Some(t.eligible as f64)))
                .collect();
            let chart = chart::value_bars(ctx.t.t("trials_eligible_chart"), &rows, "#2f6f9f", 0);
            let staff = a.role == zenome_domain::role::Role::DataCentreStaff;
            page(
                StatusCode::OK,
                TrialsPage {
                    ctx,
                    trials,
                    chart,
                    staff,
                },
            )
        }
        Err(e) => error_page(&s, &v, e),
    }
}

/// The staff form: the criteria as fields; biomarkers one a line,
/// `GENE [VARIANT] [somatic|germline]`.
async fn trial_submit(
    State(s): State<AppState>,
    h: HeaderMap,
    axum::Form(form): axum::Form<std::collections::HashMap<String, String>>,
) -> Response {
    let v = Visit::read(&s, &h, "/portal/trials").await;
    let Some(a) = &v.actor else { return to_login() };
    if !v.check_csrf(&s, &form) {
        return csrf_failed(&s, &v);
    }
    let get = |k: &str| form.get(k).map(|x| x.trim()).unwrap_or_default();
    let list = |k: &str| -> Vec<String> {
        get(k)
            .split([',', '、'])
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect()
    };
    let age = |k: &str| -> Result<Option<u32>, AppError> {
        match get(k) {
            "" => Ok(None),
            x => x
                .parse()
                .map(Some)
                .map_err(|_| AppError::invalid(k, format!("expected whole years, found {x:?}"))),
        }
    };
    let mut biomarkers = Vec::new();
    for line in get("biomarkers")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        let mut parts = line.split_whitespace();
        let mut b = serde_json::json!({ "gene": parts.next().unwrap_or_default() });
        for p in parts {
            if matches!(p, "somatic" | "germline" | "any") {
                b["origin"] = p.into();
            } else {
                b["variant"] = p.into();
            }
        }
        biomarkers.push(b);
    }
    let done = async {
        let mut t = serde_json::json!({
            "id": get("id"),
            "title": get("title"),
            "cancer_types": list("cancer_types"),
            "biomarkers": biomarkers,
            "prior_therapy_required": list("prior_therapy_required"),
            "prior_therapy_excluded": list("prior_therapy_excluded"),
        });
        if let Some(x) = age("min_age")? {
            t["min_age"] = x.into();
        }
        if let Some(x) = age("max_age")? {
            t["max_age"] = x.into();
        }
        if !get("sex").is_empty() {
            t["sex"] = get("sex").into();
        }
        s.app.add_trial(a, &t.to_string()).await
    }
    .await;
    match done {
        Ok(_) => Redirect::to("/portal/trials").into_response(),
        Err(e) => error_page(&s, &v, e),
    }
}
