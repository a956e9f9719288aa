//! Sequencing files for a few participants: generated against the
//! configured reference and delivered through the ingest service (create,
//! then resumable appends with declared checksums) as the sequencing
//! centre's pipeline that owns the run, into the placeholders the lineage
//! step registered.

use std::collections::HashSet;
use std::convert::Infallible;

use bytes::Bytes;
use md5::{Digest, Md5};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sha2::Sha256;
use zenome_app::files::upload::NewUpload;
use zenome_app::{Actor, App, AppError};
use zenome_domain::lineage::NodeId;
use zenome_domain::organisation::OrgCode;
use zenome_store::ObjectRow;

use crate::DemoError;
use crate::catalogue::{CENTRES, FACILITIES, Instrument};
use crate::cohort::Sequenced;
use crate::identity;
use crate::reference::{self, REFERENCE_NAME};
use crate::seqfiles::{self, Sample};

/// ChaCha stream of the files (the cohort uses stream 0, the reference 2).
const FILES_STREAM: u64 = 1;

/// The pipeline recorded with alignments and calls.
const PIPELINE: &str = "zenome-demo-pipeline 1.0 (bwa-mem2 2.2.1, GATK 4.5)";

/// Requests each file is sent in, and the largest chunk of a request.
const REQUESTS: usize = 3;
const CHUNK: usize = 64 << 10;

/// What was ingested.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FileCounts {
    pub stored: usize,
    pub failed_qc: usize,
}

/// Chooses up to `per_facility` sequenced participants at each facility
/// (in registration order, one library each, none whose consent ends
/// withdrawn).
fn choose(sequenced: &[Sequenced], per_facility: usize) -> Vec<&Sequenced> {
    let mut out = Vec::new();
    for f in &FACILITIES {
        let mut seen = HashSet::new();
        out.extend(
            sequenced
                .iter()
                .filter(|s| s.facility == f.code && !s.withdrawn)
                .filter(|s| seen.insert(s.participant.clone()))
                .take(per_facility),
        );
    }
    out
}

/// Cancer participants (not among `chosen`, consent not withdrawn) whose
/// tumour and normal libraries were both sequenced and called: (tumour,
/// normal), at most three, for the identity mix-ups.
fn identity_cases<'a>(
    sequenced: &'a [Sequenced],
    chosen: &[&Sequenced],
) -> Vec<(&'a Sequenced, &'a Sequenced)> {
    let mut out = Vec::new();
    for t in sequenced
        .iter()
        .filter(|s| s.tumour && !s.withdrawn && s.vcf.is_some())
    {
        if chosen.iter().any(|c| c.participant == t.participant) {
            continue;
        }
        if let Some(n) = sequenced
            .iter()
            .find(|n| n.participant == t.participant && !n.tumour && n.vcf.is_some())
        {
            out.push((t, n));
            if out.len() == 3 {
                break;
            }
        }
    }
    out
}

/// Generates and ingests the files. The last participant chosen gets a
/// FASTQ from a failing flow cell: it is stored but fails QC, and their
/// CRAM and VCF stay expected (the pipeline stops there).
pub(crate) async fn ingest(
    app: &App,
    seed: u64,
    per_facility: usize,
    sequenced: &[Sequenced],
    centres: &[(Actor, OrgCode)],
) -> Result<FileCounts, DemoError> {
    let mut counts = FileCounts::default();
    let chosen = choose(sequenced, per_facility);
    if chosen.is_empty() {
        return Ok(counts);
    }
    let path = app.config().files.reference_fasta.clone().ok_or_else(|| {
        DemoError::Files(
            "the demo's sequencing files need a reference: write one with \
             zenome_demo::write_reference and set files.reference_fasta to it"
                .into(),
        )
    })?;
    let reference = reference::load(&path)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(FILES_STREAM);
    // sample identity: every tube carries its participant's genome at the
    // fingerprint sites, except the mix-ups the checks must catch
    let sites = identity::sites(&reference);
    let focus: Vec<(usize, usize)> = sites.iter().map(|s| (s.contig, s.pos)).collect();
    let cases = identity_cases(sequenced, &chosen);
    let mut tubes = identity::Tubes::new();
    if let [a, b, ..] = cases.as_slice() {
        let ga = tubes.genome(&mut rng, a.0.participant.as_str(), sites.len());
        let gb = tubes.genome(&mut rng, b.0.participant.as_str(), sites.len());
        tubes.mixed.insert(a.0.library.to_string(), gb);
        tubes.mixed.insert(b.0.library.to_string(), ga);
    }
    if let Some(c) = cases.get(2) {
        let foreign = identity::draw_genome(&mut rng, sites.len());
        tubes.mixed.insert(c.0.library.to_string(), foreign);
    }
    let failing = chosen.len() - 1;
    // (library, FASTQ too, VCF too): the identity cases' normals get CRAM
    // and VCF, their tumours a CRAM (the tumour's germline calls would be a
    // second germline file of the participant)
    let mut jobs: Vec<(&Sequenced, bool, bool)> =
        chosen.into_iter().map(|s| (s, true, true)).collect();
    for (tumour, normal) in &cases {
        jobs.push((normal, false, true));
        jobs.push((tumour, false, false));
    }
    for (i, (s, with_fastq, with_vcf)) in jobs.into_iter().enumerate() {
        let participant = s.participant.to_string();
        let library = s.library.to_string();
        let centre = &CENTRES[s.centre];
        let sample = Sample {
            participant: &participant,
            library: &library,
            centre: centre.code,
            instrument: centre.instrument,
            run_id: &s.run_id,
        };
        let poor = i == failing;
        let private = seqfiles::variants(&mut rng, &reference);
        let genome = tubes.tube(&mut rng, &participant, &library, sites.len());
        let variants = identity::with_genome(&mut rng, private, &sites, &genome);
        let reads = seqfiles::reads(&mut rng, &reference, &variants, &sample, poor, &focus);
        let fastq_name = format!("{participant}_{library}.fastq.gz");
        let (actor, _) = &centres[s.centre];
        if with_fastq {
            let fastq = seqfiles::fastq(&reads).map_err(generation("FASTQ"))?;
            let basecaller = match centre.instrument {
                Instrument::NovaSeqXPlus => "BCL Convert 4.2.7",
                Instrument::DnbseqT7 => "DNBSEQ basecaller (zlims 4.0)",
            };
            let object = upload(app, actor, &s.fastq, &fastq_name, fastq, basecaller, None).await?;
            counts.add(&object);
            if poor {
                continue;
            }
        }
        let cram =
            seqfiles::cram(&reference, &reads, &sample, &fastq_name).map_err(generation("CRAM"))?;
        let object = upload(
            app,
            actor,
            &s.cram,
            &format!("{participant}_{library}.{REFERENCE_NAME}.cram"),
            cram,
            PIPELINE,
            Some(REFERENCE_NAME),
        )
        .await?;
        counts.add(&object);
        if let Some(node) = s.vcf.as_ref().filter(|_| with_vcf) {
            let vcf = seqfiles::vcf(&reference, &variants, &sample).map_err(generation("VCF"))?;
            let object = upload(
                app,
                actor,
                node,
                &format!("{participant}_{library}.{REFERENCE_NAME}.vcf.gz"),
                vcf,
                PIPELINE,
                Some(REFERENCE_NAME),
            )
            .await?;
            counts.add(&object);
        }
    }
    Ok(counts)
}

impl FileCounts {
    pub(crate) fn add(&mut self, object: &ObjectRow) {
        self.stored += 1;
        if object.qc_status != "passed" {
            self.failed_qc += 1;
        }
    }
}

fn generation(what: &'static str) -> impl Fn(std::io::Error) -> DemoError {
    move |e| DemoError::Files(format!("generating the {what}: {e}"))
}

/// Sends `bytes` into the placeholder `node` as a client of the ingest
/// would: declares the length and checksums, then appends in a few
/// requests, each a stream of chunks, from the offset last acknowledged.
pub(crate) async fn upload(
    app: &App,
    actor: &Actor,
    node: &NodeId,
    file_name: &str,
    bytes: Vec<u8>,
    pipeline: &str,
    reference: Option<&str>,
) -> Result<ObjectRow, DemoError> {
    let length = bytes.len() as u64;
    let row = app
        .create_upload(
            actor,
            NewUpload {
                file_name: file_name.to_string(),
                length,
                node: Some(node.clone()),
                parent: None,
                format: None,
                md5: Some(hex::encode(Md5::digest(&bytes))),
                sha256: Some(hex::encode(Sha256::digest(&bytes))),
                pipeline: Some(pipeline.to_string()),
                reference: reference.map(str::to_string),
                members: Vec::new(),
            },
        )
        .await?;
    let bytes = Bytes::from(bytes);
    let per_request = bytes.len().div_ceil(REQUESTS).max(1);
    let mut row = row;
    let mut offset = 0usize;
    while offset < bytes.len() {
        let end = (offset + per_request).min(bytes.len());
        let body = bytes.slice(offset..end);
        let chunks: Vec<Result<Bytes, Infallible>> = (0..body.len())
            .step_by(CHUNK)
            .map(|i| Ok(body.slice(i..(i + CHUNK).min(body.len()))))
            .collect();
        row = app
            .append_upload(
                actor,
                &row.id,
                offset as u64,
                futures_util::stream::iter(chunks),
            )
            .await?;
        if row.state != "receiving" {
            break;
        }
        offset = usize::try_from(row.received)
            .map_err(|_| DemoError::Unexpected(format!("upload {} offset", row.id)))?;
    }
    if row.state != "stored" {
        return Err(DemoError::Files(format!(
            "{file_name} was {} by the ingest: {}",
            row.state,
            row.error.as_deref().unwrap_or("no reason given")
        )));
    }
    let id = row
        .object_id
        .ok_or_else(|| DemoError::Unexpected(format!("{file_name} stored without an object")))?;
    app.store()
        .object(&id)
        .await
        .map_err(AppError::from)?
        .ok_or_else(|| DemoError::Unexpected(format!("object {id} of {file_name} is missing")))
}
