//! Genes ranked for a patient: phenotype similarity, and with variants the
//! best inheritance mode the proband's (and parents') genotypes fit.
//!
//! Combined score: with variants, `phenotype × variant` (a gene needs both
//! to rank high; Exomiser fits a logistic model on the same two inputs, a
//! product keeps each rank explainable from the two numbers shown); without
//! variants, the phenotype score alone. With variants, genes without a
//! candidate fitting some mode are not ranked.

use serde::Serialize;

use crate::patient::Sex;
use crate::pedigree::Pedigree;
use crate::phenotype::{Knowledge, Mode, TermMatch};
use crate::variants::{Candidate, Case, Zygosity};

/// How inheritance explains a gene's variants in this family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fit {
    /// One heterozygous allele, absent in both (unaffected) parents.
    DeNovo,
    /// One heterozygous allele (parents unknown, or an affected parent carries it).
    Dominant,
    /// A homozygous allele.
    Homozygous,
    /// Two heterozygous alleles, from different parents when they are known.
    CompoundHeterozygous,
    /// An X allele in a male (or homozygous in a female).
    XLinked,
}

/// One ranked gene with its evidence.
#[derive(Debug, Clone, Serialize)]
pub struct RankedGene {
    pub gene: String,
    pub rank: usize,
    pub score: f64,
    pub phenotype_score: f64,
    pub variant_score: Option<f64>,
    pub inheritance: Option<Fit>,
    pub gene_modes: Vec<Mode>,
    pub matched_terms: Vec<TermMatch>,
    pub variants: Vec<Candidate>,
}

/// The ranked list.
#[derive(Debug, Clone, Serialize)]
pub struct Ranking {
    pub patient: String,
    /// The terms used, after obsolete ones were replaced.
    pub terms: Vec<String>,
    /// Obsolete terms replaced: (given, used).
    pub replaced: Vec<(String, String)>,
    pub knowledge: String,
    pub with_variants: bool,
    pub genes: Vec<RankedGene>,
}

/// Variant score and fit of one gene under the modes it allows.
pub fn inheritance(
    variants: &[Candidate],
    modes: &[Mode],
    sex: Sex,
    pedigree: Option<(&Pedigree, &[String])>,
) -> Option<(f64, Fit, Vec<usize>)> {
    let any = modes.is_empty();
    let allows = |m: Mode| any || modes.contains(&m);
    // parents: indices into the genotype vectors, and whether affected
    let parents: Vec<(usize, bool)> = match pedigree {
        Some((ped, members)) => {
            let proband = ped.member(&members[0]);
            members
                .iter()
                .enumerate()
                .skip(1)
                .filter(|(_, id)| {
                    proband.is_some_and(|p| {
                        p.father.as_deref() == Some(id.as_str())
                            || p.mother.as_deref() == Some(id.as_str())
                    })
                })
                .map(|(i, id)| (i, ped.member(id).is_some_and(|m| m.affected)))
                .collect()
        }
        None => Vec::new(),
    };
    let unaffected_carrier = |v: &Candidate, homozygous: bool| {
        parents.iter().any(|&(i, affected)| {
            let z = v.genotypes.get(i).copied().unwrap_or(Zygosity::Unknown);
            !affected
                && if homozygous {
                    matches!(z, Zygosity::Homozygous | Zygosity::Hemizygous)
                } else {
                    z.carries()
                }
        })
    };
    let mut best: Option<(f64, Fit, Vec<usize>)> = None;
    let mut consider = |s: f64, fit: Fit, which: Vec<usize>| {
        if best.as_ref().is_none_or(|b| s > b.0) {
            best = Some((s, fit, which));
        }
    };
    let order: Vec<usize> = {
        let mut o: Vec<usize> = (0..variants.len()).collect();
        o.sort_by(|&a, &b| variants[b].score().total_cmp(&variants[a].score()));
        o
    };
    for &i in &order {
        let v = &variants[i];
        let z = v.genotypes[0];
        let x = v.is_x();
        // dominant / de novo: rarer than 0.1 %
        if !x
            && allows(Mode::AutosomalDominant)
            && v.max_af() <= 0.001
            && z.carries()
            && !unaffected_carrier(v, false)
        {
            let de_novo = parents.len() == 2
                && parents
                    .iter()
                    .all(|&(p, _)| v.genotypes[p] == Zygosity::Absent);
            consider(
                v.score(),
                if de_novo { Fit::DeNovo } else { Fit::Dominant },
                vec![i],
            );
        }
        if !x
            && allows(Mode::AutosomalRecessive)
            && z == Zygosity::Homozygous
            && !unaffected_carrier(v, true)
        {
            consider(v.score(), Fit::Homozygous, vec![i]);
        }
        if x && (allows(Mode::XLinkedRecessive)
            || allows(Mode::XLinked)
            || allows(Mode::XLinkedDominant))
        {
            let fits = match sex {
                Sex::Male => z.carries(),
                _ => {
                    z == Zygosity::Homozygous
                        || allows(Mode::XLinkedDominant) && z.carries()
                        || any && z.carries()
                }
            };
            if fits && !unaffected_carrier(v, sex != Sex::Male) {
                consider(v.score(), Fit::XLinked, vec![i]);
            }
        }
    }
    // compound heterozygous: the two best alleles from different parents
    if allows(Mode::AutosomalRecessive) {
        let hets: Vec<usize> = order
            .iter()
            .copied()
            .filter(|&i| !variants[i].is_x() && variants[i].genotypes[0] == Zygosity::Heterozygous)
            .collect();
        'pairs: for (a, &i) in hets.iter().enumerate() {
            for &j in &hets[a + 1..] {
                let (vi, vj) = (&variants[i], &variants[j]);
                if vi.pos == vj.pos && vi.alternate == vj.alternate {
                    continue;
                }
                // in trans: no parent carries both; an unaffected parent may carry one
                let cis = parents
                    .iter()
                    .any(|&(p, _)| vi.genotypes[p].carries() && vj.genotypes[p].carries());
                if cis {
                    continue;
                }
                consider(
                    (vi.score() + vj.score()) / 2.0,
                    Fit::CompoundHeterozygous,
                    vec![i, j],
                );
                break 'pairs;
            }
        }
    }
    best
}

/// Ranks every annotated gene for the patient's (resolved) terms.
pub fn rank(
    knowledge: &Knowledge,
    patient_id: &str,
    terms: &[u32],
    sex: Sex,
    case: Option<&Case>,
    pedigree: Option<&Pedigree>,
) -> Vec<RankedGene> {
    let mut out: Vec<RankedGene> = Vec::new();
    let _ = patient_id;
    for g in &knowledge.genes {
        let variants_here = case.and_then(|c| c.by_gene.get(&g.symbol));
        if case.is_some() && variants_here.is_none() {
            continue;
        }
        let (pheno, matched) = knowledge.similarity(terms, g);
        let (variant_score, fit, variants) = match (case, variants_here) {
            (Some(c), Some(vs)) => {
                let ped = pedigree.map(|p| (p, c.members.as_slice()));
                match inheritance(vs, &g.modes, sex, ped) {
                    Some((s, fit, which)) => (
                        Some(s),
                        Some(fit),
                        which.iter().map(|&i| vs[i].clone()).collect(),
                    ),
                    None => continue,
                }
            }
            _ => (None, None, Vec::new()),
        };
        let score = match variant_score {
            Some(v) => pheno * v,
            None => pheno,
        };
        if score <= 0.0 {
            continue;
        }
        out.push(RankedGene {
            gene: g.symbol.clone(),
            rank: 0,
            score,
            phenotype_score: pheno,
            variant_score,
            inheritance: fit,
            gene_modes: g.modes.clone(),
            matched_terms: matched,
            variants,
        });
    }
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.gene.cmp(&b.gene))
    });
    for (i, g) in out.iter_mut().enumerate() {
        g.rank = i + 1;
    }
    out
}
