//! The audit trail's anchors against someone who can change the database:
//! a cut after the newest anchor, an edit then covered by the next anchor, a
//! deleted or emptied anchor store, a trail with no anchors, the legacy
//! `anchors.log`, an anchor store on a real S3 server (write-once), and the
//! webhook copy of each anchor. Every body runs on SQLite and PostgreSQL.

use serde_json::json;
use zenome_app::App;
use zenome_app::config::AuditConfig;
use zenome_objects::{PutOnce, Stores};
use zenome_store::AuditEntry;
use zenome_store::testing::{
    age_audit_trail, rewrite_audit_chain, tamper_audit_detail, truncate_audit_after,
};

use crate::harness::Env;

/// Some API reads, each leaving one access entry.
async fn activity(e: &Env, n: usize) {
    for _ in 0..n {
        e.call("GET", "/api/v1/datasets", Some("academic"), None)
            .await;
    }
}

/// The same store and key with other `[audit]` settings.
fn with_audit(e: &Env, f: impl FnOnce(&mut AuditConfig)) -> App {
    let mut c = e.app.config().clone();
    f(&mut c.audit);
    App::new(e.app.store().clone(), e.seal.clone(), c).unwrap()
}

async fn head(e: &Env) -> i64 {
    e.app.store().audit_head().await.unwrap().0
}

/// Changes one byte of an entry's detail, then recomputes every hash, as an
/// attacker who wants the chain check to pass would.
async fn edit_and_rehash(e: &Env, seq: i64) {
    let row = e
        .app
        .store()
        .audit_after(seq - 1, 1)
        .await
        .unwrap()
        .remove(0);
    let mut detail = row.detail.into_bytes();
    let i = detail.len() / 2;
    detail[i] = if detail[i] == b'a' { b'b' } else { b'a' };
    tamper_audit_detail(e.app.store(), seq, &String::from_utf8_lossy(&detail)).await;
    rewrite_audit_chain(e.app.store()).await;
    assert!(
        e.app.store().verify_audit().await.unwrap().is_ok(),
        "the chain alone looks fine"
    );
}

async fn a_cut_after_the_newest_anchor_is_caught(e: Env) {
    activity(&e, 2).await;
    let mut mark = None;
    let a = e
        .app
        .anchor_if_due(&mut mark, false)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.record_seq, a.seq + 1);
    activity(&e, 3).await;
    let v = e.app.verify_audit().await.unwrap();
    assert!(v.is_intact(), "{v:?}");
    assert_eq!(v.newest_anchor.as_ref().map(|n| n.seq), Some(a.seq));
    // the anchor's own record is not counted; the three reads are
    assert_eq!(v.tail.entries, 3);
    assert_eq!(v.tail.entries, head(&e).await - a.record_seq);

    // everything after the anchor removed, the head fixed, and the server
    // carries on writing
    truncate_audit_after(e.app.store(), a.seq).await;
    assert!(e.app.store().verify_audit().await.unwrap().is_ok());
    // the running server's anchoring notices the head going back, and
    // anchors nothing over it
    let err = e.app.anchor_if_due(&mut mark, true).await.unwrap_err();
    assert!(err.to_string().contains("went back"), "{err}");
    activity(&e, 2).await;
    let p = e
        .app
        .verify_audit()
        .await
        .unwrap()
        .problem
        .expect("cut not caught");
    assert_eq!(p.seq, a.seq + 1);
    assert!(p.reason.contains("were removed"), "{}", p.reason);
}

async fn an_edit_after_the_newest_anchor_is_caught_once_the_next_anchor_is_due(e: Env) {
    let app = with_audit(&e, |a| a.every_entries = 5);
    let mut mark = None;
    let first = app.anchor_if_due(&mut mark, false).await.unwrap();
    let first = first.expect("the first check anchors at once");
    activity(&e, 1).await;
    assert_eq!(app.anchor_if_due(&mut mark, false).await.unwrap(), None);
    let victim = head(&e).await;
    // not anchored yet: the verification says how much is exposed
    let v = app.verify_audit().await.unwrap();
    assert!(v.is_intact(), "{v:?}");
    assert_eq!(v.tail.entries, 1);
    assert!(v.tail.oldest.is_some());

    // five entries after the last anchor's record: the next check anchors
    activity(&e, 4).await;
    let second = app.anchor_if_due(&mut mark, false).await.unwrap();
    let second = second.expect("every_entries = 5 reached");
    assert!(second.seq >= victim && second.seq > first.seq);
    assert_eq!(app.verify_audit().await.unwrap().tail.entries, 0);

    edit_and_rehash(&e, victim).await;
    let p = app
        .verify_audit()
        .await
        .unwrap()
        .problem
        .expect("edit not caught");
    assert_eq!(p.seq, second.seq);
    assert!(p.reason.contains("rewritten"), "{}", p.reason);
}

async fn a_deleted_or_emptied_anchor_store_is_caught(e: Env) {
    let a = e.app.write_anchor().await.unwrap();
    activity(&e, 1).await;
    assert!(e.app.verify_audit().await.unwrap().is_intact());
    let dir = e.app.config().data_dir.join("audit").join("anchors");
    assert!(
        e.app.anchor_location().ends_with("/audit/anchors"),
        "{}",
        e.app.anchor_location()
    );

    // emptied
    for f in std::fs::read_dir(dir.join("anchors")).unwrap() {
        std::fs::remove_file(f.unwrap().path()).unwrap();
    }
    let v = e.app.verify_audit().await.unwrap();
    assert_eq!(v.anchors, 0);
    let p = v.problem.expect("emptied anchor store not caught");
    assert_eq!(p.seq, a.record_seq);
    assert!(p.reason.contains("anchors were deleted"), "{}", p.reason);

    // deleted, and the whole chain rewritten
    std::fs::remove_dir_all(&dir).unwrap();
    rewrite_audit_chain(e.app.store()).await;
    let p = e.app.verify_audit().await.unwrap().problem;
    assert!(
        p.expect("deleted anchor store not caught")
            .reason
            .contains("anchors were deleted")
    );
}

async fn a_trail_without_anchors_fails_beyond_the_unanchored_bound(e: Env) {
    activity(&e, 2).await;
    let entries = head(&e).await;
    // within the bound (a new installation before its first anchor)
    assert!(e.app.verify_audit().await.unwrap().is_intact());
    // more entries than the bound
    let strict = with_audit(&e, |a| a.max_unanchored_entries = 3);
    let v = strict.verify_audit().await.unwrap();
    assert_eq!(v.tail.entries, entries);
    let p = v.problem.expect("no anchors and too many entries");
    assert_eq!(p.seq, 1);
    assert!(p.reason.contains("no anchors"), "{}", p.reason);
    assert!(p.reason.contains("bound of 3"), "{}", p.reason);
    // older than the bound
    age_audit_trail(e.app.store(), 120).await;
    let v = e.app.verify_audit().await.unwrap();
    assert!(v.tail.age_minutes >= 120, "{v:?}");
    let p = v.problem.expect("no anchors for two hours");
    assert!(p.reason.contains("no anchors"), "{}", p.reason);
    assert!(p.reason.contains("60 minutes"), "{}", p.reason);
    // an anchor brings the tail back within bounds
    e.app.write_anchor().await.unwrap();
    let v = e.app.verify_audit().await.unwrap();
    assert!(v.is_intact(), "{v:?}");
    assert_eq!(v.tail.entries, 0);
}

async fn the_legacy_anchors_log_is_still_read_and_checked(e: Env) {
    // an anchor as older versions wrote it: a line, then its record
    let (seq, hash) = e.app.store().audit_head().await.unwrap();
    let file = e.app.anchor_file();
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, format!("{seq} {hash} 2026-01-01T00:00:00Z\n")).unwrap();
    e.app
        .store()
        .record(
            AuditEntry::new("system:anchor", "audit.anchor", format!("audit:{seq}"))
                .with_detail(json!({ "hash": hash })),
        )
        .await
        .unwrap();
    let v = e.app.verify_audit().await.unwrap();
    assert!(v.is_intact(), "{v:?}");
    assert_eq!((v.anchors, v.legacy_anchors), (1, 1));
    // a rewrite before it is caught by the legacy line
    edit_and_rehash(&e, seq - 1).await;
    let p = e.app.verify_audit().await.unwrap().problem.expect("caught");
    assert!(p.reason.contains("anchors.log line 1"), "{}", p.reason);
    // emptied: its record remains and names what is missing
    std::fs::write(&file, "").unwrap();
    let p = e.app.verify_audit().await.unwrap().problem.expect("caught");
    assert!(p.reason.contains("anchors were deleted"), "{}", p.reason);
}

async fn anchors_on_a_real_s3_server_cannot_be_overwritten(e: Env) {
    let Some((url, options)) = crate::harness::s3_test_store("audit") else {
        return;
    };
    let app = with_audit(&e, |a| {
        a.anchor_url = Some(url.clone());
        a.anchor_options = options;
    });
    assert!(!format!("{:?}", app.config()).contains("zenome-test-secret"));
    let a = app.write_anchor().await.unwrap();
    activity(&e, 1).await;
    let v = app.verify_audit().await.unwrap();
    assert!(v.is_intact(), "{v:?}");
    assert_eq!(v.location, url);
    assert_eq!(v.anchors, 1);
    assert!(v.newest_anchor.unwrap().at.is_some());

    // SeaweedFS has no Object Lock to test; what is tested is that the
    // store itself refuses to replace an anchor (PutMode::Create, sent as
    // If-None-Match: *), so a forged anchor cannot take an old one's place
    let stores = Stores::open(&[app.config().anchor_store()]).unwrap();
    let forged = json!({ "seq": a.seq, "hash": "f".repeat(64) }).to_string();
    assert_eq!(
        stores
            .put_once("anchors", &a.key, forged.into_bytes())
            .await
            .unwrap(),
        PutOnce::Exists
    );
    let kept = stores.read_all("anchors", &a.key).await.unwrap().unwrap();
    assert!(String::from_utf8(kept).unwrap().contains(&a.hash));

    edit_and_rehash(&e, a.seq).await;
    let p = app.verify_audit().await.unwrap().problem.expect("caught");
    assert_eq!(p.seq, a.seq);
    assert!(p.reason.contains(&a.key), "{}", p.reason);
}

async fn each_anchor_is_also_posted_to_the_webhook(e: Env) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let received = tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = sock.read(&mut chunk).await.unwrap();
            assert!(n > 0, "connection closed early");
            buf.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&buf).to_string();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let len: usize = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                if body.len() >= len {
                    sock.write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
                        .await
                        .unwrap();
                    return (head.to_string(), body.to_string());
                }
            }
        }
    });
    let app = with_audit(&e, |a| {
        a.webhook_url = Some(format!("http://{addr}/anchors"))
    });
    let a = app.write_anchor().await.unwrap();
    let (head, body) = tokio::time::timeout(std::time::Duration::from_secs(60), received)
        .await
        .expect("the webhook was called")
        .unwrap();
    assert!(head.starts_with("POST /anchors "), "{head}");
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["seq"], a.seq);
    assert_eq!(body["hash"], a.hash.as_str());
    assert_eq!(body["key"], a.key.as_str());
    assert_eq!(body["store"], app.anchor_location().as_str());
}

/// `serve` anchors at start and once more at shutdown, so a stopped server
/// leaves no unanchored tail behind (SQLite only: `serve` closes the pool,
/// and the file is reopened to verify).
#[tokio::test]
async fn serve_leaves_no_unanchored_tail_at_shutdown() {
    let e = crate::harness::env().await;
    activity(&e, 2).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(zenome_server::serve(e.app.clone(), listener, async {
        stopped.await.ok();
    }));
    // the start-up anchor first (waited for, not timed)…
    let dir = e.app.config().data_dir.join("audit/anchors/anchors");
    for _ in 0..600 {
        if std::fs::read_dir(&dir).is_ok_and(|mut d| d.next().is_some()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // …then a read, whose entry only the closing anchor can cover
    let r = reqwest::Client::new()
        .get(format!("http://{addr}/api/v1/datasets"))
        .bearer_auth(&e.tokens["academic"])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
    let store = zenome_store::Store::connect(&e.app.config().database_url())
        .await
        .unwrap();
    let app = App::new(store, e.seal.clone(), e.app.config().clone()).unwrap();
    let v = app.verify_audit().await.unwrap();
    assert!(v.is_intact(), "{v:?}");
    let read = app
        .store()
        .audit_recent(Some("/api/v1/datasets"), 1)
        .await
        .unwrap()
        .remove(0)
        .seq;
    assert!(
        v.newest_anchor.as_ref().unwrap().seq >= read,
        "{read} {v:?}"
    );
    assert_eq!(v.tail.entries, 0);
}

crate::on_both_engines!(
    a_cut_after_the_newest_anchor_is_caught,
    an_edit_after_the_newest_anchor_is_caught_once_the_next_anchor_is_due,
    a_deleted_or_emptied_anchor_store_is_caught,
    a_trail_without_anchors_fails_beyond_the_unanchored_bound,
    the_legacy_anchors_log_is_still_read_and_checked,
    anchors_on_a_real_s3_server_cannot_be_overwritten,
    each_anchor_is_also_posted_to_the_webhook,
);
