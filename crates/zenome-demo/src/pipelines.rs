//! The demo's pipeline and its evaluation kit: a small synthetic contig
//! (`demo_eval`, with homopolymer runs), a truth call set on it with its
//! confident regions, and the call sets of two versions of the demo's
//! pipeline — 1.0 worse (missed SNPs and indels, false positives, a
//! genotype error), 1.1 better. Both write the homopolymer indels at the
//! right end of their run where the truth has them at the left, and 1.1
//! writes two adjacent SNPs as one complex record, so only a
//! haplotype-aware comparison finds them equal.
//!
//! The files are written into the configured truth-set and calls
//! directories (`demo-eval/…`), and the demo registers the truth set and
//! both versions as staff, evaluates each, and promotes 1.0 and then 1.1
//! with the reasons on record — so the portal's pipeline page has a table,
//! charts and a current version with its why. The demo files' recorded
//! pipeline (`zenome-demo-pipeline 1.0 (…)`) links them to version 1.0.

use std::fmt::Write as _;
use std::path::Path;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};
use zenome_app::pipelines::{NewPipelineVersion, NewTruthSet, QuerySource};
use zenome_app::{Actor, App};

use crate::DemoError;

/// The pipeline the demo registers (the name its files record).
pub const PIPELINE: &str = "zenome-demo-pipeline";
/// The truth set it registers.
pub const TRUTH_SET: (&str, &str) = ("zenome-demo-truth", "1");
const CONTIG: &str = "demo_eval";
const LEN: usize = 12_000;
const STREAM: u64 = 11;
/// Where the homopolymer runs (8 bases) start, 0-based.
const RUNS: [usize; 5] = [1500, 3500, 5500, 7500, 9500];
/// Other indels: (0-based position, bases deleted or inserted; negative:
/// deletion).
const INDELS: [(usize, i32); 4] = [(2500, -3), (4500, 2), (6800, -2), (8500, 3)];
/// Two adjacent homozygous SNPs (a complex site).
const COMPLEX: usize = 10_500;
/// Confident regions (0-based, half-open): a gap between them.
const REGIONS: [(usize, usize); 2] = [(100, 6000), (6200, 11_900)];

#[derive(Debug, Clone)]
struct Var {
    /// 0-based index of the first REF base.
    pos: usize,
    reference: String,
    alt: String,
    gt: &'static str,
    filter: &'static str,
}

fn other(b: u8, k: usize) -> u8 {
    let all = *b"ACGT";
    let i = all.iter().position(|x| *x == b).unwrap_or(0);
    all[(i + 1 + k % 3) % 4]
}

fn s(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The contig, the truth, and the two query call sets.
fn generate(seed: u64) -> (Vec<u8>, Vec<Var>, Vec<Var>, Vec<Var>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(STREAM);
    let bases = *b"ACGT";
    let mut seq: Vec<u8> = (0..LEN).map(|_| bases[rng.random_range(0..4)]).collect();
    for (i, &r) in RUNS.iter().enumerate() {
        let b = bases[i % 4];
        seq[r..r + 8].fill(b);
        seq[r - 1] = other(b, 0);
        seq[r + 8] = other(b, 1);
    }
    let near = |p: usize, d: usize| {
        RUNS.iter()
            .chain(INDELS.iter().map(|(x, _)| x))
            .chain([COMPLEX].iter())
            .any(|&x| p.abs_diff(x) < d)
            || REGIONS
                .iter()
                .any(|&(a, b)| p.abs_diff(a) < 20 || p.abs_diff(b) < 20)
    };
    let mut truth = Vec::new();
    let (mut v1, mut v2) = (Vec::new(), Vec::new());
    // SNPs on a grid, away from the other sites
    let mut snps = Vec::new();
    let mut p = 200;
    while p < LEN - 200 {
        let q = p + rng.random_range(0..40);
        if !near(q, 80) {
            snps.push(q);
        }
        p += 130;
    }
    for (k, &q) in snps.iter().enumerate() {
        let gt = if rng.random_range(0..3) == 0 {
            "1/1"
        } else {
            "0/1"
        };
        let var = Var {
            pos: q,
            reference: s(&seq[q..=q]),
            alt: s(&[other(seq[q], k)]),
            gt,
            filter: "PASS",
        };
        truth.push(var.clone());
        // 1.0 misses one in seven and gets one genotype wrong; 1.1 one in 25
        if k % 7 != 3 {
            let mut w = var.clone();
            if k == 11 {
                w.gt = if var.gt == "1/1" { "0/1" } else { "1/1" };
            }
            v1.push(w);
        }
        if k % 25 != 5 {
            v2.push(var);
        }
    }
    // false-positive SNPs between the grid points (a few filtered), and one
    // outside the confident regions (counted as outside, not as FP)
    let fp = |k: usize, filter: &'static str| {
        let q = snps[k] + 65;
        Var {
            pos: q,
            reference: s(&seq[q..=q]),
            alt: s(&[other(seq[q], 0)]),
            gt: "0/1",
            filter,
        }
    };
    for (k, f) in [(4, "PASS"), (17, "PASS"), (29, "LowQual"), (41, "LowQual")] {
        v1.push(fp(k, f));
    }
    v2.push(fp(17, "PASS"));
    v2.push(fp(41, "LowQual"));
    let outside = 6100;
    for v in [&mut v1, &mut v2] {
        v.push(Var {
            pos: outside,
            reference: s(&seq[outside..=outside]),
            alt: s(&[other(seq[outside], 2)]),
            gt: "0/1",
            filter: "PASS",
        });
    }
    // homopolymer indels: the truth left-aligned, both versions at the
    // run's right end
    for (i, &r) in RUNS.iter().enumerate() {
        let b = seq[r];
        let gt = if i == 2 { "1/1" } else { "0/1" };
        let (left, right) = if i % 2 == 0 {
            (
                Var {
                    pos: r - 1,
                    reference: s(&seq[r - 1..=r]),
                    alt: s(&seq[r - 1..r]),
                    gt,
                    filter: "PASS",
                },
                Var {
                    pos: r + 6,
                    reference: s(&[b, b]),
                    alt: s(&[b]),
                    gt,
                    filter: "PASS",
                },
            )
        } else {
            (
                Var {
                    pos: r - 1,
                    reference: s(&seq[r - 1..r]),
                    alt: s(&[seq[r - 1], b]),
                    gt,
                    filter: "PASS",
                },
                Var {
                    pos: r + 7,
                    reference: s(&[b]),
                    alt: s(&[b, b]),
                    gt,
                    filter: "PASS",
                },
            )
        };
        truth.push(left);
        v1.push(right.clone());
        v2.push(right);
    }
    // other indels: 1.0 misses two, 1.1 one
    for (k, &(p, n)) in INDELS.iter().enumerate() {
        let var = if n < 0 {
            let n = n.unsigned_abs() as usize;
            Var {
                pos: p,
                reference: s(&seq[p..=p + n]),
                alt: s(&seq[p..=p]),
                gt: "0/1",
                filter: "PASS",
            }
        } else {
            let ins: Vec<u8> = (0..n).map(|j| other(seq[p], j as usize + 1)).collect();
            Var {
                pos: p,
                reference: s(&seq[p..=p]),
                alt: format!("{}{}", s(&seq[p..=p]), s(&ins)),
                gt: "0/1",
                filter: "PASS",
            }
        };
        truth.push(var.clone());
        if k != 1 && k != 3 {
            v1.push(var.clone());
        }
        if k != 3 {
            v2.push(var);
        }
    }
    // false-positive indels in 1.0 (one filtered)
    for (k, f) in [(12, "PASS"), (35, "LowQual")] {
        let q = snps[k] + 65;
        v1.push(Var {
            pos: q,
            reference: s(&seq[q..=q + 2]),
            alt: s(&seq[q..=q]),
            gt: "0/1",
            filter: f,
        });
    }
    // the complex site: two adjacent homozygous SNPs; 1.0 misses it, 1.1
    // writes it as one record
    let (a, b) = (other(seq[COMPLEX], 0), other(seq[COMPLEX + 1], 1));
    for (i, alt) in [a, b].into_iter().enumerate() {
        truth.push(Var {
            pos: COMPLEX + i,
            reference: s(&seq[COMPLEX + i..=COMPLEX + i]),
            alt: s(&[alt]),
            gt: "1/1",
            filter: "PASS",
        });
    }
    v2.push(Var {
        pos: COMPLEX,
        reference: s(&seq[COMPLEX..COMPLEX + 2]),
        alt: s(&[a, b]),
        gt: "1/1",
        filter: "PASS",
    });
    (seq, truth, v1, v2)
}

fn vcf(sample: &str, mut vars: Vec<Var>) -> String {
    vars.sort_by_key(|v| v.pos);
    let mut out = format!(
        "##fileformat=VCFv4.2\n##FILTER=<ID=PASS,Description=\"All filters passed\">\n\
         ##FILTER=<ID=LowQual,Description=\"Low quality\">\n\
         ##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n\
         ##contig=<ID={CONTIG},length={LEN}>\n\
         #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t{sample}\n"
    );
    for v in vars {
        let _ = writeln!(
            out,
            "{CONTIG}\t{}\t.\t{}\t{}\t50\t{}\t.\tGT\t{}",
            v.pos + 1,
            v.reference,
            v.alt,
            v.filter,
            v.gt
        );
    }
    out
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), DemoError> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d)
            .map_err(|e| DemoError::Files(format!("{}: {e}", d.display())))?;
    }
    std::fs::write(path, bytes).map_err(|e| DemoError::Files(format!("{}: {e}", path.display())))
}

/// Writes the kit: the truth set's files under `truth_dir/demo-eval/`
/// (VCF, confident-regions BED, FASTA with its index) and the two
/// versions' call sets under `calls_dir`.
pub fn write_evaluation_kit(
    truth_dir: &Path,
    calls_dir: &Path,
    seed: u64,
) -> Result<(), DemoError> {
    let (seq, truth, v1, v2) = generate(seed);
    let dir = truth_dir.join("demo-eval");
    let mut fa = format!(">{CONTIG}\n");
    let offset = fa.len();
    for line in seq.chunks(60) {
        fa.push_str(&s(line));
        fa.push('\n');
    }
    write(&dir.join("demo-eval.fa"), fa.as_bytes())?;
    write(
        &dir.join("demo-eval.fa.fai"),
        format!("{CONTIG}\t{LEN}\t{offset}\t60\t61\n").as_bytes(),
    )?;
    let bed: String = REGIONS
        .iter()
        .map(|(a, b)| format!("{CONTIG}\t{a}\t{b}\n"))
        .collect();
    write(&dir.join("confident.bed"), bed.as_bytes())?;
    write(&dir.join("truth.vcf"), vcf("DEMO-TRUTH", truth).as_bytes())?;
    write(
        &calls_dir.join(format!("{PIPELINE}-1.0.vcf")),
        vcf("DEMO-CALLS", v1).as_bytes(),
    )?;
    write(
        &calls_dir.join(format!("{PIPELINE}-1.1.vcf")),
        vcf("DEMO-CALLS", v2).as_bytes(),
    )?;
    Ok(())
}

/// Registers the truth set and both versions, evaluates each and promotes
/// 1.0 then 1.1, as `staff`. Returns the versions registered and the
/// current one.
pub(crate) async fn build(
    app: &App,
    staff: &Actor,
    seed: u64,
) -> Result<(usize, Option<String>), DemoError> {
    let cfg = app.config();
    write_evaluation_kit(&cfg.truth_dir(), &cfg.calls_dir(), seed)?;
    app.register_truth_set(
        staff,
        NewTruthSet {
            name: TRUTH_SET.0.into(),
            version: TRUTH_SET.1.into(),
            sample: "DEMO-TRUTH".into(),
            assembly: "zenome-demo".into(),
            vcf: "demo-eval/truth.vcf".into(),
            regions: Some("demo-eval/confident.bed".into()),
            reference: Some("demo-eval/demo-eval.fa".into()),
        },
    )
    .await?;
    let versions = [
        (
            "1.0",
            "4.5.0.0",
            serde_json::json!({"min_base_quality": 20, "pcr_indel_model": "CONSERVATIVE", "hard_filter": "QD < 2.0"}),
        ),
        (
            "1.1",
            "4.6.0.0",
            serde_json::json!({"min_base_quality": 20, "pcr_indel_model": "AGGRESSIVE", "hard_filter": "VQSR"}),
        ),
    ];
    for (v, gatk, parameters) in &versions {
        let digest = hex::encode(Sha256::digest(format!("{PIPELINE}:{v}").as_bytes()));
        app.register_pipeline(
            staff,
            NewPipelineVersion {
                name: PIPELINE.into(),
                version: (*v).into(),
                kind: "workflow".into(),
                tools: vec![
                    ("bwa-mem2".into(), "2.2.1".into()),
                    ("GATK HaplotypeCaller".into(), (*gatk).into()),
                ],
                reference_assembly: "zenome-demo".into(),
                reference_fasta: "zenome-demo-ref.fa".into(),
                parameters: parameters.clone(),
                container_digest: Some(format!("sha256:{digest}")),
            },
        )
        .await?;
        app.evaluate_pipeline(
            staff,
            PIPELINE,
            v,
            TRUTH_SET,
            QuerySource::File(format!("{PIPELINE}-{v}.vcf")),
        )
        .await?;
    }
    app.promote_pipeline(
        staff,
        PIPELINE,
        "1.0",
        "最初の検証済みバージョン。The first version validated on the demo truth set; the demo's CRAMs and VCFs were made with it.",
    )
    .await?;
    let p = app
        .promote_pipeline(
            staff,
            PIPELINE,
            "1.1",
            "1.1 は正解セットで 1.0 より劣りません。Not worse than 1.0 on the demo truth set: SNP and indel recall, precision and F1 all at least as high (GATK 4.6, aggressive PCR indel model, VQSR).",
        )
        .await?;
    Ok((versions.len(), Some(p.version)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kit_is_valid_and_versions_differ() {
        let (seq, truth, v1, v2) = generate(42);
        // every REF matches the contig
        for v in truth.iter().chain(&v1).chain(&v2) {
            assert_eq!(
                &seq[v.pos..v.pos + v.reference.len()],
                v.reference.as_bytes(),
                "{v:?}"
            );
            assert_ne!(v.reference, v.alt);
        }
        assert!(truth.len() > 80, "{}", truth.len());
        assert!(v1.len() < v2.len() + 10);
        // the homopolymer indels are written differently on the two sides
        let r = RUNS[0];
        assert!(truth.iter().any(|v| v.pos == r - 1 && v.alt.len() == 1));
        assert!(v1.iter().any(|v| v.pos == r + 6 && v.alt.len() == 1));
        let t = vcf("S", truth);
        assert!(t.starts_with("##fileformat=VCFv4.2\n"));
        // same seed, same kit
        assert_eq!(generate(42).1.len(), generate(42).1.len());
    }
}
