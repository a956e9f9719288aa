//! Bad input as an outsider sends it, on a real bcftools-csq case (TLR8,
//! `$ZENOME_TESTDATA/annotation/bcftools-csq/ENST00000218032/`): chromosome
//! names spelled differently from the gene model and FASTA, a REF that
//! disagrees with the FASTA, multi-byte text in the record, a truncated
//! gzip, a VCF without a header. Each gives a clear error naming what and
//! where, or a flagged record — never a silent wrong consequence.

use std::io::Write;
use std::path::{Path, PathBuf};

use zenome_annotate::vcf::{self, ChromNames, Options, Summary};
use zenome_annotate::{AnnotateError, Annotator, CanonicalPolicy, GeneModel, Reference};

fn case() -> Option<PathBuf> {
    let dir = match std::env::var_os("ZENOME_TESTDATA") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    };
    let case = dir.join("annotation/bcftools-csq/ENST00000218032");
    if case.is_dir() {
        return Some(case);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "test data {} missing under CI",
        dir.display()
    );
    None
}

const HEADER: &str = "##fileformat=VCFv4.2\n##INFO=<ID=NOTE,Number=1,Type=String,Description=\"note\">\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n";

fn run(case: &Path, text: &[u8], names: ChromNames) -> (Result<Summary, AnnotateError>, String) {
    let model = GeneModel::from_path(
        &case.join("ENST00000218032.gff"),
        CanonicalPolicy::default(),
    )
    .unwrap();
    let mut ann = Annotator::new(
        &model,
        Reference::open(&case.join("ENST00000218032.fa")).unwrap(),
    );
    let mut out = Vec::new();
    let r = vcf::annotate(
        &mut ann,
        text,
        Path::new("in.vcf"),
        &mut out,
        &Options {
            chrom_names: names,
            provenance: String::new(),
        },
    );
    (r, String::from_utf8(out).unwrap())
}

#[test]
fn chr_prefixed_names_are_refused_naming_both_spellings_unless_mapped() {
    let Some(case) = case() else { return };
    let text = format!("{HEADER}chrX\t12455\t.\tT\tG\t.\t.\t.\n");
    let (r, _) = run(&case, text.as_bytes(), ChromNames::Exact);
    let e = r.unwrap_err().to_string();
    assert!(
        e.contains("\"chrX\"") && e.contains("\"X\"") && e.contains("--chrom-names auto"),
        "{e}"
    );
    let (r, out) = run(&case, text.as_bytes(), ChromNames::Auto);
    assert_eq!(r.unwrap().records, 1);
    assert!(out.contains("missense_variant|MODERATE|TLR8"), "{out}");
    // a chromosome in neither the FASTA nor the model is named too
    let text = format!("{HEADER}Y\t100\t.\tA\tG\t.\t.\t.\n");
    let e = run(&case, text.as_bytes(), ChromNames::Auto)
        .0
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("\"Y\"") && e.contains("not in the reference FASTA"),
        "{e}"
    );
}

#[test]
fn a_ref_that_disagrees_with_the_fasta_is_flagged_and_not_annotated() {
    let Some(case) = case() else { return };
    // the FASTA has T at 12455; this record says C
    let text = format!("{HEADER}X\t12455\t.\tC\tG\t.\t.\t.\nX\t12455\t.\tT\tG\t.\t.\t.\n");
    let (r, out) = run(&case, text.as_bytes(), ChromNames::Exact);
    let s = r.unwrap();
    assert_eq!((s.records, s.ref_mismatches), (2, 1));
    assert_eq!(s.mismatch_examples, ["X:12455 REF=C FASTA=T"]);
    let body: Vec<&str> = out.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(
        body[0].split('\t').nth(7),
        Some("ZENOME_REF_MISMATCH"),
        "{out}"
    );
    assert!(!body[0].contains("CSQ="), "{out}");
    assert!(body[1].contains("CSQ=G|missense_variant"), "{out}");
    assert!(out.contains("##INFO=<ID=ZENOME_REF_MISMATCH,"), "{out}");
}

#[test]
fn multibyte_text_is_kept_and_escaped_where_csq_needs_it() {
    let Some(case) = case() else { return };
    let text = format!("{HEADER}X\t12455\t変異１\tT\tG\t.\t.\tNOTE=東京大学\n");
    let (r, out) = run(&case, text.as_bytes(), ChromNames::Exact);
    r.unwrap();
    let line = out.lines().find(|l| l.starts_with("X\t")).unwrap();
    let f: Vec<&str> = line.split('\t').collect();
    assert_eq!(f[2], "変異１");
    assert!(f[7].starts_with("NOTE=東京大学;CSQ="), "{line}");
    // a synonymous HGVS p. carries '=', escaped as VEP escapes it
    let text = format!("{HEADER}X\t12445\t.\tA\tG\t.\t.\t.\n");
    let (_, out) = run(&case, text.as_bytes(), ChromNames::Exact);
    let csq = out.lines().find(|l| l.starts_with("X\t")).unwrap();
    assert!(
        !csq.split('\t')
            .nth(7)
            .unwrap()
            .trim_start_matches("CSQ=")
            .contains('='),
        "{csq}"
    );
}

#[test]
fn a_truncated_gzip_and_a_headerless_file_are_refused_by_name() {
    let Some(case) = case() else { return };
    // no header: the line is named
    let (r, out) = run(&case, b"X\t12455\t.\tT\tG\t.\t.\t.\n", ChromNames::Exact);
    let e = r.unwrap_err().to_string();
    assert!(
        e.starts_with("in.vcf: line 1:") && e.contains("#CHROM"),
        "{e}"
    );
    assert!(out.is_empty());
    // a BGZF file cut in the middle
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.vcf.gz");
    let mut text = String::from(HEADER);
    for i in 0..4000 {
        text.push_str(&format!("X\t{}\t.\tA\tG\t.\t.\t.\n", 12445 + (i % 3)));
    }
    let mut w = noodles::bgzf::io::Writer::new(Vec::new());
    w.write_all(text.as_bytes()).unwrap();
    let bytes = w.finish().unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let model = GeneModel::from_path(
        &case.join("ENST00000218032.gff"),
        CanonicalPolicy::default(),
    )
    .unwrap();
    let mut ann = Annotator::new(
        &model,
        Reference::open(&case.join("ENST00000218032.fa")).unwrap(),
    );
    let e = vcf::annotate(
        &mut ann,
        vcf::open(&path).unwrap(),
        &path,
        &mut std::io::sink(),
        &Options::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("cut.vcf.gz: line "), "{e}");
}

#[test]
fn distance_decides_which_nearby_transcripts_are_listed() {
    let Some(case) = case() else { return };
    let model = GeneModel::from_path(
        &case.join("ENST00000218032.gff"),
        CanonicalPolicy::default(),
    )
    .unwrap();
    let reference = Reference::open(&case.join("ENST00000218032.fa")).unwrap();
    let mut ann = Annotator::new(&model, reference);
    let base = {
        let mut r = Reference::open(&case.join("ENST00000218032.fa")).unwrap();
        String::from_utf8(r.fetch("X", 16580, 16580).unwrap().to_vec()).unwrap()
    };
    let alt = if base == "A" { "C" } else { "A" };
    let allele = zenome_annotate::Allele::Sequence {
        pos: 16580,
        reference: &base,
        alternate: alt,
    };
    let e = ann.annotate("X", allele).unwrap();
    assert_eq!(e[0].consequences.to_string(), "downstream_gene_variant");
    let t = &model.transcripts()[e[0].transcript.unwrap()];
    assert_eq!(e[0].distance, Some(10), "{} {} {}", t.id, t.start, t.end);
    ann.distance = 0;
    let e = ann.annotate("X", allele).unwrap();
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].consequences.to_string(), "intergenic_variant");
}
