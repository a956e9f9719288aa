//! What a report says: frozen at each step as JSON, with its digest.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ReportError;

/// Cancer (somatic findings, therapies, trials) or rare disease
/// (candidate diagnoses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    Cancer,
    RareDisease,
}

/// A sequenced file of the patient and its QC.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleLine {
    /// `FASTQ`, `CRAM`, `VCF`…
    pub kind: String,
    /// The file's name as delivered.
    pub file: String,
    pub centre: String,
    /// `passed`, `failed`, `pending`…
    pub qc: String,
    /// The QC's figures in words (reads, Q30…), as the ingest recorded them.
    pub metrics: String,
}

/// The sample identity check's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityLine {
    /// `pass` (checked, nothing held), `not_checked` (no fingerprint yet).
    /// A held genome is never reported.
    pub verdict: String,
    pub detail: String,
}

/// An annotated variant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariantLine {
    pub gene: String,
    pub hgvsc: String,
    pub hgvsp: String,
    pub consequence: String,
    /// `somatic` or `germline`.
    pub origin: String,
}

/// A therapy matched to a finding, with its evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TherapyLine {
    pub gene: String,
    pub variant: String,
    pub therapies: String,
    pub disease: String,
    /// Evidence level (CIViC A–E) and AMP/ASCO/CAP tier.
    pub level: String,
    pub tier: String,
    /// The source record and knowledge base version.
    pub source: String,
}

/// A matching clinical trial.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrialLine {
    pub id: String,
    pub title: String,
}

/// A candidate diagnosis: a gene ranked from phenotypes and variants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandidateLine {
    pub rank: usize,
    pub gene: String,
    pub score: f64,
    /// How inheritance fits (`de_novo`, `dominant`…), empty when none.
    pub inheritance: String,
    /// HGVS and zygosity of each variant.
    pub variants: Vec<String>,
    /// `patient term ↔ gene term` pairs.
    pub matched_terms: Vec<String>,
}

/// A secondary finding (ACMG SF gene, ClinVar P/LP).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecondaryLine {
    pub gene: String,
    pub variant: String,
    pub significance: String,
    pub conditions: String,
}

/// Why the secondary findings section says what it says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecondaryNote {
    /// The patient chose to receive them; those found are listed.
    Included,
    /// The patient chose not to: none are listed, whatever was found.
    NotWanted,
}

/// A limitation stated on every report of its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Limitation {
    /// Short variants only.
    ShortVariantsOnly,
    /// Knowledge as of the versions named.
    KnowledgeAsOf,
    /// Secondary findings limited to the ACMG SF list.
    SecondaryAcmgOnly,
    /// Candidate diagnoses are hypotheses for the clinician.
    CandidatesAreHypotheses,
    /// Results to be confirmed by a clinical laboratory before action.
    ConfirmBeforeAction,
}

impl Limitation {
    /// The sentence, Japanese then English.
    pub fn text(self) -> (&'static str, &'static str) {
        match self {
            Self::ShortVariantsOnly => (
                "一塩基バリアントと短い挿入欠失のみを評価しています。構造異常、コピー数変化、リピート伸長は評価していません。",
                "Only single-nucleotide variants and short indels were assessed; structural variants, copy-number changes and repeat expansions were not.",
            ),
            Self::KnowledgeAsOf => (
                "解釈は下記の版の知識ベースに基づきます。知識の更新により解釈が変わることがあります。",
                "The interpretation rests on the knowledge base versions named below; it may change as knowledge changes.",
            ),
            Self::SecondaryAcmgOnly => (
                "二次的所見は ACMG SF リストの遺伝子における ClinVar の病的・おそらく病的バリアントに限ります。",
                "Secondary findings are limited to ClinVar pathogenic and likely pathogenic variants in ACMG SF genes.",
            ),
            Self::CandidatesAreHypotheses => (
                "候補診断は表現型の類似度とバリアントの根拠による順位であり、診断ではありません。臨床的な評価が必要です。",
                "Candidate diagnoses are a ranking by phenotype similarity and variant evidence, not a diagnosis; they need clinical assessment.",
            ),
            Self::ConfirmBeforeAction => (
                "臨床上の判断の前に、臨床検査室での確認検査 (サンガー法など) を行ってください。",
                "Confirm in a clinical laboratory (e.g. by Sanger sequencing) before any clinical decision.",
            ),
        }
    }
}

/// One patient's report at one version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportContent {
    pub participant_id: String,
    /// The collecting facility's code and name: the only recipient.
    pub facility: String,
    pub facility_name: String,
    pub kind: ReportKind,
    /// 1, 2, … per participant.
    pub version: u32,
    /// RFC 3339.
    pub generated_at: String,
    /// The pipeline version(s) the patient's files were made with.
    pub pipeline: Option<String>,
    /// The diagnosis in the clinical record (name, ICD-10).
    pub diagnosis: Option<String>,
    pub samples: Vec<SampleLine>,
    pub identity: IdentityLine,
    pub variants: Vec<VariantLine>,
    pub therapies: Vec<TherapyLine>,
    pub trials: Vec<TrialLine>,
    pub candidates: Vec<CandidateLine>,
    pub secondary: Vec<SecondaryLine>,
    pub secondary_note: SecondaryNote,
    /// `kind@version` of every knowledge base, the gene model, the HPO.
    pub knowledge: Vec<String>,
    /// The reviewer's interpretation (free text, edited during review).
    pub interpretation: String,
    pub limitations: Vec<Limitation>,
}

impl ReportContent {
    /// The limitations every report of `kind` states.
    pub fn limitations_for(kind: ReportKind) -> Vec<Limitation> {
        let mut l = vec![
            Limitation::ShortVariantsOnly,
            Limitation::KnowledgeAsOf,
            Limitation::SecondaryAcmgOnly,
        ];
        if kind == ReportKind::RareDisease {
            l.push(Limitation::CandidatesAreHypotheses);
        }
        l.push(Limitation::ConfirmBeforeAction);
        l
    }

    /// The canonical JSON (what is stored and digested).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a report serialises")
    }

    pub fn from_json(s: &str) -> Result<Self, ReportError> {
        serde_json::from_str(s).map_err(|e| ReportError::Content(e.to_string()))
    }

    /// SHA-256 of the canonical JSON, hex: printed on the report, stored
    /// beside it, so a PDF can be matched to what was signed off.
    pub fn digest(&self) -> String {
        hex::encode(Sha256::digest(self.to_json().as_bytes()))
    }

    /// What a re-analysis compares: the actionable content (therapies,
    /// trials, the top candidate genes, secondary findings), not the
    /// wording or the date.
    pub fn actionable_key(&self) -> Vec<String> {
        let mut k: Vec<String> = Vec::new();
        k.extend(self.therapies.iter().map(|t| {
            format!(
                "therapy:{}:{}:{}:{}",
                t.gene, t.variant, t.therapies, t.level
            )
        }));
        k.extend(self.trials.iter().map(|t| format!("trial:{}", t.id)));
        k.extend(
            self.candidates
                .iter()
                .take(5)
                .map(|c| format!("candidate:{}:{}", c.rank, c.gene)),
        );
        k.extend(
            self.secondary
                .iter()
                .map(|s| format!("secondary:{}:{}", s.gene, s.variant)),
        );
        k.sort();
        k
    }
}
