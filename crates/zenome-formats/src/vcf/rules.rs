//! The rule tables of the strict VCF layer: versions, Number/Type, reserved
//! INFO and FORMAT keys, and the character sets of identifiers.
//!
//! Where the VCF specification and the hts-specs conformance suite disagree,
//! the suite wins (it encodes EVA vcf-validator's reading); each such choice is
//! commented.

use std::fmt;
use std::sync::LazyLock;

use regex::Regex;

/// A VCF version from `##fileformat=VCFvX.Y`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Version {
    pub(crate) major: u32,
    pub(crate) minor: u32,
}

impl Version {
    pub(crate) const fn new(major: u32, minor: u32) -> Self {
        Self { major, minor }
    }

    pub(crate) fn at_least(self, major: u32, minor: u32) -> bool {
        self >= Self::new(major, minor)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VCFv{}.{}", self.major, self.minor)
    }
}

/// `Number=` of an INFO/FORMAT definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Number {
    Count(u32),
    /// One value per ALT allele.
    A,
    /// One value per allele, REF included.
    R,
    /// One value per genotype.
    G,
    /// Any number (`.`).
    Unknown,
    /// VCF 4.4+ extensions (`P`, `LA`, `LR`, `LG`, `M`): not checked.
    Extension,
}

impl Number {
    pub(crate) fn parse(s: &str, version: Version) -> Option<Self> {
        match s {
            "A" => Some(Self::A),
            // Number=R arrived with VCF 4.2, but 4.1 files from GATK and hail
            // use it; the suite's 4.1 Number=R cases are reserved keys with a
            // fixed count, refused by the reserved-key table.
            "R" => Some(Self::R),
            "G" => Some(Self::G),
            "." => Some(Self::Unknown),
            "P" | "LA" | "LR" | "LG" | "M" if version.at_least(4, 4) => Some(Self::Extension),
            _ if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
                s.parse().ok().map(Self::Count)
            }
            _ => None,
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Count(n) => write!(f, "{n}"),
            Self::A => f.write_str("A"),
            Self::R => f.write_str("R"),
            Self::G => f.write_str("G"),
            Self::Unknown => f.write_str("."),
            Self::Extension => f.write_str("(extension)"),
        }
    }
}

/// `Type=` of an INFO/FORMAT definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Type {
    Integer,
    Float,
    Flag,
    Character,
    String,
}

impl Type {
    pub(crate) fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "Integer" => Self::Integer,
            "Float" => Self::Float,
            "Flag" => Self::Flag,
            "Character" => Self::Character,
            "String" => Self::String,
            _ => return None,
        })
    }

    /// "an Integer", "a Float", …
    pub(crate) fn with_article(self) -> &'static str {
        match self {
            Self::Integer => "an Integer",
            Self::Float => "a Float",
            Self::Flag => "a Flag",
            Self::Character => "a Character",
            Self::String => "a String",
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Integer => "Integer",
            Self::Float => "Float",
            Self::Flag => "Flag",
            Self::Character => "Character",
            Self::String => "String",
        })
    }
}

/// An INFO or FORMAT definition: from the header, or reserved by the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Def {
    pub(crate) number: Number,
    /// `None`: the reserved key constrains Number only (INFO MQ).
    pub(crate) ty: Option<Type>,
    /// Values must not be negative (reserved counts, depths, frequencies).
    pub(crate) non_negative: bool,
    /// Values must be CIGAR strings (INFO CIGAR).
    pub(crate) cigar: bool,
}

impl Def {
    pub(crate) const fn declared(number: Number, ty: Type) -> Self {
        Self {
            number,
            ty: Some(ty),
            non_negative: false,
            cigar: false,
        }
    }
}

const fn reserved(number: Number, ty: Type, non_negative: bool) -> Def {
    Def {
        number,
        ty: Some(ty),
        non_negative,
        cigar: false,
    }
}

/// The INFO keys whose meaning the spec reserves (VCF 4.1–4.3 §1.4.2/§1.6.1,
/// as the conformance suite checks them). `SB` and `SVLEN` are left out: the
/// suite's passed files use them against the 4.3 table.
pub(crate) fn reserved_info(key: &str, version: Version) -> Option<Def> {
    use Number::{A, Count, R};
    use Type::{Flag, Float, Integer, String};
    let per_allele = version.at_least(4, 2);
    Some(match key {
        "AA" => reserved(Count(1), String, false),
        "AC" => reserved(A, Integer, true),
        "AD" | "ADF" | "ADR" if per_allele => reserved(R, Integer, true),
        "AF" => reserved(A, Float, true),
        "AN" => reserved(Count(1), Integer, true),
        "BQ" => reserved(Count(1), Float, false),
        "CIGAR" => Def {
            number: A,
            ty: Some(String),
            non_negative: false,
            cigar: true,
        },
        "DB" | "H2" | "H3" | "SOMATIC" | "VALIDATED" | "1000G" => reserved(Count(0), Flag, false),
        "DP" => reserved(Count(1), Integer, true),
        "END" => reserved(Count(1), Integer, true),
        // The suite accepts MQ=0.150 undeclared and checks only Number.
        "MQ" => Def {
            number: Count(1),
            ty: None,
            non_negative: false,
            cigar: false,
        },
        "MQ0" => reserved(Count(1), Integer, true),
        "NS" => reserved(Count(1), Integer, true),
        _ => return None,
    })
}

/// The FORMAT keys whose meaning the spec reserves.
pub(crate) fn reserved_format(key: &str, version: Version) -> Option<Def> {
    use Number::{A, Count, G, R};
    use Type::{Float, Integer, String};
    let per_allele = version.at_least(4, 2);
    Some(match key {
        "AD" | "ADF" | "ADR" if per_allele => reserved(R, Integer, true),
        "DP" => reserved(Count(1), Integer, false),
        "EC" => reserved(A, Integer, false),
        "FT" => reserved(Count(1), String, false),
        "GL" | "GP" => reserved(G, Float, false),
        "GLE" => reserved(G, String, false),
        "GQ" => reserved(Count(1), Integer, false),
        "GT" => reserved(Count(1), String, false),
        "HQ" => reserved(Count(2), Integer, false),
        "MQ" => reserved(Count(1), Integer, false),
        "PL" => reserved(G, Integer, false),
        "PQ" => reserved(Count(1), Integer, false),
        "PS" => reserved(Count(1), Integer, false),
        _ => return None,
    })
}

fn re(pattern: &str) -> Regex {
    // The patterns are constants, tested in this module.
    Regex::new(pattern).expect("constant pattern compiles")
}

/// INFO keys (VCF 4.3 §1.6.1 regex, plus the reserved `1000G`).
pub(crate) static INFO_KEY: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(?:[A-Za-z_][0-9A-Za-z_.]*|1000G)$"));

/// FORMAT keys (VCF 4.3 §1.6.2 regex).
pub(crate) static FORMAT_KEY: LazyLock<Regex> = LazyLock::new(|| re(r"^[A-Za-z_][0-9A-Za-z_.]*$"));

/// Undeclared FORMAT keys in VCF ≤ 4.2: alphanumeric only (the suite refuses
/// `G_S`; declared keys such as GATK's `MIN_DP` follow the header regex).
pub(crate) static FORMAT_KEY_OLD: LazyLock<Regex> = LazyLock::new(|| re(r"^[A-Za-z][0-9A-Za-z]*$"));

/// Contig and sample identifiers from VCF 4.3 on. The spec's regex also admits
/// `*`, `:` and `=`, but the conformance suite refuses `chr*1`, `chr:1`,
/// `1.*`, so those are left out here (GRCh38 HLA contigs are let through by
/// [`HLA_CONTIG`]).
pub(crate) static CONTIG_43: LazyLock<Regex> =
    LazyLock::new(|| re(r"^[0-9A-Za-z!#$%&+./;?@^_|~-]+$"));

/// GRCh38 analysis-set HLA contigs such as `HLA-DRB1*15:01:01:01`.
pub(crate) static HLA_CONTIG: LazyLock<Regex> =
    LazyLock::new(|| re(r"^HLA-[A-Z0-9]+\*[0-9]+(?::[0-9]+)*[A-Z]?$"));

/// Plain DNA alleles.
pub(crate) static BASES: LazyLock<Regex> = LazyLock::new(|| re(r"^[ACGTNacgtn]+$"));

/// Breakend replacement strings (VCF §5.4): `t[p[`, `t]p]`, `]p]t`, `[p[t`,
/// where p may be `<contig>` for assembly contigs.
pub(crate) static BREAKEND: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(?:[ACGTNacgtn]+(?:\[[^\[\]\s,]+:[0-9]+\[|\][^\[\]\s,]+:[0-9]+\])|(?:\[[^\[\]\s,]+:[0-9]+\[|\][^\[\]\s,]+:[0-9]+\])[ACGTNacgtn]+)$",
    )
});

/// Single breakends: `.A`, `A.`.
pub(crate) static SINGLE_BREAKEND: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(?:\.[ACGTNacgtn]+|[ACGTNacgtn]+\.)$"));

/// CIGAR strings.
pub(crate) static CIGAR: LazyLock<Regex> = LazyLock::new(|| re(r"^(?:[0-9]+[MIDNSHPX=])+$"));

/// Keys of structured fields (`ID`, `Number`, `assembly`, …).
pub(crate) static META_KEY: LazyLock<Regex> = LazyLock::new(|| re(r"^[A-Za-z0-9_.\-]+$"));

/// Meta-line keys: printable, no whitespace or '=' (bcftools writes
/// `##bcftools/csqVersion`).
pub(crate) static LINE_KEY: LazyLock<Regex> = LazyLock::new(|| re(r"^[!-<>-~]+$"));

/// `##fileformat=VCFvX.Y`.
pub(crate) static FILEFORMAT: LazyLock<Regex> =
    LazyLock::new(|| re(r"^##fileformat=VCFv([0-9]+)\.([0-9]+)$"));

/// URLs in `##assembly` and `##pedigreeDB`: scheme, optional user, a host that
/// is a dotted IPv4 address or a name whose last label is not all digits.
pub(crate) static URL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/\s]+@)?(?:[0-9]{1,3}(?:\.[0-9]{1,3}){3}|(?:[A-Za-z0-9-]+\.)*[A-Za-z][A-Za-z0-9-]*)(?::[0-9]+)?(?:[/?#]\S*)?$",
    )
});

/// `##PEDIGREE` values (and genome ids of VCF ≤ 4.2 pedigrees).
pub(crate) static PEDIGREE_VALUE: LazyLock<Regex> = LazyLock::new(|| re(r"^[A-Za-z0-9_.\-]+$"));

/// The first-level structural variant types of symbolic ALT ids.
pub(crate) const SV_TYPES: &[&str] = &["DEL", "INS", "DUP", "INV", "CNV", "BND"];

/// First components of symbolic ALT ids in common use that are not
/// structural variant types (gVCF reference blocks, GATK's `*:DEL`); accepted
/// in every version.
pub(crate) const NON_SV_ALT_IDS: &[&str] = &["*", "NON_REF"];

/// How strictly VCF is judged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum VcfMode {
    /// The VCF spec as the hts-specs conformance suite reads it: every
    /// deviation is refused.
    #[default]
    Strict,
    /// As strict, except for deviations common in pipeline output that do not
    /// change how records are read; those become warnings in the QC:
    /// a header redefining a reserved INFO/FORMAT key (its own definition then
    /// governs the values), String values with more comma-separated parts than
    /// their Number (GATK's allele-specific annotations), unsorted or
    /// non-contiguous records, and duplicate records.
    Ingest,
}

/// Warnings collected in [`VcfMode::Ingest`], capped so memory stays flat.
#[derive(Debug, Default)]
pub(crate) struct Warnings {
    pub(crate) list: Vec<String>,
    pub(crate) total: u64,
}

impl Warnings {
    const CAP: usize = 50;

    pub(crate) fn push(&mut self, warning: String) {
        self.total += 1;
        if self.list.len() < Self::CAP {
            self.list.push(warning);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_compile_and_match() {
        assert!(
            INFO_KEY.is_match("1000G") && INFO_KEY.is_match("AMR_AF") && !INFO_KEY.is_match("RS Q")
        );
        assert!(
            FORMAT_KEY.is_match("G_S")
                && !FORMAT_KEY.is_match("G%3AS")
                && !FORMAT_KEY.is_match("1GS")
        );
        assert!(!FORMAT_KEY_OLD.is_match("G_S") && FORMAT_KEY_OLD.is_match("GT"));
        assert!(
            CONTIG_43.is_match("chr1")
                && !CONTIG_43.is_match("chr*1")
                && !CONTIG_43.is_match("chr:1")
        );
        assert!(
            HLA_CONTIG.is_match("HLA-DRB1*15:01:01:01") && HLA_CONTIG.is_match("HLA-A*01:01:01:01")
        );
        assert!(
            BREAKEND.is_match("]1:100]AGT")
                && BREAKEND.is_match("AGT[1:100[")
                && !BREAKEND.is_match("[1:100[")
        );
        assert!(BREAKEND.is_match("C[<ctg1>:7["));
        assert!(SINGLE_BREAKEND.is_match(".A") && SINGLE_BREAKEND.is_match("A."));
        assert!(CIGAR.is_match("1M30I2D1N") && !CIGAR.is_match("123MYCIGAR"));
        assert!(URL.is_match("ftp://user@host:8080/path/to/file.fastq"));
        assert!(URL.is_match("http://123.0.1.2:8080/valid/host/to/file.db"));
        assert!(!URL.is_match("ftp://8080:8080/not-valid/host/to/pedigreeDB"));
        assert!(
            FILEFORMAT.is_match("##fileformat=VCFv4.3")
                && !FILEFORMAT.is_match("##fileformat=VCF v4.3")
        );
        assert_eq!(Number::parse("R", Version::new(4, 1)), Some(Number::R));
        assert_eq!(
            Number::parse("LA", Version::new(4, 5)),
            Some(Number::Extension)
        );
        assert_eq!(Number::parse("N", Version::new(4, 3)), None);
    }
}
