//! A fresh application per test, with organisations and one user per role,
//! logged in through the real login path.

use std::collections::HashMap;

use axum::Router;
use axum::body::Body;
use http::{Request, StatusCode, header};
use serde_json::Value;
use tower::ServiceExt;
use zenome_app::auth::NewUserSpec;
use zenome_app::{Actor, App, Config};
use zenome_auth::{PasswordParams, Secret, TotpSecret, totp_code};
use zenome_domain::organisation::{OrgKind, Organisation};
use zenome_store::UserKind;

pub struct Env {
    pub app: App,
    pub router: Router,
    /// Bearer tokens by role label (`facility`, `facility_other`, `centre`, …).
    pub tokens: HashMap<&'static str, String>,
    pub passwords: HashMap<&'static str, (String, TotpSecret)>,
    /// The server key (a restarted app needs the same one).
    pub seal: zenome_auth::SealKey,
    pub _dir: Option<tempfile::TempDir>,
}

/// Where the test server says it is reached (access URLs, htsget tickets).
pub const PUBLIC_URL: &str = "http://zenome.test";

pub fn config() -> Config {
    let mut c = Config::default();
    c.security.password = PasswordParams {
        memory_kib: 1024,
        iterations: 1,
        parallelism: 1,
    };
    c.public_url = Some(PUBLIC_URL.into());
    c
}

pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Humans and their roles: (label, username, role, scope).
pub const HUMANS: &[(&str, &str, &str, Option<&str>)] = &[
    ("facility", "sub.tky", "facility_submitter", Some("TKY-UH")),
    (
        "facility_other",
        "sub.osk",
        "facility_submitter",
        Some("OSK-CC"),
    ),
    ("staff", "staff", "data_centre_staff", None),
    ("dac", "dac", "dac_member", None),
    ("dac2", "dac2", "dac_member", None),
    ("academic", "res.acad", "researcher_academic", None),
    ("industry", "res.ind", "researcher_industry", None),
    ("clinician", "clin.tky", "clinician", Some("TKY-UH")),
    ("admin", "admin", "admin", None),
];

pub async fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let store = zenome_store::testing::fresh_sqlite(dir.path())
        .await
        .unwrap();
    env_on(store, dir).await
}

pub async fn env_with(cfg: Config) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let store = zenome_store::testing::fresh_sqlite(dir.path())
        .await
        .unwrap();
    env_full(store, dir, cfg).await
}

/// The same application on a fresh PostgreSQL database; `None` only outside
/// CI when no server is configured (see `zenome_store::testing`).
pub async fn env_postgres() -> Option<Env> {
    let store = zenome_store::testing::fresh_postgres().await?;
    Some(env_on(store, tempfile::tempdir().unwrap()).await)
}

/// Runs each named test body (`async fn name(e: Env)`) twice: as
/// `sqlite::name` on the embedded default and as `postgres::name` on the
/// production store, so every API path is exercised on both engines.
#[macro_export]
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::harness::env().await).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    if let Some(e) = $crate::harness::env_postgres().await {
                        super::$name(e).await
                    }
                }
            )*
        }
    };
}

pub async fn env_on(store: zenome_store::Store, dir: tempfile::TempDir) -> Env {
    env_full(store, dir, config()).await
}

pub async fn env_full(store: zenome_store::Store, dir: tempfile::TempDir, mut cfg: Config) -> Env {
    cfg.data_dir = dir.path().to_path_buf();
    let seal = zenome_auth::SealKey::generate();
    let app = App::new(store, seal.clone(), cfg).unwrap();
    let local = Actor::local();
    for (code, kind, name, ja) in [
        (
            "TKY-UH",
            OrgKind::CollectingFacility,
            "University of Tokyo Hospital",
            "東京大学医学部附属病院",
        ),
        (
            "OSK-CC",
            OrgKind::CollectingFacility,
            "Osaka International Cancer Institute",
            "大阪国際がんセンター",
        ),
        (
            "SEQ-KZ",
            OrgKind::SequencingCentre,
            "Kazusa Genome Center",
            "かずさゲノムセンター",
        ),
        (
            "SEQ-TK",
            OrgKind::SequencingCentre,
            "Tokyo Sequencing Centre",
            "東京シーケンシングセンター",
        ),
    ] {
        app.register_organisation(
            &local,
            Organisation::new(code.parse().unwrap(), kind, name, ja).unwrap(),
        )
        .await
        .unwrap();
    }
    let mut tokens = HashMap::new();
    let mut passwords = HashMap::new();
    for (label, user, role, scope) in HUMANS {
        let totp = TotpSecret::generate();
        let pw = format!("pw-{user}-correct-horse");
        app.create_user(
            &local,
            NewUserSpec {
                username: user.to_string(),
                display_name: user.to_string(),
                kind: UserKind::Human,
                role: role.to_string(),
                scope: scope.map(str::to_string),
                password: Some(Secret::new(pw.clone())),
                totp: Some(totp.clone()),
            },
        )
        .await
        .unwrap();
        let out = app
            .login(user, &pw, &totp_code(&totp, unix_now()), Some("127.0.0.1"))
            .await
            .unwrap();
        tokens.insert(*label, out.token.expose().clone());
        passwords.insert(*label, (pw, totp));
    }
    for (label, user, centre) in [
        ("centre", "pipe.kz", "SEQ-KZ"),
        ("centre_other", "pipe.tk", "SEQ-TK"),
    ] {
        let created = app
            .create_user(
                &local,
                NewUserSpec {
                    username: user.into(),
                    display_name: user.into(),
                    kind: UserKind::Machine,
                    role: "sequencing_centre".into(),
                    scope: Some(centre.into()),
                    password: None,
                    totp: None,
                },
            )
            .await
            .unwrap();
        tokens.insert(label, created.api_token.unwrap().expose().clone());
    }
    // a user whose stored role this build does not know (e.g. written by a
    // newer version, or tampered with): authenticated, but no role → 403
    {
        let mut tx = app
            .store()
            .begin(zenome_store::AuditEntry::new(
                "test",
                "user.create",
                "user:odd",
            ))
            .await
            .unwrap();
        let id = tx
            .insert_user(&zenome_store::NewUser {
                username: "odd".into(),
                display_name: "Odd".into(),
                kind: UserKind::Machine,
                role: "superuser".into(),
                scope: None,
                password_hash: None,
                totp_secret: None,
            })
            .await
            .unwrap();
        let (token, hash) = zenome_auth::new_token(zenome_auth::TokenKind::Api);
        tx.insert_token(&id, &hash, "t", None).await.unwrap();
        tx.commit().await.unwrap();
        tokens.insert("unknown_role", token);
    }
    let router = zenome_server::router(app.clone());
    Env {
        app,
        router,
        tokens,
        passwords,
        seal,
        _dir: Some(dir),
    }
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: http::HeaderMap,
    pub json: Value,
    pub text: String,
}

impl Env {
    pub async fn call(
        &self,
        method: &str,
        uri: &str,
        who: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let mut b = Request::builder().method(method).uri(uri);
        if let Some(w) = who {
            b = b.header(header::AUTHORIZATION, format!("Bearer {}", self.tokens[w]));
        }
        let req = match body {
            Some(v) => b
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(v.to_string()))
                .unwrap(),
            None => b.body(Body::empty()).unwrap(),
        };
        self.send(req).await
    }

    pub async fn send(&self, req: Request<Body>) -> Resp {
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = axum::body::to_bytes(resp.into_body(), 16 * 1024 * 1024)
            .await
            .unwrap();
        let text = String::from_utf8_lossy(&bytes).to_string();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            json,
            text,
        }
    }

    /// A snapshot of the store that any change would alter: the audit
    /// entries of changes (access records — reads, refusals, alerts — are
    /// left out: a refused request is *meant* to leave one), their last
    /// hash, and row counts.
    pub async fn snapshot(&self) -> (i64, String, i64, usize) {
        let all = self.app.store().audit_after(0, 10_000_000).await.unwrap();
        let changes: Vec<_> = all
            .iter()
            .filter(|a| {
                !(a.action.starts_with("http.")
                    || a.action.starts_with("access.")
                    || a.action.starts_with("alert.")
                    || a.action == "auth.login_failed"
                    || a.action == "data.read")
            })
            .collect();
        let last = changes.last().map(|a| a.hash.clone()).unwrap_or_default();
        let stats = self.app.store().public_stats().await.unwrap();
        let participants = stats.participants.iter().map(|c| c.n).sum();
        let nodes = stats.nodes.iter().map(|c| c.n as usize).sum();
        (changes.len() as i64, last, participants, nodes)
    }

    /// A participant at TKY-UH with consent given, and a specimen → extract →
    /// library chain. Returns (participant id, specimen, extract, library)
    /// as (id, barcode) pairs.
    pub async fn seeded_participant(&self) -> Seeded {
        let p = self
            .call(
                "POST",
                "/api/v1/participants",
                Some("facility"),
                Some(serde_json::json!({"disease_area": "cancer", "sex": "female"})),
            )
            .await;
        assert_eq!(p.status, StatusCode::CREATED, "{}", p.text);
        let pid = p.json["id"].as_str().unwrap().to_string();
        let c = self
            .call(
                "POST",
                &format!("/api/v1/participants/{pid}/consents"),
                Some("facility"),
                Some(give()),
            )
            .await;
        assert_eq!(c.status, StatusCode::CREATED, "{}", c.text);
        let node = |body: Value| async move {
            let r = self
                .call(
                    "POST",
                    "/api/v1/lineage/nodes",
                    Some("facility"),
                    Some(body),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
            (
                r.json["id"].as_str().unwrap().to_string(),
                r.json["barcode"].as_str().unwrap().to_string(),
            )
        };
        let specimen = node(serde_json::json!({"kind": "specimen", "participant_id": pid, "specimen_type": "tumour_tissue", "collected_on": "2026-05-01", "anatomical_site": "右上葉"})).await;
        let extract = node(serde_json::json!({"kind": "extract", "parent_id": specimen.0, "analyte": "dna", "yield_ng": 1500})).await;
        let library =
            node(serde_json::json!({"kind": "library", "parent_id": extract.0, "strategy": "wgs", "centre": "SEQ-KZ"}))
                .await;
        Seeded {
            pid,
            specimen,
            extract,
            library,
        }
    }
}

pub struct Seeded {
    pub pid: String,
    pub specimen: (String, String),
    pub extract: (String, String),
    pub library: (String, String),
}

pub fn give() -> Value {
    serde_json::json!({
        "action": "give",
        "answers": {
            "research_scope": "general",
            "controlled_sharing": true,
            "recontact": true,
            "primary_findings": true,
            "secondary_findings": false
        }
    })
}

/// Changes the last character of an id so its check character no longer fits.
pub fn typo(id: &str) -> String {
    let mut s = id.to_string();
    let last = s.pop().unwrap();
    s.push(if last == '0' { '1' } else { '0' });
    s
}

/// The real S3 server of the test set-up (`ZENOME_TEST_S3_URL`,
/// `ZENOME_TEST_S3_ENDPOINT`, `AWS_*`) as a store URL under a fresh prefix
/// `<what>-<uuid>` and its options; `None` (skipped with a notice) only
/// outside CI.
pub fn s3_test_store(
    what: &str,
) -> Option<(
    String,
    std::collections::BTreeMap<String, zenome_auth::Secret<String>>,
)> {
    let (Ok(url), Ok(endpoint), Ok(key), Ok(secret)) = (
        std::env::var("ZENOME_TEST_S3_URL"),
        std::env::var("ZENOME_TEST_S3_ENDPOINT"),
        std::env::var("AWS_ACCESS_KEY_ID"),
        std::env::var("AWS_SECRET_ACCESS_KEY"),
    ) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "ZENOME_TEST_S3_URL must be set under CI: the S3 tests may not be skipped"
        );
        eprintln!("note: ZENOME_TEST_S3_URL is not set; skipping an S3 test ({what})");
        return None;
    };
    let mut o = std::collections::BTreeMap::new();
    for (k, v) in [
        ("endpoint", endpoint),
        ("allow_http", "true".into()),
        ("region", "us-east-1".into()),
        ("access_key_id", key),
        ("secret_access_key", secret),
    ] {
        o.insert(k.to_string(), zenome_auth::Secret::new(v));
    }
    Some((format!("{url}/{what}-{}", uuid::Uuid::new_v4()), o))
}
