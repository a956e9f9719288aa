//! Writes that name a parent check the caller's scope over that parent, and
//! an out-of-scope node answers exactly like an absent one.

use http::StatusCode;
use serde_json::json;

use crate::harness::{Env, Resp};

const ABSENT: &str = "0190e0b2-0000-7000-8000-000000000000";

/// Status, problem title and detail: what a caller can tell two answers apart by.
fn shape(r: &Resp) -> (StatusCode, serde_json::Value, serde_json::Value) {
    (r.status, r.json["title"].clone(), r.json["detail"].clone())
}

async fn placeholder(e: &Env, run: &str) -> String {
    let r = e
        .call(
            "POST",
            "/api/v1/lineage/nodes",
            Some("centre"),
            Some(json!({"kind": "file", "parent_id": run, "format": "fastq"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.json["id"].as_str().unwrap().to_string()
}

fn upload_meta<'a>(key: &'a str, node: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("filename", "other_R1.fastq"),
        (key, node),
        ("format", "fastq"),
        ("md5", "0123456789abcdef0123456789abcdef"),
    ]
}

async fn a_centre_cannot_upload_into_another_centres_run(e: Env) {
    let (_, run) = e.run().await;
    let before = e.snapshot().await;
    let r = e
        .tus_create("centre_other", 100, &upload_meta("parent", &run))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    let absent = e
        .tus_create("centre_other", 100, &upload_meta("parent", ABSENT))
        .await;
    assert_eq!(shape(&r), shape(&absent));
    assert_eq!(e.snapshot().await, before, "nothing was registered");
    // its own centre still may
    let ok = e
        .tus_create("centre", 100, &upload_meta("parent", &run))
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text);
}

async fn another_centres_node_in_an_upload_answers_like_an_absent_one(e: Env) {
    let (_, run) = e.run().await;
    let file = placeholder(&e, &run).await;
    let absent = e
        .tus_create("centre_other", 100, &upload_meta("node", ABSENT))
        .await;
    assert_eq!(absent.status, StatusCode::NOT_FOUND, "{}", absent.text);
    // a run is not a placeholder (422 for its owner) and a placeholder is
    // one (201 for its owner): another centre gets the absent answer for both
    for node in [&run, &file] {
        let r = e
            .tus_create("centre_other", 100, &upload_meta("node", node))
            .await;
        assert_eq!(shape(&r), shape(&absent), "{}", r.text);
    }
}

async fn a_centre_cannot_register_nodes_under_another_centres_run_or_library(e: Env) {
    let (s, run) = e.run().await;
    let before = e.snapshot().await;
    let absent = e
        .call(
            "POST",
            "/api/v1/lineage/nodes",
            Some("centre_other"),
            Some(json!({"kind": "file", "parent_id": ABSENT, "format": "fastq"})),
        )
        .await;
    assert_eq!(absent.status, StatusCode::NOT_FOUND, "{}", absent.text);
    for body in [
        json!({"kind": "file", "parent_id": run, "format": "fastq"}),
        json!({"kind": "file", "parent_id": run, "format": "vcf"}),
        json!({"kind": "sequencing_run", "parent_id": s.library.0, "centre": "SEQ-TK", "run_id": "X", "instrument": "NovaSeq X", "run_date": "2026-06-01"}),
        json!({"kind": "sequencing_run", "parent_barcode": s.library.1, "centre": "SEQ-TK", "run_id": "X", "instrument": "NovaSeq X", "run_date": "2026-06-01"}),
    ] {
        let r = e
            .call(
                "POST",
                "/api/v1/lineage/nodes",
                Some("centre_other"),
                Some(body.clone()),
            )
            .await;
        assert_eq!(shape(&r), shape(&absent), "{body}: {}", r.text);
        assert!(!r.text.contains(&s.pid), "{}", r.text);
    }
    // another facility under this facility's specimen
    let r = e
        .call(
            "POST",
            "/api/v1/lineage/nodes",
            Some("facility_other"),
            Some(json!({"kind": "extract", "parent_id": s.specimen.0, "analyte": "dna"})),
        )
        .await;
    assert_eq!(shape(&r), shape(&absent), "{}", r.text);
    assert_eq!(e.snapshot().await, before, "nothing was registered");
}

async fn a_centre_sees_only_the_libraries_sent_to_it(e: Env) {
    let s = e.seeded_participant().await;
    let lib = format!("/api/v1/libraries/{}", s.library.1);
    let node = format!("/api/v1/lineage/nodes/{}", s.library.0);
    let r = e.call("GET", &lib, Some("centre"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = e.call("GET", &lib, Some("centre_other"), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert!(!r.text.contains(&s.pid));
    let r = e.call("GET", &node, Some("centre_other"), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    // a library not sent anywhere yet is no centre's
    let unsent = e
        .call(
            "POST",
            "/api/v1/lineage/nodes",
            Some("facility"),
            Some(json!({"kind": "library", "parent_id": s.extract.0, "strategy": "wes"})),
        )
        .await;
    assert_eq!(unsent.status, StatusCode::CREATED, "{}", unsent.text);
    let b = unsent.json["barcode"].as_str().unwrap();
    for who in ["centre", "centre_other"] {
        let r = e
            .call("GET", &format!("/api/v1/libraries/{b}"), Some(who), None)
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{who}: {}", r.text);
    }
    // the destination must be a sequencing centre
    let r = e
        .call("POST", "/api/v1/lineage/nodes", Some("facility"), Some(json!({"kind": "library", "parent_id": s.extract.0, "strategy": "wgs", "centre": "OSK-CC"})))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.json["field"], "centre", "{}", r.text);
}

async fn a_role_that_may_not_register_material_learns_nothing_of_the_parent(e: Env) {
    let s = e.seeded_participant().await;
    for who in ["dac", "academic", "clinician", "staff", "centre", "admin"] {
        let there = e
            .call(
                "POST",
                "/api/v1/lineage/nodes",
                Some(who),
                Some(json!({"kind": "aliquot", "parent_id": s.specimen.0})),
            )
            .await;
        let absent = e
            .call(
                "POST",
                "/api/v1/lineage/nodes",
                Some(who),
                Some(json!({"kind": "aliquot", "parent_id": ABSENT})),
            )
            .await;
        assert_eq!(there.status, StatusCode::FORBIDDEN, "{who}: {}", there.text);
        assert_eq!(shape(&there), shape(&absent), "{who}");
    }
}

crate::on_both_engines!(
    a_role_that_may_not_register_material_learns_nothing_of_the_parent,
    a_centre_cannot_upload_into_another_centres_run,
    another_centres_node_in_an_upload_answers_like_an_absent_one,
    a_centre_cannot_register_nodes_under_another_centres_run_or_library,
    a_centre_sees_only_the_libraries_sent_to_it,
);
