//! Cohort variant queries (issue 8 §4–5): a VCF whose samples are registered
//! participants, loaded into the app's variant store, counted over who may
//! be counted *now* — consent in force, the caller's grants — at the
//! granularity of the caller's role.

use http::StatusCode;
use serde_json::json;
use zenome_app::variants::{CohortQuery, Granularity};
use zenome_app::{Actor, AppError};

use crate::access::{Cohort, cohort, granted};
use crate::harness::Env;

/// Two sites: 20:1000226 A>T carried by four of six, 20:1000300 G>C carried
/// by `cancer[1]` only.
fn vcf(c: &Cohort) -> String {
    let names = [
        c.cancer[0].as_str(),
        &c.cancer[1],
        &c.cancer[2],
        &c.cancer_no_industry,
        &c.rare_opt_in,
        &c.rare_no_opt_in,
    ];
    format!(
        "##fileformat=VCFv4.2\n##contig=<ID=20>\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n\
         #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t{}\n\
         20\t1000226\t.\tA\tT\t.\tPASS\t.\tGT\t0/1\t1/1\t0/0\t0/1\t0/1\t0/0\n\
         20\t1000300\t.\tG\tC\t.\tPASS\t.\tGT\t0/0\t0/1\t0/0\t0/0\t0/0\t0/0\n",
        names.join("\t")
    )
}

async fn actor(e: &Env, who: &str) -> Actor {
    e.app.actor_from_bearer(&e.tokens[who]).await.unwrap()
}

fn region() -> CohortQuery {
    CohortQuery {
        chrom: "20".into(),
        start: 1_000_000,
        end: 1_100_000,
        reference_bases: None,
        alternate_bases: None,
    }
}

/// The cohort, loaded by staff; returns it.
async fn loaded(e: &Env) -> Cohort {
    let c = cohort(e).await;
    let path = e.app.config().data_dir.join("cohort.vcf");
    std::fs::write(&path, vcf(&c)).unwrap();
    let staff = actor(e, "staff").await;
    let l = e.app.load_variants(&staff, &path).await.unwrap();
    assert_eq!((l.samples, l.rows), (6, 2));
    c
}

async fn counts_match_and_a_withdrawal_changes_the_next_query(e: Env) {
    let c = loaded(&e).await;
    let staff = actor(&e, "staff").await;
    let a = e
        .app
        .cohort_variants(Some(&staff), &region())
        .await
        .unwrap();
    assert_eq!(a.granularity, Granularity::Record);
    assert_eq!(a.alleles.len(), 2);
    let t = &a.alleles[0];
    assert_eq!(
        (
            t.pos,
            t.reference.as_str(),
            t.alternate.as_str(),
            t.ac,
            t.an,
            t.n_hom_alt
        ),
        (1000226, "A", "T", 5, 12, 1)
    );
    assert_eq!(
        t.carriers.as_deref().unwrap(),
        [
            c.cancer[0].clone(),
            c.cancer[1].clone(),
            c.cancer_no_industry.clone(),
            c.rare_opt_in.clone()
        ]
    );
    // a facility counts its own participants, without carriers
    let fac = actor(&e, "facility").await;
    let f = e.app.cohort_variants(Some(&fac), &region()).await.unwrap();
    assert_eq!(f.granularity, Granularity::Count);
    assert_eq!((f.alleles[0].ac, f.alleles[0].an), (5, 12));
    assert!(f.alleles.iter().all(|a| a.carriers.is_none()));
    let other = actor(&e, "facility_other").await;
    let o = e
        .app
        .cohort_variants(Some(&other), &region())
        .await
        .unwrap();
    assert!(
        o.alleles.is_empty(),
        "another facility's participants counted"
    );

    let r = e
        .call(
            "POST",
            &format!("/api/v1/participants/{}/consents", c.cancer[1]),
            Some("facility"),
            Some(json!({"action": "withdraw", "reason": "本人の申し出"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let b = e
        .app
        .cohort_variants(Some(&staff), &region())
        .await
        .unwrap();
    // the allele only the withdrawn participant carried is gone, the other recounted
    assert_eq!(b.alleles.len(), 1);
    let t = &b.alleles[0];
    assert_eq!((t.pos, t.ac, t.an, t.n_hom_alt), (1000226, 3, 10, 0));
    assert!(!t.carriers.as_ref().unwrap().contains(&c.cancer[1]));
    // nor does the public see it any more
    let anon = e.app.cohort_variants(None, &region()).await.unwrap();
    assert_eq!(anon.alleles.len(), 1);
}

async fn anonymous_callers_get_a_boolean_answer_only(e: Env) {
    loaded(&e).await;
    let a = e.app.cohort_variants(None, &region()).await.unwrap();
    assert_eq!(a.granularity, Granularity::Boolean);
    assert_eq!(a.alleles.len(), 2);
    assert!(
        a.alleles
            .iter()
            .all(|a| a.ac == 0 && a.an == 0 && a.n_hom_alt == 0 && a.carriers.is_none())
    );
    let mut q = region();
    q.alternate_bases = Some("g".into());
    assert!(
        e.app
            .cohort_variants(None, &q)
            .await
            .unwrap()
            .alleles
            .is_empty()
    );
    q.alternate_bases = Some("c".into());
    assert_eq!(
        e.app.cohort_variants(None, &q).await.unwrap().alleles.len(),
        1
    );
}

async fn researchers_count_only_the_members_their_grant_covers(e: Env) {
    let c = loaded(&e).await;
    let res = actor(&e, "academic").await;
    let none = e.app.cohort_variants(Some(&res), &region()).await.unwrap();
    assert!(none.alleles.is_empty(), "counted without a grant: {none:?}");
    assert_ne!(none.granularity, Granularity::Record);
    // a grant for CRAM only does not open the VCFs
    granted(&e, "academic", &["rare-wgs-r1"], &["cram"]).await;
    let res = actor(&e, "academic").await;
    assert!(
        e.app
            .cohort_variants(Some(&res), &region())
            .await
            .unwrap()
            .alleles
            .is_empty()
    );
    granted(&e, "academic", &["cancer-wgs-r1"], &["vcf"]).await;
    let a = e.app.cohort_variants(Some(&res), &region()).await.unwrap();
    assert_eq!(a.granularity, Granularity::Record);
    let t = &a.alleles[0];
    // cancer members only: cancer[0..3] and cancer_no_industry
    assert_eq!((t.ac, t.an), (4, 8));
    assert_eq!(
        t.carriers.as_deref().unwrap(),
        [
            c.cancer[0].clone(),
            c.cancer[1].clone(),
            c.cancer_no_industry.clone()
        ]
    );
}

async fn loading_refuses_unregistered_sample_names_and_non_staff(e: Env) {
    let c = cohort(&e).await;
    let path = e.app.config().data_dir.join("bad.vcf");
    std::fs::write(&path, vcf(&c).replace(&c.rare_no_opt_in, "NA12878")).unwrap();
    let staff = actor(&e, "staff").await;
    match e.app.load_variants(&staff, &path).await {
        Err(AppError::Invalid { field, reason }) => {
            assert_eq!(field, "samples");
            assert!(reason.contains("NA12878"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    let fac = actor(&e, "facility").await;
    std::fs::write(&path, vcf(&c)).unwrap();
    assert!(matches!(
        e.app.load_variants(&fac, &path).await,
        Err(AppError::Forbidden(_))
    ));
    assert!(
        e.app
            .cohort_variants(None, &region())
            .await
            .unwrap()
            .alleles
            .is_empty()
    );
}

async fn the_api_masks_small_counts_and_lists_carriers_only_to_row_level_callers(e: Env) {
    let c = loaded(&e).await;
    let url = "/api/v1/variants/frequencies?region=20:1000000-1100000";
    let staff = e.call("GET", url, Some("staff"), None).await;
    assert_eq!(staff.status, StatusCode::OK, "{}", staff.text);
    assert_eq!(staff.json["granularity"], "record");
    let a = &staff.json["alleles"];
    assert_eq!(a[0]["variant"], "20-1000226-A-T");
    assert_eq!(
        (a[0]["ac"].clone(), a[0]["an"].clone()),
        (json!(5), json!(12))
    );
    assert!((a[0]["af"].as_f64().unwrap() - 5.0 / 12.0).abs() < 1e-9);
    assert_eq!(a[1]["ac"], 1, "row-level callers see small counts");
    assert_eq!(a[1]["carriers"], json!([c.cancer[1]]));
    // a facility: counts, small ones masked and their AF withheld, no carriers
    let fac = e.call("GET", url, Some("facility"), None).await;
    assert_eq!(fac.json["granularity"], "count", "{}", fac.text);
    let a = &fac.json["alleles"];
    assert_eq!(a[0]["ac"], 5);
    assert_eq!(a[1]["ac"], "<5");
    assert_eq!(a[1]["n_hom_alt"], 0);
    assert!(
        a[1].get("af").is_none() && a[0].get("carriers").is_none(),
        "{}",
        fac.text
    );
    assert!(!fac.text.contains(&c.cancer[1]));
    // the public: presence only
    let anon = e.call("GET", url, None, None).await;
    assert_eq!(anon.status, StatusCode::OK, "{}", anon.text);
    assert_eq!(anon.json["granularity"], "boolean");
    assert_eq!(anon.json["alleles"].as_array().unwrap().len(), 2);
    assert!(anon.json["alleles"][0].get("ac").is_none(), "{}", anon.text);
    // one variant
    let one = e
        .call(
            "GET",
            &format!("{url}&variant=20-1000226-A-T"),
            Some("staff"),
            None,
        )
        .await;
    assert_eq!(
        one.json["alleles"].as_array().unwrap().len(),
        1,
        "{}",
        one.text
    );
    let none = e
        .call(
            "GET",
            "/api/v1/variants/frequencies?variant=20-1000226-A-G",
            Some("staff"),
            None,
        )
        .await;
    assert_eq!(none.json["alleles"], json!([]));
    // a researcher without a grant counts nobody
    let r = e.call("GET", url, Some("academic"), None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json["alleles"], json!([]));
}

async fn a_region_too_wide_or_malformed_is_400_naming_the_field(e: Env) {
    for (q, field) in [
        ("region=20:100-50", "region"),
        ("region=20:", "region"),
        ("region=20:1-9999999999", "region"),
        ("", "region"),
        ("region=20&limit=0", "limit"),
        ("region=20&limit=10001", "limit"),
        ("region=20&page_token=1000226", "page_token"),
        ("region=20&page_token=x:A:T", "page_token"),
        ("region=20&groups=sex,age", "groups"),
        ("variant=20-100-A", "variant"),
        ("variant=20-x-A-T", "variant"),
        ("region=20:1-1000&variant=20-5000-A-T", "variant"),
    ] {
        let r = e
            .call(
                "GET",
                &format!("/api/v1/variants/frequencies?{q}"),
                Some("staff"),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}: {}", r.text);
        assert_eq!(r.json["field"], field, "{q}: {}", r.text);
        assert_eq!(r.headers["content-type"], "application/problem+json", "{q}");
    }
}

async fn a_stored_vcf_object_loads_through_the_api_once_and_for_staff_only(e: Env) {
    let (s, run) = e.run().await;
    let r = e
        .call(
            "POST",
            "/api/v1/lineage/nodes",
            Some("centre"),
            Some(json!({"kind": "file", "parent_id": run, "format": "cram"})),
        )
        .await;
    let cram = r.json["id"].as_str().unwrap().to_string();
    let body = format!(
        "##fileformat=VCFv4.3\n##contig=<ID=20,length=64444167>\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t{}\n20\t1000226\t.\tA\tG\t50\tPASS\t.\tGT\t0/1\n",
        s.pid
    )
    .into_bytes();
    use sha2::Digest;
    let md5 = hex::encode(md5::Md5::digest(&body));
    let sha = hex::encode(sha2::Sha256::digest(&body));
    let r = e
        .tus_create(
            "centre",
            body.len(),
            &[
                ("filename", "calls.vcf"),
                ("parent", &cram),
                ("format", "vcf"),
                ("md5", &md5),
                ("sha256", &sha),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let url = r.headers["location"].to_str().unwrap().to_string();
    let p = e.tus_patch("centre", &url, 0, &body).await;
    assert_eq!(p.status, StatusCode::NO_CONTENT, "{}", p.text);
    // a stored VCF that passed QC is loaded by the ingest itself
    e.app.settle_variant_loads().await;
    let st = e.call("GET", &url, Some("centre"), None).await;
    let object = st.json["object_id"].as_str().unwrap().to_string();
    let load = json!({"object_id": object});
    let r = e
        .call(
            "POST",
            "/api/v1/variants/loads",
            Some("facility"),
            Some(load.clone()),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let r = e
        .call(
            "POST",
            "/api/v1/variants/loads",
            Some("staff"),
            Some(load.clone()),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(
        r.json["detail"]
            .as_str()
            .unwrap()
            .starts_with(&format!("object {object}: already loaded")),
        "names the object, not a server path: {}",
        r.text
    );
    let f = e
        .call(
            "GET",
            "/api/v1/variants/frequencies?variant=20-1000226-A-G",
            Some("staff"),
            None,
        )
        .await;
    assert_eq!(
        f.json["alleles"][0]["carriers"],
        json!([s.pid]),
        "{}",
        f.text
    );
    // the same file again: refused, nothing added
    let r = e
        .call("POST", "/api/v1/variants/loads", Some("staff"), Some(load))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    let r = e
        .call(
            "POST",
            "/api/v1/variants/loads",
            Some("staff"),
            Some(json!({"object_id": "nope"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
}

#[tokio::test]
async fn the_openapi_document_declares_the_variant_endpoints_with_query_parameters() {
    let e = crate::harness::env().await;
    let doc = e.call("GET", "/api/v1/openapi.json", None, None).await.json;
    let f = &doc["paths"]["/api/v1/variants/frequencies"]["get"];
    let params = f["parameters"].as_array().expect("parameters");
    for name in [
        "region",
        "variant",
        "hgvs",
        "gene",
        "groups",
        "limit",
        "page_token",
    ] {
        let p = params.iter().find(|p| p["name"] == name).expect(name);
        assert_eq!(p["in"], "query", "{name}");
    }
    assert_eq!(
        f["responses"]["400"]["content"]["application/problem+json"]["schema"]["$ref"],
        "#/components/schemas/Problem"
    );
    assert!(doc["paths"]["/api/v1/variants/loads"]["post"].is_object());
    assert_eq!(
        f["responses"]["404"]["content"]["application/problem+json"]["schema"]["$ref"],
        "#/components/schemas/Problem"
    );
    let freq = &doc["components"]["schemas"]["FrequenciesDto"]["properties"];
    assert!(freq["next"].is_object(), "{freq}");
    let allele = &doc["components"]["schemas"]["AlleleFreqDto"]["properties"];
    assert!(allele["n_hemi"].is_object() && allele["subgroups"].is_object());
    assert!(doc["components"]["schemas"]["SubgroupFreqDto"].is_object());
    // the variant paths (with every component) are valid OpenAPI, where the
    // validator is installed (other paths are not this test's)
    let ok = std::process::Command::new("python3")
        .args(["-c", "import openapi_spec_validator"])
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("openapi.json");
        let mut part = doc.clone();
        let paths = &doc["paths"];
        part["paths"] = json!({
            "/api/v1/variants/frequencies": paths["/api/v1/variants/frequencies"],
            "/api/v1/variants/loads": paths["/api/v1/variants/loads"],
        });
        std::fs::write(&path, part.to_string()).unwrap();
        let out = std::process::Command::new("python3")
            .args([
                "-c",
                "import json,sys; from openapi_spec_validator import validate; validate(json.load(open(sys.argv[1])))",
                path.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// A parallel burst: 60 frequency requests from three roles, malformed ones
/// among them, with a withdrawal landing in the middle. Every answer is a
/// 200 (or the 400 a malformed one earns), never a 5xx, and each staff
/// answer is wholly before or wholly after the withdrawal (AN 12 or 10),
/// never a mix; the next query is the after state.
async fn a_parallel_burst_with_a_withdrawal_in_the_middle_answers_consistently(e: Env) {
    let c = loaded(&e).await;
    let ok_uri = "/api/v1/variants/frequencies?region=20:1000000-1100000";
    let bad_uri = "/api/v1/variants/frequencies?region=20:1100000-1000000";
    let roles = [None, Some("facility"), Some("staff")];
    let calls = (0..60).map(|i| {
        let e = &e;
        let who = roles[i % 3];
        let uri = if i % 10 == 7 { bad_uri } else { ok_uri };
        async move { (who, uri, e.call("GET", uri, who, None).await) }
    });
    let withdraw = async {
        tokio::task::yield_now().await;
        e.call(
            "POST",
            &format!("/api/v1/participants/{}/consents", c.cancer[1]),
            Some("facility"),
            Some(json!({"action": "withdraw", "reason": "本人の申し出"})),
        )
        .await
    };
    let (answers, w) = tokio::join!(futures_util::future::join_all(calls), withdraw);
    assert_eq!(w.status, StatusCode::CREATED, "{}", w.text);
    let mut staff_states = std::collections::BTreeSet::new();
    for (who, uri, r) in &answers {
        if *uri == bad_uri {
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{who:?}: {}", r.text);
            assert_eq!(r.json["field"], "region");
            continue;
        }
        assert_eq!(r.status, StatusCode::OK, "{who:?}: {}", r.text);
        if *who == Some("staff") {
            let a = &r.json["alleles"][0];
            assert_eq!(a["pos"], 1000226, "{}", r.text);
            let an = a["an"].as_u64().unwrap();
            let carriers = a["carriers"].as_array().unwrap().len();
            match an {
                12 => assert_eq!(carriers, 4, "{}", r.text),
                10 => assert_eq!(carriers, 3, "{}", r.text),
                other => panic!("AN {other}: a mix of before and after: {}", r.text),
            }
            staff_states.insert(an);
        }
    }
    assert!(!staff_states.is_empty());
    let after = e.call("GET", ok_uri, Some("staff"), None).await;
    assert_eq!(after.json["alleles"][0]["an"], 10, "{}", after.text);
}

crate::on_both_engines!(
    a_parallel_burst_with_a_withdrawal_in_the_middle_answers_consistently,
    subgroups_by_sex_facility_area_and_site_count_the_right_participants,
    a_withdrawn_participant_drops_from_its_subgroup_on_the_next_query,
    facility_callers_see_small_subgroup_counts_as_under_5_and_the_public_no_subgroups,
    a_whole_chromosome_comes_page_by_page_over_http_as_one_answer,
    the_api_masks_small_counts_and_lists_carriers_only_to_row_level_callers,
    a_region_too_wide_or_malformed_is_400_naming_the_field,
    a_stored_vcf_object_loads_through_the_api_once_and_for_staff_only,
    counts_match_and_a_withdrawal_changes_the_next_query,
    anonymous_callers_get_a_boolean_answer_only,
    researchers_count_only_the_members_their_grant_covers,
    loading_refuses_unregistered_sample_names_and_non_staff,
);

// ------------------------------------------------------------- subgroups

/// Participants for subgroup tests: (facility label, area, sex), in VCF
/// column order. p0, p1 get a lung-cancer record (site C34), p3, p4 a
/// rare-disease one (ICD-10 G40.4: group G); the others have none.
const PEOPLE: [(&str, &str, &str); 8] = [
    ("facility", "cancer", "female"),
    ("facility", "cancer", "female"),
    ("facility", "cancer", "male"),
    ("facility", "rare_disease", "male"),
    ("facility", "rare_disease", "female"),
    ("facility_other", "cancer", "male"),
    ("facility_other", "cancer", "female"),
    ("facility_other", "rare_disease", "male"),
];

/// Registers, consents and records [`PEOPLE`], loads their genotypes:
/// 20:1000226 A>T (AC 7 of 16), 20:1000300 G>C (p0), 20:2500000 C>T and
/// C>CA (p3, p5), and X:2800000 G>A with the males haploid.
async fn subgroup_cohort(e: &Env) -> Vec<String> {
    let mut ids = Vec::new();
    for (i, (fac, area, sex)) in PEOPLE.iter().enumerate() {
        let r = e
            .call(
                "POST",
                "/api/v1/participants",
                Some(fac),
                Some(json!({"disease_area": area, "sex": sex})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let pid = r.json["id"].as_str().unwrap().to_string();
        let r = e
            .call(
                "POST",
                &format!("/api/v1/participants/{pid}/consents"),
                Some(fac),
                Some(crate::harness::give()),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let record = match i {
            0 | 1 => Some(crate::clinical::cancer_record(&pid)),
            3 | 4 => Some(crate::clinical::rare_record(&pid)),
            _ => None,
        };
        if let Some(rec) = record {
            let r = e
                .call(
                    "POST",
                    &format!("/api/v1/participants/{pid}/clinical"),
                    Some(fac),
                    Some(rec),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        }
        ids.push(pid);
    }
    let vcf = format!(
        "##fileformat=VCFv4.2\n##contig=<ID=20>\n##contig=<ID=X>\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n\
         #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t{}\n\
         20\t1000226\t.\tA\tT\t.\tPASS\t.\tGT\t0/1\t1/1\t0/0\t0/1\t0/0\t1/1\t0/1\t0/0\n\
         20\t1000300\t.\tG\tC\t.\tPASS\t.\tGT\t0/1\t0/0\t0/0\t0/0\t0/0\t0/0\t0/0\t0/0\n\
         20\t2500000\t.\tC\tT,CA\t.\tPASS\t.\tGT\t0/0\t0/0\t0/0\t0/1\t0/0\t0/2\t0/0\t0/0\n\
         X\t2800000\t.\tG\tA\t.\tPASS\t.\tGT\t0/1\t0/0\t1\t0\t1/1\t1\t0/0\t.\n",
        ids.join("\t")
    );
    let path = e.app.config().data_dir.join("groups.vcf");
    std::fs::write(&path, vcf).unwrap();
    let staff = actor(e, "staff").await;
    e.app.load_variants(&staff, &path).await.unwrap();
    ids
}

/// The subgroups of one allele of a frequencies answer: (group, value) →
/// (ac, an, n_hom_alt, n_hemi) as JSON values.
fn subgroups(
    a: &serde_json::Value,
) -> std::collections::BTreeMap<(String, String), serde_json::Value> {
    a["subgroups"]
        .as_array()
        .map(|v| {
            v.iter()
                .map(|s| {
                    (
                        (
                            s["group"].as_str().unwrap().to_string(),
                            s["value"].as_str().unwrap().to_string(),
                        ),
                        json!([s["ac"], s["an"], s["n_hom_alt"], s["n_hemi"]]),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn key(g: &str, v: &str) -> (String, String) {
    (g.to_string(), v.to_string())
}

async fn subgroups_by_sex_facility_area_and_site_count_the_right_participants(e: Env) {
    subgroup_cohort(&e).await;
    let url = "/api/v1/variants/frequencies?region=20:1000226-1000226&groups=sex,facility,disease_area,cancer_site,rare_disease_group";
    let r = e.call("GET", url, Some("staff"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let a = &r.json["alleles"][0];
    assert_eq!((a["ac"].clone(), a["an"].clone()), (json!(7), json!(16)));
    let g = subgroups(a);
    let want = [
        (key("disease_area", "cancer"), json!([6, 10, 2, 0])),
        (key("disease_area", "rare_disease"), json!([1, 6, 0, 0])),
        (key("cancer_site", "C34"), json!([3, 4, 1, 0])),
        (key("cancer_site", "unknown"), json!([3, 6, 1, 0])),
        (key("rare_disease_group", "G"), json!([1, 4, 0, 0])),
        (key("rare_disease_group", "unknown"), json!([0, 2, 0, 0])),
        (key("sex", "female"), json!([4, 8, 1, 0])),
        (key("sex", "male"), json!([3, 8, 1, 0])),
        (key("facility", "OSK-CC"), json!([3, 6, 1, 0])),
        (key("facility", "TKY-UH"), json!([4, 10, 1, 0])),
    ];
    assert_eq!(g, want.into_iter().collect(), "{}", r.text);
    // the order: grouping, then value
    let order: Vec<&str> = a["subgroups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["group"].as_str().unwrap())
        .collect();
    assert_eq!(order[0], "disease_area");
    assert_eq!(order[order.len() - 1], "facility");
    // chrX: males are hemizygotes, counted apart from the homozygote
    let r = e
        .call(
            "GET",
            "/api/v1/variants/frequencies?variant=X-2800000-G-A&groups=sex",
            Some("staff"),
            None,
        )
        .await;
    let a = &r.json["alleles"][0];
    assert_eq!(
        json!([a["ac"], a["an"], a["n_hom_alt"], a["n_hemi"]]),
        json!([5, 11, 1, 2]),
        "{}",
        r.text
    );
    let g = subgroups(a);
    assert_eq!(g[&key("sex", "male")], json!([2, 3, 0, 2]));
    assert_eq!(g[&key("sex", "female")], json!([3, 8, 1, 0]));
}

async fn a_withdrawn_participant_drops_from_its_subgroup_on_the_next_query(e: Env) {
    let ids = subgroup_cohort(&e).await;
    let url = "/api/v1/variants/frequencies?variant=20-1000226-A-T&groups=sex,cancer_site";
    let before = e.call("GET", url, Some("staff"), None).await;
    let g = subgroups(&before.json["alleles"][0]);
    assert_eq!(g[&key("sex", "female")], json!([4, 8, 1, 0]));
    assert_eq!(g[&key("cancer_site", "C34")], json!([3, 4, 1, 0]));
    // p1 (female, C34, 1/1) withdraws
    let r = e
        .call(
            "POST",
            &format!("/api/v1/participants/{}/consents", ids[1]),
            Some("facility"),
            Some(json!({"action": "withdraw", "reason": "本人の申し出"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let after = e.call("GET", url, Some("staff"), None).await;
    let a = &after.json["alleles"][0];
    assert_eq!((a["ac"].clone(), a["an"].clone()), (json!(5), json!(14)));
    let g = subgroups(a);
    assert_eq!(
        g[&key("sex", "female")],
        json!([2, 6, 0, 0]),
        "{}",
        after.text
    );
    assert_eq!(g[&key("sex", "male")], json!([3, 8, 1, 0]));
    assert_eq!(g[&key("cancer_site", "C34")], json!([1, 2, 0, 0]));
}

async fn facility_callers_see_small_subgroup_counts_as_under_5_and_the_public_no_subgroups(e: Env) {
    subgroup_cohort(&e).await;
    let url = "/api/v1/variants/frequencies?variant=20-1000226-A-T&groups=sex,facility";
    let r = e.call("GET", url, Some("facility"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["granularity"], "count");
    let a = &r.json["alleles"][0];
    // TKY-UH counts its own five: AC 4 of 10
    assert_eq!((a["ac"].clone(), a["an"].clone()), (json!("<5"), json!(10)));
    let g = subgroups(a);
    assert_eq!(
        g,
        [
            (key("sex", "female"), json!(["<5", 6, "<5", 0])),
            (key("sex", "male"), json!(["<5", "<5", 0, 0])),
            (key("facility", "TKY-UH"), json!(["<5", 10, "<5", 0])),
        ]
        .into_iter()
        .collect(),
        "{}",
        r.text
    );
    for s in a["subgroups"].as_array().unwrap() {
        assert!(s.get("af").is_none(), "AF of a masked count shown: {s}");
    }
    assert!(
        !r.text.contains("OSK-CC"),
        "another facility's subgroup shown"
    );
    // the public sees presence only, and no subgroups
    let anon = e.call("GET", url, None, None).await;
    assert_eq!(anon.status, StatusCode::FORBIDDEN, "{}", anon.text);
    assert_eq!(anon.headers["content-type"], "application/problem+json");
    let anon = e
        .call(
            "GET",
            "/api/v1/variants/frequencies?variant=20-1000226-A-T",
            None,
            None,
        )
        .await;
    assert_eq!(anon.status, StatusCode::OK);
    assert!(anon.json["alleles"][0].get("subgroups").is_none());
}

async fn a_whole_chromosome_comes_page_by_page_over_http_as_one_answer(e: Env) {
    subgroup_cohort(&e).await;
    let whole = e
        .call(
            "GET",
            "/api/v1/variants/frequencies?region=20&groups=sex",
            Some("staff"),
            None,
        )
        .await;
    assert_eq!(whole.status, StatusCode::OK, "{}", whole.text);
    let want = whole.json["alleles"].as_array().unwrap().clone();
    let keys: Vec<&str> = want
        .iter()
        .map(|a| a["variant"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "20-1000226-A-T",
            "20-1000300-G-C",
            "20-2500000-C-T",
            "20-2500000-C-CA"
        ]
    );
    assert!(whole.json.get("next").is_none());
    for limit in [1, 2, 3] {
        let mut url = format!("/api/v1/variants/frequencies?region=chr20&groups=sex&limit={limit}");
        let mut got = Vec::new();
        let mut pages = 0;
        loop {
            let r = e.call("GET", &url, Some("staff"), None).await;
            assert_eq!(r.status, StatusCode::OK, "{url}: {}", r.text);
            let page = r.json["alleles"].as_array().unwrap();
            assert!(page.len() <= limit);
            got.extend(page.iter().cloned());
            pages += 1;
            match r.json["next"].as_str() {
                Some(next) => {
                    assert_eq!(page.len(), limit, "only the last page may be short");
                    assert!(
                        next.contains("page_token=") && next.contains("groups=sex"),
                        "{next}"
                    );
                    url = next.to_string();
                }
                None => break,
            }
        }
        assert_eq!(got, want, "limit {limit}");
        assert_eq!(pages, want.len().div_ceil(limit), "limit {limit}");
    }
}

// ------------------------------------------------------------ genes, HGVS

/// Sites on `chr21` around APP (25,880,550–26,171,128 in Ensembl's GRCh38
/// model, which names the chromosome `21`), carried by the access cohort.
fn chr21_vcf(c: &Cohort) -> String {
    let names = [
        c.cancer[0].as_str(),
        &c.cancer[1],
        &c.cancer[2],
        &c.cancer_no_industry,
        &c.rare_opt_in,
        &c.rare_no_opt_in,
    ];
    format!(
        "##fileformat=VCFv4.2\n##contig=<ID=chr21>\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n\
         #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t{}\n\
         chr21\t25880549\t.\tG\tA\t.\tPASS\t.\tGT\t0/1\t0/0\t0/0\t0/0\t0/0\t0/0\n\
         chr21\t25880600\t.\tA\tG\t.\tPASS\t.\tGT\t0/1\t1/1\t0/0\t0/0\t0/1\t0/0\n\
         chr21\t25890000\t.\tACT\tA\t.\tPASS\t.\tGT\t0/0\t0/1\t0/0\t0/0\t0/0\t0/0\n\
         chr21\t26171128\t.\tC\tT\t.\tPASS\t.\tGT\t0/0\t0/0\t0/1\t0/0\t0/0\t0/0\n\
         chr21\t26171129\t.\tT\tC\t.\tPASS\t.\tGT\t0/0\t0/0\t0/0\t0/1\t0/0\t0/0\n",
        names.join("\t")
    )
}

async fn gene_and_hgvs_queries_answer_as_the_equivalent_region_and_variant(e: Env) {
    let c = cohort(&e).await;
    let path = e.app.config().data_dir.join("chr21.vcf");
    std::fs::write(&path, chr21_vcf(&c)).unwrap();
    let staff = actor(&e, "staff").await;
    e.app.load_variants(&staff, &path).await.unwrap();
    let get = |q: String| {
        let e = &e;
        async move {
            e.call(
                "GET",
                &format!("/api/v1/variants/frequencies?{q}"),
                Some("staff"),
                None,
            )
            .await
        }
    };
    let region = get("region=chr21:25880550-26171128".into()).await;
    assert_eq!(region.status, StatusCode::OK, "{}", region.text);
    let variants: Vec<&str> = region.json["alleles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["variant"].as_str().unwrap())
        .collect();
    assert_eq!(
        variants,
        [
            "chr21-25880600-A-G",
            "chr21-25890000-ACT-A",
            "chr21-26171128-C-T"
        ]
    );
    for gene in ["APP", "app", "ENSG00000142192"] {
        let g = get(format!("gene={gene}")).await;
        assert_eq!(g.status, StatusCode::OK, "{gene}: {}", g.text);
        assert_eq!(g.json, region.json, "{gene}");
    }
    let none = get("gene=NOTAGENE1".into()).await;
    assert_eq!(none.status, StatusCode::NOT_FOUND, "{}", none.text);
    assert_eq!(none.json["field"], "gene");
    assert!(
        none.json["detail"].as_str().unwrap().contains("NOTAGENE1"),
        "{}",
        none.text
    );
    assert_eq!(none.headers["content-type"], "application/problem+json");

    // one allele, by key (the store's 'chr21' also as '21') and by HGVS
    let key = get("variant=chr21-25880600-A-G".into()).await;
    assert_eq!(
        key.json["alleles"].as_array().unwrap().len(),
        1,
        "{}",
        key.text
    );
    for q in [
        "variant=21-25880600-A-G",
        "hgvs=chr21:g.25880600A%3EG",
        "hgvs=21:g.25880600A%3EG",
        "hgvs=NC_000021.9:g.25880600A%3EG",
        "variant=NC_000021.9:g.25880600A%3EG",
    ] {
        let r = get(q.into()).await;
        assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.text);
        assert_eq!(r.json, key.json, "{q}");
    }
    // a deletion whose bases the description leaves out: read from the stored REF
    let del = get("hgvs=chr21:g.25890001_25890002del".into()).await;
    assert_eq!(del.status, StatusCode::OK, "{}", del.text);
    assert_eq!(
        del.json["alleles"][0]["variant"], "chr21-25890000-ACT-A",
        "{}",
        del.text
    );
    // bad input, named
    for (q, field, says) in [
        ("hgvs=chr21:g.25880600A%3E", "hgvs", "character 19"),
        ("hgvs=chr21:g.100_101del", "hgvs", "cannot be resolved"),
        ("hgvs=NC_000021.7:g.5A%3EG", "hgvs", "neither GRCh37"),
        ("variant=chr21:c.5A%3EG", "variant", "genomic"),
        ("gene=APP&variant=21-25880600-A-G", "variant", "one of"),
        ("gene=APP&region=21:1-2", "gene", "not both"),
    ] {
        let r = get(q.into()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}: {}", r.text);
        assert_eq!(r.json["field"], field, "{q}: {}", r.text);
        assert!(
            r.json["detail"].as_str().unwrap().contains(says),
            "{q}: {}",
            r.text
        );
    }
}

fn gene_model_config() -> Option<zenome_app::Config> {
    let d = crate::htsget::testdata()?;
    let mut cfg = crate::harness::config();
    cfg.variants.gene_model = Some(d.join("annotation/gene-models/ensembl-vep-chr21.gtf.gz"));
    Some(cfg)
}

mod genes {
    #[tokio::test]
    async fn sqlite_gene_and_hgvs_queries_answer_as_the_equivalent_region_and_variant() {
        let Some(cfg) = super::gene_model_config() else {
            return;
        };
        let e = crate::harness::env_with(cfg).await;
        super::gene_and_hgvs_queries_answer_as_the_equivalent_region_and_variant(e).await
    }

    #[tokio::test]
    async fn postgres_gene_and_hgvs_queries_answer_as_the_equivalent_region_and_variant() {
        let Some(cfg) = super::gene_model_config() else {
            return;
        };
        let Some(store) = zenome_store::testing::fresh_postgres().await else {
            return;
        };
        let e = crate::harness::env_full(store, tempfile::tempdir().unwrap(), cfg).await;
        super::gene_and_hgvs_queries_answer_as_the_equivalent_region_and_variant(e).await
    }
}

#[tokio::test]
async fn a_gene_query_without_a_gene_model_is_400_naming_gene() {
    let e = crate::harness::env().await;
    let r = e
        .call(
            "GET",
            "/api/v1/variants/frequencies?gene=APP",
            Some("staff"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(r.json["field"], "gene");
    assert!(r.text.contains("gene_model"), "{}", r.text);
}
