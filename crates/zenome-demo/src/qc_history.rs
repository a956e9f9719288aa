//! Weeks of sequencing QC for the periodic re-evaluation of each centre
//! (R4.2): the files ingested so far are placed in the months before the
//! re-evaluation window, and each centre sends a FASTQ stretch through the
//! real ingest for its baseline and for the recent weeks — in which the
//! Tokyo centre's DNBSEQ flow cells went bad (most of its recent FASTQs
//! fail QC at low base quality), so its QC drift badge shows. Ingest times
//! are set with `zenome_store::testing::set_object_created_at`, as the demo
//! cannot wait for the calendar, and one audit entry (`demo.qc_history`)
//! says so.

use std::collections::HashSet;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use time::{Duration, OffsetDateTime};
use zenome_app::{Actor, App, AppError};
use zenome_domain::organisation::OrgCode;

use crate::DemoError;
use crate::catalogue::{CENTRES, Instrument};
use crate::cohort::Sequenced;
use crate::files::{FileCounts, upload};
use crate::reference;
use crate::seqfiles::{self, Sample};

/// ChaCha stream of the history (files 1, reference 2, kit 7).
const HISTORY_STREAM: u64 = 11;

/// The centre whose recent weeks are worse.
pub(crate) const DRIFTING_CENTRE: &str = "SEQ-TK";

/// Moves what was ingested so far into the baseline (40–114 days ago),
/// then ingests up to `per_centre` FASTQs for each centre's baseline
/// (35–99 days ago) and as many for its last three weeks, into the FASTQ
/// placeholders of sequenced participants who have no file yet.
pub(crate) async fn ingest(
    app: &App,
    seed: u64,
    per_centre: usize,
    sequenced: &[Sequenced],
    centres: &[(Actor, OrgCode)],
) -> Result<FileCounts, DemoError> {
    let mut counts = FileCounts::default();
    let Some(path) = app.config().files.reference_fasta.clone() else {
        return Ok(counts);
    };
    if per_centre == 0 {
        return Ok(counts);
    }
    let now = OffsetDateTime::now_utc();
    let store = app.store();
    let existing = store.objects().await.map_err(AppError::from)?;
    let mut with_files = HashSet::new();
    for (i, o) in existing.iter().enumerate() {
        with_files.insert(o.participant_id.to_string());
        let days = 40 + (i as i64 * 11) % 75;
        zenome_store::testing::set_object_created_at(store, &o.id, now - Duration::days(days))
            .await;
    }
    let reference = reference::load(&path)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(HISTORY_STREAM);
    for (ci, centre) in CENTRES.iter().enumerate() {
        let mut seen = HashSet::new();
        let chosen: Vec<&Sequenced> = sequenced
            .iter()
            .filter(|s| s.centre == ci && !s.withdrawn)
            .filter(|s| !with_files.contains(s.participant.as_str()))
            .filter(|s| seen.insert(s.participant.clone()))
            .take(2 * per_centre)
            .collect();
        let drifting = centre.code == DRIFTING_CENTRE;
        for (k, s) in chosen.iter().enumerate() {
            let recent = k >= per_centre;
            let (days, poor) = if recent {
                let j = k - per_centre;
                // two of every three recent runs on a bad flow-cell lot
                (2 + 2 * j as i64, drifting && !j.is_multiple_of(3))
            } else {
                (35 + 7 * k as i64, false)
            };
            let participant = s.participant.to_string();
            let library = s.library.to_string();
            let sample = Sample {
                participant: &participant,
                library: &library,
                centre: centre.code,
                instrument: centre.instrument,
                run_id: &s.run_id,
            };
            let variants = seqfiles::variants(&mut rng, &reference);
            let reads = seqfiles::reads(&mut rng, &reference, &variants, &sample, poor, &[]);
            let fastq = seqfiles::fastq(&reads)
                .map_err(|e| DemoError::Files(format!("generating a FASTQ: {e}")))?;
            let basecaller = match centre.instrument {
                Instrument::NovaSeqXPlus => "BCL Convert 4.2.7",
                Instrument::DnbseqT7 => "DNBSEQ basecaller (zlims 4.0)",
            };
            let (actor, _) = &centres[ci];
            let object = upload(
                app,
                actor,
                &s.fastq,
                &format!("{participant}_{library}.fastq.gz"),
                fastq,
                basecaller,
                None,
            )
            .await?;
            zenome_store::testing::set_object_created_at(
                store,
                &object.id,
                now - Duration::days(days),
            )
            .await;
            counts.add(&object);
        }
    }
    // the times were moved behind the services: say so in the audit trail
    let tx = store
        .begin(
            zenome_store::AuditEntry::new("local:operator", "demo.qc_history", "objects")
                .with_detail(serde_json::json!({
                    "note": "demo: ingest times set to a synthetic history of earlier weeks",
                    "objects": existing.len() + counts.stored,
                })),
        )
        .await
        .map_err(AppError::from)?;
    tx.commit().await.map_err(AppError::from)?;
    Ok(counts)
}
