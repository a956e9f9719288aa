//! Somatic tumour/normal VCFs (Mutect/Mutect2, Strelka, VarScan, MuSE… and
//! tumour-only exports): which column is the tumour, which records are
//! somatic calls, and a genotype for callers that write none (Strelka).
//! The rules are in `SCHEMA.md` ("Somatic batches").

use serde::{Deserialize, Serialize};

use crate::read::MISSING_ALLELE;

/// Where a batch's calls come from. Germline frequencies count germline
/// batches only; somatic batches are counted when asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// Germline genotypes (the default; also every batch written before
    /// origins were recorded).
    #[default]
    Germline,
    /// Somatic calls of tumours, one sample per tumour.
    Somatic,
}

impl Origin {
    /// `germline` or `somatic`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Germline => "germline",
            Self::Somatic => "somatic",
        }
    }
}

impl std::str::FromStr for Origin {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "germline" => Ok(Self::Germline),
            "somatic" => Ok(Self::Somatic),
            _ => Err(format!(
                "unknown origin {s:?}: expected germline or somatic"
            )),
        }
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The tumour columns of a somatic VCF, by index: the header's
/// `##tumor_sample=` (Mutect2), else the columns named `TUMOR`/`TUMOUR`
/// (any case; Mutect, Strelka, VarScan, MuSE, SomaticSniper), else the only
/// column (tumour-only and merged T/N exports such as TCGA's). `None` when
/// it cannot be told: the caller must name the columns.
pub fn tumour_columns(header: &noodles::vcf::Header, samples: &[String]) -> Option<Vec<usize>> {
    let declared: Vec<String> = header
        .other_records()
        .iter()
        .filter(|(k, _)| k.as_ref() == "tumor_sample")
        .filter_map(|(_, v)| match v {
            noodles::vcf::header::record::value::Collection::Unstructured(v) => Some(v.to_vec()),
            _ => None,
        })
        .flatten()
        .collect();
    let by_header: Vec<usize> = samples
        .iter()
        .enumerate()
        .filter(|(_, s)| declared.contains(s))
        .map(|(i, _)| i)
        .collect();
    if !by_header.is_empty() {
        return Some(by_header);
    }
    let by_name: Vec<usize> = samples
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            let s = s.to_ascii_uppercase();
            s == "TUMOR" || s == "TUMOUR"
        })
        .map(|(i, _)| i)
        .collect();
    if !by_name.is_empty() {
        return Some(by_name);
    }
    (samples.len() == 1).then(|| vec![0])
}

/// Whether a record is a somatic call to keep: FILTER `PASS` or missing and,
/// when the header declares the INFO flag `SOMATIC`, the flag is set (VarScan
/// writes germline and LOH calls beside the somatic ones and flags only
/// these).
pub fn keep_record(filters: &str, info: &str, somatic_declared: bool) -> bool {
    let pass = filters == "PASS" || filters == "." || filters.is_empty();
    pass && (!somatic_declared || info.split(';').any(|f| f == "SOMATIC"))
}

/// A genotype for a sample of a record without GT, from its read counts:
/// `AD` (REF, then each ALT), or Strelka's tier-1 counts (`<BASE>U` for
/// SNVs, `TIR` for indels). A sample with reads for an ALT is heterozygous
/// for the best-supported one (`0/k`), one with reads but none for an ALT is
/// `0/0`, one with depth 0 or no counts is missing.
pub fn genotype_from_counts(
    keys: &[&str],
    values: &str,
    reference: &str,
    alts: &[String],
) -> [i16; 2] {
    let missing = [MISSING_ALLELE, MISSING_ALLELE];
    let field = |name: &str| -> Option<&str> {
        let i = keys.iter().position(|k| *k == name)?;
        values
            .split(':')
            .nth(i)
            .filter(|v| *v != "." && !v.is_empty())
    };
    let first = |v: &str| -> Option<u64> { v.split(',').next()?.parse().ok() };
    if field("DP").and_then(|d| d.parse::<u64>().ok()) == Some(0) {
        return missing;
    }
    // per ALT: reads supporting it
    let support: Option<Vec<u64>> = if let Some(ad) = field("AD") {
        let v: Vec<u64> = ad.split(',').map(|x| x.parse().unwrap_or(0)).collect();
        (v.len() == alts.len() + 1).then(|| v[1..].to_vec())
    } else if reference.len() == 1 && alts.iter().all(|a| a.len() == 1) {
        alts.iter()
            .map(|a| field(&format!("{}U", a.to_ascii_uppercase())).and_then(first))
            .collect()
    } else if alts.len() == 1 {
        field("TIR").and_then(first).map(|n| vec![n])
    } else {
        None
    };
    let Some(support) = support else {
        return missing;
    };
    match support
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .max_by_key(|(i, n)| (**n, std::cmp::Reverse(*i)))
    {
        Some((k, _)) => [0, k as i16 + 1],
        None => [0, 0],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strelka_snv_and_indel_counts_give_a_genotype() {
        let keys = ["DP", "FDP", "SDP", "SUBDP", "AU", "CU", "GU", "TU"];
        let alts = vec!["T".to_string()];
        assert_eq!(
            genotype_from_counts(&keys, "57:0:0:0:0,0:0,0:0,0:57,57", "C", &alts),
            [0, 1]
        );
        assert_eq!(
            genotype_from_counts(&keys, "76:0:0:0:0,0:76,77:0,0:0,0", "C", &alts),
            [0, 0]
        );
        assert_eq!(
            genotype_from_counts(&keys, "0:0:0:0:0,0:0,0:0,0:0,0", "C", &alts),
            [MISSING_ALLELE, MISSING_ALLELE]
        );
        let keys = ["DP", "DP2", "TAR", "TIR", "TOR"];
        let alts = vec!["C".to_string()];
        assert_eq!(
            genotype_from_counts(&keys, "89:89:19,19:57,58:12,11", "CG", &alts),
            [0, 1]
        );
        let keys = ["GT", "AD"];
        let alts = vec!["A".to_string(), "T".to_string()];
        assert_eq!(genotype_from_counts(&keys, ".:3,1,5", "C", &alts), [0, 2]);
    }

    #[test]
    fn only_passing_somatic_calls_are_kept() {
        assert!(keep_record("PASS", "DP=3;SOMATIC;SS=2", true));
        assert!(!keep_record("PASS", "DP=3;SS=1", true));
        assert!(keep_record(".", ".", false));
        assert!(!keep_record("REJECT", "SOMATIC", true));
        assert!(!keep_record("Tier1", "SOMATIC", true));
    }
}
