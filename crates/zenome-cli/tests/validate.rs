//! `zenome validate` as a sequencing centre runs it before sending files:
//! exit 0 and a one-line summary per valid file; for an invalid one a
//! non-zero exit and a message naming the line (or byte offset) and the rule.
//! Uses the public test data through `ZENOME_TESTDATA` (default
//! `../shared/data` beside the checkout); without it the tests fail under CI
//! and are skipped elsewhere.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn data_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("ZENOME_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    if dir.join("vcf/conformance").is_dir() {
        Some(dir)
    } else if std::env::var_os("CI").is_some() {
        panic!("test data not found at {}", dir.display());
    } else {
        eprintln!("skipped: no test data at {}", dir.display());
        None
    }
}

fn validate(args: &[&str], files: &[PathBuf]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zenome"))
        .arg("validate")
        .args(args)
        .args(files)
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("run zenome validate")
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    v.sort();
    v
}

/// Every `passed/` file of the hts-specs VCF conformance suite is accepted,
/// with one summary line each; every `failed/` file is refused with a message
/// that names its line.
#[test]
fn conformance_files_are_judged_and_refusals_name_the_line() {
    let Some(data) = data_dir() else { return };
    let root = data.join("vcf/conformance/hts-specs");
    let mut versions = 0;
    for v in ["4.1", "4.2", "4.3", "4.5"] {
        let passed = files_in(&root.join(v).join("passed"));
        if !passed.is_empty() {
            let out = validate(&["--foreign-samples"], &passed);
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "VCF {v} passed/: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(
                stdout.lines().filter(|l| l.contains(": valid ")).count(),
                passed.len()
            );
        }
        let failed_dir = root.join(v).join("failed");
        if failed_dir.is_dir() {
            let failed = files_in(&failed_dir);
            let out = validate(&["--foreign-samples"], &failed);
            assert!(!out.status.success(), "VCF {v} failed/ must exit non-zero");
            let stderr = String::from_utf8_lossy(&out.stderr);
            for f in &failed {
                let line = stderr
                    .lines()
                    .find(|l| l.starts_with(&format!("{}: INVALID: ", f.display())))
                    .unwrap_or_else(|| panic!("no verdict for {}", f.display()));
                assert!(
                    line.contains(": INVALID: line "),
                    "the refusal names the line: {line}"
                );
            }
            assert!(stderr.contains(&format!(
                "{} of {} files are invalid",
                failed.len(),
                failed.len()
            )));
        }
        versions += 1;
    }
    assert_eq!(versions, 4);
}

/// samtools' quickcheck set: the truncated BAM and CRAMs are refused with the
/// byte offset, the good ones pass (the same answer as `samtools quickcheck`).
#[test]
fn truncated_alignments_are_refused_with_the_offset() {
    let Some(data) = data_dir() else { return };
    let dir = data.join("align/samtools/quickcheck");
    let reference = data.join("align/samtools/mpileup/mpileup.ref.fa");
    let files: Vec<PathBuf> = files_in(&dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "bam" || e == "cram"))
        .collect();
    let out = validate(
        &[
            "--foreign-samples",
            "--reference",
            reference.to_str().unwrap(),
        ],
        &files,
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    for f in &files {
        let name = f.file_name().unwrap().to_str().unwrap();
        let verdict = stdout
            .lines()
            .chain(stderr.lines())
            .find(|l| l.starts_with(&format!("{}: ", f.display())))
            .unwrap_or_else(|| panic!("no verdict for {name}"));
        if name.contains(".ok.") {
            assert!(verdict.contains(": valid "), "{verdict}");
        } else if name.contains("truncated") || name.contains("badeof") {
            assert!(
                verdict.contains(": INVALID: byte offset "),
                "the refusal names the offset: {verdict}"
            );
        } else {
            assert!(verdict.contains(": INVALID: "), "{verdict}");
        }
    }
}

/// A FASTQ cut in the middle of its gzip stream names the line and the
/// compressed offset; a record whose quality is one short names its line;
/// a good file gets its summary. Sample names that are not participant ids
/// are refused unless `--foreign-samples` says the file is from outside.
#[test]
fn fastq_faults_and_sample_names() {
    let tmp = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for i in 0..20_000 {
        text.push_str(&format!(
            "@A00123:8:HXXX:1:1101:{i}:1000\n{}\n+\n{}\n",
            "ACGTTGCA".repeat(12),
            "F".repeat(96)
        ));
    }
    let good = tmp.path().join("good.fastq.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text.as_bytes()).unwrap();
    let bytes = gz.finish().unwrap();
    std::fs::write(&good, &bytes).unwrap();
    let cut = tmp.path().join("cut.fastq.gz");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let short = tmp.path().join("short.fastq");
    std::fs::write(&short, "@r1\nACGT\n+\nFFFF\n@r2\nACGT\n+\nFFF\n").unwrap();

    let out = validate(&[], std::slice::from_ref(&good));
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "one line per file: {stdout}");
    assert!(stdout.contains("20000 reads"), "{stdout}");

    let out = validate(&[], &[cut.clone(), short.clone()]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let cut_line = stderr
        .lines()
        .find(|l| l.starts_with(&cut.display().to_string()))
        .unwrap();
    assert!(
        cut_line.contains("line ") && cut_line.contains("byte offset"),
        "{cut_line}"
    );
    let short_line = stderr
        .lines()
        .find(|l| l.starts_with(&short.display().to_string()))
        .unwrap();
    assert!(
        short_line.contains("line 8") && short_line.contains("quality"),
        "{short_line}"
    );

    // a VCF whose sample column is not a participant id
    let vcf = tmp.path().join("sample.vcf");
    std::fs::write(
        &vcf,
        "##fileformat=VCFv4.2\n##contig=<ID=chr1,length=1000>\n\
         ##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n\
         #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tNA12878\n\
         chr1\t10\t.\tA\tG\t50\tPASS\t.\tGT\t0/1\n",
    )
    .unwrap();
    let out = validate(&[], std::slice::from_ref(&vcf));
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("not a pseudonymous participant id") && !stderr.contains("NA12878"),
        "refused without echoing the value: {stderr}"
    );
    let out = validate(&["--foreign-samples"], std::slice::from_ref(&vcf));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn phenopacket_validate(args: &[&str], files: &[PathBuf]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zenome"))
        .args(["phenopacket", "validate"])
        .args(args)
        .args(files)
        .env("RUST_BACKTRACE", "0")
        .env_remove("ZENOME_CONFIG")
        .output()
        .expect("run zenome phenopacket validate")
}

/// `zenome phenopacket validate`: real Phenopackets from phenopacket-store
/// pass against the full HPO; a packet without its id, with an unknown
/// field, or with an obsolete term is refused naming file, JSON path (or
/// line and column) and rule; exit codes say which.
#[test]
fn phenopackets_are_validated_naming_file_path_and_rule() {
    let Some(data) = data_dir() else { return };
    let hpo = data.join("phenotype/hp.obo");
    let hpo = hpo.to_str().unwrap();
    let good = data
        .join("phenotype/phenopacket-store-sample/11q_terminal_deletion__PMID_15266616_100.json");
    let out = phenopacket_validate(&["--hpo", hpo], std::slice::from_ref(&good));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(": valid Phenopacket"));

    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(&good).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    // no id
    v.as_object_mut().unwrap().remove("id");
    let no_id = tmp.path().join("no-id.json");
    std::fs::write(&no_id, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    // an obsolete term (HP:0000057 was replaced by HP:0008665)
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["phenotypicFeatures"][0]["type"]["id"] = "HP:0000057".into();
    v["phenotypicFeatures"][0]["type"]["label"] = "Clitoromegaly".into();
    let obsolete = tmp.path().join("obsolete.json");
    std::fs::write(&obsolete, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    // an unknown field
    let unknown = tmp.path().join("unknown.json");
    std::fs::write(&unknown, text.replacen("\"subject\"", "\"subjekt\"", 1)).unwrap();

    let files = [
        good.clone(),
        no_id.clone(),
        obsolete.clone(),
        unknown.clone(),
    ];
    let out = phenopacket_validate(&["--hpo", hpo], &files);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let line_of = |f: &PathBuf| {
        err.lines()
            .find(|l| l.starts_with(&format!("{}: INVALID", f.display())))
            .unwrap_or_else(|| panic!("no verdict for {}: {err}", f.display()))
            .to_string()
    };
    assert!(line_of(&no_id).contains("$.id"), "{err}");
    let o = line_of(&obsolete);
    assert!(
        o.contains("$.phenotypicFeatures[0].type") && o.contains("HP:0008665"),
        "{o}"
    );
    let u = line_of(&unknown);
    assert!(u.contains("line ") && u.contains("subjekt"), "{u}");
    assert!(err.contains("3 of 4 files are invalid"), "{err}");
}
