//! QC re-evaluation per sequencing centre (R4.2), on SQLite and PostgreSQL:
//! a centre whose recent files fail more, or whose alignments map worse, is
//! flagged with that metric and reason and alerted once; a steady centre is
//! not; a centre with too few files is "not enough data"; running twice or
//! in a parallel burst leaves whole runs in commit order and one alert; a
//! centre with a Japanese name is reported by it; each reader sees what the
//! QC pages let them see; the portal shows the badge, the table and the
//! chart, and staff re-run it with the form.
//!
//! Files are registered behind the services with chosen ingest times
//! (`zenome_store::testing::insert_qc_file`): the QC JSON has the fields
//! and `kind` tags of `zenome_formats::Qc` as the ingest stores it.

use http::StatusCode;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};
use zenome_app::Actor;
use zenome_domain::organisation::{OrgKind, Organisation};

use crate::harness::Env;
use crate::portal::{Browser, csrf_of};

fn fastq_qc(q30: f64) -> String {
    json!({"kind": "Fastq", "reads": 2500, "bases": 375000, "mean_quality": 20.0 + 20.0 * q30,
           "q30_fraction": q30, "gc_fraction": 0.41, "n_bases": 0, "min_length": 150,
           "max_length": 150, "mean_length": 150.0, "length_histogram": [[150, 2500]],
           "compression": "Gzip"})
    .to_string()
}

fn cram_qc(mapped: f64) -> String {
    json!({"kind": "Alignment", "records": 2500, "mapped": (2500.0 * mapped) as u64,
           "mapped_fraction": mapped, "duplicates": 50, "duplicate_fraction": 0.02,
           "paired": 0, "properly_paired": 0, "secondary": 0, "supplementary": 0,
           "qc_failed": 0, "reference_sequences": 3, "reference_md5_present": true,
           "read_groups": ["rg1"], "samples": [], "sort_order": "coordinate"})
    .to_string()
}

/// `n` files of `centre` ingested `days` (cycling) days ago, the first
/// `failed` of them failing QC; `qc(i)` gives each its QC JSON.
async fn files(
    e: &Env,
    pid: &str,
    (centre, format): (&str, &str),
    n: usize,
    failed: usize,
    days: &[i64],
    qc: impl Fn(usize) -> String,
) {
    let now = OffsetDateTime::now_utc();
    for i in 0..n {
        let at = now - Duration::days(days[i % days.len()]) - Duration::minutes(i as i64);
        zenome_store::testing::insert_qc_file(
            e.app.store(),
            pid,
            centre,
            format,
            &qc(i),
            i < failed,
            at,
        )
        .await;
    }
}

const RECENT: [i64; 5] = [1, 5, 10, 15, 25];
const BEFORE: [i64; 5] = [35, 50, 70, 90, 110];

/// A steady Q30 around 0.92 (0.90 … 0.94).
fn steady(i: usize) -> String {
    fastq_qc(0.90 + 0.01 * (i % 5) as f64)
}

/// SEQ-KZ fails more lately (1/20 → 10/20, same Q30), SEQ-TK is steady
/// (1/20 → 1/20), SEQ-HK (北海道…) sent three files, all failed.
pub(crate) async fn cohort(e: &Env) -> String {
    e.app
        .register_organisation(
            &Actor::local(),
            Organisation::new(
                "SEQ-HK".parse().unwrap(),
                OrgKind::SequencingCentre,
                "Hokkaido Genome Analysis Centre",
                "北海道ゲノム解析センター",
            )
            .unwrap(),
        )
        .await
        .unwrap();
    let pid = e.seeded_participant().await.pid;
    files(e, &pid, ("SEQ-KZ", "fastq"), 20, 1, &BEFORE, steady).await;
    files(e, &pid, ("SEQ-KZ", "fastq"), 20, 10, &RECENT, steady).await;
    files(e, &pid, ("SEQ-TK", "fastq"), 20, 1, &BEFORE, steady).await;
    files(e, &pid, ("SEQ-TK", "fastq"), 20, 1, &RECENT, steady).await;
    files(e, &pid, ("SEQ-HK", "fastq"), 3, 3, &RECENT, steady).await;
    pid
}

fn centre<'a>(report: &'a Value, code: &str) -> &'a Value {
    report["centres"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["centre"] == code)
        .unwrap_or_else(|| panic!("no {code} in {report}"))
}

fn metric<'a>(c: &'a Value, name: &str) -> &'a Value {
    c["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == name)
        .unwrap_or_else(|| panic!("no {name} in {c}"))
}

async fn qc_alerts(e: &Env) -> Vec<zenome_store::AlertRow> {
    e.app
        .store()
        .alerts(1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.rule == "qc_drift")
        .collect()
}

async fn audited_runs(e: &Env) -> usize {
    e.app
        .store()
        .audit_after(0, i64::MAX)
        .await
        .unwrap()
        .iter()
        .filter(|a| a.action == "qc_drift.run")
        .count()
}

async fn a_centre_failing_more_is_flagged_and_a_steady_one_is_not(e: Env) {
    cohort(&e).await;
    // nothing ran yet
    let r = e.call("GET", "/api/v1/qc/drift", Some("staff"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json, json!({"run": null, "centres": []}));

    let r = e
        .call("POST", "/api/v1/qc/drift/runs", Some("staff"), None)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let run = &r.json;
    assert_eq!(run["run"]["reason"], "requested");
    assert_eq!(run["run"]["requested_by"], "user:staff");
    assert_eq!(
        (&run["run"]["centres"], &run["run"]["drifting"]),
        (&json!(3), &json!(1))
    );
    assert_eq!(run["newly_drifting"], json!(["SEQ-KZ:failure_rate"]));

    // SEQ-KZ: 10/20 against 1/20, z = 3.19 ≥ 3
    let kz = centre(run, "SEQ-KZ");
    assert_eq!(kz["verdict"], "drifting");
    let f = metric(kz, "failure_rate");
    assert_eq!(f["verdict"], "drifting");
    assert_eq!(f["reason"], "failure_rate_above_baseline");
    assert!(f["note"].as_str().unwrap().contains("z = 3.19"), "{f}");
    assert_eq!(f["window"], json!({"n": 20, "value": 0.5, "spread": 10.0}));
    assert_eq!(
        f["baseline"],
        json!({"n": 20, "value": 0.05, "spread": 1.0})
    );
    // the rest of the programme's window: SEQ-TK's 20 and SEQ-HK's 3
    assert_eq!(f["programme"]["n"], 23);
    // its Q30 did not move
    assert_eq!(metric(kz, "fastq_q30")["verdict"], "stable");
    // metrics without files (no CRAM, no VCF) cannot be judged
    assert_eq!(metric(kz, "alignment_mapped")["verdict"], "not_enough_data");

    // SEQ-TK: 1/20 against 1/20, and better than the rest
    let tk = centre(run, "SEQ-TK");
    assert_eq!(tk["verdict"], "stable", "{tk}");
    assert_eq!(metric(tk, "failure_rate")["reason"], "within_limits");

    // SEQ-HK: three failed files of three are too few to judge
    let hk = centre(run, "SEQ-HK");
    assert_eq!(hk["verdict"], "not_enough_data", "{hk}");
    assert_eq!(hk["name_ja"], "北海道ゲノム解析センター");
    let f = metric(hk, "failure_rate");
    assert_eq!(
        (f["verdict"].as_str(), f["reason"].as_str()),
        (Some("not_enough_data"), Some("not_enough_data"))
    );
    assert_eq!(f["window"]["value"], 1.0);

    // one alert, naming the centre, the metric and why; audited
    let alerts = qc_alerts(&e).await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert!(alerts[0].summary.contains("SEQ-KZ") && alerts[0].summary.contains("failure_rate"));
    assert_eq!(audited_runs(&e).await, 1);

    // the same run again: a second run in the history, the same verdicts,
    // no second alert
    let again = e
        .call("POST", "/api/v1/qc/drift/runs", Some("staff"), None)
        .await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
    assert_eq!(again.json["newly_drifting"], json!([]));
    assert_eq!(again.json["centres"], run["centres"]);
    assert_ne!(again.json["run"]["id"], run["run"]["id"]);
    assert_eq!(qc_alerts(&e).await.len(), 1);
    assert_eq!(audited_runs(&e).await, 2);
    let runs = e
        .call("GET", "/api/v1/qc/drift/runs?limit=10", Some("staff"), None)
        .await;
    assert_eq!(runs.status, StatusCode::OK, "{}", runs.text);
    let ids: Vec<&Value> = runs
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["run"]["id"])
        .collect();
    assert_eq!(
        ids,
        [&again.json["run"]["id"], &run["run"]["id"]],
        "newest first"
    );
    for bad in ["limit=0", "limit=101", "limit=many", "since=2026"] {
        let r = e
            .call(
                "GET",
                &format!("/api/v1/qc/drift/runs?{bad}"),
                Some("staff"),
                None,
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.text
        );
        assert_eq!(r.headers["content-type"], "application/problem+json");
    }
    let latest = e.call("GET", "/api/v1/qc/drift", Some("staff"), None).await;
    assert_eq!(latest.json["run"]["id"], again.json["run"]["id"]);

    // a sequencing centre sees its own verdict only; others are refused
    let own = e
        .call("GET", "/api/v1/qc/drift", Some("centre"), None)
        .await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.text);
    let codes: Vec<&Value> = own.json["centres"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["centre"])
        .collect();
    assert_eq!(codes, [&json!("SEQ-KZ")]);
    assert_eq!(
        (&own.json["run"]["centres"], &own.json["run"]["drifting"]),
        (&json!(1), &json!(1))
    );
    let other = e
        .call("GET", "/api/v1/qc/drift", Some("centre_other"), None)
        .await;
    let codes: Vec<&Value> = other.json["centres"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["centre"])
        .collect();
    assert_eq!(codes, [&json!("SEQ-TK")]);
    assert_eq!(other.json["run"]["drifting"], 0);
    let refused = e
        .call("POST", "/api/v1/qc/drift/runs", Some("centre"), None)
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.headers["content-type"], "application/problem+json");
    assert_eq!(audited_runs(&e).await, 2, "a refused run leaves no run");
}

async fn a_mapping_drop_is_flagged_with_its_metric(e: Env) {
    let pid = e.seeded_participant().await.pid;
    // SEQ-TK's CRAMs mapped 0.97–0.99 before, 0.85–0.87 lately: the
    // window's median 0.86 is 0.12 below the baseline's 0.98, beyond
    // 3 × 1.4826 × MAD (0.005) = 0.0222
    let mapped = |base: f64| move |i: usize| cram_qc(base + 0.005 * (i % 5) as f64);
    files(&e, &pid, ("SEQ-TK", "cram"), 10, 0, &BEFORE, mapped(0.97)).await;
    files(&e, &pid, ("SEQ-TK", "cram"), 10, 0, &RECENT, mapped(0.85)).await;
    // SEQ-KZ steady at 0.97–0.99 throughout
    files(&e, &pid, ("SEQ-KZ", "cram"), 10, 0, &BEFORE, mapped(0.97)).await;
    files(&e, &pid, ("SEQ-KZ", "cram"), 10, 0, &RECENT, mapped(0.97)).await;
    let out = e
        .app
        .run_qc_drift(&Actor::local(), "requested")
        .await
        .unwrap();
    assert_eq!(
        out.newly_drifting,
        [("SEQ-TK".to_string(), "alignment_mapped".to_string())]
    );
    let tk = out
        .report
        .centres
        .iter()
        .find(|c| c.centre == "SEQ-TK")
        .unwrap();
    assert_eq!(tk.verdict, "drifting");
    let m = tk
        .metrics
        .iter()
        .find(|m| m.metric == "alignment_mapped")
        .unwrap();
    assert_eq!(m.reason, "median_below_baseline");
    assert!((m.window_value.unwrap() - 0.86).abs() < 1e-9, "{m:?}");
    assert!((m.baseline_value.unwrap() - 0.98).abs() < 1e-9, "{m:?}");
    let f = tk
        .metrics
        .iter()
        .find(|m| m.metric == "failure_rate")
        .unwrap();
    assert_eq!(f.verdict, "stable");
    let kz = out
        .report
        .centres
        .iter()
        .find(|c| c.centre == "SEQ-KZ")
        .unwrap();
    assert_eq!(kz.verdict, "stable", "{kz:?}");
    assert_eq!(out.report.run.requested_by, "local:operator");
    let alerts = qc_alerts(&e).await;
    assert_eq!(alerts.len(), 1);
    assert!(
        alerts[0]
            .summary
            .contains("SEQ-TK: QC drifting in alignment_mapped"),
        "{}",
        alerts[0].summary
    );

    // then 16 more recent CRAMs fail QC: 16/26 against 0/10, z = 3.33; the
    // centre was drifting already, but this metric starts now: one more
    // alert, for it alone
    files(&e, &pid, ("SEQ-TK", "cram"), 16, 16, &RECENT, mapped(0.85)).await;
    let out = e
        .app
        .run_qc_drift(&Actor::local(), "requested")
        .await
        .unwrap();
    assert_eq!(
        out.newly_drifting,
        [("SEQ-TK".to_string(), "failure_rate".to_string())]
    );
    let alerts = qc_alerts(&e).await;
    assert_eq!(alerts.len(), 2);
    assert!(
        alerts.iter().any(|a| a.summary.contains(
            "QC drifting in failure_rate (failure_rate: failure rate above the baseline (z = 3.33"
        )),
        "{alerts:?}"
    );
}

async fn a_parallel_burst_of_runs_leaves_whole_runs_and_one_alert(e: Env) {
    cohort(&e).await;
    let runs: Vec<_> = (0..6)
        .map(|_| {
            let app = e.app.clone();
            tokio::spawn(async move { app.run_qc_drift(&Actor::local(), "requested").await })
        })
        .collect();
    let mut newly = Vec::new();
    for r in runs {
        newly.extend(r.await.unwrap().unwrap().newly_drifting);
    }
    assert_eq!(
        newly,
        [("SEQ-KZ".to_string(), "failure_rate".to_string())],
        "exactly one run saw it start"
    );
    assert_eq!(qc_alerts(&e).await.len(), 1);
    let stored = e.app.store().qc_drift_runs(100).await.unwrap();
    assert_eq!(stored.len(), 6);
    let mut seqs: Vec<i64> = stored.iter().map(|r| r.seq).collect();
    seqs.dedup();
    assert_eq!(seqs.len(), 6, "one audit position each");
    assert!(
        seqs.windows(2).all(|w| w[0] > w[1]),
        "newest first: {seqs:?}"
    );
    for r in &stored {
        let rows = e.app.store().qc_drift_results(&r.id).await.unwrap();
        assert_eq!(
            rows.len(),
            3 * zenome_app::qc_drift::stats::METRICS.len(),
            "a whole run"
        );
        assert_eq!(rows.iter().filter(|x| x.verdict == "drifting").count(), 1);
    }
    assert_eq!(audited_runs(&e).await, 6);
    assert!(e.app.store().verify_audit().await.unwrap().is_ok());
    // the history of one centre and metric has one point per run
    let h = e
        .app
        .qc_drift_history(&Actor::local(), &"SEQ-KZ".parse().unwrap(), 100)
        .await
        .unwrap();
    assert_eq!(
        h.iter().filter(|(_, r)| r.metric == "failure_rate").count(),
        6
    );
}

async fn the_qc_pages_show_the_drift_in_both_languages(e: Env) {
    cohort(&e).await;
    let mut b = Browser::new(&e);
    let r = b.login("staff", "staff").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    // before any run
    b.get("/lang/en?next=/portal/qc").await;
    let page = b.get("/portal/qc").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("Not re-evaluated yet"), "{}", page.text);
    assert!(!page.text.contains("drift-badge"));
    // staff re-run it with the form (CSRF checked)
    let refused = b.post("/portal/qc/drift/run", &[("csrf", "forged")]).await;
    assert_ne!(refused.status, StatusCode::SEE_OTHER);
    assert!(e.app.store().qc_drift_runs(1).await.unwrap().is_empty());
    let csrf = csrf_of(&page.text);
    let r = b.post("/portal/qc/drift/run", &[("csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let page = b.get("/portal/qc").await;
    assert!(
        page.text
            .contains(r#"data-verdict="drifting">Drifting</span>"#),
        "{}",
        page.text
    );
    assert!(
        page.text
            .contains("QC failure rate: Failure rate rose above its baseline"),
        "{}",
        page.text
    );
    assert!(page.text.contains(r#"data-verdict="stable">Stable</span>"#));
    assert!(page.text.contains("Hokkaido Genome Analysis Centre"));
    assert!(
        page.text
            .contains(r#"data-verdict="not_enough_data">Not enough data</span>"#)
    );
    // the centre's page: the table and the chart of past runs
    let c = b.get("/portal/qc/SEQ-KZ").await;
    assert_eq!(c.status, StatusCode::OK);
    assert!(
        c.text.contains(r#"id="qc-drift""#)
            && c.text
                .contains(r#"data-metric="failure_rate" data-verdict="drifting""#),
        "{}",
        c.text
    );
    assert!(
        c.text.contains("50.0 % (n = 20)") && c.text.contains("5.0 % (n = 20)"),
        "{}",
        c.text
    );
    assert!(
        c.text
            .contains(r#"<figure id="qc-drift-chart" data-metric="failure_rate">"#)
    );
    assert_eq!(
        c.text.matches("class=\"point c0\"").count(),
        1,
        "one run, one window point"
    );
    let q = b.get("/portal/qc/SEQ-KZ?metric=fastq_q30").await;
    assert!(q.text.contains(r#"data-metric="fastq_q30">"#));
    // in Japanese, with the Japanese centre name
    b.get("/lang/ja?next=/portal/qc").await;
    let ja = b.get("/portal/qc").await;
    assert!(
        ja.text
            .contains(r#"data-verdict="drifting">変動あり</span>"#),
        "{}",
        ja.text
    );
    assert!(ja.text.contains("QC不合格率: 不合格率が基準期間より上昇"));
    assert!(ja.text.contains("北海道ゲノム解析センター"));
    assert!(ja.text.contains("データ不足"));
    let hk = b.get("/portal/qc/SEQ-HK").await;
    assert_eq!(hk.status, StatusCode::OK);
    assert!(hk.text.contains("北海道ゲノム解析センター") && hk.text.contains("データ不足"));
    // a facility may not read sequencing QC
    let mut f = Browser::new(&e);
    f.login("facility", "sub.tky").await;
    let r = f.get("/portal/qc").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = f.post("/portal/qc/drift/run", &[("csrf", "x")]).await;
    assert_ne!(r.status, StatusCode::SEE_OTHER);
}

crate::on_both_engines!(
    a_centre_failing_more_is_flagged_and_a_steady_one_is_not,
    a_mapping_drop_is_flagged_with_its_metric,
    a_parallel_burst_of_runs_leaves_whole_runs_and_one_alert,
    the_qc_pages_show_the_drift_in_both_languages,
);
