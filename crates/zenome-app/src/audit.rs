//! The audit trail seen from outside the database: access records (every
//! API read and every refusal), and anchors — the head of the hash chain
//! written as write-once objects to an anchor store of its own (ideally out
//! of reach of whoever can change the database), so that a rewrite, a cut or
//! an edit of the anchored chain (which a chain check alone cannot see) is
//! caught, and the part not yet anchored is known and bounded.
//!
//! An anchor is `anchors/<seq, 20 digits>-<hash>.json` in the anchor store,
//! written with `PutMode::Create` (never replaced), then recorded in the
//! chain itself (`audit.anchor`, target `audit:<seq>`, with its hash, key and
//! store). Verification checks that every anchor matches the chain, that
//! every anchor has its record and every record its anchor (so neither a cut
//! after the newest anchor nor a deleted anchor goes unseen), and that the
//! unanchored tail stays within the configured bound. Anchors of older
//! versions (`DATA_DIR/audit/anchors.log`, one `seq hash time` per line) are
//! still read and checked the same way.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use zenome_objects::{PutOnce, Stores};
use zenome_store::{AuditEntry, GENESIS_HASH};

use crate::alerts::Event;
use crate::config::AuditConfig;
use crate::{App, AppError};

/// The action of an anchor's record in the chain.
pub const ANCHOR_ACTION: &str = "audit.anchor";
/// The folder of anchors in the anchor store.
const ANCHOR_DIR: &str = "anchors";
/// The name the anchor store goes by in messages.
const ANCHOR_STORE: &str = "anchors";

/// An anchor just written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    /// The position it vouches for.
    pub seq: i64,
    /// That entry's hash.
    pub hash: String,
    /// Its key in the anchor store.
    pub key: String,
    /// Where its record went in the chain.
    pub record_seq: i64,
}

/// What the background anchoring remembers between checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnchorMark {
    /// The position the last anchor vouches for.
    pub seq: i64,
    /// Where its record went (entries may have landed between the two:
    /// those are still unanchored).
    pub record_seq: i64,
    /// When the last anchor was written.
    pub at: OffsetDateTime,
}

/// The newest anchor found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewestAnchor {
    /// The position it vouches for.
    pub seq: i64,
    /// When the anchor store says it was written (absent for legacy anchors).
    pub at: Option<OffsetDateTime>,
    /// Its age in whole minutes, when known.
    pub age_minutes: Option<i64>,
}

/// The entries no anchor vouches for yet.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UnanchoredTail {
    /// How many (the newest anchor's own record, right after it, is not
    /// counted: it is a record of the anchoring, vouched for by the next).
    pub entries: i64,
    /// When the oldest of them was written.
    pub oldest: Option<OffsetDateTime>,
    /// Its age in whole minutes.
    pub age_minutes: i64,
}

/// Why verification failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The first entry concerned.
    pub seq: i64,
    /// What is wrong.
    pub reason: String,
}

/// The result of a full verification: what was checked, the unanchored
/// tail, and the first problem found, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Entries in the chain (up to a break).
    pub entries: i64,
    /// Anchors checked against the chain (both sources).
    pub anchors: usize,
    /// Of which read from the legacy `anchors.log`.
    pub legacy_anchors: usize,
    /// Where the anchors were read from (the anchor store's URL).
    pub location: String,
    /// The newest anchor.
    pub newest_anchor: Option<NewestAnchor>,
    /// What follows it.
    pub tail: UnanchoredTail,
    /// The first problem, or `None` when the trail is intact.
    pub problem: Option<Problem>,
}

impl Verification {
    /// Intact: the chain holds, every anchor matches and is recorded, and
    /// the unanchored tail is within bounds.
    pub fn is_intact(&self) -> bool {
        self.problem.is_none()
    }
}

/// One anchor as found: where from, position and hash.
#[derive(Debug, Clone)]
struct Found {
    /// The object key, or `anchors.log line N`.
    name: String,
    seq: i64,
    hash: String,
    at: Option<OffsetDateTime>,
}

/// Whether the background anchoring should anchor now: something besides
/// its record follows the last anchor, and either `every_entries` entries do or
/// `every_minutes` have passed since. With no anchor yet (`last` absent) it
/// anchors at once; `closing` anchors whatever is pending (at shutdown).
pub fn anchor_due(
    cfg: &AuditConfig,
    head_seq: i64,
    last: Option<&AnchorMark>,
    now: OffsetDateTime,
    closing: bool,
) -> bool {
    let Some(last) = last else { return true };
    // the anchor's own record needs no anchor of its own
    let pending = head_seq - last.seq - 1;
    if pending <= 0 {
        return false;
    }
    closing
        || pending as u64 >= cfg.every_entries.max(1)
        || now - last.at >= time::Duration::minutes(i64::from(cfg.every_minutes))
}

fn anchor_key(seq: i64, hash: &str) -> String {
    format!("{ANCHOR_DIR}/{seq:020}-{hash}.json")
}

/// (seq, hash) from an anchor key, or `None` when it is not one.
fn parse_key(key: &str) -> Option<(i64, String)> {
    let name = key.strip_prefix(ANCHOR_DIR)?.strip_prefix('/')?;
    let (seq, rest) = name.split_once('-')?;
    let hash = rest.strip_suffix(".json")?;
    if seq.len() != 20
        || !seq.bytes().all(|b| b.is_ascii_digit())
        || hash.len() != 64
        || !hash.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return None;
    }
    Some((seq.parse().ok()?, hash.to_string()))
}

fn internal(what: &str) -> impl Fn(zenome_objects::ObjectError) -> AppError + '_ {
    move |e| AppError::Internal(format!("{what}: {e}"))
}

impl App {
    /// The legacy anchor file (versions before the anchor store); still read.
    pub fn anchor_file(&self) -> PathBuf {
        self.config().data_dir.join("audit").join("anchors.log")
    }

    /// Where anchors are written: the anchor store's URL (no secrets).
    pub fn anchor_location(&self) -> String {
        self.config().anchor_store().url
    }

    fn anchor_store(&self) -> Result<Stores, AppError> {
        Stores::open(&[self.config().anchor_store()]).map_err(internal("the anchor store"))
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

    /// Writes the current head (position and hash) to the anchor store as a
    /// write-once object, records the anchoring in the chain, and POSTs the
    /// anchor to the audit webhook when one is configured.
    pub async fn write_anchor(&self) -> Result<Anchor, AppError> {
        let (seq, hash) = self.store().audit_head().await?;
        let key = anchor_key(seq, &hash);
        let location = self.anchor_location();
        let at = OffsetDateTime::now_utc()
            .format(&Rfc3339)
            .unwrap_or_default();
        let body = json!({ "seq": seq, "hash": hash, "at": at });
        let created = self
            .anchor_store()?
            .put_once(ANCHOR_STORE, &key, body.to_string().into_bytes())
            .await
            .map_err(internal("writing an anchor"))?;
        if created == PutOnce::Exists {
            tracing::info!(%key, "this head was anchored already");
        }
        let entry = AuditEntry::new("system:anchor", ANCHOR_ACTION, format!("audit:{seq}"))
            .with_detail(json!({ "hash": hash, "key": key, "store": location }));
        let record_seq = self.store().record(entry).await?;
        if let Some(url) = self.config().audit.webhook_url.clone() {
            let body = json!({
                "seq": seq, "hash": hash, "key": key, "store": location, "at": at,
                "record_seq": record_seq,
            });
            tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .timeout(Duration::from_secs(5))
                    .build();
                let sent = match client {
                    Ok(c) => c
                        .post(&url)
                        .json(&body)
                        .send()
                        .await
                        .and_then(|r| r.error_for_status()),
                    Err(e) => Err(e),
                };
                if let Err(e) = sent {
                    tracing::warn!(error = %e, "audit anchor webhook failed");
                }
            });
        }
        Ok(Anchor {
            seq,
            hash,
            key,
            record_seq,
        })
    }

    /// One check of the background anchoring (the server calls it every few
    /// seconds; it costs one read of the head): anchors when
    /// [`anchor_due`] says so, and remembers it in `last`. A head behind the
    /// last anchor's record (entries removed while the server runs) is an
    /// error, and no anchor is written over it.
    pub async fn anchor_if_due(
        &self,
        last: &mut Option<AnchorMark>,
        closing: bool,
    ) -> Result<Option<Anchor>, AppError> {
        let (head, _) = self.store().audit_head().await?;
        if let Some(l) = last.as_ref().filter(|l| head < l.record_seq) {
            return Err(AppError::Internal(format!(
                "the audit head went back from entry {} to {head}: entries were removed",
                l.record_seq
            )));
        }
        let now = OffsetDateTime::now_utc();
        if !anchor_due(&self.config().audit, head, last.as_ref(), now, closing) {
            return Ok(None);
        }
        let a = self.write_anchor().await?;
        *last = Some(AnchorMark {
            seq: a.seq,
            record_seq: a.record_seq,
            at: now,
        });
        Ok(Some(a))
    }

    /// Verifies the chain against every anchor (the anchor store's and the
    /// legacy file's) and measures the unanchored tail. Store errors are
    /// errors; everything found wrong is a [`Problem`] in the answer.
    pub async fn verify_audit(&self) -> Result<Verification, AppError> {
        let cfg = &self.config().audit;
        let location = self.anchor_location();
        let mut problem: Option<Problem> = None;
        let mut note = |p: Problem| {
            if problem.is_none() {
                problem = Some(p);
            }
        };

        // every anchor, from both sources
        let mut found = Vec::new();
        for l in self
            .anchor_store()?
            .list_keys(ANCHOR_STORE, ANCHOR_DIR)
            .await
            .map_err(internal("listing the anchors"))?
        {
            match parse_key(&l.key) {
                Some((seq, hash)) => found.push(Found {
                    name: l.key,
                    seq,
                    hash,
                    at: OffsetDateTime::from_unix_timestamp_nanos(
                        i128::from(l.modified_ms) * 1_000_000,
                    )
                    .ok(),
                }),
                None => note(Problem {
                    seq: 0,
                    reason: format!(
                        "{} in the anchor store is not an anchor: something other than Zenome writes there",
                        l.key
                    ),
                }),
            }
        }
        let legacy = read_anchors(&self.anchor_file())
            .map_err(|e| AppError::Internal(format!("reading the legacy anchors: {e}")))?;
        let legacy_anchors = legacy.len();
        found.extend(legacy.into_iter().map(|(line, seq, hash)| Found {
            name: format!("anchors.log line {line}"),
            seq,
            hash,
            at: None,
        }));
        found.sort_by_key(|f| f.seq);
        let newest = found.last().map(|f| f.seq).unwrap_or(0);

        // one walk of the chain, noting what the anchors need
        let mut positions: BTreeSet<i64> = found.iter().map(|f| f.seq).collect();
        positions.extend([1, newest + 1, newest + 2]);
        let walk = self
            .store()
            .walk_audit(&positions, Some(ANCHOR_ACTION))
            .await?;
        let entries = match &walk.verdict {
            Ok(n) => *n,
            Err(b) => {
                note(Problem {
                    seq: b.seq,
                    reason: b.reason.clone(),
                });
                walk.seen.keys().last().copied().unwrap_or(0).max(b.seq - 1)
            }
        };
        let chain_ok = walk.verdict.is_ok();

        // each anchor matches the chain
        for f in &found {
            if f.seq > entries && chain_ok {
                note(Problem {
                    seq: entries + 1,
                    reason: format!(
                        "anchor {} vouches for entry {} but the chain ends at {entries}: entries were removed",
                        f.name, f.seq
                    ),
                });
                continue;
            }
            let matches = if f.seq == 0 {
                f.hash == GENESIS_HASH
            } else {
                match walk.seen.get(&f.seq) {
                    Some((h, _)) => *h == f.hash,
                    None => !chain_ok, // beyond a break: already reported
                }
            };
            if !matches {
                note(Problem {
                    seq: f.seq,
                    reason: format!(
                        "entry {} does not match anchor {}: the chain was rewritten",
                        f.seq, f.name
                    ),
                });
            }
        }

        // every anchor has its record in the chain, every record its anchor
        let recorded: BTreeMap<(i64, String), i64> = walk
            .marked
            .iter()
            .filter_map(|r| {
                let seq = r.target.strip_prefix("audit:")?.parse().ok()?;
                let d: serde_json::Value = serde_json::from_str(&r.detail).ok()?;
                Some(((seq, d["hash"].as_str()?.to_string()), r.seq))
            })
            .collect();
        if chain_ok {
            let have: BTreeSet<(i64, &str)> =
                found.iter().map(|f| (f.seq, f.hash.as_str())).collect();
            for ((seq, hash), at) in &recorded {
                if !have.contains(&(*seq, hash.as_str())) {
                    note(Problem {
                        seq: *at,
                        reason: format!(
                            "entry {at} records an anchor of entry {seq} that is missing from {location} and the legacy anchors.log: anchors were deleted (or the anchor store was moved without them)"
                        ),
                    });
                }
            }
            for f in &found {
                if !recorded.contains_key(&(f.seq, f.hash.clone())) {
                    note(Problem {
                        seq: f.seq + 1,
                        reason: format!(
                            "anchor {} has no record in the chain: entries after {} were removed (or the record failed to be written; see the server log of that time)",
                            f.name, f.seq
                        ),
                    });
                }
            }
        }

        // the unanchored tail
        let own_record = recorded
            .iter()
            .any(|((seq, _), at)| *seq == newest && *at == newest + 1)
            && !found.is_empty();
        let first_unanchored = if own_record { newest + 2 } else { newest + 1 };
        let now = OffsetDateTime::now_utc();
        let tail = if entries >= first_unanchored {
            let oldest = walk.seen.get(&first_unanchored).map(|(_, at)| *at);
            UnanchoredTail {
                entries: entries - first_unanchored + 1,
                oldest,
                age_minutes: oldest.map(|t| (now - t).whole_minutes()).unwrap_or(0),
            }
        } else {
            UnanchoredTail::default()
        };
        if chain_ok && tail.entries > 0 {
            let what = if found.is_empty() {
                format!("there are no anchors in {location}: all {entries} entries are unanchored")
            } else {
                format!(
                    "{} entries follow the newest anchor (entry {newest})",
                    tail.entries
                )
            };
            if tail.entries as u64 > cfg.max_unanchored_entries {
                note(Problem {
                    seq: first_unanchored,
                    reason: format!(
                        "{what}, more than the bound of {}: anchoring has stopped, or anchors were removed",
                        cfg.max_unanchored_entries
                    ),
                });
            } else if tail.age_minutes > i64::from(cfg.max_unanchored_minutes) {
                note(Problem {
                    seq: first_unanchored,
                    reason: format!(
                        "{what}, the oldest {} minutes old, more than the bound of {} minutes: anchoring has stopped, or anchors were removed",
                        tail.age_minutes, cfg.max_unanchored_minutes
                    ),
                });
            }
        }

        let newest_anchor = found.last().map(|f| NewestAnchor {
            seq: f.seq,
            at: f.at,
            age_minutes: f.at.map(|t| (now - t).whole_minutes()),
        });
        Ok(Verification {
            entries,
            anchors: found.len(),
            legacy_anchors,
            location,
            newest_anchor,
            tail,
            problem,
        })
    }
}

/// (line number, seq, hash) of every legacy anchor; a missing file has none.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_by_position_and_parse_back() {
        let h = "ab".repeat(32);
        let k9 = anchor_key(9, &h);
        let k10 = anchor_key(10, &h);
        assert!(k9 < k10, "{k9} {k10}");
        assert_eq!(parse_key(&k10), Some((10, h.clone())));
        assert_eq!(parse_key("anchors/12-ab.json"), None);
        assert_eq!(parse_key("elsewhere/x.json"), None);
        assert_eq!(
            parse_key(&format!("anchors/{:020}-{}.json", 1, "zz".repeat(32))),
            None
        );
    }

    #[test]
    fn anchoring_is_due_after_n_entries_or_m_minutes_and_at_close() {
        let cfg = AuditConfig {
            every_entries: 100,
            every_minutes: 10,
            ..Default::default()
        };
        let t0 = OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000);
        let last = AnchorMark {
            seq: 49,
            record_seq: 50,
            at: t0,
        };
        assert!(anchor_due(&cfg, 0, None, t0, false), "first check anchors");
        // two entries landed between reading the head and the record
        let raced = AnchorMark {
            seq: 49,
            record_seq: 52,
            at: t0,
        };
        assert!(anchor_due(&cfg, 52, Some(&raced), t0, true));
        assert!(anchor_due(
            &cfg,
            52,
            Some(&raced),
            t0 + time::Duration::minutes(10),
            false
        ));
        assert!(!anchor_due(
            &cfg,
            50,
            Some(&last),
            t0 + time::Duration::hours(5),
            false
        ));
        assert!(!anchor_due(&cfg, 149, Some(&last), t0, false));
        assert!(anchor_due(&cfg, 150, Some(&last), t0, false));
        assert!(!anchor_due(
            &cfg,
            51,
            Some(&last),
            t0 + time::Duration::minutes(9),
            false
        ));
        assert!(anchor_due(
            &cfg,
            51,
            Some(&last),
            t0 + time::Duration::minutes(10),
            false
        ));
        assert!(anchor_due(&cfg, 51, Some(&last), t0, true));
        assert!(!anchor_due(&cfg, 50, Some(&last), t0, true));
    }
}
