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
