//! The authorisation matrix: every registry endpoint × every role, with the
//! status each must get — including every denial. The table is printed so a
//! reader of the test log sees every case.

use http::StatusCode;
use serde_json::{Value, json};

use crate::harness::{Env, give};

const ROLES: [&str; 12] = [
    "anonymous",
    "facility",
    "facility_other",
    "centre",
    "centre_other",
    "staff",
    "dac",
    "academic",
    "industry",
    "clinician",
    "admin",
    "unknown_role",
];

struct Case {
    name: &'static str,
    method: &'static str,
    uri: String,
    body: Option<Value>,
    /// Expected status per role, in the order of `ROLES`.
    expect: [u16; 12],
}

async fn every_endpoint_for_every_role(e: Env) {
    let s = e.seeded_participant().await;
    let mut amend = give();
    amend["action"] = json!("amend");
    let run = json!({"kind": "sequencing_run", "parent_id": s.library.0, "centre": "SEQ-KZ", "run_id": "RM", "instrument": "NovaSeq X", "run_date": "2026-07-01"});
    let (spare, _) = e
        .app
        .issue_api_token(&zenome_app::Actor::local(), "pipe.kz", "spare", None)
        .await
        .unwrap();
    //                                            anon fac  oth  cen  cen2 stf  dac  aca  ind  cli  adm  unk
    let cases = vec![
        Case {
            name: "list participants",
            method: "GET",
            uri: "/api/v1/participants".into(),
            body: None,
            expect: [401, 200, 200, 403, 403, 200, 403, 403, 403, 200, 403, 403],
        },
        Case {
            name: "register participant",
            method: "POST",
            uri: "/api/v1/participants".into(),
            body: Some(json!({"disease_area": "cancer"})),
            expect: [401, 201, 201, 403, 403, 403, 403, 403, 403, 403, 403, 403],
        },
        Case {
            name: "read participant",
            method: "GET",
            uri: format!("/api/v1/participants/{}", s.pid),
            body: None,
            expect: [401, 200, 404, 403, 403, 200, 403, 403, 403, 200, 403, 403],
        },
        Case {
            name: "read consent",
            method: "GET",
            uri: format!("/api/v1/participants/{}/consents", s.pid),
            body: None,
            expect: [401, 200, 404, 403, 403, 200, 403, 403, 403, 200, 403, 403],
        },
        Case {
            name: "amend consent",
            method: "POST",
            uri: format!("/api/v1/participants/{}/consents", s.pid),
            body: Some(amend),
            expect: [401, 201, 404, 403, 403, 403, 403, 403, 403, 403, 403, 403],
        },
        Case {
            name: "read lineage",
            method: "GET",
            uri: format!("/api/v1/participants/{}/lineage", s.pid),
            body: None,
            expect: [401, 200, 404, 403, 403, 200, 403, 403, 403, 200, 403, 403],
        },
        Case {
            name: "register aliquot",
            method: "POST",
            uri: "/api/v1/lineage/nodes".into(),
            body: Some(json!({"kind": "aliquot", "parent_id": s.specimen.0})),
            expect: [401, 201, 404, 403, 403, 403, 403, 403, 403, 403, 403, 403],
        },
        Case {
            name: "register run (SEQ-KZ)",
            method: "POST",
            uri: "/api/v1/lineage/nodes".into(),
            body: Some(run),
            expect: [401, 403, 403, 201, 422, 201, 403, 403, 403, 403, 403, 403],
        },
        Case {
            name: "read specimen node",
            method: "GET",
            uri: format!("/api/v1/lineage/nodes/{}", s.specimen.0),
            body: None,
            expect: [401, 200, 404, 404, 404, 200, 403, 403, 403, 200, 403, 403],
        },
        Case {
            name: "set specimen status",
            method: "PATCH",
            uri: format!("/api/v1/lineage/nodes/{}", s.specimen.0),
            body: Some(json!({"status": "residual"})),
            expect: [401, 200, 404, 403, 403, 403, 403, 403, 403, 403, 403, 403],
        },
        Case {
            name: "library by barcode",
            method: "GET",
            uri: format!("/api/v1/libraries/{}", s.library.1),
            body: None,
            // sent to SEQ-KZ: the other centre does not see it
            expect: [401, 200, 404, 200, 404, 200, 403, 403, 403, 200, 403, 403],
        },
        Case {
            name: "list organisations",
            method: "GET",
            uri: "/api/v1/organisations".into(),
            body: None,
            expect: [401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 403],
        },
        Case {
            name: "register organisation",
            method: "POST",
            uri: "/api/v1/organisations".into(),
            body: Some(
                json!({"code": "KYU-UH", "kind": "collecting_facility", "name": "Kyushu University Hospital", "name_ja": "九州大学病院"}),
            ),
            expect: [401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 201, 403],
        },
        Case {
            name: "list users",
            method: "GET",
            uri: "/api/v1/users".into(),
            body: None,
            expect: [401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200, 403],
        },
        Case {
            name: "create user",
            method: "POST",
            uri: "/api/v1/users".into(),
            body: Some(
                json!({"username": "new.user", "display_name": "New", "role": "dac_member"}),
            ),
            expect: [401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 201, 403],
        },
        Case {
            name: "read audit",
            method: "GET",
            uri: "/api/v1/audit".into(),
            body: None,
            expect: [401, 403, 403, 403, 403, 200, 403, 403, 403, 403, 200, 403],
        },
        Case {
            name: "list tokens",
            method: "GET",
            uri: "/api/v1/users/pipe.kz/tokens".into(),
            body: None,
            expect: [401, 404, 404, 200, 404, 404, 404, 404, 404, 404, 200, 403],
        },
        Case {
            name: "issue token",
            method: "POST",
            uri: "/api/v1/users/pipe.kz/tokens".into(),
            body: Some(json!({"label": "matrix"})),
            expect: [401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 201, 403],
        },
        Case {
            name: "revoke token",
            method: "DELETE",
            uri: format!("/api/v1/users/pipe.kz/tokens/{spare}"),
            body: None,
            expect: [401, 404, 404, 204, 404, 404, 404, 404, 404, 404, 204, 403],
        },
        Case {
            name: "disable user",
            method: "POST",
            uri: "/api/v1/users/dac2/disable".into(),
            body: None,
            expect: [401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 204, 403],
        },
        Case {
            name: "enable user",
            method: "POST",
            uri: "/api/v1/users/dac2/enable".into(),
            body: None,
            expect: [401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 204, 403],
        },
        Case {
            name: "who am I",
            method: "GET",
            uri: "/api/v1/me".into(),
            body: None,
            expect: [401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 403],
        },
        Case {
            name: "variant frequencies",
            method: "GET",
            uri: "/api/v1/variants/frequencies?region=20:1-1000".into(),
            body: None,
            expect: [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 403],
        },
        Case {
            name: "load variants",
            method: "POST",
            uri: "/api/v1/variants/loads".into(),
            body: Some(json!({"object_id": "none-such"})),
            expect: [401, 403, 403, 403, 403, 404, 403, 403, 403, 403, 403, 403],
        },
        // sample identity: the hold queue, its resolution, fingerprinting on
        // demand and the relatedness pairs are staff's; a participant's
        // identity page is also the own facility's (another's is absent)
        Case {
            name: "identity hold queue",
            method: "GET",
            uri: "/api/v1/identity/holds".into(),
            body: None,
            expect: [401, 403, 403, 403, 403, 200, 403, 403, 403, 403, 403, 403],
        },
        Case {
            name: "resolve identity hold",
            method: "POST",
            uri: "/api/v1/identity/holds/none-such/resolution".into(),
            body: Some(json!({"action": "release", "reason": "checked"})),
            expect: [401, 403, 403, 403, 403, 404, 403, 403, 403, 403, 403, 403],
        },
        Case {
            name: "participant identity",
            method: "GET",
            uri: format!("/api/v1/identity/participants/{}", s.pid),
            body: None,
            expect: [401, 200, 404, 403, 403, 200, 403, 403, 403, 200, 403, 403],
        },
        Case {
            name: "fingerprint a stored file",
            method: "POST",
            uri: "/api/v1/identity/fingerprints".into(),
            body: Some(json!({"object_id": "none-such"})),
            expect: [401, 403, 403, 403, 403, 404, 403, 403, 403, 403, 403, 403],
        },
        // annotation and actionability: a patient's findings are staff's and
        // the own facility's; trial counts for every role that sees cohort
        // counts; runs and knowledge refreshes are staff's (409 here: no
        // gene model or knowledge base is configured)
        Case {
            name: "participant findings",
            method: "GET",
            uri: format!("/api/v1/participants/{}/findings", s.pid),
            body: None,
            expect: [401, 200, 404, 403, 403, 200, 403, 403, 403, 200, 403, 403],
        },
        // candidate diagnoses: the same readers as findings (409 here: the
        // seeded participant is no rare-disease case)
        Case {
            name: "candidate diagnoses",
            method: "GET",
            uri: format!("/api/v1/participants/{}/candidates", s.pid),
            body: None,
            expect: [401, 409, 404, 403, 403, 409, 403, 403, 403, 409, 403, 403],
        },
        // return of results: staff review, the facility's clinician
        // receives; everyone else 403 (404 here: no such report)
        Case {
            name: "list reports",
            method: "GET",
            uri: "/api/v1/reports".into(),
            body: None,
            expect: [401, 403, 403, 403, 403, 200, 403, 403, 403, 200, 403, 403],
        },
        Case {
            name: "one report",
            method: "GET",
            uri: "/api/v1/reports/none-such".into(),
            body: None,
            expect: [401, 403, 403, 403, 403, 404, 403, 403, 403, 404, 403, 403],
        },
        Case {
            name: "draft a report",
            method: "POST",
            uri: "/api/v1/reports".into(),
            body: Some(json!({"participant_id": s.pid})),
            expect: [401, 403, 403, 403, 403, 201, 403, 403, 403, 403, 403, 403],
        },
        Case {
            name: "sign off a report",
            method: "POST",
            uri: "/api/v1/reports/none-such/sign-off".into(),
            body: Some(json!({"totp": "000000"})),
            expect: [401, 403, 403, 403, 403, 404, 403, 403, 403, 403, 403, 403],
        },
        Case {
            name: "acknowledge a report",
            method: "POST",
            uri: "/api/v1/reports/none-such/acknowledge".into(),
            body: None,
            expect: [401, 403, 403, 403, 403, 403, 403, 403, 403, 404, 403, 403],
        },
        Case {
            name: "list recontacts",
            method: "GET",
            uri: "/api/v1/recontacts".into(),
            body: None,
            expect: [401, 403, 403, 403, 403, 200, 403, 403, 403, 200, 403, 403],
        },
        Case {
            name: "raise a recontact",
            method: "POST",
            uri: "/api/v1/recontacts".into(),
            body: Some(json!({"participant_id": s.pid, "reason": "trial", "detail": "x"})),
            expect: [401, 403, 403, 403, 403, 201, 403, 403, 403, 403, 403, 403],
        },
        Case {
            name: "clinical trials",
            method: "GET",
            uri: "/api/v1/trials".into(),
            body: None,
            expect: [401, 200, 200, 403, 403, 200, 200, 200, 200, 200, 403, 403],
        },
        Case {
            name: "enter a trial",
            method: "POST",
            uri: "/api/v1/trials".into(),
            body: Some(json!({"id": "jRCT-M", "title": "matrix"})),
            expect: [401, 403, 403, 403, 403, 409, 403, 403, 403, 403, 403, 403],
        },
        Case {
            name: "retire a trial",
            method: "DELETE",
            uri: "/api/v1/trials/none-such".into(),
            body: None,
            expect: [401, 403, 403, 403, 403, 404, 403, 403, 403, 403, 403, 403],
        },
        Case {
            name: "qc drift latest",
            method: "GET",
            uri: "/api/v1/qc/drift".into(),
            body: None,
            expect: [401, 403, 403, 200, 200, 200, 403, 403, 403, 403, 403, 403],
        },
        Case {
            name: "qc drift runs",
            method: "GET",
            uri: "/api/v1/qc/drift/runs".into(),
            body: None,
            expect: [401, 403, 403, 200, 200, 200, 403, 403, 403, 403, 403, 403],
        },
        Case {
            name: "qc drift run now",
            method: "POST",
            uri: "/api/v1/qc/drift/runs".into(),
            body: None,
            expect: [401, 403, 403, 403, 403, 201, 403, 403, 403, 403, 403, 403],
        },
        Case {
            name: "annotation runs",
            method: "GET",
            uri: "/api/v1/annotation/runs".into(),
            body: None,
            expect: [401, 403, 403, 403, 403, 200, 403, 403, 403, 403, 403, 403],
        },
        Case {
            name: "run annotation",
            method: "POST",
            uri: "/api/v1/annotation/runs".into(),
            body: Some(json!({})),
            expect: [401, 403, 403, 403, 403, 409, 403, 403, 403, 403, 403, 403],
        },
        Case {
            name: "refresh knowledge",
            method: "POST",
            uri: "/api/v1/knowledge/refresh".into(),
            body: None,
            expect: [401, 403, 403, 403, 403, 409, 403, 403, 403, 403, 403, 403],
        },
        // pipelines: staff register, evaluate, promote and retire; staff and
        // admins read; nobody else (404 here: no such pipeline)
        Case {
            name: "list pipelines",
            method: "GET",
            uri: "/api/v1/pipelines".into(),
            body: None,
            expect: [401, 403, 403, 403, 403, 200, 403, 403, 403, 403, 200, 403],
        },
        Case {
            name: "register pipeline",
            method: "POST",
            uri: "/api/v1/pipelines".into(),
            body: Some(crate::pipelines::version("matrix", "1")),
            expect: [401, 403, 403, 403, 403, 201, 403, 403, 403, 403, 403, 403],
        },
        Case {
            name: "read pipeline",
            method: "GET",
            uri: "/api/v1/pipelines/matrix".into(),
            body: None,
            expect: [401, 403, 403, 403, 403, 200, 403, 403, 403, 403, 200, 403],
        },
        Case {
            name: "evaluate pipeline",
            method: "POST",
            uri: "/api/v1/pipelines/matrix/1/evaluations".into(),
            body: Some(json!({"truth_set": "none", "truth_version": "1", "file": "q.vcf"})),
            expect: [401, 403, 403, 403, 403, 404, 403, 403, 403, 403, 403, 403],
        },
        Case {
            name: "promote pipeline",
            method: "POST",
            uri: "/api/v1/pipelines/matrix/1/promote".into(),
            body: Some(json!({"reason": "matrix"})),
            expect: [401, 403, 403, 403, 403, 409, 403, 403, 403, 403, 403, 403],
        },
        Case {
            name: "retire pipeline",
            method: "POST",
            uri: "/api/v1/pipelines/none-such/1/retire".into(),
            body: Some(json!({"reason": "matrix"})),
            expect: [401, 403, 403, 403, 403, 404, 403, 403, 403, 403, 403, 403],
        },
        Case {
            name: "truth sets",
            method: "GET",
            uri: "/api/v1/truth-sets".into(),
            body: None,
            expect: [401, 403, 403, 403, 403, 200, 403, 403, 403, 403, 200, 403],
        },
        Case {
            name: "register truth set",
            method: "POST",
            uri: "/api/v1/truth-sets".into(),
            body: Some(
                json!({"name": "T", "version": "1", "sample": "S", "assembly": "GRCh38", "vcf": "none.vcf"}),
            ),
            expect: [401, 403, 403, 403, 403, 422, 403, 403, 403, 403, 403, 403],
        },
        Case {
            name: "relatedness pairs",
            method: "GET",
            uri: "/api/v1/identity/relatedness".into(),
            body: None,
            expect: [401, 403, 403, 403, 403, 200, 403, 403, 403, 403, 403, 403],
        },
    ];
    let mut failures = Vec::new();
    println!(
        "{:<24} {}",
        "endpoint",
        ROLES.map(|r| format!("{r:>8.8}")).join(" ")
    );
    for c in &cases {
        let mut row = Vec::new();
        for (i, role) in ROLES.iter().enumerate() {
            let who = (*role != "anonymous").then_some(*role);
            let r = e.call(c.method, &c.uri, who, c.body.clone()).await;
            let got = r.status.as_u16();
            row.push(format!("{got:>8}"));
            if got != c.expect[i] {
                failures.push(format!(
                    "{} {} as {role}: expected {}, got {got}: {}",
                    c.method, c.name, c.expect[i], r.text
                ));
            }
            if got >= 400 {
                assert_eq!(
                    r.headers["content-type"], "application/problem+json",
                    "{} as {role}",
                    c.name
                );
                assert!(r.status != StatusCode::INTERNAL_SERVER_ERROR);
            }
        }
        println!("{:<24} {}", c.name, row.join(" "));
    }
    println!("{} cases", cases.len() * ROLES.len());
    assert!(
        failures.is_empty(),
        "authorisation matrix mismatches:\n{}",
        failures.join("\n")
    );
}

/// A participant's records read by a role or facility without access answer
/// exactly as for an id nobody registered: same status, same problem body.
async fn out_of_scope_participant_reads_look_like_absent_ones(e: Env) {
    let s = e.seeded_participant().await;
    let missing = zenome_domain::id::ParticipantId::from_body("ZZZZ0000")
        .unwrap()
        .to_string();
    assert_ne!(missing, s.pid);
    let paths = [
        "clinical",
        "clinical/history",
        "data-use",
        "phenopacket",
        "family",
    ];
    let in_scope = ["facility", "staff", "clinician"];
    let mut failures = Vec::new();
    for path in paths {
        for role in ROLES.iter().filter(|r| !in_scope.contains(r)) {
            let who = (*role != "anonymous").then_some(*role);
            let there = e
                .call(
                    "GET",
                    &format!("/api/v1/participants/{}/{path}", s.pid),
                    who,
                    None,
                )
                .await;
            let absent = e
                .call(
                    "GET",
                    &format!("/api/v1/participants/{missing}/{path}"),
                    who,
                    None,
                )
                .await;
            let shape = |r: &crate::harness::Resp| {
                (
                    r.status,
                    r.json["type"].clone(),
                    r.json["title"].clone(),
                    r.json["detail"].clone(),
                )
            };
            println!("{path:<18} {role:<14} {} {}", there.status, absent.status);
            if shape(&there) != shape(&absent) {
                failures.push(format!(
                    "{path} as {role}: existing {} {} / missing {} {}",
                    there.status, there.text, absent.status, absent.text
                ));
            }
            if !matches!(*role, "anonymous" | "unknown_role")
                && there.status != StatusCode::NOT_FOUND
            {
                failures.push(format!("{path} as {role}: {} {}", there.status, there.text));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "existence oracles:\n{}",
        failures.join("\n")
    );
}

crate::on_both_engines!(
    every_endpoint_for_every_role,
    out_of_scope_participant_reads_look_like_absent_ones,
);
