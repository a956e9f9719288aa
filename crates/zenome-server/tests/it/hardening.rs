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

crate::on_both_engines!(
    the_language_switch_redirects_only_to_same_site_paths,
    a_multibyte_barcode_is_refused_not_a_panic,
);
