//! Candidate diagnoses (issue 12, item 4): genes ranked for a rare-disease
//! participant by `zenome-prioritise` from the observed HPO terms of the
//! latest clinical record, the sex in the registry and the participant's
//! germline alleles in the variant store, annotated on their canonical
//! transcripts with the `[annotation]` gene model (the findings machinery),
//! with the cohort's allele frequency over the other participants whose
//! consent is in force (the participant excluded).
//!
//! Computed on request, so a ranking is always current with the record, the
//! variant store, the cohort and the knowledge (`[prioritise]`: `hp.obo` and
//! `genes_to_phenotype`, loaded on first use and again when a file
//! changes). Who reads: data-centre staff and the
//! participant's own facility, with consent in force; other roles 403. A
//! participant without observed HPO terms, or without germline calls, or
//! whose genome an identity check holds, is answered 409 naming what is
//! missing, never an empty ranking presented as a result. Family members'
//! genotypes are not used yet (the registry's pedigrees name relatives by
//! relationship, not by participant): inheritance is judged from the
//! patient's own zygosity and the gene's modes.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use noodles::core::{Position, Region};
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use zenome_domain::id::ParticipantId;
use zenome_domain::participant::{DiseaseArea, Sex as RegistrySex};
use zenome_domain::role::Role;
pub use zenome_prioritise::RankedGene;
use zenome_prioritise::{Candidate, Case, Knowledge, Sex, Zygosity, variants};
use zenome_variants::{Origin, SampleMask, Scan};

use crate::findings::{AlleleKey, Resources, annotate_keys};
use crate::{Actor, App, AppError};

/// Alleles more frequent in the cohort than this are no candidates
/// (Exomiser's default, 2 %).
const MAX_AF: f64 = 0.02;

/// The loaded knowledge, kept by the app.
#[derive(Default)]
pub(crate) struct PrioritiseState {
    /// The knowledge and the stamp of the files it was read from.
    knowledge: tokio::sync::Mutex<Option<(Stamp, Arc<Knowledge>)>>,
}

/// What identifies a version of the knowledge files: path, length and
/// modification time of each. A changed file is read again on next use, so
/// a new HPO release re-ranks everyone without a restart.
type Stamp = Vec<(std::path::PathBuf, u64, Option<std::time::SystemTime>)>;

fn stamp(paths: &[&std::path::Path]) -> Stamp {
    paths
        .iter()
        .map(|p| {
            let m = std::fs::metadata(p).ok();
            (
                p.to_path_buf(),
                m.as_ref().map_or(0, |m| m.len()),
                m.and_then(|m| m.modified().ok()),
            )
        })
        .collect()
}

impl std::fmt::Debug for PrioritiseState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrioritiseState")
    }
}

/// One HPO term of the patient, with its label.
#[derive(Debug, Clone, Serialize)]
pub struct TermView {
    pub id: String,
    pub label: String,
}

/// A participant's candidate diagnoses and what they were computed from.
#[derive(Debug, Clone, Serialize)]
pub struct CandidateDiagnoses {
    pub participant_id: String,
    /// RFC 3339: when the ranking was computed (on this request).
    pub computed_at: String,
    /// The HPO release and the gene annotation file.
    pub knowledge: String,
    /// The gene model the alleles were annotated with.
    pub gene_model: String,
    /// `female`, `male` or `unknown`.
    pub sex: String,
    /// The observed terms used (obsolete ones replaced).
    pub terms: Vec<TermView>,
    /// Terms recorded as excluded (listed, not scored).
    pub excluded: Vec<String>,
    /// Obsolete terms replaced: (recorded, used).
    pub replaced: Vec<(String, String)>,
    /// The participant's germline alleles read in the knowledge's genes.
    pub alleles_read: usize,
    /// Those that became candidates (a damaging consequence, rare).
    pub candidates: usize,
    /// Genes with candidate variants, ranked, best first (at most
    /// [`MAX_GENES`]).
    pub genes: Vec<RankedGene>,
    /// The genes whose annotations best match the terms, variants aside
    /// (at most [`BY_PHENOTYPE`]): where to look for what short-variant
    /// calls miss (structural, repeat or mitochondrial changes).
    pub by_phenotype: Vec<RankedGene>,
}

/// Genes with candidate variants listed at most.
pub const MAX_GENES: usize = 50;
/// Genes listed by phenotype alone.
pub const BY_PHENOTYPE: usize = 10;

fn missing(field: &str, message: String) -> AppError {
    AppError::Conflict {
        field: Some(field.to_string()),
        message,
    }
}

/// The observed and excluded HPO terms of a clinical record.
fn terms_of(record: &str) -> (Vec<String>, Vec<String>) {
    let (mut observed, mut excluded) = (Vec::new(), Vec::new());
    let Ok(v) = serde_json::from_str::<serde_json::Value>(record) else {
        return (observed, excluded);
    };
    let Some(list) = v
        .get("groups")
        .and_then(|g| g.get("phenotypes"))
        .and_then(|p| p.as_array())
    else {
        return (observed, excluded);
    };
    for f in list {
        let Some(t) = f.get("hpo_term").and_then(|t| t.as_str()) else {
            continue;
        };
        let t = t.trim().to_string();
        if f.get("excluded").and_then(|x| x.as_bool()) == Some(true) {
            excluded.push(t);
        } else if !observed.contains(&t) {
            observed.push(t);
        }
    }
    (observed, excluded)
}

/// The sex in a clinical record's case basics.
fn record_sex(record: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(record).ok()?;
    v.get("groups")?
        .get("case_basics")?
        .get("sex")?
        .as_str()
        .map(str::to_string)
}

/// A stored allele the participant carries, with its zygosity.
struct Carried {
    key: AlleleKey,
    zygosity: Zygosity,
}

/// Reads the participant's germline alleles in the knowledge's genes,
/// annotates them and builds the case (blocking).
fn case_for(
    res: &Resources,
    knowledge: &Knowledge,
    store: &zenome_variants::Store,
    participant: &str,
    consented: &HashSet<String>,
) -> Result<(Case, usize), AppError> {
    let err = |e: zenome_variants::VariantsError| AppError::Internal(format!("variant store: {e}"));
    let n = store.samples().len();
    let germline_batches: HashSet<u32> = store
        .manifest()
        .batches
        .iter()
        .filter(|b| b.origin != Origin::Somatic)
        .map(|b| b.id)
        .collect();
    let (mut own, mut cohort) = (SampleMask::none(n), SampleMask::none(n));
    let mut own_batches = Vec::new();
    for s in store.samples() {
        if !germline_batches.contains(&s.batch) {
            continue;
        }
        if s.name == participant {
            own.insert(s.index);
            own_batches.push(s.batch);
        } else if consented.contains(&s.name) {
            cohort.insert(s.index);
        }
    }
    let genes: BTreeSet<String> = knowledge
        .genes
        .iter()
        .map(|g| g.symbol.to_ascii_uppercase())
        .collect();
    let position = |p: u32| {
        Position::try_from(p.max(1) as usize).map_err(|e| AppError::Internal(e.to_string()))
    };
    // the participant's own alleles: only its batches are read
    let mut carried: Vec<Carried> = Vec::new();
    for (chrom, spans) in res.gene_spans(&genes) {
        let Some(stored) = store.resolve_chrom(&chrom).map_err(err)? else {
            continue;
        };
        for (a, b) in spans {
            let region = Region::new(stored.as_str(), position(a)?..=position(b)?);
            let masks = [&own];
            let scan = Scan {
                masks: &masks,
                carriers: false,
                after: None,
                limit: None,
                batches: Some(&own_batches),
            };
            store
                .scan_alleles(&region, &scan, &mut |a| a.counts[0].ac > 0, &mut |a| {
                    let c = &a.counts[0];
                    let zygosity = if c.n_hom_alt > 0 {
                        Zygosity::Homozygous
                    } else if c.n_hemi > 0 {
                        Zygosity::Hemizygous
                    } else {
                        Zygosity::Heterozygous
                    };
                    carried.push(Carried {
                        key: (a.chrom, u64::from(a.pos), a.reference, a.alt),
                        zygosity,
                    });
                })
                .map_err(err)?;
        }
    }
    let read = carried.len();
    let reference_version = store
        .manifest()
        .batches
        .iter()
        .find(|b| own_batches.contains(&b.id))
        .map(|b| b.reference_version.clone())
        .unwrap_or_default();
    let keys: Vec<AlleleKey> = carried.iter().map(|c| c.key.clone()).collect();
    let annotated = annotate_keys(res, &keys);
    // candidates before the cohort's frequency: a damaging consequence in
    // a gene with phenotype annotations, or ClinVar P/LP
    let mut pending: Vec<Candidate> = Vec::new();
    for (c, (_, ann)) in carried.iter().zip(annotated) {
        let Some(ann) = ann else { continue };
        if !genes.contains(&ann.gene.to_ascii_uppercase()) {
            continue;
        }
        let consequence = ann
            .consequences
            .iter()
            .map(|(term, _)| term.as_str())
            .collect::<Vec<_>>()
            .join("&");
        let mut pathogenicity = variants::pathogenicity(&consequence);
        let clinvar = res.clinvar_of(&reference_version, &c.key);
        if clinvar.as_ref().is_some_and(|(_, plp)| *plp) {
            pathogenicity = 1.0;
        }
        if pathogenicity <= 0.0 {
            continue;
        }
        let (chrom, pos, reference, alternate) = &c.key;
        let gene = knowledge
            .genes
            .iter()
            .find(|g| g.symbol.eq_ignore_ascii_case(&ann.gene))
            .map(|g| g.symbol.clone())
            .unwrap_or(ann.gene.clone());
        pending.push(Candidate {
            chrom: chrom.clone(),
            pos: u32::try_from(*pos).map_err(|e| AppError::Internal(e.to_string()))?,
            reference: reference.clone(),
            alternate: alternate.clone(),
            gene,
            consequence,
            impact: ann.impact.clone(),
            hgvsc: ann.hgvsc.clone(),
            hgvsp: ann.hgvsp.clone(),
            population_af: None,
            cohort_af: None,
            clinvar: clinvar.map(|(s, _)| s),
            genotypes: vec![c.zygosity],
            pathogenicity,
            frequency_score: 1.0,
        });
    }
    // the cohort's frequency, the participant excluded: one scan of all
    // batches per candidate gene, over the span its candidates cover (not
    // one read per variant)
    let mut spans: HashMap<(String, String), (u32, u32)> = HashMap::new();
    for c in &pending {
        let e = spans
            .entry((c.gene.clone(), c.chrom.clone()))
            .or_insert((c.pos, c.pos));
        e.0 = e.0.min(c.pos);
        e.1 = e.1.max(c.pos);
    }
    let wanted: HashSet<(&str, u32, &str, &str)> = pending
        .iter()
        .map(|c| {
            (
                c.chrom.as_str(),
                c.pos,
                c.reference.as_str(),
                c.alternate.as_str(),
            )
        })
        .collect();
    let mut counts: HashMap<(String, u32, String, String), (u32, u32)> = HashMap::new();
    let mut scanned: HashSet<(String, u32, u32)> = HashSet::new();
    for ((_, chrom), (a, b)) in &spans {
        if !scanned.insert((chrom.clone(), *a, *b)) {
            continue;
        }
        let Some(stored) = store.resolve_chrom(chrom).map_err(err)? else {
            continue;
        };
        let region = Region::new(stored.as_str(), position(*a)?..=position(*b)?);
        let masks = [&cohort];
        let scan = Scan {
            masks: &masks,
            carriers: false,
            after: None,
            limit: None,
            batches: None,
        };
        store
            .scan_alleles(
                &region,
                &scan,
                &mut |x| {
                    wanted.contains(&(chrom.as_str(), x.pos, x.reference.as_str(), x.alt.as_str()))
                },
                &mut |x| {
                    let k = &x.counts[0];
                    counts.insert((chrom.clone(), x.pos, x.reference, x.alt), (k.ac, k.an));
                },
            )
            .map_err(err)?;
    }
    let mut case = Case {
        members: vec![participant.to_string()],
        ..Case::default()
    };
    for mut c in pending {
        let key = (
            c.chrom.clone(),
            c.pos,
            c.reference.clone(),
            c.alternate.clone(),
        );
        c.cohort_af = counts
            .get(&key)
            .filter(|(_, an)| *an > 0)
            .map(|(ac, an)| f64::from(*ac) / f64::from(*an));
        let af = c.cohort_af.unwrap_or(0.0);
        if af > MAX_AF {
            continue;
        }
        c.frequency_score = variants::frequency_score(af);
        case.candidates += 1;
        case.by_gene.entry(c.gene.clone()).or_default().push(c);
    }
    case.records = read as u64;
    Ok((case, read))
}

impl App {
    /// The `[prioritise]` knowledge, loaded on first use and again when
    /// its files change.
    async fn prioritise_knowledge(&self) -> Result<Arc<Knowledge>, AppError> {
        let c = &self.config().prioritise;
        let (Some(hpo), Some(g2p)) = (c.hpo.clone(), c.genes_to_phenotype.clone()) else {
            return Err(missing(
                "prioritise",
                "no phenotype knowledge is configured ([prioritise] hpo and genes_to_phenotype)"
                    .into(),
            ));
        };
        let now = stamp(&[&hpo, &g2p]);
        let mut slot = self.inner.prioritise.knowledge.lock().await;
        if let Some((s, k)) = slot.as_ref()
            && *s == now
        {
            return Ok(k.clone());
        }
        let k = tokio::task::spawn_blocking(move || Knowledge::load(&hpo, &g2p))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?
            .map_err(|e| AppError::Invalid {
                field: "prioritise".into(),
                reason: e.to_string(),
            })?;
        let k = Arc::new(k);
        *slot = Some((now, k.clone()));
        Ok(k)
    }

    /// A rare-disease participant's candidate diagnoses: data-centre staff
    /// and the participant's own facility (another facility: 404), with
    /// consent in force; other roles 403. 409 when the participant is not a
    /// rare-disease case, has no observed HPO terms or no germline calls, or
    /// when the knowledge or the gene model is not configured.
    pub async fn candidate_diagnoses(
        &self,
        actor: &Actor,
        id: &ParticipantId,
    ) -> Result<CandidateDiagnoses, AppError> {
        match actor.role {
            Role::DataCentreStaff | Role::FacilitySubmitter { .. } | Role::Clinician { .. } => {}
            _ => {
                return Err(AppError::Forbidden(format!(
                    "role {} may not see a patient's candidate diagnoses",
                    actor.role.name()
                )));
            }
        }
        let view = self.participant(actor, id).await?;
        let now = OffsetDateTime::now_utc();
        if view.consent.state_at(now).active().is_none() {
            return Err(missing(
                "consent",
                format!("participant {id} has no consent in force"),
            ));
        }
        if view.participant.disease_area != DiseaseArea::RareDisease {
            return Err(missing(
                "disease_area",
                format!("participant {id} is not a rare-disease case"),
            ));
        }
        if self.store().identity_blocks(id.as_str()).await? {
            return Err(missing(
                "identity",
                format!(
                    "participant {id}'s genome is held by an identity check: candidate diagnoses are ranked once staff resolve the hold"
                ),
            ));
        }
        let knowledge = self.prioritise_knowledge().await?;
        let record = self.store().latest_clinical(id).await?;
        let (observed, excluded) = record
            .as_ref()
            .map(|r| terms_of(&r.record))
            .unwrap_or_default();
        if observed.is_empty() {
            return Err(missing(
                "hpo_terms",
                format!(
                    "participant {id} has no observed HPO terms in its latest clinical record: phenotypes are needed to rank genes"
                ),
            ));
        }
        let mut terms = Vec::new();
        let mut replaced = Vec::new();
        for t in &observed {
            let i = knowledge
                .ontology
                .resolve(t)
                .map_err(|e| missing("hpo_terms", e.to_string()))?;
            let used = knowledge.ontology.id(i);
            if used != t {
                replaced.push((t.clone(), used.to_string()));
            }
            if !terms.contains(&i) {
                terms.push(i);
            }
        }
        let Some(res) = self.annotation_resources().await? else {
            return Err(missing(
                "annotation",
                "no gene model and reference are configured ([annotation]) to annotate the variants"
                    .into(),
            ));
        };
        let p = id.as_str().to_string();
        let store = self.opened_variant_store()?;
        let has_germline = store.as_ref().is_some_and(|s| {
            let somatic: HashSet<u32> = s
                .manifest()
                .batches
                .iter()
                .filter(|b| b.origin == Origin::Somatic)
                .map(|b| b.id)
                .collect();
            s.samples()
                .iter()
                .any(|x| x.name == p && !somatic.contains(&x.batch))
        });
        let Some(store) = store.filter(|_| has_germline) else {
            return Err(missing(
                "variants",
                format!("participant {id} has no germline calls in the variant store"),
            ));
        };
        let consented = self.consented_now(None).await?;
        // the registry's sex, else the clinical record's
        let sex = match view.participant.sex {
            RegistrySex::Female => Sex::Female,
            RegistrySex::Male => Sex::Male,
            _ => match record
                .as_ref()
                .and_then(|r| record_sex(&r.record))
                .as_deref()
            {
                Some("female") => Sex::Female,
                Some("male") => Sex::Male,
                _ => Sex::Unknown,
            },
        };
        let (k2, r2, p2) = (knowledge.clone(), res.clone(), p.clone());
        let (genes, by_phenotype, read, candidates) = tokio::task::spawn_blocking(move || {
            let (case, read) = case_for(&r2, &k2, &store, &p2, &consented)?;
            let mut genes = zenome_prioritise::rank::rank(&k2, &p2, &terms, sex, Some(&case), None);
            genes.truncate(MAX_GENES);
            let mut by_phenotype = zenome_prioritise::rank::rank(&k2, &p2, &terms, sex, None, None);
            by_phenotype.truncate(BY_PHENOTYPE);
            Ok::<_, AppError>((genes, by_phenotype, read, case.candidates as usize))
        })
        .await
        .map_err(|e| AppError::Internal(e.to_string()))??;
        let terms = observed
            .iter()
            .filter_map(|t| knowledge.ontology.resolve(t).ok())
            .collect::<Vec<_>>();
        let mut seen = HashMap::new();
        let terms = terms
            .into_iter()
            .filter(|i| seen.insert(*i, ()).is_none())
            .map(|i| TermView {
                id: knowledge.ontology.id(i).to_string(),
                label: knowledge.ontology.name(i).to_string(),
            })
            .collect();
        Ok(CandidateDiagnoses {
            participant_id: p,
            computed_at: now.format(&Rfc3339).unwrap_or_default(),
            knowledge: knowledge.version.clone(),
            gene_model: res.gene_model_label().to_string(),
            sex: match sex {
                Sex::Female => "female",
                Sex::Male => "male",
                Sex::Unknown => "unknown",
            }
            .into(),
            terms,
            excluded,
            replaced,
            alleles_read: read,
            candidates,
            genes,
            by_phenotype,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observed_and_excluded_terms_are_read_from_a_record_in_japanese() {
        let r = r#"{"groups":{"diagnosis":{"name":"筋ジストロフィー"},"phenotypes":[
            {"hpo_term":"HP:0003560","onset":"HP:0011463"},
            {"hpo_term":"HP:0001270"},
            {"hpo_term":"HP:0003560"},
            {"hpo_term":"HP:0001250","excluded":true}]}}"#;
        let (o, x) = terms_of(r);
        assert_eq!(o, ["HP:0003560", "HP:0001270"]);
        assert_eq!(x, ["HP:0001250"]);
        assert_eq!(terms_of("{}"), (vec![], vec![]));
    }
}
