//! The patient: observed HPO terms, sex and age, from a GA4GH Phenopacket
//! v2 (JSON) or given directly. A packet's interpretations and diseases are
//! never read: they are the answer.

use std::path::Path;

use crate::error::PrioritiseError;

/// Sex as the Phenopacket states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Female,
    Male,
    Unknown,
}

/// What ranking reads of a patient.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Patient {
    pub id: String,
    /// Observed terms (excluded ones are left out), as given.
    pub terms: Vec<String>,
    /// Terms recorded as excluded (not used for the score; listed).
    pub excluded: Vec<String>,
    pub sex: Sex,
    /// ISO 8601 duration at the last encounter, when given.
    pub age: Option<String>,
}

impl Patient {
    /// Reads the phenotypic features, subject id, sex and age of a packet.
    pub fn from_phenopacket(path: &Path) -> Result<Self, PrioritiseError> {
        let text = std::fs::read_to_string(path).map_err(|e| PrioritiseError::Io {
            path: path.into(),
            source: e,
        })?;
        let bad = |m: String| PrioritiseError::Input {
            path: path.into(),
            message: m,
        };
        let v: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| bad(format!("not JSON: {e}")))?;
        if !v.is_object() {
            return Err(bad("not a Phenopacket (a JSON object)".into()));
        }
        let subject = &v["subject"];
        let id = subject["id"]
            .as_str()
            .or_else(|| v["id"].as_str())
            .unwrap_or("")
            .to_string();
        let sex = match subject["sex"].as_str() {
            Some("FEMALE") => Sex::Female,
            Some("MALE") => Sex::Male,
            _ => Sex::Unknown,
        };
        let age = subject["timeAtLastEncounter"]["age"]["iso8601duration"]
            .as_str()
            .map(str::to_string);
        let (mut terms, mut excluded) = (Vec::new(), Vec::new());
        if let Some(features) = v["phenotypicFeatures"].as_array() {
            for (i, f) in features.iter().enumerate() {
                let Some(t) = f["type"]["id"].as_str() else {
                    return Err(bad(format!("phenotypicFeatures[{i}] has no type.id")));
                };
                if f["excluded"].as_bool() == Some(true) {
                    excluded.push(t.to_string());
                } else {
                    terms.push(t.to_string());
                }
            }
        }
        if terms.is_empty() {
            return Err(PrioritiseError::NoPhenotypes {
                what: path.display().to_string(),
            });
        }
        Ok(Self {
            id,
            terms,
            excluded,
            sex,
            age,
        })
    }
}
