//! `zenome annotate …`: consequences of a VCF's variants from a gene model
//! and a reference FASTA, on files alone (no server). Writes the VCF to
//! standard output with a `CSQ` INFO field in Ensembl VEP's layout.

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use zenome_annotate::vcf::{self, ChromNames, Options};
use zenome_annotate::{Annotator, CanonicalPolicy, GeneModel, Reference};

#[derive(Clone, Copy, ValueEnum)]
pub enum CanonicalArg {
    /// MANE Select, else Ensembl_canonical, else the longest CDS (VEP's order).
    Mane,
    /// Ensembl_canonical, else the longest CDS.
    Ensembl,
    /// The longest CDS, then the longest transcript.
    Longest,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ChromNamesArg {
    /// Names must be spelled alike in the VCF, gene model and FASTA.
    Exact,
    /// chr1 and 1, chrM and MT are the same chromosome.
    Auto,
}

#[derive(Args)]
pub struct AnnotateArgs {
    /// Gene model: GFF3 or GTF (Ensembl or GENCODE), plain or gzipped.
    #[arg(long)]
    gene_model: PathBuf,
    /// Reference FASTA with its .fai (bgzipped: also .gzi).
    #[arg(long)]
    reference: PathBuf,
    /// How the canonical transcript of each gene is chosen.
    #[arg(long, value_enum, default_value = "mane")]
    canonical: CanonicalArg,
    /// Report canonical transcripts only.
    #[arg(long)]
    canonical_only: bool,
    /// Up/downstream distance to report (VEP's --distance; 0: only the
    /// transcripts a variant overlaps).
    #[arg(long, default_value_t = 5000)]
    distance: u32,
    /// How chromosome names are matched across the inputs.
    #[arg(long, value_enum, default_value = "exact")]
    chrom_names: ChromNamesArg,
    /// Input VCF (plain, gzip or BGZF); `-` for standard input.
    input: PathBuf,
}

pub fn run(args: AnnotateArgs) -> Result<()> {
    let started = Instant::now();
    let policy = match args.canonical {
        CanonicalArg::Mane => CanonicalPolicy::ManeThenEnsembl,
        CanonicalArg::Ensembl => CanonicalPolicy::Ensembl,
        CanonicalArg::Longest => CanonicalPolicy::Longest,
    };
    let model = GeneModel::from_path(&args.gene_model, policy)
        .with_context(|| format!("reading the gene model {}", args.gene_model.display()))?;
    let reference = Reference::open(&args.reference)?;
    let mut ann = Annotator::new(&model, reference);
    ann.canonical_only = args.canonical_only;
    ann.distance = args.distance;
    let input = vcf::open(&args.input)?;
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let provenance = format!(
        "version=\"{}\",gene_model=\"{}\",transcripts={},reference=\"{}\"",
        env!("CARGO_PKG_VERSION"),
        args.gene_model.display(),
        model.transcripts().len(),
        args.reference.display()
    );
    let summary = vcf::annotate(
        &mut ann,
        input,
        &args.input,
        &mut out,
        &Options {
            chrom_names: match args.chrom_names {
                ChromNamesArg::Exact => ChromNames::Exact,
                ChromNamesArg::Auto => ChromNames::Auto,
            },
            provenance,
        },
    )?;
    out.flush()?;
    eprintln!(
        "annotated {} records ({} alleles) against {} transcripts in {:.2} s",
        summary.records,
        summary.alleles,
        model.transcripts().len(),
        started.elapsed().as_secs_f64()
    );
    if summary.ref_mismatches > 0 {
        eprintln!(
            "warning: {} records have a REF that disagrees with {}; they are flagged ZENOME_REF_MISMATCH and not annotated: {}",
            summary.ref_mismatches,
            args.reference.display(),
            summary.mismatch_examples.join(", ")
        );
    }
    if summary.records == 0 && summary.alleles == 0 {
        bail!("{}: no records", args.input.display());
    }
    Ok(())
}
