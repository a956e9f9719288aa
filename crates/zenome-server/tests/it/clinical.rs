//! Clinical information end to end: records and their versions, every
//! refusal with its problem, bulk CSV/JSON all or nothing, roles and scopes,
//! consent gates, flat exports, and GA4GH Phenopackets (checked by our
//! validator and, where installed, by the official schema).

use std::io::Write;
use std::process::{Command, Stdio};

use axum::body::Body;
use http::{Request, StatusCode, header};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::access::{cohort, granted};
use crate::harness::{Env, Resp, give};

// ---------------------------------------------------------------- helpers

/// Registers a participant at TKY-UH and records consent (`linkage`: the
/// answer to data_linkage).
pub(crate) async fn enrolled(e: &Env, area: &str, linkage: bool) -> String {
    let r = e
        .call(
            "POST",
            "/api/v1/participants",
            Some("facility"),
            Some(json!({"disease_area": area})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let pid = r.json["id"].as_str().unwrap().to_string();
    let mut g = give();
    g["answers"]["data_linkage"] = json!(linkage);
    let r = e
        .call(
            "POST",
            &format!("/api/v1/participants/{pid}/consents"),
            Some("facility"),
            Some(g),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    pid
}

pub(crate) fn cancer_record(pid: &str) -> Value {
    json!({
        "dictionary": "2",
        "participant": pid,
        "area": "cancer",
        "groups": {
            "case_basics": {"sex": "male", "birth_date": "1958-04", "facility_code": "1310000001",
                            "registration_date": "2024-04-10", "consent_date": "2024-04-01"},
            "diagnosis": {"diagnosis_name": "肺腺癌", "icd10": "C34.1", "diagnosis_date": "2024-03-20",
                          "primary_site": "C34.1", "histology": "8140/3", "tnm_edition": "8",
                          "clinical_tnm": "cT2aN2M0", "clinical_stage": "IIIA"},
            "treatment": [
                {"treatment_type": "drug", "line": 1, "regimen": "CBDCA+PEM+Pembrolizumab",
                 "start_date": "2024-04-20", "end_date": "2024-08-01"}
            ]
        }
    })
}

pub(crate) fn rare_record(pid: &str) -> Value {
    json!({
        "dictionary": "2",
        "participant": pid,
        "area": "rare_disease",
        "groups": {
            "case_basics": {"sex": "female", "birth_date": "2015-06-03", "facility_code": "1310000001",
                            "registration_date": "2024-05-01", "consent_date": "2024-04-25"},
            "diagnosis": {"diagnosis_name": "ドラベ症候群", "icd10": "G40.4", "diagnosis_date": "2016-01-12"},
            "phenotypes": [
                {"hpo_term": "HP:0001250", "onset": "HP:0003593"},
                {"hpo_term": "HP:0001263", "onset": "HP:0011463"},
                {"hpo_term": "HP:0001251", "excluded": true}
            ]
        }
    })
}

fn clinical(pid: &str) -> String {
    format!("/api/v1/participants/{pid}/clinical")
}

async fn submit(e: &Env, who: &str, pid: &str, record: Value) -> Resp {
    e.call("POST", &clinical(pid), Some(who), Some(record))
        .await
}

pub(crate) async fn submit_ok(e: &Env, pid: &str, record: Value) -> i64 {
    let r = submit(e, "facility", pid, record).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.json["version"].as_i64().unwrap()
}

/// The latest stored version (as staff sees it), `None` when there is none.
async fn version(e: &Env, pid: &str) -> Option<i64> {
    let r = e.call("GET", &clinical(pid), Some("staff"), None).await;
    match r.status {
        StatusCode::OK => Some(r.json["version"].as_i64().unwrap()),
        StatusCode::NOT_FOUND => None,
        s => panic!("GET clinical: {s} {}", r.text),
    }
}

/// The problems of a 422 answer, after checking it is one.
fn errors(r: &Resp) -> Vec<Value> {
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    r.json["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors list: {}", r.text))
        .clone()
}

/// The one problem of a 422 answer.
fn only_error(r: &Resp) -> Value {
    let errs = errors(r);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    errs[0].clone()
}

/// Submits a refused record: 422, one problem with `rule`, and nothing
/// stored (the latest version and the audit trail are unchanged).
async fn refused(e: &Env, pid: &str, record: Value, rule: &str) -> Value {
    let before = (version(e, pid).await, e.snapshot().await);
    let r = submit(e, "facility", pid, record).await;
    let p = only_error(&r);
    assert_eq!(p["rule"], rule, "{p:#}");
    assert_eq!(p["participant"], pid, "{p:#}");
    assert_eq!((version(e, pid).await, e.snapshot().await), before);
    p
}

async fn raw(
    e: &Env,
    method: &str,
    uri: &str,
    who: Option<&str>,
    headers: &[(header::HeaderName, &str)],
    body: Vec<u8>,
) -> (StatusCode, http::HeaderMap, Vec<u8>) {
    let mut b = Request::builder().method(method).uri(uri);
    if let Some(w) = who {
        b = b.header(header::AUTHORIZATION, format!("Bearer {}", e.tokens[w]));
    }
    for (k, v) in headers {
        b = b.header(k, *v);
    }
    let resp = e
        .router
        .clone()
        .oneshot(b.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let h = resp.headers().clone();
    let bytes = axum::body::to_bytes(resp.into_body(), 64 * 1024 * 1024)
        .await
        .unwrap();
    (status, h, bytes.to_vec())
}

async fn bulk_csv(
    e: &Env,
    who: &str,
    group: &str,
    area: &str,
    body: Vec<u8>,
    accept_csv: bool,
) -> Resp {
    let mut b = Request::builder()
        .method("POST")
        .uri(format!("/api/v1/clinical/bulk?group={group}&area={area}"))
        .header(header::AUTHORIZATION, format!("Bearer {}", e.tokens[who]))
        .header(header::CONTENT_TYPE, "text/csv");
    if accept_csv {
        b = b.header(header::ACCEPT, "text/csv");
    }
    e.send(b.body(Body::from(body)).unwrap()).await
}

async fn bulk_json(e: &Env, records: Value) -> Resp {
    let req = Request::builder()
        .method("POST")
        .uri("/api/v1/clinical/bulk")
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", e.tokens["facility"]),
        )
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(records.to_string()))
        .unwrap();
    e.send(req).await
}

async fn export_csv(e: &Env, who: &str, group: &str, dataset: Option<&str>) -> Resp {
    let q = dataset.map(|d| format!("&dataset={d}")).unwrap_or_default();
    e.call(
        "GET",
        &format!("/api/v1/clinical/export/{group}?format=csv{q}"),
        Some(who),
        None,
    )
    .await
}

/// The participant column of a CSV export (header left out).
fn exported(r: &Resp) -> Vec<String> {
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.text
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().to_string())
        .collect()
}

async fn withdraw(e: &Env, pid: &str) {
    let r = e
        .call(
            "POST",
            &format!("/api/v1/participants/{pid}/consents"),
            Some("facility"),
            Some(json!({"action": "withdraw", "reason": "本人の申し出"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

/// Whether PyPI `phenopackets` (the official protobuf classes) imports;
/// panics under CI when it does not.
fn official_schema_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import phenopackets"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 package phenopackets missing under CI"
        );
        eprintln!("skipping the official schema: python3 -c 'import phenopackets' failed");
    }
    ok
}

/// Parses `text` as the official `phenopackets.<kind>` with protobuf's
/// `json_format.Parse`; Err with python's message when it refuses.
fn official_parse(kind: &str, text: &str) -> Result<(), String> {
    let script = format!(
        "import sys\nimport phenopackets\nfrom google.protobuf.json_format import Parse\nParse(sys.stdin.read(), phenopackets.{kind}())"
    );
    let mut child = Command::new("python3")
        .args(["-c", &script])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run python3");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

// ---------------------------------------------------------------- 1. records

async fn cancer_and_rare_disease_records_are_stored_as_versions(e: Env) {
    let cancer = enrolled(&e, "cancer", true).await;
    let rare = enrolled(&e, "rare_disease", true).await;
    assert_eq!(version(&e, &cancer).await, None);
    for (pid, record) in [
        (&cancer, cancer_record(&cancer)),
        (&rare, rare_record(&rare)),
    ] {
        let r = submit(&e, "facility", pid, record.clone()).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(r.json["version"], 1);
        let g = e.call("GET", &clinical(pid), Some("facility"), None).await;
        assert_eq!(g.status, StatusCode::OK, "{}", g.text);
        assert_eq!(g.json["version"], 1);
        assert_eq!(g.json["dictionary_version"], "2");
        assert_eq!(g.json["source"], "api");
        assert_eq!(g.json["submitted_by"], "user:sub.tky");
        assert_eq!(g.json["record"], record);
    }
    // a correction: version 2, and the history keeps both
    let mut fixed = cancer_record(&cancer);
    fixed["groups"]["diagnosis"]["clinical_stage"] = json!("IIIB");
    assert_eq!(submit_ok(&e, &cancer, fixed.clone()).await, 2);
    let g = e
        .call("GET", &clinical(&cancer), Some("facility"), None)
        .await;
    assert_eq!(g.json["version"], 2);
    assert_eq!(
        g.json["record"]["groups"]["diagnosis"]["clinical_stage"],
        "IIIB"
    );
    let h = e
        .call(
            "GET",
            &format!("/api/v1/participants/{cancer}/clinical/history"),
            Some("facility"),
            None,
        )
        .await;
    assert_eq!(h.status, StatusCode::OK, "{}", h.text);
    let versions: Vec<_> = h.json.as_array().unwrap().iter().collect();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["version"], 1);
    assert_eq!(versions[0]["record"], cancer_record(&cancer));
    assert_eq!(versions[1]["version"], 2);
    assert_eq!(versions[1]["record"], fixed);
    // the path and the record must name the same participant
    let r = submit(&e, "facility", &rare, cancer_record(&cancer)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(version(&e, &rare).await, Some(1));
}

// ---------------------------------------------------------------- 2. refusals

async fn an_unknown_code_is_refused_with_the_allowed_codes(e: Env) {
    let pid = enrolled(&e, "cancer", true).await;
    let mut r = cancer_record(&pid);
    r["groups"]["case_basics"]["sex"] = json!("M");
    let p = refused(&e, &pid, r, "unknown_code").await;
    assert_eq!(p["path"], "case_basics.sex");
    assert_eq!(p["item"], "sex");
    let en = p["message_en"].as_str().unwrap();
    assert!(en.contains("male, female, other, unknown"), "{en}");
    assert!(
        p["message_ja"].as_str().unwrap().contains("female＝女性"),
        "{p}"
    );
    assert_eq!(version(&e, &pid).await, None, "nothing stored");
    // the same code after a first version: the first version stays
    submit_ok(&e, &pid, cancer_record(&pid)).await;
    let mut r = cancer_record(&pid);
    r["groups"]["diagnosis"]["clinical_stage"] = json!("IIIZ");
    let p = refused(&e, &pid, r, "unknown_code").await;
    assert_eq!(p["path"], "diagnosis.clinical_stage");
    assert!(p["message_en"].as_str().unwrap().contains("IIIA"), "{p}");
    assert_eq!(version(&e, &pid).await, Some(1));
}

async fn dates_out_of_order_name_both_items(e: Env) {
    let pid = enrolled(&e, "cancer", true).await;
    submit_ok(&e, &pid, cancer_record(&pid)).await;
    // diagnosed before birth
    let mut r = cancer_record(&pid);
    r["groups"]["diagnosis"]["diagnosis_date"] = json!("1950-01-01");
    r["groups"]["treatment"][0]["start_date"] = json!("1950-02-01");
    r["groups"]["treatment"][0]["end_date"] = json!("1950-03-01");
    let p = refused(&e, &pid, r, "date_order").await;
    let en = p["message_en"].as_str().unwrap();
    assert!(
        en.contains("case_basics.birth_date") && en.contains("diagnosis.diagnosis_date"),
        "{en}"
    );
    let ja = p["message_ja"].as_str().unwrap();
    assert!(ja.contains("生年月日") && ja.contains("診断日"), "{ja}");
    // treatment started before the diagnosis
    let mut r = cancer_record(&pid);
    r["groups"]["treatment"][0]["start_date"] = json!("2024-01-05");
    let p = refused(&e, &pid, r, "date_order").await;
    let en = p["message_en"].as_str().unwrap();
    assert!(
        en.contains("treatment[0].start_date") && en.contains("diagnosis.diagnosis_date"),
        "{en}"
    );
    assert!(
        p["path"].as_str().unwrap().starts_with("treatment[0]")
            || p["path"] == "diagnosis.diagnosis_date",
        "{p}"
    );
    assert_eq!(version(&e, &pid).await, Some(1));
}

async fn unknown_and_obsolete_hpo_terms_are_refused(e: Env) {
    let pid = enrolled(&e, "rare_disease", true).await;
    // an id of HPO's shape that is no term
    let mut r = rare_record(&pid);
    r["groups"]["phenotypes"][1]["hpo_term"] = json!("HP:9999999");
    let p = refused(&e, &pid, r, "unknown_hpo_term").await;
    assert_eq!(p["path"], "phenotypes[1].hpo_term");
    assert!(
        p["message_en"].as_str().unwrap().contains("HP:9999999"),
        "{p}"
    );
    // obsolete: HP:0000057 (obsolete Clitoromegaly), replaced by HP:0008665
    let mut r = rare_record(&pid);
    r["groups"]["phenotypes"][0]["hpo_term"] = json!("HP:0000057");
    let p = refused(&e, &pid, r, "obsolete_hpo_term").await;
    assert_eq!(p["path"], "phenotypes[0].hpo_term");
    let en = p["message_en"].as_str().unwrap();
    assert!(en.contains("use HP:0008665"), "{en}");
    assert!(
        p["message_ja"].as_str().unwrap().contains("HP:0008665"),
        "{p}"
    );
    // not an HPO id at all
    let mut r = rare_record(&pid);
    r["groups"]["phenotypes"][0]["hpo_term"] = json!("HP:12");
    refused(&e, &pid, r, "malformed_hpo_id").await;
    assert_eq!(version(&e, &pid).await, None);
    // and the record with current terms goes in
    assert_eq!(submit_ok(&e, &pid, rare_record(&pid)).await, 1);
}

async fn malformed_icdo3_codes_are_refused(e: Env) {
    let pid = enrolled(&e, "cancer", true).await;
    for (item, bad, rule) in [
        ("primary_site", "C34", "malformed_topography"),
        ("primary_site", "C99.1", "malformed_topography"),
        ("primary_site", "34.1", "malformed_topography"),
        ("histology", "8140", "malformed_morphology"),
        ("histology", "8140/5", "malformed_morphology"),
        ("histology", "1140/3", "malformed_morphology"),
    ] {
        let mut r = cancer_record(&pid);
        r["groups"]["diagnosis"][item] = json!(bad);
        let p = refused(&e, &pid, r, rule).await;
        assert_eq!(p["path"], format!("diagnosis.{item}"), "{bad}");
        assert!(p["message_en"].as_str().unwrap().contains(bad), "{p}");
    }
    assert_eq!(version(&e, &pid).await, None);
}

async fn linkage_items_need_the_linkage_consent(e: Env) {
    let no_linkage = enrolled(&e, "cancer", false).await;
    let linkage = enrolled(&e, "cancer", true).await;
    let with_number = |pid: &str| {
        let mut r = cancer_record(pid);
        r["groups"]["case_basics"]["cancer_registry_number"] = json!("2024-13-000123");
        r
    };
    let p = refused(
        &e,
        &no_linkage,
        with_number(&no_linkage),
        "linkage_consent_required",
    )
    .await;
    assert_eq!(p["path"], "case_basics.cancer_registry_number");
    assert_eq!(version(&e, &no_linkage).await, None);
    // without the linkage item the same participant's record is fine
    assert_eq!(
        submit_ok(&e, &no_linkage, cancer_record(&no_linkage)).await,
        1
    );
    // and with the linkage consent the item is accepted
    assert_eq!(submit_ok(&e, &linkage, with_number(&linkage)).await, 1);
    let g = e
        .call("GET", &clinical(&linkage), Some("facility"), None)
        .await;
    assert_eq!(
        g.json["record"]["groups"]["case_basics"]["cancer_registry_number"],
        "2024-13-000123"
    );
}

// ---------------------------------------------------------------- 3. bulk

const TREATMENT_HEADER: &str = "participant,treatment_type,line,regimen,start_date,end_date";

async fn bulk_csv_stores_one_version_per_participant(e: Env) {
    let mut pids = Vec::new();
    for _ in 0..3 {
        let p = enrolled(&e, "cancer", true).await;
        submit_ok(&e, &p, cancer_record(&p)).await;
        pids.push(p);
    }
    let csv = format!(
        "{TREATMENT_HEADER}\n\
         {a},drug,1,CBDCA+PEM,2024-04-20,2024-08-01\n\
         {b},surgery,,,2024-04-02,\n\
         {a},radiotherapy,,,2024-09-01,2024-10-15\n\
         {c},drug,1,オシメルチニブ,2024-05-01,\n",
        a = pids[0],
        b = pids[1],
        c = pids[2]
    );
    let r = bulk_csv(
        &e,
        "facility",
        "treatment",
        "cancer",
        csv.into_bytes(),
        false,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json["stored"], 3);
    for p in &pids {
        let h = e
            .call(
                "GET",
                &format!("/api/v1/participants/{p}/clinical/history"),
                Some("facility"),
                None,
            )
            .await;
        assert_eq!(h.json.as_array().unwrap().len(), 2, "{}", h.text);
        assert_eq!(h.json[1]["source"], "bulk_csv");
    }
    let g = e
        .call("GET", &clinical(&pids[0]), Some("facility"), None)
        .await;
    let t = &g.json["record"]["groups"]["treatment"];
    assert_eq!(t.as_array().unwrap().len(), 2, "{t}");
    assert_eq!(t[0]["line"], 1, "typed as a number");
    assert_eq!(t[1]["treatment_type"], "radiotherapy");
    assert!(t[1].get("line").is_none(), "empty cells are absent: {t}");
    // the other groups of the latest record are kept
    assert_eq!(
        g.json["record"]["groups"]["diagnosis"]["primary_site"],
        "C34.1"
    );
    let g = e
        .call("GET", &clinical(&pids[2]), Some("facility"), None)
        .await;
    assert_eq!(
        g.json["record"]["groups"]["treatment"][0]["regimen"],
        "オシメルチニブ"
    );
}

/// Three participants with a first version; returns them.
async fn three_with_records(e: &Env) -> Vec<String> {
    let mut pids = Vec::new();
    for _ in 0..3 {
        let p = enrolled(e, "cancer", true).await;
        submit_ok(e, &p, cancer_record(&p)).await;
        pids.push(p);
    }
    pids
}

/// A bulk CSV refused with exactly one problem, nothing stored.
async fn bulk_refused(e: &Env, pids: &[String], body: Vec<u8>) -> Value {
    let before = e.snapshot().await;
    let r = bulk_csv(e, "facility", "treatment", "cancer", body, false).await;
    let p = only_error(&r);
    assert_eq!(e.snapshot().await, before, "something was stored");
    for pid in pids {
        assert_eq!(version(e, pid).await, Some(1));
    }
    p
}

async fn bulk_csv_with_a_wrong_header_is_refused(e: Env) {
    let pids = three_with_records(&e).await;
    let rows = format!(
        "{},drug,1,X,2024-04-20,\n{},drug,1,Y,2024-04-20,\n",
        pids[0], pids[1]
    );
    // an unknown column
    let body = format!("{TREATMENT_HEADER},colour\n") + &rows.replace(",\n", ",,\n");
    let p = bulk_refused(&e, &pids, body.into_bytes()).await;
    assert_eq!(p["rule"], "unknown_column", "{p}");
    assert_eq!(p["row"], 1);
    assert_eq!(p["item"], "colour");
    assert!(
        p["message_en"].as_str().unwrap().contains("start_date"),
        "{p}"
    );
    // a required column missing (start_date)
    let body = format!(
        "participant,treatment_type,line,regimen\n{},drug,1,X\n{},drug,1,Y\n",
        pids[0], pids[1]
    );
    let p = bulk_refused(&e, &pids, body.into_bytes()).await;
    assert_eq!(p["rule"], "missing_column", "{p}");
    assert_eq!(p["row"], 1);
    assert_eq!(p["item"], "start_date");
    // the participant column missing
    let body = "treatment_type,start_date\ndrug,2024-04-20\n".to_string();
    let p = bulk_refused(&e, &pids, body.into_bytes()).await;
    assert_eq!(p["rule"], "missing_column", "{p}");
    assert_eq!(p["item"], "participant");
}

async fn a_formula_in_a_bulk_csv_is_defused_in_the_report(e: Env) {
    // a participant cell that a spreadsheet would run: refused, and the CSV
    // report the clerk opens in Excel shows it as text, not as a formula
    let pids = three_with_records(&e).await;
    let body = format!(
        "{TREATMENT_HEADER}\n=HYPERLINK(\"http://evil.example/\"),drug,1,X,2024-04-20,\n{},drug,1,Y,2024-04-20,\n",
        pids[0]
    );
    let before = e.snapshot().await;
    let r = bulk_csv(
        &e,
        "facility",
        "treatment",
        "cancer",
        body.into_bytes(),
        true,
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(e.snapshot().await, before, "something was stored");
    let mut rd = csv::Reader::from_reader(r.text.trim_start_matches('\u{feff}').as_bytes());
    let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
    assert!(!rows.is_empty(), "{}", r.text);
    for row in &rows {
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@']),
                "a cell a spreadsheet would run: {cell:?} in {}",
                r.text
            );
        }
    }
    assert!(
        rows.iter()
            .any(|row| &row[1] == "'=HYPERLINK(\"http://evil.example/\")"),
        "{}",
        r.text
    );
}

/// What Excel writes in Japan is read: "CSV" (Shift_JIS/CP932) and "CSV
/// UTF-8" (with a byte-order mark), and the answer says which encoding was
/// read; the stored text is the same Japanese. Bytes that are neither are
/// refused naming the offset.
async fn bulk_csv_in_shift_jis_or_with_a_bom_is_read(e: Env) {
    let pids = three_with_records(&e).await;
    let text = format!(
        "{TREATMENT_HEADER}\n{},drug,1,カルボプラチン＋ペメトレキセド,2024-04-20,\n",
        pids[0]
    );
    let (sjis, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&text);
    assert!(!unmappable);
    assert!(
        std::str::from_utf8(&sjis).is_err(),
        "the test needs non-UTF-8 bytes"
    );
    // neither: refused, naming the byte, nothing stored
    let mut bad = text.clone().into_bytes();
    bad.extend_from_slice(&[0x80, 0xFF, 0xFE, b'\n']);
    let p = bulk_refused(&e, &pids, bad).await;
    assert_eq!(p["rule"], "not_utf8", "{p}");
    assert!(p["message_en"].as_str().unwrap().contains("offset"), "{p}");
    let r = bulk_csv(
        &e,
        "facility",
        "treatment",
        "cancer",
        sjis.into_owned(),
        false,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json["encoding"], "Shift_JIS (CP932)", "{}", r.text);
    assert_eq!(version(&e, &pids[0]).await, Some(2));
    let stored = e
        .call(
            "GET",
            &format!("/api/v1/participants/{}/clinical", pids[0]),
            Some("staff"),
            None,
        )
        .await;
    assert!(
        stored.text.contains("カルボプラチン＋ペメトレキセド"),
        "{}",
        stored.text
    );
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend_from_slice(text.replace("2024-04-20", "2024-04-21").as_bytes());
    let r = bulk_csv(&e, "facility", "treatment", "cancer", bom, false).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json["encoding"], "UTF-8 (BOM)", "{}", r.text);
}

async fn bulk_csv_of_2000_rows_with_one_bad_cell_names_that_row(e: Env) {
    let mut pids = Vec::new();
    for _ in 0..20 {
        let p = enrolled(&e, "cancer", true).await;
        submit_ok(&e, &p, cancer_record(&p)).await;
        pids.push(p);
    }
    let bad_line = 1_234; // the header is line 1
    let file = |bad: bool| {
        let mut s = format!("{TREATMENT_HEADER}\n");
        for i in 0..2_000usize {
            let line = i + 2;
            let kind = if bad && line == bad_line {
                "chemo"
            } else {
                "drug"
            };
            s.push_str(&format!(
                "{},{kind},{},regimen {i},2024-04-20,2024-08-01\n",
                pids[i % pids.len()],
                i % 20 + 1
            ));
        }
        s.into_bytes()
    };
    let before = e.snapshot().await;
    let p = bulk_refused(&e, &pids, file(true)).await;
    assert_eq!(p["rule"], "unknown_code", "{p}");
    assert_eq!(p["row"], bad_line);
    assert_eq!(p["item"], "treatment_type");
    assert_eq!(
        p["participant"],
        pids[(bad_line - 2) % pids.len()].as_str(),
        "the problem names whose row it is"
    );
    assert!(p["message_en"].as_str().unwrap().contains("chemo"), "{p}");
    // the same refusal as a CSV report
    let r = bulk_csv(&e, "facility", "treatment", "cancer", file(true), true).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(
        r.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv"),
        "{:?}",
        r.headers
    );
    let report = r.text.trim_start_matches('\u{feff}');
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(lines.len(), 2, "{report}");
    assert_eq!(lines[0], "row,participant,item,rule,message_ja,message_en");
    assert!(
        lines[1].starts_with(&format!("{bad_line},")),
        "{}",
        lines[1]
    );
    assert!(lines[1].contains("\"treatment_type\""), "{}", lines[1]);
    assert!(lines[1].contains("\"unknown_code\""), "{}", lines[1]);
    assert_eq!(e.snapshot().await, before, "something was stored");
    // without the bad cell the whole file goes in: one version each
    let r = bulk_csv(&e, "facility", "treatment", "cancer", file(false), false).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json["stored"], 20);
    let g = e
        .call("GET", &clinical(&pids[0]), Some("staff"), None)
        .await;
    assert_eq!(g.json["version"], 2);
    assert_eq!(
        g.json["record"]["groups"]["treatment"]
            .as_array()
            .unwrap()
            .len(),
        100
    );
}

async fn bulk_json_with_one_bad_record_stores_nothing(e: Env) {
    let a = enrolled(&e, "cancer", true).await;
    let b = enrolled(&e, "cancer", true).await;
    let c = enrolled(&e, "rare_disease", true).await;
    let mut bad = cancer_record(&b);
    bad["groups"]["diagnosis"]["histology"] = json!("adenocarcinoma");
    let before = e.snapshot().await;
    let r = bulk_json(&e, json!([cancer_record(&a), bad, rare_record(&c)])).await;
    let p = only_error(&r);
    assert_eq!(p["row"], 2, "the entry's position: {p}");
    assert_eq!(p["participant"], b.as_str());
    assert_eq!(p["path"], "diagnosis.histology");
    assert_eq!(p["rule"], "malformed_morphology");
    assert_eq!(e.snapshot().await, before);
    for pid in [&a, &b, &c] {
        assert_eq!(version(&e, pid).await, None);
    }
    let r = bulk_json(
        &e,
        json!([cancer_record(&a), cancer_record(&b), rare_record(&c)]),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json["stored"], 3);
    let g = e.call("GET", &clinical(&c), Some("facility"), None).await;
    assert_eq!(g.json["source"], "bulk_json");
}

// ---------------------------------------------------------------- 4. roles

async fn roles_and_scopes_on_clinical_records(e: Env) {
    let cancer = enrolled(&e, "cancer", true).await;
    let rare = enrolled(&e, "rare_disease", true).await;
    submit_ok(&e, &cancer, cancer_record(&cancer)).await;
    submit_ok(&e, &rare, rare_record(&rare)).await;
    // a valid id nobody registered, to compare another facility's answers with
    let ghost = zenome_domain::id::ParticipantId::from_body("99999999")
        .unwrap()
        .to_string();
    let reads = [
        clinical(&cancer),
        format!("/api/v1/participants/{cancer}/clinical/history"),
        format!("/api/v1/participants/{rare}/phenopacket"),
        format!("/api/v1/participants/{rare}/family"),
    ];
    let read_status = [
        ("facility", StatusCode::OK),
        ("clinician", StatusCode::OK),
        ("staff", StatusCode::OK),
        ("facility_other", StatusCode::NOT_FOUND),
        // without registry access: as for an unknown participant
        ("centre", StatusCode::NOT_FOUND),
        ("dac", StatusCode::NOT_FOUND),
        ("admin", StatusCode::NOT_FOUND),
        ("academic", StatusCode::NOT_FOUND),
        ("unknown_role", StatusCode::FORBIDDEN),
    ];
    for uri in &reads {
        for (who, want) in read_status {
            let r = e.call("GET", uri, Some(who), None).await;
            assert_eq!(r.status, want, "{who} GET {uri}: {}", r.text);
        }
        let r = e.call("GET", uri, None, None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "GET {uri}: {}", r.text);
    }
    // another facility cannot tell an existing participant from none
    let other_read = e
        .call("GET", &clinical(&cancer), Some("facility_other"), None)
        .await;
    let none_read = e
        .call("GET", &clinical(&ghost), Some("facility_other"), None)
        .await;
    assert_eq!(
        (other_read.status, &other_read.json["detail"]),
        (none_read.status, &none_read.json["detail"])
    );

    // writing
    let before = e.snapshot().await;
    let mut next = cancer_record(&cancer);
    next["groups"]["diagnosis"]["clinical_stage"] = json!("IIIB");
    for (who, want) in [
        ("clinician", StatusCode::FORBIDDEN),
        ("staff", StatusCode::FORBIDDEN),
        ("centre", StatusCode::FORBIDDEN),
        ("dac", StatusCode::FORBIDDEN),
        ("admin", StatusCode::FORBIDDEN),
        ("academic", StatusCode::FORBIDDEN),
        ("industry", StatusCode::FORBIDDEN),
    ] {
        let r = submit(&e, who, &cancer, next.clone()).await;
        assert_eq!(r.status, want, "{who} POST: {}", r.text);
    }
    let r = e
        .call("POST", &clinical(&cancer), None, Some(next.clone()))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // another facility's submitter: refused exactly as for an unregistered participant
    let p = only_error(&submit(&e, "facility_other", &cancer, next.clone()).await);
    assert_eq!(p["rule"], "unknown_participant");
    let q = only_error(&submit(&e, "facility_other", &ghost, cancer_record(&ghost)).await);
    assert_eq!(q["rule"], p["rule"]);
    assert_eq!(
        q["message_en"].as_str().unwrap().replace(&ghost, "X"),
        p["message_en"].as_str().unwrap().replace(&cancer, "X")
    );
    // bulk and import: the same roles
    for who in ["clinician", "staff", "centre", "dac", "admin", "academic"] {
        let r = bulk_csv(
            &e,
            who,
            "treatment",
            "cancer",
            format!("{TREATMENT_HEADER}\n{cancer},drug,1,X,2024-04-20,\n").into_bytes(),
            false,
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who} bulk: {}", r.text);
    }
    let packet = e
        .call(
            "GET",
            &format!("/api/v1/participants/{rare}/phenopacket"),
            Some("facility"),
            None,
        )
        .await
        .text;
    for (who, want) in [
        ("clinician", StatusCode::FORBIDDEN),
        ("staff", StatusCode::FORBIDDEN),
        ("centre", StatusCode::FORBIDDEN),
        ("facility_other", StatusCode::NOT_FOUND),
    ] {
        let (s, _, b) = raw(
            &e,
            "POST",
            "/api/v1/phenopackets",
            Some(who),
            &[(header::CONTENT_TYPE, "application/json")],
            packet.clone().into_bytes(),
        )
        .await;
        assert_eq!(s, want, "{who} import: {}", String::from_utf8_lossy(&b));
    }
    assert_eq!(
        e.snapshot().await,
        before,
        "a refused write stored something"
    );
    assert_eq!(version(&e, &cancer).await, Some(1));

    // exports
    for (who, want) in [
        ("facility", StatusCode::OK),
        ("clinician", StatusCode::OK),
        ("staff", StatusCode::OK),
        ("facility_other", StatusCode::OK),
        ("centre", StatusCode::FORBIDDEN),
        ("dac", StatusCode::FORBIDDEN),
        ("admin", StatusCode::FORBIDDEN),
    ] {
        let r = export_csv(&e, who, "case_basics", None).await;
        assert_eq!(r.status, want, "{who} export: {}", r.text);
    }
    let mut all = exported(&export_csv(&e, "staff", "case_basics", None).await);
    all.sort();
    let mut both = vec![cancer.clone(), rare.clone()];
    both.sort();
    assert_eq!(all, both);
    assert_eq!(
        exported(&export_csv(&e, "facility", "case_basics", None).await).len(),
        2
    );
    assert_eq!(
        exported(&export_csv(&e, "facility_other", "case_basics", None).await),
        Vec::<String>::new(),
        "another facility exports none of TKY-UH's records"
    );
    let r = e
        .call("GET", "/api/v1/clinical/export/case_basics", None, None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

async fn researchers_export_only_a_granted_datasets_members(e: Env) {
    let c = cohort(&e).await;
    for p in &c.cancer[..2] {
        submit_ok(&e, p, cancer_record(p)).await;
    }
    submit_ok(&e, &c.rare_opt_in, rare_record(&c.rare_opt_in)).await;
    // no dataset named
    let r = export_csv(&e, "academic", "case_basics", None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    // no grant: refused, and the refusal logged
    let denials = || async {
        e.app
            .store()
            .audit_after(0, 1_000_000)
            .await
            .unwrap()
            .iter()
            .filter(|a| a.action == "access.denied")
            .count()
    };
    let logged = denials().await;
    let r = export_csv(&e, "academic", "case_basics", Some("cancer-wgs-r1")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(denials().await, logged + 1, "the denial was not logged");
    // a grant, but for variants only
    granted(&e, "academic", &["cancer-wgs-r1"], &["vcf"]).await;
    let r = export_csv(&e, "academic", "case_basics", Some("cancer-wgs-r1")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    // a grant for clinical data on the cancer dataset
    granted(&e, "academic", &["cancer-wgs-r1"], &["clinical"]).await;
    let mut got = exported(&export_csv(&e, "academic", "case_basics", Some("cancer-wgs-r1")).await);
    got.sort();
    let mut want = c.cancer[..2].to_vec();
    want.sort();
    assert_eq!(
        got, want,
        "the dataset's members with a record, nobody else"
    );
    // the rare-disease dataset is not covered
    let r = export_csv(&e, "academic", "case_basics", Some("rare-wgs-r1")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
}

async fn the_dictionary_is_public(e: Env) {
    let r = e
        .call("GET", "/api/v1/clinical/dictionary", None, None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let versions: Vec<_> = r.json["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(versions, ["1", "2"]);
    for v in ["1", "2", "latest"] {
        let r = e
            .call(
                "GET",
                &format!("/api/v1/clinical/dictionary/{v}"),
                None,
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{v}: {}", r.text);
        let groups: Vec<_> = r.json["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["id"].as_str().unwrap())
            .collect();
        assert!(
            groups.contains(&"case_basics") && groups.contains(&"phenotypes"),
            "{groups:?}"
        );
    }
    let latest = e
        .call("GET", "/api/v1/clinical/dictionary/latest", None, None)
        .await;
    assert_eq!(latest.json["version"], "2");
    let r = e
        .call("GET", "/api/v1/clinical/dictionary/9", None, None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

/// Fills one row of a downloaded template: each column's value from `by`
/// (`participant`, item ids or `group.item`), empty where it has none.
fn fill(header: &str, by: impl Fn(&str) -> Option<String>) -> String {
    let cells: Vec<String> = header
        .split(',')
        .map(|c| by(c).unwrap_or_default())
        .collect();
    format!("{header}\n{}\n", cells.join(","))
}

async fn bulk_templates_are_public_and_go_back_in_filled(e: Env) {
    // one group: the header names every item collected for the area
    let r = e
        .call(
            "GET",
            "/api/v1/clinical/template?group=treatment&area=cancer",
            None,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(
        r.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv"),
        "{:?}",
        r.headers
    );
    assert!(
        r.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("zenome-treatment-cancer-v2.csv"),
        "{:?}",
        r.headers
    );
    assert!(
        !r.text.starts_with('\u{feff}'),
        "no BOM: the upload refuses one"
    );
    let head = r.text.trim_end().to_string();
    assert!(head.starts_with("participant,"), "{head}");
    for item in [
        "treatment_type",
        "line",
        "regimen",
        "start_date",
        "end_date",
    ] {
        assert!(head.split(',').any(|c| c == item), "{item} in {head}");
    }
    // filled with one treatment line for a participant with a record: stored
    let pids = three_with_records(&e).await;
    let body = fill(&head, |c| {
        Some(
            match c {
                "participant" => pids[0].as_str(),
                "treatment_type" => "drug",
                "line" => "2",
                "regimen" => "Docetaxel",
                "start_date" => "2024-09-01",
                _ => return None,
            }
            .to_string(),
        )
    });
    let r = bulk_csv(
        &e,
        "facility",
        "treatment",
        "cancer",
        body.into_bytes(),
        false,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(version(&e, &pids[0]).await, Some(2));

    // the wide file: `group.item` of each non-repeating group of the area,
    // enough to create a first record from one row
    let r = e
        .call(
            "GET",
            "/api/v1/clinical/template?area=rare_disease",
            None,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let head = r.text.trim_end().to_string();
    assert!(head.split(',').any(|c| c == "case_basics.sex"), "{head}");
    assert!(
        !head.contains("phenotypes."),
        "repeating groups have files of their own: {head}"
    );
    assert!(
        !head.contains("treatment."),
        "cancer-only groups are left out: {head}"
    );
    let pid = enrolled(&e, "rare_disease", true).await;
    let record = rare_record(&pid);
    let body = fill(&head, |c| {
        if c == "participant" {
            return Some(pid.clone());
        }
        let (g, i) = c.split_once('.')?;
        record["groups"][g][i].as_str().map(str::to_string)
    });
    let req = Request::builder()
        .method("POST")
        .uri("/api/v1/clinical/bulk?area=rare_disease")
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", e.tokens["facility"]),
        )
        .header(header::CONTENT_TYPE, "text/csv")
        .body(Body::from(body))
        .unwrap();
    let r = e.send(req).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(version(&e, &pid).await, Some(1));

    // an unknown group, a group of the other area, a missing area
    for (uri, status) in [
        (
            "/api/v1/clinical/template?group=colour&area=cancer",
            StatusCode::NOT_FOUND,
        ),
        (
            "/api/v1/clinical/template?group=phenotypes&area=cancer",
            StatusCode::NOT_FOUND,
        ),
        (
            "/api/v1/clinical/template?group=treatment",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let r = e.call("GET", uri, None, None).await;
        assert_eq!(r.status, status, "{uri}: {}", r.text);
    }
}

async fn hpo_terms_are_searchable_through_the_api(e: Env) {
    let r = e
        .call("GET", "/api/v1/hpo/terms?q=seizure&limit=5", None, None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let terms = r.json["terms"].as_array().unwrap();
    assert!(!terms.is_empty() && terms.len() <= 5, "{}", r.text);
    assert_eq!(terms[0]["id"], "HP:0001250");
    assert_eq!(terms[0]["name"], "Seizure");
    assert!(
        terms[0]["synonyms"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "Epilepsy"),
        "{}",
        r.text
    );
    assert_eq!(r.json["release"], "hp/releases/2025-01-16");
    for (uri, field) in [
        ("/api/v1/hpo/terms?q=seizure&limit=0", "limit"),
        ("/api/v1/hpo/terms?q=seizure&limit=101", "limit"),
    ] {
        let r = e.call("GET", uri, None, None).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{uri}: {}",
            r.text
        );
        assert!(r.text.contains(field), "{uri}: {}", r.text);
    }
    let long = "a".repeat(101);
    let r = e
        .call("GET", &format!("/api/v1/hpo/terms?q={long}"), None, None)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
}

// ---------------------------------------------------------------- 5. consent

async fn a_withdrawn_participant_leaves_the_export_and_gets_no_new_record(e: Env) {
    let stays = enrolled(&e, "cancer", true).await;
    let leaves = enrolled(&e, "cancer", true).await;
    submit_ok(&e, &stays, cancer_record(&stays)).await;
    submit_ok(&e, &leaves, cancer_record(&leaves)).await;
    for who in ["staff", "facility"] {
        let mut got = exported(&export_csv(&e, who, "case_basics", None).await);
        got.sort();
        let mut want = vec![stays.clone(), leaves.clone()];
        want.sort();
        assert_eq!(got, want);
    }
    withdraw(&e, &leaves).await;
    for who in ["staff", "facility"] {
        assert_eq!(
            exported(&export_csv(&e, who, "case_basics", None).await),
            vec![stays.clone()],
            "{who}"
        );
        let r = e
            .call(
                "GET",
                "/api/v1/clinical/export/treatment?format=parquet",
                Some(who),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
    }
    let mut next = cancer_record(&leaves);
    next["groups"]["diagnosis"]["clinical_stage"] = json!("IIIB");
    let p = refused(&e, &leaves, next, "consent_withdrawn").await;
    assert_eq!(p["path"], "participant");
    // and in a bulk file as well
    let r = bulk_csv(
        &e,
        "facility",
        "treatment",
        "cancer",
        format!(
            "{TREATMENT_HEADER}\n{stays},drug,1,X,2024-04-20,\n{leaves},drug,1,X,2024-04-20,\n"
        )
        .into_bytes(),
        false,
    )
    .await;
    let p = only_error(&r);
    assert_eq!(p["rule"], "consent_withdrawn");
    assert_eq!(p["row"], 3);
    assert_eq!(version(&e, &stays).await, Some(1));
}

async fn a_participant_without_consent_gets_no_record(e: Env) {
    let r = e
        .call(
            "POST",
            "/api/v1/participants",
            Some("facility"),
            Some(json!({"disease_area": "cancer"})),
        )
        .await;
    let pid = r.json["id"].as_str().unwrap().to_string();
    refused(&e, &pid, cancer_record(&pid), "consent_not_given").await;
}

// ---------------------------------------------------------------- 6. export

async fn exports_are_flat_csv_and_parquet(e: Env) {
    let a = enrolled(&e, "cancer", true).await;
    let b = enrolled(&e, "cancer", true).await;
    let mut ra = cancer_record(&a);
    ra["groups"]["treatment"]
        .as_array_mut()
        .unwrap()
        .push(json!({"treatment_type": "radiotherapy", "start_date": "2024-09-01"}));
    submit_ok(&e, &a, ra).await;
    submit_ok(&e, &b, cancer_record(&b)).await;

    let r = export_csv(&e, "staff", "case_basics", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(
        r.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let lines: Vec<&str> = r.text.lines().collect();
    assert_eq!(
        lines[0],
        "participant,sex,birth_date,facility_code,registration_date,consent_date,cancer_registry_number,external_record_id"
    );
    assert_eq!(lines.len(), 3, "{}", r.text);
    assert!(
        lines.contains(&format!("{a},male,1958-04,1310000001,2024-04-10,2024-04-01,,").as_str()),
        "{}",
        r.text
    );

    let r = export_csv(&e, "staff", "treatment", None).await;
    let lines: Vec<&str> = r.text.lines().collect();
    assert_eq!(
        lines[0],
        "participant,index,treatment_type,line,intent,regimen,drugs,start_date,end_date"
    );
    assert_eq!(lines.len(), 1 + 3, "one line per entry: {}", r.text);
    assert!(
        lines.contains(&format!("{a},1,radiotherapy,,,,,2024-09-01,").as_str()),
        "{}",
        r.text
    );
    assert!(
        lines.contains(
            &format!("{b},0,drug,1,,CBDCA+PEM+Pembrolizumab,,2024-04-20,2024-08-01").as_str()
        ),
        "{}",
        r.text
    );

    let (s, h, bytes) = raw(
        &e,
        "GET",
        "/api/v1/clinical/export/treatment?format=parquet",
        Some("staff"),
        &[],
        Vec::new(),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h[header::CONTENT_TYPE], "application/vnd.apache.parquet");
    assert_eq!(&bytes[..4], b"PAR1");
    assert_eq!(&bytes[bytes.len() - 4..], b"PAR1");
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::RowAccessor;
    let reader = SerializedFileReader::new(bytes::Bytes::from(bytes)).unwrap();
    let meta = reader.metadata().file_metadata();
    assert_eq!(meta.num_rows(), 3);
    let names: Vec<_> = meta
        .schema_descr()
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "participant",
            "index",
            "treatment_type",
            "line",
            "intent",
            "regimen",
            "drugs",
            "start_date",
            "end_date"
        ]
    );
    let mut participants = Vec::new();
    for row in reader.get_row_iter(None).unwrap() {
        let row = row.unwrap();
        participants.push(row.get_string(0).unwrap().clone());
    }
    participants.sort();
    let mut want = vec![a.clone(), a.clone(), b.clone()];
    want.sort();
    assert_eq!(participants, want);

    // an unknown group or format
    let r = export_csv(&e, "staff", "lifestyle", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = e
        .call(
            "GET",
            "/api/v1/clinical/export/treatment?format=xlsx",
            Some("staff"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

// ---------------------------------------------------------------- 7. phenopackets

/// A rare-disease participant with a record, and an enrolled, affected mother.
async fn rare_family(e: &Env) -> (String, String) {
    let mother = enrolled(e, "rare_disease", true).await;
    let mut m = rare_record(&mother);
    m["groups"]["case_basics"]["birth_date"] = json!("1985-02");
    m["groups"]["diagnosis"]["diagnosis_date"] = json!("2020-01-12");
    m["groups"]["phenotypes"] = json!([{"hpo_term": "HP:0001250", "onset": "HP:0003581"}]);
    submit_ok(e, &mother, m).await;
    let child = enrolled(e, "rare_disease", true).await;
    let mut r = rare_record(&child);
    r["groups"]["pedigree"] = json!([
        {"relationship": "mother", "relative_participant": mother, "affected_status": "affected"},
        {"relationship": "father", "affected_status": "unaffected", "consanguinity": false}
    ]);
    submit_ok(e, &child, r).await;
    (child, mother)
}

async fn phenopackets_and_families_are_valid_by_our_validator_and_the_official_schema(e: Env) {
    let (child, mother) = rare_family(&e).await;
    let r = e
        .call(
            "GET",
            &format!("/api/v1/participants/{child}/phenopacket"),
            Some("facility"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let p = zenome_phenopackets::parse(&r.text).unwrap();
    assert_eq!(
        zenome_phenopackets::validate(&p, &zenome_phenopackets::NoLookup),
        []
    );
    assert_eq!(p.id, child);
    assert_eq!(p.subject.as_ref().unwrap().id, child);
    let features: Vec<_> = p
        .phenotypic_features
        .iter()
        .map(|f| (f.r#type.as_ref().unwrap().id.clone(), f.excluded))
        .collect();
    assert_eq!(
        features,
        [
            ("HP:0001250".to_string(), false),
            ("HP:0001263".to_string(), false),
            ("HP:0001251".to_string(), true)
        ]
    );
    assert_eq!(r.json["phenotypicFeatures"][0]["type"]["label"], "Seizure");
    assert_eq!(r.json["diseases"][0]["term"]["id"], "ICD10:G40.4");

    let f = e
        .call(
            "GET",
            &format!("/api/v1/participants/{child}/family"),
            Some("facility"),
            None,
        )
        .await;
    assert_eq!(f.status, StatusCode::OK, "{}", f.text);
    let family = zenome_phenopackets::parse_family(&f.text).unwrap();
    assert_eq!(
        zenome_phenopackets::validate_family(&family, &zenome_phenopackets::NoLookup),
        []
    );
    assert_eq!(family.relatives.len(), 1, "the enrolled mother's packet");
    assert_eq!(family.relatives[0].id, mother);
    let persons = &family.pedigree.as_ref().unwrap().persons;
    assert_eq!(persons.len(), 3);
    assert_eq!(persons[0].maternal_id, mother);

    // a cancer participant has no phenopacket
    let c = enrolled(&e, "cancer", true).await;
    submit_ok(&e, &c, cancer_record(&c)).await;
    let r = e
        .call(
            "GET",
            &format!("/api/v1/participants/{c}/phenopacket"),
            Some("facility"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);

    if official_schema_available() {
        let packet = e
            .call(
                "GET",
                &format!("/api/v1/participants/{child}/phenopacket"),
                Some("facility"),
                None,
            )
            .await
            .text;
        official_parse("Phenopacket", &packet).unwrap();
        official_parse("Family", &f.text).unwrap();
        // the oracle refuses what it should
        let mut broken: Value = serde_json::from_str(&packet).unwrap();
        broken["phenotypicFeature"] = json!([]);
        assert!(official_parse("Phenopacket", &broken.to_string()).is_err());
    }
}

async fn import(e: &Env, who: &str, text: &str) -> Resp {
    let req = Request::builder()
        .method("POST")
        .uri("/api/v1/phenopackets")
        .header(header::AUTHORIZATION, format!("Bearer {}", e.tokens[who]))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(text.to_string()))
        .unwrap();
    e.send(req).await
}

async fn packet(e: &Env, pid: &str) -> String {
    let r = e
        .call(
            "GET",
            &format!("/api/v1/participants/{pid}/phenopacket"),
            Some("facility"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.text
}

async fn a_phenopacket_round_trip_is_identical_and_an_edit_is_a_new_version(e: Env) {
    let (child, _mother) = rare_family(&e).await;
    let first = packet(&e, &child).await;
    let before = e.snapshot().await;
    let r = import(&e, "facility", &first).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["version"], 1);
    assert_eq!(
        e.snapshot().await,
        before,
        "an unchanged import stored something"
    );
    assert_eq!(
        packet(&e, &child).await,
        first,
        "export → import → export differs"
    );

    // an extra HPO feature: a new version with it
    let mut edited: Value = serde_json::from_str(&first).unwrap();
    edited["phenotypicFeatures"]
        .as_array_mut()
        .unwrap()
        .push(json!({"type": {"id": "HP:0001252", "label": "Hypotonia"}}));
    let r = import(&e, "facility", &edited.to_string()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json["version"], 2);
    assert_eq!(r.json["source"], "phenopacket");
    let g = e
        .call("GET", &clinical(&child), Some("facility"), None)
        .await;
    let terms: Vec<_> = g.json["record"]["groups"]["phenotypes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["hpo_term"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        terms,
        ["HP:0001250", "HP:0001263", "HP:0001251", "HP:0001252"]
    );
    // the rest of the record is kept
    assert!(
        g.json["record"]["groups"]["pedigree"].is_array(),
        "{}",
        g.text
    );
    assert_eq!(g.json["record"]["groups"]["case_basics"]["sex"], "female");
    let second = packet(&e, &child).await;
    assert!(second.contains("HP:0001252"));
    // importing the new export changes nothing again
    let r = import(&e, "facility", &second).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["version"], 2);
    assert_eq!(packet(&e, &child).await, second);
}

async fn reimporting_a_record_with_excluded_false_creates_no_version(e: Env) {
    // a record entered with `"excluded": false` (as a CSV with an excluded column gives)
    let pid = enrolled(&e, "rare_disease", true).await;
    let mut r = rare_record(&pid);
    r["groups"]["phenotypes"][0]["excluded"] = json!(false);
    submit_ok(&e, &pid, r).await;
    let first = packet(&e, &pid).await;
    let before = e.snapshot().await;
    let r = import(&e, "facility", &first).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["version"], 1);
    assert_eq!(e.snapshot().await, before);
    assert_eq!(packet(&e, &pid).await, first);
}

async fn a_phenopacket_with_an_unknown_field_or_term_is_refused(e: Env) {
    let (child, _) = rare_family(&e).await;
    let first = packet(&e, &child).await;
    let before = e.snapshot().await;
    let mut extra: Value = serde_json::from_str(&first).unwrap();
    extra["phenotypicFeature"] = json!([]);
    let r = import(&e, "facility", &extra.to_string()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("phenotypicFeature"), "{}", r.text);
    let mut unknown: Value = serde_json::from_str(&first).unwrap();
    unknown["phenotypicFeatures"]
        .as_array_mut()
        .unwrap()
        .push(json!({"type": {"id": "HP:9999999", "label": "No such term"}}));
    let r = import(&e, "facility", &unknown.to_string()).await;
    let errs = errors(&r);
    assert!(
        errs.iter().any(|p| p["path"]
            .as_str()
            .unwrap()
            .contains("phenotypicFeatures[3]")),
        "{errs:#?}"
    );
    let mut obsolete: Value = serde_json::from_str(&first).unwrap();
    obsolete["phenotypicFeatures"][0]["type"] =
        json!({"id": "HP:0000057", "label": "obsolete Clitoromegaly"});
    let r = import(&e, "facility", &obsolete.to_string()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("HP:0008665"), "{}", r.text);
    let r = import(&e, "facility", "not json").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(e.snapshot().await, before);
    assert_eq!(version(&e, &child).await, Some(1));
    assert_eq!(packet(&e, &child).await, first);
}

/// A wide CSV (one row per participant, `group.item` columns of several
/// groups) creates first records — which need both required groups — and a
/// bad cell refuses the whole file, naming its line and `group.item`.
async fn a_wide_csv_creates_first_records_all_or_nothing(e: Env) {
    let mut pids = Vec::new();
    for _ in 0..3 {
        pids.push(enrolled(&e, "cancer", true).await);
    }
    let header = "participant,case_basics.sex,case_basics.birth_date,case_basics.facility_code,\
case_basics.registration_date,case_basics.consent_date,diagnosis.diagnosis_name,\
diagnosis.diagnosis_date,diagnosis.primary_site,diagnosis.histology";
    let line = |p: &str, site: &str| {
        format!(
            "{p},female,1961-07,1310000001,2024-04-10,2024-04-01,\"乳癌, 浸潤性乳管癌\",2024-03-02,{site},8500/3"
        )
    };
    // one malformed topography on line 3: nothing is stored
    let bad = format!(
        "{header}\n{}\n{}\n{}\n",
        line(&pids[0], "C50.9"),
        line(&pids[1], "C5O.9"),
        line(&pids[2], "C50.4")
    );
    let r = bulk_csv(&e, "facility", "wide", "cancer", bad.into_bytes(), false).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let errs = errors(&r);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(errs[0]["row"], 3);
    assert_eq!(errs[0]["item"], "diagnosis.primary_site");
    for p in &pids {
        assert_eq!(version(&e, p).await, None, "nothing stored for {p}");
    }
    // an unknown column is named
    let r = bulk_csv(
        &e,
        "facility",
        "wide",
        "cancer",
        format!("{header},treatment.line\n{}\n", line(&pids[0], "C50.9")).into_bytes(),
        false,
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(only_error(&r)["item"], "treatment.line");
    // the corrected file creates every first record
    let good = format!(
        "{header}\n{}\n{}\n{}\n",
        line(&pids[0], "C50.9"),
        line(&pids[1], "C50.9"),
        line(&pids[2], "C50.4")
    );
    let r = bulk_csv(&e, "facility", "wide", "cancer", good.into_bytes(), false).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json["stored"], 3);
    for p in &pids {
        assert_eq!(version(&e, p).await, Some(1));
    }
    let g = e
        .call("GET", &clinical(&pids[0]), Some("facility"), None)
        .await;
    assert_eq!(
        g.json["record"]["groups"]["diagnosis"]["diagnosis_name"],
        "乳癌, 浸潤性乳管癌"
    );
}

crate::on_both_engines!(
    hpo_terms_are_searchable_through_the_api,
    bulk_templates_are_public_and_go_back_in_filled,
    a_formula_in_a_bulk_csv_is_defused_in_the_report,
    reimporting_a_record_with_excluded_false_creates_no_version,
    cancer_and_rare_disease_records_are_stored_as_versions,
    an_unknown_code_is_refused_with_the_allowed_codes,
    dates_out_of_order_name_both_items,
    unknown_and_obsolete_hpo_terms_are_refused,
    malformed_icdo3_codes_are_refused,
    linkage_items_need_the_linkage_consent,
    bulk_csv_stores_one_version_per_participant,
    bulk_csv_with_a_wrong_header_is_refused,
    bulk_csv_in_shift_jis_or_with_a_bom_is_read,
    bulk_csv_of_2000_rows_with_one_bad_cell_names_that_row,
    bulk_json_with_one_bad_record_stores_nothing,
    roles_and_scopes_on_clinical_records,
    researchers_export_only_a_granted_datasets_members,
    the_dictionary_is_public,
    a_withdrawn_participant_leaves_the_export_and_gets_no_new_record,
    a_participant_without_consent_gets_no_record,
    exports_are_flat_csv_and_parquet,
    phenopackets_and_families_are_valid_by_our_validator_and_the_official_schema,
    a_phenopacket_round_trip_is_identical_and_an_edit_is_a_new_version,
    a_phenopacket_with_an_unknown_field_or_term_is_refused,
    a_wide_csv_creates_first_records_all_or_nothing,
);
