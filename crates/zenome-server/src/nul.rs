//! NUL characters are refused at the edge with a 400 naming the field, the
//! same on both engines: SQLite stores them, PostgreSQL's text type cannot
//! (which made them 500s there). Path segments, query parameters, the tus
//! `Upload-Metadata` header and form bodies are checked by [`refuse`] on
//! every route; JSON bodies by [`crate::extract::ApiJson`] through
//! [`json_field`].

use axum::body::Body;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;

use crate::problem::Problem;

/// Largest form body checked in memory; portal forms are far smaller.
const FORM_LIMIT: usize = 2 * 1024 * 1024;

/// The 400 answer naming `field`.
pub(crate) fn refused(field: &str) -> Response {
    let body = Problem {
        kind: "https://zenome.jp/problems/invalid-character".into(),
        title: "Invalid character".into(),
        status: 400,
        detail: format!("{field}: NUL characters are not allowed"),
        field: Some(field.to_string()),
        errors: None,
    };
    let mut r = (StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    r
}

/// `%XX` decoding to bytes (`+` as space when `plus`); bad escapes stay as they are.
fn decode(s: &str, plus: bool) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |j: usize| b.get(j).and_then(|c| char::from(*c).to_digit(16));
        match (b[i], hex(i + 1), hex(i + 2)) {
            (b'%', Some(h), Some(l)) => {
                out.push(u8::try_from(h * 16 + l).unwrap_or(0));
                i += 3;
            }
            (b'+', _, _) if plus => {
                out.push(b' ');
                i += 1;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// The first `key=value` pair of a query string or form body holding a NUL:
/// its (decoded) key.
fn form_field(s: &str) -> Option<String> {
    s.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let key = decode(k, true);
        (key.contains(&0) || decode(v, true).contains(&0))
            .then(|| String::from_utf8_lossy(&key).replace('\0', ""))
    })
}

/// The path parameter holding a NUL, named as the route names it.
fn path_field(path: &str, route: Option<&str>) -> Option<String> {
    let at = path
        .split('/')
        .position(|seg| decode(seg, false).contains(&0))?;
    let name = route
        .and_then(|r| r.split('/').nth(at))
        .and_then(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        .map(|n| n.trim_start_matches('*').to_string());
    Some(name.unwrap_or_else(|| "path".into()))
}

/// The tus metadata key whose value decodes to text with a NUL.
fn metadata_field(raw: &str) -> Option<String> {
    raw.split(',').map(str::trim).find_map(|pair| {
        let (k, v) = pair.split_once(' ').unwrap_or((pair, ""));
        let value = base64::engine::general_purpose::STANDARD
            .decode(v.trim())
            .unwrap_or_default();
        (k.contains('\0') || value.contains(&0)).then(|| format!("Upload-Metadata.{k}"))
    })
}

/// Route layer: refuses a NUL in the path, the query, `Upload-Metadata` or
/// a form body before any handler sees it.
pub(crate) async fn refuse(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string());
    if let Some(f) = path_field(req.uri().path(), route.as_deref()) {
        return refused(&f);
    }
    if let Some(f) = req.uri().query().and_then(form_field) {
        return refused(&f);
    }
    if let Some(f) = req
        .headers()
        .get("upload-metadata")
        .and_then(|v| v.to_str().ok())
        .and_then(metadata_field)
    {
        return refused(&f);
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, FORM_LIMIT).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "form body too large").into_response();
    };
    if let Some(f) = std::str::from_utf8(&bytes).ok().and_then(form_field) {
        return refused(&f);
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// For a JSON body: the path of the first string (or key) holding a NUL.
/// JSON can carry one only as the escape `\u0000`, so bodies without that
/// text are not parsed twice.
pub(crate) fn json_field(bytes: &[u8]) -> Option<String> {
    if !bytes.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000")) {
        return None;
    }
    fn walk(v: &serde_json::Value, path: &str) -> Option<String> {
        let here = || {
            if path.is_empty() {
                "body".to_string()
            } else {
                path.to_string()
            }
        };
        match v {
            serde_json::Value::String(s) => s.contains('\0').then(here),
            serde_json::Value::Array(a) => a
                .iter()
                .enumerate()
                .find_map(|(i, x)| walk(x, &format!("{path}[{i}]"))),
            serde_json::Value::Object(o) => o.iter().find_map(|(k, x)| {
                if k.contains('\0') {
                    return Some(here());
                }
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                walk(x, &p)
            }),
            _ => None,
        }
    }
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    walk(&v, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_named() {
        assert_eq!(
            path_field(
                "/api/v1/applications/A%00B",
                Some("/api/v1/applications/{id}")
            )
            .as_deref(),
            Some("id")
        );
        assert_eq!(
            path_field("/api/v1/applications/AB", Some("/api/v1/applications/{id}")),
            None
        );
        assert_eq!(form_field("a=1&q=x%00y").as_deref(), Some("q"));
        assert_eq!(form_field("a=1&q=x%2500y"), None);
        let m = format!(
            "filename {}",
            base64::engine::general_purpose::STANDARD.encode("a\0b")
        );
        assert_eq!(
            metadata_field(&m).as_deref(),
            Some("Upload-Metadata.filename")
        );
        assert_eq!(
            json_field(br#"{"a": {"b": ["x", "y\u0000"]}}"#).as_deref(),
            Some("a.b[1]")
        );
        assert_eq!(json_field(br#"{"a": "\\u0000"}"#), None);
    }
}
