//! Integration tests of zenome-clinical: every validation rule, version
//! compatibility, bulk JSON/CSV (encodings, headers, a 10,000-row file), the row map,
//! the report, export to CSV and Parquet, and the full HPO release.

use std::collections::HashSet;
use std::path::PathBuf;

use serde_json::{Value, json};
use zenome_clinical::bulk::{self, BulkProblem};
use zenome_clinical::export;
use zenome_clinical::{Area, Context, Dictionaries, Hpo, Problem, Record, Rule, validate};
use zenome_domain::id::ParticipantId;

fn pid(n: u32) -> String {
    ParticipantId::from_body(&format!("{n:08}"))
        .unwrap()
        .to_string()
}

fn fixtures() -> (Dictionaries, Hpo) {
    (Dictionaries::builtin(), Hpo::builtin())
}

fn cancer(version: &str) -> Value {
    json!({
        "dictionary": version,
        "participant": pid(1),
        "area": "cancer",
        "groups": {
            "case_basics": {"sex": "male", "birth_date": "1958-04", "facility_code": "1310000001",
                            "registration_date": "2024-04-10", "consent_date": "2024-04-01"},
            "specimen": [
                {"specimen_id": "SP0001", "specimen_type": "tumor_tissue", "collection_date": "2024-04-15",
                 "preservation": "fresh_frozen", "tumor_cell_content": 60},
                {"specimen_id": "SP0002", "specimen_type": "peripheral_blood", "collection_date": "2024-04-15"}
            ],
            "diagnosis": {"diagnosis_name": "肺腺癌", "icd10": "C34.1", "diagnosis_date": "2024-03-20",
                          "primary_site": "C34.1", "histology": "8140/3", "tnm_edition": "8",
                          "clinical_tnm": "cT2aN2M0", "clinical_stage": "IIIA"},
            "background": {"smoking_status": "former", "pack_years": 30.5, "alcohol": "current",
                           "ecog_ps": "1", "height": 168.2, "weight": {"value": 61.0, "unit": "kg"}},
            "comorbidities": [{"comorbidity": "diabetes"}, {"comorbidity": "copd"}],
            "cancer_family_history": [{"relation": "father", "cancer_site": "C16.9", "age_at_diagnosis": 70}],
            "treatment": [
                {"treatment_type": "drug", "line": 1, "regimen": "CBDCA+PEM+Pembrolizumab",
                 "drugs": "carboplatin; pemetrexed; pembrolizumab", "start_date": "2024-04-20", "end_date": "2024-08-01"},
                {"treatment_type": "radiotherapy", "start_date": "2024-09-01"}
            ],
            "course": {"best_response": "PR", "outcome": "alive", "last_contact_date": "2025-01-10"},
            "adverse_events": [{"ctcae_term": "Neutrophil count decreased", "grade": "3", "onset_date": "2024-05-02", "treatment_line": 1}]
        }
    })
}

fn rare() -> Value {
    json!({
        "dictionary": "1",
        "participant": pid(2),
        "area": "rare_disease",
        "groups": {
            "case_basics": {"sex": "female", "birth_date": "2015-06-03", "facility_code": "2710000002",
                            "registration_date": "2024-05-01", "consent_date": "2024-04-25"},
            "diagnosis": {"diagnosis_name": "ドラベ症候群", "icd10": "G40.4", "diagnosis_date": "2016-01-12"},
            "pedigree": [
                {"relationship": "mother", "relative_participant": pid(3), "affected_status": "unaffected"},
                {"relationship": "father", "affected_status": "unaffected", "consanguinity": false}
            ],
            "genetic_tests": [{"test_type": "gene_panel", "result": "pathogenic", "gene": "SCN1A", "test_date": "2016-03-01"}],
            "clinical_survey": {"designated_disease_number": 140, "age_at_onset": 0, "severity": "meets",
                                "form_date": "2024-04-01", "subsidy_certified": true},
            "phenotypes": [
                {"hpo_term": "HP:0001250", "onset": "HP:0003593"},
                {"hpo_term": "HP:0001263", "onset": "HP:0011463"},
                {"hpo_term": "HP:0001251", "excluded": true}
            ]
        }
    })
}

fn record(v: Value) -> Record {
    serde_json::from_value(v).unwrap()
}

fn check(v: Value) -> Vec<Problem> {
    let (d, h) = fixtures();
    validate(&d, &h, &record(v), &Context::default())
}

fn only(problems: &[Problem], rule: Rule) -> &Problem {
    let matching: Vec<_> = problems.iter().filter(|p| p.rule == rule).collect();
    assert_eq!(matching.len(), 1, "{rule:?} in {problems:#?}");
    assert_eq!(problems.len(), 1, "{problems:#?}");
    matching[0]
}

fn set(v: &mut Value, pointer: &str, x: Value) {
    *v.pointer_mut(pointer)
        .unwrap_or_else(|| panic!("{pointer}")) = x;
}

fn insert(v: &mut Value, pointer: &str, key: &str, x: Value) {
    v.pointer_mut(pointer)
        .unwrap()
        .as_object_mut()
        .unwrap()
        .insert(key.into(), x);
}

fn remove(v: &mut Value, pointer: &str, key: &str) {
    v.pointer_mut(pointer)
        .unwrap()
        .as_object_mut()
        .unwrap()
        .remove(key);
}

#[test]
fn realistic_records_are_valid() {
    assert_eq!(check(cancer("1")), []);
    assert_eq!(check(cancer("2")), []);
    assert_eq!(check(rare()), []);
}

#[test]
fn unknown_dictionary_version() {
    let mut r = cancer("1");
    set(&mut r, "/dictionary", json!("9"));
    let p = check(r);
    let p = only(&p, Rule::UnknownDictionaryVersion);
    assert!(p.message_en.contains("1, 2"), "{}", p.message_en);
}

#[test]
fn malformed_participant_id() {
    let mut r = cancer("1");
    let mut bad = pid(1);
    bad.pop();
    bad.push('0');
    let bad = if bad == pid(1) {
        format!("{}1", &bad[..10])
    } else {
        bad
    };
    set(&mut r, "/participant", json!(bad));
    assert_eq!(
        only(&check(r), Rule::MalformedParticipantId).path,
        "participant"
    );
}

#[test]
fn group_not_for_area() {
    let mut r = cancer("1");
    insert(
        &mut r,
        "/groups",
        "phenotypes",
        json!([{"hpo_term": "HP:0001250"}]),
    );
    let p = check(r);
    let p = only(&p, Rule::GroupNotForArea);
    assert_eq!(p.path, "phenotypes");
    assert!(p.message_ja.contains("がん領域"), "{}", p.message_ja);
}

#[test]
fn item_not_for_area() {
    let mut r = rare();
    insert(&mut r, "/groups/diagnosis", "primary_site", json!("C34.1"));
    assert_eq!(
        only(&check(r), Rule::ItemNotForArea).path,
        "diagnosis.primary_site"
    );
}

#[test]
fn unknown_group_and_item() {
    let mut r = cancer("1");
    insert(&mut r, "/groups", "lifestyle", json!({"x": 1}));
    assert_eq!(only(&check(r), Rule::UnknownGroup).path, "lifestyle");
    let mut r = cancer("1");
    insert(&mut r, "/groups/diagnosis", "grade", json!("G2"));
    let p = check(r);
    let p = only(&p, Rule::UnknownItem);
    assert_eq!(
        (p.path.as_str(), p.item.as_deref()),
        ("diagnosis.grade", Some("grade"))
    );
}

#[test]
fn required_item_and_group_missing() {
    let mut r = cancer("1");
    remove(&mut r, "/groups/diagnosis", "primary_site");
    assert_eq!(
        only(&check(r), Rule::RequiredMissing).path,
        "diagnosis.primary_site"
    );
    // primary_site is a cancer item: not required for rare disease
    assert_eq!(check(rare()), []);
    let mut r = cancer("1");
    remove(&mut r, "/groups/treatment/1", "start_date");
    let p = check(r);
    let p = only(&p, Rule::RequiredMissing);
    assert_eq!(
        (p.path.as_str(), p.index),
        ("treatment[1].start_date", Some(1))
    );
    let mut r = cancer("1");
    remove(&mut r, "/groups", "case_basics");
    assert_eq!(only(&check(r), Rule::RequiredMissing).path, "case_basics");
}

#[test]
fn wrong_type_and_shape() {
    let mut r = cancer("1");
    set(&mut r, "/groups/background/height", json!("168"));
    assert_eq!(only(&check(r), Rule::WrongType).path, "background.height");
    let mut r = cancer("1");
    set(&mut r, "/groups/treatment/0/line", json!(1.5));
    assert_eq!(only(&check(r), Rule::WrongType).path, "treatment[0].line");
    let mut r = rare();
    set(&mut r, "/groups/phenotypes/2/excluded", json!("yes"));
    assert_eq!(
        only(&check(r), Rule::WrongType).path,
        "phenotypes[2].excluded"
    );
    let mut r = cancer("1");
    set(
        &mut r,
        "/groups/treatment",
        json!({"treatment_type": "drug", "start_date": "2024-04-20"}),
    );
    assert_eq!(only(&check(r), Rule::WrongShape).path, "treatment");
}

#[test]
fn number_out_of_range_and_wrong_unit() {
    let mut r = cancer("1");
    set(&mut r, "/groups/background/height", json!(1680));
    let p = check(r);
    let p = only(&p, Rule::OutOfRange);
    assert!(
        p.message_en.contains("between 30 and 250 cm"),
        "{}",
        p.message_en
    );
    let mut r = rare();
    set(
        &mut r,
        "/groups/clinical_survey/designated_disease_number",
        json!(349),
    );
    assert_eq!(
        only(&check(r), Rule::OutOfRange).path,
        "clinical_survey.designated_disease_number"
    );
    let mut r = cancer("1");
    set(
        &mut r,
        "/groups/background/weight",
        json!({"value": 134.5, "unit": "lb"}),
    );
    let p = check(r);
    let p = only(&p, Rule::WrongUnit);
    assert!(
        p.message_en.contains("kg") && p.message_en.contains("lb"),
        "{}",
        p.message_en
    );
}

#[test]
fn unknown_code_names_the_item_and_lists_the_codes() {
    let mut r = cancer("1");
    set(&mut r, "/groups/course/best_response", json!("MR"));
    let p = check(r);
    let p = only(&p, Rule::UnknownCode);
    assert_eq!(p.path, "course.best_response");
    assert!(p.message_en.contains("best_response"), "{}", p.message_en);
    assert!(
        p.message_en.contains("CR, PR, SD, PD, NE"),
        "{}",
        p.message_en
    );
    assert!(
        p.message_ja.contains("最良総合効果") && p.message_ja.contains("PR＝部分奏効"),
        "{}",
        p.message_ja
    );
    // grade 2 adverse events are not collected
    let mut r = cancer("1");
    set(&mut r, "/groups/adverse_events/0/grade", json!("2"));
    assert_eq!(
        only(&check(r), Rule::UnknownCode).path,
        "adverse_events[0].grade"
    );
}

#[test]
fn malformed_dates() {
    for bad in [
        "2024-02-30",
        "2024/04/20",
        "20240420",
        "2024-4-20",
        "2024-04",
    ] {
        let mut r = cancer("1");
        set(&mut r, "/groups/treatment/0/start_date", json!(bad));
        assert_eq!(
            only(&check(r), Rule::MalformedDate).path,
            "treatment[0].start_date",
            "{bad}"
        );
    }
    // birth date may be a month, but not a year alone
    let mut r = cancer("1");
    set(&mut r, "/groups/case_basics/birth_date", json!("1958"));
    assert_eq!(
        only(&check(r), Rule::MalformedDate).path,
        "case_basics.birth_date"
    );
}

#[test]
fn dates_out_of_order_name_both_items() {
    let mut r = cancer("1");
    set(
        &mut r,
        "/groups/treatment/1/start_date",
        json!("2024-03-01"),
    );
    let p = check(r);
    let p = only(&p, Rule::DateOrder);
    assert_eq!(p.path, "treatment[1].start_date");
    assert!(
        p.message_en.contains("diagnosis.diagnosis_date")
            && p.message_en.contains("treatment[1].start_date"),
        "{}",
        p.message_en
    );
    assert!(
        p.message_ja.contains("診断日") && p.message_ja.contains("開始日"),
        "{}",
        p.message_ja
    );

    let mut r = cancer("1");
    set(&mut r, "/groups/treatment/0/end_date", json!("2024-04-19"));
    let p = check(r);
    let p = only(&p, Rule::DateOrder);
    assert_eq!(p.path, "treatment[0].end_date");
    assert!(
        p.message_en.contains("treatment[0].start_date"),
        "{}",
        p.message_en
    );

    let mut r = cancer("1");
    set(&mut r, "/groups/case_basics/birth_date", json!("2024-05"));
    let p = check(r);
    assert!(p.iter().all(|p| p.rule == Rule::DateOrder), "{p:#?}");
    assert!(
        p.iter().any(|p| p.path == "diagnosis.diagnosis_date"
            && p.message_en.contains("case_basics.birth_date"))
    );

    // a month-only birth date in the month of diagnosis is not out of order
    let mut r = cancer("1");
    set(&mut r, "/groups/case_basics/birth_date", json!("2024-03"));
    assert_eq!(
        check(r)
            .iter()
            .filter(|p| p.path == "diagnosis.diagnosis_date")
            .count(),
        0
    );
}

#[test]
fn death_must_be_the_last_contact() {
    let mut r = cancer("1");
    set(&mut r, "/groups/course/outcome", json!("dead"));
    let p = check(r.clone());
    assert_eq!(only(&p, Rule::RequiredMissing).path, "course.death_date");
    insert(&mut r, "/groups/course", "death_date", json!("2025-01-09"));
    let p = check(r.clone());
    let p = only(&p, Rule::DatesDiffer);
    assert!(
        p.message_en.contains("course.last_contact_date"),
        "{}",
        p.message_en
    );
    set(&mut r, "/groups/course/death_date", json!("2025-01-10"));
    assert_eq!(check(r), []);
}

#[test]
fn hpo_terms_unknown_obsolete_and_outside_branch() {
    let phen = |term: &str| {
        let mut r = rare();
        set(&mut r, "/groups/phenotypes/0/hpo_term", json!(term));
        check(r)
    };
    let p = phen("HP:9999999");
    assert_eq!(
        only(&p, Rule::UnknownHpoTerm).path,
        "phenotypes[0].hpo_term"
    );
    let p = phen("HP:0000057");
    let p = only(&p, Rule::ObsoleteHpoTerm);
    assert!(
        p.message_en.contains("use HP:0008665 Clitoral hypertrophy"),
        "{}",
        p.message_en
    );
    assert!(p.message_ja.contains("HP:0008665"), "{}", p.message_ja);
    let p = phen("HP:0000489");
    let p = only(&p, Rule::ObsoleteHpoTerm);
    assert!(
        p.message_en.contains("consider HP:0100886") && p.message_en.contains("HP:0100887"),
        "{}",
        p.message_en
    );
    // an onset class is not a phenotypic abnormality
    assert_eq!(
        only(&phen("HP:0003577"), Rule::HpoTermOutsideBranch).path,
        "phenotypes[0].hpo_term"
    );
    assert_eq!(
        only(&phen("HP:1250"), Rule::MalformedHpoId).path,
        "phenotypes[0].hpo_term"
    );
    // an alt_id of a current phenotype term is accepted
    let hpo = Hpo::builtin();
    let alt = hpo
        .terms()
        .filter(|t| !t.is_obsolete && hpo.is_a(&t.id, "HP:0000118"))
        .flat_map(|t| t.alt_ids.iter())
        .find(|a| hpo.term(a).is_some_and(|t| t.id != **a))
        .cloned()
        .unwrap();
    assert_eq!(phen(&alt), []);
}

#[test]
fn an_alt_id_resolves_to_its_primary_term() {
    let hpo = Hpo::builtin();
    // (an id that is both another term's alt_id and a stanza of its own is that stanza)
    let is_primary = |id: &str| hpo.terms().any(|t| t.id == id);
    let (term, alt) = hpo
        .terms()
        .flat_map(|t| t.alt_ids.iter().map(move |a| (t, a)))
        .find(|(t, a)| !t.is_obsolete && !is_primary(a))
        .unwrap();
    assert_eq!(hpo.term(alt).unwrap().id, term.id);
}

#[test]
fn icdo3_codes_are_well_formed() {
    let mut r = cancer("1");
    set(&mut r, "/groups/diagnosis/primary_site", json!("C34"));
    assert_eq!(
        only(&check(r), Rule::MalformedTopography).path,
        "diagnosis.primary_site"
    );
    let mut r = cancer("1");
    set(
        &mut r,
        "/groups/cancer_family_history/0/cancer_site",
        json!("C81.0"),
    );
    assert_eq!(
        only(&check(r), Rule::MalformedTopography).path,
        "cancer_family_history[0].cancer_site"
    );
    let mut r = cancer("1");
    set(&mut r, "/groups/diagnosis/histology", json!("8140/5"));
    let p = check(r);
    let p = only(&p, Rule::MalformedMorphology);
    assert!(p.message_en.contains("8140/3"), "{}", p.message_en);
}

#[test]
fn linkage_items_need_linkage_consent() {
    let (d, h) = fixtures();
    let mut r = cancer("1");
    insert(
        &mut r,
        "/groups/case_basics",
        "cancer_registry_number",
        json!("1234567890"),
    );
    let rec = record(r);
    let p = validate(
        &d,
        &h,
        &rec,
        &Context {
            linkage_consent: false,
        },
    );
    let p = only(&p, Rule::LinkageConsentRequired);
    assert_eq!(p.path, "case_basics.cancer_registry_number");
    assert!(p.message_ja.contains("同意"), "{}", p.message_ja);
    assert_eq!(
        validate(
            &d,
            &h,
            &rec,
            &Context {
                linkage_consent: true
            }
        ),
        []
    );
}

#[test]
fn participant_refs_must_be_participant_ids() {
    let mut r = rare();
    let mut bad = pid(3);
    bad.replace_range(3..4, if &bad[3..4] == "1" { "2" } else { "1" });
    set(
        &mut r,
        "/groups/pedigree/0/relative_participant",
        json!(bad),
    );
    assert_eq!(
        only(&check(r), Rule::MalformedParticipantRef).path,
        "pedigree[0].relative_participant"
    );
    let mut r = rare();
    set(
        &mut r,
        "/groups/pedigree/0/relative_participant",
        json!(pid(3).to_lowercase()),
    );
    assert_eq!(
        only(&check(r), Rule::MalformedParticipantRef).index,
        Some(0)
    );
}

#[test]
fn versions_add_items_and_values_and_old_records_stay_valid() {
    // v2-only item and value are refused under v1, with a pointer to v2
    let mut r = cancer("1");
    insert(&mut r, "/groups/background", "karnofsky_ps", json!(80));
    let p = check(r.clone());
    let p = only(&p, Rule::UnknownItem);
    assert!(p.message_en.contains("version 2"), "{}", p.message_en);
    set(&mut r, "/dictionary", json!("2"));
    assert_eq!(check(r), []);

    let mut r = cancer("1");
    set(
        &mut r,
        "/groups/comorbidities/1/comorbidity",
        json!("dementia"),
    );
    assert_eq!(
        only(&check(r.clone()), Rule::UnknownCode).path,
        "comorbidities[1].comorbidity"
    );
    set(&mut r, "/dictionary", json!("2"));
    assert_eq!(check(r), []);

    // the v1 record remains valid under v1 while v2 exists
    assert_eq!(check(cancer("1")), []);
    // and every v1 group, item and code is still in v2
    let d = Dictionaries::builtin();
    let (v1, v2) = (d.get("1").unwrap(), d.get("2").unwrap());
    for g in &v1.groups {
        for i in &g.items {
            let i2 = v2.group(&g.id).and_then(|g2| g2.item(&i.id)).unwrap();
            for v in &i.values {
                assert!(i2.value(&v.code).is_some(), "{}.{}={}", g.id, i.id, v.code);
            }
        }
    }
}

#[test]
fn dictionaries_load_from_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("dictionary");
    let d = Dictionaries::load(&src).unwrap();
    assert_eq!(d.version_list(), "1, 2");
    std::fs::copy(src.join("v1.yaml"), dir.path().join("a.yaml")).unwrap();
    std::fs::copy(src.join("v1.yaml"), dir.path().join("b.yaml")).unwrap();
    let err = Dictionaries::load(dir.path()).unwrap_err();
    assert_eq!(err.to_string(), "dictionary version 1 is defined twice");
}

// ---- bulk JSON ----

#[test]
fn bulk_json_parses_and_names_line_and_column() {
    let text = serde_json::to_string_pretty(&json!([cancer("1"), rare()])).unwrap();
    let records = bulk::parse_json(text.as_bytes()).unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[1].area, Area::RareDisease);

    let broken =
        "[\n  {\"dictionary\": \"1\",\n   \"participant\": \"ZP\" \"area\": \"cancer\"}\n]";
    let p = bulk::parse_json(broken.as_bytes()).unwrap_err();
    assert_eq!(p.len(), 1);
    assert_eq!((p[0].rule, p[0].row), (Rule::MalformedJson, Some(3)));
    assert!(
        p[0].message_en.contains("line 3 column"),
        "{}",
        p[0].message_en
    );

    let wrong_area = "[{\"dictionary\": \"1\", \"participant\": \"x\",\n \"area\": \"oncology\"}]";
    let p = bulk::parse_json(wrong_area.as_bytes()).unwrap_err();
    assert_eq!(p[0].row, Some(2));
    assert!(p[0].message_en.contains("oncology"), "{}", p[0].message_en);
}

// ---- bulk CSV ----

fn parse(csv: &str, group: &str, area: Area) -> Result<Vec<bulk::CsvRow>, Vec<BulkProblem>> {
    let d = Dictionaries::builtin();
    bulk::parse_csv(csv.as_bytes(), d.get("1").unwrap(), group, area)
}

fn treatment_csv(n: usize) -> String {
    let mut s = String::from("participant,treatment_type,line,regimen,start_date,end_date\n");
    for i in 0..n {
        let p = pid(i as u32 / 2);
        s.push_str(&format!(
            "{p},drug,{},FOLFOX,2024-0{}-01,2024-0{}-28\n",
            i % 2 + 1,
            i % 2 + 3,
            i % 2 + 3
        ));
    }
    s
}

#[test]
fn a_10000_row_csv_with_one_bad_cell_gives_one_problem() {
    let mut csv = treatment_csv(10_000);
    let good = csv.clone();
    assert_eq!(
        parse(&good, "treatment", Area::Cancer).unwrap().len(),
        10_000
    );
    // data row 7,000 is line 7,001
    let line = 7_001;
    let start = csv.match_indices('\n').nth(line - 2).unwrap().0 + 1;
    let end = start + csv[start..].find('\n').unwrap();
    let fields: Vec<&str> = csv[start..end].split(',').collect();
    let bad = format!(
        "{},chemo,{},{},{},{}",
        fields[0], fields[2], fields[3], fields[4], fields[5]
    );
    csv.replace_range(start..end, &bad);
    let p = parse(&csv, "treatment", Area::Cancer).unwrap_err();
    assert_eq!(p.len(), 1, "{p:#?}");
    assert_eq!(p[0].row, Some(line));
    assert_eq!(p[0].item.as_deref(), Some("treatment_type"));
    assert_eq!(p[0].rule, Rule::UnknownCode);
    assert!(p[0].message_en.contains("\"chemo\""), "{}", p[0].message_en);
}

#[test]
fn csv_rows_merge_into_records_and_problems_map_back_to_rows() {
    let (d, h) = fixtures();
    let dict = d.get("1").unwrap();
    let group = dict.group("treatment").unwrap();
    let csv = format!(
        "participant,start_date,treatment_type,end_date\n{a},2024-01-01,drug,2024-02-01\n{b},2024-01-01,surgery,\n{a},2024-03-01,radiotherapy,2024-02-15\n",
        a = pid(10),
        b = pid(11)
    );
    let rows = bulk::parse_csv(csv.as_bytes(), dict, "treatment", Area::Cancer).unwrap();
    assert_eq!(rows[2].row, 4);
    let (records, map) = bulk::records_from_csv(dict, Area::Cancer, group, rows);
    assert_eq!(records.len(), 2);
    let a = records.iter().find(|r| r.participant == pid(10)).unwrap();
    let problems: Vec<_> = validate(&d, &h, a, &Context::default())
        .into_iter()
        .filter(|p| p.group.as_deref() == Some("treatment"))
        .collect();
    let p = only(&problems, Rule::DateOrder);
    assert_eq!(p.path, "treatment[1].end_date");
    assert_eq!(map.row_of(&a.participant, p), Some(4));
    let bulk_problems = map.bulk_problems(&a.participant, &problems);
    assert_eq!(bulk_problems[0].row, Some(4));
    let report = bulk::report_csv(&bulk_problems);
    let mut lines = report.lines();
    assert_eq!(
        lines.next(),
        Some("row,column,item,rule,message_ja,message_en")
    );
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("4,\"end_date\",\"end_date\",\"date_order\","),
        "{report}"
    );
    assert!(bulk::report_csv_for_excel(&bulk_problems).starts_with('\u{feff}'));
}

#[test]
fn a_report_defuses_cells_a_spreadsheet_would_run() {
    let csv = bulk::spreadsheet_csv(
        &["row", "value"],
        [
            [
                "2".to_string(),
                "=HYPERLINK(\"http://x\",\"y\")".to_string(),
            ],
            ["3".to_string(), "+1".to_string()],
            ["4".to_string(), "-2+3".to_string()],
            ["5".to_string(), "@SUM(A1)".to_string()],
            ["6".to_string(), "\t=1".to_string()],
            ["7".to_string(), "肺腺癌, \"stage\" IIIA".to_string()],
        ],
    );
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    let cells: Vec<String> = r.records().map(|x| x.unwrap()[1].to_string()).collect();
    assert_eq!(
        cells,
        [
            "'=HYPERLINK(\"http://x\",\"y\")",
            "'+1",
            "'-2+3",
            "'@SUM(A1)",
            "'\t=1",
            "肺腺癌, \"stage\" IIIA"
        ]
    );
    assert!(csv.starts_with("row,value\n2,\"'="), "{csv}");
}

#[test]
fn merge_group_puts_a_single_group_into_an_existing_record() {
    let d = Dictionaries::builtin();
    let dict = d.get("1").unwrap();
    let csv = format!(
        "participant,outcome,last_contact_date,best_response\n{},alive,2025-01-10,PR\n",
        pid(1)
    );
    let rows = bulk::parse_csv(csv.as_bytes(), dict, "course", Area::Cancer).unwrap();
    let mut r = record(cancer("1"));
    r.groups.remove("course");
    let map = bulk::merge_group(&mut r, dict.group("course").unwrap(), &rows);
    assert_eq!(r, record(cancer("1")));
    let p = Problem {
        path: "course.outcome".into(),
        group: Some("course".into()),
        index: None,
        item: Some("outcome".into()),
        rule: Rule::UnknownCode,
        message_en: String::new(),
        message_ja: String::new(),
    };
    assert_eq!(map.row_of(&pid(1), &p), Some(2));
}

#[test]
fn csv_cells_are_typed_from_the_dictionary() {
    let csv = format!(
        "participant,weight,height,smoking_status,pack_years\n{},６１．５,168 cm,former,\n",
        pid(1)
    );
    let rows = parse(&csv, "background", Area::Cancer).unwrap();
    assert_eq!(rows[0].values["weight"], json!(61.5));
    assert_eq!(rows[0].values["height"], json!(168.0));
    assert!(!rows[0].values.contains_key("pack_years"));
    let csv = format!("participant,weight\n{},135 lb\n", pid(1));
    let p = parse(&csv, "background", Area::Cancer).unwrap_err();
    assert_eq!(
        (p[0].rule, p[0].row, p[0].item.as_deref()),
        (Rule::WrongUnit, Some(2), Some("weight"))
    );
    let csv = format!("participant,weight\n{},heavy\n", pid(1));
    assert_eq!(
        parse(&csv, "background", Area::Cancer).unwrap_err()[0].rule,
        Rule::WrongType
    );
    let csv = format!(
        "participant,hpo_term,excluded\n{p},HP:0001250,はい\n{p},HP:0001263,false\n",
        p = pid(2)
    );
    let rows = parse(&csv, "phenotypes", Area::RareDisease).unwrap();
    assert_eq!(rows[0].values["excluded"], json!(true));
    assert_eq!(rows[1].values["excluded"], json!(false));
}

#[test]
fn csv_header_problems_are_precise() {
    let p = parse(
        "participant,treatment_typ,start_date\n",
        "treatment",
        Area::Cancer,
    )
    .unwrap_err();
    let rules: HashSet<_> = p
        .iter()
        .map(|p| (p.rule, p.column.clone().unwrap()))
        .collect();
    assert!(
        rules.contains(&(Rule::UnknownColumn, "treatment_typ".into())),
        "{p:#?}"
    );
    assert!(
        rules.contains(&(Rule::MissingColumn, "treatment_type".into())),
        "{p:#?}"
    );
    assert_eq!(p.len(), 2);
    assert!(p.iter().all(|p| p.row == Some(1)));
    let p = parse("treatment_type,start_date\n", "treatment", Area::Cancer).unwrap_err();
    assert_eq!(
        (p[0].rule, p[0].column.as_deref()),
        (Rule::MissingColumn, Some("participant"))
    );
    let p = parse(
        "participant,treatment_type,start_date,start_date\n",
        "treatment",
        Area::Cancer,
    )
    .unwrap_err();
    assert_eq!(p[0].rule, Rule::DuplicateColumn);
    let p = parse(
        "participant,diagnosis_name,diagnosis_date,primary_site\n",
        "diagnosis",
        Area::RareDisease,
    )
    .unwrap_err();
    assert_eq!(
        (p[0].rule, p[0].column.as_deref()),
        (Rule::ItemNotForArea, Some("primary_site"))
    );
    let p = parse("participant,hpo_term\n", "phenotypes", Area::Cancer).unwrap_err();
    assert_eq!(p[0].rule, Rule::GroupNotForArea);
}

#[test]
fn csv_row_problems_are_precise() {
    let csv = format!(
        "participant,treatment_type,start_date\n{a},drug,2024-01-01\nZP123,drug,2024-01-01\n{a},,2024-01-01\n{a},drug\n",
        a = pid(1)
    );
    let p = parse(&csv, "treatment", Area::Cancer).unwrap_err();
    let got: Vec<_> = p
        .iter()
        .map(|p| (p.row, p.rule, p.column.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            (Some(3), Rule::MalformedParticipantId, Some("participant")),
            (Some(4), Rule::RequiredMissing, Some("treatment_type")),
            (Some(5), Rule::MalformedCsv, None),
        ]
    );
    let csv = format!(
        "participant,outcome,last_contact_date\n{a},alive,2025-01-01\n{a},dead,2025-02-01\n",
        a = pid(1)
    );
    let p = parse(&csv, "course", Area::Cancer).unwrap_err();
    assert_eq!((p[0].rule, p[0].row), (Rule::DuplicateEntry, Some(3)));
    assert!(p[0].message_en.contains("line 2"), "{}", p[0].message_en);
}

#[test]
fn shift_jis_and_a_byte_order_mark_are_read_and_named() {
    let text = format!(
        "participant,diagnosis_name,diagnosis_date\n{},肺腺癌（右上葉）,2024-03-20\n",
        pid(1)
    );
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&text);
    assert!(!unmappable);
    let (decoded, enc) = bulk::decode(&bytes).unwrap();
    assert_eq!(
        (decoded.as_ref(), enc),
        (text.as_str(), bulk::TextEncoding::Cp932)
    );
    let d = Dictionaries::builtin();
    let rows =
        bulk::parse_csv(&bytes, d.get("1").unwrap(), "diagnosis", Area::RareDisease).unwrap();
    assert_eq!(rows.len(), 1);
    let with_bom = format!("\u{feff}{text}");
    let (decoded, enc) = bulk::decode(with_bom.as_bytes()).unwrap();
    assert_eq!(
        (decoded.as_ref(), enc),
        (text.as_str(), bulk::TextEncoding::Utf8Bom)
    );
    assert!(parse(&with_bom, "diagnosis", Area::RareDisease).is_ok());
    assert_eq!(
        bulk::detect(text.as_bytes()),
        Some(bulk::TextEncoding::Utf8)
    );
}

#[test]
fn other_encodings_are_refused_naming_the_byte() {
    let p = bulk::decode(b"participant\nZP\xff\xff\xff\n").unwrap_err();
    assert_eq!((p.rule, p.row), (Rule::NotUtf8, Some(2)));
    assert!(p.message_en.contains("offset 14"), "{}", p.message_en);
    // a broken byte after a byte-order mark is not taken for CP932
    let p = bulk::decode(b"\xEF\xBB\xBFparticipant\n\xff").unwrap_err();
    assert_eq!(p.rule, Rule::NotUtf8);
}

// ---- export ----

#[test]
fn export_tables_to_csv_and_parquet() {
    use parquet::file::reader::{FileReader, SerializedFileReader};

    let d = Dictionaries::builtin();
    let dict = d.get("2").unwrap();
    let records = vec![record(cancer("1")), record(cancer("2")), record(rare())];
    let tables = export::tables(dict, &records);
    assert_eq!(tables.len(), dict.groups.len());
    let treatment = tables.iter().find(|t| t.group == "treatment").unwrap();
    assert_eq!(
        &treatment.columns[..4],
        ["participant", "index", "treatment_type", "line"]
    );
    assert_eq!(treatment.rows.len(), 4);
    let csv = treatment.to_csv();
    assert!(
        csv.lines()
            .nth(1)
            .unwrap()
            .starts_with(&format!("{},0,drug,1,", pid(1))),
        "{csv}"
    );
    let background = tables.iter().find(|t| t.group == "background").unwrap();
    let w = background
        .columns
        .iter()
        .position(|c| c == "weight")
        .unwrap();
    assert_eq!(background.rows[0][w].as_deref(), Some("61.0"));

    for table in &tables {
        let bytes = table.to_parquet().unwrap();
        let reader = SerializedFileReader::new(bytes::Bytes::from(bytes)).unwrap();
        let meta = reader.metadata().file_metadata();
        assert_eq!(
            meta.num_rows() as usize,
            table.rows.len(),
            "{}",
            table.group
        );
        let names: Vec<_> = meta
            .schema_descr()
            .columns()
            .iter()
            .map(|c| c.name().to_owned())
            .collect();
        assert_eq!(names, table.columns);
        let mut got = Vec::new();
        for row in reader.get_row_iter(None).unwrap() {
            let row = row.unwrap();
            let cells: Vec<Option<String>> = row
                .get_column_iter()
                .map(|(_, f)| match f {
                    parquet::record::Field::Null => None,
                    parquet::record::Field::Str(s) => Some(s.clone()),
                    other => panic!("{other:?}"),
                })
                .collect();
            got.push(cells);
        }
        assert_eq!(got, table.rows, "{}", table.group);
    }
}

// ---- full HPO release ----

fn testdata() -> Option<PathBuf> {
    let dir = std::env::var_os("ZENOME_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    if dir.join("phenotype/hp.obo").exists() {
        Some(dir)
    } else if std::env::var_os("CI").is_some() {
        panic!(
            "test data missing at {} (set ZENOME_TESTDATA)",
            dir.display()
        );
    } else {
        eprintln!(
            "skipping: no test data at {} (set ZENOME_TESTDATA)",
            dir.display()
        );
        None
    }
}

#[test]
fn the_full_hpo_release_loads() {
    let Some(dir) = testdata() else { return };
    let file = std::fs::File::open(dir.join("phenotype/hp.obo")).unwrap();
    let hpo = Hpo::from_obo(std::io::BufReader::new(file)).unwrap();
    assert_eq!(hpo.len(), 19_484);
    assert_eq!(hpo.terms().filter(|t| t.is_obsolete).count(), 450);
    assert_eq!(hpo.data_version(), Some("hp/releases/2025-01-16"));
    let t = hpo.term("HP:0000057").unwrap();
    assert!(t.is_obsolete);
    assert_eq!(t.replaced_by.as_deref(), Some("HP:0008665"));
    assert_eq!(hpo.term("HP:0008665").unwrap().name, "Clitoral hypertrophy");
    // every term of the built-in subset is the same in the full release
    for sub in Hpo::builtin().terms() {
        assert_eq!(hpo.term(&sub.id).unwrap(), sub);
    }
}

#[test]
fn hpo_search_by_id_name_and_synonym() {
    let hpo = Hpo::builtin();
    let ids = |q: &str, n: usize| -> Vec<String> {
        hpo.search(q, n).iter().map(|t| t.id.clone()).collect()
    };
    // a name: the term whose name starts with it comes first
    assert_eq!(
        ids("seizure", 20).first().map(String::as_str),
        Some("HP:0001250")
    );
    // a synonym only ("Epilepsy" is a lay synonym of Seizure)
    assert!(ids("epilepsy", 50).contains(&"HP:0001250".to_string()));
    // an id, in any case, and an alt_id giving its primary term
    assert_eq!(
        ids("hp:0001250", 5).first().map(String::as_str),
        Some("HP:0001250")
    );
    assert_eq!(ids("HP:0001275", 1), ["HP:0001250"]);
    // every word must occur, in any order
    let both = hpo.search("delay developmental", 50);
    assert!(!both.is_empty());
    assert!(both.iter().all(|t| {
        let n = t.name.to_lowercase();
        let syn = t.synonyms.iter().any(|s| {
            let s = s.to_lowercase();
            s.contains("delay") && s.contains("developmental")
        });
        (n.contains("delay") && n.contains("developmental")) || syn
    }));
    // obsolete terms are never offered, the limit holds, nothing for nothing
    assert!(
        hpo.search("clitoromegaly", 50)
            .iter()
            .all(|t| !t.is_obsolete)
    );
    assert!(!ids("clitor", 50).contains(&"HP:0000057".to_string()));
    assert_eq!(hpo.search("a", 7).len(), 7);
    assert!(hpo.search("   ", 10).is_empty());
    assert!(hpo.search("zzzz-no-such-term", 10).is_empty());
    // synonyms are read from the file
    let seizure = hpo.term("HP:0001250").unwrap();
    assert!(
        seizure.synonyms.iter().any(|s| s == "Epilepsy"),
        "{:?}",
        seizure.synonyms
    );
}

// ---- arbitrary input: no panic ----

mod arbitrary_input {
    use proptest::prelude::*;
    use zenome_clinical::bulk;
    use zenome_clinical::{Area, Dictionaries};

    fn config() -> ProptestConfig {
        ProptestConfig {
            cases: 2000,
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    }

    fn cell() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "[0-9.+eE-]{0,6}[^0-9]{0,3}",
            "[0-9]{4}-[0-9]{2}(-[0-9]{2})?.{0,2}",
            "HP:[0-9º]{0,8}",
            Just("0º0000".to_string()),
        ]
    }

    fn dicts() -> &'static Dictionaries {
        static D: std::sync::OnceLock<Dictionaries> = std::sync::OnceLock::new();
        D.get_or_init(Dictionaries::builtin)
    }

    fn quoted(s: &str) -> String {
        format!("\"{}\"", s.replace('"', "\"\""))
    }

    proptest! {
        #![proptest_config(config())]

        /// Every group of every dictionary version, in both areas, with
        /// arbitrary Unicode in every cell (and the participant column).
        #[test]
        fn bulk_csv_cells_never_panic(
            version in 0usize..8,
            group in 0usize..64,
            rare in any::<bool>(),
            cells in proptest::collection::vec(cell(), 1..24),
        ) {
            let versions: Vec<_> = dicts().iter().collect();
            let dict = versions[version % versions.len()];
            let g = &dict.groups[group % dict.groups.len()];
            let area = if rare { Area::RareDisease } else { Area::Cancer };
            let mut csv = String::from("participant");
            for item in &g.items {
                csv.push(',');
                csv.push_str(&item.id);
            }
            csv.push('\n');
            for row in cells.chunks(g.items.len() + 1) {
                let line: Vec<String> = row.iter().map(|c| quoted(c)).collect();
                csv.push_str(&line.join(","));
                csv.push('\n');
            }
            let _ = bulk::parse_csv(csv.as_bytes(), dict, &g.id, area);
        }

        #[test]
        fn bulk_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let dict = dicts().iter().next().unwrap();
            let _ = bulk::decode(&bytes);
            let _ = bulk::parse_json(&bytes);
            for g in &dict.groups {
                let _ = bulk::parse_csv(&bytes, dict, &g.id, Area::Cancer);
            }
        }
    }
}
