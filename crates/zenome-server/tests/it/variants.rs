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

crate::on_both_engines!(
    counts_match_and_a_withdrawal_changes_the_next_query,
    anonymous_callers_get_a_boolean_answer_only,
    researchers_count_only_the_members_their_grant_covers,
    loading_refuses_unregistered_sample_names_and_non_staff,
);
