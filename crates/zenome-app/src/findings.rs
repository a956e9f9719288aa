//! Annotation and actionability (issue 10): each participant's variants in
//! the variant store are annotated (`zenome-annotate`, the configured gene
//! model and reference) and matched to the knowledge bases
//! (`zenome-knowledge`: CIViC, the local evidence table, cancer hotspots,
//! ClinVar, the ACMG SF list) with the patient's context from the clinical
//! record (cancer site, histology, sex, age). The result — therapies with
//! evidence levels, hotspots, secondary findings — is stored per
//! participant with the run that made it (gene model, knowledge-base and
//! code versions: R5.1). A knowledge-base update re-matches only the
//! participants whose variants the change can affect, and the run lists
//! whose findings changed and how (for return of results and recontact).
//!
//! Who sees what: data-centre staff see every participant's findings; a
//! facility sees its own participants'; nobody else. Trials: counts for
//! every signed-in role that may see cohort counts, patients only for staff
//! and, for a facility, its own patients.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use noodles::core::Region;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use zenome_annotate::{Allele, Annotator, CanonicalPolicy, Consequence, GeneModel, Reference};
use zenome_domain::id::ParticipantId;
use zenome_domain::role::Role;
use zenome_knowledge as kn;
use zenome_store::{AnnotationRunRow, AuditEntry, FindingsRow, TrialRow};
use zenome_variants::{Origin, SampleMask, Scan};

use crate::{Actor, App, AppError};

/// What a participant's findings were computed from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RunView {
    pub id: String,
    pub started_at: String,
    pub finished_at: String,
    /// `initial`, `variants_loaded`, `knowledge_update`, `requested`.
    pub reason: String,
    /// Gene model file and its SHA-256.
    pub gene_model: String,
    /// `kind@version` of every knowledge base.
    pub knowledge: Vec<String>,
    /// zenome-annotate / zenome-knowledge version.
    pub code_version: String,
    /// Participants matched in this run.
    pub participants: i64,
    /// Participants whose findings changed.
    pub changed: i64,
}

/// One annotated variant of a participant (canonical transcript).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct VariantView {
    /// `7-140453136-A-T`.
    pub key: String,
    pub chrom: String,
    pub pos: u64,
    pub reference: String,
    pub alternate: String,
    /// `somatic` or `germline`.
    pub origin: String,
    pub gene: String,
    pub transcript: String,
    /// Sequence Ontology terms, most severe first.
    pub consequences: Vec<String>,
    pub impact: String,
    pub hgvsc: String,
    pub hgvsp: String,
}

/// A therapy (or diagnostic/prognostic) finding.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TherapyView {
    pub variant: String,
    pub gene: String,
    /// The knowledge base's variant name (`V600E`).
    pub kb_variant: String,
    pub therapies: Vec<String>,
    pub disease: String,
    pub disease_id: Option<String>,
    /// `patient_cancer_type`, `any_cancer_type`, `other_cancer_type`.
    pub context: String,
    pub evidence_type: String,
    /// CIViC level A–E.
    pub level: Option<String>,
    /// AMP/ASCO/CAP tier and level (`Tier I - Level A`).
    pub amp: Option<String>,
    pub direction: String,
    pub significance: String,
    /// `EID3017`, `AID7`, a local record id.
    pub record: String,
    pub citation: Option<String>,
    /// `kind@version` of the knowledge base.
    pub kb: String,
    pub warnings: Vec<String>,
}

/// A somatic variant at a cancer hotspot.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct HotspotView {
    pub variant: String,
    pub gene: String,
    pub position: u32,
    pub same_allele: bool,
    pub in_patient_type: u32,
    pub total: u32,
    pub kb: String,
}

/// A germline secondary finding (ACMG SF gene, ClinVar P/LP).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SecondaryView {
    pub variant: String,
    pub gene: String,
    pub variation_id: u64,
    pub significance: String,
    pub review: String,
    pub stars: u8,
    pub conditions: Vec<String>,
    pub hgvs: Option<String>,
    /// ACMG SF phenotype category and inheritance.
    pub acmg: Vec<String>,
    pub kb: Vec<String>,
    pub warnings: Vec<String>,
}

/// Everything found for one participant by one run.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct FindingsDoc {
    pub variants: Vec<VariantView>,
    pub therapies: Vec<TherapyView>,
    pub hotspots: Vec<HotspotView>,
    pub secondary: Vec<SecondaryView>,
    pub warnings: Vec<String>,
    /// Variants not annotated (their chromosome is not in the gene model or
    /// the reference; or REF disagreed with the reference).
    pub not_annotated: u64,
}

/// One change of a participant's findings between two runs.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FindingChange {
    /// `added`, `removed` or `changed`.
    pub change: String,
    /// `therapy`, `hotspot` or `secondary`.
    pub kind: String,
    /// What the finding is (`BRAF V600E → dabrafenib (EID3017)`).
    pub key: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// A participant's findings as the API and portal show them.
#[derive(Debug, Clone, Serialize)]
pub struct ParticipantFindings {
    pub participant_id: String,
    pub run: Option<RunView>,
    pub findings: FindingsDoc,
    /// The participant's current wish to receive secondary findings
    /// (`None`: no consent in force).
    pub wants_secondary_findings: Option<bool>,
    /// Whether identity holds block the genome (findings are not reported then).
    pub identity_blocked: bool,
    /// Secondary findings left out because the participant did not choose
    /// to receive them (shown to data-centre staff only).
    pub secondary_withheld: usize,
    /// Trials the participant matches, with why.
    pub trials: Vec<TrialMatch>,
    /// What changed in the latest run that changed anything.
    pub changes: Vec<FindingChange>,
}

/// A trial and its eligible patients (counts; ids only where allowed).
#[derive(Debug, Clone, Serialize)]
pub struct TrialView {
    pub id: String,
    pub title: String,
    /// `file` (the configured trials file) or `entered` (by staff).
    pub source: String,
    pub criteria: Vec<String>,
    pub eligible: usize,
    /// Eligible patients the caller may see (staff: all; a facility: its own).
    pub patients: Vec<String>,
}

/// Why a participant matches a trial.
#[derive(Debug, Clone, Serialize)]
pub struct TrialMatch {
    pub id: String,
    pub title: String,
    pub reasons: Vec<String>,
}

/// A run's summary with the participants whose findings changed.
#[derive(Debug, Clone, Serialize)]
pub struct RunOutcome {
    pub run: RunView,
    pub changed: BTreeMap<String, Vec<FindingChange>>,
}

/// The loaded gene model, reference and knowledge bases.
pub(crate) struct Resources {
    model: GeneModel,
    reference: PathBuf,
    knowledge: kn::Knowledge,
    trials: Vec<kn::Trial>,
    gene_model: String,
    /// Genes of the ACMG SF list (germline variants are read in them only).
    acmg_genes: BTreeSet<String>,
}

impl Resources {
    /// The spans of the canonical transcripts of `genes` (symbols, upper
    /// case), merged, by the gene model's chromosome names.
    pub(crate) fn gene_spans(&self, genes: &BTreeSet<String>) -> BTreeMap<String, Vec<(u32, u32)>> {
        let mut spans: BTreeMap<String, Vec<(u32, u32)>> = BTreeMap::new();
        for t in self.model.transcripts() {
            if t.gene_symbol
                .as_deref()
                .is_some_and(|g| genes.contains(&g.to_ascii_uppercase()))
            {
                spans
                    .entry(t.chrom.clone())
                    .or_default()
                    .push((t.start, t.end));
            }
        }
        for s in spans.values_mut() {
            s.sort_unstable();
            let mut merged: Vec<(u32, u32)> = Vec::new();
            for &(a, b) in s.iter() {
                match merged.last_mut() {
                    Some(l) if a <= l.1 + 1 => l.1 = l.1.max(b),
                    _ => merged.push((a, b)),
                }
            }
            *s = merged;
        }
        spans
    }

    /// ClinVar's significance of an allele (`CLNSIG` as written, the
    /// first record's) and whether it is pathogenic or likely pathogenic,
    /// when ClinVar is configured.
    pub(crate) fn clinvar_of(
        &self,
        reference_version: &str,
        key: &AlleleKey,
    ) -> Option<(String, bool)> {
        let set = self.knowledge.clinvar.as_ref()?;
        let allele = kn::evidence::GenomicAllele {
            assembly: assembly_of(reference_version),
            chrom: key.0.clone(),
            pos: key.1,
            reference: key.2.clone(),
            alternate: key.3.clone(),
        };
        let r = set.lookup(&allele).next()?;
        Some((
            r.significance_text.clone(),
            r.significance.is_pathogenic_or_likely(),
        ))
    }

    /// The gene model's label (file name and the start of its SHA-256).
    pub(crate) fn gene_model_label(&self) -> &str {
        &self.gene_model
    }
}

/// The consequence of a stored allele on its canonical transcript (for the
/// variant browser, the frequencies API and Beacon records).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlleleAnnotation {
    pub gene: String,
    pub transcript: String,
    /// Sequence Ontology terms, most severe first, with their accessions.
    pub consequences: Vec<(String, String)>,
    pub impact: String,
    pub hgvsc: String,
    pub hgvsp: String,
    /// One-letter protein change (`V600E`) for a single-residue change.
    pub protein_change: Option<String>,
}

pub(crate) type AlleleKey = (String, u64, String, String);

/// Annotation state kept by the app.
#[derive(Default)]
pub(crate) struct AnnotationState {
    resources: std::sync::Mutex<Option<Arc<Resources>>>,
    /// Stored alleles already annotated under the resources in force
    /// (cleared with them); bounded.
    alleles: std::sync::Mutex<HashMap<AlleleKey, Option<AlleleAnnotation>>>,
    /// When loading the resources last failed (queries do not retry for a minute).
    failed_at: std::sync::Mutex<Option<std::time::Instant>>,
    /// Runs one at a time.
    run: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for AnnotationState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AnnotationState")
    }
}

fn invalid(field: &str, reason: String) -> AppError {
    AppError::Invalid {
        field: field.to_string(),
        reason,
    }
}

fn ids(who: &[String]) -> Vec<ParticipantId> {
    who.iter().filter_map(|p| p.parse().ok()).collect()
}

fn code_version() -> String {
    format!("zenome {}", env!("CARGO_PKG_VERSION"))
}

fn sha256_file(path: &Path) -> Result<String, AppError> {
    let bytes = std::fs::read(path)
        .map_err(|e| invalid("annotation", format!("{}: {e}", path.display())))?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}

/// Loads everything `[annotation]` names (blocking).
fn load_resources(config: &crate::Config) -> Result<Option<Resources>, AppError> {
    let a = &config.annotation;
    let Some(gene_model) = a.gene_model.clone().or(config.variants.gene_model.clone()) else {
        return Ok(None);
    };
    let Some(reference) = a.reference.clone().or(config.files.reference_fasta.clone()) else {
        return Ok(None);
    };
    let bad = |e: kn::KnowledgeError| invalid("annotation", format!("knowledge base: {e}"));
    let model = GeneModel::from_path(&gene_model, CanonicalPolicy::default())
        .map_err(|e| invalid("annotation.gene_model", e.to_string()))?;
    let gm_label = format!(
        "{}@sha256:{}",
        gene_model
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        &sha256_file(&gene_model)?[..16]
    );
    let mut evidence = Vec::new();
    if let Some(dir) = &a.civic_dir {
        evidence.push(
            kn::load_civic_api(&kn::CivicApiFiles::in_dir(dir), a.civic_release.as_deref())
                .map_err(bad)?,
        );
    }
    if let Some(p) = &a.civic_nightly {
        evidence.push(kn::load_civic_nightly(p, a.civic_release.as_deref()).map_err(bad)?);
    }
    for p in &a.local_evidence {
        evidence.push(kn::load_local_evidence(p, None).map_err(bad)?);
    }
    let hotspots = a
        .hotspots
        .as_deref()
        .map(kn::load_hotspots)
        .transpose()
        .map_err(bad)?;
    let clinvar = a
        .clinvar
        .as_deref()
        .map(kn::load_clinvar)
        .transpose()
        .map_err(bad)?;
    let acmg = a
        .acmg_sf
        .as_deref()
        .map(kn::load_acmg_sf)
        .transpose()
        .map_err(bad)?;
    let trials = a
        .trials
        .as_deref()
        .map(kn::load_trials)
        .transpose()
        .map_err(bad)?
        .unwrap_or_default();
    let acmg_genes = acmg
        .as_ref()
        .map(|l| l.genes().map(|g| g.to_ascii_uppercase()).collect())
        .unwrap_or_default();
    Ok(Some(Resources {
        model,
        reference,
        knowledge: kn::Knowledge {
            evidence,
            hotspots,
            clinvar,
            acmg,
            diseases: kn::DiseaseMap::shipped(),
        },
        trials,
        gene_model: gm_label,
        acmg_genes,
    }))
}

/// The patient context a clinical record gives.
fn context_of(record: Option<&str>, now: OffsetDateTime) -> kn::PatientContext {
    let mut ctx = kn::PatientContext::default();
    let Some(v) = record.and_then(|r| serde_json::from_str::<serde_json::Value>(r).ok()) else {
        return ctx;
    };
    let groups = v.get("groups");
    let get = |g: &str, i: &str| -> Option<String> {
        groups?.get(g)?.get(i)?.as_str().map(str::to_string)
    };
    if let Some(site) = get("diagnosis", "primary_site") {
        let morphology = get("diagnosis", "histology").and_then(|m| kn::Morphology::parse(&m).ok());
        if let Ok(topography) = kn::Topography::parse(&site) {
            ctx.site = Some(kn::CancerSite {
                topography,
                morphology,
            });
        }
    }
    ctx.sex = match get("case_basics", "sex").as_deref() {
        Some("male") => Some(kn::Sex::Male),
        Some("female") => Some(kn::Sex::Female),
        Some(_) => Some(kn::Sex::Other),
        None => None,
    };
    // age from the birth date (YYYY-MM-DD, or YYYY-MM / YYYY as the
    // dictionary allows; a partial date counts from its first day)
    if let Some(b) = get("case_basics", "birth_date") {
        let mut parts = b.split('-').map(|x| x.parse::<i32>().ok());
        if let Some(Some(year)) = parts.next() {
            let month = parts.next().flatten().unwrap_or(1);
            let day = parts.next().flatten().unwrap_or(1);
            let today = now.date();
            let mut age = today.year() - year;
            if (today.month() as i32, today.day() as i32) < (month, day) {
                age -= 1;
            }
            ctx.age_years = u32::try_from(age).ok();
        }
    }
    // prior therapies: the regimens of the treatment lines
    if let Some(lines) = groups
        .and_then(|g| g.get("treatment"))
        .and_then(|t| t.as_array())
    {
        for l in lines {
            if let Some(r) = l.get("regimen").and_then(|r| r.as_str()) {
                ctx.prior_therapies
                    .extend(r.split('+').map(|x| x.trim().to_string()));
            }
        }
    }
    ctx
}

fn warning_text(w: &kn::matching::FindingWarning) -> String {
    match w {
        kn::matching::FindingWarning::ObsoleteTerm(r) => format!("obsolete term replaced: {r:?}"),
        kn::matching::FindingWarning::SiteNotMapped(s) => {
            format!("cancer site {s} is not in the disease map")
        }
        kn::matching::FindingWarning::ReportRuleToCheck(s) => {
            format!("check the ACMG reporting rule: {s}")
        }
    }
}

fn snake(debug: impl std::fmt::Debug) -> String {
    let s = format!("{debug:?}");
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The findings as stored views.
fn views(
    f: &kn::Findings,
) -> (
    Vec<TherapyView>,
    Vec<HotspotView>,
    Vec<SecondaryView>,
    Vec<String>,
) {
    let therapies = f
        .therapies
        .iter()
        .map(|t| TherapyView {
            variant: t.variant.0.clone(),
            gene: t.gene.clone(),
            kb_variant: t.kb_variant.clone(),
            therapies: t.therapies.clone(),
            disease: t.disease.name.clone(),
            disease_id: t.disease.id.clone(),
            context: snake(t.context),
            evidence_type: snake(t.evidence_type),
            level: t.level.map(|l| l.to_string()),
            amp: t.amp.map(|a| a.label().to_string()),
            direction: snake(t.direction),
            significance: snake(&t.significance),
            record: t.record.to_string(),
            citation: t
                .citation
                .as_ref()
                .map(|c| format!("{} {}", c.source_type, c.id)),
            kb: t.kb.clone(),
            warnings: t.warnings.iter().map(warning_text).collect(),
        })
        .collect();
    let hotspots = f
        .hotspots
        .iter()
        .map(|h| HotspotView {
            variant: h.variant.0.clone(),
            gene: h.gene.clone(),
            position: h.position,
            same_allele: h.same_allele,
            in_patient_type: h.in_patient_type,
            total: h.total,
            kb: h.kb.clone(),
        })
        .collect();
    let secondary = f
        .secondary
        .iter()
        .map(|s| SecondaryView {
            variant: s.variant.0.clone(),
            gene: s.gene.clone(),
            variation_id: s.variation_id,
            significance: snake(&s.significance),
            review: s.review_text.clone(),
            stars: s.stars,
            conditions: s.conditions.clone(),
            hgvs: s.hgvs.clone(),
            acmg: s
                .acmg
                .iter()
                .map(|g| format!("{}: {} ({:?})", g.category, g.phenotype, g.inheritance))
                .collect(),
            kb: s.kb.clone(),
            warnings: s.warnings.iter().map(warning_text).collect(),
        })
        .collect();
    (
        therapies,
        hotspots,
        secondary,
        f.warnings.iter().map(warning_text).collect(),
    )
}

/// Findings keyed for comparison between runs: key → grade.
fn graded(doc: &FindingsDoc) -> BTreeMap<(String, String), String> {
    let mut m = BTreeMap::new();
    for t in &doc.therapies {
        let key = format!(
            "{} {} → {} ({})",
            t.gene,
            t.kb_variant,
            t.therapies.join(" + "),
            t.record
        );
        let grade = format!(
            "level {} · {} · {}",
            t.level.as_deref().unwrap_or("-"),
            t.amp.as_deref().unwrap_or("no AMP tier"),
            t.context
        );
        m.insert(("therapy".to_string(), key), grade);
    }
    for h in &doc.hotspots {
        m.insert(
            ("hotspot".to_string(), format!("{} {}", h.gene, h.variant)),
            format!("{} of {} in the patient's type", h.in_patient_type, h.total),
        );
    }
    for s in &doc.secondary {
        m.insert(
            (
                "secondary".to_string(),
                format!("{} {} (ClinVar {})", s.gene, s.variant, s.variation_id),
            ),
            format!("{} · {} stars", s.significance, s.stars),
        );
    }
    m
}

/// What changed from `old` to `new`.
pub fn changes(old: &FindingsDoc, new: &FindingsDoc) -> Vec<FindingChange> {
    let (o, n) = (graded(old), graded(new));
    let mut out = Vec::new();
    for (k, g) in &n {
        match o.get(k) {
            None => out.push(FindingChange {
                change: "added".into(),
                kind: k.0.clone(),
                key: k.1.clone(),
                before: None,
                after: Some(g.clone()),
            }),
            Some(og) if og != g => out.push(FindingChange {
                change: "changed".into(),
                kind: k.0.clone(),
                key: k.1.clone(),
                before: Some(og.clone()),
                after: Some(g.clone()),
            }),
            _ => {}
        }
    }
    for (k, g) in &o {
        if !n.contains_key(k) {
            out.push(FindingChange {
                change: "removed".into(),
                kind: k.0.clone(),
                key: k.1.clone(),
                before: Some(g.clone()),
                after: None,
            });
        }
    }
    out
}

fn origin_of(o: &str) -> kn::Origin {
    if o == "somatic" {
        kn::Origin::Somatic
    } else {
        kn::Origin::Germline
    }
}

fn to_annotated(v: &VariantView, assembly: &kn::Assembly) -> kn::AnnotatedVariant {
    kn::AnnotatedVariant {
        assembly: assembly.clone(),
        chrom: v.chrom.clone(),
        pos: v.pos,
        reference: v.reference.clone(),
        alternate: v.alternate.clone(),
        gene_symbol: v.gene.clone(),
        hgvs_p: v.hgvsp.split_once(':').map(|(_, p)| p.to_string()),
        consequences: v.consequences.clone(),
        origin: origin_of(&v.origin),
    }
}

/// Annotates one participant's variants and matches them (blocking).
fn findings_for(
    res: &Resources,
    store: &zenome_variants::Store,
    participant: &str,
    context: &kn::PatientContext,
) -> Result<FindingsDoc, AppError> {
    let mut doc = FindingsDoc::default();
    // the participant's samples, split by origin
    let batches: HashMap<u32, Origin> = store
        .manifest()
        .batches
        .iter()
        .map(|b| (b.id, b.origin))
        .collect();
    let n = store.samples().len();
    let (mut somatic, mut germline) = (SampleMask::none(n), SampleMask::none(n));
    let (mut any_somatic, mut any_germline) = (false, false);
    // the batches holding the participant's columns: only their files are read
    let (mut somatic_batches, mut germline_batches) = (Vec::new(), Vec::new());
    let mut assembly = kn::Assembly::GRCh38;
    for s in store.samples().iter().filter(|s| s.name == participant) {
        let b = store.manifest().batches.iter().find(|b| b.id == s.batch);
        if let Some(b) = b {
            assembly = assembly_of(&b.reference_version);
        }
        match batches.get(&s.batch) {
            Some(Origin::Somatic) => {
                somatic.insert(s.index);
                any_somatic = true;
                somatic_batches.push(s.batch);
            }
            _ => {
                germline.insert(s.index);
                any_germline = true;
                germline_batches.push(s.batch);
            }
        }
    }
    let mut alleles: Vec<(zenome_variants::AlleleCounts, &'static str)> = Vec::new();
    let err = |e: zenome_variants::VariantsError| AppError::Internal(format!("variant store: {e}"));
    if any_somatic {
        for chrom in store.chromosomes().map_err(err)? {
            let region = Region::new(chrom.as_str(), ..);
            let masks = [&somatic];
            let scan = Scan {
                masks: &masks,
                carriers: false,
                after: None,
                limit: None,
                batches: Some(&somatic_batches),
            };
            store
                .scan_alleles(&region, &scan, &mut |a| a.counts[0].ac > 0, &mut |a| {
                    alleles.push((a, "somatic"))
                })
                .map_err(err)?;
        }
    }
    if any_germline && !res.acmg_genes.is_empty() {
        // germline: only the ACMG SF genes' spans (secondary findings)
        let mut spans: BTreeMap<String, Vec<(u32, u32)>> = BTreeMap::new();
        for t in res.model.transcripts() {
            if t.gene_symbol
                .as_deref()
                .is_some_and(|g| res.acmg_genes.contains(&g.to_ascii_uppercase()))
            {
                spans
                    .entry(t.chrom.clone())
                    .or_default()
                    .push((t.start, t.end));
            }
        }
        for (chrom, mut s) in spans {
            let Some(stored) = store.resolve_chrom(&chrom).map_err(err)? else {
                continue;
            };
            s.sort_unstable();
            let mut merged: Vec<(u32, u32)> = Vec::new();
            for (a, b) in s {
                match merged.last_mut() {
                    Some(l) if a <= l.1 + 1 => l.1 = l.1.max(b),
                    _ => merged.push((a, b)),
                }
            }
            for (a, b) in merged {
                let start = noodles::core::Position::try_from(a.max(1) as usize)
                    .map_err(|e| AppError::Internal(e.to_string()))?;
                let end = noodles::core::Position::try_from(b.max(1) as usize)
                    .map_err(|e| AppError::Internal(e.to_string()))?;
                let region = Region::new(stored.as_str(), start..=end);
                let masks = [&germline];
                let scan = Scan {
                    masks: &masks,
                    carriers: false,
                    after: None,
                    limit: None,
                    batches: Some(&germline_batches),
                };
                store
                    .scan_alleles(&region, &scan, &mut |a| a.counts[0].ac > 0, &mut |a| {
                        alleles.push((a, "germline"))
                    })
                    .map_err(err)?;
            }
        }
    }
    // annotate on the canonical transcript
    let reference = Reference::open(&res.reference)
        .map_err(|e| AppError::Internal(format!("reference: {e}")))?;
    let fasta_chroms: BTreeSet<String> = reference.chromosomes().map(str::to_string).collect();
    let mut ann = Annotator::new(&res.model, reference);
    let model_chrom = |c: &str| -> Option<String> {
        let alts = zenome_variants::query::chrom_aliases(c);
        alts.into_iter()
            .find(|a| res.model.has_chrom(a) && fasta_chroms.contains(a))
    };
    let mut annotated = Vec::new();
    for (a, origin) in &alleles {
        let Some(chrom) = model_chrom(&a.chrom) else {
            doc.not_annotated += 1;
            continue;
        };
        match ann.check_ref(&chrom, a.pos, &a.reference) {
            Ok(None) => {}
            _ => {
                doc.not_annotated += 1;
                continue;
            }
        }
        let effects = ann
            .annotate(
                &chrom,
                Allele::Sequence {
                    pos: a.pos,
                    reference: &a.reference,
                    alternate: &a.alt,
                },
            )
            .map_err(|e| AppError::Internal(format!("annotate: {e}")))?;
        // the canonical transcript's effect, most severe first among canonicals
        let best = effects
            .iter()
            .filter(|e| {
                e.transcript
                    .is_some_and(|i| res.model.transcripts()[i].canonical)
            })
            .min_by_key(|e| {
                e.consequences
                    .most_severe()
                    .map(|c| c as u8)
                    .unwrap_or(u8::MAX)
            });
        let Some(e) = best else { continue };
        if e.consequences
            .most_severe()
            .is_some_and(|c| c >= Consequence::Upstream)
        {
            continue;
        }
        let t = &res.model.transcripts()[e.transcript.expect("canonical")];
        let view = VariantView {
            key: format!("{}-{}-{}-{}", a.chrom, a.pos, a.reference, a.alt),
            chrom: a.chrom.clone(),
            pos: u64::from(a.pos),
            reference: a.reference.clone(),
            alternate: a.alt.clone(),
            origin: (*origin).to_string(),
            gene: t.gene_symbol.clone().unwrap_or_else(|| t.gene_id.clone()),
            transcript: t.versioned_id(),
            consequences: e
                .consequences
                .iter()
                .map(|c| c.term().to_string())
                .collect(),
            impact: e.consequences.impact().as_str().to_string(),
            hgvsc: e.hgvsc.clone(),
            hgvsp: e.hgvsp.clone(),
        };
        annotated.push(to_annotated(&view, &assembly));
        doc.variants.push(view);
    }
    let f = kn::match_patient(&res.knowledge, context, &annotated);
    let (therapies, hotspots, secondary, warnings) = views(&f);
    doc.therapies = therapies;
    doc.hotspots = hotspots;
    doc.secondary = secondary;
    doc.warnings = warnings;
    Ok(doc)
}

/// Which participants a change of knowledge bases can affect.
fn impact(old: &Resources, new: &Resources) -> Option<kn::Impact> {
    if old.gene_model != new.gene_model {
        return None; // everything
    }
    let mut total = kn::Impact::default();
    let mut merge = |i: kn::Impact| {
        total.genes.extend(i.genes);
        total.alleles.extend(i.alleles);
    };
    let (ov, nv) = (&old.knowledge, &new.knowledge);
    if ov.evidence.len() != nv.evidence.len() {
        return None;
    }
    for (o, n) in ov.evidence.iter().zip(&nv.evidence) {
        merge(kn::diff::evidence_impact(o, n));
    }
    match (&ov.hotspots, &nv.hotspots) {
        (Some(o), Some(n)) => merge(kn::diff::hotspots_impact(o, n)),
        (None, None) => {}
        _ => return None,
    }
    match (&ov.clinvar, &nv.clinvar) {
        (Some(o), Some(n)) => merge(kn::diff::clinvar_impact(o, n)),
        (None, None) => {}
        _ => return None,
    }
    match (&ov.acmg, &nv.acmg) {
        (Some(o), Some(n)) => merge(kn::diff::acmg_impact(o, n)),
        (None, None) => {}
        _ => return None,
    }
    Some(total)
}

/// Annotates alleles on their canonical transcripts (blocking).
pub(crate) fn annotate_keys(
    res: &Resources,
    keys: &[AlleleKey],
) -> Vec<(AlleleKey, Option<AlleleAnnotation>)> {
    let Ok(reference) = Reference::open(&res.reference) else {
        return keys.iter().map(|k| (k.clone(), None)).collect();
    };
    let fasta: BTreeSet<String> = reference.chromosomes().map(str::to_string).collect();
    let mut ann = Annotator::new(&res.model, reference);
    let mut out = Vec::with_capacity(keys.len());
    for k in keys {
        let (chrom, pos, r, a) = k;
        let chrom = zenome_variants::query::chrom_aliases(chrom)
            .into_iter()
            .find(|c| res.model.has_chrom(c) && fasta.contains(c));
        let one = chrom.and_then(|chrom| {
            let pos = u32::try_from(*pos).ok()?;
            if !matches!(ann.check_ref(&chrom, pos, r), Ok(None)) {
                return None;
            }
            let effects = ann
                .annotate(
                    &chrom,
                    Allele::Sequence {
                        pos,
                        reference: r,
                        alternate: a,
                    },
                )
                .ok()?;
            let e = effects
                .iter()
                .filter(|e| {
                    e.transcript
                        .is_some_and(|i| res.model.transcripts()[i].canonical)
                })
                .min_by_key(|e| {
                    e.consequences
                        .most_severe()
                        .map(|c| c as u8)
                        .unwrap_or(u8::MAX)
                })?;
            let t = &res.model.transcripts()[e.transcript?];
            let protein_change = match e.amino_acids.split_once('/') {
                Some((x, y))
                    if x.len() == 1 && y.len() == 1 && !e.protein_position.contains('-') =>
                {
                    Some(format!("{x}{}{y}", e.protein_position))
                }
                _ => None,
            };
            Some(AlleleAnnotation {
                gene: t.gene_symbol.clone().unwrap_or_else(|| t.gene_id.clone()),
                transcript: t.versioned_id(),
                consequences: e
                    .consequences
                    .iter()
                    .map(|c| (c.term().to_string(), c.so_id().to_string()))
                    .collect(),
                impact: e.consequences.impact().as_str().to_string(),
                hgvsc: e.hgvsc.clone(),
                hgvsp: e.hgvsp.clone(),
                protein_change,
            })
        });
        out.push((k.clone(), one));
    }
    out
}

/// Entries kept in the allele annotation cache before it is emptied.
const ALLELE_CACHE: usize = 200_000;

impl App {
    /// Adds each allele's consequence on its canonical transcript, when a
    /// gene model is configured and covers the chromosome. Never fails a
    /// query: a misconfigured knowledge base or gene model is logged.
    pub(crate) async fn annotate_alleles(&self, alleles: &mut [crate::variants::CohortAllele]) {
        if alleles.is_empty() {
            return;
        }
        let recent_failure = self
            .inner
            .annotation
            .failed_at
            .lock()
            .expect("lock")
            .is_some_and(|t| t.elapsed() < std::time::Duration::from_secs(60));
        if recent_failure {
            return;
        }
        let res = match self.annotation_resources().await {
            Ok(Some(r)) => r,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "annotation resources cannot be loaded; alleles shown without consequences");
                *self.inner.annotation.failed_at.lock().expect("lock") =
                    Some(std::time::Instant::now());
                return;
            }
        };
        let key = |a: &crate::variants::CohortAllele| -> AlleleKey {
            (
                a.chrom.clone(),
                a.pos,
                a.reference.clone(),
                a.alternate.clone(),
            )
        };
        let todo: Vec<AlleleKey> = {
            let cache = self.inner.annotation.alleles.lock().expect("lock");
            alleles
                .iter()
                .map(key)
                .filter(|k| !cache.contains_key(k))
                .collect()
        };
        if !todo.is_empty() {
            let r = res.clone();
            if let Ok(done) = tokio::task::spawn_blocking(move || annotate_keys(&r, &todo)).await {
                let mut cache = self.inner.annotation.alleles.lock().expect("lock");
                if cache.len() + done.len() > ALLELE_CACHE {
                    cache.clear();
                }
                cache.extend(done);
            }
        }
        let cache = self.inner.annotation.alleles.lock().expect("lock");
        for a in alleles.iter_mut() {
            a.annotation = cache.get(&key(a)).cloned().flatten();
        }
    }

    /// The loaded resources, loading them on first use; `None` when no gene
    /// model or reference is configured.
    pub(crate) async fn annotation_resources(&self) -> Result<Option<Arc<Resources>>, AppError> {
        if let Some(r) = self
            .inner
            .annotation
            .resources
            .lock()
            .expect("lock")
            .clone()
        {
            return Ok(Some(r));
        }
        // nothing configured: answered here, without a blocking task or a
        // copy of the configuration (variant queries ask on every call)
        let c = self.config();
        let model = c.annotation.gene_model.is_some() || c.variants.gene_model.is_some();
        let reference = c.annotation.reference.is_some() || c.files.reference_fasta.is_some();
        if !model || !reference {
            return Ok(None);
        }
        let config = self.config().clone();
        let loaded = tokio::task::spawn_blocking(move || load_resources(&config))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))??;
        let loaded = loaded.map(Arc::new);
        *self.inner.annotation.resources.lock().expect("lock") = loaded.clone();
        Ok(loaded)
    }

    fn may_run_annotation(actor: &Actor) -> Result<(), AppError> {
        if actor.via == crate::AuthMethod::Local || actor.role == Role::DataCentreStaff {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "role {} may not run annotation",
                actor.role.name()
            )))
        }
    }

    /// Annotates and matches `participants` (all with variants when `None`)
    /// and records the run, its findings and what changed, in one transaction.
    pub async fn run_annotation(
        &self,
        actor: &Actor,
        reason: &str,
        participants: Option<Vec<String>>,
    ) -> Result<Option<RunOutcome>, AppError> {
        Self::may_run_annotation(actor)?;
        let Some(res) = self.annotation_resources().await? else {
            return Ok(None);
        };
        let _one = self.inner.annotation.run.lock().await;
        let Some(store) = self.opened_variant_store()? else {
            return Ok(None);
        };
        let names: BTreeSet<String> = store.samples().iter().map(|s| s.name.clone()).collect();
        let who: Vec<String> = match participants {
            Some(p) => p.into_iter().filter(|p| names.contains(p)).collect(),
            None => names.into_iter().collect(),
        };
        let started = OffsetDateTime::now_utc();
        let records = self.store().latest_clinical_of(&ids(&who)).await?;
        let mut docs = Vec::new();
        for p in &who {
            let ctx = context_of(records.get(p).map(|r| r.record.as_str()), started);
            let (res2, store2, p2) = (res.clone(), store.clone(), p.clone());
            let doc = tokio::task::spawn_blocking(move || findings_for(&res2, &store2, &p2, &ctx))
                .await
                .map_err(|e| AppError::Internal(e.to_string()))??;
            docs.push((p.clone(), doc));
        }
        let mut changed = BTreeMap::new();
        let mut rows = Vec::new();
        for (p, doc) in docs {
            let before = self.store().findings_of(&p).await?;
            let old: FindingsDoc = before
                .as_ref()
                .and_then(|r| serde_json::from_str(&r.body).ok())
                .unwrap_or_default();
            let diff = changes(&old, &doc);
            if !diff.is_empty() {
                changed.insert(p.clone(), diff);
            }
            rows.push((p, doc));
        }
        let knowledge: Vec<String> = res.knowledge.versions().iter().map(|k| k.label()).collect();
        let run = AnnotationRunRow {
            id: uuid::Uuid::now_v7().to_string(),
            started_at: started,
            finished_at: OffsetDateTime::now_utc(),
            reason: reason.to_string(),
            gene_model: res.gene_model.clone(),
            knowledge: serde_json::to_string(&knowledge).unwrap_or_default(),
            code_version: code_version(),
            participants: rows.len() as i64,
            changed: changed.len() as i64,
        };
        let mut entry = AuditEntry::new(
            actor.audit_name(),
            "annotation.run",
            format!("annotation_run:{}", run.id),
        );
        entry.detail = serde_json::json!({
            "reason": reason,
            "participants": rows.len(),
            "changed": changed.keys().collect::<Vec<_>>(),
            "gene_model": res.gene_model,
            "knowledge": knowledge,
        });
        let mut tx = self.store().begin(entry).await?;
        tx.insert_annotation_run(&run).await?;
        for (p, doc) in &rows {
            let body = serde_json::to_string(doc).map_err(|e| AppError::Internal(e.to_string()))?;
            tx.put_findings(&FindingsRow {
                participant_id: p.clone(),
                run_id: run.id.clone(),
                body,
                changes: serde_json::to_string(changed.get(p).unwrap_or(&Vec::new()))
                    .unwrap_or_default(),
                at: run.finished_at,
            })
            .await?;
        }
        tx.commit().await?;
        // reports whose actionable content this run changed get a new draft
        // (and a recontact proposal); a failure here leaves the run stored
        if !changed.is_empty()
            && let Err(e) = self
                .reanalyse_reports(&crate::reports::system_reviewer())
                .await
        {
            tracing::warn!(error = %e, "re-analysis of reports after annotation run failed");
        }
        Ok(Some(RunOutcome {
            run: run_view(&run),
            changed,
        }))
    }

    /// Reloads the knowledge bases and gene model from their files; when any
    /// changed, re-matches the participants the change can affect and
    /// returns the run with whose findings changed.
    pub async fn refresh_knowledge(&self, actor: &Actor) -> Result<Option<RunOutcome>, AppError> {
        Self::may_run_annotation(actor)?;
        let old = self
            .inner
            .annotation
            .resources
            .lock()
            .expect("lock")
            .clone();
        let config = self.config().clone();
        let new = tokio::task::spawn_blocking(move || load_resources(&config))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))??;
        let Some(new) = new.map(Arc::new) else {
            return Ok(None);
        };
        let same = old.as_ref().is_some_and(|o| {
            o.gene_model == new.gene_model && o.knowledge.versions() == new.knowledge.versions()
        });
        *self.inner.annotation.resources.lock().expect("lock") = Some(new.clone());
        self.inner.annotation.alleles.lock().expect("lock").clear();
        if same {
            return self
                .run_annotation(actor, "knowledge_update", Some(Vec::new()))
                .await;
        }
        let affected: Option<Vec<String>> = match old.as_ref().and_then(|o| impact(o, &new)) {
            None => None,
            Some(imp) => {
                let mut who = Vec::new();
                for row in self.store().all_findings().await? {
                    let doc: FindingsDoc = serde_json::from_str(&row.body).unwrap_or_default();
                    let vs: Vec<kn::AnnotatedVariant> = doc
                        .variants
                        .iter()
                        .map(|v| to_annotated(v, &kn::Assembly::GRCh38))
                        .collect();
                    if imp.affects_any(&vs) {
                        who.push(row.participant_id);
                    }
                }
                Some(who)
            }
        };
        self.run_annotation(actor, "knowledge_update", affected)
            .await
    }

    /// Annotates the participants of a variant-store batch (after a load).
    pub async fn annotate_batch(&self, batch: u32) -> Result<(), AppError> {
        let Some(store) = self.opened_variant_store()? else {
            return Ok(());
        };
        let who: Vec<String> = store
            .samples()
            .iter()
            .filter(|s| s.batch == batch)
            .map(|s| s.name.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if !who.is_empty() {
            self.run_annotation(&Actor::local(), "variants_loaded", Some(who))
                .await?;
        }
        Ok(())
    }

    /// Runs annotation at start-up for participants never annotated, and
    /// for those whose findings are older than one of their batches (a stop
    /// between a load and the run that follows it).
    pub async fn annotate_unannotated(&self) -> Result<(), AppError> {
        let Some(store) = self.opened_variant_store()? else {
            return Ok(());
        };
        let done: HashMap<String, OffsetDateTime> = self
            .store()
            .all_findings()
            .await?
            .into_iter()
            .map(|r| (r.participant_id, r.at))
            .collect();
        let loaded: HashMap<u32, OffsetDateTime> = store
            .manifest()
            .batches
            .iter()
            .filter_map(|b| {
                let at = OffsetDateTime::parse(
                    &b.loaded_at,
                    &time::format_description::well_known::Rfc3339,
                )
                .ok()?;
                Some((b.id, at))
            })
            .collect();
        let todo: Vec<String> = store
            .samples()
            .iter()
            .filter(|s| match done.get(&s.name) {
                None => true,
                Some(at) => loaded.get(&s.batch).is_some_and(|l| l > at),
            })
            .map(|s| s.name.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if todo.is_empty() {
            return Ok(());
        }
        let reason = if done.is_empty() {
            "initial"
        } else {
            "variants_loaded"
        };
        self.run_annotation(&Actor::local(), reason, Some(todo))
            .await?;
        Ok(())
    }

    /// A participant's findings: data-centre staff, and the participant's
    /// own facility (another facility: 404); other roles 403.
    pub async fn participant_findings(
        &self,
        actor: &Actor,
        id: &ParticipantId,
    ) -> Result<ParticipantFindings, AppError> {
        match actor.role {
            Role::DataCentreStaff | Role::FacilitySubmitter { .. } | Role::Clinician { .. } => {}
            _ => {
                return Err(AppError::Forbidden(format!(
                    "role {} may not see a patient's findings",
                    actor.role.name()
                )));
            }
        }
        self.participant(actor, id).await?;
        let p = id.as_str();
        let row = self.store().findings_of(p).await?;
        let mut findings: FindingsDoc = row
            .as_ref()
            .and_then(|r| serde_json::from_str(&r.body).ok())
            .unwrap_or_default();
        let run = match &row {
            Some(r) => self
                .store()
                .annotation_run(&r.run_id)
                .await?
                .map(|r| run_view(&r)),
            None => None,
        };
        let changes: Vec<FindingChange> = row
            .as_ref()
            .and_then(|r| serde_json::from_str(&r.changes).ok())
            .unwrap_or_default();
        let history = self.store().consent_history(id).await?;
        let wants = history
            .state_at(OffsetDateTime::now_utc())
            .active()
            .map(|a| a.items.secondary_findings);
        // secondary findings leave the data centre only for a participant
        // who chose to receive them
        let mut secondary_withheld = 0;
        if actor.role != Role::DataCentreStaff && wants != Some(true) {
            secondary_withheld = findings.secondary.len();
            findings.secondary.clear();
            findings.variants.retain(|v| v.origin != "germline");
        }
        let trials = match self.annotation_resources().await? {
            Some(res) => {
                let record = self.store().latest_clinical(id).await?;
                let patient = kn::TrialPatient {
                    id: p.to_string(),
                    context: context_of(
                        record.as_ref().map(|r| r.record.as_str()),
                        OffsetDateTime::now_utc(),
                    ),
                    variants: findings
                        .variants
                        .iter()
                        .map(|v| to_annotated(v, &kn::Assembly::GRCh38))
                        .collect(),
                };
                let all = self.all_trials(&res).await?;
                kn::trials::trials_for_patient(&all, &patient, &res.knowledge.diseases)
                    .into_iter()
                    .map(|e| TrialMatch {
                        title: all
                            .iter()
                            .find(|t| t.id == e.trial_id)
                            .map(|t| t.title.clone())
                            .unwrap_or_default(),
                        id: e.trial_id.clone(),
                        reasons: reasons(&e),
                    })
                    .collect()
            }
            None => Vec::new(),
        };
        Ok(ParticipantFindings {
            participant_id: p.to_string(),
            run,
            findings,
            wants_secondary_findings: wants,
            identity_blocked: self.store().identity_blocks(p).await?,
            secondary_withheld,
            trials,
            changes,
        })
    }

    /// Annotation runs, newest first (data-centre staff).
    pub async fn annotation_runs(&self, actor: &Actor) -> Result<Vec<RunView>, AppError> {
        Self::may_run_annotation(actor)?;
        Ok(self
            .store()
            .annotation_runs()
            .await?
            .iter()
            .map(run_view)
            .collect())
    }

    /// The trials with their eligible patients: counts for everyone allowed
    /// cohort counts; patient ids for staff (all) and a facility (its own).
    pub async fn trials(&self, actor: &Actor) -> Result<Vec<TrialView>, AppError> {
        let see_ids: Option<Option<String>> = match &actor.role {
            Role::DataCentreStaff => Some(None),
            Role::FacilitySubmitter { facility } | Role::Clinician { facility } => {
                Some(Some(facility.to_string()))
            }
            Role::Researcher { .. } | Role::DacMember => None,
            other => {
                return Err(AppError::Forbidden(format!(
                    "role {} may not see trials",
                    other.name()
                )));
            }
        };
        let Some(res) = self.annotation_resources().await? else {
            return Ok(Vec::new());
        };
        let rows = self.store().all_findings().await?;
        let ids: Vec<String> = rows.iter().map(|r| r.participant_id.clone()).collect();
        let records = self.store().latest_clinical_of(&self::ids(&ids)).await?;
        let now = OffsetDateTime::now_utc();
        // only participants whose consent is in force are counted
        let consented = self.consented_now(None).await?;
        let patients: Vec<kn::TrialPatient> = rows
            .iter()
            .filter(|r| consented.contains(&r.participant_id))
            .map(|r| {
                let doc: FindingsDoc = serde_json::from_str(&r.body).unwrap_or_default();
                kn::TrialPatient {
                    id: r.participant_id.clone(),
                    context: context_of(
                        records.get(&r.participant_id).map(|c| c.record.as_str()),
                        now,
                    ),
                    variants: doc
                        .variants
                        .iter()
                        .map(|v| to_annotated(v, &kn::Assembly::GRCh38))
                        .collect(),
                }
            })
            .collect();
        let facility_of: HashMap<String, String> = match &see_ids {
            Some(Some(_)) => self.store().participant_facilities().await?,
            _ => HashMap::new(),
        };
        let all = self.all_trials(&res).await?;
        let from_file: BTreeSet<&str> = res.trials.iter().map(|t| t.id.as_str()).collect();
        let per = kn::trials::patients_per_trial(&all, &patients, &res.knowledge.diseases);
        Ok(per
            .into_iter()
            .map(|(t, eligible)| {
                let eligible: Vec<String> = eligible.into_iter().map(|e| e.patient_id).collect();
                let visible = match &see_ids {
                    None => Vec::new(),
                    Some(None) => eligible.clone(),
                    Some(Some(f)) => eligible
                        .iter()
                        .filter(|p| facility_of.get(*p).is_some_and(|pf| pf == f))
                        .cloned()
                        .collect(),
                };
                TrialView {
                    source: if from_file.contains(t.id.as_str()) {
                        "file"
                    } else {
                        "entered"
                    }
                    .into(),
                    id: t.id.clone(),
                    title: t.title.clone(),
                    criteria: describe(t),
                    eligible: eligible.len(),
                    patients: visible,
                }
            })
            .collect())
    }
}

impl App {
    /// The trials of the configured file and those staff entered.
    async fn all_trials(&self, res: &Resources) -> Result<Vec<kn::Trial>, AppError> {
        let mut all = res.trials.clone();
        for row in self.store().entered_trials().await? {
            match kn::trials::parse_trial_json(Path::new("trial"), &row.body) {
                Ok(t) => all.push(t),
                Err(e) => {
                    tracing::error!(trial = row.id, error = %e, "a stored trial no longer parses; left out")
                }
            }
        }
        Ok(all)
    }

    /// Staff enter a trial: a JSON object with the fields of a `[[trial]]`
    /// of the trials file, checked as the file is (a bad field is a 422
    /// naming it; an id in use, in the file or entered before, is a 409).
    pub async fn add_trial(&self, actor: &Actor, json: &str) -> Result<TrialView, AppError> {
        if actor.role != Role::DataCentreStaff {
            return Err(AppError::Forbidden(format!(
                "role {} may not enter trials",
                actor.role.name()
            )));
        }
        let t = kn::trials::parse_trial_json(Path::new("trial"), json)
            .map_err(|e| invalid("trial", e.to_string()))?;
        let Some(res) = self.annotation_resources().await? else {
            return Err(AppError::Conflict {
                field: Some("annotation".into()),
                message:
                    "annotation is not configured: trials are matched against annotated findings"
                        .into(),
            });
        };
        if res.trials.iter().any(|f| f.id == t.id) || self.store().trial_id_taken(&t.id).await? {
            return Err(AppError::Conflict {
                field: Some("id".into()),
                message: format!("a trial {:?} exists already (ids are never reused)", t.id),
            });
        }
        let mut entry = AuditEntry::new(
            actor.audit_name(),
            "trial.entered",
            format!("trial:{}", t.id),
        );
        entry.detail = serde_json::json!({ "title": t.title });
        let mut tx = self.store().begin(entry).await?;
        tx.insert_trial(&TrialRow {
            id: t.id.clone(),
            body: json.to_string(),
            entered_by: actor.audit_name(),
            entered_at: OffsetDateTime::now_utc(),
        })
        .await?;
        tx.commit().await?;
        let view = self
            .trials(actor)
            .await?
            .into_iter()
            .find(|v| v.id == t.id)
            .ok_or_else(|| AppError::Internal("the trial just entered is missing".into()))?;
        Ok(view)
    }

    /// Staff retire an entered trial (kept, no longer matched).
    pub async fn retire_trial(&self, actor: &Actor, id: &str) -> Result<(), AppError> {
        if actor.role != Role::DataCentreStaff {
            return Err(AppError::Forbidden(format!(
                "role {} may not retire trials",
                actor.role.name()
            )));
        }
        let entry = AuditEntry::new(actor.audit_name(), "trial.retired", format!("trial:{id}"));
        let mut tx = self.store().begin(entry).await?;
        if !tx.retire_trial(id, &actor.audit_name()).await? {
            return Err(AppError::NotFound("trial"));
        }
        tx.commit().await?;
        Ok(())
    }
}

fn assembly_of(version: &str) -> kn::Assembly {
    let v = version.to_ascii_lowercase();
    kn::Assembly::parse(&v).unwrap_or(if v.contains("37") || v.contains("19") {
        kn::Assembly::GRCh37
    } else {
        kn::Assembly::GRCh38
    })
}

fn reasons(e: &kn::trials::TrialEvaluation) -> Vec<String> {
    e.criteria
        .iter()
        .map(|(c, o)| match o {
            kn::trials::Outcome::Met(r)
            | kn::trials::Outcome::NotMet(r)
            | kn::trials::Outcome::Unknown(r) => {
                format!("{}: {r}", snake(c))
            }
        })
        .collect()
}

/// A trial's criteria in words.
fn describe(t: &kn::Trial) -> Vec<String> {
    let mut out = Vec::new();
    if !t.cancer_types.is_empty() {
        let types: Vec<String> = t
            .cancer_types
            .iter()
            .map(|c| match c {
                kn::trials::CancerType::Topography(x) => format!("ICD-O-3 {x}"),
                kn::trials::CancerType::OncoTree(x) => format!("OncoTree {x}"),
            })
            .collect();
        out.push(format!("cancer type: {}", types.join(" or ")));
    }
    if !t.biomarkers.is_empty() {
        let b: Vec<String> = t
            .biomarkers
            .iter()
            .map(|b| match &b.variant_text {
                Some(v) => format!("{} {v}", b.gene),
                None => format!("{} (any protein-altering variant)", b.gene),
            })
            .collect();
        out.push(format!("biomarker: {}", b.join(" or ")));
    }
    match (t.min_age, t.max_age) {
        (Some(a), Some(b)) => out.push(format!("age {a}–{b}")),
        (Some(a), None) => out.push(format!("age ≥ {a}")),
        (None, Some(b)) => out.push(format!("age ≤ {b}")),
        (None, None) => {}
    }
    match t.sex {
        kn::trials::SexCriterion::Female => out.push("sex: female".into()),
        kn::trials::SexCriterion::Male => out.push("sex: male".into()),
        kn::trials::SexCriterion::Any => {}
    }
    if !t.prior_therapy_required.is_empty() {
        out.push(format!(
            "prior therapy required: {}",
            t.prior_therapy_required.join(", ")
        ));
    }
    if !t.prior_therapy_excluded.is_empty() {
        out.push(format!(
            "prior therapy excluded: {}",
            t.prior_therapy_excluded.join(", ")
        ));
    }
    out
}

fn run_view(r: &AnnotationRunRow) -> RunView {
    let fmt = |t: OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    };
    RunView {
        id: r.id.clone(),
        started_at: fmt(r.started_at),
        finished_at: fmt(r.finished_at),
        reason: r.reason.clone(),
        gene_model: r.gene_model.clone(),
        knowledge: serde_json::from_str(&r.knowledge).unwrap_or_default(),
        code_version: r.code_version.clone(),
        participants: r.participants,
        changed: r.changed,
    }
}
