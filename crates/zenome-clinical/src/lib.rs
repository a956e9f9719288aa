//! Zenome clinical information (requirements R2.1–R2.3): the versioned clinical data
//! dictionary for cancer and rare disease, validation of clinical records against it,
//! the Human Phenotype Ontology lookup, bulk CSV/JSON parsing with precise error
//! reports, and flat-table export (CSV and Parquet).
//!
//! The crate is pure: no database, no HTTP, no async runtime. It owns
//!
//! - [`dictionary`]: the dictionary as data (`dictionary/v1.yaml`, `v2.yaml`, embedded),
//!   item groups → items → code values, each labelled and defined in English and
//!   Japanese, and the cross-field rules. A released version is never edited; a new
//!   version may add items and code values, and every record is judged against the
//!   version it names, so old records stay valid.
//! - [`record`]: one participant's clinical record, the JSON shape of the wire and of
//!   bulk submission.
//! - [`validate()`]: every check of a record, each failure a [`Problem`] naming the path,
//!   the item and the [`Rule`], in English and Japanese.
//! - [`hpo`]: an OBO parser and term lookup (obsolete terms, replacements, `alt_id`s,
//!   `is_a`), with a real subset of HPO 2025-01-16 built in.
//! - [`bulk`]: JSON arrays of records and per-group CSV files, refusing anything but
//!   UTF-8 with a message that says what the file is, and mapping problems back to
//!   CSV rows.
//! - [`export`]: one flat table per item group, as CSV or Parquet.

pub mod bulk;
pub mod dictionary;
pub mod error;
pub mod export;
pub mod hpo;
pub mod record;
mod validate;

pub use dictionary::{Area, Dictionaries, Dictionary, Group, Item, ItemType};
pub use error::{DictionaryError, ExportError, HpoError};
pub use hpo::{Hpo, Term};
pub use record::{GroupData, Record};
pub use validate::{Context, Problem, Rule, validate};
