//! The append-only, hash-chained audit trail (R8.2).
//!
//! Entry `n` stores `hash(n) = SHA-256(prev_hash, n, at, actor, action,
//! target, detail)` with `prev_hash = hash(n-1)` (64 zeros for the first), so
//! changing, removing or reordering any entry breaks every later hash.

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256};
use sqlx::{Any, Transaction};
use time::OffsetDateTime;

use crate::time_ms::{from_ms, to_ms};
use crate::{Store, StoreError};

/// The `prev_hash` of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What to record: who did what to which thing, with details.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// Who: `user:NAME`, `token:NAME`, `system`, `anonymous@IP`…
    pub actor: String,
    /// What, as a dotted verb: `participant.register`, `auth.login_failed`…
    pub action: String,
    /// Which thing: `participant:ZP…`, `node:…`, `user:…`.
    pub target: String,
    /// Details as JSON (never secrets).
    pub detail: serde_json::Value,
}

impl AuditEntry {
    /// Builds an entry with no details.
    pub fn new(
        actor: impl Into<String>,
        action: impl Into<String>,
        target: impl Into<String>,
    ) -> Self {
        Self {
            actor: actor.into(),
            action: action.into(),
            target: target.into(),
            detail: serde_json::Value::Null,
        }
    }

    /// Adds details.
    pub fn with_detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = detail;
        self
    }
}

/// A stored audit entry.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    /// Position, from 1.
    pub seq: i64,
    /// When.
    pub at: OffsetDateTime,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// Which thing.
    pub target: String,
    /// Details as stored (JSON text).
    pub detail: String,
    /// Hash of the previous entry.
    pub prev_hash: String,
    /// Hash of this entry.
    pub hash: String,
}

/// What a walk of the chain found ([`Store::walk_audit`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ChainWalk {
    /// The number of entries, or where the chain breaks.
    pub verdict: Result<i64, ChainBreak>,
    /// Hash and time of each asked-for position that the walk reached.
    pub seen: BTreeMap<i64, (String, OffsetDateTime)>,
    /// The entries with the asked-for action, oldest first.
    pub marked: Vec<AuditRecord>,
}

/// Where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    /// The first entry that does not verify (or the head).
    pub seq: i64,
    /// What is wrong there.
    pub reason: String,
}

fn field(h: &mut Sha256, s: &str) {
    h.update((s.len() as u64).to_be_bytes());
    h.update(s.as_bytes());
}

/// The hash of an entry, hex-encoded.
pub fn entry_hash(
    prev_hash: &str,
    seq: i64,
    at_ms: i64,
    actor: &str,
    action: &str,
    target: &str,
    detail: &str,
) -> String {
    let mut h = Sha256::new();
    h.update(b"zenome-audit-v1\n");
    field(&mut h, prev_hash);
    h.update(seq.to_be_bytes());
    h.update(at_ms.to_be_bytes());
    field(&mut h, actor);
    field(&mut h, action);
    field(&mut h, target);
    field(&mut h, detail);
    hex::encode(h.finalize())
}

pub(crate) async fn append(
    tx: &mut Transaction<'static, Any>,
    entry: &AuditEntry,
    at: OffsetDateTime,
) -> Result<i64, StoreError> {
    // The first statement of every write transaction is this update: it takes
    // the write lock at once (no deferred-lock upgrade on SQLite) and
    // serialises appends on PostgreSQL through the row lock.
    let (seq, prev): (i64, String) =
        sqlx::query_as("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
            .fetch_one(&mut **tx)
            .await?;
    let at_ms = to_ms(at);
    let detail = entry.detail.to_string();
    let hash = entry_hash(
        &prev,
        seq,
        at_ms,
        &entry.actor,
        &entry.action,
        &entry.target,
        &detail,
    );
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&hash)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor, action, target, detail, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(seq)
    .bind(at_ms)
    .bind(&entry.actor)
    .bind(&entry.action)
    .bind(&entry.target)
    .bind(&detail)
    .bind(&prev)
    .bind(&hash)
    .execute(&mut **tx)
    .await?;
    Ok(seq)
}

type AuditRow = (i64, i64, String, String, String, String, String, String);

fn record(r: AuditRow) -> Result<AuditRecord, StoreError> {
    Ok(AuditRecord {
        seq: r.0,
        at: from_ms(r.1)?,
        actor: r.2,
        action: r.3,
        target: r.4,
        detail: r.5,
        prev_hash: r.6,
        hash: r.7,
    })
}

impl Store {
    /// Records an event that changes nothing else (a failed login, a denial).
    pub async fn record(&self, entry: AuditEntry) -> Result<i64, StoreError> {
        let tx = self.begin(entry).await?;
        let seq = tx.audit_seq();
        tx.commit().await?;
        Ok(seq)
    }

    /// Entries with `seq > after`, oldest first, at most `limit`.
    pub async fn audit_after(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let rows: Vec<AuditRow> = sqlx::query_as(
            "SELECT seq, at, actor, action, target, detail, prev_hash, hash FROM audit_log \
             WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(record).collect()
    }

    /// The newest entries, newest first; optionally only those about `target`.
    pub async fn audit_recent(
        &self,
        target: Option<&str>,
        limit: i64,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let rows: Vec<AuditRow> =
            match target {
                Some(t) => sqlx::query_as(
                    "SELECT seq, at, actor, action, target, detail, prev_hash, hash FROM audit_log \
                     WHERE target = $1 ORDER BY seq DESC LIMIT $2",
                )
                .bind(t)
                .bind(limit)
                .fetch_all(self.pool())
                .await?,
                None => sqlx::query_as(
                    "SELECT seq, at, actor, action, target, detail, prev_hash, hash FROM audit_log \
                     ORDER BY seq DESC LIMIT $1",
                )
                .bind(limit)
                .fetch_all(self.pool())
                .await?,
            };
        rows.into_iter().map(record).collect()
    }

    /// The head: the last position and its hash.
    pub async fn audit_head(&self) -> Result<(i64, String), StoreError> {
        Ok(
            sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
                .fetch_one(self.pool())
                .await?,
        )
    }

    /// Walks the whole chain and returns the number of entries, or the first
    /// place where it breaks. One streaming query: rows are hashed as they
    /// arrive and memory stays flat. (Measured: about 110,000 entries a
    /// second on SQLite, bound by the driver handing rows across threads one
    /// at a time, not by SHA-256.)
    pub async fn verify_audit(&self) -> Result<Result<i64, ChainBreak>, StoreError> {
        Ok(self.walk_audit(&BTreeSet::new(), None).await?.verdict)
    }

    /// [`Store::verify_audit`], noting on the way the entries an outside
    /// check needs: the hash and time of every position in `positions` (the
    /// anchors' positions), and every entry whose action is `action` (the
    /// anchors' own records). Entries past a break are not noted.
    pub async fn walk_audit(
        &self,
        positions: &BTreeSet<i64>,
        action: Option<&str>,
    ) -> Result<ChainWalk, StoreError> {
        use futures_util::TryStreamExt;
        let mut walk = ChainWalk {
            verdict: Ok(0),
            seen: BTreeMap::new(),
            marked: Vec::new(),
        };
        let mut expected_seq = 1;
        let mut prev = GENESIS_HASH.to_string();
        let mut rows = sqlx::query_as::<_, AuditRow>(
            "SELECT seq, at, actor, action, target, detail, prev_hash, hash FROM audit_log ORDER BY seq",
        )
        .fetch(self.pool());
        while let Some(row) = rows.try_next().await? {
            let (seq, at, actor, action_here, target, detail, prev_hash, hash) = &row;
            let seq = *seq;
            if seq != expected_seq {
                walk.verdict = Err(ChainBreak {
                    seq: expected_seq,
                    reason: format!("entry {expected_seq} is missing (next present is {seq})"),
                });
                return Ok(walk);
            }
            if *prev_hash != prev {
                walk.verdict = Err(ChainBreak {
                    seq,
                    reason: "prev_hash does not match the previous entry".into(),
                });
                return Ok(walk);
            }
            let h = entry_hash(prev_hash, seq, *at, actor, action_here, target, detail);
            if h != *hash {
                walk.verdict = Err(ChainBreak {
                    seq,
                    reason: "content does not match its hash".into(),
                });
                return Ok(walk);
            }
            if positions.contains(&seq) {
                walk.seen.insert(seq, (h.clone(), from_ms(*at)?));
            }
            if action == Some(action_here.as_str()) {
                walk.marked.push(record(row)?);
            }
            prev = h;
            expected_seq += 1;
        }
        drop(rows);
        let (head_seq, head_hash) = self.audit_head().await?;
        if head_seq != expected_seq - 1 || head_hash != prev {
            walk.verdict = Err(ChainBreak {
                seq: head_seq,
                reason: format!(
                    "the head says {head_seq} entries but the chain has {}",
                    expected_seq - 1
                ),
            });
            return Ok(walk);
        }
        walk.verdict = Ok(expected_seq - 1);
        Ok(walk)
    }
}
