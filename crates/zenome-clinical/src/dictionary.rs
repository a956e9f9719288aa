//! The clinical data dictionary: versions → item groups → items → code values, and
//! the cross-field rules, loaded from YAML (or JSON) files.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::DictionaryError;

const BUILTIN: &[(&str, &str)] = &[
    ("v1.yaml", include_str!("../dictionary/v1.yaml")),
    ("v2.yaml", include_str!("../dictionary/v2.yaml")),
];

/// The clinical area a record, group or item belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    /// がん領域
    Cancer,
    /// 難病領域
    RareDisease,
}

impl Area {
    /// The wire name (`cancer`, `rare_disease`).
    pub fn as_str(self) -> &'static str {
        match self {
            Area::Cancer => "cancer",
            Area::RareDisease => "rare_disease",
        }
    }

    /// The Japanese name.
    pub fn label_ja(self) -> &'static str {
        match self {
            Area::Cancer => "がん領域",
            Area::RareDisease => "難病領域",
        }
    }
}

/// The type of an item's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemType {
    /// Free text.
    Text,
    /// A whole number (optionally with `unit`, `min`, `max`).
    Integer,
    /// A decimal number (optionally with `unit`, `min`, `max`).
    Decimal,
    /// `YYYY-MM-DD` (or `YYYY-MM` where the item allows `partial: month`).
    Date,
    /// `true` or `false`.
    Boolean,
    /// One of the item's `values`.
    Code,
    /// An HPO id such as `HP:0001250`, current (not obsolete).
    HpoTerm,
    /// An ICD-O-3 topography code `Cnn.n`, C00.0–C80.9.
    Icdo3Topography,
    /// An ICD-O-3 morphology code `nnnn/b`, behaviour 0, 1, 2, 3, 6 or 9.
    Icdo3Morphology,
    /// A Zenome participant id with a valid check character.
    ParticipantRef,
}

impl ItemType {
    /// The dictionary name of the type.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemType::Text => "text",
            ItemType::Integer => "integer",
            ItemType::Decimal => "decimal",
            ItemType::Date => "date",
            ItemType::Boolean => "boolean",
            ItemType::Code => "code",
            ItemType::HpoTerm => "hpo_term",
            ItemType::Icdo3Topography => "icdo3_topography",
            ItemType::Icdo3Morphology => "icdo3_morphology",
            ItemType::ParticipantRef => "participant_ref",
        }
    }
}

/// How much of a date an item accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatePrecision {
    /// `YYYY-MM-DD` only.
    #[default]
    Day,
    /// `YYYY-MM` or `YYYY-MM-DD`.
    Month,
}

/// One allowed value of a `code` item.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeValue {
    pub code: String,
    pub label_en: String,
    pub label_ja: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub definition_en: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub definition_ja: String,
}

/// One item (field) of a group.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub id: String,
    pub label_en: String,
    pub label_ja: String,
    pub definition_en: String,
    pub definition_ja: String,
    #[serde(rename = "type")]
    pub item_type: ItemType,
    /// The unit of a number, e.g. `kg`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Whether a present group must carry this item.
    #[serde(default)]
    pub required: bool,
    /// Whether the item links to data outside the programme, so it needs the
    /// participant's consent to linkage.
    #[serde(default)]
    pub needs_linkage_consent: bool,
    /// For dates: whether `YYYY-MM` is enough.
    #[serde(default)]
    pub partial: DatePrecision,
    /// For HPO terms: the term must be this one or below it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hpo_root: Option<String>,
    /// Narrows the group's areas for this item (`None`: the group's areas).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub areas: Option<Vec<Area>>,
    /// The allowed values of a `code` item.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<CodeValue>,
}

impl Item {
    /// The code value with this code.
    pub fn value(&self, code: &str) -> Option<&CodeValue> {
        self.values.iter().find(|v| v.code == code)
    }

    /// Whether the item applies to records of `area` (given its group's areas).
    pub fn applies_to(&self, group: &Group, area: Area) -> bool {
        match &self.areas {
            Some(areas) => areas.contains(&area),
            None => group.areas.contains(&area),
        }
    }

    /// The allowed codes, comma separated, for messages.
    pub fn code_list(&self) -> String {
        let codes: Vec<&str> = self.values.iter().map(|v| v.code.as_str()).collect();
        codes.join(", ")
    }
}

/// An item group: a section of the record, one object or a list of objects.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub id: String,
    pub label_en: String,
    pub label_ja: String,
    pub definition_en: String,
    pub definition_ja: String,
    pub areas: Vec<Area>,
    /// A list of entries (treatments, phenotypes…) rather than one object.
    pub repeating: bool,
    /// Whether every record of its areas must carry the group.
    #[serde(default)]
    pub required: bool,
    pub items: Vec<Item>,
    #[serde(skip)]
    index: HashMap<String, usize>,
}

impl Group {
    /// The item with this id.
    pub fn item(&self, id: &str) -> Option<&Item> {
        self.index.get(id).map(|&i| &self.items[i])
    }

    /// Whether the group applies to records of `area`.
    pub fn applies_to(&self, area: Area) -> bool {
        self.areas.contains(&area)
    }
}

/// A cross-field rule, stated in the dictionary. Items are named `group.item`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum CrossRule {
    /// `earlier` ≤ `later` where both are present. Within one repeating group the
    /// rule holds per entry; between a repeating and a single group, for each entry.
    DateOrder { earlier: String, later: String },
    /// `item` is required when the code item `when` has the value `equals`.
    RequiredWhen {
        item: String,
        when: String,
        equals: String,
    },
    /// `left` equals `right` when the code item `when` has the value `equals`.
    EqualWhen {
        left: String,
        right: String,
        when: String,
        equals: String,
    },
}

/// One released version of the dictionary.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dictionary {
    pub version: String,
    /// Release date, `YYYY-MM-DD`.
    #[serde(with = "date_serde")]
    pub released: time::Date,
    pub groups: Vec<Group>,
    #[serde(default)]
    pub rules: Vec<CrossRule>,
    #[serde(skip)]
    index: HashMap<String, usize>,
}

mod date_serde {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    const FORMAT: &[time::format_description::BorrowedFormatItem<'static>] =
        time::macros::format_description!("[year]-[month]-[day]");

    pub fn serialize<S: Serializer>(d: &time::Date, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&d.format(FORMAT).map_err(serde::ser::Error::custom)?)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<time::Date, D::Error> {
        let s = String::deserialize(d)?;
        time::Date::parse(&s, FORMAT).map_err(D::Error::custom)
    }
}

impl Dictionary {
    /// Parses one version from YAML text, indexes it and checks that it holds together.
    pub fn from_yaml(name: &str, text: &str) -> Result<Self, DictionaryError> {
        let dict: Dictionary =
            serde_norway::from_str(text).map_err(|source| DictionaryError::Yaml {
                name: name.to_owned(),
                source,
            })?;
        dict.finish()
    }

    /// Parses one version from JSON text, indexes it and checks that it holds together.
    pub fn from_json(name: &str, text: &str) -> Result<Self, DictionaryError> {
        let dict: Dictionary =
            serde_json::from_str(text).map_err(|source| DictionaryError::Json {
                name: name.to_owned(),
                source,
            })?;
        dict.finish()
    }

    /// The group with this id.
    pub fn group(&self, id: &str) -> Option<&Group> {
        self.index.get(id).map(|&i| &self.groups[i])
    }

    /// The item named `group.item`.
    pub fn item_at(&self, path: &str) -> Option<(&Group, &Item)> {
        let (g, i) = path.split_once('.')?;
        let group = self.group(g)?;
        Some((group, group.item(i)?))
    }

    fn finish(mut self) -> Result<Self, DictionaryError> {
        let version = self.version.clone();
        let invalid = |message: String| DictionaryError::Invalid {
            version: version.clone(),
            message,
        };
        if self.version.is_empty() {
            return Err(invalid("empty version".into()));
        }
        self.index.clear();
        for (gi, group) in self.groups.iter_mut().enumerate() {
            if !is_snake_case(&group.id) {
                return Err(invalid(format!(
                    "group id {:?} is not snake_case",
                    group.id
                )));
            }
            if self.index.insert(group.id.clone(), gi).is_some() {
                return Err(invalid(format!("group {} is defined twice", group.id)));
            }
            if group.areas.is_empty() {
                return Err(invalid(format!("group {} has no area", group.id)));
            }
            check_labels(&group.id, &group.label_en, &group.label_ja).map_err(&invalid)?;
            group.index.clear();
            for (ii, item) in group.items.iter().enumerate() {
                let at = format!("{}.{}", group.id, item.id);
                if !is_snake_case(&item.id) {
                    return Err(invalid(format!("item id {at:?} is not snake_case")));
                }
                if group.index.insert(item.id.clone(), ii).is_some() {
                    return Err(invalid(format!("item {at} is defined twice")));
                }
                check_labels(&at, &item.label_en, &item.label_ja).map_err(&invalid)?;
                if let Some(areas) = &item.areas
                    && areas.iter().any(|a| !group.areas.contains(a))
                {
                    return Err(invalid(format!("item {at} names an area its group lacks")));
                }
                match item.item_type {
                    ItemType::Code if item.values.is_empty() => {
                        return Err(invalid(format!("code item {at} has no values")));
                    }
                    ItemType::Code => {
                        let mut seen = HashSet::new();
                        for v in &item.values {
                            if !seen.insert(v.code.as_str()) {
                                return Err(invalid(format!("{at}: code {} twice", v.code)));
                            }
                            check_labels(&format!("{at}={}", v.code), &v.label_en, &v.label_ja)
                                .map_err(&invalid)?;
                        }
                    }
                    _ if !item.values.is_empty() => {
                        return Err(invalid(format!("{at} has values but is not a code")));
                    }
                    _ => {}
                }
                let numeric = matches!(item.item_type, ItemType::Integer | ItemType::Decimal);
                if !numeric && (item.unit.is_some() || item.min.is_some() || item.max.is_some()) {
                    return Err(invalid(format!("{at}: unit/min/max on a non-number")));
                }
                if item.hpo_root.is_some() && item.item_type != ItemType::HpoTerm {
                    return Err(invalid(format!("{at}: hpo_root on a non-HPO item")));
                }
            }
        }
        for rule in &self.rules {
            let (dates, codes): (Vec<&str>, Vec<&str>) = match rule {
                CrossRule::DateOrder { earlier, later } => (vec![earlier, later], vec![]),
                CrossRule::RequiredWhen { item, when, .. } => (vec![item], vec![when]),
                CrossRule::EqualWhen {
                    left, right, when, ..
                } => (vec![left, right], vec![when]),
            };
            for path in dates {
                match self.item_at(path) {
                    Some((_, item)) if item.item_type == ItemType::Date => {}
                    _ => return Err(invalid(format!("rule names {path}, not a date item"))),
                }
            }
            for path in codes {
                match self.item_at(path) {
                    Some((_, item)) if item.item_type == ItemType::Code => {}
                    _ => return Err(invalid(format!("rule names {path}, not a code item"))),
                }
            }
            if let CrossRule::DateOrder { earlier, later } = rule {
                let (g1, _) = self.item_at(earlier).expect("checked above");
                let (g2, _) = self.item_at(later).expect("checked above");
                if g1.id != g2.id && g1.repeating && g2.repeating {
                    return Err(invalid(format!(
                        "rule {earlier} ≤ {later} spans two repeating groups"
                    )));
                }
            }
        }
        Ok(self)
    }
}

fn is_snake_case(s: &str) -> bool {
    !s.is_empty()
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn check_labels(at: &str, en: &str, ja: &str) -> Result<(), String> {
    if en.trim().is_empty() || ja.trim().is_empty() {
        return Err(format!("{at} lacks an English or Japanese label"));
    }
    Ok(())
}

/// Every known version of the dictionary.
#[derive(Debug, Clone)]
pub struct Dictionaries {
    versions: BTreeMap<String, Dictionary>,
}

impl Dictionaries {
    /// The versions shipped inside the crate (`dictionary/v*.yaml`).
    pub fn builtin() -> Self {
        let dicts = BUILTIN
            .iter()
            .map(|(name, text)| Dictionary::from_yaml(name, text).expect("built-in dictionary"));
        Self::from_versions(dicts).expect("built-in versions are distinct")
    }

    /// Every `*.yaml`, `*.yml` and `*.json` file of `dir`, one version each.
    pub fn load(dir: impl AsRef<Path>) -> Result<Self, DictionaryError> {
        let dir = dir.as_ref();
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| DictionaryError::Io { path, source }
        };
        let mut paths = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io(dir))? {
            let path = entry.map_err(io(dir))?.path();
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
            if matches!(ext, "yaml" | "yml" | "json") {
                paths.push(path);
            }
        }
        paths.sort();
        let mut dicts = Vec::new();
        for path in paths {
            let text = std::fs::read_to_string(&path).map_err(io(&path))?;
            let name = path.display().to_string();
            let dict = if path.extension().is_some_and(|e| e == "json") {
                Dictionary::from_json(&name, &text)?
            } else {
                Dictionary::from_yaml(&name, &text)?
            };
            dicts.push(dict);
        }
        Self::from_versions(dicts)
    }

    /// Gathers versions, refusing a version defined twice.
    pub fn from_versions(
        dicts: impl IntoIterator<Item = Dictionary>,
    ) -> Result<Self, DictionaryError> {
        let mut versions = BTreeMap::new();
        for dict in dicts {
            let version = dict.version.clone();
            if versions.insert(version.clone(), dict).is_some() {
                return Err(DictionaryError::DuplicateVersion(version));
            }
        }
        Ok(Self { versions })
    }

    /// The version named `version` (e.g. `"1"`).
    pub fn get(&self, version: &str) -> Option<&Dictionary> {
        self.versions.get(version)
    }

    /// The most recently released version.
    pub fn latest(&self) -> Option<&Dictionary> {
        self.versions.values().max_by_key(|d| d.released)
    }

    /// Every version, in version-name order.
    pub fn iter(&self) -> impl Iterator<Item = &Dictionary> {
        self.versions.values()
    }

    /// The version names, comma separated, for messages.
    pub fn version_list(&self) -> String {
        let names: Vec<&str> = self.versions.keys().map(String::as_str).collect();
        names.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_versions_load() {
        let d = Dictionaries::builtin();
        assert_eq!(d.version_list(), "1, 2");
        assert_eq!(d.latest().unwrap().version, "2");
        let v1 = d.get("1").unwrap();
        let (g, item) = v1.item_at("diagnosis.primary_site").unwrap();
        assert_eq!(g.id, "diagnosis");
        assert_eq!(item.item_type, ItemType::Icdo3Topography);
        assert!(!item.applies_to(g, Area::RareDisease));
        assert!(v1.item_at("background.karnofsky_ps").is_none());
        assert!(
            d.get("2")
                .unwrap()
                .item_at("background.karnofsky_ps")
                .is_some()
        );
    }

    #[test]
    fn every_label_and_code_value_is_bilingual() {
        for dict in Dictionaries::builtin().iter() {
            for g in &dict.groups {
                assert!(!g.definition_en.is_empty() && !g.definition_ja.is_empty());
                for i in &g.items {
                    assert!(!i.label_en.trim().is_empty(), "{}.{}", g.id, i.id);
                    assert!(!i.label_ja.trim().is_empty(), "{}.{}", g.id, i.id);
                    assert!(!i.definition_en.is_empty() && !i.definition_ja.is_empty());
                    for v in &i.values {
                        assert!(
                            !v.label_en.trim().is_empty(),
                            "{}.{}={}",
                            g.id,
                            i.id,
                            v.code
                        );
                        assert!(
                            !v.label_ja.trim().is_empty(),
                            "{}.{}={}",
                            g.id,
                            i.id,
                            v.code
                        );
                        assert!(
                            !v.label_ja.is_ascii(),
                            "{}.{}={} Japanese label is ASCII only",
                            g.id,
                            i.id,
                            v.code
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_rule_naming_a_missing_item_is_refused() {
        let text = include_str!("../dictionary/v1.yaml").replace(
            "later: diagnosis.diagnosis_date}",
            "later: diagnosis.no_such_date}",
        );
        let err = Dictionary::from_yaml("bad", &text).unwrap_err();
        assert!(err.to_string().contains("diagnosis.no_such_date"), "{err}");
    }

    #[test]
    fn a_duplicate_item_is_refused() {
        let text = include_str!("../dictionary/v1.yaml")
            .replace("- id: icd10\n        label_en: ICD-10 code\n        label_ja: ICD-10コード\n        definition_en: ICD-10 code of the diagnosis", "- id: diagnosis_name\n        label_en: ICD-10 code\n        label_ja: ICD-10コード\n        definition_en: ICD-10 code of the diagnosis");
        let err = Dictionary::from_yaml("bad", &text).unwrap_err();
        assert!(err.to_string().contains("defined twice"), "{err}");
    }
}
