//! The case's candidate variants from a VCF annotated with a VEP-layout
//! `CSQ` field: the alleles the proband carries, their most severe
//! consequence per gene, population frequency (CSQ `MAX_AF`/`gnomAD*_AF`,
//! INFO `gnomAD_AF`) and the cohort's, ClinVar significance, and the
//! genotypes of the proband and the parents.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use noodles::vcf;
use noodles::vcf::variant::record::AlternateBases as _;

use crate::error::PrioritiseError;

/// A genotype reduced to what inheritance needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Zygosity {
    /// No copy of the allele.
    Absent,
    Heterozygous,
    Homozygous,
    /// One copy on a haploid call (male X).
    Hemizygous,
    /// Not called, or no such sample.
    Unknown,
}

impl Zygosity {
    pub fn carries(self) -> bool {
        matches!(
            self,
            Self::Heterozygous | Self::Homozygous | Self::Hemizygous
        )
    }
}

/// One allele the proband carries, in one gene.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Candidate {
    pub chrom: String,
    pub pos: u32,
    pub reference: String,
    pub alternate: String,
    pub gene: String,
    pub consequence: String,
    pub impact: String,
    pub hgvsc: String,
    pub hgvsp: String,
    pub population_af: Option<f64>,
    pub cohort_af: Option<f64>,
    pub clinvar: Option<String>,
    /// Proband first, then the other pedigree members in [`Case::members`] order.
    pub genotypes: Vec<Zygosity>,
    /// Predicted pathogenicity of the consequence (or ClinVar), 0–1.
    pub pathogenicity: f64,
    /// Exomiser's frequency score, 0–1.
    pub frequency_score: f64,
}

impl Candidate {
    pub fn score(&self) -> f64 {
        self.pathogenicity * self.frequency_score
    }

    /// The higher of the population and cohort frequencies.
    pub fn max_af(&self) -> f64 {
        self.population_af
            .unwrap_or(0.0)
            .max(self.cohort_af.unwrap_or(0.0))
    }

    pub fn is_x(&self) -> bool {
        matches!(self.chrom.as_str(), "X" | "chrX")
    }
}

/// A case's variants, grouped by gene.
#[derive(Debug, Default)]
pub struct Case {
    /// Sample names: the proband first.
    pub members: Vec<String>,
    pub by_gene: HashMap<String, Vec<Candidate>>,
    pub records: u64,
    /// Alleles the proband carries that passed to a gene.
    pub candidates: u64,
}

/// Predicted pathogenicity of a consequence, as Exomiser's defaults rate
/// variant effects without a missense predictor: loss of function 1,
/// missense and in-frame 0.6, splice region 0.4, UTR and non-coding exon
/// 0.2; anything milder is no candidate.
pub fn pathogenicity(consequence: &str) -> f64 {
    let mut best: f64 = 0.0;
    for c in consequence.split('&') {
        let s = match c {
            "transcript_ablation"
            | "frameshift_variant"
            | "stop_gained"
            | "splice_acceptor_variant"
            | "splice_donor_variant"
            | "start_lost"
            | "stop_lost"
            | "exon_loss_variant"
            | "feature_truncation" => 1.0,
            "missense_variant"
            | "inframe_insertion"
            | "inframe_deletion"
            | "protein_altering_variant"
            | "initiator_codon_variant" => 0.6,
            "splice_region_variant"
            | "splice_donor_5th_base_variant"
            | "splice_donor_region_variant"
            | "splice_polypyrimidine_tract_variant" => 0.4,
            "5_prime_UTR_variant"
            | "3_prime_UTR_variant"
            | "non_coding_transcript_exon_variant"
            | "mature_miRNA_variant" => 0.2,
            _ => 0.0,
        };
        best = best.max(s);
    }
    best
}

/// Exomiser's frequency score: 1 for an unseen allele, falling to 0 at 2 %.
pub fn frequency_score(af: f64) -> f64 {
    if af <= 0.0 {
        return 1.0;
    }
    let pct = af * 100.0;
    if pct > 2.0 {
        return 0.0;
    }
    (1.13533 - 0.13533 * pct.exp()).clamp(0.0, 1.0)
}

/// Cohort allele frequencies the platform supplies (excluding the family).
pub trait CohortFrequencies {
    fn af(&self, chrom: &str, pos: u32, reference: &str, alternate: &str) -> Option<f64>;
}

/// How to read the case.
pub struct ReadOptions<'a> {
    /// The proband's sample column (`None`: the only one).
    pub proband: Option<String>,
    /// Other members to read genotypes for (parents), by sample name.
    pub relatives: Vec<String>,
    pub cohort: Option<&'a dyn CohortFrequencies>,
    /// Alleles more frequent than this are dropped (Exomiser: 2 %).
    pub max_af: f64,
    /// The assembly the knowledge expects (`GRCh37`/`GRCh38`), when known.
    pub assembly: Option<String>,
}

fn open(path: &Path) -> Result<Box<dyn BufRead>, PrioritiseError> {
    let io = |e| PrioritiseError::Io {
        path: path.into(),
        source: e,
    };
    let mut f = std::fs::File::open(path).map_err(io)?;
    let mut magic = [0u8; 2];
    let gz = f.read(&mut magic).map_err(io)? == 2 && magic == [0x1f, 0x8b];
    let f = std::fs::File::open(path).map_err(io)?;
    Ok(if gz {
        Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::read::MultiGzDecoder::new(f),
        ))
    } else {
        Box::new(BufReader::with_capacity(1 << 16, f))
    })
}

/// The assembly a header's contig lengths point to.
pub fn assembly_of(header: &vcf::Header) -> Option<&'static str> {
    for (name, c) in header.contigs() {
        let n = name.trim_start_matches("chr");
        match (n, c.length()) {
            ("1", Some(249_250_621)) | ("20", Some(63_025_520)) | ("21", Some(48_129_895)) => {
                return Some("GRCh37");
            }
            ("1", Some(248_956_422)) | ("20", Some(64_444_167)) | ("21", Some(46_709_983)) => {
                return Some("GRCh38");
            }
            _ => {}
        }
    }
    None
}

/// Reads `path`'s candidates.
pub fn read_case(path: &Path, options: &ReadOptions<'_>) -> Result<Case, PrioritiseError> {
    let mut reader = vcf::io::Reader::new(open(path)?);
    let header = reader.read_header().map_err(|e| PrioritiseError::Vcf {
        path: path.into(),
        record: 0,
        message: e.to_string(),
    })?;
    if let (Some(expected), Some(found)) = (&options.assembly, assembly_of(&header))
        && !expected.eq_ignore_ascii_case(found)
    {
        return Err(PrioritiseError::Assembly {
            path: path.into(),
            found: found.into(),
            expected: expected.clone(),
            detail: "judged from the header's contig lengths".into(),
        });
    }
    let csq_format: Vec<String> = header
        .infos()
        .get("CSQ")
        .and_then(|i| i.description().split("Format: ").nth(1))
        .map(|f| f.trim().split('|').map(str::to_string).collect())
        .ok_or_else(|| PrioritiseError::NotAnnotated { path: path.into() })?;
    let col = |name: &str| csq_format.iter().position(|c| c == name);
    let (Some(c_allele), Some(c_cons), Some(c_symbol)) =
        (col("Allele"), col("Consequence"), col("SYMBOL"))
    else {
        return Err(PrioritiseError::Input {
            path: path.into(),
            message: "the CSQ Format lacks Allele, Consequence or SYMBOL".into(),
        });
    };
    let c_impact = col("IMPACT");
    let c_hgvsc = col("HGVSc");
    let c_hgvsp = col("HGVSp");
    let c_num = col("ALLELE_NUM");
    let af_cols: Vec<usize> = ["MAX_AF", "gnomADe_AF", "gnomADg_AF", "gnomAD_AF", "AF"]
        .iter()
        .filter_map(|n| col(n))
        .collect();
    let c_clin = col("CLIN_SIG");
    let samples: Vec<String> = header.sample_names().iter().cloned().collect();
    let samples_err = |message: String| PrioritiseError::Samples {
        path: path.into(),
        message,
        samples: samples.clone(),
    };
    let proband = match (&options.proband, samples.len()) {
        (_, 0) => return Err(samples_err("no sample column".into())),
        (Some(p), _) => samples
            .iter()
            .position(|s| s == p)
            .ok_or_else(|| samples_err(format!("the proband {p:?} is not a sample")))?,
        (None, 1) => 0,
        (None, _) => {
            return Err(samples_err("several samples and no proband named".into()));
        }
    };
    let mut columns = vec![proband];
    let mut members = vec![samples[proband].clone()];
    for r in &options.relatives {
        let i = samples
            .iter()
            .position(|s| s == r)
            .ok_or_else(|| samples_err(format!("pedigree member {r:?} is not a sample")))?;
        columns.push(i);
        members.push(r.clone());
    }
    let mut case = Case {
        members,
        ..Case::default()
    };
    let mut rec = vcf::Record::default();
    let mut gts: Vec<Option<String>> = Vec::new();
    loop {
        let n = reader
            .read_record(&mut rec)
            .map_err(|e| PrioritiseError::Vcf {
                path: path.into(),
                record: case.records + 1,
                message: e.to_string(),
            })?;
        if n == 0 {
            break;
        }
        case.records += 1;
        let no = case.records;
        let verr = |m: String| PrioritiseError::Vcf {
            path: path.into(),
            record: no,
            message: m,
        };
        // genotypes of the chosen columns
        gts.clear();
        let s = rec.samples();
        if s.keys().iter().next() != Some("GT") {
            continue;
        }
        gts.resize(columns.len(), None);
        let mut count = 0;
        for (i, smp) in s.iter().enumerate() {
            count += 1;
            for (k, &c) in columns.iter().enumerate() {
                if c == i {
                    let v: &str = smp.as_ref();
                    gts[k] = Some(v.split(':').next().unwrap_or(".").to_string());
                }
            }
        }
        if count < samples.len() {
            return Err(verr(format!(
                "{count} sample column(s), the header names {}: is the file cut short?",
                samples.len()
            )));
        }
        let proband_gt = gts[0].as_deref().unwrap_or(".");
        let alleles = parse_gt(proband_gt);
        if !alleles.iter().any(|&a| a > 0) {
            continue;
        }
        let alts: Vec<String> = rec
            .alternate_bases()
            .iter()
            .map(|a| a.map(str::to_string))
            .collect::<Result<_, _>>()
            .map_err(|e| verr(e.to_string()))?;
        let reference = rec.reference_bases().to_string();
        let chrom = rec.reference_sequence_name().to_string();
        let pos = match rec.variant_start() {
            Some(Ok(p)) => usize::from(p) as u32,
            _ => return Err(verr("missing or bad POS".into())),
        };
        let info = rec.info();
        let info: &str = info.as_ref();
        let Some(csq) = info.split(';').find_map(|kv| kv.strip_prefix("CSQ=")) else {
            continue;
        };
        let info_af = info
            .split(';')
            .find_map(|kv| kv.strip_prefix("gnomAD_AF="))
            .and_then(|v| v.split(',').next()?.parse::<f64>().ok());
        for (k, alt) in alts.iter().enumerate() {
            let allele = k as i32 + 1;
            if !alleles.contains(&allele) {
                continue;
            }
            let genotypes: Vec<Zygosity> = gts
                .iter()
                .map(|g| zygosity(g.as_deref().unwrap_or("."), allele))
                .collect();
            // the CSQ entries of this allele: most severe per gene
            let vep_allele = vep_allele(&reference, &alts, k);
            let mut per_gene: HashMap<&str, (f64, Vec<&str>)> = HashMap::new();
            for entry in csq.split(',') {
                let f: Vec<&str> = entry.split('|').collect();
                let mine = match c_num.and_then(|c| f.get(c)) {
                    Some(n) if !n.is_empty() => n.parse::<i32>().ok() == Some(allele),
                    _ => alts.len() == 1 || f.get(c_allele) == Some(&vep_allele.as_str()),
                };
                let symbol = f.get(c_symbol).copied().unwrap_or("");
                if !mine || symbol.is_empty() {
                    continue;
                }
                let cons = f.get(c_cons).copied().unwrap_or("");
                let mut p = pathogenicity(cons);
                let clin = c_clin.and_then(|c| f.get(c)).copied().unwrap_or("");
                if clin
                    .split('&')
                    .any(|c| c == "pathogenic" || c == "likely_pathogenic")
                {
                    p = 1.0;
                }
                let e = per_gene.entry(symbol).or_insert((-1.0, Vec::new()));
                if p > e.0 {
                    *e = (p, f);
                }
            }
            for (gene, (p, f)) in per_gene {
                if p <= 0.0 {
                    continue;
                }
                let get = |c: Option<usize>| {
                    c.and_then(|c| f.get(c))
                        .map(|s| s.to_string())
                        .unwrap_or_default()
                };
                let population_af = af_cols
                    .iter()
                    .filter_map(|&c| f.get(c))
                    .flat_map(|v| v.split('&'))
                    .filter_map(|v| v.parse::<f64>().ok())
                    .fold(info_af, |m, x| Some(m.map_or(x, |m: f64| m.max(x))));
                let cohort_af = options
                    .cohort
                    .and_then(|c| c.af(&chrom, pos, &reference, alt));
                let mut c = Candidate {
                    chrom: chrom.clone(),
                    pos,
                    reference: reference.clone(),
                    alternate: alt.clone(),
                    gene: gene.to_string(),
                    consequence: f.get(c_cons).copied().unwrap_or("").to_string(),
                    impact: get(c_impact),
                    hgvsc: get(c_hgvsc),
                    hgvsp: get(c_hgvsp),
                    population_af,
                    cohort_af,
                    clinvar: c_clin
                        .and_then(|c| f.get(c))
                        .filter(|s| !s.is_empty())
                        .map(|s| s.to_string()),
                    genotypes: genotypes.clone(),
                    pathogenicity: p,
                    frequency_score: 1.0,
                };
                let af = c.max_af();
                if af > options.max_af {
                    continue;
                }
                c.frequency_score = frequency_score(af);
                case.candidates += 1;
                case.by_gene.entry(c.gene.clone()).or_default().push(c);
            }
        }
    }
    Ok(case)
}

/// VEP's spelling of ALT `k`: the first base dropped when every allele
/// shares it, `-` for an empty allele.
fn vep_allele(reference: &str, alts: &[String], k: usize) -> String {
    let first = reference.as_bytes().first();
    let shared = first.is_some()
        && alts
            .iter()
            .all(|a| a.as_bytes().first() == first && !a.starts_with('<'))
        && alts.iter().any(|a| a.len() != reference.len());
    let a = &alts[k];
    if shared {
        let rest = &a[1..];
        if rest.is_empty() {
            "-".into()
        } else {
            rest.into()
        }
    } else {
        a.clone()
    }
}

/// Allele indices of a GT (`.` as -1).
fn parse_gt(gt: &str) -> Vec<i32> {
    gt.split(['/', '|'])
        .map(|a| a.parse::<i32>().unwrap_or(-1))
        .collect()
}

fn zygosity(gt: &str, allele: i32) -> Zygosity {
    let a = parse_gt(gt);
    if a.iter().all(|&x| x < 0) {
        return Zygosity::Unknown;
    }
    let n = a.iter().filter(|&&x| x == allele).count();
    match (a.len(), n) {
        (_, 0) => Zygosity::Absent,
        (1, 1) => Zygosity::Hemizygous,
        (_, 1) => Zygosity::Heterozygous,
        _ => Zygosity::Homozygous,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frequency_and_effect_scores_follow_exomiser() {
        assert_eq!(frequency_score(0.0), 1.0);
        assert!((frequency_score(0.0001) - 0.99864).abs() < 1e-4);
        assert!(frequency_score(0.01) < 0.8 && frequency_score(0.01) > 0.7);
        assert_eq!(frequency_score(0.03), 0.0);
        assert_eq!(pathogenicity("stop_gained&splice_region_variant"), 1.0);
        assert_eq!(pathogenicity("missense_variant"), 0.6);
        assert_eq!(pathogenicity("synonymous_variant"), 0.0);
        assert_eq!(zygosity("0/1", 1), Zygosity::Heterozygous);
        assert_eq!(zygosity("1|1", 1), Zygosity::Homozygous);
        assert_eq!(zygosity("1", 1), Zygosity::Hemizygous);
        assert_eq!(zygosity("./.", 1), Zygosity::Unknown);
        assert_eq!(zygosity("0/2", 1), Zygosity::Absent);
        assert_eq!(vep_allele("AT", &["A".into()], 0), "-");
        assert_eq!(vep_allele("A", &["G".into()], 0), "G");
        assert_eq!(vep_allele("A", &["AT".into(), "G".into()], 0), "AT");
    }
}
