//! htsget on stored, encrypted objects, checked with the reference tools:
//! a region's pieces, fetched as a client would (byte ranges of the plain
//! DRS access, or inline data), concatenate to a valid file with the same
//! records in that region as the original (samtools, bcftools).

use base64::Engine as _;
use http::{StatusCode, header};
use serde_json::json;

use crate::harness::Env;

/// `ZENOME_TESTDATA`, default `../shared/data` beside the checkout.
pub fn testdata() -> Option<std::path::PathBuf> {
    let p = std::env::var_os("ZENOME_TESTDATA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
        });
    if p.is_dir() {
        return Some(p);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "the test data folder {} is required under CI",
        p.display()
    );
    eprintln!("note: no test data at {}; skipping", p.display());
    None
}

fn tool(name: &str) -> bool {
    let ok = std::process::Command::new(name)
        .arg("--version")
        .output()
        .is_ok();
    assert!(
        ok || std::env::var_os("CI").is_none(),
        "{name} is required under CI"
    );
    if !ok {
        eprintln!("note: {name} is not installed; skipping");
    }
    ok
}

fn sh(cmd: &str) -> String {
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{cmd}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn upload(e: &Env, parent: &str, format: &str, name: &str, bytes: &[u8]) -> String {
    use md5::Digest;
    let md5 = hex::encode(md5::Md5::digest(bytes));
    let r = e
        .tus_create(
            "centre",
            bytes.len(),
            &[
                ("filename", name),
                ("parent", parent),
                ("format", format),
                ("md5", &md5),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let url = r.headers["location"].to_str().unwrap().to_string();
    let p = e.tus_patch("centre", &url, 0, bytes).await;
    assert_eq!(p.status, StatusCode::NO_CONTENT, "{}", p.text);
    let st = e.call("GET", &url, Some("centre"), None).await.json;
    assert_eq!(st["state"], "stored", "{st}");
    st["object_id"].as_str().unwrap().to_string()
}

/// Fetches every piece of a ticket and concatenates them.
async fn fetch(e: &Env, ticket: &serde_json::Value) -> Vec<u8> {
    let mut out = Vec::new();
    for u in ticket["htsget"]["urls"].as_array().unwrap() {
        let url = u["url"].as_str().unwrap();
        if let Some(b64) = url.strip_prefix("data:application/octet-stream;base64,") {
            out.extend(
                base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .unwrap(),
            );
            continue;
        }
        let path = url
            .split_once("://")
            .map(|(_, r)| &r[r.find('/').unwrap()..])
            .unwrap();
        assert!(url.starts_with(crate::harness::PUBLIC_URL), "{url}");
        // a single-purpose token, never the caller's own
        let auth = u["headers"]["Authorization"].as_str().unwrap();
        assert!(auth.starts_with("Bearer zt_"), "{auth}");
        assert!(!auth.contains(&e.tokens["staff"]));
        let mut req = http::Request::get(path).header(header::AUTHORIZATION, auth);
        if let Some(r) = u["headers"]["Range"].as_str() {
            req = req.header(header::RANGE, r);
        }
        let resp = tower::ServiceExt::oneshot(
            e.router.clone(),
            req.body(axum::body::Body::empty()).unwrap(),
        )
        .await
        .unwrap();
        assert!(resp.status().is_success(), "{}", resp.status());
        out.extend(
            axum::body::to_bytes(resp.into_body(), 1 << 30)
                .await
                .unwrap(),
        );
    }
    out
}

#[tokio::test]
async fn bam_regions_through_htsget_match_samtools() {
    let Some(data) = testdata() else { return };
    if !tool("samtools") {
        return;
    }
    let e = crate::harness::env().await;
    let (s, run) = e.run().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let src = data.join("align/htslib/range.bam");
    // the sample is named by the participant's pseudonymous id, as ingest requires
    sh(&format!(
        "samtools view -H --no-PG {src} | sed -E 's/(SM:)[^\\t]*/\\1{pid}/' > {d}/h.sam && samtools reheader --no-PG {d}/h.sam {src} > {d}/in.bam && samtools index {d}/in.bam",
        src = src.display(),
        pid = s.pid
    ));
    let bytes = std::fs::read(dir.path().join("in.bam")).unwrap();
    let object = upload(&e, &run, "bam", "in.bam", &bytes).await;
    assert!(
        e.app
            .store()
            .object(&object)
            .await
            .unwrap()
            .unwrap()
            .index_key
            .is_some(),
        "a BAI was built at ingest"
    );
    let refs = sh(&format!(
        "samtools idxstats {d}/in.bam | cut -f1,2 | grep -v '^\\*'"
    ));
    let mut checked = 0;
    for line in refs.lines().take(3) {
        let (name, len) = line.split_once('\t').unwrap();
        let len: u64 = len.parse().unwrap();
        for (start, end) in [(0, len), (len / 4, len / 2), (len / 3, len / 3 + 1000)] {
            let r = e.call("GET", &format!("/htsget/reads/{object}?format=BAM&referenceName={name}&start={start}&end={end}"), Some("staff"), None).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
            assert_eq!(r.json["htsget"]["format"], "BAM");
            let slice = fetch(&e, &r.json).await;
            std::fs::write(dir.path().join("slice.bam"), &slice).unwrap();
            sh(&format!(
                "samtools quickcheck {d}/slice.bam && samtools index {d}/slice.bam"
            ));
            let region = format!("{name}:{}-{end}", start + 1);
            let want = sh(&format!("samtools view -c {d}/in.bam {region}"));
            let got = sh(&format!("samtools view -c {d}/slice.bam {region}"));
            assert_eq!(got, want, "{region}");
            checked += 1;
        }
    }
    assert!(checked >= 3);
    // a header-only ticket, a region beyond the contig, an unknown contig
    let r = e
        .call(
            "GET",
            &format!("/htsget/reads/{object}?class=header"),
            Some("staff"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let (name, len) = refs.lines().next().unwrap().split_once('\t').unwrap();
    let len: u64 = len.parse().unwrap();
    let r = e
        .call(
            "GET",
            &format!(
                "/htsget/reads/{object}?referenceName={name}&start={}&end={}",
                len + 10,
                len + 20
            ),
            Some("staff"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(r.json["htsget"]["error"], "InvalidRange");
    let r = e
        .call(
            "GET",
            &format!("/htsget/reads/{object}?referenceName=nosuchcontig"),
            Some("staff"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json["htsget"]["error"], "NotFound");
    // who may not
    let r = e
        .call(
            "GET",
            &format!("/htsget/reads/{object}"),
            Some("academic"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.json["htsget"]["error"], "PermissionDenied");
    let r = e
        .call("GET", &format!("/htsget/reads/{object}"), None, None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = e
        .call(
            "GET",
            &format!("/htsget/variants/{object}"),
            Some("staff"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn vcf_regions_through_htsget_match_bcftools() {
    let Some(data) = testdata() else { return };
    if !tool("bcftools") || !tool("bgzip") {
        return;
    }
    let e = crate::harness::env().await;
    let (s, run) = e.run().await;
    let r = e
        .call(
            "POST",
            "/api/v1/lineage/nodes",
            Some("centre"),
            Some(json!({"kind": "file", "parent_id": run, "format": "cram"})),
        )
        .await;
    let cram = r.json["id"].as_str().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let src = data.join("vcf/cohort/shapeit4-1kg-chr20-300samples.vcf.gz");
    let first = sh(&format!("bcftools query -l {} | head -n 1", src.display()))
        .trim()
        .to_string();
    sh(&format!(
        "echo {pid} > {d}/names && bcftools view --no-version -s {first} {src} | bcftools reheader -s {d}/names | bgzip -c > {d}/in.vcf.gz && bcftools index -t {d}/in.vcf.gz",
        pid = s.pid,
        src = src.display()
    ));
    let bytes = std::fs::read(dir.path().join("in.vcf.gz")).unwrap();
    let object = upload(&e, &cram, "vcf", "in.vcf.gz", &bytes).await;
    let contig = sh(&format!(
        "bcftools query -f '%CHROM\\n' {d}/in.vcf.gz | head -n 1"
    ))
    .trim()
    .to_string();
    for (start, end) in [
        (0u64, 5_000_000u64),
        (2_000_000, 2_300_000),
        (3_999_000, 3_999_900),
    ] {
        let r = e.call("GET", &format!("/htsget/variants/{object}?format=VCF&referenceName={contig}&start={start}&end={end}"), Some("staff"), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let slice = fetch(&e, &r.json).await;
        std::fs::write(dir.path().join("slice.vcf.gz"), &slice).unwrap();
        let region = format!("{contig}:{}-{end}", start + 1);
        sh(&format!("bcftools index -f -t {d}/slice.vcf.gz"));
        let want = sh(&format!(
            "bcftools view -H -r {region} {d}/in.vcf.gz | wc -l"
        ));
        let got = sh(&format!(
            "bcftools view -H -r {region} {d}/slice.vcf.gz | wc -l"
        ));
        assert_eq!(got, want, "{region}");
    }
}

/// A small bgzipped VCF of the seeded participant, stored under a CRAM
/// placeholder; `None` without `bgzip`.
async fn small_vcf(e: &Env) -> Option<String> {
    if !tool("bgzip") {
        return None;
    }
    let (s, run) = e.run().await;
    let r = e
        .call(
            "POST",
            "/api/v1/lineage/nodes",
            Some("centre"),
            Some(json!({"kind": "file", "parent_id": run, "format": "cram"})),
        )
        .await;
    let cram = r.json["id"].as_str().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let mut vcf = format!(
        "##fileformat=VCFv4.2\n##contig=<ID=20,length=64444167>\n##FILTER=<ID=PASS,Description=\"All filters passed\">\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t{}\n",
        s.pid
    );
    for i in 1..=200 {
        vcf.push_str(&format!(
            "20\t{}\t.\tA\tC\t50\tPASS\t.\tGT\t0/1\n",
            i * 1000
        ));
    }
    std::fs::write(dir.path().join("in.vcf"), vcf).unwrap();
    sh(&format!("bgzip -f {}/in.vcf", dir.path().display()));
    let bytes = std::fs::read(dir.path().join("in.vcf.gz")).unwrap();
    Some(upload(e, &cram, "vcf", "in.vcf.gz", &bytes).await)
}

async fn get_with(e: &Env, uri: &str, headers: &[(&str, &str)]) -> (StatusCode, Vec<u8>) {
    let mut req = http::Request::get(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = tower::ServiceExt::oneshot(
        e.router.clone(),
        req.body(axum::body::Body::empty()).unwrap(),
    )
    .await
    .unwrap();
    let st = resp.status();
    (
        st,
        axum::body::to_bytes(resp.into_body(), 1 << 30)
            .await
            .unwrap()
            .to_vec(),
    )
}

#[tokio::test]
async fn htsget_tickets_use_the_public_url_and_a_single_purpose_token() {
    let e = crate::harness::env().await;
    let Some(object) = small_vcf(&e).await else {
        return;
    };
    let staff = format!("Bearer {}", e.tokens["staff"]);
    let (st, body) = get_with(
        &e,
        &format!("/htsget/variants/{object}?format=VCF"),
        &[("authorization", &staff), ("host", "attacker.example")],
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let ticket: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let text = ticket.to_string();
    assert!(!text.contains("attacker.example"), "{text}");
    assert!(
        !text.contains(&e.tokens["staff"]),
        "the caller's token is not in the ticket"
    );
    let piece = ticket["htsget"]["urls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["headers"]["Range"].is_string())
        .expect("a range piece")
        .clone();
    let url = piece["url"].as_str().unwrap();
    assert!(url.starts_with(crate::harness::PUBLIC_URL), "{url}");
    let path = &url[crate::harness::PUBLIC_URL.len()..];
    let auth = piece["headers"]["Authorization"].as_str().unwrap();
    let range = piece["headers"]["Range"].as_str().unwrap();
    assert!(auth.starts_with("Bearer zt_"), "{auth}");
    // good for exactly that request
    let (st, bytes) = get_with(&e, path, &[("authorization", auth), ("range", range)]).await;
    assert!(st.is_success(), "{st}");
    assert!(!bytes.is_empty());
    // and nothing else: another range, the whole file, another delivery,
    // another object, the API
    let other = path.replace(&object, "0190e0b2-0000-7000-8000-000000000000");
    let c4gh = path.replace("/data/plain", "/data/crypt4gh");
    for (uri, hs) in [
        (path, vec![("authorization", auth), ("range", "bytes=0-1")]),
        (path, vec![("authorization", auth)]),
        (
            c4gh.as_str(),
            vec![("authorization", auth), ("range", range)],
        ),
        (
            other.as_str(),
            vec![("authorization", auth), ("range", range)],
        ),
        ("/api/v1/me", vec![("authorization", auth)]),
        (
            &format!("/ga4gh/drs/v1/objects/{object}"),
            vec![("authorization", auth)],
        ),
    ] {
        let (st, _) = get_with(&e, uri, &hs).await;
        assert_eq!(st, StatusCode::UNAUTHORIZED, "{uri} {hs:?}");
    }
    // a tampered token
    let forged = format!("{}x", auth);
    let (st, _) = get_with(&e, path, &[("authorization", &forged), ("range", range)]).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    // DRS access URLs ignore the Host header too
    let (st, body) = get_with(
        &e,
        &format!("/ga4gh/drs/v1/objects/{object}/access/plain"),
        &[("authorization", &staff), ("host", "attacker.example")],
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    let access: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert!(
        access["url"]
            .as_str()
            .unwrap()
            .starts_with(crate::harness::PUBLIC_URL),
        "{access}"
    );
}

/// Asks for a VCF ticket as `bearer` and returns its first ranged piece:
/// the data path (under the public URL), its `Authorization` and `Range`.
async fn ranged_piece(e: &Env, bearer: &str, object: &str) -> (String, String, String) {
    let (st, body) = get_with(
        e,
        &format!("/htsget/variants/{object}?format=VCF"),
        &[("authorization", bearer)],
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    let ticket: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let piece = ticket["htsget"]["urls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["headers"]["Range"].is_string())
        .unwrap()
        .clone();
    let text = |v: &serde_json::Value| v.as_str().unwrap().to_string();
    (
        text(&piece["url"])[crate::harness::PUBLIC_URL.len()..].to_string(),
        text(&piece["headers"]["Authorization"]),
        text(&piece["headers"]["Range"]),
    )
}

#[tokio::test]
async fn an_expired_ticket_token_is_refused() {
    let mut c = crate::harness::config();
    c.files.htsget_ticket_secs = 0;
    let e = crate::harness::env_with(c).await;
    let Some(object) = small_vcf(&e).await else {
        return;
    };
    let staff = format!("Bearer {}", e.tokens["staff"]);
    let (path, auth, range) = ranged_piece(&e, &staff, &object).await;
    let (st, _) = get_with(&e, &path, &[("authorization", &auth), ("range", &range)]).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn without_a_public_url_tickets_and_access_urls_are_refused() {
    let mut c = crate::harness::config();
    c.public_url = None;
    let e = crate::harness::env_with(c).await;
    let Some(object) = small_vcf(&e).await else {
        return;
    };
    let staff = format!("Bearer {}", e.tokens["staff"]);
    for uri in [
        format!("/htsget/variants/{object}?format=VCF"),
        format!("/ga4gh/drs/v1/objects/{object}/access/plain"),
    ] {
        let (st, body) = get_with(
            &e,
            &uri,
            &[("authorization", &staff), ("host", "attacker.example")],
        )
        .await;
        assert!(st.is_server_error(), "{uri}: {st}");
        assert!(!String::from_utf8_lossy(&body).contains("attacker.example"));
    }
}

/// The GA4GH client in htslib follows a ticket over a real socket: it sends
/// each piece's own headers (the single-purpose token), not the caller's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bcftools_reads_a_vcf_through_an_htsget_ticket_over_a_socket() {
    if !tool("bcftools") {
        return;
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut c = crate::harness::config();
    c.public_url = Some(format!("http://{addr}"));
    let e = crate::harness::env_with(c).await;
    let Some(object) = small_vcf(&e).await else {
        return;
    };
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(zenome_server::serve(e.app.clone(), listener, async {
        let _ = stop_rx.await;
    }));
    let dir = tempfile::tempdir().unwrap();
    let auth = dir.path().join("token");
    std::fs::write(&auth, &e.tokens["staff"]).unwrap();
    let cmd = format!(
        "HTS_AUTH_LOCATION={a} HTS_ALLOW_UNENCRYPTED_AUTHORIZATION_HEADER='I understand the risks' bcftools view -H 'http://{addr}/htsget/variants/{object}?format=VCF' | wc -l",
        a = auth.display()
    );
    let out = tokio::task::spawn_blocking(move || sh(&cmd)).await.unwrap();
    assert_eq!(out.trim(), "200");
    let _ = stop_tx.send(());
    server.await.unwrap().unwrap();
}

/// samtools reads a BAM through an htsget URL over a real socket with the
/// caller's bearer token (htslib's `HTS_AUTH_LOCATION`), as a researcher
/// does with the URL the grant's file list gives: the same reads as the
/// file itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn samtools_reads_a_bam_through_an_htsget_url_over_a_socket() {
    let Some(data) = testdata() else { return };
    if !tool("samtools") {
        return;
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut c = crate::harness::config();
    c.public_url = Some(format!("http://{addr}"));
    let e = crate::harness::env_with(c).await;
    let (s, run) = e.run().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let src = data.join("align/htslib/range.bam");
    sh(&format!(
        "samtools view -H --no-PG {src} | sed -E 's/(SM:)[^\\t]*/\\1{pid}/' > {d}/h.sam && samtools reheader --no-PG {d}/h.sam {src} > {d}/in.bam && samtools index {d}/in.bam",
        src = src.display(),
        pid = s.pid
    ));
    let bytes = std::fs::read(dir.path().join("in.bam")).unwrap();
    let object = upload(&e, &run, "bam", "in.bam", &bytes).await;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(zenome_server::serve(e.app.clone(), listener, async {
        let _ = stop_rx.await;
    }));
    let auth = dir.path().join("token");
    std::fs::write(&auth, &e.tokens["staff"]).unwrap();
    let cmd = format!(
        "HTS_AUTH_LOCATION={a} HTS_ALLOW_UNENCRYPTED_AUTHORIZATION_HEADER='I understand the risks' samtools view -c 'http://{addr}/htsget/reads/{object}?format=BAM'",
        a = auth.display()
    );
    let got = tokio::task::spawn_blocking(move || sh(&cmd)).await.unwrap();
    let want = sh(&format!("samtools view -c {d}/in.bam"));
    assert_eq!(got.trim(), want.trim());
    assert!(want.trim().parse::<u64>().unwrap() > 0);
    let _ = stop_tx.send(());
    server.await.unwrap().unwrap();
}

/// A ticket's single-purpose tokens were checked against a disabled user
/// only: one issued under a login session kept opening data after that
/// session logged out. It now dies with the session or token it was issued
/// under.
#[tokio::test]
async fn a_ticket_dies_with_the_session_it_was_issued_under() {
    let e = crate::harness::env().await;
    let Some(object) = small_vcf(&e).await else {
        panic!("bgzip is needed for this test");
    };
    let staff = format!("Bearer {}", e.tokens["staff"]);
    let (path, auth, range) = ranged_piece(&e, &staff, &object).await;
    let headers = [("authorization", auth.as_str()), ("range", range.as_str())];
    let (st, _) = get_with(&e, &path, &headers).await;
    assert!(st.is_success(), "the fresh ticket reads: {st}");
    let r = e
        .call("POST", "/api/v1/auth/logout", Some("staff"), None)
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    let (st, _) = get_with(&e, &path, &headers).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
}
