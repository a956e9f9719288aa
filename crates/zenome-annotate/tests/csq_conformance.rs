//! Consequence conformance against bcftools csq's own test suite
//! (`$ZENOME_TESTDATA/annotation/bcftools-csq/*/`: per case a FASTA, a GFF3,
//! VCFs and bcftools' expected `BCSQ` strings), and the VCF/CSQ layout
//! against Debian's `bcftools +split-vep`.
//!
//! Each record's consequences per transcript are mapped to bcftools' names
//! (`missense_variant` → `missense`, `5_prime_UTR_variant` → `5_prime_utr`,
//! terms bcftools does not have dropped — see `to_bcftools`) and compared
//! with the expected set. The agreement and every difference are printed;
//! the test fails when a record outside [`KNOWN`] differs, or a known one
//! starts to agree (then the table in `docs/annotation.md` is out of date).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use zenome_annotate::consequence::Consequence as C;
use zenome_annotate::predict::Allele;
use zenome_annotate::vcf::{self, ChromNames, Options};
use zenome_annotate::{Annotator, CanonicalPolicy, GeneModel, Reference};

fn data_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("ZENOME_TESTDATA") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    };
    if dir.join("annotation/bcftools-csq").is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "test data {} missing under CI",
        dir.display()
    );
    eprintln!("notice: test data {} missing; skipping", dir.display());
    None
}

/// Our term in bcftools csq's vocabulary, or `None` when bcftools has no
/// such term.
fn to_bcftools(c: C) -> Option<&'static str> {
    Some(match c {
        C::SpliceAcceptor => "splice_acceptor",
        C::SpliceDonor => "splice_donor",
        C::StopGained => "stop_gained",
        C::Frameshift => "frameshift",
        C::StopLost => "stop_lost",
        C::StartLost => "start_lost",
        C::FeatureElongation => "feature_elongation",
        C::FeatureTruncation => "feature_truncation",
        C::InframeInsertion => "inframe_insertion",
        C::InframeDeletion => "inframe_deletion",
        C::Missense => "missense",
        C::ProteinAltering => "inframe_altering",
        C::SpliceRegion => "splice_region",
        C::StartRetained => "start_retained",
        C::StopRetained => "stop_retained",
        C::Synonymous => "synonymous",
        C::CodingSequence => "coding_sequence",
        C::FivePrimeUtr => "5_prime_utr",
        C::ThreePrimeUtr => "3_prime_utr",
        C::NonCodingTranscriptExon => "non_coding",
        C::Intron => "intron",
        C::NmdTranscript => "NMD_transcript",
        _ => return None,
    })
}

/// One transcript's consequences: transcript (or gene for non-coding,
/// which bcftools names without a transcript), sorted terms.
type Call = (String, BTreeSet<String>);

/// Expected alternatives per record (`pos ref alt`): each a set of calls.
fn expected(
    lines: &[(u32, String, String, String)],
) -> BTreeMap<(u32, String, String), Vec<BTreeSet<Call>>> {
    let mut out: BTreeMap<(u32, String, String), Vec<BTreeSet<Call>>> = BTreeMap::new();
    for (pos, r, a, bcsq) in lines {
        let pos = *pos;
        let mut by: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for entry in bcsq.split(',') {
            if entry.starts_with('@') || entry == "." {
                continue;
            }
            let parts: Vec<&str> = entry.split('|').collect();
            let who = match parts.get(2) {
                Some(t) if !t.is_empty() => t.to_string(),
                _ => parts.get(1).unwrap_or(&"").to_string(),
            };
            // bcftools may list one transcript twice (missense, splice_region)
            by.entry(who)
                .or_default()
                .extend(parts[0].split('&').map(str::to_string));
        }
        let calls: BTreeSet<Call> = by.into_iter().collect();
        let alts = out.entry((pos, r.clone(), a.clone())).or_default();
        if !alts.contains(&calls) {
            alts.push(calls);
        }
    }
    out
}

/// The expected lines of a VCF in bcftools' local (non-haplotype) mode:
/// `<stem>.txt-l`; else the VCF's own `EXPL` (local) or `EXP` INFO;
/// else `<stem>.txt`. A record whose only expectation points to another
/// record (`@pos`, a compound call over a haplotype) is not comparable.
fn expectations(
    case: &Path,
    stem: &str,
    vcf_text: &str,
) -> Option<Vec<(u32, String, String, String)>> {
    let parse = |text: &str| -> Vec<(u32, String, String, String)> {
        text.lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                let pos: u32 = f.first()?.parse().ok()?;
                // one column per sample/haplotype after REF and ALT
                Some(
                    f.iter()
                        .skip(3)
                        .filter(|c| **c != ".")
                        .map(|c| (pos, f[1].to_string(), f[2].to_string(), c.to_string()))
                        .collect::<Vec<_>>(),
                )
            })
            .flatten()
            .collect()
    };
    let mut lines = fs::read_to_string(case.join(format!("{stem}.txt-l")))
        .or_else(|_| fs::read_to_string(case.join(format!("{stem}.txt"))))
        .map(|t| parse(&t))
        .unwrap_or_default();
    // the VCF's local-mode expectation is an alternative too
    for l in vcf_text.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = l.split('\t').collect();
        let info = f.get(7).copied().unwrap_or("");
        let get = |k: &str| info.split(';').find_map(|x| x.strip_prefix(k));
        for e in [get("EXPL="), get("EXP=")].into_iter().flatten() {
            lines.push((f[1].parse().ok()?, f[3].into(), f[4].into(), e.into()));
        }
    }
    (!lines.is_empty()).then_some(lines)
}

/// Whether `pos`'s expectation is only a pointer to a compound call.
fn lines_point_elsewhere(lines: &[(u32, String, String, String)], pos: u32) -> bool {
    lines
        .iter()
        .filter(|l| l.0 == pos)
        .all(|l| l.3.split(',').all(|e| e.starts_with('@')))
}

fn have_bcftools() -> bool {
    Command::new("bcftools")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn bcftools_split_vep_reads_the_csq_field() {
    let Some(data) = data_dir() else { return };
    if !have_bcftools() {
        assert!(
            std::env::var_os("CI").is_none(),
            "bcftools missing under CI"
        );
        return;
    }
    let case = data.join("annotation/bcftools-csq/ENST00000218032");
    let model = GeneModel::from_path(
        &case.join("ENST00000218032.gff"),
        CanonicalPolicy::default(),
    )
    .unwrap();
    let mut ann = Annotator::new(
        &model,
        Reference::open(&case.join("ENST00000218032.fa")).unwrap(),
    );
    let vcf_path = case.join("start-lost-del.vcf");
    let mut out = Vec::new();
    let summary = vcf::annotate(
        &mut ann,
        vcf::open(&vcf_path).unwrap(),
        &vcf_path,
        &mut out,
        &Options {
            chrom_names: ChromNames::Exact,
            provenance: "test".into(),
        },
    )
    .unwrap();
    assert_eq!(summary.ref_mismatches, 0);
    let dir = tempfile::tempdir().unwrap();
    let annotated = dir.path().join("out.vcf");
    fs::write(&annotated, &out).unwrap();
    let q = Command::new("bcftools")
        .args([
            "+split-vep",
            "-f",
            "%POS\t%Feature\t%Consequence\t%HGVSp\t%IMPACT\n",
            "-d",
        ])
        .arg(&annotated)
        .output()
        .unwrap();
    assert!(q.status.success(), "{}", String::from_utf8_lossy(&q.stderr));
    let text = String::from_utf8(q.stdout).unwrap();
    assert!(
        text.lines().any(|l| l.starts_with(
            "12455\tENST00000218032\tmissense_variant\tENSP00000218032:p.Phe5Cys\tMODERATE"
        )),
        "{text}"
    );
}

/// Records where Zenome answers as Ensembl VEP does and bcftools otherwise,
/// or where bcftools' own test marks its answer as doubtful:
/// `case/file:pos` → why (the same text is in docs/annotation.md).
const KNOWN: &[(&str, &str)] = &[
    (
        "EDUMMY0003/long-del:28503",
        "VEP reports intron_variant for the transcripts where the deletion is intronic; bcftools lists no intronic transcript for a deletion",
    ),
    (
        "ENST00000230048/start-del:214",
        "a 1-base deletion inside the start codon: VEP reports frameshift_variant and start_lost, bcftools start_lost alone",
    ),
    (
        "ENST00000263103-INS/insertions:315641",
        "a symbolic insertion after the last intronic base: VEP places it between intron and exon (splice_region), bcftools counts the first coding base",
    ),
    (
        "ENST00000263103-INS/insertions:315772",
        "a symbolic deletion wholly in the 3' UTR: VEP adds 3_prime_UTR_variant, bcftools reports feature_truncation alone",
    ),
    (
        "ENST00000318249.2/synonymous-start-lost:4958",
        "a deletion across the 5' UTR/start codon that bcftools shifts so the ATG survives (start_retained); VEP, without --shift_3prime, reports start_lost",
    ),
    (
        "ENST00000368801.2/start-lost:11191",
        "as above on the reverse strand: bcftools shifts (start_retained), VEP reports the deletion where it is written (start_lost, frameshift)",
    ),
    (
        "ENST00000409523/long-overlapping-del:18990",
        "a deletion across an intron/exon boundary: VEP leaves the protein effect undefined (coding_sequence_variant with the splice terms), bcftools calls a frameshift",
    ),
    (
        "ENST00000420670/start-stop-lost:44688",
        "a one-codon CDS whose ATG changes: start_lost; bcftools says missense and its test notes 'this cannot be real'",
    ),
    (
        "ENST00000518414/incorrect-inframe-del:11397",
        "a deletion running past the transcript's end: the protein effect is undefined (coding_sequence_variant); the bcftools test is named 'incorrect'",
    ),
    (
        "ENST00000528237/retained-stop-incomplete-cds:14714",
        "a new stop in a CDS annotated without one (incomplete 3' end): VEP reports stop_gained, bcftools stop_retained",
    ),
    (
        "ENST00000545279/splice-region-insert:44572",
        "an insertion at a 2-bp non-canonical intron: bcftools' test calls the case ambiguous; ours keeps splice_region only",
    ),
    (
        "ENST00000573314/incorrect-insertion-overlap:32388",
        "an insertion written beyond the transcript's 5' end: upstream as written (VEP without --shift_3prime); bcftools' test marks its frameshift 'incorrect'",
    ),
];

#[test]
fn consequences_agree_with_bcftools_csq_test_suite() {
    let Some(data) = data_dir() else { return };
    let root = data.join("annotation/bcftools-csq");
    let mut cases: Vec<PathBuf> = fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    let (mut total, mut agree, mut not_comparable) = (0, 0, 0);
    let mut differences: Vec<(String, String, String)> = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let model = GeneModel::from_path(
            &case.join(format!("{name}.gff")),
            CanonicalPolicy::default(),
        )
        .unwrap();
        let mut vcfs: Vec<PathBuf> = fs::read_dir(case)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "vcf"))
            .collect();
        vcfs.sort();
        for vcf_path in vcfs {
            let stem = vcf_path.file_stem().unwrap().to_string_lossy().into_owned();
            let vcf_text = fs::read_to_string(&vcf_path).unwrap();
            let Some(lines) = expectations(case, &stem, &vcf_text) else {
                continue;
            };
            let exp = expected(&lines);
            let mut ann = Annotator::new(
                &model,
                Reference::open(&case.join(format!("{name}.fa"))).unwrap(),
            );
            for line in vcf_text.lines() {
                if line.starts_with('#') || line.is_empty() {
                    continue;
                }
                let f: Vec<&str> = line.split('\t').collect();
                let (chrom, pos, r, a) = (f[0], f[1].parse::<u32>().unwrap(), f[3], f[4]);
                let end: u32 = f[7]
                    .split(';')
                    .find_map(|x| x.strip_prefix("END="))
                    .and_then(|e| e.parse().ok())
                    .unwrap_or(pos + r.len() as u32 - 1);
                for alt in a.split(',') {
                    let Some(alternatives) = exp.get(&(pos, r.to_string(), alt.to_string())) else {
                        continue;
                    };
                    if alt == "."
                        || (alternatives.iter().all(BTreeSet::is_empty)
                            && lines_point_elsewhere(&lines, pos))
                    {
                        not_comparable += 1;
                        continue;
                    }
                    let allele = if alt.starts_with("<INS") {
                        Allele::Insertion { pos }
                    } else if alt.starts_with("<DEL") {
                        Allele::Deletion { pos, end }
                    } else {
                        Allele::Sequence {
                            pos,
                            reference: r,
                            alternate: alt,
                        }
                    };
                    let effects = ann.annotate(chrom, allele).unwrap();
                    let mut ours: BTreeSet<Call> = BTreeSet::new();
                    for e in effects {
                        let Some(t) = e.transcript.map(|i| &model.transcripts()[i]) else {
                            continue;
                        };
                        let mut terms: BTreeSet<String> = e
                            .consequences
                            .iter()
                            .filter_map(to_bcftools)
                            .map(str::to_string)
                            .collect();
                        // bcftools names a splice term instead of intron, not beside it
                        if terms.len() > 1 && terms.iter().any(|t| t.starts_with("splice_")) {
                            terms.remove("intron");
                        }
                        if terms.is_empty() {
                            continue;
                        }
                        let intron_only = terms.len() == 1 && terms.contains("intron");
                        let who = if t.coding.is_some() && !intron_only {
                            t.id.clone()
                        } else {
                            t.gene_symbol.clone().unwrap_or_default()
                        };
                        ours.insert((who, terms));
                    }
                    total += 1;
                    let key = format!("{name}/{stem}:{pos}");
                    let show = |s: &BTreeSet<Call>| {
                        s.iter()
                            .map(|(w, t)| {
                                format!("{}|{w}", t.iter().cloned().collect::<Vec<_>>().join("&"))
                            })
                            .collect::<Vec<_>>()
                            .join(",")
                    };
                    if alternatives.contains(&ours) {
                        agree += 1;
                    } else {
                        differences.push((key, show(&alternatives[0]), show(&ours)));
                    }
                }
            }
        }
    }
    eprintln!(
        "bcftools csq suite: {agree}/{total} records agree ({not_comparable} not comparable)"
    );
    for (k, e, o) in &differences {
        eprintln!("DIFF {k}\n  bcftools: {e}\n  zenome:   {o}");
    }
    assert!(total >= 90, "only {total} records compared");
    let known: BTreeSet<&str> = KNOWN.iter().map(|(k, _)| *k).collect();
    let unexpected: Vec<&String> = differences
        .iter()
        .map(|(k, _, _)| k)
        .filter(|k| !known.contains(k.as_str()))
        .collect();
    assert!(
        unexpected.is_empty(),
        "unexplained differences: {unexpected:?}"
    );
    let now_agree: Vec<&&str> = known
        .iter()
        .filter(|k| !differences.iter().any(|(d, _, _)| d == *k))
        .collect();
    assert!(
        now_agree.is_empty(),
        "these now agree; update KNOWN and docs/annotation.md: {now_agree:?}"
    );
}
