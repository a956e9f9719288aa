//! The `zenome` command line: runs the server, builds the demo, migrates the
//! database, manages users and organisations, verifies the audit trail.
//! Errors print their whole chain and exit non-zero.

mod annotate;
mod download;
mod evaluate;
mod identity;
mod prioritise;
mod upload;
mod variants;

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use zenome_app::auth::NewUserSpec;
use zenome_app::{Actor, App, Config};
use zenome_auth::Secret;
use zenome_store::{Store, UserKind};

/// Zenome: data platform of the national whole-genome programme.
#[derive(Parser)]
#[command(name = "zenome", version, about)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct Global {
    /// Configuration file (TOML).
    #[arg(long, global = true, env = "ZENOME_CONFIG")]
    config: Option<PathBuf>,
    /// Data directory (SQLite file, keys).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Metadata store URL (postgres://… for production).
    #[arg(long, global = true)]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum KeysCmd {
    /// Writes PREFIX.sec (mode 600; passphrase-protected when
    /// ZENOME_KEY_PASSPHRASE is set) and PREFIX.pub, in the format of the
    /// PyPI `crypt4gh` tool.
    Generate {
        /// Path prefix of the two files.
        prefix: PathBuf,
    },
}

#[derive(Subcommand)]
enum Command {
    /// Variant consequences on files (no server): a VCF in, the VCF with a
    /// VEP-layout CSQ field out (gene, transcript, SO terms, HGVS c./p.).
    Annotate(annotate::AnnotateArgs),
    /// Call-set evaluation on files (no server): a query VCF against a truth
    /// VCF in confident regions, haplotype-aware, with hap.py's metrics.
    Evaluate(evaluate::EvaluateArgs),
    /// Rare-disease prioritisation on files (no server): genes ranked from a
    /// Phenopacket's HPO terms, and with --vcf the case's variants and family.
    Prioritise(prioritise::PrioritiseArgs),
    /// Sample identity on files (no server): compare two files, or all pairs
    /// of a cohort with genetic sex and contamination.
    Identity {
        #[command(subcommand)]
        command: identity::IdentityCommand,
    },
    /// The cohort variant store on files (no server): load VCF/BCF, allele frequencies.
    Variants {
        #[command(subcommand)]
        command: variants::VariantsCommand,
    },
    /// Runs the HTTP server (API, portal, metrics).
    Serve {
        /// Address to listen on.
        #[arg(long)]
        listen: Option<String>,
    },
    /// Builds a synthetic demo cohort through the real services, writes the
    /// demo accounts to DATA_DIR/demo-accounts.json and serves the portal.
    Demo {
        /// Random seed: the same seed gives the same cohort.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Participants per collecting facility.
        #[arg(long, default_value_t = 100)]
        participants_per_facility: usize,
        /// Address to listen on.
        #[arg(long)]
        listen: Option<String>,
        /// Delete an existing demo data directory first.
        #[arg(long)]
        reset: bool,
        /// Build the cohort and exit without serving.
        #[arg(long)]
        no_serve: bool,
    },
    /// Database maintenance.
    Db {
        #[command(subcommand)]
        command: DbCommand,
    },
    /// Users, organisations and tokens.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Configuration.
    Config {
        /// Print the default configuration as TOML.
        #[arg(long)]
        print_default: bool,
    },
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Prints the OpenAPI document of the API.
    Openapi,
    /// Uploads a FASTQ, BAM, CRAM or VCF file to a Zenome server
    /// (resumable: run it again to resume).
    Upload {
        /// The file.
        file: PathBuf,
        /// The sequencing run the file comes from (its lineage node id).
        #[arg(long, conflicts_with_all = ["node", "parent"])]
        run: Option<String>,
        /// The file it was made from (a FASTQ for a CRAM, a CRAM for a VCF).
        #[arg(long, conflicts_with = "node")]
        parent: Option<String>,
        /// An expected file placeholder to fill instead.
        #[arg(long)]
        node: Option<String>,
        /// fastq, bam, cram or vcf (default: from the file name).
        #[arg(long)]
        format: Option<String>,
        /// Pipeline and version that made the file.
        #[arg(long)]
        pipeline: Option<String>,
        /// Reference genome version.
        #[arg(long)]
        reference: Option<String>,
        /// Server address.
        #[arg(long, env = "ZENOME_SERVER", default_value = "http://127.0.0.1:8080")]
        server: String,
        /// API token of the centre's machine user.
        #[arg(long, env = "ZENOME_TOKEN", hide_env_values = true)]
        token: String,
    },
    /// Downloads the files a grant lets you read (researchers): from a
    /// manifest (`GET /api/v1/grants/{id}/manifest`) or DRS ids; parallel,
    /// resumable (run it again), checksums verified; Crypt4GH-encrypted for
    /// your key in transit and decrypted here (`--key`), or `--plain`.
    Download {
        /// DRS object ids (besides or instead of a manifest).
        ids: Vec<String>,
        /// A manifest: TSV (GDC's columns id, filename, md5, size, state…)
        /// or JSON.
        #[arg(long)]
        manifest: Option<PathBuf>,
        /// Your Crypt4GH secret key (`zenome keys generate`, or the PyPI
        /// `crypt4gh` tool's); its passphrase in ZENOME_KEY_PASSPHRASE.
        #[arg(long, conflicts_with = "plain")]
        key: Option<PathBuf>,
        /// Fetch decrypted by the server instead (TLS protects it in transit).
        #[arg(long)]
        plain: bool,
        /// Files fetched at once.
        #[arg(long, default_value_t = 4)]
        parallel: usize,
        /// Where the files go.
        #[arg(long, default_value = ".")]
        out: PathBuf,
        /// Server address.
        #[arg(long, env = "ZENOME_SERVER", default_value = "http://127.0.0.1:8080")]
        server: String,
        /// Your API token (or a session token, or a passport).
        #[arg(long, env = "ZENOME_TOKEN", hide_env_values = true)]
        token: String,
    },
    /// Crypt4GH keys for downloads.
    Keys {
        #[command(subcommand)]
        cmd: KeysCmd,
    },
    /// Checks every copy of every stored object and repairs what it can.
    Scrub,
    /// Sequencing QC per centre.
    Qc {
        #[command(subcommand)]
        command: QcCommand,
    },
    /// Validates files offline (FASTQ, BAM, CRAM, VCF, BCF); exit 0 when all
    /// are valid.
    /// GA4GH Phenopackets v2.
    Phenopacket {
        #[command(subcommand)]
        command: PhenopacketCommand,
    },
    Validate {
        /// The files.
        files: Vec<PathBuf>,
        /// Reference FASTA for CRAM.
        #[arg(long)]
        reference: Option<PathBuf>,
        /// Judge VCFs as ingest does (common pipeline deviations become
        /// warnings) instead of by the letter of the spec.
        #[arg(long)]
        lenient: bool,
        /// Accept sample names (VCF columns, @RG SM) that are not Zenome
        /// participant ids, for files from outside the programme; the
        /// personal-data patterns still apply.
        #[arg(long)]
        foreign_samples: bool,
    },
}

#[derive(Subcommand)]
enum PhenopacketCommand {
    /// Checks Phenopacket (or Family) JSON files against the v2 schema and
    /// the HPO; exit 0 when all are valid, otherwise names file, JSON path
    /// and rule.
    Validate {
        /// The files.
        files: Vec<PathBuf>,
        /// The full HPO (`hp.obo`); default: `clinical.hpo_obo` from the
        /// configuration, else only the built-in subset (then terms it does
        /// not hold are not judged).
        #[arg(long)]
        hpo: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum DbCommand {
    /// Applies pending migrations.
    Migrate,
}

#[derive(Subcommand)]
enum QcCommand {
    /// Re-evaluates every sequencing centre now (`[qc_drift]`: each
    /// centre's recent window against its baseline and the rest of the
    /// programme), stores the run and prints each centre's verdict; a metric
    /// that starts drifting raises an alert. The server runs it every
    /// `interval_hours`.
    Drift,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Verifies the hash chain against every anchor and reports the
    /// unanchored tail; exits non-zero naming the first bad entry (also when
    /// anchors are missing or the tail exceeds its bound).
    Verify,
    /// Writes the current head to the anchor store (`[audit] anchor_url`) as
    /// a write-once object; the server does it every `every_entries` entries
    /// or `every_minutes` minutes — run it from cron when no server runs.
    Anchor,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// User accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Organisations (facilities, sequencing centres).
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// API tokens for machine users.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Creates a user and prints its secrets once (TOTP secret for people,
    /// API token for machines).
    Add {
        /// Login name.
        #[arg(long)]
        username: String,
        /// Display name.
        #[arg(long)]
        display_name: Option<String>,
        /// Role: facility_submitter, sequencing_centre, data_centre_staff,
        /// dac_member, researcher_academic, researcher_industry, clinician, admin.
        #[arg(long)]
        role: String,
        /// Organisation code for scoped roles.
        #[arg(long)]
        scope: Option<String>,
        /// A machine user (API token, no password).
        #[arg(long)]
        machine: bool,
        /// Read the password from standard input (otherwise one is generated).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Lists users.
    List,
    /// Disables a user: every session, API token and passport of theirs
    /// stops working at once.
    Disable {
        /// Login name.
        username: String,
    },
    /// Re-enables a disabled user (their old sessions stay ended).
    Enable {
        /// Login name.
        username: String,
    },
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Registers an organisation.
    Add {
        /// Code, e.g. TKY-UH.
        #[arg(long)]
        code: String,
        /// collecting_facility or sequencing_centre.
        #[arg(long)]
        kind: String,
        /// English name.
        #[arg(long)]
        name: String,
        /// Japanese name.
        #[arg(long)]
        name_ja: String,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Issues another API token to a machine user.
    Issue {
        /// The machine user.
        #[arg(long)]
        username: String,
        /// A label (e.g. the pipeline host).
        #[arg(long, default_value = "cli")]
        label: String,
        /// Days until it expires (default: never).
        #[arg(long)]
        expires_in_days: Option<u32>,
    },
    /// Lists a user's API tokens (ids, never the secrets).
    List {
        /// The user.
        username: String,
    },
    /// Revokes an API token: refused from its next use on.
    Revoke {
        /// The user.
        username: String,
        /// The token id (from `list`).
        id: String,
    },
}

fn load_config(g: &Global, listen: Option<&str>) -> Result<Config> {
    let mut c =
        Config::load(g.config.as_deref(), std::env::vars()).context("loading the configuration")?;
    if let Some(d) = &g.data_dir {
        c.data_dir = d.clone();
    }
    if let Some(u) = &g.database_url {
        c.database_url = Some(Secret::new(u.clone()));
    }
    if let Some(l) = listen {
        c.listen = l.to_string();
    }
    Ok(c)
}

fn init_logging(c: &Config) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_new(&c.log.filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match c.log.format {
        zenome_app::config::LogFormat::Json => b.json().try_init(),
        zenome_app::config::LogFormat::Text => b.try_init(),
    };
}

async fn open(c: &Config) -> Result<App> {
    std::fs::create_dir_all(&c.data_dir)
        .with_context(|| format!("creating {}", c.data_dir.display()))?;
    let store = Store::connect(&c.database_url())
        .await
        .context("opening the metadata store")?;
    store
        .migrate()
        .await
        .context("migrating the metadata store")?;
    let key =
        zenome_app::keys::load_or_create(&c.server_key_file()).context("loading the server key")?;
    App::new(store, key, c.clone()).context("starting the application")
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: draining connections");
}

async fn serve(app: App) -> Result<()> {
    let listen = app.config().listen.clone();
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "serving");
    if app.config().public_url.is_none() {
        tracing::warn!(
            "public_url is not set: DRS access URLs and htsget tickets are refused until it is (public_url or ZENOME_PUBLIC_URL)"
        );
    }
    eprintln!(
        "Zenome is serving on http://{addr}/ (portal), http://{addr}/api/v1/openapi.json (API)"
    );
    zenome_server::serve(app, listener, shutdown_signal())
        .await
        .context("serving")
}

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("error: {e}");
        for cause in e.chain().skip(1) {
            eprintln!("  caused by: {cause}");
        }
        std::process::exit(1);
    }
}

async fn run() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Variants {
            command:
                variants::VariantsCommand::Load {
                    store: None,
                    reference,
                    files,
                    ..
                },
        } => {
            if reference.is_some() {
                bail!("--reference needs --store (the server's store loads files as they are)");
            }
            let c = load_config(&cli.global, None)?;
            let app = open(&c).await?;
            for f in &files {
                let l = app
                    .load_variants(&Actor::local(), f)
                    .await
                    .with_context(|| format!("loading {}", f.display()))?;
                println!(
                    "{}\tbatch {}\t{} samples\t{} rows",
                    f.display(),
                    l.batch,
                    l.samples,
                    l.rows
                );
            }
            Ok(())
        }
        Command::Variants { command } => variants::run(command),
        Command::Identity { command } => identity::run(command),
        Command::Annotate(args) => annotate::run(args),
        Command::Evaluate(args) => evaluate::run(args),
        Command::Prioritise(args) => prioritise::run(args),
        Command::Config { print_default } => {
            if !print_default {
                bail!("nothing to do: use --print-default");
            }
            print!("{}", Config::default_toml());
            Ok(())
        }
        Command::Download {
            ids,
            manifest,
            key,
            plain,
            parallel,
            out,
            server,
            token,
        } => {
            let ok = download::run(download::Args {
                manifest,
                ids,
                key,
                plain,
                parallel,
                out,
                server,
                token,
            })
            .await?;
            if !ok {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Keys {
            cmd: KeysCmd::Generate { prefix },
        } => {
            let (sec, publ) = download::generate_keys(&prefix)?;
            println!(
                "secret key: {}\npublic key: {}",
                sec.display(),
                publ.display()
            );
            Ok(())
        }
        Command::Upload {
            file,
            run,
            parent,
            node,
            format,
            pipeline,
            reference,
            server,
            token,
        } => {
            let format = format.or_else(|| guess_format(&file));
            let status = upload::run(upload::Args {
                file,
                server,
                token,
                node,
                parent: run.or(parent),
                format,
                pipeline,
                reference,
            })
            .await?;
            match status["state"].as_str() {
                Some("stored") => {
                    println!(
                        "stored as object {}",
                        status["object_id"].as_str().unwrap_or("?")
                    );
                    Ok(())
                }
                state => match status["error"].as_str() {
                    Some(error) => bail!(
                        "the upload ended {}: {error}",
                        state.unwrap_or("in an unknown state")
                    ),
                    None => bail!(
                        "the upload ended {} at byte {} of {}",
                        state.unwrap_or("in an unknown state"),
                        status["offset"],
                        status["length"]
                    ),
                },
            }
        }
        Command::Phenopacket {
            command: PhenopacketCommand::Validate { files, hpo },
        } => {
            let c = load_config(&cli.global, None)?;
            phenopacket_validate(&files, hpo.or(c.clinical.hpo_obo))
        }
        Command::Validate {
            files,
            reference,
            lenient,
            foreign_samples,
        } => validate(&files, reference, lenient, foreign_samples),
        Command::Scrub => {
            let c = load_config(&cli.global, None)?;
            init_logging(&c);
            let app = open(&c).await?;
            let r = app.scrub().await?;
            println!(
                "scrub: {} objects, {} good copies, {} repaired, {} recovered, {} lost, {} failures",
                r.objects,
                r.copies_ok,
                r.repaired.len(),
                r.recovered.len(),
                r.lost.len(),
                r.failures.len()
            );
            for (o, s, w) in &r.repaired {
                println!("repaired {o} in {s} (was {w})");
            }
            for o in &r.recovered {
                println!("recovered {o}: a good copy is back, served again");
            }
            for o in &r.lost {
                println!("LOST {o}: no good copy left");
            }
            for (o, s, w) in &r.failures {
                println!("FAILED {o} in {s}: {w}");
            }
            if r.clean() {
                Ok(())
            } else {
                bail!(
                    "{} objects have no good copy left, {} copies could not be checked or repaired",
                    r.lost.len(),
                    r.failures.len()
                )
            }
        }
        Command::Qc {
            command: QcCommand::Drift,
        } => {
            let c = load_config(&cli.global, None)?;
            init_logging(&c);
            let app = open(&c).await?;
            let out = app
                .run_qc_drift(&Actor::local(), "requested")
                .await
                .context("re-evaluating the sequencing centres")?;
            let run = &out.report.run;
            println!(
                "QC drift run {}: window {} – {}, baseline from {}",
                run.id,
                run.window_start.date(),
                run.window_end.date(),
                run.baseline_start.date()
            );
            for c in &out.report.centres {
                let why: Vec<String> = c
                    .drifting()
                    .map(|m| format!("{} ({})", m.metric, m.note))
                    .collect();
                println!("{}\t{}\t{}", c.centre, c.verdict, why.join("; "));
            }
            for (c, m) in &out.newly_drifting {
                println!("started drifting: {c} {m} (alert raised)");
            }
            Ok(())
        }
        Command::Openapi => {
            println!("{}", zenome_server::openapi_json());
            Ok(())
        }
        Command::Serve { listen } => {
            let c = load_config(&cli.global, listen.as_deref())?;
            init_logging(&c);
            serve(open(&c).await?).await
        }
        Command::Db {
            command: DbCommand::Migrate,
        } => {
            let c = load_config(&cli.global, None)?;
            init_logging(&c);
            open(&c).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Audit { command } => {
            let c = load_config(&cli.global, None)?;
            let app = open(&c).await?;
            match command {
                AuditCommand::Verify => {
                    let started = std::time::Instant::now();
                    let v = app
                        .verify_audit()
                        .await
                        .context("reading the audit trail")?;
                    let summary = audit_summary(&v);
                    match &v.problem {
                        None => {
                            println!(
                                "audit trail intact: {} entries, {} anchors checked ({:.2} s)\n{summary}",
                                v.entries,
                                v.anchors,
                                started.elapsed().as_secs_f64()
                            );
                            Ok(())
                        }
                        Some(p) => {
                            eprintln!("{summary}");
                            bail!("audit trail broken at entry {}: {}", p.seq, p.reason)
                        }
                    }
                }
                AuditCommand::Anchor => {
                    let a = app.write_anchor().await?;
                    println!(
                        "anchored entry {} ({}) as {} in {}",
                        a.seq,
                        a.hash,
                        a.key,
                        app.anchor_location()
                    );
                    Ok(())
                }
            }
        }
        Command::Admin { command } => {
            let c = load_config(&cli.global, None)?;
            let app = open(&c).await?;
            admin(&app, command).await
        }
        Command::Demo {
            seed,
            participants_per_facility,
            listen,
            reset,
            no_serve,
        } => {
            let mut c = load_config(&cli.global, listen.as_deref())?;
            if cli.global.data_dir.is_none() && std::env::var_os("ZENOME_DATA_DIR").is_none() {
                c.data_dir = PathBuf::from("zenome-demo");
            }
            init_logging(&c);
            demo(c, seed, participants_per_facility, reset, no_serve).await
        }
    }
}

async fn admin(app: &App, command: AdminCommand) -> Result<()> {
    let local = Actor::local();
    match command {
        AdminCommand::Org {
            command:
                OrgCommand::Add {
                    code,
                    kind,
                    name,
                    name_ja,
                },
        } => {
            let org = zenome_domain::organisation::Organisation::new(
                code.parse().context("--code")?,
                kind.parse().context("--kind")?,
                &name,
                &name_ja,
            )?;
            app.register_organisation(&local, org).await?;
            println!("organisation {code} registered");
        }
        AdminCommand::User {
            command: UserCommand::List,
        } => {
            for u in app.users(&local).await? {
                println!(
                    "{}\t{}\t{}\t{}{}",
                    u.username,
                    u.kind,
                    u.role,
                    u.scope.unwrap_or_default(),
                    if u.disabled { "\tdisabled" } else { "" }
                );
            }
        }
        AdminCommand::User {
            command:
                UserCommand::Add {
                    username,
                    display_name,
                    role,
                    scope,
                    machine,
                    password_stdin,
                },
        } => {
            let password = if password_stdin {
                let mut s = String::new();
                std::io::stdin()
                    .read_line(&mut s)
                    .context("reading the password")?;
                Some(Secret::new(s.trim_end_matches(['\r', '\n']).to_string()))
            } else {
                None
            };
            let created = app
                .create_user(
                    &local,
                    NewUserSpec {
                        display_name: display_name.unwrap_or_else(|| username.clone()),
                        username: username.clone(),
                        kind: if machine {
                            UserKind::Machine
                        } else {
                            UserKind::Human
                        },
                        role,
                        scope,
                        password,
                        totp: None,
                    },
                )
                .await?;
            println!("user {username} created (id {})", created.id);
            if let (Some(p), false) = (&created.password, password_stdin) {
                println!("password: {}", p.expose());
            }
            if let Some(t) = &created.totp {
                println!("totp secret: {}", t.to_base32());
                println!("totp url: {}", t.otpauth_url("Zenome", &username));
            }
            if let Some(t) = &created.api_token {
                println!("api token: {}", t.expose());
            }
            println!("(these secrets are shown once)");
        }
        AdminCommand::User {
            command: UserCommand::Disable { username },
        } => {
            app.set_user_disabled(&local, &username, true).await?;
            println!("user {username} disabled: their sessions, tokens and passports stop now");
        }
        AdminCommand::User {
            command: UserCommand::Enable { username },
        } => {
            app.set_user_disabled(&local, &username, false).await?;
            println!("user {username} enabled");
        }
        AdminCommand::Token {
            command:
                TokenCommand::Issue {
                    username,
                    label,
                    expires_in_days,
                },
        } => {
            let expires_at = match expires_in_days {
                None => None,
                Some(d @ 1..=3650) => {
                    Some(time::OffsetDateTime::now_utc() + time::Duration::days(i64::from(d)))
                }
                Some(_) => bail!("--expires-in-days: 1 to 3650"),
            };
            let (id, t) = app
                .issue_api_token(&local, &username, &label, expires_at)
                .await?;
            println!("api token: {}", t.expose());
            println!("id: {id} (this secret is shown once)");
        }
        AdminCommand::Token {
            command: TokenCommand::List { username },
        } => {
            let now = time::OffsetDateTime::now_utc();
            let fmt = |t: Option<time::OffsetDateTime>| {
                t.and_then(|t| {
                    t.format(&time::format_description::well_known::Rfc3339)
                        .ok()
                })
                .unwrap_or_else(|| "-".into())
            };
            println!("id\tlabel\tcreated\tlast used\texpires\tstate");
            for t in app.api_tokens(&local, &username).await? {
                let state = if t.revoked_at.is_some() {
                    "revoked"
                } else if t.expires_at.is_some_and(|e| e <= now) {
                    "expired"
                } else {
                    "active"
                };
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{state}",
                    t.id,
                    t.label,
                    fmt(Some(t.created_at)),
                    fmt(t.last_used_at),
                    fmt(t.expires_at)
                );
            }
        }
        AdminCommand::Token {
            command: TokenCommand::Revoke { username, id },
        } => {
            app.revoke_api_token(&local, &username, &id).await?;
            println!("token {id} of {username} revoked");
        }
    }
    Ok(())
}

async fn demo(
    mut c: Config,
    seed: u64,
    per_facility: usize,
    reset: bool,
    no_serve: bool,
) -> Result<()> {
    if reset && c.data_dir.exists() {
        std::fs::remove_dir_all(&c.data_dir)
            .with_context(|| format!("removing {}", c.data_dir.display()))?;
    }
    // Access URLs and htsget tickets point at the public URL; the demo is
    // reached at its listen address.
    if c.public_url.is_none() {
        c.public_url = Some(format!("http://{}", c.listen));
    }
    // The demo's sequencing files are aligned to a small synthetic reference
    // written beside the data; CRAM decoding and htsget need it configured.
    if c.files.reference_fasta.is_none() {
        let reference = c.data_dir.join("reference").join("zenome-demo-ref.fa");
        if !reference.exists() {
            std::fs::create_dir_all(reference.parent().expect("has a parent"))
                .with_context(|| format!("creating {}", c.data_dir.display()))?;
            zenome_demo::write_reference(&reference, seed).context("writing the demo reference")?;
        }
        c.files.reference_fasta = Some(reference);
    }
    // …and its fingerprint sites, written beside it, are the identity panel
    if c.identity.panel.is_none()
        && let Some(reference) = &c.files.reference_fasta
    {
        let panel = zenome_demo::panel_path(reference);
        if panel.exists() {
            c.identity.panel = Some(panel);
        }
    }
    // …and the annotation kit (demo genes, gene model, knowledge bases), so
    // the findings pages have therapies and a secondary finding to show
    if c.annotation.gene_model.is_none() {
        let kit = zenome_demo::write_annotation_kit(&c.data_dir.join("annotation"), seed)
            .context("writing the demo annotation kit")?;
        c.annotation.gene_model = Some(kit.gene_model);
        c.annotation.reference = Some(kit.fasta);
        c.annotation.local_evidence = vec![kit.local_evidence];
        c.annotation.acmg_sf = Some(kit.acmg_sf);
        c.annotation.clinvar = Some(kit.clinvar);
        c.annotation.trials = Some(kit.trials);
        if c.prioritise.hpo.is_none() && c.prioritise.genes_to_phenotype.is_none() {
            c.prioritise.hpo = Some(kit.hpo);
            c.prioritise.genes_to_phenotype = Some(kit.genes_to_phenotype);
        }
    }
    let app = open(&c).await?;
    let accounts_file = c.data_dir.join("demo-accounts.json");
    let existing = app.store().organisations().await?.len();
    if existing > 0 {
        eprintln!(
            "{} already holds data; serving it as it is (use --reset to rebuild the demo)",
            c.data_dir.display()
        );
    } else {
        let total = (per_facility * 3) as u64;
        let bar = indicatif::ProgressBar::new(total);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg} [{bar:40}] {pos}/{len} participants ({eta})",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar.set_message("building the demo cohort");
        let progress = |done: u64, _total: u64| bar.set_position(done);
        let opts = zenome_demo::DemoOptions {
            seed,
            participants_per_facility: per_facility,
            ..Default::default()
        };
        let out = zenome_demo::build(&app, &opts, &progress)
            .await
            .context("building the demo cohort")?;
        bar.finish_and_clear();
        let json = serde_json::to_string_pretty(&out.accounts)?;
        write_private(&accounts_file, json.as_bytes())?;
        eprintln!(
            "demo cohort: {} organisations, {} participants ({} withdrawn, {} legacy consents), {} consent events, {} lineage nodes, {} applications, {} sequencing files stored ({} failed QC), {} clinical records, genotypes for {} participants (1000 Genomes chr20, GRCh37), somatic calls for {} tumours (TCGA)",
            out.organisations,
            out.participants,
            out.withdrawn,
            out.legacy,
            out.consent_events,
            out.nodes,
            out.applications,
            out.files_stored,
            out.files_failed_qc,
            out.clinical_records,
            out.variant_samples,
            out.somatic_samples
        );
        eprintln!(
            "findings: {} participants annotated; actionable somatic changes for {} ({}); a BRCA1 secondary finding for {} (log in as staff or their hospital: participant → Findings)",
            out.annotated,
            out.actionable.len(),
            out.actionable
                .iter()
                .map(|(p, g)| format!("{g} {p}"))
                .collect::<Vec<_>>()
                .join(", "),
            out.germline_finding.as_deref().unwrap_or("nobody")
        );
        eprintln!(
            "candidate diagnoses: rare-disease participants with a causal change to find: {} (log in as staff or their hospital: participant → Candidate diagnoses)",
            if out.rare_cases.is_empty() {
                "none".to_string()
            } else {
                out.rare_cases
                    .iter()
                    .map(|(p, g)| format!("{g} {p}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        );
        eprintln!(
            "reports: drafted for {} (log in as staff: Reports → sign off with your TOTP code → release; then as the facility's clinician: acknowledge, record when conveyed)",
            if out.report_drafts.is_empty() {
                "nobody".to_string()
            } else {
                out.report_drafts.join(", ")
            }
        );
        eprintln!(
            "pipelines: {} versions of {} evaluated on the demo truth set; current: {} (log in as staff: Pipelines)",
            out.pipeline_versions,
            zenome_demo::PIPELINE,
            out.current_pipeline.as_deref().unwrap_or("none")
        );
        eprintln!(
            "sequencing QC: {} FASTQs of baseline and recent weeks; drifting at the first re-evaluation: {} (log in as staff: Sequencing QC)",
            out.qc_history_files,
            if out.qc_drifting.is_empty() {
                "none".to_string()
            } else {
                out.qc_drifting.join(", ")
            }
        );
    }
    eprintln!(
        "demo accounts (user, password, TOTP secret, API token, role): {}",
        accounts_file.display()
    );
    if no_serve {
        return Ok(());
    }
    serve(app).await
}

fn write_private(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    f.write_all(bytes)?;
    Ok(())
}

fn guess_format(path: &std::path::Path) -> Option<String> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    let n = name.trim_end_matches(".gz").trim_end_matches(".bgz");
    Some(
        if n.ends_with(".fastq") || n.ends_with(".fq") {
            "fastq"
        } else if n.ends_with(".cram") {
            "cram"
        } else if n.ends_with(".bam") {
            "bam"
        } else if n.ends_with(".vcf") || n.ends_with(".bcf") {
            "vcf"
        } else {
            return None;
        }
        .into(),
    )
}

fn validate(
    files: &[PathBuf],
    reference: Option<PathBuf>,
    lenient: bool,
    foreign_samples: bool,
) -> Result<()> {
    if files.is_empty() {
        bail!("name at least one file");
    }
    let mut bad = 0;
    for f in files {
        let name = f.display();
        let result = (|| -> std::result::Result<String, String> {
            let mut file = std::fs::File::open(f).map_err(|e| format!("cannot open: {e}"))?;
            let mut head = vec![0u8; 65536];
            let n = std::io::Read::read(&mut file, &mut head)
                .map_err(|e| format!("cannot read: {e}"))?;
            head.truncate(n);
            let fname = f.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let format = zenome_formats::detect(&head, fname)
                .ok_or("not a FASTQ, BAM, CRAM, VCF or BCF file")?;
            let file = std::fs::File::open(f).map_err(|e| format!("cannot open: {e}"))?;
            let opts = zenome_formats::Options {
                reference: reference.clone(),
                expected_samples: None,
                sanitiser: zenome_formats::Sanitiser::default()
                    .require_pseudonymous_samples(!foreign_samples),
                allow_unaligned: false,
                vcf_mode: if lenient {
                    zenome_formats::VcfMode::Ingest
                } else {
                    zenome_formats::VcfMode::Strict
                },
            };
            let qc = zenome_formats::validate(format, std::io::BufReader::new(file), &opts)
                .map_err(|e| e.to_string())?;
            Ok(summary(format, &qc))
        })();
        match result {
            Ok(s) => println!("{name}: valid {s}"),
            Err(e) => {
                bad += 1;
                eprintln!("{name}: INVALID: {e}");
            }
        }
    }
    if bad > 0 {
        bail!("{bad} of {} files are invalid", files.len());
    }
    Ok(())
}

fn phenopacket_validate(files: &[PathBuf], hpo: Option<PathBuf>) -> Result<()> {
    if files.is_empty() {
        bail!("name at least one file");
    }
    let (hpo, complete) = match hpo {
        Some(path) => {
            let f = std::fs::File::open(&path)
                .with_context(|| format!("opening {}", path.display()))?;
            (
                zenome_clinical::Hpo::from_obo(std::io::BufReader::new(f))
                    .with_context(|| format!("reading {}", path.display()))?,
                true,
            )
        }
        None => {
            eprintln!(
                "note: checking HPO terms against the built-in subset only (terms outside it are not judged); pass --hpo hp.obo for the whole ontology"
            );
            (zenome_clinical::Hpo::builtin(), false)
        }
    };
    let lookup = zenome_app::clinical::HpoLookup {
        hpo: &hpo,
        complete,
    };
    let mut bad = 0;
    for f in files {
        let name = f.display();
        let text = match std::fs::read_to_string(f) {
            Ok(t) => t,
            Err(e) => {
                bad += 1;
                eprintln!("{name}: INVALID: cannot read: {e}");
                continue;
            }
        };
        let is_family = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| {
                v.as_object()
                    .map(|o| o.contains_key("proband") || o.contains_key("pedigree"))
            })
            .unwrap_or(false);
        let problems = if is_family {
            zenome_phenopackets::parse_family(&text)
                .map(|fam| zenome_phenopackets::validate_family(&fam, &lookup))
        } else {
            zenome_phenopackets::parse(&text).map(|p| zenome_phenopackets::validate(&p, &lookup))
        };
        match problems {
            Err(e) => {
                bad += 1;
                eprintln!("{name}: INVALID: {e}");
            }
            Ok(ps) => {
                // a label that differs from the ontology's is a newer or older
                // HPO release speaking, not an error in the file
                let (warnings, errors): (Vec<_>, Vec<_>) = ps
                    .into_iter()
                    .partition(|p| p.rule == zenome_phenopackets::Rule::LabelMismatch);
                for p in &warnings {
                    eprintln!(
                        "{name}: warning: {}: {} ({})",
                        p.path,
                        p.message,
                        p.rule.as_str()
                    );
                }
                if errors.is_empty() {
                    println!(
                        "{name}: valid {}",
                        if is_family { "Family" } else { "Phenopacket" }
                    );
                } else {
                    bad += 1;
                    for p in errors {
                        eprintln!(
                            "{name}: INVALID: {}: {} ({})",
                            p.path,
                            p.message,
                            p.rule.as_str()
                        );
                    }
                }
            }
        }
    }
    if bad > 0 {
        bail!("{bad} of {} files are invalid", files.len());
    }
    Ok(())
}

fn summary(format: zenome_formats::Format, qc: &zenome_formats::Qc) -> String {
    match qc {
        zenome_formats::Qc::Fastq(q) => format!(
            "{format:?}: {} reads, {} bases, mean quality {:.1}, Q30 {:.1}%",
            q.reads,
            q.bases,
            q.mean_quality,
            100.0 * q.q30_fraction
        ),
        zenome_formats::Qc::Alignment(q) => format!(
            "{format:?}: {} records, {:.1}% mapped, {:.1}% duplicates",
            q.records,
            100.0 * q.mapped_fraction.unwrap_or(0.0),
            100.0 * q.duplicate_fraction.unwrap_or(0.0)
        ),
        zenome_formats::Qc::Variants(q) => format!(
            "{format:?}: {} records, {} samples, Ti/Tv {}",
            q.records,
            q.samples.len(),
            q.ts_tv.map_or("n/a".into(), |r| format!("{r:.2}"))
        ),
    }
}

/// The anchors and the unanchored tail, as `audit verify` reports them.
fn audit_summary(v: &zenome_app::audit::Verification) -> String {
    let legacy = if v.legacy_anchors > 0 {
        format!(" (and {} from the legacy anchors.log)", v.legacy_anchors)
    } else {
        String::new()
    };
    let newest = match &v.newest_anchor {
        Some(a) => match a.age_minutes {
            Some(m) => format!("newest anchor: entry {}, {m} minutes ago", a.seq),
            None => format!("newest anchor: entry {}", a.seq),
        },
        None => "newest anchor: none".to_string(),
    };
    let tail = if v.tail.entries == 0 {
        "unanchored tail: 0 entries".to_string()
    } else {
        format!(
            "unanchored tail: {} entries, the oldest {} minutes old",
            v.tail.entries, v.tail.age_minutes
        )
    };
    format!("anchors in {}{legacy}\n{newest}\n{tail}", v.location)
}
