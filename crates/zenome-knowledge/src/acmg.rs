//! The ACMG secondary-findings gene list (Miller et al. 2022, SF v3.1) in
//! the tab-separated shape of varfish-db-downloader: one row per gene and
//! phenotype, the version in which the gene joined the list, and what to
//! report. The list's version is the one its file name states
//! (`acmg_sf_v3.1.tsv`, as ACMG publishes it), else the highest
//! `sf_list_version` (the list cannot be older than its newest gene; an
//! excerpt of old genes under a v3.1 name is still v3.1).

use std::collections::BTreeMap;
use std::path::Path;

use crate::civic::column_diff;
use crate::error::{KnowledgeError, Location, Result};
use crate::source::{KbKind, KnowledgeBase, combine, read_all};

/// Mode of inheritance as the list gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Inheritance {
    AutosomalDominant,
    AutosomalRecessive,
    XLinked,
}

/// Which variants of the gene are reported.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReportRule {
    /// All P and LP (and for X-linked: hemizygous, heterozygous, homozygous).
    AllPathogenic,
    /// P and LP, two variants (recessive: biallelic only).
    Biallelic,
    /// A narrower rule given as text (`P and LP (truncating variants only)`,
    /// `p.C282Y homozygotes only`): the finding is flagged for review.
    Restricted(String),
}

/// One row of the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AcmgGene {
    pub hgnc_id: String,
    pub gene: String,
    pub phenotype: String,
    pub category: String,
    pub inheritance: Inheritance,
    /// The list version in which the gene was added (`3.1`).
    pub added_in: String,
    pub report: ReportRule,
}

/// A loaded list.
#[derive(Clone, Debug)]
pub struct AcmgSfList {
    pub kb: KnowledgeBase,
    by_gene: BTreeMap<String, Vec<AcmgGene>>,
}

impl AcmgSfList {
    /// Rows of a gene (one per phenotype), by symbol.
    pub fn gene(&self, symbol: &str) -> &[AcmgGene] {
        self.by_gene.get(symbol).map(Vec::as_slice).unwrap_or(&[])
    }
    pub fn genes(&self) -> impl Iterator<Item = &str> {
        self.by_gene.keys().map(String::as_str)
    }
    pub fn rows(&self) -> impl Iterator<Item = &AcmgGene> {
        self.by_gene.values().flatten()
    }
}

pub const ACMG_COLUMNS: [&str; 11] = [
    "hgnc_id",
    "ensembl_gene_id",
    "ncbi_gene_id",
    "gene_symbol",
    "mim_gene_id",
    "disease_phenotype",
    "disorder_mim",
    "phenotype_category",
    "inheritance",
    "sf_list_version",
    "variants_to_report",
];

/// Loads the list; another header is refused naming both.
pub fn load_acmg_sf(path: &Path) -> Result<AcmgSfList> {
    let l = read_all(path)?;
    let text = String::from_utf8_lossy(&l.bytes);
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, s)| !s.trim().is_empty());
    let (_, header) = lines.next().expect("read_all refuses blank files");
    let header: Vec<&str> = header.trim_end_matches('\r').split('\t').collect();
    if header != ACMG_COLUMNS {
        return Err(KnowledgeError::Shape {
            path: path.to_path_buf(),
            at: Location::Line(1),
            expected: format!("ACMG SF header: {}", ACMG_COLUMNS.join(",")),
            found: column_diff(&ACMG_COLUMNS, &header),
        });
    }
    let mut by_gene: BTreeMap<String, Vec<AcmgGene>> = BTreeMap::new();
    let mut version = String::new();
    for (i, line) in lines {
        let n = i as u64 + 1;
        let f: Vec<&str> = line
            .trim_end_matches('\r')
            .split('\t')
            .map(str::trim)
            .collect();
        let field = |name: &str, message: String| KnowledgeError::Field {
            path: path.to_path_buf(),
            at: Location::Line(n),
            field: name.to_string(),
            message,
        };
        if f.len() != ACMG_COLUMNS.len() {
            return Err(KnowledgeError::Shape {
                path: path.to_path_buf(),
                at: Location::Line(n),
                expected: format!("{} tab-separated fields", ACMG_COLUMNS.len()),
                found: format!("{}", f.len()),
            });
        }
        let inheritance = match f[8] {
            "AD" => Inheritance::AutosomalDominant,
            "AR" => Inheritance::AutosomalRecessive,
            "XL" => Inheritance::XLinked,
            other => {
                return Err(field(
                    "inheritance",
                    format!("expected AD, AR or XL, found {other:?}"),
                ));
            }
        };
        let added_in = f[9];
        if added_in
            .split('.')
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(field(
                "sf_list_version",
                format!("expected a version like 3.1, found {added_in:?}"),
            ));
        }
        if version_key(added_in) > version_key(&version) {
            version = added_in.to_string();
        }
        let report = match f[10] {
            "All P and LP" | "All hemi, het, homozygous P and LP" => ReportRule::AllPathogenic,
            "P and LP (2 variants)" => ReportRule::Biallelic,
            other => ReportRule::Restricted(other.to_string()),
        };
        if f[3].is_empty() {
            return Err(field("gene_symbol", "empty".into()));
        }
        by_gene.entry(f[3].to_string()).or_default().push(AcmgGene {
            hgnc_id: f[0].to_string(),
            gene: f[3].to_string(),
            phenotype: f[5].to_string(),
            category: f[7].to_string(),
            inheritance,
            added_in: added_in.to_string(),
            report,
        });
    }
    if by_gene.is_empty() {
        return Err(KnowledgeError::Empty {
            path: path.to_path_buf(),
        });
    }
    if let Some(named) = version_in_name(path)
        && version_key(&named) >= version_key(&version)
    {
        version = named;
    }
    Ok(AcmgSfList {
        kb: KnowledgeBase {
            kind: KbKind::AcmgSf,
            version,
            paths: vec![path.to_path_buf()],
            sha256: combine(&[l.sha256]),
        },
        by_gene,
    })
}

/// `…_v3.1.tsv`, `…-v3.2-…` → `3.1`, `3.2`.
fn version_in_name(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let i = name.rfind("_v").or_else(|| name.rfind("-v"))?;
    let v: String = name[i + 2..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let v = v.trim_end_matches('.').to_string();
    (v.contains('.') && !v.starts_with('.')).then_some(v)
}

fn version_key(v: &str) -> Vec<u32> {
    v.split('.').filter_map(|p| p.parse().ok()).collect()
}
