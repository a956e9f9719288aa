//! Pipelines and their evaluation (issue 11), on SQLite and PostgreSQL:
//! registering versions (a Japanese name; a duplicate version, a bad
//! digest, control characters and separators refused by field), truth sets
//! whose files are digested, evaluations stored with their summary rows
//! (the same call set once), promotion allowed and refused under the rule
//! with the metric, truth set and gap named, a parallel burst of promotions
//! leaving exactly one current version, and the audit entries of each.

use http::StatusCode;
use serde_json::{Value, json};
use zenome_app::Actor;
use zenome_evaluate::{BaseSource, CallSet, Filter, Report, SummaryRow, VariantType};

use crate::harness::Env;

/// `/api/v1/pipelines/…` with the name percent-encoded.
pub(crate) fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn row(t: VariantType, f: Filter, truth: u64, tp: u64, fp: u64) -> SummaryRow {
    let recall = tp as f64 / truth as f64;
    let precision = tp as f64 / (tp + fp) as f64;
    SummaryRow {
        variant_type: t,
        filter: f,
        truth_total: truth,
        tp,
        fn_: truth - tp,
        query_total: tp + fp,
        fp,
        unk: 0,
        fp_gt: 0,
        recall: Some(recall),
        precision: Some(precision),
        frac_na: Some(0.0),
        f1: Some(2.0 * recall * precision / (recall + precision)),
        truth_titv: None,
        query_titv: None,
        truth_het_hom: None,
        query_het_hom: None,
    }
}

/// A report with (tp, fp) of 1000 truth SNPs and 100 truth indels.
pub(crate) fn report(snp: (u64, u64), indel: (u64, u64)) -> Report {
    let mut summary = Vec::new();
    for (t, (tp, fp), n) in [
        (VariantType::Indel, indel, 100),
        (VariantType::Snp, snp, 1000),
    ] {
        for f in [Filter::All, Filter::Pass] {
            summary.push(row(t, f, n, tp, fp));
        }
    }
    let side = |p: &str| CallSet {
        path: p.into(),
        sample: "HG002".into(),
        records: 1100,
        skipped: 0,
    };
    Report {
        truth: side("truth.vcf"),
        query: side("query.vcf"),
        summary,
        indel_sizes: Vec::new(),
        base_source: BaseSource::Reference,
        unresolved_loci: 0,
        capped_loci: 0,
        notes: Vec::new(),
    }
}

pub(crate) fn version(name: &str, v: &str) -> Value {
    json!({
        "name": name,
        "version": v,
        "kind": "caller",
        "tools": [{"name": "bwa-mem2", "version": "2.2.1"}, {"name": "GATK", "version": "4.5.0.0"}],
        "reference": {"assembly": "GRCh38", "fasta": "GRCh38_full_analysis_set.fa"},
        "parameters": {"min_qual": 30},
        "container_digest": format!("sha256:{}", "ab".repeat(32)),
    })
}

/// A truth set `GIAB@4.2.1` whose files are in the truth-set directory.
pub(crate) async fn truth_set(e: &Env, name: &str) {
    let dir = e.app.config().truth_dir();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.vcf")), "##fileformat=VCFv4.2\n").unwrap();
    std::fs::write(dir.join(format!("{name}.bed")), "chr1\t0\t100\n").unwrap();
    let r = e
        .call(
            "POST",
            "/api/v1/truth-sets",
            Some("staff"),
            Some(
                json!({"name": name, "version": "4.2.1", "sample": "HG002", "assembly": "GRCh38",
                        "vcf": format!("{name}.vcf"), "regions": format!("{name}.bed")}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

async fn staff(e: &Env) -> Actor {
    e.app.actor_from_bearer(&e.tokens["staff"]).await.unwrap()
}

async fn audit_actions(e: &Env, prefix: &str) -> Vec<(String, String, Value)> {
    e.app
        .store()
        .audit_after(0, 1_000_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.action.starts_with(prefix))
        .map(|a| {
            let detail = serde_json::from_str(&a.detail).unwrap_or(Value::Null);
            (a.action, a.target, detail)
        })
        .collect()
}

async fn promote(e: &Env, p: &str, v: &str, reason: &str) -> crate::harness::Resp {
    e.call(
        "POST",
        &format!("/api/v1/pipelines/{p}/{v}/promote"),
        Some("staff"),
        Some(json!({ "reason": reason })),
    )
    .await
}

async fn retire(e: &Env, p: &str, v: &str) -> crate::harness::Resp {
    e.call(
        "POST",
        &format!("/api/v1/pipelines/{p}/{v}/retire"),
        Some("staff"),
        Some(json!({"reason": "indel recall"})),
    )
    .await
}

async fn eval(e: &Env, p: &str, v: &str, body: Value) -> crate::harness::Resp {
    e.call(
        "POST",
        &format!("/api/v1/pipelines/{p}/{v}/evaluations"),
        Some("staff"),
        Some(body),
    )
    .await
}

async fn versions_register_and_bad_input_is_refused_by_field(e: Env) {
    let name = "胚細胞系列パイプライン";
    let r = e
        .call(
            "POST",
            "/api/v1/pipelines",
            Some("staff"),
            Some(version(name, "1.0")),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json["label"], format!("{name}@1.0"));
    assert_eq!(r.json["state"], "registered");
    assert_eq!(r.json["tools"][1]["name"], "GATK");
    // the same version again
    let r = e
        .call(
            "POST",
            "/api/v1/pipelines",
            Some("staff"),
            Some(version(name, "1.0")),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(r.text.contains("already registered"), "{}", r.text);
    // bad input, each refused naming its field
    let mut bad_digest = version(name, "1.1");
    bad_digest["container_digest"] = json!("sha256:xyz");
    let mut control = version("a\u{7}b", "1");
    control["name"] = json!("a\u{7}b");
    let mut kind = version(name, "1.2");
    kind["kind"] = json!("filter");
    let mut params = version(name, "1.3");
    params["parameters"] = json!([1, 2]);
    for (body, status, field) in [
        (bad_digest, 422, "container_digest"),
        (control, 422, "name"),
        (version("a/b", "1"), 422, "name"),
        (version("x", "1 0"), 422, "version"),
        (version("x", "1@0"), 422, "version"),
        (kind, 409, "kind"),
        (params, 422, "parameters"),
    ] {
        let r = e
            .call(
                "POST",
                "/api/v1/pipelines",
                Some("staff"),
                Some(body.clone()),
            )
            .await;
        assert_eq!(r.status.as_u16(), status, "{body}: {}", r.text);
        assert_eq!(
            r.headers["content-type"], "application/problem+json",
            "{}",
            r.text
        );
        assert!(r.text.contains(field), "{field}: {}", r.text);
    }
    // read back, by the multibyte name in the path
    let r = e
        .call(
            "GET",
            &format!("/api/v1/pipelines/{}", enc(name)),
            Some("admin"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.json["versions"].as_array().unwrap().len(),
        1,
        "{}",
        r.text
    );
    assert_eq!(r.json["kind"], "caller");
    assert!(r.json["current"].is_null());
    let l = e
        .call("GET", "/api/v1/pipelines", Some("staff"), None)
        .await;
    assert_eq!(l.json[0]["name"], name, "{}", l.text);
    // one audit entry for the one registration
    let a = audit_actions(&e, "pipeline.registered").await;
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(a[0].1, format!("pipeline:{name}@1.0"));
}

async fn evaluations_are_stored_and_promotion_follows_the_rule(e: Env) {
    let p = "germline";
    truth_set(&e, "GIAB").await;
    // a truth set file that is not there
    let r = e
        .call(
            "POST",
            "/api/v1/truth-sets",
            Some("staff"),
            Some(json!({"name": "GIAB", "version": "5", "sample": "HG002", "assembly": "GRCh38", "vcf": "none.vcf"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = e
        .call(
            "POST",
            "/api/v1/truth-sets",
            Some("staff"),
            Some(json!({"name": "GIAB", "version": "6", "sample": "HG002", "assembly": "GRCh38", "vcf": "../GIAB.vcf"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    for v in ["1.0", "1.1", "2.0"] {
        let r = e
            .call(
                "POST",
                "/api/v1/pipelines",
                Some("staff"),
                Some(version(p, v)),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    let staff = staff(&e).await;
    let giab = ("GIAB", "4.2.1");
    // 1.0: SNP 990/1000 (5 FP), INDEL 90/100 (5 FP)
    let ev = e
        .app
        .record_evaluation(
            &staff,
            p,
            "1.0",
            giab,
            "file:v1.vcf",
            "aa",
            &report((990, 5), (90, 5)),
        )
        .await
        .unwrap();
    assert!(ev.created);
    // the same call set again: the same evaluation, nothing new
    let again = e
        .app
        .record_evaluation(
            &staff,
            p,
            "1.0",
            giab,
            "file:v1.vcf",
            "aa",
            &report((990, 5), (90, 5)),
        )
        .await
        .unwrap();
    assert!(!again.created);
    assert_eq!(again.id, ev.id);
    // 1.1 finds fewer indels; 2.0 is better everywhere
    e.app
        .record_evaluation(
            &staff,
            p,
            "1.1",
            giab,
            "file:v11.vcf",
            "bb",
            &report((995, 4), (85, 5)),
        )
        .await
        .unwrap();
    e.app
        .record_evaluation(
            &staff,
            p,
            "2.0",
            giab,
            "file:v2.vcf",
            "cc",
            &report((995, 3), (95, 2)),
        )
        .await
        .unwrap();
    // the summary rows are columns: the API gives them per type and filter
    let d = e
        .call(
            "GET",
            &format!("/api/v1/pipelines/{p}"),
            Some("staff"),
            None,
        )
        .await;
    let evals = d.json["evaluations"].as_array().unwrap();
    assert_eq!(evals.len(), 3, "{}", d.text);
    let snp = evals[0]["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["type"] == "SNP" && m["filter"] == "PASS")
        .unwrap();
    assert_eq!(snp["tp"], 990);
    assert_eq!(snp["fn"], 10);
    assert!((snp["recall"].as_f64().unwrap() - 0.99).abs() < 1e-12);
    assert_eq!(evals[0]["report"]["truth"]["sample"], "HG002");
    assert_eq!(evals[0]["regions"], "GIAB.bed");

    // a reason is required
    let r = promote(&e, p, "1.0", "  ").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("reason"));
    // the first version with an evaluation becomes current
    let r = promote(&e, p, "1.0", "初回の検証済みバージョン").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.json["previous_version"].is_null());
    // 1.1 is worse on INDEL recall: refused, naming metric, truth set and gap
    let r = promote(&e, p, "1.1", "faster").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(
        r.text
            .contains("INDEL PASS recall on truth set GIAB@4.2.1 is 0.8500, 0.0500 below the current version 1.0 (0.9000"),
        "{}",
        r.text
    );
    // already current
    let r = promote(&e, p, "1.0", "again").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    // 2.0 is not worse anywhere
    let r = promote(&e, p, "2.0", "better recall and precision on GIAB").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["previous_version"], "1.0");
    let lines = r.json["comparison"].as_array().unwrap();
    assert_eq!(lines.len(), 6, "{}", r.text);
    assert!(lines.iter().all(|l| l["ok"] == true));
    let d = e
        .call(
            "GET",
            &format!("/api/v1/pipelines/{p}"),
            Some("staff"),
            None,
        )
        .await;
    assert_eq!(d.json["current"], "2.0", "{}", d.text);
    assert_eq!(
        d.json["promotions"][0]["reason"],
        "better recall and precision on GIAB"
    );
    assert_eq!(
        d.json["promotions"][1]["reason"],
        "初回の検証済みバージョン"
    );
    let states: Vec<(&str, &str)> = d.json["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["version"].as_str().unwrap(), v["state"].as_str().unwrap()))
        .collect();
    assert_eq!(
        states,
        [
            ("1.0", "registered"),
            ("1.1", "registered"),
            ("2.0", "current")
        ]
    );
    // retiring: not the current one; a registered one with a reason
    assert_eq!(retire(&e, p, "2.0").await.status, StatusCode::CONFLICT);
    assert_eq!(retire(&e, p, "1.1").await.status, StatusCode::NO_CONTENT);
    assert_eq!(
        promote(&e, p, "1.1", "x").await.status,
        StatusCode::CONFLICT
    );

    // the decisions are audited: who, what, why
    let promoted = audit_actions(&e, "pipeline.promoted").await;
    assert_eq!(promoted.len(), 2, "{promoted:?}");
    assert_eq!(promoted[1].1, format!("pipeline:{p}@2.0"));
    assert_eq!(
        promoted[1].2["reason"],
        "better recall and precision on GIAB"
    );
    let refused = audit_actions(&e, "pipeline.promotion_refused").await;
    assert_eq!(refused.len(), 3, "{refused:?}");
    assert!(
        refused[0].2["refusals"][0]
            .as_str()
            .unwrap()
            .contains("INDEL PASS recall")
    );
    assert_eq!(audit_actions(&e, "pipeline.evaluated").await.len(), 3);
    assert_eq!(audit_actions(&e, "pipeline.retired").await.len(), 1);
    assert!(e.app.store().verify_audit().await.unwrap().is_ok());

    // evaluation requests that cannot run are refused before anything is stored
    let r = eval(
        &e,
        p,
        "2.0",
        json!({"truth_set": "nope", "truth_version": "1", "file": "q.vcf"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    let r = eval(
        &e,
        p,
        "9.9",
        json!({"truth_set": "GIAB", "truth_version": "4.2.1", "file": "q.vcf"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    let r = eval(
        &e,
        p,
        "2.0",
        json!({"truth_set": "GIAB", "truth_version": "4.2.1", "file": "q.vcf", "object_id": "x"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = eval(
        &e,
        p,
        "2.0",
        json!({"truth_set": "GIAB", "truth_version": "4.2.1", "file": "missing.vcf"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("query"), "{}", r.text);
    let r = eval(
        &e,
        p,
        "1.1",
        json!({"truth_set": "GIAB", "truth_version": "4.2.1", "file": "q.vcf"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "retired: {}", r.text);
    assert_eq!(audit_actions(&e, "pipeline.evaluated").await.len(), 3);
}

/// Promotions of several versions at once, twice each: they are judged one
/// after the other, and one version is current at the end.
async fn a_parallel_promotion_burst_leaves_one_current_version(e: Env) {
    let p = "somatic-filter";
    truth_set(&e, "SEQC2").await;
    let staff = staff(&e).await;
    let versions: Vec<String> = (1..=6).map(|i| format!("{i}.0")).collect();
    for (i, v) in versions.iter().enumerate() {
        let mut body = version(p, v);
        body["kind"] = json!("filter");
        let r = e
            .call("POST", "/api/v1/pipelines", Some("staff"), Some(body))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        // each version a little better than the one before
        let k = i as u64;
        e.app
            .record_evaluation(
                &staff,
                p,
                v,
                ("SEQC2", "4.2.1"),
                &format!("file:{v}.vcf"),
                v,
                &report((900 + k, 10 - k), (80 + k, 10 - k)),
            )
            .await
            .unwrap();
    }
    let r = e
        .call(
            "POST",
            &format!("/api/v1/pipelines/{p}/1.0/promote"),
            Some("staff"),
            Some(json!({"reason": "first"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let calls = versions[1..].iter().chain(&versions[1..]).map(|v| {
        let router = e.router.clone();
        let token = e.tokens["staff"].clone();
        let uri = format!("/api/v1/pipelines/{p}/{v}/promote");
        tokio::spawn(async move {
            use tower::ServiceExt;
            let req = http::Request::builder()
                .method("POST")
                .uri(uri)
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/json")
                .body(axum::body::Body::from(r#"{"reason":"burst"}"#))
                .unwrap();
            router.oneshot(req).await.unwrap().status()
        })
    });
    let mut ok = 0;
    for h in calls.collect::<Vec<_>>() {
        let s = h.await.unwrap();
        assert!(
            s == StatusCode::OK || s == StatusCode::CONFLICT,
            "unexpected {s}"
        );
        ok += usize::from(s == StatusCode::OK);
    }
    assert!(ok >= 1);
    let d = e
        .call(
            "GET",
            &format!("/api/v1/pipelines/{p}"),
            Some("staff"),
            None,
        )
        .await;
    let current: Vec<&Value> = d.json["versions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["state"] == "current")
        .collect();
    assert_eq!(current.len(), 1, "{}", d.text);
    assert_eq!(current[0]["version"], d.json["current"]);
    // every success left a promotion record and an audit entry
    assert_eq!(
        d.json["promotions"].as_array().unwrap().len(),
        ok + 1,
        "{}",
        d.text
    );
    assert_eq!(audit_actions(&e, "pipeline.promoted").await.len(), ok + 1);
    // a worse version never became current: each promotion was judged
    // against the version current at that moment
    for pr in d.json["promotions"].as_array().unwrap() {
        if let Some(prev) = pr["previous_version"].as_str() {
            assert!(
                prev < pr["version"].as_str().unwrap(),
                "promoted {} over better {prev}",
                pr["version"]
            );
        }
    }
    assert!(e.app.store().verify_audit().await.unwrap().is_ok());
}

/// The demo's kit evaluated for real through the API: the truth set with
/// its confident regions and FASTA, each version's call set from the calls
/// directory; the homopolymer indels written at the other end of their run
/// and the complex record match; 1.0 is refused over 1.1, 1.1 over 1.0 is
/// promoted; the same file again is the same evaluation.
pub(crate) async fn evaluate_the_demo_kit(e: &Env) -> Vec<Value> {
    let cfg = e.app.config();
    zenome_demo::write_evaluation_kit(&cfg.truth_dir(), &cfg.calls_dir(), 42).unwrap();
    let r = e
        .call(
            "POST",
            "/api/v1/truth-sets",
            Some("staff"),
            Some(json!({"name": "zenome-demo-truth", "version": "1", "sample": "DEMO-TRUTH", "assembly": "zenome-demo",
                        "vcf": "demo-eval/truth.vcf", "regions": "demo-eval/confident.bed", "reference": "demo-eval/demo-eval.fa"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let p = zenome_demo::PIPELINE;
    let mut out = Vec::new();
    for v in ["1.0", "1.1"] {
        let r = e
            .call(
                "POST",
                "/api/v1/pipelines",
                Some("staff"),
                Some(version(p, v)),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let body = json!({"truth_set": "zenome-demo-truth", "truth_version": "1", "file": format!("{p}-{v}.vcf")});
        let r = eval(e, p, v, body.clone()).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let again = eval(e, p, v, body).await;
        assert_eq!(again.status, StatusCode::OK, "{}", again.text);
        assert_eq!(again.json["id"], r.json["id"]);
        assert_eq!(again.json["created"], false);
        out.push(r.json);
    }
    out
}

fn pass<'a>(ev: &'a Value, t: &str) -> &'a Value {
    ev["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["type"] == t && m["filter"] == "PASS")
        .unwrap_or_else(|| panic!("no {t} PASS in {ev}"))
}

async fn the_demo_kit_is_evaluated_for_real_and_the_better_version_promoted(e: Env) {
    let evs = evaluate_the_demo_kit(&e).await;
    let (v1, v2) = (&evs[0], &evs[1]);
    for ev in [v1, v2] {
        println!("{}", serde_json::to_string_pretty(&ev["metrics"]).unwrap());
        assert_eq!(ev["base_source"], "reference", "{ev}");
        assert_eq!(ev["regions"], "demo-eval/confident.bed");
    }
    // the homopolymer indels (written at the run's other end) all match
    let (i1, i2) = (pass(v1, "INDEL"), pass(v2, "INDEL"));
    assert_eq!(i2["truth_total"], 9, "{i2}");
    assert_eq!(i2["tp"], 8, "{i2}");
    assert_eq!(i1["tp"], 7, "{i1}");
    assert_eq!(i1["fp"], 1, "{i1}");
    // the complex record of 1.1 matches the two SNPs; 1.0 misses them
    let (s1, s2) = (pass(v1, "SNP"), pass(v2, "SNP"));
    assert!(s2["recall"].as_f64() > s1["recall"].as_f64(), "{s1} {s2}");
    assert!(
        s2["precision"].as_f64() > s1["precision"].as_f64(),
        "{s1} {s2}"
    );
    assert_eq!(s1["fp_gt"], 1, "{s1}");
    // outside the confident regions: counted as unk, not FP
    assert!(s1["unk"].as_i64().unwrap() >= 1, "{s1}");
    // no server path reaches the caller: files are named by their names
    let dir = e.app.config().calls_dir().display().to_string();
    let truth_dir = e.app.config().truth_dir().display().to_string();
    for ev in [v1, v2] {
        let text = ev.to_string();
        assert!(!text.contains(&dir) && !text.contains(&truth_dir), "{text}");
        assert_eq!(ev["report"]["truth"]["path"], "truth.vcf", "{ev}");
    }
    let p = zenome_demo::PIPELINE;
    // a call set cut short is refused naming the file and record, not the directory
    let whole =
        std::fs::read_to_string(e.app.config().calls_dir().join(format!("{p}-1.1.vcf"))).unwrap();
    let cut = &whole[..whole.trim_end().rfind('\t').unwrap()];
    std::fs::write(e.app.config().calls_dir().join("cut.vcf"), cut).unwrap();
    let body = json!({"truth_set": "zenome-demo-truth", "truth_version": "1", "file": "cut.vcf"});
    let r = eval(&e, p, "1.1", body).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(
        r.text.contains("cut.vcf") && r.text.contains("record"),
        "{}",
        r.text
    );
    assert!(!r.text.contains(&dir), "{}", r.text);
    assert_eq!(promote(&e, p, "1.0", "first").await.status, StatusCode::OK);
    let r = promote(&e, p, "1.1", "better").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let d = e
        .call(
            "GET",
            &format!("/api/v1/pipelines/{p}"),
            Some("staff"),
            None,
        )
        .await;
    assert_eq!(d.json["current"], "1.1", "{}", d.text);
}

/// A version's call set uploaded by its sequencing centre as a stored VCF
/// (the sample column named by the participant, the pipeline recorded as
/// `name version (details)`): evaluated by object id, and listed among the
/// version's results; an object recorded for another version is refused.
async fn a_stored_vcf_is_evaluated_and_linked_to_its_version(e: Env) {
    evaluate_the_demo_kit(&e).await;
    let p = zenome_demo::PIPELINE;
    let s = e.seeded_participant().await;
    let calls = std::fs::read_to_string(e.app.config().calls_dir().join(format!("{p}-1.1.vcf")))
        .unwrap()
        .replace("DEMO-CALLS", &s.pid);
    let upload = |recorded: &'static str, extra: &'static str| {
        let body = calls.replacen("\n", &format!("\n##source={extra}\n"), 1);
        let e = &e;
        let library = s.library.0.clone();
        async move {
            let cram = e.cram_placeholder(&library).await;
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
                .send_vcf_file(&node, "calls.vcf", recorded, body.as_bytes())
                .await;
            assert_eq!(st["state"], "stored", "{st}");
            st["object_id"].as_str().unwrap().to_string()
        }
    };
    let mine = upload("zenome-demo-pipeline 1.1 (GATK 4.6.0.0)", "a").await;
    let other = upload("zenome-demo-pipeline@1.0", "b").await;
    let body =
        |o: &str| json!({"truth_set": "zenome-demo-truth", "truth_version": "1", "object_id": o});
    let r = eval(&e, p, "1.1", body(&mine)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json["query"], format!("object:{mine}"));
    assert_eq!(pass(&r.json, "INDEL")["tp"], 8, "{}", r.text);
    let r = eval(&e, p, "1.1", body(&other)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("zenome-demo-pipeline@1.0"), "{}", r.text);
    let r = eval(&e, p, "1.1", body("none-such")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    // nothing of the temporary plaintext is left behind
    let left: Vec<_> = std::fs::read_dir(e.app.config().calls_dir())
        .unwrap()
        .filter_map(|f| f.ok())
        .filter(|f| f.file_name().to_string_lossy().starts_with(".incoming"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // each object is listed under the version it records
    let d = e
        .call(
            "GET",
            &format!("/api/v1/pipelines/{p}"),
            Some("staff"),
            None,
        )
        .await;
    let results = d.json["results"].as_array().unwrap();
    let of = |id: &str| {
        results
            .iter()
            .find(|r| r["id"] == id)
            .map(|r| r["version"].clone())
    };
    assert_eq!(of(&mine), Some(json!("1.1")), "{}", d.text);
    assert_eq!(of(&other), Some(json!("1.0")), "{}", d.text);
    // admins read the pipeline but not the results (they name participants)
    let d = e
        .call(
            "GET",
            &format!("/api/v1/pipelines/{p}"),
            Some("admin"),
            None,
        )
        .await;
    assert_eq!(d.json["results"], json!([]), "{}", d.text);
}

crate::on_both_engines!(
    a_stored_vcf_is_evaluated_and_linked_to_its_version,
    the_demo_kit_is_evaluated_for_real_and_the_better_version_promoted,
    versions_register_and_bad_input_is_refused_by_field,
    evaluations_are_stored_and_promotion_follows_the_rule,
    a_parallel_promotion_burst_leaves_one_current_version,
);
