//! The demo's synthetic reference genome: two small contigs named like
//! human chromosomes, with a human-like base composition, written as FASTA
//! with its `.fai` index, and read back for generating reads and calls.

use std::io::{BufReader, Write};
use std::path::Path;

use md5::{Digest, Md5};
use noodles::fasta;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::DemoError;

/// The reference's name, as recorded with every file aligned to it.
pub(crate) const REFERENCE_NAME: &str = "zenome-demo-ref-1";

/// Contig names and lengths (about 200 kb in all).
const CONTIGS: [(&str, usize); 2] = [("chr21", 80_000), ("chr22", 120_000)];

/// Unplaced sequence (N) at the start of each contig, as on acrocentric
/// chromosomes' short arms.
const LEADING_N: usize = 500;

/// FASTA line width.
const LINE: usize = 60;

/// The largest reference the demo reads back (it is held in memory).
const MAX_REFERENCE_BYTES: u64 = 64 << 20;

/// ChaCha stream of the reference (the cohort uses stream 0).
const REFERENCE_STREAM: u64 = 2;

/// One contig, upper case, with the MD5 of its sequence (`@SQ M5`).
#[derive(Debug, Clone)]
pub(crate) struct Contig {
    pub name: String,
    pub seq: Vec<u8>,
    pub md5: String,
}

/// A reference genome held in memory.
#[derive(Debug, Clone)]
pub(crate) struct Reference {
    pub contigs: Vec<Contig>,
}

impl Reference {
    /// The repository the CRAM writer encodes against.
    pub fn repository(&self) -> fasta::Repository {
        let records: Vec<fasta::Record> = self
            .contigs
            .iter()
            .map(|c| {
                fasta::Record::new(
                    fasta::record::Definition::new(c.name.as_str(), None),
                    fasta::record::Sequence::from(c.seq.clone()),
                )
            })
            .collect();
        fasta::Repository::new(records)
    }
}

fn contig(name: &str, mut seq: Vec<u8>) -> Contig {
    seq.make_ascii_uppercase();
    let md5 = hex::encode(Md5::digest(&seq));
    Contig {
        name: name.to_string(),
        seq,
        md5,
    }
}

/// The synthetic contigs for `seed`.
fn synthesise(seed: u64) -> Reference {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(REFERENCE_STREAM);
    let contigs = CONTIGS
        .iter()
        .map(|(name, len)| contig(name, bases(&mut rng, *len)))
        .collect();
    Reference { contigs }
}

/// `len` bases: leading Ns, then a sequence about 41% GC with CpG depleted
/// (as in the human genome), homopolymers and short tandem repeats.
fn bases(rng: &mut ChaCha8Rng, len: usize) -> Vec<u8> {
    let mut seq = vec![b'N'; LEADING_N.min(len)];
    while seq.len() < len {
        match rng.random_range(0..1000) {
            // a microsatellite: (CA)n, (AAAT)n, …
            0 => {
                let unit_len = rng.random_range(1..=4);
                let unit: Vec<u8> = (0..unit_len).map(|_| base(rng, None)).collect();
                let copies = rng.random_range(6..=18);
                for _ in 0..copies {
                    seq.extend_from_slice(&unit);
                }
            }
            // a poly-A/T run (Alu and L1 tails)
            1 => {
                let b = if rng.random_bool(0.5) { b'A' } else { b'T' };
                let n = rng.random_range(8..=25);
                seq.extend(std::iter::repeat_n(b, n));
            }
            _ => {
                let previous = seq.last().copied();
                seq.push(base(rng, previous));
            }
        }
    }
    seq.truncate(len);
    seq
}

/// One base, about 59% A/T, with G after C four times rarer.
fn base(rng: &mut ChaCha8Rng, previous: Option<u8>) -> u8 {
    // weights in thousandths: A, C, G, T
    let g = if previous == Some(b'C') { 51 } else { 205 };
    let weights = [295, 205, g, 295];
    let total: u32 = weights.iter().sum();
    let mut roll = rng.random_range(0..total);
    for (b, w) in [b'A', b'C', b'G', b'T'].into_iter().zip(weights) {
        if roll < w {
            return b;
        }
        roll -= w;
    }
    b'T'
}

fn io_error(path: &Path, e: std::io::Error) -> DemoError {
    DemoError::Files(format!("{}: {e}", path.display()))
}

/// Writes the demo's synthetic reference for `seed` to `path` (FASTA, 60
/// bases a line) and its index to `path` + `.fai`: two contigs, `chr21`
/// (80 kb) and `chr22` (120 kb), each starting with 500 unplaced bases (N),
/// then bases drawn from `seed` with a human-like composition (about 41%
/// GC, CpG depleted, homopolymers and short tandem repeats). The same seed
/// writes the same bytes.
///
/// Point `config.files.reference_fasta` at `path` before building the
/// [`App`](zenome_app::App) the demo runs on, so CRAM files aligned to it
/// are decoded at ingest, and `config.identity.panel` at
/// [`panel_path`](crate::panel_path)`(path)`, the fingerprint sites written
/// beside it.
pub fn write_reference(path: &Path, seed: u64) -> Result<(), DemoError> {
    let reference = synthesise(seed);
    let mut fasta = Vec::new();
    let mut fai = String::new();
    for c in &reference.contigs {
        fasta.push(b'>');
        fasta.extend_from_slice(c.name.as_bytes());
        fasta.push(b'\n');
        let offset = fasta.len();
        for line in c.seq.chunks(LINE) {
            fasta.extend_from_slice(line);
            fasta.push(b'\n');
        }
        fai.push_str(&format!(
            "{}\t{}\t{offset}\t{LINE}\t{}\n",
            c.name,
            c.seq.len(),
            LINE + 1
        ));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
    }
    let mut fai_path = path.as_os_str().to_owned();
    fai_path.push(".fai");
    let fai_path = Path::new(&fai_path);
    let write = |p: &Path, bytes: &[u8]| -> Result<(), DemoError> {
        let mut f = std::fs::File::create(p).map_err(|e| io_error(p, e))?;
        f.write_all(bytes).map_err(|e| io_error(p, e))?;
        f.sync_all().map_err(|e| io_error(p, e))
    };
    write(path, &fasta)?;
    write(fai_path, fai.as_bytes())?;
    crate::identity::write_panel(&reference, &crate::identity::panel_path(path))
}

/// Reads a (small) reference FASTA into memory.
pub(crate) fn load(path: &Path) -> Result<Reference, DemoError> {
    let size = std::fs::metadata(path)
        .map_err(|e| io_error(path, e))?
        .len();
    if size > MAX_REFERENCE_BYTES {
        return Err(DemoError::Files(format!(
            "{} is {size} bytes: the demo generates its files against a small reference \
             (write one with zenome_demo::write_reference)",
            path.display()
        )));
    }
    let file = std::fs::File::open(path).map_err(|e| io_error(path, e))?;
    let mut reader = fasta::io::Reader::new(BufReader::new(file));
    let mut contigs = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| io_error(path, e))?;
        let name = String::from_utf8_lossy(record.name()).into_owned();
        contigs.push(contig(&name, record.sequence().as_ref().to_vec()));
    }
    if contigs.is_empty() {
        return Err(DemoError::Files(format!(
            "{} holds no sequences",
            path.display()
        )));
    }
    Ok(Reference { contigs })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composition_and_determinism() {
        let a = synthesise(1);
        let b = synthesise(1);
        let c = synthesise(2);
        assert_eq!(a.contigs[1].seq, b.contigs[1].seq);
        assert_ne!(a.contigs[1].seq, c.contigs[1].seq);
        let seq = &a.contigs[1].seq;
        assert_eq!(seq.len(), 120_000);
        assert!(seq[..LEADING_N].iter().all(|&b| b == b'N'));
        let called = &seq[LEADING_N..];
        assert!(called.iter().all(|b| b"ACGT".contains(b)));
        let gc =
            called.iter().filter(|&&b| b == b'G' || b == b'C').count() as f64 / called.len() as f64;
        assert!((0.37..0.45).contains(&gc), "GC {gc}");
    }

    #[test]
    fn written_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ref").join("demo.fa");
        write_reference(&path, 5).unwrap();
        let back = load(&path).unwrap();
        let made = synthesise(5);
        assert_eq!(back.contigs.len(), 2);
        for (x, y) in back.contigs.iter().zip(&made.contigs) {
            assert_eq!(x.name, y.name);
            assert_eq!(x.seq, y.seq);
            assert_eq!(x.md5, y.md5);
        }
        // the index lets noodles read a region
        let mut reader = fasta::io::indexed_reader::Builder::default()
            .build_from_path(&path)
            .unwrap();
        let region = "chr22:1001-1060".parse().unwrap();
        let record = reader.query(&region).unwrap();
        assert_eq!(record.sequence().as_ref(), &made.contigs[1].seq[1000..1060]);
        let fai = std::fs::read_to_string(dir.path().join("ref").join("demo.fa.fai")).unwrap();
        assert_eq!(fai.lines().count(), 2);
        assert!(fai.starts_with("chr21\t80000\t7\t60\t61\n"));
    }
}
