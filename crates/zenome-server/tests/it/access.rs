//! Secondary use end to end: datasets, applications, DAC review, grants
//! enforced with consent on every read, visas, alerts, transparency, and
//! the attacks the issue lists.

use http::StatusCode;
use serde_json::{Value, json};

use crate::harness::{Env, give};

/// A cohort for access tests: cancer participants with consent (one with
/// no industry use), rare-disease ones with and without the industry
/// opt-in, one never consented; two datasets.
pub struct Cohort {
    pub cancer: Vec<String>,
    pub cancer_no_industry: String,
    pub rare_opt_in: String,
    pub rare_no_opt_in: String,
}

pub async fn cohort(e: &Env) -> Cohort {
    let new = |area: &'static str| async move {
        let r = e
            .call(
                "POST",
                "/api/v1/participants",
                Some("facility"),
                Some(json!({"disease_area": area})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.json["id"].as_str().unwrap().to_string()
    };
    let consent = |pid: String, body: Value| async move {
        let r = e
            .call(
                "POST",
                &format!("/api/v1/participants/{pid}/consents"),
                Some("facility"),
                Some(body),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    };
    let mut cancer = Vec::new();
    for _ in 0..3 {
        let p = new("cancer").await;
        consent(p.clone(), give()).await;
        cancer.push(p);
    }
    let cancer_no_industry = new("cancer").await;
    let mut g = give();
    g["answers"]["industrial_use"] = json!(false);
    consent(cancer_no_industry.clone(), g).await;
    let rare_opt_in = new("rare_disease").await;
    let mut g = give();
    g["answers"]["industrial_use"] = json!(true);
    consent(rare_opt_in.clone(), g).await;
    let rare_no_opt_in = new("rare_disease").await;
    consent(rare_no_opt_in.clone(), give()).await;
    let _never = new("cancer").await;
    for (id, title, area) in [
        ("cancer-wgs-r1", "Cancer WGS release 1", "cancer"),
        ("rare-wgs-r1", "Rare disease WGS release 1", "rare_disease"),
    ] {
        let r = e
            .call(
                "POST",
                "/api/v1/datasets",
                Some("staff"),
                Some(json!({"id": id, "title": title, "title_ja": "全ゲノム 第1版", "security_level": "2", "data_types": ["vcf", "cram", "clinical"], "requirement_scope": "health_medical"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let r = e
            .call(
                "POST",
                &format!("/api/v1/datasets/{id}/members"),
                Some("staff"),
                Some(json!({"disease_area": area})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    Cohort {
        cancer,
        cancer_no_industry,
        rare_opt_in,
        rare_no_opt_in,
    }
}

pub fn application(datasets: &[&str], types: &[&str]) -> Value {
    json!({
        "title": "Germline predisposition in lung cancer",
        "affiliation": "Kyoto University",
        "purpose": {"scope": "health_medical", "description": "Association study of germline variants and lung cancer risk in Japanese patients.", "ethics_approval": true, "ethics_reference": "R-2026-001"},
        "datasets": datasets,
        "data_types": types,
        "start": "2026-01-01",
        "end": "2027-12-31",
        "agreement_accepted": "ZENOME-DAA-2026.1"
    })
}

/// Drafts, submits and approves an application for `who`; returns the grant id.
pub async fn granted(e: &Env, who: &str, datasets: &[&str], types: &[&str]) -> String {
    let r = e
        .call(
            "POST",
            "/api/v1/applications",
            Some(who),
            Some(application(datasets, types)),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.json["id"].as_str().unwrap().to_string();
    let r = e
        .call(
            "POST",
            &format!("/api/v1/applications/{id}/submit"),
            Some(who),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = e
        .call(
            "POST",
            &format!("/api/v1/applications/{id}/votes"),
            Some("dac"),
            Some(json!({"conflict_of_interest": false, "decision": "approve"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    if r.json["state"] != "approved" {
        let r = e
            .call(
                "POST",
                &format!("/api/v1/applications/{id}/votes"),
                Some("dac2"),
                Some(json!({"conflict_of_interest": false, "decision": "approve"})),
            )
            .await;
        assert_eq!(r.json["state"], "approved", "{}", r.text);
    }
    let r = e
        .call(
            "GET",
            &format!("/api/v1/applications/{id}"),
            Some(who),
            None,
        )
        .await;
    r.json["grant_id"].as_str().unwrap().to_string()
}

fn ids(r: &crate::harness::Resp) -> Vec<String> {
    r.json["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect()
}

async fn alerts(e: &Env) -> Vec<Value> {
    let r = e.call("GET", "/api/v1/alerts", Some("staff"), None).await;
    assert_eq!(r.status, StatusCode::OK);
    r.json.as_array().unwrap().clone()
}

async fn academic_application_from_draft_to_grant_and_data(e: Env) {
    let c = cohort(&e).await;
    // preview: compatible participants and the fee, before submission
    let r = e
        .call(
            "POST",
            "/api/v1/applications/preview",
            Some("academic"),
            Some(application(&["cancer-wgs-r1"], &["vcf"])),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["datasets"][0]["members"], 5);
    assert_eq!(r.json["datasets"][0]["compatible"], 4);
    assert_eq!(r.json["datasets"][0]["without_consent"], 1);
    assert_eq!(r.json["cases"], 4);
    assert_eq!(
        r.json["fee_total"],
        4 * 1000,
        "academic: no base fee, 1,000 yen per VCF case"
    );
    assert!(
        r.json["problems"].as_array().unwrap().is_empty(),
        "{}",
        r.text
    );
    // draft, review with a request for changes, resubmission, approval
    let r = e
        .call(
            "POST",
            "/api/v1/applications",
            Some("academic"),
            Some(application(&["cancer-wgs-r1"], &["vcf"])),
        )
        .await;
    let id = r.json["id"].as_str().unwrap().to_string();
    let url = format!("/api/v1/applications/{id}");
    assert_eq!(
        e.call("GET", &url, Some("dac"), None).await.status,
        StatusCode::NOT_FOUND,
        "drafts are private"
    );
    let r = e
        .call("POST", &format!("{url}/submit"), Some("academic"), None)
        .await;
    assert_eq!(r.json["state"], "submitted");
    assert_eq!(r.json["fee_total"], 4000);
    let r = e
        .call("POST", &format!("{url}/assign"), Some("dac"), None)
        .await;
    assert_eq!(r.json["state"], "under_review");
    let r = e
        .call(
            "POST",
            &format!("{url}/request-changes"),
            Some("dac"),
            Some(json!({"text": "Add the ethics committee's reference number."})),
        )
        .await;
    assert_eq!(r.json["state"], "changes_requested");
    let r = e
        .call(
            "POST",
            &format!("{url}/comments"),
            Some("academic"),
            Some(json!({"text": "倫理審査番号を追記しました。"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let mut body = application(&["cancer-wgs-r1"], &["vcf"]);
    body["purpose"]["ethics_reference"] = json!("KU-2026-0042");
    assert_eq!(
        e.call("PUT", &url, Some("academic"), Some(body))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        e.call("POST", &format!("{url}/submit"), Some("academic"), None)
            .await
            .json["state"],
        "submitted"
    );
    let r = e.call("POST", &format!("{url}/votes"), Some("dac"), Some(json!({"conflict_of_interest": false, "decision": "approve_with_conditions", "reason": "no attempt at re-identification"}))).await;
    assert_eq!(
        r.json["state"], "approved",
        "academic rule set: one approval"
    );
    let grant = r.json["grant_id"].as_str().unwrap().to_string();
    let kinds: Vec<&str> = r.json["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "submitted",
            "assigned",
            "changes_requested",
            "comment",
            "edited",
            "submitted",
            "interests",
            "assigned",
            "vote",
            "decided"
        ]
    );
    // the grant states people, datasets, types, purpose, expiry and conditions
    let g = e
        .call(
            "GET",
            &format!("/api/v1/grants/{grant}"),
            Some("academic"),
            None,
        )
        .await;
    assert_eq!(g.json["status"], "active");
    assert_eq!(g.json["people"], json!(["res.acad"]));
    assert_eq!(g.json["data_types"], json!(["vcf"]));
    assert!(
        g.json["conditions"][0]
            .as_str()
            .unwrap()
            .contains("re-identification")
    );
    // an invoice was issued
    let inv = e.app.store().invoices_of(&id).await.unwrap();
    assert_eq!(inv.len(), 1);
    assert_eq!(inv[0].1, 4000);
    // the data read lists exactly the consenting participants
    let r = e
        .call(
            "GET",
            "/api/v1/datasets/cancer-wgs-r1/participants?data_type=vcf",
            Some("academic"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let mut got = ids(&r);
    got.sort();
    let mut want = c.cancer.clone();
    want.push(c.cancer_no_industry.clone());
    want.sort();
    assert_eq!(got, want);
    assert_eq!(r.json["via"], grant);
    let r = e
        .call(
            "GET",
            &format!(
                "/api/v1/datasets/cancer-wgs-r1/participants/{}?data_type=vcf",
                c.cancer[0]
            ),
            Some("academic"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // every read is in the audit trail
    let audit = e.app.store().audit_recent(None, 50).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a.action == "data.read" && a.actor == "user:res.acad")
    );
    assert!(
        audit
            .iter()
            .any(|a| a.action == "http.get" && a.target.contains("/participants/"))
    );
}

async fn industry_needs_two_approvals_and_excludes_rare_disease_without_opt_in(e: Env) {
    let c = cohort(&e).await;
    let r = e
        .call(
            "POST",
            "/api/v1/applications/preview",
            Some("industry"),
            Some(application(&["rare-wgs-r1", "cancer-wgs-r1"], &["vcf"])),
        )
        .await;
    let rare = &r.json["datasets"][0];
    assert_eq!(rare["members"], 2);
    assert_eq!(rare["compatible"], 1, "{}", r.text);
    assert!(
        rare["excluded"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("NPU")
    );
    assert_eq!(
        r.json["datasets"][1]["compatible"], 3,
        "the cancer participant who refused industry use is out"
    );
    assert_eq!(
        r.json["fee_total"],
        300_000 + 4 * 5_000,
        "industry base fee plus 5,000 yen per VCF case"
    );
    // FASTQ is not available under the industry rules; periods are shorter
    let mut a = application(&["rare-wgs-r1"], &["fastq"]);
    let r = e
        .call(
            "POST",
            "/api/v1/applications/preview",
            Some("industry"),
            Some(a.clone()),
        )
        .await;
    let problems = r.json["problems"].to_string();
    assert!(
        problems.contains("FASTQ cannot be requested under the industry rules")
            && problems.contains("fastq_need"),
        "{problems}"
    );
    a["data_types"] = json!(["vcf"]);
    a["end"] = json!("2029-12-31");
    let r = e
        .call("POST", "/api/v1/applications", Some("industry"), Some(a))
        .await;
    let id = r.json["id"].as_str().unwrap().to_string();
    let r = e
        .call(
            "POST",
            &format!("/api/v1/applications/{id}/submit"),
            Some("industry"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.json["field"], "end");
    // a proper one: two approvals needed
    let r = e
        .call(
            "POST",
            "/api/v1/applications",
            Some("industry"),
            Some(application(&["rare-wgs-r1"], &["vcf"])),
        )
        .await;
    let id = r.json["id"].as_str().unwrap().to_string();
    e.call(
        "POST",
        &format!("/api/v1/applications/{id}/submit"),
        Some("industry"),
        None,
    )
    .await;
    let r = e
        .call(
            "POST",
            &format!("/api/v1/applications/{id}/votes"),
            Some("dac"),
            Some(json!({"conflict_of_interest": false, "decision": "approve"})),
        )
        .await;
    assert_eq!(r.json["state"], "under_review");
    let r = e
        .call(
            "POST",
            &format!("/api/v1/applications/{id}/votes"),
            Some("dac"),
            Some(json!({"conflict_of_interest": false, "decision": "approve"})),
        )
        .await;
    assert_eq!(
        r.json["state"], "under_review",
        "the same member twice does not count twice"
    );
    let r = e
        .call(
            "POST",
            &format!("/api/v1/applications/{id}/votes"),
            Some("dac2"),
            Some(json!({"conflict_of_interest": false, "decision": "approve"})),
        )
        .await;
    assert_eq!(r.json["state"], "approved", "{}", r.text);
    let r = e
        .call(
            "GET",
            "/api/v1/datasets/rare-wgs-r1/participants",
            Some("industry"),
            None,
        )
        .await;
    assert_eq!(ids(&r), vec![c.rare_opt_in.clone()]);
    let r = e
        .call(
            "GET",
            &format!(
                "/api/v1/datasets/rare-wgs-r1/participants/{}",
                c.rare_no_opt_in
            ),
            Some("industry"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

async fn a_rejection_is_recorded_with_reasons(e: Env) {
    cohort(&e).await;
    let r = e
        .call(
            "POST",
            "/api/v1/applications",
            Some("academic"),
            Some(application(&["cancer-wgs-r1"], &["vcf"])),
        )
        .await;
    let id = r.json["id"].as_str().unwrap().to_string();
    e.call(
        "POST",
        &format!("/api/v1/applications/{id}/submit"),
        Some("academic"),
        None,
    )
    .await;
    let r = e
        .call(
            "POST",
            &format!("/api/v1/applications/{id}/votes"),
            Some("dac"),
            Some(json!({"conflict_of_interest": false, "decision": "reject"})),
        )
        .await;
    assert_eq!(r.json["field"], "reason", "a rejection states reasons");
    let r = e.call("POST", &format!("/api/v1/applications/{id}/votes"), Some("dac"), Some(json!({"conflict_of_interest": false, "decision": "reject", "reason": "the purpose is outside the consented scope"}))).await;
    assert_eq!(r.json["state"], "rejected");
    assert!(r.json["grant_id"].is_null());
    let last = r.json["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["detail"]["outcome"], "rejected");
    let r = e
        .call(
            "POST",
            &format!("/api/v1/applications/{id}/submit"),
            Some("academic"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
}

async fn a_dataset_outside_the_grant_is_403_and_raises_an_alert(e: Env) {
    cohort(&e).await;
    granted(&e, "academic", &["cancer-wgs-r1"], &["vcf"]).await;
    let before = e.app.store().audit_recent(None, 1000).await.unwrap().len();
    let r = e
        .call(
            "GET",
            "/api/v1/datasets/rare-wgs-r1/participants?data_type=vcf",
            Some("academic"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(r.headers["content-type"], "application/problem+json");
    // a data type outside the grant
    let r = e
        .call(
            "GET",
            "/api/v1/datasets/cancer-wgs-r1/participants?data_type=cram",
            Some("academic"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        r.json["detail"]
            .as_str()
            .unwrap()
            .contains("data type not granted"),
        "{}",
        r.text
    );
    let a = alerts(&e).await;
    assert_eq!(
        a.iter()
            .filter(|x| x["rule"] == "access_outside_grant")
            .count(),
        2,
        "{a:?}"
    );
    assert_eq!(a[0]["actor"], "res.acad");
    let audit = e.app.store().audit_recent(None, 1000).await.unwrap();
    assert!(audit.len() > before);
    assert!(
        audit
            .iter()
            .any(|x| x.action == "access.denied" && x.target == "dataset:rare-wgs-r1")
    );
    // an alert is acknowledged by staff
    let id = a[0]["id"].as_str().unwrap();
    assert_eq!(
        e.call(
            "POST",
            &format!("/api/v1/alerts/{id}/acknowledge"),
            Some("staff"),
            None
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        e.call(
            "POST",
            &format!("/api/v1/alerts/{id}/acknowledge"),
            Some("staff"),
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
}

async fn expired_and_revoked_grants_are_denied(e: Env) {
    let c = cohort(&e).await;
    let grant = granted(&e, "academic", &["cancer-wgs-r1"], &["vcf"]).await;
    let read = format!(
        "/api/v1/datasets/cancer-wgs-r1/participants/{}",
        c.cancer[0]
    );
    assert_eq!(
        e.call("GET", &read, Some("academic"), None).await.status,
        StatusCode::OK
    );
    zenome_store::testing::set_grant_expiry(
        e.app.store(),
        &grant,
        time::OffsetDateTime::now_utc() - time::Duration::minutes(1),
    )
    .await;
    let r = e.call("GET", &read, Some("academic"), None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        r.json["detail"].as_str().unwrap().contains("expired"),
        "{}",
        r.text
    );
    assert_eq!(
        e.call(
            "GET",
            &format!("/api/v1/grants/{grant}"),
            Some("academic"),
            None
        )
        .await
        .json["status"],
        "expired"
    );
    // a second grant, revoked by the DAC
    zenome_store::testing::set_grant_expiry(
        e.app.store(),
        &grant,
        time::OffsetDateTime::now_utc() + time::Duration::days(30),
    )
    .await;
    assert_eq!(
        e.call("GET", &read, Some("academic"), None).await.status,
        StatusCode::OK
    );
    let r = e
        .call(
            "POST",
            &format!("/api/v1/grants/{grant}/revoke"),
            Some("academic"),
            Some(json!({"reason": "x"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "a grantee cannot revoke");
    let r = e
        .call(
            "POST",
            &format!("/api/v1/grants/{grant}/revoke"),
            Some("dac"),
            Some(json!({"reason": "breach of the conditions"})),
        )
        .await;
    assert_eq!(r.json["status"], "revoked");
    let r = e.call("GET", &read, Some("academic"), None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.json["detail"].as_str().unwrap().contains("revoked"));
}

async fn a_withdrawal_during_a_grant_takes_effect_on_the_next_read(e: Env) {
    let c = cohort(&e).await;
    granted(&e, "academic", &["cancer-wgs-r1"], &["vcf"]).await;
    let list = "/api/v1/datasets/cancer-wgs-r1/participants";
    assert!(ids(&e.call("GET", list, Some("academic"), None).await).contains(&c.cancer[1]));
    let r = e
        .call(
            "POST",
            &format!("/api/v1/participants/{}/consents", c.cancer[1]),
            Some("facility"),
            Some(json!({"action": "withdraw", "reason": "本人の申し出"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let now = ids(&e.call("GET", list, Some("academic"), None).await);
    assert!(
        !now.contains(&c.cancer[1]),
        "withdrawn participant still served"
    );
    assert_eq!(now.len(), 3);
    let r = e
        .call(
            "GET",
            &format!("{list}/{}", c.cancer[1]),
            Some("academic"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // narrowing consent (no industry use) drops the participant from an industry grant too
    granted(&e, "industry", &["cancer-wgs-r1"], &["vcf"]).await;
    assert!(ids(&e.call("GET", list, Some("industry"), None).await).contains(&c.cancer[0]));
    let mut amend = give();
    amend["action"] = json!("amend");
    amend["answers"]["industrial_use"] = json!(false);
    e.call(
        "POST",
        &format!("/api/v1/participants/{}/consents", c.cancer[0]),
        Some("facility"),
        Some(amend),
    )
    .await;
    assert!(!ids(&e.call("GET", list, Some("industry"), None).await).contains(&c.cancer[0]));
    assert!(
        ids(&e.call("GET", list, Some("academic"), None).await).contains(&c.cancer[0]),
        "academic use still fits"
    );
}

async fn passports_work_and_forged_or_expired_visas_are_401(e: Env) {
    let c = cohort(&e).await;
    granted(&e, "academic", &["cancer-wgs-r1"], &["vcf"]).await;
    let r = e
        .call("GET", "/api/v1/passport", Some("academic"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let passport = r.json["passport"].as_str().unwrap().to_string();
    // the passport opens the granted dataset, for its holder
    let mut env2 = e;
    env2.tokens.insert("passport", passport.clone());
    let read = format!(
        "/api/v1/datasets/cancer-wgs-r1/participants/{}",
        c.cancer[0]
    );
    let r = env2.call("GET", &read, Some("passport"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // but no other dataset
    let r = env2
        .call(
            "GET",
            "/api/v1/datasets/rare-wgs-r1/participants",
            Some("passport"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // the JWKS publishes the key
    let r = env2.call("GET", "/.well-known/jwks.json", None, None).await;
    assert_eq!(r.json["keys"][0]["alg"], "EdDSA");
    // a forged one: signature changed
    let mut forged = passport.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'B' } else { 'A' });
    env2.tokens.insert("forged", forged);
    assert_eq!(
        env2.call("GET", &read, Some("forged"), None).await.status,
        StatusCode::UNAUTHORIZED
    );
    // signed by another deployment's key
    let other = zenome_app::App::new(
        env2.app.store().clone(),
        zenome_auth::SealKey::generate(),
        crate::harness::config(),
    )
    .unwrap();
    let foreign = other
        .passport(
            &env2
                .app
                .actor_from_bearer(&env2.tokens["academic"])
                .await
                .unwrap(),
        )
        .await
        .unwrap();
    env2.tokens.insert("foreign", foreign);
    assert_eq!(
        env2.call("GET", &read, Some("foreign"), None).await.status,
        StatusCode::UNAUTHORIZED
    );
    // expired
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let expired = env2
        .app
        .sign_jwt(&json!({"iss": "https://zenome.jp", "sub": "res.acad", "iat": now - 7200, "exp": now - 3600, "jti": "x",
            "ga4gh_visa_v1": {"type": "ControlledAccessGrants", "asserted": now - 7200, "value": "https://zenome.jp/datasets/cancer-wgs-r1", "source": "https://zenome.jp/dac", "by": "dac"}}))
        .unwrap();
    env2.tokens.insert("expired", expired);
    let r = env2.call("GET", &read, Some("expired"), None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    // a visa for someone without a grant opens nothing (issued under their
    // live session: a visa dies with the session it names)
    let sid = env2
        .app
        .actor_from_bearer(&env2.tokens["industry"])
        .await
        .unwrap()
        .credential
        .unwrap()
        .to_claim();
    let stranger = env2
        .app
        .sign_jwt(&json!({"iss": "https://zenome.jp", "sub": "res.ind", "iat": now, "exp": now + 3600, "jti": "y", "sid": sid,
            "ga4gh_visa_v1": {"type": "ControlledAccessGrants", "asserted": now, "value": "https://zenome.jp/datasets/cancer-wgs-r1", "source": "https://zenome.jp/dac", "by": "dac"}}))
        .unwrap();
    env2.tokens.insert("stranger", stranger);
    assert_eq!(
        env2.call("GET", &read, Some("stranger"), None).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn bulk_reads_failed_logins_and_new_token_addresses_raise_alerts() {
    let mut cfg = crate::harness::config();
    cfg.access.alerts.bulk_records_per_hour = 5;
    let e = crate::harness::env_with(cfg).await;
    cohort(&e).await;
    granted(&e, "academic", &["cancer-wgs-r1"], &["vcf"]).await;
    for _ in 0..2 {
        e.call(
            "GET",
            "/api/v1/datasets/cancer-wgs-r1/participants",
            Some("academic"),
            None,
        )
        .await;
    }
    let a = alerts(&e).await;
    assert_eq!(
        a.iter().filter(|x| x["rule"] == "bulk_download").count(),
        1,
        "{a:?}"
    );
    for _ in 0..3 {
        e.call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "staff", "password": "nope nope nope", "totp": "000000"})),
        )
        .await;
    }
    let a = alerts(&e).await;
    assert!(
        a.iter()
            .any(|x| x["rule"] == "repeated_login_failures" && x["actor"] == "staff"),
        "{a:?}"
    );
    // a pipeline token, first from one address, then from another
    let from = |ip: &str| {
        let mut req = http::Request::get("/api/v1/me")
            .header("authorization", format!("Bearer {}", e.tokens["centre"]))
            .body(axum::body::Body::empty())
            .unwrap();
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(std::net::SocketAddr::new(
                ip.parse().unwrap(),
                40000,
            )));
        req
    };
    e.send(from("10.1.0.5")).await;
    e.send(from("10.1.0.5")).await;
    assert!(
        !alerts(&e)
            .await
            .iter()
            .any(|x| x["rule"] == "token_new_address")
    );
    e.send(from("203.0.113.9")).await;
    let a = alerts(&e).await;
    let x = a
        .iter()
        .find(|x| x["rule"] == "token_new_address")
        .expect("alert");
    assert_eq!(x["detail"]["ip"], "203.0.113.9");
}

async fn a_participants_facility_sees_which_projects_used_their_data(e: Env) {
    let c = cohort(&e).await;
    granted(&e, "academic", &["cancer-wgs-r1"], &["vcf"]).await;
    let r = e
        .call(
            "GET",
            &format!("/api/v1/participants/{}/data-use", c.cancer[0]),
            Some("facility"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json.as_array().unwrap().len(), 1);
    assert_eq!(r.json[0]["title"], "Germline predisposition in lung cancer");
    assert_eq!(r.json[0]["institution"], "Kyoto University");
    // not another facility, not a researcher
    assert_eq!(
        e.call(
            "GET",
            &format!("/api/v1/participants/{}/data-use", c.cancer[0]),
            Some("facility_other"),
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        e.call(
            "GET",
            &format!("/api/v1/participants/{}/data-use", c.cancer[0]),
            Some("academic"),
            None
        )
        .await
        .status,
        // without registry access: as for an unknown participant
        StatusCode::NOT_FOUND
    );
    // a rare-disease participant without the opt-in was not in it
    let r = e
        .call(
            "GET",
            &format!("/api/v1/participants/{}/data-use", c.rare_no_opt_in),
            Some("facility"),
            None,
        )
        .await;
    assert!(r.json.as_array().unwrap().is_empty());
    // the public list
    let r = e.call("GET", "/api/v1/public/projects", None, None).await;
    assert_eq!(r.json[0]["title"], "Germline predisposition in lung cancer");
}

async fn embargoed_datasets_are_for_their_group_only(e: Env) {
    cohort(&e).await;
    let until = (time::OffsetDateTime::now_utc() + time::Duration::days(180))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let r = e
        .call("POST", "/api/v1/datasets", Some("staff"), Some(json!({"id": "cancer-wgs-r2", "title": "Cancer WGS release 2", "title_ja": "がん全ゲノム 第2版", "security_level": "2", "data_types": ["vcf"], "requirement_scope": "health_medical", "embargo_until": until, "producer_group": ["res.acad"]})))
        .await;
    assert_eq!(r.json["release_state"], "group_restricted", "{}", r.text);
    e.call(
        "POST",
        "/api/v1/datasets/cancer-wgs-r2/members",
        Some("staff"),
        Some(json!({"disease_area": "cancer"})),
    )
    .await;
    // the producing group reads it without an application
    let r = e
        .call(
            "GET",
            "/api/v1/datasets/cancer-wgs-r2/participants",
            Some("academic"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["via"], "group:cancer-wgs-r2");
    // others cannot, and cannot apply before the embargo ends
    assert_eq!(
        e.call(
            "GET",
            "/api/v1/datasets/cancer-wgs-r2/participants",
            Some("industry"),
            None
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let r = e
        .call(
            "POST",
            "/api/v1/applications",
            Some("industry"),
            Some(application(&["cancer-wgs-r2"], &["vcf"])),
        )
        .await;
    let id = r.json["id"].as_str().unwrap();
    let r = e
        .call(
            "POST",
            &format!("/api/v1/applications/{id}/submit"),
            Some("industry"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.json["detail"]
            .as_str()
            .unwrap()
            .contains("restricted to its research group"),
        "{}",
        r.text
    );
}

async fn injection_strings_in_applications_are_stored_as_text(e: Env) {
    cohort(&e).await;
    let nasty = "'; DELETE FROM grants; -- ../../../etc/shadow <img src=x onerror=alert(1)>";
    let mut a = application(&["cancer-wgs-r1"], &["vcf"]);
    a["title"] = json!(nasty);
    a["purpose"]["description"] = json!(format!("{nasty} {nasty}"));
    let r = e
        .call("POST", "/api/v1/applications", Some("academic"), Some(a))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let id = r.json["id"].as_str().unwrap();
    let r = e
        .call(
            "GET",
            &format!("/api/v1/applications/{id}"),
            Some("academic"),
            None,
        )
        .await;
    assert_eq!(r.json["body"]["title"], nasty);
    let r = e
        .call(
            "GET",
            "/api/v1/datasets/..%2F..%2Fetc%2Fpasswd/participants",
            Some("academic"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(e.app.store().verify_audit().await.unwrap().is_ok());
}

async fn audit_verify_catches_a_changed_entry_and_a_rewritten_chain(e: Env) {
    cohort(&e).await;
    // a young trail within one anchoring interval needs no anchor yet
    let v = e.app.verify_audit().await.unwrap();
    assert!(v.is_intact() && v.anchors == 0, "{v:?}");
    assert_eq!(v.tail.entries, v.entries);
    let anchored = e.app.write_anchor().await.unwrap().seq;
    e.call("GET", "/api/v1/datasets", Some("academic"), None)
        .await;
    let v = e.app.verify_audit().await.unwrap();
    assert!(v.is_intact() && v.anchors == 1, "{v:?}");
    // one byte of one entry changed
    let victim = anchored - 3;
    let row = e
        .app
        .store()
        .audit_after(victim - 1, 1)
        .await
        .unwrap()
        .remove(0);
    let mut detail = row.detail.into_bytes();
    let i = detail.len() / 2;
    detail[i] = if detail[i] == b'a' { b'b' } else { b'a' };
    zenome_store::testing::tamper_audit_detail(
        e.app.store(),
        victim,
        &String::from_utf8_lossy(&detail),
    )
    .await;
    let v = e.app.verify_audit().await.unwrap();
    assert_eq!(v.problem.map(|p| p.seq), Some(victim), "not caught");
    // the attacker recomputes the whole chain: only the anchor tells
    zenome_store::testing::rewrite_audit_chain(e.app.store()).await;
    assert!(
        e.app.store().verify_audit().await.unwrap().is_ok(),
        "the chain alone looks fine"
    );
    let p = e.app.verify_audit().await.unwrap().problem;
    let p = p.expect("rewrite not caught");
    assert_eq!(p.seq, anchored);
    assert!(p.reason.contains("rewritten"), "{}", p.reason);
}

crate::on_both_engines!(
    academic_application_from_draft_to_grant_and_data,
    industry_needs_two_approvals_and_excludes_rare_disease_without_opt_in,
    a_rejection_is_recorded_with_reasons,
    a_dataset_outside_the_grant_is_403_and_raises_an_alert,
    expired_and_revoked_grants_are_denied,
    a_withdrawal_during_a_grant_takes_effect_on_the_next_read,
    passports_work_and_forged_or_expired_visas_are_401,
    a_participants_facility_sees_which_projects_used_their_data,
    embargoed_datasets_are_for_their_group_only,
    injection_strings_in_applications_are_stored_as_text,
    audit_verify_catches_a_changed_entry_and_a_rewritten_chain,
    a_vote_needs_a_declaration_of_interests,
    the_agreement_is_accepted_at_submission_and_recorded_with_the_grant,
    applicants_and_the_dac_are_notified_of_each_change,
);

/// Applicants and DAC members are told of every change in-app: the DAC of
/// a submission, the applicant of the decision; never the author of the
/// change; the badge counts what is unread and reading clears it.
async fn applicants_and_the_dac_are_notified_of_each_change(e: Env) {
    cohort(&e).await;
    let r = e
        .call(
            "POST",
            "/api/v1/applications",
            Some("academic"),
            Some(application(&["cancer-wgs-r1"], &["vcf"])),
        )
        .await;
    let id = r.json["id"].as_str().unwrap().to_string();
    let list = |who: &'static str| {
        let e = &e;
        async move {
            e.call("GET", "/api/v1/notifications", Some(who), None)
                .await
                .json
        }
    };
    assert_eq!(list("dac").await, json!([]), "a draft tells nobody");
    let r = e
        .call(
            "POST",
            &format!("/api/v1/applications/{id}/submit"),
            Some("academic"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    for who in ["dac", "dac2"] {
        let n = list(who).await;
        assert_eq!(
            n[0]["link"],
            format!("/portal/applications/{id}"),
            "{who}: {n}"
        );
        assert!(
            n[0]["text_ja"]
                .as_str()
                .unwrap()
                .contains("DACに提出されました"),
            "{n}"
        );
        assert_eq!(n[0]["read"], false);
    }
    assert_eq!(
        list("academic").await,
        json!([]),
        "the author is not told of their own step"
    );
    let r = e
        .call(
            "POST",
            &format!("/api/v1/applications/{id}/votes"),
            Some("dac"),
            Some(json!({"conflict_of_interest": false, "decision": "approve"})),
        )
        .await;
    assert_eq!(r.json["state"], "approved", "{}", r.text);
    let n = list("academic").await;
    assert!(
        n[0]["text_en"].as_str().unwrap().contains("was approved"),
        "{n}"
    );
    // the badge, then reading clears it
    let mut b = crate::portal::Browser::new(&e);
    b.login("academic", "res.acad").await;
    let page = b.get("/portal").await;
    assert!(
        page.text.contains("id=\"notification-badge\""),
        "{}",
        page.text
    );
    let page = b.get("/portal/notifications").await;
    assert!(page.text.contains("was approved") || page.text.contains("承認されました"));
    let page = b.get("/portal").await;
    assert!(!page.text.contains("id=\"notification-badge\""));
    let r = e
        .call("POST", "/api/v1/notifications/read", Some("dac"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.json["marked"].as_u64().unwrap() >= 1);
    let r = e.call("GET", "/api/v1/notifications", None, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

/// The data access agreement in force must be accepted to submit, and
/// the grant records the version accepted.
async fn the_agreement_is_accepted_at_submission_and_recorded_with_the_grant(e: Env) {
    cohort(&e).await;
    let mut body = application(&["cancer-wgs-r1"], &["vcf"]);
    body["agreement_accepted"] = json!("ZENOME-DAA-2019.1");
    let r = e
        .call(
            "POST",
            "/api/v1/applications",
            Some("academic"),
            Some(body.clone()),
        )
        .await;
    let id = r.json["id"].as_str().unwrap().to_string();
    let r = e
        .call(
            "POST",
            &format!("/api/v1/applications/{id}/submit"),
            Some("academic"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(
        r.text.contains("ZENOME-DAA-2026.1"),
        "the version in force is named: {}",
        r.text
    );
    body["agreement_accepted"] = json!("ZENOME-DAA-2026.1");
    let r = e
        .call(
            "PUT",
            &format!("/api/v1/applications/{id}"),
            Some("academic"),
            Some(body),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = e
        .call(
            "POST",
            &format!("/api/v1/applications/{id}/submit"),
            Some("academic"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = e
        .call(
            "POST",
            &format!("/api/v1/applications/{id}/votes"),
            Some("dac"),
            Some(json!({"conflict_of_interest": false, "decision": "approve"})),
        )
        .await;
    let grant = r.json["grant_id"].as_str().unwrap().to_string();
    let g = e
        .call(
            "GET",
            &format!("/api/v1/grants/{grant}"),
            Some("academic"),
            None,
        )
        .await;
    assert_eq!(g.json["agreement"], "ZENOME-DAA-2026.1", "{}", g.text);
}

/// Each DAC member declares their interests before voting, for each
/// submission: without a declaration the vote is refused; a declared
/// conflict recuses the member; the declaration is in the history.
async fn a_vote_needs_a_declaration_of_interests(e: Env) {
    cohort(&e).await;
    let r = e
        .call(
            "POST",
            "/api/v1/applications",
            Some("academic"),
            Some(application(&["cancer-wgs-r1"], &["vcf"])),
        )
        .await;
    let id = r.json["id"].as_str().unwrap().to_string();
    let _ = e
        .call(
            "POST",
            &format!("/api/v1/applications/{id}/submit"),
            Some("academic"),
            None,
        )
        .await;
    let vote = |body: Value| {
        let e = &e;
        let id = id.clone();
        async move {
            e.call(
                "POST",
                &format!("/api/v1/applications/{id}/votes"),
                Some("dac"),
                Some(body),
            )
            .await
        }
    };
    let r = vote(json!({"decision": "approve"})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    {
        assert!(r.text.contains("declare your interests"), "{}", r.text);
        // a declared conflict recuses
        let c = e
            .call(
                "POST",
                &format!("/api/v1/applications/{id}/interests"),
                Some("dac"),
                Some(json!({"conflict": true, "note": "共同研究者です"})),
            )
            .await;
        assert_eq!(c.status, StatusCode::OK, "{}", c.text);
        let r = vote(json!({"decision": "approve"})).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
        assert!(r.text.contains("may not vote"), "{}", r.text);
        let r = e
            .call(
                "POST",
                &format!("/api/v1/applications/{id}/interests"),
                Some("dac"),
                Some(json!({"conflict": true})),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "a conflict says what it is: {}",
            r.text
        );
        // others may not declare for the DAC
        let r = e
            .call(
                "POST",
                &format!("/api/v1/applications/{id}/interests"),
                Some("academic"),
                Some(json!({"conflict": false})),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    }
}
