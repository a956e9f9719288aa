//! Clinical records for the demo cohort, submitted by each hospital as one
//! bulk (all-or-nothing) submission through the same service the API's
//! bulk endpoint uses. Cancer participants get a diagnosis (ICD-O-3 site
//! and histology, stage), background, treatment lines with real regimens,
//! course and grade ≥ 3 adverse events; rare-disease participants get a
//! designated intractable disease, HPO phenotypes with onset (and excluded
//! ones), prior genetic tests and a pedigree. Participants whose consent is
//! not in force get nothing; linkage items only with the linkage consent.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use serde_json::{Map, Value, json};
use time::{Date, Duration};
use zenome_app::clinical::{Source, Submission};
use zenome_app::registry::ParticipantQuery;
use zenome_app::{Actor, App};
use zenome_clinical::record::GroupData;
use zenome_clinical::{Area, Record};
use zenome_domain::consent::ConsentState;
use zenome_domain::participant::{DiseaseArea, Sex};

use crate::DemoError;

struct Cancer {
    name: &'static str,
    icd10: &'static str,
    site: &'static str,
    histology: &'static str,
    regimen: &'static str,
    drugs: &'static str,
    surgery: bool,
}

const CANCERS: &[Cancer] = &[
    Cancer {
        name: "肺腺癌",
        icd10: "C34.1",
        site: "C34.1",
        histology: "8140/3",
        regimen: "カルボプラチン+ペメトレキセド+ペムブロリズマブ",
        drugs: "carboplatin; pemetrexed; pembrolizumab",
        surgery: false,
    },
    Cancer {
        name: "胃癌",
        icd10: "C16.9",
        site: "C16.9",
        histology: "8140/3",
        regimen: "SOX",
        drugs: "S-1; oxaliplatin",
        surgery: true,
    },
    Cancer {
        name: "大腸癌（S状結腸）",
        icd10: "C18.7",
        site: "C18.7",
        histology: "8140/3",
        regimen: "mFOLFOX6",
        drugs: "fluorouracil; leucovorin; oxaliplatin",
        surgery: true,
    },
    Cancer {
        name: "乳癌",
        icd10: "C50.9",
        site: "C50.9",
        histology: "8500/3",
        regimen: "AC→パクリタキセル",
        drugs: "doxorubicin; cyclophosphamide; paclitaxel",
        surgery: true,
    },
    Cancer {
        name: "膵癌",
        icd10: "C25.0",
        site: "C25.0",
        histology: "8500/3",
        regimen: "FOLFIRINOX",
        drugs: "oxaliplatin; irinotecan; fluorouracil; leucovorin",
        surgery: false,
    },
    Cancer {
        name: "肝細胞癌",
        icd10: "C22.0",
        site: "C22.0",
        histology: "8170/3",
        regimen: "アテゾリズマブ+ベバシズマブ",
        drugs: "atezolizumab; bevacizumab",
        surgery: false,
    },
    Cancer {
        name: "食道扁平上皮癌",
        icd10: "C15.5",
        site: "C15.5",
        histology: "8070/3",
        regimen: "FP",
        drugs: "fluorouracil; cisplatin",
        surgery: true,
    },
];

struct Rare {
    name: &'static str,
    icd10: &'static str,
    designated: i64,
    gene: &'static str,
    onset: &'static str,
    features: &'static [&'static str],
    excluded: &'static str,
}

const RARE: &[Rare] = &[
    Rare {
        name: "筋ジストロフィー",
        icd10: "G71.0",
        designated: 113,
        gene: "DMD",
        onset: "HP:0011463",
        features: &["HP:0003560", "HP:0003236", "HP:0003701", "HP:0001270"],
        excluded: "HP:0001250",
    },
    Rare {
        name: "脊髄性筋萎縮症",
        icd10: "G12.0",
        designated: 3,
        gene: "SMN1",
        onset: "HP:0003593",
        features: &["HP:0003202", "HP:0001252", "HP:0001324", "HP:0002650"],
        excluded: "HP:0001249",
    },
    Rare {
        name: "神経線維腫症I型",
        icd10: "Q85.0",
        designated: 34,
        gene: "NF1",
        onset: "HP:0011463",
        features: &["HP:0000957", "HP:0002650", "HP:0001263"],
        excluded: "HP:0000252",
    },
    Rare {
        name: "ミトコンドリア病",
        icd10: "E88.8",
        designated: 21,
        gene: "MT-TL1",
        onset: "HP:0011463",
        features: &["HP:0003128", "HP:0001250", "HP:0004322", "HP:0000365"],
        excluded: "HP:0001631",
    },
    Rare {
        name: "マルファン症候群",
        icd10: "Q87.4",
        designated: 167,
        gene: "FBN1",
        onset: "HP:0003577",
        features: &["HP:0001166", "HP:0002650", "HP:0000486"],
        excluded: "HP:0001249",
    },
    Rare {
        name: "ウィリアムズ症候群",
        icd10: "Q93.8",
        designated: 179,
        gene: "ELN",
        onset: "HP:0003577",
        features: &["HP:0001263", "HP:0001249", "HP:0004322", "HP:0001631"],
        excluded: "HP:0000252",
    },
];

const STAGES: &[&str] = &["IA", "IB", "IIA", "IIB", "IIIA", "IIIB", "IIIC"];

fn pick(rng: &mut ChaCha8Rng, from: &[&'static str]) -> &'static str {
    from[rng.random_range(0..from.len())]
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn between(rng: &mut ChaCha8Rng, from: Date, to: Date) -> Date {
    let span = (to - from).whole_days().max(1);
    from + Duration::days(rng.random_range(0..span))
}

fn cancer_record(
    rng: &mut ChaCha8Rng,
    version: &str,
    pid: &str,
    basics: Map<String, Value>,
    birth: Date,
    registered: Date,
    linkage: bool,
) -> Record {
    let c = &CANCERS[rng.random_range(0..CANCERS.len())];
    let mut r = Record::new(version, pid, Area::Cancer);
    let mut basics = basics;
    if linkage && rng.random_bool(0.6) {
        basics.insert(
            "cancer_registry_number".into(),
            Value::String(format!("JCR-{:08}", rng.random_range(0..100_000_000u32))),
        );
    }
    r.groups
        .insert("case_basics".into(), GroupData::One(basics));
    let earliest = birth + Duration::days(365 * 30);
    // diagnosed within the three years before enrolment (and as an adult)
    let from = earliest
        .max(registered - Duration::days(3 * 365))
        .min(registered - Duration::days(400));
    let diagnosed = between(rng, from, registered - Duration::days(200));
    let stage = STAGES[rng.random_range(0..STAGES.len())];
    r.groups.insert(
        "diagnosis".into(),
        GroupData::One(obj(json!({
            "diagnosis_name": c.name,
            "icd10": c.icd10,
            "diagnosis_date": diagnosed.to_string(),
            "primary_site": c.site,
            "histology": c.histology,
            "tnm_edition": "8",
            "clinical_stage": stage,
        }))),
    );
    let smoking = pick(rng, &["never", "former", "current"]);
    let mut bg = obj(json!({
        "smoking_status": smoking,
        "alcohol": pick(rng, &["never", "former", "current"]),
        "ecog_ps": pick(rng, &["0", "1", "2"]),
        "height": rng.random_range(145..185),
        "weight": rng.random_range(40..95),
    }));
    if smoking != "never" {
        bg.insert("pack_years".into(), json!(rng.random_range(5..60)));
    }
    r.groups.insert("background".into(), GroupData::One(bg));
    let mut lines = Vec::new();
    let mut start = diagnosed + Duration::days(rng.random_range(7..40));
    if c.surgery {
        lines.push(obj(json!({
            "treatment_type": "surgery", "intent": "curative", "start_date": start.to_string(), "end_date": start.to_string()
        })));
        start += Duration::days(rng.random_range(30..60));
    }
    let end = start + Duration::days(rng.random_range(60..150));
    lines.push(obj(json!({
        "treatment_type": "drug", "line": 1, "intent": if c.surgery { "adjuvant" } else { "palliative" },
        "regimen": c.regimen, "drugs": c.drugs, "start_date": start.to_string(), "end_date": end.min(registered).to_string()
    })));
    r.groups.insert("treatment".into(), GroupData::Many(lines));
    if rng.random_bool(0.3) {
        let term = [
            "好中球数減少",
            "発熱性好中球減少症",
            "下痢",
            "間質性肺疾患",
            "末梢性感覚ニューロパチー",
        ][rng.random_range(0..5)];
        r.groups.insert(
            "adverse_events".into(),
            GroupData::Many(vec![obj(json!({
                "ctcae_term": term,
                "grade": pick(rng, &["3", "3", "4"]),
                "onset_date": between(rng, start, end.min(registered)).to_string(),
                "treatment_line": 1,
            }))]),
        );
    }
    r.groups.insert(
        "course".into(),
        GroupData::One(obj(json!({
            "best_response": pick(rng, &["CR", "PR", "PR", "SD", "PD"]),
            "outcome": "alive",
            "last_contact_date": registered.to_string(),
        }))),
    );
    r
}

fn rare_record(
    rng: &mut ChaCha8Rng,
    version: &str,
    pid: &str,
    basics: Map<String, Value>,
    birth: Date,
    registered: Date,
) -> Record {
    let x = &RARE[rng.random_range(0..RARE.len())];
    let mut r = Record::new(version, pid, Area::RareDisease);
    r.groups
        .insert("case_basics".into(), GroupData::One(basics));
    let diagnosed = between(rng, birth, registered - Duration::days(30));
    r.groups.insert(
        "diagnosis".into(),
        GroupData::One(obj(json!({
            "diagnosis_name": x.name, "icd10": x.icd10, "diagnosis_date": diagnosed.to_string(),
        }))),
    );
    r.groups.insert(
        "clinical_survey".into(),
        GroupData::One(obj(json!({
            "designated_disease_number": x.designated,
            "severity": pick(rng, &["meets", "meets", "not_meets"]),
            "form_date": registered.to_string(),
            "subsidy_certified": rng.random_bool(0.7),
        }))),
    );
    let mut features: Vec<Map<String, Value>> = x
        .features
        .iter()
        .filter(|_| rng.random_bool(0.85))
        .map(|t| obj(json!({ "hpo_term": t, "onset": x.onset })))
        .collect();
    if features.is_empty() {
        features.push(obj(json!({ "hpo_term": x.features[0], "onset": x.onset })));
    }
    features.push(obj(json!({ "hpo_term": x.excluded, "excluded": true })));
    r.groups
        .insert("phenotypes".into(), GroupData::Many(features));
    r.groups.insert(
        "genetic_tests".into(),
        GroupData::Many(vec![obj(json!({
            "test_type": pick(rng, &["single_gene", "gene_panel", "exome"]),
            "result": pick(rng, &["negative", "vus", "pending"]),
            "gene": x.gene,
            "test_date": between(rng, diagnosed, registered).to_string(),
        }))]),
    );
    let sibling_affected = rng.random_bool(0.2);
    let mut pedigree = vec![
        obj(json!({ "relationship": "father", "affected_status": "unaffected" })),
        obj(json!({ "relationship": "mother", "affected_status": "unaffected" })),
    ];
    if sibling_affected {
        pedigree.push(obj(
            json!({ "relationship": "sibling", "affected_status": "affected" }),
        ));
    }
    r.groups
        .insert("pedigree".into(), GroupData::Many(pedigree));
    r
}

/// Fills the records of every facility's participants with consent in
/// force; returns how many were stored.
pub(crate) async fn fill(
    app: &App,
    seed: u64,
    submitters: &[(Actor, &str)],
) -> Result<usize, DemoError> {
    let mut rng = <ChaCha8Rng as rand::SeedableRng>::seed_from_u64(seed ^ 0xC11_1C41);
    let version = app
        .dictionaries()
        .latest()
        .map(|d| d.version.clone())
        .ok_or_else(|| DemoError::Unexpected("no clinical dictionary".into()))?;
    let mut stored = 0;
    for (actor, facility) in submitters {
        let mut subs = Vec::new();
        let mut offset = 0;
        loop {
            let (rows, total) = app
                .participants(
                    actor,
                    ParticipantQuery {
                        limit: Some(500),
                        offset: Some(offset),
                        ..Default::default()
                    },
                )
                .await?;
            offset += rows.len() as i64;
            let mut rows = rows;
            rows.sort_by(|a, b| a.participant.id.as_str().cmp(b.participant.id.as_str()));
            for row in rows {
                let p = &row.participant;
                let view = app.participant(actor, &p.id).await?;
                let ConsentState::Active(consent) = view.consent.current() else {
                    continue;
                };
                let registered = p.registered_at.date();
                let rare = p.disease_area == DiseaseArea::RareDisease;
                let age_years = if rare {
                    rng.random_range(2..40)
                } else {
                    rng.random_range(40..85)
                };
                let birth = registered - Duration::days(365 * age_years + rng.random_range(0..365));
                let birth = birth.replace_day(1).unwrap_or(birth);
                let sex = match p.sex {
                    Sex::Female => "female",
                    Sex::Male => "male",
                    Sex::Other => "other",
                    Sex::Unknown => "unknown",
                };
                let basics = obj(json!({
                    "sex": sex,
                    "birth_date": format!("{}-{:02}", birth.year(), birth.month() as u8),
                    "facility_code": facility,
                    "registration_date": registered.to_string(),
                    "consent_date": consent.given_at.date().min(registered).to_string(),
                }));
                let record = if rare {
                    rare_record(&mut rng, &version, p.id.as_str(), basics, birth, registered)
                } else {
                    cancer_record(
                        &mut rng,
                        &version,
                        p.id.as_str(),
                        basics,
                        birth,
                        registered,
                        consent.items.data_linkage,
                    )
                };
                subs.push(Submission::one(record));
            }
            if offset >= total || offset == 0 {
                break;
            }
        }
        if subs.is_empty() {
            continue;
        }
        let rows = app
            .submit_clinical_batch(actor, subs, Source::Demo)
            .await
            .map_err(|e| match e {
                zenome_app::AppError::Rejected { problems, .. } => DemoError::Unexpected(format!(
                    "the demo's clinical records were refused: {}",
                    problems
                        .iter()
                        .take(5)
                        .map(|p| format!(
                            "{} {}: {}",
                            p.participant.as_deref().unwrap_or(""),
                            p.path,
                            p.message_en
                        ))
                        .collect::<Vec<_>>()
                        .join("; ")
                )),
                other => other.into(),
            })?;
        stored += rows.len();
    }
    Ok(stored)
}
