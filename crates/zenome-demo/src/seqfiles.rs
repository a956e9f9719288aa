//! Small, valid sequencing files for one participant, as a sequencing
//! centre's pipeline would deliver them: reads sampled from the reference
//! (carrying the participant's SNVs and sequencing errors) as a gzipped
//! FASTQ and as a CRAM 3.0 aligned to the reference, and the participant's
//! variant calls as a bgzipped VCF 4.2. Everything is drawn from the
//! generator handed in, and nothing depends on the clock, so the same seed
//! gives the same bytes.

use std::collections::HashSet;
use std::io::{self, Write};

use noodles::bgzf;
use noodles::core::Position;
use noodles::cram;
use noodles::sam;
use noodles::sam::alignment::RecordBuf;
use noodles::sam::alignment::io::Write as _;
use noodles::sam::alignment::record::cigar::Op;
use noodles::sam::alignment::record::cigar::op::Kind;
use noodles::sam::alignment::record::data::field::Tag;
use noodles::sam::alignment::record::{Flags, MappingQuality};
use noodles::sam::alignment::record_buf::data::field::Value;
use noodles::sam::alignment::record_buf::{QualityScores, Sequence};
use rand::{Rng, RngExt};
use rand_chacha::ChaCha8Rng;

use crate::catalogue::Instrument;
use crate::reference::{REFERENCE_NAME, Reference};

/// Reads in each FASTQ (and CRAM).
pub(crate) const READS: usize = 2_500;

/// Read length.
const READ_LEN: usize = 150;

/// Extra reads over each fingerprint site.
const FOCUS_READS: usize = 8;

/// Variant calls in each VCF (before spacing removes a few).
const VARIANTS: usize = 320;

/// The tools named in the CRAM and VCF headers.
const BWA_VERSION: &str = "2.2.1";
const GATK_VERSION: &str = "4.5.0.0";
const SAMTOOLS_VERSION: &str = "1.19";

/// Who a file is about and where its reads came from.
pub(crate) struct Sample<'a> {
    /// The participant's pseudonymous id (the sample name).
    pub participant: &'a str,
    /// The library barcode.
    pub library: &'a str,
    /// The sequencing centre's code.
    pub centre: &'a str,
    pub instrument: Instrument,
    /// The run id, in the instrument's style.
    pub run_id: &'a str,
}

/// A small variant call.
#[derive(Debug, Clone)]
pub(crate) struct Variant {
    contig: usize,
    /// 1-based.
    pos: usize,
    reference: Vec<u8>,
    alt: Vec<u8>,
    hom: bool,
    depth: u32,
    gq: u32,
    qual: f64,
    low_quality: bool,
}

impl Variant {
    /// A well-called SNV at a fingerprint site (`hom`: both copies).
    pub(crate) fn site(
        contig: usize,
        pos: usize,
        reference: u8,
        alt: u8,
        hom: bool,
        depth: u32,
    ) -> Self {
        Self {
            contig,
            pos,
            reference: vec![reference],
            alt: vec![alt],
            hom,
            depth,
            gq: 99,
            qual: f64::from(depth) * if hom { 30.0 } else { 15.0 },
            low_quality: false,
        }
    }

    /// (contig, 1-based position).
    pub(crate) fn locus(&self) -> (usize, usize) {
        (self.contig, self.pos)
    }

    /// The last reference base it covers.
    pub(crate) fn end(&self) -> usize {
        self.pos + self.reference.len() - 1
    }

    fn is_snv(&self) -> bool {
        self.reference.len() == 1 && self.alt.len() == 1
    }
}

/// One read, in reference orientation.
#[derive(Debug, Clone)]
pub(crate) struct Read {
    name: String,
    contig: usize,
    /// 0-based.
    start: usize,
    reverse: bool,
    seq: Vec<u8>,
    /// Raw Phred scores.
    qual: Vec<u8>,
}

fn complement(b: u8) -> u8 {
    match b {
        b'A' => b'T',
        b'C' => b'G',
        b'G' => b'C',
        b'T' => b'A',
        other => other,
    }
}

fn transition(b: u8) -> u8 {
    match b {
        b'A' => b'G',
        b'G' => b'A',
        b'C' => b'T',
        _ => b'C',
    }
}

fn transversion(rng: &mut ChaCha8Rng, b: u8) -> u8 {
    let choices: [u8; 2] = match b {
        b'A' | b'G' => [b'C', b'T'],
        _ => [b'A', b'G'],
    };
    choices[rng.random_range(0..2)]
}

fn random_base(rng: &mut ChaCha8Rng) -> u8 {
    b"ACGT"[rng.random_range(0..4)]
}

/// Calls spread over the reference, sorted: about 90% SNVs with exactly
/// two transitions to each transversion (Ti/Tv 2.0, as in whole genomes),
/// the rest short insertions and deletions; 60% heterozygous.
pub(crate) fn variants(rng: &mut ChaCha8Rng, reference: &Reference) -> Vec<Variant> {
    let total: usize = reference.contigs.iter().map(|c| c.seq.len()).sum();
    let mut out = Vec::new();
    for (ci, contig) in reference.contigs.iter().enumerate() {
        let len = contig.seq.len();
        if len < 100 {
            continue;
        }
        let want = (VARIANTS * len).div_ceil(total).min(len / 20);
        let mut positions: Vec<usize> = rand::seq::index::sample(&mut *rng, len - 20, want)
            .into_iter()
            .map(|p| p + 1)
            .collect();
        positions.sort_unstable();
        let mut free_from = 0;
        for pos in positions {
            // 1-based pos: its base is seq[pos - 1]
            if pos < free_from || !b"ACGT".contains(&contig.seq[pos - 1]) {
                continue;
            }
            let base = contig.seq[pos - 1];
            let (reference, alt) = match rng.random_range(0..100) {
                0..5 => {
                    let k = [1, 1, 1, 2, 2, 3, 4][rng.random_range(0..7)];
                    let span = &contig.seq[pos - 1..pos + k];
                    if !span.iter().all(|b| b"ACGT".contains(b)) {
                        continue;
                    }
                    (span.to_vec(), vec![base])
                }
                5..10 => {
                    let k = [1, 1, 1, 2, 2, 3, 4][rng.random_range(0..7)];
                    let mut alt = vec![base];
                    alt.extend((0..k).map(|_| random_base(rng)));
                    (vec![base], alt)
                }
                // the substitution is decided below, once the SNVs are counted
                _ => (vec![base], vec![base]),
            };
            free_from = pos + reference.len() + 10;
            let hom = rng.random_ratio(40, 100);
            let depth = rng.random_range(22..=48);
            let low_quality = rng.random_ratio(3, 100);
            let (qual, gq) = if low_quality {
                (
                    rng.random_range(3_000..5_000) as f64 / 100.0,
                    rng.random_range(8..30),
                )
            } else if hom {
                let gq = if rng.random_ratio(4, 5) {
                    99
                } else {
                    rng.random_range(60..99)
                };
                (
                    f64::from(depth) * rng.random_range(2_800..3_300) as f64 / 100.0,
                    gq,
                )
            } else {
                (
                    f64::from(depth) * rng.random_range(1_200..1_800) as f64 / 100.0,
                    rng.random_range(50..=99),
                )
            };
            out.push(Variant {
                contig: ci,
                pos,
                reference,
                alt,
                hom,
                depth,
                gq,
                qual,
                low_quality,
            });
        }
    }
    // two thirds of the SNVs are transitions
    let snvs: Vec<usize> = (0..out.len()).filter(|&i| out[i].is_snv()).collect();
    let transitions = (snvs.len() * 2 + 1) / 3;
    let chosen: HashSet<usize> = rand::seq::index::sample(&mut *rng, snvs.len(), transitions)
        .into_iter()
        .collect();
    for (k, &i) in snvs.iter().enumerate() {
        let base = out[i].reference[0];
        out[i].alt = vec![if chosen.contains(&k) {
            transition(base)
        } else {
            transversion(rng, base)
        }];
    }
    out
}

/// How a run's reads are named.
struct Namer {
    instrument: Instrument,
    /// Illumina: `instrument:run:flowcell`; DNBSEQ: the flowcell.
    prefix: String,
    lane: u32,
    /// Illumina: `i7+i5`.
    index: String,
    seen: HashSet<String>,
}

impl Namer {
    fn new(rng: &mut ChaCha8Rng, instrument: Instrument, run_id: &str) -> Self {
        let parts: Vec<&str> = run_id.split('_').collect();
        let index: String = {
            let mut s: String = (0..10).map(|_| char::from(random_base(rng))).collect();
            s.push('+');
            s.extend((0..10).map(|_| char::from(random_base(rng))));
            s
        };
        match instrument {
            // 250101_LH00201_0123_A22XXXXLT3 → LH00201:123:22XXXXLT3
            Instrument::NovaSeqXPlus => {
                let machine = parts.get(1).copied().unwrap_or("LH00000");
                let run: u32 = parts.get(2).and_then(|r| r.parse().ok()).unwrap_or(1);
                let flowcell = parts.get(3).map(|f| &f[1..]).unwrap_or("22AAAALT3");
                Self {
                    instrument,
                    prefix: format!("{machine}:{run}:{flowcell}"),
                    lane: rng.random_range(1..=8),
                    index,
                    seen: HashSet::new(),
                }
            }
            // 250101_E100012345_L01 → E100012345, lane 1
            Instrument::DnbseqT7 => {
                let flowcell = parts.get(1).copied().unwrap_or("E100000000");
                let lane = parts
                    .get(2)
                    .and_then(|l| l.trim_start_matches('L').parse().ok())
                    .unwrap_or(1);
                Self {
                    instrument,
                    prefix: flowcell.to_string(),
                    lane,
                    index,
                    seen: HashSet::new(),
                }
            }
        }
    }

    /// The read group of the run's lane (`flowcell.lane`).
    fn read_group(&self) -> String {
        let flowcell = self.prefix.rsplit(':').next().unwrap_or(&self.prefix);
        format!("{flowcell}.{}", self.lane)
    }

    fn platform(&self) -> &'static str {
        match self.instrument {
            Instrument::NovaSeqXPlus => "ILLUMINA",
            Instrument::DnbseqT7 => "DNBSEQ",
        }
    }

    /// The name of read `i` (unique within the run).
    fn name(&mut self, rng: &mut ChaCha8Rng, i: usize) -> String {
        loop {
            let name = match self.instrument {
                Instrument::NovaSeqXPlus => {
                    let surface = rng.random_range(1..=2);
                    let swath = rng.random_range(1..=4);
                    let tile = rng.random_range(1..=98);
                    let x = rng.random_range(1_000..=60_000);
                    let y = rng.random_range(1_000..=30_000);
                    format!(
                        "{}:{}:{surface}{swath}{tile:02}:{x}:{y}",
                        self.prefix, self.lane
                    )
                }
                Instrument::DnbseqT7 => {
                    let column = rng.random_range(1..=20);
                    let row = rng.random_range(1..=50);
                    format!(
                        "{}L{}C{column:03}R{row:03}{:07}",
                        self.prefix,
                        self.lane,
                        i + 1
                    )
                }
            };
            if self.seen.insert(name.clone()) {
                return name;
            }
        }
    }

    /// What follows the read name on a FASTQ `@` line.
    fn fastq_suffix(&self) -> String {
        match self.instrument {
            Instrument::NovaSeqXPlus => format!(" 1:N:0:{}", self.index),
            Instrument::DnbseqT7 => "/1".to_string(),
        }
    }
}

/// Base qualities by cycle: the chance of a low quality (out of 65,536),
/// rising towards the end of the read, the range low qualities are drawn
/// from (high ones are Q32–Q40), and the chance of a miscall at each
/// quality (out of 2^32, as the Phred scale says).
struct QualityProfile {
    low: Vec<u64>,
    low_range: (u8, u8),
    error: [u32; 64],
}

impl QualityProfile {
    fn new(poor: bool) -> Self {
        let low = (0..READ_LEN)
            .map(|cycle| {
                let late = (cycle as f64 / READ_LEN as f64).powi(2);
                let p = if poor {
                    0.55 + 0.35 * late
                } else {
                    0.03 + 0.08 * late
                };
                (p * 65_536.0) as u64
            })
            .collect();
        let mut error = [0u32; 64];
        for (q, e) in error.iter_mut().enumerate() {
            *e = (10f64.powf(-(q as f64) / 10.0) * f64::from(u32::MAX)) as u32;
        }
        Self {
            low,
            low_range: if poor { (2, 24) } else { (11, 28) },
            error,
        }
    }
}

/// The reads of one library and run: single-end, sampled uniformly from
/// the reference (never across unplaced bases or a contig's end), carrying
/// the sample's SNVs (both alleles of a heterozygous one, half and half),
/// with qualities falling off towards the end of the read and errors drawn
/// from the qualities. A `poor` run has mostly low qualities (a failing
/// flow cell).
pub(crate) struct Reads {
    namer: Namer,
    reads: Vec<Read>,
}

pub(crate) fn reads(
    rng: &mut ChaCha8Rng,
    reference: &Reference,
    variants: &[Variant],
    sample: &Sample<'_>,
    poor: bool,
    focus: &[(usize, usize)],
) -> Reads {
    let mut namer = Namer::new(rng, sample.instrument, sample.run_id);
    let profile = QualityProfile::new(poor);
    let usable: Vec<usize> = reference
        .contigs
        .iter()
        .map(|c| c.seq.len().saturating_sub(READ_LEN - 1))
        .collect();
    let total: usize = usable.iter().sum();
    // reads spread over the reference, then FOCUS_READS over each focus
    // locus (the fingerprint sites: a targeted top-up, so that genotypes
    // can be called from the reads there)
    let extra: Vec<(usize, usize)> = focus
        .iter()
        .flat_map(|&(c, pos)| std::iter::repeat_n((c, pos), FOCUS_READS))
        .collect();
    let mut reads = Vec::with_capacity(READS + extra.len());
    for i in 0..READS + extra.len() {
        let (contig, start) =
            if let Some(&(c, pos)) = extra.get(i.wrapping_sub(READS)).filter(|_| i >= READS) {
                let len = reference.contigs[c].seq.len();
                let lo = pos.saturating_sub(READ_LEN - 1).max(1) - 1;
                let hi = (pos - 1).min(len - READ_LEN);
                (c, rng.random_range(lo..=hi.max(lo)))
            } else {
                loop {
                    let mut at = rng.random_range(0..total.max(1));
                    let mut ci = 0;
                    while ci + 1 < usable.len() && at >= usable[ci] {
                        at -= usable[ci];
                        ci += 1;
                    }
                    let window = &reference.contigs[ci].seq[at..at + READ_LEN];
                    if window.iter().all(|b| b"ACGT".contains(b)) {
                        break (ci, at);
                    }
                }
            };
        let mut seq = reference.contigs[contig].seq[start..start + READ_LEN].to_vec();
        // the sample's SNVs
        let from = variants.partition_point(|v| (v.contig, v.pos) < (contig, start + 1));
        for v in &variants[from..] {
            if v.contig != contig || v.pos > start + READ_LEN {
                break;
            }
            if v.is_snv() && (v.hom || rng.random_bool(0.5)) {
                seq[v.pos - 1 - start] = v.alt[0];
            }
        }
        let reverse = rng.random_bool(0.5);
        let mut qual = vec![0u8; READ_LEN];
        for cycle in 0..READ_LEN {
            let k = if reverse { READ_LEN - 1 - cycle } else { cycle };
            // one draw a base: 16 bits decide a low quality, 16 which
            // quality, 32 whether the base is miscalled
            let x = rng.next_u64();
            let pick = ((x >> 16) & 0xffff) as u32;
            let q = if (x & 0xffff) < profile.low[cycle] {
                profile.low_range.0
                    + (pick % u32::from(profile.low_range.1 - profile.low_range.0 + 1)) as u8
            } else {
                32 + (pick % 9) as u8
            };
            qual[k] = q;
            if ((x >> 32) as u32) < profile.error[usize::from(q)] {
                let true_base = seq[k];
                seq[k] = loop {
                    let b = random_base(rng);
                    if b != true_base {
                        break b;
                    }
                };
            }
        }
        // a rare no-call
        if rng.random_ratio(1, 40) {
            let k = rng.random_range(0..READ_LEN);
            seq[k] = b'N';
            qual[k] = 2;
        }
        let name = namer.name(rng, i);
        reads.push(Read {
            name,
            contig,
            start,
            reverse,
            seq,
            qual,
        });
    }
    Reads { namer, reads }
}

fn bgzip(text: &[u8]) -> io::Result<Vec<u8>> {
    let mut writer = bgzf::io::Writer::new(Vec::new());
    writer.write_all(text)?;
    writer.finish()
}

/// The reads as sequenced (reverse reads reverse-complemented back), BGZF
/// compressed (`.fastq.gz`).
pub(crate) fn fastq(reads: &Reads) -> io::Result<Vec<u8>> {
    let suffix = reads.namer.fastq_suffix();
    let mut text = Vec::with_capacity(reads.reads.len() * (2 * READ_LEN + 100));
    for r in &reads.reads {
        text.push(b'@');
        text.extend_from_slice(r.name.as_bytes());
        text.extend_from_slice(suffix.as_bytes());
        text.push(b'\n');
        if r.reverse {
            text.extend(r.seq.iter().rev().map(|&b| complement(b)));
            text.extend_from_slice(b"\n+\n");
            text.extend(r.qual.iter().rev().map(|&q| q + 33));
        } else {
            text.extend_from_slice(&r.seq);
            text.extend_from_slice(b"\n+\n");
            text.extend(r.qual.iter().map(|&q| q + 33));
        }
        text.push(b'\n');
    }
    bgzip(&text)
}

fn invalid(e: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e.to_string())
}

/// The reads aligned to the reference, coordinate-sorted, as CRAM 3.0
/// (reference-based compression against `reference`). The header names the
/// reference's contigs with their MD5s, one read group whose sample is the
/// participant, and the programs that made it. The blocks are laid out
/// canonically (see [`crate::canonical`]), so the same reads give the same
/// bytes.
pub(crate) fn cram(
    reference: &Reference,
    reads: &Reads,
    sample: &Sample<'_>,
    fastq_name: &str,
) -> io::Result<Vec<u8>> {
    let rg = reads.namer.read_group();
    let mut text = String::from("@HD\tVN:1.6\tSO:coordinate\n");
    for c in &reference.contigs {
        text.push_str(&format!(
            "@SQ\tSN:{}\tLN:{}\tM5:{}\tAS:{REFERENCE_NAME}\n",
            c.name,
            c.seq.len(),
            c.md5
        ));
    }
    text.push_str(&format!(
        "@RG\tID:{rg}\tSM:{}\tLB:{}\tPL:{}\tPU:{rg}\tCN:{}\n",
        sample.participant,
        sample.library,
        reads.namer.platform(),
        sample.centre
    ));
    text.push_str(&format!(
        "@PG\tID:bwa-mem2\tPN:bwa-mem2\tVN:{BWA_VERSION}\tCL:bwa-mem2 mem -t 32 -Y {REFERENCE_NAME}.fa {fastq_name}\n"
    ));
    text.push_str(&format!(
        "@PG\tID:MarkDuplicates\tPN:MarkDuplicates\tPP:bwa-mem2\tVN:{GATK_VERSION}\n"
    ));
    text.push_str(&format!(
        "@PG\tID:samtools\tPN:samtools\tPP:MarkDuplicates\tVN:{SAMTOOLS_VERSION}\tCL:samtools view -C -T {REFERENCE_NAME}.fa\n"
    ));
    let header: sam::Header = text.parse().map_err(invalid)?;

    let mut order: Vec<&Read> = reads.reads.iter().collect();
    order.sort_by(|a, b| (a.contig, a.start, &a.name).cmp(&(b.contig, b.start, &b.name)));

    let mut writer = cram::io::writer::Builder::default()
        .set_reference_sequence_repository(reference.repository())
        .build_from_writer(Vec::new());
    writer.write_header(&header)?;
    let mapq = MappingQuality::new(60).ok_or_else(|| invalid("mapping quality"))?;
    for r in order {
        let start = Position::try_from(r.start + 1).map_err(invalid)?;
        let flags = if r.reverse {
            Flags::REVERSE_COMPLEMENTED
        } else {
            Flags::empty()
        };
        let record = RecordBuf::builder()
            .set_name(r.name.as_str())
            .set_flags(flags)
            .set_reference_sequence_id(r.contig)
            .set_alignment_start(start)
            .set_mapping_quality(mapq)
            .set_cigar([Op::new(Kind::Match, r.seq.len())].into_iter().collect())
            .set_sequence(Sequence::from(r.seq.clone()))
            .set_quality_scores(QualityScores::from(r.qual.clone()))
            .set_data(
                [(Tag::READ_GROUP, Value::from(rg.as_str()))]
                    .into_iter()
                    .collect(),
            )
            .build();
        writer.write_alignment_record(&header, &record)?;
    }
    writer.try_finish(&header)?;
    crate::canonical::canonical_cram(&writer.into_inner())
}

/// The sample's calls as VCF 4.2, BGZF compressed (`.vcf.gz`), in the
/// style of GATK HaplotypeCaller.
pub(crate) fn vcf(
    reference: &Reference,
    variants: &[Variant],
    sample: &Sample<'_>,
) -> io::Result<Vec<u8>> {
    let mut text = String::from("##fileformat=VCFv4.2\n");
    text.push_str("##FILTER=<ID=PASS,Description=\"All filters passed\">\n");
    text.push_str("##FILTER=<ID=LowQual,Description=\"Low quality\">\n");
    text.push_str("##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n");
    text.push_str(
        "##FORMAT=<ID=DP,Number=1,Type=Integer,Description=\"Approximate read depth\">\n",
    );
    text.push_str("##FORMAT=<ID=GQ,Number=1,Type=Integer,Description=\"Genotype Quality\">\n");
    text.push_str("##INFO=<ID=AC,Number=A,Type=Integer,Description=\"Allele count in genotypes, for each ALT allele\">\n");
    text.push_str("##INFO=<ID=AF,Number=A,Type=Float,Description=\"Allele Frequency, for each ALT allele\">\n");
    text.push_str("##INFO=<ID=AN,Number=1,Type=Integer,Description=\"Total number of alleles in called genotypes\">\n");
    text.push_str("##INFO=<ID=DP,Number=1,Type=Integer,Description=\"Approximate read depth; some reads may have been filtered\">\n");
    text.push_str(&format!(
        "##GATKCommandLine=<ID=HaplotypeCaller,CommandLine=\"HaplotypeCaller --reference {REFERENCE_NAME}.fa --input {}.cram\",Version=\"{GATK_VERSION}\">\n",
        sample.participant
    ));
    for c in &reference.contigs {
        text.push_str(&format!(
            "##contig=<ID={},length={},assembly={REFERENCE_NAME}>\n",
            c.name,
            c.seq.len()
        ));
    }
    text.push_str(&format!("##reference={REFERENCE_NAME}\n"));
    text.push_str("##source=HaplotypeCaller\n");
    text.push_str(&format!(
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t{}\n",
        sample.participant
    ));
    for v in variants {
        let (gt, ac, af) = if v.hom {
            ("1/1", 2, "1.00")
        } else {
            ("0/1", 1, "0.500")
        };
        text.push_str(&format!(
            "{}\t{}\t.\t{}\t{}\t{:.2}\t{}\tAC={ac};AF={af};AN=2;DP={}\tGT:DP:GQ\t{gt}:{}:{}\n",
            reference.contigs[v.contig].name,
            v.pos,
            String::from_utf8_lossy(&v.reference),
            String::from_utf8_lossy(&v.alt),
            v.qual,
            if v.low_quality { "LowQual" } else { "PASS" },
            v.depth + v.depth / 10,
            v.depth,
            v.gq
        ));
    }
    bgzip(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;
    use crate::reference::Reference;

    fn reference() -> Reference {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.fa");
        crate::reference::write_reference(&path, 3).unwrap();
        crate::reference::load(&path).unwrap()
    }

    #[test]
    fn the_same_reads_give_the_same_cram() {
        let r = reference();
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let vs = variants(&mut rng, &r);
        let sample = Sample {
            participant: "ZP5ON8BLCVF",
            library: "LBP54SY3E9L",
            centre: "SEQ-KZ",
            instrument: Instrument::NovaSeqXPlus,
            run_id: "250102_LH00201_0042_A22HGTWLT3",
        };
        let rs = reads(&mut rng, &r, &vs, &sample, false, &[]);
        let first = cram(&r, &rs, &sample, "x.fastq.gz").unwrap();
        for _ in 0..4 {
            assert_eq!(cram(&r, &rs, &sample, "x.fastq.gz").unwrap(), first);
        }
        // noodles still reads it, record for record
        let mut reader = noodles::cram::io::reader::Builder::default()
            .set_reference_sequence_repository(r.repository())
            .build_from_reader(&first[..]);
        let header = reader.read_header().unwrap();
        let records = reader
            .records(&header)
            .collect::<io::Result<Vec<_>>>()
            .unwrap();
        assert_eq!(records.len(), READS);
    }

    #[test]
    fn calls_match_the_reference() {
        let r = reference();
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let vs = variants(&mut rng, &r);
        assert!((250..=VARIANTS).contains(&vs.len()), "{}", vs.len());
        let (mut ti, mut tv) = (0, 0);
        for w in vs.windows(2) {
            assert!((w[0].contig, w[0].pos) < (w[1].contig, w[1].pos));
        }
        for v in &vs {
            let seq = &r.contigs[v.contig].seq;
            assert_eq!(
                &seq[v.pos - 1..v.pos - 1 + v.reference.len()],
                &v.reference[..]
            );
            assert_ne!(v.reference, v.alt);
            if v.is_snv() {
                if transition(v.reference[0]) == v.alt[0] {
                    ti += 1;
                } else {
                    tv += 1;
                }
            }
        }
        let ratio = f64::from(ti) / f64::from(tv);
        assert!((1.9..2.1).contains(&ratio), "{ratio}");
    }
}
