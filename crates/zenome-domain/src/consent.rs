//! Consent: the unified informed-consent form (R1.2), the DUO codes it
//! implies, the append-only history of a participant's consent (R1.3), and
//! the mapping of older forms onto the unified one.

pub mod duo;
pub mod form;
pub mod history;
pub mod legacy;

pub use duo::{DataUse, DuoCode, MondoId, Permission};
pub use form::{ConsentAnswers, ConsentItem, ConsentItems, FormVersion, ItemRule, ResearchScope};
pub use history::{
    ActiveConsent, ConsentAction, ConsentEvent, ConsentHistory, ConsentSource, ConsentState,
};
pub use legacy::{
    CancerBiobank2014, ConsentGap, LegacyConsent, LegacyForm, LegacyMapping,
    RareDiseaseRegistry2017,
};
