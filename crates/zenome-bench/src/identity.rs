//! `zenome-bench identity`: all pairs of a cohort — fingerprints, KING
//! kinship, IBS0 and a verdict per pair written as a table — beside
//! `plink2 --make-king-table` (from the VCF, and from a pgen already made)
//! and `bcftools gtcheck`, on the same sites (the biallelic SNPs of the
//! public 300-sample chr20 cohort) and on a tiled cohort of renamed copies.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Result;
use zenome_identity::Panel;

fn data_vcf() -> PathBuf {
    let d = std::env::var_os("ZENOME_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    d.join("vcf/cohort/shapeit4-1kg-chr20-300samples.vcf.gz")
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

pub fn run(vcf: Option<PathBuf>, tiled: usize, gtcheck_max: usize) -> Result<()> {
    let src = vcf.unwrap_or_else(data_vcf);
    let tmp = tempfile::tempdir()?;
    let snps = tmp.path().join("snps.vcf.gz");
    sh(&format!(
        "bcftools view -v snps -m2 -M2 {} -Oz -o {}",
        src.display(),
        snps.display()
    ))?;
    let mut cohorts = vec![snps.clone()];
    if tiled > 0 {
        let t = tmp.path().join(format!("tiled-{tiled}.vcf.gz"));
        crate::variants::tile(&snps, tiled, &t)?;
        cohorts.push(t);
    }
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    println!(
        "| cohort | zenome | plink2 --make-king-table | bcftools gtcheck | ratio plink2 / zenome |"
    );
    println!("|---|---|---|---|---|");
    for c in &cohorts {
        // the panel: the cohort's own biallelic SNPs (the same sites for all tools)
        let panel = Panel::from_path(&snps)?;
        crate::reset_peak_rss();
        let s = Instant::now();
        let fps = zenome_identity::fingerprints(&panel, c, None)?;
        let fp_time = s.elapsed();
        let out = tmp.path().join("zenome.kin0");
        // the table: every pair with its verdict written as a kin0 row, rows
        // formatted on the counting threads as they are counted
        let write_table = || -> Result<Duration> {
            let s = Instant::now();
            let mut file = std::fs::File::create(&out)?;
            writeln!(file, "{}", zenome_identity::cohort::KIN0_HEADER)?;
            let mut err = None;
            zenome_identity::cohort::pairs_fold(
                &fps,
                0,
                threads,
                || Vec::with_capacity(1 << 20),
                |buf: &mut Vec<u8>, p| {
                    zenome_identity::cohort::kin0_row(
                        buf,
                        &fps[p.i as usize].sample,
                        &fps[p.j as usize].sample,
                        &p.counts,
                    );
                },
                |buf| {
                    if let Err(e) = file.write_all(&buf) {
                        err.get_or_insert(e);
                    }
                },
            );
            if let Some(e) = err {
                return Err(e.into());
            }
            file.flush()?;
            Ok(s.elapsed())
        };
        // the kernel alone: the same pairs counted, nothing written
        let kernel_only = || {
            let s = Instant::now();
            let mut counted = 0usize;
            zenome_identity::cohort::pairs(&fps, 0, threads, |_| false, |b| counted += b.len());
            s.elapsed()
        };
        // each twice, interleaved, the better of two kept (the first run
        // after fingerprinting pays for warming caches and threads)
        let t1 = write_table()?;
        let k1 = kernel_only();
        let t2 = write_table()?;
        let k2 = kernel_only();
        let pair_time = t1.min(t2);
        let rss = crate::peak_rss_mib();
        eprintln!(
            "table runs {:.2} / {:.2} s, kernel only (no table written) {:.2} / {:.2} s",
            t1.as_secs_f64(),
            t2.as_secs_f64(),
            k1.as_secs_f64(),
            k2.as_secs_f64()
        );
        let n = fps.len();
        let p = tmp.path().join("p");
        let plink_vcf = sh(&format!(
            "plink2 --vcf {} --make-king-table --threads {threads} --out {}",
            c.display(),
            p.display()
        ))?;
        sh(&format!(
            "plink2 --vcf {} --make-pgen --threads {threads} --out {}",
            c.display(),
            p.display()
        ))?;
        let plink_pgen = sh(&format!(
            "plink2 --pfile {} --make-king-table --threads {threads} --out {}",
            p.display(),
            p.display()
        ))?;
        let gt = if n <= gtcheck_max {
            let t = sh(&format!("bcftools gtcheck {} > /dev/null", c.display()))?;
            format!("{:.2} s", t.as_secs_f64())
        } else {
            "not run (over --gtcheck-max samples)".into()
        };
        let bytes: usize = fps
            .iter()
            .map(|f| f.planes().iter().map(Vec::len).sum::<usize>())
            .sum();
        println!(
            "| {n} samples × {} sites, {} pairs | fingerprints {:.2} s + all pairs with verdicts {:.2} s = {:.2} s (peak RSS {rss:.0} MiB; {:.1} KB a fingerprint) | from the VCF {:.2} s; from a pgen {:.2} s | {gt} | {:.2} (VCF), {:.2} (pairs only vs pgen) |",
            panel.len(),
            n * (n - 1) / 2,
            fp_time.as_secs_f64(),
            pair_time.as_secs_f64(),
            (fp_time + pair_time).as_secs_f64(),
            bytes as f64 / n as f64 / 1000.0,
            plink_vcf.as_secs_f64(),
            plink_pgen.as_secs_f64(),
            plink_vcf.as_secs_f64() / (fp_time + pair_time).as_secs_f64(),
            plink_pgen.as_secs_f64() / pair_time.as_secs_f64(),
        );
    }
    Ok(())
}
