//! GA4GH service-info (v1.0): what this service is, for registries and
//! clients that discover GA4GH services.

use axum::Json;
use serde_json::{Value, json};

pub(crate) async fn service_info() -> Json<Value> {
    Json(json!({
        "id": "jp.zenome.registry",
        "name": "Zenome",
        "type": { "group": "jp.zenome", "artifact": "registry", "version": env!("CARGO_PKG_VERSION") },
        "description": "Data platform of the national whole-genome programme for cancer and rare disease: participants, consent (DUO), specimen lineage.",
        "organization": { "name": "Zenome data centre", "url": "https://zenome.jp" },
        "contactUrl": "mailto:datacentre@zenome.jp",
        "documentationUrl": "/api/v1/openapi.json",
        "environment": "prod",
        "version": env!("CARGO_PKG_VERSION")
    }))
}
