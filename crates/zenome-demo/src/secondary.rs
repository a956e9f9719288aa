//! The secondary-use part of the demo: three datasets (one under embargo
//! for its producing group), an academic application approved into a grant
//! and used, an industry application half-way through its two approvals, a
//! draft, and a refused read that raises an alert — all through the
//! application services.

use std::collections::HashMap;

use time::{Duration, OffsetDateTime};
use zenome_app::access::datasets::{MemberSelection, NewDataset};
use zenome_app::access::{ApplicationBody, PurposeBody};
use zenome_app::{Actor, App};
use zenome_domain::access::{DataType, SecurityLevel, Vote};
use zenome_domain::participant::DiseaseArea;

use crate::DemoError;

fn purpose(scope: &str, disease: Option<&str>, description: &str, reference: &str) -> PurposeBody {
    PurposeBody {
        scope: scope.into(),
        disease: disease.map(str::to_string),
        description: description.into(),
        commercial: false,
        country: "JP".into(),
        ethics_approval: true,
        ethics_reference: Some(reference.into()),
    }
}

/// (id, title, Japanese title, disease area, data types, embargo end).
type DemoDataset = (
    &'static str,
    &'static str,
    &'static str,
    DiseaseArea,
    Vec<DataType>,
    Option<OffsetDateTime>,
);

pub(crate) async fn build(app: &App, actors: &HashMap<&str, Actor>) -> Result<usize, DemoError> {
    let a = |k: &str| {
        actors
            .get(k)
            .ok_or_else(|| DemoError::Unexpected(format!("no actor {k}")))
    };
    let staff = a("staff")?;
    let today = OffsetDateTime::now_utc().date();
    let datasets: [DemoDataset; 3] = [
        (
            "cancer-wgs-r1",
            "Cancer whole genomes, release 1",
            "がん全ゲノム 第1版",
            DiseaseArea::Cancer,
            vec![DataType::Vcf, DataType::Cram, DataType::Clinical],
            None,
        ),
        (
            "rare-wgs-r1",
            "Rare disease whole genomes, release 1",
            "難病全ゲノム 第1版",
            DiseaseArea::RareDisease,
            vec![DataType::Vcf, DataType::Cram, DataType::Clinical],
            None,
        ),
        (
            "cancer-wgs-r2",
            "Cancer whole genomes, release 2 (embargoed)",
            "がん全ゲノム 第2版（エンバーゴ中）",
            DiseaseArea::Cancer,
            vec![DataType::Vcf],
            Some(OffsetDateTime::now_utc() + Duration::days(180)),
        ),
    ];
    for (id, title, title_ja, area, types, embargo) in datasets {
        app.create_dataset(
            staff,
            NewDataset {
                id: id.into(),
                title: title.into(),
                title_ja: title_ja.into(),
                description: format!("{title}: germline and somatic calls with clinical data, processed with the uniform pipeline."),
                security_level: SecurityLevel::Level2,
                data_types: types,
                requirement: PurposeBody {
                    scope: "health_medical".into(),
                    country: "JP".into(),
                    ethics_approval: true,
                    ..Default::default()
                },
                embargo_until: embargo,
                producer_group: if embargo.is_some() { vec!["researcher.academic".into()] } else { vec![] },
            },
        )
        .await?;
        app.add_dataset_members(
            staff,
            id,
            MemberSelection {
                disease_area: Some(area),
                ..Default::default()
            },
        )
        .await?;
    }
    let start = today.to_string();
    let end = |days: i64| (today + Duration::days(days)).to_string();
    let academic = a("researcher.academic")?;
    let industry = a("researcher.industry")?;
    // 1. academic: approved with a condition, then used
    let id = app
        .create_application(
            academic,
            ApplicationBody {
                title: "Germline predisposition to lung cancer in Japanese patients".into(),
                affiliation: "Kyoto University".into(),
                co_applicants: vec![],
                purpose: purpose(
                    "disease",
                    Some("MONDO:0004992"),
                    "A case-control association study of rare germline variants in cancer predisposition genes.",
                    "KU-R-2026-118",
                ),
                datasets: vec!["cancer-wgs-r1".into()],
                data_types: vec!["vcf".into(), "clinical".into()],
                fastq_need: None,
                start: start.clone(),
                end: end(730),
                agreement_accepted: Some(app.config().access.agreement_version.clone()),
            },
        )
        .await?;
    app.submit_application(academic, &id).await?;
    app.assign_application(a("dac")?, &id).await?;
    app.declare_interests(a("dac")?, &id, false, "").await?;
    app.vote_application(
        a("dac")?,
        &id,
        Vote::ApproveWithConditions(
            "no attempt at re-identification; publish within three years".into(),
        ),
    )
    .await?;
    app.dataset_participants(academic, "cancer-wgs-r1", DataType::Vcf, Some("127.0.0.1"))
        .await?;
    // 2. industry: one of two approvals so far
    let id = app
        .create_application(
            industry,
            ApplicationBody {
                title: "Target discovery for rare neuromuscular disease".into(),
                affiliation: "Sakura Therapeutics".into(),
                co_applicants: vec![],
                purpose: purpose(
                    "health_medical",
                    None,
                    "Identification of druggable targets from rare-disease genomes for a drug-development programme.",
                    "ST-IRB-2026-07",
                ),
                datasets: vec!["rare-wgs-r1".into()],
                data_types: vec!["vcf".into()],
                fastq_need: None,
                start: start.clone(),
                end: end(365),
                agreement_accepted: Some(app.config().access.agreement_version.clone()),
            },
        )
        .await?;
    app.submit_application(industry, &id).await?;
    app.declare_interests(a("dac2")?, &id, false, "").await?;
    app.vote_application(a("dac2")?, &id, Vote::Approve).await?;
    // 3. a draft
    app.create_application(
        academic,
        ApplicationBody {
            title: "Somatic signatures in colorectal cancer".into(),
            affiliation: "Kyoto University".into(),
            co_applicants: vec![],
            purpose: purpose(
                "disease",
                Some("MONDO:0005575"),
                "Mutational signatures and treatment response.",
                "KU-R-2026-140",
            ),
            datasets: vec!["cancer-wgs-r1".into()],
            data_types: vec!["vcf".into(), "cram".into()],
            fastq_need: None,
            start,
            end: end(365),
            agreement_accepted: Some(app.config().access.agreement_version.clone()),
        },
    )
    .await?;
    // a read outside any grant: refused, logged, alerted
    let refused = app
        .dataset_participants(industry, "cancer-wgs-r1", DataType::Cram, Some("127.0.0.1"))
        .await;
    if refused.is_ok() {
        return Err(DemoError::Unexpected(
            "a read outside the grants was allowed".into(),
        ));
    }
    Ok(3)
}
