//! `zenome variants …`: the cohort variant store on files, without a server
//! (load VCF/BCF into a Parquet store; allele frequencies over a region and a
//! sample list).

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use zenome_variants::{LoadOptions, Store};

#[derive(Subcommand)]
pub enum VariantsCommand {
    /// Loads germline VCF/BCF files (plain or bgzip) into a store, one batch
    /// each; a file already loaded (same SHA-256) is refused.
    Load {
        /// Store directory (created if missing). Without it the files go
        /// into the server's store (`[variants] store_dir` of the
        /// configuration / `--data-dir`) through the application, which
        /// refuses sample names that are not registered participants.
        #[arg(long)]
        store: Option<PathBuf>,
        /// Reference FASTA (bgzip+fai+gzi or plain+fai): REF is checked
        /// (a mismatch refuses the file) and indels are left-aligned.
        #[arg(long)]
        reference: Option<PathBuf>,
        /// The pipeline that produced the files (recorded with the batch).
        #[arg(long, default_value = "")]
        pipeline: String,
        /// The reference version (e.g. GRCh37), recorded with the batch.
        #[arg(long, default_value = "")]
        reference_version: String,
        /// `germline` (default) or `somatic`: a somatic tumour/normal VCF
        /// keeps its tumour column and passing somatic calls only, and is not
        /// counted in germline frequencies.
        #[arg(long, default_value = "germline")]
        origin: zenome_variants::Origin,
        /// VCF/BCF files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Prints AC, AN and AF of every stored allele in a region as TSV.
    Freq {
        /// Store directory.
        #[arg(long)]
        store: PathBuf,
        /// CHR:START-END (1-based, inclusive), or CHR.
        #[arg(long)]
        region: String,
        /// File of sample names to count (one a line; default: all).
        #[arg(long)]
        samples: Option<PathBuf>,
        /// Which batches to count: `germline` (default) or `somatic`.
        #[arg(long, default_value = "germline")]
        origin: zenome_variants::Origin,
    },
}

pub fn run(cmd: VariantsCommand) -> Result<()> {
    match cmd {
        VariantsCommand::Load {
            store,
            reference,
            pipeline,
            reference_version,
            origin,
            files,
        } => match store {
            Some(store) => load(
                &store,
                reference,
                pipeline,
                reference_version,
                origin,
                &files,
            ),
            None => anyhow::bail!("--store is required here"),
        },
        VariantsCommand::Freq {
            store,
            region,
            samples,
            origin,
        } => freq(&store, &region, samples.as_deref(), origin),
    }
}

fn load(
    store: &Path,
    reference: Option<PathBuf>,
    pipeline: String,
    reference_version: String,
    origin: zenome_variants::Origin,
    files: &[PathBuf],
) -> Result<()> {
    let mut s = Store::open(store)?;
    for f in files {
        let size = std::fs::metadata(f)
            .with_context(|| format!("reading {}", f.display()))?
            .len();
        let bar = ProgressBar::new(size);
        bar.set_style(
            ProgressStyle::with_template(
                "{msg} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} {eta}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar.set_message(f.display().to_string());
        let mut progress = |bytes: u64, records: u64| {
            bar.set_position(bytes);
            bar.set_message(format!("{} ({records} records)", f.display()));
        };
        let r = s.load(
            f,
            LoadOptions {
                pipeline: pipeline.clone(),
                reference_version: reference_version.clone(),
                reference: reference.clone(),
                progress: Some(&mut progress),
                origin,
                ..Default::default()
            },
        );
        bar.finish_and_clear();
        let r = r?;
        println!(
            "{}: batch {}, {} samples, {} records, {} rows, {} reference blocks skipped",
            f.display(),
            r.batch.id,
            r.batch.n_samples,
            r.batch.n_records,
            r.batch.n_rows,
            r.batch.skipped_reference_blocks
        );
    }
    Ok(())
}

fn freq(
    store: &Path,
    region: &str,
    samples: Option<&Path>,
    origin: zenome_variants::Origin,
) -> Result<()> {
    if !store.join("manifest.json").is_file() {
        anyhow::bail!(
            "{} is not a variant store (no manifest.json)",
            store.display()
        );
    }
    let s = Store::open(store)?;
    let region: noodles::core::Region = region
        .parse()
        .with_context(|| format!("invalid region {region:?} (want CHR:START-END)"))?;
    let mask = match samples {
        None => s.mask_all(),
        Some(p) => {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            let names: Vec<&str> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            s.mask_of(&names)?
        }
    };
    // only the batches of the origin asked for (germline by default)
    let of_origin = s.mask_origin(origin);
    let mut mask = mask;
    for i in 0..s.samples().len() as u32 {
        if !of_origin.contains(i) {
            mask.remove(i);
        }
    }
    let out = std::io::stdout().lock();
    let mut out = BufWriter::new(out);
    writeln!(out, "#CHROM\tPOS\tREF\tALT\tAC\tAN\tAF")?;
    let mut err = None;
    s.freq(&region, &mask, |a| {
        if err.is_some() {
            return;
        }
        let af = a.af().map_or(".".to_string(), |f| format!("{f:.6}"));
        if let Err(e) = writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}",
            a.chrom, a.pos, a.reference, a.alt, a.counts.ac, a.counts.an, af
        ) {
            err = Some(e);
        }
    })?;
    if let Some(e) = err {
        return Err(e.into());
    }
    out.flush()?;
    Ok(())
}
