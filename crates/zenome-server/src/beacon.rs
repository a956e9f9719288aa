//! GA4GH Beacon v2 at `/api`: the informational endpoints (info, service-info,
//! map, configuration, entry types, filtering terms) and `g_variants`, in the
//! framework's response shapes. Anonymous callers get boolean answers only.
//! Filters (disease areas; HPO and ICD-10 for count/record callers) narrow
//! the participants a query counts.

mod g_variants;
mod meta;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use crate::AppState;

pub(crate) use meta::{API_VERSION, ASSEMBLY, BEACON_ID};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api", get(info))
        .route("/api/", get(info))
        .route("/api/info", get(info))
        .route("/api/service-info", get(service_info))
        .route("/api/map", get(map))
        .route("/api/configuration", get(configuration))
        .route("/api/entry_types", get(entry_types))
        .route("/api/filtering_terms", get(filtering_terms))
        .route(
            "/api/g_variants",
            get(g_variants::get_variants).post(g_variants::post_variants),
        )
}

/// A Beacon error: `{"meta":…,"error":{"errorCode":…,"errorMessage":…}}`.
pub(crate) struct BeaconError {
    pub status: StatusCode,
    pub message: String,
    pub meta: Value,
}

impl IntoResponse for BeaconError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({
                "meta": self.meta,
                "error": { "errorCode": self.status.as_u16(), "errorMessage": self.message }
            })),
        )
            .into_response()
    }
}

fn informational(response: Value) -> Json<Value> {
    Json(json!({ "meta": meta::informational(), "response": response }))
}

async fn info() -> Json<Value> {
    informational(json!({
        "id": BEACON_ID,
        "name": "Zenome Beacon",
        "apiVersion": API_VERSION,
        "environment": "prod",
        "description": format!("Genomic variants of the national whole-genome programme for cancer and rare disease ({ASSEMBLY}). Answers are boolean for anonymous callers; counts and records follow the caller's grant and each participant's consent."),
        "version": env!("CARGO_PKG_VERSION"),
        "welcomeUrl": "https://zenome.jp",
        "organization": {
            "id": "jp.zenome",
            "name": "Zenome data centre",
            "contactUrl": "mailto:datacentre@zenome.jp",
            "welcomeUrl": "https://zenome.jp"
        }
    }))
}

/// GA4GH service-info 1.0 of the Beacon (type `org.ga4gh:beacon`).
async fn service_info() -> Json<Value> {
    Json(json!({
        "id": BEACON_ID,
        "name": "Zenome Beacon",
        "type": { "group": "org.ga4gh", "artifact": "beacon", "version": API_VERSION },
        "description": "Beacon v2 of the national whole-genome programme for cancer and rare disease.",
        "organization": { "name": "Zenome data centre", "url": "https://zenome.jp" },
        "contactUrl": "mailto:datacentre@zenome.jp",
        "documentationUrl": "https://docs.genomebeacons.org",
        "environment": "prod",
        "version": env!("CARGO_PKG_VERSION")
    }))
}

fn g_variant_entry_type() -> Value {
    json!({
        "id": "genomicVariant",
        "name": "Genomic Variants",
        "ontologyTermForThisType": { "id": "ENSGLOSSARY:0000092", "label": "Variant" },
        "partOfSpecification": "Beacon v2.0.0",
        "description": "The location of a sequence variation in the programme's cohort.",
        "defaultSchema": {
            "id": "beacon-g_variant-v2.0.0",
            "name": "Default schema for a genomic variation",
            "referenceToSchemaDefinition": "https://raw.githubusercontent.com/ga4gh-beacon/beacon-v2/main/models/json/beacon-v2-default-model/genomicVariations/defaultSchema.json",
            "schemaVersion": "v2.0.0"
        },
        "nonFilteredQueriesAllowed": true
    })
}

async fn map() -> Json<Value> {
    informational(json!({
        "$schema": "https://raw.githubusercontent.com/ga4gh-beacon/beacon-v2/main/framework/json/configuration/beaconMapSchema.json",
        "endpointSets": {
            "genomicVariant": {
                "entryType": "genomicVariant",
                "rootUrl": "https://zenome.jp/api/g_variants",
                "openAPIEndpointsDefinition": "https://raw.githubusercontent.com/ga4gh-beacon/beacon-v2/main/models/json/beacon-v2-default-model/genomicVariations/endpoints.json"
            }
        }
    }))
}

async fn configuration() -> Json<Value> {
    informational(json!({
        "$schema": "https://raw.githubusercontent.com/ga4gh-beacon/beacon-v2/main/framework/json/configuration/beaconConfigurationSchema.json",
        "maturityAttributes": { "productionStatus": "PROD" },
        "securityAttributes": {
            "defaultGranularity": "boolean",
            "securityLevels": ["PUBLIC", "CONTROLLED"]
        },
        "entryTypes": { "genomicVariant": g_variant_entry_type() }
    }))
}

async fn entry_types() -> Json<Value> {
    informational(json!({ "entryTypes": { "genomicVariant": g_variant_entry_type() } }))
}

/// The filtering terms the caller may use on `g_variants` (the disease
/// areas for everyone; HPO terms and ICD-10 codes present in the clinical
/// records of the participants the caller may count, for count- and
/// record-level callers), with their ontologies.
async fn filtering_terms(
    State(s): State<AppState>,
    g_variants::MaybeActor(actor): g_variants::MaybeActor,
) -> Result<Json<Value>, BeaconError> {
    use zenome_app::variants::Ontology;
    let terms = s
        .app
        .cohort_filtering_terms(actor.as_ref())
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "beacon filtering terms failed");
            BeaconError {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                message: "internal error".into(),
                meta: meta::informational(),
            }
        })?;
    let mut used = [false; 3];
    let terms: Vec<Value> = terms
        .into_iter()
        .map(|t| {
            used[match t.ontology {
                Ontology::Mondo => 0,
                Ontology::Hpo => 1,
                Ontology::Icd10 => 2,
            }] = true;
            json!({ "type": "ontologyTerm", "id": t.id, "label": t.label, "scopes": ["individuals", "genomicVariations"] })
        })
        .collect();
    let resources = [
        json!({
            "id": "mondo",
            "name": "Mondo Disease Ontology",
            "url": "http://purl.obolibrary.org/obo/mondo.owl",
            "nameSpacePrefix": "MONDO",
            "iriPrefix": "http://purl.obolibrary.org/obo/MONDO_"
        }),
        json!({
            "id": "hp",
            "name": "Human Phenotype Ontology",
            "url": "http://purl.obolibrary.org/obo/hp.owl",
            "nameSpacePrefix": "HP",
            "iriPrefix": "http://purl.obolibrary.org/obo/HP_"
        }),
        json!({
            "id": "icd10",
            "name": "International Classification of Diseases, 10th revision",
            "url": "https://icd.who.int/browse10",
            "nameSpacePrefix": "ICD10",
            "iriPrefix": "https://icd.who.int/browse10/2019/en#/"
        }),
    ];
    let resources: Vec<Value> = resources
        .into_iter()
        .zip(used)
        .filter_map(|(r, u)| u.then_some(r))
        .collect();
    Ok(informational(json!({
        "filteringTerms": terms,
        "resources": resources
    })))
}
