//! `zenome identity compare|cohort` on public files: the JSON a user reads
//! (same_individual null on a handful of sites, never a guess), the kin0
//! table with the Ashkenazi trio's pedigree checked, a contradicting
//! pedigree making the command fail naming the pair, and refusals that name
//! the file.

use std::path::{Path, PathBuf};
use std::process::Command;

fn data_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("ZENOME_TESTDATA") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    };
    let bcftools = Command::new("bcftools").arg("--version").output().is_ok();
    if dir.is_dir() && bcftools {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "test data {} or bcftools missing",
        dir.display()
    );
    eprintln!(
        "notice: test data {} or bcftools missing; skipping",
        dir.display()
    );
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
fn identity_compare_prints_json_with_no_verdict_on_a_handful_of_sites() {
    let Some(d) = data_dir() else { return };
    let p = d.join("identity/picard-fingerprint");
    let map = p.join("Homo_sapiens_assembly19.haplotype_database.subset.txt");
    let out = zenome(&[
        "identity",
        "compare",
        p.join("NA12891.over.fingerprints.r1.sam").to_str().unwrap(),
        p.join("NA12892.vcf").to_str().unwrap(),
        "--sites",
        map.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for k in [
        "same_individual",
        "lod",
        "kinship",
        "ibs0",
        "concordance",
        "n_sites",
    ] {
        assert!(v.get(k).is_some(), "{k} missing: {v}");
    }
    assert_eq!(v["same_individual"], serde_json::Value::Null);
    assert!(v["n_sites"].as_u64().unwrap() <= 5);
    assert!(v["lod"].as_f64().unwrap() < 0.0, "{v}");
}

#[test]
fn identity_cohort_checks_the_trio_against_its_pedigree_and_fails_on_a_wrong_one() {
    let Some(d) = data_dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let vcf = tmp.path().join("trio.vcf.gz");
    let ok = Command::new("bcftools")
        .args(["view", "-v", "snps", "-m2", "-M2", "-Oz", "-o"])
        .arg(&vcf)
        .arg(d.join("vcf/truth/ashk-trio.vcf.gz"))
        .status()
        .unwrap();
    assert!(ok.success());
    let v = vcf.to_str().unwrap();
    let ped = d.join("vcf/truth/ashk-trio.ped");
    let out = zenome(&[
        "identity",
        "cohort",
        "--sites",
        v,
        "--pedigree",
        ped.to_str().unwrap(),
        v,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("#ID1\tID2\tNSNP\tHETHET\tIBS0\tKINSHIP\tRELATION\n"),
        "{text}"
    );
    let row = |a: &str, b: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("{a}\t{b}\t")))
            .unwrap_or_else(|| panic!("{a} {b}: {text}"))
            .to_string()
    };
    assert!(row("HG002", "HG003").ends_with("first_degree"));
    assert!(row("HG002", "HG004").ends_with("first_degree"));
    assert!(row("HG003", "HG004").ends_with("unrelated"));
    assert!(
        text.contains("PEDIGREE\tHG003\tHG004\tmates\tunrelated"),
        "{text}"
    );
    assert!(!text.contains("\tfail\n"), "{text}");

    let wrong = tmp.path().join("wrong.ped");
    std::fs::write(
        &wrong,
        "ash HG002 HG003 HG004 1 2\nash HG003 HG004 0 1 0\nash HG004 0 0 2 0\n",
    )
    .unwrap();
    let out = zenome(&[
        "identity",
        "cohort",
        "--sites",
        v,
        "--pedigree",
        wrong.to_str().unwrap(),
        v,
    ]);
    assert_eq!(out.status.code(), Some(3));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("PEDIGREE\tHG003\tHG004\tparent_offspring\tunrelated"),
        "{text}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("contradict the pedigree"));
}

#[test]
fn identity_refuses_a_file_without_an_assembly_or_a_missing_one_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let vcf = tmp.path().join("noasm.vcf");
    std::fs::write(
        &vcf,
        "##fileformat=VCFv4.2\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n\
         #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n1\t69761\t.\tA\tT\t.\tPASS\t.\tGT\t0/1\n",
    )
    .unwrap();
    let v = vcf.to_str().unwrap();
    let out = zenome(&["identity", "compare", v, v]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--assembly"));
    let out = zenome(&[
        "identity",
        "compare",
        v,
        "/nonexistent.vcf",
        "--assembly",
        "GRCh37",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent.vcf"));
}

/// Multi-byte characters in every name a user gives: the file path, the
/// sample names in the VCF and the pedigree. The table and the pedigree
/// checks carry them intact, and the relations are the trio's.
#[test]
fn identity_keeps_multibyte_sample_names_and_paths_intact() {
    let Some(d) = data_dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("検体フォルダ");
    std::fs::create_dir_all(&dir).unwrap();
    let snps = dir.join("三人家族.vcf.gz");
    let ok = Command::new("bcftools")
        .args(["view", "-v", "snps", "-m2", "-M2", "-Oz", "-o"])
        .arg(&snps)
        .arg(d.join("vcf/truth/ashk-trio.vcf.gz"))
        .status()
        .unwrap();
    assert!(ok.success());
    let names = dir.join("名前.txt");
    std::fs::write(&names, "HG002 患者-α\nHG003 父親β\nHG004 母親γ\n").unwrap();
    let renamed = dir.join("改名済み.vcf.gz");
    let ok = Command::new("bcftools")
        .args(["reheader", "-s"])
        .arg(&names)
        .arg("-o")
        .arg(&renamed)
        .arg(&snps)
        .status()
        .unwrap();
    assert!(ok.success());
    let ped = dir.join("家系.ped");
    std::fs::write(
        &ped,
        "家族1 患者-α 父親β 母親γ 1 2\n家族1 父親β 0 0 1 1\n家族1 母親γ 0 0 2 1\n",
    )
    .unwrap();
    let v = renamed.to_str().unwrap();
    let out = zenome(&[
        "identity",
        "cohort",
        "--sites",
        v,
        "--pedigree",
        ped.to_str().unwrap(),
        v,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("UTF-8 output");
    let row = |a: &str, b: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("{a}\t{b}\t")))
            .unwrap_or_else(|| panic!("{a} {b}: {text}"))
            .to_string()
    };
    assert!(row("患者-α", "父親β").ends_with("first_degree"), "{text}");
    assert!(row("患者-α", "母親γ").ends_with("first_degree"), "{text}");
    assert!(row("父親β", "母親γ").ends_with("unrelated"), "{text}");
    assert!(
        text.contains("PEDIGREE\t父親β\t母親γ\tmates\tunrelated"),
        "{text}"
    );
    // compare picks samples by their multi-byte names: the renamed child is
    // the original HG002, and a name not in the file is refused by name
    let out = zenome(&[
        "identity",
        "compare",
        v,
        snps.to_str().unwrap(),
        "--sites",
        v,
        "--sample-a",
        "患者-α",
        "--sample-b",
        "HG002",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let c: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(c["same_individual"], true, "{c}");
    assert_eq!(c["a"], "患者-α");
    let out = zenome(&[
        "identity",
        "compare",
        v,
        snps.to_str().unwrap(),
        "--sites",
        v,
        "--sample-a",
        "患者-Ω",
        "--sample-b",
        "HG002",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("患者-Ω"), "{err}");
}
