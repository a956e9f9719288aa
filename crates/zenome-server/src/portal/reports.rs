//! Portal pages for the return of results (issue 13): the clinician's inbox
//! at the facility and the reviewer's queue at the data centre
//! (`/portal/reports`), one report with its change history and the forms
//! of the step the reader may take (`/portal/reports/{id}`), its PDF, and
//! recontact requests (`/portal/recontacts`).

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use zenome_app::AppError;
use zenome_app::reports::{RecontactView, ReportView};
use zenome_domain::role::Role;

use super::{PageCtx, Visit, csrf_failed, error_page, page, to_login};
use crate::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal/reports", get(list_page))
        .route("/portal/reports/{id}", get(report_page))
        .route("/portal/reports/{id}/pdf", get(report_pdf))
        .route("/portal/reports/{id}/step", post(step_submit))
        .route("/portal/participants/{id}/report", post(draft_submit))
        .route(
            "/portal/recontacts",
            get(recontacts_page).post(recontact_submit),
        )
        .route("/portal/recontacts/{id}", post(recontact_step))
        .route("/portal/notifications", get(notifications_page))
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    ctx: PageCtx,
    items: Vec<zenome_app::notifications::NotificationView>,
}

/// The caller's notifications; opening the list marks them read (the
/// badge shows those unread until then).
async fn notifications_page(State(s): State<AppState>, h: HeaderMap) -> Response {
    let v = Visit::read(&s, &h, "/portal/notifications").await;
    let Some(a) = &v.actor else { return to_login() };
    match s.app.notifications(a).await {
        Ok(items) => {
            let _ = s.app.read_notifications(a).await;
            page(
                StatusCode::OK,
                NotificationsPage {
                    ctx: v.ctx(&s, None),
                    items,
                },
            )
        }
        Err(e) => error_page(&s, &v, e),
    }
}

/// Whether the role has a reports page (staff review, clinicians receive).
pub(crate) fn sees_reports(role: &Role) -> bool {
    matches!(role, Role::DataCentreStaff | Role::Clinician { .. })
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ListPage {
    ctx: PageCtx,
    staff: bool,
    /// Waiting for the reader: drafts and signed-off ones (staff), newly
    /// released ones and stop notices (clinician).
    waiting: Vec<ReportView>,
    others: Vec<ReportView>,
}

async fn list_page(State(s): State<AppState>, h: HeaderMap) -> Response {
    let v = Visit::read(&s, &h, "/portal/reports").await;
    let Some(a) = &v.actor else { return to_login() };
    match s.app.reports(a).await {
        Ok(all) => {
            let staff = a.role == Role::DataCentreStaff;
            let waits = |r: &ReportView| {
                if staff {
                    matches!(r.status.as_str(), "draft" | "signed_off")
                } else {
                    matches!(r.status.as_str(), "released" | "acknowledged" | "stopped")
                }
            };
            let (waiting, others) = all.into_iter().partition(waits);
            page(
                StatusCode::OK,
                ListPage {
                    ctx: v.ctx(&s, None),
                    staff,
                    waiting,
                    others,
                },
            )
        }
        Err(e) => error_page(&s, &v, e),
    }
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    ctx: PageCtx,
    r: ReportView,
    /// The report itself (zenome-reports' HTML fragment), when readable.
    body: Option<String>,
    staff: bool,
    clinician: bool,
    interpretation: String,
    history: Vec<(String, String, String, String)>,
    today: String,
}

async fn report_page(State(s): State<AppState>, h: HeaderMap, Path(id): Path<String>) -> Response {
    let v = Visit::read(&s, &h, &format!("/portal/reports/{id}")).await;
    let Some(a) = &v.actor else { return to_login() };
    let r = match s.app.report(a, &id).await {
        Ok(r) => r,
        Err(e) => return error_page(&s, &v, e),
    };
    let body = if r.content.is_some() {
        s.app.report_html(a, &id, false).await.ok()
    } else {
        None
    };
    let interpretation = r
        .content
        .as_ref()
        .map(|c| c.interpretation.clone())
        .unwrap_or_default();
    let history = r
        .history
        .iter()
        .map(|e| {
            let detail = match &e.detail {
                serde_json::Value::Object(m) => m
                    .iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| match v {
                        serde_json::Value::String(s) => format!("{k}: {s}"),
                        v => format!("{k}: {v}"),
                    })
                    .collect::<Vec<_>>()
                    .join(" · "),
                _ => String::new(),
            };
            (
                super::local_time(
                    time::OffsetDateTime::parse(
                        &e.at,
                        &time::format_description::well_known::Rfc3339,
                    )
                    .unwrap_or(time::OffsetDateTime::UNIX_EPOCH),
                ),
                e.actor.clone(),
                format!("report_action_{}", e.action),
                detail,
            )
        })
        .collect();
    page(
        StatusCode::OK,
        ReportPage {
            ctx: v.ctx(&s, None),
            staff: a.role == Role::DataCentreStaff,
            clinician: matches!(a.role, Role::Clinician { .. }),
            body,
            interpretation,
            history,
            today: time::OffsetDateTime::now_utc().date().to_string(),
            r,
        },
    )
}

async fn report_pdf(State(s): State<AppState>, h: HeaderMap, Path(id): Path<String>) -> Response {
    let v = Visit::read(&s, &h, &format!("/portal/reports/{id}")).await;
    let Some(a) = &v.actor else { return to_login() };
    match s.app.report_pdf(a, &id).await {
        Ok(pdf) => crate::reports_api::pdf_response(&id, pdf),
        Err(e) => error_page(&s, &v, e),
    }
}

/// One form for every step: `step` names it (`comment`, `interpretation`,
/// `sign_off`, `release`, `acknowledge`, `conveyed`).
async fn step_submit(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Response {
    let v = Visit::read(&s, &h, &format!("/portal/reports/{id}")).await;
    let Some(a) = &v.actor else { return to_login() };
    if !v.check_csrf(&s, &form) {
        return csrf_failed(&s, &v);
    }
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
    let done = match get("step") {
        "comment" => s.app.comment_report(a, &id, get("comment")).await,
        "interpretation" => {
            s.app
                .edit_interpretation(a, &id, get("interpretation"))
                .await
        }
        "sign_off" => s.app.sign_off_report(a, &id, get("totp")).await,
        "release" => s.app.release_report(a, &id).await,
        "acknowledge" => s.app.acknowledge_report(a, &id).await,
        "conveyed" => s.app.convey_report(a, &id, get("conveyed_on")).await,
        other => Err(AppError::invalid("step", format!("unknown step {other:?}"))),
    };
    match done {
        Ok(_) => Redirect::to(&format!("/portal/reports/{id}")).into_response(),
        Err(e) => error_page(&s, &v, e),
    }
}

/// Staff draft a report from a participant's page.
async fn draft_submit(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Response {
    let v = Visit::read(&s, &h, &format!("/portal/participants/{id}")).await;
    let Some(a) = &v.actor else { return to_login() };
    if !v.check_csrf(&s, &form) {
        return csrf_failed(&s, &v);
    }
    let Ok(pid) = id.parse() else {
        return error_page(&s, &v, AppError::NotFound("participant"));
    };
    match s.app.draft_report(a, &pid).await {
        Ok(r) => Redirect::to(&format!("/portal/reports/{}", r.id)).into_response(),
        Err(e) => error_page(&s, &v, e),
    }
}

#[derive(Template)]
#[template(path = "recontacts.html")]
struct RecontactsPage {
    ctx: PageCtx,
    staff: bool,
    clinician: bool,
    requests: Vec<RecontactView>,
}

async fn recontacts_page(State(s): State<AppState>, h: HeaderMap) -> Response {
    let v = Visit::read(&s, &h, "/portal/recontacts").await;
    let Some(a) = &v.actor else { return to_login() };
    match s.app.recontacts(a).await {
        Ok(requests) => page(
            StatusCode::OK,
            RecontactsPage {
                ctx: v.ctx(&s, None),
                staff: a.role == Role::DataCentreStaff,
                clinician: matches!(a.role, Role::Clinician { .. }),
                requests,
            },
        ),
        Err(e) => error_page(&s, &v, e),
    }
}

/// Staff raise a request.
async fn recontact_submit(
    State(s): State<AppState>,
    h: HeaderMap,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Response {
    let v = Visit::read(&s, &h, "/portal/recontacts").await;
    let Some(a) = &v.actor else { return to_login() };
    if !v.check_csrf(&s, &form) {
        return csrf_failed(&s, &v);
    }
    let get = |k: &str| form.get(k).map(|x| x.trim()).unwrap_or_default();
    let done = match get("participant_id").parse() {
        Ok(pid) => {
            s.app
                .raise_recontact(a, &pid, get("reason"), get("detail"))
                .await
        }
        Err(_) => Err(AppError::NotFound("participant")),
    };
    match done {
        Ok(_) => Redirect::to("/portal/recontacts").into_response(),
        Err(e) => error_page(&s, &v, e),
    }
}

/// Confirm, dismiss (staff) or record the outcome (clinician).
async fn recontact_step(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Response {
    let v = Visit::read(&s, &h, "/portal/recontacts").await;
    let Some(a) = &v.actor else { return to_login() };
    if !v.check_csrf(&s, &form) {
        return csrf_failed(&s, &v);
    }
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
    let done = match get("step") {
        "confirm" => s.app.decide_recontact(a, &id, true).await,
        "dismiss" => s.app.decide_recontact(a, &id, false).await,
        "outcome" => s.app.record_recontact_outcome(a, &id, get("outcome")).await,
        other => Err(AppError::invalid("step", format!("unknown step {other:?}"))),
    };
    match done {
        Ok(_) => Redirect::to("/portal/recontacts").into_response(),
        Err(e) => error_page(&s, &v, e),
    }
}

#[cfg(test)]
mod tests {
    use super::super::i18n::{Lang, Tr};
    use zenome_reports::{Action, Status};

    #[test]
    fn every_status_action_and_recontact_label_exists_in_both_languages() {
        for lang in [Lang::Ja, Lang::En] {
            let t = Tr(lang);
            let mut keys: Vec<String> = Status::all()
                .iter()
                .map(|s| format!("report_status_{}", s.name()))
                .collect();
            for a in [
                "comment",
                "edit_interpretation",
                "sign_off",
                "release",
                "acknowledge",
                "convey",
                "supersede",
                "stop",
            ] {
                assert!(Action::parse(a).is_ok());
                keys.push(format!("report_action_{a}"));
            }
            keys.push("report_action_draft".into());
            for r in ["new_finding", "trial", "consent_update"] {
                keys.push(format!("recontact_reason_{r}"));
            }
            for st in ["proposed", "open", "closed", "dismissed"] {
                keys.push(format!("recontact_status_{st}"));
            }
            for k in keys {
                assert_ne!(t.t(&k), k.as_str(), "{k} has no text");
            }
        }
    }
}
