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
