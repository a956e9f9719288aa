//! The evaluation on small call sets written here (each case spelled out),
//! and on the Platinum Genomes NA12878 chr21 truth from `ZENOME_TESTDATA`.

use std::path::{Path, PathBuf};

use zenome_evaluate::{BaseSource, EvaluateError, Filter, Options, Report, VariantType, evaluate};

/// A made-up chromosome `chrT` of 120 bases; positions below are 1-based.
/// 22–28 is a run of seven A (after the C at 21).
const SEQ: &str = "GATTACAGGCTTAGCCGTACCAAAAAAAGTCCGATGCATGCTAGCTAGGATCCGATCGATTGCAACGTTAGCTAGCTAGGCTAACCGGTTAACGTACGATCGATCGTAGCTAGCTAGGCA";

fn base(pos: usize) -> char {
    SEQ.as_bytes()[pos - 1] as char
}

/// A base other than the reference's at `pos` (its transition partner).
fn alt(pos: usize) -> char {
    match base(pos) {
        'A' => 'G',
        'G' => 'A',
        'C' => 'T',
        _ => 'C',
    }
}

fn span(from: usize, to: usize) -> &'static str {
    &SEQ[from - 1..to]
}

struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// A VCF with `samples` columns and these body lines (CHROM POS REF ALT
    /// FILTER GT…; the rest filled in).
    fn vcf(&self, name: &str, samples: &[&str], contig: &str, lines: &[&str]) -> PathBuf {
        let mut s = String::from("##fileformat=VCFv4.2\n");
        s.push_str(&format!("##contig=<ID={contig},length={}>\n", SEQ.len()));
        s.push_str("##FILTER=<ID=LowQual,Description=\"low\">\n");
        s.push_str("##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n");
        s.push_str("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT");
        for n in samples {
            s.push('\t');
            s.push_str(n);
        }
        s.push('\n');
        for l in lines {
            let f: Vec<&str> = l.split_whitespace().collect();
            s.push_str(&format!(
                "{contig}\t{}\t.\t{}\t{}\t50\t{}\t.\tGT\t{}\n",
                f[0],
                f[1],
                f[2],
                f[3],
                f[4..].join("\t")
            ));
        }
        let p = self.dir.path().join(name);
        std::fs::write(&p, s).unwrap();
        p
    }

    fn truth(&self, lines: &[&str]) -> PathBuf {
        self.vcf("truth.vcf", &["S1"], "chrT", lines)
    }

    fn query(&self, lines: &[&str]) -> PathBuf {
        self.vcf("query.vcf", &["S1"], "chrT", lines)
    }

    fn fasta(&self) -> PathBuf {
        let p = self.dir.path().join("ref.fa");
        std::fs::write(&p, format!(">chrT\n{SEQ}\n")).unwrap();
        std::fs::write(
            self.dir.path().join("ref.fa.fai"),
            format!("chrT\t{}\t6\t{}\t{}\n", SEQ.len(), SEQ.len(), SEQ.len() + 1),
        )
        .unwrap();
        p
    }

    fn bed(&self, text: &str) -> PathBuf {
        let p = self.dir.path().join("conf.bed");
        std::fs::write(&p, text).unwrap();
        p
    }
}

fn run(truth: &Path, query: &Path, options: &Options) -> Report {
    evaluate(truth, query, options).unwrap()
}

/// (truth_total, tp, query_total, fp, unk, fp_gt) of one row.
fn counts(r: &Report, t: VariantType, f: Filter) -> (u64, u64, u64, u64, u64, u64) {
    let x = r.row(t, f);
    (x.truth_total, x.tp, x.query_total, x.fp, x.unk, x.fp_gt)
}

const SNP: VariantType = VariantType::Snp;
const INDEL: VariantType = VariantType::Indel;
const ALL: Filter = Filter::All;
const PASS: Filter = Filter::Pass;

#[test]
fn the_same_calls_match_every_one() {
    let f = Files::new();
    let lines = [
        &format!("2 {} {} PASS 0/1", base(2), alt(2)) as &str,
        &format!("21 {} C PASS 1/1", span(21, 22)),
        &format!("30 {} {} PASS 0|1", base(30), alt(30)),
    ];
    let r = run(&f.truth(&lines), &f.query(&lines), &Options::default());
    assert_eq!(counts(&r, SNP, ALL), (2, 2, 2, 0, 0, 0));
    assert_eq!(counts(&r, INDEL, ALL), (1, 1, 1, 0, 0, 0));
    let row = r.row(SNP, ALL);
    assert_eq!(
        (row.recall, row.precision, row.f1),
        (Some(1.0), Some(1.0), Some(1.0))
    );
    assert_eq!(r.base_source, BaseSource::RefAlleles);
    let json = r.to_json();
    assert_eq!(json["summary"]["INDEL"]["PASS"]["tp"], 1);
    assert_eq!(json["summary"]["SNP"]["ALL"]["fn"], 0);
    let csv = r.to_csv();
    assert!(csv.starts_with("Type,Filter,TRUTH.TOTAL,TRUTH.TP,TRUTH.FN,QUERY.TOTAL,QUERY.FP,QUERY.UNK,FP.gt,METRIC.Recall"), "{csv}");
    assert!(
        csv.contains("\nSNP,ALL,2,2,0,2,0,0,0,1.000000,1.000000,0.000000,1.000000,"),
        "{csv}"
    );
}

#[test]
fn a_complex_allele_matches_its_decomposed_pieces_and_is_counted_as_them() {
    // hap.py's decomp case, re-made: truth has a deletion and two SNPs, the
    // query one complex allele spelling all three on the same haplotypes
    let f = Files::new();
    let del = format!("9 {} {} PASS 1/1", span(9, 10), base(9));
    let snp1 = format!("15 {} {} PASS 1/1", base(15), alt(15));
    let snp2 = format!("33 {} {} PASS 1/1", base(33), alt(33));
    let mut complex_alt = String::new();
    complex_alt.push(base(9));
    complex_alt.push_str(span(11, 14));
    complex_alt.push(alt(15));
    complex_alt.push_str(span(16, 32));
    complex_alt.push(alt(33));
    let complex = format!("9 {} {complex_alt} PASS 1/1", span(9, 33));
    let r = run(
        &f.truth(&[&del, &snp1, &snp2]),
        &f.query(&[&complex]),
        &Options::default(),
    );
    assert_eq!(counts(&r, SNP, ALL), (2, 2, 2, 0, 0, 0), "{r:#?}");
    assert_eq!(counts(&r, INDEL, ALL), (1, 1, 1, 0, 0, 0), "{r:#?}");
}

#[test]
fn an_indel_shifted_in_a_repeat_matches_with_the_reference_and_is_said_unresolved_without() {
    // the run of A at 22..28: truth deletes the first A (left-aligned), the
    // query writes the same deletion at the last A
    let f = Files::new();
    assert_eq!(span(21, 29), "CAAAAAAAG");
    let truth = f.truth(&[&format!("21 {} {} PASS 0/1", span(21, 22), base(21))]);
    let query = f.query(&[&format!("27 {} {} PASS 0/1", span(27, 28), base(27))]);
    let without = run(&truth, &query, &Options::default());
    assert_eq!(counts(&without, INDEL, ALL), (1, 0, 1, 1, 0, 0));
    assert_eq!(without.unresolved_loci, 1);
    assert!(
        without.notes.iter().any(|n| n.contains("give --reference")),
        "{:?}",
        without.notes
    );
    let with = run(
        &truth,
        &query,
        &Options {
            reference: Some(f.fasta()),
            ..Options::default()
        },
    );
    assert_eq!(with.base_source, BaseSource::Reference);
    assert_eq!(counts(&with, INDEL, ALL), (1, 1, 1, 0, 0, 0));
    assert_eq!(with.unresolved_loci, 0);
    // a query spelling the whole run in its REF needs no reference
    let long = f.query(&[&format!("21 {} C{} PASS 0/1", span(21, 29), span(23, 29))]);
    let r = run(&truth, &long, &Options::default());
    assert_eq!(counts(&r, INDEL, ALL), (1, 1, 1, 0, 0, 0), "{r:#?}");
}

#[test]
fn a_wrong_genotype_is_a_false_positive_and_a_false_negative_counted_as_fp_gt() {
    let f = Files::new();
    let r = run(
        &f.truth(&[&format!("2 {} {} PASS 0/1", base(2), alt(2))]),
        &f.query(&[&format!("2 {} {} PASS 1/1", base(2), alt(2))]),
        &Options::default(),
    );
    assert_eq!(counts(&r, SNP, ALL), (1, 0, 1, 1, 0, 1));
    // a different allele at the same site is no genotype error
    let r = run(
        &f.truth(&[&format!("2 {} {} PASS 0/1", base(2), alt(2))]),
        &f.query(&[&format!("2 {} C PASS 1/1", base(2))]),
        &Options::default(),
    );
    assert_eq!(counts(&r, SNP, ALL), (1, 0, 1, 1, 0, 0));
}

#[test]
fn a_het_alt_record_matches_two_records_and_haploid_matches_homozygous() {
    let f = Files::new();
    let r = run(
        &f.truth(&[&format!("30 {} G,C PASS 1|2", base(30))]),
        &f.query(&[
            &format!("30 {} G PASS 0/1", base(30)),
            &format!("30 {} C PASS 1/0", base(30)),
        ]),
        &Options::default(),
    );
    // one het-alt truth record; two query records
    assert_eq!(counts(&r, SNP, ALL), (1, 1, 2, 0, 0, 0), "{r:#?}");
    let r = run(
        &f.truth(&[&format!("2 {} {} PASS 1", base(2), alt(2))]),
        &f.query(&[&format!("2 {} {} PASS 1/1", base(2), alt(2))]),
        &Options::default(),
    );
    assert_eq!(counts(&r, SNP, ALL), (1, 1, 1, 0, 0, 0));
}

#[test]
fn filtered_query_calls_drop_out_of_pass_and_regions_make_unk() {
    let f = Files::new();
    let truth = f.truth(&[
        &format!("2 {} {} PASS 0/1", base(2), alt(2)),
        &format!("50 {} {} PASS 0/1", base(50), alt(50)),
        &format!("100 {} {} PASS 0/1", base(100), alt(100)),
    ]);
    let query = f.query(&[
        &format!("2 {} {} LowQual 0/1", base(2), alt(2)),
        &format!("50 {} {} PASS 0/1", base(50), alt(50)),
        &format!("100 {} {} PASS 0/1", base(100), alt(100)),
        &format!("110 {} {} PASS 0/1", base(110), alt(110)),
    ]);
    // regions: 1..60 only, given unsorted and overlapping
    let bed = f.bed("chrT\t30\t60\nchrT\t0\t40\n");
    let r = run(
        &truth,
        &query,
        &Options {
            regions: Some(bed),
            ..Options::default()
        },
    );
    assert_eq!(counts(&r, SNP, ALL), (2, 2, 4, 0, 2, 0), "{r:#?}");
    assert_eq!(counts(&r, SNP, PASS), (2, 1, 3, 0, 2, 0), "{r:#?}");
    assert!(
        r.notes.iter().any(|n| n.contains("out of order")),
        "{:?}",
        r.notes
    );
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("overlapping interval(s) merged")),
        "{:?}",
        r.notes
    );
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("2 query call(s) outside")),
        "{:?}",
        r.notes
    );
    assert_eq!(r.row(SNP, ALL).frac_na, Some(0.5));
}

#[test]
fn bad_inputs_are_refused_naming_what_is_wrong() {
    let f = Files::new();
    let snp = format!("2 {} {} PASS 0/1 0/0", base(2), alt(2));
    let multi = f.vcf("multi.vcf", &["NA12878", "NA12891"], "chrT", &[&snp]);
    let one = f.truth(&[&format!("2 {} {} PASS 0/1", base(2), alt(2))]);
    let e = evaluate(&one, &multi, &Options::default()).unwrap_err();
    assert!(matches!(e, EvaluateError::SampleRequired { .. }));
    assert!(e.to_string().contains("NA12878, NA12891"), "{e}");
    let ok = evaluate(
        &one,
        &multi,
        &Options {
            query_sample: Some("NA12878".into()),
            ..Options::default()
        },
    )
    .unwrap();
    assert_eq!(ok.row(SNP, ALL).tp, 1);
    let e = evaluate(
        &one,
        &multi,
        &Options {
            query_sample: Some("日本".into()),
            ..Options::default()
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("no sample \"日本\""), "{e}");

    // contigs spelled differently
    let other = f.vcf(
        "other.vcf",
        &["S1"],
        "T",
        &[&format!("2 {} {} PASS 0/1", base(2), alt(2))],
    );
    let e = evaluate(&one, &other, &Options::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("chrT") && e.contains(" T") && e.contains("no contig name is shared"),
        "{e}"
    );

    // the same name, another length: another assembly
    let mut text = std::fs::read_to_string(&one).unwrap();
    text = text.replace(&format!("length={}", SEQ.len()), "length=999");
    let longer = f.dir.path().join("longer.vcf");
    std::fs::write(&longer, text).unwrap();
    let e = evaluate(&one, &longer, &Options::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("120 bp") && e.contains("999 bp"), "{e}");

    // regions naming other contigs
    let e = evaluate(
        &one,
        &one,
        &Options {
            regions: Some(f.bed("21\t0\t100\n")),
            ..Options::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("names contigs 21") && e.contains("chrT"), "{e}");

    // a REF that is not the reference's
    let wrong = f.query(&[&format!(
        "2 {} G PASS 0/1",
        if base(2) == 'A' { 'C' } else { 'A' }
    )]);
    let e = evaluate(
        &one,
        &wrong,
        &Options {
            reference: Some(f.fasta()),
            ..Options::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("query.vcf") && e.contains("chrT:2"), "{e}");
    // and without the reference, truth and query disagreeing on a REF
    let e = evaluate(&one, &wrong, &Options::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("disagree on the reference"), "{e}");

    // a file cut short in the middle of a record (a copy killed mid-write)
    let whole = std::fs::read_to_string(f.query(&[
        &format!("2 {} {} PASS 0/1", base(2), alt(2)),
        &format!("50 {} {} PASS 0/1", base(50), alt(50)),
    ]))
    .unwrap();
    let cut = f.dir.path().join("cut.vcf");
    for extra in [4, 6, 7] {
        // after FILTER, after INFO, after INFO's tab
        let at = whole.rfind("PASS").unwrap() + extra;
        std::fs::write(&cut, &whole[..at]).unwrap();
        let e = evaluate(&one, &cut, &Options::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("cut.vcf: record 2: "), "{extra}: {e}");
    }

    // unsorted records
    let unsorted = f.query(&[
        &format!("50 {} {} PASS 0/1", base(50), alt(50)),
        &format!("2 {} {} PASS 0/1", base(2), alt(2)),
    ]);
    let e = evaluate(&one, &unsorted, &Options::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("chrT:2 comes after chrT:50") && e.contains("bcftools sort"),
        "{e}"
    );
}

fn testdata() -> PathBuf {
    std::env::var_os("ZENOME_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
}

/// hap.py's `example/happy/expected.summary.csv` was made with a query
/// (`NA12878_chr21.vcf.gz`) that the shared data do not carry, so only the
/// truth side can be compared count for count: SNPs exactly, indels within
/// 1 % (docs/evaluation.md explains the three).
#[test]
fn platinum_chr21_truth_side_matches_happys_expected_summary() {
    let d = testdata().join("vcf/truth");
    if !d.join("expected.summary.csv").exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "no test data at {}",
            d.display()
        );
        eprintln!("skipped: no {}", d.display());
        return;
    }
    let r = run(
        &d.join("PG_NA12878_chr21.vcf.gz"),
        &d.join("hc.vcf.gz"),
        &Options {
            regions: Some(d.join("PG_Conf_chr21.bed.gz")),
            ..Options::default()
        },
    );
    let expected = std::fs::read_to_string(d.join("expected.summary.csv")).unwrap();
    for line in expected.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let t = if f[0] == "SNP" { SNP } else { INDEL };
        let filter = if f[1] == "PASS" { PASS } else { ALL };
        let row = r.row(t, filter);
        let truth_total: u64 = f[2].parse().unwrap();
        let het_hom: f64 = f[15].parse().unwrap();
        match t {
            VariantType::Snp => {
                assert_eq!(row.truth_total, truth_total, "{line}");
                assert!(
                    (row.truth_het_hom.unwrap() - het_hom).abs() < 1e-9,
                    "{line}: {row:?}"
                );
                let titv: f64 = f[13].parse().unwrap();
                assert!(
                    (row.truth_titv.unwrap() - titv).abs() / titv < 0.001,
                    "{line}: {row:?}"
                );
            }
            VariantType::Indel => {
                let d = (row.truth_total as f64 - truth_total as f64).abs() / truth_total as f64;
                assert!(d < 0.01, "{line}: {row:?}");
                assert!(
                    (row.truth_het_hom.unwrap() - het_hom).abs() / het_hom < 0.01,
                    "{line}: {row:?}"
                );
            }
        }
    }
    // the query covers chr21:20.0–22.0 Mb only; what it calls there is nearly all right
    let snp = r.row(SNP, PASS);
    assert!(snp.precision.unwrap() > 0.99, "{snp:?}");
    assert!(snp.tp > 3_500, "{snp:?}");
}

/// With the reference, every indel of a real call set re-spelled at the
/// right end of its repeat (as some callers write them) still matches; the
/// truth is 1000 Genomes chr20 (one sample), the reference GRCh37 chr20.
/// Without the reference, the loci whose repeat neither file spells are
/// said to be unresolved instead.
#[test]
fn re_spelled_indels_of_1000_genomes_chr20_match_with_the_grch37_reference() {
    use noodles::core::Region;
    let d = testdata();
    let truth = d.join("vcf/cohort/shapeit4-1kg-chr20-300samples.vcf.gz");
    let fasta = d.join("reference/GRCh37-chr20.fa.gz");
    if !truth.exists() || !fasta.exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "no test data at {}",
            d.display()
        );
        eprintln!("skipped: no {}", truth.display());
        return;
    }
    let mut reader = noodles::fasta::io::indexed_reader::Builder::default()
        .build_from_path(&fasta)
        .unwrap();
    let chr20 = reader.query(&Region::new("20", ..)).unwrap();
    let seq: Vec<u8> = chr20.sequence().as_ref().to_ascii_uppercase();
    // the query: the first sample's calls, each indel moved right
    let text = {
        use std::io::Read;
        let mut s = String::new();
        flate2::read::MultiGzDecoder::new(std::fs::File::open(&truth).unwrap())
            .read_to_string(&mut s)
            .unwrap();
        s
    };
    let mut out = String::new();
    let mut sample = String::new();
    let (mut moved, mut indels) = (0, 0);
    for line in text.lines() {
        if line.starts_with("##") {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        if line.starts_with('#') {
            sample = f[9].to_string();
            out.push_str(&f[..10].join("\t"));
            out.push('\n');
            continue;
        }
        let gt = f[9];
        if !gt.contains('1') {
            continue;
        }
        let (pos, r, a) = (f[1].parse::<usize>().unwrap(), f[3], f[4]);
        let (mut pos, mut r, mut a) = (pos, r.to_string(), a.to_string());
        if r.len() != a.len() && !a.contains(',') && r.as_bytes()[0] == a.as_bytes()[0] {
            indels += 1;
            // s: the inserted or deleted bases after the anchor; p: 0-based start
            let del = r.len() > a.len();
            let mut s: Vec<u8> = if del { r[1..].into() } else { a[1..].into() };
            let mut p = pos; // 0-based start of s (just after the anchor)
            let end = |p: usize, s: &Vec<u8>| if del { p + s.len() } else { p };
            while seq.get(end(p, &s)) == Some(&s[0]) {
                s.rotate_left(1);
                p += 1;
            }
            if p != pos {
                moved += 1;
            }
            let anchor = seq[p - 1] as char;
            let s = String::from_utf8(s).unwrap();
            (r, a) = if del {
                (format!("{anchor}{s}"), anchor.to_string())
            } else {
                (anchor.to_string(), format!("{anchor}{s}"))
            };
            pos = p;
        }
        out.push_str(&format!(
            "{}\t{pos}\t{}\t{r}\t{a}\t{}\n",
            f[0],
            f[2],
            f[5..10].join("\t")
        ));
    }
    // records moved right may now follow later ones: sort by position
    let (head, body): (Vec<&str>, Vec<&str>) = out.lines().partition(|l| l.starts_with('#'));
    let mut body: Vec<&str> = body;
    body.sort_by_key(|l| l.split('\t').nth(1).unwrap().parse::<u64>().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let query = dir.path().join("respelled.vcf");
    std::fs::write(
        &query,
        format!("{}\n{}\n", head.join("\n"), body.join("\n")),
    )
    .unwrap();
    assert!(
        moved > 20 && indels > moved,
        "{moved} of {indels} indels moved"
    );

    let options = Options {
        truth_sample: Some(sample.clone()),
        reference: Some(fasta.clone()),
        ..Options::default()
    };
    let r = run(&truth, &query, &options);
    for t in [SNP, INDEL] {
        let row = r.row(t, ALL);
        assert_eq!(row.tp, row.truth_total, "{row:?}");
        assert_eq!(row.fp, 0, "{row:?}");
        assert!(row.truth_total > 0);
    }
    assert_eq!(r.row(INDEL, ALL).truth_total, indels);
    // without it, what cannot be compared is said, not silently counted as matched
    let r = run(
        &truth,
        &query,
        &Options {
            reference: None,
            ..options
        },
    );
    let row = r.row(INDEL, ALL);
    assert!(row.tp < row.truth_total, "{row:?}");
    assert!(
        r.unresolved_loci > 0 && r.unresolved_loci <= moved,
        "{}",
        r.unresolved_loci
    );
}
