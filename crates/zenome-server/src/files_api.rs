//! Sequencing data on the wire: tus 1.0 resumable uploads under
//! `/api/v1/uploads` (core, creation and termination), upload status, and
//! GA4GH DRS 1.2 under `/ga4gh/drs/v1` with two access methods — `plain`
//! (decrypted on the fly) and `crypt4gh` (re-encrypted for the public key
//! the client sends in `Crypt4GH-Public-Key`) — both with byte ranges.

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use serde::Serialize;
use serde_json::json;
use zenome_app::AppError;
use zenome_app::files::download::Delivery;
use zenome_app::files::upload::NewUpload;
use zenome_domain::lineage::NodeId;
use zenome_store::{ObjectRow, UploadRow};

use crate::AppState;
use crate::api::dto::{parse_opt, rfc3339};
use crate::extract::{ApiActor, ClientIp};
use crate::problem::{ApiError, status_of};

const TUS: &str = "1.0.0";

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/uploads", post(create).options(options))
        .route(
            "/api/v1/uploads/{id}",
            get(status).head(head).patch(patch).delete(cancel),
        )
        .layer(axum::extract::DefaultBodyLimit::disable())
}

pub(crate) fn drs_routes() -> Router<AppState> {
    Router::new()
        .route("/ga4gh/drs/v1/service-info", get(drs_service_info))
        .route("/ga4gh/drs/v1/objects/{id}", get(drs_object))
        .route(
            "/ga4gh/drs/v1/objects/{id}/access/{access_id}",
            get(drs_access),
        )
        .route("/ga4gh/drs/v1/objects/{id}/data/{access_id}", get(drs_data))
}

fn tus_headers(resp: &mut Response) {
    resp.headers_mut()
        .insert("tus-resumable", HeaderValue::from_static(TUS));
}

fn header_str<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

async fn options(State(s): State<AppState>) -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    tus_headers(&mut r);
    let h = r.headers_mut();
    h.insert("tus-version", HeaderValue::from_static(TUS));
    h.insert(
        "tus-extension",
        HeaderValue::from_static("creation,termination"),
    );
    if let Ok(v) = HeaderValue::from_str(&s.app.config().files.max_upload_bytes.to_string()) {
        h.insert("tus-max-size", v);
    }
    r
}

fn check_tus(h: &HeaderMap) -> Result<(), ApiError> {
    match header_str(h, "tus-resumable") {
        Some(TUS) => Ok(()),
        _ => Err(AppError::invalid("Tus-Resumable", "this server speaks tus 1.0.0").into()),
    }
}

/// `Upload-Length` or `Upload-Offset`: tus 1.0 wants a non-negative integer,
/// so digits only — no sign, no spaces, nothing Rust's `parse` would let in.
fn tus_number(h: &HeaderMap, name: &'static str, missing: &str) -> Result<u64, AppError> {
    let v = header_str(h, &name.to_ascii_lowercase())
        .ok_or_else(|| AppError::invalid(name, missing))?;
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::invalid(
            name,
            "a number of bytes, in decimal digits only",
        ));
    }
    v.parse()
        .map_err(|_| AppError::invalid(name, "a number of bytes, too large"))
}

/// Parses `Upload-Metadata`: comma-separated `key base64value` pairs.
fn metadata(h: &HeaderMap) -> Result<std::collections::HashMap<String, String>, ApiError> {
    let mut m = std::collections::HashMap::new();
    let Some(raw) = header_str(h, "upload-metadata") else {
        return Ok(m);
    };
    for pair in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once(' ').unwrap_or((pair, ""));
        let v = base64::engine::general_purpose::STANDARD
            .decode(v.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| {
                AppError::invalid(
                    "Upload-Metadata",
                    format!("the value of {k} is not base64 of UTF-8 text"),
                )
            })?;
        m.insert(k.to_string(), v);
    }
    Ok(m)
}

/// Creates a tus 1.0 upload (creation extension). Headers: `Tus-Resumable: 1.0.0`,
/// `Upload-Length`, and `Upload-Metadata` with base64 values: `filename`, `format`
/// (fastq, bam, cram, vcf), `node` (an expected file placeholder) or `parent` (the
/// run or file it comes from), `md5` and `sha256` (hex, checked on the last byte),
/// `pipeline`, `reference`, and for a VCF created under its alignment `members`
/// (comma-separated CRAM/BAM node ids or library barcodes of the other samples
/// of a joint call). The `Location` header names the upload.
#[utoipa::path(post, path = "/api/v1/uploads", tag = "files",
    params(("Tus-Resumable" = String, Header), ("Upload-Length" = u64, Header), ("Upload-Metadata" = String, Header)),
    responses((status = 201, description = "created; Location names the upload"), (status = 401, body = crate::problem::Problem), (status = 403, body = crate::problem::Problem), (status = 404, body = crate::problem::Problem), (status = 413, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)),
    security(("bearer" = [])))]
pub(crate) async fn create(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    h: HeaderMap,
) -> Result<Response, ApiError> {
    check_tus(&h)?;
    let length = tus_number(
        &h,
        "Upload-Length",
        "required (deferred lengths are not supported)",
    )?;
    let m = metadata(&h)?;
    let get = |k: &str| m.get(k).cloned().filter(|v| !v.is_empty());
    let row = s
        .app
        .create_upload(
            &a,
            NewUpload {
                file_name: get("filename").unwrap_or_default(),
                length,
                node: get("node").map(NodeId::new),
                parent: get("parent").map(NodeId::new),
                format: parse_opt("format", get("format").as_deref())?,
                md5: get("md5"),
                sha256: get("sha256"),
                pipeline: get("pipeline"),
                reference: get("reference"),
                members: crate::api::dto::parse_members(
                    &get("members")
                        .map(|m| m.split(',').map(str::to_string).collect::<Vec<_>>())
                        .unwrap_or_default(),
                )?,
            },
        )
        .await?;
    let mut r = (StatusCode::CREATED, Json(upload_dto(&row))).into_response();
    tus_headers(&mut r);
    r.headers_mut().insert(
        header::LOCATION,
        HeaderValue::from_str(&format!("/api/v1/uploads/{}", row.id)).expect("ascii"),
    );
    Ok(r)
}

/// An upload's state.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UploadDto {
    id: String,
    node_id: String,
    file_name: String,
    format: String,
    length: i64,
    offset: i64,
    state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    object_id: Option<String>,
}

fn upload_dto(r: &UploadRow) -> UploadDto {
    UploadDto {
        id: r.id.clone(),
        node_id: r.node_id.clone(),
        file_name: r.file_name.clone(),
        format: r.format.clone(),
        length: r.length,
        offset: r.received,
        state: r.state.clone(),
        error: r.error.clone(),
        object_id: r.object_id.clone(),
    }
}

/// An upload's state: bytes received, `receiving` / `stored` / `rejected` /
/// `cancelled`, the reason of a rejection, and the stored object (its DRS id).
#[utoipa::path(get, path = "/api/v1/uploads/{id}", tag = "files", params(("id" = String, Path)),
    responses((status = 200, body = UploadDto), (status = 401, body = crate::problem::Problem), (status = 404, body = crate::problem::Problem)),
    security(("bearer" = [])))]
pub(crate) async fn status(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<UploadDto>, ApiError> {
    Ok(Json(upload_dto(&s.app.settled_upload(&a, &id).await?)))
}

/// The offset the server has durably received (`Upload-Offset`): where a
/// client resumes. An upload whose every byte was in when the server stopped
/// before registering it is finished first (answered once stored or gone).
#[utoipa::path(head, path = "/api/v1/uploads/{id}", tag = "files", params(("id" = String, Path)),
    responses((status = 200, description = "Upload-Offset and Upload-Length headers"), (status = 404), (status = 410, description = "rejected or cancelled")),
    security(("bearer" = [])))]
pub(crate) async fn head(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let row = s.app.settled_upload(&a, &id).await?;
    let mut r = if row.state == "receiving" || row.state == "stored" {
        StatusCode::OK.into_response()
    } else {
        StatusCode::GONE.into_response()
    };
    tus_headers(&mut r);
    let h = r.headers_mut();
    h.insert(
        "upload-offset",
        HeaderValue::from_str(&row.received.to_string()).expect("digits"),
    );
    h.insert(
        "upload-length",
        HeaderValue::from_str(&row.length.to_string()).expect("digits"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

/// Appends bytes at `Upload-Offset` (`Content-Type:
/// application/offset+octet-stream`). Answered once the bytes are durable; the
/// last chunk is answered once the file is checked and stored (or rejected, 422).
#[utoipa::path(patch, path = "/api/v1/uploads/{id}", tag = "files", params(("id" = String, Path), ("Upload-Offset" = u64, Header)),
    request_body(content = Vec<u8>, content_type = "application/offset+octet-stream"),
    responses((status = 204, description = "Upload-Offset gives the new offset"), (status = 409, body = crate::problem::Problem), (status = 410, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)),
    security(("bearer" = [])))]
pub(crate) async fn patch(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    h: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    check_tus(&h)?;
    if header_str(&h, "content-type") != Some("application/offset+octet-stream") {
        return Err(ApiError(AppError::invalid(
            "Content-Type",
            "application/offset+octet-stream",
        )));
    }
    let offset = tus_number(&h, "Upload-Offset", "required")?;
    let row = s
        .app
        .append_upload(&a, &id, offset, body.into_data_stream())
        .await?;
    if row.state == "rejected" {
        let mut r = ApiError(AppError::invalid(
            "file",
            row.error.clone().unwrap_or_default(),
        ))
        .into_response();
        tus_headers(&mut r);
        return Ok(r);
    }
    let mut r = StatusCode::NO_CONTENT.into_response();
    tus_headers(&mut r);
    r.headers_mut().insert(
        "upload-offset",
        HeaderValue::from_str(&row.received.to_string()).expect("digits"),
    );
    Ok(r)
}

/// Cancels an upload that is still receiving (tus termination); its staged
/// bytes are removed.
#[utoipa::path(delete, path = "/api/v1/uploads/{id}", tag = "files", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem)),
    security(("bearer" = [])))]
pub(crate) async fn cancel(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    s.app.cancel_upload(&a, &id).await?;
    let mut r = StatusCode::NO_CONTENT.into_response();
    tus_headers(&mut r);
    Ok(r)
}

// ---------- DRS ----------

/// DRS errors: `{"msg", "status_code"}` as the DRS schema has them.
struct DrsError(AppError);

impl From<AppError> for DrsError {
    fn from(e: AppError) -> Self {
        Self(e)
    }
}

impl IntoResponse for DrsError {
    fn into_response(self) -> Response {
        let status = status_of(&self.0);
        if status.is_server_error() {
            tracing::error!(error = ?self.0, "DRS request failed");
        }
        let msg = if status.is_server_error() {
            "internal error".to_string()
        } else {
            self.0.to_string()
        };
        (
            status,
            Json(json!({ "msg": msg, "status_code": status.as_u16() })),
        )
            .into_response()
    }
}

async fn drs_actor(
    s: &AppState,
    parts: &mut axum::http::request::Parts,
) -> Result<zenome_app::Actor, DrsError> {
    use axum::extract::FromRequestParts;
    ApiActor::from_request_parts(parts, s)
        .await
        .map(|a| a.0)
        .map_err(|e| DrsError(e.0))
}

async fn drs_service_info() -> Json<serde_json::Value> {
    Json(json!({
        "id": "jp.zenome.drs",
        "name": "Zenome DRS",
        "type": { "group": "org.ga4gh", "artifact": "drs", "version": "1.2.0" },
        "description": "Sequencing files of the national whole-genome programme, encrypted at rest (Crypt4GH).",
        "organization": { "name": "Zenome data centre", "url": "https://zenome.jp" },
        "version": env!("CARGO_PKG_VERSION")
    }))
}

fn mime(format: &str) -> &'static str {
    match format {
        "vcf" => "text/vcard",
        "fastq" => "text/plain",
        _ => "application/octet-stream",
    }
}

fn drs_object_json(o: &ObjectRow, host: &str) -> serde_json::Value {
    json!({
        "id": o.id,
        "name": o.name,
        "self_uri": format!("drs://{host}/{}", o.id),
        "size": o.size,
        "created_time": rfc3339(o.created_at),
        "checksums": [ { "checksum": o.sha256, "type": "sha-256" }, { "checksum": o.md5, "type": "md5" } ],
        "mime_type": if o.format == "vcf" { "text/x-vcf" } else { mime(&o.format) },
        "description": format!("{} of participant {} ({}; QC {})", o.format.to_uppercase(), o.participant_id, o.pipeline.as_deref().unwrap_or("no pipeline recorded"), o.qc_status),
        "access_methods": [
            { "type": "https", "access_id": "plain" },
            { "type": "https", "access_id": "crypt4gh" }
        ]
    })
}

/// The host in `drs://` URIs: the public URL's, else the listen address —
/// never the request's `Host` header, which the caller chooses.
fn host_of(s: &AppState) -> String {
    let c = s.app.config();
    c.public_url
        .as_deref()
        .and_then(url_host)
        .unwrap_or_else(|| c.listen.clone())
}

/// The configured public URL, which access URLs and htsget tickets point
/// at. Without one they are refused: the request's `Host` header is the
/// caller's to choose, so it cannot say where to send a credential.
fn public_base(s: &AppState) -> Result<String, AppError> {
    s.app
        .config()
        .public_url
        .as_deref()
        .map(|u| u.trim_end_matches('/').to_string())
        .ok_or_else(|| {
            AppError::Internal(
                "public_url is not configured: access URLs and htsget tickets need it (set public_url or ZENOME_PUBLIC_URL)".into(),
            )
        })
}

fn url_host(u: &str) -> Option<String> {
    let rest = u.split("://").nth(1)?;
    Some(rest.split('/').next()?.to_string())
}

async fn drs_object(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    req: axum::extract::Request,
) -> Result<Json<serde_json::Value>, DrsError> {
    let (mut parts, _) = req.into_parts();
    let a = drs_actor(&s, &mut parts).await?;
    let o = s.app.object_for(&a, &id, ip.as_deref()).await?;
    Ok(Json(drs_object_json(&o, &host_of(&s))))
}

async fn drs_access(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    Path((id, access_id)): Path<(String, String)>,
    req: axum::extract::Request,
) -> Result<Json<serde_json::Value>, DrsError> {
    let (mut parts, _) = req.into_parts();
    let a = drs_actor(&s, &mut parts).await?;
    s.app.object_for(&a, &id, ip.as_deref()).await?;
    let mut headers = vec!["Authorization: Bearer <your token or passport>".to_string()];
    match access_id.as_str() {
        "plain" => {}
        "crypt4gh" => headers.push(
            "Crypt4GH-Public-Key: <your Crypt4GH public key, base64 of 32 bytes or the key file>"
                .into(),
        ),
        _ => return Err(AppError::NotFound("access method").into()),
    }
    let base = public_base(&s)?;
    Ok(Json(
        json!({ "url": format!("{base}/ga4gh/drs/v1/objects/{id}/data/{access_id}"), "headers": headers }),
    ))
}

fn parse_range(h: &HeaderMap) -> Result<Option<(u64, Option<u64>)>, AppError> {
    let Some(r) = header_str(h, "range") else {
        return Ok(None);
    };
    let spec = r
        .strip_prefix("bytes=")
        .filter(|s| !s.contains(','))
        .ok_or_else(|| AppError::invalid("Range", "one range, as bytes=FIRST-LAST"))?;
    let (a, b) = spec
        .split_once('-')
        .ok_or_else(|| AppError::invalid("Range", "bytes=FIRST-LAST"))?;
    let first: u64 = a
        .trim()
        .parse()
        .map_err(|_| AppError::invalid("Range", "bytes=FIRST-LAST"))?;
    let last = if b.trim().is_empty() {
        None
    } else {
        Some(
            b.trim()
                .parse::<u64>()
                .map_err(|_| AppError::invalid("Range", "bytes=FIRST-LAST"))?,
        )
    };
    if last.is_some_and(|l| l < first) {
        return Err(AppError::invalid(
            "Range",
            "the last byte comes before the first",
        ));
    }
    Ok(Some((first, last)))
}

fn public_key(h: &HeaderMap) -> Result<zenome_crypt4gh::PublicKey, AppError> {
    let raw = header_str(h, "crypt4gh-public-key").ok_or_else(|| {
        AppError::invalid(
            "Crypt4GH-Public-Key",
            "required for the crypt4gh access method",
        )
    })?;
    if raw.contains("BEGIN CRYPT4GH PUBLIC KEY") {
        return zenome_crypt4gh::read_public_key(raw)
            .map_err(|e| AppError::invalid("Crypt4GH-Public-Key", e.to_string()));
    }
    let b = base64::engine::general_purpose::STANDARD
        .decode(raw.trim())
        .map_err(|_| {
            AppError::invalid(
                "Crypt4GH-Public-Key",
                "base64 of a 32-byte X25519 public key",
            )
        })?;
    let b: [u8; 32] = b
        .try_into()
        .map_err(|_| AppError::invalid("Crypt4GH-Public-Key", "32 bytes"))?;
    let pk = zenome_crypt4gh::PublicKey::from_bytes(b);
    if pk.is_low_order() {
        return Err(AppError::invalid(
            "Crypt4GH-Public-Key",
            "not a usable public key",
        ));
    }
    Ok(pk)
}

async fn drs_data(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    Path((id, access_id)): Path<(String, String)>,
    req: axum::extract::Request,
) -> Result<Response, DrsError> {
    let (mut parts, _) = req.into_parts();
    let ticket = header_str(&parts.headers, "authorization")
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| t.starts_with(zenome_app::files::ticket::PREFIX))
        .map(str::to_string);
    let a = match ticket {
        // an htsget ticket's token: for this object, delivery and range only
        Some(t) => {
            s.app
                .actor_from_data_ticket(&t, &id, &access_id, header_str(&parts.headers, "range"))
                .await?
        }
        None => drs_actor(&s, &mut parts).await?,
    };
    let delivery = match access_id.as_str() {
        "plain" => Delivery::Plain,
        "crypt4gh" => Delivery::Crypt4gh(public_key(&parts.headers)?),
        _ => return Err(AppError::NotFound("access method").into()),
    };
    let range = parse_range(&parts.headers)?;
    let d = s
        .app
        .download(&a, &id, delivery, range, ip.as_deref())
        .await?;
    let (start, end) = d.range;
    let mut r = Response::new(Body::from_stream(d.stream));
    let h = r.headers_mut();
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(
        header::CONTENT_LENGTH,
        HeaderValue::from_str(&(end - start).to_string()).expect("digits"),
    );
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(if matches!(delivery, Delivery::Plain) {
            "application/octet-stream"
        } else {
            "application/vnd.ga4gh.crypt4gh"
        }),
    );
    let name = if matches!(delivery, Delivery::Plain) {
        d.object.name.clone()
    } else {
        format!("{}.c4gh", d.object.name)
    };
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{}\"",
        name.replace('"', "")
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if range.is_some() {
        *r.status_mut() = StatusCode::PARTIAL_CONTENT;
        r.headers_mut().insert(
            header::CONTENT_RANGE,
            HeaderValue::from_str(&format!("bytes {start}-{}/{}", end - 1, d.total))
                .expect("ascii"),
        );
    }
    Ok(r)
}

// ---------- htsget ----------

pub(crate) fn htsget_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/htsget/reads/service-info",
            get(|| htsget_service_info("reads")),
        )
        .route(
            "/htsget/variants/service-info",
            get(|| htsget_service_info("variants")),
        )
        .route("/htsget/reads/{id}", get(htsget_reads))
        .route("/htsget/variants/{id}", get(htsget_variants))
}

async fn htsget_service_info(datatype: &'static str) -> Json<serde_json::Value> {
    let formats: &[&str] = if datatype == "reads" {
        &["BAM", "CRAM"]
    } else {
        &["VCF", "BCF"]
    };
    Json(json!({
        "id": format!("jp.zenome.htsget.{datatype}"),
        "name": "Zenome htsget",
        "type": { "group": "org.ga4gh", "artifact": "htsget", "version": "1.3.0" },
        "organization": { "name": "Zenome data centre", "url": "https://zenome.jp" },
        "version": env!("CARGO_PKG_VERSION"),
        "htsget": { "datatype": datatype, "formats": formats, "fieldsParametersEffective": false, "tagsParametersEffective": false }
    }))
}

fn htsget_error(status: StatusCode, error: &str, message: &str) -> Response {
    let mut r = (
        status,
        Json(json!({ "htsget": { "error": error, "message": message } })),
    )
        .into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

fn htsget_app_error(e: &AppError) -> Response {
    let status = status_of(e);
    let error = match status {
        StatusCode::UNAUTHORIZED => "InvalidAuthentication",
        StatusCode::FORBIDDEN => "PermissionDenied",
        StatusCode::NOT_FOUND => "NotFound",
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => "InvalidInput",
        _ => "InternalError",
    };
    if status.is_server_error() {
        tracing::error!(error = ?e, "htsget request failed");
        return htsget_error(status, error, "internal error");
    }
    htsget_error(status, error, &e.to_string())
}

async fn htsget_reads(
    s: State<AppState>,
    ip: ClientIp,
    id: Path<String>,
    req: axum::extract::Request,
) -> Response {
    htsget(s, ip, id, req, zenome_app::files::htsget::Endpoint::Reads).await
}

async fn htsget_variants(
    s: State<AppState>,
    ip: ClientIp,
    id: Path<String>,
    req: axum::extract::Request,
) -> Response {
    htsget(
        s,
        ip,
        id,
        req,
        zenome_app::files::htsget::Endpoint::Variants,
    )
    .await
}

async fn htsget(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    req: axum::extract::Request,
    endpoint: zenome_app::files::htsget::Endpoint,
) -> Response {
    use zenome_app::files::htsget::HtsgetFailure;
    let (mut parts, _) = req.into_parts();
    let a = match drs_actor(&s, &mut parts).await {
        Ok(a) => a,
        Err(DrsError(e)) => return htsget_app_error(&e),
    };
    let q: std::collections::HashMap<String, String> =
        axum::extract::Query::try_from_uri(&parts.uri)
            .map(|q| q.0)
            .unwrap_or_default();
    let num = |k: &str| -> Result<Option<u64>, Box<Response>> {
        match q.get(k) {
            None => Ok(None),
            Some(v) => v.parse::<u64>().map(Some).map_err(|_| {
                Box::new(htsget_error(
                    StatusCode::BAD_REQUEST,
                    "InvalidInput",
                    &format!("{k} must be a non-negative integer"),
                ))
            }),
        }
    };
    let (start, end) = match (num("start"), num("end")) {
        (Ok(s), Ok(e)) => (s, e),
        (Err(r), _) | (_, Err(r)) => return *r,
    };
    let class = match q.get("class").map(String::as_str) {
        None => zenome_htsget::Class::Body,
        Some("header") => zenome_htsget::Class::Header,
        Some(other) => {
            return htsget_error(
                StatusCode::BAD_REQUEST,
                "InvalidInput",
                &format!("unknown class {other:?}"),
            );
        }
    };
    let query = zenome_htsget::Query {
        reference_name: q.get("referenceName").cloned(),
        start,
        end,
        class,
    };
    let ticket = match s
        .app
        .htsget(
            &a,
            endpoint,
            &id,
            query,
            q.get("format").map(String::as_str),
            ip.as_deref(),
        )
        .await
    {
        Ok(t) => t,
        Err(HtsgetFailure::Client { error, message }) => {
            let status = if error == "NotFound" {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::BAD_REQUEST
            };
            return htsget_error(status, error, &message);
        }
        Err(HtsgetFailure::App(e)) => return htsget_app_error(&e),
    };
    let base = match public_base(&s) {
        Ok(b) => b,
        Err(e) => return htsget_app_error(&e),
    };
    let data_url = format!("{base}/ga4gh/drs/v1/objects/{id}/data/plain");
    // each range gets its own short-lived token, never the caller's bearer
    let auth = |range: &str| {
        format!(
            "Bearer {}",
            s.app.data_ticket(&a, &id, "plain", Some(range))
        )
    };
    let classes = zenome_htsget::piece_classes(&ticket.pieces);
    let urls: Vec<serde_json::Value> = ticket
        .pieces
        .iter()
        .zip(classes)
        .map(|(p, c)| match p {
            zenome_htsget::Piece::Range(r) => json!({
                "url": data_url,
                "headers": { "Range": r.http_range(), "Authorization": auth(&r.http_range()) },
                "class": c.as_str(),
            }),
            zenome_htsget::Piece::Inline(bytes) => json!({
                "url": format!("data:application/octet-stream;base64,{}", base64::engine::general_purpose::STANDARD.encode(bytes)),
                "class": c.as_str(),
            }),
        })
        .collect();
    let mut r =
        Json(json!({ "htsget": { "format": ticket.format, "urls": urls } })).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.ga4gh.htsget.v1.3.0+json; charset=utf-8"),
    );
    r
}
