//! Validation of a clinical record against the dictionary version it names: shape,
//! area, items, types, ranges, units, codes, dates, HPO terms, ICD-O-3 codes,
//! linkage consent, participant references and the cross-field rules.

use std::cmp::Ordering;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use zenome_domain::id::ParticipantId;

use crate::dictionary::{
    CrossRule, DatePrecision, Dictionaries, Dictionary, Group, Item, ItemType,
};
use crate::hpo::{Hpo, is_hpo_id};
use crate::record::{GroupData, Record};

/// What the validation may assume about the participant.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context {
    /// Whether the participant consented to linkage with data outside the programme.
    pub linkage_consent: bool,
}

/// The rule a problem breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// The record names a dictionary version that does not exist.
    UnknownDictionaryVersion,
    /// The record's participant id is not a valid id.
    MalformedParticipantId,
    /// The group is not in the dictionary version.
    UnknownGroup,
    /// The group is not collected in the record's area.
    GroupNotForArea,
    /// A repeating group given as one object, or a single group as a list.
    WrongShape,
    /// The item is not in the group in this dictionary version.
    UnknownItem,
    /// The item is not collected in the record's area.
    ItemNotForArea,
    /// A required group or item is missing.
    RequiredMissing,
    /// The value has the wrong JSON type, or a CSV cell does not parse as one.
    WrongType,
    /// A number outside the item's min/max.
    OutOfRange,
    /// A number given in a unit other than the item's.
    WrongUnit,
    /// A code that is not one of the item's values.
    UnknownCode,
    /// Not a real date in the item's format.
    MalformedDate,
    /// Two dates in the wrong order.
    DateOrder,
    /// Two dates that must be the same differ.
    DatesDiffer,
    /// Not of the shape `HP:nnnnnnn`.
    MalformedHpoId,
    /// An HPO id that the ontology does not have.
    UnknownHpoTerm,
    /// An obsolete HPO term.
    ObsoleteHpoTerm,
    /// An HPO term outside the branch the item allows.
    HpoTermOutsideBranch,
    /// Not an ICD-O-3 topography code.
    MalformedTopography,
    /// Not an ICD-O-3 morphology code.
    MalformedMorphology,
    /// An item linking to outside data, without consent to linkage.
    LinkageConsentRequired,
    /// A participant reference that is not a valid participant id.
    MalformedParticipantRef,
    /// Bulk: the JSON does not parse or has the wrong shape.
    MalformedJson,
    /// Bulk: the file is Shift_JIS, not UTF-8.
    ShiftJis,
    /// Bulk: the file is not UTF-8 (nor Shift_JIS).
    NotUtf8,
    /// Bulk: the file starts with a UTF-8 byte-order mark.
    ByteOrderMark,
    /// Bulk: the CSV does not parse (unbalanced quotes, wrong number of fields).
    MalformedCsv,
    /// Bulk: a column that is not an item of the group.
    UnknownColumn,
    /// Bulk: a required column (or `participant`) is absent.
    MissingColumn,
    /// Bulk: a column appears twice.
    DuplicateColumn,
    /// Bulk: two rows for one participant in a group that is not repeating.
    DuplicateEntry,
}

impl Rule {
    /// The snake_case name, as serialised.
    pub fn as_str(self) -> &'static str {
        use Rule::*;
        match self {
            UnknownDictionaryVersion => "unknown_dictionary_version",
            MalformedParticipantId => "malformed_participant_id",
            UnknownGroup => "unknown_group",
            GroupNotForArea => "group_not_for_area",
            WrongShape => "wrong_shape",
            UnknownItem => "unknown_item",
            ItemNotForArea => "item_not_for_area",
            RequiredMissing => "required_missing",
            WrongType => "wrong_type",
            OutOfRange => "out_of_range",
            WrongUnit => "wrong_unit",
            UnknownCode => "unknown_code",
            MalformedDate => "malformed_date",
            DateOrder => "date_order",
            DatesDiffer => "dates_differ",
            MalformedHpoId => "malformed_hpo_id",
            UnknownHpoTerm => "unknown_hpo_term",
            ObsoleteHpoTerm => "obsolete_hpo_term",
            HpoTermOutsideBranch => "hpo_term_outside_branch",
            MalformedTopography => "malformed_topography",
            MalformedMorphology => "malformed_morphology",
            LinkageConsentRequired => "linkage_consent_required",
            MalformedParticipantRef => "malformed_participant_ref",
            MalformedJson => "malformed_json",
            ShiftJis => "shift_jis",
            NotUtf8 => "not_utf8",
            ByteOrderMark => "byte_order_mark",
            MalformedCsv => "malformed_csv",
            UnknownColumn => "unknown_column",
            MissingColumn => "missing_column",
            DuplicateColumn => "duplicate_column",
            DuplicateEntry => "duplicate_entry",
        }
    }
}

/// One thing wrong with a record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    /// Where: `participant`, `diagnosis`, `diagnosis.primary_site`,
    /// `treatment[2].start_date` (indices from 0).
    pub path: String,
    /// The group, if the problem is inside one.
    pub group: Option<String>,
    /// The entry of a repeating group (from 0).
    pub index: Option<usize>,
    /// The item, if the problem is about one.
    pub item: Option<String>,
    pub rule: Rule,
    pub message_en: String,
    pub message_ja: String,
}

/// A rule broken by one value, before it is placed at a path.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fault {
    pub rule: Rule,
    pub en: String,
    pub ja: String,
}

fn fault(rule: Rule, en: String, ja: String) -> Fault {
    Fault { rule, en, ja }
}

fn path_of(group: &str, index: Option<usize>, item: Option<&str>) -> String {
    let mut p = String::with_capacity(group.len() + 24);
    p.push_str(group);
    if let Some(i) = index {
        let _ = write!(p, "[{i}]");
    }
    if let Some(item) = item {
        p.push('.');
        p.push_str(item);
    }
    p
}

struct Out {
    problems: Vec<Problem>,
}

impl Out {
    fn push(&mut self, group: &str, index: Option<usize>, item: Option<&str>, f: Fault) {
        self.problems.push(Problem {
            path: path_of(group, index, item),
            group: Some(group.to_owned()),
            index,
            item: item.map(str::to_owned),
            rule: f.rule,
            message_en: f.en,
            message_ja: f.ja,
        });
    }
}

/// Every problem of `record`, judged against the dictionary version it names.
/// An empty list means the record is valid.
pub fn validate(dicts: &Dictionaries, hpo: &Hpo, record: &Record, ctx: &Context) -> Vec<Problem> {
    let mut out = Out {
        problems: Vec::new(),
    };
    let Some(dict) = dicts.get(&record.dictionary) else {
        out.problems.push(Problem {
            path: "dictionary".into(),
            group: None,
            index: None,
            item: None,
            rule: Rule::UnknownDictionaryVersion,
            message_en: format!(
                "unknown dictionary version {:?}; known versions: {}",
                record.dictionary,
                dicts.version_list()
            ),
            message_ja: format!(
                "辞書のバージョン「{}」は存在しません（有効なバージョン：{}）",
                record.dictionary,
                dicts.version_list()
            ),
        });
        return out.problems;
    };
    if let Some(f) = check_participant(&record.participant, Rule::MalformedParticipantId) {
        out.problems.push(Problem {
            path: "participant".into(),
            group: None,
            index: None,
            item: None,
            rule: f.rule,
            message_en: f.en,
            message_ja: f.ja,
        });
    }
    let area = record.area;
    for (gid, data) in &record.groups {
        let Some(group) = dict.group(gid) else {
            let later = other_version(dicts, dict, |d| d.group(gid).is_some());
            out.push(
                gid,
                None,
                None,
                fault(
                    Rule::UnknownGroup,
                    format!(
                        "unknown item group {gid} in dictionary version {}{}",
                        dict.version, later.en
                    ),
                    format!(
                        "項目グループ「{gid}」は辞書バージョン{}にありません{}",
                        dict.version, later.ja
                    ),
                ),
            );
            continue;
        };
        if !group.applies_to(area) {
            out.push(
                gid,
                None,
                None,
                fault(
                    Rule::GroupNotForArea,
                    format!(
                        "item group {gid} ({}) is not collected for {} records",
                        group.label_en,
                        area.as_str()
                    ),
                    format!(
                        "項目グループ「{}」は{}では収集しません",
                        group.label_ja,
                        area.label_ja()
                    ),
                ),
            );
            continue;
        }
        match (group.repeating, data) {
            (true, GroupData::One(_)) => {
                out.push(
                    gid,
                    None,
                    None,
                    fault(
                        Rule::WrongShape,
                        format!("item group {gid} is repeating: give a list of entries"),
                        format!(
                            "「{}」は繰り返し項目です。配列で入力してください",
                            group.label_ja
                        ),
                    ),
                );
                continue;
            }
            (false, GroupData::Many(_)) => {
                out.push(
                    gid,
                    None,
                    None,
                    fault(
                        Rule::WrongShape,
                        format!("item group {gid} is not repeating: give one object"),
                        format!(
                            "「{}」は繰り返し項目ではありません。1件のみ入力してください",
                            group.label_ja
                        ),
                    ),
                );
                continue;
            }
            _ => {}
        }
        match data {
            GroupData::One(m) => {
                check_entry(&mut out, dicts, dict, hpo, group, None, m, record, ctx)
            }
            GroupData::Many(v) => {
                for (i, m) in v.iter().enumerate() {
                    check_entry(&mut out, dicts, dict, hpo, group, Some(i), m, record, ctx);
                }
            }
        }
    }
    for group in &dict.groups {
        if group.required && group.applies_to(area) && !record.groups.contains_key(&group.id) {
            out.push(
                &group.id,
                None,
                None,
                fault(
                    Rule::RequiredMissing,
                    format!("item group {} ({}) is required", group.id, group.label_en),
                    format!("項目グループ「{}」は必須です", group.label_ja),
                ),
            );
        }
    }
    for rule in &dict.rules {
        check_cross(&mut out, dict, record, rule);
    }
    out.problems
}

struct Hint {
    en: String,
    ja: String,
}

fn other_version(
    dicts: &Dictionaries,
    this: &Dictionary,
    has: impl Fn(&Dictionary) -> bool,
) -> Hint {
    let others: Vec<&str> = dicts
        .iter()
        .filter(|d| d.version != this.version && has(d))
        .map(|d| d.version.as_str())
        .collect();
    if others.is_empty() {
        Hint {
            en: String::new(),
            ja: String::new(),
        }
    } else {
        let list = others.join(", ");
        Hint {
            en: format!(" (it exists in version {list}: enter the record under that version)"),
            ja: format!("（バージョン{list}にある項目です。そのバージョンで入力してください）"),
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn check_entry(
    out: &mut Out,
    dicts: &Dictionaries,
    dict: &Dictionary,
    hpo: &Hpo,
    group: &Group,
    index: Option<usize>,
    entry: &Map<String, Value>,
    record: &Record,
    ctx: &Context,
) {
    let gid = group.id.as_str();
    for (key, value) in entry {
        let Some(item) = group.item(key) else {
            let later = other_version(dicts, dict, |d| {
                d.group(gid).and_then(|g| g.item(key)).is_some()
            });
            out.push(
                gid,
                index,
                Some(key),
                fault(
                    Rule::UnknownItem,
                    format!(
                        "unknown item {gid}.{key} in dictionary version {}{}",
                        dict.version, later.en
                    ),
                    format!(
                        "項目「{gid}.{key}」は辞書バージョン{}にありません{}",
                        dict.version, later.ja
                    ),
                ),
            );
            continue;
        };
        if value.is_null() {
            continue;
        }
        if !item.applies_to(group, record.area) {
            out.push(
                gid,
                index,
                Some(key),
                fault(
                    Rule::ItemNotForArea,
                    format!(
                        "{gid}.{key} ({}) is not collected for {} records",
                        item.label_en,
                        record.area.as_str()
                    ),
                    format!(
                        "{}は{}では収集しません",
                        item.label_ja,
                        record.area.label_ja()
                    ),
                ),
            );
            continue;
        }
        if item.needs_linkage_consent && !ctx.linkage_consent {
            out.push(
                gid,
                index,
                Some(key),
                fault(
                    Rule::LinkageConsentRequired,
                    format!(
                        "{gid}.{key} ({}) links to data outside the programme; it is refused because the participant has not consented to linkage",
                        item.label_en
                    ),
                    format!(
                        "{}は外部データとの連結に用いる項目です。参加者の連結への同意がないため登録できません",
                        item.label_ja
                    ),
                ),
            );
            continue;
        }
        if let Some(f) = check_value(item, value, Some(hpo)) {
            out.push(gid, index, Some(key), f);
        }
    }
    for item in &group.items {
        if item.required
            && item.applies_to(group, record.area)
            && entry.get(&item.id).is_none_or(Value::is_null)
        {
            out.push(gid, index, Some(&item.id), required_fault(gid, item));
        }
    }
}

pub(crate) fn required_fault(gid: &str, item: &Item) -> Fault {
    fault(
        Rule::RequiredMissing,
        format!("{gid}.{} ({}) is required", item.id, item.label_en),
        format!("{}（{gid}.{}）は必須項目です", item.label_ja, item.id),
    )
}

/// Checks one value against its item: type, range, unit, code, date, identifiers.
/// Without an ontology, HPO ids are checked for shape only.
pub(crate) fn check_value(item: &Item, value: &Value, hpo: Option<&Hpo>) -> Option<Fault> {
    let wrong_type = |en: &str, ja: &str| {
        Some(fault(
            Rule::WrongType,
            format!("{} must be {en}, found {value}", item.id),
            format!(
                "{}は{ja}で入力してください（入力値：{value}）",
                item.label_ja
            ),
        ))
    };
    match item.item_type {
        ItemType::Integer | ItemType::Decimal => {
            let (number, unit) = match value {
                Value::Number(n) => (n, None),
                Value::Object(o) if o.len() == 2 && o.contains_key("value") => {
                    match (o.get("value"), o.get("unit")) {
                        (Some(Value::Number(n)), Some(Value::String(u))) => (n, Some(u.as_str())),
                        _ => return wrong_type("a number", "数値"),
                    }
                }
                _ => return wrong_type("a number", "数値"),
            };
            if let Some(u) = unit
                && item.unit.as_deref() != Some(u.trim())
            {
                return Some(unit_fault(item, u));
            }
            let x = if item.item_type == ItemType::Integer {
                match number.as_i64() {
                    Some(i) => i as f64,
                    None => return wrong_type("a whole number", "整数"),
                }
            } else {
                number.as_f64().unwrap_or(f64::NAN)
            };
            check_range(item, x)
        }
        ItemType::Boolean => match value {
            Value::Bool(_) => None,
            _ => wrong_type("true or false", "true または false"),
        },
        _ => {
            let Value::String(s) = value else {
                return match item.item_type {
                    ItemType::Date => wrong_type("a date string YYYY-MM-DD", "日付（YYYY-MM-DD）"),
                    _ => wrong_type("a string", "文字列"),
                };
            };
            check_str(item, s, hpo)
        }
    }
}

pub(crate) fn unit_fault(item: &Item, found: &str) -> Fault {
    match &item.unit {
        Some(unit) => fault(
            Rule::WrongUnit,
            format!("{} is recorded in {unit}, found {found:?}", item.id),
            format!(
                "{}の単位は{unit}です（入力された単位：{found}）",
                item.label_ja
            ),
        ),
        None => fault(
            Rule::WrongUnit,
            format!("{} has no unit, found {found:?}", item.id),
            format!(
                "{}には単位を付けません（入力された単位：{found}）",
                item.label_ja
            ),
        ),
    }
}

pub(crate) fn check_range(item: &Item, x: f64) -> Option<Fault> {
    let below = item.min.is_some_and(|m| x < m);
    let above = item.max.is_some_and(|m| x > m);
    if !(below || above || x.is_nan()) {
        return None;
    }
    let unit = item.unit.as_deref().unwrap_or("");
    let bound = |b: Option<f64>| b.map_or_else(|| "…".to_owned(), |b| b.to_string());
    let (lo, hi) = (bound(item.min), bound(item.max));
    Some(fault(
        Rule::OutOfRange,
        format!(
            "{} must be between {lo} and {hi} {unit}, found {x}",
            item.id
        )
        .replace("  ", " "),
        format!(
            "{}は{lo}〜{hi}{unit}の範囲で入力してください（入力値：{x}）",
            item.label_ja
        ),
    ))
}

fn check_str(item: &Item, s: &str, hpo: Option<&Hpo>) -> Option<Fault> {
    match item.item_type {
        ItemType::Text => None,
        ItemType::Code => {
            if item.value(s).is_some() {
                return None;
            }
            let mut ja = String::new();
            for (i, v) in item.values.iter().enumerate() {
                if i > 0 {
                    ja.push('、');
                }
                let _ = write!(ja, "{}＝{}", v.code, v.label_ja);
            }
            Some(fault(
                Rule::UnknownCode,
                format!(
                    "{} ({}): {s:?} is not an allowed code; allowed: {}",
                    item.id,
                    item.label_en,
                    item.code_list()
                ),
                format!(
                    "{}：「{s}」は選択肢にありません（選択肢：{ja}）",
                    item.label_ja
                ),
            ))
        }
        ItemType::Date => {
            if parse_date(s, item.partial).is_some() {
                return None;
            }
            let (en, ja) = match item.partial {
                DatePrecision::Day => ("YYYY-MM-DD", "YYYY-MM-DD"),
                DatePrecision::Month => ("YYYY-MM or YYYY-MM-DD", "YYYY-MM または YYYY-MM-DD"),
            };
            Some(fault(
                Rule::MalformedDate,
                format!("{} must be a real date as {en}, found {s:?}", item.id),
                format!(
                    "{}は{ja}形式の実在する日付で入力してください（入力値：{s}）",
                    item.label_ja
                ),
            ))
        }
        ItemType::HpoTerm => check_hpo(item, s, hpo),
        ItemType::Icdo3Topography => {
            if is_topography(s) {
                return None;
            }
            Some(fault(
                Rule::MalformedTopography,
                format!(
                    "{}: {s:?} is not an ICD-O-3 topography code (C00.0 to C80.9, e.g. C34.1)",
                    item.id
                ),
                format!(
                    "{}：「{s}」はICD-O-3局在コードの形式ではありません（C00.0〜C80.9、例：C34.1）",
                    item.label_ja
                ),
            ))
        }
        ItemType::Icdo3Morphology => {
            if is_morphology(s) {
                return None;
            }
            Some(fault(
                Rule::MalformedMorphology,
                format!(
                    "{}: {s:?} is not an ICD-O-3 morphology code (4 digits, '/', behaviour 0, 1, 2, 3, 6 or 9, e.g. 8140/3)",
                    item.id
                ),
                format!(
                    "{}：「{s}」はICD-O-3形態コードの形式ではありません（4桁/性状コード0・1・2・3・6・9、例：8140/3）",
                    item.label_ja
                ),
            ))
        }
        ItemType::ParticipantRef => check_participant(s, Rule::MalformedParticipantRef),
        ItemType::Integer | ItemType::Decimal | ItemType::Boolean => None,
    }
}

fn check_hpo(item: &Item, s: &str, hpo: Option<&Hpo>) -> Option<Fault> {
    if !is_hpo_id(s) {
        return Some(fault(
            Rule::MalformedHpoId,
            format!(
                "{}: {s:?} is not an HPO id (HP: and 7 digits, e.g. HP:0001250)",
                item.id
            ),
            format!(
                "{}：「{s}」はHPO IDの形式ではありません（HP:＋7桁、例：HP:0001250）",
                item.label_ja
            ),
        ));
    }
    let hpo = hpo?;
    let Some(term) = hpo.term(s) else {
        let release = hpo.data_version().unwrap_or("the loaded release");
        return Some(fault(
            Rule::UnknownHpoTerm,
            format!("{}: {s} is not a term of the HPO ({release})", item.id),
            format!(
                "{}：{s}はHPO（{release}）に存在しない用語です",
                item.label_ja
            ),
        ));
    };
    if term.is_obsolete {
        let name = |id: &str| {
            hpo.term(id)
                .map_or(String::new(), |t| format!(" {}", t.name))
        };
        let (en, ja) = if let Some(r) = &term.replaced_by {
            (
                format!("use {r}{} instead", name(r)),
                format!("代わりに{r}{}を使用してください", name(r)),
            )
        } else if !term.consider.is_empty() {
            let list: Vec<String> = term
                .consider
                .iter()
                .map(|c| format!("{c}{}", name(c)))
                .collect();
            let list = list.join(", ");
            (
                format!("consider {list}"),
                format!("代わりに{list}を検討してください"),
            )
        } else {
            (
                "choose a current term".to_owned(),
                "現行の用語を選んでください".to_owned(),
            )
        };
        return Some(fault(
            Rule::ObsoleteHpoTerm,
            format!("{}: {s} ({}) is obsolete; {en}", item.id, term.name),
            format!(
                "{}：{s}（{}）は廃止された用語です。{ja}",
                item.label_ja, term.name
            ),
        ));
    }
    if let Some(root) = &item.hpo_root
        && !hpo.is_a(s, root)
    {
        let root_name = hpo.term(root).map_or("", |t| t.name.as_str());
        return Some(fault(
            Rule::HpoTermOutsideBranch,
            format!(
                "{}: {s} ({}) is not under {root} {root_name}",
                item.id, term.name
            ),
            format!(
                "{}：{s}（{}）は{root} {root_name}配下の用語ではありません",
                item.label_ja, term.name
            ),
        ));
    }
    None
}

pub(crate) fn participant_fault(s: &str) -> Option<Fault> {
    check_participant(s, Rule::MalformedParticipantId)
}

fn check_participant(s: &str, rule: Rule) -> Option<Fault> {
    match s.parse::<ParticipantId>() {
        Ok(id) if id.as_str() == s => None,
        Ok(_) => Some(fault(
            rule,
            format!("participant id {s:?} must be written in upper case without spaces"),
            format!("参加者ID「{s}」は空白を含めず大文字で入力してください"),
        )),
        Err(e) => Some(fault(
            rule,
            format!("{s:?} is not a participant id: {e}"),
            format!("「{s}」は参加者IDではありません（ZP＋英数字8文字＋チェック文字）"),
        )),
    }
}

/// ICD-O-3 topography: `C` two digits `.` one digit, C00.0 to C80.9.
pub fn is_topography(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 5
        && b[0] == b'C'
        && b[1].is_ascii_digit()
        && b[2].is_ascii_digit()
        && b[3] == b'.'
        && b[4].is_ascii_digit()
        && (b[1] - b'0') * 10 + (b[2] - b'0') <= 80
}

/// ICD-O-3 morphology: four digits (8000–9999), `/`, behaviour 0, 1, 2, 3, 6 or 9.
pub fn is_morphology(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 6
        && b[..4].iter().all(u8::is_ascii_digit)
        && (b[0] == b'8' || b[0] == b'9')
        && b[4] == b'/'
        && matches!(b[5], b'0' | b'1' | b'2' | b'3' | b'6' | b'9')
}

/// A date of day or month precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PartialDate {
    year: i32,
    month: u8,
    day: Option<u8>,
}

impl PartialDate {
    /// Orders two dates; when either lacks a day, only year and month count.
    fn compare(self, other: Self) -> Ordering {
        (self.year, self.month)
            .cmp(&(other.year, other.month))
            .then(match (self.day, other.day) {
                (Some(a), Some(b)) => a.cmp(&b),
                _ => Ordering::Equal,
            })
    }
}

fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

pub(crate) fn parse_date(s: &str, precision: DatePrecision) -> Option<PartialDate> {
    let b = s.as_bytes();
    let year = digits(b.get(..4)?)? as i32;
    if b.get(4) != Some(&b'-') {
        return None;
    }
    let month = u8::try_from(digits(b.get(5..7)?)?).ok()?;
    let month_enum = time::Month::try_from(month).ok()?;
    if year < 1800 {
        return None;
    }
    match b.len() {
        7 if precision == DatePrecision::Month => Some(PartialDate {
            year,
            month,
            day: None,
        }),
        10 if b[7] == b'-' => {
            let day = u8::try_from(digits(&b[8..10])?).ok()?;
            time::Date::from_calendar_date(year, month_enum, day).ok()?;
            Some(PartialDate {
                year,
                month,
                day: Some(day),
            })
        }
        _ => None,
    }
}

type Slot<'r> = (Option<usize>, Option<&'r Value>);

/// Each entry of `group` (absent group: none) with the item's value in it.
fn slots<'r>(record: &'r Record, group: &str, item: &str) -> Vec<Slot<'r>> {
    match record.groups.get(group) {
        None => Vec::new(),
        Some(GroupData::One(m)) => vec![(None, m.get(item))],
        Some(GroupData::Many(v)) => v
            .iter()
            .enumerate()
            .map(|(i, m)| (Some(i), m.get(item)))
            .collect(),
    }
}

/// The pairs a two-item rule compares: per entry within one group, otherwise every
/// entry of one side with the other (at most one side repeats).
fn pairs<'r>(record: &'r Record, a: &str, b: &str) -> Vec<(Slot<'r>, Slot<'r>)> {
    let (ga, ia) = a.split_once('.').expect("rule paths are group.item");
    let (gb, ib) = b.split_once('.').expect("rule paths are group.item");
    let sa = slots(record, ga, ia);
    let sb = slots(record, gb, ib);
    if ga == gb {
        return sa.into_iter().zip(sb).collect();
    }
    let mut out = Vec::with_capacity(sa.len().max(sb.len()));
    for x in &sa {
        for y in &sb {
            out.push((*x, *y));
        }
    }
    out
}

fn date_of(dict: &Dictionary, path: &str, v: Option<&Value>) -> Option<PartialDate> {
    let (_, item) = dict.item_at(path)?;
    parse_date(v?.as_str()?, item.partial)
}

/// Where to report a two-item problem: the repeating side (so it maps to a CSV row),
/// else `second`.
fn place<'p>(
    first: (&'p str, Option<usize>),
    second: (&'p str, Option<usize>),
) -> (&'p str, Option<usize>) {
    if first.1.is_some() && second.1.is_none() {
        first
    } else {
        second
    }
}

fn check_cross(out: &mut Out, dict: &Dictionary, record: &Record, rule: &CrossRule) {
    let label = |path: &str| {
        dict.item_at(path)
            .map_or((String::new(), String::new()), |(_, i)| {
                (i.label_en.clone(), i.label_ja.clone())
            })
    };
    match rule {
        CrossRule::DateOrder { earlier, later } => {
            for ((ia, va), (ib, vb)) in pairs(record, earlier, later) {
                let (Some(da), Some(db)) = (date_of(dict, earlier, va), date_of(dict, later, vb))
                else {
                    continue;
                };
                if da.compare(db) != Ordering::Greater {
                    continue;
                }
                let (pa, pb) = (path_at(earlier, ia), path_at(later, ib));
                let (va, vb) = (
                    va.and_then(Value::as_str).unwrap_or(""),
                    vb.and_then(Value::as_str).unwrap_or(""),
                );
                let ((ea, ja_a), (eb, ja_b)) = (label(earlier), label(later));
                let (at, idx) = place((earlier.as_str(), ia), (later.as_str(), ib));
                let (g, i) = at.split_once('.').expect("group.item");
                out.push(
                    g,
                    idx,
                    Some(i),
                    fault(
                        Rule::DateOrder,
                        format!("{pb} ({eb}, {vb}) is before {pa} ({ea}, {va}); {earlier} must not be after {later}"),
                        format!("{ja_b}（{pb}：{vb}）が{ja_a}（{pa}：{va}）より前になっています"),
                    ),
                );
            }
        }
        CrossRule::RequiredWhen { item, when, equals } => {
            for ((iw, vw), (ii, vi)) in pairs(record, when, item) {
                if vw.and_then(Value::as_str) != Some(equals.as_str())
                    || vi.is_some_and(|v| !v.is_null())
                {
                    continue;
                }
                let (g, i) = item.split_once('.').expect("group.item");
                let (ee, ej) = label(item);
                let (we, wj) = label(when);
                let idx = ii.or(iw);
                out.push(
                    g,
                    idx,
                    Some(i),
                    fault(
                        Rule::RequiredMissing,
                        format!("{item} ({ee}) is required when {when} ({we}) is {equals}"),
                        format!("{wj}が「{equals}」の場合、{ej}（{item}）は必須です"),
                    ),
                );
            }
        }
        CrossRule::EqualWhen {
            left,
            right,
            when,
            equals,
        } => {
            let conds = pairs(record, when, left);
            for ((il, vl), (ir, vr)) in pairs(record, left, right) {
                let on = conds.iter().any(|((_, vw), (i, _))| {
                    *i == il && vw.and_then(Value::as_str) == Some(equals.as_str())
                });
                if !on {
                    continue;
                }
                let (Some(dl), Some(dr)) = (date_of(dict, left, vl), date_of(dict, right, vr))
                else {
                    continue;
                };
                if dl.compare(dr) == Ordering::Equal {
                    continue;
                }
                let (g, i) = left.split_once('.').expect("group.item");
                let ((el, jl), (er, jr)) = (label(left), label(right));
                let (_, wj) = label(when);
                let (vl, vr) = (
                    vl.and_then(Value::as_str).unwrap_or(""),
                    vr.and_then(Value::as_str).unwrap_or(""),
                );
                out.push(
                    g,
                    il.or(ir),
                    Some(i),
                    fault(
                        Rule::DatesDiffer,
                        format!("{left} ({el}, {vl}) must equal {right} ({er}, {vr}) when {when} is {equals}"),
                        format!("{wj}が「{equals}」の場合、{jl}（{vl}）は{jr}（{vr}）と同じ日付にしてください"),
                    ),
                );
            }
        }
    }
}

fn path_at(path: &str, index: Option<usize>) -> String {
    let (g, i) = path.split_once('.').expect("group.item");
    path_of(g, index, Some(i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topography_and_morphology_shapes() {
        for ok in ["C34.1", "C00.0", "C80.9", "C50.9"] {
            assert!(is_topography(ok), "{ok}");
        }
        for bad in ["C81.0", "C34", "c34.1", "C341", "C34.12", "D34.1"] {
            assert!(!is_topography(bad), "{bad}");
        }
        for ok in ["8140/3", "8000/0", "9989/1", "8010/2", "8070/6", "8000/9"] {
            assert!(is_morphology(ok), "{ok}");
        }
        for bad in [
            "8140/4", "8140", "814/3", "81403", "8140/33", "7140/3", "8140-3",
        ] {
            assert!(!is_morphology(bad), "{bad}");
        }
    }

    #[test]
    fn dates_are_real_calendar_dates() {
        assert!(parse_date("2024-02-29", DatePrecision::Day).is_some());
        assert!(parse_date("2023-02-29", DatePrecision::Day).is_none());
        assert!(parse_date("2023-13-01", DatePrecision::Day).is_none());
        assert!(parse_date("2023-1-01", DatePrecision::Day).is_none());
        assert!(parse_date("2023-01", DatePrecision::Day).is_none());
        assert!(parse_date("2023-01", DatePrecision::Month).is_some());
        assert!(parse_date("２０２３-01-01", DatePrecision::Day).is_none());
        let a = parse_date("2023-01", DatePrecision::Month).unwrap();
        let b = parse_date("2023-01-15", DatePrecision::Day).unwrap();
        assert_eq!(a.compare(b), Ordering::Equal);
    }
}
