//! The audit trail seen from outside the database: access records (every
//! API read and every refusal), and anchors — the head hash written
//! periodically to a file of its own, so that a rewrite of the whole chain
//! (which a chain check alone cannot see) is caught too.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use zenome_store::AuditEntry;

use crate::alerts::Event;
use crate::{App, AppError};

/// The result of a full verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// Intact: this many entries, this many anchors matched.
    Intact {
        /// Entries.
        entries: i64,
        /// Anchors checked.
        anchors: usize,
    },
    /// Broken at this entry, for this reason.
    Broken {
        /// The first bad entry.
        seq: i64,
        /// What is wrong.
        reason: String,
    },
}

impl App {
    /// The anchor file in force.
    pub fn anchor_file(&self) -> PathBuf {
        self.config().data_dir.join("audit").join("anchors.log")
    }

    /// Records an access (a read, or a refused request) and notes the
    /// address an API token came from; a new address raises an alert.
    pub async fn record_access(
        &self,
        entry: AuditEntry,
        token: Option<(&str, &str)>,
        ip: Option<&str>,
    ) -> Result<(), AppError> {
        let mut tx = self.store().begin(entry).await?;
        let mut new_address = None;
        if let (Some((user, hash)), Some(ip)) = (token, ip) {
            let (new, first) = tx.note_token_address(hash, ip).await?;
            if new && !first {
                new_address = Some(user.to_string());
            }
        }
        tx.commit().await?;
        if let (Some(user), Some(ip)) = (new_address, ip) {
            self.observe(Event::TokenNewAddress { user: &user, ip })
                .await;
        }
        Ok(())
    }

    /// Appends the current head (position and hash) to the anchor file.
    pub async fn write_anchor(&self) -> Result<(i64, String), AppError> {
        let (seq, hash) = self.store().audit_head().await?;
        let path = self.anchor_file();
        append_anchor(&path, seq, &hash)
            .map_err(|e| AppError::Internal(format!("writing {}: {e}", path.display())))?;
        let entry = AuditEntry::new("system:anchor", "audit.anchor", format!("audit:{seq}"))
            .with_detail(json!({ "hash": hash }));
        self.store().record(entry).await?;
        Ok((seq, hash))
    }

    /// Verifies the chain and every anchor. An anchor whose entry is gone or
    /// has another hash means the chain was rewritten or cut.
    pub async fn verify_audit(&self) -> Result<Verification, AppError> {
        let entries = match self.store().verify_audit().await? {
            Ok(n) => n,
            Err(b) => {
                return Ok(Verification::Broken {
                    seq: b.seq,
                    reason: b.reason,
                });
            }
        };
        let anchors = read_anchors(&self.anchor_file())
            .map_err(|e| AppError::Internal(format!("reading anchors: {e}")))?;
        for (line, seq, hash) in &anchors {
            if *seq > entries {
                return Ok(Verification::Broken {
                    seq: entries + 1,
                    reason: format!(
                        "anchor (line {line}) vouches for entry {seq} but the chain ends at {entries}: entries were removed"
                    ),
                });
            }
            if *seq == 0 {
                continue;
            }
            let rows = self.store().audit_after(seq - 1, 1).await?;
            match rows.first() {
                Some(r) if r.seq == *seq && r.hash == *hash => {}
                _ => {
                    return Ok(Verification::Broken {
                        seq: *seq,
                        reason: format!(
                            "entry {seq} does not match the anchor on line {line}: the chain was rewritten"
                        ),
                    });
                }
            }
        }
        Ok(Verification::Intact {
            entries,
            anchors: anchors.len(),
        })
    }
}

fn append_anchor(path: &Path, seq: i64, hash: &str) -> std::io::Result<()> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    let at = OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default();
    writeln!(f, "{seq} {hash} {at}")?;
    f.sync_all()
}

/// (line number, seq, hash) of every anchor; a missing file has none.
fn read_anchors(path: &Path) -> std::io::Result<Vec<(usize, i64, String)>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut parts = line.split_whitespace();
        let (Some(seq), Some(hash)) = (parts.next(), parts.next()) else {
            return Err(std::io::Error::other(format!(
                "anchor line {} is malformed",
                i + 1
            )));
        };
        let seq = seq.parse().map_err(|_| {
            std::io::Error::other(format!("anchor line {} has a bad position", i + 1))
        })?;
        out.push((i + 1, seq, hash.to_string()));
    }
    Ok(out)
}
