//! `zenome prioritise` as a user runs it on files alone: a published
//! Phenopacket ranked on phenotypes (JSON with genes, ranks, scores and the
//! matched terms); a packet without features refused; a VCF without CSQ
//! and no gene model refused naming the fix.

use std::path::{Path, PathBuf};
use std::process::Command;

fn phenotype_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("ZENOME_TESTDATA") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    };
    let d = dir.join("phenotype");
    if d.join("hp.obo").exists() {
        return Some(d);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "test data {} missing",
        d.display()
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
fn prioritise_ranks_genes_from_a_phenopacket_and_refuses_bad_input() {
    let Some(d) = phenotype_dir() else { return };
    let packet = std::fs::read_dir(d.join("phenopacket-store-sample"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.to_string_lossy().contains("PMID_39419027_P2"))
        .unwrap();
    let hpo = d.join("hp.obo");
    let g2p = d.join("genes_to_phenotype.txt.gz");
    let base = [
        "prioritise",
        "--hpo",
        hpo.to_str().unwrap(),
        "--genes-to-phenotype",
        g2p.to_str().unwrap(),
    ];
    let mut args = base.to_vec();
    args.extend(["--phenopacket", packet.to_str().unwrap(), "--top", "5"]);
    let out = zenome(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let genes = v["genes"].as_array().unwrap();
    assert_eq!(genes.len(), 5);
    assert_eq!(genes[0]["rank"], 1);
    assert!(genes[0]["gene"].is_string() && genes[0]["score"].is_number());
    assert!(!genes[0]["matched_terms"].as_array().unwrap().is_empty());
    assert_eq!(v["with_variants"], false);

    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("空.json");
    std::fs::write(
        &empty,
        r#"{"id":"x","subject":{"id":"P"},"phenotypicFeatures":[]}"#,
    )
    .unwrap();
    let mut args = base.to_vec();
    args.extend(["--phenopacket", empty.to_str().unwrap()]);
    let out = zenome(&args);
    assert!(!out.status.success());
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("no observed phenotypic features"), "{e}");

    let vcf = dir.path().join("plain.vcf");
    std::fs::write(
        &vcf,
        "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tP2\nchr1\t1\t.\tA\tG\t.\t.\t.\tGT\t0/1\n",
    )
    .unwrap();
    let mut args = base.to_vec();
    args.extend([
        "--phenopacket",
        packet.to_str().unwrap(),
        "--vcf",
        vcf.to_str().unwrap(),
    ]);
    let out = zenome(&args);
    assert!(!out.status.success());
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("no CSQ field") && e.contains("--gene-model"),
        "{e}"
    );
}
