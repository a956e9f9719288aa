//! The transcript model: every transcript of a GFF3 or GTF gene model
//! (Ensembl and GENCODE flavours; gzipped or plain; records in any order)
//! with its gene, biotype, strand, exons and coding region, and an overlap
//! index per chromosome. Built once per file; lookups allocate nothing.
//!
//! What each flavour contributes:
//! - GFF3 (Ensembl): `gene`/`ncRNA_gene`… records `ID=gene:ENSG…;Name=SYMBOL;biotype=…`,
//!   transcripts `ID=transcript:ENST…;Parent=gene:…;biotype=…;version=…;tag=basic,Ensembl_canonical,MANE_Select`,
//!   exons/CDS/UTRs with `Parent=transcript:…`, CDS with `protein_id` and a phase.
//! - GFF3 (GENCODE): `gene_id`, `gene_name`, `transcript_id` (versioned), `transcript_type` on every record.
//! - GTF: `gene_id`, `gene_name`, `transcript_id`, `transcript_version`, `transcript_biotype`/`transcript_type`,
//!   repeated `tag` attributes; the CDS excludes the stop codon, which a `stop_codon` record adds back.
//!
//! A transcript without exon records takes its exons from its CDS and UTR
//! records. Coordinates are 1-based and inclusive throughout.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use noodles::{gff, gtf};

use crate::error::AnnotateError;

/// The strand a transcript is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strand {
    Forward,
    Reverse,
}

impl Strand {
    /// `1` or `-1`, as VEP's STRAND column writes it.
    pub fn as_vep(self) -> &'static str {
        match self {
            Strand::Forward => "1",
            Strand::Reverse => "-1",
        }
    }
}

/// The coding part of a transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coding {
    /// First coding base (genomic, lower coordinate).
    pub start: u32,
    /// Last coding base (genomic, higher coordinate), stop codon included.
    pub end: u32,
    /// The protein's id (`ENSP…`), when the model gives one.
    pub protein_id: Option<String>,
    /// Bases to skip at the 5′ end of the CDS before the first whole codon
    /// (the phase of the 5′-most CDS record; 0 for a complete start).
    pub phase: u8,
    /// The start codon is annotated as incomplete (`cds_start_NF`) or the
    /// CDS does not start in frame.
    pub start_incomplete: bool,
    /// The end is annotated as incomplete (`cds_end_NF`).
    pub end_incomplete: bool,
}

/// One transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transcript {
    /// Stable id without version (`ENST00000288602`).
    pub id: String,
    /// Version, when the model gives one (`6`).
    pub version: Option<String>,
    pub gene_id: String,
    pub gene_symbol: Option<String>,
    /// HGNC id (`HGNC:1097`) when the model gives one.
    pub hgnc_id: Option<String>,
    /// Transcript biotype (`protein_coding`, `nonsense_mediated_decay`, `lncRNA`…).
    pub biotype: String,
    /// Chromosome as the gene model spells it.
    pub chrom: String,
    pub strand: Strand,
    pub start: u32,
    pub end: u32,
    /// Exons, genomic ascending, non-overlapping.
    pub exons: Vec<(u32, u32)>,
    pub coding: Option<Coding>,
    /// Tagged `Ensembl_canonical` (or chosen by the [`CanonicalPolicy`]).
    pub canonical: bool,
    /// Tagged `MANE_Select`.
    pub mane_select: bool,
    /// Tagged `basic`.
    pub basic: bool,
    /// The id with its version, computed once (see [`Transcript::hgvs_id`]).
    hgvs_id: String,
}

impl Transcript {
    /// The id with its version (`ENST00000288602.6`), as HGVS names it.
    pub fn versioned_id(&self) -> String {
        self.hgvs_id.clone()
    }

    /// The id with its version, borrowed.
    pub fn hgvs_id(&self) -> &str {
        &self.hgvs_id
    }

    /// Spliced length.
    pub fn spliced_len(&self) -> u32 {
        self.exons.iter().map(|(s, e)| e - s + 1).sum()
    }

    /// Coding length (0 for a non-coding transcript).
    pub fn coding_len(&self) -> u32 {
        let Some(c) = &self.coding else { return 0 };
        self.exons
            .iter()
            .map(|&(s, e)| {
                let (s, e) = (s.max(c.start), e.min(c.end));
                if e >= s { e - s + 1 } else { 0 }
            })
            .sum()
    }
}

/// How the canonical transcript of each gene is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CanonicalPolicy {
    /// MANE Select if the gene has one, else the `Ensembl_canonical` tag,
    /// else the longest CDS (then the longest transcript) — VEP's order.
    #[default]
    ManeThenEnsembl,
    /// The `Ensembl_canonical` tag, else the longest CDS.
    Ensembl,
    /// The longest CDS, then the longest transcript, ignoring tags.
    Longest,
}

/// Every transcript of a gene model, indexed by chromosome and position.
#[derive(Debug, Clone, Default)]
pub struct GeneModel {
    transcripts: Vec<Transcript>,
    /// Every gene the file names, with its span (gene records, or the union
    /// of the records carrying its `gene_id`), in file order.
    genes: Vec<GeneSpan>,
    /// Chromosome → transcript indices sorted by start, and the running
    /// maximum end over that order (for overlap queries).
    by_chrom: HashMap<String, (Vec<u32>, Vec<u32>)>,
    /// The model's version: file name and the header's provenance lines.
    pub source: String,
}

/// Where a gene lies, as the file gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneSpan {
    /// The gene id as in the file (`ENSG00000223972`, GENCODE's
    /// `ENSG00000223972.5`).
    pub id: String,
    /// The symbol (`gene_name`, or a GFF3 gene record's `Name`).
    pub symbol: Option<String>,
    /// The chromosome as the file spells it.
    pub chrom: String,
    pub start: u32,
    pub end: u32,
}

/// Gene spans from the records: GFF3 gene records (`ID=gene:…`, or type
/// `gene`) and every record with a `gene_id` (GENCODE GFF3, GTF) widen
/// their gene's span on its chromosome.
fn gene_spans(recs: &[Rec], gtf_format: bool) -> Vec<GeneSpan> {
    let mut out: Vec<GeneSpan> = Vec::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    for r in recs {
        let (id, symbol) = if gtf_format {
            match r.get("gene_id") {
                Some(id) => (id.to_string(), r.get("gene_name").map(str::to_string)),
                None => continue,
            }
        } else {
            let rec_id = r.get("ID");
            let gene_record = match rec_id {
                Some(i) if i.starts_with("gene:") => true,
                Some(i) if i.contains(':') => false,
                _ => r.ty == "gene",
            };
            let id = match (r.get("gene_id"), rec_id) {
                (Some(id), _) => id.to_string(),
                (None, Some(id)) if gene_record => strip_prefix(id).to_string(),
                _ => continue,
            };
            let symbol = r
                .get("gene_name")
                .or_else(|| if gene_record { r.get("Name") } else { None })
                .map(str::to_string);
            (id, symbol)
        };
        match by_id.get(&id) {
            Some(&i) => {
                let g = &mut out[i];
                if g.chrom == r.chrom {
                    g.start = g.start.min(r.start);
                    g.end = g.end.max(r.end);
                }
                if g.symbol.is_none() {
                    g.symbol = symbol;
                }
            }
            None => {
                by_id.insert(id.clone(), out.len());
                out.push(GeneSpan {
                    id,
                    symbol,
                    chrom: r.chrom.clone(),
                    start: r.start,
                    end: r.end,
                });
            }
        }
    }
    out
}

/// One gene-model record, reduced to what the model needs.
#[derive(Clone)]
struct Rec {
    ty: String,
    chrom: String,
    start: u32,
    end: u32,
    strand: Option<Strand>,
    phase: Option<u8>,
    attrs: Vec<(String, String)>,
}

impl Rec {
    fn get(&self, k: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    }
    fn all<'a>(&'a self, k: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.attrs
            .iter()
            .filter(move |(key, _)| key == k)
            .flat_map(|(_, v)| v.split(','))
    }
}

#[derive(Default)]
struct TxBuild {
    rec: Option<Rec>,
    exons: Vec<(u32, u32)>,
    cds: Vec<(u32, u32, u8)>,
    utrs: Vec<(u32, u32)>,
    stop_codons: Vec<(u32, u32)>,
    protein_id: Option<String>,
    /// GTF: attributes copied from the first child record.
    gtf_attrs: Option<Rec>,
}

/// The attributes the model reads; the others are not copied.
const KEPT_ATTRIBUTES: &[&str] = &[
    "ID",
    "Parent",
    "Name",
    "gene_id",
    "gene_name",
    "transcript_id",
    "version",
    "transcript_version",
    "biotype",
    "transcript_biotype",
    "transcript_type",
    "gene_biotype",
    "tag",
    "protein_id",
    "protein_version",
    "description",
    "hgnc_id",
];

/// Sequence-level records that carry no gene (their coordinates may even be
/// outside the sequence, as in excised test windows).
const SKIPPED_TYPES: &[&str] = &[
    "chromosome",
    "region",
    "biological_region",
    "contig",
    "supercontig",
    "scaffold",
];

const PART_TYPES: &[&str] = &[
    "exon",
    "CDS",
    "five_prime_UTR",
    "three_prime_UTR",
    "UTR",
    "stop_codon",
    "start_codon",
    "Selenocysteine",
];

impl GeneModel {
    /// Reads a GFF3 or GTF file, gzipped or not; the format comes from the
    /// name (`.gtf`, `.gff3`, `.gff`, before `.gz`), else from the content.
    pub fn from_path(path: &Path, policy: CanonicalPolicy) -> Result<Self, AnnotateError> {
        let mut f = File::open(path).map_err(|e| AnnotateError::io(path, e))?;
        let mut magic = [0u8; 2];
        let gz = f.read_exact(&mut magic).is_ok() && magic == [0x1f, 0x8b];
        let f = File::open(path).map_err(|e| AnnotateError::io(path, e))?;
        let mut reader: Box<dyn BufRead> = if gz {
            Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(f)))
        } else {
            Box::new(BufReader::new(f))
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        let bare = name.strip_suffix(".gz").unwrap_or(&name);
        let gtf_format = if bare.ends_with(".gtf") || bare.ends_with(".gff2") {
            true
        } else if bare.ends_with(".gff3") || bare.ends_with(".gff") {
            false
        } else {
            sniff_gtf(&mut reader).map_err(|e| AnnotateError::io(path, e))?
        };
        let mut model = Self::from_reader(reader, gtf_format, path, policy)?;
        model.source = name;
        Ok(model)
    }

    /// Reads a gene model from `reader` (`gtf` chooses the format; `path`
    /// names it in errors).
    pub fn from_reader(
        reader: impl BufRead,
        gtf_format: bool,
        path: &Path,
        policy: CanonicalPolicy,
    ) -> Result<Self, AnnotateError> {
        let recs = if gtf_format {
            read_gtf(reader, path)?
        } else {
            read_gff3(reader, path)?
        };
        build(recs, gtf_format, path, policy)
    }

    /// Every gene the file names, with its span, in file order.
    pub fn genes(&self) -> &[GeneSpan] {
        &self.genes
    }

    /// Every transcript.
    pub fn transcripts(&self) -> &[Transcript] {
        &self.transcripts
    }

    /// Whether the model names this chromosome.
    pub fn has_chrom(&self, chrom: &str) -> bool {
        self.by_chrom.contains_key(chrom)
    }

    /// The chromosomes the model names.
    pub fn chromosomes(&self) -> impl Iterator<Item = &str> {
        self.by_chrom.keys().map(String::as_str)
    }

    /// Calls `f` with every transcript whose span, widened by `flank` on both
    /// sides, overlaps `start..=end`.
    pub fn overlapping(
        &self,
        chrom: &str,
        start: u32,
        end: u32,
        flank: u32,
        mut f: impl FnMut(usize, &Transcript),
    ) {
        let Some((order, max_end)) = self.by_chrom.get(chrom) else {
            return;
        };
        let lo = start.saturating_sub(flank);
        let hi = end.saturating_add(flank);
        // transcripts starting after `hi` cannot overlap
        let upto = order.partition_point(|&i| self.transcripts[i as usize].start <= hi);
        // the running max end is non-decreasing: skip those ending before `lo`
        let from = max_end[..upto].partition_point(|&m| m < lo);
        for &i in &order[from..upto] {
            let t = &self.transcripts[i as usize];
            if t.end >= lo {
                f(i as usize, t);
            }
        }
    }
}

fn sniff_gtf(reader: &mut Box<dyn BufRead>) -> io::Result<bool> {
    let buf = reader.fill_buf()?;
    let text = String::from_utf8_lossy(buf);
    for l in text.lines() {
        if l.starts_with("##gff-version 3") {
            return Ok(false);
        }
        if l.starts_with('#') || l.trim().is_empty() {
            continue;
        }
        return Ok(l.split('\t').nth(8).unwrap_or("").contains('"'));
    }
    Ok(false)
}

fn pos(p: io::Result<noodles::core::Position>, what: &str) -> Result<u32, String> {
    let p = p.map_err(|e| format!("{what}: {e}"))?;
    u32::try_from(usize::from(p)).map_err(|_| format!("{what}: out of range"))
}

fn strand_of(s: io::Result<gff::feature::record::Strand>) -> Result<Option<Strand>, String> {
    use gff::feature::record::Strand as S;
    Ok(match s.map_err(|e| format!("strand: {e}"))? {
        S::Forward => Some(Strand::Forward),
        S::Reverse => Some(Strand::Reverse),
        _ => None,
    })
}

fn phase_of(p: Option<io::Result<gff::feature::record::Phase>>) -> Result<Option<u8>, String> {
    use gff::feature::record::Phase as P;
    Ok(match p {
        None => None,
        Some(p) => Some(match p.map_err(|e| format!("phase: {e}"))? {
            P::Zero => 0,
            P::One => 1,
            P::Two => 2,
        }),
    })
}

fn read_gff3(reader: impl BufRead, path: &Path) -> Result<Vec<Rec>, AnnotateError> {
    let line_err = |line: u64, message: String| AnnotateError::GeneModelLine {
        path: path.to_path_buf(),
        line,
        message,
    };
    let mut r = gff::io::Reader::new(reader);
    let mut line = gff::Line::default();
    let mut n = 0u64;
    let mut out = Vec::new();
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
        if SKIPPED_TYPES.contains(&String::from_utf8_lossy(rec.ty().as_ref()).as_ref()) {
            continue;
        }
        let one = (|| -> Result<Rec, String> {
            let mut attrs = Vec::new();
            for kv in rec.attributes().iter() {
                let (k, v) = kv.map_err(|e| format!("attributes: {e}"))?;
                let k: &[u8] = k.as_ref();
                if !KEPT_ATTRIBUTES.iter().any(|x| x.as_bytes() == k) {
                    continue;
                }
                let v: &[u8] = v.as_ref().as_ref();
                attrs.push((
                    String::from_utf8_lossy(k).into_owned(),
                    String::from_utf8_lossy(v).into_owned(),
                ));
            }
            // a gene record cut at a window's edge (bcftools' test data)
            // starts before 1; genes' coordinates are not used
            let gene_level = !attrs.iter().any(|(k, _)| k == "Parent");
            let start = match pos(rec.start(), "start") {
                Err(_)
                    if gene_level
                        && String::from_utf8_lossy(text)
                            .split('\t')
                            .nth(3)
                            .and_then(|s| s.parse::<i64>().ok())
                            .is_some_and(|s| s < 1) =>
                {
                    1
                }
                r => r?,
            };
            let end = pos(rec.end(), "end")?;
            if end < start {
                return Err(format!("end {end} is before start {start}"));
            }
            Ok(Rec {
                ty: String::from_utf8_lossy(rec.ty().as_ref()).into_owned(),
                chrom: String::from_utf8_lossy(rec.reference_sequence_name().as_ref()).into_owned(),
                start,
                end,
                strand: strand_of(rec.strand())?,
                phase: phase_of(rec.phase())?,
                attrs,
            })
        })()
        .map_err(|m| line_err(n, m))?;
        out.push(one);
    }
    Ok(out)
}

fn read_gtf(reader: impl BufRead, path: &Path) -> Result<Vec<Rec>, AnnotateError> {
    let line_err = |line: u64, message: String| AnnotateError::GeneModelLine {
        path: path.to_path_buf(),
        line,
        message,
    };
    let mut r = gtf::io::Reader::new(reader);
    let mut line = gtf::Line::default();
    let mut n = 0u64;
    let mut out = Vec::new();
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
        let one = (|| -> Result<Rec, String> {
            let attrs = match rec.attributes() {
                Ok(a) => {
                    let mut attrs = Vec::new();
                    for kv in a.iter() {
                        let (k, v) = kv.map_err(|e| format!("attributes: {e}"))?;
                        let kb: &[u8] = k.as_ref();
                        if !KEPT_ATTRIBUTES.iter().any(|x| x.as_bytes() == kb) {
                            continue;
                        }
                        let key = String::from_utf8_lossy(kb).into_owned();
                        for s in v.iter() {
                            attrs.push((
                                key.clone(),
                                String::from_utf8_lossy(s.as_ref()).into_owned(),
                            ));
                        }
                    }
                    attrs
                }
                // Ensembl writes an empty attribute (`…;;`) that noodles refuses
                Err(_) => gtf_attributes_lenient(text)?,
            };
            let start = pos(rec.start(), "start")?;
            let end = pos(rec.end(), "end")?;
            if end < start {
                return Err(format!("end {end} is before start {start}"));
            }
            Ok(Rec {
                ty: String::from_utf8_lossy(rec.ty().as_ref()).into_owned(),
                chrom: String::from_utf8_lossy(rec.reference_sequence_name().as_ref()).into_owned(),
                start,
                end,
                strand: strand_of(rec.strand())?,
                phase: phase_of(rec.phase())?,
                attrs,
            })
        })()
        .map_err(|m| line_err(n, m))?;
        out.push(one);
    }
    Ok(out)
}

fn gtf_attributes_lenient(line: &[u8]) -> Result<Vec<(String, String)>, String> {
    let text = String::from_utf8_lossy(line);
    let col = text
        .split('\t')
        .nth(8)
        .ok_or_else(|| "attributes: missing column 9".to_string())?;
    let mut out = Vec::new();
    for field in col.split(';').map(str::trim).filter(|f| !f.is_empty()) {
        let (k, v) = field
            .split_once(' ')
            .ok_or_else(|| format!("attributes: {field:?} is not KEY \"VALUE\""))?;
        out.push((k.to_string(), v.trim().trim_matches('"').to_string()));
    }
    Ok(out)
}

fn strip_prefix(id: &str) -> &str {
    id.split_once(':').map(|(_, b)| b).unwrap_or(id)
}

/// `…[Source:HGNC Symbol;Acc:HGNC:1097]` → `HGNC:1097`.
fn hgnc_from_description(d: &str) -> Option<String> {
    let i = d.find("Acc:")?;
    let rest = &d[i + 4..];
    let acc: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == ':')
        .collect();
    if acc.is_empty() {
        None
    } else if acc.starts_with("HGNC:") {
        Some(acc)
    } else {
        Some(format!("HGNC:{acc}"))
    }
}

fn build(
    recs: Vec<Rec>,
    gtf_format: bool,
    path: &Path,
    policy: CanonicalPolicy,
) -> Result<GeneModel, AnnotateError> {
    let spans = gene_spans(&recs, gtf_format);
    // genes by key (GFF3 ID or GTF gene_id)
    let mut genes: HashMap<String, Rec> = HashMap::new();
    let mut txs: HashMap<String, TxBuild> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut by_id_parent: Vec<Rec> = Vec::new();
    for rec in recs {
        let is_part = PART_TYPES.contains(&rec.ty.as_str());
        if gtf_format {
            if rec.ty == "gene" {
                if let Some(g) = rec.get("gene_id") {
                    genes.insert(g.to_string(), rec);
                }
                continue;
            }
            let Some(ids) = rec.get("transcript_id") else {
                continue;
            };
            // Ensembl VEP reads `transcript_id "A,B"` as a part shared by
            // transcripts A and B, as GFF3 reads `Parent=A,B`
            let ids: Vec<String> = ids
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect();
            let mut rec = Some(rec);
            let n = ids.len();
            for (i, t) in ids.into_iter().enumerate() {
                // the record moves into the last transcript, copies before
                let this = if i + 1 == n { rec.take() } else { rec.clone() };
                let Some(this) = this else { break };
                let b = txs.entry(t.clone()).or_insert_with(|| {
                    order.push(t);
                    TxBuild::default()
                });
                if is_part {
                    add_part(b, &this);
                    if b.gtf_attrs.is_none() {
                        b.gtf_attrs = Some(this);
                    }
                } else {
                    b.rec = Some(this);
                }
            }
        } else if is_part {
            let parents: Vec<String> = rec.all("Parent").map(str::to_string).collect();
            for p in parents {
                let b = txs.entry(p.clone()).or_insert_with(|| {
                    order.push(p.clone());
                    TxBuild::default()
                });
                add_part(b, &rec);
            }
        } else if rec.get("ID").is_some() {
            by_id_parent.push(rec);
        }
    }
    if !gtf_format {
        for rec in by_id_parent {
            let id = rec.get("ID").unwrap_or_default().to_string();
            if let Some(b) = txs.get_mut(&id) {
                b.rec = Some(rec);
            } else {
                genes.insert(id, rec);
            }
        }
    }
    let mut transcripts = Vec::new();
    for key in order {
        let b = txs.remove(&key).unwrap_or_default();
        let Some(t) = finish(&key, b, &genes, gtf_format, path)? else {
            continue;
        };
        transcripts.push(t);
    }
    if transcripts.is_empty() && spans.is_empty() {
        return Err(AnnotateError::EmptyGeneModel {
            path: path.to_path_buf(),
        });
    }
    choose_canonical(&mut transcripts, policy);
    let mut by_chrom: HashMap<String, (Vec<u32>, Vec<u32>)> = HashMap::new();
    for (i, t) in transcripts.iter().enumerate() {
        by_chrom
            .entry(t.chrom.clone())
            .or_default()
            .0
            .push(i as u32);
    }
    for (order, max_end) in by_chrom.values_mut() {
        order.sort_by_key(|&i| (transcripts[i as usize].start, transcripts[i as usize].end));
        let mut m = 0;
        *max_end = order
            .iter()
            .map(|&i| {
                m = m.max(transcripts[i as usize].end);
                m
            })
            .collect();
    }
    Ok(GeneModel {
        transcripts,
        genes: spans,
        by_chrom,
        source: path.display().to_string(),
    })
}

fn add_part(b: &mut TxBuild, rec: &Rec) {
    let span = (rec.start, rec.end);
    match rec.ty.as_str() {
        "exon" => b.exons.push(span),
        "CDS" => {
            b.cds.push((rec.start, rec.end, rec.phase.unwrap_or(0)));
            if b.protein_id.is_none() {
                b.protein_id = rec
                    .get("protein_id")
                    .map(|p| match rec.get("protein_version") {
                        Some(v) if !p.contains('.') => format!("{p}.{v}"),
                        _ => p.to_string(),
                    });
            }
        }
        "five_prime_UTR" | "three_prime_UTR" | "UTR" => b.utrs.push(span),
        "stop_codon" => b.stop_codons.push(span),
        _ => {}
    }
}

fn merge(mut spans: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
    spans.sort_unstable();
    let mut out: Vec<(u32, u32)> = Vec::with_capacity(spans.len());
    for (s, e) in spans {
        match out.last_mut() {
            Some(last) if s <= last.1 + 1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

fn finish(
    key: &str,
    b: TxBuild,
    genes: &HashMap<String, Rec>,
    gtf_format: bool,
    path: &Path,
) -> Result<Option<Transcript>, AnnotateError> {
    let TxBuild {
        rec,
        exons,
        cds,
        utrs,
        stop_codons,
        protein_id,
        gtf_attrs,
    } = b;
    let attrs = rec.as_ref().or(gtf_attrs.as_ref());
    if exons.is_empty() && cds.is_empty() {
        return Ok(None);
    }
    // a part whose parent is a gene (no transcript record): skip
    if !gtf_format && rec.is_none() {
        return Ok(None);
    }
    let first = attrs.expect("a transcript has a record or a part");
    let strand = first.strand.or_else(|| rec.as_ref().and_then(|r| r.strand));
    let Some(strand) = strand else {
        return Err(AnnotateError::GeneModelLine {
            path: path.to_path_buf(),
            line: 0,
            message: format!("transcript {key}: no strand"),
        });
    };
    let gene_key = if gtf_format {
        first.get("gene_id").map(str::to_string)
    } else {
        rec.as_ref()
            .and_then(|r| r.get("Parent"))
            .map(|p| p.split(',').next().unwrap_or(p).to_string())
    };
    let gene = gene_key.as_deref().and_then(|g| genes.get(g));
    let get = |k: &str| first.get(k).or_else(|| gene.and_then(|g| g.get(k)));
    let raw_id = if gtf_format {
        // the key is one transcript_id of a part's possibly shared list
        key.to_string()
    } else {
        first
            .get("transcript_id")
            .map(str::to_string)
            .unwrap_or_else(|| strip_prefix(key).to_string())
    };
    let (id, version) = match (
        first.get("version").or(first.get("transcript_version")),
        raw_id.split_once('.'),
    ) {
        (Some(v), _) => (raw_id.clone(), Some(v.to_string())),
        (None, Some((bare, v))) if bare.starts_with("ENS") => {
            (bare.to_string(), Some(v.to_string()))
        }
        _ => (raw_id.clone(), None),
    };
    let gene_id = gene
        .and_then(|g| g.get("gene_id"))
        .or(first.get("gene_id"))
        .map(str::to_string)
        .or_else(|| gene_key.as_deref().map(|g| strip_prefix(g).to_string()))
        .unwrap_or_default();
    let gene_id = gene_id.split('.').next().unwrap_or(&gene_id).to_string();
    let gene_symbol = first
        .get("gene_name")
        .or_else(|| gene.and_then(|g| g.get("gene_name").or(g.get("Name"))))
        .map(str::to_string);
    let hgnc_id = get("hgnc_id").map(str::to_string).or_else(|| {
        gene.and_then(|g| g.get("description"))
            .and_then(hgnc_from_description)
    });
    let tags: Vec<&str> = first
        .all("tag")
        .chain(rec.iter().flat_map(|r| r.all("tag")))
        .collect();
    let mut exons = if exons.is_empty() {
        let mut all: Vec<(u32, u32)> = cds.iter().map(|&(s, e, _)| (s, e)).collect();
        all.extend(&utrs);
        all.extend(&stop_codons);
        merge(all)
    } else {
        merge(exons)
    };
    let coding = if cds.is_empty() {
        None
    } else {
        let mut lo = cds.iter().map(|c| c.0).min().unwrap_or(0);
        let mut hi = cds.iter().map(|c| c.1).max().unwrap_or(0);
        for &(s, e) in &stop_codons {
            lo = lo.min(s);
            hi = hi.max(e);
        }
        let five_prime = match strand {
            Strand::Forward => cds.iter().min_by_key(|c| c.0),
            Strand::Reverse => cds.iter().max_by_key(|c| c.1),
        };
        let phase = five_prime.map(|c| c.2).unwrap_or(0);
        Some(Coding {
            start: lo,
            end: hi,
            protein_id,
            phase,
            start_incomplete: phase != 0 || tags.contains(&"cds_start_NF"),
            end_incomplete: tags.contains(&"cds_end_NF"),
        })
    };
    // a CDS/stop codon outside the exons widens them (malformed but seen)
    if let Some(c) = &coding {
        exons = merge(
            exons
                .into_iter()
                .chain([(c.start, c.start), (c.end, c.end)])
                .collect(),
        );
    }
    let biotype = first
        .get("biotype")
        .or(first.get("transcript_biotype"))
        .or(first.get("transcript_type"))
        .map(str::to_string)
        .or_else(|| match rec.as_ref().map(|r| r.ty.as_str()) {
            Some("mRNA" | "transcript") | None => None,
            Some(ty) => Some(ty.to_string()),
        })
        .or_else(|| first.get("gene_biotype").map(str::to_string))
        .unwrap_or_else(|| {
            if coding.is_some() {
                "protein_coding".to_string()
            } else {
                "transcript".to_string()
            }
        });
    let biotype = if biotype == "NMD_transcript_variant" {
        "nonsense_mediated_decay".to_string()
    } else {
        biotype
    };
    let (start, end) = (
        exons.first().map(|e| e.0).unwrap_or(0),
        exons.last().map(|e| e.1).unwrap_or(0),
    );
    let (start, end) = match &rec {
        Some(r) => (r.start.min(start), r.end.max(end)),
        None => (start, end),
    };
    let hgvs_id = match &version {
        Some(v) if !id.ends_with(&format!(".{v}")) => format!("{id}.{v}"),
        _ => id.clone(),
    };
    Ok(Some(Transcript {
        hgvs_id,
        id,
        version,
        gene_id,
        gene_symbol,
        hgnc_id,
        biotype,
        chrom: first.chrom.clone(),
        strand,
        start,
        end,
        exons,
        coding,
        canonical: tags.contains(&"Ensembl_canonical"),
        mane_select: tags.contains(&"MANE_Select"),
        basic: tags.contains(&"basic"),
    }))
}

fn choose_canonical(transcripts: &mut [Transcript], policy: CanonicalPolicy) {
    let mut by_gene: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, t) in transcripts.iter().enumerate() {
        by_gene.entry(t.gene_id.as_str()).or_default().push(i);
    }
    let groups: Vec<Vec<usize>> = by_gene.into_values().collect();
    for group in groups {
        let pick_longest = |ts: &[Transcript]| {
            group
                .iter()
                .copied()
                .max_by_key(|&i| {
                    let t = &ts[i];
                    (
                        t.coding_len(),
                        t.spliced_len(),
                        std::cmp::Reverse(t.id.clone()),
                    )
                })
                .expect("a gene has a transcript")
        };
        let mane = group.iter().copied().find(|&i| transcripts[i].mane_select);
        let tagged = group.iter().copied().find(|&i| transcripts[i].canonical);
        let chosen = match policy {
            CanonicalPolicy::ManeThenEnsembl => mane.or(tagged),
            CanonicalPolicy::Ensembl => tagged,
            CanonicalPolicy::Longest => None,
        }
        .unwrap_or_else(|| pick_longest(transcripts));
        for &i in &group {
            transcripts[i].canonical = i == chosen;
        }
    }
}

/// The gene model file a path names, for messages.
pub fn describe(path: &Path) -> PathBuf {
    path.to_path_buf()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GFF: &str = "##gff-version 3\n\
X\tensembl\tgene\t21\t16570\t.\t+\t.\tID=gene:ENSG00000101916;Name=TLR8;biotype=protein_coding;description=toll-like receptor 8 [Source:HGNC Symbol%3BAcc:15632];gene_id=ENSG00000101916;version=11\n\
X\tensembl\ttranscript\t21\t16570\t.\t+\t.\tID=transcript:ENST00000218032;Parent=gene:ENSG00000101916;biotype=protein_coding;tag=basic;transcript_id=ENST00000218032;version=6\n\
X\tensembl\texon\t21\t110\t.\t+\t.\tParent=transcript:ENST00000218032\n\
X\tensembl\tCDS\t108\t110\t.\t+\t0\tID=CDS:ENSP00000218032;Parent=transcript:ENST00000218032;protein_id=ENSP00000218032\n\
X\tensembl\tCDS\t12445\t15567\t.\t+\t0\tID=CDS:ENSP00000218032;Parent=transcript:ENST00000218032;protein_id=ENSP00000218032\n\
X\tensembl\texon\t12445\t16570\t.\t+\t.\tParent=transcript:ENST00000218032\n";

    #[test]
    fn an_ensembl_gff3_transcript_has_its_gene_exons_cds_and_hgnc_id() {
        let m = GeneModel::from_reader(
            GFF.as_bytes(),
            false,
            Path::new("t.gff3"),
            Default::default(),
        )
        .unwrap();
        let t = &m.transcripts()[0];
        assert_eq!(t.id, "ENST00000218032");
        assert_eq!(t.versioned_id(), "ENST00000218032.6");
        assert_eq!(t.gene_symbol.as_deref(), Some("TLR8"));
        assert_eq!(t.gene_id, "ENSG00000101916");
        assert_eq!(t.hgnc_id.as_deref(), Some("HGNC:15632"));
        assert_eq!(t.exons, vec![(21, 110), (12445, 16570)]);
        let c = t.coding.as_ref().unwrap();
        assert_eq!((c.start, c.end), (108, 15567));
        assert_eq!(c.protein_id.as_deref(), Some("ENSP00000218032"));
        assert!(t.canonical, "the only transcript of its gene is canonical");
        let mut seen = vec![];
        m.overlapping("X", 16600, 16600, 5000, |i, _| seen.push(i));
        assert_eq!(seen, vec![0]);
        seen.clear();
        m.overlapping("X", 30000, 30000, 5000, |i, _| seen.push(i));
        assert!(seen.is_empty());
    }

    #[test]
    fn a_gtf_part_with_two_transcript_ids_belongs_to_both() {
        // Ensembl VEP's test GTF: `transcript_id "A,B"` on shared exons
        let gtf = "1\tens\ttranscript\t100\t400\t.\t+\t.\tgene_id \"G1\"; transcript_id \"A\"; transcript_biotype \"lncRNA\";\n\
1\tens\ttranscript\t100\t400\t.\t+\t.\tgene_id \"G1\"; transcript_id \"B\"; transcript_biotype \"lncRNA\";\n\
1\tens\texon\t100\t200\t.\t+\t.\tgene_id \"G1\"; transcript_id \"A,B\";\n\
1\tens\texon\t300\t400\t.\t+\t.\tgene_id \"G1\"; transcript_id \"A,B\";\n";
        let m =
            GeneModel::from_reader(gtf.as_bytes(), true, Path::new("t.gtf"), Default::default())
                .unwrap();
        let ids: Vec<&str> = m.transcripts().iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["A", "B"]);
        for t in m.transcripts() {
            assert_eq!(t.exons, [(100, 200), (300, 400)]);
        }
    }

    #[test]
    fn a_gtf_cds_gets_its_stop_codon_back_and_tags_choose_the_canonical() {
        let gtf = "1\tens\ttranscript\t100\t400\t.\t-\t.\tgene_id \"G1\"; transcript_id \"T1\"; transcript_version \"2\"; gene_name \"ABC\"; transcript_biotype \"protein_coding\"; tag \"basic\"; tag \"Ensembl_canonical\";\n\
1\tens\texon\t100\t400\t.\t-\t.\tgene_id \"G1\"; transcript_id \"T1\";\n\
1\tens\tCDS\t153\t350\t.\t-\t0\tgene_id \"G1\"; transcript_id \"T1\"; protein_id \"P1\"; protein_version \"2\";\n\
1\tens\tstop_codon\t150\t152\t.\t-\t0\tgene_id \"G1\"; transcript_id \"T1\";\n\
1\tens\ttranscript\t90\t900\t.\t-\t.\tgene_id \"G1\"; transcript_id \"T2\"; gene_name \"ABC\"; transcript_biotype \"protein_coding\";\n\
1\tens\texon\t90\t900\t.\t-\t.\tgene_id \"G1\"; transcript_id \"T2\";\n\
1\tens\tCDS\t100\t800\t.\t-\t0\tgene_id \"G1\"; transcript_id \"T2\";;\n";
        let m =
            GeneModel::from_reader(gtf.as_bytes(), true, Path::new("t.gtf"), Default::default())
                .unwrap();
        let t1 = m.transcripts().iter().find(|t| t.id == "T1").unwrap();
        let c = t1.coding.as_ref().unwrap();
        assert_eq!((c.start, c.end), (150, 350));
        assert_eq!(c.protein_id.as_deref(), Some("P1.2"));
        assert_eq!(t1.versioned_id(), "T1.2");
        assert!(t1.canonical, "tagged Ensembl_canonical");
        let t2 = m.transcripts().iter().find(|t| t.id == "T2").unwrap();
        assert!(!t2.canonical);
        // by length alone the longer T2 wins
        let m = GeneModel::from_reader(
            gtf.as_bytes(),
            true,
            Path::new("t.gtf"),
            CanonicalPolicy::Longest,
        )
        .unwrap();
        assert!(
            m.transcripts()
                .iter()
                .find(|t| t.id == "T2")
                .unwrap()
                .canonical
        );
    }

    #[test]
    fn a_broken_line_is_named_by_file_and_line() {
        let gff = "##gff-version 3\nchr1\tX\tgene\tabc\t14409\t.\t+\t.\tID=g1\n";
        let e = GeneModel::from_reader(
            gff.as_bytes(),
            false,
            Path::new("m.gff3"),
            Default::default(),
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("m.gff3: line 2: "), "{e}");
        let e = GeneModel::from_reader(
            &b"##gff-version 3\n"[..],
            false,
            Path::new("e.gff3"),
            Default::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("no genes or transcripts"), "{e}");
    }
}
