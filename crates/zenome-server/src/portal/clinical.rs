//! Portal pages of clinical information (R2): the data dictionary as a
//! readable document (public: it is what hospitals must enter), a
//! participant's record with its versions, per-group forms whose coded items
//! are selection lists, and the bulk upload with its error report (on
//! screen and as CSV to download).

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde_json::{Map, Value};
use zenome_app::AppError;
use zenome_app::clinical::Source;
use zenome_app::error::SubmissionProblem;
use zenome_clinical::record::GroupData;
use zenome_clinical::{Area, Dictionary, Group, Hpo, Item, ItemType, Record};
use zenome_domain::role::Role;

use super::{
    Flash, PageCtx, Visit, csrf_failed, error_page, local_time, page, parse_pid, to_login,
};
use crate::AppState;
use crate::problem::status_of;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/dictionary", get(dictionary))
        .route("/hpo", get(hpo_page))
        .route("/portal/participants/{id}/clinical", get(record_page))
        .route(
            "/portal/participants/{id}/clinical/{group}",
            get(group_form).post(group_submit),
        )
        .route(
            "/portal/participants/{id}/phenopacket.json",
            get(phenopacket_json),
        )
        .route("/portal/clinical/bulk", get(bulk_page).post(bulk_submit))
        .route(
            "/portal/clinical/bulk/report.csv",
            axum::routing::post(bulk_report),
        )
}

fn ja(v: &Visit) -> bool {
    v.lang == super::Lang::Ja
}

// ---------- the dictionary ----------

struct CodeRow {
    code: String,
    label: String,
    definition: String,
}

struct ItemRow {
    id: String,
    label: String,
    definition: String,
    kind: String,
    unit: String,
    range: String,
    required: bool,
    linkage: bool,
    areas: String,
    codes: Vec<CodeRow>,
}

struct GroupRow {
    id: String,
    label: String,
    definition: String,
    areas: String,
    repeating: bool,
    required: bool,
    items: Vec<ItemRow>,
}

#[derive(Template)]
#[template(path = "dictionary.html")]
struct DictionaryPage {
    ctx: PageCtx,
    version: String,
    released: String,
    versions: Vec<String>,
    groups: Vec<GroupRow>,
    rules: Vec<String>,
}

fn area_label(a: Area, ja: bool) -> &'static str {
    match (a, ja) {
        (Area::Cancer, true) => "がん",
        (Area::Cancer, false) => "cancer",
        (Area::RareDisease, true) => "難病",
        (Area::RareDisease, false) => "rare disease",
    }
}

fn pick<'a>(ja: bool, j: &'a str, en: &'a str) -> &'a str {
    if ja && !j.is_empty() { j } else { en }
}

fn group_row(g: &Group, ja: bool) -> GroupRow {
    GroupRow {
        id: g.id.clone(),
        label: pick(ja, &g.label_ja, &g.label_en).to_string(),
        definition: pick(ja, &g.definition_ja, &g.definition_en).to_string(),
        areas: g
            .areas
            .iter()
            .map(|a| area_label(*a, ja))
            .collect::<Vec<_>>()
            .join(", "),
        repeating: g.repeating,
        required: g.required,
        items: g
            .items
            .iter()
            .map(|i| ItemRow {
                id: i.id.clone(),
                label: pick(ja, &i.label_ja, &i.label_en).to_string(),
                definition: pick(ja, &i.definition_ja, &i.definition_en).to_string(),
                kind: i.item_type.as_str().to_string(),
                unit: i.unit.clone().unwrap_or_default(),
                range: match (i.min, i.max) {
                    (Some(a), Some(b)) => format!("{a}–{b}"),
                    (Some(a), None) => format!("≥ {a}"),
                    (None, Some(b)) => format!("≤ {b}"),
                    (None, None) => String::new(),
                },
                required: i.required,
                linkage: i.needs_linkage_consent,
                areas: i
                    .areas
                    .as_ref()
                    .map(|v| {
                        v.iter()
                            .map(|a| area_label(*a, ja))
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default(),
                codes: i
                    .values
                    .iter()
                    .map(|c| CodeRow {
                        code: c.code.clone(),
                        label: pick(ja, &c.label_ja, &c.label_en).to_string(),
                        definition: pick(ja, &c.definition_ja, &c.definition_en).to_string(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

async fn dictionary(
    State(s): State<AppState>,
    h: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let v = Visit::read(&s, &h, "/dictionary").await;
    let dicts = s.app.dictionaries();
    let d = match q.get("version") {
        Some(ver) => dicts.get(ver),
        None => dicts.latest(),
    };
    let Some(d) = d else {
        return error_page(&s, &v, AppError::NotFound("dictionary version"));
    };
    let j = ja(&v);
    let rules = d
        .rules
        .iter()
        .map(|r| serde_json::to_string(r).unwrap_or_default())
        .collect();
    page(
        StatusCode::OK,
        DictionaryPage {
            ctx: v.ctx(&s, None),
            version: d.version.clone(),
            released: d.released.to_string(),
            versions: dicts.iter().map(|d| d.version.clone()).collect(),
            groups: d.groups.iter().map(|g| group_row(g, j)).collect(),
            rules,
        },
    )
}

// ---------- HPO term search ----------

/// At most this many terms go into a form's suggestion list; a larger
/// ontology (the full HPO has ~19,000 live terms, over 1 MB of options)
/// is searched on the `/hpo` page instead.
const DATALIST_MAX: usize = 2_000;

#[derive(Template)]
#[template(path = "hpo.html")]
struct HpoPage {
    ctx: PageCtx,
    q: String,
    release: Option<String>,
    /// id, name, synonyms joined.
    terms: Vec<(String, String, String)>,
}

/// Public, like the dictionary: find an HPO term by name, synonym or id
/// (the phenotypes form links here; it needs no script).
async fn hpo_page(
    State(s): State<AppState>,
    h: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let v = Visit::read(&s, &h, "/hpo").await;
    let text: String = q
        .get("q")
        .map(|t| t.chars().take(100).collect())
        .unwrap_or_default();
    let hpo = s.app.hpo();
    let terms = hpo
        .search(&text, 50)
        .into_iter()
        .map(|t| (t.id.clone(), t.name.clone(), t.synonyms.join(" · ")))
        .collect();
    page(
        StatusCode::OK,
        HpoPage {
            ctx: v.ctx(&s, None),
            q: text,
            release: hpo.data_version().map(str::to_string),
            terms,
        },
    )
}

// ---------- a participant's record ----------

struct ValueRow {
    label: String,
    value: String,
}

struct EntryView {
    index: Option<usize>,
    values: Vec<ValueRow>,
}

struct GroupView {
    id: String,
    label: String,
    entries: Vec<EntryView>,
}

struct VersionRow {
    version: i64,
    dictionary: String,
    source: String,
    by: String,
    at: String,
}

#[derive(Template)]
#[template(path = "clinical.html")]
struct RecordPage {
    ctx: PageCtx,
    id: String,
    area: String,
    can_write: bool,
    rare: bool,
    version: Option<i64>,
    groups: Vec<GroupView>,
    editable: Vec<(String, String)>,
    history: Vec<VersionRow>,
}

/// The ontology's name of an HPO term value ("" when the value is not a known term).
fn hpo_name(hpo: &Hpo, v: Option<&Value>) -> String {
    v.and_then(Value::as_str)
        .and_then(|id| hpo.term(id))
        .map(|t| t.name.clone())
        .unwrap_or_default()
}

fn shown(hpo: &Hpo, item: &Item, v: &Value, ja: bool) -> String {
    let raw = match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => {
            if *b {
                if ja { "はい" } else { "yes" }.into()
            } else if ja {
                "いいえ".into()
            } else {
                "no".into()
            }
        }
        Value::Object(o) => format!(
            "{} {}",
            o.get("value").map(ToString::to_string).unwrap_or_default(),
            o.get("unit").and_then(Value::as_str).unwrap_or("")
        ),
        other => other.to_string(),
    };
    if let Some(c) = item.value(&raw) {
        return format!("{} ({})", pick(ja, &c.label_ja, &c.label_en), c.code);
    }
    if item.item_type == ItemType::HpoTerm {
        let name = hpo_name(hpo, Some(v));
        if !name.is_empty() {
            return format!("{name} ({raw})");
        }
    }
    match &item.unit {
        Some(u) if matches!(v, Value::Number(_)) => format!("{raw} {u}"),
        _ => raw,
    }
}

fn area_of(a: zenome_domain::participant::DiseaseArea) -> Area {
    match a {
        zenome_domain::participant::DiseaseArea::Cancer => Area::Cancer,
        zenome_domain::participant::DiseaseArea::RareDisease => Area::RareDisease,
    }
}

async fn record_page(State(s): State<AppState>, h: HeaderMap, Path(id): Path<String>) -> Response {
    let v = Visit::read(&s, &h, &format!("/portal/participants/{id}/clinical")).await;
    let Some(a) = &v.actor else { return to_login() };
    let pid = match parse_pid(&id) {
        Ok(p) => p,
        Err(e) => return error_page(&s, &v, e),
    };
    let view = match s.app.participant(a, &pid).await {
        Ok(x) => x,
        Err(e) => return error_page(&s, &v, e),
    };
    let history = match s.app.clinical_history(a, &pid).await {
        Ok(x) => x,
        Err(e) => return error_page(&s, &v, e),
    };
    let j = ja(&v);
    let area = area_of(view.participant.disease_area);
    let latest = history.last();
    let record: Option<Record> = latest.and_then(|r| serde_json::from_str(&r.record).ok());
    let dict = record
        .as_ref()
        .and_then(|r| s.app.dictionaries().get(&r.dictionary))
        .or_else(|| s.app.dictionaries().latest());
    let mut groups = Vec::new();
    if let (Some(r), Some(d)) = (&record, dict) {
        for g in &d.groups {
            let Some(data) = r.groups.get(&g.id) else {
                continue;
            };
            let entries = data
                .entries()
                .into_iter()
                .map(|(index, m)| EntryView {
                    index,
                    values: g
                        .items
                        .iter()
                        .filter_map(|it| {
                            m.get(&it.id).map(|val| ValueRow {
                                label: pick(j, &it.label_ja, &it.label_en).to_string(),
                                value: shown(s.app.hpo(), it, val, j),
                            })
                        })
                        .collect(),
                })
                .collect();
            groups.push(GroupView {
                id: g.id.clone(),
                label: pick(j, &g.label_ja, &g.label_en).to_string(),
                entries,
            });
        }
    }
    let latest_dict = s.app.dictionaries().latest();
    let editable = latest_dict
        .map(|d| {
            d.groups
                .iter()
                .filter(|g| g.applies_to(area))
                .map(|g| (g.id.clone(), pick(j, &g.label_ja, &g.label_en).to_string()))
                .collect()
        })
        .unwrap_or_default();
    let can_write = matches!(&a.role, Role::FacilitySubmitter { facility } if *facility == view.participant.facility);
    page(
        StatusCode::OK,
        RecordPage {
            ctx: v.ctx(&s, None),
            id: pid.to_string(),
            area: area.as_str().to_string(),
            can_write,
            rare: area == Area::RareDisease,
            version: latest.map(|r| r.version),
            groups,
            editable,
            history: history
                .iter()
                .rev()
                .map(|r| VersionRow {
                    version: r.version,
                    dictionary: r.dictionary_version.clone(),
                    source: r.source.clone(),
                    by: r.submitted_by.clone(),
                    at: local_time(r.submitted_at),
                })
                .collect(),
        },
    )
}

// ---------- per-group forms ----------

struct OptionView {
    code: String,
    label: String,
}

struct FieldView {
    name: String,
    label: String,
    help: String,
    kind: &'static str,
    value: String,
    /// What the value means, where the code alone does not say (an HPO
    /// term's name).
    note: String,
    required: bool,
    options: Vec<OptionView>,
    unit: String,
    pattern: &'static str,
    placeholder: &'static str,
}

struct FormGroup {
    id: String,
    label: String,
    definition: String,
    repeating: bool,
    rows: Vec<Vec<FieldView>>,
}

#[derive(Template)]
#[template(path = "clinical_form.html")]
struct FormPage {
    ctx: PageCtx,
    id: String,
    action: String,
    groups: Vec<FormGroup>,
    problems: Vec<String>,
    hpo_terms: Vec<(String, String)>,
    has_hpo: bool,
}

fn cell_text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => if *b { "true" } else { "false" }.into(),
        Some(Value::Object(o)) => o.get("value").map(ToString::to_string).unwrap_or_default(),
        Some(other) => other.to_string(),
    }
}

fn field(
    hpo: &Hpo,
    g: &Group,
    it: &Item,
    index: Option<usize>,
    m: Option<&Map<String, Value>>,
    ja: bool,
) -> FieldView {
    let name = match index {
        Some(i) => format!("{}.{}.{i}", g.id, it.id),
        None => format!("{}.{}", g.id, it.id),
    };
    let (kind, pattern, placeholder) = match it.item_type {
        ItemType::Code => ("select", "", ""),
        ItemType::Boolean => ("bool", "", ""),
        ItemType::Integer => ("number", "", ""),
        ItemType::Decimal => ("decimal", "", ""),
        ItemType::Date if it.partial == zenome_clinical::dictionary::DatePrecision::Month => {
            ("text", r"\d{4}-\d{2}(-\d{2})?", "YYYY-MM")
        }
        ItemType::Date => ("date", "", ""),
        ItemType::HpoTerm => ("hpo", r"HP:\d{7}", "HP:0000000"),
        ItemType::Icdo3Topography => ("text", r"C\d{2}\.\d", "C34.1"),
        ItemType::Icdo3Morphology => ("text", r"\d{4}/\d", "8140/3"),
        ItemType::ParticipantRef => ("text", "ZP[0-9A-Z]{9}", "ZP…"),
        ItemType::Text => ("text", "", ""),
    };
    FieldView {
        name,
        label: pick(ja, &it.label_ja, &it.label_en).to_string(),
        help: pick(ja, &it.definition_ja, &it.definition_en).to_string(),
        kind,
        note: match it.item_type {
            ItemType::HpoTerm => hpo_name(hpo, m.and_then(|m| m.get(&it.id))),
            _ => String::new(),
        },
        value: cell_text(m.and_then(|m| m.get(&it.id))),
        required: it.required,
        options: it
            .values
            .iter()
            .map(|c| OptionView {
                code: c.code.clone(),
                label: pick(ja, &c.label_ja, &c.label_en).to_string(),
            })
            .collect(),
        unit: it.unit.clone().unwrap_or_default(),
        pattern,
        placeholder,
    }
}

/// The groups a form shows: the one asked for, and — while the participant
/// has no record yet — the required groups too, so the first save is whole.
fn form_groups<'d>(d: &'d Dictionary, group: &str, area: Area, first: bool) -> Vec<&'d Group> {
    d.groups
        .iter()
        .filter(|g| g.applies_to(area) && (g.id == group || (first && g.required)))
        .collect()
}

fn build_form(
    hpo: &Hpo,
    groups: &[&Group],
    area: Area,
    record: Option<&Record>,
    ja: bool,
) -> Vec<FormGroup> {
    groups
        .iter()
        .map(|g| {
            let items: Vec<&Item> = g.items.iter().filter(|i| i.applies_to(g, area)).collect();
            let data = record.and_then(|r| r.groups.get(&g.id));
            let rows = if g.repeating {
                let existing: Vec<&Map<String, Value>> = match data {
                    Some(GroupData::Many(v)) => v.iter().collect(),
                    Some(GroupData::One(m)) => vec![m],
                    None => Vec::new(),
                };
                let n = existing.len() + 2;
                (0..n)
                    .map(|i| {
                        items
                            .iter()
                            .map(|it| field(hpo, g, it, Some(i), existing.get(i).copied(), ja))
                            .collect()
                    })
                    .collect()
            } else {
                let m = match data {
                    Some(GroupData::One(m)) => Some(m),
                    _ => None,
                };
                vec![
                    items
                        .iter()
                        .map(|it| field(hpo, g, it, None, m, ja))
                        .collect(),
                ]
            };
            FormGroup {
                id: g.id.clone(),
                label: pick(ja, &g.label_ja, &g.label_en).to_string(),
                definition: pick(ja, &g.definition_ja, &g.definition_en).to_string(),
                repeating: g.repeating,
                rows,
            }
        })
        .collect()
}

/// The typed value of one form cell; `None` for an empty cell.
fn typed(it: &Item, text: &str) -> Option<Value> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    Some(match it.item_type {
        ItemType::Integer => t
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(t.into())),
        ItemType::Decimal => t
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(t.into())),
        ItemType::Boolean => match t {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::String(t.into()),
        },
        _ => Value::String(t.into()),
    })
}

fn apply_form(record: &mut Record, groups: &[&Group], area: Area, form: &HashMap<String, String>) {
    for g in groups {
        let items: Vec<&Item> = g.items.iter().filter(|i| i.applies_to(g, area)).collect();
        if g.repeating {
            let mut list = Vec::new();
            for i in 0..200 {
                let mut m = Map::new();
                let mut any_field = false;
                for it in &items {
                    if let Some(text) = form.get(&format!("{}.{}.{i}", g.id, it.id)) {
                        any_field = true;
                        if let Some(val) = typed(it, text) {
                            m.insert(it.id.clone(), val);
                        }
                    }
                }
                if !any_field {
                    break;
                }
                if !m.is_empty() {
                    list.push(m);
                }
            }
            if list.is_empty() {
                record.groups.remove(&g.id);
            } else {
                record.groups.insert(g.id.clone(), GroupData::Many(list));
            }
        } else {
            let mut m = Map::new();
            for it in &items {
                if let Some(val) = form
                    .get(&format!("{}.{}", g.id, it.id))
                    .and_then(|t| typed(it, t))
                {
                    m.insert(it.id.clone(), val);
                }
            }
            if m.is_empty() {
                record.groups.remove(&g.id);
            } else {
                record.groups.insert(g.id.clone(), GroupData::One(m));
            }
        }
    }
}

/// The form's suggestion list: every live term of a small ontology (the
/// shipped subset); empty for a large one, whose terms are found on `/hpo`.
fn hpo_choices(s: &AppState) -> Vec<(String, String)> {
    let live = || s.app.hpo().terms().filter(|t| !t.is_obsolete);
    if live().count() > DATALIST_MAX {
        return Vec::new();
    }
    let mut v: Vec<(String, String)> = live().map(|t| (t.id.clone(), t.name.clone())).collect();
    v.sort();
    v
}

/// What a group form needs: the participant's area and latest record, the
/// dictionary in force, and the groups the form shows.
struct Loaded<'a> {
    area: Area,
    latest: Option<Record>,
    dict: &'a Dictionary,
    groups: Vec<&'a Group>,
}

async fn load<'a>(
    s: &'a AppState,
    v: &Visit,
    id: &str,
    group: &str,
) -> Result<Loaded<'a>, AppError> {
    let a = v.actor.as_ref().ok_or(AppError::Unauthorized)?;
    let pid = parse_pid(id)?;
    let view = s.app.participant(a, &pid).await?;
    let latest = s
        .app
        .clinical_record(a, &pid)
        .await?
        .and_then(|r| serde_json::from_str::<Record>(&r.record).ok());
    let dict = s
        .app
        .dictionaries()
        .latest()
        .ok_or(AppError::NotFound("dictionary"))?;
    let area = area_of(view.participant.disease_area);
    let groups = form_groups(dict, group, area, latest.is_none());
    if !groups.iter().any(|g| g.id == group) {
        return Err(AppError::NotFound("item group"));
    }
    Ok(Loaded {
        area,
        latest,
        dict,
        groups,
    })
}

fn problem_lines(problems: &[SubmissionProblem], ja: bool) -> Vec<String> {
    problems
        .iter()
        .map(|p| {
            let m = if ja { &p.message_ja } else { &p.message_en };
            format!("{}: {m}", p.path)
        })
        .collect()
}

async fn group_form(
    State(s): State<AppState>,
    h: HeaderMap,
    Path((id, group)): Path<(String, String)>,
) -> Response {
    let v = Visit::read(
        &s,
        &h,
        &format!("/portal/participants/{id}/clinical/{group}"),
    )
    .await;
    if v.actor.is_none() {
        return to_login();
    }
    let l = match load(&s, &v, &id, &group).await {
        Ok(l) => l,
        Err(e) => return error_page(&s, &v, e),
    };
    let groups = &l.groups;
    render_form(
        &s,
        &v,
        &id,
        &group,
        groups,
        l.area,
        l.latest.as_ref(),
        Vec::new(),
        StatusCode::OK,
    )
}

#[allow(clippy::too_many_arguments)]
fn render_form(
    s: &AppState,
    v: &Visit,
    id: &str,
    group: &str,
    groups: &[&Group],
    area: Area,
    record: Option<&Record>,
    problems: Vec<String>,
    status: StatusCode,
) -> Response {
    let has_hpo = groups
        .iter()
        .any(|g| g.items.iter().any(|i| i.item_type == ItemType::HpoTerm));
    page(
        status,
        FormPage {
            ctx: v.ctx(s, None),
            id: id.to_string(),
            action: format!("/portal/participants/{id}/clinical/{group}"),
            groups: build_form(s.app.hpo(), groups, area, record, ja(v)),
            problems,
            hpo_terms: if has_hpo { hpo_choices(s) } else { Vec::new() },
            has_hpo,
        },
    )
}

async fn group_submit(
    State(s): State<AppState>,
    h: HeaderMap,
    Path((id, group)): Path<(String, String)>,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Response {
    let v = Visit::read(
        &s,
        &h,
        &format!("/portal/participants/{id}/clinical/{group}"),
    )
    .await;
    let Some(a) = v.actor.clone() else {
        return to_login();
    };
    if !v.check_csrf(&s, &form) {
        return csrf_failed(&s, &v);
    }
    let l = match load(&s, &v, &id, &group).await {
        Ok(l) => l,
        Err(e) => return error_page(&s, &v, e),
    };
    let (d, groups) = (l.dict, &l.groups);
    let mut record = l
        .latest
        .clone()
        .unwrap_or_else(|| Record::new(d.version.clone(), id.clone(), l.area));
    record.dictionary = d.version.clone();
    apply_form(&mut record, groups, l.area, &form);
    match s
        .app
        .submit_clinical(&a, record.clone(), Source::Form)
        .await
    {
        Ok(_) => {
            Redirect::to(&format!("/portal/participants/{id}/clinical?ok=saved")).into_response()
        }
        Err(AppError::Rejected { problems, .. }) => render_form(
            &s,
            &v,
            &id,
            &group,
            groups,
            l.area,
            Some(&record),
            problem_lines(&problems, ja(&v)),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => error_page(&s, &v, e),
    }
}

async fn phenopacket_json(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let v = Visit::read(&s, &h, &format!("/portal/participants/{id}/clinical")).await;
    let Some(a) = &v.actor else { return to_login() };
    let result = match parse_pid(&id) {
        Ok(pid) => s.app.phenopacket(a, &pid).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(p) => {
            let mut r = (StatusCode::OK, p.to_json_pretty()).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            if let Ok(v) =
                HeaderValue::from_str(&format!("attachment; filename=\"{id}.phenopacket.json\""))
            {
                r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
            }
            r
        }
        Err(e) => error_page(&s, &v, e),
    }
}

// ---------- bulk upload ----------

struct ProblemRow {
    row: String,
    participant: String,
    item: String,
    rule: String,
    message: String,
}

#[derive(Template)]
#[template(path = "clinical_bulk.html")]
struct BulkPage {
    ctx: PageCtx,
    groups: Vec<(String, String)>,
    stored: Option<usize>,
    problems: Vec<ProblemRow>,
    report: String,
}

fn bulk_groups(s: &AppState, ja: bool) -> Vec<(String, String)> {
    s.app
        .dictionaries()
        .latest()
        .map(|d| {
            d.groups
                .iter()
                .map(|g| (g.id.clone(), pick(ja, &g.label_ja, &g.label_en).to_string()))
                .collect()
        })
        .unwrap_or_default()
}

async fn bulk_page(State(s): State<AppState>, h: HeaderMap) -> Response {
    let v = Visit::read(&s, &h, "/portal/clinical/bulk").await;
    let Some(a) = &v.actor else { return to_login() };
    if !matches!(a.role, Role::FacilitySubmitter { .. }) {
        return error_page(
            &s,
            &v,
            AppError::Forbidden("only hospital submitters upload clinical records".into()),
        );
    }
    page(
        StatusCode::OK,
        BulkPage {
            ctx: v.ctx(&s, None),
            groups: bulk_groups(&s, ja(&v)),
            stored: None,
            problems: Vec::new(),
            report: String::new(),
        },
    )
}

async fn bulk_submit(State(s): State<AppState>, h: HeaderMap, mut mp: Multipart) -> Response {
    let v = Visit::read(&s, &h, "/portal/clinical/bulk").await;
    let Some(a) = v.actor.clone() else {
        return to_login();
    };
    let mut fields: HashMap<String, String> = HashMap::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        match mp.next_field().await {
            Ok(Some(f)) => {
                let name = f.name().unwrap_or("").to_string();
                if name == "file" {
                    let fname = f.file_name().unwrap_or("").to_string();
                    match f.bytes().await {
                        Ok(b) => file = Some((fname, b.to_vec())),
                        Err(_) => {
                            return error_page(
                                &s,
                                &v,
                                AppError::invalid("file", "the file could not be read"),
                            );
                        }
                    }
                } else if let Ok(t) = f.text().await {
                    fields.insert(name, t);
                }
            }
            Ok(None) => break,
            Err(_) => {
                return error_page(&s, &v, AppError::invalid("file", "malformed upload"));
            }
        }
    }
    if !v.check_csrf(&s, &fields) {
        return csrf_failed(&s, &v);
    }
    let Some((fname, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return error_page(&s, &v, AppError::invalid("file", "choose a file"));
    };
    let result = if fname.to_ascii_lowercase().ends_with(".json") {
        s.app.submit_clinical_json(&a, &bytes).await
    } else {
        let area = match fields.get("area").map(String::as_str) {
            Some("cancer") => Area::Cancer,
            Some("rare_disease") => Area::RareDisease,
            _ => return error_page(&s, &v, AppError::invalid("area", "cancer or rare_disease")),
        };
        match fields.get("group").map(String::as_str) {
            None | Some("") | Some("wide") => {
                s.app.submit_clinical_wide_csv(&a, area, &bytes).await
            }
            Some(group) => s.app.submit_clinical_csv(&a, group, area, &bytes).await,
        }
    };
    let j = ja(&v);
    match result {
        Ok(rows) => page(
            StatusCode::OK,
            BulkPage {
                ctx: v.ctx(
                    &s,
                    Some(Flash {
                        kind: "ok",
                        message: {
                            let enc = zenome_clinical::bulk::detect(&bytes)
                                .map(|e| e.label())
                                .unwrap_or("UTF-8");
                            if j {
                                format!("{} 件の記録を登録しました (文字コード: {enc})", rows.len())
                            } else {
                                format!("{} records stored (read as {enc})", rows.len())
                            }
                        },
                    }),
                ),
                groups: bulk_groups(&s, j),
                stored: Some(rows.len()),
                problems: Vec::new(),
                report: String::new(),
            },
        ),
        Err(AppError::Rejected { problems, .. }) => page(
            StatusCode::UNPROCESSABLE_ENTITY,
            BulkPage {
                ctx: v.ctx(&s, None),
                groups: bulk_groups(&s, j),
                stored: None,
                report: crate::clinical_api::report_csv(&problems),
                problems: problems
                    .iter()
                    .map(|p| ProblemRow {
                        row: p.row.map(|r| r.to_string()).unwrap_or_default(),
                        participant: p.participant.clone().unwrap_or_default(),
                        item: p.item.clone().unwrap_or_else(|| p.path.clone()),
                        rule: p.rule.clone(),
                        message: if j {
                            p.message_ja.clone()
                        } else {
                            p.message_en.clone()
                        },
                    })
                    .collect(),
            },
        ),
        Err(e) => {
            let status = status_of(&e);
            let _ = status;
            error_page(&s, &v, e)
        }
    }
}

/// Hands the error report back as a CSV download (the page posts it).
async fn bulk_report(
    State(s): State<AppState>,
    h: HeaderMap,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Response {
    let v = Visit::read(&s, &h, "/portal/clinical/bulk").await;
    if v.actor.is_none() {
        return to_login();
    }
    if !v.check_csrf(&s, &form) {
        return csrf_failed(&s, &v);
    }
    let body = form.get("report").cloned().unwrap_or_default();
    let mut r = (StatusCode::OK, body).into_response();
    let hs = r.headers_mut();
    hs.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    hs.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"clinical-errors.csv\""),
    );
    r
}
