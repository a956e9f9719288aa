//! Real-time detection (R8.2): rules evaluated as events arrive. An alert is
//! stored (staff see it in the portal and the API), written as a structured
//! log line on the `zenome::alert` target (what a SIEM reads), and POSTed to
//! the configured webhook.
//!
//! Rules: bulk reads beyond the configured hourly volume of a grant,
//! access outside a grant, repeated failed logins or second factors, data
//! reads at unusual local hours, an API token used from a new address, and
//! a stored VCF that could not be loaded into the variant store.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::json;
use time::OffsetDateTime;
use zenome_store::AuditEntry;

use crate::App;
use crate::config::AlertConfig;

/// Every rule's name.
pub const RULES: [&str; 9] = [
    "object_lost",
    "variant_load_failed",
    "copy_corrupt",
    "bulk_download",
    "access_outside_grant",
    "repeated_login_failures",
    "repeated_second_factor_failures",
    "unusual_hours",
    "token_new_address",
];

/// What happened, as the rules see it.
#[derive(Debug, Clone)]
pub enum Event<'a> {
    /// Participant records were read under a grant.
    DataRead {
        /// Who.
        user: &'a str,
        /// Under which grant (or `group:<dataset>` for the producing group).
        grant: &'a str,
        /// How many participant records.
        records: u64,
    },
    /// A data request was refused.
    AccessDenied {
        /// Who.
        user: &'a str,
        /// What was asked for.
        what: &'a str,
        /// Why it was refused.
        reason: &'a str,
    },
    /// A login failed.
    LoginFailed {
        /// The user name tried.
        user: &'a str,
        /// The client address.
        ip: Option<&'a str>,
        /// Whether the second factor (rather than the password) failed.
        second_factor: bool,
    },
    /// A stored object has no good copy left.
    ObjectLost {
        /// The object.
        object: &'a str,
    },
    /// A read found a stored copy that does not read back intact; it was
    /// served from another copy and a repair was started.
    CopyCorrupt {
        /// The object.
        object: &'a str,
        /// The store holding the bad copy.
        store: &'a str,
        /// What was wrong.
        reason: &'a str,
    },
    /// A stored VCF could not be loaded into the variant store (the file
    /// stays stored; `POST /api/v1/variants/loads` retries).
    VariantLoadFailed {
        /// The object.
        object: &'a str,
        /// Why.
        reason: &'a str,
    },
    /// A sample identity check failed: the library is held until staff
    /// resolve it.
    IdentityHold {
        /// The library held.
        library: &'a str,
        /// Whose library the lineage says it is.
        participant: &'a str,
        /// What failed.
        reason: &'a str,
    },
    /// A stored sequence file could not be fingerprinted.
    IdentityFailed {
        /// The object.
        object: &'a str,
        /// Why.
        reason: &'a str,
    },
    /// An API token was used from an address it was never used from.
    TokenNewAddress {
        /// The token's owner.
        user: &'a str,
        /// The new address.
        ip: &'a str,
    },
    /// QC metrics of a sequencing centre started drifting (R4.2).
    QcDrift {
        /// The centre.
        centre: &'a str,
        /// The metrics that started drifting.
        metrics: &'a [String],
        /// Why, with the numbers, one per metric.
        reasons: &'a [String],
        /// The run that found them.
        run: &'a str,
    },
}

#[derive(Debug, Default)]
pub(crate) struct AlertState {
    /// (user, grant) → reads in the current hour window.
    reads: HashMap<(String, String), (Instant, u64, bool)>,
    /// user → recent failures (with kind).
    failures: HashMap<String, Vec<(Instant, bool)>>,
    /// user → day of the last unusual-hours alert.
    night: HashMap<String, (i32, u16)>,
}

/// An alert about to be raised.
struct Raise {
    rule: &'static str,
    severity: &'static str,
    actor: String,
    summary: String,
    detail: serde_json::Value,
}

impl App {
    /// Feeds an event to the rules; raises whatever alerts it triggers.
    pub async fn observe(&self, event: Event<'_>) {
        let raises = {
            let mut st = self.inner.alerts.lock().expect("alert state");
            evaluate(
                &self.config().access.alerts,
                &mut st,
                &event,
                OffsetDateTime::now_utc(),
            )
        };
        for r in raises {
            self.raise(r).await;
        }
    }

    async fn raise(&self, r: Raise) {
        tracing::warn!(
            target: "zenome::alert",
            rule = r.rule,
            severity = r.severity,
            actor = %r.actor,
            summary = %r.summary,
            detail = %r.detail,
            "security alert"
        );
        let stored = async {
            let mut tx = self
                .store()
                .begin(
                    AuditEntry::new(
                        "system:detector",
                        "alert.raise",
                        format!("alert:{}", r.rule),
                    )
                    .with_detail(json!({ "actor": r.actor, "summary": r.summary })),
                )
                .await?;
            let id = tx
                .insert_alert(
                    r.rule,
                    r.severity,
                    &r.actor,
                    &r.summary,
                    &r.detail.to_string(),
                )
                .await?;
            tx.commit().await?;
            Ok::<_, zenome_store::StoreError>(id)
        }
        .await;
        let id = match stored {
            Ok(id) => id,
            Err(e) => {
                tracing::error!(error = %e, "cannot store an alert");
                return;
            }
        };
        if let Some(url) = self.config().access.alerts.webhook_url.clone() {
            let body = json!({
                "id": id, "rule": r.rule, "severity": r.severity, "actor": r.actor,
                "summary": r.summary, "detail": r.detail, "at": OffsetDateTime::now_utc().unix_timestamp(),
            });
            tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .timeout(Duration::from_secs(5))
                    .build();
                let sent = match client {
                    Ok(c) => c.post(&url).json(&body).send().await.map(|r| r.status()),
                    Err(e) => Err(e),
                };
                if let Err(e) = sent {
                    tracing::warn!(error = %e, "alert webhook failed");
                }
            });
        }
    }
}

fn evaluate(
    c: &AlertConfig,
    st: &mut AlertState,
    event: &Event<'_>,
    now: OffsetDateTime,
) -> Vec<Raise> {
    let mut out = Vec::new();
    let mono = Instant::now();
    match event {
        Event::DataRead {
            user,
            grant,
            records,
        } => {
            let e = st
                .reads
                .entry((user.to_string(), grant.to_string()))
                .or_insert((mono, 0, false));
            if mono.duration_since(e.0) > Duration::from_secs(3600) {
                *e = (mono, 0, false);
            }
            e.1 += records;
            if e.1 > c.bulk_records_per_hour && !e.2 {
                e.2 = true;
                out.push(Raise {
                    rule: "bulk_download",
                    severity: "critical",
                    actor: user.to_string(),
                    summary: format!("{user} read {} participant records under {grant} within an hour (limit {})", e.1, c.bulk_records_per_hour),
                    detail: json!({ "grant": grant, "records": e.1, "limit": c.bulk_records_per_hour }),
                });
            }
            let local = now.to_offset(
                time::UtcOffset::from_hms(c.utc_offset_hours, 0, 0).unwrap_or(time::UtcOffset::UTC),
            );
            let h = local.hour();
            let quiet = if c.quiet_from_hour > c.quiet_until_hour {
                h >= c.quiet_from_hour || h < c.quiet_until_hour
            } else {
                h >= c.quiet_from_hour && h < c.quiet_until_hour
            };
            let day = (local.year(), local.ordinal());
            if quiet && st.night.get(*user) != Some(&day) {
                st.night.insert(user.to_string(), day);
                out.push(Raise {
                    rule: "unusual_hours",
                    severity: "warning",
                    actor: user.to_string(),
                    summary: format!("{user} read data at {:02}:{:02} local time", h, local.minute()),
                    detail: json!({ "grant": grant, "local_time": format!("{:02}:{:02}", h, local.minute()) }),
                });
            }
        }
        Event::AccessDenied { user, what, reason } => out.push(Raise {
            rule: "access_outside_grant",
            severity: "warning",
            actor: user.to_string(),
            summary: format!("{user} asked for {what} outside their grants ({reason})"),
            detail: json!({ "what": what, "reason": reason }),
        }),
        Event::LoginFailed {
            user,
            ip,
            second_factor,
        } => {
            let window = Duration::from_secs(u64::from(c.window_minutes) * 60);
            let v = st.failures.entry(user.to_string()).or_default();
            v.retain(|(t, _)| mono.duration_since(*t) <= window);
            v.push((mono, *second_factor));
            let n = v.len() as u32;
            if n == c.failed_logins {
                let second = v.iter().filter(|(_, s)| *s).count();
                let rule = if second * 2 > v.len() {
                    "repeated_second_factor_failures"
                } else {
                    "repeated_login_failures"
                };
                out.push(Raise {
                    rule,
                    severity: "warning",
                    actor: user.to_string(),
                    summary: format!(
                        "{n} failed logins for {user} within {} minutes",
                        c.window_minutes
                    ),
                    detail: json!({ "ip": ip, "failures": n, "second_factor_failures": second }),
                });
            }
        }
        Event::ObjectLost { object } => out.push(Raise {
            rule: "object_lost",
            severity: "critical",
            actor: "system:scrub".into(),
            summary: format!("object {object} has no good copy left: it is no longer served"),
            detail: json!({ "object": object }),
        }),
        Event::CopyCorrupt {
            object,
            store,
            reason,
        } => out.push(Raise {
            rule: "copy_corrupt",
            severity: "warning",
            actor: "system:read".into(),
            summary: format!(
                "the copy of object {object} in {store} does not read back ({reason}): served from another copy, repair started"
            ),
            detail: json!({ "object": object, "store": store, "reason": reason }),
        }),
        Event::VariantLoadFailed { object, reason } => out.push(Raise {
            rule: "variant_load_failed",
            severity: "warning",
            actor: "system:ingest".into(),
            summary: format!(
                "stored VCF object {object} was not loaded into the variant store ({reason}); the file is kept, retry with POST /api/v1/variants/loads"
            ),
            detail: json!({ "object": object, "reason": reason }),
        }),
        Event::IdentityHold {
            library,
            participant,
            reason,
        } => out.push(Raise {
            rule: "identity_hold",
            severity: "critical",
            actor: "system:identity".into(),
            summary: format!(
                "library {library} of participant {participant} is on hold: {reason}; resolve it in the identity hold queue"
            ),
            detail: json!({ "library": library, "participant": participant, "reason": reason }),
        }),
        Event::IdentityFailed { object, reason } => out.push(Raise {
            rule: "identity_failed",
            severity: "warning",
            actor: "system:identity".into(),
            summary: format!(
                "stored object {object} could not be fingerprinted ({reason}); retry with POST /api/v1/identity/fingerprints"
            ),
            detail: json!({ "object": object, "reason": reason }),
        }),
        Event::TokenNewAddress { user, ip } => out.push(Raise {
            rule: "token_new_address",
            severity: "warning",
            actor: user.to_string(),
            summary: format!("the API token of {user} was used from a new address {ip}"),
            detail: json!({ "ip": ip }),
        }),
        Event::QcDrift {
            centre,
            metrics,
            reasons,
            run,
        } => out.push(Raise {
            rule: "qc_drift",
            severity: "warning",
            actor: "system:qc_drift".into(),
            summary: format!(
                "sequencing centre {centre}: QC drifting in {} ({}); see /portal/qc/{centre}",
                metrics.join(", "),
                reasons.join("; ")
            ),
            detail: json!({ "centre": centre, "metrics": metrics, "reasons": reasons, "run": run }),
        }),
    }
    out
}

/// The mutable state of the rules, kept in the app.
pub(crate) type SharedState = Mutex<AlertState>;

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn rules() {
        let c = AlertConfig {
            bulk_records_per_hour: 100,
            ..Default::default()
        };
        let mut st = AlertState::default();
        let noon_jst = datetime!(2026-11-25 03:00 UTC);
        let read = |n| Event::DataRead {
            user: "r",
            grant: "g1",
            records: n,
        };
        assert!(evaluate(&c, &mut st, &read(60), noon_jst).is_empty());
        let r = evaluate(&c, &mut st, &read(60), noon_jst);
        assert_eq!(
            r.iter().map(|r| r.rule).collect::<Vec<_>>(),
            ["bulk_download"]
        );
        assert!(
            evaluate(&c, &mut st, &read(60), noon_jst).is_empty(),
            "once per window"
        );
        // 23:30 JST
        let night = datetime!(2026-11-25 14:30 UTC);
        let r = evaluate(
            &c,
            &mut st,
            &Event::DataRead {
                user: "s",
                grant: "g2",
                records: 1,
            },
            night,
        );
        assert_eq!(
            r.iter().map(|r| r.rule).collect::<Vec<_>>(),
            ["unusual_hours"]
        );
        assert!(
            evaluate(
                &c,
                &mut st,
                &Event::DataRead {
                    user: "s",
                    grant: "g2",
                    records: 1
                },
                night
            )
            .is_empty()
        );
        let fail = |second_factor| Event::LoginFailed {
            user: "u",
            ip: Some("10.0.0.1"),
            second_factor,
        };
        assert!(evaluate(&c, &mut st, &fail(true), noon_jst).is_empty());
        assert!(evaluate(&c, &mut st, &fail(true), noon_jst).is_empty());
        let r = evaluate(&c, &mut st, &fail(false), noon_jst);
        assert_eq!(
            r.iter().map(|r| r.rule).collect::<Vec<_>>(),
            ["repeated_second_factor_failures"]
        );
    }
}
