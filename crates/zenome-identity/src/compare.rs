//! The checks on fingerprints: one pair (same individual, tumour/normal,
//! relatedness) by popcounts over the bit planes, with a likelihood ratio
//! for "same individual"; genetic sex; contamination. Every check gives a
//! verdict with the numbers behind it.

use serde::Serialize;

use crate::fingerprint::{Fingerprint, Genotype};
use crate::panel::Panel;

/// Fewer sites called in both than this: no verdict on identity.
pub const MIN_SITES: u32 = 20;
/// |LOD| needed for a verdict on identity (1000 : 1).
pub const MIN_LOD: f64 = 3.0;
/// Genotype error assumed by the likelihood ratio.
const EPSILON: f64 = 0.02;

/// pass / warn / fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Warn,
    Fail,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Warn => "warn",
            Self::Fail => "fail",
        }
    }
}

/// Counts over the sites called in both fingerprints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PairCounts {
    /// Sites called in both.
    pub n: u32,
    /// Same genotype.
    pub concordant: u32,
    /// Opposite homozygotes (no allele shared).
    pub ibs0: u32,
    /// Heterozygous in both.
    pub het_het: u32,
    /// Heterozygous in the first (over `n`).
    pub het_a: u32,
    /// Heterozygous in the second (over `n`).
    pub het_b: u32,
}

impl PairCounts {
    /// KING-robust kinship (Manichaikul et al. 2010, eq. 11, as
    /// `plink2 --make-king-table` reports it): 0.5 for the same individual
    /// or MZ twins, 0.25 first degree, 0.125 second, ≤ 0 unrelated.
    pub fn kinship(&self) -> Option<f64> {
        let m = self.het_a.min(self.het_b);
        (m > 0).then(|| {
            let (hh, i0, m) = (f64::from(self.het_het), f64::from(self.ibs0), f64::from(m));
            (hh - 2.0 * i0) / (2.0 * m) + 0.5 - f64::from(self.het_a + self.het_b) / (4.0 * m)
        })
    }

    /// IBS0 as a fraction of the sites called in both.
    pub fn ibs0_fraction(&self) -> Option<f64> {
        (self.n > 0).then(|| f64::from(self.ibs0) / f64::from(self.n))
    }

    pub fn concordance(&self) -> Option<f64> {
        (self.n > 0).then(|| f64::from(self.concordant) / f64::from(self.n))
    }
}

#[inline]
fn word_counts((ca, ha, ba): (u64, u64, u64), (cb, hb, bb): (u64, u64, u64), c: &mut PairCounts) {
    let both = ca & cb;
    if both == 0 {
        return;
    }
    let aa = ca & !ha & !ba;
    let ab = cb & !hb & !bb;
    c.n += both.count_ones();
    c.het_het += (ha & hb).count_ones();
    c.ibs0 += ((ba & ab) | (aa & bb)).count_ones();
    c.het_a += (ha & cb).count_ones();
    c.het_b += (hb & ca).count_ones();
    c.concordant += (both & !(ha ^ hb) & !(ba ^ bb)).count_ones();
}

/// The counts of a pair over the words listed in `words` (all when `None`).
pub fn counts_over(a: &Fingerprint, b: &Fingerprint, words: Option<&[u32]>) -> PairCounts {
    let mut c = PairCounts::default();
    let w = |f: &Fingerprint, k: usize| (f.called[k], f.het[k], f.hom_b[k]);
    match words {
        Some(ws) => {
            for &k in ws {
                word_counts(w(a, k as usize), w(b, k as usize), &mut c);
            }
        }
        None => {
            for k in 0..a.called.len().min(b.called.len()) {
                word_counts(w(a, k), w(b, k), &mut c);
            }
        }
    }
    c
}

/// How two samples are related, by kinship (KING's thresholds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// Kinship > 0.354: the same individual (or an MZ twin).
    Duplicate,
    /// 0.177–0.354; `parent_offspring` when IBS0 is near zero.
    FirstDegree,
    SecondDegree,
    ThirdDegree,
    Unrelated,
}

impl Relation {
    pub fn from_kinship(k: f64) -> Self {
        if k > 0.354 {
            Self::Duplicate
        } else if k > 0.177 {
            Self::FirstDegree
        } else if k > 0.0884 {
            Self::SecondDegree
        } else if k > 0.0442 {
            Self::ThirdDegree
        } else {
            Self::Unrelated
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Duplicate => "duplicate",
            Self::FirstDegree => "first_degree",
            Self::SecondDegree => "second_degree",
            Self::ThirdDegree => "third_degree",
            Self::Unrelated => "unrelated",
        }
    }
}

/// The comparison of two fingerprints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub a: String,
    pub b: String,
    /// Sites called in both.
    pub n_sites: u32,
    pub concordance: Option<f64>,
    pub kinship: Option<f64>,
    /// Sites with no allele shared.
    pub ibs0: u32,
    pub ibs0_fraction: Option<f64>,
    pub het_het: u32,
    /// log10 of P(genotypes | same individual) / P(genotypes | unrelated).
    pub lod: f64,
    /// `None` when the evidence is too thin (fewer than [`MIN_SITES`]
    /// sites, or |LOD| < [`MIN_LOD`] without an excess of opposite
    /// homozygotes): never a guess. `false` on LOD ≤ −3 or opposite
    /// homozygotes at over 1 % of the sites; `true` on LOD ≥ 3 with a
    /// kinship above 0.354 (tumour/normal: without the kinship, which loss
    /// of heterozygosity lowers).
    pub same_individual: Option<bool>,
    pub relation: Option<Relation>,
    /// Sites where the normal is heterozygous and the tumour homozygous,
    /// left out of the LOD (tumour/normal comparisons only).
    pub loh_sites: u32,
}

fn hwe(g: Genotype, p: f64) -> f64 {
    match g {
        Genotype::HomA => (1.0 - p) * (1.0 - p),
        Genotype::Het => 2.0 * p * (1.0 - p),
        Genotype::HomB => p * p,
        Genotype::Missing => 1.0,
    }
}

/// Compares two fingerprints taken on the same panel. With `loh`, `a` is
/// the normal and `b` its tumour: sites where the normal is heterozygous
/// and the tumour homozygous (loss of heterozygosity) are no evidence
/// against the pair. Allele frequencies come from the panel when it has
/// them (Picard's haplotype maps), else 0.5.
pub fn compare(a: &Fingerprint, b: &Fingerprint, panel: Option<&Panel>, loh: bool) -> Comparison {
    let c = counts_over(a, b, None);
    let mut lod = 0.0;
    let mut loh_sites = 0;
    for k in 0..a.called.len().min(b.called.len()) {
        let mut both = a.called[k] & b.called[k];
        while both != 0 {
            let bit = both.trailing_zeros();
            both &= both - 1;
            let i = k as u32 * 64 + bit;
            let (ga, gb) = (a.get(i), b.get(i));
            if loh && ga == Genotype::Het && matches!(gb, Genotype::HomA | Genotype::HomB) {
                loh_sites += 1;
                continue;
            }
            let p = panel
                .and_then(|p| p.sites().get(i as usize))
                .and_then(|s| s.af)
                .map_or(0.5, f64::from)
                .clamp(0.01, 0.99);
            let same = if ga == gb {
                1.0 - EPSILON
            } else {
                EPSILON / 2.0
            };
            lod += (same / hwe(gb, p)).log10();
        }
    }
    let kinship = c.kinship();
    // opposite homozygotes at more than 1 % of the sites cannot be one
    // person (genotype error is ~0.1 %; loss of heterozygosity never makes
    // them); the LOD alone can mislead on a panel of rare sites without
    // frequencies, where matching REF calls say little
    let ibs0_excess = c.n >= MIN_SITES && c.ibs0 >= 3 && f64::from(c.ibs0) > 0.01 * f64::from(c.n);
    let same_individual = if c.n < MIN_SITES {
        None
    } else if ibs0_excess || lod <= -MIN_LOD {
        Some(false)
    } else if lod >= MIN_LOD && (loh || kinship.is_none_or(|k| k > 0.354)) {
        Some(true)
    } else {
        None
    };
    Comparison {
        a: a.sample.clone(),
        b: b.sample.clone(),
        n_sites: c.n,
        concordance: c.concordance(),
        kinship,
        ibs0: c.ibs0,
        ibs0_fraction: c.ibs0_fraction(),
        het_het: c.het_het,
        lod,
        same_individual,
        relation: if c.n >= crate::pedigree::MIN_RELATION_SITES {
            kinship.map(Relation::from_kinship)
        } else {
            None
        },
        loh_sites,
    }
}

/// Genetic sex.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Sex {
    XX,
    XY,
    Unknown,
}

/// The sex check's answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SexCall {
    pub sex: Sex,
    /// Called chrX (non-PAR) sites, and the heterozygous fraction of them.
    pub x_sites: u32,
    pub x_het_fraction: Option<f64>,
    /// chrX depth over autosomal depth (reads only).
    pub x_depth_ratio: Option<f64>,
}

/// Infers the sex from chrX heterozygosity (and depth, from reads): XY
/// below 3 % heterozygous calls at the panel's common chrX SNPs (and, from
/// reads, a depth ratio under 0.75), XX above 10 % (and a ratio above 0.75);
/// fewer than 20 called chrX sites, or the two signs disagreeing: unknown.
pub fn sex(fp: &Fingerprint) -> SexCall {
    let frac = (fp.x.called > 0).then(|| f64::from(fp.x.het) / f64::from(fp.x.called));
    let ratio = fp.x.depth_ratio.map(f64::from);
    let by_het = match frac {
        Some(f) if fp.x.called >= 20 && f < 0.03 => Sex::XY,
        Some(f) if fp.x.called >= 20 && f > 0.10 => Sex::XX,
        _ => Sex::Unknown,
    };
    let by_depth = ratio.map(|r| if r < 0.75 { Sex::XY } else { Sex::XX });
    let sex = match (by_het, by_depth) {
        (s, None) => s,
        (Sex::Unknown, Some(d)) => d,
        (s, Some(d)) if s == d => s,
        _ => Sex::Unknown,
    };
    SexCall {
        sex,
        x_sites: fp.x.called,
        x_het_fraction: frac,
        x_depth_ratio: ratio,
    }
}

/// The sex check against the clinical record: fail on a contradiction,
/// warn when the genome cannot tell, pass when they agree.
pub fn check_sex(call: &SexCall, recorded: Option<Sex>) -> Verdict {
    match (call.sex, recorded) {
        (Sex::Unknown, _) | (_, None | Some(Sex::Unknown)) => Verdict::Warn,
        (a, Some(b)) if a == b => Verdict::Pass,
        _ => Verdict::Fail,
    }
}

/// Contamination verdict: pass below 3 %, warn below 5 %, fail above
/// (GATK's and VerifyBamID's usual limits); warn when it cannot be
/// estimated (too few deep homozygous sites, or genotypes only).
pub fn check_contamination(fp: &Fingerprint) -> (Verdict, Option<f64>) {
    match fp.depth.and_then(|d| d.contamination).map(f64::from) {
        Some(c) if c < 0.03 => (Verdict::Pass, Some(c)),
        Some(c) if c < 0.05 => (Verdict::Warn, Some(c)),
        Some(c) => (Verdict::Fail, Some(c)),
        None => (Verdict::Warn, None),
    }
}

/// The verdict on a pair that should be the same individual (a CRAM and
/// the VCF of its library, a tumour and its normal).
pub fn check_same(c: &Comparison) -> Verdict {
    match c.same_individual {
        Some(true) => Verdict::Pass,
        Some(false) => Verdict::Fail,
        None => Verdict::Warn,
    }
}
