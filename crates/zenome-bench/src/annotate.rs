//! `zenome-bench annotate`: variant annotation, `zenome_annotate` in process
//! on one thread (gene model + FASTA → VCF with CSQ, written to a file),
//! beside `bcftools csq -l` (local mode) on the same gene model, FASTA and
//! VCF. Throughput over a large VCF, start-up on a one-patient-sized one
//! (time to the first annotated record, and the whole run), peak memory.
//!
//! Default input: Ensembl VEP's chr21 GFF3 (2,414 transcripts, whole
//! chromosome) with the chr21 FASTA in `zenome-annotate/testdata` (real
//! bases over 21:24.99–26.00 Mb and 43.76–43.89 Mb, `N` elsewhere), and a
//! VCF generated over the 1 Mb of real sequence: seeded (ChaCha8, seed 10),
//! positions drawn uniformly, REF read from the FASTA, 80 % SNVs, 10 %
//! deletions and 10 % insertions of 1–6 bases.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use rand::{RngExt, SeedableRng};
use zenome_annotate::vcf::{self, ChromNames, Options};
use zenome_annotate::{Annotator, CanonicalPolicy, GeneModel, Reference};

fn data_dir() -> PathBuf {
    std::env::var_os("ZENOME_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
}

fn default_fasta() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../zenome-annotate/testdata/vep-chr21.fa.gz")
}

/// The region of real sequence in the default FASTA.
const REAL: (u32, u32) = (24_985_581, 26_000_306);

/// Writes `n` random variants over `chrom:from..=to` with REF from the FASTA.
fn generate(fasta: &Path, chrom: &str, from: u32, to: u32, n: usize, out: &Path) -> Result<()> {
    let mut reference = Reference::open(fasta)?;
    let len = reference
        .length(chrom)
        .context("chromosome not in the FASTA")?;
    let seq = reference.fetch(chrom, from, to.min(len))?.to_vec();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(10);
    let mut picked = std::collections::BTreeSet::new();
    let span = seq.len() as u32 - 8;
    while picked.len() < n {
        let off = rng.random_range(1..span);
        if seq[off as usize..off as usize + 8]
            .iter()
            .all(|b| b"ACGT".contains(b))
        {
            picked.insert(off);
        }
    }
    let mut w = BufWriter::new(std::fs::File::create(out)?);
    writeln!(w, "##fileformat=VCFv4.2")?;
    writeln!(w, "##contig=<ID={chrom},length={len}>")?;
    writeln!(w, "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO")?;
    let base = |i: usize| seq[i] as char;
    for off in picked {
        let pos = from + off;
        let i = off as usize;
        let kind = rng.random_range(0..10u32);
        let k = rng.random_range(1..=6usize);
        let (r, a) = if kind < 8 {
            let r = seq[i];
            let alts: Vec<u8> = b"ACGT".iter().copied().filter(|&b| b != r).collect();
            (
                (r as char).to_string(),
                (alts[rng.random_range(0..3usize)] as char).to_string(),
            )
        } else if kind == 8 {
            // deletion of k bases after the anchor
            let r: String = (i..=i + k).map(base).collect();
            (r, base(i).to_string())
        } else {
            let ins: String = (0..k)
                .map(|_| b"ACGT"[rng.random_range(0..4usize)] as char)
                .collect();
            (base(i).to_string(), format!("{}{ins}", base(i)))
        };
        writeln!(w, "{chrom}\t{pos}\t.\t{r}\t{a}\t.\t.\t.")?;
    }
    w.flush()?;
    Ok(())
}

/// Our run: load the model, open the FASTA, annotate to `out`. Returns
/// (model load, time to the first record written, total, records).
fn ours(
    gff: &Path,
    fasta: &Path,
    input: &Path,
    out: &Path,
    distance: u32,
) -> Result<(Duration, Duration, Duration, u64)> {
    /// A file writer that notes when the first record (a line not starting
    /// with `#`) reaches it.
    struct FirstRecord<W: Write> {
        inner: W,
        start: Instant,
        first: Option<Duration>,
        at_line_start: bool,
    }
    impl<W: Write> Write for FirstRecord<W> {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.first.is_none() {
                for &b in buf {
                    if self.at_line_start && b != b'#' {
                        self.first = Some(self.start.elapsed());
                        break;
                    }
                    self.at_line_start = b == b'\n';
                }
            }
            self.inner.write(buf)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            self.inner.flush()
        }
    }
    let start = Instant::now();
    let model = GeneModel::from_path(gff, CanonicalPolicy::default())?;
    let load = start.elapsed();
    let mut ann = Annotator::new(&model, Reference::open(fasta)?);
    ann.distance = distance;
    let mut w = FirstRecord {
        inner: BufWriter::with_capacity(1 << 16, std::fs::File::create(out)?),
        start,
        first: None,
        at_line_start: true,
    };
    let summary = vcf::annotate(
        &mut ann,
        vcf::open(input)?,
        input,
        &mut w,
        &Options {
            chrom_names: ChromNames::Exact,
            provenance: "bench".into(),
        },
    )?;
    w.flush()?;
    let total = start.elapsed();
    anyhow::ensure!(
        summary.ref_mismatches == 0,
        "REF mismatches: {:?}",
        summary.mismatch_examples
    );
    Ok((load, w.first.unwrap_or(total), total, summary.records))
}

/// bcftools csq on stdout: (time to the first record, total, peak RSS MiB
/// from `/usr/bin/time -v` when it is there, bytes written).
fn bcftools(
    gff: &Path,
    fasta: &Path,
    input: &Path,
) -> Result<(Duration, Duration, Option<f64>, u64)> {
    let time_v = Path::new("/usr/bin/time").exists();
    let mut cmd = if time_v {
        let mut c = Command::new("/usr/bin/time");
        c.arg("-v").arg("bcftools");
        c
    } else {
        Command::new("bcftools")
    };
    cmd.args(["csq", "-l", "-f"])
        .arg(fasta)
        .arg("-g")
        .arg(gff)
        .arg(input)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn().context("running bcftools csq")?;
    let mut out = BufReader::with_capacity(1 << 16, child.stdout.take().expect("stdout"));
    let mut first = None;
    let mut line = Vec::new();
    let mut bytes = 0u64;
    loop {
        line.clear();
        let k = out.read_until(b'\n', &mut line)?;
        if k == 0 {
            break;
        }
        bytes += k as u64;
        if first.is_none() && !line.starts_with(b"#") {
            first = Some(start.elapsed());
        }
    }
    let o = child.wait_with_output()?;
    let total = start.elapsed();
    let err = String::from_utf8_lossy(&o.stderr);
    anyhow::ensure!(o.status.success(), "bcftools csq failed: {err}");
    let rss = err
        .lines()
        .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
        .and_then(|k| k.trim().parse::<f64>().ok())
        .map(|k| k / 1024.0);
    Ok((first.unwrap_or(total), total, rss, bytes))
}

fn best<T: Copy, K: PartialOrd>(runs: &[T], key: impl Fn(&T) -> K) -> T {
    *runs
        .iter()
        .min_by(|a, b| key(a).partial_cmp(&key(b)).expect("comparable"))
        .expect("a run")
}

pub fn run(
    gff: Option<PathBuf>,
    fasta: Option<PathBuf>,
    vcf_in: Option<PathBuf>,
    variants: usize,
    small: usize,
    reps: usize,
    distance: u32,
) -> Result<()> {
    let gff =
        gff.unwrap_or_else(|| data_dir().join("annotation/gene-models/ensembl-vep-chr21.gff.gz"));
    let fasta = fasta.unwrap_or_else(default_fasta);
    let tmp = tempfile::tempdir()?;
    let big = match vcf_in {
        Some(v) => v,
        None => {
            let p = tmp.path().join("random.vcf");
            generate(&fasta, "21", REAL.0, REAL.1, variants, &p)?;
            p
        }
    };
    let small_vcf = tmp.path().join("small.vcf");
    generate(&fasta, "21", REAL.0, REAL.1, small, &small_vcf)?;
    let sink = tmp.path().join("annotated.vcf");
    let reps = reps.max(1);

    println!(
        "| input | zenome (in process, 1 thread, VCF written to a file) | bcftools csq -l (1 thread, to a pipe) | ratio |"
    );
    println!("|---|---|---|---|");
    for (label, input) in [("large", &big), ("one patient", &small_vcf)] {
        let mut o = Vec::new();
        crate::reset_peak_rss();
        for _ in 0..reps {
            o.push(ours(&gff, &fasta, input, &sink, distance)?);
        }
        let rss = crate::peak_rss_mib();
        let mut b = Vec::new();
        for _ in 0..reps {
            b.push(bcftools(&gff, &fasta, input)?);
        }
        let (load, first, total, records) = best(&o, |r| r.2);
        let (b_first, b_total, b_rss, b_bytes) = best(&b, |r| r.1);
        let bytes = std::fs::metadata(&sink)?.len();
        let b_rss = b_rss.map_or("?".into(), |r| format!("{r:.0} MiB"));
        let annot = total - load;
        eprintln!(
            "{label}: output {:.1} MB (zenome, CSQ) vs {:.1} MB (bcftools, BCSQ)",
            bytes as f64 / 1e6,
            b_bytes as f64 / 1e6
        );
        eprintln!(
            "{label}: ours {:?}; bcftools {:?}",
            o.iter().map(|r| r.2.as_secs_f64()).collect::<Vec<_>>(),
            b.iter().map(|r| r.1.as_secs_f64()).collect::<Vec<_>>()
        );
        println!(
            "| {label}: {records} variants | {:.3} s total (gene model {:.3} s, annotation {:.3} s = {:.0} variants/s; {:.0} variants/s with the load), first record after {:.3} s, peak RSS {rss:.0} MiB | {:.3} s total ({:.0} variants/s), first record after {:.3} s, peak RSS {b_rss} | {:.2}× bcftools' speed (whole runs); first record {:.2}× |",
            total.as_secs_f64(),
            load.as_secs_f64(),
            annot.as_secs_f64(),
            records as f64 / annot.as_secs_f64(),
            records as f64 / total.as_secs_f64(),
            first.as_secs_f64(),
            b_total.as_secs_f64(),
            records as f64 / b_total.as_secs_f64(),
            b_first.as_secs_f64(),
            b_total.as_secs_f64() / total.as_secs_f64(),
            b_first.as_secs_f64() / first.as_secs_f64(),
        );
    }
    Ok(())
}
