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
        ("region=20:1-20000000", "region"),
        ("region=20:100-50", "region"),
        ("region=chr20", "region"),
        ("", "region"),
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
    for name in ["region", "variant"] {
        let p = params.iter().find(|p| p["name"] == name).expect(name);
        assert_eq!(p["in"], "query", "{name}");
    }
    assert_eq!(
        f["responses"]["400"]["content"]["application/problem+json"]["schema"]["$ref"],
        "#/components/schemas/Problem"
    );
    assert!(doc["paths"]["/api/v1/variants/loads"]["post"].is_object());
}

crate::on_both_engines!(
    the_api_masks_small_counts_and_lists_carriers_only_to_row_level_callers,
    a_region_too_wide_or_malformed_is_400_naming_the_field,
    a_stored_vcf_object_loads_through_the_api_once_and_for_staff_only,
    counts_match_and_a_withdrawal_changes_the_next_query,
    anonymous_callers_get_a_boolean_answer_only,
    researchers_count_only_the_members_their_grant_covers,
    loading_refuses_unregistered_sample_names_and_non_staff,
);
