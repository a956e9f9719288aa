//! Rare-disease records as GA4GH Phenopackets v2, and back: the subject,
//! the phenotypes (HPO terms with their onset class, excluded ones marked),
//! the diagnosis (ICD-10), and the pedigree as a Family. Import fills the
//! same record groups and goes through the same judgement and consent
//! gates as any submission; importing what is already stored changes
//! nothing, so export → import → export is identical.

use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use zenome_clinical::record::GroupData;
use zenome_clinical::{Area, Record};
use zenome_domain::id::ParticipantId;
use zenome_phenopackets::schema::{
    AffectedStatus, Disease, Family, Individual, MetaData, OntologyClass, Pedigree, Person,
    Phenopacket, PhenotypicFeature, Resource, Sex, TimeElement,
};
use zenome_store::ClinicalRow;

use super::{Source, Submission};
use crate::{Actor, App, AppError, policy};

const CREATED_BY: &str = "Zenome";

fn icd10_resource() -> Resource {
    Resource {
        id: "icd10".into(),
        name: "International Statistical Classification of Diseases and Related Health Problems, 10th Revision".into(),
        url: "https://icd.who.int/browse10/2019/en".into(),
        version: "2019".into(),
        namespace_prefix: "ICD10".into(),
        iri_prefix: "https://icd.who.int/browse10/2019/en#/".into(),
    }
}

fn first_entry<'a>(r: &'a Record, group: &str) -> Option<&'a Map<String, Value>> {
    match r.groups.get(group)? {
        GroupData::One(m) => Some(m),
        GroupData::Many(v) => v.first(),
    }
}

fn entries<'a>(r: &'a Record, group: &str) -> Vec<&'a Map<String, Value>> {
    match r.groups.get(group) {
        Some(GroupData::One(m)) => vec![m],
        Some(GroupData::Many(v)) => v.iter().collect(),
        None => Vec::new(),
    }
}

fn text<'a>(m: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    m.get(k).and_then(Value::as_str)
}

fn sex_of(code: Option<&str>) -> Option<Sex> {
    match code? {
        "male" => Some(Sex::Male),
        "female" => Some(Sex::Female),
        "other" => Some(Sex::OtherSex),
        _ => None,
    }
}

fn iso(t: OffsetDateTime) -> String {
    let t = t.replace_nanosecond(0).unwrap_or(t);
    t.format(&Rfc3339).unwrap_or_default()
}

/// The HPO onset class an age falls in (ISO 8601 duration), by the HPO's
/// own definitions: neonatal < 28 days, infantile < 1 year, childhood
/// < 5 years, juvenile < 16 years, adult from 16.
fn onset_class_of_age(duration: &str) -> Option<&'static str> {
    let d = duration.strip_prefix('P')?;
    let (mut years, mut months, mut weeks, mut days) = (0u32, 0u32, 0u32, 0u32);
    let mut num = String::new();
    for c in d.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        if c == 'T' {
            break;
        }
        let n: u32 = num.parse().ok()?;
        num.clear();
        match c {
            'Y' => years = n,
            'M' => months = n,
            'W' => weeks = n,
            'D' => days = n,
            _ => return None,
        }
    }
    let total_days = years * 365 + months * 30 + weeks * 7 + days;
    Some(if total_days == 0 {
        "HP:0003577"
    } else if total_days < 28 {
        "HP:0003623"
    } else if total_days < 365 {
        "HP:0003593"
    } else if years < 5 {
        "HP:0011463"
    } else if years < 16 {
        "HP:0003621"
    } else {
        "HP:0003581"
    })
}

impl App {
    fn hpo_label(&self, id: &str) -> String {
        self.hpo()
            .term(id)
            .map(|t| t.name.clone())
            .unwrap_or_default()
    }

    fn phenopacket_of(&self, row: &ClinicalRow, r: &Record) -> Phenopacket {
        let pid = row.participant_id.as_str();
        let mut subject = Individual::new(pid);
        if let Some(sex) = sex_of(first_entry(r, "case_basics").and_then(|m| text(m, "sex"))) {
            subject = subject.with_sex(sex);
        }
        let hpo_version = self.hpo().data_version().unwrap_or("").to_string();
        let mut p = Phenopacket::new(pid, subject, CREATED_BY, &iso(row.submitted_at))
            .with_resource(Resource::hpo(&hpo_version));
        for f in entries(r, "phenotypes") {
            let Some(id) = text(f, "hpo_term") else {
                continue;
            };
            let term = OntologyClass::new(id, self.hpo_label(id));
            let mut feature = if f.get("excluded").and_then(Value::as_bool) == Some(true) {
                PhenotypicFeature::excluded(term)
            } else {
                PhenotypicFeature::observed(term)
            };
            if let Some(onset) = text(f, "onset") {
                feature.onset = Some(TimeElement::OntologyClass(OntologyClass::new(
                    onset,
                    self.hpo_label(onset),
                )));
            }
            p = p.with_feature(feature);
        }
        if let Some(d) = first_entry(r, "diagnosis")
            && let Some(code) = text(d, "icd10")
        {
            let label = text(d, "diagnosis_name").unwrap_or("");
            p = p
                .with_disease(Disease::new(OntologyClass::new(
                    format!("ICD10:{code}"),
                    label,
                )))
                .with_resource(icd10_resource());
        }
        p
    }

    async fn readable_rare_record(
        &self,
        actor: &Actor,
        id: &ParticipantId,
    ) -> Result<(ClinicalRow, Record), AppError> {
        self.readable_participant(actor, id).await?;
        let row = self
            .store()
            .latest_clinical(id)
            .await?
            .ok_or(AppError::NotFound("clinical record"))?;
        let r: Record = serde_json::from_str(&row.record)
            .map_err(|e| AppError::Internal(format!("stored record {}: {e}", row.id)))?;
        if r.area != Area::RareDisease {
            return Err(AppError::invalid(
                "participant_id",
                "Phenopackets are exported for rare-disease participants",
            ));
        }
        Ok((row, r))
    }

    /// A rare-disease participant's latest record as a Phenopacket.
    pub async fn phenopacket(
        &self,
        actor: &Actor,
        id: &ParticipantId,
    ) -> Result<Phenopacket, AppError> {
        let (row, r) = self.readable_rare_record(actor, id).await?;
        Ok(self.phenopacket_of(&row, &r))
    }

    /// The participant as the proband of a Family: the pedigree from the
    /// record's relatives (enrolled relatives by their participant id,
    /// others by a local id), with the phenopackets of enrolled relatives
    /// the actor may read.
    pub async fn phenopacket_family(
        &self,
        actor: &Actor,
        id: &ParticipantId,
    ) -> Result<Family, AppError> {
        let (row, r) = self.readable_rare_record(actor, id).await?;
        let proband = self.phenopacket_of(&row, &r);
        let family_id = format!("FAM-{id}");
        let affected = |code: Option<&str>| match code {
            Some("affected") => Some(AffectedStatus::Affected),
            Some("unaffected") => Some(AffectedStatus::Unaffected),
            _ => Some(AffectedStatus::Missing),
        };
        let mut persons = vec![Person {
            family_id: family_id.clone(),
            individual_id: id.to_string(),
            sex: proband.subject.as_ref().and_then(|s| s.sex),
            affected_status: Some(AffectedStatus::Affected),
            ..Person::default()
        }];
        let mut relatives = Vec::new();
        let mut consanguinous = false;
        for (i, rel) in entries(&r, "pedigree").into_iter().enumerate() {
            let relation = text(rel, "relationship").unwrap_or("other");
            consanguinous |= rel.get("consanguinity").and_then(Value::as_bool) == Some(true);
            let person_id = text(rel, "relative_participant")
                .map(str::to_string)
                .unwrap_or_else(|| format!("{id}-{relation}-{}", i + 1));
            let sex = match relation {
                "father" => Some(Sex::Male),
                "mother" => Some(Sex::Female),
                _ => None,
            };
            match relation {
                "father" => persons[0].paternal_id = person_id.clone(),
                "mother" => persons[0].maternal_id = person_id.clone(),
                _ => {}
            }
            persons.push(Person {
                family_id: family_id.clone(),
                individual_id: person_id.clone(),
                sex,
                affected_status: affected(text(rel, "affected_status")),
                ..Person::default()
            });
            if let Ok(rid) = person_id.parse::<ParticipantId>()
                && let Ok((rrow, rrec)) = self.readable_rare_record(actor, &rid).await
            {
                relatives.push(self.phenopacket_of(&rrow, &rrec));
            }
        }
        let mut meta = MetaData::new(iso(row.submitted_at), CREATED_BY);
        meta.add_resource(Resource::hpo(self.hpo().data_version().unwrap_or("")));
        Ok(Family {
            id: family_id,
            proband: Some(proband),
            relatives,
            consanguinous_parents: consanguinous,
            pedigree: Some(Pedigree { persons }),
            meta_data: Some(meta),
            ..Family::default()
        })
    }

    /// Imports a Phenopacket for a participant of the actor's facility:
    /// its phenotypes (and the ICD-10 diagnosis, where the record has a
    /// diagnosis to put it in) replace those of the latest record, which is
    /// judged like any submission. Returns the row stored (`true`), or the
    /// latest one unchanged (`false`) when the packet says nothing new.
    pub async fn import_phenopacket(
        &self,
        actor: &Actor,
        p: &Phenopacket,
    ) -> Result<(ClinicalRow, bool), AppError> {
        // a label differing from our HPO release's is not an error in the packet
        let problems: Vec<_> = zenome_phenopackets::validate(
            p,
            &HpoLookup {
                hpo: self.hpo(),
                complete: true,
            },
        )
        .into_iter()
        .filter(|q| q.rule != zenome_phenopackets::Rule::LabelMismatch)
        .collect();
        if !problems.is_empty() {
            return Err(AppError::Rejected {
                what: "phenopacket".into(),
                problems: problems
                    .into_iter()
                    .map(|q| crate::error::SubmissionProblem {
                        row: None,
                        participant: Some(p.id.clone()),
                        path: q.path,
                        item: None,
                        rule: q.rule.as_str().to_string(),
                        message_ja: format!("Phenopacket の誤り: {}", q.message),
                        message_en: q.message,
                    })
                    .collect(),
            });
        }
        let subject = p
            .subject
            .as_ref()
            .map(|s| s.id.clone())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| p.id.clone());
        let id: ParticipantId = subject
            .parse()
            .map_err(|e| AppError::invalid("subject.id", format!("not a participant id: {e}")))?;
        let part = self
            .store()
            .participant(&id)
            .await?
            .ok_or(AppError::NotFound("participant"))?;
        policy::can_write_participant(actor, &part.participant)?;
        let dict = self
            .dictionaries()
            .latest()
            .ok_or_else(|| AppError::Internal("no clinical dictionary".into()))?;
        let latest = self.store().latest_clinical(&id).await?;
        let mut record = match &latest {
            Some(row) => serde_json::from_str::<Record>(&row.record)
                .map_err(|e| AppError::Internal(format!("stored record {}: {e}", row.id)))?,
            None => Record::new(dict.version.clone(), id.to_string(), Area::RareDisease),
        };
        let before = record.clone();
        let mut features = Vec::new();
        for (i, f) in p.phenotypic_features.iter().enumerate() {
            let Some(t) = &f.r#type else { continue };
            let mut m = Map::new();
            m.insert("hpo_term".into(), Value::String(t.id.clone()));
            let onset = match &f.onset {
                None => None,
                Some(TimeElement::OntologyClass(c)) => Some(c.id.clone()),
                Some(TimeElement::Age(a)) => {
                    onset_class_of_age(&a.iso8601duration).map(str::to_string)
                }
                Some(_) => {
                    return Err(AppError::invalid(
                        format!("phenotypicFeatures[{i}].onset"),
                        "only an HPO onset class or an age can be recorded as onset",
                    ));
                }
            };
            if let Some(o) = onset {
                m.insert("onset".into(), Value::String(o));
            }
            if f.excluded {
                m.insert("excluded".into(), Value::Bool(true));
            }
            features.push(m);
        }
        if features.is_empty() {
            record.groups.remove("phenotypes");
        } else {
            record
                .groups
                .insert("phenotypes".into(), GroupData::Many(features));
        }
        if let Some(d) = p
            .diseases
            .iter()
            .find(|d| d.term.as_ref().is_some_and(|t| t.id.starts_with("ICD10:")))
            && let Some(GroupData::One(diag)) = record.groups.get_mut("diagnosis")
        {
            let t = d.term.as_ref().expect("checked");
            diag.insert(
                "icd10".into(),
                Value::String(t.id.trim_start_matches("ICD10:").to_string()),
            );
            if !t.label.is_empty() {
                diag.insert("diagnosis_name".into(), Value::String(t.label.clone()));
            }
        }
        // a stored `"excluded": false` says what an absent one says
        if let Some(row) = latest
            && without_false_exclusions(record.clone()) == without_false_exclusions(before)
        {
            return Ok((row, false));
        }
        let mut rows = self
            .submit_clinical_batch(actor, vec![Submission::one(record)], Source::Phenopacket)
            .await?;
        Ok((rows.remove(0), true))
    }
}

/// `r` without `"excluded": false` on its phenotypes, which a Phenopacket
/// cannot carry (a feature is observed unless marked excluded).
fn without_false_exclusions(mut r: Record) -> Record {
    if let Some(GroupData::Many(features)) = r.groups.get_mut("phenotypes") {
        for f in features {
            if f.get("excluded") == Some(&Value::Bool(false)) {
                f.remove("excluded");
            }
        }
    }
    r
}

/// An HPO, as the Phenopacket validator asks it. With `complete` false (a
/// subset of the ontology), a term it does not hold is not judged.
pub struct HpoLookup<'a> {
    /// The ontology.
    pub hpo: &'a zenome_clinical::Hpo,
    /// Whether it is the whole ontology (unknown ids are then errors).
    pub complete: bool,
}

impl zenome_phenopackets::TermLookup for HpoLookup<'_> {
    fn hpo(&self, id: &str) -> zenome_phenopackets::TermStatus {
        match self.hpo.term(id) {
            None if self.complete => zenome_phenopackets::TermStatus::Unknown,
            None => zenome_phenopackets::TermStatus::Current {
                label: String::new(),
            },
            Some(t) if t.is_obsolete => zenome_phenopackets::TermStatus::Obsolete {
                replaced_by: t.replaced_by.clone(),
            },
            Some(t) => zenome_phenopackets::TermStatus::Current {
                label: t.name.clone(),
            },
        }
    }
}
