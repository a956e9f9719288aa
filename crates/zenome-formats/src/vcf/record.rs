//! VCF data lines: noodles splits each line into its fields (lazy
//! `vcf::Record`); we check every field against the header and the spec, and
//! count variants for QC.

use std::collections::{BTreeMap, HashSet};

use noodles::vcf;

use super::VariantQc;
use super::header::{HeaderFacts, contig_name_ok};
use super::rules::{
    BASES, BREAKEND, CIGAR, Def, FORMAT_KEY, FORMAT_KEY_OLD, INFO_KEY, Number, SINGLE_BREAKEND,
    Type, VcfMode, Version, Warnings, reserved_format, reserved_info,
};
use crate::error::{FormatError, Location};
use std::cell::RefCell;

/// The smallest Integer value that is not reserved by BCF (VCF 4.3 §1.3).
const MIN_INTEGER: i64 = -2_147_483_648 + 8;

/// State carried from record to record.
pub(crate) struct RecordChecker {
    version: Version,
    facts: HeaderFacts,
    /// Current contig and the contigs already left behind.
    current: Option<String>,
    finished: HashSet<String>,
    last_pos: u64,
    /// Normalised alleles seen at positions ≥ the current one, for duplicates.
    window: BTreeMap<u64, Vec<(String, String)>>,
    pub(crate) qc: VariantQc,
    mode: VcfMode,
    pub(crate) warnings: RefCell<Warnings>,
}

/// One ALT allele's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Snv,
    Mnv,
    Insertion,
    Deletion,
    Other,
}

fn is_transition(a: u8, b: u8) -> bool {
    matches!(
        (a, b),
        (b'A', b'G') | (b'G', b'A') | (b'C', b'T') | (b'T', b'C')
    )
}

/// A genotype, summarised without allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Genotype {
    ploidy: u64,
    first: Option<u32>,
    all_same: bool,
    any_missing: bool,
    max: u32,
}

fn parse_genotype(s: &str, version: Version) -> Option<Genotype> {
    // Fast path for the common diploid single-digit call (`0|1`, `1/1`).
    if let &[a, sep, b] = s.as_bytes()
        && a.is_ascii_digit()
        && b.is_ascii_digit()
        && (sep == b'|' || sep == b'/')
    {
        let (a, b) = (u32::from(a - b'0'), u32::from(b - b'0'));
        return Some(Genotype {
            ploidy: 2,
            first: Some(a),
            all_same: a == b,
            any_missing: false,
            max: a.max(b),
        });
    }
    let rest = if version.at_least(4, 4) {
        s.strip_prefix(['|', '/']).unwrap_or(s)
    } else {
        s
    };
    let mut g = Genotype {
        ploidy: 0,
        first: None,
        all_same: true,
        any_missing: false,
        max: 0,
    };
    for piece in rest.split(['/', '|']) {
        let a = allele(piece)?;
        if g.ploidy == 0 {
            g.first = a;
        } else if a != g.first {
            g.all_same = false;
        }
        match a {
            None => g.any_missing = true,
            Some(v) => g.max = g.max.max(v),
        }
        g.ploidy += 1;
    }
    Some(g)
}

fn allele(s: &str) -> Option<Option<u32>> {
    if s == "." {
        Some(None)
    } else if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok().map(Some)
    } else {
        None
    }
}

/// Number of genotypes for `alleles` alleles at `ploidy`: C(alleles + ploidy − 1, ploidy).
fn genotype_count(alleles: u64, ploidy: u64) -> u64 {
    let n = alleles + ploidy - 1;
    let k = ploidy.min(n.saturating_sub(ploidy));
    let mut c: u64 = 1;
    for i in 0..k {
        c = c.saturating_mul(n - i) / (i + 1);
    }
    c
}

fn err(n: u64, rule: impl Into<String>) -> FormatError {
    FormatError::new(Location::Line(n), rule)
}

impl RecordChecker {
    pub(crate) fn new(facts: HeaderFacts, mode: VcfMode, warnings: Warnings) -> Self {
        let version = facts.version.unwrap_or(Version::new(4, 3));
        let qc = VariantQc {
            samples: facts.samples.clone(),
            fileformat: version.to_string(),
            sorted: true,
            ..VariantQc::default()
        };
        Self {
            version,
            facts,
            current: None,
            finished: HashSet::new(),
            last_pos: 0,
            window: BTreeMap::new(),
            qc,
            mode,
            warnings: RefCell::new(warnings),
        }
    }

    pub(crate) fn version(&self) -> Version {
        self.version
    }

    /// Checks data line `n` (terminator removed).
    pub(crate) fn check(&mut self, n: u64, line: &[u8]) -> Result<(), FormatError> {
        if line.is_empty() {
            return Err(err(n, "empty line"));
        }
        let columns = line.iter().filter(|&&b| b == b'\t').count() + 1;
        let samples = self.facts.samples.len();
        let want = if samples == 0 { 8 } else { 9 + samples };
        if columns != want {
            return Err(err(
                n,
                format!(
                    "data line has {columns} tab-separated columns; the #CHROM line (line {}) has {want}",
                    self.facts.chrom_line
                ),
            ));
        }
        let owned;
        let mut bytes = line;
        let has_empty_column = line.windows(2).any(|w| w == b"\t\t") || line.ends_with(b"\t");
        if has_empty_column && self.version.at_least(4, 5) {
            // VCF 4.5 allows empty sample columns (zero-length values); noodles
            // refuses them, so they are shown to it as '.'.
            owned = fill_empty_columns(line);
            bytes = &owned;
        } else if has_empty_column {
            return Err(err(n, "a column is empty (missing values are written '.')"));
        }
        let record = vcf::Record::try_from(bytes).map_err(|e| {
            let what = if e.kind() == std::io::ErrorKind::InvalidData {
                "a field is empty or the line is cut short"
            } else {
                "the line cannot be split into VCF fields"
            };
            FormatError::from_io(Location::Line(n), what, e)
        })?;
        self.check_fields(n, &record, line)
    }

    fn check_fields(
        &mut self,
        n: u64,
        record: &vcf::Record,
        raw: &[u8],
    ) -> Result<(), FormatError> {
        let version = self.version;
        // CHROM, order and contiguity.
        let chrom = record.reference_sequence_name();
        if !contig_name_ok(chrom, version, true) {
            return Err(err(
                n,
                format!("CHROM {chrom:?} contains characters not allowed in contig names"),
            ));
        }
        let pos = match record.variant_start() {
            None => 0,
            Some(Ok(p)) => usize::from(p) as u64,
            Some(Err(_)) => {
                return Err(err(n, "POS is not a non-negative integer"));
            }
        };
        // `<1>` names contig 1 of the assembly file: the same contig as `1`.
        let contig = chrom
            .strip_prefix('<')
            .and_then(|c| c.strip_suffix('>'))
            .unwrap_or(chrom);
        self.order(n, contig, pos)?;

        // ID.
        let ids = record.ids();
        let ids = ids.as_ref();
        if !ids.is_empty() {
            let mut seen = HashSet::new();
            for id in ids.split(';') {
                if id.is_empty() {
                    return Err(err(
                        n,
                        "ID has an empty entry (leading, trailing or doubled ';')",
                    ));
                }
                if id.chars().any(char::is_whitespace) {
                    return Err(err(n, "ID contains whitespace"));
                }
                if id == "." {
                    return Err(err(n, "ID mixes '.' with identifiers"));
                }
                if !seen.insert(id) {
                    return Err(err(
                        n,
                        format!("ID {id:?} appears twice in the same record"),
                    ));
                }
            }
        }

        // REF and ALT.
        let reference = record.reference_bases();
        if !BASES.is_match(reference) {
            return Err(err(
                n,
                "REF must be one or more of A, C, G, T, N (a single allele)",
            ));
        }
        let alts_raw = record.alternate_bases();
        let alts_raw = alts_raw.as_ref();
        let alts: Vec<&str> = if alts_raw.is_empty() {
            Vec::new()
        } else {
            alts_raw.split(',').collect()
        };
        for alt in &alts {
            self.check_alt(n, alt)?;
        }
        let n_alt = alts.len() as u64;

        // QUAL.
        if let Some(q) = record.quality_score() {
            match q {
                Ok(q) if q.is_nan() || q >= 0.0 => {}
                Ok(_) => return Err(err(n, "QUAL is negative")),
                Err(_) => return Err(err(n, "QUAL is not a number or '.'")),
            }
        }

        // FILTER.
        let filters = record.filters();
        let filters = filters.as_ref();
        let mut pass = false;
        if !filters.is_empty() {
            let mut seen = HashSet::new();
            for f in filters.split(';') {
                if f.is_empty() {
                    return Err(err(
                        n,
                        "FILTER has an empty entry (leading, trailing or doubled ';')",
                    ));
                }
                if f == "." {
                    return Err(err(n, "FILTER mixes '.' with filter names"));
                }
                if f == "0" {
                    return Err(err(n, "FILTER uses the reserved value 0"));
                }
                if f.chars().any(char::is_whitespace) {
                    return Err(err(n, "FILTER contains whitespace"));
                }
                if !seen.insert(f) {
                    return Err(err(n, format!("FILTER {f} appears twice")));
                }
            }
            pass = filters == "PASS";
        }

        // INFO.
        let info = record.info();
        self.check_info(n, info.as_ref(), n_alt)?;

        // FORMAT and samples.
        if !self.facts.samples.is_empty() {
            self.check_samples(n, record, raw, n_alt)?;
        }

        // Duplicates (normalised, sequence alleles only).
        if self.qc.sorted {
            self.duplicates(n, pos, reference, &alts)?;
        }

        // QC.
        self.count(reference, &alts, pass, filters);
        Ok(())
    }

    fn order(&mut self, n: u64, chrom: &str, pos: u64) -> Result<(), FormatError> {
        let strict = !self.version.at_least(4, 4);
        match &self.current {
            Some(c) if c == chrom => {
                if pos < self.last_pos {
                    let rule = format!(
                        "records are not sorted: POS {pos} follows {} on {chrom}",
                        self.last_pos
                    );
                    if strict && self.mode == VcfMode::Strict {
                        return Err(err(n, rule));
                    }
                    if strict {
                        self.warnings.borrow_mut().push(format!("line {n}: {rule}"));
                    }
                    self.qc.sorted = false;
                }
            }
            _ => {
                if self.finished.contains(chrom) {
                    let rule = format!(
                        "records of contig {chrom} are not contiguous (it appeared before another contig)"
                    );
                    if strict && self.mode == VcfMode::Strict {
                        return Err(err(n, rule));
                    }
                    if strict {
                        self.warnings.borrow_mut().push(format!("line {n}: {rule}"));
                    }
                    self.qc.sorted = false;
                }
                if let Some(previous) = self.current.take() {
                    self.finished.insert(previous);
                }
                self.current = Some(chrom.to_owned());
                self.qc.contigs += 1;
                self.window.clear();
                self.last_pos = 0;
            }
        }
        self.last_pos = self.last_pos.max(pos);
        // Forget alleles that can no longer collide.
        let keep = self.window.split_off(&pos);
        self.window = keep;
        Ok(())
    }

    fn check_alt(&self, n: u64, alt: &str) -> Result<(), FormatError> {
        if alt.is_empty() {
            return Err(err(n, "ALT has an empty allele (doubled or trailing ',')"));
        }
        if alt == "*"
            || BASES.is_match(alt)
            || SINGLE_BREAKEND.is_match(alt)
            || BREAKEND.is_match(alt)
        {
            return Ok(());
        }
        if let Some(inner) = alt.strip_prefix('<').and_then(|s| s.strip_suffix('>')) {
            if inner.is_empty()
                || inner.contains(['<', '>'])
                || inner.chars().any(char::is_whitespace)
            {
                return Err(err(n, format!("symbolic ALT allele {alt:?} is malformed")));
            }
            return Ok(());
        }
        if alt.starts_with('[') || alt.starts_with(']') || alt.contains(['[', ']']) {
            return Err(err(
                n,
                "breakend ALT allele must have bases on one side (t[p[, t]p], ]p]t or [p[t)",
            ));
        }
        if alt.chars().any(char::is_whitespace) {
            return Err(err(n, "ALT contains whitespace"));
        }
        Err(err(
            n,
            format!(
                "ALT allele {alt:?} is not bases (A, C, G, T, N), '*', a <symbolic> allele or a breakend"
            ),
        ))
    }

    fn check_info(&mut self, n: u64, info: &str, n_alt: u64) -> Result<(), FormatError> {
        if info.is_empty() {
            return Ok(());
        }
        let version = self.version;
        let mut seen = HashSet::new();
        // One trailing ';' (bcftools and GATK accept it; not a conformance case).
        let info = info.strip_suffix(';').unwrap_or(info);
        for entry in info.split(';') {
            if entry.is_empty() {
                return Err(err(
                    n,
                    "INFO has an empty entry (leading, trailing or doubled ';')",
                ));
            }
            let (key, value) = match entry.split_once('=') {
                Some((k, v)) => (k, Some(v)),
                None => (entry, None),
            };
            if !INFO_KEY.is_match(key) {
                return Err(err(n, format!("INFO key {key:?} is not valid")));
            }
            if !seen.insert(key) {
                return Err(err(n, format!("INFO key {key} appears twice")));
            }
            if let Some(v) = value
                && !version.at_least(4, 3)
                && v.chars().any(char::is_whitespace)
            {
                return Err(err(n, format!("INFO {key} contains whitespace")));
            }
            let declared = self.facts.infos.get(key).copied();
            let def = declared.or_else(|| reserved_info(key, version));
            let Some(def) = def else { continue };
            let source = if declared.is_some() {
                "header declares"
            } else {
                "reserved by the VCF spec as"
            };
            match (def.ty, value) {
                (Some(Type::Flag), None) => {}
                (Some(Type::Flag), Some("0" | "1")) => {}
                (Some(Type::Flag), Some(_)) => {
                    return Err(err(
                        n,
                        format!(
                            "INFO field {key} is a Flag and takes no value ({source} Type=Flag)"
                        ),
                    ));
                }
                (_, None) => {
                    return Err(err(
                        n,
                        format!(
                            "INFO field {key} has no value ({source} Number={})",
                            def.number
                        ),
                    ));
                }
                (_, Some(v)) => {
                    self.check_values(n, "INFO field", key, v, def, source, n_alt, None)?;
                }
            }
        }
        Ok(())
    }

    /// Checks a comma-separated value list against a definition.
    #[allow(clippy::too_many_arguments)]
    fn check_values(
        &self,
        n: u64,
        what: &str,
        key: &str,
        value: &str,
        def: Def,
        source: &str,
        n_alt: u64,
        ploidy: Option<Option<u64>>,
    ) -> Result<(), FormatError> {
        if value.is_empty() {
            if self.version.at_least(4, 5) {
                return Ok(());
            }
            return Err(err(n, format!("{what} {key} has an empty value (use '.')")));
        }
        if value == "." {
            return Ok(());
        }
        // A double-quoted String is one value even with commas inside (the
        // conformance suite's passed files quote INFO strings so).
        let quoted = value.len() >= 2 && value.starts_with('"') && value.ends_with('"');
        let count = if quoted && def.ty == Some(Type::String) {
            1
        } else {
            value.split(',').count() as u64
        };
        let expected = match def.number {
            Number::Count(c) => Some(u64::from(c)),
            // Without ALT alleles (ALT '.') the conformance suite accepts
            // per-ALT values as they are.
            Number::A if n_alt == 0 => None,
            Number::A => Some(n_alt),
            Number::R => Some(n_alt + 1),
            Number::G if n_alt == 0 => None,
            Number::G => match ploidy {
                // INFO Number=G: no genotype to size it by; any count.
                None => None,
                Some(Some(p)) => Some(genotype_count(n_alt + 1, p)),
                Some(None) => {
                    let haploid = genotype_count(n_alt + 1, 1);
                    let diploid = genotype_count(n_alt + 1, 2);
                    if count != haploid && count != diploid {
                        return Err(err(
                            n,
                            format!(
                                "{what} {key} has {count} values; Number=G needs {diploid} (diploid) or {haploid} (haploid) for {} alleles",
                                n_alt + 1
                            ),
                        ));
                    }
                    None
                }
            },
            Number::Unknown | Number::Extension => None,
        };
        if let Some(e) = expected
            && e != count
            && def.number != Number::Count(0)
        {
            let per = match def.number {
                Number::A => format!(" ({n_alt} ALT alleles)"),
                Number::R => format!(" ({} alleles)", n_alt + 1),
                Number::G => " (alleles and GT ploidy)".to_owned(),
                _ => String::new(),
            };
            let rule = format!(
                "{what} {key} has {count} value(s) but needs {e}{per} ({source} Number={})",
                def.number
            );
            if self.mode == VcfMode::Ingest && def.ty == Some(Type::String) {
                self.warnings.borrow_mut().push(format!("line {n}: {rule}"));
                return Ok(());
            }
            return Err(err(n, rule));
        }
        let Some(ty) = def.ty else { return Ok(()) };
        for item in value.split(',') {
            if item == "." {
                continue;
            }
            let ok = match ty {
                Type::Integer => match item.parse::<i64>() {
                    Ok(v) if v < i64::from(i32::MIN) => {
                        return Err(err(
                            n,
                            format!("{what} {key} value {item} underflows a 32-bit Integer"),
                        ));
                    }
                    Ok(v) if v < MIN_INTEGER => {
                        return Err(err(
                            n,
                            format!(
                                "{what} {key} value {item} is in the range reserved by BCF (below -2147483640)"
                            ),
                        ));
                    }
                    Ok(v) if v > i64::from(i32::MAX) => {
                        return Err(err(
                            n,
                            format!("{what} {key} value {item} overflows a 32-bit Integer"),
                        ));
                    }
                    Ok(v) => !(def.non_negative && v < 0),
                    Err(_) => false,
                },
                Type::Float => match item.parse::<f32>() {
                    Ok(v) => !(def.non_negative && v < 0.0),
                    Err(_) => false,
                },
                Type::Character => item.chars().count() == 1,
                Type::String => !def.cigar || CIGAR.is_match(item),
                Type::Flag => false,
            };
            if !ok {
                let why = if def.non_negative && (item.starts_with('-')) {
                    format!("{what} {key} must not be negative")
                } else if def.cigar {
                    format!("{what} {key} value {item:?} is not a CIGAR string")
                } else {
                    format!(
                        "{what} {key} is not {} ({source} Type={ty})",
                        ty.with_article()
                    )
                };
                return Err(err(n, why));
            }
        }
        Ok(())
    }

    fn check_samples(
        &mut self,
        n: u64,
        record: &vcf::Record,
        raw: &[u8],
        n_alt: u64,
    ) -> Result<(), FormatError> {
        let version = self.version;
        let samples = record.samples();
        let keys_raw = samples.keys();
        let mut keys: Vec<&str> = Vec::with_capacity(8);
        for (i, key) in keys_raw.iter().enumerate() {
            if key.is_empty() {
                return Err(err(n, "FORMAT has an empty key (doubled or trailing ':')"));
            }
            let declared = self.facts.formats.contains_key(key);
            let key_ok = if version.at_least(4, 3) || declared {
                FORMAT_KEY.is_match(key)
            } else {
                FORMAT_KEY_OLD.is_match(key)
            };
            if !key_ok {
                return Err(err(
                    n,
                    format!("FORMAT key {key:?} is not valid for {version}"),
                ));
            }
            if keys.contains(&key) {
                return Err(err(n, format!("FORMAT key {key} appears twice")));
            }
            if key == "GT" && i != 0 {
                return Err(err(n, "FORMAT GT must be the first key"));
            }
            keys.push(key);
        }
        // Definitions, resolved once per record.
        let defs: Vec<Option<(Def, &'static str)>> = keys
            .iter()
            .map(|key| match self.facts.formats.get(*key) {
                Some(d) => Some((*d, "header declares")),
                None => reserved_format(key, version).map(|d| (d, "reserved by the VCF spec as")),
            })
            .collect();
        let has_gt = keys.first() == Some(&"GT");
        let start = usize::from(has_gt);
        // Raw sample columns, to tell an empty column from a '.' one (4.5).
        let raw_columns: Option<Vec<&[u8]>> = version
            .at_least(4, 5)
            .then(|| raw.split(|&b| b == b'\t').skip(9).collect());
        for (s, sample) in samples.iter().enumerate() {
            let text = sample.as_ref();
            let empty_column = raw_columns
                .as_ref()
                .is_some_and(|c| c.get(s).is_some_and(|c| c.is_empty()));
            if empty_column || text.is_empty() {
                if version.at_least(4, 5) {
                    self.tally(None);
                    continue;
                }
                return Err(self.in_sample(err(n, "has an empty column (use '.')"), s));
            }
            let fields = if keys.len() == 1 && !text.contains(':') {
                1
            } else {
                text.split(':').count()
            };
            if fields > keys.len() {
                return Err(self.in_sample(
                    err(
                        n,
                        format!("has {fields} fields but FORMAT has {} keys", keys.len()),
                    ),
                    s,
                ));
            }
            let mut values = text.split(':');
            let mut ploidy = None;
            let mut genotype = None;
            if has_gt {
                let value = values.next().unwrap_or_default();
                if !(value.is_empty() && version.at_least(4, 5)) {
                    let Some(gt) = parse_genotype(value, version) else {
                        return Err(self.in_sample(
                            err(n, format!("GT {value:?} is not a valid genotype")),
                            s,
                        ));
                    };
                    // With ALT '.' the suite accepts any allele index (its
                    // passed files carry 0|1 there), so the range check needs ALTs.
                    if n_alt > 0 && u64::from(gt.max) > n_alt {
                        return Err(self.in_sample(
                            err(
                                n,
                                format!(
                                    "GT allele {} is out of range (the record has {n_alt} ALT alleles)",
                                    gt.max
                                ),
                            ),
                            s,
                        ));
                    }
                    ploidy = Some(gt.ploidy);
                    genotype = Some(gt);
                }
            }
            let gt_ploidy = Some(if has_gt { ploidy } else { None });
            for ((key, def), value) in keys[start..].iter().zip(&defs[start..]).zip(values) {
                let Some((def, source)) = def else {
                    if value.is_empty() && !version.at_least(4, 5) {
                        return Err(self.in_sample(err(n, format!("{key} is empty (use '.')")), s));
                    }
                    continue;
                };
                self.check_values(
                    n,
                    "FORMAT field",
                    key,
                    value,
                    *def,
                    source,
                    n_alt,
                    gt_ploidy,
                )
                .map_err(|e| self.in_sample(e, s))?;
            }
            self.tally(genotype);
        }
        Ok(())
    }

    /// Prefixes an error's rule with `sample NAME`.
    fn in_sample(&self, mut e: FormatError, s: usize) -> FormatError {
        let name = self.facts.samples.get(s).map(String::as_str).unwrap_or("?");
        e.rule = format!("sample {name} {}", e.rule);
        e
    }

    /// Counts one genotype for QC.
    fn tally(&mut self, genotype: Option<Genotype>) {
        let qc = &mut self.qc;
        match genotype {
            None => qc.missing_genotypes += 1,
            Some(g) if g.any_missing => qc.missing_genotypes += 1,
            Some(g) if g.all_same && g.first == Some(0) => qc.hom_ref += 1,
            Some(g) if g.all_same => qc.hom_alt += 1,
            Some(_) => qc.het += 1,
        }
    }

    fn duplicates(
        &mut self,
        n: u64,
        pos: u64,
        reference: &str,
        alts: &[&str],
    ) -> Result<(), FormatError> {
        for alt in alts {
            if !BASES.is_match(alt) {
                continue;
            }
            let (p, r, a) = normalise(pos, reference, alt);
            let entry = self.window.entry(p).or_default();
            if entry.iter().any(|(er, ea)| *er == r && *ea == a) {
                let rule = format!(
                    "duplicate variant: {reference}>{alt} at {pos} repeats an earlier record (normalised {r}>{a} at {p})"
                );
                if self.mode == VcfMode::Strict {
                    return Err(err(n, rule));
                }
                self.warnings.borrow_mut().push(format!("line {n}: {rule}"));
                continue;
            }
            entry.push((r, a));
        }
        Ok(())
    }

    fn count(&mut self, reference: &str, alts: &[&str], pass: bool, filters: &str) {
        let qc = &mut self.qc;
        qc.records += 1;
        if alts.is_empty() {
            qc.no_alt += 1;
        }
        if alts.len() > 1 {
            qc.multiallelic += 1;
        }
        if pass {
            qc.pass += 1;
        } else if !filters.is_empty() {
            qc.filtered += 1;
        }
        let r = reference.as_bytes();
        for alt in alts {
            let a = alt.as_bytes();
            let kind = if !BASES.is_match(alt) {
                Kind::Other
            } else if a.len() == r.len() {
                let mut diffs = r.iter().zip(a).filter(|(x, y)| !x.eq_ignore_ascii_case(y));
                match (diffs.next(), diffs.next()) {
                    (Some((x, y)), None) => {
                        if is_transition(x.to_ascii_uppercase(), y.to_ascii_uppercase()) {
                            qc.transitions += 1;
                        } else if matches!(x.to_ascii_uppercase(), b'A' | b'C' | b'G' | b'T')
                            && matches!(y.to_ascii_uppercase(), b'A' | b'C' | b'G' | b'T')
                        {
                            qc.transversions += 1;
                        }
                        Kind::Snv
                    }
                    (Some(_), Some(_)) => Kind::Mnv,
                    _ => Kind::Other,
                }
            } else if a.len() > r.len() {
                Kind::Insertion
            } else {
                Kind::Deletion
            };
            match kind {
                Kind::Snv => qc.snvs += 1,
                Kind::Mnv => qc.mnvs += 1,
                Kind::Insertion => qc.insertions += 1,
                Kind::Deletion => qc.deletions += 1,
                Kind::Other => qc.other += 1,
            }
        }
    }
}

/// Trims the common suffix, then the common prefix, of REF and ALT.
fn normalise(pos: u64, reference: &str, alt: &str) -> (u64, String, String) {
    let r = reference.to_ascii_uppercase().into_bytes();
    let a = alt.to_ascii_uppercase().into_bytes();
    let mut end_r = r.len();
    let mut end_a = a.len();
    while end_r > 0 && end_a > 0 && r[end_r - 1] == a[end_a - 1] {
        end_r -= 1;
        end_a -= 1;
    }
    let mut start = 0;
    while start < end_r && start < end_a && r[start] == a[start] {
        start += 1;
    }
    (
        pos + start as u64,
        String::from_utf8_lossy(&r[start..end_r]).into_owned(),
        String::from_utf8_lossy(&a[start..end_a]).into_owned(),
    )
}

/// Replaces empty tab-separated columns by `.` (for noodles, VCF 4.5 only).
fn fill_empty_columns(line: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(line.len() + 8);
    for (i, col) in line.split(|&b| b == b'\t').enumerate() {
        if i > 0 {
            out.push(b'\t');
        }
        if col.is_empty() {
            out.push(b'.');
        } else {
            out.extend_from_slice(col);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn genotypes() {
        let v = Version::new(4, 3);
        let g = parse_genotype("0|1", v).expect("0|1");
        assert_eq!(
            (g.ploidy, g.first, g.all_same, g.any_missing, g.max),
            (2, Some(0), false, false, 1)
        );
        let g = parse_genotype("./.", v).expect("./.");
        assert!(g.any_missing && g.all_same);
        assert_eq!(parse_genotype("0|0|1", v).map(|g| g.ploidy), Some(3));
        assert!(parse_genotype("0/|1", v).is_none());
        assert!(parse_genotype("1/C", v).is_none());
        assert!(parse_genotype("0.000", v).is_none());
        assert!(parse_genotype("|0", v).is_none());
        assert!(parse_genotype("|0", Version::new(4, 4)).is_some());
    }

    #[test]
    fn genotype_counts() {
        assert_eq!(genotype_count(2, 2), 3);
        assert_eq!(genotype_count(3, 2), 6);
        assert_eq!(genotype_count(3, 3), 10);
        assert_eq!(genotype_count(2, 1), 2);
        assert_eq!(genotype_count(4, 2), 10);
    }

    #[test]
    fn normalisation() {
        assert_eq!(
            normalise(127, "TTTAT", "TTTGT"),
            (130, "A".into(), "G".into())
        );
        assert_eq!(normalise(123, "AT", "AA"), (124, "T".into(), "A".into()));
        assert_eq!(normalise(100, "C", "CT").0, 101);
    }
}
