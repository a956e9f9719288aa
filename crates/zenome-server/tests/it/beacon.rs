//! Beacon v2 at `/api`: every endpoint's JSON validated against the official
//! framework and model schemas (vendored under `tests/beacon-schemas`, checked
//! with PyPI `jsonschema`), the 400 cases in the Beacon error shape, and
//! anonymous callers getting boolean answers only.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::access::{Cohort, cohort, granted};
use crate::harness::{self, Env};

const FRAMEWORK: &str = "framework/json";

/// Validates `doc` against the schema at `rel` (under `tests/beacon-schemas`)
/// with Python `jsonschema` (draft 2020-12). Relative `$ref`s resolve to the
/// vendored files; the model's absolute `raw.githubusercontent.com` refs to
/// the beacon-v2 repository resolve to the same vendored files; VRS 1.3
/// (`w3id.org`, not vendored) is stood in for by a document whose `Location`
/// must be an object with `type`, `sequence_id` and `interval`, and whose
/// `MolecularVariation`/`SystemicVariation` match nothing, so `variation`
/// must be a legacy variation.
pub(crate) fn validate(rel: &str, doc: &Value) {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/beacon-schemas");
    let script = r#"
import json, sys, pathlib
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
root = pathlib.Path(sys.argv[1]).resolve()
GH = "https://raw.githubusercontent.com/ga4gh-beacon/beacon-v2/main/"
VRS = {"definitions": {
    "Location": {"type": "object", "required": ["type", "sequence_id", "interval"]},
    "MolecularVariation": False, "SystemicVariation": False}}
def retrieve(uri):
    if uri.startswith("file://"):
        return Resource.from_contents(json.loads(pathlib.Path(uri[7:]).read_text()), default_specification=DRAFT202012)
    if uri.startswith(GH):
        return Resource.from_contents(json.loads((root / uri[len(GH):]).read_text()), default_specification=DRAFT202012)
    if uri.startswith("https://w3id.org/ga4gh/schema/vrs/1.3/"):
        return Resource.from_contents(VRS, default_specification=DRAFT202012)
    raise LookupError(uri)
v = Draft202012Validator({"$ref": (root / sys.argv[2]).as_uri()}, registry=Registry(retrieve=retrieve))
errs = [f"{list(e.absolute_path)}: {e.message}" for e in v.iter_errors(json.load(sys.stdin))]
if errs:
    print("\n".join(errs)); sys.exit(1)
"#;
    let mut child = Command::new("python3")
        .args(["-c", script, root, rel])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(doc.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{rel} rejects the document:\n{}{}\n{doc:#}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

pub(crate) fn framework(rel: &str) -> String {
    format!("{FRAMEWORK}/{rel}")
}

/// Keys that would disclose a count, anywhere in a body.
fn count_keys(v: &Value, found: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if [
                    "numTotalResults",
                    "resultsCount",
                    "results",
                    "resultSets",
                    "alleleFrequency",
                    "alleleCount",
                    "caseLevelData",
                ]
                .contains(&k.as_str())
                {
                    found.push(k.clone());
                }
                count_keys(x, found);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| count_keys(x, found)),
        _ => {}
    }
}

#[tokio::test]
async fn beacon_informational_endpoints_follow_the_framework_schemas() {
    let e = harness::env().await;
    for (uri, schema) in [
        ("/api/", "responses/beaconInfoResponse.json"),
        ("/api/info", "responses/beaconInfoResponse.json"),
        ("/api/map", "responses/beaconMapResponse.json"),
        (
            "/api/configuration",
            "responses/beaconConfigurationResponse.json",
        ),
        (
            "/api/entry_types",
            "responses/beaconEntryTypesResponse.json",
        ),
        (
            "/api/filtering_terms",
            "responses/beaconFilteringTermsResponse.json",
        ),
        (
            "/api/service-info",
            "responses/ga4gh-service-info-1-0-0-schema.json",
        ),
    ] {
        let r = e.call("GET", uri, None, None).await;
        assert_eq!(r.status, 200, "{uri}: {}", r.text);
        validate(&framework(schema), &r.json);
    }
    let info = e.call("GET", "/api/info", None, None).await.json;
    assert_eq!(info["meta"]["beaconId"], "jp.zenome");
    assert_eq!(info["response"]["apiVersion"], "v2.0.0");
    let terms = e.call("GET", "/api/filtering_terms", None, None).await.json;
    let labels: Vec<&str> = terms["response"]["filteringTerms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["cancer", "rare disease"]);
    let sinfo = e.call("GET", "/api/service-info", None, None).await.json;
    assert_eq!(sinfo["type"]["group"], "org.ga4gh");
    assert_eq!(sinfo["type"]["artifact"], "beacon");
}

async fn beacon_bad_requests_are_400_in_the_beacon_error_shape(e: Env) {
    let cases = [
        (
            "/api/g_variants?referenceName=20&start=200&end=100",
            "start (200) is after end (100)",
        ),
        (
            "/api/g_variants?referenceName=20&start=100&end=200&assemblyId=GRCh38",
            "unknown assembly",
        ),
        (
            "/api/g_variants?referenceName=20&start=100&referenceBases=A&alternateBases=Z1",
            "malformed allele",
        ),
        (
            "/api/g_variants?referenceName=20&start=100&referenceBases=XY&alternateBases=A",
            "malformed allele",
        ),
        (
            "/api/g_variants?referenceName=20&start=100&end=200&filters=NCIT:C0000",
            "unknown filter",
        ),
        (
            "/api/g_variants?start=100&end=200",
            "referenceName: required",
        ),
        (
            "/api/g_variants?referenceName=20&start=100&end=200&filters=MONDO:0004992,HP:9999999",
            "unknown filter \"HP:9999999\"",
        ),
        (
            "/api/g_variants?referenceName=20&start=100&end=200&filters=ICD10:cancer",
            "unknown filter",
        ),
        (
            "/api/g_variants?referenceName=20&start=0&end=60000000",
            "spans more than",
        ),
        (
            "/api/g_variants?referenceName=20&start=1,2,3&end=4",
            "start/end",
        ),
        (
            "/api/g_variants?referenceName=20&start=100&end=200&requestedGranularity=everything",
            "requestedGranularity",
        ),
    ];
    for (uri, msg) in cases {
        for who in [None, Some("academic")] {
            let r = e.call("GET", uri, who, None).await;
            assert_eq!(r.status, 400, "{uri}: {}", r.text);
            validate(&framework("responses/beaconErrorResponse.json"), &r.json);
            assert_eq!(r.json["error"]["errorCode"], 400);
            let m = r.json["error"]["errorMessage"].as_str().unwrap();
            assert!(m.contains(msg), "{uri}: {m}");
        }
    }
    // The same through POST.
    let body = json!({ "meta": { "apiVersion": "v2.0" }, "query": {
        "requestParameters": { "referenceName": "20", "start": [500], "end": [100] } } });
    let r = e.call("POST", "/api/g_variants", None, Some(body)).await;
    assert_eq!(r.status, 400, "{}", r.text);
    validate(&framework("responses/beaconErrorResponse.json"), &r.json);
    let body = json!({ "query": { "requestParameters": {
        "referenceName": "20", "start": [100], "end": [500], "assemblyId": "hg38" } } });
    let r = e.call("POST", "/api/g_variants", None, Some(body)).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(
        r.json["error"]["errorMessage"]
            .as_str()
            .unwrap()
            .contains("unknown assembly")
    );
}

async fn beacon_anonymous_record_request_gets_a_boolean_only(e: Env) {
    let get = e
        .call(
            "GET",
            "/api/g_variants?referenceName=20&start=60000,70000&end=60001,90000&assemblyId=GRCh37&requestedGranularity=record",
            None,
            None,
        )
        .await;
    let post = e
        .call(
            "POST",
            "/api/g_variants",
            None,
            Some(json!({ "meta": { "apiVersion": "v2.0" }, "query": {
                "requestParameters": { "referenceName": "20", "start": [60000], "end": [70000] },
                "requestedGranularity": "record" } })),
        )
        .await;
    for r in [get, post] {
        assert_eq!(r.status, 200, "{}", r.text);
        validate(&framework("responses/beaconBooleanResponse.json"), &r.json);
        assert_eq!(r.json["meta"]["returnedGranularity"], "boolean");
        assert_eq!(
            r.json["meta"]["receivedRequestSummary"]["requestedGranularity"],
            "record"
        );
        let mut found = Vec::new();
        count_keys(&r.json, &mut found);
        assert!(
            found.is_empty(),
            "anonymous body discloses {found:?}: {}",
            r.text
        );
        assert!(r.json["responseSummary"]["exists"].is_boolean());
    }
}

async fn beacon_bad_bearer_is_refused_in_the_beacon_error_shape(e: Env) {
    let req = axum::http::Request::builder()
        .uri("/api/g_variants?referenceName=20&start=100&end=200")
        .header("authorization", "Bearer zk_not_a_token")
        .body(axum::body::Body::empty())
        .unwrap();
    let r = e.send(req).await;
    assert_eq!(r.status, 401, "{}", r.text);
    validate(&framework("responses/beaconErrorResponse.json"), &r.json);
}

/// Two sites of real-looking genotypes on chromosome 20 (1-based):
/// 1000226 A>T carried by four of six, 1000300 G>C by `cancer[1]` only.
async fn loaded(e: &Env) -> Cohort {
    let c = cohort(e).await;
    let names = [
        c.cancer[0].as_str(),
        &c.cancer[1],
        &c.cancer[2],
        &c.cancer_no_industry,
        &c.rare_opt_in,
        &c.rare_no_opt_in,
    ];
    let vcf = format!(
        "##fileformat=VCFv4.2\n##contig=<ID=20>\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n\
         #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t{}\n\
         20\t1000226\t.\tA\tT\t.\tPASS\t.\tGT\t0/1\t1/1\t0/0\t0/1\t0/1\t0/0\n\
         20\t1000300\t.\tG\tC\t.\tPASS\t.\tGT\t0/0\t0/1\t0/0\t0/0\t0/0\t0/0\n",
        names.join("\t")
    );
    let path = e.app.config().data_dir.join("beacon-cohort.vcf");
    std::fs::write(&path, vcf).unwrap();
    let staff = e.app.actor_from_bearer(&e.tokens["staff"]).await.unwrap();
    e.app.load_variants(&staff, &path).await.unwrap();
    c
}

async fn beacon_answers_count_and_record_from_a_loaded_cohort(e: Env) {
    let c = loaded(&e).await;
    let range = "/api/g_variants?referenceName=20&start=1000000&end=1100000&assemblyId=GRCh37";
    // Count, for a caller whose role sees counts or more.
    let r = e
        .call(
            "GET",
            &format!("{range}&requestedGranularity=count"),
            Some("staff"),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    validate(&framework("responses/beaconCountResponse.json"), &r.json);
    assert_eq!(r.json["meta"]["returnedGranularity"], "count");
    assert_eq!(r.json["responseSummary"]["numTotalResults"], 2);
    // Records: the default genomic-variation model.
    let r = e
        .call(
            "GET",
            &format!("{range}&requestedGranularity=record"),
            Some("staff"),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    validate(
        &framework("responses/beaconResultsetsResponse.json"),
        &r.json,
    );
    let set = &r.json["response"]["resultSets"][0];
    assert_eq!(set["resultsCount"], 2);
    for rec in set["results"].as_array().unwrap() {
        validate(
            "models/json/beacon-v2-default-model/genomicVariations/defaultSchema.json",
            rec,
        );
    }
    let t = &set["results"][0];
    assert_eq!(t["variantInternalId"], "20:1000226:A>T");
    assert_eq!(t["variation"]["variantType"], "SNP");
    assert_eq!(
        t["variation"]["location"]["sequence_id"],
        "refseq:NC_000020.10"
    );
    // 0-based interval of a 1-based position 1000226.
    assert_eq!(
        t["variation"]["location"]["interval"]["start"]["value"],
        1000225
    );
    assert_eq!(
        t["variation"]["location"]["interval"]["end"]["value"],
        1000226
    );
    let f = &t["frequencyInPopulations"][0]["frequencies"][0];
    assert_eq!(
        (f["alleleCount"].as_u64(), f["alleleNumber"].as_u64()),
        (Some(5), Some(12))
    );
    assert_eq!(t["caseLevelData"].as_array().unwrap().len(), 4);
    // Sequence query, 0-based start: only A>T at 1-based 1000226.
    let r = e
        .call(
            "GET",
            "/api/g_variants?referenceName=chr20&start=1000225&referenceBases=A&alternateBases=T&requestedGranularity=count",
            Some("staff"),
            None,
        )
        .await;
    assert_eq!(
        r.json["responseSummary"]["numTotalResults"], 1,
        "{}",
        r.text
    );
    let r = e
        .call(
            "GET",
            "/api/g_variants?referenceName=20&start=1000225&referenceBases=A&alternateBases=G&requestedGranularity=count",
            Some("staff"),
            None,
        )
        .await;
    assert_eq!(r.json["responseSummary"]["exists"], false, "{}", r.text);
    // Bracket: starts in [1000225, 1000299], ends in [1000226, 1000226] → A>T only.
    let r = e
        .call(
            "POST",
            "/api/g_variants",
            Some("staff"),
            Some(json!({ "query": { "requestedGranularity": "record", "requestParameters": {
                "referenceName": "20", "start": [1000225, 1000299], "end": [1000226, 1000226] } } })),
        )
        .await;
    validate(
        &framework("responses/beaconResultsetsResponse.json"),
        &r.json,
    );
    assert_eq!(
        r.json["responseSummary"]["numTotalResults"], 1,
        "{}",
        r.text
    );
    // A researcher counts only the members the grant covers.
    let r = e
        .call(
            "GET",
            &format!("{range}&requestedGranularity=record"),
            Some("academic"),
            None,
        )
        .await;
    assert_eq!(
        r.json["responseSummary"]["exists"], false,
        "no grant: {}",
        r.text
    );
    granted(&e, "academic", &["cancer-wgs-r1"], &["vcf"]).await;
    let r = e
        .call(
            "GET",
            &format!("{range}&requestedGranularity=record"),
            Some("academic"),
            None,
        )
        .await;
    validate(
        &framework("responses/beaconResultsetsResponse.json"),
        &r.json,
    );
    let t = &r.json["response"]["resultSets"][0]["results"][0];
    assert_eq!(
        t["frequencyInPopulations"][0]["frequencies"][0]["alleleFrequency"],
        0.5
    );
    assert!(!t["caseLevelData"].to_string().contains(&c.rare_opt_in));
    // Anonymous on the same data: exists, and nothing else.
    let r = e
        .call(
            "GET",
            &format!("{range}&requestedGranularity=record"),
            None,
            None,
        )
        .await;
    validate(&framework("responses/beaconBooleanResponse.json"), &r.json);
    assert_eq!(r.json["responseSummary"]["exists"], true, "{}", r.text);
    let mut found = Vec::new();
    count_keys(&r.json, &mut found);
    assert!(
        found.is_empty(),
        "anonymous body discloses {found:?}: {}",
        r.text
    );
}

crate::on_both_engines!(
    beacon_filters_narrow_the_counted_participants_and_the_terms_follow_the_grant,
    beacon_answers_count_and_record_from_a_loaded_cohort,
    beacon_bad_requests_are_400_in_the_beacon_error_shape,
    beacon_anonymous_record_request_gets_a_boolean_only,
    beacon_bad_bearer_is_refused_in_the_beacon_error_shape,
);

async fn beacon_filters_narrow_the_counted_participants_and_the_terms_follow_the_grant(e: Env) {
    let c = loaded(&e).await;
    // rare_opt_in: seizures (HP:0001250), G40.4; an excluded HP:0001251
    let r = e
        .call(
            "POST",
            &format!("/api/v1/participants/{}/clinical", c.rare_opt_in),
            Some("facility"),
            Some(crate::clinical::rare_record(&c.rare_opt_in)),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let range =
        "/api/g_variants?referenceName=20&start=1000000&end=1100000&requestedGranularity=record";
    let freq = |r: &crate::harness::Resp| -> Vec<(String, u64, u64)> {
        r.json["response"]["resultSets"][0]["results"]
            .as_array()
            .map(|v| {
                v.iter()
                    .map(|x| {
                        let f = &x["frequencyInPopulations"][0]["frequencies"][0];
                        (
                            x["variantInternalId"].as_str().unwrap().to_string(),
                            f["alleleCount"].as_u64().unwrap(),
                            f["alleleNumber"].as_u64().unwrap(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let all = e.call("GET", range, Some("staff"), None).await;
    assert_eq!(
        freq(&all),
        [
            ("20:1000226:A>T".into(), 5, 12),
            ("20:1000300:G>C".into(), 1, 12)
        ]
    );
    // rare disease: two participants; the G>C carrier is not among them
    for filters in ["MONDO:0019056", "MONDO:0019056,HP:0000118"] {
        let rare = e
            .call(
                "GET",
                &format!("{range}&filters={filters}"),
                Some("staff"),
                None,
            )
            .await;
        assert_eq!(rare.status, 200, "{}", rare.text);
        validate(
            &framework("responses/beaconResultsetsResponse.json"),
            &rare.json,
        );
        assert_eq!(
            rare.json["meta"]["receivedRequestSummary"]["filters"][0],
            "MONDO:0019056"
        );
        let want = if filters.contains("HP") {
            (1, 2)
        } else {
            (1, 4)
        };
        assert_eq!(
            freq(&rare),
            [("20:1000226:A>T".into(), want.0, want.1)],
            "{filters}"
        );
    }
    // an observed HPO term, an ancestor of it, the ICD-10 code and its category
    for f in ["HP:0001250", "HP:0000118", "ICD10:G40.4", "ICD10:G40"] {
        let r = e
            .call("GET", &format!("{range}&filters={f}"), Some("staff"), None)
            .await;
        assert_eq!(
            freq(&r),
            [("20:1000226:A>T".into(), 1, 2)],
            "{f}: {}",
            r.text
        );
    }
    // an excluded phenotype and a cancer site nobody has: no one is counted
    for f in ["HP:0001251", "ICD10:C34"] {
        let r = e
            .call(
                "GET",
                &format!("/api/g_variants?referenceName=20&start=1000000&end=1100000&requestedGranularity=count&filters={f}"),
                Some("staff"),
                None,
            )
            .await;
        assert_eq!(r.status, 200, "{f}: {}", r.text);
        validate(&framework("responses/beaconCountResponse.json"), &r.json);
        assert_eq!(r.json["responseSummary"]["exists"], false, "{f}");
    }
    // the same through POST query.filters
    let post = e
        .call(
            "POST",
            "/api/g_variants",
            Some("staff"),
            Some(json!({ "meta": { "apiVersion": "v2.0" }, "query": {
                "requestParameters": { "referenceName": "20", "start": [1000000], "end": [1100000] },
                "filters": [{ "id": "MONDO:0019056" }],
                "requestedGranularity": "record" } })),
        )
        .await;
    assert_eq!(
        freq(&post),
        [("20:1000226:A>T".into(), 1, 4)],
        "{}",
        post.text
    );
    // anonymous callers: disease areas narrow a boolean answer, HPO terms are not theirs
    let anon = |f: &str| {
        let e = &e;
        let f = f.to_string();
        async move {
            e.call(
                "GET",
                &format!("/api/g_variants?referenceName=20&start=1000299&end=1000300&filters={f}"),
                None,
                None,
            )
            .await
        }
    };
    assert_eq!(
        anon("MONDO:0004992").await.json["responseSummary"]["exists"],
        true
    );
    assert_eq!(
        anon("MONDO:0019056").await.json["responseSummary"]["exists"],
        false
    );
    let r = anon("HP:0001250").await;
    assert_eq!(r.status, 400, "{}", r.text);
    validate(&framework("responses/beaconErrorResponse.json"), &r.json);
    // filtering terms: the areas for everyone, HPO/ICD-10 of the caller's participants
    let ids = |who: Option<&'static str>| {
        let e = &e;
        async move {
            let r = e.call("GET", "/api/filtering_terms", who, None).await;
            assert_eq!(r.status, 200, "{}", r.text);
            validate(
                &framework("responses/beaconFilteringTermsResponse.json"),
                &r.json,
            );
            r.json["response"]["filteringTerms"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["id"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    let areas = ["MONDO:0004992", "MONDO:0019056"];
    assert_eq!(ids(None).await, areas);
    let staff = ids(Some("staff")).await;
    assert_eq!(
        staff,
        [
            "MONDO:0004992",
            "MONDO:0019056",
            "HP:0001250",
            "HP:0001263",
            "ICD10:G40.4"
        ]
    );
    assert_eq!(
        ids(Some("facility")).await,
        staff,
        "the facility's own participant"
    );
    assert_eq!(
        ids(Some("facility_other")).await,
        areas,
        "another facility's records"
    );
    assert_eq!(ids(Some("academic")).await, areas, "no grant yet");
}
