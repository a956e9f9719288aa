//! Secondary use (R7): what researchers may ask for and what decides it —
//! data types, research purposes, the DUO matching of a purpose against a
//! participant's consent, datasets and their release, applications and their
//! review, grants, and the fee tariff. Pure rules; the app crate stores and
//! enforces them.

pub mod application;
pub mod dataset;
pub mod grant;
pub mod matching;
pub mod mondo;
pub mod purpose;
pub mod tariff;

pub use application::{ApplicationAction, ApplicationState, Outcome, RuleSet, Vote};
pub use dataset::{DataType, ReleaseState, SecurityLevel};
pub use grant::{Denial, GrantTerms};
pub use matching::{Decision, MatchResult, match_purpose};
pub use purpose::{PurposeScope, ResearchPurpose};
pub use tariff::{Fee, FeeLine, Tariff};
