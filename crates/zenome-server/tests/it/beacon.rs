//! Beacon v2 at `/api`: every endpoint's JSON validated against the official
//! framework and model schemas (vendored under `tests/beacon-schemas`, checked
//! with PyPI `jsonschema`), the 400 cases in the Beacon error shape, and
//! anonymous callers getting boolean answers only.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

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
fn validate(rel: &str, doc: &Value) {
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

fn framework(rel: &str) -> String {
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
        ("/api/configuration", "responses/beaconConfigurationResponse.json"),
        ("/api/entry_types", "responses/beaconEntryTypesResponse.json"),
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
        ("/api/g_variants?start=100&end=200", "referenceName: required"),
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
        assert!(found.is_empty(), "anonymous body discloses {found:?}: {}", r.text);
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

crate::on_both_engines!(
    beacon_bad_requests_are_400_in_the_beacon_error_shape,
    beacon_anonymous_record_request_gets_a_boolean_only,
    beacon_bad_bearer_is_refused_in_the_beacon_error_shape,
);
