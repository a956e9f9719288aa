//! `zenome-bench evaluate`: call-set evaluation on the Platinum Genomes
//! NA12878 chr21 truth (query `hc.vcf.gz`, confident regions) and on a
//! whole-genome-sized synthetic pair: the chr21 truth tiled onto `tiles`
//! contigs (≈ 4.6 M records at 70), and a query made from it with known
//! differences (every 50th record dropped, every 97th genotype flipped,
//! every 40th SNP given another base). `bcftools isec` on the same two
//! files (exact REF/ALT intersection: no haplotypes, no genotypes, no
//! metrics) is shown as a floor for reading and joining the same bytes.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Result;
use zenome_evaluate::{Filter, Options, VariantType, evaluate};

fn truth_dir() -> PathBuf {
    let d = std::env::var_os("ZENOME_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    d.join("vcf/truth")
}

fn sh(cmd: &str) -> Result<Duration> {
    let s = Instant::now();
    let st = std::process::Command::new("bash")
        .args(["-o", "pipefail", "-c", cmd])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()?;
    anyhow::ensure!(st.success(), "{cmd} failed");
    Ok(s.elapsed())
}

/// Writes the tiled truth and the derived query (bgzipped by `bgzip`).
fn synthesise(truth: &Path, tiles: usize, dir: &Path) -> Result<(PathBuf, PathBuf, u64)> {
    let mut body: Vec<(u64, String, String, String, String)> = Vec::new();
    let r = BufReader::new(flate2::read::MultiGzDecoder::new(std::fs::File::open(
        truth,
    )?));
    for line in r.lines() {
        let line = line?;
        if line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        if f[6] != "PASS" || f[4].contains('<') {
            continue;
        }
        let gt = f[9].split(':').next().unwrap_or(".").to_string();
        body.push((f[1].parse()?, f[3].into(), f[4].into(), f[6].into(), gt));
    }
    let header = |w: &mut dyn Write| -> std::io::Result<()> {
        writeln!(w, "##fileformat=VCFv4.2")?;
        writeln!(
            w,
            "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">"
        )?;
        for t in 0..tiles {
            writeln!(w, "##contig=<ID=t{t},length=48129895>")?;
        }
        writeln!(
            w,
            "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tNA12878"
        )
    };
    let tp = dir.join("truth.vcf");
    let qp = dir.join("query.vcf");
    let mut tw = BufWriter::new(std::fs::File::create(&tp)?);
    let mut qw = BufWriter::new(std::fs::File::create(&qp)?);
    header(&mut tw)?;
    header(&mut qw)?;
    let mut n = 0u64;
    for t in 0..tiles {
        for (k, (pos, r, a, filter, gt)) in body.iter().enumerate() {
            writeln!(tw, "t{t}\t{pos}\t.\t{r}\t{a}\t50\t{filter}\t.\tGT\t{gt}")?;
            n += 1;
            let i = k + t * 7;
            if i % 50 == 0 {
                continue;
            }
            let mut a = a.clone();
            let mut gt = gt.clone();
            if i % 97 == 0 {
                gt = if gt == "1|1" || gt == "1/1" {
                    "0/1".into()
                } else {
                    "1/1".into()
                };
            }
            if i % 40 == 0 && r.len() == 1 && a.len() == 1 {
                let other = ["A", "C", "G", "T"]
                    .into_iter()
                    .find(|b| *b != r.as_str() && *b != a.as_str())
                    .unwrap_or("N");
                a = other.into();
            }
            writeln!(qw, "t{t}\t{pos}\t.\t{r}\t{a}\t50\t{filter}\t.\tGT\t{gt}")?;
        }
    }
    tw.flush()?;
    qw.flush()?;
    drop((tw, qw));
    for p in [&tp, &qp] {
        sh(&format!(
            "bgzip -f -@2 {} && tabix -p vcf {}.gz",
            p.display(),
            p.display()
        ))?;
    }
    Ok((dir.join("truth.vcf.gz"), dir.join("query.vcf.gz"), n))
}

pub fn run(tiles: usize, reps: usize) -> Result<()> {
    let d = truth_dir();
    let truth = d.join("PG_NA12878_chr21.vcf.gz");
    let query = d.join("hc.vcf.gz");
    let regions = d.join("PG_Conf_chr21.bed.gz");
    let options = Options {
        regions: Some(regions.clone()),
        ..Options::default()
    };
    let mut best = Duration::MAX;
    for _ in 0..reps.max(1) {
        let s = Instant::now();
        let r = evaluate(&truth, &query, &options)?;
        best = best.min(s.elapsed());
        std::hint::black_box(r);
    }
    println!(
        "| input | records (truth + query) | zenome evaluate | bcftools isec (exact alleles only) | hap.py (published) |"
    );
    println!("|---|---|---|---|---|");
    let isec = |t: &Path, q: &Path| -> Result<Duration> {
        let dir = tempfile::tempdir()?;
        let mut b = Duration::MAX;
        for _ in 0..reps.max(1) {
            b = b.min(sh(&format!(
                "bcftools isec -n=2 -w1 {} {} -Ou -o {}",
                t.display(),
                q.display(),
                dir.path().join("x.bcf").display()
            ))?);
        }
        Ok(b)
    };
    // bcftools needs both files indexed; hc.vcf.gz comes without an index
    let copies = tempfile::tempdir()?;
    let (t2, q2) = (
        copies.path().join("t.vcf.gz"),
        copies.path().join("q.vcf.gz"),
    );
    std::fs::copy(&truth, &t2)?;
    std::fs::copy(&query, &q2)?;
    for p in [&t2, &q2] {
        sh(&format!("tabix -f -p vcf {}", p.display()))?;
    }
    println!(
        "| Platinum NA12878 chr21 truth, hc.vcf.gz, confident regions | 65,402 + 84,085 | {:.3} s | {:.3} s | (4–12 min for a whole genome on 40 cores) |",
        best.as_secs_f64(),
        isec(&t2, &q2)?.as_secs_f64()
    );
    if tiles > 0 {
        let tmp = tempfile::tempdir()?;
        let (t, q, n) = synthesise(&truth, tiles, tmp.path())?;
        crate::reset_peak_rss();
        let s = Instant::now();
        let r = evaluate(&t, &q, &Options::default())?;
        let took = s.elapsed();
        let rss = crate::peak_rss_mib();
        let snp = r.row(VariantType::Snp, Filter::All);
        let indel = r.row(VariantType::Indel, Filter::All);
        println!(
            "| synthetic: chr21 truth tiled ×{tiles}, query with known differences | {n} + {} | {:.2} s (peak {:.0} MiB) | {:.2} s | 4–12 min on 40 cores, up to 64 GB (README) |",
            r.query.records,
            took.as_secs_f64(),
            rss,
            isec(&t, &q)?.as_secs_f64()
        );
        println!(
            "\nsynthetic: SNP recall {:.4} precision {:.4} fp_gt {}; INDEL recall {:.4} precision {:.4} fp_gt {}",
            snp.recall.unwrap_or(0.0),
            snp.precision.unwrap_or(0.0),
            snp.fp_gt,
            indel.recall.unwrap_or(0.0),
            indel.precision.unwrap_or(0.0),
            indel.fp_gt
        );
    }
    Ok(())
}
