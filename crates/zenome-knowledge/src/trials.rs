//! Clinical trials described by eligibility criteria (cancer types, gene or
//! variant biomarkers, age range, sex, prior therapy required or excluded),
//! read from a TOML file (format in `data/README.md`, example
//! `data/trials_example.toml`), and the pure matching of patients to them
//! with the reason for every criterion.

use std::path::Path;

use serde::Deserialize;

use crate::disease::{DiseaseMap, Topography};
use crate::error::{KnowledgeError, Location, Result};
use crate::patient::{AnnotatedVariant, Origin, PatientContext, Sex};
use crate::protein::{VariantSpec, parse_variant_name};

/// The only `format` this reader accepts.
pub const TRIALS_FORMAT: &str = "zenome-trials/1";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDto {
    format: String,
    #[serde(default)]
    trial: Vec<TrialDto>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TrialDto {
    id: String,
    title: String,
    #[serde(default)]
    cancer_types: Vec<String>,
    #[serde(default)]
    biomarkers: Vec<BiomarkerDto>,
    min_age: Option<u32>,
    max_age: Option<u32>,
    #[serde(default)]
    sex: Option<String>,
    #[serde(default)]
    prior_therapy_required: Vec<String>,
    #[serde(default)]
    prior_therapy_excluded: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BiomarkerDto {
    gene: String,
    variant: Option<String>,
    origin: Option<String>,
}

/// A cancer-type criterion: an ICD-O-3 topography (prefix) or an OncoTree code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CancerType {
    Topography(Topography),
    OncoTree(String),
}

/// A biomarker criterion: a gene (any protein-altering variant) or a variant
/// of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Biomarker {
    pub gene: String,
    /// `None`: any protein-altering variant of the gene.
    pub variant: Option<VariantSpec>,
    pub variant_text: Option<String>,
    /// `None`: either origin.
    pub origin: Option<Origin>,
}

/// Sex eligibility.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SexCriterion {
    Any,
    Female,
    Male,
}

/// A trial and its criteria. Lists are alternatives (any cancer type, any
/// biomarker); empty lists impose nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trial {
    pub id: String,
    pub title: String,
    pub cancer_types: Vec<CancerType>,
    pub biomarkers: Vec<Biomarker>,
    pub min_age: Option<u32>,
    pub max_age: Option<u32>,
    pub sex: SexCriterion,
    pub prior_therapy_required: Vec<String>,
    pub prior_therapy_excluded: Vec<String>,
}

/// Reads a trials file.
pub fn load_trials(path: &Path) -> Result<Vec<Trial>> {
    let text = std::fs::read_to_string(path).map_err(crate::source::io_err(path))?;
    parse_trials(path, &text)
}

/// Parses a trials file's text (`path` names it in errors).
pub fn parse_trials(path: &Path, text: &str) -> Result<Vec<Trial>> {
    if text.trim().is_empty() {
        return Err(KnowledgeError::Empty {
            path: path.to_path_buf(),
        });
    }
    let dto: FileDto = toml::from_str(text).map_err(|source| KnowledgeError::Toml {
        path: path.to_path_buf(),
        source,
    })?;
    if dto.format != TRIALS_FORMAT {
        return Err(KnowledgeError::Shape {
            path: path.to_path_buf(),
            at: Location::File,
            expected: format!("format = {TRIALS_FORMAT:?}"),
            found: format!("{:?}", dto.format),
        });
    }
    let mut ids = std::collections::BTreeSet::new();
    dto.trial
        .into_iter()
        .enumerate()
        .map(|(i, t)| trial_from_dto(path, i, t, &mut ids))
        .collect()
}

/// One trial as staff enter it: a JSON object with the fields of a
/// `[[trial]]` table of the trials file (`id`, `title`, `cancer_types`,
/// `biomarkers`, `min_age`, `max_age`, `sex`, `prior_therapy_required`,
/// `prior_therapy_excluded`), checked the same way (`source` names it in
/// errors). Unknown fields are refused.
pub fn parse_trial_json(source: &Path, json: &str) -> Result<Trial> {
    let t: TrialDto = serde_json::from_str(json).map_err(|e| KnowledgeError::Field {
        path: source.to_path_buf(),
        at: Location::Record(1),
        field: "trial".into(),
        message: e.to_string(),
    })?;
    trial_from_dto(source, 0, t, &mut std::collections::BTreeSet::new())
}

/// Checks one trial's criteria (`i`: its place in the file, for errors).
fn trial_from_dto(
    path: &Path,
    i: usize,
    t: TrialDto,
    ids: &mut std::collections::BTreeSet<String>,
) -> Result<Trial> {
    let field = |name: &str, message: String| KnowledgeError::Field {
        path: path.to_path_buf(),
        at: Location::Record(i as u64 + 1),
        field: name.to_string(),
        message,
    };
    if t.id.trim().is_empty() || !ids.insert(t.id.clone()) {
        return Err(field(
            "id",
            format!("expected a unique non-empty id, found {:?}", t.id),
        ));
    }
    let cancer_types = t
        .cancer_types
        .iter()
        .map(|c| match Topography::parse(c) {
            Ok(top) => Ok(CancerType::Topography(top)),
            Err(_) if !c.is_empty() && c.bytes().all(|b| b.is_ascii_alphanumeric()) => {
                Ok(CancerType::OncoTree(c.to_ascii_uppercase()))
            }
            Err(_) => Err(field(
                "cancer_types",
                format!("expected a topography (C34) or an OncoTree code (LUAD), found {c:?}"),
            )),
        })
        .collect::<Result<_>>()?;
    let biomarkers = t
        .biomarkers
        .into_iter()
        .map(|b| {
            let origin = match b.origin.as_deref() {
                None | Some("any") => None,
                Some("somatic") => Some(Origin::Somatic),
                Some("germline") => Some(Origin::Germline),
                Some(o) => {
                    return Err(field(
                        "biomarkers.origin",
                        format!("expected somatic, germline or any, found {o:?}"),
                    ));
                }
            };
            let variant = b.variant.as_deref().map(parse_variant_name);
            if let Some(VariantSpec::Unmatched(v)) = &variant {
                return Err(field(
                    "biomarkers.variant",
                    format!("expected a protein change (G12C) or codon (G12), found {v:?}"),
                ));
            }
            Ok(Biomarker {
                gene: b.gene,
                variant,
                variant_text: b.variant,
                origin,
            })
        })
        .collect::<Result<_>>()?;
    let sex = match t.sex.as_deref() {
        None | Some("any") => SexCriterion::Any,
        Some("female") => SexCriterion::Female,
        Some("male") => SexCriterion::Male,
        Some(s) => {
            return Err(field(
                "sex",
                format!("expected any, female or male, found {s:?}"),
            ));
        }
    };
    if let (Some(a), Some(b)) = (t.min_age, t.max_age)
        && a > b
    {
        return Err(field("min_age", format!("min_age {a} above max_age {b}")));
    }
    Ok(Trial {
        id: t.id,
        title: t.title,
        cancer_types,
        biomarkers,
        min_age: t.min_age,
        max_age: t.max_age,
        sex,
        prior_therapy_required: t.prior_therapy_required,
        prior_therapy_excluded: t.prior_therapy_excluded,
    })
}

/// Which criterion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Criterion {
    CancerType,
    Biomarker,
    Age,
    Sex,
    PriorTherapyRequired,
    PriorTherapyExcluded,
}

/// The outcome of one criterion, with the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Met(String),
    NotMet(String),
    /// The patient's record lacks what the criterion needs.
    Unknown(String),
}

/// One patient against one trial.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrialEvaluation {
    pub trial_id: String,
    pub patient_id: String,
    /// Every criterion the trial sets.
    pub criteria: Vec<(Criterion, Outcome)>,
}

impl TrialEvaluation {
    /// All criteria met.
    pub fn eligible(&self) -> bool {
        self.criteria
            .iter()
            .all(|(_, o)| matches!(o, Outcome::Met(_)))
    }
    /// None failed, some unknown: a candidate to check.
    pub fn possibly_eligible(&self) -> bool {
        !self.eligible()
            && !self
                .criteria
                .iter()
                .any(|(_, o)| matches!(o, Outcome::NotMet(_)))
    }
}

/// A patient for trial matching.
#[derive(Clone, Debug)]
pub struct TrialPatient {
    pub id: String,
    pub context: PatientContext,
    pub variants: Vec<AnnotatedVariant>,
}

/// Evaluates one patient against one trial.
pub fn evaluate(trial: &Trial, patient: &TrialPatient, diseases: &DiseaseMap) -> TrialEvaluation {
    let ctx = &patient.context;
    let mut criteria = Vec::new();
    if !trial.cancer_types.is_empty() {
        let outcome = match &ctx.site {
            None => Outcome::Unknown("no cancer site recorded".into()),
            Some(site) => {
                let mapped = diseases.resolve(site);
                let hit = trial.cancer_types.iter().find(|c| match c {
                    CancerType::Topography(t) => site
                        .topography
                        .to_string()
                        .replace('.', "")
                        .starts_with(&t.to_string().replace('.', "")),
                    CancerType::OncoTree(code) => {
                        mapped.as_ref().is_some_and(|d| d.has_oncotree(code))
                    }
                });
                match hit {
                    Some(CancerType::Topography(t)) => {
                        Outcome::Met(format!("site {} within {t}", site.topography))
                    }
                    Some(CancerType::OncoTree(c)) => {
                        Outcome::Met(format!("site {} maps to {c}", site.topography))
                    }
                    None => Outcome::NotMet(format!(
                        "site {} not among the trial's cancer types",
                        site.topography
                    )),
                }
            }
        };
        criteria.push((Criterion::CancerType, outcome));
    }
    if !trial.biomarkers.is_empty() {
        let hit = trial.biomarkers.iter().find_map(|b| {
            patient.variants.iter().find_map(|v| {
                if !v.gene_symbol.eq_ignore_ascii_case(&b.gene)
                    || b.origin.is_some_and(|o| o != v.origin)
                {
                    return None;
                }
                let covered = match &b.variant {
                    None => VariantSpec::AnyMutation
                        .covers(None, &v.consequences)
                        .is_some(),
                    Some(spec) => spec
                        .covers(v.protein_change().as_ref(), &v.consequences)
                        .is_some(),
                };
                covered.then(|| {
                    format!(
                        "{} {} ({}) matches {}{}",
                        v.gene_symbol,
                        v.hgvs_p.as_deref().unwrap_or("-"),
                        v.key().0,
                        b.gene,
                        b.variant_text
                            .as_deref()
                            .map(|t| format!(" {t}"))
                            .unwrap_or_default()
                    )
                })
            })
        });
        criteria.push((
            Criterion::Biomarker,
            match hit {
                Some(r) => Outcome::Met(r),
                None => Outcome::NotMet("no variant matches the trial's biomarkers".into()),
            },
        ));
    }
    if trial.min_age.is_some() || trial.max_age.is_some() {
        let range = format!(
            "{}–{}",
            trial.min_age.map_or("".into(), |a| a.to_string()),
            trial.max_age.map_or("".into(), |a| a.to_string())
        );
        criteria.push((
            Criterion::Age,
            match ctx.age_years {
                None => Outcome::Unknown("age not recorded".into()),
                Some(a)
                    if trial.min_age.is_none_or(|m| a >= m)
                        && trial.max_age.is_none_or(|m| a <= m) =>
                {
                    Outcome::Met(format!("age {a} within {range}"))
                }
                Some(a) => Outcome::NotMet(format!("age {a} outside {range}")),
            },
        ));
    }
    if trial.sex != SexCriterion::Any {
        let want = if trial.sex == SexCriterion::Female {
            Sex::Female
        } else {
            Sex::Male
        };
        criteria.push((
            Criterion::Sex,
            match ctx.sex {
                None | Some(Sex::Unknown) => Outcome::Unknown("sex not recorded".into()),
                Some(s) if s == want => Outcome::Met(format!("sex {s:?}")),
                Some(s) => Outcome::NotMet(format!("sex {s:?}, trial requires {want:?}")),
            },
        ));
    }
    let received = |t: &str| {
        ctx.prior_therapies
            .iter()
            .any(|p| p.trim().eq_ignore_ascii_case(t.trim()))
    };
    for t in &trial.prior_therapy_required {
        criteria.push((
            Criterion::PriorTherapyRequired,
            if received(t) {
                Outcome::Met(format!("received {t}"))
            } else {
                Outcome::NotMet(format!("{t} not recorded as received"))
            },
        ));
    }
    for t in &trial.prior_therapy_excluded {
        criteria.push((
            Criterion::PriorTherapyExcluded,
            if received(t) {
                Outcome::NotMet(format!("received {t}, which the trial excludes"))
            } else {
                Outcome::Met(format!("{t} not received"))
            },
        ));
    }
    TrialEvaluation {
        trial_id: trial.id.clone(),
        patient_id: patient.id.clone(),
        criteria,
    }
}

/// Eligible patients of each trial, in the trials' order.
pub fn patients_per_trial<'t>(
    trials: &'t [Trial],
    patients: &[TrialPatient],
    diseases: &DiseaseMap,
) -> Vec<(&'t Trial, Vec<TrialEvaluation>)> {
    trials
        .iter()
        .map(|t| {
            (
                t,
                patients
                    .iter()
                    .map(|p| evaluate(t, p, diseases))
                    .filter(TrialEvaluation::eligible)
                    .collect(),
            )
        })
        .collect()
}

/// Trials a patient is eligible for.
pub fn trials_for_patient(
    trials: &[Trial],
    patient: &TrialPatient,
    diseases: &DiseaseMap,
) -> Vec<TrialEvaluation> {
    trials
        .iter()
        .map(|t| evaluate(t, patient, diseases))
        .filter(TrialEvaluation::eligible)
        .collect()
}
