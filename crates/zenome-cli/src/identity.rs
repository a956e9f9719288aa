//! `zenome identity …`: sample identity on files alone (no server):
//! compare two files, or every pair of a cohort with sex and contamination
//! per sample.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use zenome_identity::compare::{check_contamination, sex};
use zenome_identity::{Assembly, Fingerprint, Panel, compare};

#[derive(Clone, Copy, ValueEnum)]
pub enum AssemblyArg {
    #[value(name = "GRCh37")]
    Grch37,
    #[value(name = "GRCh38")]
    Grch38,
}

#[derive(Subcommand)]
pub enum IdentityCommand {
    /// Compares two files (VCF, gVCF, BCF, SAM, BAM or CRAM, in any pair) and
    /// prints one JSON object: same_individual (true, false, or null when the
    /// evidence is too thin), lod, kinship, ibs0, concordance, n_sites…
    /// A multi-sample file is compared by its first sample (or `--sample-a/-b`).
    Compare {
        a: PathBuf,
        b: PathBuf,
        /// Site panel: peddy/somalier `.sites`, a sites VCF, a BED with REF
        /// and ALT columns, or a Picard haplotype database. Default: the
        /// built-in panel of the files' assembly.
        #[arg(long)]
        sites: Option<PathBuf>,
        /// The assembly, when the files do not say (for the default panel).
        #[arg(long, value_enum)]
        assembly: Option<AssemblyArg>,
        /// Reference FASTA with .fai (CRAM).
        #[arg(long)]
        reference: Option<PathBuf>,
        /// A is the normal and B its tumour: loss of heterozygosity in B is
        /// no evidence against the pair.
        #[arg(long)]
        tumour_normal: bool,
        #[arg(long)]
        sample_a: Option<String>,
        #[arg(long)]
        sample_b: Option<String>,
    },
    /// Every pair of the samples of the files, as TSV like plink2's .kin0
    /// (#ID1 ID2 NSNP HETHET IBS0 KINSHIP RELATION), then one line per sample
    /// (#SAMPLE SEX X_SITES X_HET_FRACTION X_DEPTH_RATIO CONTAMINATION VERDICT).
    Cohort {
        #[arg(long)]
        sites: Option<PathBuf>,
        #[arg(long, value_enum)]
        assembly: Option<AssemblyArg>,
        #[arg(long)]
        reference: Option<PathBuf>,
        /// Only pairs closer than unrelated (kinship > 0.0442).
        #[arg(long)]
        related_only: bool,
        /// Threads for the pairs (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
        /// A PLINK .fam/.ped pedigree: every declared pair is checked
        /// (#PEDIGREE ID1 ID2 DECLARED OBSERVED KINSHIP IBS0_FRACTION NSNP VERDICT);
        /// a failing pair makes the command exit with status 3.
        #[arg(long)]
        pedigree: Option<PathBuf>,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

/// The assembly the first file declares (VCF contigs, SAM @SQ), if any.
fn file_assembly(path: &Path) -> Option<Assembly> {
    if zenome_identity::reads::is_alignment(path).unwrap_or(false) {
        return None;
    }
    let r = zenome_variants::read::VariantReader::open(path).ok()?;
    zenome_identity::panel::vcf_assembly(r.header())
}

fn panel(sites: Option<&Path>, assembly: Option<AssemblyArg>, files: &[PathBuf]) -> Result<Panel> {
    if let Some(s) = sites {
        return Panel::from_path(s).with_context(|| format!("reading the panel {}", s.display()));
    }
    let a = match assembly {
        Some(AssemblyArg::Grch37) => Some(Assembly::GRCh37),
        Some(AssemblyArg::Grch38) => Some(Assembly::GRCh38),
        None => files.iter().find_map(|f| file_assembly(f)),
    };
    match a {
        Some(a) => Ok(Panel::builtin(a)),
        None => bail!(
            "the files do not say their assembly: give --assembly GRCh37|GRCh38 or --sites FILE"
        ),
    }
}

fn pick(fps: Vec<Fingerprint>, name: Option<&str>, file: &Path) -> Result<Fingerprint> {
    match name {
        None => fps
            .into_iter()
            .next()
            .with_context(|| format!("{} has no sample", file.display())),
        Some(n) => fps
            .into_iter()
            .find(|f| f.sample == n)
            .with_context(|| format!("{} has no sample {n}", file.display())),
    }
}

pub fn run(cmd: IdentityCommand) -> Result<()> {
    match cmd {
        IdentityCommand::Compare {
            a,
            b,
            sites,
            assembly,
            reference,
            tumour_normal,
            sample_a,
            sample_b,
        } => {
            let panel = panel(sites.as_deref(), assembly, &[a.clone(), b.clone()])?;
            let fa = zenome_identity::fingerprints(&panel, &a, reference.as_deref())
                .with_context(|| format!("fingerprinting {}", a.display()))?;
            let fb = zenome_identity::fingerprints(&panel, &b, reference.as_deref())
                .with_context(|| format!("fingerprinting {}", b.display()))?;
            let fa = pick(fa, sample_a.as_deref(), &a)?;
            let fb = pick(fb, sample_b.as_deref(), &b)?;
            let c = compare(&fa, &fb, Some(&panel), tumour_normal);
            let mut v = serde_json::to_value(&c)?;
            v["panel"] = serde_json::json!(panel.source);
            v["panel_sites"] = serde_json::json!(panel.len());
            v["sex_a"] = serde_json::to_value(sex(&fa))?;
            v["sex_b"] = serde_json::to_value(sex(&fb))?;
            println!("{}", serde_json::to_string_pretty(&v)?);
            Ok(())
        }
        IdentityCommand::Cohort {
            sites,
            assembly,
            reference,
            related_only,
            threads,
            pedigree,
            files,
        } => {
            let pedigree = pedigree
                .as_deref()
                .map(zenome_identity::pedigree::Pedigree::from_path)
                .transpose()
                .context("reading the pedigree")?;
            let panel = panel(sites.as_deref(), assembly, &files)?;
            let bar = ProgressBar::new(files.len() as u64).with_style(
                ProgressStyle::with_template("{msg} {bar:30} {pos}/{len} files").expect("template"),
            );
            bar.set_message("fingerprinting");
            let mut fps = Vec::new();
            for f in &files {
                fps.extend(
                    zenome_identity::fingerprints(&panel, f, reference.as_deref())
                        .with_context(|| format!("fingerprinting {}", f.display()))?,
                );
                bar.inc(1);
            }
            bar.finish_and_clear();
            let threads = threads.unwrap_or_else(|| {
                std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
            });
            let out = std::io::stdout();
            let mut w = BufWriter::with_capacity(1 << 20, out.lock());
            writeln!(w, "{}", zenome_identity::cohort::KIN0_HEADER)?;
            let mut err = None;
            let mut checks = Vec::new();
            zenome_identity::cohort::pairs(
                &fps,
                0,
                threads,
                |p| {
                    !related_only
                        || p.counts.kinship().is_some_and(|k| k > 0.0442)
                        || pedigree.as_ref().is_some_and(|ped| {
                            ped.declared(&fps[p.i as usize].sample, &fps[p.j as usize].sample)
                                .is_some_and(|d| {
                                    d != zenome_identity::pedigree::Declared::DifferentFamilies
                                })
                        })
                },
                |block| {
                    let mut buf = Vec::with_capacity(64 * block.len());
                    for p in block {
                        let (a, b) = (&fps[p.i as usize].sample, &fps[p.j as usize].sample);
                        if let Some(d) = pedigree.as_ref().and_then(|ped| ped.declared(a, b))
                            && d != zenome_identity::pedigree::Declared::DifferentFamilies
                        {
                            checks.push(zenome_identity::pedigree::check_pair(a, b, d, &p.counts));
                        }
                        zenome_identity::cohort::kin0_row(&mut buf, a, b, &p.counts);
                    }
                    if let Err(e) = w.write_all(&buf) {
                        err.get_or_insert(e);
                    }
                },
            );
            if let Some(e) = err {
                return Err(e.into());
            }
            writeln!(
                w,
                "#SAMPLE\tSEX\tX_SITES\tX_HET_FRACTION\tX_DEPTH_RATIO\tCONTAMINATION\tCONTAMINATION_VERDICT"
            )?;
            let opt = |x: Option<f64>| x.map_or("NA".to_string(), |v| format!("{v:.4}"));
            for f in &fps {
                let s = sex(f);
                let (v, c) = check_contamination(f);
                writeln!(
                    w,
                    "{}\t{:?}\t{}\t{}\t{}\t{}\t{}",
                    f.sample,
                    s.sex,
                    s.x_sites,
                    opt(s.x_het_fraction),
                    opt(s.x_depth_ratio),
                    opt(c),
                    v.as_str()
                )?;
            }
            let mut failed = 0;
            if pedigree.is_some() {
                writeln!(
                    w,
                    "#PEDIGREE\tID1\tID2\tDECLARED\tOBSERVED\tKINSHIP\tIBS0_FRACTION\tNSNP\tVERDICT"
                )?;
                for c in &checks {
                    if c.verdict == zenome_identity::Verdict::Fail {
                        failed += 1;
                    }
                    writeln!(
                        w,
                        "PEDIGREE\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        c.a,
                        c.b,
                        serde_json::to_value(c.declared)?.as_str().unwrap_or(""),
                        c.observed.map_or("insufficient_data", |r| r.as_str()),
                        opt(c.kinship),
                        opt(c.ibs0_fraction),
                        c.n_sites,
                        c.verdict.as_str()
                    )?;
                }
            }
            w.flush()?;
            if failed > 0 {
                eprintln!("{failed} declared pair(s) contradict the pedigree");
                std::process::exit(3);
            }
            Ok(())
        }
    }
}
