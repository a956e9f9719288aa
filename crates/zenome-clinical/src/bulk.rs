//! Bulk submission: a JSON array of records, or one CSV file per item group, with
//! every problem naming the row (or JSON line), the column and the rule, and a CSV
//! error report to download.
//!
//! Files are read as UTF-8, UTF-8 with a byte-order mark (Excel's "CSV UTF-8") or
//! Shift_JIS/CP932 (Excel's "CSV" in Japan), and the caller is told which; only a
//! file that is none of these is refused, naming the first bad byte.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::dictionary::{Area, Dictionary, Group, Item, ItemType};
use crate::record::{GroupData, Record};
use crate::validate::{Fault, Problem, Rule, check_value, required_fault, unit_fault};

/// One problem of a bulk file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulkProblem {
    /// CSV: the line of the file (the header is line 1). JSON: the line of the error.
    pub row: Option<usize>,
    /// CSV: the column's header.
    pub column: Option<String>,
    /// The item the problem is about (`group.item` for validation problems of a
    /// JSON record, the item id for a CSV of one group).
    pub item: Option<String>,
    pub rule: Rule,
    pub message_en: String,
    pub message_ja: String,
}

impl fmt::Display for BulkProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(row) = self.row {
            write!(f, "row {row}: ")?;
        }
        if let Some(column) = &self.column {
            write!(f, "column {column}: ")?;
        }
        write!(f, "{} ({})", self.message_en, self.rule.as_str())
    }
}

fn file_problem(rule: Rule, en: impl Into<String>, ja: impl Into<String>) -> BulkProblem {
    BulkProblem {
        row: None,
        column: None,
        item: None,
        rule,
        message_en: en.into(),
        message_ja: ja.into(),
    }
}

/// The encoding a bulk file was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextEncoding {
    /// UTF-8 (ASCII included).
    Utf8,
    /// UTF-8 with a byte-order mark (Excel's "CSV UTF-8"); the mark is dropped.
    Utf8Bom,
    /// Shift_JIS as Windows writes it (CP932: Excel's "CSV" in Japan).
    Cp932,
}

impl TextEncoding {
    /// The name people know it by.
    pub fn label(self) -> &'static str {
        match self {
            Self::Utf8 => "UTF-8",
            Self::Utf8Bom => "UTF-8 (BOM)",
            Self::Cp932 => "Shift_JIS (CP932)",
        }
    }
}

/// Which encoding `bytes` are read in, as [`decode`] would read them.
pub fn detect(bytes: &[u8]) -> Option<TextEncoding> {
    decode(bytes).ok().map(|(_, e)| e)
}

/// The text of a bulk file and the encoding it was read in: UTF-8, UTF-8
/// with a byte-order mark (dropped), or CP932 — what Excel writes in Japan.
/// Anything else is refused naming the first byte that is neither.
pub fn decode(bytes: &[u8]) -> Result<(std::borrow::Cow<'_, str>, TextEncoding), BulkProblem> {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return match std::str::from_utf8(rest) {
            Ok(s) => Ok((std::borrow::Cow::Borrowed(s), TextEncoding::Utf8Bom)),
            Err(e) => Err(not_text(bytes, e.valid_up_to() + 3)),
        };
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok((std::borrow::Cow::Borrowed(s), TextEncoding::Utf8)),
        Err(e) => match encoding_rs::SHIFT_JIS
            .decode_without_bom_handling_and_without_replacement(bytes)
        {
            Some(text) => Ok((
                std::borrow::Cow::Owned(text.into_owned()),
                TextEncoding::Cp932,
            )),
            None => Err(not_text(bytes, e.valid_up_to())),
        },
    }
}

fn not_text(bytes: &[u8], at: usize) -> BulkProblem {
    let line = 1 + bytes[..at.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count();
    let mut p = file_problem(
        Rule::NotUtf8,
        format!(
            "the file is neither UTF-8 nor Shift_JIS (CP932): invalid byte at offset {at}, line {line}; save it as UTF-8"
        ),
        format!(
            "ファイルがUTF-8でもShift_JIS（CP932）でもありません（{line}行目、{at}バイト目）。UTF-8で保存してください"
        ),
    );
    p.row = Some(line);
    p
}

/// Parses a JSON array of records. Malformed JSON, or a record of the wrong shape,
/// gives one problem naming the line and column.
pub fn parse_json(bytes: &[u8]) -> Result<Vec<Record>, Vec<BulkProblem>> {
    let (text, _) = decode(bytes).map_err(|p| vec![p])?;
    serde_json::from_str::<Vec<Record>>(&text).map_err(|e| {
        let mut p = file_problem(
            Rule::MalformedJson,
            format!("malformed JSON: {e}"),
            format!(
                "JSONの{}行{}列目が正しくありません（{e}）",
                e.line(),
                e.column()
            ),
        );
        p.row = Some(e.line());
        vec![p]
    })
}

/// Problems of one validated JSON record, for the report: the item is `group.item`
/// and the row is the record's position in the array (from 1).
pub fn json_problems(position: usize, problems: &[Problem]) -> Vec<BulkProblem> {
    problems
        .iter()
        .map(|p| BulkProblem {
            row: Some(position),
            column: None,
            item: Some(p.path.clone()),
            rule: p.rule,
            message_en: p.message_en.clone(),
            message_ja: p.message_ja.clone(),
        })
        .collect()
}

/// One data row of a group's CSV file, typed by the dictionary.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvRow {
    /// The line of the file (the header is line 1).
    pub row: usize,
    pub participant: String,
    /// Item id → value; empty cells are absent.
    pub values: Map<String, Value>,
}

enum Column<'d> {
    Participant,
    Item(&'d Item),
}

/// Parses the CSV file of one item group. The header is `participant` and item ids
/// of the group in any order; a repeating group takes several rows per participant.
/// Each cell is typed and checked against its item (HPO ids for shape only; the
/// ontology and linkage consent are judged by [`crate::validate()`]).
pub fn parse_csv(
    bytes: &[u8],
    dict: &Dictionary,
    group_id: &str,
    area: Area,
) -> Result<Vec<CsvRow>, Vec<BulkProblem>> {
    let (text, _) = decode(bytes).map_err(|p| vec![p])?;
    let text: &str = &text;
    let Some(group) = dict.group(group_id) else {
        return Err(vec![file_problem(
            Rule::UnknownGroup,
            format!(
                "unknown item group {group_id} in dictionary version {}",
                dict.version
            ),
            format!(
                "項目グループ「{group_id}」は辞書バージョン{}にありません",
                dict.version
            ),
        )]);
    };
    if !group.applies_to(area) {
        return Err(vec![file_problem(
            Rule::GroupNotForArea,
            format!(
                "item group {group_id} is not collected for {} records",
                area.as_str()
            ),
            format!(
                "項目グループ「{}」は{}では収集しません",
                group.label_ja,
                area.label_ja()
            ),
        )]);
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => return Err(vec![csv_problem(&e)]),
    };
    let columns = header_columns(&headers, group, area)?;
    let mut problems = Vec::new();
    let mut rows = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                problems.push(csv_problem(&e));
                if matches!(
                    e.kind(),
                    csv::ErrorKind::Utf8 { .. } | csv::ErrorKind::Io(_)
                ) {
                    break;
                }
                continue;
            }
        }
        let line = record.position().map_or(0, |p| p.line() as usize);
        let mut participant = String::new();
        let mut values = Map::new();
        for (cell, column) in record.iter().zip(&columns) {
            let cell = cell.trim();
            match column {
                Column::Participant => participant = cell.to_owned(),
                Column::Item(item) => {
                    if cell.is_empty() {
                        if item.required {
                            problems.push(at_cell(line, &item.id, required_fault(group_id, item)));
                        }
                        continue;
                    }
                    match typed(item, cell) {
                        Ok(v) => {
                            if let Some(f) = check_value(item, &v, None) {
                                problems.push(at_cell(line, &item.id, f));
                            }
                            values.insert(item.id.clone(), v);
                        }
                        Err(f) => problems.push(at_cell(line, &item.id, f)),
                    }
                }
            }
        }
        if let Some(f) = crate::validate::participant_fault(&participant) {
            problems.push(at_cell(line, "participant", f));
        } else if !group.repeating
            && let Some(first) = seen.insert(participant.clone(), line)
        {
            problems.push(at_cell(
                line,
                "participant",
                Fault {
                    rule: Rule::DuplicateEntry,
                    en: format!(
                        "{participant} already has a row (line {first}); item group {group_id} takes one row per participant"
                    ),
                    ja: format!(
                        "{participant}の行が重複しています（{first}行目）。「{}」は参加者ごとに1行です",
                        group.label_ja
                    ),
                },
            ));
        }
        rows.push(CsvRow {
            row: line,
            participant,
            values,
        });
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(problems)
    }
}

fn at_cell(row: usize, column: &str, f: Fault) -> BulkProblem {
    BulkProblem {
        row: Some(row),
        column: Some(column.to_owned()),
        item: (column != "participant").then(|| column.to_owned()),
        rule: f.rule,
        message_en: f.en,
        message_ja: f.ja,
    }
}

fn csv_problem(e: &csv::Error) -> BulkProblem {
    let line = e.position().map(|p| p.line() as usize);
    let (en, ja) = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => (
            format!("the row has {len} fields but the header has {expected_len}"),
            format!("列数が見出し行と異なります（見出し{expected_len}列、この行{len}列）"),
        ),
        _ => (
            format!("malformed CSV: {e}"),
            format!("CSVの形式が正しくありません（{e}）"),
        ),
    };
    BulkProblem {
        row: line,
        column: None,
        item: None,
        rule: Rule::MalformedCsv,
        message_en: en,
        message_ja: ja,
    }
}

fn header_columns<'d>(
    headers: &csv::StringRecord,
    group: &'d Group,
    area: Area,
) -> Result<Vec<Column<'d>>, Vec<BulkProblem>> {
    let mut problems = Vec::new();
    let mut columns = Vec::with_capacity(headers.len());
    let mut seen = HashMap::new();
    let header = |column: &str, rule, en: String, ja: String| BulkProblem {
        row: Some(1),
        column: Some(column.to_owned()),
        item: None,
        rule,
        message_en: en,
        message_ja: ja,
    };
    for (i, name) in headers.iter().enumerate() {
        let name = name.trim();
        if let Some(first) = seen.insert(name.to_owned(), i + 1) {
            problems.push(header(
                name,
                Rule::DuplicateColumn,
                format!(
                    "column {name} appears twice (columns {first} and {})",
                    i + 1
                ),
                format!("列「{name}」が重複しています（{first}列目と{}列目）", i + 1),
            ));
            continue;
        }
        if name == "participant" {
            columns.push(Column::Participant);
            continue;
        }
        match group.item(name) {
            Some(item) if item.applies_to(group, area) => columns.push(Column::Item(item)),
            Some(item) => problems.push(header(
                name,
                Rule::ItemNotForArea,
                format!(
                    "column {name} ({}) is not collected for {} records",
                    item.label_en,
                    area.as_str()
                ),
                format!(
                    "列「{name}」（{}）は{}では収集しません",
                    item.label_ja,
                    area.label_ja()
                ),
            )),
            None => {
                let ids: Vec<&str> = group.items.iter().map(|i| i.id.as_str()).collect();
                problems.push(header(
                    name,
                    Rule::UnknownColumn,
                    format!(
                        "unknown column {name:?}: item group {} has participant, {}",
                        group.id,
                        ids.join(", ")
                    ),
                    format!(
                        "列「{name}」は項目グループ「{}」にありません（有効な列：participant, {}）",
                        group.label_ja,
                        ids.join(", ")
                    ),
                ))
            }
        }
    }
    if !seen.contains_key("participant") {
        problems.push(header(
            "participant",
            Rule::MissingColumn,
            "the column participant is missing".into(),
            "列「participant」（参加者ID）がありません".into(),
        ));
    }
    for item in &group.items {
        if item.required && item.applies_to(group, area) && !seen.contains_key(item.id.as_str()) {
            problems.push(header(
                &item.id,
                Rule::MissingColumn,
                format!(
                    "the required column {} ({}) is missing",
                    item.id, item.label_en
                ),
                format!(
                    "必須項目の列「{}」（{}）がありません",
                    item.id, item.label_ja
                ),
            ));
        }
    }
    if problems.is_empty() {
        Ok(columns)
    } else {
        Err(problems)
    }
}

/// Full-width digits, signs and points (as typed with a Japanese input method) to ASCII.
fn ascii_number(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.is_ascii() {
        return cell.into();
    }
    cell.chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '．' => '.',
            '－' | '−' => '-',
            '＋' => '+',
            '　' => ' ',
            _ => c,
        })
        .collect::<String>()
        .into()
}

/// A cell as the JSON value its item takes.
fn typed(item: &Item, cell: &str) -> Result<Value, Fault> {
    let wrong = |en: &str, ja: &str| Fault {
        rule: Rule::WrongType,
        en: format!("{} must be {en}, found {cell:?}", item.id),
        ja: format!(
            "{}は{ja}で入力してください（入力値：{cell}）",
            item.label_ja
        ),
    };
    match item.item_type {
        ItemType::Integer | ItemType::Decimal => {
            let norm = ascii_number(cell);
            let split = norm
                .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E')))
                .unwrap_or(norm.len());
            let (num, unit) = (norm[..split].trim(), norm[split..].trim());
            if !unit.is_empty() && item.unit.as_deref() != Some(unit) {
                if num.parse::<f64>().is_ok() {
                    return Err(unit_fault(item, unit));
                }
                return Err(wrong("a number", "数値"));
            }
            if item.item_type == ItemType::Integer {
                num.parse::<i64>()
                    .map(Value::from)
                    .map_err(|_| wrong("a whole number", "整数"))
            } else {
                match num.parse::<f64>() {
                    Ok(x) if x.is_finite() => Ok(Value::from(x)),
                    _ => Err(wrong("a number", "数値")),
                }
            }
        }
        ItemType::Boolean => match cell {
            "true" | "TRUE" | "True" | "yes" | "1" | "はい" | "あり" => Ok(Value::Bool(true)),
            "false" | "FALSE" | "False" | "no" | "0" | "いいえ" | "なし" => {
                Ok(Value::Bool(false))
            }
            _ => Err(wrong("true or false", "true/false（はい/いいえ）")),
        },
        _ => Ok(Value::String(cell.to_owned())),
    }
}

/// Rows by participant, each participant's rows in file order.
pub fn by_participant(rows: Vec<CsvRow>) -> BTreeMap<String, Vec<CsvRow>> {
    let mut out: BTreeMap<String, Vec<CsvRow>> = BTreeMap::new();
    for row in rows {
        out.entry(row.participant.clone()).or_default().push(row);
    }
    out
}

/// Where each entry of a merged group came from: (participant, group, index) → CSV line.
#[derive(Debug, Clone, Default)]
pub struct RowMap {
    rows: HashMap<(String, String, Option<usize>), usize>,
}

impl RowMap {
    /// The CSV line of the entry a validation problem of `participant`'s record points at.
    pub fn row_of(&self, participant: &str, problem: &Problem) -> Option<usize> {
        let group = problem.group.as_ref()?;
        self.rows
            .get(&(participant.to_owned(), group.clone(), problem.index))
            .copied()
    }

    /// Adds the entries of another map.
    pub fn extend(&mut self, other: RowMap) {
        self.rows.extend(other.rows);
    }

    /// Validation problems of `participant`'s record as bulk problems with their CSV line.
    pub fn bulk_problems(&self, participant: &str, problems: &[Problem]) -> Vec<BulkProblem> {
        problems
            .iter()
            .map(|p| BulkProblem {
                row: self.row_of(participant, p),
                column: p.item.clone(),
                item: p.item.clone(),
                rule: p.rule,
                message_en: p.message_en.clone(),
                message_ja: p.message_ja.clone(),
            })
            .collect()
    }
}

/// Puts the rows of `record.participant` into the record as `group`, replacing the
/// group's data: a list for a repeating group (in row order), otherwise the one row.
/// Rows of other participants are ignored (split with [`by_participant`] first).
pub fn merge_group(record: &mut Record, group: &Group, rows: &[CsvRow]) -> RowMap {
    let mut map = RowMap::default();
    let mine = rows.iter().filter(|r| r.participant == record.participant);
    if group.repeating {
        let mut list = Vec::new();
        for (i, row) in mine.enumerate() {
            map.rows.insert(
                (record.participant.clone(), group.id.clone(), Some(i)),
                row.row,
            );
            list.push(row.values.clone());
        }
        if !list.is_empty() {
            record
                .groups
                .insert(group.id.clone(), GroupData::Many(list));
        }
    } else if let Some(row) = mine.clone().next_back() {
        map.rows.insert(
            (record.participant.clone(), group.id.clone(), None),
            row.row,
        );
        record
            .groups
            .insert(group.id.clone(), GroupData::One(row.values.clone()));
    }
    map
}

/// One record per participant of a group's CSV rows (dictionary version and area
/// given), with the map back to the rows.
pub fn records_from_csv(
    dict: &Dictionary,
    area: Area,
    group: &Group,
    rows: Vec<CsvRow>,
) -> (Vec<Record>, RowMap) {
    let mut map = RowMap::default();
    let mut records = Vec::new();
    for (participant, rows) in by_participant(rows) {
        let mut record = Record::new(dict.version.clone(), participant, area);
        map.extend(merge_group(&mut record, group, &rows));
        records.push(record);
    }
    (records, map)
}

/// An empty bulk CSV to fill in (a header line only, UTF-8 without a BOM, as
/// [`parse_csv`] takes it): for one item group, `participant` and the ids of
/// its items collected in `area`; for `None`, the "wide" file — `participant`
/// and `group.item` for every non-repeating group of the area. `None` when
/// the group is unknown or not collected in the area.
pub fn template_csv(dict: &Dictionary, group: Option<&str>, area: Area) -> Option<String> {
    let items = |g: &Group, prefix: bool| -> Vec<String> {
        g.items
            .iter()
            .filter(|i| i.applies_to(g, area))
            .map(|i| {
                if prefix {
                    format!("{}.{}", g.id, i.id)
                } else {
                    i.id.clone()
                }
            })
            .collect()
    };
    let mut header = vec!["participant".to_string()];
    match group {
        Some(id) => {
            let g = dict.group(id).filter(|g| g.applies_to(area))?;
            header.extend(items(g, false));
        }
        None => {
            for g in dict
                .groups
                .iter()
                .filter(|g| g.applies_to(area) && !g.repeating)
            {
                header.extend(items(g, true));
            }
        }
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    // writing strings into a Vec cannot fail
    let _ = w.write_record(&header);
    String::from_utf8(w.into_inner().unwrap_or_default()).ok()
}

/// A table meant to be opened in a spreadsheet, as CSV (UTF-8, every text
/// cell of the body quoted). Error reports echo what was submitted, so a cell that a
/// spreadsheet would run as a formula — one starting with `=`, `+`, `-`,
/// `@`, a tab or a carriage return — gets a leading apostrophe (OWASP's
/// defence against CSV injection): a hostile value must not run on the
/// machine of the hospital clerk who opens the report.
pub fn spreadsheet_csv<I, R>(header: &[&str], rows: I) -> String
where
    I: IntoIterator<Item = R>,
    R: IntoIterator<Item = String>,
{
    // the header is plain identifiers, written as they are
    let mut head = csv::Writer::from_writer(Vec::new());
    let _ = head.write_record(header);
    let mut w = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::NonNumeric)
        .from_writer(head.into_inner().unwrap_or_default());
    let defuse = |cell: String| {
        if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{cell}")
        } else {
            cell
        }
    };
    // writing strings into a Vec cannot fail
    for row in rows {
        let _ = w.write_record(row.into_iter().map(defuse));
    }
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8(bytes).expect("the writer was given strings")
}

/// The error report as CSV (`row,column,item,rule,message_ja,message_en`),
/// UTF-8, safe to open in a spreadsheet ([`spreadsheet_csv`]).
pub fn report_csv(problems: &[BulkProblem]) -> String {
    spreadsheet_csv(
        &["row", "column", "item", "rule", "message_ja", "message_en"],
        problems.iter().map(|p| {
            [
                p.row.map(|r| r.to_string()).unwrap_or_default(),
                p.column.clone().unwrap_or_default(),
                p.item.clone().unwrap_or_default(),
                p.rule.as_str().to_string(),
                p.message_ja.clone(),
                p.message_en.clone(),
            ]
        }),
    )
}

/// [`report_csv`] with a byte-order mark in front, which Excel needs to open UTF-8
/// Japanese text correctly.
pub fn report_csv_for_excel(problems: &[BulkProblem]) -> String {
    format!("\u{feff}{}", report_csv(problems))
}
