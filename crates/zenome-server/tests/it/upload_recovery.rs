//! Uploads that were interrupted: a client that goes away in the middle of a
//! request (inside a FASTQ record, inside a BGZF block), a server restarted
//! between requests, a crash between the last byte and the registration;
//! placeholders of failed uploads; tus numbers and file names that are refused.

use std::io::Write;
use std::task::Poll;

use axum::body::Body;
use base64::Engine as _;
use http::{Request, StatusCode, header};
use md5::Md5;
use sha2::{Digest, Sha256};
use zenome_domain::lineage::NodeId;

use crate::files::fastq;
use crate::harness::Env;

fn bgzip(data: &[u8]) -> Vec<u8> {
    let mut w = noodles_bgzf::io::Writer::new(Vec::new());
    w.write_all(data).unwrap();
    w.finish().unwrap()
}

/// An upload of `data` named `name` under `run`; its address.
async fn create(e: &Env, run: &str, name: &str, data: &[u8]) -> String {
    let md5 = hex::encode(Md5::digest(data));
    let sha = hex::encode(Sha256::digest(data));
    let r = e
        .tus_create(
            "centre",
            data.len(),
            &[
                ("filename", name),
                ("parent", run),
                ("format", "fastq"),
                ("md5", &md5),
                ("sha256", &sha),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.headers["location"].to_str().unwrap().to_string()
}

/// A PATCH whose client goes away once the server has taken `bytes`: the
/// request is dropped (as hyper drops it when the connection dies) after the
/// server asked for more, before it answered.
async fn patch_then_vanish(e: &Env, url: &str, offset: usize, bytes: &[u8]) {
    let (seen_tx, seen_rx) = tokio::sync::oneshot::channel::<()>();
    let mut seen_tx = Some(seen_tx);
    let mut chunk = Some(bytes::Bytes::copy_from_slice(bytes));
    let stream = futures_util::stream::poll_fn(move |_| match chunk.take() {
        Some(c) => Poll::Ready(Some(Ok::<_, std::io::Error>(c))),
        None => {
            // everything sent was taken in; the client now disappears
            if let Some(t) = seen_tx.take() {
                let _ = t.send(());
            }
            Poll::Pending
        }
    });
    let req = Request::patch(url)
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", e.tokens["centre"]),
        )
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", offset.to_string())
        .header(header::CONTENT_TYPE, "application/offset+octet-stream")
        .body(Body::from_stream(stream))
        .unwrap();
    tokio::select! {
        r = e.send(req) => panic!("the request cannot end: {} {}", r.status, r.text),
        _ = seen_rx => {}
    }
}

/// The same application started again over the same database and data
/// directory (what a restart, or a `kill -9` and a restart, leaves).
fn restart(e: &Env) -> Env {
    let app = zenome_app::App::new(
        e.app.store().clone(),
        e.seal.clone(),
        e.app.config().clone(),
    )
    .unwrap();
    Env {
        router: zenome_server::router(app.clone()),
        app,
        tokens: e.tokens.clone(),
        passwords: e.passwords.clone(),
        seal: e.seal.clone(),
        _dir: None,
    }
}

/// Sends the rest from the offset the server gives, then checks the file
/// is stored and reads back byte for byte.
async fn resume_and_check(e: &Env, url: &str, data: &[u8], what: &str) {
    let at = e.tus_head("centre", url).await as usize;
    let p = e.tus_patch("centre", url, at, &data[at..]).await;
    assert_eq!(p.status, StatusCode::NO_CONTENT, "{what}: {}", p.text);
    let st = e.call("GET", url, Some("centre"), None).await.json;
    assert_eq!(st["state"], "stored", "{what}: {st}");
    let object = st["object_id"].as_str().unwrap();
    let (status, back, _) = e
        .raw(
            &format!("/ga4gh/drs/v1/objects/{object}/data/plain"),
            "staff",
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{what}");
    assert!(
        back == data,
        "{what}: the resumed file is byte for byte the original"
    );
}

/// Cut points inside a FASTQ record (never at a line end) and inside BGZF
/// blocks, including inside the first block's header (before the format
/// can be told from the bytes).
/// 3,000 reads drawn from `seed`, BGZF-compressed if `gz`.
fn sample(seed: u64, gz: bool) -> Vec<u8> {
    let plain = fastq(3000, seed);
    if gz { bgzip(&plain) } else { plain }
}

fn cuts(data: &[u8], gz: bool) -> Vec<usize> {
    let n = data.len();
    let mut c = vec![n / 3 + 17, n / 2 + 101, n - 35];
    if gz {
        c.extend([10, 70_001]);
    } else {
        c.push(150_001);
    }
    for x in &mut c {
        while data[*x - 1] == b'\n' {
            *x += 1;
        }
    }
    c
}

async fn a_client_that_vanishes_mid_record_or_mid_block_resumes_byte_identical(e: Env) {
    let (_, run) = e.run().await;
    // identical content is refused (finding 1), so every attempt sends other reads
    for (name, seed) in [("v.fastq", 21), ("v.fastq.gz", 22)] {
        let gz = name.ends_with(".gz");
        for k in 0..cuts(&sample(seed, gz), gz).len() {
            let data = &sample(seed + 100 * k as u64, gz);
            let cut = cuts(data, gz)[k];
            let what = format!("{name} cut at {cut}");
            let url = create(&e, &run, name, data).await;
            // an acknowledged first part, so the vanished request starts mid-file
            let first = cut / 2;
            let p = e.tus_patch("centre", &url, 0, &data[..first]).await;
            assert_eq!(p.status, StatusCode::NO_CONTENT, "{what}: {}", p.text);
            patch_then_vanish(&e, &url, first, &data[first..cut]).await;
            // the server acknowledges only what it made durable
            assert_eq!(e.tus_head("centre", &url).await, first as u64, "{what}");
            resume_and_check(&e, &url, data, &what).await;
        }
    }
}

async fn an_upload_cut_inside_a_record_or_a_bgzf_block_resumes_after_a_restart(e: Env) {
    let (_, run) = e.run().await;
    // `.bgz`: the name does not tell the format, the bytes must
    for (name, seed) in [("r.fastq", 23), ("r.fastq.gz", 24), ("r.fastq.bgz", 25)] {
        let gz = name.ends_with("gz");
        for k in 0..cuts(&sample(seed, gz), gz).len() {
            let data = &sample(seed + 100 * k as u64, gz);
            let cut = cuts(data, gz)[k];
            let what = format!("{name} cut at {cut}");
            let url = create(&e, &run, name, data).await;
            let p = e.tus_patch("centre", &url, 0, &data[..cut]).await;
            assert_eq!(p.status, StatusCode::NO_CONTENT, "{what}: {}", p.text);
            // the server stops; the new one resumes from the staged bytes
            let restarted = restart(&e);
            assert_eq!(
                restarted.tus_head("centre", &url).await,
                cut as u64,
                "{what}"
            );
            resume_and_check(&restarted, &url, data, &what).await;
        }
    }
}

/// All the files under `dir`.
fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

async fn an_upload_whose_bytes_were_all_staged_is_finished_on_head_and_at_start_up(e: Env) {
    let (_, run) = e.run().await;
    let a = fastq(1500, 31);
    let b = fastq(1500, 32);
    let url_a = create(&e, &run, "a.fastq", &a).await;
    let url_b = create(&e, &run, "b.fastq", &b).await;
    // one store cannot be written: the last byte is durable, the
    // registration fails — what a crash at that moment leaves
    let objects = e.app.config().data_dir.join("objects");
    let cold_b = objects.join("cold-b");
    let aside = objects.join("cold-b.aside");
    std::fs::rename(&cold_b, &aside).unwrap();
    std::fs::write(&cold_b, b"not a directory").unwrap();
    for (url, data) in [(&url_a, &a), (&url_b, &b)] {
        let p = e.tus_patch("centre", url, 0, data).await;
        assert_eq!(p.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", p.text);
        let st = e
            .app
            .store()
            .upload(url.rsplit('/').next().unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (st.state.as_str(), st.received),
            ("receiving", data.len() as i64)
        );
    }
    std::fs::remove_file(&cold_b).unwrap();
    std::fs::rename(&aside, &cold_b).unwrap();
    // a copy interrupted half way, as `kill -9` leaves it
    let partial = cold_b.join("sha256/ab/.abcdef.c4gh.partial");
    std::fs::create_dir_all(partial.parent().unwrap()).unwrap();
    std::fs::write(&partial, b"half a copy").unwrap();
    // and a write object_store's local backend had staged (an index, a repair)
    let staged = objects.join("hot/sha256/cd/cdef.index#7");
    std::fs::create_dir_all(staged.parent().unwrap()).unwrap();
    std::fs::write(&staged, b"half an index").unwrap();

    let restarted = restart(&e);
    // a HEAD for such an upload finishes it
    assert_eq!(restarted.tus_head("centre", &url_a).await, a.len() as u64);
    let st = restarted
        .call("GET", &url_a, Some("centre"), None)
        .await
        .json;
    assert_eq!(st["state"], "stored", "{st}");
    // start-up recovery finishes the other and removes the partial file
    let r = restarted
        .app
        .recover_uploads(std::time::SystemTime::now())
        .await
        .unwrap();
    let id_b = url_b.rsplit('/').next().unwrap();
    assert_eq!(r.finished, vec![(id_b.to_string(), "stored".to_string())]);
    assert!(r.failed.is_empty(), "{r:?}");
    let mut removed = r.partials.clone();
    removed.sort();
    let mut planted = vec![partial.clone(), staged.clone()];
    planted.sort();
    assert_eq!(removed, planted);
    assert!(!partial.exists() && !staged.exists());
    let st = restarted
        .call("GET", &url_b, Some("centre"), None)
        .await
        .json;
    assert_eq!(st["state"], "stored", "{st}");
    for (url, data) in [(&url_a, &a), (&url_b, &b)] {
        let st = restarted.call("GET", url, Some("centre"), None).await.json;
        let object = st["object_id"].as_str().unwrap();
        let (_, back, _) = restarted
            .raw(
                &format!("/ga4gh/drs/v1/objects/{object}/data/plain"),
                "staff",
                None,
                None,
            )
            .await;
        assert!(back == **data, "byte for byte");
    }
    // nothing is left: no staging, no partial file in any store
    let data_dir = &restarted.app.config().data_dir;
    assert!(files_under(&data_dir.join("staging")).is_empty());
    assert!(
        files_under(&objects)
            .iter()
            .all(|p| !p.to_string_lossy().ends_with(".partial"))
    );
}

/// The lineage node an upload fills.
async fn node_of(e: &Env, url: &str) -> NodeId {
    let id = url.rsplit('/').next().unwrap();
    let row = e.app.store().upload(id).await.unwrap().unwrap();
    NodeId::new(row.node_id)
}

async fn a_failed_upload_removes_the_placeholder_it_made(e: Env) {
    let (_, run) = e.run().await;
    // rejected: a malformed file
    let mut bad = fastq(200, 41);
    let at = bad.len() / 2;
    bad[at] = b'\n';
    let url = create(&e, &run, "bad.fastq", &bad).await;
    let node = node_of(&e, &url).await;
    assert!(e.app.store().node(&node).await.unwrap().is_some());
    let p = e.tus_patch("centre", &url, 0, &bad).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.text);
    assert!(
        e.app.store().node(&node).await.unwrap().is_none(),
        "the rejected upload's placeholder is gone"
    );
    assert_eq!(
        e.call("GET", &url, Some("centre"), None).await.json["state"],
        "rejected",
        "its record stays readable"
    );
    // cancelled part-way
    let data = fastq(200, 42);
    let url = create(&e, &run, "c.fastq", &data).await;
    let node = node_of(&e, &url).await;
    e.tus_patch("centre", &url, 0, &data[..1000]).await;
    let r = e.call("DELETE", &url, Some("centre"), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert!(e.app.store().node(&node).await.unwrap().is_none());
    // a placeholder registered beforehand (not made by the upload) stays
    let r = e
        .call(
            "POST",
            "/api/v1/lineage/nodes",
            Some("centre"),
            Some(serde_json::json!({"kind": "file", "parent_id": run, "format": "fastq"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let expected = r.json["id"].as_str().unwrap().to_string();
    let (md5, sha) = (
        hex::encode(Md5::digest(&bad)),
        hex::encode(Sha256::digest(&bad)),
    );
    let r = e
        .tus_create(
            "centre",
            bad.len(),
            &[
                ("filename", "bad.fastq"),
                ("node", &expected),
                ("md5", &md5),
                ("sha256", &sha),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let url = r.headers["location"].to_str().unwrap().to_string();
    let p = e.tus_patch("centre", &url, 0, &bad).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.text);
    assert!(
        e.app
            .store()
            .node(&NodeId::new(expected))
            .await
            .unwrap()
            .is_some(),
        "a placeholder the upload did not make is kept"
    );
}

async fn tus_numbers_with_a_sign_or_spaces_are_refused(e: Env) {
    let (_, run) = e.run().await;
    let data = fastq(50, 51);
    let md5 = hex::encode(Md5::digest(&data));
    let meta = [
        ("filename", "n.fastq"),
        ("parent", run.as_str()),
        ("format", "fastq"),
        ("md5", md5.as_str()),
    ]
    .iter()
    .map(|(k, v)| {
        format!(
            "{k} {}",
            base64::engine::general_purpose::STANDARD.encode(v)
        )
    })
    .collect::<Vec<_>>()
    .join(",");
    let post = |length: &str| {
        Request::post("/api/v1/uploads")
            .header(
                header::AUTHORIZATION,
                format!("Bearer {}", e.tokens["centre"]),
            )
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Length", length)
            .header("Upload-Metadata", meta.clone())
            .body(Body::empty())
            .unwrap()
    };
    let n = data.len();
    for bad in [
        format!("+{n}"),
        format!("-{n}"),
        format!(" {n}"),
        format!("{n} "),
        format!("0x{n:x}"),
        String::new(),
    ] {
        let r = e.send(post(&bad)).await;
        assert!(
            r.status.is_client_error(),
            "Upload-Length {bad:?}: {}",
            r.status
        );
        assert_eq!(r.json["field"], "Upload-Length", "{bad:?}: {}", r.text);
    }
    let r = e.send(post(&n.to_string())).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let url = r.headers["location"].to_str().unwrap().to_string();
    for bad in ["+0", "-0", " 0", "0 "] {
        let req = Request::patch(&url)
            .header(
                header::AUTHORIZATION,
                format!("Bearer {}", e.tokens["centre"]),
            )
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Offset", bad)
            .header(header::CONTENT_TYPE, "application/offset+octet-stream")
            .body(Body::from(data.clone()))
            .unwrap();
        let r = e.send(req).await;
        assert!(
            r.status.is_client_error(),
            "Upload-Offset {bad:?}: {}",
            r.status
        );
        assert_eq!(r.json["field"], "Upload-Offset", "{bad:?}: {}", r.text);
    }
    assert_eq!(e.tus_head("centre", &url).await, 0, "no byte was taken");
}

async fn file_names_with_bidi_or_control_characters_are_refused(e: Env) {
    let (_, run) = e.run().await;
    let data = fastq(50, 61);
    let md5 = hex::encode(Md5::digest(&data));
    for c in [
        '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}',
        '\u{2068}', '\u{2069}', '\u{200E}', '\u{200F}', '\u{061C}', '\u{1B}', '\t', '\u{7F}',
        '\u{85}',
    ] {
        let name = format!("sample{c}qtsaf.fastq");
        let r = e
            .tus_create(
                "centre",
                data.len(),
                &[
                    ("filename", &name),
                    ("parent", &run),
                    ("format", "fastq"),
                    ("md5", &md5),
                ],
            )
            .await;
        assert!(
            r.status.is_client_error(),
            "U+{:04X}: {}",
            u32::from(c),
            r.status
        );
        assert_eq!(r.json["field"], "filename", "{}", r.text);
    }
    // names in other scripts are fine
    let r = e
        .tus_create(
            "centre",
            data.len(),
            &[
                ("filename", "検体_R1.fastq"),
                ("parent", &run),
                ("format", "fastq"),
                ("md5", &md5),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

crate::on_both_engines!(
    a_client_that_vanishes_mid_record_or_mid_block_resumes_byte_identical,
    an_upload_cut_inside_a_record_or_a_bgzf_block_resumes_after_a_restart,
    an_upload_whose_bytes_were_all_staged_is_finished_on_head_and_at_start_up,
    a_failed_upload_removes_the_placeholder_it_made,
    tus_numbers_with_a_sign_or_spaces_are_refused,
    file_names_with_bidi_or_control_characters_are_refused,
);
