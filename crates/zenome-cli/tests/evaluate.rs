//! `zenome evaluate` as a user runs it on files alone: the Platinum NA12878
//! chr21 truth against `hc.vcf.gz` in its confident regions, as JSON and as
//! hap.py's summary.csv; a multi-sample query without `--sample` refused
//! listing the samples; a multi-byte path.

use std::path::{Path, PathBuf};
use std::process::Command;

fn truth_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("ZENOME_TESTDATA") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    };
    let d = dir.join("vcf/truth");
    if d.join("PG_NA12878_chr21.vcf.gz").exists() {
        return Some(d);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "test data {} missing",
        d.display()
    );
    eprintln!("notice: test data missing; skipping");
    None
}

fn zenome(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_zenome"))
        .args(args)
        .env_remove("ZENOME_DATABASE_URL")
        .env("ZENOME_LOG", "warn")
        .output()
        .expect("run zenome")
}

#[test]
fn evaluate_prints_happy_summary_as_json_and_csv() {
    let Some(d) = truth_dir() else { return };
    let dir = tempfile::tempdir().unwrap();
    // a multi-byte directory name on the way
    let truth = dir.path().join("真値.vcf.gz");
    std::fs::copy(d.join("PG_NA12878_chr21.vcf.gz"), &truth).unwrap();
    let args = |fmt: &'static str| {
        vec![
            "evaluate".to_string(),
            "--truth".into(),
            truth.display().to_string(),
            "--query".into(),
            d.join("hc.vcf.gz").display().to_string(),
            "--regions".into(),
            d.join("PG_Conf_chr21.bed.gz").display().to_string(),
            "--format".into(),
            fmt.into(),
        ]
    };
    let a = args("json");
    let out = zenome(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for t in ["SNP", "INDEL"] {
        for f in ["ALL", "PASS"] {
            let row = &v["summary"][t][f];
            for k in [
                "truth_total",
                "tp",
                "fn",
                "query_total",
                "fp",
                "unk",
                "fp_gt",
                "recall",
                "precision",
                "f1",
            ] {
                assert!(!row[k].is_null(), "{t} {f} {k}: {row}");
            }
        }
    }
    assert_eq!(v["summary"]["SNP"]["PASS"]["truth_total"], 52494);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("counted as unk"), "{stderr}");

    let a = args("csv");
    let out = zenome(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(out.status.success());
    let csv = String::from_utf8(out.stdout).unwrap();
    let expected = std::fs::read_to_string(d.join("expected.summary.csv")).unwrap();
    assert_eq!(
        csv.lines().next(),
        expected.lines().next(),
        "the header is hap.py's"
    );
    assert_eq!(csv.lines().count(), 5);
    assert!(csv.contains("\nSNP,PASS,52494,"), "{csv}");
}

#[test]
fn a_multi_sample_query_without_sample_is_refused_listing_them() {
    let Some(d) = truth_dir() else { return };
    let out = zenome(&[
        "evaluate",
        "--truth",
        d.join("PG_NA12878_chr21.vcf.gz").to_str().unwrap(),
        "--query",
        d.join("ashk-trio.vcf.gz").to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("samples (") && e.contains("--sample"), "{e}");
}
