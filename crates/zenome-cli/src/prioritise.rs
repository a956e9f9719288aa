//! `zenome prioritise …`: genes ranked for one rare-disease case on files
//! alone (no server): the patient's HPO terms from a Phenopacket, and with
//! `--vcf` the case's variants (a VEP-layout CSQ VCF, or one annotated on
//! the fly with `--gene-model` and `--reference`) and the pedigree.

use std::io::BufWriter;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use zenome_prioritise::{Knowledge, Patient, Pedigree, ReadOptions, prioritise};

#[derive(Args)]
pub struct PrioritiseArgs {
    /// The patient: a GA4GH Phenopacket v2 (JSON). Only its phenotypic
    /// features, subject id, sex and age are read.
    #[arg(long)]
    phenopacket: PathBuf,
    /// The case's VCF (plain, gzip or BGZF); without it, phenotypes alone rank genes.
    #[arg(long)]
    vcf: Option<PathBuf>,
    /// PED file of the family (father, mother, affected status).
    #[arg(long)]
    pedigree: Option<PathBuf>,
    /// The proband's sample column (default: the packet's subject id, or the only sample).
    #[arg(long)]
    proband: Option<String>,
    /// Human Phenotype Ontology (`hp.obo`).
    #[arg(long, env = "ZENOME_HPO")]
    hpo: PathBuf,
    /// HPO's `genes_to_phenotype.txt` (plain or gzipped).
    #[arg(long, env = "ZENOME_GENES_TO_PHENOTYPE")]
    genes_to_phenotype: PathBuf,
    /// Gene model (GFF3/GTF) to annotate a VCF without a CSQ field.
    #[arg(long)]
    gene_model: Option<PathBuf>,
    /// Reference FASTA for that annotation.
    #[arg(long)]
    reference: Option<PathBuf>,
    /// The assembly the VCF must be on (GRCh37 or GRCh38), checked against its header.
    #[arg(long)]
    assembly: Option<String>,
    /// Alleles more frequent than this in the population or cohort are dropped.
    #[arg(long, default_value_t = 0.02)]
    max_af: f64,
    /// Genes to print.
    #[arg(long, default_value_t = 50)]
    top: usize,
}

pub fn run(args: PrioritiseArgs) -> Result<()> {
    let started = Instant::now();
    let knowledge = Knowledge::load(&args.hpo, &args.genes_to_phenotype)
        .context("loading the phenotype knowledge")?;
    let patient = Patient::from_phenopacket(&args.phenopacket)?;
    let pedigree = args
        .pedigree
        .as_deref()
        .map(Pedigree::from_path)
        .transpose()?;
    let tmp = tempfile::tempdir()?;
    let vcf = match &args.vcf {
        Some(v) if !has_csq(v)? => {
            let (Some(gm), Some(fa)) = (&args.gene_model, &args.reference) else {
                bail!(
                    "{} has no CSQ field: annotate it first (zenome annotate) or give --gene-model and --reference",
                    v.display()
                );
            };
            let out = tmp.path().join("annotated.vcf");
            annotate(v, gm, fa, &out)?;
            Some(out)
        }
        other => other.clone(),
    };
    let proband = args.proband.clone().or_else(|| {
        let id = patient.id.clone();
        (!id.is_empty()).then_some(id)
    });
    let relatives: Vec<String> = match (&pedigree, &proband) {
        (Some(p), Some(id)) => {
            let Some(m) = p.member(id) else {
                bail!(
                    "the pedigree has no member {id:?} (the proband); it has {}",
                    p.members
                        .iter()
                        .map(|m| m.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            };
            m.father.iter().chain(m.mother.iter()).cloned().collect()
        }
        _ => Vec::new(),
    };
    let read = ReadOptions {
        // the packet's subject id names the column only when the VCF has it
        proband: match (&vcf, &proband) {
            (Some(v), Some(p)) if args.proband.is_some() || samples(v)?.contains(p) => {
                Some(p.clone())
            }
            _ => None,
        },
        relatives,
        cohort: None,
        max_af: args.max_af,
        assembly: args.assembly.clone(),
    };
    let ranking = prioritise(
        &knowledge,
        &patient,
        vcf.as_deref().map(|v| (v, &read)),
        pedigree.as_ref(),
    )?;
    let genes: Vec<_> = ranking.genes.iter().take(args.top).collect();
    let out = serde_json::json!({
        "patient": ranking.patient,
        "terms": ranking.terms,
        "replaced_terms": ranking.replaced,
        "knowledge": ranking.knowledge,
        "with_variants": ranking.with_variants,
        "ranked": ranking.genes.len(),
        "genes": genes,
    });
    let stdout = std::io::stdout();
    serde_json::to_writer_pretty(BufWriter::new(stdout.lock()), &out)?;
    println!();
    eprintln!(
        "ranked {} genes for {} in {:.2} s",
        ranking.genes.len(),
        ranking.patient,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn has_csq(path: &std::path::Path) -> Result<bool> {
    let mut r = zenome_annotate::vcf::open(path)?;
    let mut line = String::new();
    loop {
        line.clear();
        if std::io::BufRead::read_line(&mut r, &mut line)? == 0 || !line.starts_with("##") {
            return Ok(false);
        }
        if line.starts_with("##INFO=<ID=CSQ,") {
            return Ok(true);
        }
    }
}

fn samples(path: &std::path::Path) -> Result<Vec<String>> {
    let mut r = zenome_annotate::vcf::open(path)?;
    let mut line = String::new();
    loop {
        line.clear();
        if std::io::BufRead::read_line(&mut r, &mut line)? == 0 {
            return Ok(Vec::new());
        }
        if line.starts_with("#CHROM") {
            return Ok(line
                .trim_end()
                .split('\t')
                .skip(9)
                .map(str::to_string)
                .collect());
        }
    }
}

fn annotate(
    vcf: &std::path::Path,
    gene_model: &std::path::Path,
    fasta: &std::path::Path,
    out: &std::path::Path,
) -> Result<()> {
    use zenome_annotate::{Annotator, CanonicalPolicy, GeneModel, Reference};
    let model = GeneModel::from_path(gene_model, CanonicalPolicy::ManeThenEnsembl)
        .with_context(|| format!("reading {}", gene_model.display()))?;
    let reference = Reference::open(fasta)?;
    let mut ann = Annotator::new(&model, reference);
    let input = zenome_annotate::vcf::open(vcf)?;
    let mut w = BufWriter::new(std::fs::File::create(out)?);
    zenome_annotate::vcf::annotate(
        &mut ann,
        input,
        vcf,
        &mut w,
        &zenome_annotate::vcf::Options::default(),
    )?;
    Ok(())
}
