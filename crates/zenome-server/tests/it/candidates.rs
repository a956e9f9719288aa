//! Rare-disease candidate diagnoses end to end (issue 12, item 4), on
//! SQLite and PostgreSQL: a facility records a patient's phenotypes, the
//! patient's germline VCF is loaded into the variant store, and the API
//! ranks the causal gene first with its evidence; the ranking follows the
//! cohort (the same change in other consented participants makes it
//! common and drops it; their withdrawal brings it back) and the record
//! (new terms, new ranking); each role gets what it may, and what is
//! missing is named, never answered with an empty ranking. The gene
//! model, reference and HPO knowledge are the demo kit's.

use http::StatusCode;
use serde_json::{Value, json};
use zenome_app::Actor;

use crate::clinical::{enrolled, submit_ok};
use crate::harness::Env;

const SEED: u64 = 11;

pub(crate) async fn env(engine: &str) -> Option<Env> {
    let dir = tempfile::tempdir().unwrap();
    let kit = zenome_demo::write_annotation_kit(&dir.path().join("kit"), SEED).unwrap();
    let mut cfg = crate::harness::config();
    cfg.annotation = zenome_app::config::AnnotationConfig {
        gene_model: Some(kit.gene_model.clone()),
        reference: Some(kit.fasta.clone()),
        clinvar: Some(kit.clinvar.clone()),
        ..Default::default()
    };
    cfg.prioritise = zenome_app::config::PrioritiseConfig {
        hpo: Some(kit.hpo.clone()),
        genes_to_phenotype: Some(kit.genes_to_phenotype.clone()),
    };
    let store = match engine {
        "sqlite" => zenome_store::testing::fresh_sqlite(dir.path())
            .await
            .unwrap(),
        _ => zenome_store::testing::fresh_postgres().await?,
    };
    Some(crate::harness::env_full(store, dir, cfg).await)
}

/// A rare-disease record with `terms` observed (and intellectual
/// disability recorded as absent).
pub(crate) fn record(pid: &str, terms: &[&str]) -> Value {
    let mut phenotypes: Vec<Value> = terms
        .iter()
        .map(|t| json!({"hpo_term": t, "onset": "HP:0011463"}))
        .collect();
    phenotypes.push(json!({"hpo_term": "HP:0001249", "excluded": true}));
    json!({
        "dictionary": "2",
        "participant": pid,
        "area": "rare_disease",
        "groups": {
            "case_basics": {"sex": "female", "birth_date": "2012-02-14", "facility_code": "1310000001",
                            "registration_date": "2024-05-01", "consent_date": "2024-04-25"},
            "diagnosis": {"diagnosis_name": "マルファン症候群の疑い", "icd10": "Q87.4", "diagnosis_date": "2020-01-12"},
            "phenotypes": phenotypes
        }
    })
}

/// Marfan syndrome's features: arachnodactyly, scoliosis, tall stature,
/// myopia.
pub(crate) const MARFAN: [&str; 4] = ["HP:0001166", "HP:0002650", "HP:0000098", "HP:0000545"];

pub(crate) async fn load(e: &Env, gene: &str, sample: &str) {
    let path = e
        .app
        .config()
        .data_dir
        .join(format!("{gene}-{}.vcf", sample.len()));
    std::fs::write(
        &path,
        zenome_demo::rare_vcf_for(SEED, gene, sample).unwrap(),
    )
    .unwrap();
    e.app.load_variants(&Actor::local(), &path).await.unwrap();
}

fn uri(pid: &str) -> String {
    format!("/api/v1/participants/{pid}/candidates")
}

async fn the_causal_gene_is_ranked_first_and_follows_cohort_and_record(e: Env) {
    let pid = enrolled(&e, "rare_disease", true).await;

    // no record yet: nothing to rank from, and it says so
    let r = e.call("GET", &uri(&pid), Some("facility"), None).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(r.text.contains("HPO terms"), "{}", r.text);

    submit_ok(&e, &pid, record(&pid, &MARFAN)).await;
    // phenotypes but no genotypes: named
    let r = e.call("GET", &uri(&pid), Some("staff"), None).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(r.text.contains("germline calls"), "{}", r.text);

    load(&e, "FBN1", &pid).await;
    let r = e.call("GET", &uri(&pid), Some("facility"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let c = &r.json;
    let top = &c["genes"][0];
    assert_eq!(top["gene"], "FBN1", "{}", r.text);
    assert_eq!(top["rank"], 1);
    assert_eq!(top["inheritance"], "dominant", "{top}");
    assert!(
        top["gene_modes"]
            .as_array()
            .unwrap()
            .contains(&json!("autosomal_dominant"))
    );
    let v = &top["variants"][0];
    assert!(
        v["hgvsc"].as_str().unwrap().ends_with("c.2999del")
            && v["hgvsp"].as_str().unwrap().contains("fs")
            && v["consequence"]
                .as_str()
                .unwrap()
                .contains("frameshift_variant")
            && v["genotypes"] == json!(["heterozygous"]),
        "{v}"
    );
    // the evidence: the patient's arachnodactyly matches the gene's exactly
    assert!(
        top["matched_terms"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["patient_term"] == "HP:0001166" && m["gene_term"] == "HP:0001166"),
        "{top}"
    );
    assert_eq!(c["terms"].as_array().unwrap().len(), 4);
    assert_eq!(c["terms"][0]["label"], "Arachnodactyly");
    assert_eq!(c["excluded"], json!(["HP:0001249"]));
    assert_eq!(c["alleles_read"], 3, "{}", r.text);
    assert_eq!(c["sex"], "female");
    assert!(
        c["knowledge"].as_str().unwrap().contains("2025-01-16"),
        "{}",
        c["knowledge"]
    );
    assert_eq!(
        c["by_phenotype"].as_array().unwrap().len(),
        zenome_app::prioritise::BY_PHENOTYPE
    );

    // the same change in three other consented participants: common in the
    // cohort (the patient excluded), so no longer a candidate
    let mut others = Vec::new();
    for _ in 0..3 {
        let o = enrolled(&e, "rare_disease", true).await;
        load(&e, "FBN1", &o).await;
        others.push(o);
    }
    let r = e.call("GET", &uri(&pid), Some("staff"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(
        r.json["genes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["gene"] != "FBN1"),
        "{}",
        r.text
    );
    // they withdraw: their genotypes no longer count, the change is rare again
    for o in &others {
        let w = e
            .call(
                "POST",
                &format!("/api/v1/participants/{o}/consents"),
                Some("facility"),
                Some(json!({"action": "withdraw", "reason": "本人の申し出"})),
            )
            .await;
        assert_eq!(w.status, StatusCode::CREATED, "{}", w.text);
    }
    let r = e.call("GET", &uri(&pid), Some("staff"), None).await;
    assert_eq!(r.json["genes"][0]["gene"], "FBN1", "{}", r.text);

    // a new record version: the ranking follows it (NF1's café-au-lait
    // spots are no feature of FBN1's: its phenotype score falls)
    let before = r.json["genes"][0]["phenotype_score"].as_f64().unwrap();
    submit_ok(&e, &pid, record(&pid, &["HP:0000957"])).await;
    let r = e.call("GET", &uri(&pid), Some("staff"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["terms"][0]["id"], "HP:0000957");
    let fbn1 = r.json["genes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["gene"] == "FBN1");
    assert!(
        fbn1.is_none_or(|g| g["phenotype_score"].as_f64().unwrap() < before),
        "{}",
        r.text
    );

    // who may read: staff, the own facility and its clinician; another
    // facility does not see the patient; other roles are refused
    for (who, status) in [
        ("staff", 200),
        ("facility", 200),
        ("clinician", 200),
        ("facility_other", 404),
        ("academic", 403),
        ("industry", 403),
        ("dac", 403),
        ("admin", 403),
        ("centre", 403),
    ] {
        let r = e.call("GET", &uri(&pid), Some(who), None).await;
        assert_eq!(r.status.as_u16(), status, "{who}: {}", r.text);
    }
    let r = e.call("GET", &uri(&pid), None, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // a participant id with multi-byte characters: no such participant
    let r = e
        .call("GET", &uri("参加者%E2%80%8B"), Some("staff"), None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);

    // the patient's own withdrawal stops the ranking
    let w = e
        .call(
            "POST",
            &format!("/api/v1/participants/{pid}/consents"),
            Some("facility"),
            Some(json!({"action": "withdraw", "reason": "本人の申し出"})),
        )
        .await;
    assert_eq!(w.status, StatusCode::CREATED, "{}", w.text);
    let r = e.call("GET", &uri(&pid), Some("staff"), None).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(r.text.contains("consent"), "{}", r.text);
}

async fn clinvar_is_evidence_and_a_cancer_patient_is_named(e: Env) {
    // ClinVar's classification is part of a candidate's evidence
    let pid = enrolled(&e, "rare_disease", true).await;
    submit_ok(&e, &pid, record(&pid, &["HP:0001172", "HP:0007400"])).await;
    let path = e.app.config().data_dir.join("brca1.vcf");
    std::fs::write(&path, zenome_demo::germline_vcf(SEED, &pid)).unwrap();
    e.app.load_variants(&Actor::local(), &path).await.unwrap();
    let r = e.call("GET", &uri(&pid), Some("staff"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let brca1 = &r.json["genes"][0];
    assert_eq!(brca1["gene"], "BRCA1", "{}", r.text);
    assert_eq!(brca1["variants"][0]["clinvar"], "Pathogenic", "{brca1}");

    let s = e.seeded_participant().await;
    let r = e.call("GET", &uri(&s.pid), Some("staff"), None).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(r.text.contains("not a rare-disease case"), "{}", r.text);
}

#[tokio::test]
async fn sqlite_the_causal_gene_is_ranked_first_and_follows_cohort_and_record() {
    the_causal_gene_is_ranked_first_and_follows_cohort_and_record(env("sqlite").await.unwrap())
        .await;
}

#[tokio::test]
async fn postgres_the_causal_gene_is_ranked_first_and_follows_cohort_and_record() {
    if let Some(e) = env("postgres").await {
        the_causal_gene_is_ranked_first_and_follows_cohort_and_record(e).await;
    }
}

#[tokio::test]
async fn sqlite_a_cancer_patient_is_named() {
    clinvar_is_evidence_and_a_cancer_patient_is_named(env("sqlite").await.unwrap()).await;
}

#[tokio::test]
async fn postgres_a_cancer_patient_is_named() {
    if let Some(e) = env("postgres").await {
        clinvar_is_evidence_and_a_cancer_patient_is_named(e).await;
    }
}

/// A new release of the gene annotations is read on the next request: a
/// gene whose annotations are gone is no longer ranked; a malformed file is
/// refused naming it, and the ranking does not pretend otherwise.
#[tokio::test]
async fn a_changed_knowledge_file_re_ranks_without_a_restart() {
    use std::io::{Read, Write};
    let e = env("sqlite").await.unwrap();
    let pid = enrolled(&e, "rare_disease", true).await;
    submit_ok(&e, &pid, record(&pid, &MARFAN)).await;
    load(&e, "FBN1", &pid).await;
    let r = e.call("GET", &uri(&pid), Some("staff"), None).await;
    assert_eq!(r.json["genes"][0]["gene"], "FBN1", "{}", r.text);
    let g2p = e
        .app
        .config()
        .prioritise
        .genes_to_phenotype
        .clone()
        .unwrap();
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(&g2p).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let without: String = text
        .lines()
        .filter(|l| l.split('\t').nth(1) != Some("FBN1"))
        .map(|l| format!("{l}\n"))
        .collect();
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&g2p).unwrap(),
        flate2::Compression::fast(),
    );
    gz.write_all(without.as_bytes()).unwrap();
    gz.finish().unwrap();
    let r = e.call("GET", &uri(&pid), Some("staff"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(
        r.json["genes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["gene"] != "FBN1"),
        "{}",
        r.text
    );
    std::fs::write(&g2p, b"not gzip, not a table").unwrap();
    let r = e.call("GET", &uri(&pid), Some("staff"), None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("genes_to_phenotype"), "{}", r.text);
}

/// A genome on identity hold is not ranked (a swapped sample would rank
/// another person's variants): 409 naming the hold.
#[tokio::test]
async fn a_genome_on_identity_hold_is_not_ranked() {
    let e = env("sqlite").await.unwrap();
    let pid = enrolled(&e, "rare_disease", true).await;
    submit_ok(&e, &pid, record(&pid, &MARFAN)).await;
    load(&e, "FBN1", &pid).await;
    let node = |body: Value| {
        let e = &e;
        async move {
            let r = e
                .call(
                    "POST",
                    "/api/v1/lineage/nodes",
                    Some("facility"),
                    Some(body),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
            r.json["id"].as_str().unwrap().to_string()
        }
    };
    let specimen = node(json!({"kind": "specimen", "participant_id": pid, "specimen_type": "peripheral_blood", "collected_on": "2026-05-01"})).await;
    let extract =
        node(json!({"kind": "extract", "parent_id": specimen, "analyte": "dna", "yield_ng": 900}))
            .await;
    let library = node(
        json!({"kind": "library", "parent_id": extract, "strategy": "wgs", "centre": "SEQ-KZ"}),
    )
    .await;
    let r = e.call("GET", &uri(&pid), Some("staff"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let mut tx = e
        .app
        .store()
        .begin(zenome_store::AuditEntry::new(
            "system",
            "identity.hold",
            format!("node:{library}"),
        ))
        .await
        .unwrap();
    tx.open_identity_hold(&library, &pid).await.unwrap();
    tx.commit().await.unwrap();
    for who in ["staff", "facility"] {
        let r = e.call("GET", &uri(&pid), Some(who), None).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
        assert!(r.text.contains("identity check"), "{}", r.text);
    }
}

/// Without `[prioritise]` knowledge: 409 naming the setting.
#[tokio::test]
async fn without_knowledge_the_setting_is_named() {
    let e = crate::harness::env().await;
    let pid = enrolled(&e, "rare_disease", true).await;
    submit_ok(&e, &pid, record(&pid, &MARFAN)).await;
    let r = e.call("GET", &uri(&pid), Some("staff"), None).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(r.text.contains("[prioritise]"), "{}", r.text);
}

/// The portal page: the ranked gene, its change, the matched terms, the
/// chart, in Japanese; another facility gets 404.
#[tokio::test]
async fn the_portal_page_shows_the_ranking_with_its_evidence() {
    let e = env("sqlite").await.unwrap();
    let pid = enrolled(&e, "rare_disease", true).await;
    submit_ok(&e, &pid, record(&pid, &MARFAN)).await;
    load(&e, "FBN1", &pid).await;
    let mut b = crate::portal::Browser::new(&e);
    b.login("facility", "sub.tky").await;
    let r = b.get(&format!("/portal/participants/{pid}")).await;
    assert!(r.text.contains("id=\"candidates-link\""), "{}", r.text);
    b.get("/lang/ja?next=/portal").await;
    let r = b
        .get(&format!("/portal/participants/{pid}/candidates"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    for s in [
        "候補診断",
        "id=\"gene-FBN1\"",
        "c.2999del",
        "Arachnodactyly",
        "href=\"/hpo?q=HP:0001166\"",
        "<svg",
        "優性 (ヘテロ接合)",
    ] {
        assert!(r.text.contains(s), "{s} missing");
    }
    let mut other = crate::portal::Browser::new(&e);
    other.login("facility_other", "sub.osk").await;
    let r = other
        .get(&format!("/portal/participants/{pid}/candidates"))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
