//! Zenome's demo cohort: a realistic, deterministic synthetic programme —
//! three collecting facilities, two sequencing centres, a user for every
//! role, and participants with consent histories (unified and legacy forms,
//! amendments, withdrawals) and specimen lineage down to expected FASTQ,
//! CRAM and VCF files; for a few participants the files themselves, small
//! but valid, generated against a synthetic reference ([`write_reference`])
//! and ingested as the sequencing centres would deliver them (one fails QC).
//!
//! This crate owns *what the demo contains* and nothing else: every record
//! is written through the public services of [`zenome_app::App`], as the
//! people and pipelines it names (submitters log in with password and TOTP,
//! pipelines present their API tokens), so the demo exercises the same
//! checks, policies and audit trail as a real submission. It never writes to
//! the store directly.
//!
//! All randomness comes from one ChaCha8 generator seeded with
//! [`DemoOptions::seed`]: the same seed gives the same participant ids,
//! barcodes, choices, passwords and TOTP seeds, and the same reference
//! gives the same file contents (files are drawn from a separate stream of
//! the seed, so their number changes nothing else). Times are relative to
//! the moment of the build (consent events lie in the past, in order).

mod annotation;
mod canonical;
mod catalogue;
mod clinical;
mod cohort;
mod files;
mod identity;
mod pipelines;
mod qc_history;
mod reference;
mod secondary;
mod seqfiles;
mod variants;

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use time::OffsetDateTime;
use zenome_app::auth::NewUserSpec;
use zenome_app::{Actor, App, AppError};
use zenome_auth::{Secret, TotpSecret, totp_code};
use zenome_domain::DomainError;
use zenome_domain::organisation::{OrgCode, OrgKind, Organisation};
use zenome_store::UserKind;

pub use crate::annotation::{
    AnnotationKit, RARE_GENES, germline_vcf, rare_vcf_for, somatic_vcf, write_annotation_kit,
};
use crate::catalogue::{CENTRES, FACILITIES, PEOPLE};
pub use crate::identity::panel_path;
pub use crate::pipelines::{PIPELINE, TRUTH_SET, write_evaluation_kit};
pub use crate::reference::write_reference;

/// Logs a demo user in with the *previous* TOTP step's code (still
/// accepted: the window is one step either side), so the current step is
/// left for the person who logs in right after `zenome demo`; only when the
/// step boundary passes in between is the current one used.
async fn demo_login(
    app: &App,
    username: &str,
    password: &str,
    totp: &TotpSecret,
) -> Result<zenome_app::auth::LoginOutcome, AppError> {
    let previous = totp_code(totp, unix_now().saturating_sub(30));
    match app
        .login(username, password, &previous, Some("127.0.0.1"))
        .await
    {
        Ok(l) => Ok(l),
        Err(_) => {
            app.login(
                username,
                password,
                &totp_code(totp, unix_now()),
                Some("127.0.0.1"),
            )
            .await
        }
    }
}

/// What to build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoOptions {
    /// Seed of the generator every random choice is drawn from.
    pub seed: u64,
    /// Participants enrolled at each of the three collecting facilities.
    pub participants_per_facility: usize,
    /// Participants at each facility whose sequencing files (FASTQ, CRAM
    /// and, where expected, VCF) are generated and ingested; 0 for none.
    /// Needs `config.files.reference_fasta` (see [`write_reference`]).
    pub files_per_facility: usize,
    /// FASTQs each sequencing centre sends for its QC baseline, and as many
    /// for the recent weeks (in which one centre's quality drops), so the
    /// QC re-evaluation has a history to judge; 0 for none. Needs
    /// `config.files.reference_fasta`.
    pub qc_history_per_centre: usize,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            seed: 42,
            participants_per_facility: 100,
            files_per_facility: 2,
            qc_history_per_centre: 9,
        }
    }
}

/// An account the demo created, with the secrets needed to use it. Shown
/// once (the store keeps only hashes and sealed seeds). `Debug` redacts the
/// secrets; serialising writes them out, for the operator's credentials file.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct DemoAccount {
    /// Login name.
    pub username: String,
    /// Password (people).
    pub password: Option<String>,
    /// TOTP seed in base32, for an authenticator app (people).
    pub totp_secret: Option<String>,
    /// API token (machine users).
    pub api_token: Option<String>,
    /// Role name.
    pub role: String,
    /// Organisation code of a scoped role.
    pub scope: Option<String>,
    /// Name shown in the portal.
    pub display_name: String,
}

impl fmt::Debug for DemoAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redact = |s: &Option<String>| s.as_ref().map(|_| "[redacted]");
        f.debug_struct("DemoAccount")
            .field("username", &self.username)
            .field("password", &redact(&self.password))
            .field("totp_secret", &redact(&self.totp_secret))
            .field("api_token", &redact(&self.api_token))
            .field("role", &self.role)
            .field("scope", &self.scope)
            .field("display_name", &self.display_name)
            .finish()
    }
}

/// What the demo built.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DemoOutcome {
    /// Every account, people first, machine users last.
    pub accounts: Vec<DemoAccount>,
    /// Organisations registered.
    pub organisations: usize,
    /// Participants registered.
    pub participants: usize,
    /// Consent events recorded (given, amended, withdrawn).
    pub consent_events: usize,
    /// Participants whose consent ends withdrawn.
    pub withdrawn: usize,
    /// Participants whose consent was taken on a legacy form.
    pub legacy: usize,
    /// Lineage nodes registered (specimens down to file placeholders).
    pub nodes: usize,
    /// Applications for secondary use (one approved, one under review, one draft).
    pub applications: usize,
    /// Sequencing files generated and stored through the ingest.
    pub files_stored: usize,
    /// Of those, files stored but failing QC.
    pub files_failed_qc: usize,
    /// Clinical records stored.
    pub clinical_records: usize,
    /// Participants given genotypes in the variant store (1000 Genomes chr20).
    pub variant_samples: usize,
    /// Cancer participants given a real tumour's somatic calls (TCGA).
    pub somatic_samples: usize,
    /// Cancer participants given an actionable somatic change in the
    /// annotation kit's genes, and which gene.
    pub actionable: Vec<(String, String)>,
    /// The rare-disease participant given the BRCA1 germline frameshift.
    pub germline_finding: Option<String>,
    /// Rare-disease participants given a causal change (participant, gene):
    /// their candidate diagnoses rank the gene.
    pub rare_cases: Vec<(String, String)>,
    /// Participants annotated and matched to the knowledge bases.
    pub annotated: usize,
    /// Versions of the demo pipeline registered and evaluated on the demo
    /// truth set…
    pub pipeline_versions: usize,
    /// …and the one promoted to current.
    pub current_pipeline: Option<String>,
    /// Of the files stored, FASTQs of the QC history (baseline and recent
    /// weeks of each centre).
    pub qc_history_files: usize,
    /// Sequencing centres the first QC re-evaluation found drifting.
    pub qc_drifting: Vec<String>,
    /// Participants whose report the demo drafted (staff's review queue).
    pub report_drafts: Vec<String>,
}

/// Why the demo could not be built.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// A service refused or failed.
    #[error("demo: {0}")]
    App(#[from] AppError),
    /// The demo's own data broke a domain rule (a bug in the demo).
    #[error("demo data: {0}")]
    Domain(#[from] DomainError),
    /// The store already holds part of the demo (or names it uses).
    #[error("the store already holds {0}: build the demo into a fresh data directory")]
    AlreadyPopulated(String),
    /// A service answered something the demo cannot continue from.
    #[error("demo: unexpected answer: {0}")]
    Unexpected(String),
    /// The reference or a sequencing file could not be written, read or
    /// generated, or the ingest refused a generated file.
    #[error("demo files: {0}")]
    Files(String),
}

/// Builds the demo cohort through `app`'s services. `progress(done, total)`
/// is called after each participant is complete (`total` = participants).
///
/// Refuses a store that already holds any of the demo's organisations or
/// user names, before writing anything.
pub async fn build(
    app: &App,
    opts: &DemoOptions,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<DemoOutcome, DemoError> {
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let local = Actor::local();
    let cast = cast();
    ensure_fresh(app, &cast).await?;

    // 1. organisations
    let mut organisations = 0;
    let orgs = FACILITIES
        .iter()
        .map(|f| (f.code, OrgKind::CollectingFacility, f.name, f.name_ja))
        .chain(
            CENTRES
                .iter()
                .map(|c| (c.code, OrgKind::SequencingCentre, c.name, c.name_ja)),
        );
    for (code, kind, name, name_ja) in orgs {
        let org = Organisation::new(code.parse()?, kind, name, name_ja)?;
        app.register_organisation(&local, org).await?;
        organisations += 1;
    }

    // 2. users, with secrets drawn from the generator
    let mut accounts = Vec::with_capacity(cast.len());
    let mut secrets = Vec::with_capacity(cast.len());
    for member in &cast {
        let (password, totp) = if member.machine {
            (None, None)
        } else {
            let pw = password(&mut rng);
            let mut seed = [0u8; 20];
            rng.fill(&mut seed);
            (Some(pw), Some(TotpSecret::from_bytes(seed)))
        };
        let created = app
            .create_user(
                &local,
                NewUserSpec {
                    username: member.username.clone(),
                    display_name: member.display_name.clone(),
                    kind: if member.machine {
                        UserKind::Machine
                    } else {
                        UserKind::Human
                    },
                    role: member.role.to_string(),
                    scope: member.scope.map(str::to_string),
                    password: password.clone().map(Secret::new),
                    totp: totp.clone(),
                },
            )
            .await?;
        let api_token = created.api_token.map(|t| t.expose().clone());
        if member.machine && api_token.is_none() {
            return Err(DemoError::Unexpected(format!(
                "no API token for machine user {}",
                member.username
            )));
        }
        accounts.push(DemoAccount {
            username: member.username.clone(),
            password: password.clone(),
            totp_secret: totp.as_ref().map(TotpSecret::to_base32),
            api_token: api_token.clone(),
            role: member.role.to_string(),
            scope: member.scope.map(str::to_string),
            display_name: member.display_name.clone(),
        });
        secrets.push((password, totp, api_token));
    }

    // 3. actors through the real authentication path
    let mut submitters = Vec::with_capacity(FACILITIES.len());
    for f in &FACILITIES {
        let username = submitter_name(f.code);
        let i = position(&cast, &username)?;
        let (Some(pw), Some(totp), _) = &secrets[i] else {
            return Err(DemoError::Unexpected(format!("no password for {username}")));
        };
        let login = demo_login(app, &username, pw, totp).await?;
        submitters.push(app.actor_from_session(login.token.expose()).await?);
    }
    let mut centres = Vec::with_capacity(CENTRES.len());
    for c in &CENTRES {
        let username = pipeline_name(c.code);
        let i = position(&cast, &username)?;
        let (_, _, Some(token)) = &secrets[i] else {
            return Err(DemoError::Unexpected(format!(
                "no API token for {username}"
            )));
        };
        let actor = app.actor_from_bearer(token).await?;
        let code: OrgCode = c.code.parse()?;
        centres.push((actor, code));
    }

    // 4–6. participants, consent and lineage
    let total = u64::try_from(FACILITIES.len() * opts.participants_per_facility)
        .map_err(|e| DemoError::Unexpected(e.to_string()))?;
    let mut cohort = cohort::Cohort::new(app, &mut rng, today(), &centres, total, progress);
    for (f, submitter) in FACILITIES.iter().zip(&submitters) {
        cohort
            .facility(f, submitter, opts.participants_per_facility)
            .await?;
    }
    let (counts, sequenced) = cohort.finish();

    // 6b. sequencing files for a few participants, through the ingest
    let files = files::ingest(
        app,
        opts.seed,
        opts.files_per_facility,
        &sequenced,
        &centres,
    )
    .await?;
    // fingerprints and identity checks run in the background after each upload
    app.settle_identity().await;
    // 6b'. weeks of QC history (one centre's recent weeks worse), then the
    // first re-evaluation of every centre
    let history = qc_history::ingest(
        app,
        opts.seed,
        opts.qc_history_per_centre,
        &sequenced,
        &centres,
    )
    .await?;
    let qc_drifting = app
        .run_qc_drift(&Actor::local(), "initial")
        .await?
        .report
        .centres
        .into_iter()
        .filter(|c| c.verdict == "drifting")
        .map(|c| c.centre)
        .collect();

    // 6c. clinical records, one bulk submission per hospital
    let with_codes: Vec<(Actor, &str)> = submitters
        .iter()
        .cloned()
        .zip(FACILITIES.iter().map(|f| f.code))
        .collect();
    let clinical_records = clinical::fill(app, opts.seed, &with_codes).await?;

    // 6d. real genotypes (1000 Genomes chr20 excerpt) for the variant store,
    // Beacon and the frequencies API
    // (a rare-disease participant who wants secondary findings gets the
    // annotation kit's BRCA1 frameshift first, the excerpt the others)
    let germline_finding = annotation::load_germline(app, opts.seed).await?;
    // (and rare-disease participants with NF1 or Marfan syndrome a causal
    // change in the gene among background changes, for candidate diagnoses)
    let rare_cases = annotation::load_rare(app, opts.seed).await?;
    let variant_samples = variants::load(app).await?;
    // …and two real tumours' somatic calls for cancer participants
    let tcga = variants::load_somatic(app).await?;
    let somatic_samples = tcga.len();
    // …and three with actionable changes in the kit's genes (EGFR L858R and
    // KRAS G12C in lung cancers, BRAF V600E in a colon cancer)
    let actionable = annotation::load_somatic(app, opts.seed, &tcga).await?;
    // annotation and knowledge matching of everyone in the variant store
    // (nothing when no gene model is configured)
    let annotated = app
        .run_annotation(&Actor::local(), "initial", None)
        .await?
        .map(|o| o.run.participants as usize)
        .unwrap_or(0);

    // 7. secondary use: datasets, applications through review, a grant in use
    let human = |name: &str| -> Result<(String, TotpSecret), DemoError> {
        let i = position(&cast, name)?;
        match &secrets[i] {
            (Some(pw), Some(totp), _) => Ok((pw.clone(), totp.clone())),
            _ => Err(DemoError::Unexpected(format!("no password for {name}"))),
        }
    };
    let mut actors = std::collections::HashMap::new();
    for name in [
        "staff",
        "dac",
        "dac2",
        "researcher.academic",
        "researcher.industry",
    ] {
        let (pw, totp) = human(name)?;
        let login = demo_login(app, name, &pw, &totp).await?;
        actors.insert(name, app.actor_from_session(login.token.expose()).await?);
    }
    let applications = secondary::build(app, &actors).await?;

    // 8. the demo pipeline: two versions evaluated on a synthetic truth
    // set, the better one current (with the reasons on record)
    let staff = actors
        .get("staff")
        .ok_or_else(|| DemoError::Unexpected("no staff actor".into()))?;
    let (pipeline_versions, current_pipeline) = pipelines::build(app, staff, opts.seed).await?;

    // 9. return of results: staff draft the reports of the patients with a
    // therapy match or a causal change who want results (the review queue;
    // sign-off needs the reviewer's own TOTP code, so the demo stops there)
    let mut report_drafts = Vec::new();
    for p in actionable
        .iter()
        .map(|(p, _)| p.as_str())
        .chain(rare_cases.iter().map(|(p, _)| p.as_str()))
    {
        let Ok(id) = p.parse() else { continue };
        match app.draft_report(staff, &id).await {
            Ok(r) => report_drafts.push(r.participant_id),
            // no consent to results, or an identity hold: nothing to draft
            Err(AppError::Conflict { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }

    Ok(DemoOutcome {
        accounts,
        organisations,
        participants: counts.participants,
        consent_events: counts.consent_events,
        withdrawn: counts.withdrawn,
        legacy: counts.legacy,
        nodes: counts.nodes,
        applications,
        files_stored: files.stored + history.stored,
        files_failed_qc: files.failed_qc + history.failed_qc,
        clinical_records,
        variant_samples,
        somatic_samples,
        actionable: actionable
            .into_iter()
            .map(|(p, g)| (p, g.to_string()))
            .collect(),
        germline_finding,
        rare_cases: rare_cases
            .into_iter()
            .map(|(p, g)| (p, g.to_string()))
            .collect(),
        annotated,
        pipeline_versions,
        current_pipeline,
        qc_history_files: history.stored,
        qc_drifting,
        report_drafts,
    })
}

/// One account to create.
struct Member {
    username: String,
    display_name: String,
    role: &'static str,
    scope: Option<&'static str>,
    machine: bool,
}

fn submitter_name(code: &str) -> String {
    format!("submitter.{}", code.to_ascii_lowercase())
}

fn pipeline_name(code: &str) -> String {
    format!("pipeline.{}", code.to_ascii_lowercase())
}

/// Every account, in creation order: admin and staff, the facilities'
/// submitters and clinicians, the DAC and researchers, then the pipelines.
fn cast() -> Vec<Member> {
    let person = |p: &catalogue::Person| Member {
        username: p.username.to_string(),
        display_name: p.display_name.to_string(),
        role: p.role,
        scope: None,
        machine: false,
    };
    let mut cast: Vec<Member> = PEOPLE[..2].iter().map(person).collect();
    for f in &FACILITIES {
        cast.push(Member {
            username: submitter_name(f.code),
            display_name: format!("{} ({})", f.submitter, f.code),
            role: "facility_submitter",
            scope: Some(f.code),
            machine: false,
        });
    }
    for f in &FACILITIES {
        cast.push(Member {
            username: format!("clinician.{}", f.code.to_ascii_lowercase()),
            display_name: format!("{} ({})", f.clinician, f.code),
            role: "clinician",
            scope: Some(f.code),
            machine: false,
        });
    }
    cast.extend(PEOPLE[2..].iter().map(person));
    for c in &CENTRES {
        cast.push(Member {
            username: pipeline_name(c.code),
            display_name: c.pipeline.to_string(),
            role: "sequencing_centre",
            scope: Some(c.code),
            machine: true,
        });
    }
    cast
}

fn position(cast: &[Member], username: &str) -> Result<usize, DemoError> {
    cast.iter()
        .position(|m| m.username == username)
        .ok_or_else(|| DemoError::Unexpected(format!("no account {username}")))
}

/// Refuses a store that already holds one of the demo's organisations or
/// user names (reads only).
async fn ensure_fresh(app: &App, cast: &[Member]) -> Result<(), DemoError> {
    let codes = FACILITIES
        .iter()
        .map(|f| f.code)
        .chain(CENTRES.iter().map(|c| c.code));
    for code in codes {
        let code: OrgCode = code.parse()?;
        if app
            .store()
            .organisation(&code)
            .await
            .map_err(AppError::from)?
            .is_some()
        {
            return Err(DemoError::AlreadyPopulated(format!("organisation {code}")));
        }
    }
    for m in cast {
        if app
            .store()
            .user_by_name(&m.username)
            .await
            .map_err(AppError::from)?
            .is_some()
        {
            return Err(DemoError::AlreadyPopulated(format!("user {}", m.username)));
        }
    }
    Ok(())
}

/// A 20-character password without look-alike characters.
fn password(rng: &mut ChaCha8Rng) -> String {
    const CHARS: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    (0..20)
        .map(|_| char::from(CHARS[rng.random_range(0..CHARS.len())]))
        .collect()
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Now in UTC, to the minute: the reference for the demo's past.
fn today() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_second(0)
        .and_then(|t| t.replace_nanosecond(0))
        .unwrap_or(now)
}
