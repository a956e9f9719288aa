//! The API end to end on its happy paths and on every bad input the
//! foundation issue lists; each bad input also shows the store unchanged.

use http::StatusCode;
use serde_json::json;
use zenome_auth::totp_code;

use crate::harness::{env, give, typo, unix_now};

fn assert_problem(r: &crate::harness::Resp, status: StatusCode, field: Option<&str>) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(
        r.headers["content-type"], "application/problem+json",
        "{}",
        r.text
    );
    assert_eq!(r.json["status"], status.as_u16());
    assert!(
        r.json["type"]
            .as_str()
            .unwrap()
            .starts_with("https://zenome.jp/problems/")
    );
    assert!(r.json["title"].is_string() && r.json["detail"].is_string());
    if let Some(f) = field {
        assert_eq!(r.json["field"], f, "{}", r.text);
    }
}

#[tokio::test]
async fn service_info_and_openapi_are_public() {
    let e = env().await;
    let r = e.call("GET", "/service-info", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json["type"]["group"], "jp.zenome");
    assert!(r.json["version"].is_string());
    let r = e.call("GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.json["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/participants",
        "/api/v1/participants/{id}/consents",
        "/api/v1/lineage/nodes",
        "/api/v1/auth/login",
    ] {
        assert!(
            r.json["paths"][path].is_object(),
            "{path} missing from OpenAPI"
        );
    }
    let r = e.call("GET", "/metrics", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains("zenome_participants"), "{}", r.text);
}

/// The OpenAPI document passes `openapi-spec-validator` (PyPI, installed by
/// `scripts/test.sh`): every response described, every parameter where it
/// is declared — what generated clients and schemathesis need.
#[tokio::test]
async fn the_openapi_document_is_valid_openapi() {
    let have = std::process::Command::new("python3")
        .args(["-c", "import openapi_spec_validator"])
        .status()
        .is_ok_and(|s| s.success());
    if !have {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs openapi-spec-validator (scripts/test.sh installs it)"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("openapi.json");
    std::fs::write(&path, zenome_server::openapi_json()).unwrap();
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import json, sys; from openapi_spec_validator import validate; validate(json.load(open(sys.argv[1]))); print('valid')",
        ])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn security_headers_on_every_response() {
    let e = env().await;
    for uri in [
        "/public",
        "/api/v1/openapi.json",
        "/login",
        "/api/v1/participants",
    ] {
        let r = e.call("GET", uri, None, None).await;
        let csp = r.headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"),
            "{uri}: {csp}"
        );
        assert_eq!(r.headers["x-content-type-options"], "nosniff");
        assert_eq!(r.headers["x-frame-options"], "DENY");
        assert!(r.headers.contains_key("strict-transport-security"));
    }
}

#[tokio::test]
async fn registration_consent_and_lineage_end_to_end() {
    end_to_end(env().await).await;
}

#[tokio::test]
async fn registration_consent_and_lineage_end_to_end_on_postgres() {
    let dir = tempfile::tempdir().unwrap();
    if let Some(store) = zenome_store::testing::fresh_postgres().await {
        end_to_end(crate::harness::env_on(store, dir).await).await;
    }
}

async fn end_to_end(e: crate::harness::Env) {
    let s = e.seeded_participant().await;
    // the sequencing centre finds the library by barcode and registers a run and files
    let lib = e
        .call(
            "GET",
            &format!("/api/v1/libraries/{}", s.library.1),
            Some("centre"),
            None,
        )
        .await;
    assert_eq!(lib.status, StatusCode::OK, "{}", lib.text);
    assert_eq!(lib.json["library"]["participant_id"], s.pid);
    assert_eq!(
        lib.json["ancestry"][1]["details"]["specimen_type"],
        "tumour_tissue"
    );
    let run = e
        .call("POST", "/api/v1/lineage/nodes", Some("centre"), Some(json!({"kind": "sequencing_run", "parent_barcode": s.library.1, "centre": "SEQ-KZ", "run_id": "R0001", "instrument": "NovaSeq X Plus", "run_date": "2026-06-01"})))
        .await;
    assert_eq!(run.status, StatusCode::CREATED, "{}", run.text);
    let run_id = run.json["id"].as_str().unwrap().to_string();
    let fq = e
        .call(
            "POST",
            "/api/v1/lineage/nodes",
            Some("centre"),
            Some(json!({"kind": "file", "parent_id": run_id, "format": "fastq"})),
        )
        .await;
    assert_eq!(fq.status, StatusCode::CREATED, "{}", fq.text);
    let cram = e
        .call(
            "POST",
            "/api/v1/lineage/nodes",
            Some("centre"),
            Some(json!({"kind": "file", "parent_id": fq.json["id"], "format": "cram"})),
        )
        .await;
    let vcf = e
        .call(
            "POST",
            "/api/v1/lineage/nodes",
            Some("centre"),
            Some(json!({"kind": "file", "parent_id": cram.json["id"], "format": "vcf"})),
        )
        .await;
    assert_eq!(vcf.status, StatusCode::CREATED, "{}", vcf.text);
    // every file leads back to its specimen and participant
    let n = e
        .call(
            "GET",
            &format!("/api/v1/lineage/nodes/{}", vcf.json["id"].as_str().unwrap()),
            Some("staff"),
            None,
        )
        .await;
    assert_eq!(n.status, StatusCode::OK, "{}", n.text);
    let kinds: Vec<&str> = n.json["ancestry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "file",
            "file",
            "sequencing_run",
            "library",
            "extract",
            "specimen"
        ]
    );
    assert_eq!(n.json["node"]["participant_id"], s.pid);
    // the tree
    let t = e
        .call(
            "GET",
            &format!("/api/v1/participants/{}/lineage", s.pid),
            Some("facility"),
            None,
        )
        .await;
    assert_eq!(t.status, StatusCode::OK);
    let spec = &t.json["specimens"][0];
    assert_eq!(spec["barcode"], s.specimen.1);
    assert_eq!(spec["details"]["anatomical_site"], "右上葉");
    assert_eq!(
        spec["children"][0]["children"][0]["children"][0]["kind"],
        "sequencing_run"
    );
    // consent: DUO codes derived, cancer default industrial use
    let c = e
        .call(
            "GET",
            &format!("/api/v1/participants/{}/consents", s.pid),
            Some("facility"),
            None,
        )
        .await;
    assert_eq!(c.json["current"]["state"], "active");
    let codes: Vec<&str> = c.json["current"]["data_use"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["GRU", "IRB"]);
    // residual material stays registered
    let r = e
        .call(
            "PATCH",
            &format!("/api/v1/lineage/nodes/{}", s.specimen.0),
            Some("facility"),
            Some(json!({"status": "residual"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["details"]["status"], "residual");
    // everything was audited and the chain holds
    assert!(e.app.store().verify_audit().await.unwrap().is_ok());
    let audit = e
        .call(
            "GET",
            &format!("/api/v1/audit?target=participant:{}", s.pid),
            Some("staff"),
            None,
        )
        .await;
    let actions: Vec<&str> = audit
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"participant.register") && actions.contains(&"consent.given"),
        "{actions:?}"
    );
}

#[tokio::test]
async fn legacy_consent_is_mapped_with_gaps() {
    let e = env().await;
    let p = e
        .call(
            "POST",
            "/api/v1/participants",
            Some("facility"),
            Some(json!({"disease_area": "rare_disease"})),
        )
        .await;
    let pid = p.json["id"].as_str().unwrap();
    let r = e
        .call(
            "POST",
            &format!("/api/v1/participants/{pid}/consents"),
            Some("facility"),
            Some(json!({"action": "give_legacy", "legacy": {"form": "rare-disease-registry-2017", "answers": {"genetic_research": true, "data_sharing": true, "limited_to_own_disease": true, "disease": "MONDO:0007739", "company_use": false, "contact_again": true, "findings_disclosure": true}}})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let cur = &r.json["current"];
    assert_eq!(cur["source"], "rare-disease-registry-2017");
    assert_eq!(cur["gaps"].as_array().unwrap().len(), 3);
    let codes: Vec<&str> = cur["data_use"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["DS", "NPU", "NCU", "IRB", "GS"]);
    assert_eq!(cur["data_use"][0]["disease"], "MONDO:0007739");
    // a legacy answer of the wrong type names the field
    let before = e.snapshot().await;
    let r = e
        .call("POST", &format!("/api/v1/participants/{pid}/consents"), Some("facility"), Some(json!({"action": "give_legacy", "legacy": {"form": "cancer-biobank-2014", "answers": {"research_use": "yes", "external_provision": true}}})))
        .await;
    assert_problem(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("legacy.answers.research_use"),
    );
    assert_eq!(e.snapshot().await, before);
}

#[tokio::test]
async fn mistyped_participant_id_is_422_and_changes_nothing() {
    let e = env().await;
    let s = e.seeded_participant().await;
    let before = e.snapshot().await;
    let bad = typo(&s.pid);
    let r = e
        .call(
            "GET",
            &format!("/api/v1/participants/{bad}"),
            Some("facility"),
            None,
        )
        .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, Some("participant_id"));
    assert!(
        r.json["detail"]
            .as_str()
            .unwrap()
            .contains("check character")
    );
    let r = e
        .call(
            "POST",
            &format!("/api/v1/participants/{bad}/consents"),
            Some("facility"),
            Some(json!({"action": "withdraw"})),
        )
        .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, Some("participant_id"));
    let r = e
        .call(
            "POST",
            "/api/v1/participants",
            Some("facility"),
            Some(json!({"id": bad, "disease_area": "cancer"})),
        )
        .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, Some("id"));
    let r = e.call("POST", "/api/v1/lineage/nodes", Some("facility"), Some(json!({"kind": "specimen", "participant_id": bad, "specimen_type": "peripheral_blood", "collected_on": "2026-01-01"}))).await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, Some("participant_id"));
    assert_eq!(e.snapshot().await, before);
}

#[tokio::test]
async fn mistyped_and_duplicate_barcodes() {
    let e = env().await;
    let s = e.seeded_participant().await;
    let before = e.snapshot().await;
    let r = e
        .call("POST", "/api/v1/lineage/nodes", Some("facility"), Some(json!({"kind": "aliquot", "parent_id": s.specimen.0, "barcode": typo("AL00001234")})))
        .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, Some("barcode"));
    let r = e
        .call(
            "GET",
            &format!("/api/v1/libraries/{}", typo(&s.library.1)),
            Some("centre"),
            None,
        )
        .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, Some("barcode"));
    // a specimen barcode on an aliquot
    let r = e
        .call(
            "POST",
            "/api/v1/lineage/nodes",
            Some("facility"),
            Some(json!({"kind": "aliquot", "parent_id": s.specimen.0, "barcode": s.specimen.1})),
        )
        .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, Some("barcode"));
    // the same specimen barcode again
    let r = e
        .call("POST", "/api/v1/lineage/nodes", Some("facility"), Some(json!({"kind": "specimen", "participant_id": s.pid, "barcode": s.specimen.1, "specimen_type": "peripheral_blood", "collected_on": "2026-05-02"})))
        .await;
    assert_problem(&r, StatusCode::CONFLICT, Some("barcode"));
    assert_eq!(e.snapshot().await, before);
}

#[tokio::test]
async fn wrong_parent_kind_is_422_and_changes_nothing() {
    let e = env().await;
    let s = e.seeded_participant().await;
    let before = e.snapshot().await;
    let r = e
        .call(
            "POST",
            "/api/v1/lineage/nodes",
            Some("facility"),
            Some(json!({"kind": "library", "parent_id": s.specimen.0, "strategy": "wgs"})),
        )
        .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, Some("parent_id"));
    assert!(
        r.json["detail"]
            .as_str()
            .unwrap()
            .contains("must hang under an extract"),
        "{}",
        r.text
    );
    let r = e
        .call(
            "POST",
            "/api/v1/lineage/nodes",
            Some("centre"),
            Some(json!({"kind": "file", "parent_id": s.library.0, "format": "vcf"})),
        )
        .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, Some("parent_id"));
    let r = e
        .call(
            "POST",
            "/api/v1/lineage/nodes",
            Some("facility"),
            Some(json!({"kind": "extract", "parent_id": "no-such-node", "analyte": "dna"})),
        )
        .await;
    assert_problem(&r, StatusCode::NOT_FOUND, None);
    assert_eq!(e.snapshot().await, before);
}

#[tokio::test]
async fn amending_a_withdrawn_consent_is_409() {
    let e = env().await;
    let s = e.seeded_participant().await;
    let url = format!("/api/v1/participants/{}/consents", s.pid);
    let r = e
        .call(
            "POST",
            &url,
            Some("facility"),
            Some(json!({"action": "withdraw", "reason": "本人の申し出"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json["current"]["state"], "withdrawn");
    assert_eq!(r.json["events"][1]["reason"], "本人の申し出");
    let before = e.snapshot().await;
    let mut amend = give();
    amend["action"] = json!("amend");
    let r = e.call("POST", &url, Some("facility"), Some(amend)).await;
    assert_problem(&r, StatusCode::CONFLICT, None);
    assert!(
        r.json["detail"]
            .as_str()
            .unwrap()
            .contains("new consent must be given")
    );
    // nothing new may hang under a withdrawn participant
    let r = e
        .call(
            "POST",
            "/api/v1/lineage/nodes",
            Some("facility"),
            Some(json!({"kind": "aliquot", "parent_id": s.specimen.0})),
        )
        .await;
    assert_problem(&r, StatusCode::CONFLICT, Some("participant_id"));
    // withdrawing twice is a conflict too
    let r = e
        .call(
            "POST",
            &url,
            Some("facility"),
            Some(json!({"action": "withdraw"})),
        )
        .await;
    assert_problem(&r, StatusCode::CONFLICT, None);
    // a consent in the future is refused
    let mut g = give();
    g["effective_at"] = json!("2999-01-01T00:00:00Z");
    let r = e.call("POST", &url, Some("facility"), Some(g)).await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, Some("effective_at"));
    assert_eq!(e.snapshot().await, before);
    // a new consent may be given
    let r = e.call("POST", &url, Some("facility"), Some(give())).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json["current"]["state"], "active");
    assert_eq!(r.json["events"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn unknown_role_is_403() {
    let e = env().await;
    let before = e.snapshot().await;
    for (m, uri) in [
        ("GET", "/api/v1/me"),
        ("GET", "/api/v1/participants"),
        ("GET", "/api/v1/organisations"),
    ] {
        let r = e.call(m, uri, Some("unknown_role"), None).await;
        assert_problem(&r, StatusCode::FORBIDDEN, None);
        assert!(r.json["detail"].as_str().unwrap().contains("unknown role"));
    }
    let r = e
        .call(
            "POST",
            "/api/v1/participants",
            Some("unknown_role"),
            Some(json!({"disease_area": "cancer"})),
        )
        .await;
    assert_problem(&r, StatusCode::FORBIDDEN, None);
    // creating a user with an unknown role names the field
    let r = e
        .call(
            "POST",
            "/api/v1/users",
            Some("admin"),
            Some(json!({"username": "x.y", "display_name": "X", "role": "superuser"})),
        )
        .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, Some("role"));
    assert_eq!(e.snapshot().await, before);
}

#[tokio::test]
async fn wrong_or_missing_totp_is_401_without_saying_which_factor() {
    let e = env().await;
    let (pw, totp) = e.passwords["facility"].clone();
    let login = |username: &str, password: &str, code: &str| json!({"username": username, "password": password, "totp": code});
    let good_code = totp_code(&totp, unix_now());
    let wrong_code = if good_code == "000000" {
        "111111"
    } else {
        "000000"
    };
    let cases = [
        login("sub.tky", &pw, wrong_code),
        login("sub.tky", &pw, ""),
        login("sub.tky", "wrong password!", &good_code),
        login("nobody", &pw, &good_code),
    ];
    let before = e.snapshot().await;
    let mut bodies = Vec::new();
    for c in cases {
        let r = e.call("POST", "/api/v1/auth/login", None, Some(c)).await;
        assert_problem(&r, StatusCode::UNAUTHORIZED, None);
        bodies.push(r.text);
    }
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "the answers differ: {bodies:?}"
    );
    // a missing totp field is the same 401, not a schema hint
    let r = e
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "sub.tky", "password": pw})),
        )
        .await;
    assert_eq!(r.text, bodies[0]);
    // failures are audited (for detection), nothing else changed
    let after = e.snapshot().await;
    assert_eq!((after.2, after.3), (before.2, before.3));
    let failed = e.app.store().audit_recent(None, 10).await.unwrap();
    assert_eq!(
        failed
            .iter()
            .filter(|a| a.action == "auth.login_failed")
            .count(),
        5
    );
    assert!(e.app.store().verify_audit().await.unwrap().is_ok());
}

#[tokio::test]
async fn a_totp_code_cannot_be_replayed() {
    let e = env().await;
    let (pw, totp) = e.passwords["staff"].clone();
    // the harness logged in with the current step; the same code again is refused
    let code = totp_code(&totp, unix_now());
    let r = e
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "staff", "password": pw, "totp": code})),
        )
        .await;
    if r.status == StatusCode::OK {
        // the clock moved to a new step between the two logins: replay that one
        let again = e
            .call(
                "POST",
                "/api/v1/auth/login",
                None,
                Some(json!({"username": "staff", "password": pw, "totp": code})),
            )
            .await;
        assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(again.text.contains("already used"), "{}", again.text);
    } else {
        // refused, and said why (only a right password and a right code get
        // this far, so saying so tells an attacker nothing)
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.text.contains("already used"), "{}", r.text);
    }
}

#[tokio::test]
async fn login_is_rate_limited() {
    let e = env().await;
    let bad = json!({"username": "dac", "password": "wrong password!", "totp": "123456"});
    for _ in 0..5 {
        let r = e
            .call("POST", "/api/v1/auth/login", None, Some(bad.clone()))
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = e.call("POST", "/api/v1/auth/login", None, Some(bad)).await;
    assert_problem(&r, StatusCode::TOO_MANY_REQUESTS, None);
    assert!(r.headers.contains_key("retry-after"));
    // even the right credentials are refused while locked
    let (pw, totp) = e.passwords["dac"].clone();
    let r = e
        .call("POST", "/api/v1/auth/login", None, Some(json!({"username": "dac", "password": pw, "totp": totp_code(&totp, unix_now() + 30)})))
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn another_facilitys_participant_is_404_like_a_missing_one() {
    let e = env().await;
    let s = e.seeded_participant().await;
    let before = e.snapshot().await;
    let other = e
        .call(
            "GET",
            &format!("/api/v1/participants/{}", s.pid),
            Some("facility_other"),
            None,
        )
        .await;
    assert_problem(&other, StatusCode::NOT_FOUND, None);
    let missing_id = zenome_domain::id::ParticipantId::from_body("ZZZZZZZZ").unwrap();
    let missing = e
        .call(
            "GET",
            &format!("/api/v1/participants/{missing_id}"),
            Some("facility_other"),
            None,
        )
        .await;
    assert_eq!(
        other.text, missing.text,
        "must not reveal that the participant exists"
    );
    for (m, uri, body) in [
        (
            "GET",
            format!("/api/v1/participants/{}/lineage", s.pid),
            None,
        ),
        (
            "GET",
            format!("/api/v1/participants/{}/consents", s.pid),
            None,
        ),
        (
            "POST",
            format!("/api/v1/participants/{}/consents", s.pid),
            Some(json!({"action": "withdraw"})),
        ),
        (
            "GET",
            format!("/api/v1/lineage/nodes/{}", s.specimen.0),
            None,
        ),
        (
            "PATCH",
            format!("/api/v1/lineage/nodes/{}", s.specimen.0),
            Some(json!({"status": "exhausted"})),
        ),
        ("GET", format!("/api/v1/libraries/{}", s.library.1), None),
    ] {
        let r = e.call(m, &uri, Some("facility_other"), body).await;
        assert_problem(&r, StatusCode::NOT_FOUND, None);
    }
    let r = e
        .call(
            "POST",
            "/api/v1/lineage/nodes",
            Some("facility_other"),
            Some(json!({"kind": "aliquot", "parent_id": s.specimen.0})),
        )
        .await;
    assert_problem(&r, StatusCode::NOT_FOUND, None);
    let list = e
        .call("GET", "/api/v1/participants", Some("facility_other"), None)
        .await;
    assert_eq!(list.json["total"], 0);
    assert_eq!(e.snapshot().await, before);
}

#[tokio::test]
async fn malformed_bodies_name_the_field() {
    let e = env().await;
    let before = e.snapshot().await;
    let r = e
        .call(
            "POST",
            "/api/v1/participants",
            Some("facility"),
            Some(json!({"sex": "female"})),
        )
        .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, Some("disease_area"));
    let r = e
        .call(
            "POST",
            "/api/v1/participants",
            Some("facility"),
            Some(json!({"disease_area": "flu"})),
        )
        .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, Some("disease_area"));
    let r = e
        .call(
            "POST",
            "/api/v1/participants",
            Some("facility"),
            Some(json!({"disease_area": "cancer", "name": "山田太郎"})),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown fields (e.g. a name) are refused: {}",
        r.text
    );
    let r = e.call("POST", "/api/v1/lineage/nodes", Some("facility"), Some(json!({"kind": "specimen", "participant_id": "ZP00000000", "specimen_type": "tumour_tissue", "collected_on": "2026-13-45"}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = e
        .call(
            "POST",
            "/api/v1/lineage/nodes",
            Some("facility"),
            Some(json!({"kind": "extract", "parent_id": "x", "yield_ng": "lots"})),
        )
        .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, Some("yield_ng"));
    let r = e
        .call(
            "GET",
            "/api/v1/participants?limit=100000",
            Some("staff"),
            None,
        )
        .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, Some("limit"));
    assert_eq!(e.snapshot().await, before);
}

#[tokio::test]
async fn injection_and_traversal_strings_are_stored_as_text() {
    let e = env().await;
    let s = e.seeded_participant().await;
    let nasty = "'; DROP TABLE participants; -- ../../etc/passwd <script>alert(1)</script>";
    let r = e
        .call(
            "POST",
            "/api/v1/lineage/nodes",
            Some("facility"),
            Some(json!({"kind": "aliquot", "parent_id": s.specimen.0})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = e
        .call("POST", "/api/v1/lineage/nodes", Some("facility"), Some(json!({"kind": "library", "parent_id": s.extract.0, "strategy": "wgs", "kit": nasty})))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json["details"]["kit"], nasty);
    let r = e
        .call(
            "GET",
            &format!("/api/v1/participants/{}/lineage", s.pid),
            Some("facility"),
            None,
        )
        .await;
    assert!(r.text.contains("DROP TABLE"));
    let r = e
        .call(
            "GET",
            "/api/v1/lineage/nodes/..%2F..%2Fetc%2Fpasswd",
            Some("staff"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(e.app.store().verify_audit().await.unwrap().is_ok());
    assert_eq!(
        e.call("GET", "/api/v1/participants", Some("staff"), None)
            .await
            .json["total"],
        1
    );
}
