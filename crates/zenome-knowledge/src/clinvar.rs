//! ClinVar's VCF release read through noodles: per record the VariationID,
//! AlleleID, alleles, clinical significance (`CLNSIG`), review status
//! (`CLNREVSTAT`, as stars), genes (`GENEINFO`), HGVS (`CLNHGVS`) and
//! conditions (`CLNDN`); the release's `fileDate` is its version.

use std::collections::HashMap;
use std::io::BufReader;
use std::path::Path;

use noodles::vcf;
use noodles::vcf::header::record::value::Collection;
use noodles::vcf::variant::record::info::field::Value;
use noodles::vcf::variant::record::info::field::value::Array;
use noodles::vcf::variant::record::{AlternateBases as _, Ids as _};

use crate::error::{KnowledgeError, Location, Result};
use crate::evidence::{Assembly, GenomicAllele, normalise_chrom};
use crate::source::{KbKind, KnowledgeBase, digest_file, open};

/// ClinVar's aggregate germline classification.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClinicalSignificance {
    Pathogenic,
    PathogenicLikelyPathogenic,
    LikelyPathogenic,
    UncertainSignificance,
    Conflicting,
    LikelyBenign,
    BenignLikelyBenign,
    Benign,
    /// drug_response, risk_factor, not_provided, other… (verbatim).
    Other(String),
}

impl ClinicalSignificance {
    /// From the first term of `CLNSIG` (`Pathogenic`, `Likely_pathogenic`,
    /// `Pathogenic/Likely_pathogenic`, …; a trailing `,_risk_factor` is a
    /// secondary term and ignored).
    pub fn parse(s: &str) -> Self {
        let first = s.split([',', '|']).next().unwrap_or("").trim();
        match first {
            "Pathogenic" => Self::Pathogenic,
            "Pathogenic/Likely_pathogenic" => Self::PathogenicLikelyPathogenic,
            "Likely_pathogenic" => Self::LikelyPathogenic,
            "Uncertain_significance" => Self::UncertainSignificance,
            "Conflicting_interpretations_of_pathogenicity"
            | "Conflicting_classifications_of_pathogenicity" => Self::Conflicting,
            "Likely_benign" => Self::LikelyBenign,
            "Benign/Likely_benign" => Self::BenignLikelyBenign,
            "Benign" => Self::Benign,
            _ => Self::Other(s.to_string()),
        }
    }

    /// Pathogenic or likely pathogenic (what secondary findings report).
    pub fn is_pathogenic_or_likely(&self) -> bool {
        matches!(
            self,
            Self::Pathogenic | Self::PathogenicLikelyPathogenic | Self::LikelyPathogenic
        )
    }
}

/// ClinVar review status and its stars (ClinVar "Review status" docs).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReviewStatus {
    PracticeGuideline,
    ExpertPanel,
    MultipleSubmittersNoConflicts,
    SingleSubmitter,
    ConflictingInterpretations,
    NoAssertionCriteria,
    NoAssertion,
    NoInterpretation,
    Other(String),
}

impl ReviewStatus {
    pub fn parse(s: &str) -> Self {
        match s.trim() {
            "practice_guideline" => Self::PracticeGuideline,
            "reviewed_by_expert_panel" => Self::ExpertPanel,
            "criteria_provided,_multiple_submitters,_no_conflicts" => {
                Self::MultipleSubmittersNoConflicts
            }
            "criteria_provided,_single_submitter" => Self::SingleSubmitter,
            "criteria_provided,_conflicting_interpretations"
            | "criteria_provided,_conflicting_classifications" => Self::ConflictingInterpretations,
            "no_assertion_criteria_provided" => Self::NoAssertionCriteria,
            "no_assertion_provided" | "no_classification_provided" => Self::NoAssertion,
            "no_interpretation_for_the_single_variant"
            | "no_classification_for_the_single_variant" => Self::NoInterpretation,
            other => Self::Other(other.to_string()),
        }
    }

    /// 0–4 gold stars.
    pub fn stars(&self) -> u8 {
        match self {
            Self::PracticeGuideline => 4,
            Self::ExpertPanel => 3,
            Self::MultipleSubmittersNoConflicts => 2,
            Self::SingleSubmitter | Self::ConflictingInterpretations => 1,
            _ => 0,
        }
    }
}

/// One ClinVar VCF record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClinVarRecord {
    pub variation_id: u64,
    pub allele_id: Option<u64>,
    pub allele: GenomicAllele,
    pub significance: ClinicalSignificance,
    /// `CLNSIG` as written.
    pub significance_text: String,
    pub review: ReviewStatus,
    /// `CLNREVSTAT` as written.
    pub review_text: String,
    pub genes: Vec<String>,
    pub hgvs: Option<String>,
    pub conditions: Vec<String>,
}

/// A loaded ClinVar release, indexed by allele.
#[derive(Clone, Debug)]
pub struct ClinVarSet {
    pub kb: KnowledgeBase,
    pub assembly: Assembly,
    pub records: Vec<ClinVarRecord>,
    by_allele: HashMap<(String, u64, String, String), Vec<usize>>,
}

impl ClinVarSet {
    /// Records for an allele on this release's assembly.
    pub fn lookup(&self, allele: &GenomicAllele) -> impl Iterator<Item = &ClinVarRecord> {
        let hits = if allele.assembly == self.assembly {
            self.by_allele
                .get(&(
                    normalise_chrom(&allele.chrom),
                    allele.pos,
                    allele.reference.clone(),
                    allele.alternate.clone(),
                ))
                .map(Vec::as_slice)
                .unwrap_or(&[])
        } else {
            &[]
        };
        hits.iter().map(|&i| &self.records[i])
    }
}

/// The value of an INFO field as the text it was written as (a list
/// rejoined with commas, which is how `CLNREVSTAT` must be read).
fn text(v: Option<Value<'_>>) -> std::io::Result<Option<String>> {
    Ok(match v {
        None | Some(Value::Flag) => None,
        Some(Value::String(s)) => Some(s.into_owned()),
        Some(Value::Integer(n)) => Some(n.to_string()),
        Some(Value::Float(n)) => Some(n.to_string()),
        Some(Value::Character(c)) => Some(c.to_string()),
        Some(Value::Array(Array::String(values))) => {
            let mut parts = Vec::new();
            for v in values.iter() {
                parts.push(v?.map(|c| c.into_owned()).unwrap_or_default());
            }
            Some(parts.join(","))
        }
        Some(Value::Array(Array::Integer(values))) => {
            let mut parts = Vec::new();
            for v in values.iter() {
                parts.push(v?.map(|n| n.to_string()).unwrap_or_default());
            }
            Some(parts.join(","))
        }
        Some(Value::Array(_)) => None,
    })
}

/// Loads a ClinVar VCF (bgzip, gzip or plain). Refused: a VCF whose
/// `##source` is not ClinVar, without `##fileDate`, without a known
/// `##reference`, or whose header does not declare CLNSIG, CLNREVSTAT and
/// GENEINFO.
pub fn load_clinvar(path: &Path) -> Result<ClinVarSet> {
    let sha256 = digest_file(path)?;
    let file = open(path)?;
    let reader: Box<dyn std::io::BufRead> = {
        let mut probe = BufReader::new(file);
        let magic = std::io::BufRead::fill_buf(&mut probe).map_err(crate::source::io_err(path))?;
        if magic.is_empty() {
            return Err(KnowledgeError::Empty {
                path: path.to_path_buf(),
            });
        }
        if magic.starts_with(&[0x1f, 0x8b]) {
            Box::new(BufReader::new(flate2::bufread::MultiGzDecoder::new(probe)))
        } else {
            Box::new(probe)
        }
    };
    let mut vcf_reader = vcf::io::Reader::new(reader);
    let vcf_err = |at: Location| {
        move |source| KnowledgeError::Vcf {
            path: path.to_path_buf(),
            at,
            source,
        }
    };
    let header = vcf_reader.read_header().map_err(vcf_err(Location::File))?;
    let other = |key: &str| -> Option<String> {
        match header.other_records().get(key)? {
            Collection::Unstructured(v) => v.first().cloned(),
            Collection::Structured(_) => None,
        }
    };
    let shape = |expected: &str, found: String| KnowledgeError::Shape {
        path: path.to_path_buf(),
        at: Location::File,
        expected: expected.to_string(),
        found,
    };
    match other("source") {
        Some(s) if s == "ClinVar" => {}
        found => return Err(shape("##source=ClinVar", format!("{found:?}"))),
    }
    let version =
        other("fileDate").ok_or_else(|| shape("##fileDate=<release date>", "none".into()))?;
    let reference = other("reference").unwrap_or_default();
    let assembly = Assembly::parse(&reference)
        .ok_or_else(|| shape("##reference=GRCh37 or GRCh38", format!("{reference:?}")))?;
    let missing: Vec<&str> = ["CLNSIG", "CLNREVSTAT", "GENEINFO"]
        .into_iter()
        .filter(|k| !header.infos().contains_key(*k))
        .collect();
    if !missing.is_empty() {
        return Err(shape(
            "INFO fields CLNSIG, CLNREVSTAT, GENEINFO declared",
            format!("missing {}", missing.join(",")),
        ));
    }
    let mut records = Vec::new();
    let mut by_allele: HashMap<_, Vec<usize>> = HashMap::new();
    let mut record = vcf::Record::default();
    let mut n = 0u64;
    loop {
        let read = vcf_reader
            .read_record(&mut record)
            .map_err(vcf_err(Location::Record(n + 1)))?;
        if read == 0 {
            break;
        }
        n += 1;
        let at = Location::Record(n);
        let field = |name: &str, message: String| KnowledgeError::Field {
            path: path.to_path_buf(),
            at: at.clone(),
            field: name.to_string(),
            message,
        };
        let info = record.info();
        let get = |key: &str| -> Result<Option<String>> {
            match info.get(&header, key) {
                None => Ok(None),
                Some(r) => r.and_then(text).map_err(vcf_err(at.clone())),
            }
        };
        let id_text = record.ids().iter().next().unwrap_or("").to_string();
        let variation_id = id_text.parse().map_err(|_| {
            field(
                "ID",
                format!("expected a ClinVar VariationID, found {id_text:?}"),
            )
        })?;
        let pos = match record.variant_start() {
            Some(Ok(p)) => usize::from(p) as u64,
            _ => return Err(field("POS", "expected a position".into())),
        };
        let Some(significance_text) = get("CLNSIG")? else {
            continue; // records without an aggregate classification (e.g. only CLNSIGINCL)
        };
        let review_text = get("CLNREVSTAT")?.unwrap_or_default();
        let chrom = normalise_chrom(record.reference_sequence_name());
        let reference = record.reference_bases().to_ascii_uppercase();
        let alts: Vec<String> = record
            .alternate_bases()
            .iter()
            .map(|a| a.map(|s| s.to_ascii_uppercase()))
            .collect::<std::io::Result<_>>()
            .map_err(vcf_err(at.clone()))?;
        let allele_id = get("ALLELEID")?.and_then(|s| s.parse().ok());
        let genes = get("GENEINFO")?
            .map(|g| {
                g.split('|')
                    .filter_map(|p| p.split(':').next())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let hgvs = get("CLNHGVS")?;
        let conditions = get("CLNDN")?
            .map(|c| c.split('|').map(|s| s.replace('_', " ")).collect())
            .unwrap_or_default();
        for alt in alts.into_iter().filter(|a| a != ".") {
            let i = records.len();
            by_allele
                .entry((chrom.clone(), pos, reference.clone(), alt.clone()))
                .or_default()
                .push(i);
            records.push(ClinVarRecord {
                variation_id,
                allele_id,
                allele: GenomicAllele {
                    assembly: assembly.clone(),
                    chrom: chrom.clone(),
                    pos,
                    reference: reference.clone(),
                    alternate: alt,
                },
                significance: ClinicalSignificance::parse(&significance_text),
                significance_text: significance_text.clone(),
                review: ReviewStatus::parse(&review_text),
                review_text: review_text.clone(),
                genes: Vec::clone(&genes),
                hgvs: hgvs.clone(),
                conditions: Vec::clone(&conditions),
            });
        }
    }
    if records.is_empty() {
        return Err(KnowledgeError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(ClinVarSet {
        kb: KnowledgeBase {
            kind: KbKind::ClinVar,
            version,
            paths: vec![path.to_path_buf()],
            sha256,
        },
        assembly,
        records,
        by_allele,
    })
}
