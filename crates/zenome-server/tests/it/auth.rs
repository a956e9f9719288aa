//! Logins under load and credential revocation: the limiter counts each
//! attempt before its hash, bounds the hashes running at once, and does not
//! let a stranger lock a user out; tokens, users and passports can be revoked.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use http::{Request, StatusCode, header};
use serde_json::{Value, json};
use tokio::task::JoinSet;
use zenome_app::Config;
use zenome_auth::totp_code;

use crate::harness::{Env, Resp, unix_now};

/// The same configuration on SQLite and, when configured, PostgreSQL.
async fn envs_with(cfg: Config) -> Vec<Env> {
    let mut v = vec![crate::harness::env_with(cfg.clone()).await];
    if let Some(store) = zenome_store::testing::fresh_postgres().await {
        v.push(crate::harness::env_full(store, tempfile::tempdir().unwrap(), cfg).await);
    }
    v
}

fn login_request(body: &Value, ip: [u8; 4]) -> Request<Body> {
    let mut req = Request::builder()
        .method("POST")
        .uri("/api/v1/auth/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from((ip, 40000))));
    req
}

/// Sends all the requests at once; returns the answers.
async fn burst(e: &Env, reqs: Vec<(Value, [u8; 4])>) -> Vec<Resp> {
    let mut set = JoinSet::new();
    for (body, ip) in reqs {
        let router = e.router.clone();
        set.spawn(async move {
            use tower::ServiceExt;
            let resp = router.oneshot(login_request(&body, ip)).await.unwrap();
            let status = resp.status();
            let headers = resp.headers().clone();
            let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
                .await
                .unwrap();
            Resp {
                status,
                headers,
                json: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
                text: String::from_utf8_lossy(&bytes).to_string(),
            }
        });
    }
    set.join_all().await
}

fn count(rs: &[Resp], s: StatusCode) -> usize {
    rs.iter().filter(|r| r.status == s).count()
}

fn roomy() -> Config {
    let mut cfg = crate::harness::config();
    cfg.security.login_max_concurrent_hashes = 1000;
    cfg
}

#[tokio::test]
async fn parallel_wrong_passwords_for_one_user_were_all_checked() {
    for e in envs_with(roomy()).await {
        let (checks_before, _) = e.app.password_check_stats();
        let bad = json!({"username": "dac", "password": "wrong password!", "totp": "123456"});
        let rs = burst(&e, (0..40).map(|_| (bad.clone(), [10, 0, 0, 1])).collect()).await;
        let (checks_after, _) = e.app.password_check_stats();
        assert_eq!(count(&rs, StatusCode::UNAUTHORIZED), 5);
        assert_eq!(count(&rs, StatusCode::TOO_MANY_REQUESTS), 35);
        assert_eq!(checks_after - checks_before, 5, "only 5 hashes may run");
        assert!(
            rs.iter()
                .filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS)
                .all(|r| r.headers.contains_key(header::RETRY_AFTER))
        );
    }
}

#[tokio::test]
async fn parallel_logins_from_one_address_passed_the_address_limit() {
    for e in envs_with(roomy()).await {
        let (before, _) = e.app.password_check_stats();
        let rs = burst(
            &e,
            (0..100)
                .map(|i| {
                    (
                        json!({"username": format!("nobody{i}"), "password": "wrong password!", "totp": "123456"}),
                        [10, 0, 0, 2],
                    )
                })
                .collect(),
        )
        .await;
        let (after, _) = e.app.password_check_stats();
        assert_eq!(count(&rs, StatusCode::UNAUTHORIZED), 30);
        assert_eq!(count(&rs, StatusCode::TOO_MANY_REQUESTS), 70);
        assert_eq!(after - before, 30);
    }
}

#[tokio::test]
async fn parallel_logins_ran_unbounded_password_hashes() {
    let mut cfg = crate::harness::config();
    cfg.security.login_max_concurrent_hashes = 2;
    for e in envs_with(cfg.clone()).await {
        let (before, _) = e.app.password_check_stats();
        // 400 strangers from 400 addresses: no limiter count is reached, so
        // only the bound on concurrent hashes stands between them and memory
        let rs = burst(
            &e,
            (0..400u32)
                .map(|i| {
                    let b = i.to_be_bytes();
                    (
                        json!({"username": format!("nobody{i}"), "password": "wrong password!", "totp": "123456"}),
                        [10, b[1], b[2], b[3]],
                    )
                })
                .collect(),
        )
        .await;
        let (after, peak) = e.app.password_check_stats();
        let refused = count(&rs, StatusCode::TOO_MANY_REQUESTS);
        let checked = count(&rs, StatusCode::UNAUTHORIZED);
        assert_eq!(refused + checked, 400, "only 401 or 429");
        assert!(peak <= 2, "{peak} hashes ran at once, bound is 2");
        assert_eq!(after - before, checked as u64);
        assert!(
            rs.iter()
                .filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS)
                .all(|r| r.headers[header::RETRY_AFTER] == "1")
        );
    }
}

#[tokio::test]
async fn a_stranger_locked_the_account_for_everyone() {
    for e in envs_with(roomy()).await {
        let bad = json!({"username": "dac", "password": "wrong password!", "totp": "123456"});
        for _ in 0..5 {
            let r = e.send(login_request(&bad, [192, 0, 2, 66])).await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        }
        let (pw, totp) = e.passwords["dac"].clone();
        let good =
            json!({"username": "dac", "password": pw, "totp": totp_code(&totp, unix_now() + 30)});
        // the stranger's address is refused, even with the right password…
        let r = e.send(login_request(&good, [192, 0, 2, 66])).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        // …but the user, from an address with no failures, still gets in
        // (after a short delay, not a lock)
        let r = e.send(login_request(&good, [198, 51, 100, 7])).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
}

// ---------- revocation ----------

async fn status(e: &Env, method: &str, uri: &str, who: &str) -> StatusCode {
    e.call(method, uri, Some(who), None).await.status
}

async fn issued(e: &Env, user: &str, body: Value) -> (String, String) {
    let r = e
        .call(
            "POST",
            &format!("/api/v1/users/{user}/tokens"),
            Some("admin"),
            Some(body),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    (
        r.json["id"].as_str().unwrap().to_string(),
        r.json["token"].as_str().unwrap().to_string(),
    )
}

async fn passport_of(e: &Env, who: &str) -> String {
    let r = e.call("GET", "/api/v1/passport", Some(who), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json["passport"].as_str().unwrap().to_string()
}

fn application() -> Value {
    json!({"title": "Revocation check", "purpose": {"kind": "general_research"}, "lay_summary": "x", "datasets": []})
}

async fn a_revoked_token_kept_working(mut e: Env) {
    let (id, token) = issued(&e, "pipe.kz", json!({"label": "nightly"})).await;
    e.tokens.insert("spare", token.clone());
    assert_eq!(
        status(&e, "GET", "/api/v1/me", "spare").await,
        StatusCode::OK
    );
    // the owner lists its tokens: ids and times, never a secret
    let r = e
        .call("GET", "/api/v1/users/pipe.kz/tokens", Some("centre"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let listed = r.json.as_array().unwrap();
    assert!(
        listed
            .iter()
            .any(|t| t["id"] == id.as_str() && t["state"] == "active")
    );
    assert!(!r.text.contains(&token) && !r.text.contains(&token[3..]));
    assert!(!r.text.contains(&zenome_auth::hash_token(&token)));
    let r = e
        .call(
            "DELETE",
            &format!("/api/v1/users/pipe.kz/tokens/{id}"),
            Some("centre"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(
        status(&e, "GET", "/api/v1/me", "spare").await,
        StatusCode::UNAUTHORIZED
    );
    // the owner's other token is untouched
    assert_eq!(
        status(&e, "GET", "/api/v1/me", "centre").await,
        StatusCode::OK
    );
    let r = e
        .call("GET", "/api/v1/users/pipe.kz/tokens", Some("admin"), None)
        .await;
    let t = r
        .json
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id.as_str())
        .unwrap()
        .clone();
    assert_eq!(t["state"], "revoked");
    assert!(t["revoked_at"].is_string() && t["last_used_at"].is_string());
    // audited
    let audit = e.app.store().audit_after(0, 100_000).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a.action == "token.revoke" && a.actor == "token:pipe.kz")
    );
    // another centre cannot even see the token exists
    let r = e
        .call(
            "DELETE",
            &format!("/api/v1/users/pipe.kz/tokens/{id}"),
            Some("centre_other"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

async fn a_disabled_user_kept_their_session_token_and_passport(mut e: Env) {
    let passport = passport_of(&e, "academic").await;
    e.tokens.insert("academic_passport", passport);
    for who in ["academic", "academic_passport", "centre"] {
        assert_eq!(status(&e, "GET", "/api/v1/me", who).await, StatusCode::OK);
    }
    for user in ["res.acad", "pipe.kz"] {
        let r = e
            .call(
                "POST",
                &format!("/api/v1/users/{user}/disable"),
                Some("admin"),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    }
    for who in ["academic", "academic_passport", "centre"] {
        assert_eq!(
            status(&e, "GET", "/api/v1/me", who).await,
            StatusCode::UNAUTHORIZED,
            "{who}"
        );
    }
    let r = e
        .call(
            "POST",
            "/api/v1/applications",
            Some("academic_passport"),
            Some(application()),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // nor can they log in again
    let (pw, totp) = e.passwords["academic"].clone();
    let r = e
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "res.acad", "password": pw, "totp": totp_code(&totp, unix_now() + 30)})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // re-enabled: the token works again, the ended session stays ended
    for user in ["res.acad", "pipe.kz"] {
        let r = e
            .call(
                "POST",
                &format!("/api/v1/users/{user}/enable"),
                Some("admin"),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    }
    assert_eq!(
        status(&e, "GET", "/api/v1/me", "centre").await,
        StatusCode::OK
    );
    assert_eq!(
        status(&e, "GET", "/api/v1/me", "academic").await,
        StatusCode::UNAUTHORIZED
    );
    // an admin cannot disable themselves (the last way back in)
    let r = e
        .call("POST", "/api/v1/users/admin/disable", Some("admin"), None)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json["field"], "username", "{}", r.text);
    let audit = e.app.store().audit_after(0, 100_000).await.unwrap();
    for action in ["user.disable", "user.enable"] {
        assert!(
            audit
                .iter()
                .any(|a| a.action == action && a.target == "user:res.acad")
        );
    }
}

async fn a_passport_outlived_the_logout(mut e: Env) {
    let passport = passport_of(&e, "academic").await;
    e.tokens.insert("academic_passport", passport);
    assert_eq!(
        status(&e, "GET", "/api/v1/me", "academic_passport").await,
        StatusCode::OK
    );
    let r = e
        .call("POST", "/api/v1/auth/logout", Some("academic"), None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        status(&e, "GET", "/api/v1/me", "academic_passport").await,
        StatusCode::UNAUTHORIZED
    );
    let r = e
        .call(
            "POST",
            "/api/v1/applications",
            Some("academic_passport"),
            Some(application()),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // a passport naming no session at all (or a made-up one) is refused too
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    for sid in [None, Some("s:0000"), Some("x:1")] {
        let mut claims = json!({"iss": "https://zenome.jp", "sub": "res.ind", "iat": now, "exp": now + 3600, "jti": "z", "ga4gh_passport_v1": []});
        if let Some(sid) = sid {
            claims["sid"] = json!(sid);
        }
        e.tokens.insert("made_up", e.app.sign_jwt(&claims).unwrap());
        assert_eq!(
            status(&e, "GET", "/api/v1/me", "made_up").await,
            StatusCode::UNAUTHORIZED,
            "{sid:?}"
        );
    }
}

async fn an_api_token_never_expired(mut e: Env) {
    // expiry is set at creation
    let r = e
        .call(
            "POST",
            "/api/v1/users/pipe.kz/tokens",
            Some("admin"),
            Some(json!({"label": "x", "expires_in_days": 0})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json["field"], "expires_in_days");
    let (_, token) = issued(
        &e,
        "pipe.kz",
        json!({"label": "week", "expires_in_days": 7}),
    )
    .await;
    e.tokens.insert("week", token);
    assert_eq!(
        status(&e, "GET", "/api/v1/me", "week").await,
        StatusCode::OK
    );
    let r = e
        .call("GET", "/api/v1/users/pipe.kz/tokens", Some("centre"), None)
        .await;
    assert!(
        r.json
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["label"] == "week" && t["expires_at"].is_string())
    );
    // one whose time has come
    let user = e
        .app
        .store()
        .user_by_name("pipe.kz")
        .await
        .unwrap()
        .unwrap();
    let (token, hash) = zenome_auth::new_token(zenome_auth::TokenKind::Api);
    let mut tx = e
        .app
        .store()
        .begin(zenome_store::AuditEntry::new(
            "test",
            "token.issue",
            "user:pipe.kz",
        ))
        .await
        .unwrap();
    tx.insert_token(
        &user.id,
        &hash,
        "old",
        Some(time::OffsetDateTime::now_utc() - time::Duration::seconds(1)),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    e.tokens.insert("expired", token);
    assert_eq!(
        status(&e, "GET", "/api/v1/me", "expired").await,
        StatusCode::UNAUTHORIZED
    );
    let r = e
        .call("GET", "/api/v1/users/pipe.kz/tokens", Some("centre"), None)
        .await;
    assert!(
        r.json
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["label"] == "old" && t["state"] == "expired")
    );
}

crate::on_both_engines!(
    a_revoked_token_kept_working,
    a_disabled_user_kept_their_session_token_and_passport,
    a_passport_outlived_the_logout,
    an_api_token_never_expired,
    the_portal_had_no_way_to_revoke_or_disable,
);

// ---------- the portal ----------

/// Just enough of a browser: one cookie jar, forms posted urlencoded.
struct Portal<'a> {
    env: &'a Env,
    cookies: Vec<(String, String)>,
}

impl Portal<'_> {
    async fn go(&mut self, method: &str, uri: &str, form: Option<&[(&str, &str)]>) -> Resp {
        let jar = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let b = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::COOKIE, jar);
        let req = match form {
            Some(f) => {
                let body = f
                    .iter()
                    .map(|(k, v)| {
                        format!(
                            "{k}={}",
                            v.replace('+', "%2B")
                                .replace('/', "%2F")
                                .replace('=', "%3D")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("&");
                b.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(body))
                    .unwrap()
            }
            None => b.body(Body::empty()).unwrap(),
        };
        let r = self.env.send(req).await;
        for v in r.headers.get_all(header::SET_COOKIE) {
            let v = v.to_str().unwrap();
            let kv = v.split(';').next().unwrap();
            let (k, val) = kv.split_once('=').unwrap();
            self.cookies.retain(|(n, _)| n != k);
            self.cookies.push((k.to_string(), val.to_string()));
        }
        r
    }

    async fn login<'e>(env: &'e Env, label: &str, username: &str) -> Portal<'e> {
        let mut p = Portal {
            env,
            cookies: vec![],
        };
        let page = p.go("GET", "/login", None).await;
        let csrf = csrf_of(&page.text);
        let (pw, totp) = env.passwords[label].clone();
        let code = totp_code(&totp, unix_now() + 30);
        let r = p
            .go(
                "POST",
                "/login",
                Some(&[
                    ("csrf", &csrf),
                    ("username", username),
                    ("password", &pw),
                    ("totp", &code),
                ]),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        p
    }
}

fn csrf_of(html: &str) -> String {
    let m = "name=\"csrf\" value=\"";
    let i = html.find(m).expect("a csrf field") + m.len();
    html[i..].split('"').next().unwrap().to_string()
}

async fn the_portal_had_no_way_to_revoke_or_disable(e: Env) {
    let (spare, _) = e
        .app
        .issue_api_token(&zenome_app::Actor::local(), "pipe.kz", "spare", None)
        .await
        .unwrap();
    let mut admin = Portal::login(&e, "admin", "admin").await;
    let users = admin.go("GET", "/portal/users", None).await;
    assert_eq!(users.status, StatusCode::OK);
    assert!(users.text.contains("/portal/users/dac2/disable") && users.text.contains("無効にする"));
    assert!(users.text.contains("/portal/users/pipe.kz/tokens"));
    let csrf = csrf_of(&users.text);
    // without the CSRF token nothing happens
    let r = admin
        .go("POST", "/portal/users/dac/disable", Some(&[]))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(status(&e, "GET", "/api/v1/me", "dac").await, StatusCode::OK);
    let r = admin
        .go(
            "POST",
            "/portal/users/dac/disable",
            Some(&[("csrf", &csrf)]),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(
        status(&e, "GET", "/api/v1/me", "dac").await,
        StatusCode::UNAUTHORIZED
    );
    // tokens: listed by id, revoked by a form
    let tokens = admin.go("GET", "/portal/users/pipe.kz/tokens", None).await;
    assert_eq!(tokens.status, StatusCode::OK);
    assert!(tokens.text.contains(&spare) && tokens.text.contains("失効させる"));
    assert!(!tokens.text.contains(&e.tokens["centre"][3..]));
    let path = format!("/portal/users/pipe.kz/tokens/{spare}/revoke");
    assert_eq!(
        admin.go("POST", &path, Some(&[])).await.status,
        StatusCode::FORBIDDEN
    );
    let r = admin.go("POST", &path, Some(&[("csrf", &csrf)])).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let listed = e
        .app
        .store()
        .tokens_of(
            &e.app
                .store()
                .user_by_name("pipe.kz")
                .await
                .unwrap()
                .unwrap()
                .id,
        )
        .await
        .unwrap();
    assert!(
        listed
            .iter()
            .any(|t| t.id == spare && t.revoked_at.is_some())
    );
    // in English too
    admin.cookies.push(("zenome_lang".into(), "en".into()));
    let users = admin.go("GET", "/portal/users", None).await;
    assert!(users.text.contains(">Enable<") && users.text.contains(">Disable<"));
    // others: no user list, no one else's tokens
    let mut researcher = Portal::login(&e, "academic", "res.acad").await;
    assert_eq!(
        researcher.go("GET", "/portal/users", None).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        researcher
            .go("GET", "/portal/users/pipe.kz/tokens", None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let csrf = csrf_of(&researcher.go("GET", "/portal", None).await.text);
    let r = researcher
        .go(
            "POST",
            "/portal/users/staff/disable",
            Some(&[("csrf", &csrf)]),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        status(&e, "GET", "/api/v1/me", "staff").await,
        StatusCode::OK
    );
}
