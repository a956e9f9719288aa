//! The `meta` sections of Beacon responses: who answers, in which API
//! version and schema, and what request was understood.

use serde_json::{Value, json};

/// This Beacon's identifier (reverse domain name).
pub(crate) const BEACON_ID: &str = "jp.zenome";
/// The Beacon API version implemented.
pub(crate) const API_VERSION: &str = "v2.0.0";
/// The reference assembly of the stored variants (the demo cohort is
/// 1000 Genomes phase 3, GRCh37).
pub(crate) const ASSEMBLY: &str = "GRCh37";

fn schemas() -> Value {
    json!([{ "entityType": "genomicVariant", "schema": "beacon-g_variant-v2.0.0" }])
}

/// `meta` of the informational endpoints.
pub(crate) fn informational() -> Value {
    json!({ "beaconId": BEACON_ID, "apiVersion": API_VERSION, "returnedSchemas": schemas() })
}

/// What the Beacon understood of a query, echoed in `receivedRequestSummary`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Received {
    pub requested_granularity: Option<String>,
    pub filters: Vec<String>,
    pub skip: u64,
    pub limit: u64,
}

/// `meta` of a query response (and of a query's error).
pub(crate) fn response(returned_granularity: &str, r: &Received) -> Value {
    let mut summary = json!({
        "apiVersion": API_VERSION,
        "requestedSchemas": [],
        "pagination": { "skip": r.skip, "limit": r.limit },
        "requestedGranularity": r.requested_granularity.as_deref().unwrap_or("boolean"),
    });
    if !r.filters.is_empty() {
        summary["filters"] = json!(r.filters);
    }
    json!({
        "beaconId": BEACON_ID,
        "apiVersion": API_VERSION,
        "returnedSchemas": schemas(),
        "returnedGranularity": returned_granularity,
        "receivedRequestSummary": summary
    })
}
