//! Integration tests of the server: the API through `tower::ServiceExt::oneshot`
//! (no socket), the authorisation matrix, the portal's forms, and a real
//! browser against a real socket.

mod access;
mod access_matrix;
mod api;
mod audit;
mod auth;
mod beacon;
mod browser;
mod candidates;
mod clinical;
mod files;
mod findings;
mod grant_files;
mod hardening;
mod harness;
mod htsget;
mod identity;
mod joint_vcf;
mod matrix;
mod pipelines;
mod portal;
mod portal_variants;
mod qc_drift;
mod reports;
mod scope;
mod upload_recovery;
mod variant_replica;
mod variants;
