//! Sequencing data end to end: tus uploads that hash, validate and encrypt
//! as the bytes arrive; rejection of bad files with nothing visible; resume
//! after an interruption and after a restart; copies in two stores; DRS
//! reads (plain and Crypt4GH re-encrypted, with ranges) checked against
//! grants; the scrub.

use axum::body::Body;
use base64::Engine as _;
use http::{Request, StatusCode, header};
use md5::Md5;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::harness::{Env, Resp};

/// A synthetic, well-formed FASTQ of `reads` reads of 100 bases, high quality.
pub fn fastq(reads: usize, seed: u64) -> Vec<u8> {
    fastq_q(reads, seed, b'?')
}

/// The same with qualities from `q0` (Phred+33) up to nine above it.
pub fn fastq_q(reads: usize, seed: u64, q0: u8) -> Vec<u8> {
    let mut out = Vec::new();
    let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    for i in 0..reads {
        out.extend_from_slice(format!("@read{i}/1\n").as_bytes());
        for _ in 0..100 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            out.push(b"ACGT"[(x >> 33) as usize % 4]);
        }
        out.extend_from_slice(b"\n+\n");
        for _ in 0..100 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            out.push(q0 + ((x >> 40) as u8 % 10));
        }
        out.push(b'\n');
    }
    out
}

fn hexes(b: &[u8]) -> (String, String) {
    (hex::encode(Md5::digest(b)), hex::encode(Sha256::digest(b)))
}

fn meta(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{k} {}",
                base64::engine::general_purpose::STANDARD.encode(v)
            )
        })
        .collect::<Vec<_>>()
        .join(",")
}

impl Env {
    /// A sequencing run of `library` and an expected CRAM placeholder under
    /// it, registered by the centre; returns the CRAM node's id.
    pub async fn cram_placeholder(&self, library: &str) -> String {
        let run_id = format!("RUN-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let r = self
            .call("POST", "/api/v1/lineage/nodes", Some("centre"), Some(json!({"kind": "sequencing_run", "parent_id": library, "centre": "SEQ-KZ", "run_id": run_id, "instrument": "NovaSeq X", "run_date": "2026-06-01"})))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let run = r.json["id"].as_str().unwrap().to_string();
        let r = self
            .call(
                "POST",
                "/api/v1/lineage/nodes",
                Some("centre"),
                Some(json!({"kind": "file", "parent_id": run, "format": "cram"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.json["id"].as_str().unwrap().to_string()
    }

    /// A VCF sent whole into placeholder `node` by the sequencing centre, as
    /// a pipeline would: declared MD5 and SHA-256, the pipeline and the
    /// reference version, one PATCH; then the background work after ingest
    /// (variant load, fingerprints) is waited for. Returns the upload's
    /// final status (a refused file answers the PATCH with the reason; the
    /// status says it too).
    pub async fn send_vcf_file(
        &self,
        node: &str,
        name: &str,
        pipeline: &str,
        body: &[u8],
    ) -> Value {
        let md5 = hex::encode(Md5::digest(body));
        let sha = hex::encode(Sha256::digest(body));
        let r = self
            .tus_create(
                "centre",
                body.len(),
                &[
                    ("filename", name),
                    ("node", node),
                    ("md5", &md5),
                    ("sha256", &sha),
                    ("pipeline", pipeline),
                    ("reference", "GRCh37"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let url = r.headers["location"].to_str().unwrap().to_string();
        self.tus_patch("centre", &url, 0, body).await;
        self.app.settle_variant_loads().await;
        self.app.settle_identity().await;
        self.call("GET", &url, Some("centre"), None).await.json
    }

    pub async fn tus_create(&self, who: &str, length: usize, meta_pairs: &[(&str, &str)]) -> Resp {
        let req = Request::post("/api/v1/uploads")
            .header(
                header::AUTHORIZATION,
                format!("Bearer {}", self.tokens[who]),
            )
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Length", length.to_string())
            .header("Upload-Metadata", meta(meta_pairs))
            .body(Body::empty())
            .unwrap();
        self.send(req).await
    }

    pub async fn tus_patch(&self, who: &str, url: &str, offset: usize, bytes: &[u8]) -> Resp {
        let req = Request::patch(url)
            .header(
                header::AUTHORIZATION,
                format!("Bearer {}", self.tokens[who]),
            )
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Offset", offset.to_string())
            .header(header::CONTENT_TYPE, "application/offset+octet-stream")
            .body(Body::from(bytes.to_vec()))
            .unwrap();
        self.send(req).await
    }

    pub async fn tus_head(&self, who: &str, url: &str) -> u64 {
        let req = Request::head(url)
            .header(
                header::AUTHORIZATION,
                format!("Bearer {}", self.tokens[who]),
            )
            .header("Tus-Resumable", "1.0.0")
            .body(Body::empty())
            .unwrap();
        let r = self.send(req).await;
        r.headers["upload-offset"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap()
    }

    /// A sequencing run (by SEQ-KZ) under a seeded participant's library.
    pub async fn run(&self) -> (crate::harness::Seeded, String) {
        let s = self.seeded_participant().await;
        let r = self
            .call("POST", "/api/v1/lineage/nodes", Some("centre"), Some(json!({"kind": "sequencing_run", "parent_id": s.library.0, "centre": "SEQ-KZ", "run_id": "RUN-1", "instrument": "NovaSeq X", "run_date": "2026-06-01"})))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let run = r.json["id"].as_str().unwrap().to_string();
        (s, run)
    }

    /// Uploads `bytes` as a FASTQ under `run` in `chunks` pieces; returns the final status.
    pub async fn upload_fastq(&self, run: &str, bytes: &[u8], chunks: usize) -> serde_json::Value {
        let (md5, sha) = hexes(bytes);
        let r = self
            .tus_create(
                "centre",
                bytes.len(),
                &[
                    ("filename", "sample_R1.fastq"),
                    ("parent", run),
                    ("format", "fastq"),
                    ("md5", &md5),
                    ("sha256", &sha),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let url = r.headers["location"].to_str().unwrap().to_string();
        let step = bytes.len().div_ceil(chunks);
        let mut at = 0;
        while at < bytes.len() {
            let end = (at + step).min(bytes.len());
            let p = self.tus_patch("centre", &url, at, &bytes[at..end]).await;
            assert_eq!(p.status, StatusCode::NO_CONTENT, "{}", p.text);
            assert_eq!(
                p.headers["upload-offset"].to_str().unwrap(),
                end.to_string()
            );
            at = end;
        }
        self.call("GET", &url, Some("centre"), None).await.json
    }
}

fn store_files(e: &Env) -> Vec<std::path::PathBuf> {
    let root = e.app.config().data_dir.join("objects");
    let mut out = Vec::new();
    let mut stack = vec![root];
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
    out.sort();
    out
}

async fn a_fastq_is_hashed_validated_encrypted_stored_twice_and_served(e: Env) {
    let (s, run) = e.run().await;
    let data = fastq(3000, 1);
    let status = e.upload_fastq(&run, &data, 5).await;
    assert_eq!(status["state"], "stored", "{status}");
    let object = status["object_id"].as_str().unwrap().to_string();
    // two copies (cold-a, cold-b), both ciphertext
    let files = store_files(&e);
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(
        files.iter().any(|f| f.to_string_lossy().contains("cold-a"))
            && files.iter().any(|f| f.to_string_lossy().contains("cold-b"))
    );
    // two independent files: one store took the staged file by a hard link,
    // the staging name is gone, and the other store holds a real copy
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let (a, b) = (
            std::fs::metadata(&files[0]).unwrap(),
            std::fs::metadata(&files[1]).unwrap(),
        );
        assert_ne!(a.ino(), b.ino(), "the copies are separate files");
        assert_eq!((a.nlink(), b.nlink()), (1, 1), "no other name for a copy");
    }
    for f in &files {
        let stored = std::fs::read(f).unwrap();
        assert!(stored.starts_with(b"crypt4gh"));
        assert!(
            !stored.windows(20).any(|w| w == &data[..20]),
            "plaintext at rest"
        );
    }
    // the lineage shows the stored file under its run, with QC
    let n = e
        .call(
            "GET",
            &format!("/api/v1/participants/{}/lineage", s.pid),
            Some("facility"),
            None,
        )
        .await;
    let text = n.text.clone();
    assert!(
        text.contains("\"format\":\"fastq\"")
            && (text.contains("\"state\":\"stored\"") || text.contains("\"state\":\"qc_failed\"")),
        "{text}"
    );
    // DRS metadata with checksums
    let (md5, sha) = hexes(&data);
    let r = e
        .call(
            "GET",
            &format!("/ga4gh/drs/v1/objects/{object}"),
            Some("staff"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["size"], data.len());
    assert_eq!(
        r.json["checksums"][0],
        json!({"checksum": sha, "type": "sha-256"})
    );
    assert_eq!(r.json["checksums"][1]["checksum"], md5);
    assert!(r.json["self_uri"].as_str().unwrap().starts_with("drs://"));
    let r = e
        .call(
            "GET",
            &format!("/ga4gh/drs/v1/objects/{object}/access/crypt4gh"),
            Some("staff"),
            None,
        )
        .await;
    assert!(r.json["url"].as_str().unwrap().ends_with("/data/crypt4gh"));
    // plain bytes, whole and ranged (a resumed download)
    let url = format!("/ga4gh/drs/v1/objects/{object}/data/plain");
    let r = e.call("GET", &url, Some("staff"), None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(e.raw(&url, "staff", None, None).await.1, data);
    let (st, part, hdrs) = e.raw(&url, "staff", Some("bytes=70000-200000"), None).await;
    assert_eq!(st, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part, &data[70000..=200000]);
    assert_eq!(
        hdrs["content-range"],
        format!("bytes 70000-200000/{}", data.len())
    );
    // Crypt4GH for the requester's key: only they can open it
    let mine = zenome_crypt4gh::SecretKey::generate();
    let pk = base64::engine::general_purpose::STANDARD.encode(mine.public().as_bytes());
    let c4gh_url = format!("/ga4gh/drs/v1/objects/{object}/data/crypt4gh");
    let (st, enc, _) = e.raw(&c4gh_url, "staff", None, Some(&pk)).await;
    assert_eq!(st, StatusCode::OK);
    let mut plain = Vec::new();
    zenome_crypt4gh::decrypt(&enc[..], &mut plain, &mine).unwrap();
    assert_eq!(plain, data);
    assert!(
        zenome_crypt4gh::decrypt(
            &enc[..],
            &mut Vec::new(),
            &zenome_crypt4gh::SecretKey::generate()
        )
        .is_err()
    );
    // ... and resumable: two ranges put back together make the same file
    let (_, a, _) = e
        .raw(&c4gh_url, "staff", Some("bytes=0-99999"), Some(&pk))
        .await;
    let (_, b, _) = e
        .raw(&c4gh_url, "staff", Some("bytes=100000-"), Some(&pk))
        .await;
    let joined = [a, b].concat();
    let mut plain = Vec::new();
    zenome_crypt4gh::decrypt(&joined[..], &mut plain, &mine).unwrap();
    assert_eq!(plain, data);
    // the audit trail has the store and the downloads
    let audit = e.app.store().audit_recent(None, 200).await.unwrap();
    assert!(audit.iter().any(|a| a.action == "file.store"));
    assert!(audit.iter().any(|a| a.action == "data.download"));
}

impl Env {
    /// A raw GET returning status, bytes and headers.
    pub async fn raw(
        &self,
        url: &str,
        who: &str,
        range: Option<&str>,
        c4gh: Option<&str>,
    ) -> (StatusCode, Vec<u8>, http::HeaderMap) {
        let mut b = Request::get(url).header(
            header::AUTHORIZATION,
            format!("Bearer {}", self.tokens[who]),
        );
        if let Some(r) = range {
            b = b.header(header::RANGE, r);
        }
        if let Some(k) = c4gh {
            b = b.header("Crypt4GH-Public-Key", k);
        }
        let resp = tower::ServiceExt::oneshot(self.router.clone(), b.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let st = resp.status();
        let h = resp.headers().clone();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 30)
            .await
            .unwrap();
        (st, bytes.to_vec(), h)
    }
}

async fn a_checksum_mismatch_is_rejected_and_nothing_is_visible(e: Env) {
    let (_, run) = e.run().await;
    let data = fastq(500, 2);
    let (_, sha) = hexes(&data);
    let wrong_md5 = "0".repeat(32);
    let r = e
        .tus_create(
            "centre",
            data.len(),
            &[
                ("filename", "x.fastq"),
                ("parent", &run),
                ("format", "fastq"),
                ("md5", &wrong_md5),
                ("sha256", &sha),
            ],
        )
        .await;
    let url = r.headers["location"].to_str().unwrap().to_string();
    let p = e.tus_patch("centre", &url, 0, &data).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.text);
    assert!(
        p.json["detail"].as_str().unwrap().contains("MD5 mismatch"),
        "{}",
        p.text
    );
    let st = e.call("GET", &url, Some("centre"), None).await;
    assert_eq!(st.json["state"], "rejected");
    assert!(st.json["object_id"].is_null());
    assert!(store_files(&e).is_empty(), "nothing stored");
    assert!(
        !e.app
            .config()
            .data_dir
            .join("staging")
            .join(url.rsplit('/').next().unwrap())
            .exists(),
        "staging removed"
    );
    assert!(e.app.store().objects().await.unwrap().is_empty());
    // no more bytes are taken for it
    assert_eq!(
        e.tus_patch("centre", &url, data.len(), b"").await.status,
        StatusCode::CONFLICT
    );
}

async fn a_malformed_fastq_is_rejected_naming_the_line(e: Env) {
    let (_, run) = e.run().await;
    let mut data = fastq(10, 3);
    // the second record loses its '+' separator line (line 7)
    let text = String::from_utf8(data.clone()).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[6] = "-";
    data = (lines.join("\n") + "\n").into_bytes();
    let (md5, sha) = hexes(&data);
    let r = e
        .tus_create(
            "centre",
            data.len(),
            &[
                ("filename", "bad.fastq"),
                ("parent", &run),
                ("format", "fastq"),
                ("md5", &md5),
                ("sha256", &sha),
            ],
        )
        .await;
    let url = r.headers["location"].to_str().unwrap().to_string();
    let p = e.tus_patch("centre", &url, 0, &data).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.text);
    // the record that breaks starts on line 5 (its '+' line, line 7, is wrong)
    let detail = p.json["detail"].as_str().unwrap();
    assert!(
        detail.contains("line 5") || detail.contains("line 7"),
        "{}",
        p.text
    );
    assert!(store_files(&e).is_empty());
}

async fn a_vcf_whose_sample_is_a_name_is_refused(e: Env) {
    let (s, run) = e.run().await;
    // a CRAM placeholder under the run, then a VCF under it
    let r = e
        .call(
            "POST",
            "/api/v1/lineage/nodes",
            Some("centre"),
            Some(json!({"kind": "file", "parent_id": run, "format": "cram"})),
        )
        .await;
    let cram = r.json["id"].as_str().unwrap().to_string();
    let vcf = |sample: &str| {
        format!(
            "##fileformat=VCFv4.3\n##contig=<ID=20,length=64444167>\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t{sample}\n20\t100\t.\tA\tG\t50\tPASS\t.\tGT\t0/1\n20\t200\t.\tC\tT\t50\tPASS\t.\tGT\t1/1\n"
        )
        .into_bytes()
    };
    let bad = vcf("Taro Yamada");
    let (md5, sha) = hexes(&bad);
    let r = e
        .tus_create(
            "centre",
            bad.len(),
            &[
                ("filename", "calls.vcf"),
                ("parent", &cram),
                ("format", "vcf"),
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
        p.text.contains("Taro Yamada") || p.text.to_lowercase().contains("sample"),
        "{}",
        p.text
    );
    // the participant's pseudonymous id is accepted
    let good = vcf(&s.pid);
    let (md5, sha) = hexes(&good);
    let r = e
        .call(
            "POST",
            "/api/v1/lineage/nodes",
            Some("centre"),
            Some(json!({"kind": "file", "parent_id": cram, "format": "vcf"})),
        )
        .await;
    let node = r.json["id"].as_str().unwrap().to_string();
    let r = e
        .tus_create(
            "centre",
            good.len(),
            &[
                ("filename", "calls.vcf"),
                ("node", &node),
                ("md5", &md5),
                ("sha256", &sha),
            ],
        )
        .await;
    let url = r.headers["location"].to_str().unwrap().to_string();
    let p = e.tus_patch("centre", &url, 0, &good).await;
    assert_eq!(p.status, StatusCode::NO_CONTENT, "{}", p.text);
    assert_eq!(
        e.call("GET", &url, Some("centre"), None).await.json["state"],
        "stored"
    );
}

async fn an_interrupted_upload_resumes_and_survives_a_restart(e: Env) {
    let (_, run) = e.run().await;
    let data = fastq(4000, 4);
    let (md5, sha) = hexes(&data);
    let r = e
        .tus_create(
            "centre",
            data.len(),
            &[
                ("filename", "r.fastq"),
                ("parent", &run),
                ("format", "fastq"),
                ("md5", &md5),
                ("sha256", &sha),
            ],
        )
        .await;
    let url = r.headers["location"].to_str().unwrap().to_string();
    // a chunk whose connection breaks half way: what arrived whole is kept
    let first = 150_001;
    let stream = futures_util::stream::iter(vec![
        Ok::<_, std::io::Error>(bytes::Bytes::copy_from_slice(&data[..first])),
        Err(std::io::Error::other("connection reset")),
    ]);
    let req = Request::patch(&url)
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", e.tokens["centre"]),
        )
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "0")
        .header(header::CONTENT_TYPE, "application/offset+octet-stream")
        .body(Body::from_stream(stream))
        .unwrap();
    e.send(req).await;
    assert_eq!(e.tus_head("centre", &url).await, first as u64);
    // a wrong offset is refused
    assert_eq!(
        e.tus_patch("centre", &url, 10, &data[10..20]).await.status,
        StatusCode::CONFLICT
    );
    // the server restarts: a new application over the same data directory
    let restarted = crate::harness::Env {
        app: zenome_app::App::new(
            e.app.store().clone(),
            e.seal.clone(),
            e.app.config().clone(),
        )
        .unwrap(),
        router: axum::Router::new(),
        tokens: e.tokens.clone(),
        passwords: e.passwords.clone(),
        seal: e.seal.clone(),
        _dir: None,
    };
    let restarted = crate::harness::Env {
        router: zenome_server::router(restarted.app.clone()),
        ..restarted
    };
    assert_eq!(restarted.tus_head("centre", &url).await, first as u64);
    let p = restarted
        .tus_patch("centre", &url, first, &data[first..300_000])
        .await;
    assert_eq!(p.status, StatusCode::NO_CONTENT, "{}", p.text);
    let p = restarted
        .tus_patch("centre", &url, 300_000, &data[300_000..])
        .await;
    assert_eq!(p.status, StatusCode::NO_CONTENT, "{}", p.text);
    let st = restarted.call("GET", &url, Some("centre"), None).await.json;
    assert_eq!(st["state"], "stored", "{st}");
    let object = st["object_id"].as_str().unwrap();
    let (_, back, _) = restarted
        .raw(
            &format!("/ga4gh/drs/v1/objects/{object}/data/plain"),
            "staff",
            None,
            None,
        )
        .await;
    assert_eq!(back, data, "the resumed file is byte for byte the original");
}

async fn the_scrub_repairs_flipped_and_missing_copies_and_reports_lost_ones(e: Env) {
    let (_, run) = e.run().await;
    let data = fastq(800, 5);
    let st = e.upload_fastq(&run, &data, 1).await;
    let object = st["object_id"].as_str().unwrap().to_string();
    let files = store_files(&e);
    let (a, b) = (files[0].clone(), files[1].clone());
    // one byte flipped in one copy, the other copy intact
    let mut bytes = std::fs::read(&a).unwrap();
    bytes[5000] ^= 0x40;
    std::fs::write(&a, &bytes).unwrap();
    let r = e.app.scrub().await.unwrap();
    assert_eq!(r.repaired.len(), 1, "{r:?}");
    assert_eq!(r.repaired[0].2, "corrupt");
    assert!(r.lost.is_empty());
    assert_ne!(
        std::fs::read(&a).unwrap(),
        bytes,
        "repaired from the good copy"
    );
    // one copy deleted
    std::fs::remove_file(&b).unwrap();
    let r = e.app.scrub().await.unwrap();
    assert_eq!(r.repaired[0].2, "missing");
    assert!(b.exists());
    assert_eq!(
        e.app.scrub().await.unwrap().repaired.len(),
        0,
        "all good now"
    );
    // both copies damaged: lost, alerted, never served
    std::fs::write(&a, b"garbage").unwrap();
    std::fs::remove_file(&b).unwrap();
    let r = e.app.scrub().await.unwrap();
    assert_eq!(r.lost, vec![object.clone()]);
    assert!(
        e.app
            .store()
            .alerts(10)
            .await
            .unwrap()
            .iter()
            .any(|x| x.rule == "object_lost")
    );
    let (st, _, _) = e
        .raw(
            &format!("/ga4gh/drs/v1/objects/{object}/data/plain"),
            "staff",
            None,
            None,
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT);
    let (st, _, _) = e
        .raw(
            &format!("/ga4gh/drs/v1/objects/{object}"),
            "centre",
            None,
            None,
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}

/// A second upload of byte-identical content once landed on the first
/// object's key and replaced its copies: the first object no longer read
/// back and the scrub reported it lost. Now the centre's second upload is
/// refused naming the object (at creation when the SHA-256 is declared, at
/// the end otherwise), another centre's identical upload is stored under its
/// own key, and the scrub finds everything intact.
async fn a_second_upload_of_identical_bytes_keeps_the_first_file(e: Env) {
    let (s, run) = e.run().await;
    let data = fastq(600, 11);
    let first = e.upload_fastq(&run, &data, 1).await;
    assert_eq!(first["state"], "stored", "{first}");
    let object = first["object_id"].as_str().unwrap().to_string();
    let (md5, sha) = hexes(&data);
    // declared SHA-256: refused before any byte is sent, naming the object
    let r = e
        .tus_create(
            "centre",
            data.len(),
            &[
                ("filename", "again_R1.fastq"),
                ("parent", &run),
                ("format", "fastq"),
                ("sha256", &sha),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(
        r.text.contains(&object) && r.text.contains("sha256"),
        "{}",
        r.text
    );
    // only an MD5 declared: the bytes arrive, and the end refuses them
    let r = e
        .tus_create(
            "centre",
            data.len(),
            &[
                ("filename", "again_R1.fastq"),
                ("parent", &run),
                ("format", "fastq"),
                ("md5", &md5),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let url = r.headers["location"].to_str().unwrap().to_string();
    let p = e.tus_patch("centre", &url, 0, &data).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.text);
    assert!(p.text.contains(&object), "{}", p.text);
    let st = e.call("GET", &url, Some("centre"), None).await.json;
    assert_eq!(st["state"], "rejected", "{st}");
    assert_eq!(store_files(&e).len(), 2, "nothing more was stored");
    // another centre sending the same bytes learns nothing of the first
    // object: its upload is stored, under a key of its own
    // (a library of the same extract, sent to that centre)
    let r = e
        .call("POST", "/api/v1/lineage/nodes", Some("facility"), Some(json!({"kind": "library", "parent_id": s.extract.0, "strategy": "wgs", "centre": "SEQ-TK"})))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let other_library = r.json["id"].as_str().unwrap().to_string();
    let r = e
        .call("POST", "/api/v1/lineage/nodes", Some("centre_other"), Some(json!({"kind": "sequencing_run", "parent_id": other_library, "centre": "SEQ-TK", "run_id": "RUN-TK-1", "instrument": "NovaSeq X", "run_date": "2026-06-02"})))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let other_run = r.json["id"].as_str().unwrap().to_string();
    let r = e
        .tus_create(
            "centre_other",
            data.len(),
            &[
                ("filename", "tk_R1.fastq"),
                ("parent", &other_run),
                ("format", "fastq"),
                ("sha256", &sha),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let url = r.headers["location"].to_str().unwrap().to_string();
    let p = e.tus_patch("centre_other", &url, 0, &data).await;
    assert_eq!(p.status, StatusCode::NO_CONTENT, "{}", p.text);
    let st = e.call("GET", &url, Some("centre_other"), None).await.json;
    assert_eq!(st["state"], "stored", "{st}");
    let other = st["object_id"].as_str().unwrap().to_string();
    assert_ne!(other, object);
    assert_eq!(store_files(&e).len(), 4, "two copies of each object");
    // the scrub finds every copy intact; both files read back whole
    let r = e.app.scrub().await.unwrap();
    assert!(r.repaired.is_empty() && r.lost.is_empty(), "{r:?}");
    assert_eq!((r.objects, r.copies_ok), (2, 4), "{r:?}");
    for (o, who) in [(&object, "centre"), (&other, "centre_other")] {
        let (st, back, _) = e
            .raw(
                &format!("/ga4gh/drs/v1/objects/{o}/data/plain"),
                who,
                None,
                None,
            )
            .await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(back, data, "object {o} reads back byte for byte");
    }
}

/// The copies of `object` in each store, by store name.
fn copies_of(e: &Env, sha: &str) -> std::collections::BTreeMap<String, std::path::PathBuf> {
    let root = e.app.config().data_dir.join("objects");
    store_files(e)
        .into_iter()
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.starts_with(sha) && n.ends_with(".c4gh")
        })
        .map(|p| {
            let store = p.strip_prefix(&root).unwrap().iter().next().unwrap();
            (store.to_string_lossy().into_owned(), p.clone())
        })
        .collect()
}

fn flip(path: &std::path::Path, at: usize) -> Vec<u8> {
    let mut bytes = std::fs::read(path).unwrap();
    bytes[at] ^= 0x40;
    std::fs::write(path, &bytes).unwrap();
    bytes
}

/// One byte flipped in one copy once made the plain download answer 200
/// with no bytes and the Crypt4GH delivery send the corrupt ciphertext.
/// Now every segment is authenticated before it is sent, the read falls
/// back to the other copy, and the bad copy is alerted and repaired.
async fn one_corrupt_copy_is_read_around_alerted_and_repaired(e: Env) {
    let (_, run) = e.run().await;
    let data = fastq(1500, 21);
    let sha = hexes(&data).1;
    let st = e.upload_fastq(&run, &data, 1).await;
    let object = st["object_id"].as_str().unwrap().to_string();
    let copies = copies_of(&e, &sha);
    assert_eq!(copies.len(), 2, "{copies:?}");
    // the copy read first (cold-a) has a byte flipped in its first segment
    let a = copies["cold-a"].clone();
    let bad = flip(&a, 5000);
    let plain = format!("/ga4gh/drs/v1/objects/{object}/data/plain");
    let (st, back, _) = e.raw(&plain, "staff", None, None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(back, data, "served whole from the good copy");
    assert!(
        e.app
            .store()
            .alerts(10)
            .await
            .unwrap()
            .iter()
            .any(|x| x.rule == "copy_corrupt"),
        "the bad copy is alerted"
    );
    e.app.settle_repairs().await;
    assert_ne!(
        std::fs::read(&a).unwrap(),
        bad,
        "repaired from the good copy"
    );
    let r = e.app.scrub().await.unwrap();
    assert!(r.clean() && r.repaired.is_empty(), "{r:?}");
    // the Crypt4GH delivery: a byte flipped in the last segment
    let len = std::fs::read(&a).unwrap().len();
    flip(&a, len - 100);
    let mine = zenome_crypt4gh::SecretKey::generate();
    let pk = base64::engine::general_purpose::STANDARD.encode(mine.public().as_bytes());
    let c4gh = format!("/ga4gh/drs/v1/objects/{object}/data/crypt4gh");
    let (st, enc, _) = e.raw(&c4gh, "staff", None, Some(&pk)).await;
    assert_eq!(st, StatusCode::OK);
    let mut out = Vec::new();
    zenome_crypt4gh::decrypt(&enc[..], &mut out, &mine).unwrap();
    assert_eq!(out, data, "the ciphertext sent decrypts to the file");
    e.app.settle_repairs().await;
    // a range of the plain delivery, the first copy corrupt again
    flip(&a, 70_000);
    let (st, part, _) = e.raw(&plain, "staff", Some("bytes=100000-"), None).await;
    assert_eq!(st, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part, &data[100_000..]);
    e.app.settle_repairs().await;
    assert!(e.app.scrub().await.unwrap().clean());
    // both copies corrupt: an error, never a 200 with wrong or missing bytes
    flip(&a, 5000);
    flip(&copies["cold-b"], 5000);
    let (st, body, _) = e.raw(&plain, "staff", None, None).await;
    assert!(st.is_server_error() || st == StatusCode::CONFLICT, "{st}");
    assert!(!body.windows(20).any(|w| w == &data[..20]));
    let (st, _, _) = e.raw(&c4gh, "staff", None, Some(&pk)).await;
    assert!(st.is_server_error() || st == StatusCode::CONFLICT, "{st}");
    e.app.settle_repairs().await;
}

/// The scrub once stopped at the first copy it could not repair, so a later
/// corrupt copy stayed recorded ok; and an object marked lost never came
/// back when its copy was restored.
async fn the_scrub_carries_on_past_a_failed_repair_and_recovers_a_restored_object(e: Env) {
    let (_, run) = e.run().await;
    let first = fastq(700, 31);
    let sha_a = hexes(&first).1;
    let mut seed = 32;
    let second = loop {
        let d = fastq(700, seed);
        if hexes(&d).1[..2] != sha_a[..2] {
            break d;
        }
        seed += 1;
    };
    let sha_b = hexes(&second).1;
    let a = e.upload_fastq(&run, &first, 1).await["object_id"]
        .as_str()
        .unwrap()
        .to_string();
    let b = e.upload_fastq(&run, &second, 1).await["object_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (ca, cb) = (copies_of(&e, &sha_a), copies_of(&e, &sha_b));
    // A's copy in cold-b is gone and cannot be put back (its directory is a
    // file now); B, checked after A, has a byte flipped in cold-a
    let shard = ca["cold-b"].parent().unwrap().to_path_buf();
    std::fs::remove_dir_all(&shard).unwrap();
    std::fs::write(&shard, b"not a directory").unwrap();
    let flipped = flip(&cb["cold-a"], 3000);
    let r = e.app.scrub().await.unwrap();
    assert!(!r.clean(), "{r:?}");
    assert_eq!(r.failures.len(), 1, "{r:?}");
    assert_eq!(
        (r.failures[0].0.as_str(), r.failures[0].1.as_str()),
        (a.as_str(), "cold-b")
    );
    assert_eq!(
        r.repaired,
        vec![(b.clone(), "cold-a".to_string(), "corrupt".to_string())],
        "the object after the failure is still checked and repaired"
    );
    assert_ne!(std::fs::read(&cb["cold-a"]).unwrap(), flipped);
    // the store is fixed: the next scrub mends A
    std::fs::remove_file(&shard).unwrap();
    let r = e.app.scrub().await.unwrap();
    assert!(r.clean(), "{r:?}");
    assert_eq!(r.repaired.len(), 1, "{r:?}");
    // both copies of A lost; then an operator restores one from a backup
    let backup = std::fs::read(&ca["cold-a"]).unwrap();
    std::fs::write(&ca["cold-a"], b"garbage").unwrap();
    std::fs::remove_file(&ca["cold-b"]).unwrap();
    let r = e.app.scrub().await.unwrap();
    assert_eq!(r.lost, vec![a.clone()]);
    let plain = format!("/ga4gh/drs/v1/objects/{a}/data/plain");
    assert_eq!(
        e.raw(&plain, "staff", None, None).await.0,
        StatusCode::CONFLICT
    );
    std::fs::write(&ca["cold-a"], &backup).unwrap();
    let r = e.app.scrub().await.unwrap();
    assert_eq!(r.recovered, vec![a.clone()], "{r:?}");
    assert!(r.clean() && r.lost.is_empty(), "{r:?}");
    assert_eq!(
        r.repaired,
        vec![(a.clone(), "cold-b".to_string(), "missing".to_string())],
        "the missing copy is made again"
    );
    let (st, back, _) = e.raw(&plain, "staff", None, None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(back, first);
    let r = e.app.scrub().await.unwrap();
    assert!(
        r.clean() && r.repaired.is_empty() && r.recovered.is_empty(),
        "{r:?}"
    );
    assert_eq!(r.copies_ok, 4);
}

/// Runs a shell command for the htsget check; its standard output.
fn shell(cmd: &str) -> String {
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

/// htsget planned its answer from the first copy on record, corrupt or
/// not. Now the index and every segment it reads are authenticated, with
/// the other copy used where one fails, and the slice's byte ranges are
/// served the same way.
async fn an_htsget_slice_reads_around_a_corrupt_copy(e: Env) {
    let Some(testdata) = crate::htsget::testdata() else {
        return;
    };
    let have = std::process::Command::new("bcftools")
        .arg("--version")
        .output()
        .is_ok();
    assert!(
        have || std::env::var_os("CI").is_none(),
        "bcftools is required under CI"
    );
    if !have {
        return;
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
    let d = dir.path().display();
    let src = testdata.join("vcf/cohort/shapeit4-1kg-chr20-300samples.vcf.gz");
    let first = shell(&format!("bcftools query -l {} | head -n 1", src.display()))
        .trim()
        .to_string();
    shell(&format!(
        "echo {pid} > {d}/names && bcftools view --no-version -s {first} {src} | bcftools reheader -s {d}/names | bgzip -c > {d}/in.vcf.gz",
        pid = s.pid,
        src = src.display()
    ));
    let bytes = std::fs::read(dir.path().join("in.vcf.gz")).unwrap();
    let (md5, sha) = hexes(&bytes);
    let r = e
        .tus_create(
            "centre",
            bytes.len(),
            &[
                ("filename", "in.vcf.gz"),
                ("parent", &cram),
                ("format", "vcf"),
                ("md5", &md5),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let url = r.headers["location"].to_str().unwrap().to_string();
    let p = e.tus_patch("centre", &url, 0, &bytes).await;
    assert_eq!(p.status, StatusCode::NO_CONTENT, "{}", p.text);
    let object = e.call("GET", &url, Some("centre"), None).await.json["object_id"]
        .as_str()
        .unwrap()
        .to_string();
    // the copy read first: its index and many of its segments damaged
    let copies = copies_of(&e, &sha);
    assert_eq!(copies.len(), 2, "two copies of a VCF: {copies:?}");
    let (store, first_copy) = copies.iter().next().unwrap();
    let len = std::fs::read(first_copy).unwrap().len();
    for at in (1000..len).step_by(40_000) {
        flip(first_copy, at);
    }
    let index = first_copy.with_extension("index");
    assert!(index.exists(), "{}", index.display());
    let bad_index = flip(&index, 40);
    let contig = shell(&format!(
        "bcftools query -f '%CHROM\\n' {d}/in.vcf.gz | head -n 1"
    ))
    .trim()
    .to_string();
    let (start, end) = (2_000_000u64, 2_300_000u64);
    let r = e.call("GET", &format!("/htsget/variants/{object}?format=VCF&referenceName={contig}&start={start}&end={end}"), Some("staff"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let mut slice = Vec::new();
    for u in r.json["htsget"]["urls"].as_array().unwrap() {
        let url = u["url"].as_str().unwrap();
        if let Some(b64) = url.strip_prefix("data:application/octet-stream;base64,") {
            slice.extend(
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
        let (st, part, _) = e
            .raw(path, "staff", u["headers"]["Range"].as_str(), None)
            .await;
        assert!(st.is_success(), "{st}");
        slice.extend(part);
    }
    std::fs::write(dir.path().join("slice.vcf.gz"), &slice).unwrap();
    shell(&format!(
        "bcftools index -f -t {d}/slice.vcf.gz && bcftools index -f -t {d}/in.vcf.gz"
    ));
    let region = format!("{contig}:{}-{end}", start + 1);
    let want = shell(&format!(
        "bcftools view -H -r {region} {d}/in.vcf.gz | md5sum"
    ));
    let got = shell(&format!(
        "bcftools view -H -r {region} {d}/slice.vcf.gz | md5sum"
    ));
    assert_eq!(got, want, "the slice from the good copy");
    assert!(
        e.app
            .store()
            .alerts(20)
            .await
            .unwrap()
            .iter()
            .any(|x| x.rule == "copy_corrupt"),
        "the bad copy in {store} is alerted"
    );
    e.app.settle_repairs().await;
    assert_ne!(
        std::fs::read(&index).unwrap(),
        bad_index,
        "the index copy is repaired"
    );
    let r = e.app.scrub().await.unwrap();
    assert!(r.clean() && r.repaired.is_empty(), "{r:?}");
}

async fn drs_reads_follow_grants_and_consent(e: Env) {
    let (s, run) = e.run().await;
    let st = e.upload_fastq(&run, &fastq(300, 6), 1).await;
    let object = st["object_id"].as_str().unwrap().to_string();
    let meta = format!("/ga4gh/drs/v1/objects/{object}");
    // who may read it without any grant
    for (who, want) in [
        ("staff", 200),
        ("centre", 200),
        ("centre_other", 404),
        ("facility", 403),
        ("academic", 403),
        ("dac", 403),
        ("admin", 403),
    ] {
        let (got, body, _) = e.raw(&meta, who, None, None).await;
        assert_eq!(
            got.as_u16(),
            want,
            "{who}: {}",
            String::from_utf8_lossy(&body)
        );
        if want >= 400 {
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(v["status_code"], want, "DRS error shape");
        }
    }
    assert!(
        e.app
            .store()
            .alerts(10)
            .await
            .unwrap()
            .iter()
            .any(|a| a.rule == "access_outside_grant" && a.actor == "res.acad")
    );
    // a dataset with the participant, and a grant covering FASTQ
    e.call("POST", "/api/v1/datasets", Some("staff"), Some(json!({"id": "fq-ds", "title": "FASTQ", "title_ja": "FASTQ", "security_level": "3", "data_types": ["fastq", "vcf"], "requirement_scope": "health_medical"}))).await;
    e.call(
        "POST",
        "/api/v1/datasets/fq-ds/members",
        Some("staff"),
        Some(json!({"participants": [s.pid]})),
    )
    .await;
    let mut app = crate::access::application(&["fq-ds"], &["vcf"]);
    let r = e
        .call(
            "POST",
            "/api/v1/applications",
            Some("academic"),
            Some(app.clone()),
        )
        .await;
    let id = r.json["id"].as_str().unwrap().to_string();
    e.call(
        "POST",
        &format!("/api/v1/applications/{id}/submit"),
        Some("academic"),
        None,
    )
    .await;
    e.call(
        "POST",
        &format!("/api/v1/applications/{id}/votes"),
        Some("dac"),
        Some(json!({"conflict_of_interest": false, "decision": "approve"})),
    )
    .await;
    let (got, _, _) = e.raw(&meta, "academic", None, None).await;
    assert_eq!(
        got,
        StatusCode::FORBIDDEN,
        "a VCF grant does not open a FASTQ"
    );
    app["data_types"] = json!(["fastq"]);
    app["fastq_need"] = json!("Re-calling variants with a new aligner requires the raw reads.");
    let r = e
        .call("POST", "/api/v1/applications", Some("academic"), Some(app))
        .await;
    let id = r.json["id"].as_str().unwrap().to_string();
    let r = e
        .call(
            "POST",
            &format!("/api/v1/applications/{id}/submit"),
            Some("academic"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    e.call(
        "POST",
        &format!("/api/v1/applications/{id}/votes"),
        Some("dac"),
        Some(json!({"conflict_of_interest": false, "decision": "approve"})),
    )
    .await;
    let (got, body, _) = e.raw(&meta, "academic", None, None).await;
    assert_eq!(got, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    assert_eq!(
        e.raw(&format!("{meta}/data/plain"), "academic", None, None)
            .await
            .0,
        StatusCode::OK
    );
    // the participant withdraws: the next read is refused
    e.call(
        "POST",
        &format!("/api/v1/participants/{}/consents", s.pid),
        Some("facility"),
        Some(json!({"action": "withdraw"})),
    )
    .await;
    assert_eq!(
        e.raw(&meta, "academic", None, None).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        e.raw(&format!("{meta}/data/plain"), "academic", None, None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
}

async fn a_file_that_fails_qc_is_kept_flagged_and_not_released(e: Env) {
    let (s, run) = e.run().await;
    // qualities Q5..Q14: a poor run
    let st = e.upload_fastq(&run, &fastq_q(400, 7, b'&'), 2).await;
    assert_eq!(st["state"], "stored", "{st}");
    let object = st["object_id"].as_str().unwrap().to_string();
    let o = e.app.store().object(&object).await.unwrap().unwrap();
    assert_eq!(o.qc_status, "failed");
    assert!(o.qc_failures.contains("Q30"), "{}", o.qc_failures);
    let node = e
        .app
        .store()
        .object(&object)
        .await
        .unwrap()
        .unwrap()
        .node_id;
    let n = e
        .call(
            "GET",
            &format!("/api/v1/lineage/nodes/{node}"),
            Some("staff"),
            None,
        )
        .await;
    assert_eq!(n.json["node"]["details"]["state"], "qc_failed");
    // a grant holder does not get it
    e.call("POST", "/api/v1/datasets", Some("staff"), Some(json!({"id": "fq-ds", "title": "FASTQ", "title_ja": "FASTQ", "security_level": "3", "data_types": ["fastq"], "requirement_scope": "health_medical"}))).await;
    e.call(
        "POST",
        "/api/v1/datasets/fq-ds/members",
        Some("staff"),
        Some(json!({"participants": [s.pid]})),
    )
    .await;
    let mut app = crate::access::application(&["fq-ds"], &["fastq"]);
    app["fastq_need"] = json!("Re-calling variants with a new aligner requires the raw reads.");
    let r = e
        .call("POST", "/api/v1/applications", Some("academic"), Some(app))
        .await;
    let id = r.json["id"].as_str().unwrap().to_string();
    e.call(
        "POST",
        &format!("/api/v1/applications/{id}/submit"),
        Some("academic"),
        None,
    )
    .await;
    e.call(
        "POST",
        &format!("/api/v1/applications/{id}/votes"),
        Some("dac"),
        Some(json!({"conflict_of_interest": false, "decision": "approve"})),
    )
    .await;
    assert_eq!(
        e.raw(
            &format!("/ga4gh/drs/v1/objects/{object}"),
            "academic",
            None,
            None
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    // staff still see it, flagged
    let r = e
        .call(
            "GET",
            &format!("/ga4gh/drs/v1/objects/{object}"),
            Some("staff"),
            None,
        )
        .await;
    assert!(
        r.json["description"]
            .as_str()
            .unwrap()
            .contains("QC failed")
    );
}

crate::on_both_engines!(
    a_fastq_is_hashed_validated_encrypted_stored_twice_and_served,
    a_checksum_mismatch_is_rejected_and_nothing_is_visible,
    a_malformed_fastq_is_rejected_naming_the_line,
    a_vcf_whose_sample_is_a_name_is_refused,
    an_interrupted_upload_resumes_and_survives_a_restart,
    the_scrub_repairs_flipped_and_missing_copies_and_reports_lost_ones,
    a_second_upload_of_identical_bytes_keeps_the_first_file,
    one_corrupt_copy_is_read_around_alerted_and_repaired,
    the_scrub_carries_on_past_a_failed_repair_and_recovers_a_restored_object,
    an_htsget_slice_reads_around_a_corrupt_copy,
    drs_reads_follow_grants_and_consent,
    a_file_that_fails_qc_is_kept_flagged_and_not_released,
);
