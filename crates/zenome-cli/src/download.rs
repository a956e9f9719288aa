//! `zenome download`: a researcher's client for the files a grant lets them
//! read (issue 15). It takes a manifest (`GET /api/v1/grants/{id}/manifest`,
//! TSV with GDC's columns first, or JSON) or DRS ids, and for each file:
//! reads its DRS object (name, size, checksums), fetches the bytes through
//! the DRS access method — `crypt4gh` (the default: encrypted for the
//! caller's public key, decrypted here with their secret key) or `plain` —
//! in parallel, resuming a partial download with a Range request, then
//! verifies MD5 and SHA-256 against the manifest and the server before the
//! file gets its name. A file that fails (refused, changed, corrupt) is one
//! line on stderr; the others go on; the exit status says whether all came.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use base64::Engine as _;
use md5::Md5;
use sha2::{Digest, Sha256};

/// What to fetch and how.
pub struct Args {
    pub manifest: Option<PathBuf>,
    pub ids: Vec<String>,
    pub key: Option<PathBuf>,
    pub plain: bool,
    pub parallel: usize,
    pub out: PathBuf,
    pub server: String,
    pub token: String,
}

/// One line of the manifest (or a bare DRS id).
#[derive(Debug, Clone)]
struct Want {
    id: String,
    filename: Option<String>,
    md5: Option<String>,
    sha256: Option<String>,
    size: Option<u64>,
}

fn read_manifest(path: &Path) -> Result<Vec<Want>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    if text.trim_start().starts_with('[') {
        let v: Vec<serde_json::Value> = serde_json::from_str(&text)
            .with_context(|| format!("{}: not a JSON manifest", path.display()))?;
        return v
            .iter()
            .enumerate()
            .map(|(i, x)| {
                Ok(Want {
                    id: x["id"]
                        .as_str()
                        .ok_or_else(|| anyhow!("{}: entry {} has no id", path.display(), i + 1))?
                        .to_string(),
                    filename: x["filename"].as_str().map(str::to_string),
                    md5: x["md5"].as_str().map(str::to_string),
                    sha256: x["sha256"].as_str().map(str::to_string),
                    size: x["size"].as_u64(),
                })
            })
            .collect();
    }
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines
        .next()
        .ok_or_else(|| anyhow!("{}: empty manifest", path.display()))?;
    let cols: Vec<&str> = header.split('\t').map(str::trim).collect();
    let col = |name: &str| cols.iter().position(|c| c.eq_ignore_ascii_case(name));
    let id = col("id").ok_or_else(|| anyhow!("{}: line 1 has no `id` column", path.display()))?;
    let (name, md5, sha, size) = (col("filename"), col("md5"), col("sha256"), col("size"));
    let mut out = Vec::new();
    for (n, line) in lines {
        let f: Vec<&str> = line.split('\t').collect();
        let get = |c: Option<usize>| {
            c.and_then(|c| f.get(c))
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        let Some(i) = get(Some(id)) else {
            bail!("{}: line {} has no id", path.display(), n + 1);
        };
        out.push(Want {
            id: i,
            filename: get(name),
            md5: get(md5),
            sha256: get(sha),
            size: match get(size) {
                Some(s) => Some(s.parse().map_err(|_| {
                    anyhow!(
                        "{}: line {}: size {s:?} is not a number",
                        path.display(),
                        n + 1
                    )
                })?),
                None => None,
            },
        });
    }
    Ok(out)
}

/// A file name safe to write under `--out` (no directories, no dot files).
fn safe_name(name: &str, id: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let base = base.trim_start_matches('.');
    if base.is_empty() {
        id.to_string()
    } else {
        base.to_string()
    }
}

fn bar(mp: &indicatif::MultiProgress, len: u64, name: &str) -> indicatif::ProgressBar {
    let b = mp.add(indicatif::ProgressBar::new(len));
    b.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg:30!} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ({eta})",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    b.set_message(name.to_string());
    b
}

struct Ctx {
    client: reqwest::Client,
    server: String,
    token: String,
    secret: Option<zenome_crypt4gh::SecretKey>,
    out: PathBuf,
    mp: indicatif::MultiProgress,
}

async fn problem(r: reqwest::Response) -> String {
    let status = r.status();
    let body = r.text().await.unwrap_or_default();
    let detail = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| {
            v["detail"]
                .as_str()
                .or(v["msg"].as_str())
                .map(str::to_string)
        })
        .unwrap_or(body);
    format!("{status}: {detail}")
}

/// Fetches one file; the error says why in one line.
async fn fetch(ctx: &Ctx, want: &Want) -> Result<PathBuf> {
    let base = ctx.server.trim_end_matches('/');
    let r = ctx
        .client
        .get(format!("{base}/ga4gh/drs/v1/objects/{}", want.id))
        .bearer_auth(&ctx.token)
        .send()
        .await
        .context("reaching the server")?;
    if !r.status().is_success() {
        bail!("refused by the server ({})", problem(r).await);
    }
    let obj: serde_json::Value = r.json().await.context("reading the DRS object")?;
    let size = obj["size"]
        .as_u64()
        .ok_or_else(|| anyhow!("the DRS object has no size"))?;
    let checksum = |t: &str| {
        obj["checksums"].as_array().and_then(|a| {
            a.iter()
                .find(|c| {
                    c["type"].as_str().is_some_and(|x| {
                        x.eq_ignore_ascii_case(t) || x.replace('-', "").eq_ignore_ascii_case(t)
                    })
                })
                .and_then(|c| c["checksum"].as_str())
                .map(str::to_string)
        })
    };
    let name = safe_name(
        want.filename
            .as_deref()
            .or(obj["name"].as_str())
            .unwrap_or(&want.id),
        &want.id,
    );
    if let Some(s) = want.size
        && s != size
    {
        bail!("the manifest says {s} bytes, the server {size}: the manifest is not this object's");
    }
    let target = ctx.out.join(&name);
    if target.exists() {
        // already here: verified below like a fresh one
    }
    let access = if ctx.secret.is_some() {
        "crypt4gh"
    } else {
        "plain"
    };
    let part = ctx.out.join(format!(".{name}.{access}.part"));
    let have = std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
    // a crypt4gh stream's header is made per request: resume only past it
    let resume_from = if access == "crypt4gh" && have < 1024 {
        0
    } else {
        have
    };
    let mut req = ctx
        .client
        .get(format!(
            "{base}/ga4gh/drs/v1/objects/{}/data/{access}",
            want.id
        ))
        .bearer_auth(&ctx.token);
    if let Some(sk) = &ctx.secret {
        req = req.header(
            "Crypt4GH-Public-Key",
            base64::engine::general_purpose::STANDARD.encode(sk.public().as_bytes()),
        );
    }
    if resume_from > 0 {
        req = req.header("Range", format!("bytes={resume_from}-"));
    }
    let mut r = req.send().await.context("reaching the server")?;
    let status = r.status();
    if status == reqwest::StatusCode::RANGE_NOT_SATISFIABLE {
        // nothing left to fetch: the part is whole
    } else if !status.is_success() {
        bail!("refused by the server ({})", problem(r).await);
    } else {
        let append = status == reqwest::StatusCode::PARTIAL_CONTENT && resume_from > 0;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .append(append)
            .truncate(!append)
            .open(&part)
            .with_context(|| format!("writing {}", part.display()))?;
        let total = r
            .content_length()
            .map(|l| l + if append { resume_from } else { 0 });
        let b = bar(&ctx.mp, total.unwrap_or(size), &name);
        b.set_position(if append { resume_from } else { 0 });
        while let Some(chunk) = r
            .chunk()
            .await
            .context("the connection broke; run again to resume")?
        {
            f.write_all(&chunk)?;
            b.inc(chunk.len() as u64);
        }
        f.sync_all()?;
        b.finish_and_clear();
    }
    // decrypt (crypt4gh) and verify, then give the file its name
    let plain_part = ctx.out.join(format!(".{name}.verified.part"));
    let (md5, sha, len) = {
        let mut md5 = Md5::new();
        let mut sha = Sha256::new();
        struct Tee<'a, W: Write> {
            w: W,
            md5: &'a mut Md5,
            sha: &'a mut Sha256,
            n: u64,
        }
        impl<W: Write> Write for Tee<'_, W> {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                let n = self.w.write(buf)?;
                self.md5.update(&buf[..n]);
                self.sha.update(&buf[..n]);
                self.n += n as u64;
                Ok(n)
            }
            fn flush(&mut self) -> std::io::Result<()> {
                self.w.flush()
            }
        }
        let out = std::fs::File::create(&plain_part)?;
        let mut tee = Tee {
            w: std::io::BufWriter::new(out),
            md5: &mut md5,
            sha: &mut sha,
            n: 0,
        };
        let input = std::io::BufReader::new(std::fs::File::open(&part)?);
        match &ctx.secret {
            Some(sk) => {
                zenome_crypt4gh::decrypt(input, &mut tee, sk).map_err(|e| {
                    anyhow!("cannot decrypt with this key ({e}); was it downloaded for another key? delete {} to start again", part.display())
                })?;
            }
            None => {
                let mut input = input;
                std::io::copy(&mut input, &mut tee)?;
            }
        }
        tee.flush()?;
        let n = tee.n;
        drop(tee);
        (hex::encode(md5.finalize()), hex::encode(sha.finalize()), n)
    };
    let fail = |what: &str, expected: &str, got: &str| {
        let _ = std::fs::remove_file(&plain_part);
        let _ = std::fs::remove_file(&part);
        anyhow!(
            "{what} check failed: expected {expected}, the downloaded file has {got} (removed; run again to fetch it anew)"
        )
    };
    if len != size {
        return Err(fail("size", &size.to_string(), &len.to_string()));
    }
    for (what, expected, got) in [
        ("MD5 (manifest)", want.md5.clone(), &md5),
        ("SHA-256 (manifest)", want.sha256.clone(), &sha),
        ("MD5 (server)", checksum("md5"), &md5),
        ("SHA-256 (server)", checksum("sha256"), &sha),
    ] {
        if let Some(e) = expected
            && !e.eq_ignore_ascii_case(got)
        {
            return Err(fail(what, &e, got));
        }
    }
    std::fs::rename(&plain_part, &target)?;
    let _ = std::fs::remove_file(&part);
    Ok(target)
}

/// Runs the downloads; `Ok(true)` when every file came.
pub async fn run(a: Args) -> Result<bool> {
    let mut wants = match &a.manifest {
        Some(m) => read_manifest(m)?,
        None => Vec::new(),
    };
    wants.extend(a.ids.iter().map(|id| Want {
        id: id.clone(),
        filename: None,
        md5: None,
        sha256: None,
        size: None,
    }));
    if wants.is_empty() {
        bail!("nothing to download: give --manifest FILE or DRS ids");
    }
    let secret = match (&a.key, a.plain) {
        (Some(k), false) => {
            let text =
                std::fs::read_to_string(k).with_context(|| format!("reading {}", k.display()))?;
            let pass = std::env::var("ZENOME_KEY_PASSPHRASE").ok();
            Some(
                zenome_crypt4gh::read_secret_key(&text, pass.as_deref()).with_context(|| {
                    format!(
                        "{}: not a Crypt4GH secret key (passphrase in ZENOME_KEY_PASSPHRASE)",
                        k.display()
                    )
                })?,
            )
        }
        (None, true) => None,
        (Some(_), true) => bail!("--key and --plain exclude each other"),
        (None, false) => bail!(
            "choose how files travel: --key my.sec (Crypt4GH, encrypted for your key; make one with `zenome keys generate`) or --plain"
        ),
    };
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let ctx = Arc::new(Ctx {
        client: reqwest::Client::new(),
        server: a.server.clone(),
        token: a.token.clone(),
        secret,
        out: a.out.clone(),
        mp: indicatif::MultiProgress::new(),
    });
    let sem = Arc::new(tokio::sync::Semaphore::new(a.parallel.max(1)));
    let mut tasks = Vec::new();
    for w in wants {
        let (ctx, sem) = (ctx.clone(), sem.clone());
        tasks.push(tokio::spawn(async move {
            let _p = sem.acquire_owned().await.expect("semaphore");
            let r = fetch(&ctx, &w).await;
            (w, r)
        }));
    }
    let (mut ok, mut failed) = (0usize, 0usize);
    for t in tasks {
        let (w, r) = t.await.map_err(|e| anyhow!("a download task died: {e}"))?;
        match r {
            Ok(path) => {
                ok += 1;
                let _ = ctx
                    .mp
                    .println(format!("ok      {} {}", w.id, path.display()));
            }
            Err(e) => {
                failed += 1;
                eprintln!(
                    "FAILED  {} {}: {e:#}",
                    w.id,
                    w.filename.as_deref().unwrap_or("")
                );
            }
        }
    }
    eprintln!("{ok} downloaded and verified, {failed} failed");
    Ok(failed == 0)
}

/// `zenome keys generate`: a Crypt4GH key pair in the format of the PyPI
/// `crypt4gh` tool (`PREFIX.sec`, passphrase-protected when
/// ZENOME_KEY_PASSPHRASE is set, and `PREFIX.pub`).
pub fn generate_keys(prefix: &Path) -> Result<(PathBuf, PathBuf)> {
    let sk = zenome_crypt4gh::SecretKey::generate();
    let pass = std::env::var("ZENOME_KEY_PASSPHRASE").ok();
    let sec = prefix.with_extension("sec");
    let publ = prefix.with_extension("pub");
    for p in [&sec, &publ] {
        if p.exists() {
            bail!("{} exists: not overwritten", p.display());
        }
    }
    let mut f = std::fs::OpenOptions::new()
        .create_new(true)
        .write(true)
        .open(&sec)
        .with_context(|| format!("writing {}", sec.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    f.write_all(zenome_crypt4gh::write_secret_key(&sk, pass.as_deref()).as_bytes())?;
    std::fs::write(&publ, zenome_crypt4gh::write_public_key(&sk.public()))?;
    Ok((sec, publ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_are_read_by_column_name_and_faults_named() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("m.tsv");
        std::fs::write(
            &p,
            "id\tfilename\tmd5\tsize\tstate\tsha256\nOBJ1\t参加者1.vcf.gz\tabc\t10\treleased\tdef\n\nOBJ2\tx.cram\t\t20\treleased\t\n",
        )
        .unwrap();
        let w = read_manifest(&p).unwrap();
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].filename.as_deref(), Some("参加者1.vcf.gz"));
        assert_eq!(w[0].size, Some(10));
        assert_eq!(w[1].md5, None);
        std::fs::write(&p, "filename\tmd5\nx\ty\n").unwrap();
        assert!(
            read_manifest(&p)
                .unwrap_err()
                .to_string()
                .contains("no `id` column")
        );
        std::fs::write(&p, "id\tsize\nA\tten\n").unwrap();
        assert!(
            read_manifest(&p)
                .unwrap_err()
                .to_string()
                .contains("line 2")
        );
        assert_eq!(safe_name("../../etc/passwd", "X"), "passwd");
        assert_eq!(safe_name(".hidden", "X"), "hidden");
        assert_eq!(safe_name("", "X"), "X");
    }
}
