//! The grant's data (issue 15): the files a researcher may read now under a
//! grant (`GET /api/v1/grants/{id}/files`, filtered and paged) and the
//! download manifest (`GET /api/v1/grants/{id}/manifest`, GDC's TSV
//! columns first, or JSON) that `zenome download` reads.

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zenome_app::AppError;
use zenome_app::access::grant_files::{GrantFile, GrantFiles, GrantFilesQuery};
use zenome_domain::access::DataType;

use crate::AppState;
use crate::extract::{ApiActor, ClientIp};
use crate::problem::ApiError;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/grants/{id}/files", get(files))
        .route("/api/v1/grants/{id}/manifest", get(manifest))
}

/// Filters (all optional) and paging.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct FilesParams {
    /// `vcf`, `cram` or `fastq`.
    data_type: Option<String>,
    /// `cancer` or `rare_disease`.
    disease_area: Option<String>,
    /// One dataset of the grant.
    dataset: Option<String>,
    /// ICD-O-3 topography prefix of the primary site (`C34`: lung).
    cancer_site: Option<String>,
    /// Default 0.
    offset: Option<usize>,
    /// Default 100, at most 1000 (the manifest has no limit).
    limit: Option<usize>,
    /// Manifest only: `tsv` (default) or `json`.
    format: Option<String>,
}

fn query(p: &FilesParams, paged: bool) -> Result<GrantFilesQuery, AppError> {
    let data_type = match p
        .data_type
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(t) => Some(
            t.parse::<DataType>()
                .map_err(|e| AppError::invalid("data_type", e.to_string()))?,
        ),
    };
    let disease_area = match p
        .disease_area
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some("cancer") => Some(zenome_domain::participant::DiseaseArea::Cancer),
        Some("rare_disease") => Some(zenome_domain::participant::DiseaseArea::RareDisease),
        Some(x) => {
            return Err(AppError::invalid(
                "disease_area",
                format!("{x:?} is neither cancer nor rare_disease"),
            ));
        }
    };
    let limit = p.limit.unwrap_or(100);
    if paged && !(1..=1000).contains(&limit) {
        return Err(AppError::invalid("limit", "1 to 1000"));
    }
    Ok(GrantFilesQuery {
        data_type,
        disease_area,
        dataset: p.dataset.clone(),
        cancer_site: p.cancer_site.clone().filter(|c| !c.trim().is_empty()),
        offset: if paged { p.offset.unwrap_or(0) } else { 0 },
        limit: paged.then_some(limit),
    })
}

/// One file a grant lets the caller read now.
#[derive(Debug, Serialize, ToSchema)]
pub struct GrantFileDto {
    /// DRS object id.
    id: String,
    filename: String,
    md5: String,
    sha256: String,
    size: i64,
    format: String,
    data_type: String,
    dataset: String,
    participant_id: String,
    disease_area: String,
    qc: String,
    /// `drs://HOST/ID` (needs `public_url`).
    drs_uri: Option<String>,
    drs_url: Option<String>,
    /// For CRAM/BAM/VCF.
    htsget_url: Option<String>,
}

impl From<GrantFile> for GrantFileDto {
    fn from(f: GrantFile) -> Self {
        Self {
            id: f.id,
            filename: f.filename,
            md5: f.md5,
            sha256: f.sha256,
            size: f.size,
            format: f.format,
            data_type: f.data_type,
            dataset: f.dataset,
            participant_id: f.participant_id,
            disease_area: f.disease_area,
            qc: f.qc,
            drs_uri: f.drs_uri,
            drs_url: f.drs_url,
            htsget_url: f.htsget_url,
        }
    }
}

/// A page of a grant's files.
#[derive(Debug, Serialize, ToSchema)]
pub struct GrantFilesDto {
    grant: String,
    total: usize,
    offset: usize,
    files: Vec<GrantFileDto>,
    /// The manifest of everything matching the same filters, and the
    /// clinical export of the grant's datasets.
    #[schema(value_type = Object)]
    links: serde_json::Value,
}

fn dto(f: GrantFiles) -> GrantFilesDto {
    let links = serde_json::json!({
        "manifest": format!("/api/v1/grants/{}/manifest", f.grant),
        "clinical_export": "/api/v1/clinical/export/{group}?dataset={dataset}",
    });
    GrantFilesDto {
        grant: f.grant,
        total: f.total,
        offset: f.offset,
        files: f.files.into_iter().map(Into::into).collect(),
        links,
    }
}

/// The files the caller may read now under the grant (consent and grant
/// checked as at read time).
#[utoipa::path(get, path = "/api/v1/grants/{id}/files", tag = "access",
    params(("id" = String, Path, description = "grant id"), FilesParams),
    responses(
        (status = 200, description = "a page of files", body = GrantFilesDto),
        (status = 401, description = "not authenticated", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not one of the grant's researchers", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such grant for the caller", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "the grant is not in force", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "a filter is wrong", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn files(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Query(p): Query<FilesParams>,
) -> Result<Json<GrantFilesDto>, ApiError> {
    let q = query(&p, true)?;
    Ok(Json(dto(s
        .app
        .grant_files(&a, &id, &q, ip.as_deref())
        .await?)))
}

/// The manifest as a TSV download (the API's and the portal's).
pub(crate) fn manifest_tsv(grant: &str, files: &[GrantFile]) -> Response {
    let mut body = String::from(GrantFile::MANIFEST_HEADER);
    body.push('\n');
    for x in files {
        body.push_str(&x.manifest_line());
        body.push('\n');
    }
    (
        [
            (
                header::CONTENT_TYPE,
                "text/tab-separated-values; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"zenome-manifest-{grant}.tsv\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// The download manifest: TSV (`id filename md5 size state` as GDC's, then
/// `sha256 participant_id data_type dataset drs_uri`) or JSON.
#[utoipa::path(get, path = "/api/v1/grants/{id}/manifest", tag = "access",
    params(("id" = String, Path, description = "grant id"), FilesParams),
    responses(
        (status = 200, description = "the manifest", content_type = "text/tab-separated-values"),
        (status = 403, description = "not one of the grant's researchers", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such grant for the caller", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "the grant is not in force", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn manifest(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Query(p): Query<FilesParams>,
) -> Result<Response, ApiError> {
    let q = query(&p, false)?;
    let f = s.app.grant_files(&a, &id, &q, ip.as_deref()).await?;
    match p.format.as_deref().unwrap_or("tsv") {
        "json" => Ok(Json(
            f.files
                .into_iter()
                .map(GrantFileDto::from)
                .collect::<Vec<_>>(),
        )
        .into_response()),
        "tsv" => Ok(manifest_tsv(&id, &f.files)),
        other => Err(AppError::invalid("format", format!("{other:?}: tsv or json")).into()),
    }
}
