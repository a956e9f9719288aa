//! What changed between two knowledge-base versions: for a patient, the
//! difference between findings under the old and the new version (added,
//! removed, changed level or class); for a knowledge base, the genes and
//! alleles the change can affect, so only those patients are matched again.

use std::collections::{BTreeMap, BTreeSet};

use crate::acmg::AcmgSfList;
use crate::clinvar::{ClinVarSet, ClinicalSignificance};
use crate::evidence::{AmpClass, EvidenceLevel, EvidenceSet, GenomicAllele, RecordId};
use crate::hotspots::HotspotSet;
use crate::matching::{Findings, TherapyFinding};
use crate::patient::{AnnotatedVariant, VariantKey};

/// What identifies a finding across versions.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FindingKey {
    Therapy {
        variant: VariantKey,
        record: RecordId,
    },
    Hotspot {
        variant: VariantKey,
        gene: String,
        position: u32,
    },
    Secondary {
        variant: VariantKey,
        variation_id: u64,
    },
}

/// What is compared for "changed".
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Grade {
    Therapy {
        level: Option<EvidenceLevel>,
        amp: Option<AmpClass>,
        therapies: Vec<String>,
        disease: Option<String>,
    },
    Hotspot {
        same_allele: bool,
        in_patient_type: u32,
    },
    Secondary {
        significance: ClinicalSignificance,
        stars: u8,
    },
}

/// The difference for one patient.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FindingsDiff {
    pub added: Vec<(FindingKey, Grade)>,
    pub removed: Vec<(FindingKey, Grade)>,
    /// Key, old grade, new grade.
    pub changed: Vec<(FindingKey, Grade, Grade)>,
}

impl FindingsDiff {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

fn therapy_grade(t: &TherapyFinding) -> Grade {
    Grade::Therapy {
        level: t.level,
        amp: t.amp,
        therapies: t.therapies.clone(),
        disease: t.disease.id.clone(),
    }
}

fn graded(f: &Findings) -> BTreeMap<FindingKey, Grade> {
    let mut m = BTreeMap::new();
    for t in &f.therapies {
        m.insert(
            FindingKey::Therapy {
                variant: t.variant.clone(),
                record: t.record.clone(),
            },
            therapy_grade(t),
        );
    }
    for h in &f.hotspots {
        m.insert(
            FindingKey::Hotspot {
                variant: h.variant.clone(),
                gene: h.gene.clone(),
                position: h.position,
            },
            Grade::Hotspot {
                same_allele: h.same_allele,
                in_patient_type: h.in_patient_type,
            },
        );
    }
    for s in &f.secondary {
        m.insert(
            FindingKey::Secondary {
                variant: s.variant.clone(),
                variation_id: s.variation_id,
            },
            Grade::Secondary {
                significance: s.significance.clone(),
                stars: s.stars,
            },
        );
    }
    m
}

/// The difference between a patient's findings under old and new knowledge.
pub fn diff_findings(old: &Findings, new: &Findings) -> FindingsDiff {
    let (o, n) = (graded(old), graded(new));
    let mut d = FindingsDiff::default();
    for (k, g) in &n {
        match o.get(k) {
            None => d.added.push((k.clone(), g.clone())),
            Some(og) if og != g => d.changed.push((k.clone(), og.clone(), g.clone())),
            _ => {}
        }
    }
    for (k, g) in &o {
        if !n.contains_key(k) {
            d.removed.push((k.clone(), g.clone()));
        }
    }
    d
}

/// What a knowledge-base change can affect: patients with a variant in one
/// of these genes (any variant: gene-level records) or at one of these
/// alleles need matching again; nobody else does.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Impact {
    /// Upper-case gene symbols.
    pub genes: BTreeSet<String>,
    pub alleles: BTreeSet<GenomicAllele>,
}

impl Impact {
    pub fn is_empty(&self) -> bool {
        self.genes.is_empty() && self.alleles.is_empty()
    }
    /// Whether re-matching a variant could change its findings.
    pub fn affects(&self, v: &AnnotatedVariant) -> bool {
        self.genes.contains(&v.gene_symbol.to_ascii_uppercase())
            || self.alleles.contains(&v.allele())
    }
    /// Whether any of a patient's variants is affected.
    pub fn affects_any(&self, variants: &[AnnotatedVariant]) -> bool {
        variants.iter().any(|v| self.affects(v))
    }
}

/// Records keyed by id; changed = added, removed or different content.
fn changed_keys<K: Ord + Clone, V: PartialEq>(
    old: &BTreeMap<K, Vec<&V>>,
    new: &BTreeMap<K, Vec<&V>>,
) -> Vec<K> {
    let keys: BTreeSet<&K> = old.keys().chain(new.keys()).collect();
    keys.into_iter()
        .filter(|k| old.get(*k) != new.get(*k))
        .cloned()
        .collect()
}

fn group<'a, K: Ord, V>(
    items: impl Iterator<Item = &'a V>,
    key: impl Fn(&V) -> K,
) -> BTreeMap<K, Vec<&'a V>>
where
    V: 'a,
{
    let mut m: BTreeMap<K, Vec<&V>> = BTreeMap::new();
    for i in items {
        m.entry(key(i)).or_default().push(i);
    }
    m
}

/// Genes whose evidence items or assertions were added, removed or changed.
pub fn evidence_impact(old: &EvidenceSet, new: &EvidenceSet) -> Impact {
    let (o, n) = (
        group(old.items.iter(), |i| i.id.clone()),
        group(new.items.iter(), |i| i.id.clone()),
    );
    let mut impact = Impact::default();
    for k in changed_keys(&o, &n) {
        for item in o.get(&k).into_iter().chain(n.get(&k)).flatten() {
            impact.genes.insert(item.gene.to_ascii_uppercase());
        }
    }
    impact
}

/// Alleles (and their genes' germline findings) whose ClinVar record changed.
pub fn clinvar_impact(old: &ClinVarSet, new: &ClinVarSet) -> Impact {
    let key = |r: &crate::clinvar::ClinVarRecord| r.allele.clone();
    let (o, n) = (
        group(old.records.iter(), key),
        group(new.records.iter(), key),
    );
    let mut impact = Impact::default();
    for k in changed_keys(&o, &n) {
        impact.alleles.insert(k);
    }
    impact
}

/// Genes added to, removed from or changed in the ACMG SF list.
pub fn acmg_impact(old: &AcmgSfList, new: &AcmgSfList) -> Impact {
    let (o, n) = (
        group(old.rows(), |r| r.gene.clone()),
        group(new.rows(), |r| r.gene.clone()),
    );
    Impact {
        genes: changed_keys(&o, &n)
            .into_iter()
            .map(|g| g.to_ascii_uppercase())
            .collect(),
        alleles: BTreeSet::new(),
    }
}

/// Genes whose hotspot residues changed.
pub fn hotspots_impact(old: &HotspotSet, new: &HotspotSet) -> Impact {
    let key = |h: &crate::hotspots::Hotspot| (h.gene.clone(), h.position);
    let (o, n) = (
        group(old.hotspots.iter(), key),
        group(new.hotspots.iter(), key),
    );
    Impact {
        genes: changed_keys(&o, &n)
            .into_iter()
            .map(|(g, _)| g.to_ascii_uppercase())
            .collect(),
        alleles: BTreeSet::new(),
    }
}
