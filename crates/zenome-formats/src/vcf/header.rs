//! VCF header: every line goes through our structural checks and through
//! noodles' header parser; noodles' refusals are final except for the few
//! cases where it refuses valid input (listed in [`tolerated`]).

use std::collections::{HashMap, HashSet};

use noodles::vcf;
use noodles::vcf::header::StringMaps;

use super::rules::{
    self, CONTIG_43, Def, FILEFORMAT, FORMAT_KEY, HLA_CONTIG, INFO_KEY, LINE_KEY, META_KEY,
    NON_SV_ALT_IDS, Number, PEDIGREE_VALUE, SV_TYPES, Type, URL, VcfMode, Version, Warnings,
};
use crate::error::{Category, FormatError, Location};
use crate::sanitise::Sanitiser;

/// The fixed columns of the `#CHROM` line.
const COLUMNS: [&str; 8] = [
    "#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO",
];

/// Meta-line keys whose values must be structured (`<…>`).
const STRUCTURED: &[&str] = &[
    "INFO", "FORMAT", "FILTER", "ALT", "contig", "SAMPLE", "PEDIGREE", "META",
];

/// One `key=value` of a structured meta-line value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Field<'a> {
    pub(crate) key: &'a str,
    /// The value without quotes (escapes kept as written).
    pub(crate) value: &'a str,
    pub(crate) quoted: bool,
    pub(crate) bracketed: bool,
}

/// Splits the inside of `<…>` into fields, checking quoting.
pub(crate) fn tokenize(inner: &str) -> Result<Vec<Field<'_>>, String> {
    let bytes = inner.as_bytes();
    let mut fields = Vec::new();
    let mut i = 0;
    if inner.is_empty() {
        return Err("structured value <> is empty".into());
    }
    loop {
        let key_start = i;
        while i < bytes.len() && bytes[i] != b'=' && bytes[i] != b',' {
            i += 1;
        }
        let key = &inner[key_start..i];
        if i >= bytes.len() || bytes[i] == b',' {
            return Err(format!(
                "field {key:?} has no '=value' (an unquoted comma inside a value?)"
            ));
        }
        if key.is_empty() {
            return Err("a field has an empty key".into());
        }
        i += 1; // '='
        let field = if bytes.get(i) == Some(&b'"') {
            i += 1;
            let start = i;
            let mut escaped = false;
            loop {
                match bytes.get(i) {
                    None => {
                        return Err(format!("the quoted value of {key} is not closed"));
                    }
                    Some(b'\\') if !escaped => escaped = true,
                    Some(b'"') if !escaped => break,
                    Some(_) => escaped = false,
                }
                i += 1;
            }
            let value = &inner[start..i];
            i += 1; // closing quote
            Field {
                key,
                value,
                quoted: true,
                bracketed: false,
            }
        } else if bytes.get(i) == Some(&b'[') {
            let start = i + 1;
            while i < bytes.len() && bytes[i] != b']' {
                i += 1;
            }
            if i >= bytes.len() {
                return Err(format!("the [bracketed] value of {key} is not closed"));
            }
            let value = &inner[start..i];
            i += 1;
            Field {
                key,
                value,
                quoted: false,
                bracketed: true,
            }
        } else {
            let start = i;
            while i < bytes.len() && bytes[i] != b',' {
                i += 1;
            }
            Field {
                key,
                value: &inner[start..i],
                quoted: false,
                bracketed: false,
            }
        };
        fields.push(field);
        match bytes.get(i) {
            None => break,
            Some(b',') => {
                i += 1;
                if i >= bytes.len() {
                    return Err("trailing comma after the last field".into());
                }
            }
            Some(_) => {
                return Err(format!(
                    "unexpected text after the quoted value of {key} (unescaped quote?)"
                ));
            }
        }
    }
    Ok(fields)
}

/// What the header told us, for the record checks.
#[derive(Debug, Default)]
pub(crate) struct HeaderFacts {
    pub(crate) version: Option<Version>,
    pub(crate) infos: HashMap<String, Def>,
    pub(crate) formats: HashMap<String, Def>,
    pub(crate) samples: Vec<String>,
    pub(crate) chrom_line: u64,
}

/// Checks header lines one at a time.
pub(crate) struct HeaderChecker<'a> {
    pub(crate) facts: HeaderFacts,
    contigs: HashSet<String>,
    filters: HashSet<String>,
    alts: HashSet<String>,
    parser: vcf::header::Parser,
    string_maps: StringMaps,
    sanitiser: &'a Sanitiser,
    allowed: &'a [String],
    /// Lines noodles refused but we accept, for the report.
    pub(crate) tolerated: Vec<(u64, String)>,
    mode: VcfMode,
    pub(crate) warnings: Warnings,
}

/// Whether the header continues after a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    More,
    Done,
}

fn err(n: u64, rule: impl Into<String>) -> FormatError {
    FormatError::new(Location::Line(n), rule)
}

impl<'a> HeaderChecker<'a> {
    pub(crate) fn new(sanitiser: &'a Sanitiser, allowed: &'a [String], mode: VcfMode) -> Self {
        Self {
            facts: HeaderFacts::default(),
            contigs: HashSet::new(),
            filters: HashSet::new(),
            alts: HashSet::new(),
            parser: vcf::header::Parser::default(),
            string_maps: StringMaps::default(),
            sanitiser,
            allowed,
            tolerated: Vec::new(),
            mode,
            warnings: Warnings::default(),
        }
    }

    fn version(&self) -> Version {
        self.facts.version.unwrap_or(Version::new(4, 3))
    }

    /// Checks header line `n` (terminator removed).
    pub(crate) fn line(&mut self, n: u64, line: &str) -> Result<Step, FormatError> {
        if self.facts.version.is_none() {
            self.fileformat(n, line)?;
            self.sanitise(n, line)?;
            return Ok(Step::More);
        }
        if line.starts_with("#CHROM") {
            self.chrom_line(n, line)?;
            self.sanitise(n, line)?;
            self.feed(n, line, None)?;
            self.facts.chrom_line = n;
            return Ok(Step::Done);
        }
        let Some(rest) = line.strip_prefix("##") else {
            if line.starts_with('#') {
                return Err(err(
                    n,
                    "header line starts with a single '#' but is not the #CHROM line",
                ));
            }
            return Err(err(
                n,
                "data line (or unprefixed text) before the #CHROM header line",
            ));
        };
        let kind = self.meta_line(n, rest)?;
        self.sanitise(n, line)?;
        self.feed(n, line, kind.as_deref())?;
        Ok(Step::More)
    }

    fn sanitise(&self, n: u64, line: &str) -> Result<(), FormatError> {
        self.sanitiser
            .check_header_line(line, self.allowed)
            .map_err(|rule| {
                FormatError::with_category(Location::Line(n), Category::Sanitisation, rule)
            })
    }

    fn fileformat(&mut self, n: u64, line: &str) -> Result<(), FormatError> {
        let Some(caps) = FILEFORMAT.captures(line) else {
            let rule = if line.starts_with("##fileformat=") {
                "##fileformat must be VCFv<major>.<minor> (no spaces), e.g. ##fileformat=VCFv4.3"
            } else {
                "the first line must be ##fileformat=VCFv4.x"
            };
            return Err(err(n, rule));
        };
        let major = caps[1].parse().unwrap_or(0);
        let minor = caps[2].parse().unwrap_or(0);
        let version = Version::new(major, minor);
        if !(Version::new(4, 0)..=Version::new(4, 5)).contains(&version) {
            return Err(FormatError::with_category(
                Location::Line(n),
                Category::Unsupported,
                format!("{version} is not supported (VCF 4.0 to 4.5 are)"),
            ));
        }
        self.facts.version = Some(version);
        self.feed(n, line, Some("fileformat"))
    }

    /// Feeds a line to noodles' header parser.
    fn feed(&mut self, n: u64, line: &str, kind: Option<&str>) -> Result<(), FormatError> {
        let version = self.version();
        match self.parser.parse_partial(line.as_bytes()) {
            Ok(entry) => self
                .string_maps
                .insert_entry(&entry)
                .map_err(|e| err(n, format!("header line cannot be indexed for BCF: {e}"))),
            Err(e) => {
                let debug = format!("{e:?}");
                if let Some(why) = tolerated(kind, &debug, version, line) {
                    self.tolerated.push((n, why.to_owned()));
                    Ok(())
                } else {
                    Err(err(n, format!("invalid header line (noodles: {e})")))
                }
            }
        }
    }

    /// Finishes the header: noodles' view of it (with BCF string maps).
    pub(crate) fn finish(self, n: u64) -> Result<(vcf::Header, HeaderFacts), FormatError> {
        let facts = self.facts;
        if facts.version.is_none() {
            return Err(err(n, "the first line must be ##fileformat=VCFv4.x"));
        }
        let mut header = self.parser.finish().map_err(|e| {
            err(
                n,
                format!("no #CHROM header line before the end of input ({e})"),
            )
        })?;
        *header.string_maps_mut() = self.string_maps;
        Ok((header, facts))
    }

    fn chrom_line(&mut self, n: u64, line: &str) -> Result<(), FormatError> {
        let cols: Vec<&str> = line.split('\t').collect();
        for (i, want) in COLUMNS.iter().enumerate() {
            match cols.get(i) {
                Some(got) if got == want => {}
                Some(got) => {
                    return Err(err(
                        n,
                        format!(
                            "#CHROM line column {} is {got:?}, expected {want} (columns are tab-separated)",
                            i + 1
                        ),
                    ));
                }
                None => {
                    return Err(err(
                        n,
                        format!("#CHROM line lacks the {want} column (columns are tab-separated)"),
                    ));
                }
            }
        }
        if cols.len() > 8 {
            if cols[8] != "FORMAT" {
                return Err(err(
                    n,
                    format!("#CHROM line column 9 is {:?}, expected FORMAT", cols[8]),
                ));
            }
            if cols.len() == 9 {
                return Err(err(
                    n,
                    "#CHROM line has a FORMAT column but no sample columns",
                ));
            }
        }
        let mut seen = HashSet::new();
        for (i, name) in cols.iter().enumerate().skip(9) {
            if name.is_empty() || name.trim() != *name {
                return Err(err(
                    n,
                    format!("sample column {} has an empty or space-padded name", i - 8),
                ));
            }
            if !seen.insert(*name) {
                return Err(err(n, format!("sample name {name:?} appears twice")));
            }
        }
        self.facts.samples = cols.iter().skip(9).map(|s| (*s).to_owned()).collect();
        Ok(())
    }

    /// Checks `##key=value` (without the `##`); returns the key.
    fn meta_line(&mut self, n: u64, rest: &str) -> Result<Option<String>, FormatError> {
        let version = self.version();
        let Some((key, value)) = rest.split_once('=') else {
            return Err(err(n, "meta-information line is not a ##key=value pair"));
        };
        if !LINE_KEY.is_match(key) {
            return Err(err(n, format!("meta-information key {key:?} is not valid")));
        }
        if value.is_empty() {
            return Err(err(n, format!("##{key} has an empty value")));
        }
        if key == "fileformat" {
            return Err(err(n, "##fileformat appears more than once"));
        }
        let reserved = STRUCTURED.contains(&key) && (key != "META" || version.at_least(4, 3));
        if value == "<>" {
            return Err(err(n, format!("##{key}=<> is empty")));
        }
        let Some(inner) = value.strip_prefix('<') else {
            if reserved {
                return Err(err(
                    n,
                    format!("##{key} must have a structured <...> value"),
                ));
            }
            if matches!(key, "assembly" | "pedigreeDB")
                && value.contains("://")
                && !URL.is_match(value)
            {
                return Err(err(n, format!("##{key} is not a valid URL")));
            }
            return Ok(Some(key.to_owned()));
        };
        let Some(inner) = inner.strip_suffix('>') else {
            if reserved || version.at_least(4, 3) {
                return Err(err(n, format!("##{key}=<... is not closed with '>'")));
            }
            return Ok(Some("generic-unstructured".to_owned()));
        };
        let fields = match tokenize(inner) {
            Ok(fields) => fields,
            Err(why) => {
                if reserved || version.at_least(4, 3) {
                    return Err(err(n, format!("##{key}: {why}")));
                }
                return Ok(Some("generic-unstructured".to_owned()));
            }
        };
        if reserved {
            for f in &fields {
                if !META_KEY.is_match(f.key) {
                    return Err(err(
                        n,
                        format!("##{key} field key {:?} is not valid", f.key),
                    ));
                }
                if !f.quoted && !f.bracketed && f.value.chars().any(char::is_whitespace) {
                    return Err(err(
                        n,
                        format!(
                            "##{key} value of {} contains whitespace but is not quoted",
                            f.key
                        ),
                    ));
                }
            }
        }
        match key {
            "INFO" | "FORMAT" => self.info_format(n, key, &fields)?,
            "FILTER" => self.filter(n, &fields)?,
            "ALT" => self.alt(n, &fields)?,
            "contig" => self.contig(n, &fields)?,
            "SAMPLE" => self.sample(n, &fields)?,
            "PEDIGREE" => self.pedigree(n, &fields)?,
            "META" if version.at_least(4, 3) => self.meta(n, &fields)?,
            _ => {}
        }
        Ok(Some(key.to_owned()))
    }

    fn info_format(&mut self, n: u64, key: &str, fields: &[Field<'_>]) -> Result<(), FormatError> {
        let version = self.version();
        let order = ["ID", "Number", "Type", "Description"];
        for (i, want) in order.iter().enumerate() {
            match fields.get(i) {
                Some(f) if f.key == *want => {}
                _ => {
                    return Err(err(
                        n,
                        format!(
                            "##{key} must start with ID, Number, Type, Description in that order"
                        ),
                    ));
                }
            }
        }
        let id = fields[0].value;
        let id_ok = if key == "INFO" {
            INFO_KEY.is_match(id)
        } else {
            FORMAT_KEY.is_match(id)
        };
        if !id_ok {
            return Err(err(n, format!("##{key} ID {id:?} is not a valid key")));
        }
        let Some(number) = Number::parse(fields[1].value, version) else {
            return Err(err(
                n,
                format!(
                    "##{key} {id} has an invalid Number {:?} for {version}",
                    fields[1].value
                ),
            ));
        };
        let Some(ty) = Type::parse(fields[2].value) else {
            return Err(err(
                n,
                format!("##{key} {id} has an invalid Type {:?}", fields[2].value),
            ));
        };
        if key == "FORMAT" && ty == Type::Flag {
            return Err(err(n, format!("##FORMAT {id} cannot have Type=Flag")));
        }
        if !fields[3].quoted {
            return Err(err(
                n,
                format!("##{key} {id} Description must be in double quotes"),
            ));
        }
        let reserved = if key == "INFO" {
            rules::reserved_info(id, version)
        } else {
            rules::reserved_format(id, version)
        };
        let mut def = Def {
            number,
            ty: Some(ty),
            ..reserved.unwrap_or(Def::declared(number, ty))
        };
        if let Some(r) = reserved {
            let type_ok = r.ty.is_none_or(|t| t == ty);
            // Number=. for a key the spec sizes per allele (A, R, G) is what
            // older GATK wrote for AD; it is a looser, not a different, count.
            let number_ok = r.number == number
                || (number == Number::Unknown
                    && matches!(r.number, Number::A | Number::R | Number::G));
            if !number_ok || !type_ok {
                let want_type = r.ty.map(|t| format!(", Type={t}")).unwrap_or_default();
                let rule = format!(
                    "{key} {id} is reserved by the VCF spec as Number={}{want_type}; the header declares Number={number}, Type={ty}",
                    r.number
                );
                if self.mode == VcfMode::Strict {
                    return Err(err(n, rule));
                }
                self.warnings.push(format!(
                    "line {n}: {rule} (the header's definition is used)"
                ));
                def = Def::declared(number, ty);
            }
        }
        let map = if key == "INFO" {
            &mut self.facts.infos
        } else {
            &mut self.facts.formats
        };
        if map.insert(id.to_owned(), def).is_some() {
            return Err(err(n, format!("{key} {id} is declared twice")));
        }
        Ok(())
    }

    fn filter(&mut self, n: u64, fields: &[Field<'_>]) -> Result<(), FormatError> {
        let (Some(id), Some(desc)) = (fields.first(), fields.get(1)) else {
            return Err(err(n, "##FILTER must have ID and Description"));
        };
        if id.key != "ID" || desc.key != "Description" {
            return Err(err(
                n,
                "##FILTER must start with ID, Description in that order",
            ));
        }
        if !desc.quoted {
            return Err(err(n, "##FILTER Description must be in double quotes"));
        }
        if id.value.is_empty() || id.value == "0" || id.value.contains(';') {
            return Err(err(n, format!("##FILTER ID {:?} is not valid", id.value)));
        }
        if !self.filters.insert(id.value.to_owned()) {
            return Err(err(n, format!("FILTER {} is declared twice", id.value)));
        }
        Ok(())
    }

    fn alt(&mut self, n: u64, fields: &[Field<'_>]) -> Result<(), FormatError> {
        let version = self.version();
        let Some(id) = fields.first().filter(|f| f.key == "ID") else {
            return Err(err(n, "##ALT must start with ID"));
        };
        let id = id.value;
        if id.is_empty()
            || id.contains(|c: char| c.is_whitespace() || c == ',' || c == '<' || c == '>')
        {
            return Err(err(
                n,
                "##ALT ID must not be empty or contain whitespace, commas or angle brackets",
            ));
        }
        let first = id.split(':').next().unwrap_or_default();
        if NON_SV_ALT_IDS.contains(&first) {
            // gVCF reference-block alleles.
        } else if id.contains(':') || !version.at_least(4, 3) {
            if !SV_TYPES.contains(&first) {
                return Err(err(
                    n,
                    format!(
                        "##ALT ID {id:?} must start with one of {} (optionally followed by :subtype)",
                        SV_TYPES.join(", ")
                    ),
                ));
            }
            if !version.at_least(4, 3) && id != first && !id.starts_with(&format!("{first}:")) {
                return Err(err(
                    n,
                    format!("##ALT ID {id:?} is not TYPE or TYPE:subtype"),
                ));
            }
        }
        let rest: Vec<&Field<'_>> = fields.iter().skip(1).collect();
        let mut stage = 0;
        let mut has_description = false;
        for f in rest {
            let this = match f.key {
                "Number" => 1,
                "Type" => 2,
                "Description" => 3,
                _ => 4,
            };
            if this < 4 && this <= stage {
                return Err(err(
                    n,
                    "##ALT fields must be in the order ID, Number, Type, Description",
                ));
            }
            if this < 4 {
                stage = this;
            }
            match f.key {
                "Number" if Number::parse(f.value, version).is_none() => {
                    return Err(err(
                        n,
                        format!("##ALT {id} has an invalid Number {:?}", f.value),
                    ));
                }
                "Type" if Type::parse(f.value).is_none() => {
                    return Err(err(
                        n,
                        format!("##ALT {id} has an invalid Type {:?}", f.value),
                    ));
                }
                "Description" => {
                    has_description = true;
                    if !f.quoted {
                        return Err(err(n, "##ALT Description must be in double quotes"));
                    }
                }
                _ => {}
            }
        }
        if !has_description {
            return Err(err(n, format!("##ALT {id} has no Description")));
        }
        self.alts.insert(id.to_owned());
        Ok(())
    }

    fn contig(&mut self, n: u64, fields: &[Field<'_>]) -> Result<(), FormatError> {
        let version = self.version();
        let Some(id) = fields.first().filter(|f| f.key == "ID") else {
            return Err(err(n, "##contig must start with ID"));
        };
        let id = id.value;
        if !contig_name_ok(id, version, false) {
            return Err(err(
                n,
                format!("##contig ID {id:?} contains characters not allowed in contig names"),
            ));
        }
        if let Some(len) = fields.iter().find(|f| f.key == "length")
            && len.value.parse::<u64>().is_err()
        {
            return Err(err(
                n,
                format!("##contig {id} length {:?} is not a number", len.value),
            ));
        }
        if !self.contigs.insert(id.to_owned()) && version.at_least(4, 3) {
            return Err(err(n, format!("contig {id} is declared twice")));
        }
        Ok(())
    }

    fn sample(&mut self, n: u64, fields: &[Field<'_>]) -> Result<(), FormatError> {
        let version = self.version();
        let Some(id) = fields.first().filter(|f| f.key == "ID") else {
            return Err(err(n, "##SAMPLE must start with ID"));
        };
        if !CONTIG_43.is_match(id.value) {
            return Err(err(
                n,
                "##SAMPLE ID contains characters not allowed in identifiers",
            ));
        }
        if !version.at_least(4, 3) {
            if !fields.iter().any(|f| f.key == "Genomes") {
                return Err(err(n, "##SAMPLE must have a Genomes field (VCF 4.1/4.2)"));
            }
            if let Some(f) = fields.iter().find(|f| f.quoted && f.key != "Description") {
                return Err(err(
                    n,
                    format!(
                        "##SAMPLE {} must not be quoted (only Description is, in VCF 4.1/4.2)",
                        f.key
                    ),
                ));
            }
        }
        Ok(())
    }

    fn pedigree(&mut self, n: u64, fields: &[Field<'_>]) -> Result<(), FormatError> {
        let version = self.version();
        if version.at_least(4, 3) && fields.first().is_none_or(|f| f.key != "ID") {
            return Err(err(n, "##PEDIGREE must start with ID (VCF 4.3+)"));
        }
        for f in fields {
            if f.quoted || !PEDIGREE_VALUE.is_match(f.value) {
                return Err(err(
                    n,
                    format!(
                        "##PEDIGREE {} value may only hold letters, digits, '_', '.', '-'",
                        f.key
                    ),
                ));
            }
        }
        Ok(())
    }

    fn meta(&mut self, n: u64, fields: &[Field<'_>]) -> Result<(), FormatError> {
        let order = ["ID", "Number", "Type", "Values"];
        for (i, want) in order.iter().enumerate() {
            if fields.get(i).is_none_or(|f| f.key != *want) {
                return Err(err(
                    n,
                    "##META must be ID, Number, Type, Values in that order",
                ));
            }
        }
        let number = fields[1].value;
        if number != "." && number.parse::<u32>().is_err() {
            return Err(err(
                n,
                format!("##META Number {number:?} must be an integer or '.'"),
            ));
        }
        if Type::parse(fields[2].value).is_none() {
            return Err(err(
                n,
                format!("##META Type {:?} is not valid", fields[2].value),
            ));
        }
        if !fields[3].bracketed {
            return Err(err(n, "##META Values must be a [bracketed] list"));
        }
        Ok(())
    }
}

/// Whether a contig name is acceptable. `body` allows the `<ID>` form of
/// CHROM that refers to an assembly contig.
pub(crate) fn contig_name_ok(name: &str, version: Version, body: bool) -> bool {
    let inner = if body {
        name.strip_prefix('<')
            .and_then(|s| s.strip_suffix('>'))
            .unwrap_or(name)
    } else {
        name
    };
    if inner.is_empty() {
        return false;
    }
    if HLA_CONTIG.is_match(inner) {
        return true;
    }
    if version.at_least(4, 3) {
        return CONTIG_43.is_match(inner);
    }
    let forbidden = |c: char| c.is_whitespace() || c == ',' || c == '<' || c == '>';
    if inner.contains(forbidden) {
        return false;
    }
    // VCF ≤ 4.2: the suite refuses a colon in CHROM (`chr:1`) but accepts
    // `1.*` in ##contig.
    !(body && inner.contains(':'))
}

/// The noodles refusals that are false for valid input, with the reason we
/// let them through. Anything else noodles refuses is refused.
fn tolerated(
    kind: Option<&str>,
    debug: &str,
    version: Version,
    line: &str,
) -> Option<&'static str> {
    match kind {
        Some("INFO" | "FORMAT") if debug.contains("DefinitionMismatch") => Some(
            "noodles checks reserved keys against its own table (e.g. SVLEN Number=. in 4.3); our reserved-key table applies instead",
        ),
        Some("INFO" | "FORMAT")
            if version.at_least(4, 4)
                && [
                    "Number=P,",
                    "Number=LA,",
                    "Number=LR,",
                    "Number=LG,",
                    "Number=M,",
                ]
                .iter()
                .any(|s| line.contains(s)) =>
        {
            Some("noodles 0.119 does not know the VCF 4.4/4.5 Number extensions (P, LA, LR, LG, M)")
        }
        Some("contig") if !version.at_least(4, 3) && debug.contains("DuplicateContigId") => {
            Some("VCF 4.1/4.2 conformance files repeat ##contig IDs")
        }
        Some(k) if !STRUCTURED.contains(&k) || k == "PEDIGREE" || k == "META" => {
            if debug.contains("MissingId") || k == "generic-unstructured" {
                Some(
                    "noodles requires an ID in every structured line; VCF 4.1/4.2 PEDIGREE and free-form lines have none",
                )
            } else {
                None
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizer() {
        let f =
            tokenize(r#"ID=DP,Number=1,Type=Integer,Description="Depth, \"raw\"""#).expect("ok");
        assert_eq!(f.len(), 4);
        assert_eq!(f[3].value, r#"Depth, \"raw\""#);
        assert!(f[3].quoted);
        let f = tokenize("ID=Assay,Number=.,Type=String,Values=[WholeGenome, Exome]").expect("ok");
        assert!(f[3].bracketed);
        assert!(tokenize("").is_err());
        assert!(tokenize(r#"ID=DEL,Description="with "quote""#).is_err());
        assert!(tokenize(r#"ID=DUP,Description="open"#).is_err());
        assert!(tokenize("ID=1,A,length=1").is_err());
        assert!(tokenize("ID=1,").is_err());
    }

    #[test]
    fn contig_names() {
        let v43 = Version::new(4, 3);
        let v41 = Version::new(4, 1);
        assert!(contig_name_ok("chr1", v43, false));
        assert!(!contig_name_ok("1.*", v43, false));
        assert!(contig_name_ok("1.*", v41, false));
        assert!(contig_name_ok("<1*>", v41, true));
        assert!(!contig_name_ok("<1", v41, true));
        assert!(!contig_name_ok("chr:1", v41, true));
        assert!(contig_name_ok("HLA-A*01:01:01:01", v43, true));
        assert!(contig_name_ok("<1A>", v43, true));
    }
}
