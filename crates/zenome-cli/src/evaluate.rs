//! `zenome evaluate …`: a query call set against a truth set, on files alone
//! (no server), with hap.py's summary metrics as JSON or as hap.py's
//! `summary.csv`.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use zenome_evaluate::{Options, evaluate};

#[derive(Clone, Copy, ValueEnum)]
pub enum FormatArg {
    /// `summary.{SNP,INDEL}.{ALL,PASS}` with counts and metrics, indel size
    /// classes and notes.
    Json,
    /// hap.py's `summary.csv` columns.
    Csv,
}

#[derive(Args)]
pub struct EvaluateArgs {
    /// Truth VCF/BCF (plain, gzip or BGZF).
    #[arg(long)]
    truth: PathBuf,
    /// Query VCF/BCF to evaluate.
    #[arg(long)]
    query: PathBuf,
    /// Confident regions (BED, plain or gzipped): truth calls outside are not
    /// counted, query calls outside are `unk`.
    #[arg(long)]
    regions: Option<PathBuf>,
    /// Reference FASTA (with .fai; bgzipped: also .gzi). Without it,
    /// haplotypes are spelled from the REF alleles the two files carry.
    #[arg(long)]
    reference: Option<PathBuf>,
    /// Sample to read from both files (when they have several columns).
    #[arg(long)]
    sample: Option<String>,
    /// Sample of the truth file (overrides --sample).
    #[arg(long)]
    truth_sample: Option<String>,
    /// Sample of the query file (overrides --sample).
    #[arg(long)]
    query_sample: Option<String>,
    /// Calls closer than this many bases are compared together as one locus.
    #[arg(long, default_value_t = 50)]
    window: u32,
    #[arg(long, value_enum, default_value = "json")]
    format: FormatArg,
}

pub fn run(args: EvaluateArgs) -> Result<()> {
    let started = Instant::now();
    let options = Options {
        regions: args.regions,
        reference: args.reference,
        truth_sample: args.truth_sample.or_else(|| args.sample.clone()),
        query_sample: args.query_sample.or(args.sample),
        window: args.window,
    };
    let report = evaluate(&args.truth, &args.query, &options).context("evaluation refused")?;
    match args.format {
        FormatArg::Json => println!("{}", serde_json::to_string_pretty(&report.to_json())?),
        FormatArg::Csv => print!("{}", report.to_csv()),
    }
    for n in &report.notes {
        eprintln!("note: {n}");
    }
    eprintln!(
        "evaluated {} ({}) against {} ({}) in {:.2} s",
        report.query.path,
        report.query.sample,
        report.truth.path,
        report.truth.sample,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
