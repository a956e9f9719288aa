//! The `zenome` binary as an operator runs it: demo build, audit verify and
//! anchor (exit codes and messages), configuration printing.

use std::process::Command;

fn zenome(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_zenome"))
        .args(args)
        .env_remove("ZENOME_DATABASE_URL")
        .env("ZENOME_LOG", "warn")
        .output()
        .expect("run zenome")
}

#[test]
fn demo_then_audit_verify_catches_a_one_byte_change() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let out = zenome(&[
        "demo",
        "--data-dir",
        d,
        "--no-serve",
        "--participants-per-facility",
        "4",
        "--seed",
        "7",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // the demo pipeline: two versions evaluated, the better one current
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("pipelines: 2 versions of zenome-demo-pipeline evaluated on the demo truth set; current: 1.1"),
        "{said}"
    );
    let accounts: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("demo-accounts.json")).unwrap(),
    )
    .unwrap();
    assert!(
        accounts
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["role"] == "facility_submitter" && a["totp_secret"].is_string())
    );
    assert!(
        accounts
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["api_token"].is_string())
    );

    let out = zenome(&["--data-dir", d, "audit", "anchor"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = zenome(&["--data-dir", d, "audit", "verify"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("intact"), "{stdout}");
    assert!(stdout.contains("unanchored tail: 0 entries"), "{stdout}");
    assert!(stdout.contains("/audit/anchors"), "{stdout}");

    // the anchor store emptied: verify fails, naming what is missing, and
    // still reports the unanchored tail
    let anchors = dir.path().join("audit").join("anchors").join("anchors");
    let aside = dir.path().join("anchors-aside");
    std::fs::rename(&anchors, &aside).unwrap();
    let out = zenome(&["--data-dir", d, "audit", "verify"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("anchors were deleted"), "{err}");
    assert!(err.contains("unanchored tail:"), "{err}");
    std::fs::rename(&aside, &anchors).unwrap();

    // flip one byte of entry 10's detail on disk, through SQLite itself
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = zenome_store::Store::connect(&format!("sqlite://{d}/zenome.db"))
            .await
            .unwrap();
        let row = store.audit_after(9, 1).await.unwrap().remove(0);
        let mut bytes = row.detail.into_bytes();
        bytes[0] ^= 0x01;
        zenome_store::testing::tamper_audit_detail(&store, 10, &String::from_utf8_lossy(&bytes))
            .await;
        store.close().await;
    });
    let out = zenome(&["--data-dir", d, "audit", "verify"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("broken at entry 10"), "{err}");
}

#[test]
fn the_default_config_prints_and_reads_back() {
    let out = zenome(&["config", "--print-default"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(text.contains("listen = \"127.0.0.1:8080\""));
    assert!(
        text.contains("[access.industry]") && text.contains("required_approvals = 2"),
        "{text}"
    );
    assert!(
        text.contains("[audit]") && text.contains("every_entries = 1000"),
        "{text}"
    );
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("z.toml");
    std::fs::write(&f, &text).unwrap();
    let out = zenome(&[
        "--config",
        f.to_str().unwrap(),
        "--data-dir",
        dir.path().to_str().unwrap(),
        "db",
        "migrate",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // an unknown key is refused, naming it
    std::fs::write(&f, "lissen = 1\n").unwrap();
    let out = zenome(&["--config", f.to_str().unwrap(), "db", "migrate"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("lissen"));
}

/// The stored copies under a data directory: (store, shard, path).
fn stored_copies(data: &std::path::Path) -> Vec<(String, String, std::path::PathBuf)> {
    let mut out = Vec::new();
    for store in std::fs::read_dir(data.join("objects")).unwrap().flatten() {
        let sharded = store.path().join("sha256");
        for shard in std::fs::read_dir(&sharded).into_iter().flatten().flatten() {
            for f in std::fs::read_dir(shard.path()).unwrap().flatten() {
                if f.path().extension().is_some_and(|e| e == "c4gh") {
                    out.push((
                        store.file_name().to_string_lossy().into_owned(),
                        shard.file_name().to_string_lossy().into_owned(),
                        f.path(),
                    ));
                }
            }
        }
    }
    out.sort();
    out
}

/// `zenome scrub` once stopped at the first copy it could not repair (and
/// exited as if the rest were fine). After the demo (two copies of every
/// file kind, VCFs included) it exits 0; with one copy flipped and a store
/// that cannot take a repair it repairs what it can, names every failure,
/// and exits non-zero.
#[test]
fn scrub_reports_every_failure_and_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let out = zenome(&[
        "demo",
        "--data-dir",
        d,
        "--no-serve",
        "--participants-per-facility",
        "4",
        "--seed",
        "7",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let copies = stored_copies(dir.path());
    assert!(
        copies
            .iter()
            .any(|c| c.2.to_string_lossy().contains(".c4gh")),
        "the demo stores files"
    );
    // every object has two copies
    let mut names: Vec<_> = copies
        .iter()
        .map(|c| c.2.file_name().unwrap().to_owned())
        .collect();
    names.sort();
    for n in &names {
        assert!(
            names.iter().filter(|m| *m == n).count() >= 2,
            "{n:?} has one copy"
        );
    }
    let out = zenome(&["--data-dir", d, "scrub"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains(" 0 lost, 0 failures"), "{stdout}");
    // a shard of cold-b cannot take a repair; a copy elsewhere is flipped
    let (_, blocked, victim) = copies.iter().find(|c| c.0 == "cold-b").unwrap().clone();
    std::fs::remove_file(&victim).unwrap();
    let shard = victim.parent().unwrap().to_path_buf();
    std::fs::remove_dir_all(&shard).unwrap();
    std::fs::write(&shard, b"not a directory").unwrap();
    let (_, _, flipped) = copies
        .iter()
        .rev()
        .find(|c| c.0 == "hot" && c.1 != blocked)
        .unwrap()
        .clone();
    let mut bytes = std::fs::read(&flipped).unwrap();
    let at = bytes.len() - 10;
    bytes[at] ^= 0x01;
    std::fs::write(&flipped, &bytes).unwrap();
    let out = zenome(&["--data-dir", d, "scrub"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(stdout.contains("FAILED"), "{stdout}");
    assert!(stdout.contains("in hot (was corrupt)"), "{stdout}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("could not be checked or repaired"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_ne!(std::fs::read(&flipped).unwrap(), bytes, "repaired");
    // the store is mended: the next scrub puts the copy back and exits 0
    std::fs::remove_file(&shard).unwrap();
    let out = zenome(&["--data-dir", d, "scrub"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(victim.exists(), "{stdout}");
}

fn ok(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[test]
fn an_operator_could_not_revoke_a_token_or_disable_a_user() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let text = ok(&zenome(&[
        "--data-dir",
        d,
        "admin",
        "user",
        "add",
        "--username",
        "robot",
        "--role",
        "data_centre_staff",
        "--machine",
    ]));
    let first = text
        .split_whitespace()
        .find(|w| w.starts_with("zk_"))
        .expect("token printed")
        .to_string();
    let text = ok(&zenome(&[
        "--data-dir",
        d,
        "admin",
        "token",
        "issue",
        "--username",
        "robot",
        "--label",
        "nightly",
        "--expires-in-days",
        "30",
    ]));
    let id = text
        .lines()
        .find_map(|l| l.strip_prefix("id: "))
        .and_then(|l| l.split_whitespace().next())
        .expect("id printed")
        .to_string();
    let listed = ok(&zenome(&[
        "--data-dir",
        d,
        "admin",
        "token",
        "list",
        "robot",
    ]));
    assert!(
        listed.contains(&id) && listed.contains("nightly"),
        "{listed}"
    );
    assert!(!listed.contains(&first[3..]), "no secret in the list");
    ok(&zenome(&[
        "--data-dir",
        d,
        "admin",
        "token",
        "revoke",
        "robot",
        &id,
    ]));
    let listed = ok(&zenome(&[
        "--data-dir",
        d,
        "admin",
        "token",
        "list",
        "robot",
    ]));
    let line = listed.lines().find(|l| l.starts_with(&id)).unwrap();
    assert!(line.ends_with("revoked"), "{line}");
    // an unknown token is an error
    assert!(
        !zenome(&["--data-dir", d, "admin", "token", "revoke", "robot", "nope"])
            .status
            .success()
    );
    ok(&zenome(&[
        "--data-dir",
        d,
        "admin",
        "user",
        "disable",
        "robot",
    ]));
    let users = ok(&zenome(&["--data-dir", d, "admin", "user", "list"]));
    assert!(
        users
            .lines()
            .any(|l| l.starts_with("robot") && l.ends_with("disabled")),
        "{users}"
    );
    ok(&zenome(&[
        "--data-dir",
        d,
        "admin",
        "user",
        "enable",
        "robot",
    ]));
    let users = ok(&zenome(&["--data-dir", d, "admin", "user", "list"]));
    assert!(!users.contains("disabled"), "{users}");
}

#[test]
fn variants_load_without_a_store_goes_through_the_app_and_refuses_unregistered_samples() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let vcf = dir.path().join("calls.vcf");
    std::fs::write(
        &vcf,
        "##fileformat=VCFv4.2\n##contig=<ID=20>\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n\
         #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tNA12878\n\
         20\t100\t.\tA\tT\t.\tPASS\t.\tGT\t0/1\n",
    )
    .unwrap();
    let out = zenome(&["--data-dir", d, "variants", "load", vcf.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("NA12878"), "{err}");
    assert!(
        !dir.path().join("variants").join("manifest.json").exists(),
        "something was stored"
    );
}
