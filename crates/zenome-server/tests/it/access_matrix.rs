//! The authorisation matrix of secondary use: every access endpoint × every
//! role, and the data reads × every role × every grant state (none, active,
//! expired, revoked). The table is printed.

use serde_json::json;

use crate::access::{application, cohort, granted};
use crate::harness::Env;

const ROLES: [&str; 12] = [
    "anonymous",
    "facility",
    "facility_other",
    "centre",
    "staff",
    "dac",
    "academic",
    "industry",
    "clinician",
    "admin",
    "unknown_role",
    "dac2",
];

/// (name, method, uri, body, expected status per role).
type Case<'a> = (
    &'a str,
    &'a str,
    String,
    Option<serde_json::Value>,
    [u16; 12],
);

async fn run(e: &Env, cases: &[Case<'_>], header: &str) -> Vec<String> {
    let mut failures = Vec::new();
    println!("\n{header}");
    println!(
        "{:<34} {}",
        "endpoint",
        ROLES.map(|r| format!("{r:>8.8}")).join(" ")
    );
    for (name, method, uri, body, expect) in cases {
        let mut row = Vec::new();
        for (i, role) in ROLES.iter().enumerate() {
            let who = (*role != "anonymous").then_some(*role);
            let r = e.call(method, uri, who, body.clone()).await;
            let got = r.status.as_u16();
            row.push(format!("{got:>8}"));
            if got != expect[i] {
                failures.push(format!(
                    "{header}: {method} {name} as {role}: expected {}, got {got}: {}",
                    expect[i], r.text
                ));
            }
        }
        println!("{name:<34} {}", row.join(" "));
    }
    failures
}

async fn every_access_endpoint_for_every_role_and_grant_state(e: Env) {
    let c = cohort(&e).await;
    let r = e
        .call(
            "POST",
            "/api/v1/applications",
            Some("academic"),
            Some(application(&["cancer-wgs-r1"], &["vcf"])),
        )
        .await;
    let app_id = r.json["id"].as_str().unwrap().to_string();
    e.call(
        "POST",
        &format!("/api/v1/applications/{app_id}/submit"),
        Some("academic"),
        None,
    )
    .await;
    let ds = json!({"id": "matrix-ds", "title": "Matrix", "title_ja": "行列", "security_level": "1", "data_types": ["vcf"], "requirement_scope": "general"});
    //                                                                 anon fac  oth  cen  stf  dac  aca  ind  cli  adm  unk  dac2
    let cases = vec![
        (
            "list datasets",
            "GET",
            "/api/v1/datasets".to_string(),
            None,
            [401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 403, 200],
        ),
        (
            "create dataset",
            "POST",
            "/api/v1/datasets".to_string(),
            Some(ds),
            [401, 403, 403, 403, 201, 403, 403, 403, 403, 403, 403, 403],
        ),
        (
            "add dataset members",
            "POST",
            "/api/v1/datasets/matrix-ds/members".to_string(),
            Some(json!({"disease_area": "cancer"})),
            [401, 403, 403, 403, 200, 403, 403, 403, 403, 403, 403, 403],
        ),
        (
            "list applications",
            "GET",
            "/api/v1/applications".to_string(),
            None,
            [401, 403, 403, 403, 200, 200, 200, 200, 403, 403, 403, 200],
        ),
        (
            "draft application",
            "POST",
            "/api/v1/applications".to_string(),
            Some(application(&["cancer-wgs-r1"], &["vcf"])),
            [401, 403, 403, 403, 403, 403, 201, 201, 403, 403, 403, 403],
        ),
        (
            "preview application",
            "POST",
            "/api/v1/applications/preview".to_string(),
            Some(application(&["cancer-wgs-r1"], &["vcf"])),
            [401, 403, 403, 403, 200, 200, 200, 200, 403, 403, 403, 200],
        ),
        (
            "read an application",
            "GET",
            format!("/api/v1/applications/{app_id}"),
            None,
            [401, 404, 404, 404, 200, 200, 200, 404, 404, 404, 403, 200],
        ),
        (
            "comment on an application",
            "POST",
            format!("/api/v1/applications/{app_id}/comments"),
            Some(json!({"text": "質問があります"})),
            [401, 404, 404, 404, 200, 200, 200, 404, 404, 404, 403, 200],
        ),
        (
            "assign an application",
            "POST",
            format!("/api/v1/applications/{app_id}/assign"),
            None,
            [401, 403, 403, 403, 403, 200, 403, 403, 403, 403, 403, 200],
        ),
        (
            "list grants",
            "GET",
            "/api/v1/grants".to_string(),
            None,
            [401, 403, 403, 403, 200, 200, 200, 200, 403, 403, 403, 200],
        ),
        (
            "passport",
            "GET",
            "/api/v1/passport".to_string(),
            None,
            [401, 403, 403, 403, 200, 200, 200, 200, 403, 403, 403, 200],
        ),
        (
            "alerts",
            "GET",
            "/api/v1/alerts".to_string(),
            None,
            [401, 403, 403, 403, 200, 403, 403, 403, 403, 200, 403, 403],
        ),
        (
            "participant data use",
            "GET",
            format!("/api/v1/participants/{}/data-use", c.cancer[0]),
            None,
            // without registry access: as for an unknown participant
            [401, 200, 404, 404, 200, 404, 404, 404, 200, 404, 403, 404],
        ),
        (
            "public projects",
            "GET",
            "/api/v1/public/projects".to_string(),
            None,
            [200; 12],
        ),
        (
            "jwks",
            "GET",
            "/.well-known/jwks.json".to_string(),
            None,
            [200; 12],
        ),
    ];
    let mut failures = run(&e, &cases, "access endpoints").await;

    // the data reads, in each state of the academic researcher's grant
    let list = "/api/v1/datasets/cancer-wgs-r1/participants?data_type=vcf".to_string();
    let one = format!(
        "/api/v1/datasets/cancer-wgs-r1/participants/{}?data_type=vcf",
        c.cancer[0]
    );
    let denied = [401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403];
    let mut holder = denied;
    holder[6] = 200;
    for (state, expect) in [
        ("no grant", denied),
        ("grant active", holder),
        ("grant expired", denied),
        ("grant revoked", denied),
    ] {
        match state {
            "grant active" => {
                let g = granted(&e, "academic", &["cancer-wgs-r1"], &["vcf"]).await;
                e.app.store().grant(&g).await.unwrap().unwrap();
            }
            "grant expired" => {
                let g = e.app.store().grants_of("res.acad").await.unwrap().remove(0);
                zenome_store::testing::set_grant_expiry(
                    e.app.store(),
                    &g.id,
                    time::OffsetDateTime::now_utc() - time::Duration::hours(1),
                )
                .await;
            }
            "grant revoked" => {
                let g = e.app.store().grants_of("res.acad").await.unwrap().remove(0);
                zenome_store::testing::set_grant_expiry(
                    e.app.store(),
                    &g.id,
                    g.expires_at + time::Duration::days(3650),
                )
                .await;
                let r = e
                    .call(
                        "POST",
                        &format!("/api/v1/grants/{}/revoke", g.id),
                        Some("dac"),
                        Some(json!({"reason": "matrix"})),
                    )
                    .await;
                assert_eq!(r.json["status"], "revoked", "{}", r.text);
            }
            _ => {}
        }
        let cases = vec![
            (
                "read dataset participants",
                "GET",
                list.clone(),
                None,
                expect,
            ),
            ("read one participant", "GET", one.clone(), None, expect),
        ];
        failures.extend(run(&e, &cases, state).await);
    }
    let alerts = e.app.store().alerts(10_000).await.unwrap();
    println!("\n{} alerts raised by the denials", alerts.len());
    assert!(alerts.iter().any(|a| a.rule == "access_outside_grant"));
    assert!(
        failures.is_empty(),
        "access matrix mismatches:\n{}",
        failures.join("\n")
    );
}

crate::on_both_engines!(every_access_endpoint_for_every_role_and_grant_state,);
