//! Return of results end to end (issue 13), on SQLite and PostgreSQL:
//! a cancer patient's report with a therapy match goes draft → review →
//! sign-off with a second factor → release → acknowledgement → conveyed;
//! only the collecting facility's clinician receives it; consent is read at
//! each step (a withdrawal between review and release stops it and the
//! facility sees why); a genome on identity hold is not reported; a
//! rare-disease report carries the candidate diagnoses; recontact requests
//! respect the patient's wish; a re-analysis that changes the findings
//! drafts a new version, supersedes the old and proposes a recontact.

use http::StatusCode;
use serde_json::{Value, json};
use zenome_app::Actor;
use zenome_app::auth::NewUserSpec;
use zenome_auth::{Secret, TotpSecret, totp_code};
use zenome_store::UserKind;

use crate::harness::{Env, unix_now};

/// A fresh TOTP code of `label` (a later step than the harness' login).
pub(crate) fn code(e: &Env, label: &str) -> String {
    totp_code(&e.passwords[label].1, unix_now() + 30)
}

/// A clinician of Osaka (OSK-CC), logged in: its session token.
async fn other_clinician(e: &Env) -> String {
    let totp = TotpSecret::generate();
    let pw = "pw-clin.osk-correct-horse".to_string();
    e.app
        .create_user(
            &Actor::local(),
            NewUserSpec {
                username: "clin.osk".into(),
                display_name: "大阪の臨床医".into(),
                kind: UserKind::Human,
                role: "clinician".into(),
                scope: Some("OSK-CC".into()),
                password: Some(Secret::new(pw.clone())),
                totp: Some(totp.clone()),
            },
        )
        .await
        .unwrap();
    e.app
        .login("clin.osk", &pw, &totp_code(&totp, unix_now()), None)
        .await
        .unwrap()
        .token
        .expose()
        .clone()
}

async fn draft(e: &Env, pid: &str) -> Value {
    let r = e
        .call(
            "POST",
            "/api/v1/reports",
            Some("staff"),
            Some(json!({"participant_id": pid})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.json
}

async fn step(
    e: &Env,
    who: &str,
    id: &str,
    what: &str,
    body: Option<Value>,
) -> crate::harness::Resp {
    e.call(
        "POST",
        &format!("/api/v1/reports/{id}/{what}"),
        Some(who),
        Some(body.unwrap_or(json!({}))),
    )
    .await
}

async fn signed_off(e: &Env, pid: &str) -> String {
    let d = draft(e, pid).await;
    let id = d["id"].as_str().unwrap().to_string();
    let r = step(
        e,
        "staff",
        &id,
        "sign-off",
        Some(json!({"totp": code(e, "staff")})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    id
}

async fn a_cancer_report_goes_through_the_whole_workflow(e: Env, _kit: zenome_demo::AnnotationKit) {
    let pid = crate::findings::patient_with(&e, "EGFR").await;
    e.app
        .run_annotation(&Actor::local(), "requested", None)
        .await
        .unwrap()
        .unwrap();
    // only staff draft
    for who in ["facility", "clinician", "academic", "admin"] {
        let r = e
            .call(
                "POST",
                "/api/v1/reports",
                Some(who),
                Some(json!({"participant_id": pid})),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}: {}", r.text);
    }
    let d = draft(&e, &pid).await;
    let id = d["id"].as_str().unwrap().to_string();
    assert_eq!(d["status"], "draft");
    assert_eq!(d["version"], 1);
    assert_eq!(d["facility"], "TKY-UH");
    let c = &d["content"];
    assert!(
        c["therapies"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["therapies"].as_str().unwrap().contains("Osimertinib") && t["level"] == "A"),
        "{c}"
    );
    assert!(
        c["variants"][0]["hgvsp"]
            .as_str()
            .unwrap()
            .contains("p.Leu858Arg"),
        "{c}"
    );
    assert_eq!(
        c["secondary_note"], "not_wanted",
        "the patient chose no secondary findings"
    );
    assert!(c["limitations"].as_array().unwrap().len() >= 4);

    // the facility's clinician does not see a draft
    let r = e
        .call("GET", "/api/v1/reports", Some("clinician"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json, json!([]));
    let r = e
        .call(
            "GET",
            &format!("/api/v1/reports/{id}"),
            Some("clinician"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // review: comments and the interpretation, by staff only
    let r = step(
        &e,
        "clinician",
        &id,
        "comments",
        Some(json!({"comment": "x"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = step(
        &e,
        "staff",
        &id,
        "comments",
        Some(json!({"comment": "EGFR L858R は確認済み"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = e
        .call(
            "PUT",
            &format!("/api/v1/reports/{id}/interpretation"),
            Some("staff"),
            Some(
                json!({"interpretation": "EGFR L858R: オシメルチニブの適応 (エビデンスレベルA)。"}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(
        r.json["content"]["interpretation"]
            .as_str()
            .unwrap()
            .contains("オシメルチニブ")
    );
    let sha_draft = r.json["content_sha256"].as_str().unwrap().to_string();
    assert_ne!(
        sha_draft, d["content_sha256"],
        "the digest follows the content"
    );

    // release needs a sign-off; a sign-off needs a right, unused second factor
    let r = step(&e, "staff", &id, "release", None).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(r.text.contains("cannot be released"), "{}", r.text);
    let r = step(&e, "staff", &id, "sign-off", None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = step(
        &e,
        "staff",
        &id,
        "sign-off",
        Some(json!({"totp": "000000"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("second factor"), "{}", r.text);
    let good = code(&e, "staff");
    let r = step(&e, "staff", &id, "sign-off", Some(json!({"totp": good}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["status"], "signed_off");
    assert!(r.json["signed_off_by"].as_str().unwrap().contains("staff"));
    // signed off: the interpretation is frozen
    let r = e
        .call(
            "PUT",
            &format!("/api/v1/reports/{id}/interpretation"),
            Some("staff"),
            Some(json!({"interpretation": "changed"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);

    let r = step(&e, "staff", &id, "release", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["status"], "released");
    assert_eq!(
        r.json["content_sha256"],
        sha_draft.as_str(),
        "what was signed is what is sent"
    );

    // the collecting facility's clinician receives it, nobody else
    let r = e
        .call("GET", "/api/v1/reports", Some("clinician"), None)
        .await;
    assert_eq!(r.json[0]["id"], id.as_str(), "{}", r.text);
    assert_eq!(
        r.json[0]["links"]["pdf"],
        format!("/api/v1/reports/{id}/pdf")
    );
    let other = other_clinician(&e).await;
    let req = http::Request::get(format!("/api/v1/reports/{id}"))
        .header("authorization", format!("Bearer {other}"))
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(
        e.send(req).await.status,
        StatusCode::NOT_FOUND,
        "another facility's clinician"
    );
    let req = http::Request::get("/api/v1/reports")
        .header("authorization", format!("Bearer {other}"))
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(e.send(req).await.json, json!([]));
    for (who, status) in [
        ("facility", 403),
        ("facility_other", 403),
        ("academic", 403),
        ("dac", 403),
        ("admin", 403),
        ("centre", 403),
    ] {
        let r = e
            .call("GET", &format!("/api/v1/reports/{id}"), Some(who), None)
            .await;
        assert_eq!(r.status.as_u16(), status, "{who}");
    }
    let r = e
        .call("GET", &format!("/api/v1/reports/{id}"), None, None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = e
        .call(
            "GET",
            &format!("/api/v1/reports/{id}/html"),
            Some("clinician"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.text.contains("ゲノム解析結果報告書") && r.text.contains("Osimertinib"),
        "{}",
        r.text
    );

    // the clinician acknowledges, then records when the patient was told
    let r = step(&e, "staff", &id, "acknowledge", None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = step(
        &e,
        "clinician",
        &id,
        "conveyed",
        Some(json!({"conveyed_on": "2026-12-08"})),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "conveyed before acknowledged: {}",
        r.text
    );
    let r = step(&e, "clinician", &id, "acknowledge", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    for bad in ["2026-13-01", "明日", "2099-01-01", "2000-01-01"] {
        let r = step(
            &e,
            "clinician",
            &id,
            "conveyed",
            Some(json!({"conveyed_on": bad})),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.text
        );
    }
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let r = step(
        &e,
        "clinician",
        &id,
        "conveyed",
        Some(json!({"conveyed_on": today})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["status"], "conveyed");
    assert_eq!(r.json["conveyed_on"], today.as_str());
    let actions: Vec<String> = r.json["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        actions,
        [
            "draft",
            "comment",
            "edit_interpretation",
            "sign_off",
            "release",
            "acknowledge",
            "convey"
        ]
    );
    // every step is in the audit trail
    let audit = e.app.store().audit_after(0, 100_000).await.unwrap();
    for a in [
        "report.draft",
        "report.sign_off",
        "report.release",
        "report.acknowledge",
        "report.convey",
    ] {
        assert!(audit.iter().any(|x| x.action == a), "{a} not audited");
    }
}

async fn withdrawal_before_release_stops_it_and_the_facility_is_told(
    e: Env,
    _kit: zenome_demo::AnnotationKit,
) {
    let pid = crate::findings::patient_with(&e, "EGFR").await;
    e.app
        .run_annotation(&Actor::local(), "requested", None)
        .await
        .unwrap();
    let id = signed_off(&e, &pid).await;
    let w = e
        .call(
            "POST",
            &format!("/api/v1/participants/{pid}/consents"),
            Some("facility"),
            Some(json!({"action": "withdraw", "reason": "本人の申し出"})),
        )
        .await;
    assert_eq!(w.status, StatusCode::CREATED, "{}", w.text);
    let r = step(&e, "staff", &id, "release", None).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    // the facility sees the stop and why, not the content
    let r = e
        .call("GET", "/api/v1/reports", Some("clinician"), None)
        .await;
    let notice = &r.json[0];
    assert_eq!(notice["status"], "stopped", "{}", r.text);
    assert!(
        notice["stopped_reason"]
            .as_str()
            .unwrap()
            .contains("withdrawn"),
        "{notice}"
    );
    assert_eq!(notice["links"], json!({}));
    let r = e
        .call(
            "GET",
            &format!("/api/v1/reports/{id}/html"),
            Some("clinician"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = e
        .call(
            "GET",
            &format!("/api/v1/reports/{id}"),
            Some("clinician"),
            None,
        )
        .await;
    assert!(r.json.get("content").is_none(), "{}", r.text);
    // and no new report for a withdrawn patient
    let r = e
        .call(
            "POST",
            "/api/v1/reports",
            Some("staff"),
            Some(json!({"participant_id": pid})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
}

async fn reanalysis_redrafts_supersedes_and_proposes_a_recontact(
    e: Env,
    _kit: zenome_demo::AnnotationKit,
) {
    let pid = crate::findings::patient_with(&e, "EGFR").await;
    // the patient wants secondary findings
    let mut amend = crate::harness::give();
    amend["action"] = json!("amend");
    amend["answers"]["secondary_findings"] = json!(true);
    let a = e
        .call(
            "POST",
            &format!("/api/v1/participants/{pid}/consents"),
            Some("facility"),
            Some(amend),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    e.app
        .run_annotation(&Actor::local(), "requested", None)
        .await
        .unwrap();
    let id = signed_off(&e, &pid).await;
    assert_eq!(
        step(&e, "staff", &id, "release", None).await.status,
        StatusCode::OK
    );
    // nothing changed: nothing redrafted
    let r = e
        .call(
            "POST",
            "/api/v1/reports/reanalysis",
            Some("staff"),
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["redrafted"], json!([]), "{}", r.text);
    // the germline genome arrives with a BRCA1 frameshift (ClinVar
    // pathogenic) and is annotated: the run re-analyses the reports itself
    let path = e.app.config().data_dir.join("brca1.vcf");
    std::fs::write(&path, zenome_demo::germline_vcf(11, &pid)).unwrap();
    e.app.load_variants(&Actor::local(), &path).await.unwrap();
    e.app
        .run_annotation(&Actor::local(), "requested", None)
        .await
        .unwrap();
    let r = e.call("GET", "/api/v1/reports", Some("staff"), None).await;
    let mine: Vec<&Value> = r
        .json
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["participant_id"] == pid.as_str())
        .collect();
    assert_eq!(mine.len(), 2, "{}", r.text);
    let v2 = mine.iter().find(|x| x["version"] == 2).unwrap();
    let v1 = mine.iter().find(|x| x["version"] == 1).unwrap();
    assert_eq!(v2["status"], "draft");
    assert_eq!(v1["status"], "superseded");
    assert_eq!(v1["superseded_by"], v2["id"]);
    // the facility still has the old one, marked superseded
    let r = e
        .call("GET", "/api/v1/reports", Some("clinician"), None)
        .await;
    assert_eq!(r.json[0]["status"], "superseded", "{}", r.text);
    // a recontact proposal for staff; the facility sees it once confirmed
    let r = e
        .call("GET", "/api/v1/recontacts", Some("staff"), None)
        .await;
    let p = &r.json[0];
    assert_eq!(p["status"], "proposed", "{}", r.text);
    assert_eq!(p["reason"], "new_finding");
    assert_eq!(p["report_id"], v2["id"]);
    let r = e
        .call("GET", "/api/v1/recontacts", Some("clinician"), None)
        .await;
    assert_eq!(r.json, json!([]));
    let rid = p["id"].as_str().unwrap();
    let r = step_recontact(&e, "clinician", rid, "confirm", None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = step_recontact(&e, "staff", rid, "confirm", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = e
        .call("GET", "/api/v1/recontacts", Some("clinician"), None)
        .await;
    assert_eq!(r.json[0]["status"], "open", "{}", r.text);
    let r = step_recontact(
        &e,
        "clinician",
        rid,
        "outcome",
        Some(json!({"outcome": "外来で説明し、再検査に同意"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["status"], "closed");
    let r = step_recontact(
        &e,
        "clinician",
        rid,
        "outcome",
        Some(json!({"outcome": "again"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
}

async fn step_recontact(
    e: &Env,
    who: &str,
    id: &str,
    what: &str,
    body: Option<Value>,
) -> crate::harness::Resp {
    e.call(
        "POST",
        &format!("/api/v1/recontacts/{id}/{what}"),
        Some(who),
        Some(body.unwrap_or(json!({}))),
    )
    .await
}

async fn recontact_respects_the_wish(e: Env, _kit: zenome_demo::AnnotationKit) {
    let s = e.seeded_participant().await;
    let raise = |pid: String| {
        let e = &e;
        async move {
            e.call(
                "POST",
                "/api/v1/recontacts",
                Some("staff"),
                Some(json!({"participant_id": pid, "reason": "trial", "detail": "jRCT2031230001 に該当"})),
            )
            .await
        }
    };
    let r = raise(s.pid.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = e
        .call("GET", "/api/v1/recontacts", Some("clinician"), None)
        .await;
    assert_eq!(r.json.as_array().unwrap().len(), 1, "{}", r.text);
    let r = e
        .call(
            "POST",
            "/api/v1/recontacts",
            Some("staff"),
            Some(json!({"participant_id": s.pid, "reason": "gossip", "detail": "x"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    // the patient now declines recontact: never listed, no new request
    let mut amend = crate::harness::give();
    amend["action"] = json!("amend");
    amend["answers"]["recontact"] = json!(false);
    let a = e
        .call(
            "POST",
            &format!("/api/v1/participants/{}/consents", s.pid),
            Some("facility"),
            Some(amend),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    for who in ["clinician", "staff"] {
        let r = e.call("GET", "/api/v1/recontacts", Some(who), None).await;
        assert_eq!(r.json, json!([]), "{who}: {}", r.text);
    }
    let r = raise(s.pid.clone()).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(r.text.contains("recontact"), "{}", r.text);
    for who in ["facility", "academic", "dac"] {
        let r = e.call("GET", "/api/v1/recontacts", Some(who), None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}");
    }
}

async fn identity_hold_refuses_a_report(e: Env, _kit: zenome_demo::AnnotationKit) {
    let s = e.seeded_participant().await;
    let mut tx = e
        .app
        .store()
        .begin(zenome_store::AuditEntry::new(
            "system",
            "identity.hold",
            "test",
        ))
        .await
        .unwrap();
    tx.open_identity_hold(&s.library.0, &s.pid).await.unwrap();
    tx.commit().await.unwrap();
    let r = e
        .call(
            "POST",
            "/api/v1/reports",
            Some("staff"),
            Some(json!({"participant_id": s.pid})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(r.text.contains("identity check"), "{}", r.text);
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let (e, kit) = crate::findings::env("sqlite").await.unwrap();
                    super::$name(e, kit).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    if let Some((e, kit)) = crate::findings::env("postgres").await {
                        super::$name(e, kit).await
                    }
                }
            )*
        }
    };
}

both!(
    a_cancer_report_goes_through_the_whole_workflow,
    withdrawal_before_release_stops_it_and_the_facility_is_told,
    reanalysis_redrafts_supersedes_and_proposes_a_recontact,
    recontact_respects_the_wish,
    identity_hold_refuses_a_report,
);

/// A rare-disease report carries the candidate diagnoses, and its PDF
/// (rendered by Chromium) has them as text.
#[tokio::test]
async fn a_rare_disease_report_carries_the_candidate_diagnoses_into_the_pdf() {
    let e = crate::candidates::env("sqlite").await.unwrap();
    let pid = crate::clinical::enrolled(&e, "rare_disease", true).await;
    crate::clinical::submit_ok(
        &e,
        &pid,
        crate::candidates::record(&pid, &crate::candidates::MARFAN),
    )
    .await;
    crate::candidates::load(&e, "FBN1", &pid).await;
    let d = draft(&e, &pid).await;
    assert_eq!(d["kind"], "rare_disease");
    let c = &d["content"]["candidates"][0];
    assert_eq!(c["gene"], "FBN1", "{}", d);
    assert_eq!(c["rank"], 1);
    assert!(
        c["variants"][0].as_str().unwrap().contains("c.2999del"),
        "{c}"
    );
    let id = d["id"].as_str().unwrap().to_string();
    let r = step(
        &e,
        "staff",
        &id,
        "sign-off",
        Some(json!({"totp": code(&e, "staff")})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // the same code again: replayed, refused (on a new draft of the same patient)
    let d2 = draft(&e, &pid).await;
    let id2 = d2["id"].as_str().unwrap();
    let r = step(
        &e,
        "staff",
        id2,
        "sign-off",
        Some(json!({"totp": code(&e, "staff")})),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a used code: {}",
        r.text
    );
    let r = e
        .call("GET", &format!("/api/v1/reports/{id}"), Some("staff"), None)
        .await;
    assert_eq!(
        r.json["status"], "superseded",
        "the second draft supersedes the first"
    );
    let r = e
        .call(
            "GET",
            &format!("/api/v1/reports/{id2}/pdf"),
            Some("staff"),
            None,
        )
        .await;
    if r.status == StatusCode::CONFLICT && std::env::var_os("CI").is_none() {
        eprintln!("skipped the PDF: {}", r.text);
        return;
    }
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.headers["content-type"], "application/pdf");
    assert!(r.text.starts_with("%PDF-"));
}
