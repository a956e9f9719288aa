//! `zenome variants …`: the cohort variant store on files, without a server
//! (load VCF/BCF into a Parquet store; allele frequencies over a region and a
//! sample list).

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use zenome_variants::hgvs::parse_variant;
use zenome_variants::{GeneIndex, LoadOptions, Store};

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
    /// Prints AC, AN and AF of every stored allele in a region, a gene or
    /// of one variant as TSV (streamed: a whole chromosome never sits in memory).
    Freq {
        /// Store directory.
        #[arg(long)]
        store: PathBuf,
        /// CHR:START-END (1-based, inclusive), or CHR.
        #[arg(long, required_unless_present_any = ["gene", "variant"], conflicts_with_all = ["gene", "variant"])]
        region: Option<String>,
        /// A gene symbol or id (e.g. APP, ENSG00000142192): its span in the
        /// gene model of --gene-model.
        #[arg(long, requires = "gene_model", conflicts_with = "variant")]
        gene: Option<String>,
        /// GFF3 or GTF gene model (plain or gzipped; Ensembl or GENCODE).
        #[arg(long)]
        gene_model: Option<PathBuf>,
        /// One variant: CHROM-POS-REF-ALT or HGVS g. (20:g.1000226A>T,
        /// NC_000020.10:g.1000226A>T, …del, …ins, …delins, …dup); bases a
        /// description leaves out are read from the stored alleles.
        #[arg(long)]
        variant: Option<String>,
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
            gene,
            gene_model,
            variant,
            samples,
            origin,
        } => {
            let target = match (region, gene, variant) {
                (Some(r), _, _) => Target::Region(r),
                (_, Some(g), _) => {
                    Target::Gene(g, gene_model.context("--gene needs --gene-model")?)
                }
                (_, _, Some(v)) => Target::Variant(v),
                _ => anyhow::bail!("give --region, --gene or --variant"),
            };
            freq(&store, &target, samples.as_deref(), origin)
        }
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

/// What `freq` counts.
enum Target {
    Region(String),
    Gene(String, PathBuf),
    Variant(String),
}

fn freq(
    store: &Path,
    target: &Target,
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
    // one allele: (REF, ALT) to keep
    let mut only: Option<(String, String)> = None;
    let region: noodles::core::Region = match target {
        Target::Region(region) => region
            .parse()
            .with_context(|| format!("invalid region {region:?} (want CHR:START-END)"))?,
        Target::Gene(name, model) => {
            let index = GeneIndex::from_path(model)?;
            let loci = index.lookup(name);
            let mut chosen = None;
            for g in &loci {
                if let Some(c) = s.resolve_chrom(&g.chrom)? {
                    chosen = Some((c, g.start, g.end));
                    break;
                }
            }
            let (chrom, start, end) = match (chosen, loci.first()) {
                (Some(x), _) => x,
                (None, Some(g)) => (g.chrom.clone(), g.start, g.end),
                (None, None) => {
                    anyhow::bail!("gene {name:?} is not in the gene model {}", model.display())
                }
            };
            format!("{chrom}:{start}-{end}")
                .parse()
                .with_context(|| format!("gene {name:?}: region {chrom}:{start}-{end}"))?
        }
        Target::Variant(text) => {
            let spec = parse_variant(text)?;
            let chrom = s
                .resolve_chrom(&spec.chrom)?
                .unwrap_or_else(|| spec.chrom.clone());
            let mut err = None;
            let a = spec.to_allele(&mut |a, b| match s.reference_bases(&chrom, a, b) {
                Ok(x) => x,
                Err(e) => {
                    err = Some(e);
                    None
                }
            });
            if let Some(e) = err {
                return Err(e.into());
            }
            let a = a?;
            only = Some((a.reference, a.alt));
            format!("{chrom}:{p}-{p}", p = a.pos).parse()?
        }
    };
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
        if err.is_some()
            || only
                .as_ref()
                .is_some_and(|(r, x)| *r != a.reference || *x != a.alt)
        {
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
