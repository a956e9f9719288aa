//! `zenome-bench prioritise`: the validation of rare-disease ranking on the
//! published cases of `phenotype/phenopacket-store-sample/` (1,058 GA4GH
//! Phenopackets with their causal gene), and the speed of one WGS-sized case.
//!
//! For each packet the patient is read as the CLI reads it (phenotypic
//! features, sex; never the interpretation), and ranked twice: phenotypes
//! only, and with a VCF made of the packet's causal variant(s) placed among
//! a background. The background is the non-reference genotypes of four
//! 1000 Genomes samples (chr20 cohort file: real genotypes, real allele
//! frequencies as population AF), each allele given to a gene drawn from
//! the HPO-annotated genes and a coding consequence drawn in exome
//! proportions (synonymous 50 %, missense 45 %, splice region 2 %, loss of
//! function 3 %), seeded per case. The causal variants' consequences come
//! from the packets' curated HGVS p./c. (no GRCh38 gene model is available
//! offline to run our annotator on them). The gene assignment of the
//! background is therefore synthetic; its size and frequency spectrum are
//! real.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use zenome_prioritise::{Knowledge, Patient, ReadOptions, prioritise};

fn data() -> PathBuf {
    std::env::var_os("ZENOME_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The SO consequence the curated HGVS describes.
fn consequence_from_hgvs(p: Option<&str>, c: Option<&str>) -> &'static str {
    if let Some(p) = p {
        let q = p.split(":p.").nth(1).unwrap_or(p);
        if q.contains("fs") {
            return "frameshift_variant";
        }
        if q.contains("Ter") && !q.contains("ext") || q.ends_with('*') || q.ends_with("*)") {
            return "stop_gained";
        }
        if q.contains("ext") {
            return "stop_lost";
        }
        if q.starts_with("(Met1") || q.starts_with("Met1") || q.starts_with("(M1") {
            return "start_lost";
        }
        if q.contains('=') {
            return "synonymous_variant";
        }
        if q.contains("delins") || q.contains("ins") || q.contains("dup") {
            return "inframe_insertion";
        }
        if q.contains("del") {
            return "inframe_deletion";
        }
        if q.contains('?') {
            // p.? : look at the c. change
        } else {
            return "missense_variant";
        }
    }
    if let Some(c) = c {
        let q = c.split(":c.").nth(1).unwrap_or(c);
        // intronic offsets: c.123+1G>A, c.124-2A>G
        let offset = q.split(['+', '-']).nth(1).and_then(|s| {
            s.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
                .parse::<u32>()
                .ok()
        });
        if let Some(o) = offset {
            return if o <= 2 {
                if q.contains('+') {
                    "splice_donor_variant"
                } else {
                    "splice_acceptor_variant"
                }
            } else if o <= 8 {
                "splice_region_variant"
            } else {
                "intron_variant"
            };
        }
        if q.starts_with('-') || q.starts_with('*') {
            return "5_prime_UTR_variant";
        }
        return "missense_variant";
    }
    "coding_sequence_variant"
}

struct Background {
    /// (genotype, population AF)
    alleles: Vec<(String, f64)>,
}

fn background(samples: usize) -> Result<Background> {
    let path = data().join("vcf/cohort/shapeit4-1kg-chr20-300samples.vcf.gz");
    let text = {
        use std::io::Read;
        let mut s = String::new();
        flate2::read::MultiGzDecoder::new(
            std::fs::File::open(&path).context("1000 Genomes chr20")?,
        )
        .read_to_string(&mut s)?;
        s
    };
    let mut alleles = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split('\t').collect();
        let af = f[7]
            .split(';')
            .find_map(|kv| kv.strip_prefix("AF="))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0);
        for s in 0..samples {
            let gt = f[9 + s];
            let n = gt.split(['|', '/']).filter(|a| *a == "1").count();
            if n > 0 {
                alleles.push((if n == 2 { "1/1" } else { "0/1" }.to_string(), af));
            }
        }
    }
    Ok(Background { alleles })
}

const CSQ_HEADER: &str = "##INFO=<ID=CSQ,Number=.,Type=String,Description=\"Consequence annotations (Ensembl VEP layout). Format: Allele|Consequence|IMPACT|SYMBOL|HGVSc|HGVSp|MAX_AF\">";

/// The case's VCF text: background and causal variants.
fn case_vcf(
    packet: &serde_json::Value,
    sample: &str,
    bg: &Background,
    genes: &[&str],
    seed: u64,
) -> String {
    let mut rng = Rng(seed | 1);
    let mut out = String::new();
    let _ = writeln!(out, "##fileformat=VCFv4.2\n{CSQ_HEADER}");
    let _ = writeln!(
        out,
        "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">"
    );
    let _ = writeln!(
        out,
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t{sample}"
    );
    for (i, (gt, af)) in bg.alleles.iter().enumerate() {
        let gene = genes[(rng.next() % genes.len() as u64) as usize];
        let u = rng.unit();
        let cons = if u < 0.50 {
            "synonymous_variant"
        } else if u < 0.95 {
            "missense_variant"
        } else if u < 0.97 {
            "splice_region_variant"
        } else if u < 0.985 {
            "stop_gained"
        } else {
            "frameshift_variant"
        };
        let _ = writeln!(
            out,
            "bg\t{}\t.\tA\tG\t50\tPASS\tCSQ=G|{cons}|.|{gene}|||{af}\tGT\t{gt}",
            i + 1
        );
    }
    for interp in packet["interpretations"].as_array().into_iter().flatten() {
        for g in interp["diagnosis"]["genomicInterpretations"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let vd = &g["variantInterpretation"]["variationDescriptor"];
            let Some(gene) = vd["geneContext"]["symbol"].as_str() else {
                continue;
            };
            let expr = |syntax: &str| {
                vd["expressions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|e| e["syntax"] == syntax)
                    .and_then(|e| e["value"].as_str())
            };
            let cons = if vd.get("structuralType").is_some() {
                "transcript_ablation"
            } else {
                consequence_from_hgvs(expr("hgvs.p"), expr("hgvs.c"))
            };
            let gt = match vd["allelicState"]["label"].as_str() {
                Some("homozygous") => "1/1",
                Some("hemizygous") => "1",
                _ => "0/1",
            };
            let v = &vd["vcfRecord"];
            let (chrom, pos, r, a) = match (v["chrom"].as_str(), v["pos"].as_u64()) {
                (Some(c), Some(p)) => (
                    c.to_string(),
                    p,
                    v["ref"].as_str().unwrap_or("N").to_string(),
                    v["alt"].as_str().unwrap_or("N").to_string(),
                ),
                _ => (
                    "sv".to_string(),
                    1 + rng.next() % 1_000_000,
                    "N".into(),
                    "<DEL>".into(),
                ),
            };
            let _ = writeln!(
                out,
                "{chrom}\t{pos}\t.\t{r}\t{a}\t50\tPASS\tCSQ={a}|{cons}|.|{gene}|{}|{}|\tGT\t{gt}",
                expr("hgvs.c").unwrap_or(""),
                expr("hgvs.p").unwrap_or("")
            );
        }
    }
    out
}

fn causal_genes(packet: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    for interp in packet["interpretations"].as_array().into_iter().flatten() {
        for g in interp["diagnosis"]["genomicInterpretations"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let symbol = g["variantInterpretation"]["variationDescriptor"]["geneContext"]["symbol"]
                .as_str()
                .or_else(|| g["gene"]["symbol"].as_str());
            if let Some(s) = symbol
                && !out.iter().any(|o| o == s)
            {
                out.push(s.to_string());
            }
        }
    }
    out
}

#[derive(Default)]
struct Tally {
    cases: usize,
    top1: usize,
    top5: usize,
    top10: usize,
    unranked: usize,
}

impl Tally {
    fn add(&mut self, rank: Option<usize>) {
        self.cases += 1;
        match rank {
            Some(r) => {
                self.top1 += usize::from(r == 1);
                self.top5 += usize::from(r <= 5);
                self.top10 += usize::from(r <= 10);
            }
            None => self.unranked += 1,
        }
    }

    fn row(&self, what: &str) -> String {
        let pct = |n: usize| 100.0 * n as f64 / self.cases.max(1) as f64;
        format!(
            "| {what} | {} | {} ({:.1} %) | {} ({:.1} %) | {} ({:.1} %) | {} |",
            self.cases,
            self.top1,
            pct(self.top1),
            self.top5,
            pct(self.top5),
            self.top10,
            pct(self.top10),
            self.unranked
        )
    }
}

pub fn run(limit: usize, wgs_variants: usize) -> Result<()> {
    let d = data().join("phenotype");
    let started = Instant::now();
    let knowledge = Knowledge::load(&d.join("hp.obo"), &d.join("genes_to_phenotype.txt.gz"))?;
    eprintln!(
        "knowledge loaded in {:.2} s ({} genes)",
        started.elapsed().as_secs_f64(),
        knowledge.genes.len()
    );
    let genes: Vec<&str> = knowledge
        .genes
        .iter()
        .filter(|g| !g.terms.is_empty())
        .map(|g| g.symbol.as_str())
        .collect();
    let bg = background(4)?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(d.join("phenopacket-store-sample"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files.truncate(limit);
    let tmp = tempfile::tempdir()?;
    let (mut pheno, mut full) = (Tally::default(), Tally::default());
    let mut skipped: HashMap<String, usize> = HashMap::new();
    let t0 = Instant::now();
    for (k, f) in files.iter().enumerate() {
        let packet: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(f)?)?;
        let answer = causal_genes(&packet);
        let patient = match Patient::from_phenopacket(f) {
            Ok(p) => p,
            Err(e) => {
                *skipped
                    .entry(
                        format!("{e}")
                            .split(':')
                            .next_back()
                            .unwrap_or("")
                            .trim()
                            .to_string(),
                    )
                    .or_default() += 1;
                continue;
            }
        };
        if answer.is_empty() {
            *skipped.entry("no causal gene".into()).or_default() += 1;
            continue;
        }
        let rank_of = |genes: &[zenome_prioritise::RankedGene]| {
            genes
                .iter()
                .find(|g| answer.contains(&g.gene))
                .map(|g| g.rank)
        };
        let p = match prioritise(&knowledge, &patient, None, None) {
            Ok(r) => r,
            Err(e) => {
                *skipped.entry(e.to_string()).or_default() += 1;
                continue;
            }
        };
        pheno.add(rank_of(&p.genes));
        let vcf = tmp.path().join("case.vcf");
        std::fs::write(
            &vcf,
            case_vcf(&packet, "proband", &bg, &genes, k as u64 * 7919 + 1),
        )?;
        let read = ReadOptions {
            proband: None,
            relatives: Vec::new(),
            cohort: None,
            max_af: 0.02,
            assembly: None,
        };
        let r = prioritise(&knowledge, &patient, Some((&vcf, &read)), None)?;
        full.add(rank_of(&r.genes));
    }
    let per_case = t0.elapsed().as_secs_f64() / files.len().max(1) as f64;
    println!(
        "| ranking | cases | causal gene at rank 1 | in the top 5 | in the top 10 | not ranked |"
    );
    println!("|---|---|---|---|---|---|");
    println!("{}", pheno.row("phenotypes only"));
    println!(
        "{}",
        full.row("phenotypes + variants (causal among a 1000 Genomes background)")
    );
    println!(
        "\nbackground: {} alleles of 4 samples, {} rarer than 2 %; {:.3} s per case (both rankings, VCF written and read)",
        bg.alleles.len(),
        bg.alleles.iter().filter(|a| a.1 <= 0.02).count(),
        per_case
    );
    if !skipped.is_empty() {
        println!("skipped: {skipped:?}");
    }
    if wgs_variants > 0 {
        wgs(&knowledge, &genes, wgs_variants, tmp.path())?;
    }
    Ok(())
}

/// One WGS-sized case: `n` records with CSQ (mostly intronic and
/// intergenic, as a genome's are), 10 HPO terms.
fn wgs(knowledge: &Knowledge, genes: &[&str], n: usize, dir: &Path) -> Result<()> {
    use std::io::Write;
    let vcf = dir.join("wgs.vcf");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&vcf)?);
    writeln!(w, "##fileformat=VCFv4.2\n{CSQ_HEADER}")?;
    writeln!(
        w,
        "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">"
    )?;
    writeln!(
        w,
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tproband"
    )?;
    let mut rng = Rng(42);
    for i in 0..n {
        let u = rng.unit();
        let (cons, gene) = if u < 0.55 {
            ("intergenic_variant", "")
        } else if u < 0.97 {
            (
                "intron_variant",
                genes[(rng.next() % genes.len() as u64) as usize],
            )
        } else if u < 0.99 {
            (
                "synonymous_variant",
                genes[(rng.next() % genes.len() as u64) as usize],
            )
        } else {
            (
                "missense_variant",
                genes[(rng.next() % genes.len() as u64) as usize],
            )
        };
        let af = rng.unit() * rng.unit() * 0.5;
        let gt = if rng.unit() < 0.4 { "1/1" } else { "0/1" };
        writeln!(
            w,
            "chr{}\t{}\t.\tA\tG\t50\tPASS\tCSQ=G|{cons}|.|{gene}|||{af:.5}\tGT\t{gt}",
            1 + i % 22,
            10_000 + i
        )?;
    }
    drop(w);
    let terms = [
        "HP:0001250",
        "HP:0001263",
        "HP:0000252",
        "HP:0001252",
        "HP:0000486",
        "HP:0002353",
        "HP:0000729",
        "HP:0001270",
        "HP:0000750",
        "HP:0002020",
    ];
    let patient = Patient {
        id: "proband".into(),
        terms: terms.iter().map(|t| t.to_string()).collect(),
        excluded: Vec::new(),
        sex: zenome_prioritise::Sex::Female,
        age: None,
    };
    let read = ReadOptions {
        proband: None,
        relatives: Vec::new(),
        cohort: None,
        max_af: 0.02,
        assembly: None,
    };
    crate::reset_peak_rss();
    let s = Instant::now();
    let r = prioritise(knowledge, &patient, Some((&vcf, &read)), None)?;
    println!(
        "\nWGS-sized case: {n} records (plain VCF, {} MB), 10 HPO terms: {:.2} s, peak RSS {:.0} MiB, {} genes ranked",
        std::fs::metadata(&vcf)?.len() / 1_000_000,
        s.elapsed().as_secs_f64(),
        crate::peak_rss_mib(),
        r.genes.len()
    );
    Ok(())
}
