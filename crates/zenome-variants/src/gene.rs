//! Gene coordinates from a gene model given by path — GFF3 or GTF, plain or
//! gzipped, Ensembl and GENCODE flavours — read with noodles' GFF/GTF
//! readers: gene symbol or gene id (with or without its version) → the
//! chromosome as the file spells it and the gene's span (1-based,
//! inclusive). The caller maps the chromosome to the store's spelling
//! ([`crate::Store::resolve_chrom`]).

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use noodles::{gff, gtf};

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

/// One record's contribution: (chrom, start, end, gene id, symbol if the record names the gene).
type Contribution = (String, u32, u32, String, Option<String>);

impl GeneIndex {
    /// Reads a GFF3 or GTF file, gzipped or not; the format comes from the
    /// name (`.gtf`, `.gff3`, `.gff`, before `.gz`), else from the content.
    pub fn from_path(path: &Path) -> Result<Self, GeneModelError> {
        let io_err = |source| GeneModelError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut f = File::open(path).map_err(io_err)?;
        let mut magic = [0u8; 2];
        let gz = f.read_exact(&mut magic).is_ok() && magic == [0x1f, 0x8b];
        let f = File::open(path).map_err(io_err)?;
        let mut reader: Box<dyn BufRead> = if gz {
            Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(f)))
        } else {
            Box::new(BufReader::new(f))
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        let name = name.strip_suffix(".gz").unwrap_or(&name);
        let format = if name.ends_with(".gtf") || name.ends_with(".gff2") {
            Some(GeneModelFormat::Gtf)
        } else if name.ends_with(".gff3") || name.ends_with(".gff") {
            Some(GeneModelFormat::Gff3)
        } else {
            None
        };
        let format = match format {
            Some(f) => f,
            None => sniff(&mut reader).map_err(io_err)?,
        };
        Self::from_reader(reader, format, path)
    }

    /// Reads a gene model in `format` from `reader` (`path` names it in errors).
    pub fn from_reader(
        reader: impl BufRead,
        format: GeneModelFormat,
        path: &Path,
    ) -> Result<Self, GeneModelError> {
        let mut index = GeneIndex::default();
        let mut by_id: HashMap<String, usize> = HashMap::new();
        let mut add = |c: Contribution| {
            let (chrom, start, end, id, symbol) = c;
            match by_id.get(&id) {
                Some(&i) => {
                    let g: &mut GeneLocus = &mut index.genes[i];
                    if g.chrom == chrom {
                        g.start = g.start.min(start);
                        g.end = g.end.max(end);
                    }
                    if g.symbol.is_none() {
                        g.symbol = symbol;
                    }
                }
                None => {
                    by_id.insert(id.clone(), index.genes.len());
                    index.genes.push(GeneLocus {
                        id,
                        symbol,
                        chrom,
                        start,
                        end,
                    });
                }
            }
        };
        let line_err = |line: u64, message: String| GeneModelError::Line {
            path: path.to_path_buf(),
            line,
            message,
        };
        match format {
            GeneModelFormat::Gff3 => {
                let mut r = gff::io::Reader::new(reader);
                let mut line = gff::Line::default();
                let mut n = 0u64;
                loop {
                    let k = r
                        .read_line(&mut line)
                        .map_err(|e| line_err(n + 1, e.to_string()))?;
                    if k == 0 {
                        break;
                    }
                    n += 1;
                    if let Some(d) = line.as_directive()
                        && d.key() == "FASTA"
                    {
                        break;
                    }
                    let text: &[u8] = line.as_ref();
                    if text.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    let Some(rec) = line.as_record() else {
                        continue;
                    };
                    let rec = rec.map_err(|e| line_err(n, e.to_string()))?;
                    if let Some(c) = gff_contribution(&rec).map_err(|e| line_err(n, e))? {
                        add(c);
                    }
                }
            }
            GeneModelFormat::Gtf => {
                let mut r = gtf::io::Reader::new(reader);
                let mut line = gtf::Line::default();
                let mut n = 0u64;
                loop {
                    let k = r
                        .read_line(&mut line)
                        .map_err(|e| line_err(n + 1, e.to_string()))?;
                    if k == 0 {
                        break;
                    }
                    n += 1;
                    let text: &[u8] = line.as_ref();
                    if text.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    let Some(rec) = line.as_record() else {
                        continue;
                    };
                    let rec = rec.map_err(|e| line_err(n, e.to_string()))?;
                    if let Some(c) = gtf_contribution(&rec, text).map_err(|e| line_err(n, e))? {
                        add(c);
                    }
                }
            }
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

/// Guesses the format from the first record line (attributes with `"`: GTF).
fn sniff(reader: &mut Box<dyn BufRead>) -> io::Result<GeneModelFormat> {
    let buf = reader.fill_buf()?;
    let text = String::from_utf8_lossy(buf);
    for l in text.lines() {
        if l.starts_with("##gff-version 3") {
            return Ok(GeneModelFormat::Gff3);
        }
        if l.starts_with('#') || l.trim().is_empty() {
            continue;
        }
        let attrs = l.split('\t').nth(8).unwrap_or("");
        return Ok(if attrs.contains('"') {
            GeneModelFormat::Gtf
        } else {
            GeneModelFormat::Gff3
        });
    }
    Ok(GeneModelFormat::Gff3)
}

fn position(p: io::Result<noodles::core::Position>, what: &str) -> Result<u32, String> {
    let p = p.map_err(|e| format!("{what}: {e}"))?;
    u32::try_from(usize::from(p)).map_err(|_| format!("{what}: out of range"))
}

fn gff_contribution(rec: &gff::Record<'_>) -> Result<Option<Contribution>, String> {
    let attrs = rec.attributes();
    let get = |k: &[u8]| -> Result<Option<String>, String> {
        match attrs.get(k) {
            None => Ok(None),
            Some(Ok(v)) => {
                let s: &[u8] = v.as_ref().as_ref();
                Ok(Some(String::from_utf8_lossy(s).into_owned()))
            }
            Some(Err(e)) => Err(format!("attribute {}: {e}", String::from_utf8_lossy(k))),
        }
    };
    // a gene record: Ensembl `ID=gene:ENSG…` (its ncRNA_gene, pseudogene…
    // types also name transcripts, `ID=transcript:…`), GENCODE type `gene`
    let rec_id = get(b"ID")?;
    let gene_record = match &rec_id {
        Some(i) if i.starts_with("gene:") => true,
        Some(i) if i.contains(':') => false,
        _ => rec.ty().as_ref() as &[u8] == b"gene",
    };
    // GENCODE: gene_id on every record; Ensembl: on gene records only
    let id = match get(b"gene_id")? {
        Some(id) => id,
        None if gene_record => match rec_id {
            Some(id) => id.strip_prefix("gene:").unwrap_or(&id).to_string(),
            None => return Ok(None),
        },
        None => return Ok(None),
    };
    let symbol = match get(b"gene_name")? {
        Some(s) => Some(s),
        None if gene_record => get(b"Name")?,
        None => None,
    };
    let start = position(rec.start(), "start")?;
    let end = position(rec.end(), "end")?;
    let chrom = String::from_utf8_lossy(rec.reference_sequence_name().as_ref()).into_owned();
    Ok(Some((chrom, start, end, id, symbol)))
}

/// The attributes `gene_id` and `gene_name` of a GTF attribute column read
/// leniently: Ensembl writes an empty attribute (`…"mRNA_end_NF";;`) that
/// noodles refuses.
fn gtf_attributes_lenient(line: &[u8]) -> Result<(Option<String>, Option<String>), String> {
    let text = String::from_utf8_lossy(line);
    let col = text
        .split('\t')
        .nth(8)
        .ok_or_else(|| "attributes: missing column 9".to_string())?;
    let (mut id, mut name) = (None, None);
    for field in col.split(';').map(str::trim).filter(|f| !f.is_empty()) {
        let (k, v) = field
            .split_once(' ')
            .ok_or_else(|| format!("attributes: {field:?} is not KEY \"VALUE\""))?;
        let v = v.trim().trim_matches('"').to_string();
        match k {
            "gene_id" if id.is_none() => id = Some(v),
            "gene_name" if name.is_none() => name = Some(v),
            _ => {}
        }
    }
    Ok((id, name))
}

fn gtf_contribution(rec: &gtf::Record<'_>, line: &[u8]) -> Result<Option<Contribution>, String> {
    let (id, symbol) = match rec.attributes() {
        Ok(attrs) => {
            let get = |k: &[u8]| -> Result<Option<String>, String> {
                match attrs.get(k) {
                    None => Ok(None),
                    Some(Ok(v)) => Ok(v
                        .iter()
                        .next()
                        .map(|s| String::from_utf8_lossy(s.as_ref()).into_owned())),
                    Some(Err(e)) => Err(format!("attribute {}: {e}", String::from_utf8_lossy(k))),
                }
            };
            (get(b"gene_id")?, get(b"gene_name")?)
        }
        Err(_) => gtf_attributes_lenient(line)?,
    };
    let Some(id) = id else {
        return Ok(None);
    };
    let start = position(rec.start(), "start")?;
    let end = position(rec.end(), "end")?;
    let chrom = String::from_utf8_lossy(rec.reference_sequence_name().as_ref()).into_owned();
    Ok(Some((chrom, start, end, id, symbol)))
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
