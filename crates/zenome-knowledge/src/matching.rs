//! Matching a patient's variants to the loaded knowledge: somatic variants to
//! therapies (CIViC and local evidence, with CIViC level and AMP/ASCO/CAP
//! class, the patient's cancer type first), hotspots as supporting evidence,
//! and germline variants in ACMG SF genes to secondary findings (ClinVar P/LP
//! only). Pure: no I/O.

use crate::acmg::{AcmgGene, AcmgSfList, ReportRule};
use crate::clinvar::{ClinVarSet, ClinicalSignificance, ReviewStatus};
use crate::disease::{DiseaseMap, DiseaseTerm, PatientDisease, Replacement, TermSystem};
use crate::evidence::*;
use crate::hotspots::{Composition, HotspotSet, TumourTypeCount};
use crate::patient::{AnnotatedVariant, Origin, PatientContext, VariantKey};
use crate::protein::MatchKind;
use crate::source::KnowledgeBase;

/// Everything loaded, ready to match against.
#[derive(Clone, Debug)]
pub struct Knowledge {
    /// CIViC and local evidence tables, in the order given.
    pub evidence: Vec<EvidenceSet>,
    pub hotspots: Option<HotspotSet>,
    pub clinvar: Option<ClinVarSet>,
    pub acmg: Option<AcmgSfList>,
    pub diseases: DiseaseMap,
}

impl Knowledge {
    /// The identities of every knowledge base loaded (for the run record).
    pub fn versions(&self) -> Vec<KnowledgeBase> {
        let mut v: Vec<KnowledgeBase> = self.evidence.iter().map(|e| e.kb.clone()).collect();
        v.extend(self.hotspots.iter().map(|h| h.kb.clone()));
        v.extend(self.clinvar.iter().map(|c| c.kb.clone()));
        v.extend(self.acmg.iter().map(|a| a.kb.clone()));
        v
    }
}

/// Whether the finding's disease is the patient's cancer type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DiseaseContext {
    /// The knowledge base's disease is one of the patient's mapped terms.
    PatientCancerType,
    /// Tumour-agnostic (DOID:162 "cancer").
    AnyCancerType,
    /// Another cancer type, or the patient's site is unknown or unmapped.
    OtherCancerType,
}

/// Something to tell the reader of a finding.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FindingWarning {
    /// An obsolete disease term replaced (in the knowledge base or the map).
    ObsoleteTerm(Replacement),
    /// The patient's cancer site is not in the disease map.
    SiteNotMapped(String),
    /// The ACMG rule for the gene needs more than one variant or a narrower
    /// kind of variant: check before reporting.
    ReportRuleToCheck(String),
}

/// One therapy (or diagnostic/prognostic) finding for a somatic variant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TherapyFinding {
    pub variant: VariantKey,
    pub gene: String,
    pub kb_variant: String,
    pub match_kind: MatchKind,
    pub therapies: Vec<String>,
    pub interaction: Option<TherapyInteraction>,
    pub disease: DiseaseTerm,
    pub context: DiseaseContext,
    pub evidence_type: EvidenceType,
    pub level: Option<EvidenceLevel>,
    pub amp: Option<AmpClass>,
    pub direction: Direction,
    pub significance: Significance,
    pub record: RecordId,
    pub citation: Option<Citation>,
    /// `kind@version` of the knowledge base.
    pub kb: String,
    pub warnings: Vec<FindingWarning>,
}

/// A somatic variant at a cancer hotspot (supporting evidence).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HotspotFinding {
    pub variant: VariantKey,
    pub gene: String,
    pub position: u32,
    /// Same alternate amino acid as a listed hotspot allele.
    pub same_allele: bool,
    /// Samples of the patient's tumour type(s) in the hotspot's composition.
    pub in_patient_type: u32,
    pub total: u32,
    pub composition: Composition,
    /// The hotspot's tumour-type composition as the file gives it.
    pub tumour_types: Vec<TumourTypeCount>,
    pub kb: String,
}

/// A germline secondary finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecondaryFinding {
    pub variant: VariantKey,
    pub gene: String,
    pub acmg: Vec<AcmgGene>,
    pub variation_id: u64,
    pub significance: ClinicalSignificance,
    pub review: ReviewStatus,
    pub review_text: String,
    pub stars: u8,
    pub conditions: Vec<String>,
    pub hgvs: Option<String>,
    /// `clinvar@…` and `acmg-sf@…`.
    pub kb: Vec<String>,
    pub warnings: Vec<FindingWarning>,
}

/// All findings of one patient.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Findings {
    /// Patient's cancer type first, then tumour-agnostic, then others; within
    /// each, AMP class then CIViC level then record.
    pub therapies: Vec<TherapyFinding>,
    pub hotspots: Vec<HotspotFinding>,
    pub secondary: Vec<SecondaryFinding>,
    /// Warnings about the patient as a whole (site not mapped).
    pub warnings: Vec<FindingWarning>,
}

const ANY_CANCER: &str = "DOID:162";

/// Matches one patient's variants to everything loaded.
pub fn match_patient(
    k: &Knowledge,
    ctx: &PatientContext,
    variants: &[AnnotatedVariant],
) -> Findings {
    let mut out = Findings::default();
    let disease: Option<PatientDisease> = ctx.site.as_ref().and_then(|s| k.diseases.resolve(s));
    if let Some(site) = &ctx.site
        && disease.is_none()
    {
        out.warnings.push(FindingWarning::SiteNotMapped(format!(
            "{}{}",
            site.topography,
            site.morphology.map(|m| format!(" {m}")).unwrap_or_default()
        )));
    }
    let site_warnings: Vec<FindingWarning> = disease
        .iter()
        .flat_map(|d| d.replaced.iter().cloned().map(FindingWarning::ObsoleteTerm))
        .collect();
    for v in variants {
        match v.origin {
            Origin::Somatic => {
                somatic(k, disease.as_ref(), &site_warnings, v, &mut out);
            }
            Origin::Germline => secondary(k, v, &mut out),
        }
    }
    out.therapies.sort_by(|a, b| {
        (
            a.context,
            a.amp.is_none(),
            a.amp,
            a.level,
            &a.variant,
            &a.record,
        )
            .cmp(&(
                b.context,
                b.amp.is_none(),
                b.amp,
                b.level,
                &b.variant,
                &b.record,
            ))
    });
    out
}

fn somatic(
    k: &Knowledge,
    disease: Option<&PatientDisease>,
    site_warnings: &[FindingWarning],
    v: &AnnotatedVariant,
    out: &mut Findings,
) {
    let allele = v.allele();
    let change = v.protein_change();
    for set in &k.evidence {
        let label = set.kb.label();
        for item in &set.items {
            if item.status != Status::Accepted
                || !matches!(
                    item.origin,
                    KbOrigin::Somatic
                        | KbOrigin::Combined
                        | KbOrigin::Unknown
                        | KbOrigin::NotApplicable
                )
                || !item.gene.eq_ignore_ascii_case(&v.gene_symbol)
            {
                continue;
            }
            let kind = if item.coordinates.as_ref() == Some(&allele) {
                Some(MatchKind::Genomic)
            } else {
                item.variant.covers(change.as_ref(), &v.consequences)
            };
            let Some(match_kind) = kind else { continue };
            let mut warnings = site_warnings.to_vec();
            let mut term = item.disease.clone();
            if let Some(id) = &term.id
                && let Some(r) = k.diseases.obsolete().replacement(TermSystem::Doid, id)
            {
                warnings.push(FindingWarning::ObsoleteTerm(r.clone()));
                term = DiseaseTerm {
                    id: Some(r.replacement.clone()),
                    name: r.replacement_name.clone(),
                };
            }
            let context = match (&term.id, disease) {
                (Some(id), _) if id == ANY_CANCER => DiseaseContext::AnyCancerType,
                (Some(id), Some(d)) if d.has_doid(id) => DiseaseContext::PatientCancerType,
                _ => DiseaseContext::OtherCancerType,
            };
            let same = context != DiseaseContext::OtherCancerType;
            let amp = item.amp.or_else(|| {
                item.level
                    .and_then(|l| AmpClass::from_civic(l, same, item.direction))
            });
            out.therapies.push(TherapyFinding {
                variant: v.key(),
                gene: item.gene.clone(),
                kb_variant: item.variant_name.clone(),
                match_kind,
                therapies: item.therapies.clone(),
                interaction: item.interaction,
                disease: term,
                context,
                evidence_type: item.evidence_type,
                level: item.level,
                amp,
                direction: item.direction,
                significance: item.significance.clone(),
                record: item.id.clone(),
                citation: item.citation.clone(),
                kb: label.clone(),
                warnings,
            });
        }
    }
    if let (Some(hs), Some(c)) = (&k.hotspots, &change) {
        let mut best: Option<HotspotFinding> = None;
        for h in hs.hotspots.iter().filter(|h| {
            h.gene.eq_ignore_ascii_case(&v.gene_symbol)
                && h.position == c.position
                && h.reference == Some(c.reference)
        }) {
            if c.alternate == Some(c.reference) {
                continue;
            }
            let same_allele = h.alternate.is_some() && h.alternate == c.alternate;
            let codes = |code: &str| {
                let code = k
                    .diseases
                    .obsolete()
                    .replacement(TermSystem::OncoTree, code)
                    .map_or(code, |r| r.replacement.as_str());
                disease.is_some_and(|d| d.has_oncotree(code))
            };
            let f = HotspotFinding {
                variant: v.key(),
                gene: h.gene.clone(),
                position: h.position,
                same_allele,
                in_patient_type: h
                    .tumour_types
                    .iter()
                    .filter(|t| codes(&t.code))
                    .map(|t| t.mutated)
                    .sum(),
                total: h.tumour_types.iter().map(|t| t.mutated).sum(),
                composition: h.composition,
                tumour_types: h.tumour_types.clone(),
                kb: hs.kb.label(),
            };
            if best
                .as_ref()
                .is_none_or(|b| (f.same_allele, f.total) > (b.same_allele, b.total))
            {
                best = Some(f);
            }
        }
        out.hotspots.extend(best);
    }
}

fn secondary(k: &Knowledge, v: &AnnotatedVariant, out: &mut Findings) {
    let (Some(acmg), Some(clinvar)) = (&k.acmg, &k.clinvar) else {
        return;
    };
    let rows = acmg.gene(&v.gene_symbol);
    if rows.is_empty() {
        return;
    }
    for r in clinvar.lookup(&v.allele()) {
        if !r.significance.is_pathogenic_or_likely() || !r.genes.iter().any(|g| g == &v.gene_symbol)
        {
            continue;
        }
        let warnings = rows
            .iter()
            .filter_map(|g| match &g.report {
                ReportRule::AllPathogenic => None,
                ReportRule::Biallelic => Some(FindingWarning::ReportRuleToCheck(
                    "P and LP (2 variants)".into(),
                )),
                ReportRule::Restricted(s) => Some(FindingWarning::ReportRuleToCheck(s.clone())),
            })
            .collect();
        out.secondary.push(SecondaryFinding {
            variant: v.key(),
            gene: v.gene_symbol.clone(),
            acmg: rows.to_vec(),
            variation_id: r.variation_id,
            significance: r.significance.clone(),
            stars: r.review.stars(),
            review: r.review.clone(),
            review_text: r.review_text.clone(),
            conditions: r.conditions.clone(),
            hgvs: r.hgvs.clone(),
            kb: vec![clinvar.kb.label(), acmg.kb.label()],
            warnings,
        });
    }
}
