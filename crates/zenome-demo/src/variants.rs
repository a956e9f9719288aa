//! Real genotypes for the demo's variant store: an excerpt of 1000 Genomes
//! phase 3 (GRCh37 chromosome 20, 300 samples, 3,000 sites; from Debian's
//! `shapeit4-example`, MIT — see `testdata/README.md`) whose sample columns
//! are given to the demo's participants, then loaded through the same
//! `App::load_variants` an operator uses. The excerpt is a known committed
//! file, so choosing its sample columns is plain column selection; every
//! record is then read, checked and stored by `zenome-variants` (noodles).

use std::io::{BufRead, BufReader, Write};

use zenome_app::{Actor, App};
use zenome_store::ParticipantFilter;

use crate::DemoError;

/// The committed excerpt (bgzip).
const EXCERPT: &[u8] = include_bytes!("../../../testdata/demo/1kg-chr20-300samples-excerpt.vcf.gz");

/// Two real TCGA tumours' somatic calls (pcgr's examples, MIT; GRCh37, one
/// tumour column each): the demo's cancer participants' tumours.
const SOMATIC: [(&str, &[u8]); 2] = [
    (
        "T001-BRCA.grch37.vcf.gz",
        include_bytes!("../../../testdata/demo/T001-BRCA.grch37.vcf.gz"),
    ),
    (
        "T001-COAD.grch37.vcf.gz",
        include_bytes!("../../../testdata/demo/T001-COAD.grch37.vcf.gz"),
    ),
];

/// Gives each committed tumour to one cancer participant (the first ones
/// with consent in force and no somatic calls yet) and loads it as that
/// participant's somatic batch through `App::load_somatic_variants`.
/// Returns the participants given somatic calls.
pub(crate) async fn load_somatic(app: &App) -> Result<Vec<String>, DemoError> {
    let unexpected = |e: zenome_app::AppError| DemoError::Unexpected(e.to_string());
    let cancer = app
        .store()
        .participant_ids(&ParticipantFilter {
            disease_area: Some(zenome_domain::participant::DiseaseArea::Cancer),
            ..ParticipantFilter::default()
        })
        .await
        .map_err(|e| DemoError::Unexpected(e.to_string()))?;
    let histories = app
        .store()
        .consent_histories(None)
        .await
        .map_err(|e| DemoError::Unexpected(e.to_string()))?;
    let now = time::OffsetDateTime::now_utc();
    let mut chosen = cancer.into_iter().map(|p| p.to_string()).filter(|p| {
        histories
            .get(p)
            .is_some_and(|h| h.state_at(now).active().is_some())
    });
    let dir = app.config().data_dir.join("demo-somatic");
    std::fs::create_dir_all(&dir).map_err(|e| DemoError::Files(e.to_string()))?;
    let mut given = Vec::new();
    for (name, bytes) in SOMATIC {
        let Some(who) = chosen.next() else { break };
        let path = dir.join(name);
        std::fs::write(&path, bytes).map_err(|e| DemoError::Files(e.to_string()))?;
        app.load_somatic_variants(&Actor::local(), &path, &who)
            .await
            .map_err(unexpected)?;
        given.push(who);
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(given)
}

/// Gives the excerpt's first samples to the demo's participants that have
/// no genotypes yet (those whose VCF the ingest loaded keep theirs; as many
/// as there are, up to its 300) and loads it. Returns the number of
/// participants with genotypes in the store.
pub(crate) async fn load(app: &App) -> Result<usize, DemoError> {
    // the VCFs uploaded by the demo's centres are loaded after their ingest
    app.settle_variant_loads().await;
    let already = app
        .variant_sample_names()
        .await
        .map_err(|e| DemoError::Unexpected(e.to_string()))?;
    let ids: Vec<_> = app
        .store()
        .participant_ids(&ParticipantFilter::default())
        .await
        .map_err(|e| DemoError::Unexpected(e.to_string()))?
        .into_iter()
        .filter(|id| !already.contains(id.as_str()))
        .collect();
    let dir = app.config().data_dir.join("demo-variants");
    std::fs::create_dir_all(&dir).map_err(|e| DemoError::Files(e.to_string()))?;
    let path = dir.join("1kg-chr20-excerpt.vcf");
    let names: Vec<String> = ids.iter().map(ToString::to_string).collect();
    let k = write_renamed(&path, &names).map_err(|e| DemoError::Files(e.to_string()))?;
    app.load_variants(&Actor::local(), &path).await?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(k + already.len())
}

/// Writes the excerpt with its first `names.len()` (at most all) sample
/// columns, renamed to `names` in order.
fn write_renamed(path: &std::path::Path, names: &[String]) -> std::io::Result<usize> {
    let reader = BufReader::new(flate2::read::MultiGzDecoder::new(EXCERPT));
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut keep = 0;
    for line in reader.lines() {
        let line = line?;
        if line.starts_with("##") {
            writeln!(out, "{line}")?;
        } else if line.starts_with('#') {
            let samples = line.split('\t').count().saturating_sub(9);
            keep = samples.min(names.len());
            let fixed: Vec<&str> = line.split('\t').take(9).collect();
            writeln!(out, "{}\t{}", fixed.join("\t"), names[..keep].join("\t"))?;
        } else {
            let cols: Vec<&str> = line.split('\t').take(9 + keep).collect();
            writeln!(out, "{}", cols.join("\t"))?;
        }
    }
    out.flush()?;
    Ok(keep)
}
