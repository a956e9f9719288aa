//! Sample identity end to end (issue 9): VCFs sent through the verified
//! ingest are fingerprinted and checked in the background; a tumour whose
//! genome is not its normal's, and a sample that is another participant's
//! genome (a swap or duplicate), are held; the held participants leave the
//! variant counts; staff see the queue and resolve each hold with a reason
//! (audited, once); every role meets the endpoints it may and may not use.
//! Genotypes are real: columns of the committed 1000 Genomes chr20 excerpt
//! (`testdata/demo/1kg-chr20-300samples-excerpt.vcf.gz`, 300 samples, 3,000
//! sites), one column per sample, with its biallelic SNPs as the panel.

use std::io::Read;

use http::StatusCode;
use serde_json::{Value, json};

use crate::harness::{Env, Seeded};

fn excerpt() -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/demo/1kg-chr20-300samples-excerpt.vcf.gz");
    let mut text = String::new();
    noodles_bgzf::io::Reader::new(std::fs::File::open(p).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// The excerpt's common biallelic SNPs (AF 0.1–0.9, 586 sites) as a
/// `.sites` panel, chosen as peddy's and NGSCheckMate's panels are: common
/// sites, where a match of genotypes is evidence.
fn panel(text: &str) -> String {
    let mut out = String::new();
    for l in text.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = l.split('\t').collect();
        let af: f64 = f[7]
            .split(';')
            .find_map(|x| x.strip_prefix("AF="))
            .and_then(|x| x.parse().ok())
            .unwrap_or(0.0);
        if f[3].len() == 1 && f[4].len() == 1 && (0.1..=0.9).contains(&af) {
            out.push_str(&format!("{}:{}:{}:{}\n", f[0], f[1], f[3], f[4]));
        }
    }
    out
}

/// A one-sample VCF: column `col` of the excerpt, named `name`.
pub(crate) fn one_column(text: &str, col: usize, name: &str) -> Vec<u8> {
    let mut out = String::new();
    for l in text.lines() {
        if l.starts_with("##") {
            out.push_str(l);
        } else if l.starts_with("#CHROM") {
            let f: Vec<&str> = l.split('\t').collect();
            out.push_str(&f[..9].join("\t"));
            out.push('\t');
            out.push_str(name);
        } else {
            let f: Vec<&str> = l.split('\t').collect();
            out.push_str(&f[..7].join("\t"));
            out.push_str("\t.\tGT\t");
            out.push_str(f[9 + col]);
        }
        out.push('\n');
    }
    out.into_bytes()
}

pub(crate) async fn env(engine: &str) -> Option<(Env, String)> {
    let text = excerpt();
    let dir = tempfile::tempdir().unwrap();
    let sites = dir.path().join("excerpt.sites");
    std::fs::write(&sites, panel(&text)).unwrap();
    let mut cfg = crate::harness::config();
    cfg.identity.panel = Some(sites);
    let store = match engine {
        "sqlite" => zenome_store::testing::fresh_sqlite(dir.path())
            .await
            .unwrap(),
        _ => zenome_store::testing::fresh_postgres().await?,
    };
    Some((crate::harness::env_full(store, dir, cfg).await, text))
}

/// A library of `s`'s participant from a blood specimen (the germline normal).
pub(crate) async fn normal_library(e: &Env, s: &Seeded) -> String {
    let node = |body: Value| async move {
        let r = e
            .call(
                "POST",
                "/api/v1/lineage/nodes",
                Some("facility"),
                Some(body),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.json["id"].as_str().unwrap().to_string()
    };
    let specimen = node(json!({"kind": "specimen", "participant_id": s.pid, "specimen_type": "peripheral_blood", "collected_on": "2026-05-01"})).await;
    let extract = node(json!({"kind": "extract", "parent_id": specimen, "analyte": "dna"})).await;
    node(json!({"kind": "library", "parent_id": extract, "strategy": "wgs", "centre": "SEQ-KZ"}))
        .await
}

/// Uploads `body` as the VCF of `library` (run, CRAM placeholder, VCF
/// placeholder, tus), waits for the background work; returns the object id.
pub(crate) async fn send_vcf(e: &Env, library: &str, body: &[u8]) -> String {
    // each library's file names it (a tumour's calls are never the same bytes)
    let text = String::from_utf8(body.to_vec()).unwrap();
    let (first, rest) = text.split_once('\n').unwrap();
    let body = format!("{first}\n##library={library}\n{rest}").into_bytes();
    let body = body.as_slice();
    let cram = e.cram_placeholder(library).await;
    let r = e
        .call(
            "POST",
            "/api/v1/lineage/nodes",
            Some("centre"),
            Some(json!({"kind": "file", "parent_id": cram, "format": "vcf"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let node = r.json["id"].as_str().unwrap().to_string();
    let st = e
        .send_vcf_file(&node, "calls.vcf", "GATK 4.5 HaplotypeCaller", body)
        .await;
    assert_eq!(st["state"], "stored", "{st}");
    st["object_id"].as_str().unwrap().to_string()
}

async fn identity_of(e: &Env, who: &str, pid: &str) -> crate::harness::Resp {
    e.call(
        "GET",
        &format!("/api/v1/identity/participants/{pid}"),
        Some(who),
        None,
    )
    .await
}

fn kinds(v: &Value, verdict: &str) -> Vec<String> {
    v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["verdict"] == verdict)
        .map(|c| c["kind"].as_str().unwrap().to_string())
        .collect()
}

/// The allele number over everyone staff may count at the excerpt's first
/// sites (2 per diploid participant counted).
async fn an(e: &Env) -> u64 {
    let r = e
        .call(
            "GET",
            "/api/v1/variants/frequencies?region=20&limit=1",
            Some("staff"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json["alleles"][0]["an"].as_u64().unwrap_or(0)
}

async fn swaps_and_mismatches_are_held_until_staff_resolve_them(e: Env, text: String) {
    // P1: normal and tumour are one genome (column 0)
    let p1 = e.seeded_participant().await;
    let p1_normal = normal_library(&e, &p1).await;
    send_vcf(&e, &p1_normal, &one_column(&text, 0, &p1.pid)).await;
    send_vcf(&e, &p1.library.0, &one_column(&text, 0, &p1.pid)).await;
    let v = identity_of(&e, "staff", &p1.pid).await;
    assert_eq!(v.status, StatusCode::OK, "{}", v.text);
    assert_eq!(v.json["samples"].as_array().unwrap().len(), 2, "{}", v.json);
    assert_eq!(kinds(&v.json, "pass"), ["tumour_normal"], "{}", v.json);
    assert_eq!(kinds(&v.json, "fail"), Vec::<String>::new());
    assert_eq!(v.json["blocked"], false);
    let counted_before = an(&e).await;
    assert!(counted_before >= 2, "P1 is counted: {counted_before}");

    // P2: the tumour tube holds someone else's DNA (column 2, not 1)
    let p2 = e.seeded_participant().await;
    let p2_normal = normal_library(&e, &p2).await;
    send_vcf(&e, &p2_normal, &one_column(&text, 1, &p2.pid)).await;
    let an_with_p2 = an(&e).await;
    send_vcf(&e, &p2.library.0, &one_column(&text, 2, &p2.pid)).await;
    let v = identity_of(&e, "staff", &p2.pid).await;
    assert_eq!(kinds(&v.json, "fail"), ["tumour_normal"], "{}", v.json);
    let failed = v.json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["verdict"] == "fail")
        .unwrap()
        .clone();
    assert!(
        failed["numbers"]["lod"].as_f64().unwrap() < -3.0,
        "{failed}"
    );
    assert_eq!(failed["numbers"]["same_individual"], false);
    assert!(
        failed["message"]
            .as_str()
            .unwrap()
            .contains("NOT the same individual")
    );
    assert_eq!(v.json["blocked"], true);
    // both of P2's libraries are held (which tube is wrong is not known)
    assert_eq!(v.json["holds"].as_array().unwrap().len(), 2, "{}", v.json);
    // and P2 has left the counts
    assert_eq!(an(&e).await, an_with_p2 - 2);

    // P3's normal is P1's genome again: a duplicate or a swap; it matches
    // both of P1's samples, and all three libraries are held
    let p3 = e.seeded_participant().await;
    let p3_normal = normal_library(&e, &p3).await;
    send_vcf(&e, &p3_normal, &one_column(&text, 0, &p3.pid)).await;
    let v = identity_of(&e, "staff", &p3.pid).await;
    assert_eq!(
        kinds(&v.json, "fail"),
        ["cohort_match", "cohort_match"],
        "{}",
        v.json
    );
    assert_eq!(v.json["samples"][0]["sample"], p3.pid.as_str());
    assert_eq!(v.json["samples"][0]["summary"]["source"], "calls.vcf");
    let m = v.json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "cohort_match")
        .unwrap()
        .clone();
    assert_eq!(m["other_participant"], p1.pid.as_str());
    let v1 = identity_of(&e, "staff", &p1.pid).await;
    assert_eq!(v1.json["blocked"], true, "P1 is held too: {}", v1.json);

    // the queue: staff only
    let q = e
        .call("GET", "/api/v1/identity/holds", Some("staff"), None)
        .await;
    assert_eq!(q.status, StatusCode::OK, "{}", q.text);
    let holds = q.json.as_array().unwrap().clone();
    assert_eq!(holds.len(), 5, "P2 ×2, P3, P1 ×2: {}", q.json);
    for who in [
        "facility",
        "centre",
        "academic",
        "dac",
        "admin",
        "clinician",
    ] {
        let r = e
            .call("GET", "/api/v1/identity/holds", Some(who), None)
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}: {}", r.text);
    }
    let r = e.call("GET", "/api/v1/identity/holds", None, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // the participant page: staff and the own facility; another facility
    // sees no such participant; researchers and centres are refused
    assert_eq!(
        identity_of(&e, "facility", &p2.pid).await.status,
        StatusCode::OK
    );
    assert_eq!(
        identity_of(&e, "clinician", &p2.pid).await.status,
        StatusCode::OK
    );
    assert_eq!(
        identity_of(&e, "facility_other", &p2.pid).await.status,
        StatusCode::NOT_FOUND
    );
    for who in ["academic", "centre", "dac"] {
        assert_eq!(
            identity_of(&e, who, &p2.pid).await.status,
            StatusCode::FORBIDDEN,
            "{who}"
        );
    }

    // resolution: a reason is required; only staff; once
    let holds_of = |pid: &str| -> Vec<String> {
        holds
            .iter()
            .filter(|h| h["participant_id"] == pid)
            .map(|h| h["id"].as_str().unwrap().to_string())
            .collect()
    };
    let p1_holds = holds_of(&p1.pid);
    assert_eq!(p1_holds.len(), 2);
    let url = format!("/api/v1/identity/holds/{}/resolution", p1_holds[0]);
    let r = e
        .call(
            "POST",
            &url,
            Some("staff"),
            Some(json!({"action": "release", "reason": "  "})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("reason"), "{}", r.text);
    let r = e
        .call(
            "POST",
            &url,
            Some("staff"),
            Some(json!({"action": "forget", "reason": "x"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("action"), "{}", r.text);
    let r = e
        .call(
            "POST",
            &url,
            Some("facility"),
            Some(json!({"action": "release", "reason": "x"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let before = e.snapshot().await;
    // P3's tube was P1's blood drawn twice: P1 is released, P3's library excluded
    let reason = "P1の血液が P3 のラベルで二重に採取されたことを施設が確認 (ticket 42)";
    let r = e
        .call(
            "POST",
            &url,
            Some("staff"),
            Some(json!({"action": "release", "reason": reason})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["state"], "released");
    assert_eq!(r.json["resolution"], reason);
    assert_eq!(r.json["resolved_by"], "staff");
    let r = e
        .call(
            "POST",
            &url,
            Some("staff"),
            Some(json!({"action": "exclude", "reason": "again"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    let after = e.snapshot().await;
    assert!(after.0 > before.0, "the resolution is audited");
    let audit = e
        .call("GET", "/api/v1/audit?limit=50", Some("admin"), None)
        .await;
    assert!(
        audit.text.contains("identity.hold_released"),
        "{}",
        audit.text
    );
    // one of P1's libraries still held: P1 still out
    let v1 = identity_of(&e, "staff", &p1.pid).await;
    assert_eq!(v1.json["blocked"], true, "{}", v1.json);
    let r = e
        .call(
            "POST",
            &format!("/api/v1/identity/holds/{}/resolution", p1_holds[1]),
            Some("staff"),
            Some(json!({"action": "release", "reason": reason})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = e
        .call(
            "POST",
            &format!("/api/v1/identity/holds/{}/resolution", holds_of(&p3.pid)[0]),
            Some("staff"),
            Some(json!({"action": "exclude", "reason": "duplicate of P1"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // P1 is counted again; P2 (open) and P3 (excluded) are not
    let v1 = identity_of(&e, "staff", &p1.pid).await;
    assert_eq!(v1.json["blocked"], false, "{}", v1.json);
    assert_eq!(an(&e).await, counted_before, "P1 back, P2 and P3 out");
    assert_eq!(
        e.call("GET", "/api/v1/identity/holds", Some("staff"), None)
            .await
            .json
            .as_array()
            .unwrap()
            .len(),
        2,
        "P2's two holds stay open"
    );
    let all = e
        .call(
            "GET",
            "/api/v1/identity/holds?state=all",
            Some("staff"),
            None,
        )
        .await;
    assert_eq!(all.json.as_array().unwrap().len(), 5);
    let bad = e
        .call(
            "GET",
            "/api/v1/identity/holds?state=maybe",
            Some("staff"),
            None,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.contains("state"), "{}", bad.text);

    // the relatedness pairs: all of them, the expected ones labelled
    let r = e
        .call("GET", "/api/v1/identity/relatedness", Some("staff"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let points = r.json.as_array().unwrap();
    // four samples not excluded (P1 ×2, P2 ×2) → six pairs
    assert_eq!(points.len(), 6, "{}", r.json);
    let same = points
        .iter()
        .filter(|p| p["expected"] == "same_participant")
        .count();
    assert_eq!(same, 2, "P1's and P2's pairs");
    assert_eq!(
        e.call(
            "GET",
            "/api/v1/identity/relatedness",
            Some("academic"),
            None
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );

    // the portal: the staff queue with the plot, in Japanese by default and
    // in English; a resolve form that needs its CSRF token
    let mut b = crate::portal::Browser::new(&e);
    b.login("staff", "staff").await;
    let q = b.get("/portal/identity").await;
    assert_eq!(q.status, StatusCode::OK, "{}", q.text);
    assert!(q.text.contains("保留キュー"), "{}", q.text);
    assert!(q.text.contains(&p2.pid));
    assert!(q.text.contains("腫瘍と対応する正常検体"));
    assert!(
        q.text.contains("<svg") && q.text.matches("class=\"point").count() == 6,
        "{}",
        q.text
    );
    assert!(q.text.contains("解決済みの保留"));
    b.get("/lang/en?next=/portal/identity").await;
    let q = b.get("/portal/identity").await;
    assert!(
        q.text.contains("Hold queue") && q.text.contains("Cohort relatedness"),
        "{}",
        q.text
    );
    let p2_holds = e
        .call("GET", "/api/v1/identity/holds", Some("staff"), None)
        .await
        .json;
    let h = p2_holds[0]["id"].as_str().unwrap().to_string();
    let form_url = format!("/portal/identity/holds/{h}/resolve");
    let r = b
        .post(
            &form_url,
            &[("action", "exclude"), ("reason", "foreign tumour tube")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "no CSRF token: {}", r.text);
    let csrf = crate::portal::csrf_of(&q.text);
    let r = b
        .post(
            &form_url,
            &[
                ("csrf", &csrf),
                ("action", "exclude"),
                ("reason", "foreign tumour tube"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let v2 = identity_of(&e, "staff", &p2.pid).await;
    assert!(v2.text.contains("foreign tumour tube"), "{}", v2.text);
    // the participant page: staff and the own facility; not another facility
    let page = b
        .get(&format!("/portal/participants/{}/identity", p2.pid))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("identity-blocked")
            && page.text.contains("Tumour against its matched normal")
    );
    let mut f = crate::portal::Browser::new(&e);
    f.login("facility", "sub.tky").await;
    let page = f
        .get(&format!("/portal/participants/{}/identity", p2.pid))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("identity-samples"));
    assert_eq!(
        f.get("/portal/identity").await.status,
        StatusCode::FORBIDDEN
    );
    let mut o = crate::portal::Browser::new(&e);
    o.login("facility_other", "sub.osk").await;
    assert_eq!(
        o.get(&format!("/portal/participants/{}/identity", p2.pid))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // researchers: a held participant is not released into a dataset nor
    // served; a released one is
    crate::access::cohort(&e).await;
    crate::access::granted(&e, "academic", &["cancer-wgs-r1"], &["vcf"]).await;
    let members = e
        .call(
            "GET",
            "/api/v1/datasets/cancer-wgs-r1/participants",
            Some("academic"),
            None,
        )
        .await;
    assert_eq!(members.status, StatusCode::OK, "{}", members.text);
    assert!(
        members.text.contains(&p1.pid),
        "P1 released: {}",
        members.text
    );
    assert!(
        !members.text.contains(&p2.pid),
        "P2 on hold: {}",
        members.text
    );
    assert!(
        !members.text.contains(&p3.pid),
        "P3 excluded: {}",
        members.text
    );
    let p1_object = v1.json["samples"][0]["object_id"]
        .as_str()
        .unwrap()
        .to_string();
    let p2_object = identity_of(&e, "staff", &p2.pid).await.json["samples"][0]["object_id"]
        .as_str()
        .unwrap()
        .to_string();
    let drs = |o: &str| format!("/ga4gh/drs/v1/objects/{o}");
    assert_eq!(
        e.call("GET", &drs(&p1_object), Some("academic"), None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        e.call("GET", &drs(&p2_object), Some("academic"), None)
            .await
            .status,
        StatusCode::NOT_FOUND,
        "a held genome is not served"
    );
    assert_eq!(
        e.call("GET", &drs(&p2_object), Some("staff"), None)
            .await
            .status,
        StatusCode::OK
    );

    // the same object cannot be fingerprinted twice; a FASTQ has nothing to take
    let obj = v1.json["samples"][0]["object_id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = e
        .call(
            "POST",
            "/api/v1/identity/fingerprints",
            Some("staff"),
            Some(json!({"object_id": obj})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    let r = e
        .call(
            "POST",
            "/api/v1/identity/fingerprints",
            Some("centre"),
            Some(json!({"object_id": obj})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let r = e
        .call(
            "POST",
            "/api/v1/identity/fingerprints",
            Some("staff"),
            Some(json!({"object_id": "no-such-object"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
}

/// A run that stopped after writing the fingerprint table but before its
/// rows were committed: start-up runs it again; the fingerprint left in the
/// table has no row and is never compared.
async fn a_run_cut_short_is_redone_and_its_leftover_fingerprint_ignored(e: Env, text: String) {
    let p = e.seeded_participant().await;
    let normal = normal_library(&e, &p).await;
    let object = send_vcf(&e, &normal, &one_column(&text, 5, &p.pid)).await;
    zenome_store::testing::forget_identity_run(e.app.store(), &object).await;
    assert_eq!(
        identity_of(&e, "staff", &p.pid).await.json["samples"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(e.app.fingerprint_unprocessed().await.unwrap(), 1);
    e.app.settle_identity().await;
    assert_eq!(e.app.fingerprint_unprocessed().await.unwrap(), 0);
    let v = identity_of(&e, "staff", &p.pid).await;
    assert_eq!(v.json["samples"].as_array().unwrap().len(), 1, "{}", v.json);
    // the tumour meets one normal, not the leftover as well
    send_vcf(&e, &p.library.0, &one_column(&text, 5, &p.pid)).await;
    let v = identity_of(&e, "staff", &p.pid).await;
    assert_eq!(kinds(&v.json, "pass"), ["tumour_normal"], "{}", v.json);
    assert_eq!(v.json["checks"].as_array().unwrap().len(), 1, "{}", v.json);
    let r = e
        .call("GET", "/api/v1/identity/relatedness", Some("staff"), None)
        .await;
    assert_eq!(r.json.as_array().unwrap().len(), 1, "{}", r.json);
    assert!(e.app.store().identity_holds(None).await.unwrap().is_empty());
}

#[tokio::test]
async fn sqlite_a_run_cut_short_is_redone_and_its_leftover_fingerprint_ignored() {
    let (e, text) = env("sqlite").await.unwrap();
    a_run_cut_short_is_redone_and_its_leftover_fingerprint_ignored(e, text).await;
}

#[tokio::test]
async fn postgres_a_run_cut_short_is_redone_and_its_leftover_fingerprint_ignored() {
    if let Some((e, text)) = env("postgres").await {
        a_run_cut_short_is_redone_and_its_leftover_fingerprint_ignored(e, text).await;
    }
}

/// Two cancer participants' tumour tubes swapped: each tumour matches the
/// other's normal. Staff relabel each tumour library to the participant it
/// belongs to (the library and its files move under that participant's
/// extract, audited); the checks run again and pass; a relabel of a library
/// whose genotypes are in the variant store is refused, as is a bad extract.
async fn a_swapped_pair_is_relabelled_and_checked_again(e: Env, text: String) {
    let a = e.seeded_participant().await;
    let b = e.seeded_participant().await;
    let a_normal = normal_library(&e, &a).await;
    let b_normal = normal_library(&e, &b).await;
    send_vcf(&e, &a_normal, &one_column(&text, 0, &a.pid)).await;
    send_vcf(&e, &b_normal, &one_column(&text, 1, &b.pid)).await;
    // the tubes: A's tumour holds B's DNA and the other way round
    let a_tumour_vcf = send_vcf(&e, &a.library.0, &one_column(&text, 1, &a.pid)).await;
    send_vcf(&e, &b.library.0, &one_column(&text, 0, &b.pid)).await;
    let holds = e
        .call("GET", "/api/v1/identity/holds", Some("staff"), None)
        .await
        .json;
    let hold_of = |library: &str| -> String {
        holds
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["library_id"] == library)
            .unwrap_or_else(|| panic!("no hold on {library}: {holds}"))["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        holds.as_array().unwrap().len(),
        4,
        "all four libraries: {holds}"
    );
    let resolve = |hold: String, body: Value| {
        let e = &e;
        async move {
            e.call(
                "POST",
                &format!("/api/v1/identity/holds/{hold}/resolution"),
                Some("staff"),
                Some(body),
            )
            .await
        }
    };
    // refused: no extract; not an extract; the library's own participant's
    let h = hold_of(&a.library.0);
    let r = resolve(h.clone(), json!({"action": "relabel", "reason": "swap"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.json["field"], "extract");
    let r = resolve(
        h.clone(),
        json!({"action": "relabel", "reason": "swap", "extract": b.library.1}),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a library is not an extract: {}",
        r.text
    );
    let r = resolve(
        h.clone(),
        json!({"action": "relabel", "reason": "swap", "extract": a.extract.1}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    // refused: A's normal is in the variant store under A's id
    let r = resolve(
        hold_of(&a_normal),
        json!({"action": "relabel", "reason": "x", "extract": b.extract.1}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(r.text.contains("variant store"), "{}", r.text);
    // relabel both tumours by extract barcode
    let reason = "腫瘍検体の取り違えを病理部で確認";
    let r = resolve(
        h,
        json!({"action": "relabel", "reason": reason, "extract": b.extract.1}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["state"], "relabelled");
    let r = resolve(
        hold_of(&b.library.0),
        json!({"action": "relabel", "reason": reason, "extract": a.extract.1}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // the normals were right all along
    for n in [&a_normal, &b_normal] {
        let r = resolve(
            hold_of(n),
            json!({"action": "release", "reason": "the tumours were swapped, not the blood"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    // between the two relabels, B briefly had both tumours, which do not
    // match: that finding held the first relabelled library again; with the
    // second relabel done, staff release it
    let left = e
        .call("GET", "/api/v1/identity/holds", Some("staff"), None)
        .await
        .json;
    assert_eq!(left.as_array().unwrap().len(), 1, "{left}");
    assert_eq!(left[0]["library_id"], a.library.0.as_str());
    assert_eq!(left[0]["checks"][0]["kind"], "same_participant", "{left}");
    let r = resolve(
        left[0]["id"].as_str().unwrap().to_string(),
        json!({"action": "release", "reason": "both tumours relabelled"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        e.call("GET", "/api/v1/identity/holds", Some("staff"), None)
            .await
            .json
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // A's former tumour library is B's now, files and all, and checks out
    let vb = identity_of(&e, "staff", &b.pid).await.json;
    assert_eq!(vb["blocked"], false, "{vb}");
    let libs: Vec<&str> = vb["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["library_id"].as_str().unwrap())
        .collect();
    assert!(libs.contains(&a.library.0.as_str()), "{vb}");
    let passed = vb["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "tumour_normal" && c["verdict"] == "pass")
        .count();
    assert_eq!(passed, 1, "{vb}");
    let lineage = e
        .call(
            "GET",
            &format!("/api/v1/participants/{}/lineage", b.pid),
            Some("staff"),
            None,
        )
        .await;
    assert!(lineage.text.contains(&a.library.0), "{}", lineage.text);
    let obj = e
        .call(
            "GET",
            &format!("/ga4gh/drs/v1/objects/{a_tumour_vcf}"),
            Some("staff"),
            None,
        )
        .await;
    assert_eq!(obj.status, StatusCode::OK);
    let audit = e
        .call("GET", "/api/v1/audit?limit=100", Some("admin"), None)
        .await;
    assert!(
        audit.text.contains("identity.library_relabelled"),
        "{}",
        audit.text
    );
    assert!(audit.text.contains("identity.rechecked"), "{}", audit.text);
}

#[tokio::test]
async fn sqlite_a_swapped_pair_is_relabelled_and_checked_again() {
    let (e, text) = env("sqlite").await.unwrap();
    a_swapped_pair_is_relabelled_and_checked_again(e, text).await;
}

#[tokio::test]
async fn postgres_a_swapped_pair_is_relabelled_and_checked_again() {
    if let Some((e, text)) = env("postgres").await {
        a_swapped_pair_is_relabelled_and_checked_again(e, text).await;
    }
}

#[tokio::test]
async fn sqlite_swaps_and_mismatches_are_held_until_staff_resolve_them() {
    let (e, text) = env("sqlite").await.unwrap();
    swaps_and_mismatches_are_held_until_staff_resolve_them(e, text).await;
}

#[tokio::test]
async fn postgres_swaps_and_mismatches_are_held_until_staff_resolve_them() {
    if let Some((e, text)) = env("postgres").await {
        swaps_and_mismatches_are_held_until_staff_resolve_them(e, text).await;
    }
}
