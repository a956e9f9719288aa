//! Joint-called VCFs through the verified ingest, into the variant store: a
//! VCF placeholder declares its other samples (members: CRAM/BAM node ids or
//! library barcodes), each checked for the centre's scope and the consent in
//! force at registration and again when the upload completes; the validator
//! expects exactly the declared columns; a stored VCF that passed QC is
//! loaded into the variant store after the upload (the same bytes never
//! twice; a failure keeps the file and is retried through the API); a
//! tumour/normal pair becomes the tumour's somatic calls, not germline counts.
//! The trio is `testdata/ashk-trio-chr1.vcf` (GIAB Ashkenazi trio, 20 sites).

use http::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::harness::{Env, Seeded};

/// The trio excerpt with its columns renamed to these participants
/// (HG002, HG003, HG004 in that order).
fn trio_vcf(ids: [&str; 3]) -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/ashk-trio-chr1.vcf");
    std::fs::read_to_string(p)
        .unwrap()
        .replacen("\tHG002\tHG003\tHG004", &format!("\t{}", ids.join("\t")), 1)
        .into_bytes()
}

/// A run and an (expected) CRAM placeholder on `s`'s library, by the centre.
async fn cram_of(e: &Env, s: &Seeded) -> String {
    e.cram_placeholder(&s.library.0).await
}

struct Trio {
    people: [Seeded; 3],
    cram: String,
}

impl Trio {
    fn ids(&self) -> [&str; 3] {
        [
            self.people[0].pid.as_str(),
            &self.people[1].pid,
            &self.people[2].pid,
        ]
    }
}

async fn trio(e: &Env) -> Trio {
    let people = [
        e.seeded_participant().await,
        e.seeded_participant().await,
        e.seeded_participant().await,
    ];
    let cram = cram_of(e, &people[0]).await;
    Trio { people, cram }
}

async fn vcf_placeholder(
    e: &Env,
    who: &str,
    parent: &str,
    members: &[&str],
) -> crate::harness::Resp {
    e.call(
        "POST",
        "/api/v1/lineage/nodes",
        Some(who),
        Some(json!({"kind": "file", "parent_id": parent, "format": "vcf", "members": members})),
    )
    .await
}

/// Uploads `body` into placeholder `node`; returns the final upload status.
async fn upload(e: &Env, node: &str, body: &[u8]) -> Value {
    e.send_vcf_file(node, "joint.vcf", "GATK 4.5 GenotypeGVCFs", body)
        .await
}

async fn frequencies(e: &Env) -> Value {
    let r = e
        .call(
            "GET",
            "/api/v1/variants/frequencies?region=1:866000-897000",
            Some("staff"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json
}

fn allele<'a>(f: &'a Value, variant: &str) -> &'a Value {
    f["alleles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["variant"] == variant)
        .unwrap_or_else(|| panic!("{variant} not in {f}"))
}

async fn a_trio_vcf_is_ingested_and_its_three_participants_counted(e: Env) {
    let t = trio(&e).await;
    let r = vcf_placeholder(
        &e,
        "centre",
        &t.cram,
        &[&t.people[1].library.1, &t.people[2].library.1],
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let node = r.json["id"].as_str().unwrap().to_string();
    let st = upload(&e, &node, &trio_vcf(t.ids())).await;
    assert_eq!(st["state"], "stored", "{st}");
    let f = frequencies(&e).await;
    // bcftools +fill-tags on the excerpt: 1:878314 G>C AC=3 AN=6 (0/1, 1/1, 0/0)
    let a = allele(&f, "1-878314-G-C");
    assert_eq!((a["ac"].clone(), a["an"].clone()), (json!(3), json!(6)));
    assert_eq!(a["carriers"], json!([t.ids()[0], t.ids()[1]]));
    // 1:879317 C>T AC=1 AN=6, carried by HG004 only
    let a = allele(&f, "1-879317-C-T");
    assert_eq!((a["ac"].clone(), a["an"].clone()), (json!(1), json!(6)));
    assert_eq!(a["carriers"], json!([t.ids()[2]]));
    assert_eq!(f["alleles"].as_array().unwrap().len(), 20);
    // the batch names the file, pipeline and reference version it came from (R5.1)
    let audit = e.app.store().audit_after(0, 10_000_000).await.unwrap();
    let load = audit
        .iter()
        .find(|a| a.action == "variants.load")
        .expect("the load is audited");
    let detail: Value = serde_json::from_str(&load.detail).unwrap();
    assert_eq!(detail["pipeline"], "GATK 4.5 GenotypeGVCFs", "{detail}");
    assert_eq!(detail["reference_version"], "GRCh37");
    assert_eq!(detail["samples"], 3);
    assert_eq!(detail["origin"], "germline");
}

async fn an_undeclared_sample_column_is_refused_naming_it_and_nothing_changes(e: Env) {
    let t = trio(&e).await;
    // only the father declared: the mother's column is not expected
    let r = vcf_placeholder(&e, "centre", &t.cram, &[&t.people[1].library.1]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let node = r.json["id"].as_str().unwrap().to_string();
    let before = e.snapshot().await;
    let st = upload(&e, &node, &trio_vcf(t.ids())).await;
    assert_eq!(st["state"], "rejected", "{st}");
    let error = st["error"].as_str().unwrap();
    assert!(error.contains(t.ids()[2]), "{error}");
    // the placeholder is still expected, no object, no variant rows
    let n = e
        .call(
            "GET",
            &format!("/api/v1/lineage/nodes/{node}"),
            Some("centre"),
            None,
        )
        .await;
    assert_eq!(n.json["node"]["details"]["state"], "expected", "{}", n.text);
    assert!(e.app.store().object_of_node(&node).await.unwrap().is_none());
    assert!(e.app.variant_sample_names().await.unwrap().is_empty());
    assert_eq!(frequencies(&e).await["alleles"], json!([]));
    // no node, participant or stored object was added by the rejected upload
    let after = e.snapshot().await;
    assert_eq!((before.2, before.3), (after.2, after.3));
    // a column that is not even a participant id is refused by its place,
    // its value withheld (it could be a name)
    let r = vcf_placeholder(&e, "centre", &t.cram, &[&t.people[1].library.1]).await;
    let node = r.json["id"].as_str().unwrap().to_string();
    let body = String::from_utf8(trio_vcf([t.ids()[0], t.ids()[1], "HG004"])).unwrap();
    let st = upload(&e, &node, body.as_bytes()).await;
    assert_eq!(st["state"], "rejected", "{st}");
    let error = st["error"].as_str().unwrap();
    assert!(
        error.contains("sample column 3") && !error.contains("HG004"),
        "{error}"
    );
    assert!(e.app.store().object_of_node(&node).await.unwrap().is_none());
}

async fn a_member_outside_the_centres_scope_answers_like_an_absent_one(e: Env) {
    let t = trio(&e).await;
    // a library of the father sent to another centre
    let r = e
        .call(
            "POST",
            "/api/v1/lineage/nodes",
            Some("facility"),
            Some(json!({"kind": "library", "parent_id": t.people[1].extract.0, "strategy": "wgs", "centre": "SEQ-TK"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let elsewhere = r.json["barcode"].as_str().unwrap().to_string();
    let out = vcf_placeholder(&e, "centre", &t.cram, &[&elsewhere]).await;
    assert_eq!(out.status, StatusCode::NOT_FOUND, "{}", out.text);
    // exactly as a library that does not exist
    let absent = crate::harness::typo(&elsewhere);
    let absent = vcf_placeholder(&e, "centre", &t.cram, &[&absent]).await;
    assert_eq!(absent.status, StatusCode::NOT_FOUND, "{}", absent.text);
    assert_eq!(out.json["detail"], absent.json["detail"]);
    // the other centre itself may not hang anything under our CRAM either
    let other = vcf_placeholder(&e, "centre_other", &t.cram, &[&elsewhere]).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND, "{}", other.text);
    // the parent's own alignment again: its library has a column already
    let bad = vcf_placeholder(&e, "centre", &t.cram, &[&t.cram]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert_eq!(bad.json["field"], "members", "{}", bad.text);
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

async fn a_member_whose_consent_was_withdrawn_is_refused(e: Env) {
    let t = trio(&e).await;
    withdraw(&e, t.ids()[2]).await;
    let r = vcf_placeholder(
        &e,
        "centre",
        &t.cram,
        &[&t.people[1].library.1, &t.people[2].library.1],
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.json["field"], "members", "{}", r.text);
    assert!(
        r.text.contains(&t.people[2].library.1),
        "names the member: {}",
        r.text
    );
}

async fn a_withdrawal_between_registration_and_upload_refuses_the_file(e: Env) {
    let t = trio(&e).await;
    let r = vcf_placeholder(
        &e,
        "centre",
        &t.cram,
        &[&t.people[1].library.1, &t.people[2].library.1],
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let node = r.json["id"].as_str().unwrap().to_string();
    withdraw(&e, t.ids()[1]).await;
    let st = upload(&e, &node, &trio_vcf(t.ids())).await;
    assert_eq!(st["state"], "rejected", "{st}");
    assert!(
        st["error"].as_str().unwrap().contains(t.ids()[1]),
        "names the column: {st}"
    );
    assert!(e.app.store().object_of_node(&node).await.unwrap().is_none());
    assert!(e.app.variant_sample_names().await.unwrap().is_empty());
}

async fn the_same_vcf_twice_adds_no_rows(e: Env) {
    let t = trio(&e).await;
    let members = [t.people[1].library.1.as_str(), &t.people[2].library.1];
    let r = vcf_placeholder(&e, "centre", &t.cram, &members).await;
    let node = r.json["id"].as_str().unwrap().to_string();
    let body = trio_vcf(t.ids());
    let st = upload(&e, &node, &body).await;
    assert_eq!(st["state"], "stored", "{st}");
    let object = st["object_id"].as_str().unwrap().to_string();
    // the same bytes again, into a second placeholder: refused at creation
    let second = vcf_placeholder(&e, "centre", &t.cram, &members).await;
    let node2 = second.json["id"].as_str().unwrap().to_string();
    let sha = hex::encode(Sha256::digest(&body));
    let r = e
        .tus_create(
            "centre",
            body.len(),
            &[
                ("filename", "again.vcf"),
                ("node", &node2),
                ("sha256", &sha),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    // and a reload of the stored object: already loaded, nothing added
    let again = e
        .call(
            "POST",
            "/api/v1/variants/loads",
            Some("staff"),
            Some(json!({"object_id": object})),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    assert!(again.text.contains("already loaded"), "{}", again.text);
    let f = frequencies(&e).await;
    let a = allele(&f, "1-878314-G-C");
    assert_eq!((a["ac"].clone(), a["an"].clone()), (json!(3), json!(6)));
    assert_eq!(e.app.variant_sample_names().await.unwrap().len(), 3);
}

async fn a_failed_load_keeps_the_file_and_is_retried_through_the_api(e: Env) {
    let t = trio(&e).await;
    let r = vcf_placeholder(
        &e,
        "centre",
        &t.cram,
        &[&t.people[1].library.1, &t.people[2].library.1],
    )
    .await;
    let node = r.json["id"].as_str().unwrap().to_string();
    // the store cannot be written: a plain file where its samples directory goes
    let dir = e.app.config().variant_store_dir();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("samples"), b"").unwrap();
    let st = upload(&e, &node, &trio_vcf(t.ids())).await;
    assert_eq!(
        st["state"], "stored",
        "the file is stored whatever the load: {st}"
    );
    let object = st["object_id"].as_str().unwrap().to_string();
    assert!(e.app.store().object(&object).await.unwrap().is_some());
    assert_eq!(frequencies(&e).await["alleles"], json!([]));
    let alerts = e.app.store().alerts(50).await.unwrap();
    assert!(
        alerts
            .iter()
            .any(|a| a.rule == "variant_load_failed" && a.summary.contains(&object)),
        "{alerts:?}"
    );
    let audit = e.app.store().audit_after(0, 10_000_000).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a.action == "variants.load_failed" && a.target == format!("object:{object}"))
    );
    let state = e.app.store().variant_load(&object).await.unwrap().unwrap();
    assert_eq!(state.0, "failed");
    assert!(state.2.unwrap().contains("samples"));
    // a restart does not retry it on its own (it was alerted)…
    assert_eq!(e.app.load_unloaded_variants().await.unwrap(), 0);
    // …the store is repaired: the retry through the API loads it
    std::fs::remove_file(dir.join("samples")).unwrap();
    let retry = e
        .call(
            "POST",
            "/api/v1/variants/loads",
            Some("staff"),
            Some(json!({"object_id": object})),
        )
        .await;
    assert_eq!(retry.status, StatusCode::CREATED, "{}", retry.text);
    assert_eq!(retry.json["samples"], 3);
    let a = allele(&frequencies(&e).await, "1-878314-G-C").clone();
    assert_eq!(a["ac"], 3);
    let state = e.app.store().variant_load(&object).await.unwrap();
    assert_eq!(state.map(|s| s.0).as_deref(), Some("loaded"));
}

async fn a_vcf_stored_but_never_loaded_is_loaded_at_start_up_once(e: Env) {
    let t = trio(&e).await;
    let r = vcf_placeholder(
        &e,
        "centre",
        &t.cram,
        &[&t.people[1].library.1, &t.people[2].library.1],
    )
    .await;
    let node = r.json["id"].as_str().unwrap().to_string();
    // the variant store is gone with its load (a stop right after the file
    // was registered, before its load ran)
    let st = upload(&e, &node, &trio_vcf(t.ids())).await;
    let object = st["object_id"].as_str().unwrap().to_string();
    std::fs::remove_dir_all(e.app.config().variant_store_dir()).unwrap();
    zenome_store::testing::forget_variant_load(e.app.store(), &object).await;
    assert_eq!(frequencies(&e).await["alleles"], json!([]));
    assert_eq!(e.app.load_unloaded_variants().await.unwrap(), 1);
    e.app.settle_variant_loads().await;
    assert_eq!(allele(&frequencies(&e).await, "1-878314-G-C")["ac"], 3);
    // the next start finds nothing to do
    assert_eq!(e.app.load_unloaded_variants().await.unwrap(), 0);
    assert_eq!(e.app.variant_sample_names().await.unwrap().len(), 3);
}

async fn a_tumour_normal_pair_becomes_the_tumours_somatic_calls(e: Env) {
    let Some(data) = crate::htsget::testdata() else {
        return;
    };
    // the seeded specimen is tumour tissue; add the same participant's blood
    let s = e.seeded_participant().await;
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
            (
                r.json["id"].as_str().unwrap().to_string(),
                r.json["barcode"].as_str().unwrap().to_string(),
            )
        }
    };
    let blood = node(json!({"kind": "specimen", "participant_id": s.pid, "specimen_type": "peripheral_blood", "collected_on": "2026-05-01"})).await;
    let dna = node(json!({"kind": "extract", "parent_id": blood.0, "analyte": "dna"})).await;
    let normal =
        node(json!({"kind": "library", "parent_id": dna.0, "strategy": "wgs", "centre": "SEQ-KZ"}))
            .await;
    let cram = cram_of(&e, &s).await;
    let r = vcf_placeholder(&e, "centre", &cram, &[&normal.1]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let vcf = r.json["id"].as_str().unwrap().to_string();
    // one participant, two columns: they are named by the libraries' barcodes
    let text = std::fs::read_to_string(data.join("vcf/somatic/test_muse.vcf")).unwrap();
    let body = text
        .replacen(
            "\tTUMOR\tNORMAL\n",
            &format!("\t{}\t{}\n", s.library.1, normal.1),
            1,
        )
        .into_bytes();
    let st = upload(&e, &vcf, &body).await;
    assert_eq!(st["state"], "stored", "{st}");

    // germline counts do not see the tumour's calls…
    let q = zenome_app::variants::CohortQuery {
        chrom: "1".into(),
        start: 1,
        end: 10_000_000,
        reference_bases: None,
        alternate_bases: None,
    };
    let staff = e.app.actor_from_bearer(&e.tokens["staff"]).await.unwrap();
    let g = e.app.cohort_variants(Some(&staff), &q).await.unwrap();
    assert!(g.alleles.is_empty(), "{g:?}");
    // …the somatic ones do: chromosome 1's passing SOMATIC calls, tumour 0/1
    let expected: usize = std::process::Command::new("bash")
        .args([
            "-o",
            "pipefail",
            "-c",
            &format!(
                "bcftools view -H -f PASS,. -i 'INFO/SOMATIC=1' -t 1:1-10000000 {} 2>/dev/null | wc -l",
                data.join("vcf/somatic/test_muse.vcf").display()
            ),
        ])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().parse().unwrap())
        .unwrap();
    let somatic = e
        .app
        .cohort_variants_of(Some(&staff), &q, zenome_app::variants::Origin::Somatic)
        .await
        .unwrap();
    assert!(expected > 0);
    assert_eq!(somatic.alleles.len(), expected, "{somatic:?}");
    // the API asks the same with `origin=somatic`; a germline query sees nothing
    let url = "/api/v1/variants/frequencies?region=1:1-10000000";
    let g = e.call("GET", url, Some("staff"), None).await;
    assert_eq!(g.json["alleles"], json!([]), "{}", g.text);
    let api = e
        .call("GET", &format!("{url}&origin=somatic"), Some("staff"), None)
        .await;
    assert_eq!(
        api.json["alleles"].as_array().unwrap().len(),
        expected,
        "{}",
        api.text
    );
    let bad = e
        .call("GET", &format!("{url}&origin=tumour"), Some("staff"), None)
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.text);
    assert_eq!(bad.json["field"], "origin");
    assert!(
        somatic
            .alleles
            .iter()
            .all(|a| a.carriers.as_deref() == Some(&[s.pid.clone()][..]) && a.an == 2),
        "{somatic:?}"
    );
}

/// The trio excerpt without its third column.
fn duo_vcf(ids: [&str; 2]) -> Vec<u8> {
    let text = String::from_utf8(trio_vcf([ids[0], ids[1], "HG004"])).unwrap();
    let mut out = String::new();
    for line in text.lines() {
        if line.starts_with("##") {
            out.push_str(line);
        } else {
            out.push_str(line.rsplit_once('\t').unwrap().0);
        }
        out.push('\n');
    }
    out.into_bytes()
}

async fn a_researcher_reads_a_joint_vcf_only_if_granted_every_participant_in_it(e: Env) {
    let t = trio(&e).await;
    let placeholder = |members: Vec<String>| {
        let (e, cram) = (&e, t.cram.clone());
        async move {
            let m: Vec<&str> = members.iter().map(String::as_str).collect();
            let r = vcf_placeholder(e, "centre", &cram, &m).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
            r.json["id"].as_str().unwrap().to_string()
        }
    };
    let duo = placeholder(vec![t.people[1].library.1.clone()]).await;
    let st = upload(&e, &duo, &duo_vcf([t.ids()[0], t.ids()[1]])).await;
    assert_eq!(st["state"], "stored", "{st}");
    let duo = st["object_id"].as_str().unwrap().to_string();
    let all = placeholder(vec![
        t.people[1].library.1.clone(),
        t.people[2].library.1.clone(),
    ])
    .await;
    let st = upload(&e, &all, &trio_vcf(t.ids())).await;
    assert_eq!(st["state"], "stored", "{st}");
    let all = st["object_id"].as_str().unwrap().to_string();
    // a dataset holding the proband and the father, not the mother
    let r = e.call("POST", "/api/v1/datasets", Some("staff"), Some(json!({"id": "trio-ds", "title": "Trios", "title_ja": "トリオ", "security_level": "2", "data_types": ["vcf"], "requirement_scope": "health_medical"}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let members = |ids: Vec<&str>| {
        let e = &e;
        let ids: Vec<String> = ids.into_iter().map(str::to_string).collect();
        async move {
            let r = e
                .call(
                    "POST",
                    "/api/v1/datasets/trio-ds/members",
                    Some("staff"),
                    Some(json!({ "participants": ids })),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        }
    };
    members(vec![t.ids()[0], t.ids()[1]]).await;
    crate::access::granted(&e, "academic", &["trio-ds"], &["vcf"]).await;
    let drs = |object: String| {
        let e = &e;
        async move {
            e.call(
                "GET",
                &format!("/ga4gh/drs/v1/objects/{object}"),
                Some("academic"),
                None,
            )
            .await
            .status
        }
    };
    assert_eq!(drs(duo.clone()).await, StatusCode::OK);
    // the mother's genotypes are in the trio file: not without her
    assert_eq!(drs(all.clone()).await, StatusCode::NOT_FOUND);
    members(vec![t.ids()[2]]).await;
    assert_eq!(drs(all.clone()).await, StatusCode::OK);
    // and the father's withdrawal closes both files that carry him
    withdraw(&e, t.ids()[1]).await;
    assert_eq!(drs(duo).await, StatusCode::NOT_FOUND);
    assert_eq!(drs(all).await, StatusCode::NOT_FOUND);
}

async fn the_portal_registers_a_vcf_placeholder_with_its_members(e: Env) {
    let t = trio(&e).await;
    let mut b = crate::portal::Browser::new(&e);
    b.login("staff", "staff").await;
    let url = format!("/portal/participants/{}/lineage", t.ids()[0]);
    let page = b.get(&url).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(
        page.text.contains("共同コールVCF") || page.text.contains("joint-called VCF"),
        "the members field is offered"
    );
    let csrf = crate::portal::csrf_of(&page.text);
    let members = format!("{}, {}", t.people[1].library.1, t.people[2].library.1);
    let r = b
        .post(
            &format!("/portal/participants/{}/nodes", t.ids()[0]),
            &[
                ("csrf", &csrf),
                ("kind", "file"),
                ("parent_id", &t.cram),
                ("format", "vcf"),
                ("members", &members),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let vcf = e
        .app
        .store()
        .nodes_of(&t.ids()[0].parse().unwrap())
        .await
        .unwrap()
        .into_iter()
        .find(|n| n.parent.as_ref().map(|p| p.as_str()) == Some(t.cram.as_str()))
        .unwrap();
    let cols = e.app.store().vcf_samples(vcf.id.as_str()).await.unwrap();
    let names: Vec<&str> = cols.iter().map(|c| c.sample.as_str()).collect();
    assert_eq!(names, t.ids());
    // a member that does not exist: refused on the page, nothing registered
    let r = b
        .post(
            &format!("/portal/participants/{}/nodes", t.ids()[0]),
            &[
                ("csrf", &csrf),
                ("kind", "file"),
                ("parent_id", &t.cram),
                ("format", "vcf"),
                ("members", &crate::harness::typo(&t.people[1].library.1)),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
}

crate::on_both_engines!(
    the_portal_registers_a_vcf_placeholder_with_its_members,
    a_vcf_stored_but_never_loaded_is_loaded_at_start_up_once,
    a_researcher_reads_a_joint_vcf_only_if_granted_every_participant_in_it,
    a_trio_vcf_is_ingested_and_its_three_participants_counted,
    an_undeclared_sample_column_is_refused_naming_it_and_nothing_changes,
    a_member_outside_the_centres_scope_answers_like_an_absent_one,
    a_member_whose_consent_was_withdrawn_is_refused,
    a_withdrawal_between_registration_and_upload_refuses_the_file,
    the_same_vcf_twice_adds_no_rows,
    a_failed_load_keeps_the_file_and_is_retried_through_the_api,
    a_tumour_normal_pair_becomes_the_tumours_somatic_calls,
);
