//! Aggregate counts for the public progress page (R9.1). Counts only: no
//! participant-level data leaves through here.

use crate::{Store, StoreError};

/// One count in a breakdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatCount {
    /// First key (e.g. facility code).
    pub key: String,
    /// Second key (e.g. disease area), empty when the breakdown has one key.
    pub sub: String,
    /// How many.
    pub n: i64,
}

/// What the public page shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublicStats {
    /// Participants by facility and disease area.
    pub participants: Vec<StatCount>,
    /// Participants by consent state (`active`, `withdrawn`, `not_given`).
    pub consent: Vec<StatCount>,
    /// Lineage nodes by kind.
    pub nodes: Vec<StatCount>,
    /// Specimens by type.
    pub specimens: Vec<StatCount>,
}

impl Store {
    /// Counts for the public page.
    pub async fn public_stats(&self) -> Result<PublicStats, StoreError> {
        let participants: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT facility_code, disease_area, COUNT(*) FROM participants \
             GROUP BY facility_code, disease_area ORDER BY facility_code, disease_area",
        )
        .fetch_all(self.pool())
        .await?;
        let consent: Vec<(Option<String>, i64)> = sqlx::query_as(
            "SELECT last.kind, COUNT(*) FROM participants p LEFT JOIN ( \
                SELECT e.participant_id, e.kind FROM consent_events e \
                WHERE e.seq = (SELECT MAX(e2.seq) FROM consent_events e2 WHERE e2.participant_id = e.participant_id) \
             ) last ON last.participant_id = p.id GROUP BY last.kind",
        )
        .fetch_all(self.pool())
        .await?;
        let nodes: Vec<(String, i64)> =
            sqlx::query_as("SELECT kind, COUNT(*) FROM lineage_nodes GROUP BY kind ORDER BY kind")
                .fetch_all(self.pool())
                .await?;
        let specimens: Vec<(String, i64)> =
            sqlx::query_as("SELECT details, 1 FROM lineage_nodes WHERE kind = 'specimen'")
                .fetch_all(self.pool())
                .await
                .map(|rows: Vec<(String, i64)>| {
                    let mut m = std::collections::BTreeMap::<String, i64>::new();
                    for (d, _) in rows {
                        let t = serde_json::from_str::<serde_json::Value>(&d)
                            .ok()
                            .and_then(|v| {
                                v.get("specimen_type")
                                    .and_then(|s| s.as_str())
                                    .map(str::to_string)
                            })
                            .unwrap_or_default();
                        *m.entry(t).or_default() += 1;
                    }
                    m.into_iter().collect()
                })?;
        let mut consent_counts = std::collections::BTreeMap::<&str, i64>::new();
        for (k, n) in consent {
            let state = match k.as_deref() {
                None => "not_given",
                Some("withdrawn") => "withdrawn",
                Some(_) => "active",
            };
            *consent_counts.entry(state).or_default() += n;
        }
        Ok(PublicStats {
            participants: participants
                .into_iter()
                .map(|(key, sub, n)| StatCount { key, sub, n })
                .collect(),
            consent: consent_counts
                .into_iter()
                .map(|(k, n)| StatCount {
                    key: k.to_string(),
                    sub: String::new(),
                    n,
                })
                .collect(),
            nodes: nodes
                .into_iter()
                .map(|(key, n)| StatCount {
                    key,
                    sub: String::new(),
                    n,
                })
                .collect(),
            specimens: specimens
                .into_iter()
                .map(|(key, n)| StatCount {
                    key,
                    sub: String::new(),
                    n,
                })
                .collect(),
        })
    }
}
