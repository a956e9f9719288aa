//! `zenome-bench variants`: the variant store beside bcftools, tabix and
//! plink2 on the public 300-sample chr20 cohort and on a tiled cohort (the
//! 300 samples repeated under new names, generated in a temporary folder):
//! load time, peak memory, bytes per genotype by layout, and allele
//! frequencies over a random half of the samples (the consent mask) for a
//! 100 kb region and the whole chromosome.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use zenome_variants::{Layout, LoadOptions, SampleMask, Store};

/// Runs the comparison; `vcf` defaults to the public cohort in ZENOME_TESTDATA.
pub fn run(vcf: Option<PathBuf>, tiled: usize, reps: usize) -> Result<()> {
    let vcf = vcf.unwrap_or_else(default_cohort);
    let tmp = tempfile::tempdir()?;
    let mut cohorts = vec![vcf.clone()];
    if tiled > 0 {
        let t = tmp.path().join(format!("tiled-{tiled}.vcf.gz"));
        let s = Instant::now();
        tile(&vcf, tiled, &t)?;
        eprintln!(
            "tiled {tiled} samples in {:.1} s",
            s.elapsed().as_secs_f64()
        );
        cohorts.push(t);
    }
    println!("| cohort | what | zenome | reference tool | ratio (tool / zenome) |");
    println!("|---|---|---|---|---|");
    for c in &cohorts {
        one(c, tmp.path(), reps)?;
    }
    Ok(())
}

/// The public 300-sample chr20 cohort in ZENOME_TESTDATA.
pub(crate) fn default_cohort() -> PathBuf {
    std::env::var_os("ZENOME_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
        .join("vcf/cohort/shapeit4-1kg-chr20-300samples.vcf.gz")
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn time_cmd(cmd: &str) -> Result<Duration> {
    let s = Instant::now();
    let st = Command::new("bash")
        .args(["-o", "pipefail", "-c", cmd])
        .stdout(Stdio::null())
        .status()?;
    if !st.success() {
        bail!("{cmd} failed");
    }
    Ok(s.elapsed())
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn one(vcf: &Path, tmp: &Path, reps: usize) -> Result<()> {
    let name = vcf
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let work = tmp.join(format!("w-{name}"));
    std::fs::create_dir_all(&work)?;
    let v = vcf.display();
    // load, three layouts
    let bcf = time_cmd(&format!(
        "bcftools view -Ob -o {}/x.bcf {v}",
        work.display()
    ))?;
    let mut stores = Vec::new();
    for layout in [Layout::Auto, Layout::Sparse, Layout::Dense] {
        let dir = work.join(format!("store-{layout:?}"));
        crate::reset_peak_rss();
        let s = Instant::now();
        let mut store = Store::open(&dir)?;
        let r = store.load(
            vcf,
            LoadOptions {
                layout,
                ..Default::default()
            },
        )?;
        let t = s.elapsed();
        let rss = crate::peak_rss_mib();
        let bytes = du(&dir.join("variants"))?;
        let genotypes = r.batch.n_rows as f64 * f64::from(r.batch.n_samples);
        println!(
            "| {name} ({} samples, {} rows) | load, layout {layout:?} (peak RSS {rss:.0} MiB; {} bytes, {:.3} bytes/genotype) | {:.2} s | bcftools view -Ob {:.2} s | {:.2} |",
            r.batch.n_samples,
            r.batch.n_rows,
            bytes,
            bytes as f64 / genotypes,
            secs(t),
            secs(bcf),
            secs(bcf) / secs(t)
        );
        stores.push((layout, store));
    }
    // a random half of the samples: the mask
    let names: Vec<String> = stores[0]
        .1
        .samples()
        .iter()
        .map(|s| s.name.clone())
        .collect();
    let mut half = names.clone();
    half.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(42));
    half.truncate(names.len() / 2);
    let keep = work.join("half.txt");
    std::fs::write(&keep, half.join("\n") + "\n")?;
    let region = "20:2000000-2100000";
    // reference tools
    let pfile = work.join("p");
    time_cmd(&format!(
        "plink2 --vcf {v} --make-pgen --out {} --threads 1 --silent",
        pfile.display()
    ))?;
    let plink_all = median(
        (0..reps.min(5))
            .map(|_| {
                time_cmd(&format!(
                    "plink2 --pfile {p} --keep {k} --freq --out {p}-f --threads 1 --silent",
                    p = pfile.display(),
                    k = keep.display()
                ))
            })
            .collect::<Result<Vec<_>>>()?,
    );
    let plink_region = median(
        (0..reps.min(5))
            .map(|_| {
                time_cmd(&format!(
                    "plink2 --pfile {p} --keep {k} --chr 20 --from-bp 2000000 --to-bp 2100000 --freq --out {p}-r --threads 1 --silent",
                    p = pfile.display(),
                    k = keep.display()
                ))
            })
            .collect::<Result<Vec<_>>>()?,
    );
    let gz = work.join("x.vcf.gz");
    std::fs::copy(vcf, &gz)?;
    time_cmd(&format!("tabix -f -p vcf {}", gz.display()))?;
    let tabix = median(
        (0..reps.min(20))
            .map(|_| time_cmd(&format!("tabix {} {region}", gz.display())))
            .collect::<Result<Vec<_>>>()?,
    );
    let bview = median(
        (0..reps.min(20))
            .map(|_| {
                time_cmd(&format!(
                    "bcftools view -S {} -r {region} -Ou {} | bcftools +fill-tags -Ou -- -t AC,AN",
                    keep.display(),
                    gz.display()
                ))
            })
            .collect::<Result<Vec<_>>>()?,
    );
    for (layout, store) in &stores {
        let mask = store.mask_of(&half)?;
        let r: noodles::core::Region = region.parse()?;
        let t_region = median(
            (0..reps)
                .map(|_| time_freq(store, &r, &mask))
                .collect::<Result<Vec<_>>>()?,
        );
        let whole: noodles::core::Region = "20".parse()?;
        crate::reset_peak_rss();
        let t_all = median(
            (0..reps.min(5))
                .map(|_| time_freq(store, &whole, &mask))
                .collect::<Result<Vec<_>>>()?,
        );
        let rss = crate::peak_rss_mib();
        println!(
            "| {name} | AF over a random half, 100 kb ({layout:?}) | {:.3} ms | plink2 --keep --freq {:.1} ms; tabix {:.1} ms; bcftools view -r + fill-tags {:.1} ms | {:.1} / {:.1} / {:.1} |",
            secs(t_region) * 1e3,
            secs(plink_region) * 1e3,
            secs(tabix) * 1e3,
            secs(bview) * 1e3,
            secs(plink_region) / secs(t_region),
            secs(tabix) / secs(t_region),
            secs(bview) / secs(t_region),
        );
        println!(
            "| {name} | AF over a random half, chr20 ({layout:?}; peak RSS {rss:.0} MiB) | {:.1} ms | plink2 --keep --freq {:.1} ms | {:.1} |",
            secs(t_all) * 1e3,
            secs(plink_all) * 1e3,
            secs(plink_all) / secs(t_all),
        );
    }
    Ok(())
}

fn time_freq(store: &Store, r: &noodles::core::Region, mask: &SampleMask) -> Result<Duration> {
    let s = Instant::now();
    let mut n = 0u64;
    store.freq(r, mask, |a| n += u64::from(a.counts.ac))?;
    std::hint::black_box(n);
    Ok(s.elapsed())
}

fn du(dir: &Path) -> Result<u64> {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)? {
            let e = e?;
            let m = e.metadata()?;
            if m.is_dir() {
                stack.push(e.path());
            } else {
                total += m.len();
            }
        }
    }
    Ok(total)
}

/// Writes a cohort of `n` samples: the file's samples repeated under names
/// `NAME_tK`, bgzipped.
pub(crate) fn tile(vcf: &Path, n: usize, out: &Path) -> Result<()> {
    let mut src = Command::new("bcftools")
        .args(["view", &vcf.display().to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .context("bcftools")?;
    let file = std::fs::File::create(out)?;
    let mut bgzip = Command::new("bgzip")
        .args(["-c", "-@", "2"])
        .stdin(Stdio::piped())
        .stdout(file)
        .spawn()
        .context("bgzip")?;
    let input = BufReader::with_capacity(1 << 20, src.stdout.take().expect("piped"));
    let mut w = BufWriter::with_capacity(1 << 20, bgzip.stdin.take().expect("piped"));
    for line in input.lines() {
        let line = line?;
        if line.starts_with("##") {
            writeln!(w, "{line}")?;
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let (fixed, samples) = cols.split_at(9);
        w.write_all(fixed.join("\t").as_bytes())?;
        let header = line.starts_with('#');
        for k in 0..n {
            let s = samples[k % samples.len()];
            let t = k / samples.len();
            w.write_all(b"\t")?;
            if header && t > 0 {
                write!(w, "{s}_t{t}")?;
            } else {
                w.write_all(s.as_bytes())?;
            }
        }
        w.write_all(b"\n")?;
    }
    w.flush()?;
    drop(w);
    if !src.wait()?.success() || !bgzip.wait()?.success() {
        bail!("tiling {} failed", vcf.display());
    }
    Ok(())
}
