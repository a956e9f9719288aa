//! `zenome-bench variants-http`: a 100 kb region over HTTP against a real
//! zenome server on a socket (Beacon `g_variants` and
//! `/api/v1/variants/frequencies`, anonymous and with a token), p50/p95 over
//! keep-alive requests, beside `tabix` and `bcftools view -r` on the same
//! region of the same VCF. The cohort's samples are renamed to registered
//! participants with consent (the VCF itself is `bcftools reheader`ed, so the
//! tools read the very file the server loaded), and the server-side cost is
//! split: consent histories, the store kernel, `App::cohort_variants`.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use zenome_app::variants::CohortQuery;
use zenome_app::{Actor, App};
use zenome_domain::consent::ConsentAnswers;
use zenome_domain::participant::{DiseaseArea, Sex};

/// The region, 1-based inclusive.
const CHROM: &str = "20";
const START: u64 = 2_000_000;
const END: u64 = 2_100_000;

fn pct(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    (
        ms(v[v.len() / 2]),
        ms(v[(v.len() * 95 / 100).min(v.len() - 1)]),
    )
}

fn run_cmd(cmd: &str) -> Result<Duration> {
    let s = Instant::now();
    let st = Command::new("bash")
        .args(["-o", "pipefail", "-c", cmd])
        .stdout(Stdio::null())
        .status()?;
    if !st.success() {
        bail!("{cmd} failed");
    }
    Ok(s.elapsed())
}

/// A human user's session token (what a portal login hands out; the API takes it as a bearer).
async fn token(app: &App, user: &str, role: &str, scope: Option<&str>) -> Result<String> {
    use zenome_auth::{Secret, TotpSecret, totp_code};
    let totp = TotpSecret::generate();
    let pw = "benchmark-password-1";
    app.create_user(
        &Actor::local(),
        zenome_app::auth::NewUserSpec {
            username: user.into(),
            display_name: user.into(),
            kind: zenome_store::UserKind::Human,
            role: role.into(),
            scope: scope.map(str::to_string),
            password: Some(Secret::new(pw.into())),
            totp: Some(totp.clone()),
        },
    )
    .await?;
    let out = app
        .login(user, pw, &totp_code(&totp, crate::unix_now()), None)
        .await?;
    Ok(out.token.expose().clone())
}

/// Runs the comparison on `vcf` (default: the public 300-sample chr20
/// cohort), tiled to `samples` when that is more than the file has.
pub async fn run(vcf: Option<PathBuf>, samples: usize, reps: usize) -> Result<()> {
    let src = vcf.unwrap_or_else(crate::variants::default_cohort);
    let tmp = tempfile::tempdir()?;
    let n_file = {
        let out = Command::new("bcftools")
            .args(["query", "-l", &src.display().to_string()])
            .output()
            .context("bcftools query -l")?;
        String::from_utf8(out.stdout)?.lines().count()
    };
    let base = if samples > n_file {
        let t = tmp.path().join("tiled.vcf.gz");
        crate::variants::tile(&src, samples, &t)?;
        t
    } else {
        src.clone()
    };
    let n = samples.max(1);

    // the application: a hospital, n consenting participants, staff
    let app = App::new(
        zenome_store::testing::fresh_sqlite(tmp.path()).await?,
        zenome_auth::SealKey::generate(),
        crate::config(tmp.path()),
    )?;
    let facility = crate::bench_hospital(&app).await?;
    let ids = crate::enrol(&app, &facility, n, |i| {
        (
            if i % 3 == 0 {
                DiseaseArea::RareDisease
            } else {
                DiseaseArea::Cancer
            },
            Sex::Unknown,
            ConsentAnswers {
                research_scope: Some("general".into()),
                controlled_sharing: Some(true),
                industrial_use: Some(true),
                data_linkage: Some(true),
                recontact: Some(true),
                primary_findings: Some(true),
                secondary_findings: Some(false),
                ..ConsentAnswers::default()
            },
        )
    })
    .await?;
    let staff_token = token(&app, "bench.staff", "data_centre_staff", None).await?;
    let fac_token = token(&app, "bench.fac2", "facility_submitter", Some("BENCH-H")).await?;

    // the same VCF, its sample columns renamed to the participants
    let names = tmp.path().join("names.txt");
    std::fs::write(
        &names,
        ids.iter().map(|i| format!("{i}\n")).collect::<String>(),
    )?;
    let vcf = tmp.path().join("cohort.vcf.gz");
    run_cmd(&format!(
        "bcftools view -s $(bcftools query -l {b} | head -n {n} | paste -sd,) -Oz -o {t} {b} && bcftools reheader -s {s} -o {v} {t} && rm {t} && tabix -f -p vcf {v}",
        b = base.display(),
        s = names.display(),
        t = tmp.path().join("subset.vcf.gz").display(),
        v = vcf.display()
    ))?;
    let s = Instant::now();
    let l = app.load_variants(&Actor::local(), &vcf).await?;
    eprintln!(
        "loaded {} samples, {} rows in {:.1} s",
        l.samples,
        l.rows,
        s.elapsed().as_secs_f64()
    );

    // a real server on a socket
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(zenome_server::serve(app.clone(), listener, async {
        let _ = stop_rx.await;
    }));
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .build()?;
    let url = |p: &str| format!("http://{addr}{p}");
    let beacon = format!(
        "/api/g_variants?referenceName={CHROM}&start={}&end={END}&assemblyId=GRCh37",
        START - 1
    );
    let beacon_record = format!("{beacon}&requestedGranularity=record");
    let api = format!("/api/v1/variants/frequencies?region={CHROM}:{START}-{END}");
    let label = format!("{n} samples, {CHROM}:{START}-{END}");
    println!("| {label} | what | p50 | p95 | vs tabix p50 | vs bcftools view -r p50 |");
    println!("|---|---|---|---|---|---|");
    let tabix = (0..reps.min(50))
        .map(|_| run_cmd(&format!("tabix {} {CHROM}:{START}-{END}", vcf.display())))
        .collect::<Result<Vec<_>>>()?;
    let bview = (0..reps.min(50))
        .map(|_| {
            run_cmd(&format!(
                "bcftools view -H -r {CHROM}:{START}-{END} {}",
                vcf.display()
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    let (t50, t95) = pct(tabix);
    let (b50, b95) = pct(bview);
    let row = |what: &str, p50: f64, p95: f64| {
        println!(
            "| {label} | {what} | {p50:.2} ms | {p95:.2} ms | {:.1}× | {:.1}× |",
            t50 / p50,
            b50 / p50
        );
    };
    for (what, path, tok) in [
        ("HTTP Beacon g_variants, anonymous (boolean)", &beacon, None),
        (
            "HTTP Beacon g_variants, anonymous (record asked, boolean given)",
            &beacon_record,
            None,
        ),
        (
            "HTTP Beacon g_variants, staff (record)",
            &beacon_record,
            Some(&staff_token),
        ),
        ("HTTP API frequencies, anonymous (boolean)", &api, None),
        (
            "HTTP API frequencies, facility (count)",
            &api,
            Some(&fac_token),
        ),
        (
            "HTTP API frequencies, staff (record, carriers)",
            &api,
            Some(&staff_token),
        ),
    ] {
        let one = || async {
            let mut req = http.get(url(path));
            if let Some(t) = tok {
                req = req.bearer_auth(t);
            }
            let s = Instant::now();
            let r = req.send().await?;
            let status = r.status();
            let body = r.bytes().await?;
            let d = s.elapsed();
            if !status.is_success() {
                bail!("{path}: {status}: {}", String::from_utf8_lossy(&body));
            }
            Ok::<_, anyhow::Error>((d, body.len()))
        };
        let (_, bytes) = one().await?;
        for _ in 0..5 {
            one().await?;
        }
        let mut v = Vec::with_capacity(reps);
        for _ in 0..reps {
            v.push(one().await?.0);
        }
        let (p50, p95) = pct(v);
        row(&format!("{what}; {bytes} bytes"), p50, p95);
    }
    row("tabix (process start included)", t50, t95);
    row("bcftools view -H -r (process start included)", b50, b95);

    // where the server's time goes, in process
    let staff = app.actor_from_bearer(&staff_token).await?;
    let q = CohortQuery {
        chrom: CHROM.into(),
        start: START,
        end: END,
        reference_bases: None,
        alternate_bases: None,
    };
    let mut consent = Vec::new();
    let mut app_anon = Vec::new();
    let mut app_staff = Vec::new();
    let mut kernel = Vec::new();
    let mut open = Vec::new();
    let store = zenome_variants::Store::open(app.config().variant_store_dir())?;
    let region: noodles::core::Region = format!("{CHROM}:{START}-{END}").parse()?;
    let mask = store.mask_all();
    for _ in 0..reps {
        let s = Instant::now();
        std::hint::black_box(app.store().consent_histories(None).await?.len());
        consent.push(s.elapsed());
        let s = Instant::now();
        std::hint::black_box(app.cohort_variants(None, &q).await?.alleles.len());
        app_anon.push(s.elapsed());
        let s = Instant::now();
        std::hint::black_box(app.cohort_variants(Some(&staff), &q).await?.alleles.len());
        app_staff.push(s.elapsed());
        let s = Instant::now();
        let mut k = 0u64;
        store.freq(&region, &mask, |a| k += u64::from(a.counts.ac))?;
        std::hint::black_box(k);
        kernel.push(s.elapsed());
        let s = Instant::now();
        let o = zenome_variants::Store::open(app.config().variant_store_dir())?;
        std::hint::black_box(o.samples().len());
        open.push(s.elapsed());
    }
    for (what, v) in [
        (
            "in process: consent histories of everyone (one SQL query)",
            consent,
        ),
        (
            "in process: store kernel only (Store::freq, opened once)",
            kernel,
        ),
        (
            "in process: Store::open (manifest and sample tables; the server keeps it open between loads)",
            open,
        ),
        ("in process: App::cohort_variants, anonymous", app_anon),
        ("in process: App::cohort_variants, staff", app_staff),
    ] {
        let (p50, p95) = pct(v);
        row(what, p50, p95);
    }
    let _ = stop_tx.send(());
    server.await??;
    Ok(())
}
