//! `zenome download` against a real `zenome serve` process, as a researcher
//! of the demo runs it after approval: log in (password + TOTP) for a
//! session token, fetch the grant's manifest, make a Crypt4GH key with
//! `zenome keys generate`, download everything — encrypted for that key in
//! transit, decrypted and verified here — and the clinical export. Then
//! the faults an outsider makes: a download cut off part-way resumes with a
//! Range request (the partial file a kill leaves); a hand-edited MD5 fails
//! that file's check and says so; an id outside the grant is refused; a
//! participant who withdraws between manifest and download is refused
//! while the other files still come, and the exit status is non-zero.
//! The PyPI `crypt4gh` tool decrypts what the server sends for the key
//! Zenome made (under CI it must be installed; `scripts/test.sh` does).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

fn zenome() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_zenome"));
    c.env_remove("ZENOME_DATABASE_URL")
        .env_remove("ZENOME_CONFIG")
        .env_remove("ZENOME_TOKEN")
        .env_remove("ZENOME_KEY_PASSPHRASE")
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

/// Logs a demo account in through the API; its session token.
async fn login(base: &str, accounts: &Value, name: &str) -> String {
    let a = accounts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["username"] == name)
        .unwrap_or_else(|| panic!("no demo account {name}"));
    let totp = zenome_auth::TotpSecret::from_base32(a["totp_secret"].as_str().unwrap()).unwrap();
    // the demo's own set-up may have used the current step: try the next ones
    for offset in [0u64, 30, 60] {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let r = reqwest::Client::new()
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"username": name, "password": a["password"], "totp": zenome_auth::totp_code(&totp, now + offset)}))
            .send()
            .await
            .unwrap();
        if r.status().is_success() {
            let v: Value = r.json().await.unwrap();
            return v["token"].as_str().unwrap().to_string();
        }
    }
    panic!("{name} cannot log in");
}

async fn get(url: &str, token: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

fn sha256(p: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(p).unwrap()))
}

fn download(base: &str, token: &str, args: &[&str]) -> (bool, String) {
    let out = zenome()
        .arg("download")
        .args(args)
        .args(["--server", base, "--token", token])
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_researcher_downloads_the_grant_and_the_faults_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let d = data.to_str().unwrap();
    let out = zenome()
        .args(["demo", "--data-dir", d, "--no-serve"])
        .args(["--participants-per-facility", "10", "--seed", "42"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "demo: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let accounts: Value =
        serde_json::from_slice(&std::fs::read(data.join("demo-accounts.json")).unwrap()).unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let _server = serve(&data, port).await;
    let token = login(&base, &accounts, "researcher.academic").await;

    // the grant and its manifest
    let grants: Value = get(&format!("{base}/api/v1/grants"), &token)
        .await
        .json()
        .await
        .unwrap();
    let grant = grants
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["status"] == "active")
        .expect("the demo researcher holds a grant in force")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = get(&format!("{base}/api/v1/grants/{grant}/manifest"), &token).await;
    assert!(r.status().is_success(), "{}", r.status());
    let manifest = r.text().await.unwrap();
    let lines: Vec<&str> = manifest.lines().collect();
    assert!(
        lines.len() >= 3,
        "at least two files to download:\n{manifest}"
    );
    let mpath = tmp.path().join("manifest.tsv");
    std::fs::write(&mpath, &manifest).unwrap();
    let files: Vec<Vec<String>> = lines[1..]
        .iter()
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect();

    // a key pair, as the PyPI crypt4gh tool writes them
    let prefix = tmp.path().join("my-key");
    let k = zenome()
        .args(["keys", "generate"])
        .arg(&prefix)
        .output()
        .unwrap();
    assert!(k.status.success(), "{}", String::from_utf8_lossy(&k.stderr));
    let sec = tmp.path().join("my-key.sec");
    assert!(
        std::fs::read_to_string(&sec)
            .unwrap()
            .contains("PRIVATE KEY-----")
    );

    // a download cut off part-way: the partial file a kill leaves behind
    let first = &files[0];
    let out_dir = tmp.path().join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    let secret =
        zenome_crypt4gh::read_secret_key(&std::fs::read_to_string(&sec).unwrap(), None).unwrap();
    let pk = base64_encode(secret.public().as_bytes());
    let whole = reqwest::Client::new()
        .get(format!(
            "{base}/ga4gh/drs/v1/objects/{}/data/crypt4gh",
            first[0]
        ))
        .bearer_auth(&token)
        .header("Crypt4GH-Public-Key", &pk)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(whole.len() > 2000, "a file worth cutting");
    let cut = whole.len() / 2;
    let part = out_dir.join(format!(".{}.crypt4gh.part", first[1]));
    std::fs::write(&part, &whole[..cut]).unwrap();

    // everything, encrypted in transit, decrypted and verified here
    let (ok, text) = download(
        &base,
        &token,
        &[
            "--manifest",
            mpath.to_str().unwrap(),
            "--key",
            sec.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
            "--parallel",
            "2",
        ],
    );
    assert!(ok, "{text}");
    for f in &files {
        let p = out_dir.join(&f[1]);
        assert_eq!(sha256(&p), f[5], "{} arrived whole", f[1]);
    }
    assert!(!part.exists(), "the partial file is gone once complete");
    assert!(
        text.contains(&format!(
            "{} downloaded and verified, 0 failed",
            files.len()
        )),
        "{text}"
    );

    // the PyPI crypt4gh tool decrypts what the server sends for this key
    let enc = tmp.path().join("one.c4gh");
    std::fs::write(&enc, &whole).unwrap();
    let py = Command::new("crypt4gh")
        .args(["decrypt", "--sk"])
        .arg(&sec)
        .stdin(std::fs::File::open(&enc).unwrap())
        .output();
    match py {
        Ok(o) => {
            assert!(
                o.status.success(),
                "crypt4gh decrypt: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            assert_eq!(hex::encode(Sha256::digest(&o.stdout)), first[5]);
        }
        Err(_) => assert!(
            std::env::var_os("CI").is_none(),
            "the PyPI crypt4gh tool is required under CI"
        ),
    }

    // plain delivery, by DRS id, into another folder
    let plain_dir = tmp.path().join("plain");
    let (ok, text) = download(
        &base,
        &token,
        &[&first[0], "--plain", "--out", plain_dir.to_str().unwrap()],
    );
    assert!(ok, "{text}");
    assert_eq!(sha256(&plain_dir.join(&first[1])), first[5]);

    // a hand-edited MD5, and an id outside the grant: those lines fail, named
    let mut edited = String::from(lines[0]);
    edited.push('\n');
    let mut bad = files[0].clone();
    bad[2] = "0123456789abcdef0123456789abcdef".into();
    edited.push_str(&bad.join("\t"));
    edited.push('\n');
    edited.push_str("not-an-object\tstolen.vcf\t\t\treleased\n");
    edited.push_str(&files[1].join("\t"));
    edited.push('\n');
    let epath = tmp.path().join("edited.tsv");
    std::fs::write(&epath, edited).unwrap();
    let edir = tmp.path().join("edited-out");
    let (ok, text) = download(
        &base,
        &token,
        &[
            "--manifest",
            epath.to_str().unwrap(),
            "--key",
            sec.to_str().unwrap(),
            "--out",
            edir.to_str().unwrap(),
        ],
    );
    assert!(!ok, "a failed file makes the exit status non-zero");
    assert!(
        text.contains(&format!("FAILED  {}", files[0][0]))
            && text.contains("MD5 (manifest) check failed"),
        "{text}"
    );
    assert!(
        text.contains("FAILED  not-an-object") && text.contains("refused by the server"),
        "{text}"
    );
    assert!(
        !edir.join(&files[0][1]).exists(),
        "a file that failed its check is not left under its name"
    );
    assert_eq!(
        sha256(&edir.join(&files[1][1])),
        files[1][5],
        "the others still come"
    );

    // a participant withdraws between manifest and download
    let staff_token = login(&base, &accounts, "staff").await;
    let who = &files[0][6];
    let p: Value = get(&format!("{base}/api/v1/participants/{who}"), &staff_token)
        .await
        .json()
        .await
        .unwrap();
    let facility = p["facility"].as_str().unwrap().to_ascii_lowercase();
    let submitter = accounts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| {
            a["role"] == "facility_submitter"
                && a["scope"].as_str().map(str::to_ascii_lowercase).as_deref()
                    == Some(facility.as_str())
        })
        .unwrap()["username"]
        .as_str()
        .unwrap()
        .to_string();
    let sub_token = login(&base, &accounts, &submitter).await;
    let w = reqwest::Client::new()
        .post(format!("{base}/api/v1/participants/{who}/consents"))
        .bearer_auth(&sub_token)
        .json(&json!({"action": "withdraw", "reason": "本人の申し出"}))
        .send()
        .await
        .unwrap();
    assert!(w.status().is_success(), "{}", w.text().await.unwrap());
    let wdir = tmp.path().join("after-withdrawal");
    let (ok, text) = download(
        &base,
        &token,
        &[
            "--manifest",
            mpath.to_str().unwrap(),
            "--key",
            sec.to_str().unwrap(),
            "--out",
            wdir.to_str().unwrap(),
        ],
    );
    assert!(!ok, "{text}");
    let withdrawn: Vec<&Vec<String>> = files.iter().filter(|f| &f[6] == who).collect();
    for f in &withdrawn {
        assert!(text.contains(&format!("FAILED  {}", f[0])), "{text}");
        assert!(!wdir.join(&f[1]).exists());
    }
    for f in files.iter().filter(|f| &f[6] != who) {
        assert_eq!(sha256(&wdir.join(&f[1])), f[5], "{text}");
    }

    // the clinical export of the grant's dataset
    let dataset = &files[0][8];
    let r = get(
        &format!("{base}/api/v1/clinical/export/diagnosis?dataset={dataset}"),
        &token,
    )
    .await;
    assert!(r.status().is_success(), "{}", r.status());
    let csv = r.text().await.unwrap();
    assert!(csv.lines().count() >= 2, "{csv}");
    assert!(
        !csv.contains(who.as_str()),
        "the withdrawn participant is not exported"
    );
}

fn base64_encode(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}
