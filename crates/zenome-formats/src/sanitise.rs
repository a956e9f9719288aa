//! Header sanitisation (R8.3): headers and read groups must not carry personal
//! names, birth dates or hospital patient numbers, and sample names must be
//! pseudonymous participant ids.
//!
//! Two kinds of rule:
//! - *line rules* (configurable regular expressions) run over every header
//!   line (and over the first FASTQ read names);
//! - *field rules* run over fields that name or describe a sample: SAM `@RG SM`
//!   and `DS`, `@CO`, `@PG DS`; VCF sample columns, `Description="…"` values,
//!   `##SAMPLE` and `##PEDIGREE` values. They catch dates and, in sample-name
//!   fields, personal names (words separated by spaces, or CJK/kana script).
//!
//! Refusals name the field and the rule but never echo the offending value, so
//! personal data does not travel on into logs.

use std::str::FromStr;

use regex::Regex;
use zenome_domain::id::ParticipantId;

use crate::error::{Category, FormatError, Location};

/// A named regular expression.
#[derive(Debug, Clone)]
struct Rule {
    name: String,
    re: Regex,
}

impl Rule {
    fn new(name: &str, pattern: &str) -> Result<Self, regex::Error> {
        Ok(Self {
            name: name.to_owned(),
            re: Regex::new(pattern)?,
        })
    }
}

/// A sanitiser pattern that does not compile.
#[derive(Debug, thiserror::Error)]
#[error("sanitiser pattern {index} ({pattern:?}) is not a valid regular expression: {source}")]
pub struct PatternError {
    /// Position of the pattern in the list given.
    pub index: usize,
    /// The pattern as given.
    pub pattern: String,
    /// What the regex crate said.
    #[source]
    pub source: regex::Error,
}

/// Checks header text for personal data. See the module documentation.
#[derive(Debug, Clone)]
pub struct Sanitiser {
    line_rules: Vec<Rule>,
    date_rules: Vec<Rule>,
    name_rules: Vec<Rule>,
    require_pseudonyms: bool,
}

/// The default line rules: dates of birth and hospital/patient numbers, in
/// English and Japanese.
const DEFAULT_LINE_RULES: &[(&str, &str)] = &[
    (
        "date-of-birth",
        r"(?i)\b(?:DOB|D\.O\.B|date[ _-]?of[ _-]?birth|birth[ _-]?date|birthday)\b|生年月日|誕生日",
    ),
    (
        "hospital-number",
        r"(?i)(?:\bMRN|\bpatient[ _-]?(?:id|no|num|number)|\bhospital[ _-]?(?:id|no|num|number)|\bmedical[ _-]?record(?:[ _-]?(?:no|num|number))?|\bchart[ _-]?(?:no|num|number))\s*[:=#＝：]?\s*[A-Z]{0,3}[0-9０-９]{2,}",
    ),
    (
        "hospital-number",
        r"(?:カルテ(?:番号|No\.?|ＮＯ)|患者(?:ID|ＩＤ|番号)|診察券番号|病院ID)\s*[:=：＝]?\s*[A-Za-z]{0,3}[0-9０-９]+",
    ),
    (
        "personal-name-label",
        r"(?i)\b(?:patient|full|given|family)[ _-]?name\b|氏名|患者名|フリガナ|ふりがな",
    ),
];

/// Dates in sample or description fields (ISO, slashed, Japanese and era forms).
const DATE_RULES: &[(&str, &str)] = &[
    (
        "date",
        r"(?:^|[^0-9])(?:19|20)[0-9]{2}[-/.年](?:0?[1-9]|1[0-2])[-/.月](?:0?[1-9]|[12][0-9]|3[01])(?:[^0-9]|$)",
    ),
    (
        "date",
        r"(?:^|[^0-9])(?:0?[1-9]|[12][0-9]|3[01])[-/.](?:0?[1-9]|1[0-2])[-/.](?:19|20)[0-9]{2}(?:[^0-9]|$)",
    ),
    (
        "date",
        r"(?:明治|大正|昭和|平成|令和)\s*(?:[0-9０-９]{1,2}|元)\s*年",
    ),
];

/// Personal names in sample-name fields.
const NAME_RULES: &[(&str, &str)] = &[
    ("personal-name", r"[\p{Han}\p{Hiragana}\p{Katakana}]"),
    ("personal-name", r"^\p{L}+(?:[ \u{3000}]+\p{L}+\.?)+$"),
];

fn compile(rules: &[(&str, &str)]) -> Vec<Rule> {
    rules
        .iter()
        .filter_map(|(name, pattern)| Rule::new(name, pattern).ok())
        .collect()
}

impl Default for Sanitiser {
    /// Default line rules, date and name field rules, and pseudonymous sample
    /// names required.
    fn default() -> Self {
        Self {
            line_rules: compile(DEFAULT_LINE_RULES),
            date_rules: compile(DATE_RULES),
            name_rules: compile(NAME_RULES),
            require_pseudonyms: true,
        }
    }
}

/// What kind of header field a value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    /// Names a sample (SAM `SM`, a VCF sample column).
    SampleName,
    /// Describes a sample or carries free text (`DS`, `@CO`, `Description`,
    /// `##SAMPLE`/`##PEDIGREE` values): dates and names are refused.
    Describing,
}

impl Sanitiser {
    /// A sanitiser whose line rules are exactly `patterns` (regular
    /// expressions, `regex` crate syntax) instead of the defaults; the date and
    /// name field rules and the pseudonym requirement stay on.
    pub fn new(patterns: Vec<String>) -> Result<Self, PatternError> {
        let mut s = Self {
            line_rules: Vec::new(),
            ..Self::default()
        };
        s.add(patterns)?;
        Ok(s)
    }

    /// The defaults plus `patterns`.
    pub fn with_extra_patterns(mut self, patterns: Vec<String>) -> Result<Self, PatternError> {
        self.add(patterns)?;
        Ok(self)
    }

    fn add(&mut self, patterns: Vec<String>) -> Result<(), PatternError> {
        for (index, pattern) in patterns.into_iter().enumerate() {
            match Regex::new(&pattern) {
                Ok(re) => self.line_rules.push(Rule {
                    name: format!("pattern {index}"),
                    re,
                }),
                Err(source) => {
                    return Err(PatternError {
                        index,
                        pattern,
                        source,
                    });
                }
            }
        }
        Ok(())
    }

    /// Whether sample names must be pseudonymous participant ids (`ZP` + eight
    /// characters + check character). On by default; conformance suites and
    /// public reference data turn it off.
    pub fn require_pseudonymous_samples(mut self, required: bool) -> Self {
        self.require_pseudonyms = required;
        self
    }

    /// Whether sample names must be pseudonymous participant ids.
    pub fn requires_pseudonymous_samples(&self) -> bool {
        self.require_pseudonyms
    }

    /// Checks SAM or VCF header text. `allowed` lists values known to be safe
    /// (for example the expected sample ids): a sample name equal to one of them
    /// is accepted, and rule matches inside one of them are ignored.
    ///
    /// Errors carry [`Location::Line`] with the 1-based line of `header_text`.
    pub fn check_header(&self, header_text: &str, allowed: &[String]) -> Result<(), FormatError> {
        for (i, line) in header_text.lines().enumerate() {
            let n = u64::try_from(i).unwrap_or(u64::MAX).saturating_add(1);
            self.check_header_line(line, allowed)
                .map_err(|rule| sanitisation_error(Location::Line(n), rule))?;
        }
        Ok(())
    }

    /// Checks one header line; the error is the rule text.
    pub(crate) fn check_header_line(&self, line: &str, allowed: &[String]) -> Result<(), String> {
        if let Some(rule) = self.line_match(line, allowed) {
            return Err(format!(
                "header line carries personal data (rule \"{rule}\"; value withheld)"
            ));
        }
        if line.starts_with('@') {
            self.check_sam_line(line, allowed)
        } else if line.starts_with("#CHROM") {
            // the value is withheld, so the column is named by its place
            for (k, name) in line.split('\t').skip(9).enumerate() {
                let what = format!("sample column {}", k + 1);
                self.check_field(&what, name, Field::SampleName, allowed)?;
            }
            Ok(())
        } else if let Some(rest) = line.strip_prefix("##") {
            self.check_vcf_meta_line(rest, allowed)
        } else {
            Ok(())
        }
    }

    fn check_sam_line(&self, line: &str, allowed: &[String]) -> Result<(), String> {
        let mut fields = line.split('\t');
        let kind = fields.next().unwrap_or_default();
        match kind {
            "@CO" => {
                let text = line.get(4..).unwrap_or_default();
                self.check_field("@CO comment", text, Field::Describing, allowed)
            }
            "@RG" | "@PG" => {
                for field in fields {
                    let (tag, value) = field.split_at(field.len().min(3));
                    match (kind, tag) {
                        ("@RG", "SM:") => {
                            self.check_field("@RG SM", value, Field::SampleName, allowed)?;
                        }
                        (_, "DS:") => {
                            let what = if kind == "@RG" { "@RG DS" } else { "@PG DS" };
                            self.check_field(what, value, Field::Describing, allowed)?;
                        }
                        _ => {}
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn check_vcf_meta_line(&self, rest: &str, allowed: &[String]) -> Result<(), String> {
        let Some((key, value)) = rest.split_once('=') else {
            return Ok(());
        };
        if matches!(key, "SAMPLE" | "PEDIGREE") {
            let what = format!("##{key}");
            self.check_field(&what, value, Field::Describing, allowed)?;
        }
        for description in descriptions(value) {
            let what = format!("##{key} Description");
            self.check_field(&what, description, Field::Describing, allowed)?;
        }
        Ok(())
    }

    fn check_field(
        &self,
        what: &str,
        value: &str,
        field: Field,
        allowed: &[String],
    ) -> Result<(), String> {
        if field == Field::SampleName && allowed.iter().any(|a| a == value) {
            return Ok(());
        }
        if let Some(rule) = first_match(&self.date_rules, value, allowed) {
            return Err(format!(
                "{what} contains a date (rule \"{rule}\"; value withheld)"
            ));
        }
        let looks_like_name =
            field == Field::SampleName && first_match(&self.name_rules, value, allowed).is_some();
        if field == Field::SampleName {
            let pseudonym = is_pseudonym(value);
            if looks_like_name {
                return Err(format!(
                    "{what} looks like a personal name, not a pseudonymous participant id \
                     (value withheld, {} characters)",
                    value.chars().count()
                ));
            }
            if self.require_pseudonyms && !pseudonym {
                return Err(format!(
                    "{what} is not a pseudonymous participant id (ZP + 8 characters of 0-9A-Z + \
                     check character; value withheld, {} characters)",
                    value.chars().count()
                ));
            }
        }
        Ok(())
    }

    /// The first line rule matching `text` outside the allowed values.
    fn line_match(&self, text: &str, allowed: &[String]) -> Option<String> {
        first_match(&self.line_rules, text, allowed)
    }

    /// Checks free text that is not a header (FASTQ read names) with the line rules.
    pub(crate) fn check_text(&self, text: &str) -> Option<String> {
        self.line_match(text, &[])
    }
}

fn sanitisation_error(location: Location, rule: String) -> FormatError {
    FormatError::with_category(location, Category::Sanitisation, rule)
}

/// Whether `s` is exactly a valid participant id (no case folding or trimming).
pub(crate) fn is_pseudonym(s: &str) -> bool {
    ParticipantId::from_str(s).is_ok_and(|id| id.as_str() == s)
}

/// The name of the first rule with a match not lying inside an allowed value.
fn first_match(rules: &[Rule], text: &str, allowed: &[String]) -> Option<String> {
    for rule in rules {
        for m in rule.re.find_iter(text) {
            if !inside_allowed(text, m.start(), m.end(), allowed) {
                return Some(rule.name.clone());
            }
        }
    }
    None
}

fn inside_allowed(text: &str, start: usize, end: usize, allowed: &[String]) -> bool {
    allowed.iter().filter(|a| !a.is_empty()).any(|a| {
        text.match_indices(a.as_str())
            .any(|(i, s)| i <= start && end <= i + s.len())
    })
}

/// The `Description="…"` values of a structured meta-line value.
fn descriptions(value: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = value;
    while let Some(i) = rest.find("Description=\"") {
        let start = i + "Description=\"".len();
        let tail = &rest[start..];
        let mut end = tail.len();
        let mut escaped = false;
        for (j, c) in tail.char_indices() {
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => {
                    end = j;
                    break;
                }
                _ => escaped = false,
            }
        }
        out.push(&tail[..end]);
        rest = &tail[end..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict() -> Sanitiser {
        Sanitiser::default()
    }

    fn lax() -> Sanitiser {
        Sanitiser::default().require_pseudonymous_samples(false)
    }

    #[test]
    fn pseudonyms() {
        let id = ParticipantId::from_body("7K2M9Q4X").expect("body");
        assert!(is_pseudonym(id.as_str()));
        let mut wrong = id.as_str().to_owned();
        let last = if wrong.ends_with('0') { '1' } else { '0' };
        wrong.pop();
        wrong.push(last);
        assert!(!is_pseudonym(&wrong));
        assert!(!is_pseudonym(&id.as_str().to_ascii_lowercase()));
        assert!(!is_pseudonym("zp7k2m9q4xh"));
        assert!(!is_pseudonym("HG00096"));
    }

    #[test]
    fn refuses_names_dates_and_numbers() {
        let cases = [
            "@RG\tID:1\tSM:Taro Yamada",
            "@RG\tID:1\tSM:山田太郎",
            "@RG\tID:1\tSM:HG00096\tDS:collected 1980-01-02",
            "@CO\tDOB=1980-01-02",
            "@CO\t生年月日 昭和55年1月2日",
            "@CO\tpatient_id=123456",
            "@PG\tID:x\tCL:run --mrn 0012345",
            "@CO\tカルテ番号：12345",
            "@CO\t患者ID 998877",
            "##SAMPLE=<ID=S1,Description=\"born 02/01/1980\">",
        ];
        for case in cases {
            let err = lax().check_header(case, &[]).expect_err(case);
            assert_eq!(err.category, Category::Sanitisation, "{case}");
            assert!(!err.rule.contains("Yamada") && !err.rule.contains("山田"));
        }
    }

    #[test]
    fn accepts_ordinary_headers() {
        let text = "@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:chr1\tLN:248956422\tM5:6aef897c3d6ff0c78aff06ac189178dd\n@RG\tID:L1\tSM:HG00096\tPL:ILLUMINA\tDT:2024-01-02\n@PG\tID:bwa\tCL:bwa mem -t 8 ref.fa r1.fq r2.fq\n";
        lax().check_header(text, &[]).expect("lax");
        assert!(strict().check_header(text, &[]).is_err());
        strict()
            .check_header(text, &["HG00096".to_owned()])
            .expect("allowed");
        let vcf = "##fileformat=VCFv4.3\n##fileDate=20240102\n##INFO=<ID=DP,Number=1,Type=Integer,Description=\"Depth\">\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tHG00096\n";
        lax().check_header(vcf, &[]).expect("vcf");
    }

    #[test]
    fn custom_patterns() {
        let s = Sanitiser::new(vec!["(?i)secret".to_owned()]).expect("compiles");
        assert!(s.check_header("@CO\tSeCrEt", &[]).is_err());
        assert!(Sanitiser::new(vec!["(".to_owned()]).is_err());
    }
}
