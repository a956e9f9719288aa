//! Cancer hotspots (Chang et al. 2016, 2018; cancerhotspots.org): v1 (five
//! columns after a licence line, CR line endings) and v2 (41 columns, CR line
//! endings, splice-site rows). Each row is one residue and one alternate
//! amino acid, with the tumour types it was seen in (OncoTree / TCGA codes).

use std::path::Path;

use crate::civic::column_diff;
use crate::error::{KnowledgeError, Location, Result};
use crate::protein::AminoAcid;
use crate::source::{KbKind, KnowledgeBase, combine, read_all};

/// Which release a hotspots file is, told by its shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HotspotsVersion {
    V1,
    V2,
}

/// What the tumour-type counts of a row count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Composition {
    /// Samples with this very amino-acid change (v1 `Tumor_Type_Composition`).
    Allele,
    /// Samples with any hotspot change of the residue (v2
    /// `Detailed_Cancer_Types`, `type:samples:mutated`).
    Residue,
}

/// Samples of one tumour type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TumourTypeCount {
    /// Upper-case code (`SKCM`, `LUAD`).
    pub code: String,
    pub mutated: u32,
}

/// One hotspot allele.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Hotspot {
    pub gene: String,
    pub position: u32,
    /// `None` for a splice-site hotspot (v2 `X187_splice`).
    pub reference: Option<AminoAcid>,
    pub alternate: Option<AminoAcid>,
    /// Samples with this alternate (v2), when given.
    pub allele_count: Option<u32>,
    pub composition: Composition,
    pub tumour_types: Vec<TumourTypeCount>,
}

/// A loaded hotspots release.
#[derive(Clone, Debug)]
pub struct HotspotSet {
    pub kb: KnowledgeBase,
    pub release: HotspotsVersion,
    pub hotspots: Vec<Hotspot>,
}

const V1_COLUMNS: [&str; 5] = [
    "Hugo_Symbol",
    "Reference_Amino_Acid",
    "Amino_Acid_Position",
    "Variant_Amino_Acid",
    "Tumor_Type_Composition",
];

const V2_COLUMNS: [&str; 39] = [
    "Hugo_Symbol",
    "Amino_Acid_Position",
    "log10_pvalue",
    "Mutation_Count",
    "Reference_Amino_Acid",
    "Total_Mutations_in_Gene",
    "Median_Allele_Freq_Rank",
    "Allele_Freq_Rank",
    "Variant_Amino_Acid",
    "Codon_Change",
    "Genomic_Position",
    "Detailed_Cancer_Types",
    "Organ_Types",
    "Tri-nucleotides",
    "Mutability",
    "mu_protein",
    "Total_Samples",
    "Analysis_Type",
    "qvalue",
    "tm",
    "qvalue_pancan",
    "Is_repeat",
    "seq",
    "length",
    "align100",
    "pad12entropy",
    "pad24entropy",
    "pad36entropy",
    "TP",
    "reason",
    "n_MSK",
    "n_Retro",
    "judgement",
    "inNBT",
    "inOncokb",
    "ref",
    "qvaluect",
    "ct",
    "Samples",
];

/// Lines split on CR, LF or CRLF, numbered from 1.
fn lines(text: &str) -> impl Iterator<Item = (u64, &str)> {
    text.split(['\r', '\n'])
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(i, l)| (i as u64 + 1, l))
}

fn fields(line: &str) -> Vec<&str> {
    // v2 quotes a few fields ("pancan,lung"); none contains a tab
    line.split('\t').map(|f| f.trim_matches('"')).collect()
}

/// `skcm:214|thca:237` (v1) or `skcm:787:355|…` (v2, the last number is the
/// mutated count).
fn composition(s: &str) -> Option<Vec<TumourTypeCount>> {
    s.split('|')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut it = p.split(':');
            let code = it.next()?.trim().to_ascii_uppercase();
            let mutated = it.next_back()?.trim().parse().ok()?;
            (!code.is_empty()).then_some(TumourTypeCount { code, mutated })
        })
        .collect()
}

/// Loads cancer hotspots v1 or v2, told apart by their header. Line numbers
/// in errors count non-empty lines.
pub fn load_hotspots(path: &Path) -> Result<HotspotSet> {
    let l = read_all(path)?;
    let text = std::str::from_utf8(&l.bytes).map_err(|e| KnowledgeError::Shape {
        path: path.to_path_buf(),
        at: Location::File,
        expected: "UTF-8 text".into(),
        found: format!("invalid UTF-8 at byte {}", e.valid_up_to()),
    })?;
    let all: Vec<(u64, &str)> = lines(text).collect();
    // v1 starts with a licence line
    let header_at = all
        .iter()
        .position(|(_, l)| l.starts_with("Hugo_Symbol\t"))
        .filter(|&i| i <= 1)
        .unwrap_or(0);
    let (hn, header_line) = all[header_at];
    let header: Vec<&str> = fields(header_line)
        .into_iter()
        .filter(|f| !f.is_empty())
        .collect();
    let release = if header == V1_COLUMNS {
        HotspotsVersion::V1
    } else if header == V2_COLUMNS {
        HotspotsVersion::V2
    } else {
        let (name, want): (&str, &[&str]) = if header.len() > 10 {
            ("v2", &V2_COLUMNS)
        } else {
            ("v1", &V1_COLUMNS)
        };
        return Err(KnowledgeError::Shape {
            path: path.to_path_buf(),
            at: Location::Line(hn),
            expected: format!("cancer hotspots {name} header: {}", want.join(",")),
            found: column_diff(want, &header),
        });
    };
    let mut hotspots = Vec::new();
    for &(n, line) in &all[header_at + 1..] {
        let f = fields(line);
        let field = |name: &str, message: String| KnowledgeError::Field {
            path: path.to_path_buf(),
            at: Location::Line(n),
            field: name.to_string(),
            message,
        };
        let need = header.len();
        if f.len() < need {
            return Err(KnowledgeError::Shape {
                path: path.to_path_buf(),
                at: Location::Line(n),
                expected: format!("{need} tab-separated fields"),
                found: format!("{}", f.len()),
            });
        }
        let at = |name: &str| {
            f[header
                .iter()
                .position(|h| *h == name)
                .expect("known column")]
        };
        let gene = at("Hugo_Symbol").to_string();
        let pos_text = at("Amino_Acid_Position");
        let aa = |name: &str, s: &str| {
            let c = s.split(':').next().unwrap_or("");
            let mut ch = c.chars();
            match (ch.next(), ch.next()) {
                (Some(x), None) => AminoAcid::from_one(x)
                    .ok_or_else(|| field(name, format!("expected an amino acid, found {s:?}"))),
                _ => Err(field(name, format!("expected an amino acid, found {s:?}"))),
            }
        };
        let hs = match release {
            HotspotsVersion::V1 => Hotspot {
                gene,
                position: pos_text.parse().map_err(|_| {
                    field(
                        "Amino_Acid_Position",
                        format!("expected a number, found {pos_text:?}"),
                    )
                })?,
                reference: Some(aa("Reference_Amino_Acid", at("Reference_Amino_Acid"))?),
                alternate: Some(aa("Variant_Amino_Acid", at("Variant_Amino_Acid"))?),
                allele_count: None,
                composition: Composition::Allele,
                tumour_types: composition(at("Tumor_Type_Composition")).ok_or_else(|| {
                    field(
                        "Tumor_Type_Composition",
                        format!(
                            "expected type:count|…, found {:?}",
                            at("Tumor_Type_Composition")
                        ),
                    )
                })?,
            },
            HotspotsVersion::V2 => {
                let splice = pos_text.ends_with("_splice");
                let digits = pos_text.trim_start_matches('X').trim_end_matches("_splice");
                let position = digits.parse().map_err(|_| {
                    field(
                        "Amino_Acid_Position",
                        format!("expected a number or X<n>_splice, found {pos_text:?}"),
                    )
                })?;
                let variant = at("Variant_Amino_Acid");
                Hotspot {
                    gene,
                    position,
                    reference: if splice {
                        None
                    } else {
                        Some(aa("Reference_Amino_Acid", at("Reference_Amino_Acid"))?)
                    },
                    alternate: if splice {
                        None
                    } else {
                        Some(aa("Variant_Amino_Acid", variant)?)
                    },
                    allele_count: variant.split(':').nth(1).and_then(|c| c.parse().ok()),
                    composition: Composition::Residue,
                    tumour_types: composition(at("Detailed_Cancer_Types")).unwrap_or_default(),
                }
            }
        };
        hotspots.push(hs);
    }
    if hotspots.is_empty() {
        return Err(KnowledgeError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(HotspotSet {
        kb: KnowledgeBase {
            kind: KbKind::CancerHotspots,
            version: match release {
                HotspotsVersion::V1 => "v1".into(),
                HotspotsVersion::V2 => "v2".into(),
            },
            paths: vec![path.to_path_buf()],
            sha256: combine(&[l.sha256]),
        },
        release,
        hotspots,
    })
}
