//! Hostile input at the edges: redirects that leave the site, multi-byte
//! characters where a parser sliced bytes, NUL characters the database
//! refuses.

use http::{StatusCode, header};
use serde_json::json;

use crate::harness::{Env, Resp};

fn location(r: &Resp) -> &str {
    r.headers[header::LOCATION].to_str().unwrap()
}

async fn the_language_switch_redirects_only_to_same_site_paths(e: Env) {
    for (next, want) in [
        ("/public", "/public"),
        ("/portal/participants?page=2", "/portal/participants?page=2"),
        ("//evil.com", "/"),
        ("/%09/evil.com", "/"),
        ("/%0a/evil.com", "/"),
        ("/%0d%0aX:1", "/"),
        ("/%5Cevil.com", "/"),
        ("/%5C%5Cevil.com", "/"),
        ("%2F%2Fevil.com", "/"),
        ("/%252F%252Fevil.com", "/"),
        ("/%2520/evil.com", "/"),
        ("https://evil.com", "/"),
        ("/%E2%80%A8/evil.com", "/"),
    ] {
        let r = e
            .call("GET", &format!("/lang/en?next={next}"), None, None)
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{next}: {}", r.text);
        assert_eq!(location(&r), want, "{next}");
    }
}

async fn a_multibyte_barcode_is_refused_not_a_panic(e: Env) {
    let s = e.seeded_participant().await;
    for uri in [
        "/api/v1/libraries/0%C2%BA0000",
        "/api/v1/libraries/%C2%BA",
        "/api/v1/libraries/L%C2%BA0000",
        "/api/v1/libraries/%E6%97%A5%E6%9C%AC0000",
    ] {
        let r = e.call("GET", uri, Some("centre"), None).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{uri}: {}",
            r.text
        );
        assert_eq!(r.json["field"], "barcode", "{uri}: {}", r.text);
    }
    for body in [
        json!({"kind": "extract", "parent_id": s.specimen.0, "analyte": "dna", "barcode": "0º0000"}),
        json!({"kind": "sequencing_run", "parent_barcode": "0º0000", "centre": "SEQ-KZ", "run_id": "R", "instrument": "X", "run_date": "2026-06-01"}),
    ] {
        let who = if body["kind"] == "extract" {
            "facility"
        } else {
            "centre"
        };
        let r = e
            .call(
                "POST",
                "/api/v1/lineage/nodes",
                Some(who),
                Some(body.clone()),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.text
        );
    }
}

fn assert_nul_refused(r: &Resp, field: &str, what: &str) {
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{what}: {}", r.text);
    assert_eq!(
        r.headers[header::CONTENT_TYPE],
        "application/problem+json",
        "{what}"
    );
    assert_eq!(r.json["field"], field, "{what}: {}", r.text);
}

async fn nul_characters_are_a_400_naming_the_field_on_both_engines(e: Env) {
    let s = e.seeded_participant().await;
    let before = e.snapshot().await;
    for (who, uri, field) in [
        ("academic", "/api/v1/applications/A%00B".to_string(), "id"),
        ("facility", "/api/v1/participants/ZP%00".to_string(), "id"),
        (
            "staff",
            format!("/api/v1/lineage/nodes/{}%00", s.specimen.0),
            "id",
        ),
        (
            "centre",
            "/api/v1/libraries/LB%000001".to_string(),
            "barcode",
        ),
        (
            "staff",
            "/api/v1/participants?facility=TKY%00".to_string(),
            "facility",
        ),
        (
            "staff",
            "/api/v1/participants?disease_area=cancer&facility=%00".to_string(),
            "facility",
        ),
        ("admin", "/api/v1/audit?target=a%00b".to_string(), "target"),
        ("academic", "/api/v1/datasets/x%00y".to_string(), "id"),
    ] {
        let r = e.call("GET", &uri, Some(who), None).await;
        assert_nul_refused(&r, field, &uri);
    }
    for (who, uri, body, field) in [
        (
            "admin",
            "/api/v1/organisations",
            json!({"code": "KYU-UH", "kind": "collecting_facility", "name": "Kyushu\u{0}", "name_ja": "九州"}),
            "name",
        ),
        (
            "admin",
            "/api/v1/users",
            json!({"username": "new.user", "display_name": "New\u{0}User", "role": "dac_member"}),
            "display_name",
        ),
        (
            "facility",
            "/api/v1/participants",
            json!({"disease_area": "cancer", "sex": "fe\u{0}male"}),
            "sex",
        ),
        (
            "facility",
            "/api/v1/lineage/nodes",
            json!({"kind": "extract", "parent_id": s.specimen.0, "analyte": "dna", "notes": ["ok", "\u{0}"]}),
            "notes[1]",
        ),
    ] {
        let r = e.call("POST", uri, Some(who), Some(body)).await;
        assert_nul_refused(&r, field, uri);
    }
    // a tus upload's metadata
    let r = e
        .tus_create(
            "centre",
            10,
            &[
                ("filename", "a\0b.fastq"),
                ("parent", &s.library.0),
                ("format", "fastq"),
            ],
        )
        .await;
    assert_nul_refused(&r, "Upload-Metadata.filename", "tus metadata");
    // a portal form (refused before anything reads it)
    let req = http::Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(axum::body::Body::from("username=a%00b&password=x&totp=1"))
        .unwrap();
    let r = e.send(req).await;
    assert_nul_refused(&r, "username", "login form");
    assert_eq!(e.snapshot().await, before, "nothing was stored");
}

crate::on_both_engines!(
    the_language_switch_redirects_only_to_same_site_paths,
    a_multibyte_barcode_is_refused_not_a_panic,
    nul_characters_are_a_400_naming_the_field_on_both_engines,
);
