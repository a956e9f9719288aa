//! VCF in, VCF out: every record keeps its bytes, and its INFO gains a
//! `CSQ` field in Ensembl VEP's layout (one `|`-separated entry per allele
//! and transcript, the fields listed in the header's Description after
//! `Format: `, as VEP writes it, so `bcftools +split-vep` reads it). Records
//! are read with noodles (plain, gzip or BGZF input). A record whose REF
//! disagrees with the reference FASTA gets the flag `ZENOME_REF_MISMATCH`
//! and no consequences: never a consequence computed from the wrong bases.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use noodles::vcf;
use noodles::vcf::variant::record::AlternateBases as _;

use crate::error::AnnotateError;
use crate::predict::{Allele, Annotator};

/// The CSQ fields, in order.
pub const CSQ_FIELDS: &[&str] = &[
    "Allele",
    "Consequence",
    "IMPACT",
    "SYMBOL",
    "Gene",
    "Feature_type",
    "Feature",
    "BIOTYPE",
    "EXON",
    "INTRON",
    "HGVSc",
    "HGVSp",
    "cDNA_position",
    "CDS_position",
    "Protein_position",
    "Amino_acids",
    "Codons",
    "Existing_variation",
    "DISTANCE",
    "STRAND",
    "FLAGS",
    "SYMBOL_SOURCE",
    "HGNC_ID",
    "CANONICAL",
    "MANE_SELECT",
    "ENSP",
];

/// How chromosome names of the VCF are matched to the gene model's and the
/// FASTA's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChromNames {
    /// Names must be spelled the same; a `chr1` vs `1` mismatch is an error.
    #[default]
    Exact,
    /// `chr1` ↔ `1` and `chrM` ↔ `MT` are the same chromosome.
    Auto,
}

/// Options of a VCF annotation run.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub chrom_names: ChromNames,
    /// Write the provenance line `##ZenomeAnnotate=<…>` with this text.
    pub provenance: String,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub records: u64,
    pub alleles: u64,
    /// Records whose REF disagreed with the FASTA (flagged, not annotated).
    pub ref_mismatches: u64,
    /// The first few mismatches: `chrom:pos REF=… FASTA=…`.
    pub mismatch_examples: Vec<String>,
}

/// Opens a VCF (plain, gzip or BGZF); `-` is standard input.
pub fn open(path: &Path) -> Result<Box<dyn BufRead>, AnnotateError> {
    if path == Path::new("-") {
        return Ok(Box::new(BufReader::new(io::stdin())));
    }
    let mut f = File::open(path).map_err(|e| AnnotateError::io(path, e))?;
    // gzip magic; BGZF adds an extra field whose subfield is `BC`
    let mut head = [0u8; 14];
    let n = f.read(&mut head).map_err(|e| AnnotateError::io(path, e))?;
    let gz = n >= 2 && head[..2] == [0x1f, 0x8b];
    let bgzf = gz && n >= 14 && head[3] & 0x04 != 0 && &head[12..14] == b"BC";
    let f = File::open(path).map_err(|e| AnnotateError::io(path, e))?;
    Ok(if bgzf {
        Box::new(BufReader::with_capacity(
            1 << 16,
            noodles::bgzf::io::Reader::new(f),
        ))
    } else if gz {
        Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::read::MultiGzDecoder::new(f),
        ))
    } else {
        Box::new(BufReader::with_capacity(1 << 16, f))
    })
}

fn toggled(chrom: &str) -> Vec<String> {
    let bare = chrom.strip_prefix("chr").unwrap_or(chrom);
    let mut out = Vec::new();
    if chrom.starts_with("chr") {
        out.push(bare.to_string());
    } else {
        out.push(format!("chr{chrom}"));
    }
    match bare {
        "M" => out.extend(["MT".to_string(), "chrMT".to_string()]),
        "MT" => out.extend(["M".to_string(), "chrM".to_string()]),
        _ => {}
    }
    out
}

/// A chromosome resolved: the gene model's name (if it has the chromosome)
/// and the FASTA's.
struct Resolved {
    vcf: String,
    model: Option<String>,
    fasta: String,
}

fn resolve(
    ann: &mut Annotator<'_>,
    path: &Path,
    chrom: &str,
    names: ChromNames,
) -> Result<Resolved, AnnotateError> {
    let fasta_path = ann.reference().path().to_path_buf();
    let fasta = if ann.reference().length(chrom).is_some() {
        chrom.to_string()
    } else {
        match toggled(chrom)
            .into_iter()
            .find(|c| ann.reference().length(c).is_some())
        {
            Some(c) if names == ChromNames::Auto => c,
            Some(c) => {
                return Err(AnnotateError::ChromosomeNaming {
                    path: path.to_path_buf(),
                    chrom: chrom.to_string(),
                    other: "reference FASTA",
                    suggestion: c,
                });
            }
            None => {
                return Err(AnnotateError::MissingChromosome {
                    path: path.to_path_buf(),
                    chrom: chrom.to_string(),
                    fasta: fasta_path,
                });
            }
        }
    };
    let model = ann.model();
    let model_name = if model.has_chrom(chrom) {
        Some(chrom.to_string())
    } else {
        match toggled(chrom).into_iter().find(|c| model.has_chrom(c)) {
            Some(c) if names == ChromNames::Auto => Some(c),
            Some(c) => {
                return Err(AnnotateError::ChromosomeNaming {
                    path: path.to_path_buf(),
                    chrom: chrom.to_string(),
                    other: "gene model",
                    suggestion: c,
                });
            }
            None => None,
        }
    };
    if let Some(m) = &model_name
        && *m != fasta
    {
        ann.fasta_names.insert(m.clone(), fasta.clone());
    }
    Ok(Resolved {
        vcf: chrom.to_string(),
        model: model_name,
        fasta,
    })
}

/// Escapes a CSQ value: no `,`, `;`, `=`, `|` or white space inside INFO.
fn push_escaped(out: &mut String, v: &str) {
    let special =
        |b: u8| matches!(b, b',' | b';' | b'=' | b'|') || b.is_ascii_whitespace() || b >= 0x80;
    if !v.bytes().any(special) {
        out.push_str(v);
        return;
    }
    for c in v.chars() {
        match c {
            ',' => out.push('&'),
            ';' => out.push_str("%3B"),
            '=' => out.push_str("%3D"),
            '|' => out.push_str("%7C"),
            c if c.is_whitespace() => out.push('_'),
            c => out.push(c),
        }
    }
}

/// Annotates `input` (named `path` in errors) to `out`.
pub fn annotate(
    ann: &mut Annotator<'_>,
    input: impl BufRead,
    path: &Path,
    out: &mut impl Write,
    options: &Options,
) -> Result<Summary, AnnotateError> {
    let io_err = |e: io::Error| AnnotateError::io(PathBuf::from("<output>"), e);
    let mut lines = input;
    let mut header_text = String::new();
    let mut line = String::new();
    let mut n: u64 = 0;
    let line_err = |n: u64, message: String| AnnotateError::VcfLine {
        path: path.to_path_buf(),
        line: n,
        message,
    };
    // header
    loop {
        line.clear();
        let k = lines
            .read_line(&mut line)
            .map_err(|e| line_err(n + 1, e.to_string()))?;
        if k == 0 {
            return Err(line_err(n, "no #CHROM header line".into()));
        }
        n += 1;
        if !line.starts_with('#') {
            return Err(line_err(
                n,
                "no #CHROM header line before the records".into(),
            ));
        }
        header_text.push_str(&line);
        if line.starts_with("#CHROM") {
            break;
        }
    }
    let header: vcf::Header = vcf::io::Reader::new(header_text.as_bytes())
        .read_header()
        .map_err(|e| line_err(n, format!("header: {e}")))?;
    let csq_desc = format!(
        "##INFO=<ID=CSQ,Number=.,Type=String,Description=\"Consequence annotations from zenome-annotate (Ensembl VEP layout). Format: {}\">\n",
        CSQ_FIELDS.join("|")
    );
    let flag = "##INFO=<ID=ZENOME_REF_MISMATCH,Number=0,Type=Flag,Description=\"REF disagrees with the reference FASTA; not annotated\">\n";
    for l in header_text.lines() {
        if l.starts_with("#CHROM") {
            out.write_all(csq_desc.as_bytes()).map_err(io_err)?;
            out.write_all(flag.as_bytes()).map_err(io_err)?;
            if !options.provenance.is_empty() {
                writeln!(out, "##ZenomeAnnotate=<{}>", options.provenance).map_err(io_err)?;
            }
        } else if l.starts_with("##INFO=<ID=CSQ,")
            || l.starts_with("##INFO=<ID=ZENOME_REF_MISMATCH,")
        {
            continue;
        }
        out.write_all(l.as_bytes()).map_err(io_err)?;
        out.write_all(b"\n").map_err(io_err)?;
    }
    let mut summary = Summary::default();
    let mut record = vcf::Record::default();
    let mut resolved: Option<Resolved> = None;
    let mut csq = String::new();
    let mut reference = String::new();
    // ALT alleles as ranges into one buffer (no String per allele)
    let mut alt_buf = String::new();
    let mut alts: Vec<(usize, usize)> = Vec::new();
    let mut num = itoa_buf::Buf::default();
    loop {
        line.clear();
        let k = lines
            .read_line(&mut line)
            .map_err(|e| line_err(n + 1, e.to_string()))?;
        if k == 0 {
            break;
        }
        n += 1;
        let text = line.trim_end_matches(['\n', '\r']);
        if text.is_empty() {
            continue;
        }
        let mut reader = vcf::io::Reader::new(text.as_bytes());
        reader
            .read_record(&mut record)
            .map_err(|e| line_err(n, e.to_string()))?;
        let chrom = record.reference_sequence_name();
        let pos = match record.variant_start() {
            Some(Ok(p)) => usize::from(p) as u32,
            Some(Err(e)) => return Err(line_err(n, format!("POS: {e}"))),
            None => return Err(line_err(n, "POS is missing".into())),
        };
        reference.clear();
        reference.push_str(record.reference_bases());
        alt_buf.clear();
        alts.clear();
        for a in record.alternate_bases().iter() {
            let a = a.map_err(|e| line_err(n, format!("ALT: {e}")))?;
            let from = alt_buf.len();
            alt_buf.push_str(a);
            alts.push((from, alt_buf.len()));
        }
        if resolved.as_ref().is_none_or(|r| r.vcf != chrom) {
            resolved = Some(resolve(ann, path, chrom, options.chrom_names)?);
        }
        let r = resolved.as_ref().expect("resolved");
        summary.records += 1;
        csq.clear();
        let mut mismatch = false;
        if let Some(fasta) = ann.check_ref(&r.fasta, pos, &reference)? {
            mismatch = true;
            summary.ref_mismatches += 1;
            if summary.mismatch_examples.len() < 5 {
                summary
                    .mismatch_examples
                    .push(format!("{chrom}:{pos} REF={reference} FASTA={fasta}"));
            }
        }
        if !mismatch {
            let alt = |&(x, y): &(usize, usize)| &alt_buf[x..y];
            // VEP's Allele column: the shared first base stripped when every
            // allele starts with it
            let first = reference.as_bytes().first().copied();
            let strip = reference.len() > 1 || alts.iter().any(|a| alt(a).len() > 1);
            let strip = strip
                && alts.iter().map(alt).all(|a| {
                    !a.starts_with('<') && a.as_bytes().first().copied() == first && a != "*"
                });
            // END of a symbolic allele, read only when there is one
            let symbolic = alts.iter().map(alt).any(|a| a.starts_with('<'));
            let end = if symbolic {
                end_of(&record, &header, pos, &reference)
            } else {
                pos + reference.len() as u32 - 1
            };
            for range in &alts {
                let a = alt(range);
                if a == "*" || a == "." {
                    continue;
                }
                summary.alleles += 1;
                let allele = if a.starts_with('<') {
                    let name = a.trim_start_matches('<').trim_end_matches('>');
                    if name.starts_with("DEL") {
                        Allele::Deletion { pos, end }
                    } else if name.starts_with("INS") {
                        Allele::Insertion { pos }
                    } else {
                        Allele::Other { pos, end }
                    }
                } else if a.contains('[') || a.contains(']') {
                    Allele::Other { pos, end: pos }
                } else {
                    Allele::Sequence {
                        pos,
                        reference: &reference,
                        alternate: a,
                    }
                };
                let shown: &str = if a.starts_with('<') {
                    a.trim_start_matches('<').trim_end_matches('>')
                } else if strip {
                    let s = &a[1..];
                    if s.is_empty() { "-" } else { s }
                } else {
                    a
                };
                let transcripts = ann.model().transcripts();
                let effects = ann.annotate(r.model.as_deref().unwrap_or(""), allele)?;
                for e in effects {
                    if !csq.is_empty() {
                        csq.push(',');
                    }
                    push_escaped(&mut csq, shown);
                    csq.push('|');
                    for (i, c) in e.consequences.iter().enumerate() {
                        if i > 0 {
                            csq.push('&');
                        }
                        csq.push_str(c.term());
                    }
                    csq.push('|');
                    csq.push_str(e.consequences.impact().as_str());
                    csq.push('|');
                    let t = e.transcript.map(|i| &transcripts[i]);
                    if let Some(t) = t {
                        push_escaped(&mut csq, t.gene_symbol.as_deref().unwrap_or(""));
                        csq.push('|');
                        push_escaped(&mut csq, &t.gene_id);
                        csq.push_str("|Transcript|");
                        push_escaped(&mut csq, &t.id);
                        csq.push('|');
                        push_escaped(&mut csq, &t.biotype);
                    } else {
                        csq.push_str("||||");
                    }
                    csq.push('|');
                    if let Some((x, y, n)) = e.exon {
                        push_range(&mut csq, &mut num, x, y, n);
                    }
                    csq.push('|');
                    if let Some((x, y, n)) = e.intron {
                        push_range(&mut csq, &mut num, x, y, n);
                    }
                    for v in [
                        &e.hgvsc,
                        &e.hgvsp,
                        &e.cdna_position,
                        &e.cds_position,
                        &e.protein_position,
                        &e.amino_acids,
                        &e.codons,
                    ] {
                        csq.push('|');
                        push_escaped(&mut csq, v);
                    }
                    csq.push_str("||"); // Existing_variation
                    if let Some(d) = e.distance {
                        csq.push_str(num.format(d));
                    }
                    csq.push('|');
                    if let Some(t) = t {
                        csq.push_str(t.strand.as_vep());
                        csq.push('|');
                        if let Some(c) = &t.coding {
                            match (c.start_incomplete, c.end_incomplete) {
                                (true, true) => csq.push_str("cds_start_NF&cds_end_NF"),
                                (true, false) => csq.push_str("cds_start_NF"),
                                (false, true) => csq.push_str("cds_end_NF"),
                                (false, false) => {}
                            }
                        }
                        csq.push('|');
                        if t.hgnc_id.is_some() {
                            csq.push_str("HGNC");
                        }
                        csq.push('|');
                        push_escaped(&mut csq, t.hgnc_id.as_deref().unwrap_or(""));
                        csq.push('|');
                        if t.canonical {
                            csq.push_str("YES");
                        }
                        csq.push('|');
                        if t.mane_select {
                            push_escaped(&mut csq, t.hgvs_id());
                        }
                        csq.push('|');
                        if let Some(p) = t.coding.as_ref().and_then(|c| c.protein_id.as_deref()) {
                            push_escaped(&mut csq, p);
                        }
                    } else {
                        csq.push_str("||||||");
                    }
                }
            }
        }
        // the record with its INFO rewritten (the other columns as read)
        let mut cols = text.splitn(9, '\t');
        for i in 0..8 {
            let Some(c) = cols.next() else {
                return Err(line_err(n, format!("only {i} columns")));
            };
            if i > 0 {
                out.write_all(b"\t").map_err(io_err)?;
            }
            if i < 7 {
                out.write_all(c.as_bytes()).map_err(io_err)?;
                continue;
            }
            let mut wrote = false;
            if c != "." {
                for f in c.split(';') {
                    if f.starts_with("CSQ=") || f == "ZENOME_REF_MISMATCH" {
                        continue;
                    }
                    if wrote {
                        out.write_all(b";").map_err(io_err)?;
                    }
                    out.write_all(f.as_bytes()).map_err(io_err)?;
                    wrote = true;
                }
            }
            let extra: &[&[u8]] = if mismatch {
                &[b"ZENOME_REF_MISMATCH"]
            } else if !csq.is_empty() {
                &[b"CSQ=", csq.as_bytes()]
            } else {
                &[]
            };
            if !extra.is_empty() {
                if wrote {
                    out.write_all(b";").map_err(io_err)?;
                }
                for x in extra {
                    out.write_all(x).map_err(io_err)?;
                }
                wrote = true;
            }
            if !wrote {
                out.write_all(b".").map_err(io_err)?;
            }
        }
        if let Some(rest) = cols.next() {
            out.write_all(b"\t").map_err(io_err)?;
            out.write_all(rest.as_bytes()).map_err(io_err)?;
        }
        out.write_all(b"\n").map_err(io_err)?;
    }
    out.flush().map_err(io_err)?;
    Ok(summary)
}

/// Small integers formatted without allocating.
mod itoa_buf {
    #[derive(Default)]
    pub struct Buf([u8; 10]);

    impl Buf {
        pub fn format(&mut self, mut n: u32) -> &str {
            let mut i = self.0.len();
            loop {
                i -= 1;
                self.0[i] = b'0' + (n % 10) as u8;
                n /= 10;
                if n == 0 {
                    break;
                }
            }
            std::str::from_utf8(&self.0[i..]).expect("digits")
        }
    }
}

fn push_range(out: &mut String, num: &mut itoa_buf::Buf, x: u32, y: u32, n: u32) {
    out.push_str(num.format(x));
    if x != y {
        out.push('-');
        out.push_str(num.format(y));
    }
    out.push('/');
    out.push_str(num.format(n));
}

/// END of a symbolic record: INFO END, else POS + |SVLEN|, else the REF's end.
fn end_of(record: &vcf::Record, header: &vcf::Header, pos: u32, reference: &str) -> u32 {
    use noodles::vcf::variant::record::info::field::Value;
    let info = record.info();
    if let Some(Ok(Some(Value::Integer(e)))) = info.get(header, "END") {
        return e.max(0) as u32;
    }
    if let Some(Ok(Some(Value::Array(
        noodles::vcf::variant::record::info::field::value::Array::Integer(v),
    )))) = info.get(header, "SVLEN")
        && let Some(Ok(Some(l))) = v.iter().next()
    {
        return pos + l.unsigned_abs();
    }
    if let Some(Ok(Some(Value::Integer(l)))) = info.get(header, "SVLEN") {
        return pos + l.unsigned_abs();
    }
    pos + reference.len() as u32 - 1
}
