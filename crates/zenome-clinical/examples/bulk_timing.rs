//! Times parsing and validating 10,000 cancer records (JSON) and a 10,000-row
//! treatment CSV: `cargo run --release -p zenome-clinical --example bulk_timing`.

use std::time::Instant;

use serde_json::json;
use zenome_clinical::bulk;
use zenome_clinical::{Area, Context, Dictionaries, Hpo, validate};
use zenome_domain::id::ParticipantId;

fn main() {
    let dicts = Dictionaries::builtin();
    let hpo = Hpo::builtin();
    let ids: Vec<String> = (0..10_000)
        .map(|n| {
            ParticipantId::from_body(&format!("{n:08}"))
                .unwrap()
                .to_string()
        })
        .collect();
    let records: Vec<_> = ids
        .iter()
        .map(|p| {
            json!({"dictionary": "1", "participant": p, "area": "cancer", "groups": {
                "case_basics": {"sex": "female", "birth_date": "1960-02", "facility_code": "1310000001",
                                "registration_date": "2024-04-10", "consent_date": "2024-04-01"},
                "diagnosis": {"diagnosis_name": "大腸癌", "diagnosis_date": "2024-03-20",
                              "primary_site": "C18.7", "histology": "8140/3", "clinical_stage": "IIIB"},
                "background": {"smoking_status": "never", "ecog_ps": "0", "height": 158.0, "weight": 52.5},
                "treatment": [
                    {"treatment_type": "surgery", "start_date": "2024-04-20"},
                    {"treatment_type": "drug", "line": 1, "regimen": "CAPOX", "start_date": "2024-05-20", "end_date": "2024-10-01"}
                ],
                "course": {"best_response": "CR", "outcome": "alive", "last_contact_date": "2025-01-10"},
                "adverse_events": [{"ctcae_term": "Peripheral sensory neuropathy", "grade": "3", "onset_date": "2024-08-02"}]
            }})
        })
        .collect();
    let text = serde_json::to_vec(&records).unwrap();
    let t = Instant::now();
    let parsed = bulk::parse_json(&text).unwrap();
    let parse = t.elapsed();
    let ctx = Context::default();
    let problems: usize = parsed
        .iter()
        .map(|r| validate(&dicts, &hpo, r, &ctx).len())
        .sum();
    println!(
        "JSON: {} records, {} bytes: parse {:?}, parse+validate {:?}, {problems} problems",
        parsed.len(),
        text.len(),
        parse,
        t.elapsed()
    );

    let mut csv = String::from("participant,treatment_type,line,regimen,start_date,end_date\n");
    for p in &ids {
        csv.push_str(&format!("{p},drug,1,FOLFOX,2024-05-01,2024-09-30\n"));
    }
    let dict = dicts.get("1").unwrap();
    let group = dict.group("treatment").unwrap();
    let t = Instant::now();
    let rows = bulk::parse_csv(csv.as_bytes(), dict, "treatment", Area::Cancer).unwrap();
    let (records, _map) = bulk::records_from_csv(dict, Area::Cancer, group, rows);
    let problems: usize = records
        .iter()
        .map(|r| validate(&dicts, &hpo, r, &ctx).len())
        .sum();
    println!(
        "CSV: {} rows: parse+merge+validate {:?} ({problems} problems: the other required groups are absent)",
        records.len(),
        t.elapsed()
    );
}
