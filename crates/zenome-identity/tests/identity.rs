//! Sample identity on public data (`ZENOME_TESTDATA`, default
//! `../../../shared/data` from this crate) against the reference tools:
//! KING kinship and IBS0 against `plink2 --make-king-table` on 1000 Genomes
//! chr20, the GIAB Ashkenazi trio against its pedigree, Picard's fingerprint
//! set (and `PicardCommandLine CrosscheckFingerprints` when installed),
//! BAM/CRAM read through their index equal to the SAM, bad input. Without
//! the data or the tools the tests fail under `CI` and skip elsewhere.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use zenome_identity::cohort::pairs;
use zenome_identity::compare::{Sex, check_same, sex};
use zenome_identity::pedigree::{Declared, Pedigree, check_pair};
use zenome_identity::{Assembly, IdentityError, Panel, Relation, Verdict, compare, fingerprints};

fn have(tool: &str, arg: &str) -> bool {
    Command::new(tool)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn data_dir(tools: &[&str]) -> Option<PathBuf> {
    let dir = match std::env::var_os("ZENOME_TESTDATA") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    };
    let missing: Vec<&&str> = tools.iter().filter(|t| !have(t, "--version")).collect();
    if dir.is_dir() && missing.is_empty() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "test data {} or tools {missing:?} missing under CI",
        dir.display()
    );
    eprintln!(
        "notice: test data {} or {missing:?} missing; skipping",
        dir.display()
    );
    None
}

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

/// The biallelic SNPs of a VCF (what plink2 and a sites panel both use).
fn snps(src: &Path, dir: &Path, name: &str) -> PathBuf {
    let out = dir.join(name);
    sh(&format!(
        "bcftools view -v snps -m2 -M2 {} -Oz -o {}",
        src.display(),
        out.display()
    ));
    out
}

/// The biallelic SNPs of `src` as their own panel, and every sample's
/// fingerprint on it.
fn on_own_snps(src: &Path, dir: &Path) -> (PathBuf, Panel, Vec<zenome_identity::Fingerprint>) {
    let vcf = snps(src, dir, "snps.vcf.gz");
    let panel = Panel::from_path(&vcf).unwrap();
    let fps = fingerprints(&panel, &vcf, None).unwrap();
    (vcf, panel, fps)
}

#[test]
fn kinship_and_ibs0_equal_plink2_king_on_1000_genomes_chr20() {
    let Some(d) = data_dir(&["bcftools", "plink2"]) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let (vcf, _, fps) = on_own_snps(
        &d.join("vcf/cohort/shapeit4-1kg-chr20-300samples.vcf.gz"),
        tmp.path(),
    );
    assert_eq!(fps.len(), 300);
    let mut ours = HashMap::new();
    pairs(
        &fps,
        0,
        2,
        |_| true,
        |block| {
            for p in block {
                ours.insert(
                    (
                        fps[p.i as usize].sample.clone(),
                        fps[p.j as usize].sample.clone(),
                    ),
                    p.counts,
                );
            }
        },
    );
    assert_eq!(ours.len(), 300 * 299 / 2);
    // the table written straight from the counting threads (no pair
    // stored) has the same rows as one written from the pairs
    let mut folded = Vec::new();
    zenome_identity::cohort::pairs_fold(
        &fps,
        0,
        2,
        Vec::new,
        |buf: &mut Vec<u8>, p| {
            zenome_identity::cohort::kin0_row(
                buf,
                &fps[p.i as usize].sample,
                &fps[p.j as usize].sample,
                &p.counts,
            )
        },
        |buf| folded.extend_from_slice(&buf),
    );
    let mut from_pairs = Vec::new();
    for ((a, b), c) in &ours {
        zenome_identity::cohort::kin0_row(&mut from_pairs, a, b, c);
    }
    let lines = |t: &[u8]| {
        let mut v: Vec<String> = String::from_utf8(t.to_vec())
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect();
        v.sort();
        v
    };
    assert_eq!(lines(&folded), lines(&from_pairs));
    sh(&format!(
        "plink2 --vcf {} --make-king-table --threads 2 --out {}/k >/dev/null",
        vcf.display(),
        tmp.path().display()
    ));
    let kin0 = std::fs::read_to_string(tmp.path().join("k.kin0")).unwrap();
    let mut n = 0;
    for line in kin0.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        let c = ours
            .get(&(f[0].to_string(), f[1].to_string()))
            .or_else(|| ours.get(&(f[1].to_string(), f[0].to_string())))
            .unwrap_or_else(|| panic!("pair {} {} missing", f[0], f[1]));
        let nsnp: u32 = f[2].parse().unwrap();
        let ibs0: f64 = f[4].parse().unwrap();
        let kin: f64 = f[5].parse().unwrap();
        assert_eq!(c.n, nsnp, "{line}");
        assert!(
            (c.ibs0_fraction().unwrap() - ibs0).abs() < 1e-5,
            "{line}: {c:?}"
        );
        assert!((c.kinship().unwrap() - kin).abs() < 1e-5, "{line}: {c:?}");
        n += 1;
    }
    assert_eq!(n, 300 * 299 / 2);
}

#[test]
fn the_ashkenazi_trio_comes_out_as_its_pedigree_declares_and_a_wrong_one_fails() {
    let Some(d) = data_dir(&["bcftools"]) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let (_, _, fps) = on_own_snps(&d.join("vcf/truth/ashk-trio.vcf.gz"), tmp.path());
    let ped = Pedigree::from_path(&d.join("vcf/truth/ashk-trio.ped")).unwrap();
    let mut checks = HashMap::new();
    pairs(
        &fps,
        0,
        1,
        |_| true,
        |block| {
            for p in block {
                let (a, b) = (&fps[p.i as usize].sample, &fps[p.j as usize].sample);
                let c = check_pair(a, b, ped.declared(a, b).unwrap(), &p.counts);
                checks.insert((a.clone(), b.clone()), c);
            }
        },
    );
    for child_parent in [("HG002", "HG003"), ("HG002", "HG004")] {
        let c = &checks[&(child_parent.0.to_string(), child_parent.1.to_string())];
        assert_eq!(c.declared, Declared::ParentOffspring);
        assert_eq!(c.observed, Some(Relation::FirstDegree), "{c:?}");
        assert!(
            c.ibs0_fraction.unwrap() < 0.005,
            "parent–child share an allele everywhere: {c:?}"
        );
        assert_eq!(c.verdict, Verdict::Pass);
    }
    let parents = &checks[&("HG003".to_string(), "HG004".to_string())];
    assert_eq!(parents.declared, Declared::Mates);
    assert_eq!(parents.observed, Some(Relation::Unrelated), "{parents:?}");
    assert_eq!(parents.verdict, Verdict::Pass);

    // a pedigree declaring the mother the father's parent: that pair fails, named
    let wrong = tmp.path().join("wrong.ped");
    std::fs::write(
        &wrong,
        "ash HG002 HG003 HG004 1 2\nash HG003 HG004 0 1 0\nash HG004 0 0 2 0\n",
    )
    .unwrap();
    let ped = Pedigree::from_path(&wrong).unwrap();
    let (a, b) = (&fps[1], &fps[2]);
    let counts = zenome_identity::compare::counts_over(a, b, None);
    let c = check_pair(
        &a.sample,
        &b.sample,
        ped.declared(&a.sample, &b.sample).unwrap(),
        &counts,
    );
    assert_eq!((c.a.as_str(), c.b.as_str()), ("HG003", "HG004"));
    assert_eq!(c.declared, Declared::ParentOffspring);
    assert_eq!(c.verdict, Verdict::Fail);
}

#[test]
fn a_sample_under_another_name_is_found_as_the_same_individual() {
    let Some(d) = data_dir(&["bcftools"]) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let src = d.join("vcf/cohort/shapeit4-1kg-chr20-300samples.vcf.gz");
    // HG00096 again, renamed: a tube registered twice
    let dup = tmp.path().join("dup.vcf.gz");
    sh(&format!(
        "bcftools view -s HG00096 {} | sed 's/\\tHG00096$/\\tNEW-0001/' | bcftools view -Oz -o {}",
        src.display(),
        dup.display()
    ));
    let panel = Panel::builtin(Assembly::GRCh37);
    let mut fps = fingerprints(&panel, &src, None).unwrap();
    let n = fps.len();
    fps.extend(fingerprints(&panel, &dup, None).unwrap());
    // the new sample against the cohort only: n pairs, not the cohort again
    let mut found = Vec::new();
    let mut seen = 0;
    pairs(
        &fps,
        n,
        2,
        |_| true,
        |block| {
            seen += block.len();
            for p in block {
                if p.counts.kinship().is_some_and(|k| k > 0.354) {
                    found.push(fps[p.i as usize].sample.clone());
                }
            }
        },
    );
    assert_eq!(seen, n);
    assert_eq!(found, ["HG00096"]);
    let c = compare(&fps[0], &fps[n], Some(&panel), false);
    assert_eq!(c.concordance, Some(1.0));
    // 68 panel sites in this 3 Mb of chr20: enough for a verdict
    assert_eq!(c.same_individual, Some(true), "{c:?}");
    assert_eq!(check_same(&c), Verdict::Pass);
    // another person: never "same"; 68 common sites are too few to be sure
    // they are different (LOD about −2.5, inside the ±3 of no verdict)
    let other = compare(&fps[1], &fps[n], Some(&panel), false);
    assert_ne!(other.same_individual, Some(true), "{other:?}");
    assert!(other.lod < 0.0, "{other:?}");
}

#[test]
fn picard_fingerprint_set_gives_no_verdict_on_a_handful_of_sites_and_agrees_with_picard() {
    let Some(d) = data_dir(&[]) else { return };
    let p = d.join("identity/picard-fingerprint");
    let panel =
        Panel::from_path(&p.join("Homo_sapiens_assembly19.haplotype_database.subset.txt")).unwrap();
    assert_eq!(panel.assembly, Some(Assembly::GRCh37));
    assert_eq!(panel.len(), 5);
    let one = |f: &str| fingerprints(&panel, &p.join(f), None).unwrap().remove(0);
    let a_vcf = one("NA12891.vcf");
    let b_vcf = one("NA12892.vcf");
    let a_sam = one("NA12891.over.fingerprints.r1.sam");
    let diff = compare(&a_vcf, &b_vcf, Some(&panel), false);
    let same = compare(&a_sam, &a_vcf, Some(&panel), false);
    // three sites: evidence leaning the right way, but no verdict
    assert!(diff.lod < 0.0 && same.lod > 0.0, "{diff:?} {same:?}");
    assert_eq!(diff.same_individual, None);
    assert_eq!(same.same_individual, None);
    // Debian's picard-tools: `PicardCommandLine` (it exits 1 on --version)
    let picard = Command::new("sh")
        .args(["-c", "command -v PicardCommandLine"])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !picard {
        assert!(
            std::env::var_os("CI").is_none(),
            "picard-tools missing under CI"
        );
        eprintln!("notice: picard-tools missing; not comparing with CrosscheckFingerprints");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("cc.txt");
    let status = Command::new("PicardCommandLine")
        .arg("CrosscheckFingerprints")
        .arg(format!("INPUT={}", p.join("NA12891.vcf").display()))
        .arg(format!("INPUT={}", p.join("NA12892.vcf").display()))
        .arg(format!(
            "INPUT={}",
            p.join("NA12891.over.fingerprints.r1.sam").display()
        ))
        .arg(format!(
            "HAPLOTYPE_MAP={}",
            p.join("Homo_sapiens_assembly19.haplotype_database.subset.txt")
                .display()
        ))
        .arg(format!("OUTPUT={}", out.display()))
        .args([
            "CROSSCHECK_BY=FILE",
            "LOD_THRESHOLD=-5",
            "QUIET=true",
            "VALIDATION_STRINGENCY=LENIENT",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success() || status.code() == Some(1), "{status:?}");
    let text = std::fs::read_to_string(&out).unwrap();
    let mut header: Vec<&str> = vec![];
    let mut picard = HashMap::new();
    for l in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let f: Vec<&str> = l.split('\t').collect();
        if header.is_empty() {
            header = f;
            continue;
        }
        let col = |n: &str| f[header.iter().position(|h| *h == n).unwrap()];
        let file = |v: &str| {
            Path::new(v)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        };
        picard.insert(
            (file(col("LEFT_FILE")), file(col("RIGHT_FILE"))),
            (
                col("RESULT").to_string(),
                col("LOD_SCORE").parse::<f64>().unwrap(),
            ),
        );
    }
    let get = |a: &str, b: &str| {
        picard
            .get(&(a.to_string(), b.to_string()))
            .or_else(|| picard.get(&(b.to_string(), a.to_string())))
            .cloned()
            .unwrap_or_else(|| panic!("Picard has no {a} × {b}: {picard:?}"))
    };
    let (r, lod) = get("NA12891.vcf", "NA12892.vcf");
    assert!(
        lod < 0.0 && r != "EXPECTED_MATCH" && r != "UNEXPECTED_MATCH",
        "{r} {lod}"
    );
    let (r, lod) = get("NA12891.over.fingerprints.r1.sam", "NA12891.vcf");
    // Picard: a positive LOD below its threshold — inconclusive, as ours is None
    assert!(lod > 0.0, "{r} {lod}");
}

#[test]
fn bam_and_cram_through_their_index_give_the_fingerprint_of_the_sam() {
    let Some(d) = data_dir(&["samtools"]) else {
        return;
    };
    let p = d.join("identity/picard-fingerprint");
    let tmp = tempfile::tempdir().unwrap();
    // BAM: sorted and indexed by samtools
    let panel =
        Panel::from_path(&p.join("Homo_sapiens_assembly19.haplotype_database.subset.txt")).unwrap();
    let sam = p.join("NA12891.over.fingerprints.r1.sam");
    let bam = tmp.path().join("a.bam");
    sh(&format!(
        "samtools sort -o {0} {1} && samtools index {0}",
        bam.display(),
        sam.display()
    ));
    let from_sam = fingerprints(&panel, &sam, None).unwrap();
    let (from_bam, cost) = zenome_identity::reads::from_alignment(&panel, &bam, None).unwrap();
    assert_eq!(from_sam[0].planes(), from_bam[0].planes());
    assert!(from_bam[0].n_called() > 0);
    assert_eq!(cost.file_size, std::fs::metadata(&bam).unwrap().len());
    // without an index: built on the fly, same answer
    std::fs::remove_file(tmp.path().join("a.bam.bai")).unwrap();
    let (again, _) = zenome_identity::reads::from_alignment(&panel, &bam, None).unwrap();
    assert_eq!(again[0].planes(), from_bam[0].planes());

    // CRAM against Picard's shifted reference
    let panel = Panel::from_path(
        &p.join("Homo_sapiens_assembly19.haplotype_database.subset.shifted.for.crams.txt"),
    )
    .unwrap();
    let fasta = p.join("reference.shifted.for.crams.fasta");
    let sam = p.join("NA12891.over.fingerprints.shifted.for.crams.r1.sam");
    let cram = tmp.path().join("a.cram");
    let reference = tmp.path().join("ref.fa");
    std::fs::copy(&fasta, &reference).unwrap();
    sh(&format!(
        "samtools faidx {r} && samtools sort -O cram --reference {r} -o {c} {s} && samtools index {c}",
        r = reference.display(),
        c = cram.display(),
        s = sam.display()
    ));
    let from_sam = fingerprints(&panel, &sam, None).unwrap();
    let from_cram = fingerprints(&panel, &cram, Some(&reference)).unwrap();
    assert_eq!(from_sam[0].planes(), from_cram[0].planes());
    assert!(from_cram[0].n_called() > 0, "{:?}", from_cram[0]);
    // a CRAM without its reference: a clear error
    let err = fingerprints(&panel, &cram, None).unwrap_err();
    assert!(err.to_string().contains("reference FASTA"), "{err}");
}

#[test]
fn a_vcf_on_another_assembly_than_the_panel_is_refused_naming_both() {
    let tmp = tempfile::tempdir().unwrap();
    let vcf = tmp.path().join("b38.vcf");
    std::fs::write(
        &vcf,
        "##fileformat=VCFv4.2\n##contig=<ID=chr1,length=248956422>\n\
         ##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n\
         #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n\
         chr1\t942934\t.\tG\tC\t.\tPASS\t.\tGT\t0/1\n",
    )
    .unwrap();
    let err = fingerprints(&Panel::builtin(Assembly::GRCh37), &vcf, None).unwrap_err();
    assert!(matches!(err, IdentityError::Assembly { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("GRCh38") && msg.contains("GRCh37") && msg.contains("b38.vcf"),
        "{msg}"
    );
    // on its own assembly's panel the site is read (chr prefix or not)
    let fp = fingerprints(&Panel::builtin(Assembly::GRCh38), &vcf, None).unwrap();
    assert_eq!(fp[0].n_called(), 1);
}

#[test]
fn a_malformed_panel_is_refused_naming_the_line() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("p.sites");
    std::fs::write(&f, "1:69761:A:T\n1:abc:G:C\n").unwrap();
    let err = Panel::from_path(&f).unwrap_err().to_string();
    assert!(err.contains("line 2") && err.contains("abc"), "{err}");
    std::fs::write(&f, "1:69761:A:T\n1:878314:G:<DEL>\n").unwrap();
    let err = Panel::from_path(&f).unwrap_err().to_string();
    assert!(err.contains("line 2"), "{err}");
}

#[test]
fn the_built_in_panels_hold_the_documented_sites() {
    for a in [Assembly::GRCh37, Assembly::GRCh38] {
        let p = Panel::builtin(a);
        assert_eq!(p.assembly, Some(a));
        let x = p.sites().iter().filter(|s| s.chrom == "X").count();
        // peddy's 23,770 lines (GRCh38 lists one position twice)
        assert!((23_769..=23_770).contains(&(p.len() - x)), "{a:?}");
        assert!((300..=340).contains(&x), "{a:?}: {x} chrX sites");
    }
}

#[test]
fn the_fingerprint_table_appends_batches_and_reads_back_what_was_written() {
    let Some(d) = data_dir(&[]) else { return };
    let tmp = tempfile::tempdir().unwrap();
    let panel = Panel::builtin(Assembly::GRCh37);
    let fps = fingerprints(
        &panel,
        &d.join("vcf/cohort/shapeit4-1kg-chr20-300samples.vcf.gz"),
        None,
    )
    .unwrap();
    let dir = tmp.path().join("fingerprints");
    zenome_identity::table::append(&dir, &fps[..200]).unwrap();
    zenome_identity::table::append(&dir, &fps[200..]).unwrap();
    let back = zenome_identity::table::read_all(&dir).unwrap();
    assert_eq!(back, fps);
    let bytes: u64 = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    // compact: 3 bits a site before compression (8.9 KB on the 23,770-site panel)
    assert!(bytes / 300 < 9_000, "{bytes} bytes for 300 fingerprints");
}

#[test]
fn sex_follows_chrx_heterozygosity_and_says_unknown_on_too_few_sites() {
    let panel = Panel::builtin(Assembly::GRCh37);
    let mut f =
        zenome_identity::Fingerprint::new("s", "f", zenome_identity::Evidence::Genotypes, &panel);
    f.x.called = 300;
    f.x.het = 90;
    assert_eq!(sex(&f).sex, Sex::XX);
    f.x.het = 2;
    assert_eq!(sex(&f).sex, Sex::XY);
    f.x.called = 10;
    assert_eq!(sex(&f).sex, Sex::Unknown);
    // reads: depth and heterozygosity disagreeing is no answer
    f.x.called = 300;
    f.x.het = 90;
    f.x.depth_ratio = Some(0.5);
    assert_eq!(sex(&f).sex, Sex::Unknown);
}

#[test]
fn a_tumour_with_loss_of_heterozygosity_still_matches_its_normal_when_told() {
    let Some(d) = data_dir(&["bcftools"]) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let (_, panel, fps) = on_own_snps(
        &d.join("vcf/cohort/shapeit4-1kg-chr20-300samples.vcf.gz"),
        tmp.path(),
    );
    let normal = fps[0].clone();
    // the tumour: half of the normal's heterozygous sites lost an allele
    let mut tumour = normal.clone();
    let mut k = 0;
    let mut lost = 0;
    for i in 0..normal.n_sites {
        if normal.get(i) == zenome_identity::Genotype::Het {
            k += 1;
            if k % 2 == 0 {
                tumour.set(i, zenome_identity::Genotype::HomA);
                lost += 1;
            }
        }
    }
    let plain = compare(&normal, &tumour, Some(&panel), false);
    let aware = compare(&normal, &tumour, Some(&panel), true);
    assert_eq!(aware.same_individual, Some(true), "{aware:?}");
    assert_eq!(aware.loh_sites, lost);
    assert!(lost > 100, "{lost}");
    assert!(plain.lod < aware.lod);
    // another person's tumour is still refused
    let other = compare(&fps[1], &tumour, Some(&panel), true);
    assert_eq!(other.same_individual, Some(false), "{other:?}");
}
