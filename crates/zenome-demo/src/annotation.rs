//! The demo's annotation kit: a small synthetic "genes" contig carrying
//! four genes named after real ones (BRAF, EGFR, KRAS, BRCA1), each with
//! two exons, an intron and a coding sequence whose codons at the famous
//! positions are the real ones (BRAF codon 600 GTG, EGFR 858 CTG, KRAS 12
//! GGT, BRCA1 23 GAG); its GFF3 gene model; and the knowledge files the
//! demo is configured with: the local evidence table (zenome-knowledge's
//! example with PMDA approvals, plus BRAF V600E in colorectal cancer), a
//! three-gene excerpt of the ACMG SF v3.1 list, one ClinVar record (BRCA1
//! c.68_69del, VariationID 17662) re-placed on the demo contig, and the
//! example trials. The sequences are synthetic like the rest of the demo's
//! genome; annotation, matching and the findings pages run on them as on a
//! real genome.
//!
//! The cohort gets variants at those codons through the same services an
//! operator uses: three cancer participants (lung, lung, colon) a somatic
//! Mutect2-shaped VCF each (EGFR L858R, KRAS G12C, BRAF V600E), and one
//! rare-disease participant who chose to receive secondary findings a
//! germline VCF with the BRCA1 frameshift.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use zenome_app::{Actor, App};
use zenome_store::ParticipantFilter;

use crate::DemoError;

/// The contig's name (in the kit's FASTA and gene model).
pub const CONTIG: &str = "demo_genes";

const UTR5: usize = 60;
const UTR3: usize = 120;
const INTRON: usize = 180;
const GAP: usize = 1500;
const KIT_STREAM: u64 = 7;

/// One gene of the kit.
struct GeneSpec {
    symbol: &'static str,
    gene_id: &'static str,
    transcript: &'static str,
    protein: &'static str,
    hgnc: &'static str,
    /// Codons (stop excluded).
    length: usize,
    /// Codons in the first exon.
    exon1_codons: usize,
    /// (codon number, codon) fixed as in the real gene.
    fixed: &'static [(usize, &'static str)],
}

const GENES: [GeneSpec; 6] = [
    GeneSpec {
        symbol: "KRAS",
        gene_id: "ENSG00000133703",
        transcript: "ENST00000256078",
        protein: "ENSP00000256078",
        hgnc: "HGNC:6407",
        length: 189,
        exon1_codons: 37,
        fixed: &[(12, "GGT"), (13, "GGC")],
    },
    GeneSpec {
        symbol: "BRAF",
        gene_id: "ENSG00000157764",
        transcript: "ENST00000646891",
        protein: "ENSP00000493543",
        hgnc: "HGNC:1097",
        length: 766,
        exon1_codons: 300,
        fixed: &[(600, "GTG"), (601, "AAA")],
    },
    GeneSpec {
        symbol: "EGFR",
        gene_id: "ENSG00000146648",
        transcript: "ENST00000275493",
        protein: "ENSP00000275493",
        hgnc: "HGNC:3236",
        length: 1210,
        exon1_codons: 500,
        fixed: &[(858, "CTG")],
    },
    GeneSpec {
        symbol: "BRCA1",
        gene_id: "ENSG00000012048",
        transcript: "ENST00000357654",
        protein: "ENSP00000350283",
        hgnc: "HGNC:1100",
        length: 1863,
        exon1_codons: 60,
        fixed: &[(22, "AAA"), (23, "GAG"), (24, "CTT")],
    },
    // the rare-disease genes the demo's candidate diagnoses find (laid out
    // after the others, so those keep their places)
    GeneSpec {
        symbol: "NF1",
        gene_id: "ENSG00000196712",
        transcript: "ENST00000358273",
        protein: "ENSP00000351015",
        hgnc: "HGNC:7765",
        length: 2839,
        exon1_codons: 900,
        fixed: &[(1947, "CGA")],
    },
    GeneSpec {
        symbol: "FBN1",
        gene_id: "ENSG00000166147",
        transcript: "ENST00000316623",
        protein: "ENSP00000325527",
        hgnc: "HGNC:3603",
        length: 2871,
        exon1_codons: 700,
        fixed: &[(1000, "TGT")],
    },
];

/// A rare-disease case the demo gives a causal variant: the diagnosis
/// (ICD-10, as the demo's clinical records hold it), the gene, and the
/// change (coding position `c`, reference and alternate at it; `alt` empty
/// for a one-base deletion).
struct RareCase {
    icd10: &'static str,
    gene: usize,
    c: usize,
    alt: &'static str,
}

const RARE_CASES: [RareCase; 2] = [
    // NF1 c.5839C>T p.Arg1947Ter, the recurrent nonsense change
    RareCase {
        icd10: "Q85.0",
        gene: 4,
        c: 5839,
        alt: "T",
    },
    // FBN1: a one-base deletion in codon 1000 (c.2999del), frameshift
    RareCase {
        icd10: "Q87.4",
        gene: 5,
        c: 2999,
        alt: "",
    },
];

/// Rare-disease participants given a causal variant, per case.
const PER_RARE_CASE: usize = 2;

/// Where a laid-out gene is.
struct Placed {
    /// 1-based genomic start of each exon and its length.
    exon1: (usize, usize),
    exon2: (usize, usize),
    /// First coding base.
    cds_start: usize,
    /// Last coding base (stop included).
    cds_end: usize,
    exon1_cds_len: usize,
}

impl Placed {
    /// Genomic position of coding base `c` (1-based, c.N).
    fn genomic(&self, c: usize) -> usize {
        if c <= self.exon1_cds_len {
            self.cds_start + c - 1
        } else {
            self.exon2.0 + (c - self.exon1_cds_len) - 1
        }
    }
}

/// The kit's files.
#[derive(Debug, Clone)]
pub struct AnnotationKit {
    pub fasta: PathBuf,
    pub gene_model: PathBuf,
    pub local_evidence: PathBuf,
    pub acmg_sf: PathBuf,
    pub clinvar: PathBuf,
    pub trials: PathBuf,
    /// The phenotype knowledge candidate diagnoses are ranked with: the
    /// built-in HPO subset and the demo's gene–phenotype links.
    pub hpo: PathBuf,
    pub genes_to_phenotype: PathBuf,
}

/// The demo's gene–phenotype links (see `data/README.md`).
const GENES_TO_PHENOTYPE: &[u8] = include_bytes!("../data/genes_to_phenotype-demo.txt.gz");

fn random_codon(rng: &mut ChaCha8Rng) -> [u8; 3] {
    const B: [u8; 4] = [b'A', b'C', b'G', b'T'];
    loop {
        let c = [
            B[rng.random_range(0..4)],
            B[rng.random_range(0..4)],
            B[rng.random_range(0..4)],
        ];
        if !matches!(&c, b"TAA" | b"TAG" | b"TGA") {
            return c;
        }
    }
}

fn random_bases(rng: &mut ChaCha8Rng, n: usize) -> Vec<u8> {
    const B: [u8; 4] = [b'A', b'C', b'G', b'T'];
    (0..n).map(|_| B[rng.random_range(0..4)]).collect()
}

/// The contig and where each gene lies.
fn lay_out(seed: u64) -> (Vec<u8>, Vec<Placed>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(KIT_STREAM);
    let mut seq = random_bases(&mut rng, GAP);
    let mut placed = Vec::new();
    for g in &GENES {
        let mut cds = b"ATG".to_vec();
        for n in 2..=g.length {
            match g.fixed.iter().find(|(k, _)| *k == n) {
                Some((_, c)) => cds.extend_from_slice(c.as_bytes()),
                None => cds.extend_from_slice(&random_codon(&mut rng)),
            }
        }
        cds.extend_from_slice(b"TAA");
        let split = g.exon1_codons * 3;
        let exon1_start = seq.len() + 1;
        seq.extend(random_bases(&mut rng, UTR5));
        let cds_start = seq.len() + 1;
        seq.extend_from_slice(&cds[..split]);
        let exon1 = (exon1_start, seq.len() + 1 - exon1_start);
        // intron: GT…polypyrimidine…AG
        seq.extend_from_slice(b"GTAAGT");
        seq.extend(random_bases(&mut rng, INTRON - 6 - 14));
        seq.extend_from_slice(b"TTTTCTCTTTTCAG");
        let exon2_start = seq.len() + 1;
        seq.extend_from_slice(&cds[split..]);
        let cds_end = seq.len();
        seq.extend(random_bases(&mut rng, UTR3));
        let exon2 = (exon2_start, seq.len() + 1 - exon2_start);
        seq.extend(random_bases(&mut rng, GAP));
        placed.push(Placed {
            exon1,
            exon2,
            cds_start,
            cds_end,
            exon1_cds_len: split,
        });
    }
    (seq, placed)
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), DemoError> {
    std::fs::write(path, bytes).map_err(|e| DemoError::Files(format!("{}: {e}", path.display())))
}

/// Writes the kit under `dir`.
pub fn write_annotation_kit(dir: &Path, seed: u64) -> Result<AnnotationKit, DemoError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| DemoError::Files(format!("{}: {e}", dir.display())))?;
    let (seq, placed) = lay_out(seed);
    // FASTA + .fai
    let fasta = dir.join("demo-genes.fa");
    let mut fa = format!(">{CONTIG}\n");
    let offset = fa.len();
    for line in seq.chunks(60) {
        fa.push_str(std::str::from_utf8(line).expect("ASCII"));
        fa.push('\n');
    }
    write(&fasta, fa.as_bytes())?;
    write(
        &dir.join("demo-genes.fa.fai"),
        format!("{CONTIG}\t{}\t{offset}\t60\t61\n", seq.len()).as_bytes(),
    )?;
    // GFF3 in Ensembl's shape
    let mut gff = String::from("##gff-version 3\n");
    let _ = writeln!(gff, "##sequence-region {CONTIG} 1 {}", seq.len());
    for (g, p) in GENES.iter().zip(&placed) {
        let (start, end) = (p.exon1.0, p.exon2.0 + p.exon2.1 - 1);
        let _ = writeln!(
            gff,
            "{CONTIG}\tzenome-demo\tgene\t{start}\t{end}\t.\t+\t.\tID=gene:{};Name={};biotype=protein_coding;description=demo gene named after {} [Source:HGNC Symbol%3BAcc:{}];gene_id={};version=1",
            g.gene_id, g.symbol, g.symbol, g.hgnc, g.gene_id
        );
        let _ = writeln!(
            gff,
            "{CONTIG}\tzenome-demo\tmRNA\t{start}\t{end}\t.\t+\t.\tID=transcript:{t};Parent=gene:{};Name={}-201;biotype=protein_coding;tag=basic,Ensembl_canonical,MANE_Select;transcript_id={t};version=1",
            g.gene_id,
            g.symbol,
            t = g.transcript
        );
        for (i, (s, l)) in [p.exon1, p.exon2].into_iter().enumerate() {
            let _ = writeln!(
                gff,
                "{CONTIG}\tzenome-demo\texon\t{s}\t{}\t.\t+\t.\tParent=transcript:{};rank={}",
                s + l - 1,
                g.transcript,
                i + 1
            );
        }
        let exon1_cds_end = p.cds_start + p.exon1_cds_len - 1;
        let _ = writeln!(
            gff,
            "{CONTIG}\tzenome-demo\tCDS\t{}\t{exon1_cds_end}\t.\t+\t0\tID=CDS:{p_id};Parent=transcript:{};protein_id={p_id}",
            p.cds_start,
            g.transcript,
            p_id = g.protein
        );
        let _ = writeln!(
            gff,
            "{CONTIG}\tzenome-demo\tCDS\t{}\t{}\t.\t+\t0\tID=CDS:{p_id};Parent=transcript:{};protein_id={p_id}",
            p.exon2.0,
            p.cds_end,
            g.transcript,
            p_id = g.protein
        );
    }
    let gene_model = dir.join("demo-genes.gff3");
    write(&gene_model, gff.as_bytes())?;
    // knowledge: zenome-knowledge's local table, plus BRAF V600E in CRC
    let local_evidence = dir.join("local-evidence.tsv");
    let mut table = LOCAL_EVIDENCE.trim_end_matches(['\n', '\r']).to_string();
    let columns = table.lines().next().unwrap_or("").split('\t').count();
    let braf: Vec<(&str, &str)> = vec![
        ("gene", "BRAF"),
        ("entrez_id", "673"),
        ("variant", "V600E"),
        ("disease", "大腸癌"),
        ("doid", "9256"),
        ("drugs", "Encorafenib,Binimetinib,Cetuximab"),
        ("drug_interaction_type", "Combination"),
        ("evidence_type", "Predictive"),
        ("evidence_direction", "Supports"),
        ("evidence_level", "A"),
        ("clinical_significance", "Sensitivity/Response"),
        (
            "evidence_statement",
            "PMDA承認 (2020年11月): がん化学療法後に増悪したBRAF遺伝子変異を有する治癒切除不能な進行・再発の結腸・直腸癌にエンコラフェニブ+ビニメチニブ+セツキシマブ。Pivotal trial BEACON CRC.",
        ),
        ("citation_id", "31566309"),
        ("source_type", "PubMed"),
        ("citation", "Kopetz et al., 2019, N. Engl. J. Med."),
        ("nct_ids", "NCT02928224"),
        ("rating", "5"),
        ("evidence_status", "accepted"),
        ("evidence_id", "JP-PMDA-BRAF-V600E-CRC"),
        ("variant_origin", "Somatic"),
        ("last_review_date", "2026-11-01"),
    ];
    let header: Vec<&str> = table.lines().next().unwrap_or("").split('\t').collect();
    let row: Vec<String> = header
        .iter()
        .map(|h| {
            braf.iter()
                .find(|(k, _)| k == h)
                .map(|(_, v)| v.to_string())
                .unwrap_or_default()
        })
        .collect();
    debug_assert_eq!(row.len(), columns);
    table.push('\n');
    table.push_str(&row.join("\t"));
    table.push('\n');
    write(&local_evidence, table.as_bytes())?;
    // ACMG SF v3.1, three of its genes (the list's own columns)
    let acmg_sf = dir.join("acmg_sf_v3.1-demo.tsv");
    write(&acmg_sf, ACMG_EXCERPT.as_bytes())?;
    // ClinVar: BRCA1 c.68_69del on the demo contig
    let brca1 = &placed[3];
    let pos = brca1.genomic(67);
    let reference = &seq[pos - 1..pos + 2];
    let clinvar = dir.join("clinvar-demo.vcf");
    let mut vcf = String::from(CLINVAR_HEADER);
    let _ = writeln!(vcf, "##contig=<ID={CONTIG},length={}>", seq.len());
    vcf.push_str("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n");
    let _ = writeln!(
        vcf,
        "{CONTIG}\t{pos}\t17662\t{}\t{}\t.\t.\tALLELEID=32701;CLNDISDB=MedGen:C2676676,OMIM:604370;CLNDN=Hereditary_breast_and_ovarian_cancer_syndrome;CLNHGVS={CONTIG}:g.{}_{}del;CLNREVSTAT=reviewed_by_expert_panel;CLNSIG=Pathogenic;CLNVC=Deletion;GENEINFO=BRCA1:672;ORIGIN=1",
        std::str::from_utf8(reference).expect("ASCII"),
        reference[0] as char,
        pos + 1,
        pos + 2
    );
    write(&clinvar, vcf.as_bytes())?;
    let trials = dir.join("trials.toml");
    write(&trials, TRIALS.as_bytes())?;
    let hpo = dir.join("hp-subset.obo");
    write(&hpo, zenome_clinical::hpo::BUILTIN_OBO.as_bytes())?;
    let genes_to_phenotype = dir.join("genes_to_phenotype-demo.txt.gz");
    write(&genes_to_phenotype, GENES_TO_PHENOTYPE)?;
    Ok(AnnotationKit {
        fasta,
        gene_model,
        local_evidence,
        acmg_sf,
        clinvar,
        hpo,
        genes_to_phenotype,
        trials,
    })
}

/// zenome-knowledge's example local evidence table (PMDA approvals).
const LOCAL_EVIDENCE: &str = include_str!("../../zenome-knowledge/data/local_evidence_example.tsv");
/// zenome-knowledge's example trials.
const TRIALS: &str = include_str!("../../zenome-knowledge/data/trials_example.toml");

const ACMG_EXCERPT: &str = "hgnc_id\tensembl_gene_id\tncbi_gene_id\tgene_symbol\tmim_gene_id\tdisease_phenotype\tdisorder_mim\tphenotype_category\tinheritance\tsf_list_version\tvariants_to_report
HGNC:1100\tENSG00000012048\t672\tBRCA1\t113705\tHereditary breast and ovarian cancer\t604370\tCancer\tAD\t1.0\tAll P and LP
HGNC:1101\tENSG00000139618\t675\tBRCA2\t600185\tHereditary breast and ovarian cancer\t612555\tCancer\tAD\t1.0\tAll P and LP
HGNC:7127\tENSG00000076242\t4292\tMLH1\t120436\tLynch syndrome\t609310\tCancer\tAD\t1.0\tAll P and LP
";

const CLINVAR_HEADER: &str = "##fileformat=VCFv4.1
##fileDate=2026-11-01
##source=ClinVar
##reference=GRCh38
##ID=<Description=\"ClinVar Variation ID\">
##INFO=<ID=ALLELEID,Number=1,Type=Integer,Description=\"the ClinVar Allele ID\">
##INFO=<ID=CLNDISDB,Number=.,Type=String,Description=\"Tag-value pairs of disease database name and identifier, e.g. OMIM:NNNNNN\">
##INFO=<ID=CLNDN,Number=.,Type=String,Description=\"ClinVar's preferred disease name for the concept specified by disease identifiers in CLNDISDB\">
##INFO=<ID=CLNHGVS,Number=.,Type=String,Description=\"Top-level (primary assembly, alt, or patch) HGVS expression.\">
##INFO=<ID=CLNREVSTAT,Number=.,Type=String,Description=\"ClinVar review status for the Variation ID\">
##INFO=<ID=CLNSIG,Number=.,Type=String,Description=\"Clinical significance for this single variant\">
##INFO=<ID=CLNVC,Number=1,Type=String,Description=\"Variant type\">
##INFO=<ID=GENEINFO,Number=1,Type=String,Description=\"Gene(s) for the variant reported as gene symbol:gene id. The gene symbol and id are delimited by a colon (:) and each pair is delimited by a vertical bar (|)\">
##INFO=<ID=ORIGIN,Number=.,Type=String,Description=\"Allele origin. One or more of the following values may be added: 0 - unknown; 1 - germline; 2 - somatic; 4 - inherited; 8 - paternal; 16 - maternal; 32 - de-novo; 64 - biparental; 128 - uniparental; 256 - not-tested; 512 - tested-inconclusive; 1073741824 - other\">
";

/// A somatic change: gene index, coding position, new codon base.
struct Somatic {
    gene: usize,
    /// c. position of the changed base and the new base.
    c: usize,
    alt: u8,
    /// The primary site the participant should have (ICD-O-3 prefix).
    site: &'static str,
}

const SOMATIC: [Somatic; 3] = [
    // EGFR c.2573T>G p.Leu858Arg
    Somatic {
        gene: 2,
        c: 2573,
        alt: b'G',
        site: "C34",
    },
    // KRAS c.34G>T p.Gly12Cys
    Somatic {
        gene: 0,
        c: 34,
        alt: b'T',
        site: "C34",
    },
    // BRAF c.1799T>A p.Val600Glu
    Somatic {
        gene: 1,
        c: 1799,
        alt: b'A',
        site: "C18",
    },
];

/// A Mutect2-shaped tumour/normal VCF (columns NORMAL, TUMOR) with the
/// kit's actionable change in `symbol` (`EGFR` L858R, `KRAS` G12C, `BRAF`
/// V600E) on the demo contig; `None` for another gene.
pub fn somatic_vcf(seed: u64, symbol: &str) -> Option<String> {
    let s = SOMATIC.iter().find(|s| GENES[s.gene].symbol == symbol)?;
    let (seq, placed) = lay_out(seed);
    let pos = placed[s.gene].genomic(s.c);
    let reference = seq[pos - 1] as char;
    let mut vcf = String::from(
        "##fileformat=VCFv4.2\n##source=Mutect2\n##tumor_sample=TUMOR\n##normal_sample=NORMAL\n",
    );
    let _ = writeln!(vcf, "##contig=<ID={CONTIG},length={}>", seq.len());
    vcf.push_str("##FILTER=<ID=PASS,Description=\"All filters passed\">\n");
    vcf.push_str("##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n");
    vcf.push_str("##FORMAT=<ID=AD,Number=R,Type=Integer,Description=\"Allelic depths\">\n");
    vcf.push_str("##FORMAT=<ID=AF,Number=A,Type=Float,Description=\"Allele fraction\">\n");
    vcf.push_str("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tNORMAL\tTUMOR\n");
    let _ = writeln!(
        vcf,
        "{CONTIG}\t{pos}\t.\t{reference}\t{}\t.\tPASS\t.\tGT:AD:AF\t0/0:48,0:0.0\t0/1:31,22:0.415",
        s.alt as char
    );
    Some(vcf)
}

/// A one-sample germline VCF (column `sample`) with the kit's BRCA1
/// c.68_69del, heterozygous.
pub fn germline_vcf(seed: u64, sample: &str) -> String {
    let (seq, placed) = lay_out(seed);
    let pos = placed[3].genomic(67);
    let reference = std::str::from_utf8(&seq[pos - 1..pos + 2])
        .expect("ASCII")
        .to_string();
    let mut vcf = String::from("##fileformat=VCFv4.2\n##source=zenome-demo\n");
    let _ = writeln!(vcf, "##contig=<ID={CONTIG},length={}>", seq.len());
    vcf.push_str("##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n");
    let _ = writeln!(
        vcf,
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t{sample}"
    );
    let _ = writeln!(
        vcf,
        "{CONTIG}\t{pos}\t.\t{reference}\t{}\t50\tPASS\t.\tGT\t0/1",
        &reference[..1]
    );
    vcf
}

/// Gives three cancer participants (two lung, one colon; consent in force;
/// not in `exclude`, the ones given other somatic calls) a somatic VCF each,
/// loaded through the app. Returns who got which gene's change.
pub(crate) async fn load_somatic(
    app: &App,
    seed: u64,
    exclude: &[String],
) -> Result<Vec<(String, &'static str)>, DemoError> {
    let unexpected = |e: zenome_app::AppError| DemoError::Unexpected(e.to_string());
    let store_err = |e: zenome_store::StoreError| DemoError::Unexpected(e.to_string());
    let now = time::OffsetDateTime::now_utc();
    let histories = app
        .store()
        .consent_histories(None)
        .await
        .map_err(store_err)?;
    let active = |p: &str| {
        histories
            .get(p)
            .is_some_and(|h| h.state_at(now).active().is_some())
    };
    let cancer = app
        .store()
        .participant_ids(&ParticipantFilter {
            disease_area: Some(zenome_domain::participant::DiseaseArea::Cancer),
            ..ParticipantFilter::default()
        })
        .await
        .map_err(store_err)?;
    let records = app
        .store()
        .latest_clinical_of(&cancer)
        .await
        .map_err(store_err)?;
    let site_of = |p: &str| -> Option<String> {
        let r = records.get(p)?;
        let v: serde_json::Value = serde_json::from_str(&r.record).ok()?;
        v.get("groups")?
            .get("diagnosis")?
            .get("primary_site")?
            .as_str()
            .map(str::to_string)
    };
    let dir = app.config().data_dir.join("demo-annotation-vcfs");
    std::fs::create_dir_all(&dir).map_err(|e| DemoError::Files(e.to_string()))?;
    let mut used: Vec<String> = exclude.to_vec();
    let mut given = Vec::new();
    for s in &SOMATIC {
        let who = cancer.iter().map(|p| p.to_string()).find(|p| {
            !used.contains(p) && active(p) && site_of(p).is_some_and(|x| x.starts_with(s.site))
        });
        let Some(who) = who else { continue };
        let g = &GENES[s.gene];
        let vcf = somatic_vcf(seed, g.symbol).expect("a kit gene");
        let path = dir.join(format!("{}-somatic.vcf", g.symbol));
        std::fs::write(&path, vcf).map_err(|e| DemoError::Files(e.to_string()))?;
        app.load_somatic_variants(&Actor::local(), &path, &who)
            .await
            .map_err(unexpected)?;
        used.push(who.clone());
        given.push((who, g.symbol));
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(given)
}

/// Gives the BRCA1 frameshift (germline, heterozygous) to a rare-disease
/// participant who chose to receive secondary findings and has no genotypes
/// yet, loaded through the app. Returns who.
pub(crate) async fn load_germline(app: &App, seed: u64) -> Result<Option<String>, DemoError> {
    let unexpected = |e: zenome_app::AppError| DemoError::Unexpected(e.to_string());
    let store_err = |e: zenome_store::StoreError| DemoError::Unexpected(e.to_string());
    let now = time::OffsetDateTime::now_utc();
    let histories = app
        .store()
        .consent_histories(None)
        .await
        .map_err(store_err)?;
    let taken = app.variant_sample_names().await.map_err(unexpected)?;
    let rare = app
        .store()
        .participant_ids(&ParticipantFilter {
            disease_area: Some(zenome_domain::participant::DiseaseArea::RareDisease),
            ..ParticipantFilter::default()
        })
        .await
        .map_err(store_err)?;
    let who = rare.iter().map(|p| p.to_string()).find(|p| {
        !taken.contains(p)
            && histories
                .get(p)
                .and_then(|h| h.state_at(now).active().map(|a| a.items.secondary_findings))
                .unwrap_or(false)
    });
    let Some(who) = who else { return Ok(None) };
    let vcf = germline_vcf(seed, &who);
    let dir = app.config().data_dir.join("demo-annotation-vcfs");
    std::fs::create_dir_all(&dir).map_err(|e| DemoError::Files(e.to_string()))?;
    let path = dir.join("BRCA1-germline.vcf");
    std::fs::write(&path, vcf).map_err(|e| DemoError::Files(e.to_string()))?;
    app.load_variants(&Actor::local(), &path)
        .await
        .map_err(unexpected)?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(Some(who))
}

/// The kit's rare-disease genes whose causal change [`rare_vcf`] writes.
pub const RARE_GENES: [&str; 2] = ["NF1", "FBN1"];

/// A one-sample germline VCF (column `sample`) with the causal change in
/// `gene` (one of [`RARE_GENES`]: NF1 c.5839C>T p.Arg1947Ter, FBN1
/// c.2999del) and two background changes in other kit genes, all
/// heterozygous; `None` for another gene.
pub fn rare_vcf_for(seed: u64, gene: &str, sample: &str) -> Option<String> {
    let k = RARE_CASES
        .iter()
        .position(|c| GENES[c.gene].symbol == gene)?;
    Some(rare_vcf(seed, k, sample))
}

/// [`rare_vcf_for`] by case index.
fn rare_vcf(seed: u64, k: usize, sample: &str) -> String {
    let (seq, placed) = lay_out(seed);
    let case = &RARE_CASES[k];
    let base = |p: usize| seq[p - 1] as char;
    // a transition at the first base of a codon (never the same base)
    let transition = |b: char| match b {
        'A' => 'G',
        'G' => 'A',
        'C' => 'T',
        _ => 'C',
    };
    let mut records: Vec<(usize, String, String)> = Vec::new();
    for (gene, codon) in [(0, 100 + 10 * k), (3, 500 + 10 * k)] {
        let pos = placed[gene].genomic(3 * codon - 2);
        let r = base(pos);
        records.push((pos, r.to_string(), transition(r).to_string()));
    }
    let pos = placed[case.gene].genomic(case.c);
    if case.alt.is_empty() {
        // VCF deletions carry the base before
        records.push((
            pos - 1,
            format!("{}{}", base(pos - 1), base(pos)),
            base(pos - 1).to_string(),
        ));
    } else {
        records.push((pos, base(pos).to_string(), case.alt.to_string()));
    }
    records.sort();
    let mut vcf = String::from("##fileformat=VCFv4.2\n##source=zenome-demo\n");
    let _ = writeln!(vcf, "##contig=<ID={CONTIG},length={}>", seq.len());
    vcf.push_str("##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n");
    let _ = writeln!(
        vcf,
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t{sample}"
    );
    for (pos, r, a) in records {
        let _ = writeln!(vcf, "{CONTIG}\t{pos}\t.\t{r}\t{a}\t50\tPASS\t.\tGT\t0/1");
    }
    vcf
}

/// Gives rare-disease participants with consent in force, no genotypes yet
/// and a diagnosis whose gene the kit holds (neurofibromatosis type 1:
/// NF1; Marfan syndrome: FBN1) a germline VCF with a causal change in that
/// gene among background changes, loaded through the app: up to
/// `PER_RARE_CASE` per diagnosis. Their candidate diagnoses rank the gene.
/// Returns who got which gene.
pub(crate) async fn load_rare(
    app: &App,
    seed: u64,
) -> Result<Vec<(String, &'static str)>, DemoError> {
    let unexpected = |e: zenome_app::AppError| DemoError::Unexpected(e.to_string());
    let store_err = |e: zenome_store::StoreError| DemoError::Unexpected(e.to_string());
    let now = time::OffsetDateTime::now_utc();
    let histories = app
        .store()
        .consent_histories(None)
        .await
        .map_err(store_err)?;
    let taken = app.variant_sample_names().await.map_err(unexpected)?;
    let rare = app
        .store()
        .participant_ids(&ParticipantFilter {
            disease_area: Some(zenome_domain::participant::DiseaseArea::RareDisease),
            ..ParticipantFilter::default()
        })
        .await
        .map_err(store_err)?;
    let records = app
        .store()
        .latest_clinical_of(&rare)
        .await
        .map_err(store_err)?;
    let icd10_of = |p: &str| -> Option<String> {
        let r = records.get(p)?;
        let v: serde_json::Value = serde_json::from_str(&r.record).ok()?;
        v.get("groups")?
            .get("diagnosis")?
            .get("icd10")?
            .as_str()
            .map(str::to_string)
    };
    let dir = app.config().data_dir.join("demo-rare-vcfs");
    std::fs::create_dir_all(&dir).map_err(|e| DemoError::Files(e.to_string()))?;
    let mut given = Vec::new();
    for (k, case) in RARE_CASES.iter().enumerate() {
        let who: Vec<String> = rare
            .iter()
            .map(|p| p.to_string())
            .filter(|p| {
                !taken.contains(p)
                    && histories
                        .get(p)
                        .is_some_and(|h| h.state_at(now).active().is_some())
                    && icd10_of(p).as_deref() == Some(case.icd10)
            })
            .take(PER_RARE_CASE)
            .collect();
        for who in who {
            let path = dir.join(format!("{}-{k}.vcf", GENES[case.gene].symbol));
            std::fs::write(&path, rare_vcf(seed, k, &who))
                .map_err(|e| DemoError::Files(e.to_string()))?;
            app.load_variants(&Actor::local(), &path)
                .await
                .map_err(unexpected)?;
            given.push((who, GENES[case.gene].symbol));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(given)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kit_codes_the_real_residues_at_the_real_codons() {
        let dir = tempfile::tempdir().unwrap();
        let kit = write_annotation_kit(dir.path(), 7).unwrap();
        let model =
            zenome_annotate::GeneModel::from_path(&kit.gene_model, Default::default()).unwrap();
        assert_eq!(model.transcripts().len(), GENES.len());
        let reference = zenome_annotate::Reference::open(&kit.fasta).unwrap();
        let mut ann = zenome_annotate::Annotator::new(&model, reference);
        let (seq, placed) = lay_out(7);
        for (s, hgvsp) in SOMATIC
            .iter()
            .zip(["p.Leu858Arg", "p.Gly12Cys", "p.Val600Glu"])
        {
            let pos = placed[s.gene].genomic(s.c);
            let r = (seq[pos - 1] as char).to_string();
            let a = (s.alt as char).to_string();
            let e = ann
                .annotate(
                    CONTIG,
                    zenome_annotate::Allele::Sequence {
                        pos: pos as u32,
                        reference: &r,
                        alternate: &a,
                    },
                )
                .unwrap();
            let e = e
                .iter()
                .find(|e| {
                    e.transcript.is_some_and(|i| {
                        model.transcripts()[i].gene_symbol.as_deref() == Some(GENES[s.gene].symbol)
                    })
                })
                .unwrap();
            assert!(
                e.hgvsp.ends_with(hgvsp),
                "{} {}",
                GENES[s.gene].symbol,
                e.hgvsp
            );
            assert_eq!(e.consequences.to_string(), "missense_variant");
        }
        let pos = placed[3].genomic(67);
        let r = std::str::from_utf8(&seq[pos - 1..pos + 2])
            .unwrap()
            .to_string();
        let e = ann
            .annotate(
                CONTIG,
                zenome_annotate::Allele::Sequence {
                    pos: pos as u32,
                    reference: &r,
                    alternate: &r[..1],
                },
            )
            .unwrap();
        let e = e
            .iter()
            .find(|e| {
                e.transcript
                    .is_some_and(|i| model.transcripts()[i].gene_symbol.as_deref() == Some("BRCA1"))
            })
            .unwrap();
        assert!(e.hgvsc.ends_with("c.68_69del"), "{}", e.hgvsc);
        assert!(e.hgvsp.contains("p.Glu23"), "{}", e.hgvsp);
        assert_eq!(e.consequences.to_string(), "frameshift_variant", "{e:?}");
    }
}
