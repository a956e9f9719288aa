//! Knowledge bases on real public files (`ZENOME_TESTDATA`, default
//! `../../../shared/data` from this crate; under `CI` a missing directory
//! fails) and on the crate's own `data/` and `testdata/`: each loader, the
//! matching of real records, trials, diffs, and bad input for each loader.

use std::path::{Path, PathBuf};

use zenome_knowledge::civic::CivicApiFiles;
use zenome_knowledge::clinvar::{ClinicalSignificance, ReviewStatus};
use zenome_knowledge::diff::{FindingKey, diff_findings, evidence_impact};
use zenome_knowledge::disease::{CancerSite, DiseaseMap, Morphology, Topography};
use zenome_knowledge::evidence::{AmpClass, Assembly, EvidenceLevel, RecordId};
use zenome_knowledge::hotspots::HotspotsVersion;
use zenome_knowledge::matching::{DiseaseContext, FindingWarning, Knowledge, match_patient};
use zenome_knowledge::patient::{AnnotatedVariant, Origin, PatientContext, Sex};
use zenome_knowledge::protein::MatchKind;
use zenome_knowledge::trials::{
    Criterion, Outcome, TrialPatient, evaluate, load_trials, parse_trials, trials_for_patient,
};
use zenome_knowledge::*;

fn data_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("ZENOME_TESTDATA") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    };
    if dir.join("knowledge").is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "test data {} missing under CI",
        dir.display()
    );
    eprintln!("notice: test data {} missing; skipping", dir.display());
    None
}

fn crate_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn civic(dir: &Path) -> EvidenceSet {
    let mut files = CivicApiFiles::in_dir(&dir.join("knowledge/civic-sample"));
    files
        .variants
        .push(crate_file("testdata/civic_variant_12.json"));
    load_civic_api(&files, None).unwrap()
}

fn site(t: &str, m: Option<&str>) -> Option<CancerSite> {
    Some(CancerSite {
        topography: Topography::parse(t).unwrap(),
        morphology: m.map(|m| Morphology::parse(m).unwrap()),
    })
}

#[allow(clippy::too_many_arguments)]
fn var(
    chrom: &str,
    pos: u64,
    r: &str,
    a: &str,
    gene: &str,
    p: Option<&str>,
    csq: &str,
    origin: Origin,
) -> AnnotatedVariant {
    AnnotatedVariant {
        assembly: Assembly::GRCh37,
        chrom: chrom.into(),
        pos,
        reference: r.into(),
        alternate: a.into(),
        gene_symbol: gene.into(),
        hgvs_p: p.map(str::to_string),
        consequences: vec![csq.into()],
        origin,
    }
}

fn braf_v600e(p: &str) -> AnnotatedVariant {
    var(
        "7",
        140453136,
        "A",
        "T",
        "BRAF",
        Some(p),
        "missense_variant",
        Origin::Somatic,
    )
}

fn knowledge(dir: &Path) -> Knowledge {
    Knowledge {
        evidence: vec![
            civic(dir),
            load_local_evidence(
                &crate_file("data/local_evidence_example.tsv"),
                Some("jp-2024.04"),
            )
            .unwrap(),
        ],
        hotspots: Some(load_hotspots(&dir.join("knowledge/cancerhotspots_v2.txt")).unwrap()),
        clinvar: Some(
            load_clinvar(&dir.join("knowledge/clinvar_20191007_excerpt.vcf.gz")).unwrap(),
        ),
        acmg: Some(load_acmg_sf(&dir.join("knowledge/acmg_sf_v3.1.tsv")).unwrap()),
        diseases: DiseaseMap::shipped(),
    }
}

fn ctx(s: Option<CancerSite>) -> PatientContext {
    PatientContext {
        site: s,
        age_years: Some(61),
        sex: Some(Sex::Female),
        prior_therapies: vec![],
    }
}

#[test]
fn civic_api_sample_resolves_evidence_to_variants_and_versions_from_records() {
    let Some(dir) = data_dir() else { return };
    let set = civic(&dir);
    assert_eq!(set.kb.kind, KbKind::Civic);
    assert_eq!(set.kb.version, "2020-11-18", "latest updated_at (AID40)");
    assert_eq!(set.kb.sha256.len(), 64);
    assert_eq!(set.kb.paths.len(), 5);
    let eid = set
        .items
        .iter()
        .find(|i| i.id == RecordId::CivicEvidence(3017))
        .expect("EID3017");
    assert_eq!(
        (eid.gene.as_str(), eid.variant_name.as_str()),
        ("BRAF", "V600E")
    );
    assert_eq!(eid.level, Some(EvidenceLevel::A));
    assert_eq!(eid.therapies, ["Trametinib", "Dabrafenib"]);
    assert_eq!(eid.disease.id.as_deref(), Some("DOID:3908"));
    assert_eq!(eid.citation.as_ref().unwrap().id, "27283860");
    let eid45 = set
        .items
        .iter()
        .find(|i| i.id == RecordId::CivicEvidence(45))
        .expect("EID45 from variants.json");
    assert_eq!(
        (eid45.gene.as_str(), eid45.level),
        ("PDGFRA", Some(EvidenceLevel::D))
    );
    let aid = set
        .items
        .iter()
        .find(|i| i.id == RecordId::CivicAssertion(40))
        .expect("AID40");
    assert_eq!(aid.amp, Some(AmpClass::TierIA));
    // without variant 12 the evidence item cannot be placed
    let bare = load_civic_api(
        &CivicApiFiles::in_dir(&dir.join("knowledge/civic-sample")),
        Some("2021-02-01"),
    )
    .unwrap();
    assert_eq!(bare.kb.version, "2021-02-01");
    assert!(bare.unresolved.contains(&RecordId::CivicEvidence(3017)));
    assert_ne!(bare.kb.sha256, set.kb.sha256);
}

#[test]
fn braf_v600e_in_melanoma_gets_civic_evidence_from_another_cancer_type_and_in_lung_its_own() {
    let Some(dir) = data_dir() else { return };
    let k = knowledge(&dir);
    let mel = match_patient(
        &k,
        &ctx(site("C44.5", Some("8720/3"))),
        &[braf_v600e("p.Val600Glu")],
    );
    let f = mel
        .therapies
        .iter()
        .find(|f| f.record == RecordId::CivicEvidence(3017))
        .expect("EID3017 for melanoma");
    assert_eq!(f.context, DiseaseContext::OtherCancerType);
    assert_eq!(
        (f.level, f.amp),
        (Some(EvidenceLevel::A), Some(AmpClass::TierIIC))
    );
    assert_eq!(f.therapies, ["Trametinib", "Dabrafenib"]);
    assert_eq!(f.match_kind, MatchKind::Genomic);
    assert_eq!(f.kb, "civic@2020-11-18");
    assert_eq!(f.disease.name, "Lung Non-small Cell Carcinoma");
    let hs = mel.hotspots.first().expect("BRAF V600 is a hotspot");
    assert!(hs.same_allele);
    assert_eq!(
        hs.in_patient_type, 355,
        "skcm:787:355 in v2 Detailed_Cancer_Types"
    );
    assert_eq!(hs.kb, "cancer-hotspots@v2");

    let lung = match_patient(
        &k,
        &ctx(site("C34.1", Some("8140/3"))),
        &[braf_v600e("V600E")],
    );
    let f = &lung.therapies[0];
    assert_eq!(f.record, RecordId::CivicEvidence(3017));
    assert_eq!(
        (f.context, f.amp),
        (DiseaseContext::PatientCancerType, Some(AmpClass::TierIA))
    );

    // same change on GRCh38 coordinates: matched by protein, not by position
    let mut b38 = braf_v600e("p.(Val600Glu)");
    b38.assembly = Assembly::GRCh38;
    b38.pos = 140753336;
    let f = match_patient(&k, &ctx(None), &[b38])
        .therapies
        .into_iter()
        .next()
        .unwrap();
    assert_eq!(f.match_kind, MatchKind::Protein);

    // a non-hotspot, non-CIViC change of BRAF: nothing
    let other = match_patient(
        &k,
        &ctx(None),
        &[var(
            "7",
            1,
            "C",
            "G",
            "BRAF",
            Some("p.Gly10Ala"),
            "missense_variant",
            Origin::Somatic,
        )],
    );
    assert!(other.therapies.is_empty() && other.hotspots.is_empty());
    // a submitted assertion is not matched (AID40 FLT3 I836)
    let flt3 = match_patient(
        &k,
        &ctx(None),
        &[var(
            "13",
            1,
            "A",
            "C",
            "FLT3",
            Some("p.Ile836Ser"),
            "missense_variant",
            Origin::Somatic,
        )],
    );
    assert!(
        flt3.therapies
            .iter()
            .all(|f| f.record != RecordId::CivicAssertion(40))
    );
}

#[test]
fn local_pmda_evidence_with_japanese_disease_names_matches_egfr_and_kras() {
    let Some(dir) = data_dir() else { return };
    let k = knowledge(&dir);
    let local = &k.evidence[1];
    assert_eq!(
        (local.kb.kind, local.kb.version.as_str()),
        (KbKind::LocalEvidence, "jp-2024.04")
    );
    let egfr = var(
        "7",
        55259515,
        "T",
        "G",
        "EGFR",
        Some("p.Leu858Arg"),
        "missense_variant",
        Origin::Somatic,
    );
    let kras = var(
        "12",
        25398285,
        "C",
        "A",
        "KRAS",
        Some("p.(Gly12Cys)"),
        "missense_variant",
        Origin::Somatic,
    );
    let f = match_patient(&k, &ctx(site("C34.1", Some("8140/3"))), &[egfr, kras]);
    let jp1 = f
        .therapies
        .iter()
        .find(|t| t.record == RecordId::Local("JP-0001".into()))
        .unwrap();
    assert_eq!(jp1.therapies, ["Osimertinib"]);
    assert_eq!(jp1.disease.name, "非小細胞肺癌");
    assert_eq!(
        (jp1.context, jp1.amp),
        (DiseaseContext::PatientCancerType, Some(AmpClass::TierIA))
    );
    assert_eq!(jp1.kb, "local-evidence@jp-2024.04");
    let jp2 = f
        .therapies
        .iter()
        .find(|t| t.record == RecordId::Local("JP-0002".into()))
        .unwrap();
    assert_eq!(jp2.therapies, ["Sotorasib"]);
    assert_eq!(jp2.citation.as_ref().unwrap().id, "34096690");
    assert!(
        f.hotspots
            .iter()
            .any(|h| h.gene == "KRAS" && h.position == 12 && h.same_allele)
    );
    // the patient's cancer type first
    assert!(
        f.therapies
            .iter()
            .take(2)
            .all(|t| t.context == DiseaseContext::PatientCancerType)
    );
}

#[test]
fn clinvar_excerpt_loads_through_noodles_with_file_date_and_review_stars() {
    let Some(dir) = data_dir() else { return };
    let cv = load_clinvar(&dir.join("knowledge/clinvar_20191007_excerpt.vcf.gz")).unwrap();
    assert_eq!(
        (cv.kb.version.as_str(), &cv.assembly),
        ("2019-10-07", &Assembly::GRCh37)
    );
    assert_eq!(cv.records.len(), 72);
    let r = cv
        .records
        .iter()
        .find(|r| r.variation_id == 183381)
        .unwrap();
    assert_eq!(r.significance, ClinicalSignificance::Pathogenic);
    assert_eq!(
        (r.review.clone(), r.review.stars()),
        (ReviewStatus::NoAssertionCriteria, 0)
    );
    assert_eq!(
        (r.allele_id, r.genes.as_slice()),
        (Some(181485), &["ISG15".to_string()][..])
    );
    let single = cv
        .records
        .iter()
        .find(|r| r.variation_id == 661610)
        .unwrap();
    assert_eq!(single.review_text, "criteria_provided,_single_submitter");
    assert_eq!(single.review.stars(), 1);
    assert_eq!(single.hgvs.as_deref(), Some("NC_000001.10:g.949392C>T"));
    assert!(
        cv.records
            .iter()
            .any(|r| r.significance == ClinicalSignificance::Conflicting)
    );
}

#[test]
fn germline_secondary_findings_only_for_acmg_genes_and_pathogenic_records() {
    let Some(dir) = data_dir() else { return };
    let k = knowledge(&dir);
    // ISG15 pathogenic (VariationID 183381) but ISG15 is not an ACMG SF gene
    let isg15 = var(
        "1",
        949523,
        "C",
        "T",
        "ISG15",
        None,
        "stop_gained",
        Origin::Germline,
    );
    // AGRN VUS and benign records: never
    let vus = var(
        "1",
        955601,
        "C",
        "T",
        "AGRN",
        None,
        "missense_variant",
        Origin::Germline,
    );
    let f = match_patient(&k, &ctx(None), &[isg15, vus]);
    assert!(f.secondary.is_empty());

    // ClinVar's BRCA1 c.68_69del (VariationID 17662), transcribed into a
    // VCF under the excerpt's own header (testdata/README.md)
    let tmp = tempfile::tempdir().unwrap();
    let header: String = flate2_header(&dir.join("knowledge/clinvar_20191007_excerpt.vcf.gz"));
    let vcf = tmp.path().join("clinvar_brca1.vcf");
    std::fs::write(
        &vcf,
        format!(
            "{header}17\t41276044\t17662\tACT\tA\t.\t.\tALLELEID=32701;CLNDN=Hereditary_breast_and_ovarian_cancer_syndrome;CLNHGVS=NC_000017.10:g.41276045_41276046del;CLNREVSTAT=reviewed_by_expert_panel;CLNSIG=Pathogenic;GENEINFO=BRCA1:672\n\
             17\t41276044\t99999999\tACT\tA\t.\t.\tCLNREVSTAT=criteria_provided,_single_submitter;CLNSIG=Uncertain_significance;GENEINFO=BRCA1:672\n"
        ),
    )
    .unwrap();
    let k = Knowledge {
        clinvar: Some(load_clinvar(&vcf).unwrap()),
        ..k
    };
    let brca1 = var(
        "17",
        41276044,
        "ACT",
        "A",
        "BRCA1",
        Some("p.Glu23fs"),
        "frameshift_variant",
        Origin::Germline,
    );
    let f = match_patient(&k, &ctx(None), std::slice::from_ref(&brca1));
    assert_eq!(
        f.secondary.len(),
        1,
        "the VUS record at the same allele is not reported"
    );
    let s = &f.secondary[0];
    assert_eq!((s.variation_id, s.stars), (17662, 3));
    assert_eq!(s.review_text, "reviewed_by_expert_panel");
    assert_eq!(s.acmg[0].category, "Cancer");
    assert!(
        s.kb.contains(&"acmg-sf@3.1".to_string())
            && s.kb.contains(&"clinvar@2019-10-07".to_string())
    );
    // somatic origin: not a secondary finding
    let somatic = AnnotatedVariant {
        origin: Origin::Somatic,
        ..brca1
    };
    assert!(
        match_patient(&k, &ctx(None), &[somatic])
            .secondary
            .is_empty()
    );
}

fn flate2_header(path: &Path) -> String {
    use std::io::Read;
    let mut s = String::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut s)
        .unwrap();
    s.lines()
        .take_while(|l| l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn acmg_list_loads_with_its_version_and_rules() {
    let Some(dir) = data_dir() else { return };
    let acmg = load_acmg_sf(&dir.join("knowledge/acmg_sf_v3.1.tsv")).unwrap();
    assert_eq!(acmg.kb.version, "3.1");
    assert_eq!(
        acmg.genes().count(),
        78,
        "distinct gene_symbol values of the 90 rows"
    );
    assert_eq!(
        acmg.gene("APC")[0].inheritance,
        zenome_knowledge::acmg::Inheritance::AutosomalDominant,
        "'AD ' trimmed"
    );
    assert_eq!(
        acmg.gene("ATP7B")[0].report,
        zenome_knowledge::acmg::ReportRule::Biallelic
    );
    assert_eq!(acmg.gene("BAG3").len(), 2);
}

#[test]
fn hotspots_v1_and_v2_told_apart_by_shape_with_cr_line_endings() {
    let Some(dir) = data_dir() else { return };
    let v1 = load_hotspots(&dir.join("knowledge/cancerhotspots_v1.txt")).unwrap();
    assert_eq!(
        (v1.release, v1.kb.version.as_str()),
        (HotspotsVersion::V1, "v1")
    );
    let braf = v1
        .hotspots
        .iter()
        .find(|h| h.gene == "BRAF" && h.alternate.map(|a| a.one_letter()) == Some('E'))
        .unwrap();
    assert_eq!(
        braf.tumour_types
            .iter()
            .find(|t| t.code == "SKCM")
            .unwrap()
            .mutated,
        214
    );
    let v2 = load_hotspots(&dir.join("knowledge/cancerhotspots_v2.txt")).unwrap();
    assert_eq!(v2.release, HotspotsVersion::V2);
    assert!(v2.hotspots.len() > 3000);
    assert!(
        v2.hotspots
            .iter()
            .any(|h| h.reference.is_none() && h.position == 187),
        "splice rows kept"
    );
    let e = v2
        .hotspots
        .iter()
        .find(|h| h.gene == "BRAF" && h.alternate.map(|a| a.one_letter()) == Some('E'))
        .unwrap();
    assert_eq!(e.allele_count, Some(833));
}

#[test]
fn trials_from_toml_match_patients_with_reasons() {
    let Some(dir) = data_dir() else { return };
    let _ = dir;
    let trials = load_trials(&crate_file("data/trials_example.toml")).unwrap();
    assert_eq!(trials.len(), 3);
    let map = DiseaseMap::shipped();
    let kras = var(
        "12",
        25398285,
        "C",
        "A",
        "KRAS",
        Some("p.Gly12Cys"),
        "missense_variant",
        Origin::Somatic,
    );
    let mut p = TrialPatient {
        id: "P1".into(),
        context: PatientContext {
            prior_therapies: vec!["Platinum chemotherapy".into()],
            ..ctx(site("C34.1", Some("8140/3")))
        },
        variants: vec![kras],
    };
    let hits = trials_for_patient(&trials, &p, &map);
    assert_eq!(hits.len(), 1);
    let e = &hits[0];
    assert_eq!(e.trial_id, "DEMO-KRAS-G12C-NSCLC");
    assert!(
        matches!(&e.criteria[0], (Criterion::CancerType, Outcome::Met(r)) if r.contains("NSCLC"))
    );
    assert!(
        matches!(&e.criteria[1], (Criterion::Biomarker, Outcome::Met(r)) if r.contains("G12C"))
    );
    p.context.prior_therapies.push("sotorasib".into());
    let e = evaluate(&trials[0], &p, &map);
    assert!(!e.eligible());
    assert!(
        e.criteria
            .iter()
            .any(|(c, o)| *c == Criterion::PriorTherapyExcluded && matches!(o, Outcome::NotMet(_)))
    );
    // BRAF basket: any V600 change, age unknown → possibly eligible only
    let mut m = TrialPatient {
        id: "P2".into(),
        context: ctx(site("C44.5", Some("8720/3"))),
        variants: vec![braf_v600e("p.Val600Lys")],
    };
    assert!(evaluate(&trials[1], &m, &map).eligible());
    m.context.age_years = None;
    let e = evaluate(&trials[1], &m, &map);
    assert!(!e.eligible() && e.possibly_eligible());
    // germline BRCA2 trial: male patient fails on sex
    let brca2 = var(
        "13",
        32914438,
        "T",
        "TG",
        "BRCA2",
        None,
        "frameshift_variant",
        Origin::Germline,
    );
    let b = TrialPatient {
        id: "P3".into(),
        context: PatientContext {
            sex: Some(Sex::Male),
            ..ctx(site("C50.9", None))
        },
        variants: vec![brca2],
    };
    let e = evaluate(&trials[2], &b, &map);
    assert!(
        e.criteria
            .iter()
            .any(|(c, o)| *c == Criterion::Sex && matches!(o, Outcome::NotMet(_)))
    );
}

#[test]
fn diff_of_findings_and_impact_of_a_knowledge_change() {
    let Some(dir) = data_dir() else { return };
    let k_old = knowledge(&dir);
    let mut k_new = k_old.clone();
    // new CIViC: EID3017 downgraded to B; local table drops JP-0001
    let new_civic = &mut k_new.evidence[0];
    new_civic.kb.version = "2021-01-01".into();
    new_civic
        .items
        .iter_mut()
        .find(|i| i.id == RecordId::CivicEvidence(3017))
        .unwrap()
        .level = Some(EvidenceLevel::B);
    k_new.evidence[1]
        .items
        .retain(|i| i.id != RecordId::Local("JP-0001".into()));
    let lung = ctx(site("C34.1", Some("8140/3")));
    let vs = [
        braf_v600e("p.Val600Glu"),
        var(
            "7",
            55259515,
            "T",
            "G",
            "EGFR",
            Some("p.L858R"),
            "missense_variant",
            Origin::Somatic,
        ),
    ];
    let d = diff_findings(
        &match_patient(&k_old, &lung, &vs),
        &match_patient(&k_new, &lung, &vs),
    );
    assert_eq!(d.changed.len(), 1);
    assert!(matches!(
        &d.changed[0].0,
        FindingKey::Therapy {
            record: RecordId::CivicEvidence(3017),
            ..
        }
    ));
    assert_eq!(d.removed.len(), 1);
    assert!(d.added.is_empty());
    let impact = evidence_impact(&k_old.evidence[0], &k_new.evidence[0]);
    assert_eq!(impact.genes.iter().collect::<Vec<_>>(), ["BRAF"]);
    assert!(impact.affects(&vs[0]) && !impact.affects(&vs[1]));
    assert!(evidence_impact(&k_old.evidence[0], &k_old.evidence[0]).is_empty());
}

#[test]
fn obsolete_disease_term_in_a_knowledge_base_is_replaced_and_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(crate_file("data/local_evidence_example.tsv")).unwrap();
    let obsolete = text.replace("非小細胞肺癌\t3908", "甲状腺未分化癌\t7012");
    let path = tmp.path().join("local.tsv");
    std::fs::write(&path, obsolete).unwrap();
    let set = load_local_evidence(&path, Some("t")).unwrap();
    let k = Knowledge {
        evidence: vec![set],
        hotspots: None,
        clinvar: None,
        acmg: None,
        diseases: DiseaseMap::shipped(),
    };
    let kras = var(
        "12",
        25398285,
        "C",
        "A",
        "KRAS",
        Some("G12C"),
        "missense_variant",
        Origin::Somatic,
    );
    let f = match_patient(&k, &ctx(site("C73.9", Some("8020/3"))), &[kras]);
    let t = &f.therapies[0];
    assert_eq!(t.disease.id.as_deref(), Some("DOID:0080522"));
    assert_eq!(t.context, DiseaseContext::PatientCancerType);
    assert!(
        t.warnings
            .iter()
            .any(|w| matches!(w, FindingWarning::ObsoleteTerm(r) if r.obsolete == "DOID:7012"))
    );
}

// ---- bad input -------------------------------------------------------------

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn empty_files_are_refused_by_every_loader() {
    let tmp = tempfile::tempdir().unwrap();
    let e = write(tmp.path(), "empty", b"");
    let ws = write(tmp.path(), "blank", b"\r\n\n");
    for p in [&e, &ws] {
        assert!(matches!(
            load_hotspots(p),
            Err(KnowledgeError::Empty { .. })
        ));
        assert!(matches!(load_acmg_sf(p), Err(KnowledgeError::Empty { .. })));
        assert!(matches!(
            load_local_evidence(p, None),
            Err(KnowledgeError::Empty { .. })
        ));
        assert!(matches!(
            load_civic_nightly(p, None),
            Err(KnowledgeError::Empty { .. })
        ));
        let files = CivicApiFiles {
            evidence: vec![p.clone()],
            ..Default::default()
        };
        assert!(matches!(
            load_civic_api(&files, None),
            Err(KnowledgeError::Empty { .. })
        ));
        assert!(matches!(
            parse_trials(p, ""),
            Err(KnowledgeError::Empty { .. })
        ));
    }
    assert!(load_clinvar(&e).is_err());
}

#[test]
fn wrong_headers_are_refused_naming_expected_and_found_columns() {
    let Some(dir) = data_dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let acmg = std::fs::read_to_string(dir.join("knowledge/acmg_sf_v3.1.tsv")).unwrap();
    let p = write(
        tmp.path(),
        "acmg.tsv",
        acmg.replacen("gene_symbol", "symbol", 1).as_bytes(),
    );
    let msg = load_acmg_sf(&p).unwrap_err().to_string();
    assert!(
        msg.contains("expected ACMG SF header: hgnc_id,")
            && msg.contains("missing gene_symbol")
            && msg.contains("unexpected symbol"),
        "{msg}"
    );
    // the ACMG list given as hotspots, hotspots given as the ACMG list
    let msg = load_hotspots(&dir.join("knowledge/acmg_sf_v3.1.tsv"))
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("cancer hotspots v2 header: Hugo_Symbol")
            && msg.contains("found 11 columns: hgnc_id"),
        "{msg}"
    );
    let msg = load_acmg_sf(&dir.join("knowledge/cancerhotspots_v1.txt"))
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("found") && msg.contains("Data available"),
        "{msg}"
    );
    // a nightly evidence TSV of an unknown shape
    let p = write(
        tmp.path(),
        "ev.tsv",
        b"gene\tvariant\tdisease\ndrug\nBRAF\tV600E\tMelanoma\n",
    );
    let msg = load_civic_nightly(&p, None).unwrap_err().to_string();
    assert!(
        msg.contains("gene/variant era: gene,entrez_id,variant")
            && msg.contains("missing entrez_id"),
        "{msg}"
    );
    // a molecular-profile era header one column short
    let v2 = zenome_knowledge::civic::NIGHTLY_V2_COLUMNS[..24].join("\t");
    let p = write(tmp.path(), "ev2.tsv", format!("{v2}\n").as_bytes());
    let msg = load_civic_nightly(&p, None).unwrap_err().to_string();
    assert!(
        msg.contains("molecular-profile era") && msg.contains("missing is_flagged"),
        "{msg}"
    );
}

#[test]
fn civic_json_truncated_or_swapped_is_refused() {
    let Some(dir) = data_dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let ev = std::fs::read(dir.join("knowledge/civic-sample/evidence.json")).unwrap();
    let p = write(tmp.path(), "evidence.json", &ev[..ev.len() / 2]);
    let files = CivicApiFiles {
        evidence: vec![p],
        ..Default::default()
    };
    assert!(matches!(
        load_civic_api(&files, None),
        Err(KnowledgeError::Json { .. })
    ));
    let files = CivicApiFiles {
        evidence: vec![dir.join("knowledge/civic-sample/variants.json")],
        variants: vec![dir.join("knowledge/civic-sample/evidence.json")],
        ..Default::default()
    };
    let msg = load_civic_api(&files, None).unwrap_err().to_string();
    assert!(
        msg.contains("record 1")
            && msg.contains("expected a record with \"type\": \"variant\"")
            && msg.contains("found \"type\": \"evidence\""),
        "{msg}"
    );
    let p = write(tmp.path(), "n.json", b"42");
    let files = CivicApiFiles {
        evidence: vec![p],
        ..Default::default()
    };
    assert!(
        load_civic_api(&files, None)
            .unwrap_err()
            .to_string()
            .contains("found a number")
    );
}

#[test]
fn clinvar_loader_refuses_other_vcfs() {
    let Some(dir) = data_dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let header = flate2_header(&dir.join("knowledge/clinvar_20191007_excerpt.vcf.gz"));
    let p = write(
        tmp.path(),
        "x.vcf",
        header
            .replace("##source=ClinVar", "##source=bcftools")
            .as_bytes(),
    );
    let msg = load_clinvar(&p).unwrap_err().to_string();
    assert!(
        msg.contains("expected ##source=ClinVar") && msg.contains("bcftools"),
        "{msg}"
    );
    let p = write(
        tmp.path(),
        "y.vcf",
        header.replace("##fileDate=2019-10-07\n", "").as_bytes(),
    );
    assert!(
        load_clinvar(&p)
            .unwrap_err()
            .to_string()
            .contains("##fileDate")
    );
    let p = write(
        tmp.path(),
        "z.vcf",
        header
            .replace("##INFO=<ID=CLNREVSTAT", "##INFO=<ID=XREVSTAT")
            .as_bytes(),
    );
    assert!(
        load_clinvar(&p)
            .unwrap_err()
            .to_string()
            .contains("missing CLNREVSTAT")
    );
    let p = write(tmp.path(), "t.vcf", b"not a vcf at all\n");
    assert!(load_clinvar(&p).is_err());
}

#[test]
fn local_table_multibyte_fields_kept_and_bad_values_named() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(crate_file("data/local_evidence_example.tsv")).unwrap();
    let set = load_local_evidence(&crate_file("data/local_evidence_example.tsv"), None).unwrap();
    assert_eq!(set.kb.version, "2024-04-01", "latest last_review_date");
    assert!(set.items[0].disease.name.starts_with("非小細胞"));
    // full-width level letter: refused naming line and field
    let bad = text.replacen("\tA\tSensitivity", "\tＡ\tSensitivity", 1);
    let p = write(tmp.path(), "bad.tsv", bad.as_bytes());
    let msg = load_local_evidence(&p, None).unwrap_err().to_string();
    assert!(
        msg.contains("line 2") && msg.contains("evidence_level") && msg.contains("Ａ"),
        "{msg}"
    );
    // multi-byte local id kept verbatim
    let p = write(
        tmp.path(),
        "id.tsv",
        text.replace("JP-0001", "国内-0001").as_bytes(),
    );
    assert!(
        load_local_evidence(&p, None)
            .unwrap()
            .items
            .iter()
            .any(|i| i.id == RecordId::Local("国内-0001".into()))
    );
    // a short row
    let p = write(
        tmp.path(),
        "short.tsv",
        format!(
            "{}EGFR\tL858R\n",
            text.lines().next().unwrap().to_owned() + "\n"
        )
        .as_bytes(),
    );
    assert!(
        load_local_evidence(&p, None)
            .unwrap_err()
            .to_string()
            .contains("expected 41 tab-separated fields, found 2")
    );
    // the local ids are not CIViC's numbers
    let msg = load_civic_nightly(&crate_file("data/local_evidence_example.tsv"), None)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("evidence_id") && msg.contains("JP-0001"),
        "{msg}"
    );
}

#[test]
fn trials_file_of_another_format_or_bad_criteria_is_refused() {
    let p = Path::new("t.toml");
    let msg = parse_trials(p, "format = \"ctgov\"\n")
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("zenome-trials/1") && msg.contains("ctgov"),
        "{msg}"
    );
    let bad_sex =
        "format = \"zenome-trials/1\"\n[[trial]]\nid = \"T\"\ntitle = \"t\"\nsex = \"女性\"\n";
    assert!(
        parse_trials(p, bad_sex)
            .unwrap_err()
            .to_string()
            .contains("女性")
    );
    let bad_var = "format = \"zenome-trials/1\"\n[[trial]]\nid = \"T\"\ntitle = \"t\"\nbiomarkers = [{ gene = \"ALK\", variant = \"EML4-ALK\" }]\n";
    assert!(
        parse_trials(p, bad_var)
            .unwrap_err()
            .to_string()
            .contains("EML4-ALK")
    );
    let unknown = "format = \"zenome-trials/1\"\n[[trial]]\nid = \"T\"\ntitle = \"t\"\nphase = 2\n";
    assert!(matches!(
        parse_trials(p, unknown),
        Err(KnowledgeError::Toml { .. })
    ));
    let dup = "format = \"zenome-trials/1\"\n[[trial]]\nid = \"T\"\ntitle = \"a\"\n[[trial]]\nid = \"T\"\ntitle = \"b\"\n";
    assert!(
        parse_trials(p, dup)
            .unwrap_err()
            .to_string()
            .contains("unique")
    );
}

#[test]
fn impact_of_clinvar_and_acmg_changes_names_alleles_and_genes() {
    let Some(dir) = data_dir() else { return };
    use zenome_knowledge::diff::{acmg_impact, clinvar_impact};
    let tmp = tempfile::tempdir().unwrap();
    let cv_path = dir.join("knowledge/clinvar_20191007_excerpt.vcf.gz");
    let old = load_clinvar(&cv_path).unwrap();
    // the next release reclassifies one AGRN VUS as likely pathogenic
    let mut text = String::new();
    use std::io::Read;
    flate2::read::MultiGzDecoder::new(std::fs::File::open(&cv_path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("1\t955601\t"))
        .unwrap()
        .to_string();
    let newer = text
        .replace(
            &line,
            &line.replace("CLNSIG=Uncertain_significance", "CLNSIG=Likely_pathogenic"),
        )
        .replace("##fileDate=2019-10-07", "##fileDate=2019-11-04");
    let p = write(tmp.path(), "clinvar_new.vcf", newer.as_bytes());
    let new = load_clinvar(&p).unwrap();
    assert_eq!(new.kb.version, "2019-11-04");
    let impact = clinvar_impact(&old, &new);
    assert_eq!(impact.alleles.len(), 1);
    let agrn = var(
        "1",
        955601,
        "C",
        "T",
        "AGRN",
        None,
        "missense_variant",
        Origin::Germline,
    );
    assert!(impact.affects(&agrn));
    assert!(!impact.affects(&var(
        "1",
        949523,
        "C",
        "T",
        "ISG15",
        None,
        "stop_gained",
        Origin::Germline
    )));
    // ACMG: a list without BRCA2 affects BRCA2 only
    let acmg_text = std::fs::read_to_string(dir.join("knowledge/acmg_sf_v3.1.tsv")).unwrap();
    let without: String = acmg_text
        .lines()
        .filter(|l| !l.contains("\tBRCA2\t"))
        .map(|l| format!("{l}\n"))
        .collect();
    let p = write(tmp.path(), "acmg.tsv", without.as_bytes());
    let a_old = load_acmg_sf(&dir.join("knowledge/acmg_sf_v3.1.tsv")).unwrap();
    let a_new = load_acmg_sf(&p).unwrap();
    assert_eq!(
        acmg_impact(&a_old, &a_new)
            .genes
            .into_iter()
            .collect::<Vec<_>>(),
        ["BRCA2"]
    );
}
