//! `zenome annotate` as a user runs it on files alone: a bcftools-csq case
//! (TLR8: FASTA, Ensembl GFF3, VCF) annotated to standard output, read back
//! with Debian's `bcftools +split-vep`; a gzipped input; a multi-byte path;
//! a REF mismatch reported on standard error; a wrong option named.

use std::path::{Path, PathBuf};
use std::process::Command;

fn case() -> Option<PathBuf> {
    let dir = match std::env::var_os("ZENOME_TESTDATA") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    };
    let case = dir.join("annotation/bcftools-csq/ENST00000218032");
    let bcftools = Command::new("bcftools").arg("--version").output().is_ok();
    if case.is_dir() && bcftools {
        return Some(case);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "test data {} or bcftools missing",
        dir.display()
    );
    eprintln!("notice: test data or bcftools missing; skipping");
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
fn annotate_writes_a_vcf_that_split_vep_reads() {
    let Some(case) = case() else { return };
    let dir = tempfile::tempdir().unwrap();
    // a multi-byte directory name, a gzipped input with one REF mismatch
    let sub = dir.path().join("注釈");
    std::fs::create_dir_all(&sub).unwrap();
    let vcf = sub.join("入力.vcf.gz");
    let text = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\nX\t108\t.\tA\tG\t.\t.\t.\nX\t12455\t.\tT\tG\t.\t.\t.\nX\t12456\t.\tG\tT\t.\t.\t.\n";
    let mut w = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut w, text.as_bytes()).unwrap();
    std::fs::write(&vcf, w.finish().unwrap()).unwrap();
    let gff = case.join("ENST00000218032.gff");
    let fa = case.join("ENST00000218032.fa");
    let out = zenome(&[
        "annotate",
        "--gene-model",
        gff.to_str().unwrap(),
        "--reference",
        fa.to_str().unwrap(),
        vcf.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("annotated 3 records"), "{stderr}");
    assert!(
        stderr.contains("X:12456 REF=G FASTA="),
        "the mismatch is named: {stderr}"
    );
    let annotated = sub.join("出力.vcf");
    std::fs::write(&annotated, &out.stdout).unwrap();
    let q = Command::new("bcftools")
        .args([
            "+split-vep",
            "-f",
            "%POS\t%SYMBOL\t%Consequence\t%HGVSc\t%HGVSp\n",
            "-d",
        ])
        .arg(&annotated)
        .output()
        .unwrap();
    assert!(q.status.success(), "{}", String::from_utf8_lossy(&q.stderr));
    let rows = String::from_utf8(q.stdout).unwrap();
    assert!(
        rows.contains("108\tTLR8\tstart_lost&splice_region_variant\tENST00000218032.6:c.1A>G\tENSP00000218032:p.Met1?"),
        "{rows}"
    );
    assert!(
        rows.contains(
            "12455\tTLR8\tmissense_variant\tENST00000218032.6:c.14T>G\tENSP00000218032:p.Phe5Cys"
        ),
        "{rows}"
    );
    assert!(
        !rows.contains("12456\t"),
        "the mismatching record has no consequences: {rows}"
    );

    // a wrong option value is named
    let out = zenome(&[
        "annotate",
        "--gene-model",
        gff.to_str().unwrap(),
        "--reference",
        fa.to_str().unwrap(),
        "--canonical",
        "best",
        vcf.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("'best'"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
