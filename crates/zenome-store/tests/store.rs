//! The store test suite. Every test runs twice: on a fresh SQLite file and
//! on a fresh PostgreSQL database (see `zenome_store::testing`).

use time::Duration;
use time::macros::date;
use zenome_domain::consent::{
    ConsentAction, ConsentItems, ConsentSource, FormVersion, ResearchScope,
};
use zenome_domain::id::{Barcode, BarcodeKind, ParticipantId};
use zenome_domain::lineage::{
    LibraryStrategy, LineageNode, MaterialStatus, NodeDetails, NodeId, SpecimenType,
};
use zenome_domain::organisation::{OrgKind, Organisation};
use zenome_domain::participant::{DiseaseArea, Participant, Sex};
use zenome_store::{
    AuditEntry, NewClinical, NewUser, ParticipantFilter, Store, StoreError, UserKind, testing,
};

macro_rules! both_engines {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let dir = tempfile::tempdir().unwrap();
                    let store = zenome_store::testing::fresh_sqlite(dir.path()).await.unwrap();
                    super::$name(store).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    if let Some(store) = zenome_store::testing::fresh_postgres().await {
                        super::$name(store).await;
                    }
                }
            )+
        }
    };
}

both_engines!(
    organisations_and_participants,
    duplicate_participant_changes_nothing,
    consent_history_round_trips,
    lineage_tree_and_duplicate_barcode,
    users_tokens_sessions_and_totp_replay,
    audit_chain_verifies_and_detects_tampering,
    rollback_leaves_no_audit_entry,
    public_stats_counts,
    clinical_versions_latest_and_counts,
);

fn actor() -> AuditEntry {
    AuditEntry::new("user:test", "test", "test:1")
}

async fn seed(store: &Store) -> Participant {
    let mut tx = store.begin(actor()).await.unwrap();
    tx.insert_organisation(
        &Organisation::new(
            "TKY-UH".parse().unwrap(),
            OrgKind::CollectingFacility,
            "Tokyo University Hospital",
            "東京大学医学部附属病院",
        )
        .unwrap(),
    )
    .await
    .unwrap();
    let p = Participant {
        id: ParticipantId::from_body("00000001").unwrap(),
        facility: "TKY-UH".parse().unwrap(),
        disease_area: DiseaseArea::Cancer,
        sex: Sex::Female,
        registered_at: tx.at(),
    };
    tx.insert_participant(&p, "user:test").await.unwrap();
    tx.commit().await.unwrap();
    p
}

async fn organisations_and_participants(store: Store) {
    let p = seed(&store).await;
    let orgs = store.organisations().await.unwrap();
    assert_eq!(orgs.len(), 1);
    assert_eq!(orgs[0].name_ja, "東京大学医学部附属病院");
    let row = store.participant(&p.id).await.unwrap().unwrap();
    assert_eq!(row.participant, p);
    assert_eq!(row.consent_state, "not_given");
    let f = ParticipantFilter {
        facility: Some("TKY-UH".parse().unwrap()),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(store.participants(&f).await.unwrap().len(), 1);
    assert_eq!(store.count_participants(&f).await.unwrap(), 1);
    let other = ParticipantFilter {
        facility: Some("OSK-UH".parse().unwrap()),
        limit: 10,
        ..Default::default()
    };
    assert!(store.participants(&other).await.unwrap().is_empty());
}

async fn duplicate_participant_changes_nothing(store: Store) {
    let p = seed(&store).await;
    let (head_seq, _) = store.audit_head().await.unwrap();
    let mut tx = store.begin(actor()).await.unwrap();
    let err = tx.insert_participant(&p, "user:test").await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Duplicate {
                what: "participant_id",
                ..
            }
        ),
        "{err:?}"
    );
    drop(tx);
    assert_eq!(store.audit_head().await.unwrap().0, head_seq);
    // a participant at an unknown facility is refused by the foreign key
    let mut tx = store.begin(actor()).await.unwrap();
    let stray = Participant {
        id: ParticipantId::from_body("00000002").unwrap(),
        facility: "NOWHERE".parse().unwrap(),
        ..p
    };
    let err = tx
        .insert_participant(&stray, "user:test")
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::MissingReference { .. }),
        "{err:?}"
    );
}

fn items() -> ConsentItems {
    ConsentItems {
        research_scope: ResearchScope::DiseaseSpecific("MONDO:0004992".parse().unwrap()),
        industrial_use: false,
        data_linkage: true,
        international_sharing: false,
        recontact: true,
        primary_findings: true,
        secondary_findings: false,
    }
}

async fn consent_history_round_trips(store: Store) {
    let p = seed(&store).await;
    let mut tx = store.begin(actor()).await.unwrap();
    let mut h = tx.consent_history(&p.id).await.unwrap();
    let now = tx.at();
    let e = h
        .append(
            ConsentAction::Given {
                form: FormVersion::V1_0,
                items: items(),
                source: ConsentSource::Legacy {
                    form: zenome_domain::consent::LegacyForm::CancerBiobank2014,
                    gaps: vec![zenome_domain::consent::ConsentGap {
                        item: zenome_domain::consent::ConsentItem::Recontact,
                        reason: "not asked".into(),
                    }],
                },
            },
            now - Duration::days(2),
            now,
        )
        .unwrap()
        .clone();
    tx.append_consent_event(&p.id, &e, "user:test")
        .await
        .unwrap();
    let e = h
        .append(
            ConsentAction::Withdrawn {
                reason: Some("moved abroad".into()),
            },
            now - Duration::days(1),
            now,
        )
        .unwrap()
        .clone();
    tx.append_consent_event(&p.id, &e, "user:test")
        .await
        .unwrap();
    // inside the transaction the batch read sees its own appends
    let in_tx = tx
        .consent_histories_of(std::slice::from_ref(&p.id))
        .await
        .unwrap();
    assert_eq!(in_tx.get(p.id.as_str()), Some(&h));
    tx.commit().await.unwrap();

    let stored = store.consent_history(&p.id).await.unwrap();
    assert_eq!(stored, h);
    // the batch reads give the same history: by facility, and by ids in
    // chunks (1,200 ids, the real one in the third chunk of 500)
    let mut ids: Vec<ParticipantId> = (2..1202)
        .map(|i| ParticipantId::from_body(&format!("{i:08}")).unwrap())
        .collect();
    ids.insert(1100, p.id.clone());
    let of = store.consent_histories_of(&ids).await.unwrap();
    assert_eq!(of.len(), 1);
    assert_eq!(of.get(p.id.as_str()), Some(&h));
    let rows = store.participants_by_id(&ids).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[p.id.as_str()].consent_state, "withdrawn");
    assert!(store.participants_by_id(&[]).await.unwrap().is_empty());
    let all = store.consent_histories(None).await.unwrap();
    assert_eq!(all.get(p.id.as_str()), Some(&h));
    assert_eq!(all.len(), 1);
    let tky = store.consent_histories(Some("TKY-UH")).await.unwrap();
    assert_eq!(tky.get(p.id.as_str()), Some(&h));
    assert!(
        store
            .consent_histories(Some("OSK-CC"))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(stored.current().as_str(), "withdrawn");
    assert_eq!(
        store
            .participant(&p.id)
            .await
            .unwrap()
            .unwrap()
            .consent_state,
        "withdrawn"
    );
    // the same seq twice is refused by the primary key
    let mut tx = store.begin(actor()).await.unwrap();
    let err = tx
        .append_consent_event(&p.id, &e, "user:test")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Duplicate { .. }), "{err:?}");
}

async fn lineage_tree_and_duplicate_barcode(store: Store) {
    let p = seed(&store).await;
    let mut tx = store.begin(actor()).await.unwrap();
    let at = tx.at();
    let specimen = LineageNode::new(
        NodeId::new("n-spec"),
        p.id.clone(),
        None,
        Some(Barcode::new(BarcodeKind::Specimen, "0001").unwrap()),
        NodeDetails::Specimen {
            specimen_type: SpecimenType::TumourTissue,
            collected_on: date!(2026 - 03 - 01),
            anatomical_site: Some("右上葉".into()),
            status: MaterialStatus::Available,
        },
        at,
    )
    .unwrap();
    tx.insert_node(&specimen, "user:test").await.unwrap();
    let extract = LineageNode::new(
        NodeId::new("n-ext"),
        p.id.clone(),
        Some(specimen.id.clone()),
        Some(Barcode::new(BarcodeKind::Extract, "0001").unwrap()),
        NodeDetails::Extract {
            analyte: zenome_domain::lineage::Analyte::Dna,
            yield_ng: Some(1200),
            status: MaterialStatus::Available,
        },
        at,
    )
    .unwrap();
    tx.insert_node(&extract, "user:test").await.unwrap();
    let library = LineageNode::new(
        NodeId::new("n-lib"),
        p.id.clone(),
        Some(extract.id.clone()),
        Some(Barcode::new(BarcodeKind::Library, "0001").unwrap()),
        NodeDetails::Library {
            strategy: LibraryStrategy::Wgs,
            kit: None,
            centre: None,
        },
        at,
    )
    .unwrap();
    tx.insert_node(&library, "user:test").await.unwrap();
    tx.commit().await.unwrap();

    let nodes = store.nodes_of(&p.id).await.unwrap();
    assert_eq!(nodes.len(), 3);
    assert!(nodes.contains(&specimen));
    let chain = store.ancestry(&library.id).await.unwrap();
    assert_eq!(
        chain.iter().map(|n| n.id.as_str()).collect::<Vec<_>>(),
        ["n-lib", "n-ext", "n-spec"]
    );
    assert_eq!(
        store
            .node_by_barcode(library.barcode.as_ref().unwrap())
            .await
            .unwrap()
            .unwrap(),
        library
    );

    // a second node with the same barcode: 409-class error, nothing stored
    let mut tx = store.begin(actor()).await.unwrap();
    let dup = LineageNode::new(
        NodeId::new("n-dup"),
        p.id.clone(),
        None,
        specimen.barcode.clone(),
        specimen.details.clone(),
        at,
    )
    .unwrap();
    let err = tx.insert_node(&dup, "user:test").await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Duplicate {
                what: "barcode",
                ..
            }
        ),
        "{err:?}"
    );
    drop(tx);
    assert_eq!(store.nodes_of(&p.id).await.unwrap().len(), 3);

    // residual status is an update of details, the node stays
    let mut tx = store.begin(actor()).await.unwrap();
    let mut d = specimen.details.clone();
    if let NodeDetails::Specimen { status, .. } = &mut d {
        *status = MaterialStatus::Residual;
    }
    tx.update_node_details(&specimen.id, &d).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        store
            .node(&specimen.id)
            .await
            .unwrap()
            .unwrap()
            .details
            .status(),
        Some(MaterialStatus::Residual)
    );
}

async fn users_tokens_sessions_and_totp_replay(store: Store) {
    let mut tx = store.begin(actor()).await.unwrap();
    let id = tx
        .insert_user(&NewUser {
            username: "alice".into(),
            display_name: "Alice".into(),
            kind: UserKind::Human,
            role: "admin".into(),
            scope: None,
            password_hash: Some("$argon2id$...".into()),
            totp_secret: Some("sealed".into()),
        })
        .await
        .unwrap();
    let at = tx.at();
    tx.insert_token(&id, "tokenhash", "ci", None).await.unwrap();
    tx.insert_session(
        "sessionhash",
        &id,
        at + Duration::hours(1),
        Some("127.0.0.1"),
    )
    .await
    .unwrap();
    assert!(tx.advance_totp_step(&id, 100).await.unwrap());
    assert!(
        !tx.advance_totp_step(&id, 100).await.unwrap(),
        "a replayed step is refused"
    );
    assert!(!tx.advance_totp_step(&id, 99).await.unwrap());
    assert!(tx.advance_totp_step(&id, 101).await.unwrap());
    tx.commit().await.unwrap();

    let u = store.user_by_name("alice").await.unwrap().unwrap();
    assert_eq!(u.totp_last_step, Some(101));
    assert!(
        !format!("{u:?}").contains("sealed"),
        "Debug redacts secrets"
    );
    assert_eq!(
        store.token("tokenhash", at).await.unwrap().unwrap().user.id,
        id
    );
    assert!(store.token("other", at).await.unwrap().is_none());
    assert!(store.session("sessionhash", at).await.unwrap().is_some());
    assert!(
        store
            .session("sessionhash", at + Duration::hours(2))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store.purge_sessions(at + Duration::hours(2)).await.unwrap(),
        1
    );

    let mut tx = store.begin(actor()).await.unwrap();
    let err = tx
        .insert_user(&NewUser {
            username: "alice".into(),
            display_name: "Other".into(),
            kind: UserKind::Machine,
            role: "sequencing_centre".into(),
            scope: Some("SEQ-A".into()),
            password_hash: None,
            totp_secret: None,
        })
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        StoreError::Duplicate {
            what: "username",
            ..
        }
    ));
}

async fn audit_chain_verifies_and_detects_tampering(store: Store) {
    for i in 0..25 {
        store
            .record(
                AuditEntry::new("user:a", "thing.do", format!("thing:{i}"))
                    .with_detail(serde_json::json!({"i": i, "text": "日本語"})),
            )
            .await
            .unwrap();
    }
    assert_eq!(store.verify_audit().await.unwrap(), Ok(25));
    let all = store.audit_after(0, 100).await.unwrap();
    assert_eq!(all.len(), 25);
    assert_eq!(all[0].prev_hash, zenome_store::GENESIS_HASH);
    assert_eq!(all[1].prev_hash, all[0].hash);
    // tamper with entry 7 directly in the database
    testing::tamper_audit_detail(&store, 7, "{\"i\":700}").await;
    let broken = store.verify_audit().await.unwrap().unwrap_err();
    assert_eq!(broken.seq, 7);
    assert!(broken.reason.contains("content"));
}

async fn rollback_leaves_no_audit_entry(store: Store) {
    let before = store.audit_head().await.unwrap();
    let tx = store.begin(actor()).await.unwrap();
    drop(tx); // dropped without commit: rolled back
    assert_eq!(store.audit_head().await.unwrap(), before);
    assert_eq!(store.verify_audit().await.unwrap(), Ok(before.0));
}

async fn public_stats_counts(store: Store) {
    let p = seed(&store).await;
    let s = store.public_stats().await.unwrap();
    assert_eq!(s.participants.len(), 1);
    assert_eq!(s.participants[0].key, "TKY-UH");
    assert_eq!(s.participants[0].sub, "cancer");
    assert_eq!(s.participants[0].n, 1);
    assert_eq!(s.consent[0].key, "not_given");
    let _ = p;
}

async fn clinical_versions_latest_and_counts(store: Store) {
    let p = seed(&store).await;
    assert!(store.latest_clinical(&p.id).await.unwrap().is_none());
    let new = |record: &str, key: &str| NewClinical {
        participant_id: p.id.clone(),
        dictionary_version: "1".into(),
        record: record.into(),
        source: "api",
        summary_key: Some(key.into()),
    };
    let mut tx = store.begin(actor()).await.unwrap();
    let v1 = tx
        .insert_clinical("c-1", &new(r#"{"v":1}"#, "C34"), "user:test")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(v1.version, 1);
    let mut tx = store.begin(actor()).await.unwrap();
    let v2 = tx
        .insert_clinical("c-2", &new(r#"{"v":2}"#, "C50"), "user:test")
        .await
        .unwrap();
    assert_eq!(tx.latest_clinical(&p.id).await.unwrap().unwrap().id, "c-2");
    tx.commit().await.unwrap();
    assert_eq!(v2.version, 2);
    // a rolled-back version leaves nothing
    let mut tx = store.begin(actor()).await.unwrap();
    tx.insert_clinical("c-3", &new(r#"{"v":3}"#, "C18"), "user:test")
        .await
        .unwrap();
    drop(tx);
    let latest = store.latest_clinical(&p.id).await.unwrap().unwrap();
    assert_eq!((latest.version, latest.record.as_str()), (2, r#"{"v":2}"#));
    let history = store.clinical_history(&p.id).await.unwrap();
    assert_eq!(
        history.iter().map(|r| r.version).collect::<Vec<_>>(),
        vec![1, 2]
    );
    let of = store
        .latest_clinical_of(&[ParticipantId::from_body("00000099").unwrap(), p.id.clone()])
        .await
        .unwrap();
    assert_eq!(of.len(), 1);
    assert_eq!(of[p.id.as_str()].id, "c-2");
    let all = store.latest_clinical_all(None).await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].version, 2);
    assert_eq!(
        store
            .latest_clinical_all(Some("TKY-UH"))
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        store
            .latest_clinical_all(Some("OSK-CC"))
            .await
            .unwrap()
            .is_empty()
    );
    // counts only the latest version of each participant
    assert_eq!(
        store.clinical_counts().await.unwrap(),
        vec![("cancer".to_string(), "C50".to_string(), 1)]
    );
    // the id is unique: a second row with the same id is refused
    let mut tx = store.begin(actor()).await.unwrap();
    assert!(
        tx.insert_clinical("c-1", &new("{}", "C34"), "user:test")
            .await
            .is_err()
    );
}
