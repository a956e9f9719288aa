//! Phenotype similarity over the Human Phenotype Ontology: each term's
//! ancestors, its information content from how many genes are annotated at
//! or below it, and the Resnik best-match average of a patient's terms
//! against a gene's.
//!
//! Why Resnik BMA: it is transparent (each patient term is explained by one
//! gene term and their most informative common ancestor, which the evidence
//! shows), needs only the ontology and the gene annotations (no disease
//! frequencies or a background model fitted elsewhere), and is what
//! Phenomizer and Exomiser's PhenIX use. The patient-to-gene direction is
//! used (each patient term finds its best match among the gene's), as a
//! gene with many annotations must not be penalised for terms the patient
//! lacks.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use zenome_clinical::Hpo;

use crate::error::PrioritiseError;

/// The root of phenotypic abnormalities.
const PHENOTYPIC_ABNORMALITY: &str = "HP:0000118";

/// Modes of inheritance a gene is annotated with (HPO's terms).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    AutosomalDominant,
    AutosomalRecessive,
    XLinkedDominant,
    XLinkedRecessive,
    XLinked,
    Mitochondrial,
}

impl Mode {
    fn from_hpo(id: &str) -> Option<Self> {
        Some(match id {
            "HP:0000006" => Self::AutosomalDominant,
            "HP:0000007" => Self::AutosomalRecessive,
            "HP:0001423" => Self::XLinkedDominant,
            "HP:0001419" => Self::XLinkedRecessive,
            "HP:0001417" => Self::XLinked,
            "HP:0001427" => Self::Mitochondrial,
            _ => return None,
        })
    }
}

/// The ontology indexed for similarity: terms by dense index, each with its
/// ancestors (itself included) and information content.
pub struct Ontology {
    hpo: Hpo,
    index: HashMap<String, u32>,
    ids: Vec<String>,
    names: Vec<String>,
    ancestors: Vec<Vec<u32>>,
    ic: Vec<f64>,
}

/// One gene's phenotype annotations.
#[derive(Debug, Clone, Default)]
pub struct GeneTerms {
    pub symbol: String,
    pub terms: Vec<u32>,
    pub modes: Vec<Mode>,
    /// The gene's terms with all their ancestors, as a bit set.
    closure: Vec<u64>,
}

/// The knowledge a ranking needs: the ontology and every gene's terms.
pub struct Knowledge {
    pub ontology: Ontology,
    pub genes: Vec<GeneTerms>,
    by_symbol: HashMap<String, usize>,
    /// The HPO release (`data-version`) and the annotation file's name.
    pub version: String,
}

/// A patient term matched to a gene term through their most informative
/// common ancestor.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TermMatch {
    pub patient_term: String,
    pub patient_label: String,
    pub gene_term: String,
    pub gene_label: String,
    pub common_ancestor: String,
    pub common_label: String,
    pub ic: f64,
}

impl Ontology {
    /// Indexes `hpo`: ancestors of every live term (obsolete ones are
    /// reached through their replacement).
    pub fn new(hpo: Hpo) -> Self {
        let mut index = HashMap::new();
        let mut ids = Vec::new();
        let mut names = Vec::new();
        for t in hpo.terms().filter(|t| !t.is_obsolete) {
            index.insert(t.id.clone(), ids.len() as u32);
            ids.push(t.id.clone());
            names.push(t.name.clone());
        }
        let parents: Vec<Vec<u32>> = ids
            .iter()
            .map(|id| {
                hpo.term(id)
                    .map(|t| {
                        t.is_a
                            .iter()
                            .filter_map(|p| hpo.term(p).and_then(|pt| index.get(&pt.id)).copied())
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .collect();
        let mut ancestors: Vec<Option<Vec<u32>>> = vec![None; ids.len()];
        fn closure(i: u32, parents: &[Vec<u32>], memo: &mut [Option<Vec<u32>>]) -> Vec<u32> {
            if let Some(a) = &memo[i as usize] {
                return a.clone();
            }
            // iterative DFS to avoid deep recursion on long chains
            let mut seen = vec![i];
            let mut stack = parents[i as usize].clone();
            while let Some(p) = stack.pop() {
                if !seen.contains(&p) {
                    seen.push(p);
                    if let Some(a) = &memo[p as usize] {
                        for x in a {
                            if !seen.contains(x) {
                                seen.push(*x);
                            }
                        }
                    } else {
                        stack.extend(parents[p as usize].iter().copied());
                    }
                }
            }
            seen.sort_unstable();
            seen.dedup();
            memo[i as usize] = Some(seen.clone());
            seen
        }
        for i in 0..ids.len() as u32 {
            closure(i, &parents, &mut ancestors);
        }
        let ancestors = ancestors
            .into_iter()
            .map(Option::unwrap_or_default)
            .collect();
        Self {
            hpo,
            index,
            ids,
            names,
            ancestors,
            ic: Vec::new(),
        }
    }

    /// The live term for `id`: an `alt_id` gives its primary term, an
    /// obsolete one its `replaced_by`; `Err` names what is wrong.
    pub fn resolve(&self, id: &str) -> Result<u32, PrioritiseError> {
        let Some(t) = self.hpo.term(id) else {
            return Err(PrioritiseError::UnknownTerm {
                id: id.into(),
                detail: "not in the ontology".into(),
            });
        };
        if t.is_obsolete {
            if let Some(r) = &t.replaced_by
                && let Some(&i) = self.hpo.term(r).and_then(|rt| self.index.get(&rt.id))
            {
                return Ok(i);
            }
            return Err(PrioritiseError::UnknownTerm {
                id: id.into(),
                detail: if t.consider.is_empty() {
                    "obsolete, with no replacement".into()
                } else {
                    format!("obsolete; consider {}", t.consider.join(", "))
                },
            });
        }
        self.index
            .get(&t.id)
            .copied()
            .ok_or_else(|| PrioritiseError::UnknownTerm {
                id: id.into(),
                detail: "not a live term".into(),
            })
    }

    pub fn id(&self, i: u32) -> &str {
        &self.ids[i as usize]
    }

    pub fn name(&self, i: u32) -> &str {
        &self.names[i as usize]
    }

    pub fn ancestors(&self, i: u32) -> &[u32] {
        &self.ancestors[i as usize]
    }

    pub fn ic(&self, i: u32) -> f64 {
        self.ic.get(i as usize).copied().unwrap_or(0.0)
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Whether `i` lies under "Phenotypic abnormality".
    fn is_phenotype(&self, i: u32) -> bool {
        self.index
            .get(PHENOTYPIC_ABNORMALITY)
            .is_some_and(|root| self.ancestors(i).binary_search(root).is_ok())
    }
}

impl Knowledge {
    /// Reads the ontology (`hp.obo`) and the gene annotations
    /// (`genes_to_phenotype.txt`, plain or gzipped: `ncbi_gene_id`,
    /// `gene_symbol`, `hpo_id`, …).
    pub fn load(hp_obo: &Path, genes_to_phenotype: &Path) -> Result<Self, PrioritiseError> {
        let io = |p: &Path| {
            let p = p.to_path_buf();
            move |e| PrioritiseError::Io { path: p, source: e }
        };
        let f = std::fs::File::open(hp_obo).map_err(io(hp_obo))?;
        let hpo = Hpo::from_obo(BufReader::new(f)).map_err(|e| PrioritiseError::Knowledge {
            path: hp_obo.into(),
            message: e.to_string(),
        })?;
        let version = format!(
            "{} + {}",
            hpo.data_version().unwrap_or("hp.obo"),
            genes_to_phenotype
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        );
        let ontology = Ontology::new(hpo);
        let mut f = std::fs::File::open(genes_to_phenotype).map_err(io(genes_to_phenotype))?;
        let mut magic = [0u8; 2];
        let gz = f.read(&mut magic).map_err(io(genes_to_phenotype))? == 2 && magic == [0x1f, 0x8b];
        let f = std::fs::File::open(genes_to_phenotype).map_err(io(genes_to_phenotype))?;
        let reader: Box<dyn BufRead> = if gz {
            Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(f)))
        } else {
            Box::new(BufReader::new(f))
        };
        Self::from_annotations(ontology, reader, genes_to_phenotype, version)
    }

    fn from_annotations(
        mut ontology: Ontology,
        reader: impl BufRead,
        path: &Path,
        version: String,
    ) -> Result<Self, PrioritiseError> {
        let mut genes: Vec<GeneTerms> = Vec::new();
        let mut by_symbol: HashMap<String, usize> = HashMap::new();
        let mut cols: Option<(usize, usize)> = None;
        for (n, line) in reader.lines().enumerate() {
            let line = line.map_err(|e| PrioritiseError::Io {
                path: path.into(),
                source: e,
            })?;
            let f: Vec<&str> = line.split('\t').collect();
            let Some((sym, hpo)) = cols else {
                let find = |name: &str| f.iter().position(|c| c.trim_start_matches('#') == name);
                match (find("gene_symbol"), find("hpo_id")) {
                    (Some(s), Some(h)) => cols = Some((s, h)),
                    _ => {
                        return Err(PrioritiseError::Knowledge {
                            path: path.into(),
                            message: format!(
                                "line {}: expected a header with gene_symbol and hpo_id (HPO's genes_to_phenotype.txt)",
                                n + 1
                            ),
                        });
                    }
                }
                continue;
            };
            let (Some(symbol), Some(id)) = (f.get(sym), f.get(hpo)) else {
                continue;
            };
            let g = *by_symbol.entry(symbol.to_string()).or_insert_with(|| {
                genes.push(GeneTerms {
                    symbol: symbol.to_string(),
                    ..GeneTerms::default()
                });
                genes.len() - 1
            });
            if let Some(m) = Mode::from_hpo(id) {
                if !genes[g].modes.contains(&m) {
                    genes[g].modes.push(m);
                }
                continue;
            }
            if let Ok(t) = ontology.resolve(id)
                && ontology.is_phenotype(t)
                && !genes[g].terms.contains(&t)
            {
                genes[g].terms.push(t);
            }
        }
        // information content: -ln(share of genes annotated at or below the term)
        let words = ontology.len().div_ceil(64);
        let mut counts = vec![0u32; ontology.len()];
        for g in &mut genes {
            let mut closure = vec![0u64; words];
            for &t in &g.terms {
                for &a in ontology.ancestors(t) {
                    closure[a as usize / 64] |= 1 << (a % 64);
                }
            }
            for (w, &bits) in closure.iter().enumerate() {
                let mut b = bits;
                while b != 0 {
                    let k = b.trailing_zeros() as usize;
                    counts[w * 64 + k] += 1;
                    b &= b - 1;
                }
            }
            g.closure = closure;
        }
        let total = genes.iter().filter(|g| !g.terms.is_empty()).count().max(1) as f64;
        ontology.ic = counts
            .iter()
            .map(|&c| {
                if c == 0 {
                    (total).ln()
                } else {
                    -(f64::from(c) / total).ln()
                }
            })
            .collect();
        if genes.iter().all(|g| g.terms.is_empty()) {
            return Err(PrioritiseError::Knowledge {
                path: path.into(),
                message: "no gene has a phenotype term of this ontology".into(),
            });
        }
        Ok(Self {
            ontology,
            genes,
            by_symbol,
            version,
        })
    }

    pub fn gene(&self, symbol: &str) -> Option<&GeneTerms> {
        self.by_symbol.get(symbol).map(|&i| &self.genes[i])
    }

    /// Resnik best-match average of the patient's terms against the gene's
    /// (patient → gene), normalised by the patient's own information (each
    /// term matched to itself) so 1 is a perfect match; with the best match
    /// of every patient term.
    pub fn similarity(&self, patient: &[u32], gene: &GeneTerms) -> (f64, Vec<TermMatch>) {
        if patient.is_empty() || gene.terms.is_empty() {
            return (0.0, Vec::new());
        }
        let o = &self.ontology;
        let has = |a: u32| gene.closure[a as usize / 64] >> (a % 64) & 1 == 1;
        let (mut sum, mut own) = (0.0, 0.0);
        let mut matches = Vec::new();
        for &p in patient {
            own += o.ic(p);
            let best = o
                .ancestors(p)
                .iter()
                .copied()
                .filter(|&a| has(a))
                .max_by(|&a, &b| o.ic(a).total_cmp(&o.ic(b)));
            let Some(a) = best else { continue };
            let ic = o.ic(a);
            sum += ic;
            if ic > 0.0 {
                // the gene term below the common ancestor that explains it
                let g = gene
                    .terms
                    .iter()
                    .copied()
                    .find(|&g| o.ancestors(g).binary_search(&a).is_ok())
                    .unwrap_or(a);
                matches.push(TermMatch {
                    patient_term: o.id(p).into(),
                    patient_label: o.name(p).into(),
                    gene_term: o.id(g).into(),
                    gene_label: o.name(g).into(),
                    common_ancestor: o.id(a).into(),
                    common_label: o.name(a).into(),
                    ic,
                });
            }
        }
        matches.sort_by(|a, b| b.ic.total_cmp(&a.ic));
        let score = if own > 0.0 { sum / own } else { 0.0 };
        (score, matches)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OBO: &str = "format-version: 1.2\ndata-version: hp/releases/test\n\n\
[Term]\nid: HP:0000001\nname: All\n\n\
[Term]\nid: HP:0000118\nname: Phenotypic abnormality\nis_a: HP:0000001\n\n\
[Term]\nid: HP:0000006\nname: Autosomal dominant inheritance\nis_a: HP:0000001\n\n\
[Term]\nid: HP:0000707\nname: Abnormality of the nervous system\nis_a: HP:0000118\n\n\
[Term]\nid: HP:0001250\nname: Seizure\nis_a: HP:0000707\n\n\
[Term]\nid: HP:0002373\nname: Febrile seizure\nis_a: HP:0001250\n\n\
[Term]\nid: HP:0000478\nname: Abnormality of the eye\nis_a: HP:0000118\n\n\
[Term]\nid: HP:0000518\nname: Cataract\nis_a: HP:0000478\n\n\
[Term]\nid: HP:0000999\nname: obsolete Fits\nis_obsolete: true\nreplaced_by: HP:0001250\n\n\
[Term]\nid: HP:0000998\nname: obsolete Thing\nis_obsolete: true\nconsider: HP:0000518\n";

    const G2P: &str = "ncbi_gene_id\tgene_symbol\thpo_id\thpo_name\tfrequency\tdisease_id\n\
1\tSCN1A\tHP:0002373\tFebrile seizure\t-\tOMIM:1\n\
1\tSCN1A\tHP:0000006\tAD\t-\tOMIM:1\n\
2\tCRYAA\tHP:0000518\tCataract\t-\tOMIM:2\n\
3\tKCNQ2\tHP:0001250\tSeizure\t-\tOMIM:3\n";

    fn knowledge() -> Knowledge {
        let o = Ontology::new(Hpo::from_obo(OBO.as_bytes()).unwrap());
        Knowledge::from_annotations(o, G2P.as_bytes(), Path::new("g2p"), "test".into()).unwrap()
    }

    #[test]
    fn resnik_prefers_the_gene_sharing_the_most_specific_ancestor() {
        let k = knowledge();
        let o = &k.ontology;
        let febrile = o.resolve("HP:0002373").unwrap();
        let scn1a = k.gene("SCN1A").unwrap();
        let kcnq2 = k.gene("KCNQ2").unwrap();
        let cryaa = k.gene("CRYAA").unwrap();
        let (a, m) = k.similarity(&[febrile], scn1a);
        let (b, _) = k.similarity(&[febrile], kcnq2);
        let (c, _) = k.similarity(&[febrile], cryaa);
        assert!((a - 1.0).abs() < 1e-9, "{a}");
        assert!(a > b && b > c, "{a} {b} {c}");
        assert_eq!(m[0].common_ancestor, "HP:0002373");
        // IC: seizures are annotated to 2 of 3 genes, febrile seizure to 1
        assert!((o.ic(o.resolve("HP:0001250").unwrap()) - (1.5f64).ln()).abs() < 1e-9);
        assert_eq!(scn1a.modes, [Mode::AutosomalDominant]);
    }

    #[test]
    fn obsolete_terms_are_replaced_or_named() {
        let k = knowledge();
        let o = &k.ontology;
        assert_eq!(
            o.resolve("HP:0000999").unwrap(),
            o.resolve("HP:0001250").unwrap()
        );
        let e = o.resolve("HP:0000998").unwrap_err().to_string();
        assert!(
            e.contains("HP:0000998") && e.contains("consider HP:0000518"),
            "{e}"
        );
        let e = o.resolve("HP:9999999").unwrap_err().to_string();
        assert!(
            e.contains("HP:9999999") && e.contains("not in the ontology"),
            "{e}"
        );
    }
}
