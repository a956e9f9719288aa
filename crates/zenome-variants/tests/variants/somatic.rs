//! Somatic tumour/normal VCFs of four callers (`vcf/somatic/test_*.vcf`,
//! mskcc/vcf2maf): the tumour column is told from the header or its name,
//! only passing somatic calls are stored, Strelka's genotypes come from its
//! tier-1 counts, and a somatic batch is not counted with the germline ones.
//! The expected counts were taken with bcftools (commands beside each).

use std::path::Path;

use noodles::core::Region;
use zenome_variants::{LoadOptions, Origin, SampleMask, Store, VariantsError};

use super::{data_dir, sh};

fn somatic(store: &mut Store, f: &Path) -> Result<zenome_variants::BatchInfo, VariantsError> {
    store
        .load(
            f,
            LoadOptions {
                pipeline: "test".into(),
                reference_version: "GRCh37".into(),
                origin: Origin::Somatic,
                ..Default::default()
            },
        )
        .map(|r| r.batch)
}

/// (rows, AC, AN) over every stored allele of the whole genome.
fn totals(store: &Store, mask: &SampleMask) -> (u64, u64, u64) {
    let (mut rows, mut ac, mut an) = (0, 0, 0);
    let chroms: std::collections::BTreeSet<String> = store
        .manifest()
        .batches
        .iter()
        .flat_map(|b| b.files.iter())
        .filter_map(|f| f.strip_prefix("variants/chrom=")?.split('/').next())
        .map(str::to_string)
        .collect();
    for c in chroms {
        let region: Region = c.parse().unwrap();
        store
            .freq(&region, mask, |a| {
                rows += 1;
                ac += u64::from(a.counts.ac);
                an += u64::from(a.counts.an);
            })
            .unwrap();
    }
    (rows, ac, an)
}

/// bcftools' count of passing somatic records (FILTER PASS or `.`, INFO SOMATIC).
fn bcftools_kept(f: &Path) -> u64 {
    sh(&format!(
        "bcftools view -H -f PASS,. -i 'INFO/SOMATIC=1' {} 2>/dev/null | wc -l",
        f.display()
    ))
    .trim()
    .parse()
    .unwrap()
}

#[test]
fn mutect_strelka_varscan_and_muse_load_their_tumour_column_and_passing_somatic_calls() {
    let Some(d) = data_dir() else { return };
    let dir = d.join("vcf/somatic");
    // (file, tumour column stored, rows, tumour AC, tumour AN, records filtered)
    // rows = `bcftools view -H -f PASS,. -i 'INFO/SOMATIC=1' F | wc -l`;
    // AC/AN from `… | bcftools query -s TUMOR -f '[%GT]\n' | sort | uniq -c`:
    //  Mutect: 3 × 0/1 and 2 × haploid 0 → AC 3, AN 8;
    //  VarScan: 31 × 0/1; MuSE: 97 × 0/1 and 1 × 1/1 → AC 99;
    //  Strelka (no GT): the tumour's tier-1 ALT counts (`bcftools query -s TUMOR
    //  -f '%REF %ALT [%AU %CU %GU %TU]'` for the 233 SNVs, TIR for the 7 indels)
    //  are all > 0 → 240 × 0/1.
    //  T001-BRCA (TCGA tumour-only export, one merged column, no SOMATIC flag):
    //  `bcftools view -H -f PASS,.` keeps all 196, all 0/1.
    let cases = [
        ("T001-BRCA.grch37.vcf.gz", 196u64, 196u64, 392u64, 0u64),
        ("test_mutect.vcf", 5, 3, 8, 495),
        ("test_strelka.vcf", 240, 240, 480, 0),
        ("test_varscan.vcf", 31, 31, 62, 469),
        ("test_muse.vcf", 98, 99, 196, 336),
    ];
    for (name, rows, ac, an, filtered) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let mut store = Store::open(tmp.path()).unwrap();
        let f = dir.join(name);
        if name.starts_with("test_") {
            assert_eq!(
                bcftools_kept(&f),
                rows,
                "{name}: bcftools disagrees with the table"
            );
        }
        let b = somatic(&mut store, &f).unwrap();
        assert_eq!(b.origin, Origin::Somatic);
        assert_eq!(b.n_samples, 1, "{name}: the tumour column only");
        assert_eq!(b.filtered_records, filtered, "{name}");
        assert_eq!(b.n_rows, rows, "{name}");
        if name.starts_with("test_") {
            assert_eq!(
                store.samples()[0].name,
                "TUMOR",
                "{name}: the tumour column, whatever its place"
            );
        }
        let all = store.mask_all();
        assert_eq!(totals(&store, &all), (rows, ac, an), "{name}");
        // somatic calls never enter germline frequencies
        let germline = store.mask_origin(Origin::Germline);
        assert_eq!(totals(&store, &germline).1, 0, "{name}");
    }
}

#[test]
fn a_participant_has_a_germline_sample_and_a_tumour_and_germline_counts_ignore_the_tumour() {
    let Some(d) = data_dir() else { return };
    let f = d.join("vcf/somatic/test_varscan.vcf");
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(tmp.path()).unwrap();
    // the normal column as P1's germline genotypes (all 500 records)…
    let g = store
        .load(
            &f,
            LoadOptions {
                columns: Some(vec![(0, "P1".into())]),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!((g.batch.origin, g.batch.n_rows), (Origin::Germline, 500));
    // …then P1's tumour from a copy of the same calls (another file)
    let copy = tmp.path().join("varscan-copy.vcf");
    std::fs::write(
        &copy,
        std::fs::read_to_string(&f).unwrap().replacen(
            "##source=VarScan2",
            "##source=VarScan2 (copy)",
            1,
        ),
    )
    .unwrap();
    let s = store
        .load(
            &copy,
            LoadOptions {
                origin: Origin::Somatic,
                columns: Some(vec![(1, "P1".into())]),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(s.batch.n_rows, 31);
    // a second germline P1 is still refused
    let again = store.load(
        &d.join("vcf/somatic/test_muse.vcf"),
        LoadOptions {
            columns: Some(vec![(1, "P1".into())]),
            ..Default::default()
        },
    );
    assert!(
        matches!(again, Err(VariantsError::DuplicateSamples { ref names, .. }) if names == "P1"),
        "{again:?}"
    );
    // germline AC over P1 = bcftools on the NORMAL column
    let expected: u64 = sh(&format!(
        "bcftools query -s NORMAL -f '[%GT]\\n' {} 2>/dev/null | awk '{{n+=gsub(/1/,\"\")}} END{{print n}}'",
        f.display()
    ))
    .trim()
    .parse()
    .unwrap();
    let p1 = store.mask_of(&["P1"]).unwrap();
    let mut germline = store.mask_origin(Origin::Germline);
    let mut somatic_mask = store.mask_origin(Origin::Somatic);
    for i in 0..store.samples().len() as u32 {
        if !p1.contains(i) {
            germline.remove(i);
            somatic_mask.remove(i);
        }
    }
    assert_eq!(totals(&store, &germline).1, expected);
    // the kernel adds batches up per allele: the 31 somatic alleles are
    // among the 500 germline ones, counted once each over the tumour
    assert_eq!(totals(&store, &somatic_mask), (500, 31, 62));
}

#[test]
fn a_somatic_file_whose_tumour_cannot_be_told_is_refused_naming_its_columns() {
    let Some(d) = data_dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("pair.vcf");
    std::fs::write(
        &f,
        std::fs::read_to_string(d.join("vcf/somatic/test_varscan.vcf"))
            .unwrap()
            .replacen("\tNORMAL\tTUMOR\n", "\tS1\tS2\n", 1),
    )
    .unwrap();
    let mut store = Store::open(tmp.path().join("store")).unwrap();
    match somatic(&mut store, &f) {
        Err(VariantsError::Input { message, .. }) => {
            assert!(message.contains("S1, S2"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert!(store.manifest().batches.is_empty());
}
