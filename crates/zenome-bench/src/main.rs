//! `zenome-bench`: measures Zenome's hot paths on this machine and prints a
//! line for `docs/benchmarks.md`. Timing lives here, never in tests.
//!
//! - `access`: the grant-and-consent check of one data request, with 1,000
//!   participants and 50 grants, on SQLite (and PostgreSQL with `--postgres URL`).
//! - `audit`: `verify` over a million hash-chained entries, and the time to
//!   catch a one-byte change; beside `sha256sum` over the same bytes.
//! - `variants`: the variant store's load and masked allele frequencies
//!   beside bcftools, tabix and plink2 (see `variants.rs`).
//! - `variants-http`: a 100 kb region over HTTP (Beacon and the API) against
//!   a real server, beside tabix and `bcftools view -r` (see `http.rs`).
//! - `annotate`: variant consequences (`zenome_annotate`, one thread) beside
//!   `bcftools csq -l` on the same gene model, FASTA and VCF (see `annotate.rs`).

mod annotate;
mod evaluate;
mod http;
mod identity;
mod prioritise;
mod variants;

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use rand::{Rng, SeedableRng};
use zenome_app::access::{ApplicationBody, PurposeBody};
use zenome_app::auth::NewUserSpec;
use zenome_app::registry::{ConsentCommand, NewParticipant};
use zenome_app::{Actor, App, Config};
use zenome_auth::{PasswordParams, Secret, TotpSecret, totp_code};
use zenome_domain::access::{DataType, Vote};
use zenome_domain::consent::{ConsentAnswers, FormVersion};
use zenome_domain::organisation::{OrgKind, Organisation};
use zenome_domain::participant::{DiseaseArea, Sex};
use zenome_store::{Store, UserKind};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    what: What,
}

#[derive(Subcommand)]
enum What {
    /// The grant-and-consent check of a data request.
    Access {
        /// Participants.
        #[arg(long, default_value_t = 1000)]
        participants: usize,
        /// Grants.
        #[arg(long, default_value_t = 50)]
        grants: usize,
        /// Checks to time.
        #[arg(long, default_value_t = 5000)]
        checks: usize,
        /// Also on this PostgreSQL server (a fresh database is created).
        #[arg(long)]
        postgres: Option<String>,
    },
    /// A 100 kb region over HTTP (Beacon `g_variants`, `/api/v1/variants/frequencies`)
    /// against a zenome server on a socket, p50/p95, beside tabix and `bcftools view -r`.
    VariantsHttp {
        /// Cohort VCF (default: the public 300-sample chr20 file in ZENOME_TESTDATA).
        #[arg(long)]
        vcf: Option<std::path::PathBuf>,
        /// Samples (= registered participants); more than the file has tiles it.
        #[arg(long, default_value_t = 300)]
        samples: usize,
        /// Requests per endpoint.
        #[arg(long, default_value_t = 200)]
        reps: usize,
    },
    /// Ingest of a FASTQ (hash, validate, encrypt, store two copies) beside
    /// `md5sum` on the same file, with the peak memory of the process.
    Ingest {
        /// Size of the generated FASTQ in MiB (ignored with --file).
        #[arg(long, default_value_t = 2048)]
        size_mib: u64,
        /// Use this FASTQ instead of generating one.
        #[arg(long)]
        file: Option<std::path::PathBuf>,
    },
    /// A bulk clinical submission of many records (JSON of whole records,
    /// then a CSV of one item group for the same participants, then the same
    /// CSV with one bad cell), validated and stored or refused.
    Clinical {
        /// Records (participants).
        #[arg(long, default_value_t = 10_000)]
        records: usize,
    },
    /// The variant store: load and masked allele frequencies beside
    /// bcftools, tabix and plink2, on the 300-sample cohort and a tiled one.
    Variants {
        /// Cohort VCF (default: the public 300-sample chr20 file in ZENOME_TESTDATA).
        #[arg(long)]
        vcf: Option<std::path::PathBuf>,
        /// Samples of the tiled cohort (0: none).
        #[arg(long, default_value_t = 10_000)]
        tiled: usize,
        /// Repetitions of each query (the median is shown).
        #[arg(long, default_value_t = 50)]
        reps: usize,
    },
    /// Sample identity: all pairs (KING kinship, IBS0, verdicts) beside
    /// plink2 --make-king-table and bcftools gtcheck on the same sites.
    Identity {
        /// Cohort VCF (default: the public 300-sample chr20 file in ZENOME_TESTDATA).
        #[arg(long)]
        vcf: Option<std::path::PathBuf>,
        /// Samples of the tiled cohort (0: none).
        #[arg(long, default_value_t = 5_000)]
        tiled: usize,
        /// bcftools gtcheck only up to this many samples (it is quadratic and slow).
        #[arg(long, default_value_t = 1_000)]
        gtcheck_max: usize,
    },
    /// Call-set evaluation (haplotype-aware truth vs query, hap.py's
    /// metrics) on the Platinum chr21 truth and on a whole-genome-sized
    /// synthetic pair, beside `bcftools isec` on the same files.
    Evaluate {
        /// Contigs of the tiled synthetic pair (70 ≈ 4.6 M truth records; 0: none).
        #[arg(long, default_value_t = 70)]
        tiles: usize,
        /// Runs of the chr21 comparison and of bcftools (the fastest is shown).
        #[arg(long, default_value_t = 3)]
        reps: usize,
    },
    /// Rare-disease ranking: top-1/5/10 of the causal gene over the
    /// published Phenopackets (phenotypes only, and with variants among a
    /// 1000 Genomes background), and one WGS-sized case timed.
    Prioritise {
        /// Packets to use (all: 1,058).
        #[arg(long, default_value_t = 100_000)]
        limit: usize,
        /// Records of the WGS-sized case (0: none).
        #[arg(long, default_value_t = 4_500_000)]
        wgs_variants: usize,
    },
    /// Variant annotation (consequences, HGVS, CSQ) in process on one
    /// thread beside `bcftools csq -l`: throughput, start-up on a small VCF,
    /// peak memory.
    Annotate {
        /// GFF3 gene model (default: Ensembl VEP's chr21 GFF3 in ZENOME_TESTDATA).
        #[arg(long)]
        gff: Option<std::path::PathBuf>,
        /// Indexed FASTA (default: zenome-annotate's testdata/vep-chr21.fa.gz).
        #[arg(long)]
        fasta: Option<std::path::PathBuf>,
        /// VCF to annotate (default: random variants over the FASTA's real bases).
        #[arg(long)]
        vcf: Option<std::path::PathBuf>,
        /// Variants of the generated large VCF.
        #[arg(long, default_value_t = 50_000)]
        variants: usize,
        /// Variants of the generated one-patient VCF.
        #[arg(long, default_value_t = 1_000)]
        small: usize,
        /// Up/downstream distance our CSQ reports (VEP's default 5000; 0
        /// lists only overlapped transcripts, as bcftools csq does).
        #[arg(long, default_value_t = 5000)]
        distance: u32,
        /// Runs of each tool (the fastest is shown).
        #[arg(long, default_value_t = 3)]
        reps: usize,
    },
    /// Audit verification over many entries.
    Audit {
        /// Entries.
        #[arg(long, default_value_t = 1_000_000)]
        entries: i64,
    },
}

fn config(dir: &std::path::Path) -> Config {
    let mut c = Config {
        data_dir: dir.to_path_buf(),
        ..Default::default()
    };
    c.security.password = PasswordParams {
        memory_kib: 1024,
        iterations: 1,
        parallelism: 1,
    };
    c
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

async fn login(app: &App, user: &str, role: &str, scope: Option<&str>) -> Result<Actor> {
    let totp = TotpSecret::generate();
    let pw = "benchmark-password-1";
    app.create_user(
        &Actor::local(),
        NewUserSpec {
            username: user.into(),
            display_name: user.into(),
            kind: UserKind::Human,
            role: role.into(),
            scope: scope.map(str::to_string),
            password: Some(Secret::new(pw.into())),
            totp: Some(totp.clone()),
        },
    )
    .await?;
    let out = app
        .login(user, pw, &totp_code(&totp, unix_now()), None)
        .await?;
    Ok(app.actor_from_session(out.token.expose()).await?)
}

fn stats(mut v: Vec<Duration>) -> (f64, f64, f64) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mean = v.iter().map(|d| ms(*d)).sum::<f64>() / v.len() as f64;
    (mean, ms(v[v.len() / 2]), ms(v[v.len() * 99 / 100]))
}

async fn access(
    store: Store,
    engine: &str,
    participants: usize,
    grants: usize,
    checks: usize,
) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let app = App::new(store, zenome_auth::SealKey::generate(), config(dir.path()))?;
    let facility = bench_hospital(&app).await?;
    let staff = login(&app, "bench.staff", "data_centre_staff", None).await?;
    let dac = login(&app, "bench.dac", "dac_member", None).await?;
    let ids = enrol(&app, &facility, participants, |i| {
        let area = if i % 3 == 0 {
            DiseaseArea::RareDisease
        } else {
            DiseaseArea::Cancer
        };
        let answers = ConsentAnswers {
            research_scope: Some(
                if i % 2 == 0 {
                    "general"
                } else {
                    "health_medical"
                }
                .into(),
            ),
            controlled_sharing: Some(true),
            industrial_use: Some(i % 5 != 0),
            recontact: Some(true),
            primary_findings: Some(true),
            secondary_findings: Some(false),
            ..Default::default()
        };
        (area, Sex::Unknown, answers)
    })
    .await?;
    // 10 datasets of 100 participants
    let datasets = 10;
    for d in 0..datasets {
        app.create_dataset(
            &staff,
            zenome_app::access::datasets::NewDataset {
                id: format!("bench-{d}"),
                title: format!("Bench {d}"),
                title_ja: format!("ベンチ {d}"),
                description: String::new(),
                security_level: zenome_domain::access::SecurityLevel::Level2,
                data_types: vec![DataType::Vcf],
                requirement: PurposeBody {
                    scope: "health_medical".into(),
                    country: "JP".into(),
                    ethics_approval: true,
                    ..Default::default()
                },
                embargo_until: None,
                producer_group: vec![],
            },
        )
        .await?;
        let chunk = ids
            .chunks(participants.div_ceil(datasets))
            .nth(d)
            .unwrap_or(&[])
            .to_vec();
        app.add_dataset_members(
            &staff,
            &format!("bench-{d}"),
            zenome_app::access::datasets::MemberSelection {
                participants: chunk,
                ..Default::default()
            },
        )
        .await?;
    }
    // 50 grants over 10 researchers
    let mut researchers = Vec::new();
    for r in 0..10 {
        researchers.push(login(&app, &format!("bench.r{r}"), "researcher_academic", None).await?);
    }
    let bar = indicatif::ProgressBar::new(grants as u64).with_message("grants");
    for g in 0..grants {
        let who = &researchers[g % researchers.len()];
        let body = ApplicationBody {
            title: format!("Bench project {g}"),
            affiliation: "Bench University".into(),
            co_applicants: vec![],
            purpose: PurposeBody {
                scope: "health_medical".into(),
                description: "A benchmark of the grant and consent check of data requests.".into(),
                country: "JP".into(),
                ethics_approval: true,
                ..Default::default()
            },
            datasets: vec![format!("bench-{}", g % datasets)],
            data_types: vec!["vcf".into()],
            fastq_need: None,
            start: "2026-01-01".into(),
            end: "2028-06-30".into(),
            agreement_accepted: Some(app.config().access.agreement_version.clone()),
        };
        let id = app.create_application(who, body).await?;
        app.submit_application(who, &id).await?;
        app.declare_interests(&dac, &id, false, "").await?;
        app.vote_application(&dac, &id, Vote::Approve).await?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    // time the per-request check: a researcher reading one participant of one of their datasets
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let mut times = Vec::with_capacity(checks);
    let mut allowed = 0;
    for _ in 0..checks {
        let r = rng.next_u32() as usize % researchers.len();
        let g =
            r + researchers.len() * (rng.next_u32() as usize % (grants / researchers.len()).max(1));
        let d = g % datasets;
        let chunk: Vec<_> = ids
            .chunks(participants.div_ceil(datasets))
            .nth(d)
            .unwrap_or(&[])
            .to_vec();
        let p = &chunk[rng.next_u32() as usize % chunk.len()];
        let t = Instant::now();
        let ok = app
            .check_participant_access(
                &researchers[r],
                &format!("bench-{d}"),
                DataType::Vcf,
                p,
                None,
            )
            .await;
        times.push(t.elapsed());
        if ok.is_ok() {
            allowed += 1;
        }
    }
    let (mean, p50, p99) = stats(times);
    println!(
        "access check [{engine}]: {participants} participants, {grants} grants, {checks} checks ({allowed} allowed): mean {mean:.3} ms, median {p50:.3} ms, p99 {p99:.3} ms"
    );
    Ok(())
}

async fn audit(entries: i64) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let store = zenome_store::testing::fresh_sqlite(dir.path()).await?;
    let t = Instant::now();
    zenome_store::testing::bulk_audit(&store, entries).await?;
    let fill = t.elapsed();
    let t = Instant::now();
    let n = store
        .verify_audit()
        .await?
        .map_err(|b| anyhow::anyhow!("broken at {}: {}", b.seq, b.reason))?;
    let verify = t.elapsed();
    // the same bytes through sha256sum: the floor of any hash-chain check
    let rows = store.audit_after(0, i64::MAX).await?;
    let path = dir.path().join("entries.txt");
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path)?);
        for r in &rows {
            writeln!(
                f,
                "{} {} {} {} {} {} {}",
                r.prev_hash,
                r.seq,
                r.actor,
                r.action,
                r.target,
                r.detail,
                r.at.unix_timestamp()
            )?;
        }
    }
    drop(rows);
    let bytes = std::fs::metadata(&path)?.len();
    let t = Instant::now();
    let out = std::process::Command::new("sha256sum")
        .arg(&path)
        .output()
        .context("sha256sum")?;
    let sha = t.elapsed();
    anyhow::ensure!(out.status.success(), "sha256sum failed");
    // a one-byte change in the middle
    zenome_store::testing::tamper_audit_detail(&store, entries / 2, "{\"participants\":1}x").await;
    let t = Instant::now();
    let broken = store.verify_audit().await?;
    let catch = t.elapsed();
    anyhow::ensure!(
        broken.as_ref().err().map(|b| b.seq) == Some(entries / 2),
        "the change was not caught: {broken:?}"
    );
    println!(
        "audit verify [sqlite]: {n} entries in {:.2} s ({:.0} entries/s; filling took {:.1} s); sha256sum over the same {:.0} MB: {:.2} s (ratio {:.1}x); one-byte change at entry {} caught in {:.2} s",
        verify.as_secs_f64(),
        n as f64 / verify.as_secs_f64(),
        fill.as_secs_f64(),
        bytes as f64 / 1e6,
        sha.as_secs_f64(),
        verify.as_secs_f64() / sha.as_secs_f64(),
        entries / 2,
        catch.as_secs_f64()
    );
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.what {
        What::Access {
            participants,
            grants,
            checks,
            postgres,
        } => {
            let dir = tempfile::tempdir()?;
            access(
                zenome_store::testing::fresh_sqlite(dir.path()).await?,
                "sqlite",
                participants,
                grants,
                checks,
            )
            .await?;
            if let Some(base) = postgres {
                let (server, _) = base
                    .rsplit_once('/')
                    .context("--postgres takes a URL such as postgres://user@host:5432/postgres")?;
                let db = format!("{server}/zbench_{}", std::process::id());
                create_db(&db).await?;
                let store = Store::connect(&db).await?;
                store.migrate().await?;
                access(store, "postgres", participants, grants, checks).await?;
            }
        }
        What::Audit { entries } => audit(entries).await?,
        What::Evaluate { tiles, reps } => evaluate::run(tiles, reps)?,
        What::Prioritise {
            limit,
            wgs_variants,
        } => prioritise::run(limit, wgs_variants)?,
        What::Variants { vcf, tiled, reps } => variants::run(vcf, tiled, reps)?,
        What::Annotate {
            gff,
            fasta,
            vcf,
            variants,
            small,
            reps,
            distance,
        } => annotate::run(gff, fasta, vcf, variants, small, reps, distance)?,
        What::Identity {
            vcf,
            tiled,
            gtcheck_max,
        } => identity::run(vcf, tiled, gtcheck_max)?,
        What::VariantsHttp { vcf, samples, reps } => http::run(vcf, samples, reps).await?,
        What::Clinical { records } => clinical(records).await?,
        What::Ingest { size_mib, file } => ingest(size_mib, file).await?,
    }
    Ok(())
}

/// Registers the bench's hospital and logs in its submitter.
async fn bench_hospital(app: &App) -> Result<Actor> {
    app.register_organisation(
        &Actor::local(),
        Organisation::new(
            "BENCH-H".parse()?,
            OrgKind::CollectingFacility,
            "Bench Hospital",
            "ベンチ病院",
        )?,
    )
    .await?;
    login(app, "bench.facility", "facility_submitter", Some("BENCH-H")).await
}

/// Registers `n` participants at the facility, each with the disease area,
/// sex and consent answers `plan` gives for its index, through the same service
/// calls a hospital makes, with a progress bar.
async fn enrol(
    app: &App,
    facility: &Actor,
    n: usize,
    plan: impl Fn(usize) -> (DiseaseArea, Sex, ConsentAnswers),
) -> Result<Vec<zenome_domain::id::ParticipantId>> {
    let bar = indicatif::ProgressBar::new(n as u64).with_message("participants");
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let (disease_area, sex, answers) = plan(i);
        let p = app
            .register_participant(
                facility,
                NewParticipant {
                    id: None,
                    disease_area,
                    sex,
                },
            )
            .await?;
        app.record_consent(
            facility,
            &p.id,
            ConsentCommand::Give {
                form: FormVersion::CURRENT,
                answers,
            },
            None,
        )
        .await?;
        ids.push(p.id);
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(ids)
}

async fn clinical(n: usize) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let store = zenome_store::testing::fresh_sqlite(dir.path()).await?;
    let app = App::new(store, zenome_auth::SealKey::generate(), config(dir.path()))?;
    let facility = bench_hospital(&app).await?;
    let ids: Vec<String> = enrol(&app, &facility, n, |_| {
        let answers = ConsentAnswers {
            research_scope: Some("general".into()),
            controlled_sharing: Some(true),
            industrial_use: Some(true),
            data_linkage: Some(true),
            recontact: Some(true),
            primary_findings: Some(true),
            secondary_findings: Some(false),
            ..Default::default()
        };
        (DiseaseArea::Cancer, Sex::Female, answers)
    })
    .await?
    .iter()
    .map(ToString::to_string)
    .collect();
    let today = time::OffsetDateTime::now_utc().date();
    let records: Vec<serde_json::Value> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            serde_json::json!({
                "dictionary": "2", "participant": id, "area": "cancer",
                "groups": {
                    "case_basics": { "sex": "female", "birth_date": format!("{}-03", 1950 + i % 40),
                        "facility_code": "BENCH-H", "registration_date": today.to_string(), "consent_date": today.to_string(),
                        "cancer_registry_number": format!("JCR-{i:08}") },
                    "diagnosis": { "diagnosis_name": "乳癌", "icd10": "C50.9", "diagnosis_date": "2025-04-01",
                        "primary_site": "C50.9", "histology": "8500/3", "tnm_edition": "8", "clinical_stage": "IIA" },
                    "background": { "smoking_status": "never", "ecog_ps": "0", "height": 158, "weight": 52.5 },
                    "treatment": [
                        { "treatment_type": "surgery", "intent": "curative", "start_date": "2025-05-01", "end_date": "2025-05-01" },
                        { "treatment_type": "drug", "line": 1, "intent": "adjuvant", "regimen": "AC→パクリタキセル",
                          "drugs": "doxorubicin; cyclophosphamide; paclitaxel", "start_date": "2025-06-10", "end_date": "2025-10-30" } ],
                    "course": { "best_response": "CR", "outcome": "alive", "last_contact_date": today.to_string() }
                }
            })
        })
        .collect();
    let json = serde_json::to_vec(&records)?;
    let t = Instant::now();
    let stored = app.submit_clinical_json(&facility, &json).await?;
    let json_time = t.elapsed();
    let mut csv =
        String::from("participant,treatment_type,line,intent,regimen,start_date,end_date\n");
    for id in &ids {
        csv.push_str(&format!(
            "{id},drug,2,palliative,TC,2025-11-01,2025-12-20\n"
        ));
    }
    // the bad copy: one unknown code in the middle
    let bad = csv.replacen(
        &format!("{},drug,2", ids[n / 2]),
        &format!("{},chemo,2", ids[n / 2]),
        1,
    );
    let t = Instant::now();
    let refused = app
        .submit_clinical_csv(
            &facility,
            "treatment",
            zenome_clinical::Area::Cancer,
            bad.as_bytes(),
        )
        .await;
    let refused_time = t.elapsed();
    let problems = match refused {
        Err(zenome_app::AppError::Rejected { problems, .. }) => problems.len(),
        Err(e) => anyhow::bail!("the bad CSV failed otherwise: {e}"),
        Ok(_) => anyhow::bail!("the bad CSV was accepted"),
    };
    let t = Instant::now();
    let csv_stored = app
        .submit_clinical_csv(
            &facility,
            "treatment",
            zenome_clinical::Area::Cancer,
            csv.as_bytes(),
        )
        .await?;
    let csv_time = t.elapsed();
    // the facility's export: every latest record, each checked against its
    // participant's consent now
    let t = Instant::now();
    let exported = app.clinical_export(&facility, None, None).await?;
    let export_time = t.elapsed();
    anyhow::ensure!(exported.len() == n, "exported {} of {n}", exported.len());
    println!(
        "clinical bulk [{n} records, SQLite]: JSON {:.1} MB of whole records validated and stored in {:.2} s ({} stored); \
         CSV of one group ({:.1} MB) merged, validated and stored in {:.2} s ({} stored); \
         the same CSV with one bad cell refused in {:.2} s with {problems} problem(s), nothing stored; \
         the facility's export of {n} records with their consent checked in {:.2} s",
        json.len() as f64 / 1e6,
        json_time.as_secs_f64(),
        stored.len(),
        csv.len() as f64 / 1e6,
        csv_time.as_secs_f64(),
        csv_stored.len(),
        refused_time.as_secs_f64(),
        export_time.as_secs_f64(),
    );
    Ok(())
}

async fn create_db(url: &str) -> Result<()> {
    zenome_store::testing::create_database(url)
        .await
        .context("creating the benchmark database")
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.split_whitespace().nth(1).unwrap_or("0").to_string())
        })
        .and_then(|k| k.parse::<f64>().ok())
        .map_or(0.0, |k| k / 1024.0)
}

fn reset_peak_rss() {
    // "5" resets the peak resident set size (Linux ≥ 4.0)
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn write_fastq(path: &std::path::Path, size: u64) -> Result<()> {
    use std::io::Write;
    let mut f = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let mut written = 0u64;
    let mut i = 0u64;
    let mut seq = [0u8; 150];
    let mut qual = [0u8; 150];
    while written < size {
        for b in seq.iter_mut() {
            *b = b"ACGT"[(rng.next_u32() % 4) as usize];
        }
        for q in qual.iter_mut() {
            *q = b'5' + (rng.next_u32() % 10) as u8 + 10;
        }
        let head = format!(
            "@A00123:8:H7KJ2DSXY:1:1101:{}:{} 1:N:0:ACGTACGT\n",
            i / 10_000,
            i % 10_000
        );
        f.write_all(head.as_bytes())?;
        f.write_all(&seq)?;
        f.write_all(b"\n+\n")?;
        f.write_all(&qual)?;
        f.write_all(b"\n")?;
        written += head.len() as u64 + 150 + 3 + 150 + 1;
        i += 1;
    }
    f.flush()?;
    Ok(())
}

async fn ingest(size_mib: u64, file: Option<std::path::PathBuf>) -> Result<()> {
    let dir =
        tempfile::tempdir_in(std::env::var("ZENOME_BENCH_DIR").unwrap_or_else(|_| "/tmp".into()))?;
    let path = match file {
        Some(p) => p,
        None => {
            let p = dir.path().join("bench.fastq");
            eprintln!("writing a {size_mib} MiB FASTQ…");
            write_fastq(&p, size_mib << 20)?;
            p
        }
    };
    let len = std::fs::metadata(&path)?.len();
    // warm the page cache the same way for both
    let _ = std::process::Command::new("cat")
        .arg(&path)
        .stdout(std::process::Stdio::null())
        .status();
    let t = Instant::now();
    let out = std::process::Command::new("md5sum")
        .arg(&path)
        .output()
        .context("md5sum")?;
    let md5sum_time = t.elapsed();
    let md5 = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    let app_dir = tempfile::tempdir_in(dir.path())?;
    let store = zenome_store::testing::fresh_sqlite(app_dir.path()).await?;
    let mut cfg = config(app_dir.path());
    cfg.files.qc.fastq_min_mean_quality = 0.0;
    cfg.files.qc.fastq_min_q30_fraction = 0.0;
    let app = App::new(store, zenome_auth::SealKey::generate(), cfg)?;
    let local = Actor::local();
    app.register_organisation(
        &local,
        Organisation::new(
            "BENCH-H".parse()?,
            OrgKind::CollectingFacility,
            "Bench Hospital",
            "ベンチ病院",
        )?,
    )
    .await?;
    app.register_organisation(
        &local,
        Organisation::new(
            "BENCH-S".parse()?,
            OrgKind::SequencingCentre,
            "Bench Centre",
            "ベンチセンター",
        )?,
    )
    .await?;
    let facility = login(
        &app,
        "bench.facility",
        "facility_submitter",
        Some("BENCH-H"),
    )
    .await?;
    let staff = login(&app, "bench.staff", "data_centre_staff", None).await?;
    let p = app
        .register_participant(
            &facility,
            NewParticipant {
                id: None,
                disease_area: DiseaseArea::Cancer,
                sex: Sex::Unknown,
            },
        )
        .await?;
    let answers = ConsentAnswers {
        research_scope: Some("general".into()),
        controlled_sharing: Some(true),
        recontact: Some(true),
        primary_findings: Some(true),
        secondary_findings: Some(false),
        ..Default::default()
    };
    app.record_consent(
        &facility,
        &p.id,
        ConsentCommand::Give {
            form: FormVersion::CURRENT,
            answers,
        },
        None,
    )
    .await?;
    use zenome_domain::lineage::*;
    let node = |details, parent: Option<NodeId>, participant| zenome_app::lineage::NewNode {
        participant,
        parent: parent.map(zenome_app::lineage::NodeRef::Id),
        barcode: None,
        details,
    };
    let spec = app
        .register_node(
            &facility,
            node(
                NodeDetails::Specimen {
                    specimen_type: SpecimenType::PeripheralBlood,
                    collected_on: time::macros::date!(2026 - 01 - 01),
                    anatomical_site: None,
                    status: MaterialStatus::Available,
                },
                None,
                Some(p.id.clone()),
            ),
        )
        .await?;
    let ext = app
        .register_node(
            &facility,
            node(
                NodeDetails::Extract {
                    analyte: Analyte::Dna,
                    yield_ng: None,
                    status: MaterialStatus::Available,
                },
                Some(spec.id),
                None,
            ),
        )
        .await?;
    let lib = app
        .register_node(
            &facility,
            node(
                NodeDetails::Library {
                    strategy: LibraryStrategy::Wgs,
                    kit: None,
                    centre: None,
                },
                Some(ext.id),
                None,
            ),
        )
        .await?;
    let run = app
        .register_node(
            &staff,
            node(
                NodeDetails::SequencingRun {
                    centre: "BENCH-S".parse()?,
                    run_id: "R1".into(),
                    instrument: "NovaSeq X".into(),
                    run_date: time::macros::date!(2026 - 01 - 02),
                },
                Some(lib.id),
                None,
            ),
        )
        .await?;
    let up = app
        .create_upload(
            &staff,
            zenome_app::files::upload::NewUpload {
                file_name: "bench.fastq".into(),
                length: len,
                parent: Some(run.id),
                format: Some(FileFormat::Fastq),
                md5: Some(md5.clone()),
                ..Default::default()
            },
        )
        .await?;
    reset_peak_rss();
    let rss_before = peak_rss_mib();
    let file = tokio::fs::File::open(&path).await?;
    let stream = futures_util::stream::unfold(file, |mut f| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 1 << 20];
        match f.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(bytes::Bytes::from(buf)), f))
            }
            Err(e) => Some((Err(e), f)),
        }
    });
    let t = Instant::now();
    let row = app
        .append_upload(&staff, &up.id, 0, Box::pin(stream))
        .await?;
    let ingest_time = t.elapsed();
    anyhow::ensure!(
        row.state == "stored",
        "ingest ended {}: {:?}",
        row.state,
        row.error
    );
    let mib = len as f64 / (1 << 20) as f64;
    println!(
        "ingest [FASTQ {mib:.0} MiB, two copies]: {:.2} s ({:.0} MiB/s); md5sum: {:.2} s ({:.0} MiB/s); speed ratio {:.0}% of md5sum; peak RSS {:.0} MiB (before: {rss_before:.0} MiB)",
        ingest_time.as_secs_f64(),
        mib / ingest_time.as_secs_f64(),
        md5sum_time.as_secs_f64(),
        mib / md5sum_time.as_secs_f64(),
        100.0 * md5sum_time.as_secs_f64() / ingest_time.as_secs_f64(),
        peak_rss_mib()
    );
    Ok(())
}
