//! Portal pages for pipelines (issue 11): the list of pipelines with the
//! staff forms to register a version and a truth set; and per pipeline the
//! versions × truth sets table of recall, precision and F1 by type (PASS),
//! charts of recall and precision across versions, which version is
//! current and why (its promotion record), the results its versions
//! produced, and the staff forms to evaluate and to promote with a reason.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use zenome_app::pipelines::{
    EvaluationView, NewPipelineVersion, NewTruthSet, PipelineSummary, PromotionView, QuerySource,
    ResultView, TruthSetView, VersionView,
};
use zenome_domain::pipeline::PipelineKind;
use zenome_domain::role::Role;

use super::chart;
use super::{PageCtx, Visit, csrf_failed, error_page, page, to_login};
use crate::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal/pipelines", get(list_page).post(register_submit))
        .route("/portal/truth-sets", post(truth_set_submit))
        .route("/portal/pipelines/{name}", get(pipeline_page))
        .route("/portal/pipelines/{name}/promote", post(promote_submit))
        .route("/portal/pipelines/{name}/evaluate", post(evaluate_submit))
}

/// A path segment, percent-encoded (names may hold spaces and Japanese).
pub(crate) fn segment(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Whether the actor sees the pipelines pages.
pub(crate) fn sees_pipelines(role: &Role) -> bool {
    matches!(role, Role::DataCentreStaff | Role::Admin)
}

#[derive(Template)]
#[template(path = "pipelines.html")]
struct ListPage {
    ctx: PageCtx,
    pipelines: Vec<(PipelineSummary, String)>,
    truth_sets: Vec<TruthSetView>,
    kinds: Vec<&'static str>,
    staff: bool,
}

async fn list_page(State(s): State<AppState>, h: HeaderMap) -> Response {
    let v = Visit::read(&s, &h, "/portal/pipelines").await;
    let Some(a) = &v.actor else { return to_login() };
    let pipelines = match s.app.pipelines(a).await {
        Ok(p) => p,
        Err(e) => return error_page(&s, &v, e),
    };
    let truth_sets = match s.app.truth_sets(a).await {
        Ok(t) => t,
        Err(e) => return error_page(&s, &v, e),
    };
    page(
        StatusCode::OK,
        ListPage {
            ctx: v.ctx(&s, None),
            pipelines: pipelines
                .into_iter()
                .map(|p| {
                    let href = format!("/portal/pipelines/{}", segment(&p.name));
                    (p, href)
                })
                .collect(),
            truth_sets,
            kinds: PipelineKind::ALL.iter().map(|k| k.as_str()).collect(),
            staff: a.role == Role::DataCentreStaff,
        },
    )
}

/// One row of the versions × truth sets table: the latest evaluation of a
/// version on a truth set, PASS records.
struct TableRow {
    version: String,
    state: String,
    truth_set: String,
    cells: Vec<String>,
    base_source: String,
    evaluated_at: String,
}

#[derive(Template)]
#[template(path = "pipeline.html")]
struct DetailPage {
    ctx: PageCtx,
    name: String,
    href: String,
    kind: String,
    current: Option<String>,
    why: Option<PromotionView>,
    promotions: Vec<PromotionView>,
    versions: Vec<VersionView>,
    rows: Vec<TableRow>,
    recall_chart: String,
    precision_chart: String,
    results: Vec<ResultView>,
    truth_sets: Vec<TruthSetView>,
    rule: String,
    staff: bool,
}

/// An RFC 3339 time as the portal shows times (JST); as given if it does
/// not parse.
fn jst(t: &str) -> String {
    time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
        .map(super::local_time)
        .unwrap_or_else(|_| t.to_string())
}

fn num(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_string(), |x| format!("{x:.4}"))
}

/// The latest evaluation of each (version, truth set), in version order.
fn latest(versions: &[VersionView], evals: &[EvaluationView]) -> Vec<EvaluationView> {
    let mut out = Vec::new();
    for v in versions {
        let mut seen: Vec<String> = Vec::new();
        for e in evals.iter().rev().filter(|e| e.version == v.version) {
            let t = format!("{}@{}", e.truth_set, e.truth_version);
            if !seen.contains(&t) {
                seen.push(t);
                out.push(e.clone());
            }
        }
    }
    out
}

async fn pipeline_page(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    let href = format!("/portal/pipelines/{}", segment(&name));
    let v = Visit::read(&s, &h, &href).await;
    let Some(a) = &v.actor else { return to_login() };
    let mut d = match s.app.pipeline(a, &name).await {
        Ok(d) => d,
        Err(e) => return error_page(&s, &v, e),
    };
    for p in &mut d.promotions {
        p.promoted_at = jst(&p.promoted_at);
    }
    for v in &mut d.versions {
        v.registered_at = jst(&v.registered_at);
    }
    let truth_sets = match s.app.truth_sets(a).await {
        Ok(t) => t,
        Err(e) => return error_page(&s, &v, e),
    };
    let ctx = v.ctx(&s, None);
    let latest = latest(&d.versions, &d.evaluations);
    let state_of: HashMap<&str, &str> = d
        .versions
        .iter()
        .map(|v| (v.version.as_str(), v.state.as_str()))
        .collect();
    let rows: Vec<TableRow> = latest
        .iter()
        .map(|e| {
            let mut cells = Vec::new();
            for t in ["SNP", "INDEL"] {
                let m = e.pass(t);
                cells.push(num(m.and_then(|m| m.recall)));
                cells.push(num(m.and_then(|m| m.precision)));
                cells.push(num(m.and_then(|m| m.f1)));
            }
            TableRow {
                version: e.version.clone(),
                state: state_of
                    .get(e.version.as_str())
                    .copied()
                    .unwrap_or_default()
                    .to_string(),
                truth_set: format!("{}@{}", e.truth_set, e.truth_version),
                cells,
                base_source: e.base_source.clone(),
                evaluated_at: jst(&e.evaluated_at),
            }
        })
        .collect();
    let several_truth_sets = rows
        .iter()
        .map(|r| r.truth_set.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .len()
        > 1;
    let bars = |metric: &str| -> Vec<(String, Option<f64>)> {
        let mut out = Vec::new();
        for t in ["SNP", "INDEL"] {
            for e in &latest {
                let m = e.pass(t);
                let value = m.and_then(|m| match metric {
                    "recall" => m.recall,
                    _ => m.precision,
                });
                let label = if several_truth_sets {
                    format!("{} · {t} · {}@{}", e.version, e.truth_set, e.truth_version)
                } else {
                    format!("{} · {t}", e.version)
                };
                out.push((label, value));
            }
        }
        out
    };
    let recall_chart = chart::value_bars(ctx.t.t("pl_recall_chart"), &bars("recall"), "#2f6f9f", 4);
    let precision_chart = chart::value_bars(
        ctx.t.t("pl_precision_chart"),
        &bars("precision"),
        "#c0662b",
        4,
    );
    let why = d
        .promotions
        .iter()
        .find(|p| Some(&p.version) == d.current.as_ref())
        .cloned();
    page(
        StatusCode::OK,
        DetailPage {
            ctx,
            name: d.name,
            href,
            kind: d.kind,
            current: d.current,
            why,
            promotions: d.promotions,
            versions: d.versions,
            rows,
            recall_chart,
            precision_chart,
            results: d.results,
            truth_sets,
            rule: format!("{} (tolerance {})", d.rule, d.tolerance),
            staff: a.role == Role::DataCentreStaff,
        },
    )
}

type Form = axum::Form<HashMap<String, String>>;

fn field<'a>(form: &'a HashMap<String, String>, k: &str) -> &'a str {
    form.get(k).map(|x| x.trim()).unwrap_or_default()
}

/// Registers a version: tools one a line, `NAME VERSION`; parameters a
/// JSON object (empty: `{}`).
async fn register_submit(
    State(s): State<AppState>,
    h: HeaderMap,
    axum::Form(form): Form,
) -> Response {
    let v = Visit::read(&s, &h, "/portal/pipelines").await;
    let Some(a) = &v.actor else { return to_login() };
    if !v.check_csrf(&s, &form) {
        return csrf_failed(&s, &v);
    }
    let done = async {
        let mut tools = Vec::new();
        for line in field(&form, "tools")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            let (n, ver) = line.rsplit_once(char::is_whitespace).ok_or_else(|| {
                zenome_app::AppError::invalid(
                    "tools",
                    format!("expected NAME VERSION on each line, found {line:?}"),
                )
            })?;
            tools.push((n.trim().to_string(), ver.trim().to_string()));
        }
        let parameters = match field(&form, "parameters") {
            "" => serde_json::json!({}),
            p => serde_json::from_str(p).map_err(|e| {
                zenome_app::AppError::invalid("parameters", format!("not JSON: {e}"))
            })?,
        };
        s.app
            .register_pipeline(
                a,
                NewPipelineVersion {
                    name: field(&form, "name").to_string(),
                    version: field(&form, "version").to_string(),
                    kind: field(&form, "kind").to_string(),
                    tools,
                    reference_assembly: field(&form, "reference_assembly").to_string(),
                    reference_fasta: field(&form, "reference_fasta").to_string(),
                    parameters,
                    container_digest: Some(field(&form, "container_digest").to_string())
                        .filter(|d| !d.is_empty()),
                },
            )
            .await
    }
    .await;
    match done {
        Ok(r) => Redirect::to(&format!("/portal/pipelines/{}", segment(&r.name))).into_response(),
        Err(e) => error_page(&s, &v, e),
    }
}

async fn truth_set_submit(
    State(s): State<AppState>,
    h: HeaderMap,
    axum::Form(form): Form,
) -> Response {
    let v = Visit::read(&s, &h, "/portal/pipelines").await;
    let Some(a) = &v.actor else { return to_login() };
    if !v.check_csrf(&s, &form) {
        return csrf_failed(&s, &v);
    }
    let opt = |k: &str| Some(field(&form, k).to_string()).filter(|x| !x.is_empty());
    match s
        .app
        .register_truth_set(
            a,
            NewTruthSet {
                name: field(&form, "name").to_string(),
                version: field(&form, "version").to_string(),
                sample: field(&form, "sample").to_string(),
                assembly: field(&form, "assembly").to_string(),
                vcf: field(&form, "vcf").to_string(),
                regions: opt("regions"),
                reference: opt("reference"),
            },
        )
        .await
    {
        Ok(_) => Redirect::to("/portal/pipelines").into_response(),
        Err(e) => error_page(&s, &v, e),
    }
}

async fn promote_submit(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(name): Path<String>,
    axum::Form(form): Form,
) -> Response {
    let href = format!("/portal/pipelines/{}", segment(&name));
    let v = Visit::read(&s, &h, &href).await;
    let Some(a) = &v.actor else { return to_login() };
    if !v.check_csrf(&s, &form) {
        return csrf_failed(&s, &v);
    }
    match s
        .app
        .promote_pipeline(a, &name, field(&form, "version"), field(&form, "reason"))
        .await
    {
        Ok(_) => Redirect::to(&href).into_response(),
        Err(e) => error_page(&s, &v, e),
    }
}

/// Evaluates a version: the truth set as `NAME@VERSION`, the call set as a
/// file name in the calls directory or a stored object's id.
async fn evaluate_submit(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(name): Path<String>,
    axum::Form(form): Form,
) -> Response {
    let href = format!("/portal/pipelines/{}", segment(&name));
    let v = Visit::read(&s, &h, &href).await;
    let Some(a) = &v.actor else { return to_login() };
    if !v.check_csrf(&s, &form) {
        return csrf_failed(&s, &v);
    }
    let truth = field(&form, "truth_set");
    let Some((tn, tv)) = truth.rsplit_once('@') else {
        return error_page(
            &s,
            &v,
            zenome_app::AppError::invalid("truth_set", "choose a truth set"),
        );
    };
    let query = match (field(&form, "file"), field(&form, "object_id")) {
        (f, "") if !f.is_empty() => QuerySource::File(f.to_string()),
        ("", o) if !o.is_empty() => QuerySource::Object(o.to_string()),
        _ => {
            return error_page(
                &s,
                &v,
                zenome_app::AppError::invalid(
                    "query",
                    "give either a file in the calls directory or a stored object id",
                ),
            );
        }
    };
    match s
        .app
        .evaluate_pipeline(a, &name, field(&form, "version"), (tn, tv), query)
        .await
    {
        Ok(_) => Redirect::to(&href).into_response(),
        Err(e) => error_page(&s, &v, e),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn segments_are_percent_encoded() {
        assert_eq!(super::segment("a b/ç"), "a%20b%2F%C3%A7");
        assert_eq!(super::segment("zenome-demo_1.0~"), "zenome-demo_1.0~");
    }
}
