//! The variant store against bcftools on public 1000 Genomes data
//! (`ZENOME_TESTDATA`, default `../../../shared/data` from this crate): cohort
//! AC/AN over a region and a random half of the samples, the multi-allelic
//! split, repeated loads, appends, withdrawal, REF checks and left-alignment,
//! and DuckDB reading the same Parquet files. Without the data folder (or
//! bcftools / python duckdb) the tests fail under `CI` and skip elsewhere.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use rand::SeedableRng;
use rand::seq::SliceRandom;
use zenome_variants::{
    Cursor, GeneIndex, Layout, LoadOptions, SampleMask, Scan, Store, VariantsError,
};

#[path = "variants/somatic.rs"]
mod somatic;

fn data_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("ZENOME_TESTDATA") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    };
    if dir.is_dir() && have("bcftools") {
        return Some(dir);
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "test data folder {} or bcftools is missing (set ZENOME_TESTDATA)",
            dir.display()
        );
    }
    eprintln!(
        "notice: test data {} or bcftools missing; skipping",
        dir.display()
    );
    None
}

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn cohort(d: &Path) -> PathBuf {
    d.join("vcf/cohort/shapeit4-1kg-chr20-300samples.vcf.gz")
}

/// Runs a shell pipeline (with pipefail, so a failing bcftools is caught).
fn sh(cmd: &str) -> String {
    let out = Command::new("bash")
        .args(["-o", "pipefail", "-c", cmd])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{cmd}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn load(store: &mut Store, f: &Path, layout: Layout) -> Result<u32, VariantsError> {
    store
        .load(
            f,
            LoadOptions {
                pipeline: "test".into(),
                reference_version: "GRCh37".into(),
                layout,
                ..Default::default()
            },
        )
        .map(|r| r.batch.id)
}

type Key = (u32, String, String);

/// (pos, ref, alt) -> (AC, AN) from bcftools +fill-tags, multi-allelics per ALT.
fn bcftools_counts(file: &Path, region: &str, samples: Option<&Path>) -> HashMap<Key, (u32, u32)> {
    let s = samples.map_or(String::new(), |p| format!("-S {}", p.display()));
    // A region of a whole chromosome is the whole file (some files lack ##contig).
    let t = if region.ends_with(":1-300000000") {
        String::new()
    } else {
        format!("-t {region} --targets-overlap pos")
    };
    let txt = sh(&format!(
        "bcftools view {s} {t} {} | bcftools +fill-tags -- -t AC,AN | bcftools query -f '%POS\\t%REF\\t%ALT\\t%AC\\t%AN\\n'",
        file.display()
    ));
    let mut m = HashMap::new();
    for l in txt.lines() {
        let f: Vec<&str> = l.split('\t').collect();
        let an: u32 = f[4].parse().unwrap();
        for (alt, ac) in f[2].split(',').zip(f[3].split(',')) {
            if alt == "<NON_REF>" || alt == "<*>" {
                continue;
            }
            m.insert(
                (f[0].parse().unwrap(), f[1].to_string(), alt.to_string()),
                (ac.parse().unwrap(), an),
            );
        }
    }
    m
}

fn ours(store: &Store, region: &str, mask: &SampleMask) -> HashMap<Key, (u32, u32)> {
    let mut m = HashMap::new();
    store
        .freq(&region.parse().unwrap(), mask, |a| {
            assert!(
                m.insert((a.pos, a.reference, a.alt), (a.counts.ac, a.counts.an))
                    .is_none(),
                "one line per allele"
            );
        })
        .unwrap();
    m
}

fn random_half(store: &Store, seed: u64) -> Vec<String> {
    let mut names: Vec<String> = store.samples().iter().map(|s| s.name.clone()).collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    names.shuffle(&mut rng);
    names.truncate(names.len() / 2);
    names
}

fn write_lines(path: &Path, lines: &[String]) {
    let mut f = std::fs::File::create(path).unwrap();
    for l in lines {
        writeln!(f, "{l}").unwrap();
    }
}

#[test]
fn cohort_freq_over_a_random_half_matches_bcftools_fill_tags_in_every_layout() {
    let Some(d) = data_dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let region = "20:1500000-1800000";
    for layout in [Layout::Auto, Layout::Sparse, Layout::Dense] {
        let mut store = Store::open(tmp.path().join(format!("{layout:?}"))).unwrap();
        load(&mut store, &cohort(&d), layout).unwrap();
        assert_eq!(store.samples().len(), 300);
        let half = random_half(&store, 8);
        let sfile = tmp.path().join("half.txt");
        write_lines(&sfile, &half);
        let want = bcftools_counts(&cohort(&d), region, Some(&sfile));
        assert!(want.len() > 500, "the region has sites: {}", want.len());
        let got = ours(&store, region, &store.mask_of(&half).unwrap());
        assert_eq!(got, want, "layout {layout:?}");
        let all = ours(&store, region, &store.mask_all());
        assert_eq!(all, bcftools_counts(&cohort(&d), region, None));
    }
}

#[test]
fn multiallelic_records_split_per_alt_as_fill_tags_counts_them() {
    let Some(d) = data_dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    // sample2.vcf lacks ##contig, which bcftools +fill-tags needs: add it.
    let file = tmp.path().join("sample2.vcf");
    sh(&format!(
        "awk 'NR==1 {{print; print \"##contig=<ID=22>\"; next}} {{print}}' {} > {}",
        d.join("vcf/cohort/sample2.vcf").display(),
        file.display()
    ));
    let mut store = Store::open(tmp.path().join("s")).unwrap();
    load(&mut store, &file, Layout::Auto).unwrap();
    let region = "22:1-300000000";
    let want = bcftools_counts(&file, region, None);
    let got = ours(&store, region, &store.mask_all());
    assert!(got.len() > 735, "multi-allelics split: {}", got.len());
    assert_eq!(got, want);
    let half = random_half(&store, 3);
    let sfile = tmp.path().join("half.txt");
    write_lines(&sfile, &half);
    assert_eq!(
        ours(&store, region, &store.mask_of(&half).unwrap()),
        bcftools_counts(&file, region, Some(&sfile))
    );
}

#[test]
fn haploid_and_x_chromosome_calls_count_one_allele() {
    let Some(d) = data_dir() else { return };
    let file = d.join("vcf/cohort/x-chromosome.vcf");
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(tmp.path().join("s")).unwrap();
    load(&mut store, &file, Layout::Auto).unwrap();
    let chrom = sh(&format!(
        "bcftools query -f '%CHROM\\n' {} | uniq",
        file.display()
    ));
    let region = format!("{}:1-300000000", chrom.trim());
    assert_eq!(
        ours(&store, &region, &store.mask_all()),
        bcftools_counts(&file, &region, None)
    );
}

#[test]
fn second_load_of_the_same_file_is_refused_and_adds_no_rows() {
    let Some(d) = data_dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(tmp.path().join("s")).unwrap();
    load(&mut store, &cohort(&d), Layout::Auto).unwrap();
    let region = "20:1000000-1100000";
    let before = ours(&store, region, &store.mask_all());
    let err = load(&mut store, &cohort(&d), Layout::Auto).unwrap_err();
    assert!(
        matches!(err, VariantsError::AlreadyLoaded { batch: 0, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("already loaded"), "{err}");
    assert_eq!(store.manifest().batches.len(), 1);
    assert_eq!(ours(&store, region, &store.mask_all()), before);
}

#[test]
fn a_second_batch_appends_without_rewriting_and_counts_add_up() {
    let Some(d) = data_dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let names = sh(&format!("bcftools query -l {}", cohort(&d).display()));
    let names: Vec<String> = names.lines().map(str::to_string).collect();
    let (a, b) = names.split_at(120);
    let (fa, fb) = (tmp.path().join("a.vcf.gz"), tmp.path().join("b.bcf"));
    for (part, out, fmt) in [(a, &fa, "z"), (b, &fb, "b")] {
        let list = tmp.path().join(format!("{fmt}.txt"));
        write_lines(&list, part);
        sh(&format!(
            "bcftools view -O{fmt} -S {} -o {} {}",
            list.display(),
            out.display(),
            cohort(&d).display()
        ));
    }
    let mut store = Store::open(tmp.path().join("s")).unwrap();
    load(&mut store, &fa, Layout::Auto).unwrap();
    let first: Vec<(PathBuf, Vec<u8>)> = store.manifest().batches[0]
        .files
        .iter()
        .map(|f| {
            let p = store.root().join(f);
            (p.clone(), std::fs::read(p).unwrap())
        })
        .collect();
    // a BCF batch with the other samples
    load(&mut store, &fb, Layout::Auto).unwrap();
    for (p, bytes) in &first {
        assert_eq!(
            &std::fs::read(p).unwrap(),
            bytes,
            "{} rewritten",
            p.display()
        );
    }
    assert_eq!(store.samples().len(), 300);
    let region = "20:2000000-2300000";
    let half = random_half(&store, 11);
    let sfile = tmp.path().join("half.txt");
    write_lines(&sfile, &half);
    // Both batches keep every site (monomorphic rows too), so the two batches
    // together count what bcftools counts on the whole file.
    let want = bcftools_counts(&cohort(&d), region, Some(&sfile));
    let got = ours(&store, region, &store.mask_of(&half).unwrap());
    assert_eq!(got, want);
    // a sample of the first batch cannot come again
    let again = tmp.path().join("again.vcf");
    sh(&format!(
        "bcftools view -s {} {} > {}",
        a[0],
        cohort(&d).display(),
        again.display()
    ));
    let err = load(&mut store, &again, Layout::Auto).unwrap_err();
    assert!(err.to_string().contains(&a[0]), "{err}");
}

#[test]
fn a_withdrawal_changes_the_next_query_without_reloading() {
    let Some(d) = data_dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(tmp.path().join("s")).unwrap();
    load(&mut store, &cohort(&d), Layout::Auto).unwrap();
    let region: noodles::core::Region = "20:1000000-1100000".parse().unwrap();
    let mut mask = store.mask_all();
    let mut first = Vec::new();
    store.freq(&region, &mask, |a| first.push(a)).unwrap();
    // withdraw a carrier of the first allele
    let names = sh(&format!(
        "bcftools query -i 'POS={}' -f '[%SAMPLE\\t%GT\\n]' {} | grep -v '0|0' | head -1 | cut -f1",
        first[0].pos,
        cohort(&d).display()
    ));
    let who = store.mask_of(&[names.trim()]).unwrap();
    let idx = (0..store.samples().len() as u32)
        .find(|&i| who.contains(i))
        .unwrap();
    mask.remove(idx);
    let mut second = Vec::new();
    store.freq(&region, &mask, |a| second.push(a)).unwrap();
    assert_eq!(first.len(), second.len());
    assert_eq!(second[0].counts.an, first[0].counts.an - 2);
    assert!(second[0].counts.ac < first[0].counts.ac);
}

#[test]
fn unknown_sample_names_are_refused_by_name() {
    let Some(d) = data_dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(tmp.path().join("s")).unwrap();
    load(&mut store, &d.join("vcf/cohort/sample.vcf"), Layout::Auto).unwrap();
    let err = store
        .mask_of(&["nobody-1", "HG00096", "nobody-2"])
        .unwrap_err();
    assert_eq!(err.to_string(), "unknown samples: nobody-1, nobody-2");
}

#[test]
fn gvcf_reference_blocks_are_skipped() {
    let Some(d) = data_dir() else { return };
    let dir = d.join("vcf/cohort/gvcf-1kg-chr22");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".g.vcf.gz"))
        .collect();
    files.sort();
    let file = &files[0];
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(tmp.path().join("s")).unwrap();
    let r = store.load(file, LoadOptions::default()).unwrap();
    let blocks: u64 = sh(&format!(
        "bcftools view -H {} | awk '$5==\"<NON_REF>\" || $5==\"<*>\"' | wc -l",
        file.display()
    ))
    .trim()
    .parse()
    .unwrap();
    assert!(blocks > 0);
    assert_eq!(r.batch.skipped_reference_blocks, blocks);
    let chrom = sh(&format!(
        "bcftools query -f '%CHROM\\n' {} | uniq",
        file.display()
    ));
    let region = format!("{}:1-300000000", chrom.trim());
    assert_eq!(
        ours(&store, &region, &store.mask_all()),
        bcftools_counts(file, &region, None)
    );
}

fn reference(d: &Path) -> PathBuf {
    d.join("reference/GRCh37-chr20.fa.gz")
}

#[test]
fn a_ref_mismatch_refuses_the_whole_file_naming_the_record_and_stores_nothing() {
    let Some(d) = data_dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.vcf");
    // record 30 gets a REF that is not the reference's base
    sh(&format!(
        "bcftools view {} | awk -F'\\t' 'BEGIN{{OFS=\"\\t\"}} /^#/ {{print; next}} {{n++; if (n==30) {{ $4 = ($4==\"A\" ? \"C\" : \"A\") ; p=$2 }} if (n<=60) print}}' > {}",
        cohort(&d).display(),
        bad.display()
    ));
    let pos = sh(&format!(
        "grep -v '^#' {} | sed -n 30p | cut -f2",
        bad.display()
    ));
    let root = tmp.path().join("s");
    let mut store = Store::open(&root).unwrap();
    let err = store
        .load(
            &bad,
            LoadOptions {
                reference: Some(reference(&d)),
                ..Default::default()
            },
        )
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(err, VariantsError::RefMismatch { record: 30, .. }),
        "{msg}"
    );
    assert!(msg.contains(&format!("20:{}", pos.trim())), "{msg}");
    assert!(store.manifest().batches.is_empty());
    let files = sh(&format!(
        "find {} -type f ! -name .lock | wc -l",
        root.display()
    ));
    assert_eq!(files.trim(), "0", "nothing stored");
    // the same file with a good REF loads
    let good = tmp.path().join("good.vcf");
    sh(&format!(
        "bcftools view {} | awk '/^#/ {{print; next}} {{n++; if (n<=60) print}}' > {}",
        cohort(&d).display(),
        good.display()
    ));
    store
        .load(
            &good,
            LoadOptions {
                reference: Some(reference(&d)),
                ..Default::default()
            },
        )
        .unwrap();
}

#[test]
fn a_right_shifted_indel_comes_out_left_aligned_as_bcftools_norm_gives() {
    let Some(d) = data_dir() else { return };
    let fa = reference(&d);
    // find a homopolymer run of 6+ bases in 20:1000000-1010000
    let seq = sh(&format!(
        "samtools faidx {} 20:1000000-1010000 | grep -v '>' | tr -d '\\n'",
        fa.display()
    ));
    let b = seq.as_bytes();
    let (mut i, mut run) = (1usize, None);
    while i < b.len() {
        let mut j = i;
        while j < b.len() && b[j] == b[i] {
            j += 1;
        }
        if j - i >= 6 && b[i] != b'N' {
            run = Some((i, j));
            break;
        }
        i = j.max(i + 1);
    }
    let (s, e) = run.expect("a homopolymer");
    // delete one base of the run, written at its right end: REF = last run base + next base
    let pos = 1_000_000 + e as u32 - 1; // 1-based of b[e-1]
    let r = format!("{}{}", b[e - 1] as char, b[e] as char);
    let a = format!("{}", b[e] as char);
    // and an insertion of one run base at its right end
    let r2 = format!("{}", b[e - 1] as char);
    let a2 = format!("{}{}", b[e - 1] as char, b[e - 1] as char);
    let tmp = tempfile::tempdir().unwrap();
    let vcf = tmp.path().join("shifted.vcf");
    std::fs::write(
        &vcf,
        format!(
            "##fileformat=VCFv4.2\n##contig=<ID=20,length=63025520>\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\tS2\n20\t{pos}\t.\t{r}\t{a},{a2x}\t.\t.\t.\tGT\t0/1\t1/2\n",
            a2x = format_args!("{}{r}", b[e - 1] as char),
        ),
    )
    .unwrap();
    let _ = (s, r2, a2);
    let want = sh(&format!(
        "bcftools norm -m- -f {} {} 2>/dev/null | bcftools query -f '%POS\\t%REF\\t%ALT\\n'",
        fa.display(),
        vcf.display()
    ));
    let mut store = Store::open(tmp.path().join("s")).unwrap();
    store
        .load(
            &vcf,
            LoadOptions {
                reference: Some(fa),
                ..Default::default()
            },
        )
        .unwrap();
    let mut got = String::new();
    store
        .freq(
            &format!("20:{}-{}", pos - 20, pos + 5).parse().unwrap(),
            &store.mask_all(),
            |x| got.push_str(&format!("{}\t{}\t{}\n", x.pos, x.reference, x.alt)),
        )
        .unwrap();
    let mut w: Vec<&str> = want.lines().collect();
    let mut g: Vec<&str> = got.lines().collect();
    w.sort();
    g.sort();
    assert_eq!(g, w);
    assert!(
        g.iter().all(|l| !l.starts_with(&pos.to_string())),
        "moved left: {g:?}"
    );
}

#[test]
fn duckdb_reads_the_store_and_counts_the_same() {
    let Some(d) = data_dir() else { return };
    let ok = Command::new("python3")
        .args(["-c", "import duckdb"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 duckdb is missing (scripts/test.sh installs it)"
        );
        eprintln!("notice: python3 duckdb missing; skipping");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("s");
    let mut store = Store::open(&root).unwrap();
    load(&mut store, &cohort(&d), Layout::Auto).unwrap();
    let half = random_half(&store, 5);
    let sfile = tmp.path().join("half.txt");
    write_lines(&sfile, &half);
    let region = "20:1500000-1800000";
    let want = ours(&store, region, &store.mask_of(&half).unwrap());
    assert!(want.len() > 500);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/duckdb_freq.py");
    let out = Command::new("python3")
        .arg(&script)
        .args([
            root.to_str().unwrap(),
            "20",
            "1500000",
            "1800000",
            sfile.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut got = HashMap::new();
    for l in String::from_utf8(out.stdout).unwrap().lines() {
        let f: Vec<&str> = l.split('\t').collect();
        got.insert(
            (f[0].parse().unwrap(), f[1].to_string(), f[2].to_string()),
            (f[3].parse().unwrap(), f[4].parse().unwrap()),
        );
    }
    assert_eq!(got, want);
}

#[test]
fn files_of_a_crashed_load_are_ignored_by_queries_and_removed_by_the_next_load() {
    let Some(d) = data_dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("s");
    let mut store = Store::open(&root).unwrap();
    load(&mut store, &d.join("vcf/cohort/sample.vcf"), Layout::Auto).unwrap();
    let region = "22:1-300000000";
    let before = ours(&store, region, &store.mask_all());
    // a load that died after writing data files but before the manifest
    let first = root.join(&store.manifest().batches[0].files[0]);
    let orphan = first.with_file_name("batch-1.parquet");
    let partial = first.with_file_name("batch-1-2.parquet.tmp");
    std::fs::copy(&first, &orphan).unwrap();
    std::fs::copy(&first, &partial).unwrap();
    // …and whose lock file stayed behind: the lock is the OS's, gone with
    // the process, so the file alone blocks nothing
    std::fs::write(root.join(".lock"), b"").unwrap();
    let store = Store::open(&root).unwrap();
    assert_eq!(ours(&store, region, &store.mask_all()), before);
    let mut store = store;
    let tmpfile = tmp.path().join("x.vcf");
    sh(&format!(
        "bcftools view -G -h {f} > {o}",
        f = d.join("vcf/cohort/sample.vcf").display(),
        o = tmpfile.display()
    ));
    load(&mut store, &tmpfile, Layout::Auto).unwrap();
    assert!(!partial.exists());
    // the new batch (no samples, no rows) took id 1; the crashed one's file is gone
    assert_eq!(store.manifest().batches[1].id, 1);
    assert!(!orphan.exists(), "the crashed batch's file is gone");
    assert_eq!(ours(&store, region, &store.mask_all()).len(), before.len());
}

#[test]
fn carriers_are_the_masked_samples_holding_the_alt_in_every_layout() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("c.vcf");
    std::fs::write(
        &file,
        "##fileformat=VCFv4.2\n##contig=<ID=20>\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n\
         #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB\tC\tD\n\
         20\t100\t.\tA\tT\t.\tPASS\t.\tGT\t0/1\t1/1\t0/0\t./.\n\
         20\t200\t.\tG\tC,A\t.\tPASS\t.\tGT\t1/2\t0/0\t2/2\t0/1\n",
    )
    .unwrap();
    for layout in [Layout::Sparse, Layout::Dense] {
        let mut store = Store::open(tmp.path().join(format!("s-{layout:?}"))).unwrap();
        load(&mut store, &file, layout).unwrap();
        let mask = store.mask_of(&["A", "B", "D"]).unwrap();
        let mut got = Vec::new();
        store
            .freq_carriers(&"20:1-1000".parse().unwrap(), &mask, |a, who| {
                let names: Vec<&str> = who
                    .iter()
                    .map(|&i| store.samples()[i as usize].name.as_str())
                    .collect();
                got.push(format!(
                    "{}{}>{} {} {}",
                    a.pos,
                    a.reference,
                    a.alt,
                    a.counts.ac,
                    names.join(",")
                ));
            })
            .unwrap();
        assert_eq!(
            got,
            ["100A>T 3 A,B", "200G>C 2 A,D", "200G>A 1 A"],
            "{layout:?}"
        );
    }
}

/// Every kept allele of a region, page by page (`limit` a page), with the
/// cursor each page returns.
fn paged(
    store: &Store,
    region: &str,
    masks: &[&SampleMask],
    limit: usize,
) -> (Vec<zenome_variants::AlleleCounts>, usize) {
    let region: noodles::core::Region = region.parse().unwrap();
    let mut all = Vec::new();
    let mut after: Option<Cursor> = None;
    let mut pages = 0;
    loop {
        let mut page = Vec::new();
        let scan = Scan {
            masks,
            carriers: true,
            after: after.as_ref(),
            limit: Some(limit),
            batches: None,
        };
        let next = store
            .scan_alleles(&region, &scan, &mut |a| a.counts[0].ac > 0, &mut |a| {
                page.push(a)
            })
            .unwrap();
        pages += 1;
        assert!(page.len() <= limit);
        match next {
            Some(c) => {
                assert_eq!(page.len(), limit, "a page before the last is full");
                assert_eq!(c, page.last().unwrap().cursor());
                after = Some(c);
                all.extend(page);
            }
            None => {
                all.extend(page);
                return (all, pages);
            }
        }
        assert!(pages < 100_000, "paging does not end");
    }
}

#[test]
fn paging_a_whole_chromosome_yields_exactly_the_unpaged_answer_across_page_and_bin_boundaries() {
    let Some(d) = data_dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(tmp.path().join("s")).unwrap();
    load(&mut store, &cohort(&d), Layout::Auto).unwrap();
    let half = store.mask_of(&random_half(&store, 21)).unwrap();
    let masks = [&half];
    // the unpaged answer
    let mut want = Vec::new();
    let scan = Scan {
        masks: &masks,
        carriers: true,
        after: None,
        limit: None,
        batches: None,
    };
    let none = store
        .scan_alleles(
            &"20".parse().unwrap(),
            &scan,
            &mut |a| a.counts[0].ac > 0,
            &mut |a| want.push(a),
        )
        .unwrap();
    assert!(none.is_none());
    assert!(want.len() > 10_000, "{}", want.len());
    // the same alleles and counts as the one-mask kernel, without the monomorphic ones
    let mut plain = Vec::new();
    store
        .freq(&"20".parse().unwrap(), &half, |a| {
            if a.counts.ac > 0 {
                plain.push((a.pos, a.reference, a.alt, a.counts));
            }
        })
        .unwrap();
    let w: Vec<_> = want
        .iter()
        .map(|a| (a.pos, a.reference.clone(), a.alt.clone(), a.counts[0]))
        .collect();
    assert_eq!(w, plain);
    // pages of 997 over the whole chromosome: bins 1, 2 and 3 are crossed
    let (got, pages) = paged(&store, "20", &masks, 997);
    assert_eq!(pages, want.len().div_ceil(997));
    assert_eq!(got, want);
    // small pages around a bin boundary and a position with two alleles (20:2,381,853 C>A, C>CA)
    let region = "20:1999000-2001000";
    let mut w2 = Vec::new();
    let scan = Scan {
        masks: &masks,
        carriers: true,
        after: None,
        limit: None,
        batches: None,
    };
    store
        .scan_alleles(
            &region.parse().unwrap(),
            &scan,
            &mut |a| a.counts[0].ac > 0,
            &mut |a| w2.push(a),
        )
        .unwrap();
    assert!(w2.iter().any(|a| a.pos < 2_000_000) && w2.iter().any(|a| a.pos >= 2_000_000));
    for limit in [1, 2, 3] {
        assert_eq!(paged(&store, region, &masks, limit).0, w2, "limit {limit}");
    }
    let all = store.mask_all();
    let both = "20:2381853-2381853";
    let (two, pages) = paged(&store, both, &[&all], 1);
    assert_eq!(two.len(), 2, "{two:?}");
    assert_eq!(pages, 2);
    assert_ne!(two[0].alt, two[1].alt);
}

#[test]
fn several_masks_counted_in_one_pass_equal_separate_single_mask_runs() {
    let Some(d) = data_dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    for layout in [Layout::Sparse, Layout::Dense] {
        let mut store = Store::open(tmp.path().join(format!("{layout:?}"))).unwrap();
        load(&mut store, &cohort(&d), layout).unwrap();
        let region = "20:1500000-1700000";
        let masks: Vec<SampleMask> = [1, 2, 3]
            .iter()
            .map(|&seed| store.mask_of(&random_half(&store, seed)).unwrap())
            .chain([store.mask_all(), SampleMask::none(store.samples().len())])
            .collect();
        let refs: Vec<&SampleMask> = masks.iter().collect();
        let mut multi = Vec::new();
        let scan = Scan {
            masks: &refs,
            carriers: false,
            after: None,
            limit: None,
            batches: None,
        };
        store
            .scan_alleles(&region.parse().unwrap(), &scan, &mut |_| true, &mut |a| {
                multi.push(a)
            })
            .unwrap();
        assert!(multi.len() > 1000);
        for (k, m) in masks.iter().enumerate() {
            let mut single = Vec::new();
            store
                .freq(&region.parse().unwrap(), m, |a| single.push(a.counts))
                .unwrap();
            let from_multi: Vec<_> = multi.iter().map(|a| a.counts[k]).collect();
            assert_eq!(from_multi, single, "mask {k}, {layout:?}");
        }
        assert!(multi.iter().all(|a| a.counts[4] == Default::default()));
    }
}

/// Male chrX genotypes made haploid from real 1000 Genomes calls: the chrX
/// records of hail's `triomatrix.vcf` with `bcftools +fixploidy`, sexes from
/// its `triomatrix.fam` (outside the PARs a male's call becomes its first allele).
fn male_chrx(d: &Path, dir: &Path) -> PathBuf {
    let sex = dir.join("sex.txt");
    sh(&format!(
        "awk '{{print $2\"\\t\"($5==1?\"M\":\"F\")}}' {} > {}",
        d.join("vcf/cohort/triomatrix.fam").display(),
        sex.display()
    ));
    let out = dir.join("male-chrx.vcf");
    sh(&format!(
        "bcftools view -t X {src} 2>/dev/null | awk 'NR==1 {{print; print \"##contig=<ID=X,length=155270560>\"; next}} {{print}}' > {x} && bcftools +fixploidy {x} -- -s {sex} 2>/dev/null > {out}",
        src = d.join("vcf/cohort/triomatrix.vcf").display(),
        x = dir.join("x.vcf").display(),
        sex = sex.display(),
        out = out.display()
    ));
    out
}

#[test]
fn hemizygotes_are_haploid_alt_calls_on_male_chrx_counted_apart_from_homozygotes() {
    let Some(d) = data_dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let file = male_chrx(&d, tmp.path());
    // per allele from bcftools: haploid ALT calls, diploid 1/1 calls, AC, AN
    let txt = sh(&format!(
        "bcftools +fill-tags {} -- -t AC,AN | bcftools query -f '%POS\\t%REF\\t%ALT\\t%AC\\t%AN[\\t%GT]\\n'",
        file.display()
    ));
    let mut want = HashMap::new();
    let mut total_hemi = 0;
    for l in txt.lines() {
        let f: Vec<&str> = l.split('\t').collect();
        assert!(!f[2].contains(','), "biallelic: {l}");
        let gts = &f[5..];
        let hemi = gts.iter().filter(|g| **g == "1").count() as u32;
        let hom = gts.iter().filter(|g| **g == "1/1" || **g == "1|1").count() as u32;
        total_hemi += hemi;
        want.insert(
            (
                f[0].parse::<u32>().unwrap(),
                f[1].to_string(),
                f[2].to_string(),
            ),
            (
                f[3].parse::<u32>().unwrap(),
                f[4].parse::<u32>().unwrap(),
                hom,
                hemi,
            ),
        );
    }
    assert!(total_hemi > 20, "male ALT calls on chrX: {total_hemi}");
    for layout in [Layout::Sparse, Layout::Dense] {
        let mut store = Store::open(tmp.path().join(format!("{layout:?}"))).unwrap();
        load(&mut store, &file, layout).unwrap();
        let mut got = HashMap::new();
        store
            .freq(&"X".parse().unwrap(), &store.mask_all(), |a| {
                got.insert(
                    (a.pos, a.reference, a.alt),
                    (
                        a.counts.ac,
                        a.counts.an,
                        a.counts.n_hom_alt,
                        a.counts.n_hemi,
                    ),
                );
            })
            .unwrap();
        assert_eq!(got, want, "{layout:?}");
    }
}

fn gene_model(d: &Path, name: &str) -> PathBuf {
    d.join("annotation/gene-models").join(name)
}

#[test]
fn a_gene_of_a_real_ensembl_gtf_and_gff3_gives_the_alleles_of_its_region() {
    let Some(d) = data_dir() else { return };
    let vcf = d.join("vcf/truth/PG_NA12878_hg38-chr21.vcf.gz");
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(tmp.path().join("s")).unwrap();
    load(&mut store, &vcf, Layout::Auto).unwrap();
    // Ensembl 'chr21' GRCh38 gene models name the chromosome '21'; the VCF 'chr21'
    let gtf = GeneIndex::from_path(&gene_model(&d, "ensembl-vep-chr21.gtf.gz")).unwrap();
    let gff = GeneIndex::from_path(&gene_model(&d, "ensembl-vep-chr21.gff.gz")).unwrap();
    assert_eq!(
        (gtf.len(), gff.len()),
        (42, 835),
        "genes: ID=gene:… records"
    );
    let app = gtf.lookup("APP");
    assert_eq!(app.len(), 1);
    let g = app[0];
    assert_eq!(
        (g.chrom.as_str(), g.start, g.end),
        ("21", 25880550, 26171128)
    );
    assert_eq!(g.id, "ENSG00000142192");
    // the same gene by id in the GFF3, and by symbol in any case
    let h = gff.lookup("ensg00000142192");
    assert_eq!(
        (h[0].start, h[0].end, h[0].symbol.as_deref()),
        (g.start, g.end, Some("APP"))
    );
    assert_eq!(gff.lookup("app")[0].id, g.id);
    let chrom = store.resolve_chrom(&g.chrom).unwrap().unwrap();
    assert_eq!(chrom, "chr21");
    let by_gene = ours(
        &store,
        &format!("{chrom}:{}-{}", g.start, g.end),
        &store.mask_all(),
    );
    let region = "chr21:25880550-26171128";
    assert_eq!(by_gene, ours(&store, region, &store.mask_all()));
    assert_eq!(by_gene, bcftools_counts(&vcf, region, None));
    assert!(by_gene.len() > 500, "{}", by_gene.len());
    // GENCODE flavours: versioned ids, 'chr' names
    let gencode = GeneIndex::from_path(&gene_model(&d, "gencode-v28-excerpt.gff3")).unwrap();
    let ddx = gencode.lookup("ENSG00000223972");
    assert_eq!(
        (ddx[0].chrom.as_str(), ddx[0].start, ddx[0].end),
        ("chr1", 11869, 14409)
    );
    assert_eq!(ddx[0].id, "ENSG00000223972.5");
    let v29 = GeneIndex::from_path(&gene_model(&d, "gencode-v29-chr1-excerpt.gtf.gz")).unwrap();
    assert!(!v29.lookup("DDX11L1").is_empty());
    assert!(v29.lookup("NO-SUCH-GENE").is_empty());
}

#[test]
fn hgvs_descriptions_resolve_against_the_stored_alleles_to_the_stored_allele() {
    let Some(d) = data_dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(tmp.path().join("s")).unwrap();
    load(&mut store, &cohort(&d), Layout::Auto).unwrap();
    let mut stored = Vec::new();
    store
        .freq(
            &"20:1000000-1200000".parse().unwrap(),
            &store.mask_all(),
            |a| stored.push((a.pos, a.reference, a.alt)),
        )
        .unwrap();
    let del = stored
        .iter()
        .find(|(_, r, a)| r.len() == 3 && a.len() == 1)
        .expect("a 2-base deletion")
        .clone();
    let ins = stored
        .iter()
        .find(|(_, r, a)| r.len() == 1 && a.len() > 1)
        .expect("an insertion")
        .clone();
    let snv = stored[0].clone();
    let cases = [
        (format!("20:g.{}_{}del", del.0 + 1, del.0 + 2), &del),
        (
            format!("20:g.{}_{}del{}", del.0 + 1, del.0 + 2, &del.1[1..]),
            &del,
        ),
        (
            format!("20:g.{}_{}ins{}", ins.0, ins.0 + 1, &ins.2[1..]),
            &ins,
        ),
        (format!("NC_000020.10:g.{}{}>{}", snv.0, snv.1, snv.2), &snv),
        (format!("20-{}-{}-{}", snv.0, snv.1, snv.2), &snv),
    ];
    for (text, want) in cases {
        let spec = zenome_variants::hgvs::parse_variant(&text).unwrap();
        let a = spec
            .to_allele(&mut |s, e| store.reference_bases("20", s, e).unwrap())
            .unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!((a.pos, a.reference, a.alt), want.clone(), "{text}");
    }
    // the store spells no REF that far out: a clear error naming the bases
    let spec = zenome_variants::hgvs::parse_variant("20:g.50_51del").unwrap();
    let e = spec
        .to_allele(&mut |s, e| store.reference_bases("20", s, e).unwrap())
        .unwrap_err();
    assert!(e.to_string().contains("20:50-51 cannot be resolved"), "{e}");
}

/// bcftools' per-sample counts (`stats -s -`): PSC gives SNV het/hom-alt,
/// Ts, Tv and indels; PSI gives indel het/hom-alt (ins + del).
fn bcftools_per_sample(file: &Path) -> HashMap<String, zenome_variants::SampleSummary> {
    let text = sh(&format!("bcftools stats -s - {}", file.display()));
    let mut out: HashMap<String, zenome_variants::SampleSummary> = HashMap::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let n = |i: usize| f[i].parse::<u64>().unwrap();
        match f[0] {
            "PSC" => {
                let s = out.entry(f[2].to_string()).or_default();
                s.name = f[2].to_string();
                s.hom_alt += n(4);
                s.het += n(5);
                s.transitions = n(6);
                s.transversions = n(7);
                s.snv = n(6) + n(7);
                s.indel = n(8);
            }
            "PSI" => {
                let s = out.entry(f[2].to_string()).or_default();
                s.het += n(7) + n(8);
                s.hom_alt += n(9) + n(10);
            }
            _ => {}
        }
    }
    for s in out.values_mut() {
        s.non_ref = s.het + s.hom_alt;
    }
    out
}

#[test]
fn the_batch_summary_has_the_per_sample_counts_of_bcftools_stats_in_every_layout() {
    let Some(d) = data_dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let want = bcftools_per_sample(&cohort(&d));
    assert_eq!(want.len(), 300);
    for layout in [Layout::Auto, Layout::Sparse, Layout::Dense] {
        let mut store = Store::open(tmp.path().join(format!("{layout:?}"))).unwrap();
        let b = load(&mut store, &cohort(&d), layout).unwrap();
        assert!(zenome_variants::summary::read(&store, b).unwrap().is_none());
        let written = zenome_variants::summary::write(&store, b).unwrap();
        let path = zenome_variants::summary::summary_path(store.root(), b);
        assert!(path.is_file(), "{}", path.display());
        let back = zenome_variants::summary::read(&store, b).unwrap().unwrap();
        assert_eq!(back, written);
        assert_eq!(back.len(), 300);
        for s in &back {
            let mut w = want[&s.name].clone();
            w.sample_index = s.sample_index;
            w.batch = b;
            assert_eq!(*s, w, "layout {layout:?}, sample {}", s.name);
        }
        assert!(back.iter().all(|s| s.non_ref > 0 && s.indel > 0));
    }
}

#[test]
fn a_summary_written_for_another_file_under_the_same_batch_id_is_recomputed() {
    let Some(d) = data_dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let mut a = Store::open(tmp.path().join("a")).unwrap();
    load(&mut a, &cohort(&d), Layout::Auto).unwrap();
    let first = zenome_variants::summary::write(&a, 0).unwrap();
    // another store, batch 0 from another file (the demo excerpt)
    let excerpt = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/demo/1kg-chr20-300samples-excerpt.vcf.gz");
    let mut b = Store::open(tmp.path().join("b")).unwrap();
    load(&mut b, &excerpt, Layout::Auto).unwrap();
    let stale = zenome_variants::summary::summary_path(b.root(), 0);
    std::fs::create_dir_all(stale.parent().unwrap()).unwrap();
    std::fs::copy(zenome_variants::summary::summary_path(a.root(), 0), &stale).unwrap();
    assert!(zenome_variants::summary::read(&b, 0).unwrap().is_none());
    let fresh = zenome_variants::summary::all(&b).unwrap();
    assert_eq!(fresh, zenome_variants::summary::compute(&b, 0).unwrap());
    assert_ne!(fresh, first);
    assert_eq!(
        zenome_variants::summary::read(&b, 0).unwrap().unwrap(),
        fresh
    );
}

#[test]
fn a_scan_limited_to_batches_reads_only_their_rows() {
    let Some(d) = data_dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(tmp.path().join("s")).unwrap();
    load(&mut store, &cohort(&d), Layout::Auto).unwrap();
    let first = store.manifest().batches[0].id;
    let all = store.mask_all();
    let masks = [&all];
    let count = |batches: Option<&[u32]>| {
        let scan = Scan {
            masks: &masks,
            carriers: false,
            after: None,
            limit: None,
            batches,
        };
        let mut n = 0usize;
        store
            .scan_alleles(
                &"20".parse().unwrap(),
                &scan,
                &mut |a| a.counts[0].ac > 0,
                &mut |_| n += 1,
            )
            .unwrap();
        n
    };
    let every = count(None);
    assert!(every > 10_000, "{every}");
    assert_eq!(
        count(Some(&[first])),
        every,
        "the only batch holds every row"
    );
    assert_eq!(
        count(Some(&[first + 1000])),
        0,
        "a batch that is not there reads nothing"
    );
    assert_eq!(count(Some(&[])), 0);
}
