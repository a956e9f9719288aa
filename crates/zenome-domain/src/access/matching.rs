//! DUO matching: may this research purpose use the data of a participant
//! whose consent implies this data use? One pure function, heavily tested.
//!
//! - The permission nests: GRU ⊇ HMB ⊇ DS. A GRU consent allows any purpose;
//!   HMB allows health/medical and disease research; DS allows research on the
//!   consented disease or a descendant (by the frozen MONDO table; a disease
//!   the table cannot place is referred to the DAC).
//! - Modifiers narrow: NPU refuses for-profit applicants, NCU commercial use,
//!   GS use outside the consented countries; IRB without ethics approval is
//!   referred to the DAC.
//! - PUB, COL, RTN, MOR, TS are obligations to record with the grant, not
//!   blockers.

use crate::consent::{DataUse, DuoCode, Permission};

use super::mondo;
use super::purpose::{PurposeScope, ResearchPurpose};

/// The answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The purpose fits the consent.
    Allow,
    /// It does not, for this reason.
    Deny(String),
    /// Cannot be decided by rule; the DAC must look (reason given).
    Refer(String),
}

impl Decision {
    /// Whether the answer is allow.
    pub fn is_allow(&self) -> bool {
        matches!(self, Self::Allow)
    }
}

/// The answer and the obligations that come with an allowed use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchResult {
    /// Allow, deny or refer.
    pub decision: Decision,
    /// Obligations (PUB, COL, RTN, MOR, TS) to record.
    pub obligations: Vec<DuoCode>,
}

/// Matches `purpose` against a participant's `consent` data use.
pub fn match_purpose(consent: &DataUse, purpose: &ResearchPurpose) -> MatchResult {
    let obligations: Vec<DuoCode> = consent
        .modifiers
        .iter()
        .copied()
        .filter(|m| {
            matches!(
                m,
                DuoCode::Pub | DuoCode::Col | DuoCode::Rtn | DuoCode::Mor | DuoCode::Ts
            )
        })
        .collect();
    let r = |decision| MatchResult {
        decision,
        obligations: obligations.clone(),
    };
    // 1. the permission
    let perm = match (&consent.permission, &purpose.scope) {
        (Permission::GeneralResearch, _) => Decision::Allow,
        (Permission::HealthMedical, PurposeScope::HealthMedical | PurposeScope::Disease(_)) => Decision::Allow,
        (Permission::HealthMedical, PurposeScope::Methods) => {
            Decision::Refer("methods research under a health/medical consent: the DAC decides whether it serves health research".into())
        }
        (Permission::HealthMedical, s) => {
            Decision::Deny(format!("consent is limited to health/medical research; the purpose is {s}"))
        }
        (Permission::DiseaseSpecific(c), PurposeScope::Disease(p)) => match mondo::is_a(p.as_str(), c.as_str()) {
            Some(true) => Decision::Allow,
            Some(false) => Decision::Deny(format!("consent is limited to {c}; {p} is not that disease or a subtype of it")),
            None => Decision::Refer(format!("cannot place {p} under the consented {c} with the frozen MONDO table")),
        },
        (Permission::DiseaseSpecific(c), s) => {
            Decision::Deny(format!("consent is limited to research on {c}; the purpose is {s}"))
        }
    };
    if !perm.is_allow() {
        return r(perm);
    }
    // 2. modifiers that deny
    if consent.has(DuoCode::Npu) && purpose.for_profit {
        return r(Decision::Deny(
            "consent allows not-for-profit use only (NPU); the applicant is for-profit".into(),
        ));
    }
    if consent.has(DuoCode::Ncu) && purpose.commercial {
        return r(Decision::Deny(
            "consent allows non-commercial use only (NCU); the purpose is commercial".into(),
        ));
    }
    if consent.has(DuoCode::Gs)
        && !consent
            .geography
            .iter()
            .any(|g| g == purpose.country.as_str())
    {
        return r(Decision::Deny(format!(
            "consent restricts use to {} (GS); the data would be used in {}",
            consent.geography.join(", "),
            purpose.country.as_str()
        )));
    }
    // 3. modifiers that need a human
    if consent.has(DuoCode::Irb) && !purpose.ethics_approval {
        return r(Decision::Refer(
            "ethics approval is required (IRB) and none is stated".into(),
        ));
    }
    r(Decision::Allow)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::purpose::Country;

    fn use_(permission: Permission, modifiers: &[DuoCode], geography: &[&str]) -> DataUse {
        DataUse {
            permission,
            modifiers: modifiers.to_vec(),
            geography: geography.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn purpose(scope: PurposeScope) -> ResearchPurpose {
        ResearchPurpose {
            scope,
            commercial: false,
            for_profit: false,
            country: Country::japan(),
            ethics_approval: true,
        }
    }

    fn ds(id: &str) -> PurposeScope {
        PurposeScope::Disease(id.parse().unwrap())
    }

    const LUNG: &str = "MONDO:0008903";
    const NSCLC: &str = "MONDO:0005233";
    const CANCER: &str = "MONDO:0004992";
    const HD: &str = "MONDO:0007739";

    #[test]
    fn permissions_nest_gru_hmb_ds() {
        let gru = use_(Permission::GeneralResearch, &[], &[]);
        let hmb = use_(Permission::HealthMedical, &[], &[]);
        let ds_lung = use_(Permission::DiseaseSpecific(LUNG.parse().unwrap()), &[], &[]);
        let cases: &[(&DataUse, PurposeScope, &str)] = &[
            (&gru, PurposeScope::General, "allow"),
            (&gru, PurposeScope::Ancestry, "allow"),
            (&gru, PurposeScope::Methods, "allow"),
            (&gru, ds(HD), "allow"),
            (&hmb, PurposeScope::General, "deny"),
            (&hmb, PurposeScope::Ancestry, "deny"),
            (&hmb, PurposeScope::HealthMedical, "allow"),
            (&hmb, ds(LUNG), "allow"),
            (&hmb, PurposeScope::Methods, "refer"),
            (&ds_lung, ds(LUNG), "allow"),
            (&ds_lung, ds(NSCLC), "allow"),
            (&ds_lung, ds(CANCER), "deny"),
            (&ds_lung, ds(HD), "deny"),
            (&ds_lung, ds("MONDO:0123456"), "refer"),
            (&ds_lung, PurposeScope::HealthMedical, "deny"),
            (&ds_lung, PurposeScope::General, "deny"),
        ];
        for (u, scope, want) in cases {
            let got = match match_purpose(u, &purpose(scope.clone())).decision {
                Decision::Allow => "allow",
                Decision::Deny(_) => "deny",
                Decision::Refer(_) => "refer",
            };
            assert_eq!(got, *want, "{:?} vs {scope}", u.permission);
        }
    }

    #[test]
    fn modifiers_narrow() {
        let hmb_ncu = use_(
            Permission::HealthMedical,
            &[DuoCode::Ncu, DuoCode::Npu],
            &[],
        );
        let mut p = purpose(PurposeScope::HealthMedical);
        assert!(match_purpose(&hmb_ncu, &p).decision.is_allow());
        p.commercial = true;
        assert!(
            matches!(match_purpose(&hmb_ncu, &p).decision, Decision::Deny(m) if m.contains("NCU"))
        );
        p.commercial = false;
        p.for_profit = true;
        assert!(
            matches!(match_purpose(&hmb_ncu, &p).decision, Decision::Deny(m) if m.contains("NPU"))
        );

        let gs = use_(Permission::GeneralResearch, &[DuoCode::Gs], &["JP"]);
        let mut p = purpose(PurposeScope::General);
        assert!(match_purpose(&gs, &p).decision.is_allow());
        p.country = "us".parse().unwrap();
        assert!(matches!(match_purpose(&gs, &p).decision, Decision::Deny(m) if m.contains("GS")));

        let irb = use_(Permission::GeneralResearch, &[DuoCode::Irb], &[]);
        let mut p = purpose(PurposeScope::General);
        p.ethics_approval = false;
        assert!(matches!(
            match_purpose(&irb, &p).decision,
            Decision::Refer(_)
        ));
    }

    #[test]
    fn obligations_are_recorded_not_blocking() {
        let u = use_(
            Permission::GeneralResearch,
            &[DuoCode::Pub, DuoCode::Col, DuoCode::Rtn],
            &[],
        );
        let m = match_purpose(&u, &purpose(PurposeScope::General));
        assert!(m.decision.is_allow());
        assert_eq!(
            m.obligations,
            vec![DuoCode::Pub, DuoCode::Col, DuoCode::Rtn]
        );
    }

    #[test]
    fn industry_use_excludes_rare_disease_without_opt_in() {
        use crate::consent::{ConsentAnswers, ConsentItems, FormVersion};
        use crate::participant::DiseaseArea;
        let answers = ConsentAnswers {
            research_scope: Some("general".into()),
            controlled_sharing: Some(true),
            recontact: Some(false),
            primary_findings: Some(true),
            secondary_findings: Some(false),
            ..Default::default()
        };
        let rare =
            ConsentItems::from_answers(FormVersion::V1_0, DiseaseArea::RareDisease, &answers)
                .unwrap()
                .data_use();
        let cancer = ConsentItems::from_answers(FormVersion::V1_0, DiseaseArea::Cancer, &answers)
            .unwrap()
            .data_use();
        let industry = ResearchPurpose {
            scope: PurposeScope::HealthMedical,
            commercial: true,
            for_profit: true,
            country: Country::japan(),
            ethics_approval: true,
        };
        assert!(!match_purpose(&rare, &industry).decision.is_allow());
        assert!(match_purpose(&cancer, &industry).decision.is_allow());
    }
}
