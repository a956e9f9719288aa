//! Portal pages of secondary use: the dataset catalogue (staff create
//! datasets and add members), applications (draft, preview with the
//! compatible participants and the fee, submit, track), the DAC's queue and
//! review, grants and the data they open, alerts, and the approved projects
//! on the public page.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use zenome_app::access::applications::ApplicationView;
use zenome_app::access::datasets::{MemberSelection, NewDataset};
use zenome_app::access::{ApplicationBody, PurposeBody};
use zenome_app::{Actor, AppError};
use zenome_domain::access::{DataType, Vote};
use zenome_domain::role::Role;

use super::{Flash, PageCtx, Visit, chart, error_page, flash_error, flash_ok, page, to_login};
use crate::AppState;
use crate::api::dto;
use crate::problem::status_of;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal/datasets", get(datasets_page).post(create_dataset))
        .route("/portal/datasets/members", post(add_members))
        .route(
            "/portal/applications",
            get(applications_page).post(create_application),
        )
        .route("/portal/applications/{id}", get(application_page))
        .route(
            "/portal/applications/{id}/{action}",
            post(application_action),
        )
        .route("/portal/grants", get(grants_page))
        .route("/portal/grants/{id}/revoke", post(revoke))
        .route("/portal/grants/{id}/{dataset}", get(grant_data))
        .route("/portal/grants/{id}/manifest.tsv", get(grant_manifest))
        .route(
            "/portal/grants/{id}/{dataset}/clinical/{group}",
            get(grant_clinical),
        )
        .route("/portal/alerts", get(alerts_page))
        .route("/portal/alerts/{id}/acknowledge", post(acknowledge))
}

/// A posted form with repeated keys kept.
struct FormData(Vec<(String, String)>);

impl FormData {
    fn get(&self, k: &str) -> String {
        self.0
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    }

    fn all(&self, k: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .collect()
    }

    fn single(&self) -> HashMap<String, String> {
        self.0.iter().cloned().collect()
    }

    fn list(&self, k: &str) -> Vec<String> {
        self.get(k)
            .split([',', ' ', '\n', '、'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }
}

fn types() -> Vec<String> {
    DataType::ALL
        .iter()
        .map(|t| t.as_str().to_string())
        .collect()
}

// ---------- datasets ----------

struct DatasetRowView {
    id: String,
    title: String,
    title_ja: String,
    security_level: String,
    data_types: Vec<String>,
    requirement: String,
    release_state: String,
    embargo_until: Option<String>,
    members: usize,
    eligible: usize,
}

#[derive(Template)]
#[template(path = "datasets.html")]
struct DatasetsPage {
    ctx: PageCtx,
    datasets: Vec<DatasetRowView>,
    is_staff: bool,
    all_types: Vec<String>,
    scopes: Vec<String>,
    facilities: Vec<String>,
}

async fn datasets_page(
    State(s): State<AppState>,
    h: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let v = Visit::read(&s, &h, "/portal/datasets").await;
    let flash = flash_ok(&v, &q);
    render_datasets(&s, &v, flash, StatusCode::OK).await
}

async fn render_datasets(
    s: &AppState,
    v: &Visit,
    flash: Option<Flash>,
    status: StatusCode,
) -> Response {
    let Some(a) = &v.actor else { return to_login() };
    let list = match s.app.datasets(a).await {
        Ok(x) => x,
        Err(e) => return error_page(s, v, e),
    };
    let facilities = s
        .app
        .store()
        .organisations()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|o| o.kind == zenome_domain::organisation::OrgKind::CollectingFacility)
        .map(|o| o.code.to_string())
        .collect();
    page(
        status,
        DatasetsPage {
            ctx: v.ctx(s, flash),
            datasets: list
                .iter()
                .map(|d| DatasetRowView {
                    id: d.row.id.clone(),
                    title: d.row.title.clone(),
                    title_ja: d.row.title_ja.clone(),
                    security_level: d.security_level.as_str().into(),
                    data_types: d
                        .data_types
                        .iter()
                        .map(|t| t.as_str().to_string())
                        .collect(),
                    requirement: d.requirement.scope.clone(),
                    release_state: d.release.as_str().into(),
                    embargo_until: d.row.embargo_until.map(|t| t.date().to_string()),
                    members: d.members,
                    eligible: d.eligible,
                })
                .collect(),
            is_staff: matches!(a.role, Role::DataCentreStaff),
            all_types: types(),
            scopes: vec!["general".into(), "health_medical".into(), "disease".into()],
            facilities,
        },
    )
}

async fn create_dataset(
    State(s): State<AppState>,
    h: HeaderMap,
    axum::Form(f): axum::Form<Vec<(String, String)>>,
) -> Response {
    let v = Visit::read(&s, &h, "/portal/datasets").await;
    let Some(a) = &v.actor else { return to_login() };
    let f = FormData(f);
    if !v.check_csrf(&s, &f.single()) {
        return super::csrf_failed(&s, &v);
    }
    let result = async {
        let embargo = f.get("embargo_until");
        let nd = NewDataset {
            id: f.get("id"),
            title: f.get("title"),
            title_ja: f.get("title_ja"),
            description: f.get("description"),
            security_level: dto::parse("security_level", Some(&f.get("security_level")))?,
            data_types: f
                .all("data_types")
                .iter()
                .map(|t| dto::parse("data_types", Some(t)))
                .collect::<Result<_, _>>()?,
            requirement: PurposeBody {
                scope: f.get("requirement_scope"),
                disease: Some(f.get("requirement_disease")).filter(|d| !d.is_empty()),
                country: "JP".into(),
                ethics_approval: true,
                ..Default::default()
            },
            embargo_until: if embargo.is_empty() {
                None
            } else {
                dto::parse_time("embargo_until", Some(&format!("{embargo}T00:00:00+09:00")))?
            },
            producer_group: f.list("producer_group"),
        };
        s.app.create_dataset(a, nd).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to("/portal/datasets?ok=registered").into_response(),
        Err(e) => render_datasets(&s, &v, Some(flash_error(&v, &e)), status_of(&e)).await,
    }
}

async fn add_members(
    State(s): State<AppState>,
    h: HeaderMap,
    axum::Form(f): axum::Form<Vec<(String, String)>>,
) -> Response {
    let v = Visit::read(&s, &h, "/portal/datasets").await;
    let Some(a) = &v.actor else { return to_login() };
    let f = FormData(f);
    if !v.check_csrf(&s, &f.single()) {
        return super::csrf_failed(&s, &v);
    }
    let result = async {
        let sel = MemberSelection {
            participants: f
                .list("participants")
                .iter()
                .map(|p| dto::parse("participants", Some(p)))
                .collect::<Result<_, _>>()?,
            facility: dto::parse_opt("facility", Some(&f.get("facility")))?,
            disease_area: dto::parse_opt("disease_area", Some(&f.get("disease_area")))?,
        };
        s.app.add_dataset_members(a, &f.get("dataset"), sel).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to("/portal/datasets?ok=registered").into_response(),
        Err(e) => render_datasets(&s, &v, Some(flash_error(&v, &e)), status_of(&e)).await,
    }
}

// ---------- applications ----------

/// The fields of the application form, as strings.
#[derive(Default)]
struct AppForm {
    title: String,
    affiliation: String,
    co_applicants: String,
    scope: String,
    disease: String,
    description: String,
    commercial: bool,
    country: String,
    ethics_approval: bool,
    ethics_reference: String,
    datasets: Vec<String>,
    data_types: Vec<String>,
    fastq_need: String,
    start: String,
    end: String,
    /// Whether the applicant accepted the agreement in force.
    agreement: bool,
    /// The agreement in force (set by the page from the configuration).
    agreement_version: String,
}

impl AppForm {
    fn with_agreement(mut self, version: &str) -> Self {
        self.agreement_version = version.to_string();
        self
    }

    fn blank() -> Self {
        let today = time::OffsetDateTime::now_utc().date();
        Self {
            scope: "health_medical".into(),
            country: "JP".into(),
            start: today.to_string(),
            end: today
                .replace_year(today.year() + 2)
                .unwrap_or(today)
                .to_string(),
            data_types: vec!["vcf".into()],
            ..Default::default()
        }
    }

    fn of(b: &ApplicationBody) -> Self {
        Self {
            title: b.title.clone(),
            affiliation: b.affiliation.clone(),
            co_applicants: b.co_applicants.join(", "),
            scope: b.purpose.scope.clone(),
            disease: b.purpose.disease.clone().unwrap_or_default(),
            description: b.purpose.description.clone(),
            commercial: b.purpose.commercial,
            country: b.purpose.country.clone(),
            ethics_approval: b.purpose.ethics_approval,
            ethics_reference: b.purpose.ethics_reference.clone().unwrap_or_default(),
            datasets: b.datasets.clone(),
            data_types: b.data_types.clone(),
            fastq_need: b.fastq_need.clone().unwrap_or_default(),
            start: b.start.clone(),
            end: b.end.clone(),
            agreement: b.agreement_accepted.is_some(),
            agreement_version: String::new(),
        }
    }

    fn body(f: &FormData) -> ApplicationBody {
        ApplicationBody {
            title: f.get("title"),
            affiliation: f.get("affiliation"),
            co_applicants: f.list("co_applicants"),
            purpose: PurposeBody {
                scope: f.get("scope"),
                disease: Some(f.get("disease")).filter(|d| !d.is_empty()),
                description: f.get("description"),
                commercial: f.get("commercial") == "yes",
                country: f.get("country"),
                ethics_approval: f.get("ethics_approval") == "yes",
                ethics_reference: Some(f.get("ethics_reference")).filter(|d| !d.is_empty()),
            },
            datasets: f.all("datasets"),
            data_types: f.all("data_types"),
            fastq_need: Some(f.get("fastq_need")).filter(|d| !d.is_empty()),
            start: f.get("start"),
            end: f.get("end"),
            agreement_accepted: Some(f.get("agreement_accepted")).filter(|d| !d.is_empty()),
        }
    }
}

struct AppRow {
    id: String,
    title: String,
    applicant: String,
    sector: String,
    datasets: String,
    state: String,
    state_class: String,
    updated: String,
}

fn row_of(a: &ApplicationView) -> AppRow {
    AppRow {
        id: a.row.id.clone(),
        title: a.body.title.clone(),
        applicant: a.row.applicant.clone(),
        sector: a.sector.as_str().into(),
        datasets: a.body.datasets.join(", "),
        state: a.state.as_str().into(),
        state_class: a.state.as_str().into(),
        updated: super::local_time(a.row.updated_at),
    }
}

#[derive(Template)]
#[template(path = "applications.html")]
struct ApplicationsPage {
    ctx: PageCtx,
    items: Vec<AppRow>,
    is_reviewer: bool,
    can_apply: bool,
    form: AppForm,
    purpose_scopes: Vec<&'static str>,
    dataset_ids: Vec<String>,
    all_types: Vec<String>,
}

const PURPOSE_SCOPES: [&str; 5] = [
    "general",
    "health_medical",
    "disease",
    "ancestry",
    "methods",
];

async fn applications_page(
    State(s): State<AppState>,
    h: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let v = Visit::read(&s, &h, "/portal/applications").await;
    let flash = flash_ok(&v, &q);
    render_applications(&s, &v, flash, StatusCode::OK, AppForm::blank()).await
}

async fn render_applications(
    s: &AppState,
    v: &Visit,
    flash: Option<Flash>,
    status: StatusCode,
    form: AppForm,
) -> Response {
    let form = form.with_agreement(&s.app.config().access.agreement_version);
    let Some(a) = &v.actor else { return to_login() };
    let items = match s.app.applications(a).await {
        Ok(x) => x,
        Err(e) => return error_page(s, v, e),
    };
    let dataset_ids = s
        .app
        .store()
        .datasets()
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|d| d.id)
        .collect();
    page(
        status,
        ApplicationsPage {
            ctx: v.ctx(s, flash),
            items: items.iter().map(row_of).collect(),
            is_reviewer: matches!(a.role, Role::DacMember | Role::DataCentreStaff),
            can_apply: matches!(a.role, Role::Researcher { .. }),
            form,
            purpose_scopes: PURPOSE_SCOPES.to_vec(),
            dataset_ids,
            all_types: types(),
        },
    )
}

async fn create_application(
    State(s): State<AppState>,
    h: HeaderMap,
    axum::Form(f): axum::Form<Vec<(String, String)>>,
) -> Response {
    let v = Visit::read(&s, &h, "/portal/applications").await;
    let Some(a) = &v.actor else { return to_login() };
    let f = FormData(f);
    if !v.check_csrf(&s, &f.single()) {
        return super::csrf_failed(&s, &v);
    }
    let body = AppForm::body(&f);
    match s.app.create_application(a, body.clone()).await {
        Ok(id) => Redirect::to(&format!("/portal/applications/{id}?ok=registered")).into_response(),
        Err(e) => {
            render_applications(
                &s,
                &v,
                Some(flash_error(&v, &e)),
                status_of(&e),
                AppForm::of(&body),
            )
            .await
        }
    }
}

struct EventRow {
    at: String,
    kind: String,
    actor: String,
    text: String,
}

#[derive(Template)]
#[template(path = "application.html")]
struct ApplicationPage {
    ctx: PageCtx,
    a: AppView,
    form: AppForm,
    compat: Vec<(String, usize, usize, usize, usize, String)>,
    chart: String,
    fee_lines: Vec<(String, u64, u64)>,
    fee_total: u64,
    problems: Vec<String>,
    events: Vec<EventRow>,
    can_edit: bool,
    can_review: bool,
    /// Submitted, nobody has taken it yet: a DAC member may.
    can_assign: bool,
    /// Only an application under review may be sent back.
    can_request_changes: bool,
    can_comment: bool,
    can_withdraw: bool,
    purpose_scopes: Vec<&'static str>,
    dataset_ids: Vec<String>,
    all_types: Vec<String>,
}

struct AppView {
    id: String,
    title: String,
    applicant: String,
    sector: String,
    state: String,
    state_class: String,
    grant_id: Option<String>,
}

async fn application_page(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let v = Visit::read(&s, &h, &format!("/portal/applications/{id}")).await;
    let flash = flash_ok(&v, &q);
    render_application(&s, &v, &id, flash, StatusCode::OK).await
}

async fn render_application(
    s: &AppState,
    v: &Visit,
    id: &str,
    flash: Option<Flash>,
    status: StatusCode,
) -> Response {
    let Some(a) = &v.actor else { return to_login() };
    let view = match s.app.application(a, id).await {
        Ok(x) => x,
        Err(e) => return error_page(s, v, e),
    };
    let preview = match s.app.preview_application(a, id).await {
        Ok(p) => p,
        Err(e) => return error_page(s, v, e),
    };
    let tr = v.tr();
    let chart = chart::stacked_bars(
        tr.t("preview"),
        &preview
            .datasets
            .iter()
            .map(|d| {
                let excluded: usize = d.denied.iter().map(|(_, n)| n).sum();
                (
                    d.dataset.clone(),
                    vec![
                        d.allowed as i64,
                        d.referred as i64,
                        excluded as i64,
                        d.without_consent as i64,
                    ],
                )
            })
            .collect::<Vec<_>>(),
        &[
            chart::Series {
                label: tr.t("compatible"),
                colour: "#117a65",
            },
            chart::Series {
                label: tr.t("referred"),
                colour: "#b9770e",
            },
            chart::Series {
                label: tr.t("excluded"),
                colour: "#c0392b",
            },
            chart::Series {
                label: tr.t("without_consent"),
                colour: "#95a5a6",
            },
        ],
    );
    let own = view.row.applicant == a.username;
    let dac = matches!(a.role, Role::DacMember);
    let dataset_ids = s
        .app
        .store()
        .datasets()
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|d| d.id)
        .collect();
    page(
        status,
        ApplicationPage {
            ctx: v.ctx(s, flash),
            compat: preview
                .datasets
                .iter()
                .map(|d| {
                    let reasons = d
                        .denied
                        .iter()
                        .map(|(r, n)| format!("{n}: {r}"))
                        .collect::<Vec<_>>()
                        .join("; ");
                    (
                        d.dataset.clone(),
                        d.members,
                        d.allowed,
                        d.referred,
                        d.without_consent,
                        reasons,
                    )
                })
                .collect(),
            chart,
            fee_lines: preview
                .fee
                .lines
                .iter()
                .map(|l| (l.item.clone(), l.cases, l.amount))
                .collect(),
            fee_total: preview.fee.total,
            problems: if view.state.editable() {
                preview
                    .problems
                    .iter()
                    .map(|(f, m)| format!("{}: {m}", tr.t(f)))
                    .collect()
            } else {
                vec![]
            },
            events: view
                .events
                .iter()
                .map(|e| {
                    let d: serde_json::Value = serde_json::from_str(&e.body).unwrap_or_default();
                    let note = d["text"].as_str().unwrap_or_default().to_string();
                    // a vote shows its decision, a declaration whether it recuses
                    let head = match e.kind.as_str() {
                        "vote" => d["vote"].as_str().map(|x| tr.code(x).to_string()),
                        "interests" => Some(
                            tr.t(if d["conflict"].as_bool() == Some(true) {
                                "coi_declared_conflict"
                            } else {
                                "coi_declared_none"
                            })
                            .to_string(),
                        ),
                        _ => None,
                    };
                    let text = match (head, note.is_empty()) {
                        (Some(h), true) => h,
                        (Some(h), false) => format!("{h} — {note}"),
                        (None, _) => note,
                    };
                    EventRow {
                        at: super::local_time(e.at),
                        kind: e.kind.clone(),
                        actor: e.actor.clone(),
                        text,
                    }
                })
                .collect(),
            can_edit: own && view.state.editable(),
            can_review: dac && view.state.with_dac(),
            can_assign: dac && view.state.as_str() == "submitted",
            can_request_changes: dac && view.state.as_str() == "under_review",
            can_comment: !view.state.editable() || own,
            can_withdraw: own
                && !matches!(view.state.as_str(), "approved" | "rejected" | "withdrawn"),
            purpose_scopes: PURPOSE_SCOPES.to_vec(),
            dataset_ids,
            all_types: types(),
            form: AppForm::of(&view.body).with_agreement(&s.app.config().access.agreement_version),
            a: AppView {
                id: view.row.id.clone(),
                title: view.body.title.clone(),
                applicant: view.row.applicant.clone(),
                sector: view.sector.as_str().into(),
                state: view.state.as_str().into(),
                state_class: view.state.as_str().into(),
                grant_id: view.grant.as_ref().map(|g| g.id.clone()),
            },
        },
    )
}

async fn application_action(
    State(s): State<AppState>,
    h: HeaderMap,
    Path((id, action)): Path<(String, String)>,
    axum::Form(f): axum::Form<Vec<(String, String)>>,
) -> Response {
    let v = Visit::read(&s, &h, &format!("/portal/applications/{id}")).await;
    let Some(a) = &v.actor else { return to_login() };
    let f = FormData(f);
    if !v.check_csrf(&s, &f.single()) {
        return super::csrf_failed(&s, &v);
    }
    let r: Result<(), AppError> = match action.as_str() {
        "edit" => s.app.update_application(a, &id, AppForm::body(&f)).await,
        "submit" => s.app.submit_application(a, &id).await,
        "withdraw" => s.app.withdraw_application(a, &id).await,
        "comment" => s.app.comment_application(a, &id, &f.get("text")).await,
        "request-changes" => s.app.request_changes(a, &id, &f.get("text")).await,
        "assign" => s.app.assign_application(a, &id).await,
        "vote" => {
            let reason = f.get("reason");
            // the declaration of interests comes with the vote (required)
            let declared = match f.get("conflict_of_interest").as_str() {
                "no" => s.app.declare_interests(a, &id, false, "").await,
                "yes" => {
                    s.app
                        .declare_interests(a, &id, true, &f.get("coi_note"))
                        .await
                }
                _ => Err(AppError::invalid(
                    "conflict_of_interest",
                    "declare whether you have a conflict of interest with this application",
                )),
            };
            let vote = match f.get("decision").as_str() {
                "approve" => Ok(Vote::Approve),
                "approve_with_conditions" => Ok(Vote::ApproveWithConditions(reason)),
                "reject" => Ok(Vote::Reject(reason)),
                _ => Err(AppError::invalid(
                    "decision",
                    "approve, approve_with_conditions or reject",
                )),
            };
            match (declared, vote) {
                (Err(e), _) | (_, Err(e)) => Err(e),
                (Ok(()), Ok(vote)) => s.app.vote_application(a, &id, vote).await.map(|_| ()),
            }
        }
        _ => Err(AppError::NotFound("action")),
    };
    match r {
        Ok(()) => Redirect::to(&format!("/portal/applications/{id}?ok=registered")).into_response(),
        Err(e) => render_application(&s, &v, &id, Some(flash_error(&v, &e)), status_of(&e)).await,
    }
}

// ---------- grants ----------

struct GrantRowView {
    id: String,
    title: String,
    institution: String,
    people: String,
    purpose: String,
    data_types: String,
    period: String,
    conditions: String,
    datasets: Vec<String>,
    status: String,
    status_class: String,
    mine: bool,
}

#[derive(Template)]
#[template(path = "grants.html")]
struct GrantsPage {
    ctx: PageCtx,
    grants: Vec<GrantRowView>,
    can_revoke: bool,
    has_passport: bool,
}

async fn grants_page(
    State(s): State<AppState>,
    h: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let v = Visit::read(&s, &h, "/portal/grants").await;
    let flash = flash_ok(&v, &q);
    let Some(a) = &v.actor else { return to_login() };
    let grants = match s.app.grants(a).await {
        Ok(x) => x,
        Err(e) => return error_page(&s, &v, e),
    };
    let status_class = |st: &str| match st {
        "active" => "approved",
        "not_started" => "submitted",
        _ => "revoked",
    };
    page(
        StatusCode::OK,
        GrantsPage {
            ctx: v.ctx(&s, flash),
            can_revoke: matches!(a.role, Role::DacMember | Role::DataCentreStaff),
            has_passport: matches!(a.role, Role::Researcher { .. }),
            grants: grants
                .iter()
                .map(|g| GrantRowView {
                    id: g.row.id.clone(),
                    title: g.row.title.clone(),
                    institution: g.row.institution.clone(),
                    people: g.people.join(", "),
                    purpose: g.row.purpose_summary.clone(),
                    data_types: g
                        .data_types
                        .iter()
                        .map(|t| t.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    period: format!("{} – {}", g.row.starts_at.date(), g.row.expires_at.date()),
                    conditions: g.conditions.join("; "),
                    datasets: g.datasets.clone(),
                    status: g.status.into(),
                    status_class: status_class(g.status).into(),
                    mine: g.people.contains(&a.username),
                })
                .collect(),
        },
    )
}

#[derive(Template)]
#[template(path = "grant_data.html")]
struct GrantDataPage {
    ctx: PageCtx,
    grant: String,
    dataset: String,
    via: String,
    participants: Vec<(String, String, String)>,
    files: Vec<zenome_app::access::grant_files::GrantFile>,
    /// Files listed of all that match.
    total_files: usize,
    /// Item groups of the clinical export, when the grant covers clinical data.
    clinical_groups: Vec<String>,
}

async fn grant_data(
    State(s): State<AppState>,
    h: HeaderMap,
    Path((_grant, dataset)): Path<(String, String)>,
    crate::extract::ClientIp(ip): crate::extract::ClientIp,
) -> Response {
    let v = Visit::read(&s, &h, "/portal/grants").await;
    let Some(a) = &v.actor else { return to_login() };
    let g = s
        .app
        .grants(a)
        .await
        .ok()
        .and_then(|gs| gs.into_iter().find(|g| g.row.id == _grant));
    let t = g
        .as_ref()
        .and_then(|g| g.data_types.first().copied())
        .unwrap_or(DataType::Vcf);
    let (auth, ids) = match s
        .app
        .dataset_participants(a, &dataset, t, ip.as_deref())
        .await
    {
        Ok(x) => x,
        Err(e) => return error_page(&s, &v, e),
    };
    let mut participants = Vec::new();
    for pid in ids {
        if let Ok(Some(r)) = s.app.store().participant(&pid).await {
            participants.push((
                pid.to_string(),
                r.participant.disease_area.as_str().into(),
                r.participant.sex.as_str().into(),
            ));
        }
    }
    let q = zenome_app::access::grant_files::GrantFilesQuery {
        dataset: Some(dataset.clone()),
        limit: Some(500),
        ..Default::default()
    };
    let (files, total_files) = match s.app.grant_files(a, &_grant, &q, ip.as_deref()).await {
        Ok(f) => (f.files, f.total),
        Err(_) => (Vec::new(), 0),
    };
    let clinical_groups = if g
        .as_ref()
        .is_some_and(|g| g.data_types.contains(&DataType::Clinical))
    {
        s.app
            .dictionaries()
            .latest()
            .map(|d| d.groups.iter().map(|g| g.id.clone()).collect())
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    page(
        StatusCode::OK,
        GrantDataPage {
            ctx: v.ctx(&s, None),
            grant: _grant,
            dataset,
            via: auth.via,
            participants,
            files,
            total_files,
            clinical_groups,
        },
    )
}

/// The grant's download manifest, for the logged-in researcher.
async fn grant_manifest(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(grant): Path<String>,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
    crate::extract::ClientIp(ip): crate::extract::ClientIp,
) -> Response {
    let v = Visit::read(&s, &h, "/portal/grants").await;
    let Some(a) = &v.actor else { return to_login() };
    let query = zenome_app::access::grant_files::GrantFilesQuery {
        dataset: q.get("dataset").cloned().filter(|d| !d.is_empty()),
        data_type: q.get("data_type").and_then(|t| t.parse().ok()),
        ..Default::default()
    };
    match s.app.grant_files(a, &grant, &query, ip.as_deref()).await {
        Ok(f) => crate::grant_files_api::manifest_tsv(&grant, &f.files),
        Err(e) => error_page(&s, &v, e),
    }
}

/// One item group of the clinical export of a granted dataset (CSV), for
/// the logged-in researcher.
async fn grant_clinical(
    State(s): State<AppState>,
    h: HeaderMap,
    Path((_grant, dataset, group)): Path<(String, String, String)>,
    crate::extract::ClientIp(ip): crate::extract::ClientIp,
) -> Response {
    let v = Visit::read(&s, &h, "/portal/grants").await;
    let Some(a) = &v.actor else { return to_login() };
    match crate::clinical_api::export_table(
        &s,
        a,
        &group,
        Some(&dataset),
        Some("csv"),
        ip.as_deref(),
    )
    .await
    {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn revoke(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<Vec<(String, String)>>,
) -> Response {
    let v = Visit::read(&s, &h, "/portal/grants").await;
    let Some(a) = &v.actor else { return to_login() };
    let f = FormData(f);
    if !v.check_csrf(&s, &f.single()) {
        return super::csrf_failed(&s, &v);
    }
    match s.app.revoke_grant(a, &id, &f.get("reason")).await {
        Ok(()) => Redirect::to("/portal/grants?ok=status").into_response(),
        Err(e) => error_page(&s, &v, e),
    }
}

// ---------- alerts ----------

struct AlertView {
    id: String,
    at: String,
    rule: String,
    severity: String,
    actor: String,
    summary: String,
    acknowledged_by: Option<String>,
}

#[derive(Template)]
#[template(path = "alerts.html")]
struct AlertsPage {
    ctx: PageCtx,
    alerts: Vec<AlertView>,
    chart: String,
}

async fn alerts_page(State(s): State<AppState>, h: HeaderMap) -> Response {
    let v = Visit::read(&s, &h, "/portal/alerts").await;
    let Some(a) = &v.actor else { return to_login() };
    let alerts = match s.app.alerts(a, 500).await {
        Ok(x) => x,
        Err(e) => return error_page(&s, &v, e),
    };
    let tr = v.tr();
    let mut by_rule: Vec<(String, Vec<i64>)> = Vec::new();
    for x in &alerts {
        let label = tr.code(&x.rule).to_string();
        let i = match by_rule.iter().position(|(r, _)| *r == label) {
            Some(i) => i,
            None => {
                by_rule.push((label, vec![0, 0]));
                by_rule.len() - 1
            }
        };
        by_rule[i].1[usize::from(x.severity == "critical")] += 1;
    }
    let chart = chart::stacked_bars(
        tr.t("nav_alerts"),
        &by_rule,
        &[
            chart::Series {
                label: tr.t("warning"),
                colour: "#b9770e",
            },
            chart::Series {
                label: tr.t("critical"),
                colour: "#c0392b",
            },
        ],
    );
    page(
        StatusCode::OK,
        AlertsPage {
            ctx: v.ctx(&s, None),
            chart,
            alerts: alerts
                .into_iter()
                .map(|x| AlertView {
                    id: x.id,
                    at: super::local_time(x.at),
                    rule: x.rule,
                    severity: x.severity,
                    actor: x.actor,
                    summary: x.summary,
                    acknowledged_by: x.acknowledged.map(|a| a.1),
                })
                .collect(),
        },
    )
}

async fn acknowledge(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<Vec<(String, String)>>,
) -> Response {
    let v = Visit::read(&s, &h, "/portal/alerts").await;
    let Some(a) = &v.actor else { return to_login() };
    if !v.check_csrf(&s, &FormData(f).single()) {
        return super::csrf_failed(&s, &v);
    }
    match s.app.acknowledge_alert(a, &id).await {
        Ok(()) => Redirect::to("/portal/alerts").into_response(),
        Err(e) => error_page(&s, &v, e),
    }
}

/// Whether the actor sees applications (researchers, DAC, staff).
pub(super) fn sees_applications(a: &Actor) -> bool {
    matches!(
        a.role,
        Role::Researcher { .. } | Role::DacMember | Role::DataCentreStaff
    )
}
