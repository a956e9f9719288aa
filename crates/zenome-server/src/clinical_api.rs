//! Clinical information on the wire: the dictionary (public: it is the
//! contract between hospitals and researchers), a participant's record and
//! its versions, bulk CSV/JSON submission with an error report (JSON, or
//! CSV for spreadsheets), flat exports per item group (CSV, Parquet), and
//! GA4GH Phenopackets v2 export and import.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use zenome_app::AppError;
use zenome_app::clinical::Source;
use zenome_clinical::{Area, Record};
use zenome_domain::id::ParticipantId;
use zenome_store::ClinicalRow;

use crate::AppState;
use crate::extract::{ApiActor, ApiJson, ClientIp};
use crate::problem::ApiError;

type ApiResult<T> = Result<T, ApiError>;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/clinical/dictionary", get(dictionary_versions))
        .route("/api/v1/clinical/dictionary/{version}", get(dictionary))
        .route(
            "/api/v1/participants/{id}/clinical",
            get(get_record).post(post_record),
        )
        .route("/api/v1/participants/{id}/clinical/history", get(history))
        .route("/api/v1/participants/{id}/phenopacket", get(phenopacket))
        .route("/api/v1/participants/{id}/family", get(family))
        .route("/api/v1/phenopackets", post(import_phenopacket))
        .route("/api/v1/clinical/bulk", post(bulk))
        .route("/api/v1/clinical/template", get(template))
        .route("/api/v1/hpo/terms", get(hpo_terms))
        .route("/api/v1/clinical/export/{group}", get(export))
}

fn pid(s: &str) -> Result<ParticipantId, ApiError> {
    s.parse::<ParticipantId>()
        .map_err(|e| AppError::invalid("participant_id", e.to_string()).into())
}

/// A stored version of a record.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ClinicalRecordDto {
    /// Version of the record (1, 2, …).
    version: i64,
    /// Dictionary version it was entered with.
    dictionary_version: String,
    /// `form`, `api`, `bulk_csv`, `bulk_json`, `phenopacket`, `demo`.
    source: String,
    /// Who submitted it.
    submitted_by: String,
    /// When (RFC 3339).
    submitted_at: String,
    /// The record.
    #[schema(value_type = Object)]
    record: serde_json::Value,
}

fn dto(r: &ClinicalRow) -> ClinicalRecordDto {
    ClinicalRecordDto {
        version: r.version,
        dictionary_version: r.dictionary_version.clone(),
        source: r.source.clone(),
        submitted_by: r.submitted_by.clone(),
        submitted_at: r
            .submitted_at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        record: serde_json::from_str(&r.record).unwrap_or(serde_json::Value::Null),
    }
}

/// The dictionary versions.
#[utoipa::path(get, path = "/api/v1/clinical/dictionary", tag = "clinical",
    responses((status = 200, description = "versions with their release dates")))]
pub(crate) async fn dictionary_versions(State(s): State<AppState>) -> Json<serde_json::Value> {
    let versions: Vec<_> = s
        .app
        .dictionaries()
        .iter()
        .map(|d| serde_json::json!({ "version": d.version, "released": d.released.to_string() }))
        .collect();
    Json(serde_json::json!({ "versions": versions }))
}

/// One dictionary version, whole: groups, items with their types, units,
/// definitions and coded values in Japanese and English, cross-field rules.
#[utoipa::path(get, path = "/api/v1/clinical/dictionary/{version}", tag = "clinical",
    params(("version" = String, Path)),
    responses((status = 200, description = "the dictionary"), (status = 404, body = crate::problem::Problem)))]
pub(crate) async fn dictionary(
    State(s): State<AppState>,
    Path(version): Path<String>,
) -> ApiResult<Json<zenome_clinical::Dictionary>> {
    let d = if version == "latest" {
        s.app.dictionaries().latest()
    } else {
        s.app.dictionaries().get(&version)
    };
    Ok(Json(
        d.cloned().ok_or(AppError::NotFound("dictionary version"))?,
    ))
}

/// A participant's latest clinical record.
#[utoipa::path(get, path = "/api/v1/participants/{id}/clinical", tag = "clinical",
    params(("id" = String, Path)),
    responses((status = 200, body = ClinicalRecordDto), (status = 404, body = crate::problem::Problem)),
    security(("bearer" = [])))]
pub(crate) async fn get_record(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<ClinicalRecordDto>> {
    let row = s
        .app
        .clinical_record(&a, &pid(&id)?)
        .await?
        .ok_or(AppError::NotFound("clinical record"))?;
    Ok(Json(dto(&row)))
}

/// Every version of a participant's record, oldest first.
#[utoipa::path(get, path = "/api/v1/participants/{id}/clinical/history", tag = "clinical",
    params(("id" = String, Path)),
    responses((status = 200, body = [ClinicalRecordDto]), (status = 404, body = crate::problem::Problem)),
    security(("bearer" = [])))]
pub(crate) async fn history(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<ClinicalRecordDto>>> {
    let rows = s.app.clinical_history(&a, &pid(&id)?).await?;
    Ok(Json(rows.iter().map(dto).collect()))
}

/// Submits a new version of a participant's record (the whole record:
/// `{"dictionary", "participant", "area", "groups"}`). 422 lists every
/// problem with its path, rule and messages in both languages.
#[utoipa::path(post, path = "/api/v1/participants/{id}/clinical", tag = "clinical",
    params(("id" = String, Path)), request_body(content = Object, content_type = "application/json"),
    responses((status = 201, body = ClinicalRecordDto), (status = 403, body = crate::problem::Problem), (status = 404, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)),
    security(("bearer" = [])))]
pub(crate) async fn post_record(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(record): ApiJson<Record>,
) -> ApiResult<(StatusCode, Json<ClinicalRecordDto>)> {
    let id = pid(&id)?;
    if record.participant != id.as_str() {
        return Err(AppError::invalid(
            "participant",
            "the record's participant differs from the one in the path",
        )
        .into());
    }
    let row = s.app.submit_clinical(&a, record, Source::Api).await?;
    Ok((StatusCode::CREATED, Json(dto(&row))))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct BulkParams {
    /// For a CSV: the item group the file holds (header `participant` +
    /// item ids); absent or `wide`: one row per participant with
    /// `group.item` columns of non-repeating groups.
    group: Option<String>,
    /// For a CSV: `cancer` or `rare_disease`.
    area: Option<String>,
}

fn parse_area(s: Option<&str>) -> Result<Area, ApiError> {
    match s {
        Some("cancer") => Ok(Area::Cancer),
        Some("rare_disease") => Ok(Area::RareDisease),
        _ => Err(AppError::invalid("area", "cancer or rare_disease").into()),
    }
}

/// An empty bulk CSV to fill in, under the latest dictionary version: the
/// header line only (`participant` and the item ids of `group`; absent or
/// `wide`: `group.item` of every non-repeating group of the area). Public,
/// like the dictionary it is drawn from.
#[utoipa::path(get, path = "/api/v1/clinical/template", tag = "clinical", params(BulkParams),
    responses((status = 200, description = "text/csv, the header line", content_type = "text/csv"),
        (status = 404, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
pub(crate) async fn template(
    State(s): State<AppState>,
    Query(q): Query<BulkParams>,
) -> ApiResult<Response> {
    let area = parse_area(q.area.as_deref())?;
    let dict = s
        .app
        .dictionaries()
        .latest()
        .ok_or(AppError::NotFound("dictionary version"))?;
    let group = q.group.as_deref().filter(|g| *g != "wide");
    let csv = zenome_clinical::bulk::template_csv(dict, group, area)
        .ok_or(AppError::NotFound("item group"))?;
    let name = format!(
        "zenome-{}-{}-v{}.csv",
        group.unwrap_or("wide"),
        area.as_str(),
        dict.version
    );
    let mut r = csv.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}

/// What to search the HPO for.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct HpoQuery {
    /// A name, synonym or id (`HP:0001250`, or an `alt_id`); at most 100 characters.
    q: String,
    /// At most this many terms (1–100, default 20).
    limit: Option<usize>,
}

/// Live HPO terms for what a person typed, best first: the term with that
/// id, then names starting with it, names containing it, synonyms
/// containing it. Public, like the dictionary.
#[utoipa::path(get, path = "/api/v1/hpo/terms", tag = "clinical", params(HpoQuery),
    responses((status = 200, description = "{\"release\": …, \"terms\": [{\"id\", \"name\", \"synonyms\"}]}"),
        (status = 422, body = crate::problem::Problem)))]
pub(crate) async fn hpo_terms(
    State(s): State<AppState>,
    Query(q): Query<HpoQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    if q.q.chars().count() > 100 {
        return Err(AppError::invalid("q", "at most 100 characters").into());
    }
    let limit = q.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(AppError::invalid("limit", "between 1 and 100").into());
    }
    let hpo = s.app.hpo();
    let terms: Vec<_> = hpo
        .search(&q.q, limit)
        .into_iter()
        .map(|t| serde_json::json!({ "id": t.id, "name": t.name, "synonyms": t.synonyms }))
        .collect();
    Ok(Json(
        serde_json::json!({ "release": hpo.data_version(), "terms": terms }),
    ))
}

fn wants_csv(h: &HeaderMap) -> bool {
    h.get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/csv"))
}

/// The problems of a refused submission as a CSV report (UTF-8 with a BOM,
/// so spreadsheet programs read the Japanese correctly; formula-like cells
/// defused by [`zenome_clinical::bulk::spreadsheet_csv`]).
pub(crate) fn report_csv(problems: &[zenome_app::error::SubmissionProblem]) -> String {
    let table = zenome_clinical::bulk::spreadsheet_csv(
        &[
            "row",
            "participant",
            "item",
            "rule",
            "message_ja",
            "message_en",
        ],
        problems.iter().map(|p| {
            [
                p.row.map(|r| r.to_string()).unwrap_or_default(),
                p.participant.clone().unwrap_or_default(),
                p.item.clone().unwrap_or_else(|| p.path.clone()),
                p.rule.clone(),
                p.message_ja.clone(),
                p.message_en.clone(),
            ]
        }),
    );
    format!("\u{feff}{table}")
}

/// Bulk submission, all or nothing. `Content-Type: text/csv` with `group`
/// and `area` (one item group per file; header `participant` + item ids), or
/// `application/json` (an array of whole records). 201 with the number
/// stored; 422 with every problem (row, item, rule, messages) — as CSV when
/// the request accepts `text/csv`.
#[utoipa::path(post, path = "/api/v1/clinical/bulk", tag = "clinical", params(BulkParams),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 201, description = "{\"stored\": n}"), (status = 422, body = crate::problem::Problem)),
    security(("bearer" = [])))]
pub(crate) async fn bulk(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Query(q): Query<BulkParams>,
    h: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let ct = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let result = if ct.starts_with("text/csv") {
        let area = parse_area(q.area.as_deref())?;
        match q.group.as_deref() {
            // one row per participant, `group.item` columns of several groups
            None | Some("") | Some("wide") => s.app.submit_clinical_wide_csv(&a, area, &body).await,
            Some(group) => s.app.submit_clinical_csv(&a, group, area, &body).await,
        }
    } else if ct.starts_with("application/json") {
        s.app.submit_clinical_json(&a, &body).await
    } else {
        return Err(AppError::invalid("content-type", "text/csv or application/json").into());
    };
    match result {
        Ok(rows) => Ok((
            StatusCode::CREATED,
            Json(serde_json::json!({
                "stored": rows.len(),
                "encoding": zenome_clinical::bulk::detect(&body).map(|e| e.label()),
            })),
        )
            .into_response()),
        Err(AppError::Rejected { problems, .. }) if wants_csv(&h) => {
            let mut r = (StatusCode::UNPROCESSABLE_ENTITY, report_csv(&problems)).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ExportParams {
    /// `csv` (default) or `parquet`.
    format: Option<String>,
    /// For researchers: the dataset their grant covers.
    dataset: Option<String>,
}

/// One item group as a flat table of the latest records the caller may
/// export (consent in force now): staff all, a facility its own, a
/// researcher a granted dataset's members.
#[utoipa::path(get, path = "/api/v1/clinical/export/{group}", tag = "clinical",
    params(("group" = String, Path), ExportParams),
    responses((status = 200, description = "text/csv or application/vnd.apache.parquet"), (status = 403, body = crate::problem::Problem), (status = 404, body = crate::problem::Problem)),
    security(("bearer" = [])))]
pub(crate) async fn export(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ClientIp(ip): ClientIp,
    Path(group): Path<String>,
    Query(q): Query<ExportParams>,
) -> Result<Response, ApiError> {
    export_table(
        &s,
        &a,
        &group,
        q.dataset.as_deref(),
        q.format.as_deref(),
        ip.as_deref(),
    )
    .await
}

/// One item group's export as a response (the API's and the portal's).
pub(crate) async fn export_table(
    s: &AppState,
    a: &zenome_app::Actor,
    group: &str,
    dataset: Option<&str>,
    format: Option<&str>,
    ip: Option<&str>,
) -> Result<Response, ApiError> {
    let q = ExportParams {
        format: format.map(str::to_string),
        dataset: dataset.map(str::to_string),
    };
    let group = group.to_string();
    let dict = s
        .app
        .dictionaries()
        .latest()
        .ok_or_else(|| AppError::Internal("no dictionary".into()))?;
    if dict.group(&group).is_none() {
        return Err(AppError::NotFound("item group").into());
    }
    let records = s.app.clinical_export(a, q.dataset.as_deref(), ip).await?;
    let table = zenome_clinical::export::tables(dict, &records)
        .into_iter()
        .find(|t| t.group == group)
        .ok_or(AppError::NotFound("item group"))?;
    let (ct, ext, bytes) = match q.format.as_deref().unwrap_or("csv") {
        "csv" => (
            "text/csv; charset=utf-8",
            "csv",
            table.to_csv().into_bytes(),
        ),
        "parquet" => (
            "application/vnd.apache.parquet",
            "parquet",
            table
                .to_parquet()
                .map_err(|e| AppError::Internal(format!("parquet: {e}")))?,
        ),
        _ => return Err(AppError::invalid("format", "csv or parquet").into()),
    };
    let mut r = (StatusCode::OK, bytes).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{group}.{ext}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}

/// A rare-disease participant as a GA4GH Phenopacket v2.
#[utoipa::path(get, path = "/api/v1/participants/{id}/phenopacket", tag = "clinical",
    params(("id" = String, Path)),
    responses((status = 200, description = "Phenopacket v2 JSON"), (status = 404, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)),
    security(("bearer" = [])))]
pub(crate) async fn phenopacket(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let p = s.app.phenopacket(&a, &pid(&id)?).await?;
    Ok(json_text(p.to_json_pretty()))
}

/// A rare-disease participant as the proband of a GA4GH Family (pedigree).
#[utoipa::path(get, path = "/api/v1/participants/{id}/family", tag = "clinical",
    params(("id" = String, Path)),
    responses((status = 200, description = "Family JSON"), (status = 404, body = crate::problem::Problem)),
    security(("bearer" = [])))]
pub(crate) async fn family(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let f = s.app.phenopacket_family(&a, &pid(&id)?).await?;
    Ok(json_text(f.to_json_pretty()))
}

fn json_text(text: String) -> Response {
    let mut r = (StatusCode::OK, text).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// Imports a Phenopacket v2 (from another system) for a participant of the
/// caller's facility (`subject.id`): validated against the schema and the
/// HPO, then judged like any record. 201 with the version stored (200 when
/// it said nothing new).
#[utoipa::path(post, path = "/api/v1/phenopackets", tag = "clinical",
    request_body(content = Object, content_type = "application/json"),
    responses((status = 201, body = ClinicalRecordDto), (status = 200, body = ClinicalRecordDto), (status = 422, body = crate::problem::Problem)),
    security(("bearer" = [])))]
pub(crate) async fn import_phenopacket(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<ClinicalRecordDto>)> {
    let text =
        std::str::from_utf8(&body).map_err(|_| AppError::invalid("body", "not UTF-8 text"))?;
    let p =
        zenome_phenopackets::parse(text).map_err(|e| AppError::invalid("body", e.to_string()))?;
    let (row, stored) = s.app.import_phenopacket(&a, &p).await?;
    let status = if stored {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(dto(&row))))
}
