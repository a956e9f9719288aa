//! Zenome's domain: the words of the programme as Rust types, with no I/O.
//!
//! It owns what a participant, a consent, a specimen and its lineage, a user's
//! role and an audit event *are*, and the rules that hold between them
//! (check characters, consent state transitions, which lineage node may hang
//! under which, which DUO codes a consent implies). Storage, HTTP and the CLI
//! depend on this crate; it depends on none of them.

pub mod access;
pub mod check;
pub mod consent;
pub mod error;
pub mod id;
pub mod lineage;
pub mod organisation;
pub mod participant;
pub mod pipeline;
pub mod role;

pub use error::DomainError;
