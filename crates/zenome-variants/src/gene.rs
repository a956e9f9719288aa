//! Gene coordinates for gene queries: gene symbol or gene id (with or
//! without its version) → the chromosome as the gene model spells it and
//! the gene's span (1-based, inclusive). The gene model itself — GFF3 or
//! GTF, plain or gzipped, Ensembl and GENCODE flavours — is read in one
//! place, `zenome_annotate::GeneModel` (noodles' readers); this index is
//! its genes by name. The caller maps the chromosome to the store's
//! spelling ([`crate::Store::resolve_chrom`]).

use std::collections::HashMap;
use std::io::{self, BufRead};
use std::path::{Path, PathBuf};

use zenome_annotate::{AnnotateError, CanonicalPolicy, GeneModel};

/// A gene model that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum GeneModelError {
    /// The file cannot be opened or read.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// A line is not a GFF3/GTF record.
    #[error("{path}: line {line}: {message}")]
    Line {
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        message: String,
    },
    /// No gene in the whole file.
    #[error("{path}: no gene records (type gene, or records with a gene_id)")]
    Empty { path: PathBuf },
}

impl From<AnnotateError> for GeneModelError {
    fn from(e: AnnotateError) -> Self {
        match e {
            AnnotateError::Io { path, source } => GeneModelError::Io { path, source },
            AnnotateError::GeneModelLine {
                path,
                line,
                message,
            } => GeneModelError::Line {
                path,
                line,
                message,
            },
            AnnotateError::EmptyGeneModel { path } => GeneModelError::Empty { path },
            other => GeneModelError::Io {
                path: PathBuf::new(),
                source: io::Error::other(other.to_string()),
            },
        }
    }
}

/// The two formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeneModelFormat {
    /// GFF3 (`key=value;` attributes).
    Gff3,
    /// GTF / GFF2 (`key "value";` attributes).
    Gtf,
}

/// Where one gene lies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneLocus {
    /// The gene id as in the file (`ENSG00000223972`, `ENSG00000223972.5`).
    pub id: String,
    /// The gene symbol (`gene_name`, or a gene record's `Name` in GFF3).
    pub symbol: Option<String>,
    /// The chromosome as the file spells it (`chr1`, `21`).
    pub chrom: String,
    /// First base (1-based).
    pub start: u32,
    /// Last base (inclusive).
    pub end: u32,
}

/// Genes by symbol and by id.
#[derive(Debug, Clone, Default)]
pub struct GeneIndex {
    genes: Vec<GeneLocus>,
    /// Upper-cased symbol, id, and id without version → genes.
    by_name: HashMap<String, Vec<usize>>,
}

impl GeneIndex {
    /// Reads a GFF3 or GTF file, gzipped or not; the format comes from the
    /// name (`.gtf`, `.gff3`, `.gff`, before `.gz`), else from the content.
    pub fn from_path(path: &Path) -> Result<Self, GeneModelError> {
        Self::from_model(
            &GeneModel::from_path(path, CanonicalPolicy::default())?,
            path,
        )
    }

    /// Reads a gene model in `format` from `reader` (`path` names it in errors).
    pub fn from_reader(
        reader: impl BufRead,
        format: GeneModelFormat,
        path: &Path,
    ) -> Result<Self, GeneModelError> {
        let model = GeneModel::from_reader(
            reader,
            format == GeneModelFormat::Gtf,
            path,
            CanonicalPolicy::default(),
        )?;
        Self::from_model(&model, path)
    }

    /// The genes of a gene model already read (the one the app annotates
    /// with), by name.
    pub fn from_model(model: &GeneModel, path: &Path) -> Result<Self, GeneModelError> {
        let mut index = GeneIndex::default();
        for g in model.genes() {
            index.genes.push(GeneLocus {
                id: g.id.clone(),
                symbol: g.symbol.clone(),
                chrom: g.chrom.clone(),
                start: g.start,
                end: g.end,
            });
        }
        if index.genes.is_empty() {
            return Err(GeneModelError::Empty {
                path: path.to_path_buf(),
            });
        }
        for (i, g) in index.genes.iter().enumerate() {
            let mut keys = vec![g.id.to_ascii_uppercase()];
            if let Some((bare, _)) = g.id.split_once('.') {
                keys.push(bare.to_ascii_uppercase());
            }
            if let Some(s) = &g.symbol {
                keys.push(s.to_ascii_uppercase());
            }
            keys.dedup();
            for k in keys {
                let v = index.by_name.entry(k).or_default();
                if !v.contains(&i) {
                    v.push(i);
                }
            }
        }
        Ok(index)
    }

    /// The genes named `name`: a symbol (case-insensitive), or a gene id
    /// with or without its version; several when a symbol is on more than
    /// one chromosome (PAR genes on X and Y).
    pub fn lookup(&self, name: &str) -> Vec<&GeneLocus> {
        let key = name.trim().to_ascii_uppercase();
        self.by_name
            .get(&key)
            .map(|v| v.iter().map(|&i| &self.genes[i]).collect())
            .unwrap_or_default()
    }

    /// How many genes the model holds.
    pub fn len(&self) -> usize {
        self.genes.len()
    }

    /// True when the model holds no gene (never, once read).
    pub fn is_empty(&self) -> bool {
        self.genes.is_empty()
    }

    /// Every gene, in file order.
    pub fn genes(&self) -> &[GeneLocus] {
        &self.genes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gencode_gff3_and_ensembl_gtf_lines_give_the_gene_span_by_symbol_and_id() {
        let gff = b"##gff-version 3\n\
chr1\tHAVANA\tgene\t11869\t14409\t.\t+\t.\tID=ENSG00000223972.5;gene_id=ENSG00000223972.5;gene_name=DDX11L1\n\
chr1\tHAVANA\texon\t11869\t12227\t.\t+\t.\tID=exon:1;Parent=ENST1;gene_id=ENSG00000223972.5;gene_name=DDX11L1\n\
\n";
        let g =
            GeneIndex::from_reader(&gff[..], GeneModelFormat::Gff3, Path::new("x.gff3")).unwrap();
        for name in ["DDX11L1", "ddx11l1", "ENSG00000223972", "ENSG00000223972.5"] {
            let hit = g.lookup(name);
            assert_eq!(hit.len(), 1, "{name}");
            assert_eq!(
                (hit[0].chrom.as_str(), hit[0].start, hit[0].end),
                ("chr1", 11869, 14409)
            );
        }
        let gtf = b"21\thavana\texon\t24043257\t24043336\t.\t+\t.\tgene_id \"ENSG00000226996\"; gene_name \"AP000477.3\"; tag \"x\";;\n\
21\thavana\ttranscript\t24043257\t24050286\t.\t+\t.\tgene_id \"ENSG00000226996\"; gene_name \"AP000477.3\";\n";
        let g = GeneIndex::from_reader(&gtf[..], GeneModelFormat::Gtf, Path::new("x.gtf")).unwrap();
        let hit = g.lookup("AP000477.3");
        assert_eq!((hit[0].start, hit[0].end), (24043257, 24050286));
        assert!(g.lookup("BRCA1").is_empty());
    }

    #[test]
    fn a_broken_line_is_named_and_an_empty_model_refused() {
        let gff = b"##gff-version 3\nchr1\tX\tgene\tabc\t14409\t.\t+\t.\tID=g1\n";
        let e = GeneIndex::from_reader(&gff[..], GeneModelFormat::Gff3, Path::new("m.gff3"))
            .unwrap_err();
        assert!(e.to_string().starts_with("m.gff3: line 2: "), "{e}");
        let e = GeneIndex::from_reader(
            &b"# nothing\n"[..],
            GeneModelFormat::Gtf,
            Path::new("m.gtf"),
        )
        .unwrap_err();
        assert!(matches!(e, GeneModelError::Empty { .. }), "{e}");
    }
}
