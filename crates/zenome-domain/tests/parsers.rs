//! Every parser of user text in the domain, thrown arbitrary Unicode: each
//! answers `Ok` or `Err`, never a panic (a panic in a handler drops the
//! connection). A bounded number of cases keeps CI short.

use std::str::FromStr;

use proptest::prelude::*;
use zenome_domain::access::application::ApplicationState;
use zenome_domain::access::purpose::Country;
use zenome_domain::access::{DataType, PurposeScope, SecurityLevel};
use zenome_domain::consent::legacy::LegacyForm;
use zenome_domain::consent::{ConsentItem, DuoCode, FormVersion, MondoId};
use zenome_domain::id::{Barcode, BarcodeKind, ParticipantId};
use zenome_domain::lineage::{
    Analyte, FileFormat, FileState, LibraryStrategy, MaterialStatus, NodeKind, SpecimenType,
};
use zenome_domain::organisation::{OrgCode, OrgKind};
use zenome_domain::participant::{DiseaseArea, Sex};
use zenome_domain::role::Role;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 2000,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Strings that look almost like ids: ASCII id characters mixed with
/// multi-byte ones, so prefixes and check characters get split mid-character.
fn id_like() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            proptest::char::range('0', '9'),
            proptest::char::range('A', 'Z'),
            Just('º'),
            Just('日'),
            Just('é'),
            Just('\u{1F9EC}'),
            Just('\0'),
            any::<char>(),
        ],
        0..24,
    )
    .prop_map(|v| v.into_iter().collect())
}

fn parse_all(s: &str) {
    let _ = ParticipantId::from_str(s);
    let _ = Barcode::from_str(s);
    for k in [
        BarcodeKind::Specimen,
        BarcodeKind::Aliquot,
        BarcodeKind::Extract,
        BarcodeKind::Library,
    ] {
        let _ = Barcode::parse_for(s, k);
        let _ = Barcode::new(k, s);
    }
    let _ = ParticipantId::from_body(s);
    let _ = OrgCode::from_str(s);
    let _ = OrgKind::from_str(s);
    let _ = Role::parse(s, Some(s));
    let _ = Role::parse(s, None);
    let _ = DiseaseArea::from_str(s);
    let _ = Sex::from_str(s);
    let _ = DuoCode::from_str(s);
    let _ = MondoId::from_str(s);
    let _ = Country::from_str(s);
    let _ = PurposeScope::parse(s, Some(s));
    let _ = PurposeScope::parse("disease", Some(s));
    let _ = ApplicationState::from_str(s);
    let _ = DataType::from_str(s);
    let _ = SecurityLevel::from_str(s);
    let _ = FormVersion::from_str(s);
    let _ = ConsentItem::from_str(s);
    let _ = LegacyForm::from_str(s);
    let _ = NodeKind::from_str(s);
    let _ = SpecimenType::from_str(s);
    let _ = MaterialStatus::from_str(s);
    let _ = Analyte::from_str(s);
    let _ = LibraryStrategy::from_str(s);
    let _ = FileFormat::from_str(s);
    let _ = FileState::from_str(s);
    let _ = zenome_domain::check::is_valid(s);
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn no_parser_panics_on_arbitrary_unicode(s in any::<String>()) {
        parse_all(&s);
    }

    #[test]
    fn no_parser_panics_on_almost_ids(s in id_like()) {
        parse_all(&s);
        // with every prefix the parsers look for in front
        for p in ["ZP", "SP", "AL", "EX", "LB", "HP:", "MONDO:", "DUO:"] {
            parse_all(&format!("{p}{s}"));
        }
    }
}

/// The case from the review: `&s[..2]` split `º` and panicked.
#[test]
fn a_multibyte_barcode_is_an_error_not_a_panic() {
    for s in ["0º0000", "º00000", "L\u{e9}0000", "日本0000", "SPº0000"] {
        let e = Barcode::from_str(s).unwrap_err();
        assert_eq!(e.field(), Some("barcode"), "{s}");
    }
}
