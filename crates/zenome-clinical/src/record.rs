//! One participant's clinical record, as submitted (form, JSON or merged CSV).
//!
//! ```json
//! {"dictionary": "1", "participant": "ZP7K2M9Q4XH", "area": "cancer",
//!  "groups": {"diagnosis": {"primary_site": "C34.1", "histology": "8140/3"},
//!             "treatment": [{"treatment_type": "drug", "start_date": "2024-05-01"}]}}
//! ```
//!
//! Values are strings for text, codes, dates (`YYYY-MM-DD`), HPO ids and ICD-O-3
//! codes; numbers for integer and decimal items, or `{"value": 65.2, "unit": "kg"}`
//! where the unit is spelled out; booleans for boolean items.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::dictionary::Area;

/// One group's data: an object, or a list of objects for a repeating group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum GroupData {
    /// A single entry.
    One(Map<String, Value>),
    /// The entries of a repeating group.
    Many(Vec<Map<String, Value>>),
}

impl GroupData {
    /// The entries with their index (`None` for a single entry).
    pub fn entries(&self) -> Vec<(Option<usize>, &Map<String, Value>)> {
        match self {
            GroupData::One(m) => vec![(None, m)],
            GroupData::Many(v) => v.iter().enumerate().map(|(i, m)| (Some(i), m)).collect(),
        }
    }
}

/// A clinical record of one participant, entered under one dictionary version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// The dictionary version the record was entered with (`"1"`, `"2"`).
    pub dictionary: String,
    /// The participant id, e.g. `ZP7K2M9Q4XH`.
    pub participant: String,
    pub area: Area,
    /// Group id → data.
    #[serde(default)]
    pub groups: BTreeMap<String, GroupData>,
}

impl Record {
    /// An empty record.
    pub fn new(dictionary: impl Into<String>, participant: impl Into<String>, area: Area) -> Self {
        Self {
            dictionary: dictionary.into(),
            participant: participant.into(),
            area,
            groups: BTreeMap::new(),
        }
    }
}
