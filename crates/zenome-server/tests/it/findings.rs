//! Annotation and actionability end to end (issue 10), on SQLite and
//! PostgreSQL: somatic calls loaded into the variant store are annotated and
//! matched when staff run annotation; a facility reads its patient's
//! findings (therapies with evidence levels, the knowledge base's version,
//! trials) and nobody else's; a knowledge-base update re-matches only the
//! patients the change can affect and lists whose findings changed and how;
//! a knowledge file of the wrong shape is refused by name and changes
//! nothing. The gene model, reference and knowledge files are the demo's
//! annotation kit (`zenome_demo::write_annotation_kit`).

use http::StatusCode;
use serde_json::{Value, json};
use zenome_app::Actor;

use crate::clinical::{cancer_record, submit_ok};
use crate::harness::Env;

const SEED: u64 = 11;

pub(crate) async fn env(engine: &str) -> Option<(Env, zenome_demo::AnnotationKit)> {
    let dir = tempfile::tempdir().unwrap();
    let kit = zenome_demo::write_annotation_kit(&dir.path().join("kit"), SEED).unwrap();
    let mut cfg = crate::harness::config();
    cfg.annotation = zenome_app::config::AnnotationConfig {
        gene_model: Some(kit.gene_model.clone()),
        reference: Some(kit.fasta.clone()),
        local_evidence: vec![kit.local_evidence.clone()],
        acmg_sf: Some(kit.acmg_sf.clone()),
        clinvar: Some(kit.clinvar.clone()),
        trials: Some(kit.trials.clone()),
        ..Default::default()
    };
    let store = match engine {
        "sqlite" => zenome_store::testing::fresh_sqlite(dir.path())
            .await
            .unwrap(),
        _ => zenome_store::testing::fresh_postgres().await?,
    };
    Some((crate::harness::env_full(store, dir, cfg).await, kit))
}

/// A cancer participant of TKY-UH (lung adenocarcinoma, born 1958) with the
/// kit's somatic change in `gene`.
pub(crate) async fn patient_with(e: &Env, gene: &str) -> String {
    let s = e.seeded_participant().await;
    submit_ok(e, &s.pid, cancer_record(&s.pid)).await;
    let path = e
        .app
        .config()
        .data_dir
        .join(format!("{gene}-{}.vcf", s.pid));
    std::fs::write(&path, zenome_demo::somatic_vcf(SEED, gene).unwrap()).unwrap();
    e.app
        .load_somatic_variants(&Actor::local(), &path, &s.pid)
        .await
        .unwrap();
    s.pid
}

fn therapy<'a>(f: &'a Value, gene: &str) -> &'a Value {
    f["therapies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["gene"] == gene)
        .unwrap_or_else(|| panic!("no {gene} therapy in {f}"))
}

async fn findings_follow_the_variants_and_the_knowledge(e: Env, kit: zenome_demo::AnnotationKit) {
    let egfr = patient_with(&e, "EGFR").await;
    let braf = patient_with(&e, "BRAF").await;
    // a third participant carries the BRCA1 frameshift in the germline
    let carrier = e.seeded_participant().await.pid;
    let path = e.app.config().data_dir.join("brca1.vcf");
    std::fs::write(&path, zenome_demo::germline_vcf(SEED, &carrier)).unwrap();
    e.app.load_variants(&Actor::local(), &path).await.unwrap();

    // before any run: no findings, no run
    let f = e
        .call(
            "GET",
            &format!("/api/v1/participants/{egfr}/findings"),
            Some("facility"),
            None,
        )
        .await;
    assert_eq!(f.status, StatusCode::OK, "{}", f.text);
    assert!(
        f.json["run"].is_null() && f.json["therapies"] == json!([]),
        "{}",
        f.text
    );

    // staff run annotation over everyone in the variant store
    let r = e
        .call(
            "POST",
            "/api/v1/annotation/runs",
            Some("staff"),
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["run"]["participants"], 3, "{}", r.text);
    assert_eq!(r.json["run"]["reason"], "requested");
    let added = &r.json["changed"][&egfr];
    assert!(
        added
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["change"] == "added" && c["kind"] == "therapy"),
        "{}",
        r.text
    );

    // the patient's facility reads the findings
    let f = e
        .call(
            "GET",
            &format!("/api/v1/participants/{egfr}/findings"),
            Some("facility"),
            None,
        )
        .await;
    assert_eq!(f.status, StatusCode::OK, "{}", f.text);
    let v = &f.json["variants"][0];
    assert_eq!(v["gene"], "EGFR");
    assert_eq!(v["consequences"], json!(["missense_variant"]));
    assert!(
        v["hgvsp"].as_str().unwrap().ends_with(":p.Leu858Arg"),
        "{v}"
    );
    assert!(v["hgvsc"].as_str().unwrap().contains(":c.2573T>G"), "{v}");
    let t = therapy(&f.json, "EGFR");
    assert_eq!(t["therapies"], json!(["Osimertinib"]));
    assert_eq!(t["level"], "A");
    assert_eq!(t["amp"], "Tier I - Level A");
    assert_eq!(t["context"], "patient_cancer_type", "{t}");
    assert!(
        t["kb"].as_str().unwrap().starts_with("local-evidence@"),
        "{t}"
    );
    let run = &f.json["run"];
    assert!(
        run["gene_model"]
            .as_str()
            .unwrap()
            .starts_with("demo-genes.gff3@sha256:"),
        "{run}"
    );
    assert!(
        run["knowledge"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k == "acmg-sf@3.1"),
        "{run}"
    );
    assert!(
        run["code_version"].as_str().unwrap().starts_with("zenome "),
        "{run}"
    );
    // no consent answer for secondary findings was given: false
    assert_eq!(f.json["wants_secondary_findings"], false, "{}", f.text);

    // scope: another facility sees nothing, a researcher may not ask
    for (who, status) in [
        (Some("facility_other"), StatusCode::NOT_FOUND),
        (Some("academic"), StatusCode::FORBIDDEN),
        (Some("centre"), StatusCode::FORBIDDEN),
        (None, StatusCode::UNAUTHORIZED),
    ] {
        let r = e
            .call(
                "GET",
                &format!("/api/v1/participants/{egfr}/findings"),
                who,
                None,
            )
            .await;
        assert_eq!(r.status, status, "{who:?}: {}", r.text);
    }

    // trials: the BRAF patient (68, V600E) is eligible for the V600 basket;
    // industry sees the count, staff and the own facility the patient
    let find = |v: &Value| -> Value {
        v.as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == "DEMO-BRAF-V600-BASKET")
            .cloned()
            .unwrap()
    };
    let industry = e
        .call("GET", "/api/v1/trials", Some("industry"), None)
        .await;
    assert_eq!(industry.status, StatusCode::OK, "{}", industry.text);
    let t = find(&industry.json);
    assert_eq!(
        (t["eligible"].clone(), t["patients"].clone()),
        (json!(1), json!([])),
        "{t}"
    );
    let t = find(
        &e.call("GET", "/api/v1/trials", Some("staff"), None)
            .await
            .json,
    );
    assert_eq!(t["patients"], json!([braf]), "{t}");
    let t = find(
        &e.call("GET", "/api/v1/trials", Some("facility_other"), None)
            .await
            .json,
    );
    assert_eq!(
        (t["eligible"].clone(), t["patients"].clone()),
        (json!(1), json!([])),
        "{t}"
    );
    let f = e
        .call(
            "GET",
            &format!("/api/v1/participants/{braf}/findings"),
            Some("staff"),
            None,
        )
        .await;
    assert!(
        f.json["trials"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == "DEMO-BRAF-V600-BASKET"),
        "{}",
        f.text
    );

    // the variant browser's API and Beacon records carry the consequence on
    // the canonical transcript; a Beacon record stays valid v2
    let q = "/api/v1/variants/frequencies?region=demo_genes:1-40000&origin=somatic";
    let r = e.call("GET", q, Some("staff"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let egfr_allele = r.json["alleles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["consequence"]["gene"] == "EGFR")
        .unwrap_or_else(|| panic!("{}", r.text))
        .clone();
    assert_eq!(
        egfr_allele["consequence"]["terms"],
        json!(["missense_variant"])
    );
    assert!(
        egfr_allele["consequence"]["hgvsp"]
            .as_str()
            .unwrap()
            .ends_with("p.Leu858Arg")
    );
    let r = e
        .call(
            "GET",
            "/api/g_variants?referenceName=demo_genes&start=0&end=40000&requestedGranularity=record",
            Some("staff"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let rec = &r.json["response"]["resultSets"][0]["results"][0];
    crate::beacon::validate(
        "models/json/beacon-v2-default-model/genomicVariations/defaultSchema.json",
        rec,
    );
    assert_eq!(
        rec["molecularAttributes"]["geneIds"],
        json!(["BRCA1"]),
        "{rec}"
    );
    assert_eq!(
        rec["molecularAttributes"]["molecularEffects"][0],
        json!({"id": "SO:0001589", "label": "frameshift_variant"}),
        "{rec}"
    );
    assert!(
        rec["identifiers"]["transcriptHGVSIds"][0]
            .as_str()
            .unwrap()
            .ends_with("c.68_69del"),
        "{rec}"
    );

    // staff enter a trial; it is matched at once, and an id is never reused
    let trial = json!({
        "id": "jRCT-TEST-EGFR",
        "title": "第三世代EGFR阻害薬の後治療（試験用）",
        "cancer_types": ["C34"],
        "biomarkers": [{"gene": "EGFR", "variant": "L858R", "origin": "somatic"}],
        "min_age": 20
    });
    let r = e
        .call(
            "POST",
            "/api/v1/trials",
            Some("facility"),
            Some(trial.clone()),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let r = e
        .call("POST", "/api/v1/trials", Some("staff"), Some(trial.clone()))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(
        (r.json["eligible"].clone(), r.json["source"].clone()),
        (json!(1), json!("entered")),
        "{}",
        r.text
    );
    assert_eq!(r.json["patients"], json!([egfr]));
    let again = e
        .call("POST", "/api/v1/trials", Some("staff"), Some(trial.clone()))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    let mut file_id = trial.clone();
    file_id["id"] = json!("DEMO-BRAF-V600-BASKET");
    let r = e
        .call("POST", "/api/v1/trials", Some("staff"), Some(file_id))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    let mut bad = trial.clone();
    bad["id"] = json!("jRCT-BAD");
    bad["sex"] = json!("unknown");
    let r = e
        .call("POST", "/api/v1/trials", Some("staff"), Some(bad))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(
        r.text.contains("sex") && r.text.contains("expected any, female or male"),
        "{}",
        r.text
    );
    let f = e
        .call(
            "GET",
            &format!("/api/v1/participants/{egfr}/findings"),
            Some("facility"),
            None,
        )
        .await;
    assert!(
        f.json["trials"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == "jRCT-TEST-EGFR"),
        "{}",
        f.text
    );
    let r = e
        .call(
            "DELETE",
            "/api/v1/trials/jRCT-TEST-EGFR",
            Some("staff"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let listed = e.call("GET", "/api/v1/trials", Some("staff"), None).await;
    assert!(!listed.text.contains("jRCT-TEST-EGFR"), "{}", listed.text);
    let r = e
        .call(
            "DELETE",
            "/api/v1/trials/jRCT-TEST-EGFR",
            Some("staff"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    let r = e
        .call("POST", "/api/v1/trials", Some("staff"), Some(trial))
        .await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "a retired id is not reused: {}",
        r.text
    );

    // the local table is revised: EGFR L858R evidence goes from level A to B.
    // Only the EGFR patient is matched again, and the change is listed.
    let table = std::fs::read_to_string(&kit.local_evidence).unwrap();
    let revised: Vec<String> = table
        .lines()
        .map(|l| {
            if l.starts_with("EGFR\t") {
                let mut f: Vec<&str> = l.split('\t').collect();
                f[10] = "B";
                f.join("\t")
            } else {
                l.to_string()
            }
        })
        .collect();
    std::fs::write(&kit.local_evidence, revised.join("\n") + "\n").unwrap();
    let r = e
        .call("POST", "/api/v1/knowledge/refresh", Some("staff"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["run"]["reason"], "knowledge_update");
    assert_eq!(
        r.json["run"]["participants"], 1,
        "only the EGFR patient: {}",
        r.text
    );
    let changes = r.json["changed"][&egfr].as_array().unwrap().clone();
    assert!(
        changes.iter().any(|c| c["change"] == "changed"
            && c["before"].as_str().unwrap().contains("level A")
            && c["after"].as_str().unwrap().contains("level B")),
        "{}",
        r.text
    );
    assert!(r.json["changed"].get(&braf).is_none(), "{}", r.text);
    let f = e
        .call(
            "GET",
            &format!("/api/v1/participants/{egfr}/findings"),
            Some("facility"),
            None,
        )
        .await;
    assert_eq!(therapy(&f.json, "EGFR")["level"], "B", "{}", f.text);
    assert!(
        !f.json["changes"].as_array().unwrap().is_empty(),
        "{}",
        f.text
    );

    // a knowledge file of another shape is refused by name; nothing changes
    std::fs::write(&kit.acmg_sf, "gene\tinheritance\nBRCA1\tAD\n").unwrap();
    let r = e
        .call("POST", "/api/v1/knowledge/refresh", Some("staff"), None)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(
        r.text.contains("acmg_sf") && r.text.contains("hgnc_id"),
        "{}",
        r.text
    );
    let f = e
        .call(
            "GET",
            &format!("/api/v1/participants/{egfr}/findings"),
            Some("facility"),
            None,
        )
        .await;
    assert_eq!(therapy(&f.json, "EGFR")["level"], "B", "{}", f.text);

    // every run is listed for staff, and audited
    let runs = e
        .call("GET", "/api/v1/annotation/runs", Some("staff"), None)
        .await;
    assert_eq!(runs.json.as_array().unwrap().len(), 2, "{}", runs.text);
    let audit = e
        .call("GET", "/api/v1/audit?limit=200", Some("admin"), None)
        .await;
    assert_eq!(
        audit.text.matches("annotation.run").count(),
        2,
        "{}",
        audit.text
    );
}

#[tokio::test]
async fn sqlite_findings_follow_the_variants_and_the_knowledge() {
    let (e, kit) = env("sqlite").await.unwrap();
    findings_follow_the_variants_and_the_knowledge(e, kit).await;
}

#[tokio::test]
async fn postgres_findings_follow_the_variants_and_the_knowledge() {
    if let Some((e, kit)) = env("postgres").await {
        findings_follow_the_variants_and_the_knowledge(e, kit).await;
    }
}

/// Staff enter a trial through the portal form (CSRF-checked; biomarkers
/// one a line), the facility sees no form, and a bad age is named.
async fn staff_enter_a_trial_in_the_portal(e: Env) {
    let pid = patient_with(&e, "KRAS").await;
    e.app
        .run_annotation(&Actor::local(), "requested", None)
        .await
        .unwrap()
        .unwrap();
    let mut facility = crate::portal::Browser::new(&e);
    facility.login("facility", "sub.tky").await;
    let page = facility.get("/portal/trials").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(!page.text.contains("id=\"trial-form\""));
    let mut b = crate::portal::Browser::new(&e);
    b.login("staff", "staff").await;
    let page = b.get("/portal/trials").await;
    assert_eq!(
        page.text.matches("id=\"trial-form\"").count(),
        1,
        "{}",
        page.text
    );
    let title =
        &page.text[page.text.find("<title>").unwrap() + 7..page.text.find("</title>").unwrap()];
    assert!(!title.contains('<'), "the title holds text only: {title}");
    let csrf = crate::portal::csrf_of(&page.text);
    // no CSRF token: refused, nothing stored
    let r = b
        .post("/portal/trials", &[("id", "jRCT-NOCSRF"), ("title", "x")])
        .await;
    assert_ne!(r.status, StatusCode::SEE_OTHER);
    let form = [
        ("csrf", csrf.as_str()),
        ("id", "jRCT-KRAS-G12C"),
        ("title", "KRAS G12C阻害薬（ポータル登録）"),
        ("cancer_types", "C34、NSCLC"),
        ("biomarkers", "KRAS G12C somatic\n"),
        ("min_age", "20"),
        ("max_age", ""),
        ("sex", "any"),
        ("prior_therapy_required", ""),
        ("prior_therapy_excluded", ""),
    ];
    let r = b.post("/portal/trials", &form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let page = b.get("/portal/trials").await;
    assert!(
        page.text.contains("jRCT-KRAS-G12C") && page.text.contains(&pid),
        "{}",
        page.text
    );
    let mut bad = form;
    bad[1] = ("id", "jRCT-AGE");
    bad[5] = ("min_age", "二十");
    let r = b.post("/portal/trials", &bad).await;
    assert!(r.text.contains("min_age"), "{}", r.text);
    assert!(!b.get("/portal/trials").await.text.contains("jRCT-AGE"));
}

#[tokio::test]
async fn sqlite_staff_enter_a_trial_in_the_portal() {
    let (e, _kit) = env("sqlite").await.unwrap();
    staff_enter_a_trial_in_the_portal(e).await;
}

/// What an outside reviewer tries: the same run twice changes nothing; a
/// parallel burst of runs, findings reads and trial listings from several
/// roles answers without a 5xx and leaves the findings as one run makes
/// them; a trial id with multi-byte characters is entered, read and retired.
async fn runs_twice_in_a_burst_and_multibyte_ids_change_nothing(e: Env) {
    let egfr = patient_with(&e, "EGFR").await;
    let read = |who| {
        let e = &e;
        let uri = format!("/api/v1/participants/{egfr}/findings");
        async move { e.call("GET", &uri, Some(who), None).await }
    };
    let first = e
        .call(
            "POST",
            "/api/v1/annotation/runs",
            Some("staff"),
            Some(json!({})),
        )
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let before = read("facility").await.json;
    // the same run again: nothing changes
    let again = e
        .call(
            "POST",
            "/api/v1/annotation/runs",
            Some("staff"),
            Some(json!({})),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    assert_eq!(again.json["run"]["changed"], 0, "{}", again.text);
    assert_eq!(again.json["changed"], json!({}), "{}", again.text);
    let after = read("facility").await.json;
    assert_eq!(before["therapies"], after["therapies"]);
    assert_eq!(before["variants"], after["variants"]);
    // a parallel burst on the same endpoints
    let calls = (0..30).map(|i| {
        let e = &e;
        let egfr = egfr.clone();
        async move {
            match i % 3 {
                0 => {
                    e.call(
                        "POST",
                        "/api/v1/annotation/runs",
                        Some("staff"),
                        Some(json!({})),
                    )
                    .await
                }
                1 => {
                    e.call(
                        "GET",
                        &format!("/api/v1/participants/{egfr}/findings"),
                        Some("facility"),
                        None,
                    )
                    .await
                }
                _ => {
                    e.call("GET", "/api/v1/trials", Some("industry"), None)
                        .await
                }
            }
        }
    });
    for r in futures_util::future::join_all(calls).await {
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    let runs = e
        .call("GET", "/api/v1/annotation/runs", Some("staff"), None)
        .await;
    assert_eq!(runs.json.as_array().unwrap().len(), 12, "{}", runs.text);
    assert!(
        runs.json.as_array().unwrap()[..11]
            .iter()
            .all(|r| r["changed"] == 0),
        "{}",
        runs.text
    );
    assert_eq!(
        read("facility").await.json["therapies"],
        before["therapies"]
    );
    // multi-byte characters in a trial id: entered, matched, retired
    let id = "jRCT-試験-１";
    let r = e
        .call(
            "POST",
            "/api/v1/trials",
            Some("staff"),
            Some(json!({"id": id, "title": "多バイト試験", "biomarkers": [{"gene": "EGFR"}]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json["id"], id);
    assert_eq!(r.json["patients"], json!([egfr]));
    let path = format!(
        "/api/v1/trials/{}",
        id.bytes()
            .map(|b| if b.is_ascii_alphanumeric() || b == b'-' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            })
            .collect::<String>()
    );
    let r = e.call("DELETE", &path, Some("staff"), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);

    // a stop between a load and its annotation run: the next start-up
    // annotates the participant whose findings are older than its batch
    let path = e.app.config().data_dir.join("later-germline.vcf");
    std::fs::write(&path, zenome_demo::germline_vcf(SEED, &egfr)).unwrap();
    e.app.load_variants(&Actor::local(), &path).await.unwrap();
    let runs_before = e.app.store().annotation_runs().await.unwrap().len();
    e.app.annotate_unannotated().await.unwrap();
    let f = read("staff").await.json;
    assert_eq!(f["secondary_findings"][0]["gene"], "BRCA1", "{f}");
    assert_eq!(
        e.app.store().annotation_runs().await.unwrap().len(),
        runs_before + 1
    );
    // …and only once
    e.app.annotate_unannotated().await.unwrap();
    assert_eq!(
        e.app.store().annotation_runs().await.unwrap().len(),
        runs_before + 1
    );
}

#[tokio::test]
async fn sqlite_runs_twice_in_a_burst_and_multibyte_ids_change_nothing() {
    let (e, _kit) = env("sqlite").await.unwrap();
    runs_twice_in_a_burst_and_multibyte_ids_change_nothing(e).await;
}

#[tokio::test]
async fn postgres_runs_twice_in_a_burst_and_multibyte_ids_change_nothing() {
    if let Some((e, _kit)) = env("postgres").await {
        runs_twice_in_a_burst_and_multibyte_ids_change_nothing(e).await;
    }
}
