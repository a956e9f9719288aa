//! The portal's variant browser and the public page's variant charts
//! (issue 8 §8, R9.1) through the router: what each kind of visitor sees
//! (presence, "<5", carriers), both languages, and a withdrawal leaving the
//! public numbers on the next page load.

use http::StatusCode;
use serde_json::json;

use crate::access::{Cohort, cohort};
use crate::harness::Env;
use crate::portal::Browser;

/// Four sites over six participants: 20:1000226 A>T (transversion, AC 5,
/// one homozygote), 20:1000300 G>C (transversion, `cancer[1]` only),
/// 20:1000400 C>T (transition, everyone) and 20:1000500 A>AT (indel).
/// Per genome: non-reference 2, 4, 1, 2, 2, 2; Ts 6, Tv 5 in all.
pub(crate) fn vcf(c: &Cohort) -> String {
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
         20\t1000300\t.\tG\tC\t.\tPASS\t.\tGT\t0/0\t0/1\t0/0\t0/0\t0/0\t0/0\n\
         20\t1000400\t.\tC\tT\t.\tPASS\t.\tGT\t0/1\t0/1\t1/1\t0/1\t0/1\t0/1\n\
         20\t1000500\t.\tA\tAT\t.\tPASS\t.\tGT\t0/0\t0/1\t0/0\t0/0\t0/0\t0/1\n",
        names.join("\t")
    )
}

/// The cohort with its genotypes loaded by staff.
pub(crate) async fn loaded(e: &Env) -> Cohort {
    let c = cohort(e).await;
    let path = e.app.config().data_dir.join("portal-cohort.vcf");
    std::fs::write(&path, vcf(&c)).unwrap();
    let staff = e.app.actor_from_bearer(&e.tokens["staff"]).await.unwrap();
    let l = e.app.load_variants(&staff, &path).await.unwrap();
    assert_eq!((l.samples, l.rows), (6, 4));
    c
}

/// The text of the element with `id` (up to its next `<`).
fn by_id<'a>(html: &'a str, id: &str) -> &'a str {
    let key = format!("id=\"{id}\">");
    let i = html
        .find(&key)
        .unwrap_or_else(|| panic!("no #{id} in {html}"))
        + key.len();
    html[i..].split('<').next().unwrap()
}

const REGION: &str = "/variants?q=20%3A1000000-1100000";

async fn the_variant_browser_shows_each_visitor_what_their_access_allows(e: Env) {
    let c = loaded(&e).await;
    // anonymous: presence only, no counts, no carriers
    let mut anon = Browser::new(&e);
    let r = anon.get(REGION).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains("バリアント検索"), "Japanese by default");
    assert_eq!(r.text.matches("<tr class=\"allele\">").count(), 4);
    assert!(r.text.contains("class=\"present\""));
    assert!(!r.text.contains("class=\"n ac\"") && !r.text.contains("class=\"carriers"));
    assert!(!r.text.contains(&c.cancer[1]), "no participant id shown");
    // one variant, in English
    anon.get("/lang/en?next=/variants").await;
    let r = anon.get("/variants?q=20-1000300-g-c").await;
    assert!(r.text.contains("Variant browser"), "{}", r.text);
    assert_eq!(r.text.matches("<tr class=\"allele\">").count(), 1);
    assert!(r.text.contains("20-1000300-G-C"));
    // a gene name without a configured gene model is refused naming the
    // setting (gene searches with one: variants::genes); a bad region names the field
    let r = anon.get("/variants?q=BRCA2").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text.contains("Gene: gene queries need a gene model"),
        "{}",
        r.text
    );
    let r = anon.get("/variants?q=20%3A5-1").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("Region:"), "{}", r.text);

    // a facility counts its own participants: 1–4 as "<5", no carriers
    let mut fac = Browser::new(&e);
    fac.login("facility", "sub.tky").await;
    let r = fac.get(REGION).await;
    assert_eq!(r.text.matches("<tr class=\"allele\">").count(), 4);
    assert!(
        r.text
            .contains("<td class=\"n ac\">5</td><td class=\"n an\">12</td>"),
        "{}",
        r.text
    );
    assert!(r.text.contains("<td class=\"n hom\">&#60;5</td>"));
    assert!(
        r.text.contains("<td class=\"n ac\">&#60;5</td>"),
        "AC 1 masked"
    );
    assert!(!r.text.contains("class=\"carriers") && !r.text.contains(&c.cancer[1]));
    // the other facility counts none of them
    let mut other = Browser::new(&e);
    other.login("facility_other", "sub.osk").await;
    let r = other.get(REGION).await;
    assert!(r.text.contains("id=\"vb-none\""), "{}", r.text);

    // staff: exact counts and the carriers
    let mut staff = Browser::new(&e);
    staff.login("staff", "staff").await;
    let r = staff.get("/variants?q=20-1000300-G-C").await;
    assert!(r.text.contains("<td class=\"n ac\">1</td>"), "{}", r.text);
    assert!(
        r.text
            .contains(&format!("<span class=\"chip\">{}</span>", c.cancer[1]))
    );
    // after a withdrawal the allele only they carried is not shown to anyone
    let w = e
        .call(
            "POST",
            &format!("/api/v1/participants/{}/consents", c.cancer[1]),
            Some("facility"),
            Some(json!({"action": "withdraw", "reason": "本人の申し出"})),
        )
        .await;
    assert_eq!(w.status, StatusCode::CREATED, "{}", w.text);
    let r = staff.get("/variants?q=20-1000300-G-C").await;
    assert!(r.text.contains("id=\"vb-none\""), "{}", r.text);
    let r = anon.get("/variants?q=20-1000300-G-C").await;
    assert!(r.text.contains("id=\"vb-none\""), "{}", r.text);
}

async fn a_withdrawal_leaves_the_public_variant_charts_on_the_next_page_load(e: Env) {
    let mut anon = Browser::new(&e);
    let r = anon.get("/public").await;
    assert!(r.text.contains("id=\"variant-none\""), "nothing loaded yet");
    let c = loaded(&e).await;
    let r = anon.get("/public").await;
    assert_eq!(by_id(&r.text, "variant-genomes"), "6");
    assert_eq!(by_id(&r.text, "variant-titv"), "1.20", "Ts 6 / Tv 5");
    assert_eq!(by_id(&r.text, "variant-mean"), "2.2", "13 / 6");
    assert!(r.text.contains("id=\"chart-variants-per-genome\""));
    assert!(
        r.text.contains("id=\"chart-titv\"") && r.text.contains("id=\"chart-variants-by-area\"")
    );
    // 4 cancer and 2 rare-disease genomes: both masked, no mean or ratio
    assert!(
        r.text.contains("<td class=\"n genomes\">&#60;5</td><td class=\"n mean\">—</td><td class=\"n titv\">—</td>"),
        "{}",
        r.text
    );
    // the per-batch summary was written at load
    let dir = e.app.config().variant_store_dir();
    assert!(dir.join("summary/batch-0.parquet").is_file());

    let w = e
        .call(
            "POST",
            &format!("/api/v1/participants/{}/consents", c.cancer[1]),
            Some("facility"),
            Some(json!({"action": "withdraw", "reason": "本人の申し出"})),
        )
        .await;
    assert_eq!(w.status, StatusCode::CREATED, "{}", w.text);
    let r = anon.get("/public").await;
    assert_eq!(by_id(&r.text, "variant-genomes"), "5");
    assert_eq!(by_id(&r.text, "variant-titv"), "1.67", "Ts 5 / Tv 3");
    assert_eq!(by_id(&r.text, "variant-mean"), "1.8", "9 / 5");

    // a batch loaded before summaries existed gets one on first use
    std::fs::remove_file(dir.join("summary/batch-0.parquet")).unwrap();
    let s = e.app.variant_summary().await.unwrap();
    assert_eq!(
        (s.all.genomes, s.all.transitions, s.all.transversions),
        (5, 5, 3)
    );
    assert!(dir.join("summary/batch-0.parquet").is_file());
}

crate::on_both_engines!(
    the_variant_browser_shows_each_visitor_what_their_access_allows,
    a_withdrawal_leaves_the_public_variant_charts_on_the_next_page_load,
);
