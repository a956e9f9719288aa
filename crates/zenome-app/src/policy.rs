//! Who may do what (R8.1): the rules every service applies before it reads
//! or writes. One function per question, so the matrix tests can ask each.
//!
//! Least privilege: an admin manages users and organisations but reads no
//! participant data; researchers and DAC members reach data only through
//! grants (secondary-use layer), never through the registry.
//!
//! Out-of-scope reads answer *not found*, not *forbidden*: a facility must
//! not learn that another facility's participant exists.

use zenome_domain::lineage::{LineageNode, NodeDetails};
use zenome_domain::organisation::OrgCode;
use zenome_domain::participant::Participant;
use zenome_domain::role::Role;

use crate::{Actor, AppError};

/// Which participants an actor may see in the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParticipantScope {
    /// Every participant (data-centre staff).
    All,
    /// Only this facility's.
    Facility(OrgCode),
}

fn forbidden(actor: &Actor, what: &str) -> AppError {
    AppError::Forbidden(format!("role {} may not {what}", actor.role.name()))
}

/// The participants `actor` may read, or a refusal.
pub fn participant_scope(actor: &Actor) -> Result<ParticipantScope, AppError> {
    match &actor.role {
        Role::FacilitySubmitter { facility } | Role::Clinician { facility } => {
            Ok(ParticipantScope::Facility(facility.clone()))
        }
        Role::DataCentreStaff => Ok(ParticipantScope::All),
        _ => Err(forbidden(actor, "read the participant registry")),
    }
}

/// For reads of one participant's records by id: a role without registry
/// access is answered *not found*, exactly as for an id that does not exist,
/// so the answer never tells whether the participant is registered.
pub fn participant_scope_or_absent(actor: &Actor) -> Result<ParticipantScope, AppError> {
    participant_scope(actor).map_err(|_| AppError::NotFound("participant"))
}

/// Checks that `actor` may read `p`.
pub fn can_read_participant(actor: &Actor, p: &Participant) -> Result<(), AppError> {
    match participant_scope(actor)? {
        ParticipantScope::All => Ok(()),
        ParticipantScope::Facility(f) if f == p.facility => Ok(()),
        ParticipantScope::Facility(_) => Err(AppError::NotFound("participant")),
    }
}

/// The facility `actor` registers participants for.
pub fn registering_facility(actor: &Actor) -> Result<OrgCode, AppError> {
    match &actor.role {
        Role::FacilitySubmitter { facility } => Ok(facility.clone()),
        _ => Err(forbidden(actor, "register participants")),
    }
}

/// Checks that `actor` may change `p`'s consent and specimens.
pub fn can_write_participant(actor: &Actor, p: &Participant) -> Result<(), AppError> {
    match &actor.role {
        Role::FacilitySubmitter { facility } if *facility == p.facility => Ok(()),
        // another facility's participant: do not reveal that it exists
        Role::FacilitySubmitter { .. } => Err(AppError::NotFound("participant")),
        _ => Err(forbidden(actor, "change participant records")),
    }
}

/// The sequencing centre whose runs `actor` may register (`None`: any, for
/// data-centre staff).
pub fn run_submitter(actor: &Actor) -> Result<Option<OrgCode>, AppError> {
    match &actor.role {
        Role::SequencingCentre { centre } => Ok(Some(centre.clone())),
        Role::DataCentreStaff => Ok(None),
        _ => Err(forbidden(actor, "register sequencing runs or files")),
    }
}

/// Whether sequencing centre `centre` has scope over the node whose chain is
/// `chain` (the node first, then its ancestors up to the specimen): a
/// library sent to it, or one of its own runs and whatever hangs under it.
/// Anything else is out of scope — and must be answered like an absent node.
pub fn centre_scope_over(centre: &OrgCode, chain: &[LineageNode]) -> bool {
    let sent_here = matches!(
        chain.first().map(|n| &n.details),
        Some(NodeDetails::Library { centre: Some(c), .. }) if c == centre
    );
    sent_here
        || chain.iter().any(
            |n| matches!(&n.details, NodeDetails::SequencingRun { centre: c, .. } if c == centre),
        )
}

/// Admin only: users and organisations.
pub fn require_admin(actor: &Actor) -> Result<(), AppError> {
    match actor.role {
        Role::Admin => Ok(()),
        _ => Err(forbidden(actor, "administer users and organisations")),
    }
}

/// Admin or data-centre staff: the audit trail.
pub fn require_auditor(actor: &Actor) -> Result<(), AppError> {
    match actor.role {
        Role::Admin | Role::DataCentreStaff => Ok(()),
        _ => Err(forbidden(actor, "read the audit trail")),
    }
}
