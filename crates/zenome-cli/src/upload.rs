//! `zenome upload`: a tus client for sequencing centres' pipelines. It
//! hashes the file (MD5 and SHA-256, so the server can verify end to end),
//! creates the upload, sends 8 MiB chunks, and on any failure asks the
//! server for the acknowledged offset and resumes from there — also across
//! runs of the command (the upload's address is remembered per file).

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use md5::Md5;
use sha2::{Digest, Sha256};

const CHUNK: usize = 8 * 1024 * 1024;

/// What to upload and where.
pub struct Args {
    pub file: PathBuf,
    pub server: String,
    pub token: String,
    pub node: Option<String>,
    pub parent: Option<String>,
    pub format: Option<String>,
    pub pipeline: Option<String>,
    pub reference: Option<String>,
}

fn bar(len: u64, msg: &'static str) -> indicatif::ProgressBar {
    let b = indicatif::ProgressBar::new(len);
    b.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg:9} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} ({eta})",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    b.set_message(msg);
    b
}

fn digests(path: &Path) -> Result<(String, String, u64)> {
    let mut f = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let len = f.metadata()?.len();
    let b = bar(len, "hashing");
    let mut md5 = Md5::new();
    let mut sha = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        md5.update(&buf[..n]);
        sha.update(&buf[..n]);
        b.inc(n as u64);
    }
    b.finish_and_clear();
    Ok((
        hex::encode(md5.finalize()),
        hex::encode(sha.finalize()),
        len,
    ))
}

fn state_file() -> PathBuf {
    let base = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("zenome").join("uploads.json")
}

fn remembered(key: &str) -> Option<String> {
    let text = std::fs::read_to_string(state_file()).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v.get(key)?.as_str().map(str::to_string)
}

fn remember(key: &str, url: Option<&str>) {
    let path = state_file();
    let mut v: serde_json::Value = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_else(|| serde_json::json!({}));
    match url {
        Some(u) => v[key] = serde_json::Value::String(u.into()),
        None => {
            if let Some(o) = v.as_object_mut() {
                o.remove(key);
            }
        }
    }
    if let Some(d) = path.parent() {
        let _ = std::fs::create_dir_all(d);
    }
    let _ = std::fs::write(&path, v.to_string());
}

fn meta(pairs: &[(&str, Option<&str>)]) -> String {
    pairs
        .iter()
        .filter_map(|(k, v)| {
            v.map(|v| {
                format!(
                    "{k} {}",
                    base64::engine::general_purpose::STANDARD.encode(v)
                )
            })
        })
        .collect::<Vec<_>>()
        .join(",")
}

async fn offset(client: &reqwest::Client, url: &str, token: &str) -> Result<Option<u64>> {
    let r = client
        .head(url)
        .bearer_auth(token)
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .context("asking the server for the upload's offset")?;
    // gone (rejected, cancelled, unknown): any other failure is not a reason
    // to give the upload up and start another
    if matches!(
        r.status(),
        reqwest::StatusCode::NOT_FOUND | reqwest::StatusCode::GONE
    ) {
        return Ok(None);
    }
    if !r.status().is_success() {
        bail!("asking the server for the upload's offset: {}", r.status());
    }
    Ok(r.headers()
        .get("upload-offset")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok()))
}

/// Uploads a file; returns the server's final status (JSON).
pub async fn run(a: Args) -> Result<serde_json::Value> {
    let (md5, sha256, len) = digests(&a.file)?;
    let server = a.server.trim_end_matches('/').to_string();
    let target = a
        .node
        .clone()
        .or_else(|| a.parent.clone())
        .unwrap_or_default();
    let key = format!("{server} {target} {sha256}");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()?;
    let name = a
        .file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("file")
        .to_string();
    let url = match remembered(&key) {
        Some(u) if offset(&client, &u, &a.token).await?.is_some() => {
            eprintln!("resuming the upload at {u}");
            u
        }
        _ => {
            let r = client
                .post(format!("{server}/api/v1/uploads"))
                .bearer_auth(&a.token)
                .header("Tus-Resumable", "1.0.0")
                .header("Upload-Length", len.to_string())
                .header(
                    "Upload-Metadata",
                    meta(&[
                        ("filename", Some(&name)),
                        ("node", a.node.as_deref()),
                        ("parent", a.parent.as_deref()),
                        ("format", a.format.as_deref()),
                        ("md5", Some(&md5)),
                        ("sha256", Some(&sha256)),
                        ("pipeline", a.pipeline.as_deref()),
                        ("reference", a.reference.as_deref()),
                    ]),
                )
                .send()
                .await
                .context("creating the upload")?;
            if r.status() != reqwest::StatusCode::CREATED {
                let status = r.status();
                bail!(
                    "the server refused the upload ({status}): {}",
                    r.text().await.unwrap_or_default()
                );
            }
            let loc = r
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .context("the server gave no upload address")?
                .to_string();
            let u = if loc.starts_with("http") {
                loc
            } else {
                format!("{server}{loc}")
            };
            remember(&key, Some(&u));
            u
        }
    };
    let b = bar(len, "uploading");
    let mut f = std::fs::File::open(&a.file)?;
    let mut buf = vec![0u8; CHUNK];
    let mut failures: u32 = 0;
    loop {
        // gone (rejected, cancelled): its status below says why
        let Some(at) = offset(&client, &url, &a.token).await? else {
            break;
        };
        b.set_position(at);
        if at == len {
            break;
        }
        f.seek(SeekFrom::Start(at))?;
        let n = f.read(&mut buf)?;
        let sent = client
            .patch(&url)
            .bearer_auth(&a.token)
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Offset", at.to_string())
            .header("Content-Type", "application/offset+octet-stream")
            .body(buf[..n].to_vec())
            .send()
            .await;
        match sent {
            Ok(r) if r.status() == reqwest::StatusCode::NO_CONTENT => {
                failures = 0;
                if at + n as u64 == len {
                    break;
                }
            }
            Ok(r) if r.status() == reqwest::StatusCode::UNPROCESSABLE_ENTITY => {
                remember(&key, None);
                bail!(
                    "the server rejected the file: {}",
                    r.text().await.unwrap_or_default()
                );
            }
            Ok(r)
                if r.status().is_client_error() && r.status() != reqwest::StatusCode::CONFLICT =>
            {
                bail!(
                    "the server refused a chunk ({}): {}",
                    r.status(),
                    r.text().await.unwrap_or_default()
                );
            }
            other => {
                failures += 1;
                let why = match other {
                    Ok(r) => format!("status {}", r.status()),
                    Err(e) => e.to_string(),
                };
                if failures > 20 {
                    bail!("giving up after {failures} failed attempts: {why}");
                }
                b.println(format!("chunk at {at} failed ({why}); resuming"));
                tokio::time::sleep(Duration::from_secs(u64::from(failures).min(30))).await;
            }
        }
    }
    b.finish_and_clear();
    let mut status = status_of(&client, &url, &a.token).await?;
    if status["state"] == "receiving" && status["offset"].as_u64() == Some(len) {
        // every byte is in but the server stopped before registering the
        // file: an empty PATCH at the end asks it to finish
        let r = client
            .patch(&url)
            .bearer_auth(&a.token)
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Offset", len.to_string())
            .header("Content-Type", "application/offset+octet-stream")
            .body(Vec::new())
            .send()
            .await
            .context("asking the server to finish the upload")?;
        if r.status().is_server_error() {
            bail!(
                "the server could not finish the upload ({}); run the command again to resume it",
                r.status()
            );
        }
        status = status_of(&client, &url, &a.token).await?;
    }
    if status["state"] != "receiving" {
        remember(&key, None);
    }
    Ok(status)
}

async fn status_of(client: &reqwest::Client, url: &str, token: &str) -> Result<serde_json::Value> {
    let r = client
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .context("reading the upload's status")?;
    if !r.status().is_success() {
        bail!("reading the upload's status at {url}: {}", r.status());
    }
    r.json().await.context("reading the upload's status")
}
