//! The fixed cast of the demo: organisations, people, diseases and
//! instruments. Everything random is drawn elsewhere; this is only the menu.

use zenome_domain::participant::Sex;

/// A collecting facility and the people who work for it in the demo.
pub(crate) struct Facility {
    pub code: &'static str,
    pub name: &'static str,
    pub name_ja: &'static str,
    /// Share of participants enrolled under the cancer arm, in percent.
    pub cancer_percent: u32,
    /// Share of libraries sent to the first sequencing centre, in percent.
    pub first_centre_percent: u32,
    pub submitter: &'static str,
    pub clinician: &'static str,
}

pub(crate) const FACILITIES: [Facility; 3] = [
    Facility {
        code: "TKY-UH",
        name: "University of Tokyo Hospital",
        name_ja: "東京大学医学部附属病院",
        cancer_percent: 60,
        first_centre_percent: 30,
        submitter: "Haruka Suzuki",
        clinician: "Dr Takeshi Kobayashi",
    },
    Facility {
        code: "OSK-CC",
        name: "Osaka International Cancer Institute",
        name_ja: "大阪国際がんセンター",
        cancer_percent: 95,
        first_centre_percent: 60,
        submitter: "Daisuke Yamamoto",
        clinician: "Dr Emi Ito",
    },
    Facility {
        code: "KYU-UH",
        name: "Kyushu University Hospital",
        name_ja: "九州大学病院",
        cancer_percent: 40,
        first_centre_percent: 70,
        submitter: "Aiko Nakamura",
        clinician: "Dr Hiroshi Matsumoto",
    },
];

/// A sequencing centre, its instrument and the library kit that goes with it.
pub(crate) struct Centre {
    pub code: &'static str,
    pub name: &'static str,
    pub name_ja: &'static str,
    pub instrument: Instrument,
    pub pipeline: &'static str,
}

#[derive(Clone, Copy)]
pub(crate) enum Instrument {
    NovaSeqXPlus,
    DnbseqT7,
}

impl Instrument {
    pub fn model(self) -> &'static str {
        match self {
            Self::NovaSeqXPlus => "NovaSeq X Plus",
            Self::DnbseqT7 => "DNBSEQ-T7",
        }
    }

    pub fn library_kit(self) -> &'static str {
        match self {
            Self::NovaSeqXPlus => "Illumina DNA PCR-Free Prep",
            Self::DnbseqT7 => "MGIEasy PCR-Free DNA Library Prep Set",
        }
    }
}

pub(crate) const CENTRES: [Centre; 2] = [
    Centre {
        code: "SEQ-KZ",
        name: "Kazusa Genome Center",
        name_ja: "かずさゲノムセンター",
        instrument: Instrument::NovaSeqXPlus,
        pipeline: "Kazusa sequencing pipeline",
    },
    Centre {
        code: "SEQ-TK",
        name: "Tokyo Sequencing Centre",
        name_ja: "東京シーケンシングセンター",
        instrument: Instrument::DnbseqT7,
        pipeline: "Tokyo Sequencing Centre pipeline",
    },
];

/// A person of the data centre or the secondary-use side (unscoped roles).
pub(crate) struct Person {
    pub username: &'static str,
    pub role: &'static str,
    pub display_name: &'static str,
}

/// Unscoped people, created before the facility and centre accounts.
pub(crate) const PEOPLE: [Person; 6] = [
    Person {
        username: "admin",
        role: "admin",
        display_name: "Kenji Watanabe",
    },
    Person {
        username: "staff",
        role: "data_centre_staff",
        display_name: "Yuki Tanaka",
    },
    Person {
        username: "dac",
        role: "dac_member",
        display_name: "Prof. Noriko Kato",
    },
    Person {
        username: "dac2",
        role: "dac_member",
        display_name: "Dr. Takeshi Mori",
    },
    Person {
        username: "researcher.academic",
        role: "researcher_academic",
        display_name: "Sho Yoshida (Kyoto University)",
    },
    Person {
        username: "researcher.industry",
        role: "researcher_industry",
        display_name: "Mai Yamada (Sakura Therapeutics)",
    },
];

/// Which sexes a disease's participants are drawn from.
#[derive(Clone, Copy)]
pub(crate) enum SexMix {
    /// Roughly even, with a few `other` and `unknown`.
    Any,
    /// Almost always female (breast cancer).
    MostlyFemale,
    /// Male (X-linked recessive).
    Male,
}

impl SexMix {
    pub fn draw(self, roll: u32) -> Sex {
        // `roll` is uniform in 0..1000
        match self {
            Self::Male => Sex::Male,
            Self::MostlyFemale if roll < 990 => Sex::Female,
            Self::MostlyFemale => Sex::Male,
            Self::Any => match roll {
                0..490 => Sex::Female,
                490..980 => Sex::Male,
                980..985 => Sex::Other,
                _ => Sex::Unknown,
            },
        }
    }
}

/// A disease the demo enrols people for.
pub(crate) struct Disease {
    pub mondo: &'static str,
    pub sexes: SexMix,
    /// For cancers: where the tumour was resected or biopsied.
    pub tumour_site: Option<&'static str>,
    /// Relative frequency within its arm.
    pub weight: u32,
}

pub(crate) const CANCERS: [Disease; 5] = [
    Disease {
        // lung cancer
        mondo: "MONDO:0008903",
        sexes: SexMix::Any,
        tumour_site: Some("right upper lobe of lung"),
        weight: 25,
    },
    Disease {
        // colorectal cancer
        mondo: "MONDO:0005575",
        sexes: SexMix::Any,
        tumour_site: Some("sigmoid colon"),
        weight: 25,
    },
    Disease {
        // breast cancer
        mondo: "MONDO:0007254",
        sexes: SexMix::MostlyFemale,
        tumour_site: Some("left breast, upper outer quadrant"),
        weight: 20,
    },
    Disease {
        // gastric cancer
        mondo: "MONDO:0001056",
        sexes: SexMix::Any,
        tumour_site: Some("gastric antrum"),
        weight: 20,
    },
    Disease {
        // hepatocellular carcinoma
        mondo: "MONDO:0007256",
        sexes: SexMix::Any,
        tumour_site: Some("right lobe of liver"),
        weight: 10,
    },
];

pub(crate) const RARE_DISEASES: [Disease; 5] = [
    Disease {
        // Huntington disease
        mondo: "MONDO:0007739",
        sexes: SexMix::Any,
        tumour_site: None,
        weight: 15,
    },
    Disease {
        // Duchenne muscular dystrophy
        mondo: "MONDO:0010679",
        sexes: SexMix::Male,
        tumour_site: None,
        weight: 20,
    },
    Disease {
        // amyotrophic lateral sclerosis
        mondo: "MONDO:0004976",
        sexes: SexMix::Any,
        tumour_site: None,
        weight: 25,
    },
    Disease {
        // Marfan syndrome
        mondo: "MONDO:0007947",
        sexes: SexMix::Any,
        tumour_site: None,
        weight: 15,
    },
    Disease {
        // retinitis pigmentosa
        mondo: "MONDO:0019200",
        sexes: SexMix::Any,
        tumour_site: None,
        weight: 25,
    },
];

/// Reasons recorded with a withdrawal (a few are left blank).
pub(crate) const WITHDRAWAL_REASONS: [&str; 4] = [
    "Participant asked to leave the programme at an outpatient visit",
    "Participant no longer wishes their data to be used for research",
    "Family concerns about the use of genetic information",
    "Participant moved away and asked to end participation by letter",
];
