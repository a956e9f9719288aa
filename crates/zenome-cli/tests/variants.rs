//! `zenome variants load|freq` on the public 300-sample chr20 cohort, checked
//! line by line against `bcftools +fill-tags` over the same samples; repeated
//! loads and unknown sample names refused with messages that name them.

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
fn variants_load_then_freq_prints_the_ac_an_of_bcftools_fill_tags() {
    let Some(d) = data_dir() else { return };
    let vcf = d.join("vcf/cohort/shapeit4-1kg-chr20-300samples.vcf.gz");
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let (s, v) = (store.to_str().unwrap(), vcf.to_str().unwrap());
    let out = zenome(&[
        "variants",
        "load",
        "--store",
        s,
        "--pipeline",
        "shapeit4",
        "--reference-version",
        "GRCh37",
        v,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("300 samples"));

    // every other sample
    let names = Command::new("bcftools")
        .args(["query", "-l", v])
        .output()
        .unwrap();
    let half: Vec<&str> = std::str::from_utf8(&names.stdout)
        .unwrap()
        .lines()
        .step_by(2)
        .collect();
    let list = tmp.path().join("samples.txt");
    std::fs::write(&list, half.join("\n") + "\n").unwrap();
    let region = "20:1200000-1300000";
    let out = zenome(&[
        "variants",
        "freq",
        "--store",
        s,
        "--region",
        region,
        "--samples",
        list.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ours = String::from_utf8(out.stdout).unwrap();
    let mut lines = ours.lines();
    assert_eq!(lines.next(), Some("#CHROM\tPOS\tREF\tALT\tAC\tAN\tAF"));
    let got: Vec<String> = lines
        .map(|l| l.split('\t').take(6).collect::<Vec<_>>().join("\t"))
        .collect();
    let want = Command::new("bash")
        .args([
            "-o",
            "pipefail",
            "-c",
            &format!(
                "bcftools view -S {} -t {region} --targets-overlap pos {v} | bcftools +fill-tags -- -t AC,AN | bcftools query -f '%CHROM\\t%POS\\t%REF\\t%ALT\\t%AC\\t%AN\\n'",
                list.display()
            ),
        ])
        .output()
        .unwrap();
    assert!(want.status.success());
    let want: Vec<String> = String::from_utf8(want.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert!(want.len() > 100);
    assert_eq!(got, want);

    // the same file again: refused, no duplicate rows
    let out = zenome(&["variants", "load", "--store", s, v]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("already loaded as batch 0"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let again = zenome(&["variants", "freq", "--store", s, "--region", region]);
    assert_eq!(
        String::from_utf8(again.stdout).unwrap().lines().count(),
        want.len() + 1
    );

    // unknown names are named
    std::fs::write(&list, "HG00096\nnot-a-sample\n").unwrap();
    let out = zenome(&[
        "variants",
        "freq",
        "--store",
        s,
        "--region",
        region,
        "--samples",
        list.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("unknown samples: not-a-sample"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn variants_freq_by_gene_and_by_hgvs_prints_the_lines_of_the_equivalent_region() {
    let Some(d) = data_dir() else { return };
    let vcf = d.join("vcf/truth/PG_NA12878_hg38-chr21.vcf.gz");
    let gtf = d.join("annotation/gene-models/ensembl-vep-chr21.gtf.gz");
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let (s, v, g) = (
        store.to_str().unwrap(),
        vcf.to_str().unwrap(),
        gtf.to_str().unwrap(),
    );
    let out = zenome(&["variants", "load", "--store", s, v]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = |args: &[&str]| {
        let mut a = vec!["variants", "freq", "--store", s];
        a.extend_from_slice(args);
        let out = zenome(&a);
        (
            out.status.success(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    // APP is 21:25880550-26171128 in the model; the store says chr21
    let (ok, by_region, err) = run(&["--region", "chr21:25880550-26171128"]);
    assert!(ok, "{err}");
    assert!(by_region.lines().count() > 500);
    let (ok, by_gene, err) = run(&["--gene", "APP", "--gene-model", g]);
    assert!(ok, "{err}");
    assert_eq!(by_gene, by_region);
    assert!(by_gene.starts_with("#CHROM\tPOS\tREF\tALT\tAC\tAN\tAF\n"));
    // one line, by HGVS and by key
    let line = by_region.lines().nth(1).unwrap();
    let f: Vec<&str> = line.split('\t').collect();
    for variant in [
        format!("NC_000021.9:g.{}{}>{}", f[1], f[2], f[3]),
        format!("21-{}-{}-{}", f[1], f[2], f[3]),
    ] {
        let (ok, one, err) = run(&["--variant", &variant]);
        assert!(ok, "{variant}: {err}");
        assert_eq!(
            one,
            format!("#CHROM\tPOS\tREF\tALT\tAC\tAN\tAF\n{line}\n"),
            "{variant}"
        );
    }
    // bad input, named
    let (ok, _, err) = run(&["--gene", "NOTAGENE1", "--gene-model", g]);
    assert!(!ok && err.contains("NOTAGENE1"), "{err}");
    let (ok, _, err) = run(&["--variant", "chr21:g.25880600A>"]);
    assert!(!ok && err.contains("at character 19"), "{err}");
    let (ok, _, err) = run(&["--gene", "APP"]);
    assert!(!ok && err.contains("--gene-model"), "{err}");
}
