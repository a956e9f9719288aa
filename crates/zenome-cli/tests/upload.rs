//! `zenome upload` against a real `zenome serve` process, as a sequencing
//! centre's pipeline runs it: the server is killed with SIGKILL in the middle
//! of an upload; after the restart nothing of the file is visible, the
//! server still holds the bytes it acknowledged; the client is then killed
//! part-way three times, and running the same command again resumes from
//! there and ends with a stored object whose bytes, read back through DRS,
//! are the file's, with no placeholder of an attempt left on the run.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use sha2::{Digest, Sha256};

fn zenome() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_zenome"));
    c.env_remove("ZENOME_DATABASE_URL")
        .env_remove("ZENOME_CONFIG")
        .env("ZENOME_LOG", "warn");
    c
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn serve(data: &Path, port: u16) -> Server {
    let child = zenome()
        .args(["serve", "--data-dir", data.to_str().unwrap(), "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .env("ZENOME_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start zenome serve");
    let server = Server(child);
    let url = format!("http://127.0.0.1:{port}/healthz");
    let start = Instant::now();
    loop {
        if let Ok(r) = reqwest::get(&url).await
            && r.status().is_success()
        {
            return server;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "zenome serve did not answer"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn get_json(url: &str, token: &str) -> Value {
    let r = reqwest::Client::new()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "GET {url}: {}", r.status());
    r.json().await.unwrap()
}

/// A well-formed FASTQ of about `mib` MiB, made up here.
fn write_fastq(path: &Path, mib: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let bases = b"ACGT";
    let mut i: u64 = 0;
    let mut written = 0usize;
    while written < mib << 20 {
        let seq: Vec<u8> = (0..150)
            .map(|j| bases[((i * 7 + j * 13 + (j * j) % 5) % 4) as usize])
            .collect();
        let qual: Vec<u8> = (0..150)
            .map(|j| {
                if (i + j).is_multiple_of(17) {
                    b'+'
                } else {
                    b'F'
                }
            })
            .collect();
        let rec = format!(
            "@A00123:42:HXXXXDSX2:1:1101:{}:{} 1:N:0:ACGTACGT\n{}\n+\n{}\n",
            1000 + i % 30000,
            1000 + i / 30000,
            String::from_utf8(seq).unwrap(),
            String::from_utf8(qual).unwrap()
        );
        f.write_all(rec.as_bytes()).unwrap();
        written += rec.len();
        i += 1;
    }
    f.flush().unwrap();
}

fn staged_bytes(data: &Path) -> u64 {
    let mut total = 0;
    let Ok(dirs) = std::fs::read_dir(data.join("staging")) else {
        return 0;
    };
    for d in dirs.flatten() {
        if let Ok(files) = std::fs::read_dir(d.path()) {
            for f in files.flatten() {
                total += f.metadata().map(|m| m.len()).unwrap_or(0);
            }
        }
    }
    total
}

/// Files under a run in the lineage tree that have been stored.
fn stored_files(tree: &Value, run: &str, out: &mut Vec<Value>) {
    if let Some(children) = tree.get("children").and_then(Value::as_array) {
        for c in children {
            if c["kind"] == "file" && c["parent_id"] == run && c["details"]["state"] != "expected" {
                out.push(c.clone());
            }
            stored_files(c, run, out);
        }
    }
}

/// File placeholders (expected, not received) under a run.
fn expected_files(tree: &Value, run: &str, out: &mut Vec<Value>) {
    if let Some(children) = tree.get("children").and_then(Value::as_array) {
        for c in children {
            if c["kind"] == "file" && c["parent_id"] == run && c["details"]["state"] == "expected" {
                out.push(c.clone());
            }
            expected_files(c, run, out);
        }
    }
}

fn find_run(tree: &Value, centre: &str) -> Option<String> {
    if tree["kind"] == "sequencing_run" && tree["details"]["centre"] == centre {
        return tree["id"].as_str().map(str::to_string);
    }
    for c in tree
        .get("children")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(r) = find_run(c, centre) {
            return Some(r);
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_killed_with_the_server_then_the_client_resumes_and_nothing_partial_is_visible() {
    let tmp = tempfile::tempdir().unwrap();
    let data: PathBuf = tmp.path().join("data");
    let state = tmp.path().join("state");
    let d = data.to_str().unwrap();

    // a small demo cohort (its own files included) and a staff robot to look around
    let out = zenome()
        .args(["demo", "--data-dir", d, "--no-serve"])
        .args(["--participants-per-facility", "3", "--seed", "11"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "demo: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = zenome()
        .args(["admin", "user", "add", "--data-dir", d])
        .args([
            "--username",
            "staffbot",
            "--role",
            "data_centre_staff",
            "--machine",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    let staff = text
        .split_whitespace()
        .find(|w| w.starts_with("zk_"))
        .expect("the staff token is printed")
        .to_string();
    let accounts: Value =
        serde_json::from_slice(&std::fs::read(data.join("demo-accounts.json")).unwrap()).unwrap();
    let pipeline = accounts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["username"] == "pipeline.seq-kz")
        .expect("the demo has SEQ-KZ's pipeline");
    let token = pipeline["api_token"].as_str().unwrap().to_string();

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let server = serve(&data, port).await;

    // a run of SEQ-KZ under a participant with consent in force
    let list = get_json(&format!("{base}/api/v1/participants?limit=500"), &staff).await;
    let mut target = None;
    for p in list["items"].as_array().unwrap() {
        if p["consent_state"] != "active" {
            continue;
        }
        let id = p["id"].as_str().unwrap();
        let tree = get_json(&format!("{base}/api/v1/participants/{id}/lineage"), &staff).await;
        let run = tree["specimens"]
            .as_array()
            .unwrap()
            .iter()
            .find_map(|s| find_run(s, "SEQ-KZ"));
        if let Some(run) = run {
            target = Some((id.to_string(), run));
            break;
        }
    }
    let (participant, run) = target.expect("a SEQ-KZ run in the demo");
    let lineage_url = format!("{base}/api/v1/participants/{participant}/lineage");
    let files_under_run = |tree: Value| {
        let mut v = Vec::new();
        for s in tree["specimens"].as_array().unwrap() {
            stored_files(s, &run, &mut v);
        }
        v
    };
    let before = files_under_run(get_json(&lineage_url, &staff).await).len();
    let mut placeholders = Vec::new();
    for s in get_json(&lineage_url, &staff).await["specimens"]
        .as_array()
        .unwrap()
    {
        expected_files(s, &run, &mut placeholders);
    }
    let expected_before = placeholders.len();

    let file = tmp.path().join("killed.fastq");
    write_fastq(&file, 40);
    let bytes = std::fs::read(&file).unwrap();
    let sha = hex::encode(Sha256::digest(&bytes));
    let len = bytes.len() as u64;
    drop(bytes);

    let upload = || {
        let mut c = zenome();
        c.args(["upload", file.to_str().unwrap(), "--run", &run])
            .args(["--server", &base, "--token", &token])
            .env("XDG_STATE_HOME", &state)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    };

    // first attempt: kill the server (SIGKILL) once at least one chunk is staged
    let client = upload().spawn().unwrap();
    let mut server = server;
    let start = Instant::now();
    while staged_bytes(&data) < 9 << 20 {
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "the upload never started"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    server.0.kill().unwrap(); // SIGKILL
    server.0.wait().unwrap();
    let first = client.wait_with_output().unwrap();
    assert!(
        !first.status.success(),
        "the upload cannot have finished: the server was killed"
    );

    // after the restart: the upload is still receiving, part-way, and nothing is visible
    let server = serve(&data, port).await;
    let uploads_state: Value =
        serde_json::from_slice(&std::fs::read(state.join("zenome/uploads.json")).unwrap()).unwrap();
    let url = uploads_state
        .as_object()
        .unwrap()
        .values()
        .next()
        .and_then(Value::as_str)
        .expect("the client remembers its upload")
        .to_string();
    let status = get_json(&url, &token).await;
    assert_eq!(status["state"], "receiving", "{status}");
    let acked = status["offset"].as_u64().unwrap();
    assert!(
        acked >= 8 << 20 && acked < len,
        "the server keeps what it acknowledged ({acked} of {len})"
    );
    assert!(status.get("object_id").is_none(), "{status}");
    assert_eq!(
        files_under_run(get_json(&lineage_url, &staff).await).len(),
        before,
        "no partial file is visible in the lineage"
    );

    // the client itself is killed (SIGKILL) part-way through its chunks,
    // three times at different points, each run resuming the last: what
    // arrived whole is kept, and the server's state for the upload survives
    // requests that never ended (inside FASTQ records, between chunks)
    for step in [3u64 << 20, 11 << 20, 5 << 20] {
        let at = get_json(&url, &token).await["offset"].as_u64().unwrap();
        let mut client = upload().spawn().unwrap();
        let start = Instant::now();
        let mut exited = false;
        while staged_bytes(&data) < at + step {
            if client.try_wait().unwrap().is_some() {
                exited = true;
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(300),
                "the resumed upload never progressed"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        if exited {
            break;
        }
        client.kill().unwrap(); // SIGKILL
        client.wait().unwrap();
        let status = get_json(&url, &token).await;
        assert_eq!(status["state"], "receiving", "{status}");
        assert!(status["offset"].as_u64().unwrap() >= at, "{status}");
    }

    // a last run of the same command: resumes, and ends stored
    let second = upload().output().unwrap();
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(second.status.success(), "resumed upload failed: {err}");
    assert!(
        err.contains("resuming the upload at"),
        "the command resumed: {err}"
    );
    let said = String::from_utf8_lossy(&second.stdout).to_string();
    let object = said
        .trim()
        .strip_prefix("stored as object ")
        .unwrap_or_else(|| panic!("the command names the stored object: {said}"))
        .to_string();

    // the object through DRS: checksum and the bytes themselves
    let drs = get_json(&format!("{base}/ga4gh/drs/v1/objects/{object}"), &staff).await;
    assert_eq!(drs["size"].as_u64(), Some(len));
    let sums = drs["checksums"].as_array().unwrap();
    assert!(
        sums.iter()
            .any(|c| c["type"] == "sha-256" && c["checksum"] == sha.as_str()),
        "{drs}"
    );
    let access = get_json(
        &format!("{base}/ga4gh/drs/v1/objects/{object}/access/plain"),
        &staff,
    )
    .await;
    let r = reqwest::Client::new()
        .get(access["url"].as_str().unwrap())
        .bearer_auth(&staff)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let body = r.bytes().await.unwrap();
    assert_eq!(hex::encode(Sha256::digest(&body)), sha);
    assert_eq!(
        files_under_run(get_json(&lineage_url, &staff).await).len(),
        before + 1
    );
    // and no placeholder of an attempt is left under the run
    let mut placeholders = Vec::new();
    for s in get_json(&lineage_url, &staff).await["specimens"]
        .as_array()
        .unwrap()
    {
        expected_files(s, &run, &mut placeholders);
    }
    assert_eq!(placeholders.len(), expected_before, "{placeholders:?}");
    drop(server);
}
