//! The server-rendered portal: public progress page, login with second
//! factor, and the facility pages to register participants, record or
//! withdraw consent, register specimens and derivatives, and view lineage.
//!
//! No JavaScript: forms post, the server answers with a page or a redirect.
//! Every form carries a CSRF token bound to the session (or, before login,
//! to a visitor cookie); cookies are HttpOnly, SameSite=Strict and Secure.

mod access;
mod candidates;
mod chart;
mod clinical;
mod files;
mod findings;
mod i18n;
mod identity;
mod pipelines;
mod redirect;
mod reports;
mod users;
mod variants;

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use zenome_app::registry::ParticipantQuery;
use zenome_app::{Actor, AppError};
use zenome_auth::hash_token;
use zenome_domain::consent::{FormVersion, ItemRule};
use zenome_domain::id::ParticipantId;
use zenome_domain::lineage::{
    LibraryStrategy, LineageNode, MaterialStatus, NodeDetails, NodeId, NodeKind, SpecimenType,
};
use zenome_domain::participant::DiseaseArea;
use zenome_domain::role::Role;

use crate::AppState;
use crate::api::dto::{
    self, ConsentAnswersDto, ConsentEventDto, ConsentRequest, ConsentStateDto, NewNodeDto,
    NewParticipantDto, ParticipantDto,
};
use crate::extract::ClientIp;
use crate::problem::status_of;
use i18n::{Lang, Tr};

const SESSION_COOKIE: &str = "zenome_session";
const VISITOR_COOKIE: &str = "zenome_visitor";
const LANG_COOKIE: &str = "zenome_lang";

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(root))
        .route("/public", get(public_page))
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/lang/{lang}", get(set_lang))
        .route("/portal", get(home))
        .route(
            "/portal/participants",
            get(participants_page).post(register_participant),
        )
        .route("/portal/participants/{id}", get(participant_page))
        .route("/portal/participants/{id}/consent", post(consent_submit))
        .route("/portal/participants/{id}/lineage", get(lineage_page))
        .route("/portal/participants/{id}/nodes", post(node_submit))
        .route("/portal/nodes/{id}/status", post(status_submit))
        .route("/portal/audit", get(audit_page))
        .route("/static/app.css", get(css))
        .route("/favicon.svg", get(favicon))
        .route("/favicon.ico", get(favicon))
        .merge(access::routes())
        .merge(files::routes())
        .merge(clinical::routes())
        .merge(users::routes())
        .merge(variants::routes())
        .merge(identity::routes())
        .merge(findings::routes())
        .merge(candidates::routes())
        .merge(reports::routes())
        .merge(pipelines::routes())
}

/// The site icon (an SVG; `/favicon.ico` serves it too, for browsers that
/// ask there first).
async fn favicon() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        include_str!("../static/favicon.svg"),
    )
}

/// Any path no route serves: a problem+json 404 under the APIs, else a
/// page in the portal's style (in the visitor's language) saying so.
pub(crate) async fn not_found(
    axum::extract::State(s): axum::extract::State<AppState>,
    h: HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    let path = uri.path();
    if ["/api/", "/ga4gh/", "/htsget/", "/.well-known/"]
        .iter()
        .any(|p| path.starts_with(p))
    {
        return crate::problem::ApiError::from(AppError::NotFound("path")).into_response();
    }
    let v = Visit::read(&s, &h, "/").await;
    error_page(&s, &v, AppError::NotFound("page"))
}

async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/app.css"),
    )
}

// ---------- request context ----------

fn cookies(h: &HeaderMap) -> HashMap<String, String> {
    h.get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            Some((k.to_string(), v.to_string()))
        })
        .collect()
}

fn lang_of(h: &HeaderMap, c: &HashMap<String, String>) -> Lang {
    if let Some(l) = c.get(LANG_COOKIE).and_then(|l| Lang::parse(l)) {
        return l;
    }
    let al = h
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if al.trim_start().starts_with("en") {
        Lang::En
    } else {
        Lang::Ja
    }
}

/// The signed-in user as pages need them.
pub(crate) struct UserCtx {
    display_name: String,
    role: &'static str,
    scope: Option<String>,
    sees_participants: bool,
    sees_audit: bool,
    sees_applications: bool,
    sees_grants: bool,
    sees_qc: bool,
    sees_trials: bool,
    sees_pipelines: bool,
    sees_reports: bool,
    /// Unread notifications (the badge).
    unread: i64,
}

/// A message shown at the top of a page.
pub(crate) struct Flash {
    kind: &'static str,
    message: String,
}

/// What every page template gets.
pub(crate) struct PageCtx {
    lang: &'static str,
    t: Tr,
    user: Option<UserCtx>,
    csrf: String,
    path: String,
    flash: Option<Flash>,
}

/// The visitor behind a portal request.
struct Visit {
    lang: Lang,
    actor: Option<Actor>,
    /// The actor's unread notifications.
    unread: i64,
    session: Option<String>,
    visitor: Option<String>,
    path: String,
}

impl Visit {
    async fn read(s: &AppState, h: &HeaderMap, path: &str) -> Self {
        let c = cookies(h);
        let session = c.get(SESSION_COOKIE).cloned();
        let actor = match &session {
            Some(t) => s.app.actor_from_session(t).await.ok(),
            None => None,
        };
        let unread = match &actor {
            Some(a) => s.app.unread_notifications(a).await.unwrap_or(0),
            None => 0,
        };
        Self {
            lang: lang_of(h, &c),
            actor,
            unread,
            session,
            visitor: c.get(VISITOR_COOKIE).cloned(),
            path: path.to_string(),
        }
    }

    /// What CSRF tokens are bound to: the session, or the visitor cookie.
    fn binding(&self) -> Option<String> {
        match (&self.actor, &self.session, &self.visitor) {
            (Some(_), Some(t), _) => Some(format!("s:{}", hash_token(t))),
            (_, _, Some(v)) => Some(format!("v:{v}")),
            _ => None,
        }
    }

    fn ctx(&self, s: &AppState, flash: Option<Flash>) -> PageCtx {
        let csrf = self
            .binding()
            .map(|b| s.app.csrf().token(&b))
            .unwrap_or_default();
        PageCtx {
            lang: self.lang.code(),
            t: Tr(self.lang),
            user: self.actor.as_ref().map(|a| UserCtx {
                display_name: a.display_name.clone(),
                role: a.role.name(),
                scope: a.role.scope().map(ToString::to_string),
                sees_participants: zenome_app::policy::participant_scope(a).is_ok(),
                sees_audit: zenome_app::policy::require_auditor(a).is_ok(),
                sees_applications: access::sees_applications(a),
                sees_grants: access::sees_applications(a),
                sees_qc: matches!(
                    a.role,
                    Role::DataCentreStaff | Role::SequencingCentre { .. }
                ),
                sees_trials: matches!(
                    a.role,
                    Role::DataCentreStaff
                        | Role::FacilitySubmitter { .. }
                        | Role::Clinician { .. }
                        | Role::Researcher { .. }
                        | Role::DacMember
                ),
                sees_pipelines: pipelines::sees_pipelines(&a.role),
                sees_reports: reports::sees_reports(&a.role),
                unread: self.unread,
            }),
            csrf,
            path: self.path.clone(),
            flash,
        }
    }

    fn check_csrf(&self, s: &AppState, form: &HashMap<String, String>) -> bool {
        match (self.binding(), form.get("csrf")) {
            (Some(b), Some(t)) => s.app.csrf().verify(&b, t),
            _ => false,
        }
    }

    fn tr(&self) -> Tr {
        Tr(self.lang)
    }
}

/// A time as people in Japan read it: `2026-11-25 09:30 JST`.
pub(crate) fn local_time(t: time::OffsetDateTime) -> String {
    let jst = t.to_offset(time::UtcOffset::from_hms(9, 0, 0).expect("valid offset"));
    jst.format(time::macros::format_description!(
        "[year]-[month]-[day] [hour]:[minute] JST"
    ))
    .unwrap_or_default()
}

fn cookie(name: &str, value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let sec = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{sec}"
    ))
    .expect("cookie values are ASCII")
}

fn page<T: Template>(status: StatusCode, t: T) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    ctx: PageCtx,
    title: String,
    detail: String,
}

fn error_text(tr: Tr, e: &AppError) -> (String, String) {
    let title = match e {
        AppError::Invalid { .. } => tr.t("error_input"),
        AppError::Conflict { .. } => tr.t("error_conflict"),
        AppError::Forbidden(_) => tr.t("error_forbidden"),
        AppError::NotFound(_) => tr.t("error_not_found"),
        AppError::Unauthorized => tr.t("login_failed"),
        AppError::RateLimited { .. } => tr.t("rate_limited"),
        AppError::Rejected { .. } => tr.t("error_input"),
        AppError::Store(_) | AppError::Internal(_) => tr.t("error_internal"),
    };
    let detail = match e {
        AppError::Invalid { field, reason } => format!("{}: {reason}", tr.t(field)),
        AppError::Conflict { message, .. } => message.clone(),
        AppError::Rejected { problems, .. } => problems
            .iter()
            .map(|p| {
                let m = if tr.is_ja() {
                    &p.message_ja
                } else {
                    &p.message_en
                };
                match p.row {
                    Some(r) => format!("{r}: {m}"),
                    None => m.clone(),
                }
            })
            .collect::<Vec<_>>()
            .join("\n"),
        AppError::Store(_) | AppError::Internal(_) => String::new(),
        other => other.to_string(),
    };
    (title.to_string(), detail)
}

fn error_page(s: &AppState, v: &Visit, e: AppError) -> Response {
    if matches!(e, AppError::Store(_) | AppError::Internal(_)) {
        tracing::error!(error = ?e, "portal request failed");
    }
    let (title, detail) = error_text(v.tr(), &e);
    page(
        status_of(&e),
        ErrorPage {
            ctx: v.ctx(s, None),
            title,
            detail,
        },
    )
}

fn flash_error(v: &Visit, e: &AppError) -> Flash {
    if matches!(e, AppError::Store(_) | AppError::Internal(_)) {
        tracing::error!(error = ?e, "portal request failed");
    }
    let (title, detail) = error_text(v.tr(), e);
    Flash {
        kind: "error",
        message: format!("{title} {detail}"),
    }
}

fn flash_ok(v: &Visit, q: &HashMap<String, String>) -> Option<Flash> {
    let key = q.get("ok")?;
    let key = match key.as_str() {
        "registered" => "ok_registered",
        "consent" => "ok_consent",
        "status" => "ok_status",
        _ => return None,
    };
    Some(Flash {
        kind: "ok",
        message: v.tr().t(key).to_string(),
    })
}

fn to_login() -> Response {
    Redirect::to("/login").into_response()
}

fn csrf_failed(s: &AppState, v: &Visit) -> Response {
    page(
        StatusCode::FORBIDDEN,
        ErrorPage {
            ctx: v.ctx(s, None),
            title: v.tr().t("error_csrf").to_string(),
            detail: String::new(),
        },
    )
}

// ---------- public ----------

async fn root(State(s): State<AppState>, h: HeaderMap) -> Redirect {
    let v = Visit::read(&s, &h, "/").await;
    Redirect::to(if v.actor.is_some() {
        "/portal"
    } else {
        "/public"
    })
}

#[derive(Template)]
#[template(path = "public.html")]
struct PublicPage {
    ctx: PageCtx,
    total: i64,
    cancer: i64,
    rare: i64,
    specimens: i64,
    runs: i64,
    withdrawn: i64,
    rows: Vec<(String, i64, i64)>,
    chart: String,
    consent_chart: String,
    site_chart: String,
    group_chart: String,
    sites: Vec<(String, i64)>,
    groups: Vec<(String, i64)>,
    projects: Vec<ProjectRow>,
    variants: Option<variants::SummaryView>,
}

/// The name of an ICD-O-3 topography site (3 characters) for the public
/// counts; the code itself where it is not one of the common ones.
fn site_name(code: &str, ja: bool) -> String {
    let (en, j) = match code {
        "C15" => ("Oesophagus", "食道"),
        "C16" => ("Stomach", "胃"),
        "C18" => ("Colon", "結腸"),
        "C19" | "C20" => ("Rectum", "直腸"),
        "C22" => ("Liver", "肝"),
        "C25" => ("Pancreas", "膵"),
        "C34" => ("Lung", "肺"),
        "C50" => ("Breast", "乳房"),
        "C53" => ("Cervix uteri", "子宮頸部"),
        "C54" => ("Corpus uteri", "子宮体部"),
        "C56" => ("Ovary", "卵巣"),
        "C61" => ("Prostate", "前立腺"),
        "C64" => ("Kidney", "腎"),
        "C67" => ("Bladder", "膀胱"),
        "C71" => ("Brain", "脳"),
        _ => return code.to_string(),
    };
    format!("{} ({code})", if ja { j } else { en })
}

/// The disease group of an ICD-10 chapter letter, for the public counts.
fn group_name(letter: &str, ja: bool) -> String {
    let (en, j) = match letter {
        "D" => ("Blood and immune", "血液・免疫"),
        "E" => ("Endocrine, nutritional and metabolic", "内分泌・代謝"),
        "G" => ("Nervous system and muscle", "神経・筋"),
        "H" => ("Eye and ear", "眼・耳"),
        "I" => ("Circulatory system", "循環器"),
        "J" => ("Respiratory system", "呼吸器"),
        "K" => ("Digestive system", "消化器"),
        "L" => ("Skin", "皮膚"),
        "M" => ("Musculoskeletal and connective tissue", "骨・結合組織"),
        "N" => ("Kidney and urinary", "腎・泌尿器"),
        "Q" => (
            "Congenital malformations and chromosomal",
            "先天異常・染色体異常",
        ),
        "" => ("Not coded", "未コード"),
        _ => return letter.to_string(),
    };
    format!("{} ({letter})", if ja { j } else { en })
}

/// An approved project on the public page.
struct ProjectRow {
    title: String,
    institution: String,
    purpose: String,
    sector: String,
    period: String,
    revoked: bool,
}

async fn public_page(State(s): State<AppState>, h: HeaderMap) -> Response {
    let v = Visit::read(&s, &h, "/public").await;
    let stats = match s.app.public_stats().await {
        Ok(x) => x,
        Err(e) => return error_page(&s, &v, e),
    };
    let orgs = s.app.store().organisations().await.unwrap_or_default();
    let name = |code: &str| {
        orgs.iter()
            .find(|o| o.code.as_str() == code)
            .map(|o| {
                if v.lang == Lang::Ja {
                    o.name_ja.clone()
                } else {
                    o.name.clone()
                }
            })
            .unwrap_or_else(|| code.to_string())
    };
    let mut rows: Vec<(String, i64, i64)> = Vec::new();
    for c in &stats.participants {
        let label = name(&c.key);
        let idx = match rows.iter().position(|r| r.0 == label) {
            Some(i) => i,
            None => {
                rows.push((label, 0, 0));
                rows.len() - 1
            }
        };
        match c.sub.as_str() {
            "cancer" => rows[idx].1 += c.n,
            _ => rows[idx].2 += c.n,
        }
    }
    let count = |v: &Vec<zenome_store::StatCount>, k: &str| {
        v.iter().filter(|c| c.key == k).map(|c| c.n).sum::<i64>()
    };
    let tr = v.tr();
    let chart = chart::stacked_bars(
        tr.t("chart_by_facility"),
        &rows
            .iter()
            .map(|r| (r.0.clone(), vec![r.1, r.2]))
            .collect::<Vec<_>>(),
        &[
            chart::Series {
                label: tr.t("area_cancer"),
                colour: "#c0392b",
            },
            chart::Series {
                label: tr.t("area_rare_disease"),
                colour: "#2874a6",
            },
        ],
    );
    let states = ["active", "withdrawn", "not_given"];
    let consent_chart = chart::stacked_bars(
        tr.t("chart_consent"),
        &states
            .iter()
            .map(|st| (tr.code(st).to_string(), vec![count(&stats.consent, st)]))
            .collect::<Vec<_>>(),
        &[chart::Series {
            label: tr.t("participants"),
            colour: "#117a65",
        }],
    );
    let ja = v.lang == Lang::Ja;
    let clinical = s.app.store().clinical_counts().await.unwrap_or_default();
    let mut sites: Vec<(String, i64)> = clinical
        .iter()
        .filter(|(a, _, _)| a == "cancer")
        .map(|(_, k, n)| (site_name(k, ja), *n))
        .collect();
    sites.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut groups: Vec<(String, i64)> = clinical
        .iter()
        .filter(|(a, _, _)| a == "rare_disease")
        .map(|(_, k, n)| (group_name(k, ja), *n))
        .collect();
    groups.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let bars = |title: &str, rows: &[(String, i64)], colour: &'static str, label: &str| {
        chart::stacked_bars(
            title,
            &rows
                .iter()
                .map(|(k, n)| (k.clone(), vec![*n]))
                .collect::<Vec<_>>(),
            &[chart::Series { label, colour }],
        )
    };
    let site_chart = bars(
        tr.t("chart_cancer_site"),
        &sites,
        "#c0392b",
        tr.t("participants"),
    );
    let group_chart = bars(
        tr.t("chart_disease_group"),
        &groups,
        "#2874a6",
        tr.t("participants"),
    );
    let total: i64 = stats.participants.iter().map(|c| c.n).sum();
    let cancer: i64 = stats
        .participants
        .iter()
        .filter(|c| c.sub == "cancer")
        .map(|c| c.n)
        .sum();
    // the variant charts: a failure there leaves the rest of the page
    let variants = match s.app.variant_summary().await {
        Ok(vs) => variants::summary_view(tr, &vs),
        Err(e) => {
            tracing::error!(error = ?e, "variant summary failed");
            None
        }
    };
    page(
        StatusCode::OK,
        PublicPage {
            variants,
            total,
            cancer,
            rare: total - cancer,
            specimens: count(&stats.nodes, "specimen"),
            runs: count(&stats.nodes, "sequencing_run"),
            withdrawn: count(&stats.consent, "withdrawn"),
            rows,
            chart,
            consent_chart,
            site_chart,
            group_chart,
            sites,
            groups,
            projects: s
                .app
                .approved_projects()
                .await
                .unwrap_or_default()
                .into_iter()
                .map(|p| ProjectRow {
                    title: p.title,
                    institution: p.institution,
                    purpose: p.purpose,
                    sector: p.sector,
                    period: format!("{} – {}", p.starts_at.date(), p.expires_at.date()),
                    revoked: p.revoked,
                })
                .collect(),
            ctx: v.ctx(&s, None),
        },
    )
}

async fn set_lang(Path(lang): Path<String>, Query(q): Query<HashMap<String, String>>) -> Response {
    let Some(l) = Lang::parse(&lang) else {
        return (StatusCode::NOT_FOUND, "unknown language").into_response();
    };
    // only same-site paths: no open redirect, no header injection
    let next = q
        .get("next")
        .and_then(|n| redirect::same_site(n))
        .unwrap_or("/")
        .to_string();
    let mut r = Redirect::to(&next).into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&format!(
            "{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000",
            l.code()
        ))
        .expect("ascii"),
    );
    r
}

// ---------- login ----------

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    ctx: PageCtx,
}

async fn login_page(State(s): State<AppState>, h: HeaderMap) -> Response {
    let mut v = Visit::read(&s, &h, "/login").await;
    let mut set = None;
    if v.visitor.is_none() {
        let (id, _) = zenome_auth::new_token(zenome_auth::TokenKind::Session);
        set = Some(cookie(
            VISITOR_COOKIE,
            &id,
            86_400,
            s.app.config().security.cookie_secure,
        ));
        v.visitor = Some(id);
    }
    let mut r = page(
        StatusCode::OK,
        LoginPage {
            ctx: v.ctx(&s, None),
        },
    );
    if let Some(c) = set {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    r
}

async fn login_submit(
    State(s): State<AppState>,
    h: HeaderMap,
    ClientIp(ip): ClientIp,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Response {
    let v = Visit::read(&s, &h, "/login").await;
    if !v.check_csrf(&s, &form) {
        return csrf_failed(&s, &v);
    }
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    match s
        .app
        .login(get("username"), get("password"), get("totp"), ip.as_deref())
        .await
    {
        Ok(out) => {
            let mut r = Redirect::to("/portal").into_response();
            let max_age = (out.expires_at - time::OffsetDateTime::now_utc()).whole_seconds();
            r.headers_mut().append(
                header::SET_COOKIE,
                cookie(
                    SESSION_COOKIE,
                    out.token.expose(),
                    max_age,
                    s.app.config().security.cookie_secure,
                ),
            );
            r
        }
        Err(e) => {
            let status = status_of(&e);
            let retry_after = match &e {
                AppError::RateLimited { retry_after } => Some(*retry_after),
                _ => None,
            };
            let msg = match e {
                AppError::RateLimited { .. } => v.tr().t("rate_limited"),
                AppError::Unauthorized | AppError::Forbidden(_) => v.tr().t("login_failed"),
                AppError::Invalid { ref field, .. } if field == "totp" => v.tr().t("totp_used"),
                other => return error_page(&s, &v, other),
            };
            let mut r = page(
                status,
                LoginPage {
                    ctx: v.ctx(
                        &s,
                        Some(Flash {
                            kind: "error",
                            message: msg.to_string(),
                        }),
                    ),
                },
            );
            if let Some(secs) = retry_after {
                r.headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
            }
            r
        }
    }
}

async fn logout(
    State(s): State<AppState>,
    h: HeaderMap,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Response {
    let v = Visit::read(&s, &h, "/logout").await;
    if !v.check_csrf(&s, &form) {
        return csrf_failed(&s, &v);
    }
    if let (Some(a), Some(t)) = (&v.actor, &v.session)
        && let Err(e) = s.app.logout(a, t).await
    {
        return error_page(&s, &v, e);
    }
    let mut r = Redirect::to("/public").into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        cookie(SESSION_COOKIE, "", 0, s.app.config().security.cookie_secure),
    );
    r
}

// ---------- portal ----------

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    ctx: PageCtx,
}

async fn home(State(s): State<AppState>, h: HeaderMap) -> Response {
    let v = Visit::read(&s, &h, "/portal").await;
    if v.actor.is_none() {
        return to_login();
    }
    page(
        StatusCode::OK,
        HomePage {
            ctx: v.ctx(&s, None),
        },
    )
}

#[derive(Template)]
#[template(path = "participants.html")]
struct ParticipantsPage {
    ctx: PageCtx,
    can_register: bool,
    items: Vec<ParticipantDto>,
    total: i64,
    shown: usize,
    offset: i64,
    prev: i64,
    next: i64,
}

const PAGE: i64 = 50;

async fn participants_page(
    State(s): State<AppState>,
    h: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let v = Visit::read(&s, &h, "/portal/participants").await;
    let flash = flash_ok(&v, &q);
    render_participants(&s, &v, &q, flash, StatusCode::OK).await
}

async fn render_participants(
    s: &AppState,
    v: &Visit,
    q: &HashMap<String, String>,
    flash: Option<Flash>,
    status: StatusCode,
) -> Response {
    let Some(a) = &v.actor else { return to_login() };
    let offset = q
        .get("offset")
        .and_then(|o| o.parse::<i64>().ok())
        .unwrap_or(0)
        .max(0);
    let (rows, total) = match s
        .app
        .participants(
            a,
            ParticipantQuery {
                limit: Some(PAGE),
                offset: Some(offset),
                ..Default::default()
            },
        )
        .await
    {
        Ok(x) => x,
        Err(e) => return error_page(s, v, e),
    };
    page(
        status,
        ParticipantsPage {
            ctx: v.ctx(s, flash),
            can_register: matches!(a.role, Role::FacilitySubmitter { .. }),
            shown: rows.len(),
            items: rows.iter().map(Into::into).collect(),
            total,
            offset,
            prev: (offset - PAGE).max(0),
            next: offset + PAGE,
        },
    )
}

async fn register_participant(
    State(s): State<AppState>,
    h: HeaderMap,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Response {
    let v = Visit::read(&s, &h, "/portal/participants").await;
    let Some(a) = &v.actor else { return to_login() };
    if !v.check_csrf(&s, &form) {
        return csrf_failed(&s, &v);
    }
    let dto = NewParticipantDto {
        id: form.get("id").cloned().filter(|x| !x.trim().is_empty()),
        disease_area: form.get("disease_area").cloned().unwrap_or_default(),
        sex: form.get("sex").cloned(),
    };
    let result = match dto.to_domain() {
        Ok(np) => s.app.register_participant(a, np).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(p) => {
            Redirect::to(&format!("/portal/participants/{}?ok=registered", p.id)).into_response()
        }
        Err(e) => {
            let status = status_of(&e);
            render_participants(&s, &v, &HashMap::new(), Some(flash_error(&v, &e)), status).await
        }
    }
}

/// One yes/no item of the consent form.
struct FormItem {
    name: &'static str,
    rule: &'static str,
    value: Option<bool>,
}

#[derive(Template)]
#[template(path = "participant.html")]
struct ParticipantPage {
    ctx: PageCtx,
    p: ParticipantDto,
    consent: ConsentStateDto,
    item_rows: Vec<(&'static str, bool)>,
    events: Vec<ConsentEventDto>,
    can_write: bool,
    scopes: Vec<&'static str>,
    form_scope: &'static str,
    form_disease: String,
    form_items: Vec<FormItem>,
    data_use: Vec<DataUseRow>,
}

/// A project that used the participant's data.
struct DataUseRow {
    title: String,
    institution: String,
    purpose: String,
    period: String,
    status: String,
}

async fn participant_page(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let v = Visit::read(&s, &h, &format!("/portal/participants/{id}")).await;
    let flash = flash_ok(&v, &q);
    render_participant(&s, &v, &id, flash, StatusCode::OK).await
}

fn parse_pid(id: &str) -> Result<ParticipantId, AppError> {
    dto::parse("participant_id", Some(id))
}

async fn render_participant(
    s: &AppState,
    v: &Visit,
    id: &str,
    flash: Option<Flash>,
    status: StatusCode,
) -> Response {
    let Some(a) = &v.actor else { return to_login() };
    let view = match parse_pid(id) {
        Ok(pid) => s.app.participant(a, &pid).await,
        Err(e) => Err(e),
    };
    let view = match view {
        Ok(x) => x,
        Err(e) => return error_page(s, v, e),
    };
    let detail = dto::ParticipantDetailDto::from(&view);
    let current = view.consent.current();
    let active = current.active().cloned();
    let area = view.participant.disease_area;
    let form = active
        .as_ref()
        .map(|x| x.form)
        .unwrap_or(FormVersion::CURRENT);
    let answers = active
        .as_ref()
        .map(|x| ConsentAnswersDto::from_items(&x.items));
    let item_rows = match &answers {
        Some(x) => vec![
            ("controlled_sharing", x.controlled_sharing.unwrap_or(false)),
            ("industrial_use", x.industrial_use.unwrap_or(false)),
            ("data_linkage", x.data_linkage.unwrap_or(false)),
            (
                "international_sharing",
                x.international_sharing.unwrap_or(false),
            ),
            ("recontact", x.recontact.unwrap_or(false)),
            ("primary_findings", x.primary_findings.unwrap_or(false)),
            ("secondary_findings", x.secondary_findings.unwrap_or(false)),
        ],
        None => vec![],
    };
    let form_items = form
        .items(area)
        .into_iter()
        .filter(|(i, _)| *i != zenome_domain::consent::ConsentItem::ResearchScope)
        .map(|(item, rule)| {
            let current = answers.as_ref().and_then(|x| match item.as_str() {
                "controlled_sharing" => x.controlled_sharing,
                "industrial_use" => x.industrial_use,
                "data_linkage" => x.data_linkage,
                "international_sharing" => x.international_sharing,
                "recontact" => x.recontact,
                "primary_findings" => x.primary_findings,
                "secondary_findings" => x.secondary_findings,
                _ => None,
            });
            let default = match rule {
                ItemRule::MustAgree | ItemRule::OptOut => Some(true),
                ItemRule::OptIn => Some(false),
                ItemRule::MustAnswer | ItemRule::MustChoose => None,
            };
            FormItem {
                name: item.as_str(),
                rule: rule.as_str(),
                value: current.or(default),
            }
        })
        .collect();
    let form_scope = match answers.as_ref().and_then(|x| x.research_scope.as_deref()) {
        Some("health_medical") => "health_medical",
        Some("disease_specific") => "disease_specific",
        _ => "general",
    };
    page(
        status,
        ParticipantPage {
            ctx: v.ctx(s, flash),
            can_write: zenome_app::policy::can_write_participant(a, &view.participant).is_ok(),
            p: detail.participant,
            consent: detail.consent.current,
            item_rows,
            events: detail.consent.events,
            scopes: vec!["general", "health_medical", "disease_specific"],
            form_scope,
            form_disease: answers.and_then(|x| x.disease).unwrap_or_default(),
            form_items,
            data_use: s
                .app
                .participant_data_use(a, &view.participant.id)
                .await
                .unwrap_or_default()
                .into_iter()
                .map(|g| DataUseRow {
                    title: g.row.title.clone(),
                    institution: g.row.institution.clone(),
                    purpose: g.row.purpose_summary.clone(),
                    period: format!("{} – {}", g.row.starts_at.date(), g.row.expires_at.date()),
                    status: g.status.into(),
                })
                .collect(),
        },
    )
}

fn yes_no(form: &HashMap<String, String>, k: &str) -> Option<bool> {
    match form.get(k).map(String::as_str) {
        Some("yes") => Some(true),
        Some("no") => Some(false),
        _ => None,
    }
}

async fn consent_submit(
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
    let action = form.get("action").cloned().unwrap_or_default();
    let effective_at = form
        .get("effective_on")
        .filter(|d| !d.is_empty())
        .map(|d| format!("{d}T00:00:00Z"));
    let req = ConsentRequest {
        answers: (action != "withdraw").then(|| ConsentAnswersDto {
            research_scope: form.get("research_scope").cloned(),
            disease: form.get("disease").cloned(),
            controlled_sharing: yes_no(&form, "controlled_sharing"),
            industrial_use: yes_no(&form, "industrial_use"),
            data_linkage: yes_no(&form, "data_linkage"),
            international_sharing: yes_no(&form, "international_sharing"),
            recontact: yes_no(&form, "recontact"),
            primary_findings: yes_no(&form, "primary_findings"),
            secondary_findings: yes_no(&form, "secondary_findings"),
        }),
        action,
        form_version: None,
        legacy: None,
        reason: form.get("reason").cloned(),
        effective_at,
    };
    let result = async {
        let pid = parse_pid(&id)?;
        let (cmd, at) = req.to_domain()?;
        s.app.record_consent(a, &pid, cmd, at).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to(&format!("/portal/participants/{id}?ok=consent")).into_response(),
        Err(e) => {
            let status = status_of(&e);
            render_participant(&s, &v, &id, Some(flash_error(&v, &e)), status).await
        }
    }
}

/// One row of the lineage tree.
struct TreeRow {
    id: String,
    kind: &'static str,
    barcode: Option<String>,
    depth: usize,
    summary: String,
    status: Option<&'static str>,
    child_kinds: Vec<String>,
}

#[derive(Template)]
#[template(path = "lineage.html")]
struct LineagePage {
    ctx: PageCtx,
    p: ParticipantDto,
    consent_state: &'static str,
    rows: Vec<TreeRow>,
    can_write: bool,
    statuses: Vec<&'static str>,
    specimen_types: Vec<&'static str>,
    strategies: Vec<&'static str>,
    own_centre: String,
}

fn summary(tr: Tr, d: &NodeDetails) -> String {
    match d {
        NodeDetails::Specimen {
            specimen_type,
            collected_on,
            anatomical_site,
            ..
        } => format!(
            "{} · {collected_on}{}",
            tr.code(specimen_type.as_str()),
            anatomical_site
                .as_ref()
                .map(|s| format!(" · {s}"))
                .unwrap_or_default()
        ),
        NodeDetails::Aliquot { volume_ul, .. } => {
            volume_ul.map(|v| format!("{v} µL")).unwrap_or_default()
        }
        NodeDetails::Extract {
            analyte, yield_ng, ..
        } => format!(
            "{}{}",
            tr.code(analyte.as_str()),
            yield_ng.map(|y| format!(" · {y} ng")).unwrap_or_default()
        ),
        NodeDetails::Library {
            strategy,
            kit,
            centre,
        } => format!(
            "{}{}{}",
            tr.code(strategy.as_str()),
            kit.as_ref().map(|k| format!(" · {k}")).unwrap_or_default(),
            centre
                .as_ref()
                .map(|c| format!(" → {c}"))
                .unwrap_or_default()
        ),
        NodeDetails::SequencingRun {
            centre,
            run_id,
            instrument,
            run_date,
        } => {
            format!("{centre} · {run_id} · {instrument} · {run_date}")
        }
        NodeDetails::File { format, state } => {
            format!("{} · {}", tr.code(format.as_str()), tr.code(state.as_str()))
        }
    }
}

/// The kinds `actor` may register under a node.
fn child_kinds(a: &Actor, n: &LineageNode) -> Vec<&'static str> {
    let facility = matches!(a.role, Role::FacilitySubmitter { .. });
    let centre = zenome_app::policy::run_submitter(a).is_ok();
    match &n.details {
        NodeDetails::Specimen { .. } | NodeDetails::Aliquot { .. } if facility => {
            vec!["aliquot", "extract"]
        }
        NodeDetails::Extract { .. } if facility => vec!["library"],
        NodeDetails::Library { .. } if centre => vec!["sequencing_run"],
        NodeDetails::SequencingRun { .. } | NodeDetails::File { .. } if centre => vec!["file"],
        _ => vec![],
    }
}

fn flatten(
    a: &Actor,
    tr: Tr,
    nodes: &[LineageNode],
    parent: Option<&NodeId>,
    depth: usize,
    out: &mut Vec<TreeRow>,
) {
    for n in nodes.iter().filter(|n| n.parent.as_ref() == parent) {
        out.push(TreeRow {
            id: n.id.to_string(),
            kind: n.details.kind().as_str(),
            barcode: n.barcode.as_ref().map(ToString::to_string),
            depth: depth.min(8),
            summary: summary(tr, &n.details),
            status: n.details.status().map(|st| st.as_str()),
            child_kinds: child_kinds(a, n).into_iter().map(String::from).collect(),
        });
        flatten(a, tr, nodes, Some(&n.id), depth + 1, out);
    }
}

async fn lineage_page(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let v = Visit::read(&s, &h, &format!("/portal/participants/{id}/lineage")).await;
    let flash = flash_ok(&v, &q);
    render_lineage(&s, &v, &id, flash, StatusCode::OK).await
}

async fn render_lineage(
    s: &AppState,
    v: &Visit,
    id: &str,
    flash: Option<Flash>,
    status: StatusCode,
) -> Response {
    let Some(a) = &v.actor else { return to_login() };
    let result = match parse_pid(id) {
        Ok(pid) => s.app.lineage(a, &pid).await,
        Err(e) => Err(e),
    };
    let (view, nodes) = match result {
        Ok(x) => x,
        Err(e) => return error_page(s, v, e),
    };
    let mut rows = Vec::new();
    flatten(a, v.tr(), &nodes, None, 0, &mut rows);
    // stored files: size, QC and the DRS id
    for r in rows.iter_mut().filter(|r| r.kind == "file") {
        if let Ok(Some(o)) = s.app.store().object_of_node(&r.id).await {
            let tr = v.tr();
            r.summary = format!(
                "{} · {} · {:.1} MB · QC {} · DRS {}",
                o.name,
                tr.code(&o.format),
                o.size as f64 / 1e6,
                tr.code(if o.qc_status == "passed" {
                    "qc_passed"
                } else {
                    "qc_failed"
                }),
                o.id
            );
        }
    }
    let state = view.consent.current().as_str();
    page(
        status,
        LineagePage {
            ctx: v.ctx(s, flash),
            p: ParticipantDto::new(&view.participant, state),
            consent_state: state,
            can_write: zenome_app::policy::can_write_participant(a, &view.participant).is_ok(),
            rows,
            statuses: MaterialStatus::ALL.iter().map(|x| x.as_str()).collect(),
            specimen_types: match view.participant.disease_area {
                DiseaseArea::Cancer => SpecimenType::ALL.iter().map(|x| x.as_str()).collect(),
                DiseaseArea::RareDisease => SpecimenType::ALL
                    .iter()
                    .filter(|x| !x.is_tumour())
                    .map(|x| x.as_str())
                    .collect(),
            },
            strategies: LibraryStrategy::ALL.iter().map(|x| x.as_str()).collect(),
            own_centre: match &a.role {
                Role::SequencingCentre { centre } => centre.to_string(),
                _ => String::new(),
            },
        },
    )
}

async fn node_submit(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Response {
    let v = Visit::read(&s, &h, &format!("/portal/participants/{id}/lineage")).await;
    let Some(a) = &v.actor else { return to_login() };
    if !v.check_csrf(&s, &form) {
        return csrf_failed(&s, &v);
    }
    let g = |k: &str| form.get(k).cloned().filter(|x| !x.trim().is_empty());
    let num = |k: &str| -> Result<Option<u32>, AppError> {
        g(k).map(|x| {
            x.trim()
                .parse::<u32>()
                .map_err(|_| AppError::invalid(k, "a whole number"))
        })
        .transpose()
    };
    let result = async {
        let kind = g("kind").unwrap_or_default();
        let dto = NewNodeDto {
            participant_id: (kind == NodeKind::Specimen.as_str()).then(|| id.clone()),
            parent_id: g("parent_id"),
            barcode: g("barcode"),
            specimen_type: g("specimen_type"),
            collected_on: g("collected_on"),
            anatomical_site: g("anatomical_site"),
            status: g("status"),
            volume_ul: num("volume_ul")?,
            analyte: g("analyte"),
            yield_ng: num("yield_ng")?,
            strategy: g("strategy"),
            kit: g("kit"),
            centre: g("centre"),
            run_id: g("run_id"),
            instrument: g("instrument"),
            run_date: g("run_date"),
            format: g("format"),
            kind,
            parent_barcode: None,
            members: None,
        };
        let members: Vec<String> = g("members")
            .map(|m| {
                m.split([',', ' ', '\n'])
                    .map(str::trim)
                    .filter(|x| !x.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let members = crate::api::dto::parse_members(&members)?;
        s.app
            .register_node_with_members(a, dto.to_domain()?, &members)
            .await
    }
    .await;
    match result {
        Ok(_) => Redirect::to(&format!("/portal/participants/{id}/lineage?ok=registered"))
            .into_response(),
        Err(e) => {
            let status = status_of(&e);
            render_lineage(&s, &v, &id, Some(flash_error(&v, &e)), status).await
        }
    }
}

async fn status_submit(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Response {
    let v = Visit::read(&s, &h, "/portal").await;
    let Some(a) = &v.actor else { return to_login() };
    if !v.check_csrf(&s, &form) {
        return csrf_failed(&s, &v);
    }
    let result = async {
        let status: MaterialStatus = dto::parse("status", form.get("status").map(String::as_str))?;
        s.app
            .set_material_status(a, &NodeId::new(id.clone()), status)
            .await
    }
    .await;
    match result {
        Ok(n) => Redirect::to(&format!(
            "/portal/participants/{}/lineage?ok=status",
            n.participant
        ))
        .into_response(),
        Err(e) => error_page(&s, &v, e),
    }
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    ctx: PageCtx,
    chain: String,
    chain_class: &'static str,
    entries: Vec<crate::api::dto::AuditDto>,
}

async fn audit_page(State(s): State<AppState>, h: HeaderMap) -> Response {
    let v = Visit::read(&s, &h, "/portal/audit").await;
    let Some(a) = &v.actor else { return to_login() };
    if let Err(e) = zenome_app::policy::require_auditor(a) {
        return error_page(&s, &v, e);
    }
    let store = s.app.store();
    // the whole check, as `zenome audit verify` does it: the chain, every
    // anchor in the anchor store against it, and the unanchored tail
    let (chain, chain_class) = match s.app.verify_audit().await {
        Ok(r) => {
            let summary = format!(
                "{} {}, {} {} ({}), {} {}",
                r.entries,
                v.tr().t("audit_entries"),
                r.anchors,
                v.tr().t("audit_anchors"),
                r.location,
                r.tail.entries,
                v.tr().t("audit_unanchored"),
            );
            match &r.problem {
                None => (format!("{}: {summary}", v.tr().t("chain_ok")), "ok"),
                Some(b) => (
                    format!(
                        "{} #{}: {} — {summary}",
                        v.tr().t("chain_broken"),
                        b.seq,
                        b.reason
                    ),
                    "bad",
                ),
            }
        }
        Err(e) => return error_page(&s, &v, e),
    };
    let rows = match store.audit_recent(None, 200).await {
        Ok(r) => r,
        Err(e) => return error_page(&s, &v, e.into()),
    };
    page(
        StatusCode::OK,
        AuditPage {
            ctx: v.ctx(&s, None),
            chain,
            chain_class,
            entries: rows
                .into_iter()
                .map(|r| crate::api::dto::AuditDto {
                    seq: r.seq,
                    at: dto::rfc3339(r.at),
                    actor: r.actor,
                    action: r.action,
                    target: r.target,
                    detail: serde_json::Value::Null,
                    hash: r.hash[..16].to_string(),
                })
                .collect(),
        },
    )
}
