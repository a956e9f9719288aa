//! Cancer sites and disease terms: ICD-O-3 topography and morphology codes
//! from the clinical record, the map from them to the disease terms knowledge
//! bases use (Disease Ontology ids as in CIViC, OncoTree/TCGA codes as in
//! cancer hotspots), and obsolete terms with their replacements. The shipped
//! tables are `data/disease_map.tsv` and `data/obsolete_terms.tsv`
//! (provenance in `data/README.md`); a caller may load its own.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use crate::error::{KnowledgeError, Location, Result};

/// An ICD-O-3 topography code: `C` + two digits, optionally `.` + one digit
/// (`C34`, `C34.1`). Stored without the dot.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Topography(String);

impl Topography {
    pub fn parse(s: &str) -> Result<Self> {
        let t = s.trim().to_ascii_uppercase().replace('.', "");
        let ok = t.len() == 3 || t.len() == 4;
        if ok && t.starts_with('C') && t[1..].bytes().all(|b| b.is_ascii_digit()) {
            Ok(Topography(t))
        } else {
            Err(KnowledgeError::Value {
                what: "ICD-O-3 topography",
                value: s.to_string(),
                expected: "C followed by two digits and an optional .digit, e.g. C34.1",
            })
        }
    }

    /// The three-character group (`C34`).
    pub fn group(&self) -> &str {
        &self.0[..3]
    }

    fn starts_with(&self, prefix: &Topography) -> bool {
        self.0.starts_with(&prefix.0)
    }
}

impl fmt::Display for Topography {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.len() == 4 {
            write!(f, "{}.{}", &self.0[..3], &self.0[3..])
        } else {
            f.write_str(&self.0)
        }
    }
}

/// An ICD-O-3 morphology code: four-digit histology and a behaviour digit
/// (`8140/3`). The behaviour may be omitted (`8140`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Morphology {
    pub histology: u16,
    pub behaviour: Option<u8>,
}

impl Morphology {
    pub fn parse(s: &str) -> Result<Self> {
        let err = || KnowledgeError::Value {
            what: "ICD-O-3 morphology",
            value: s.to_string(),
            expected: "four digits and an optional /behaviour digit, e.g. 8140/3",
        };
        let (h, b) = match s.trim().split_once('/') {
            Some((h, b)) => (h, Some(b)),
            None => (s.trim(), None),
        };
        if h.len() != 4 || !h.bytes().all(|c| c.is_ascii_digit()) {
            return Err(err());
        }
        let behaviour = match b {
            Some(b) if b.len() == 1 && b.as_bytes()[0].is_ascii_digit() => {
                Some(b.as_bytes()[0] - b'0')
            }
            Some(_) => return Err(err()),
            None => None,
        };
        Ok(Morphology {
            histology: h.parse().map_err(|_| err())?,
            behaviour,
        })
    }
}

impl fmt::Display for Morphology {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.histology)?;
        if let Some(b) = self.behaviour {
            write!(f, "/{b}")?;
        }
        Ok(())
    }
}

/// Where the patient's cancer is, from the clinical record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CancerSite {
    pub topography: Topography,
    pub morphology: Option<Morphology>,
}

/// A disease term as a knowledge base names it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DiseaseTerm {
    /// `DOID:3908`, or an OncoTree code for hotspots; `None` when the source
    /// gives a name only.
    pub id: Option<String>,
    pub name: String,
}

/// One row of the disease map: which sites it covers and which terms a
/// patient with such a site has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiseaseMapRow {
    pub topography: Option<Topography>,
    /// Inclusive histology range; `None` = any morphology.
    pub morphology: Option<(u16, u16)>,
    pub label: String,
    pub doids: Vec<DiseaseTerm>,
    /// Upper-case codes.
    pub oncotree: Vec<String>,
}

/// The terms a patient's cancer site maps to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PatientDisease {
    pub label: String,
    /// Disease Ontology ids (`DOID:3908`).
    pub doids: Vec<String>,
    /// Upper-case OncoTree / hotspot codes.
    pub oncotree: Vec<String>,
    /// Obsolete terms in the map replaced on the way.
    pub replaced: Vec<Replacement>,
}

impl PatientDisease {
    pub fn has_doid(&self, doid: &str) -> bool {
        self.doids.iter().any(|d| d == doid)
    }
    pub fn has_oncotree(&self, code: &str) -> bool {
        self.oncotree.iter().any(|c| c.eq_ignore_ascii_case(code))
    }
}

/// An obsolete term met and the term used instead.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Replacement {
    pub system: TermSystem,
    pub obsolete: String,
    pub replacement: String,
    pub replacement_name: String,
    pub source: String,
}

/// Which terminology a term belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TermSystem {
    Doid,
    OncoTree,
}

/// Obsolete disease terms and their replacements.
#[derive(Clone, Debug, Default)]
pub struct ObsoleteTerms {
    by_term: BTreeMap<(TermSystem, String), Replacement>,
}

const OBSOLETE_HEADER: &str = "system\tobsolete\treplacement\treplacement_name\tsource";
const MAP_HEADER: &str = "topography\tmorphology\tlabel\tdoids\tdoid_names\toncotree";

/// Non-comment lines of a small TSV with their 1-based line numbers, the
/// first being checked against `header`.
fn table<'a>(path: &Path, text: &'a str, header: &str) -> Result<Vec<(u64, Vec<&'a str>)>> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i as u64 + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.starts_with('#') && !l.trim().is_empty());
    let Some((n, first)) = lines.next() else {
        return Err(KnowledgeError::Empty {
            path: path.to_path_buf(),
        });
    };
    if first != header {
        return Err(KnowledgeError::Shape {
            path: path.to_path_buf(),
            at: Location::Line(n),
            expected: format!("header {:?}", header.replace('\t', ",")),
            found: format!("{:?}", first.replace('\t', ",")),
        });
    }
    let width = header.split('\t').count();
    lines
        .map(|(n, l)| {
            let f: Vec<&str> = l.split('\t').collect();
            if f.len() != width {
                return Err(KnowledgeError::Shape {
                    path: path.to_path_buf(),
                    at: Location::Line(n),
                    expected: format!("{width} tab-separated fields"),
                    found: format!("{}", f.len()),
                });
            }
            Ok((n, f))
        })
        .collect()
}

impl ObsoleteTerms {
    /// The table shipped with the crate.
    pub fn shipped() -> Self {
        Self::parse(
            Path::new("data/obsolete_terms.tsv"),
            include_str!("../data/obsolete_terms.tsv"),
        )
        .expect("shipped obsolete-terms table is valid")
    }

    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(crate::source::io_err(path))?;
        Self::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Self> {
        let mut by_term = BTreeMap::new();
        for (n, f) in table(path, text, OBSOLETE_HEADER)? {
            let system = match f[0] {
                "DOID" => TermSystem::Doid,
                "ONCOTREE" => TermSystem::OncoTree,
                other => {
                    return Err(KnowledgeError::Field {
                        path: path.to_path_buf(),
                        at: Location::Line(n),
                        field: "system".into(),
                        message: format!("expected DOID or ONCOTREE, found {other:?}"),
                    });
                }
            };
            let key = normalise(system, f[1]);
            by_term.insert(
                (system, key.clone()),
                Replacement {
                    system,
                    obsolete: key,
                    replacement: normalise(system, f[2]),
                    replacement_name: f[3].to_string(),
                    source: f[4].to_string(),
                },
            );
        }
        Ok(Self { by_term })
    }

    /// The replacement of a term if it is obsolete (followed to the end of a
    /// chain of replacements).
    pub fn replacement(&self, system: TermSystem, term: &str) -> Option<&Replacement> {
        let mut r = self.by_term.get(&(system, normalise(system, term)))?;
        for _ in 0..8 {
            match self.by_term.get(&(system, r.replacement.clone())) {
                Some(next) => r = next,
                None => break,
            }
        }
        Some(r)
    }
}

/// `3908` and `doid:3908` → `DOID:3908`; OncoTree codes upper-case.
pub fn normalise(system: TermSystem, term: &str) -> String {
    let t = term.trim();
    match system {
        TermSystem::Doid => {
            let bare = t
                .strip_prefix("DOID:")
                .or_else(|| t.strip_prefix("doid:"))
                .unwrap_or(t);
            format!("DOID:{bare}")
        }
        TermSystem::OncoTree => t.to_ascii_uppercase(),
    }
}

/// The map from cancer sites to knowledge-base disease terms.
#[derive(Clone, Debug)]
pub struct DiseaseMap {
    rows: Vec<DiseaseMapRow>,
    obsolete: ObsoleteTerms,
}

impl DiseaseMap {
    /// The map and obsolete-term table shipped with the crate.
    pub fn shipped() -> Self {
        Self::parse(
            Path::new("data/disease_map.tsv"),
            include_str!("../data/disease_map.tsv"),
            ObsoleteTerms::shipped(),
        )
        .expect("shipped disease map is valid")
    }

    pub fn load(path: &Path, obsolete: ObsoleteTerms) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(crate::source::io_err(path))?;
        Self::parse(path, &text, obsolete)
    }

    pub fn parse(path: &Path, text: &str, obsolete: ObsoleteTerms) -> Result<Self> {
        let field = |n: u64, name: &str, message: String| KnowledgeError::Field {
            path: path.to_path_buf(),
            at: Location::Line(n),
            field: name.to_string(),
            message,
        };
        let mut rows = Vec::new();
        for (n, f) in table(path, text, MAP_HEADER)? {
            let topography = match f[0] {
                "*" => None,
                t => Some(Topography::parse(t).map_err(|e| field(n, "topography", e.to_string()))?),
            };
            let morphology = match f[1] {
                "*" => None,
                m => {
                    let (a, b) = m.split_once('-').unwrap_or((m, m));
                    let parse = |s: &str| {
                        Morphology::parse(s)
                            .map(|m| m.histology)
                            .map_err(|e| field(n, "morphology", e.to_string()))
                    };
                    Some((parse(a)?, parse(b)?))
                }
            };
            let ids: Vec<&str> = f[3].split(';').filter(|s| !s.is_empty()).collect();
            let names: Vec<&str> = f[4].split(';').collect();
            if ids.is_empty() || ids.len() != names.len() {
                return Err(field(
                    n,
                    "doids",
                    format!(
                        "expected as many names as ids, found {} ids and {} names",
                        ids.len(),
                        names.len()
                    ),
                ));
            }
            rows.push(DiseaseMapRow {
                topography,
                morphology,
                label: f[2].to_string(),
                doids: ids
                    .iter()
                    .zip(&names)
                    .map(|(i, nm)| DiseaseTerm {
                        id: Some(normalise(TermSystem::Doid, i)),
                        name: nm.to_string(),
                    })
                    .collect(),
                oncotree: f[5]
                    .split(';')
                    .filter(|s| !s.is_empty())
                    .map(|s| normalise(TermSystem::OncoTree, s))
                    .collect(),
            });
        }
        Ok(Self { rows, obsolete })
    }

    pub fn obsolete(&self) -> &ObsoleteTerms {
        &self.obsolete
    }

    pub fn rows(&self) -> &[DiseaseMapRow] {
        &self.rows
    }

    /// The most specific row covering the site (a row naming the
    /// morphology beats one that does not, so GIST of the stomach is GIST;
    /// then a longer topography beats a shorter one or `*`; then a narrower
    /// morphology range beats a wider one), with obsolete terms replaced. `None` if no row covers it.
    pub fn resolve(&self, site: &CancerSite) -> Option<PatientDisease> {
        let hist = site.morphology.map(|m| m.histology);
        let row = self
            .rows
            .iter()
            .filter(|r| {
                r.topography
                    .as_ref()
                    .is_none_or(|t| site.topography.starts_with(t))
            })
            .filter(|r| match (r.morphology, hist) {
                (None, _) => true,
                (Some((a, b)), Some(h)) => a <= h && h <= b,
                (Some(_), None) => false,
            })
            .max_by_key(|r| {
                (
                    r.morphology.is_some(),
                    r.topography.as_ref().map_or(0, |t| t.0.len()),
                    r.morphology.map_or(0, |(a, b)| 10_000 - (b - a) as u32),
                )
            })?;
        let mut out = PatientDisease {
            label: row.label.clone(),
            ..Default::default()
        };
        for d in &row.doids {
            let id = d.id.clone().unwrap_or_default();
            match self.obsolete.replacement(TermSystem::Doid, &id) {
                Some(r) => {
                    out.doids.push(r.replacement.clone());
                    out.replaced.push(r.clone());
                }
                None => out.doids.push(id),
            }
        }
        for c in &row.oncotree {
            match self.obsolete.replacement(TermSystem::OncoTree, c) {
                Some(r) => {
                    out.oncotree.push(r.replacement.clone());
                    out.replaced.push(r.clone());
                }
                None => out.oncotree.push(c.clone()),
            }
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(t: &str, m: Option<&str>) -> CancerSite {
        CancerSite {
            topography: Topography::parse(t).unwrap(),
            morphology: m.map(|m| Morphology::parse(m).unwrap()),
        }
    }

    #[test]
    fn codes_parse_and_refuse() {
        assert_eq!(Topography::parse("C34.1").unwrap().to_string(), "C34.1");
        assert_eq!(Topography::parse("c34").unwrap().group(), "C34");
        for bad in ["34.1", "C3", "C34.12", "Ｃ34.1", ""] {
            assert!(Topography::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Morphology::parse("8140/3").unwrap().to_string(), "8140/3");
        for bad in ["814", "8140/33", "8140/x", "８１４０/3"] {
            assert!(Morphology::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn most_specific_row_wins() {
        let map = DiseaseMap::shipped();
        let luad = map.resolve(&site("C34.1", Some("8140/3"))).unwrap();
        assert_eq!(luad.doids[0], "DOID:3910");
        assert!(luad.has_doid("DOID:3908") && luad.has_oncotree("luad"));
        let lung = map.resolve(&site("C34.1", None)).unwrap();
        assert_eq!(lung.doids, ["DOID:1324"]);
        let gist = map.resolve(&site("C16.2", Some("8936/3"))).unwrap();
        assert_eq!(gist.doids, ["DOID:9253"]);
        let mel = map.resolve(&site("C44.5", Some("8720/3"))).unwrap();
        assert!(mel.has_oncotree("SKCM"));
        assert!(map.resolve(&site("C80.9", None)).is_none());
    }

    #[test]
    fn obsolete_term_in_map_is_replaced_and_reported() {
        let text = format!(
            "{MAP_HEADER}\nC73\t*\tanaplastic\tDOID:7012\tanaplastic thyroid cancer\tLEUK\n"
        );
        let map = DiseaseMap::parse(Path::new("t.tsv"), &text, ObsoleteTerms::shipped()).unwrap();
        let d = map.resolve(&site("C73.9", None)).unwrap();
        assert_eq!(d.doids, ["DOID:0080522"]);
        assert_eq!(d.oncotree, ["MNM"]);
        assert_eq!(d.replaced.len(), 2);
        assert_eq!(d.replaced[0].obsolete, "DOID:7012");
    }

    #[test]
    fn wrong_header_names_both() {
        let err = DiseaseMap::parse(Path::new("m.tsv"), "site\tdoid\n", ObsoleteTerms::default())
            .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("topography,morphology") && msg.contains("site,doid"),
            "{msg}"
        );
    }
}
