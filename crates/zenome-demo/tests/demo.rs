//! The demo cohort, built over a fresh SQLite store through the services.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use zenome_app::config::{FilesConfig, SecurityConfig};
use zenome_app::registry::ParticipantQuery;
use zenome_app::{Actor, App, Config};
use zenome_auth::{PasswordParams, SealKey, TotpSecret, totp_code};
use zenome_demo::{DemoAccount, DemoError, DemoOptions, DemoOutcome, build, write_reference};
use zenome_domain::consent::{ConsentAction, ConsentSource, ConsentState};
use zenome_domain::id::ParticipantId;
use zenome_domain::lineage::{NodeDetails, NodeKind};
use zenome_domain::role::Role;
use zenome_store::{ParticipantFilter, testing::fresh_sqlite};

const PER_FACILITY: usize = 12;
/// Participants per facility with generated files (3 in all: one FASTQ
/// fails QC and stops there; the others get a CRAM and mostly a VCF).
const FILES_PER_FACILITY: usize = 1;

/// An app over a fresh store in `dir`, with the demo's reference written
/// into it and configured for CRAM decoding.
async fn app(dir: &Path) -> App {
    let store = fresh_sqlite(dir).await.expect("fresh store");
    let reference = dir.join("reference").join("zenome-demo-ref-1.fa");
    write_reference(&reference, 42).expect("reference written");
    let kit =
        zenome_demo::write_annotation_kit(&dir.join("annotation"), 42).expect("annotation kit");
    let config = Config {
        data_dir: dir.to_path_buf(),
        annotation: zenome_app::config::AnnotationConfig {
            gene_model: Some(kit.gene_model),
            reference: Some(kit.fasta),
            local_evidence: vec![kit.local_evidence],
            acmg_sf: Some(kit.acmg_sf),
            clinvar: Some(kit.clinvar),
            trials: Some(kit.trials),
            ..Default::default()
        },
        prioritise: zenome_app::config::PrioritiseConfig {
            hpo: Some(kit.hpo),
            genes_to_phenotype: Some(kit.genes_to_phenotype),
        },
        identity: zenome_app::config::IdentityConfig {
            panel: Some(zenome_demo::panel_path(&reference)),
            ..Default::default()
        },
        files: FilesConfig {
            reference_fasta: Some(reference),
            ..Default::default()
        },
        security: SecurityConfig {
            password: PasswordParams {
                memory_kib: 1024,
                iterations: 1,
                parallelism: 1,
            },
            ..Default::default()
        },
        ..Default::default()
    };
    App::new(store, SealKey::generate(), config).expect("app")
}

fn opts(seed: u64) -> DemoOptions {
    DemoOptions {
        seed,
        participants_per_facility: PER_FACILITY,
        files_per_facility: FILES_PER_FACILITY,
        qc_history_per_centre: 0,
    }
}

/// Builds the demo, recording every progress call.
async fn build_recorded(app: &App, seed: u64) -> (DemoOutcome, Vec<(u64, u64)>) {
    let calls = Mutex::new(Vec::new());
    let progress = |done, total| calls.lock().unwrap().push((done, total));
    let outcome = build(app, &opts(seed), &progress)
        .await
        .expect("demo builds");
    (outcome, calls.into_inner().unwrap())
}

fn account<'a>(outcome: &'a DemoOutcome, username: &str) -> &'a DemoAccount {
    outcome
        .accounts
        .iter()
        .find(|a| a.username == username)
        .unwrap_or_else(|| panic!("no account {username}"))
}

/// Logs in as a demo person with the credentials the demo handed back.
async fn login(app: &App, a: &DemoAccount) -> Actor {
    let secret = TotpSecret::from_base32(a.totp_secret.as_deref().expect("a TOTP seed"))
        .expect("base32 seed");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let out = app
        .login(
            &a.username,
            a.password.as_deref().expect("a password"),
            // the demo itself logged in with the current step; a step may
            // be used once, so take the next one (within the allowed skew)
            &totp_code(&secret, now + 30),
            Some("127.0.0.1"),
        )
        .await
        .expect("demo credentials log in");
    app.actor_from_session(out.token.expose()).await.unwrap()
}

async fn all_ids(app: &App) -> Vec<ParticipantId> {
    let rows = app
        .store()
        .participants(&ParticipantFilter {
            facility: None,
            disease_area: None,
            limit: 10_000,
            offset: 0,
        })
        .await
        .unwrap();
    let mut ids: Vec<_> = rows.into_iter().map(|r| r.participant.id).collect();
    ids.sort();
    ids
}

async fn all_barcodes(app: &App) -> Vec<String> {
    let mut out = Vec::new();
    for id in all_ids(app).await {
        for n in app.store().nodes_of(&id).await.unwrap() {
            if let Some(b) = n.barcode {
                out.push(b.to_string());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn defaults() {
    let o = DemoOptions::default();
    assert_eq!(o.seed, 42);
    assert_eq!(o.participants_per_facility, 100);
    assert!((1..=4).contains(&o.files_per_facility));
}

/// Plaintext SHA-256 of every stored object, by participant and file name.
async fn file_digests(app: &App) -> BTreeMap<(String, String), String> {
    app.store()
        .objects()
        .await
        .unwrap()
        .into_iter()
        .map(|o| ((o.participant_id.to_string(), o.name), o.sha256))
        .collect()
}

#[tokio::test]
async fn builds_a_consistent_cohort() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path()).await;
    let o = opts(42);
    let fut = build(&app, &o, &|_, _| {});
    fn assert_send<T: Send>(_: &T) {}
    assert_send(&fut);
    drop(fut);

    let (outcome, calls) = build_recorded(&app, 42).await;
    let total = 3 * PER_FACILITY;

    // progress: once per participant, in order
    assert_eq!(calls.len(), total);
    for (i, (done, t)) in calls.iter().enumerate() {
        assert_eq!((*done, *t), (i as u64 + 1, total as u64));
    }

    // the counts add up
    assert_eq!(outcome.organisations, 5);
    assert_eq!(outcome.participants, total);
    assert_eq!(app.store().organisations().await.unwrap().len(), 5);
    let ids = all_ids(&app).await;
    assert_eq!(ids.len(), total);
    assert!(outcome.withdrawn >= 1, "{outcome:?}");
    assert!(outcome.legacy >= 1, "{outcome:?}");
    assert!(outcome.consent_events > outcome.participants);

    let (mut events, mut withdrawn, mut legacy, mut amended, mut nodes) = (0, 0, 0, 0, 0);
    let mut kinds = BTreeMap::new();
    for id in &ids {
        let h = app.store().consent_history(id).await.unwrap();
        events += h.events().len();
        let first = &h.events()[0];
        match &first.action {
            ConsentAction::Given { source, .. } => {
                if matches!(source, ConsentSource::Legacy { .. }) {
                    legacy += 1;
                }
            }
            other => panic!("{id}: first event is {}", other.kind()),
        }
        if h.events()
            .iter()
            .any(|e| matches!(e.action, ConsentAction::Amended { .. }))
        {
            amended += 1;
        }
        // effective times in order, none in the future
        for w in h.events().windows(2) {
            assert!(w[0].effective_at < w[1].effective_at, "{id}");
        }
        assert!(h.events().iter().all(|e| e.effective_at <= e.recorded_at));
        if let ConsentState::Withdrawn { .. } = h.current() {
            withdrawn += 1;
        }

        // lineage: specimens hang under the participant, everything else
        // under a node of the same participant; files lead to a specimen
        let all = app.store().nodes_of(id).await.unwrap();
        assert!(
            all.iter().any(|n| n.details.kind() == NodeKind::Specimen),
            "{id} has no specimen"
        );
        for n in &all {
            *kinds.entry(n.details.kind().as_str()).or_insert(0) += 1;
            match n.details.kind() {
                NodeKind::Specimen => assert!(n.parent.is_none()),
                _ => {
                    let parent = n.parent.as_ref().expect("a parent");
                    assert!(all.iter().any(|p| &p.id == parent), "{id}: dangling parent");
                }
            }
            if n.details.kind() == NodeKind::File {
                let chain = app.store().ancestry(&n.id).await.unwrap();
                assert_eq!(chain[0].id, n.id);
                let top = chain.last().unwrap();
                assert_eq!(top.details.kind(), NodeKind::Specimen, "{id}");
                assert!(top.parent.is_none());
                assert!(chain.iter().all(|c| &c.participant == id));
                assert!(
                    chain
                        .iter()
                        .any(|c| matches!(c.details, NodeDetails::SequencingRun { .. }))
                );
            }
        }
        nodes += all.len();
    }
    assert_eq!(events, outcome.consent_events);
    assert_eq!(withdrawn, outcome.withdrawn);
    assert_eq!(legacy, outcome.legacy);
    assert_eq!(nodes, outcome.nodes);
    assert!(amended >= 1);
    for kind in ["specimen", "extract", "library", "sequencing_run", "file"] {
        assert!(
            kinds.get(kind).copied().unwrap_or(0) > 0,
            "no {kind}: {kinds:?}"
        );
    }

    // real genotypes: every participant got a 1000 Genomes chr20 sample, and
    // the public sees which variants exist in the region (yes/no, no counts)
    assert_eq!(outcome.variant_samples, outcome.participants, "{outcome:?}");
    // two real tumours, each a cancer participant's somatic batch, answered
    // when somatic calls are asked for (the BRCA tumour has one call on
    // chromosome 1 below 5 Mb, the COAD tumour 18)
    assert_eq!(outcome.somatic_samples, 2, "{outcome:?}");

    // annotation and actionability: three cancer participants with
    // actionable somatic changes and one rare-disease participant with a
    // secondary finding they chose to receive; every participant in the
    // variant store was annotated
    assert_eq!(outcome.actionable.len(), 3, "{outcome:?}");
    assert!(outcome.annotated >= outcome.participants, "{outcome:?}");
    let staff = zenome_app::Actor::local();
    let mut drugs = Vec::new();
    for (pid, gene) in &outcome.actionable {
        let f = app
            .participant_findings(
                &zenome_app::Actor {
                    role: Role::DataCentreStaff,
                    ..staff.clone()
                },
                &pid.parse().unwrap(),
            )
            .await
            .unwrap();
        let v = f
            .findings
            .variants
            .iter()
            .find(|v| &v.gene == gene)
            .expect("annotated variant");
        assert_eq!(v.consequences, ["missense_variant"], "{v:?}");
        let t = f
            .findings
            .therapies
            .iter()
            .find(|t| &t.gene == gene)
            .unwrap_or_else(|| panic!("no therapy for {gene}: {f:?}"));
        assert_eq!(t.level.as_deref(), Some("A"), "{t:?}");
        assert_eq!(t.context, "patient_cancer_type", "{t:?}");
        assert!(t.kb.starts_with("local-evidence@"), "{t:?}");
        drugs.extend(t.therapies.clone());
        assert!(
            f.run.as_ref().is_some_and(|r| r
                .knowledge
                .iter()
                .any(|k| k.starts_with("clinvar@2026-11-01"))),
            "{f:?}"
        );
    }
    for d in ["Osimertinib", "Sotorasib", "Encorafenib"] {
        assert!(drugs.iter().any(|x| x == d), "{d} missing from {drugs:?}");
    }
    let brca = outcome
        .germline_finding
        .clone()
        .expect("a rare-disease participant wants secondary findings");
    let f = app
        .participant_findings(
            &zenome_app::Actor {
                role: Role::DataCentreStaff,
                ..staff.clone()
            },
            &brca.parse().unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(f.wants_secondary_findings, Some(true));
    let sf = &f.findings.secondary;
    assert_eq!(sf.len(), 1, "{f:?}");
    assert_eq!(
        (sf[0].gene.as_str(), sf[0].variation_id, sf[0].stars),
        ("BRCA1", 17662, 3),
        "{sf:?}"
    );
    assert!(
        f.findings.variants[0].hgvsc.ends_with("c.68_69del"),
        "{f:?}"
    );
    // every rare-disease participant given a causal change has its gene
    // ranked first, from the record's HPO terms and the stored genotypes,
    // with the change as the evidence
    assert!(
        !outcome.rare_cases.is_empty(),
        "NF1 or Marfan cases with consent in force"
    );
    let staff_actor = zenome_app::Actor {
        role: Role::DataCentreStaff,
        ..staff.clone()
    };
    for (p, gene) in &outcome.rare_cases {
        let c = app
            .candidate_diagnoses(&staff_actor, &p.parse().unwrap())
            .await
            .unwrap();
        assert_eq!(&c.genes[0].gene, gene, "{p}: {c:?}");
        assert_eq!(c.genes[0].rank, 1);
        let v = &c.genes[0].variants[0];
        let expected = if gene == "NF1" { "p.Arg1947Ter" } else { "fs" };
        assert!(v.hgvsp.contains(expected), "{v:?}");
        assert!(!c.genes[0].matched_terms.is_empty(), "{c:?}");
        assert!(c.alleles_read >= 3 && c.candidates >= 1, "{c:?}");
        assert_eq!(c.by_phenotype.len(), zenome_app::prioritise::BY_PHENOTYPE);
    }
    // a newcomer logs in straight after the demo with the current code (the
    // demo's own logins left that step unused); the same code again is
    // refused as used, and said so
    let a = outcome
        .accounts
        .iter()
        .find(|a| a.username == "staff")
        .unwrap();
    let totp = TotpSecret::from_base32(a.totp_secret.as_deref().unwrap()).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let code = totp_code(&totp, now);
    let pw = a.password.as_deref().unwrap();
    app.login("staff", pw, &code, None)
        .await
        .expect("the first login after the demo works at once");
    let e = app.login("staff", pw, &code, None).await.unwrap_err();
    assert!(e.to_string().contains("already used"), "{e}");
    // the review queue holds drafted reports: a therapy match among them
    assert!(!outcome.report_drafts.is_empty(), "reports drafted");
    let queue = app.reports(&staff_actor).await.unwrap();
    assert!(
        queue.iter().any(|r| r.status == "draft"
            && r.content
                .as_ref()
                .is_some_and(|c| !c.therapies.is_empty() || !c.candidates.is_empty())),
        "{queue:?}"
    );
    // a cancer participant is not a rare-disease case: refused, not ranked
    let cancer = &outcome.actionable[0].0;
    let e = app
        .candidate_diagnoses(&staff_actor, &cancer.parse().unwrap())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("not a rare-disease case"), "{e}");
    let somatic = app
        .cohort_variants_of(
            None,
            &zenome_app::variants::CohortQuery {
                chrom: "1".into(),
                start: 1,
                end: 5_000_000,
                reference_bases: None,
                alternate_bases: None,
            },
            zenome_app::variants::Origin::Somatic,
        )
        .await
        .unwrap();
    assert_eq!(somatic.alleles.len(), 19, "{somatic:?}");
    let answer = app
        .cohort_variants(
            None,
            &zenome_app::variants::CohortQuery {
                chrom: "20".into(),
                start: 1_000_000,
                end: 1_100_000,
                reference_bases: None,
                alternate_bases: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        answer.granularity,
        zenome_app::variants::Granularity::Boolean
    );
    assert!(
        !answer.alleles.is_empty(),
        "no variant of the excerpt exists"
    );
    assert!(
        answer
            .alleles
            .iter()
            .all(|a| (1_000_000..=1_100_000).contains(&a.pos) && a.ac == 0 && a.carriers.is_none()),
        "a boolean answer carries positions only"
    );

    // files: every generated file went through the ingest and is stored,
    // one FASTQ fails QC (its CRAM and VCF stay expected), the rest pass
    let uploads = app.store().open_uploads().await.unwrap();
    assert!(uploads.is_empty(), "{uploads:?}");
    let objects = app.store().objects().await.unwrap();
    assert_eq!(objects.len(), outcome.files_stored);
    assert_eq!(outcome.files_failed_qc, 1, "{outcome:?}");
    assert!(
        outcome.files_stored >= 2 * 3 * FILES_PER_FACILITY - 1,
        "{outcome:?}"
    );
    // sample identity: every stored CRAM and VCF was fingerprinted; the two
    // swapped tumour tubes and the foreign tumour tube are caught and held,
    // nothing else is
    let never = app.store().never_fingerprinted().await.unwrap();
    assert!(never.is_empty(), "{never:?}");
    let holds = app.store().identity_holds(Some("open")).await.unwrap();
    let mut held: BTreeMap<String, usize> = BTreeMap::new();
    for h in &holds {
        *held.entry(h.participant_id.clone()).or_default() += 1;
    }
    assert_eq!(held.len(), 3, "three participants held: {holds:?}");
    assert!(
        held.values().all(|&n| n == 2),
        "tumour and normal held: {held:?}"
    );
    let mut kinds = BTreeMap::new();
    for h in &holds {
        for c in app.store().identity_checks_of_hold(&h.id).await.unwrap() {
            *kinds.entry(c.kind).or_insert(0) += 1;
        }
    }
    // each swapped tumour (a CRAM, fingerprinted from its reads) fails
    // against its own normal (CRAM and VCF) and matches the other
    // participant's normal; the foreign one fails against its own normal only
    assert!(
        kinds.get("tumour_normal").copied().unwrap_or(0) >= 3,
        "{kinds:?}"
    );
    assert!(
        kinds.get("cohort_match").copied().unwrap_or(0) >= 2,
        "{kinds:?}"
    );
    assert_eq!(kinds.len(), 2, "no other kind of failure: {kinds:?}");
    let mut by_participant: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for h in &holds {
        for c in app.store().identity_checks_of_hold(&h.id).await.unwrap() {
            by_participant
                .entry(h.participant_id.clone())
                .or_default()
                .push(c.kind);
        }
    }
    let swapped = by_participant
        .values()
        .filter(|k| k.iter().any(|k| k == "cohort_match"))
        .count();
    assert_eq!(swapped, 2, "the swapped pair: {by_participant:?}");
    // same-library CRAM/VCF pairs all pass where both were stored
    let ok = app
        .store()
        .identity_cohort()
        .await
        .unwrap()
        .into_iter()
        .filter(|s| s.evidence == "reads")
        .count();
    assert!(ok >= 3, "CRAMs fingerprinted from their reads: {ok}");

    let mut formats = BTreeMap::new();
    for o in &objects {
        *formats.entry(o.format.as_str()).or_insert(0) += 1;
        let node = app
            .store()
            .node(&zenome_domain::lineage::NodeId::new(o.node_id.clone()))
            .await
            .unwrap()
            .expect("the file's node");
        assert_eq!(node.participant, o.participant_id);
        let NodeDetails::File { format, state } = node.details else {
            panic!("{} hangs on a {}", o.name, node.details.kind());
        };
        assert_eq!(format.as_str(), o.format);
        assert_eq!(o.status, "available");
        assert!(o.centre.is_some());
        assert!(o.size > 0 && o.sha256.len() == 64 && o.md5.len() == 32);
        assert!(o.stored_size > o.size, "{}: stored encrypted", o.name);
        let copies = app.store().copies(&o.id).await.unwrap();
        assert!(!copies.is_empty(), "{}", o.name);
        for c in &copies {
            assert_eq!(
                app.stores().size(&c.store, &o.object_key).await.unwrap(),
                Some(o.stored_size as u64),
                "{} in {}",
                o.name,
                c.store
            );
        }
        let qc: serde_json::Value = serde_json::from_str(&o.qc).unwrap();
        match o.qc_status.as_str() {
            "failed" => {
                assert_eq!(o.format, "fastq", "{}", o.name);
                assert_eq!(state.as_str(), "qc_failed");
                assert!(qc["mean_quality"].as_f64().unwrap() < 25.0, "{qc}");
                // the pipeline stopped: the CRAM below it is still expected
                let below = app.store().nodes_of(&o.participant_id).await.unwrap();
                assert!(below.iter().any(|n| n.parent.as_ref().map(|p| p.as_str())
                    == Some(o.node_id.as_str())
                    && matches!(
                        n.details,
                        NodeDetails::File {
                            state: zenome_domain::lineage::FileState::Expected,
                            ..
                        }
                    )));
            }
            "passed" => {
                assert_eq!(state.as_str(), "stored");
                match o.format.as_str() {
                    "fastq" => {
                        assert!(qc["q30_fraction"].as_f64().unwrap() > 0.85, "{qc}");
                        assert!(o.reference.is_none());
                    }
                    "cram" => {
                        assert_eq!(qc["container"], "CRAM 3.0", "{qc}");
                        assert_eq!(qc["records_decoded"], true, "{qc}");
                        assert_eq!(qc["mapped_fraction"], 1.0, "{qc}");
                        assert_eq!(qc["samples"][0], o.participant_id.as_str(), "{qc}");
                        assert_eq!(o.reference.as_deref(), Some("zenome-demo-ref-1"));
                    }
                    "vcf" => {
                        let ts_tv = qc["ts_tv"].as_f64().unwrap();
                        assert!((1.8..2.2).contains(&ts_tv), "{qc}");
                        assert!(qc["records"].as_u64().unwrap() >= 200, "{qc}");
                        assert_eq!(qc["warning_count"], 0, "{qc}");
                        assert_eq!(qc["noodles_tolerated"], serde_json::json!([]), "{qc}");
                        assert_eq!(qc["samples"][0], o.participant_id.as_str(), "{qc}");
                        assert_eq!(o.reference.as_deref(), Some("zenome-demo-ref-1"));
                    }
                    other => panic!("unexpected format {other}"),
                }
                assert!(o.pipeline.is_some());
            }
            other => panic!("{}: qc_status {other}", o.name),
        }
    }
    assert_eq!(
        formats.get("fastq"),
        Some(&(3 * FILES_PER_FACILITY)),
        "{formats:?}"
    );
    // the chosen participants' CRAMs (one failed at its FASTQ), plus the
    // tumour and normal of the three identity cases
    assert_eq!(
        formats.get("cram"),
        Some(&(3 * FILES_PER_FACILITY - 1 + 6)),
        "{formats:?}"
    );
    assert!(formats.get("vcf").is_some_and(|&n| n >= 1), "{formats:?}");

    // the audit trail is intact
    let n = app
        .store()
        .verify_audit()
        .await
        .unwrap()
        .expect("audit chain verifies");
    assert!(n as usize > outcome.participants + outcome.nodes);

    // the accounts work: staff lists everyone, a pipeline token authenticates
    assert_eq!(outcome.accounts.len(), 14);
    // secondary use: three datasets, a grant in use, an alert for the refused read
    assert_eq!(outcome.applications, 3);
    assert_eq!(app.store().datasets().await.unwrap().len(), 3);
    assert_eq!(app.store().grants().await.unwrap().len(), 1);
    assert!(
        app.store()
            .alerts(10)
            .await
            .unwrap()
            .iter()
            .any(|a| a.rule == "access_outside_grant")
    );
    // the VCFs the centres uploaded went on into the variant store
    let alerts = app.store().alerts(100).await.unwrap();
    assert!(
        !alerts.iter().any(|a| a.rule == "variant_load_failed"),
        "{alerts:?}"
    );
    let staff = login(&app, account(&outcome, "staff")).await;
    assert_eq!(staff.role, Role::DataCentreStaff);
    let (rows, count) = app
        .participants(
            &staff,
            ParticipantQuery {
                limit: Some(500),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(count as usize, total);
    assert_eq!(rows.len(), total);
    assert_eq!(
        rows.iter()
            .filter(|r| r.consent_state == "withdrawn")
            .count(),
        outcome.withdrawn
    );
    for a in &outcome.accounts {
        match a.role.as_str() {
            "sequencing_centre" => {
                assert!(a.password.is_none() && a.totp_secret.is_none());
                let actor = app
                    .actor_from_bearer(a.api_token.as_deref().expect("a token"))
                    .await
                    .unwrap();
                assert_eq!(actor.role.scope().map(|s| s.as_str()), a.scope.as_deref());
            }
            _ => {
                assert!(a.api_token.is_none());
                assert!(a.password.as_ref().is_some_and(|p| p.len() >= 16));
                assert!(a.totp_secret.is_some());
            }
        }
        assert!(!format!("{a:?}").contains(a.password.as_deref().unwrap_or("\u{0}")));
    }

    // the demo pipeline: two versions evaluated on the demo truth set, 1.1
    // current with its reason on record, the demo's files linked to 1.0
    assert_eq!(outcome.pipeline_versions, 2);
    assert_eq!(outcome.current_pipeline.as_deref(), Some("1.1"));
    let p = app.pipeline(&staff, zenome_demo::PIPELINE).await.unwrap();
    assert_eq!(p.current.as_deref(), Some("1.1"));
    assert_eq!(p.evaluations.len(), 2);
    assert_eq!(p.promotions.len(), 2);
    assert!(p.promotions[0].reason.contains("Not worse than 1.0"));
    assert!(p.promotions[0].comparison.iter().all(|l| l.ok));
    assert!(
        p.results
            .iter()
            .any(|r| r.kind == "file" && r.version == "1.0"),
        "{:?}",
        p.results
    );

    // building again into the same store is refused before anything is written
    let before = app.store().verify_audit().await.unwrap().unwrap();
    let err = build(&app, &opts(42), &|_, _| {}).await.unwrap_err();
    assert!(matches!(err, DemoError::AlreadyPopulated(_)), "{err}");
    assert_eq!(app.store().verify_audit().await.unwrap().unwrap(), before);
}

#[tokio::test]
async fn the_seed_decides_everything_random() {
    let (d1, d2, d3) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let (a1, a2, a3) = (
        app(d1.path()).await,
        app(d2.path()).await,
        app(d3.path()).await,
    );
    let (o1, _) = build_recorded(&a1, 42).await;
    let (o2, _) = build_recorded(&a2, 42).await;
    let (o3, _) = build_recorded(&a3, 7).await;

    let (ids1, ids2, ids3) = (all_ids(&a1).await, all_ids(&a2).await, all_ids(&a3).await);
    assert_eq!(ids1, ids2);
    assert_ne!(ids1, ids3);
    assert_eq!(all_barcodes(&a1).await, all_barcodes(&a2).await);
    assert_ne!(all_barcodes(&a1).await, all_barcodes(&a3).await);

    // same choices: counts and consent states match
    let strip = |o: &DemoOutcome| {
        let mut o = o.clone();
        for a in &mut o.accounts {
            a.api_token = None; // drawn by the service, not the demo
        }
        o
    };
    assert_eq!(strip(&o1), strip(&o2));
    for id in &ids1 {
        let h1 = a1.store().consent_history(id).await.unwrap();
        let h2 = a2.store().consent_history(id).await.unwrap();
        let actions = |h: &zenome_domain::consent::ConsentHistory| {
            h.events()
                .iter()
                .map(|e| e.action.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(actions(&h1), actions(&h2), "{id}");
    }

    // other seed: other secrets
    let pw = |o: &DemoOutcome| {
        o.accounts
            .iter()
            .map(|a| (a.password.clone(), a.totp_secret.clone()))
            .collect::<Vec<_>>()
    };
    assert_ne!(pw(&o1), pw(&o3));

    // the same seed and reference give the same files: the plaintext is
    // identical, the stored (encrypted) bytes are not
    let (f1, f2) = (file_digests(&a1).await, file_digests(&a2).await);
    assert!(!f1.is_empty());
    assert_eq!(f1, f2);
    let stored = |objects: Vec<zenome_store::ObjectRow>| {
        objects
            .into_iter()
            .map(|o| (o.sha256, o.stored_sha256))
            .collect::<BTreeMap<_, _>>()
    };
    let (s1, s2) = (
        stored(a1.store().objects().await.unwrap()),
        stored(a2.store().objects().await.unwrap()),
    );
    for (plain, enc) in &s1 {
        assert_ne!(Some(enc), s2.get(plain), "encrypted bytes repeat");
    }
    assert_ne!(f1, file_digests(&a3).await);
}

/// An app without a reference configured.
async fn app_without_reference(dir: &Path) -> App {
    let store = fresh_sqlite(dir).await.unwrap();
    let config = Config {
        data_dir: dir.to_path_buf(),
        security: SecurityConfig {
            password: PasswordParams {
                memory_kib: 1024,
                iterations: 1,
                parallelism: 1,
            },
            ..Default::default()
        },
        ..Default::default()
    };
    App::new(store, SealKey::generate(), config).unwrap()
}

#[tokio::test]
async fn files_need_a_reference_only_when_asked_for() {
    let small = |files_per_facility| DemoOptions {
        seed: 3,
        participants_per_facility: 3,
        files_per_facility,
        qc_history_per_centre: 0,
    };
    let dir = tempfile::tempdir().unwrap();
    let app = app_without_reference(dir.path()).await;
    let out = build(&app, &small(0), &|_, _| {}).await.expect("builds");
    assert_eq!((out.files_stored, out.files_failed_qc), (0, 0));
    assert!(app.store().objects().await.unwrap().is_empty());

    let dir = tempfile::tempdir().unwrap();
    let app = app_without_reference(dir.path()).await;
    let err = build(&app, &small(1), &|_, _| {}).await.unwrap_err();
    assert!(matches!(err, DemoError::Files(_)), "{err}");
    assert!(err.to_string().contains("reference"), "{err}");
}

/// The QC history: each centre sends a baseline and recent weeks of FASTQs
/// through the ingest; the Tokyo centre's recent flow cells are bad, so the
/// first re-evaluation (run by the demo) finds it drifting — failure rate
/// and base quality — and the Kazusa centre stable, and raises the alert.
#[tokio::test]
async fn one_sequencing_centre_drifts_in_the_qc_history() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path()).await;
    let opts = DemoOptions {
        seed: 5,
        participants_per_facility: 20,
        files_per_facility: 1,
        qc_history_per_centre: 9,
    };
    let out = build(&app, &opts, &|_, _| {}).await.expect("demo builds");
    assert_eq!(out.qc_history_files, 2 * 2 * 9, "{out:?}");
    assert_eq!(out.qc_drifting, ["SEQ-TK"]);
    let report = app
        .qc_drift_latest(&Actor::local())
        .await
        .unwrap()
        .expect("the demo ran the re-evaluation");
    assert_eq!(report.run.reason, "initial");
    let centre = |code: &str| report.centres.iter().find(|c| c.centre == code).unwrap();
    let tk = centre("SEQ-TK");
    let drifting: Vec<(&str, &str)> = tk
        .drifting()
        .map(|m| (m.metric.as_str(), m.reason.as_str()))
        .collect();
    for expected in [
        ("failure_rate", "failure_rate_above_baseline"),
        ("fastq_q30", "median_below_baseline"),
        ("fastq_mean_quality", "median_below_baseline"),
    ] {
        assert!(drifting.contains(&expected), "{drifting:?}");
    }
    let kz = centre("SEQ-KZ");
    assert_eq!(kz.verdict, "stable", "{kz:?}");
    let q30 = kz.metrics.iter().find(|m| m.metric == "fastq_q30").unwrap();
    assert!(q30.window_n >= 8 && q30.baseline_n >= 8, "{q30:?}");
    let alerts = app.store().alerts(100).await.unwrap();
    assert!(
        alerts
            .iter()
            .any(|a| a.rule == "qc_drift" && a.summary.contains("SEQ-TK")),
        "{alerts:?}"
    );
}
