//! The somatic actionability model shared by CIViC and the local evidence
//! table: evidence items and assertions, their levels, types, directions,
//! significance and origin, and the AMP/ASCO/CAP classes derived from them.

use std::fmt;

use crate::disease::DiseaseTerm;
use crate::protein::VariantSpec;
use crate::source::KnowledgeBase;

/// CIViC evidence level (civic.readthedocs.io, "Evidence Level").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EvidenceLevel {
    /// Validated association (proven / consensus, e.g. approved therapy).
    A,
    /// Clinical evidence (clinical trials, patient data).
    B,
    /// Case study.
    C,
    /// Preclinical evidence.
    D,
    /// Inferential association.
    E,
}

impl EvidenceLevel {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim() {
            "A" => Self::A,
            "B" => Self::B,
            "C" => Self::C,
            "D" => Self::D,
            "E" => Self::E,
            _ => return None,
        })
    }
}

impl fmt::Display for EvidenceLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// AMP/ASCO/CAP class of a somatic variant (Li et al. 2017, J Mol Diagn
/// 19:4–23, PMID 27993330): Tier I with level A or B evidence, Tier II with
/// level C or D, Tier III (unknown significance), Tier IV (benign).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AmpClass {
    TierIA,
    TierIB,
    TierIIC,
    TierIID,
    TierIII,
    TierIV,
}

impl AmpClass {
    /// CIViC's assertion field `amp_level` (`Tier I - Level A`).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim() {
            "Tier I - Level A" => Self::TierIA,
            "Tier I - Level B" => Self::TierIB,
            "Tier II - Level C" => Self::TierIIC,
            "Tier II - Level D" => Self::TierIID,
            "Tier III" => Self::TierIII,
            "Tier IV" => Self::TierIV,
            _ => return None,
        })
    }

    /// The class of a CIViC evidence level for a supporting item:
    ///
    /// | CIViC level | patient's cancer type | another cancer type |
    /// |---|---|---|
    /// | A | Tier I, level A | Tier II, level C |
    /// | B | Tier I, level B | Tier II, level C |
    /// | C, D, E | Tier II, level D | Tier II, level D |
    ///
    /// Li et al. 2017 (Figure 2): level A = approved therapy or guideline in
    /// this tumour type; B = well-powered studies with consensus; C = approved
    /// in another tumour type, or small studies; D = preclinical or case
    /// reports. CIViC A/B in another tumour type are therefore C; CIViC C
    /// (case study), D (preclinical) and E (inferential) are D. The same rule
    /// as PCGR's tiers (Nakken et al. 2018, "tier 2: A/B in other tumour
    /// types, C/D in this one"). Items that do not support their claim get no
    /// class (`None`).
    pub fn from_civic(
        level: EvidenceLevel,
        same_cancer_type: bool,
        direction: Direction,
    ) -> Option<Self> {
        if direction != Direction::Supports {
            return None;
        }
        Some(match (level, same_cancer_type) {
            (EvidenceLevel::A, true) => Self::TierIA,
            (EvidenceLevel::B, true) => Self::TierIB,
            (EvidenceLevel::A | EvidenceLevel::B, false) => Self::TierIIC,
            _ => Self::TierIID,
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::TierIA => "Tier I - Level A",
            Self::TierIB => "Tier I - Level B",
            Self::TierIIC => "Tier II - Level C",
            Self::TierIID => "Tier II - Level D",
            Self::TierIII => "Tier III",
            Self::TierIV => "Tier IV",
        }
    }
}

/// What an evidence item is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EvidenceType {
    Predictive,
    Diagnostic,
    Prognostic,
    Predisposing,
    Oncogenic,
    Functional,
}

impl EvidenceType {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim() {
            "Predictive" => Self::Predictive,
            "Diagnostic" => Self::Diagnostic,
            "Prognostic" => Self::Prognostic,
            "Predisposing" => Self::Predisposing,
            "Oncogenic" => Self::Oncogenic,
            "Functional" => Self::Functional,
            _ => return None,
        })
    }
}

/// Whether the item supports its significance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Direction {
    Supports,
    DoesNotSupport,
    NotApplicable,
}

impl Direction {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim() {
            "Supports" => Self::Supports,
            "Does Not Support" => Self::DoesNotSupport,
            "N/A" | "" => Self::NotApplicable,
            _ => return None,
        })
    }
}

/// The clinical significance claimed.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Significance {
    SensitivityResponse,
    ReducedSensitivity,
    Resistance,
    AdverseResponse,
    Positive,
    Negative,
    BetterOutcome,
    PoorOutcome,
    Pathogenic,
    LikelyPathogenic,
    UncertainSignificance,
    LikelyBenign,
    Benign,
    /// Another value of CIViC's vocabulary (kept verbatim: CIViC adds
    /// values, and a new one must not make a release unreadable).
    Other(String),
}

impl Significance {
    pub fn parse(s: &str) -> Self {
        match s.trim() {
            "Sensitivity/Response" | "Sensitivity" => Self::SensitivityResponse,
            "Reduced Sensitivity" => Self::ReducedSensitivity,
            "Resistance" | "Resistance or Non-Response" => Self::Resistance,
            "Adverse Response" => Self::AdverseResponse,
            "Positive" => Self::Positive,
            "Negative" => Self::Negative,
            "Better Outcome" => Self::BetterOutcome,
            "Poor Outcome" => Self::PoorOutcome,
            "Pathogenic" => Self::Pathogenic,
            "Likely Pathogenic" => Self::LikelyPathogenic,
            "Uncertain Significance" => Self::UncertainSignificance,
            "Likely Benign" => Self::LikelyBenign,
            "Benign" => Self::Benign,
            other => Self::Other(other.to_string()),
        }
    }
}

/// Where the variant arose, as the knowledge base says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KbOrigin {
    Somatic,
    RareGermline,
    CommonGermline,
    Combined,
    Unknown,
    NotApplicable,
}

impl KbOrigin {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim() {
            "Somatic" | "Somatic Mutation" => Self::Somatic,
            "Rare Germline" | "Germline Mutation" | "Germline" => Self::RareGermline,
            "Common Germline" | "Germline Polymorphism" => Self::CommonGermline,
            "Combined" => Self::Combined,
            "Unknown" => Self::Unknown,
            "N/A" | "" => Self::NotApplicable,
            _ => return None,
        })
    }
}

/// Curation status of a record; only accepted records are matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    Accepted,
    Submitted,
    Rejected,
}

impl Status {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim() {
            "accepted" | "Accepted" => Self::Accepted,
            "submitted" | "Submitted" => Self::Submitted,
            "rejected" | "Rejected" => Self::Rejected,
            _ => return None,
        })
    }
}

/// How the therapies of one item combine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TherapyInteraction {
    Combination,
    Sequential,
    Substitutes,
}

impl TherapyInteraction {
    pub fn parse(s: &str) -> Option<Option<Self>> {
        Some(match s.trim() {
            "Combination" => Some(Self::Combination),
            "Sequential" => Some(Self::Sequential),
            "Substitutes" => Some(Self::Substitutes),
            "" | "N/A" => None,
            _ => return None,
        })
    }
}

/// Which record a finding traces to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RecordId {
    /// CIViC evidence item (`EID3017`).
    CivicEvidence(u64),
    /// CIViC assertion (`AID40`).
    CivicAssertion(u64),
    /// A row of the local evidence table, by its own id.
    Local(String),
    /// ClinVar VariationID.
    ClinVarVariation(u64),
    /// Cancer hotspot: gene and residue.
    Hotspot { gene: String, position: u32 },
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordId::CivicEvidence(n) => write!(f, "EID{n}"),
            RecordId::CivicAssertion(n) => write!(f, "AID{n}"),
            RecordId::Local(s) => f.write_str(s),
            RecordId::ClinVarVariation(n) => write!(f, "VariationID:{n}"),
            RecordId::Hotspot { gene, position } => write!(f, "{gene}:{position}"),
        }
    }
}

/// A position and alleles on an assembly (1-based, VCF-style alleles).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GenomicAllele {
    pub assembly: Assembly,
    /// Without a `chr` prefix; `MT` for the mitochondrion.
    pub chrom: String,
    pub pos: u64,
    pub reference: String,
    pub alternate: String,
}

/// A reference assembly.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Assembly {
    GRCh37,
    GRCh38,
}

impl Assembly {
    /// `GRCh37`/`hg19`/`b37` and `GRCh38`/`hg38`, any case.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "grch37" | "hg19" | "b37" | "grch37.p13" => Some(Self::GRCh37),
            "grch38" | "hg38" | "b38" | "grch38.p13" | "grch38.p14" => Some(Self::GRCh38),
            _ => None,
        }
    }
}

/// `chr7` → `7`, `chrM` → `MT`.
pub fn normalise_chrom(c: &str) -> String {
    let c = c.trim();
    let c = c.strip_prefix("chr").unwrap_or(c);
    if c == "M" { "MT".into() } else { c.to_string() }
}

/// A citation of the item's source.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Citation {
    /// `PubMed`, `ASCO`, or a local kind (`PMDA`).
    pub source_type: String,
    pub id: String,
    pub text: String,
}

/// One evidence item or assertion, whatever file it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvidenceItem {
    pub id: RecordId,
    pub gene: String,
    /// The knowledge base's variant name (`V600E`).
    pub variant_name: String,
    pub variant: VariantSpec,
    pub coordinates: Option<GenomicAllele>,
    pub disease: DiseaseTerm,
    pub therapies: Vec<String>,
    pub interaction: Option<TherapyInteraction>,
    pub evidence_type: EvidenceType,
    /// `None` for assertions (which carry an AMP class instead).
    pub level: Option<EvidenceLevel>,
    pub amp: Option<AmpClass>,
    pub direction: Direction,
    pub significance: Significance,
    pub origin: KbOrigin,
    pub status: Status,
    pub citation: Option<Citation>,
}

/// The items of one knowledge base, with its identity.
#[derive(Clone, Debug)]
pub struct EvidenceSet {
    pub kb: KnowledgeBase,
    pub items: Vec<EvidenceItem>,
    /// Evidence items whose variant record was not among the files read (so
    /// their gene and variant are unknown and they cannot be matched).
    pub unresolved: Vec<RecordId>,
}
