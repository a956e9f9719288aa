//! Participants, their consent histories and their specimens' lineage,
//! drawn from the generator and written through the services as the
//! facility's submitter and the sequencing centres' pipelines.

use std::collections::HashSet;

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use time::{Date, Duration, OffsetDateTime, Time};
use zenome_app::lineage::{NewNode, NodeRef};
use zenome_app::registry::{ConsentCommand, NewParticipant};
use zenome_app::{Actor, App};
use zenome_domain::consent::{
    CancerBiobank2014, ConsentAction, ConsentAnswers, ConsentItems, FormVersion, LegacyConsent,
    RareDiseaseRegistry2017, ResearchScope,
};
use zenome_domain::id::{Barcode, BarcodeKind, ParticipantId};
use zenome_domain::lineage::{
    Analyte, FileFormat, FileState, LibraryStrategy, LineageNode, MaterialStatus, NodeDetails,
    NodeId, SpecimenType,
};
use zenome_domain::organisation::OrgCode;
use zenome_domain::participant::DiseaseArea;

use crate::DemoError;
use crate::catalogue::{
    CANCERS, CENTRES, Disease, Facility, Instrument, RARE_DISEASES, WITHDRAWAL_REASONS,
};

/// Barcode characters (no I or O, which read as 1 and 0).
const BARCODE_CHARS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/// What was written.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Counts {
    pub participants: usize,
    pub consent_events: usize,
    pub withdrawn: usize,
    pub legacy: usize,
    pub nodes: usize,
}

/// A library that was sequenced, with the file placeholders under its run:
/// a candidate for the demo's generated files.
#[derive(Debug, Clone)]
pub(crate) struct Sequenced {
    /// Code of the collecting facility.
    pub facility: &'static str,
    pub participant: ParticipantId,
    /// Whether the participant's consent ends withdrawn.
    pub withdrawn: bool,
    /// Index of the sequencing centre in [`CENTRES`].
    pub centre: usize,
    pub library: Barcode,
    /// Whether the library comes from a tumour specimen.
    pub tumour: bool,
    pub run_id: String,
    pub fastq: NodeId,
    pub cram: NodeId,
    pub vcf: Option<NodeId>,
}

/// The cohort under construction.
pub(crate) struct Cohort<'a> {
    app: &'a App,
    rng: &'a mut ChaCha8Rng,
    /// The reference moment: every event lies at or before it.
    today: OffsetDateTime,
    /// Pipeline actors and their centre codes, in [`CENTRES`] order.
    centres: &'a [(Actor, OrgCode)],
    used_ids: HashSet<ParticipantId>,
    used_barcodes: HashSet<Barcode>,
    counts: Counts,
    sequenced: Vec<Sequenced>,
    /// Code of the facility whose participants are being enrolled.
    facility: &'static str,
    done: u64,
    total: u64,
    progress: &'a (dyn Fn(u64, u64) + Sync),
}

/// The fate of one participant's consent, decided per facility so that
/// even a small cohort has some of each.
#[derive(Clone, Copy)]
struct Fate {
    legacy: bool,
    amended: bool,
    withdrawn: bool,
}

impl<'a> Cohort<'a> {
    pub fn new(
        app: &'a App,
        rng: &'a mut ChaCha8Rng,
        today: OffsetDateTime,
        centres: &'a [(Actor, OrgCode)],
        total: u64,
        progress: &'a (dyn Fn(u64, u64) + Sync),
    ) -> Self {
        Self {
            app,
            rng,
            today,
            centres,
            used_ids: HashSet::new(),
            used_barcodes: HashSet::new(),
            counts: Counts::default(),
            sequenced: Vec::new(),
            facility: "",
            done: 0,
            total,
            progress,
        }
    }

    /// What was written, and the sequenced libraries in the order of
    /// registration.
    pub fn finish(self) -> (Counts, Vec<Sequenced>) {
        (self.counts, self.sequenced)
    }

    /// Enrols `n` participants at `f`, as `submitter`.
    pub async fn facility(
        &mut self,
        f: &Facility,
        submitter: &Actor,
        n: usize,
    ) -> Result<(), DemoError> {
        self.facility = f.code;
        // about 10% legacy forms, 8% amended, 5% withdrawn
        let legacy = self.pick(n, 10);
        let amended = self.pick(n, 8);
        let withdrawn = self.pick(n, 5);
        for i in 0..n {
            let fate = Fate {
                legacy: legacy.contains(&i),
                amended: amended.contains(&i),
                withdrawn: withdrawn.contains(&i),
            };
            self.participant(f, submitter, fate).await?;
            self.done += 1;
            (self.progress)(self.done, self.total);
        }
        Ok(())
    }

    /// `percent` of `n` indices, at least one from ten participants up.
    fn pick(&mut self, n: usize, percent: usize) -> HashSet<usize> {
        let mut k = (n * percent + 50) / 100;
        if k == 0 && n >= 10 {
            k = 1;
        }
        rand::seq::index::sample(&mut *self.rng, n, k.min(n))
            .into_iter()
            .collect()
    }

    async fn participant(
        &mut self,
        f: &Facility,
        submitter: &Actor,
        fate: Fate,
    ) -> Result<(), DemoError> {
        let area = if self.rng.random_ratio(f.cancer_percent, 100) {
            DiseaseArea::Cancer
        } else {
            DiseaseArea::RareDisease
        };
        let disease = self.disease(area);
        let sex = disease.sexes.draw(self.rng.random_range(0..1000));
        let id = self.participant_id();
        let p = self
            .app
            .register_participant(
                submitter,
                NewParticipant {
                    id: Some(id),
                    disease_area: area,
                    sex,
                },
            )
            .await?;
        self.counts.participants += 1;

        // the timeline, in days before today: given > collected > run, and
        // given > amended > withdrawn (withdrawal after collection)
        let given_ago: i64 = if fate.legacy {
            self.rng.random_range(1200..=3000)
        } else {
            self.rng.random_range(60..=720)
        };
        let collected_ago = given_ago - self.rng.random_range(0..=21);
        let amended_ago = fate.amended.then(|| self.rng.random_range(1..given_ago));
        let withdrawn_ago = if fate.withdrawn {
            let before = collected_ago.min(amended_ago.unwrap_or(given_ago));
            Some(self.rng.random_range(0..before))
        } else {
            None
        };

        // consent
        let cmd = if fate.legacy {
            ConsentCommand::GiveLegacy(self.legacy_consent(area, disease)?)
        } else {
            ConsentCommand::Give {
                form: FormVersion::CURRENT,
                answers: self.answers(area, disease),
            }
        };
        let at = self.moment(given_ago);
        let event = self
            .app
            .record_consent(submitter, &p.id, cmd, Some(at))
            .await?;
        self.counts.consent_events += 1;
        if fate.legacy {
            self.counts.legacy += 1;
        }
        let ConsentAction::Given { items, .. } = event.action else {
            return Err(DemoError::Unexpected(format!(
                "consent of {} recorded as {}",
                p.id,
                event.action.kind()
            )));
        };

        // specimens and lineage, while the consent is in force
        let centre = if self.rng.random_ratio(f.first_centre_percent, 100) {
            0
        } else {
            1
        };
        let specimens: Vec<(SpecimenType, Option<&str>)> = match area {
            DiseaseArea::Cancer => vec![
                (SpecimenType::TumourTissue, disease.tumour_site),
                (SpecimenType::PeripheralBlood, None),
            ],
            DiseaseArea::RareDisease if self.rng.random_ratio(1, 5) => {
                vec![(SpecimenType::Saliva, None)]
            }
            DiseaseArea::RareDisease => vec![(SpecimenType::PeripheralBlood, None)],
        };
        let first_sequenced = self.sequenced.len();
        for (specimen_type, site) in specimens {
            self.specimen(submitter, &p.id, specimen_type, site, collected_ago, centre)
                .await?;
        }

        if let Some(ago) = amended_ago {
            let answers = self.amendment(&items, fate.legacy);
            let at = self.moment(ago);
            self.app
                .record_consent(
                    submitter,
                    &p.id,
                    ConsentCommand::Amend { answers },
                    Some(at),
                )
                .await?;
            self.counts.consent_events += 1;
        }
        if let Some(ago) = withdrawn_ago {
            let reason = match self.rng.random_range(0..WITHDRAWAL_REASONS.len() + 1) {
                i if i < WITHDRAWAL_REASONS.len() => Some(WITHDRAWAL_REASONS[i].to_string()),
                _ => None,
            };
            let at = self.moment(ago);
            self.app
                .record_consent(
                    submitter,
                    &p.id,
                    ConsentCommand::Withdraw { reason },
                    Some(at),
                )
                .await?;
            self.counts.consent_events += 1;
            self.counts.withdrawn += 1;
            for s in &mut self.sequenced[first_sequenced..] {
                s.withdrawn = true;
            }
        }
        Ok(())
    }

    /// A specimen and what is derived from it: (aliquot →) extract → WGS
    /// library as the facility; sequencing run → FASTQ → CRAM (→ VCF) as
    /// the sequencing centre.
    async fn specimen(
        &mut self,
        submitter: &Actor,
        participant: &ParticipantId,
        specimen_type: SpecimenType,
        site: Option<&str>,
        collected_ago: i64,
        centre: usize,
    ) -> Result<(), DemoError> {
        let collected_on = self.moment(collected_ago).date();
        let barcode = self.barcode(BarcodeKind::Specimen)?;
        let specimen = self
            .node(
                submitter,
                Some(participant.clone()),
                None,
                Some(barcode),
                NodeDetails::Specimen {
                    specimen_type,
                    collected_on,
                    anatomical_site: site.map(str::to_string),
                    status: MaterialStatus::Available,
                },
            )
            .await?;
        if self.rng.random_ratio(1, 10) {
            self.app
                .set_material_status(submitter, &specimen.id, MaterialStatus::Residual)
                .await?;
        }

        let mut parent = specimen.id;
        if self.rng.random_bool(0.5) {
            let volume_ul = match specimen_type {
                SpecimenType::TumourTissue => None,
                SpecimenType::Saliva => Some(self.rng.random_range(5..=20) * 100),
                _ => Some(self.rng.random_range(2..=10) * 100),
            };
            let barcode = self.barcode(BarcodeKind::Aliquot)?;
            let aliquot = self
                .node(
                    submitter,
                    None,
                    Some(NodeRef::Id(parent)),
                    Some(barcode),
                    NodeDetails::Aliquot {
                        volume_ul,
                        status: MaterialStatus::Available,
                    },
                )
                .await?;
            parent = aliquot.id;
        }

        let yield_ng = match specimen_type {
            SpecimenType::TumourTissue => self.rng.random_range(300..=3000),
            SpecimenType::Saliva => self.rng.random_range(500..=4000),
            _ => self.rng.random_range(2000..=12000),
        };
        let barcode = self.barcode(BarcodeKind::Extract)?;
        let extract = self
            .node(
                submitter,
                None,
                Some(NodeRef::Id(parent)),
                Some(barcode),
                NodeDetails::Extract {
                    analyte: Analyte::Dna,
                    yield_ng: Some(yield_ng),
                    status: MaterialStatus::Available,
                },
            )
            .await?;

        let instrument = CENTRES[centre].instrument;
        let library_barcode = self.barcode(BarcodeKind::Library)?;
        self.node(
            submitter,
            None,
            Some(NodeRef::Id(extract.id)),
            Some(library_barcode.clone()),
            NodeDetails::Library {
                strategy: LibraryStrategy::Wgs,
                kit: Some(instrument.library_kit().to_string()),
                centre: Some(self.centres[centre].1.clone()),
            },
        )
        .await?;

        // most libraries have been sequenced; the centre names the library
        // by the barcode on the tube it received
        if !self.rng.random_ratio(9, 10) {
            return Ok(());
        }
        let (pipeline, code) = &self.centres[centre];
        let run_ago = self.rng.random_range(3..=(collected_ago - 14).min(365));
        let run_date = self.moment(run_ago).date();
        let run_id = self.run_id(instrument, run_date);
        let run = self
            .node(
                pipeline,
                None,
                Some(NodeRef::Barcode(library_barcode.clone())),
                None,
                NodeDetails::SequencingRun {
                    centre: code.clone(),
                    run_id: run_id.clone(),
                    instrument: instrument.model().to_string(),
                    run_date,
                },
            )
            .await?;
        let expected = |format| NodeDetails::File {
            format,
            state: FileState::Expected,
        };
        let fastq = self
            .node(
                pipeline,
                None,
                Some(NodeRef::Id(run.id)),
                None,
                expected(FileFormat::Fastq),
            )
            .await?;
        let cram = self
            .node(
                pipeline,
                None,
                Some(NodeRef::Id(fastq.id.clone())),
                None,
                expected(FileFormat::Cram),
            )
            .await?;
        let vcf = if self.rng.random_ratio(9, 10) {
            let vcf = self
                .node(
                    pipeline,
                    None,
                    Some(NodeRef::Id(cram.id.clone())),
                    None,
                    expected(FileFormat::Vcf),
                )
                .await?;
            Some(vcf.id)
        } else {
            None
        };
        self.sequenced.push(Sequenced {
            facility: self.facility,
            participant: participant.clone(),
            withdrawn: false,
            centre,
            library: library_barcode,
            tumour: specimen_type.is_tumour(),
            run_id,
            fastq: fastq.id,
            cram: cram.id,
            vcf,
        });
        Ok(())
    }

    async fn node(
        &mut self,
        actor: &Actor,
        participant: Option<ParticipantId>,
        parent: Option<NodeRef>,
        barcode: Option<Barcode>,
        details: NodeDetails,
    ) -> Result<LineageNode, DemoError> {
        let node = self
            .app
            .register_node(
                actor,
                NewNode {
                    participant,
                    parent,
                    barcode,
                    details,
                },
            )
            .await?;
        self.counts.nodes += 1;
        Ok(node)
    }

    /// A disease of `area`, by weight.
    fn disease(&mut self, area: DiseaseArea) -> &'static Disease {
        let list: &'static [Disease] = match area {
            DiseaseArea::Cancer => &CANCERS,
            DiseaseArea::RareDisease => &RARE_DISEASES,
        };
        let total: u32 = list.iter().map(|d| d.weight).sum();
        let mut roll = self.rng.random_range(0..total);
        for d in list {
            if roll < d.weight {
                return d;
            }
            roll -= d.weight;
        }
        &list[list.len() - 1]
    }

    /// Answers on the unified form, with a realistic spread.
    fn answers(&mut self, area: DiseaseArea, disease: &Disease) -> ConsentAnswers {
        let rng = &mut *self.rng;
        let (scope, disease) = match rng.random_range(0..100) {
            0..45 => ("general", None),
            45..85 => ("health_medical", None),
            _ => ("disease_specific", Some(disease.mondo.to_string())),
        };
        // cancer: industry use unless refused; rare disease: only on opt-in
        let industrial_use = match (area, rng.random_range(0..100)) {
            (DiseaseArea::Cancer, 0..12) => Some(false),
            (DiseaseArea::Cancer, 12..40) => Some(true),
            (DiseaseArea::Cancer, _) => None,
            (DiseaseArea::RareDisease, 0..40) => Some(true),
            (DiseaseArea::RareDisease, 40..55) => Some(false),
            (DiseaseArea::RareDisease, _) => None,
        };
        let data_linkage = match rng.random_range(0..100) {
            0..15 => Some(true),
            15..25 => Some(false),
            _ => None,
        };
        let international_sharing = match rng.random_range(0..100) {
            0..15 => Some(true),
            15..35 => Some(false),
            _ => None,
        };
        ConsentAnswers {
            research_scope: Some(scope.to_string()),
            disease,
            controlled_sharing: Some(true),
            industrial_use,
            data_linkage,
            international_sharing,
            recontact: Some(rng.random_ratio(80, 100)),
            primary_findings: Some(rng.random_ratio(85, 100)),
            secondary_findings: Some(rng.random_ratio(55, 100)),
        }
    }

    /// A consent on the older form of the participant's arm; the optional
    /// questions are often blank, which leaves gaps.
    fn legacy_consent(
        &mut self,
        area: DiseaseArea,
        disease: &Disease,
    ) -> Result<LegacyConsent, DemoError> {
        let rng = &mut *self.rng;
        Ok(match area {
            DiseaseArea::Cancer => LegacyConsent::CancerBiobank2014(CancerBiobank2014 {
                research_use: true,
                external_provision: true,
                company_use: match rng.random_range(0..100) {
                    0..40 => None,
                    40..80 => Some(true),
                    _ => Some(false),
                },
                result_disclosure: match rng.random_range(0..100) {
                    0..30 => None,
                    30..80 => Some(true),
                    _ => Some(false),
                },
            }),
            DiseaseArea::RareDisease => {
                let limited = rng.random_ratio(30, 100);
                LegacyConsent::RareDiseaseRegistry2017(RareDiseaseRegistry2017 {
                    genetic_research: true,
                    data_sharing: true,
                    limited_to_own_disease: limited,
                    disease: if limited {
                        Some(disease.mondo.parse()?)
                    } else {
                        None
                    },
                    company_use: rng.random_ratio(40, 100),
                    contact_again: rng.random_ratio(85, 100),
                    findings_disclosure: rng.random_ratio(80, 100),
                })
            }
        })
    }

    /// A change of mind on one item; for a legacy consent, the participant
    /// is asked the items the old form lacked at a follow-up visit.
    fn amendment(&mut self, items: &ConsentItems, legacy: bool) -> ConsentAnswers {
        let rng = &mut *self.rng;
        let mut a = items.to_answers();
        if legacy {
            a.data_linkage = Some(true);
            a.recontact = Some(true);
            a.international_sharing = Some(rng.random_ratio(70, 100));
            a.secondary_findings = Some(rng.random_ratio(50, 100));
            return a;
        }
        match rng.random_range(0..5) {
            0 => a.industrial_use = Some(!items.industrial_use),
            1 => a.secondary_findings = Some(!items.secondary_findings),
            2 => a.recontact = Some(!items.recontact),
            3 => a.international_sharing = Some(!items.international_sharing),
            _ => {
                let scope = match items.research_scope {
                    ResearchScope::General | ResearchScope::DiseaseSpecific(_) => "health_medical",
                    ResearchScope::HealthMedical => "general",
                };
                a.research_scope = Some(scope.to_string());
                a.disease = None;
            }
        }
        a
    }

    /// A participant id not drawn before in this build.
    fn participant_id(&mut self) -> ParticipantId {
        loop {
            let mut b = [0u8; ParticipantId::BODY_LEN];
            self.rng.fill(&mut b);
            let id = ParticipantId::from_random(b);
            if self.used_ids.insert(id.clone()) {
                return id;
            }
        }
    }

    /// A barcode of `kind` not drawn before in this build.
    fn barcode(&mut self, kind: BarcodeKind) -> Result<Barcode, DemoError> {
        loop {
            let body = self.chars(BARCODE_CHARS, 8);
            let b = Barcode::new(kind, &body)?;
            if self.used_barcodes.insert(b.clone()) {
                return Ok(b);
            }
        }
    }

    fn chars(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n)
            .map(|_| char::from(alphabet[self.rng.random_range(0..alphabet.len())]))
            .collect()
    }

    /// A run id in the instrument's own style.
    fn run_id(&mut self, instrument: Instrument, date: Date) -> String {
        let yymmdd = format!(
            "{:02}{:02}{:02}",
            date.year() % 100,
            u8::from(date.month()),
            date.day()
        );
        match instrument {
            Instrument::NovaSeqXPlus => {
                let serial = [201, 202, 377][self.rng.random_range(0..3)];
                let run = self.rng.random_range(1..=999);
                let side = if self.rng.random_bool(0.5) { 'A' } else { 'B' };
                let flowcell = self.chars(b"0123456789ABCDEFGHJKLMNPRSTVWXY", 4);
                format!("{yymmdd}_LH{serial:05}_{run:04}_{side}22{flowcell}LT3")
            }
            Instrument::DnbseqT7 => {
                let flowcell = self.rng.random_range(100_000_000..=999_999_999u32);
                let lane = self.rng.random_range(1..=4);
                format!("{yymmdd}_E{flowcell}_L0{lane}")
            }
        }
    }

    /// A moment during clinic hours in Japan `days_ago` days before today,
    /// never after today's reference moment. 09:00–17:00 JST is 00:00–08:00
    /// UTC on the same date, so the date reads the same in both zones.
    fn moment(&mut self, days_ago: i64) -> OffsetDateTime {
        let minutes = self.rng.random_range(0..8 * 60);
        let day = self.today.replace_time(Time::MIDNIGHT) - Duration::days(days_ago);
        (day + Duration::minutes(minutes)).min(self.today)
    }
}
