//! Specimens and their derivatives (R3.1, R3.3): registration, status of
//! residual material, and reads of a participant's lineage tree.

use serde_json::json;
use zenome_domain::id::{Barcode, ParticipantId};
use zenome_domain::lineage::{
    LineageNode, MaterialStatus, NodeDetails, NodeId, NodeKind, ParentRef, check_parent,
};
use zenome_domain::role::Role;
use zenome_store::{AuditEntry, StoreError};

use crate::registry::ParticipantView;
use crate::{Actor, App, AppError, policy};

/// How a parent is named: by node id or by the barcode on its tube.
#[derive(Debug, Clone)]
pub enum NodeRef {
    /// Node id.
    Id(NodeId),
    /// Barcode.
    Barcode(Barcode),
}

/// A node to register.
#[derive(Debug, Clone)]
pub struct NewNode {
    /// For specimens: the participant. For others it comes from the parent
    /// (and, if given too, must match).
    pub participant: Option<ParticipantId>,
    /// The parent (absent for specimens).
    pub parent: Option<NodeRef>,
    /// The barcode on the tube; drawn if absent for kinds that carry one.
    pub barcode: Option<Barcode>,
    /// Kind-specific details.
    pub details: NodeDetails,
}

/// What a sequencing centre sees of a library it received.
#[derive(Debug, Clone)]
pub struct LibraryInfo {
    /// The library node.
    pub library: LineageNode,
    /// Its chain up to the specimen (library first).
    pub ancestry: Vec<LineageNode>,
    /// Runs and files under it.
    pub descendants: Vec<LineageNode>,
}

fn descendants(all: &[LineageNode], root: &NodeId) -> Vec<LineageNode> {
    let mut out = Vec::new();
    let mut frontier = vec![root.clone()];
    while let Some(id) = frontier.pop() {
        for n in all.iter().filter(|n| n.parent.as_ref() == Some(&id)) {
            frontier.push(n.id.clone());
            out.push(n.clone());
        }
    }
    out
}

/// `node` and its ancestors up to the specimen, read inside `tx`.
async fn chain_in(
    tx: &mut zenome_store::WriteTx,
    node: &LineageNode,
) -> Result<Vec<LineageNode>, AppError> {
    let mut chain = vec![node.clone()];
    let mut next = node.parent.clone();
    // a lineage is at most a handful of levels deep; the bound guards a cycle
    while let Some(id) = next.take()
        && chain.len() < 32
    {
        if let Some(n) = tx.node(&id).await? {
            next = n.parent.clone();
            chain.push(n);
        }
    }
    Ok(chain)
}

impl App {
    /// Registers a lineage node: facility submitters register specimens and
    /// their derivatives up to libraries; sequencing centres (and staff)
    /// register runs and file placeholders.
    pub async fn register_node(&self, actor: &Actor, nn: NewNode) -> Result<LineageNode, AppError> {
        let kind = nn.details.kind();
        let run_centre = match kind {
            NodeKind::SequencingRun | NodeKind::File => Some(policy::run_submitter(actor)?),
            _ => {
                // the role first: a role that may not register material is
                // refused alike whether or not the parent exists
                if !matches!(actor.role, Role::FacilitySubmitter { .. }) {
                    return Err(AppError::Forbidden(format!(
                        "role {} may not register specimens or their derivatives",
                        actor.role.name()
                    )));
                }
                None
            }
        };
        if let (Some(Some(centre)), NodeDetails::SequencingRun { centre: c, .. }) =
            (&run_centre, &nn.details)
            && c != centre
        {
            return Err(AppError::invalid(
                "centre",
                format!("you submit for {centre}, not {c}"),
            ));
        }
        if let NodeDetails::Library {
            centre: Some(c), ..
        } = &nn.details
        {
            let is_centre =
                self.store().organisation(c).await?.is_some_and(|o| {
                    o.kind == zenome_domain::organisation::OrgKind::SequencingCentre
                });
            if !is_centre {
                return Err(AppError::invalid(
                    "centre",
                    format!("{c} is not a registered sequencing centre"),
                ));
            }
        }
        let generate = nn.barcode.is_none() && nn.details.barcode_kind().is_some();
        for _ in 0..5 {
            let barcode = match (&nn.barcode, nn.details.barcode_kind()) {
                (Some(b), _) => Some(b.clone()),
                (None, Some(k)) => {
                    use rand::Rng;
                    let mut b = [0u8; 8];
                    rand::rng().fill_bytes(&mut b);
                    let body: String = b
                        .iter()
                        .map(|x| {
                            char::from(b"0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"[usize::from(*x) % 34])
                        })
                        .collect();
                    Some(Barcode::new(k, &body)?)
                }
                (None, None) => None,
            };
            let id = NodeId::new(uuid::Uuid::now_v7().to_string());
            let mut tx = self
                .store()
                .begin(
                    AuditEntry::new(
                        actor.audit_name(),
                        format!("lineage.register_{kind}"),
                        format!("node:{id}"),
                    )
                    .with_detail(json!({ "barcode": barcode.as_ref().map(|b| b.to_string()) })),
                )
                .await?;
            let (participant_id, parent) = match &nn.parent {
                None => {
                    let pid = nn.participant.clone().ok_or_else(|| {
                        AppError::invalid("participant_id", "a specimen names its participant")
                    })?;
                    check_parent(&nn.details, ParentRef::Participant)?;
                    (pid, None)
                }
                Some(r) => {
                    let parent = match r {
                        NodeRef::Id(pid) => tx.node(pid).await?,
                        NodeRef::Barcode(b) => tx.node_by_barcode(b).await?,
                    }
                    .ok_or(AppError::NotFound("parent"))?;
                    // the caller's scope over the parent comes first, before
                    // anything that would tell an out-of-scope parent from
                    // an absent one
                    match &run_centre {
                        Some(Some(centre)) => {
                            let chain = chain_in(&mut tx, &parent).await?;
                            if !policy::centre_scope_over(centre, &chain) {
                                return Err(AppError::NotFound("parent"));
                            }
                        }
                        Some(None) => {}
                        None => {
                            let owner = tx
                                .participant(&parent.participant)
                                .await?
                                .ok_or(AppError::NotFound("parent"))?;
                            policy::can_write_participant(actor, &owner).map_err(|e| match e {
                                AppError::NotFound(_) => AppError::NotFound("parent"),
                                e => e,
                            })?;
                        }
                    }
                    if let Some(p) = &nn.participant
                        && *p != parent.participant
                    {
                        return Err(AppError::invalid(
                            "participant_id",
                            "the parent belongs to another participant",
                        ));
                    }
                    let format = match &parent.details {
                        NodeDetails::File { format, .. } => Some(*format),
                        _ => None,
                    };
                    check_parent(&nn.details, ParentRef::Node(parent.details.kind(), format))?;
                    (parent.participant.clone(), Some(parent.id))
                }
            };
            let participant = tx
                .participant(&participant_id)
                .await?
                .ok_or(AppError::NotFound("participant"))?;
            if run_centre.is_none() {
                policy::can_write_participant(actor, &participant)?;
            }
            if tx
                .consent_history(&participant_id)
                .await?
                .current()
                .active()
                .is_none()
            {
                return Err(AppError::Conflict {
                    field: Some("participant_id".into()),
                    message:
                        "the participant has no consent in force: nothing new may be registered"
                            .into(),
                });
            }
            let node = LineageNode::new(
                id,
                participant_id,
                parent,
                barcode,
                nn.details.clone(),
                tx.at(),
            )?;
            match tx.insert_node(&node, &actor.audit_name()).await {
                Ok(()) => {
                    tx.commit().await?;
                    return Ok(node);
                }
                Err(StoreError::Duplicate { .. }) if generate => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Internal(
            "could not draw an unused barcode".into(),
        ))
    }

    /// Marks material as available, residual or exhausted. The node stays
    /// registered whatever its status (R3.3).
    pub async fn set_material_status(
        &self,
        actor: &Actor,
        id: &NodeId,
        status: MaterialStatus,
    ) -> Result<LineageNode, AppError> {
        let mut tx = self
            .store()
            .begin(
                AuditEntry::new(
                    actor.audit_name(),
                    "lineage.set_status",
                    format!("node:{id}"),
                )
                .with_detail(json!({ "status": status.as_str() })),
            )
            .await?;
        let mut node = tx.node(id).await?.ok_or(AppError::NotFound("node"))?;
        let p = tx
            .participant(&node.participant)
            .await?
            .ok_or(AppError::NotFound("node"))?;
        policy::can_write_participant(actor, &p).map_err(|e| match e {
            AppError::NotFound(_) => AppError::NotFound("node"),
            e => e,
        })?;
        match &mut node.details {
            NodeDetails::Specimen { status: s, .. }
            | NodeDetails::Aliquot { status: s, .. }
            | NodeDetails::Extract { status: s, .. } => *s = status,
            _ => {
                return Err(AppError::invalid(
                    "status",
                    format!("a {} holds no material", node.details.kind()),
                ));
            }
        }
        tx.update_node_details(id, &node.details).await?;
        tx.commit().await?;
        Ok(node)
    }

    /// A participant and every node of their lineage.
    pub async fn lineage(
        &self,
        actor: &Actor,
        id: &ParticipantId,
    ) -> Result<(ParticipantView, Vec<LineageNode>), AppError> {
        let view = self.participant(actor, id).await?;
        let nodes = self.store().nodes_of(id).await?;
        Ok((view, nodes))
    }

    /// One node, if the actor may see it; with its chain up to the specimen.
    pub async fn node(&self, actor: &Actor, id: &NodeId) -> Result<Vec<LineageNode>, AppError> {
        let node = self
            .store()
            .node(id)
            .await?
            .ok_or(AppError::NotFound("node"))?;
        let chain = self.store().ancestry(&node.id).await?;
        if let Role::SequencingCentre { centre } = &actor.role {
            // a centre sees the libraries sent to it and its own runs and files
            if policy::centre_scope_over(centre, &chain) {
                return Ok(chain);
            }
            return Err(AppError::NotFound("node"));
        }
        let p = self
            .store()
            .participant(&node.participant)
            .await?
            .ok_or(AppError::NotFound("node"))?;
        policy::can_read_participant(actor, &p.participant).map_err(|e| match e {
            AppError::NotFound(_) => AppError::NotFound("node"),
            e => e,
        })?;
        Ok(chain)
    }

    /// A library by its barcode, for the sequencing centre that received it.
    pub async fn library(&self, actor: &Actor, barcode: &Barcode) -> Result<LibraryInfo, AppError> {
        let node = self
            .store()
            .node_by_barcode(barcode)
            .await?
            .ok_or(AppError::NotFound("library"))?;
        if node.details.kind() != NodeKind::Library {
            return Err(AppError::NotFound("library"));
        }
        let ancestry = self.store().ancestry(&node.id).await?;
        let all = self.store().nodes_of(&node.participant).await?;
        match &actor.role {
            Role::SequencingCentre { centre } => {
                // sent to this centre — or, for a library registered before
                // destinations were recorded, one this centre has sequenced
                let sequenced_here = descendants(&all, &node.id).iter().any(|n| {
                    matches!(&n.details, NodeDetails::SequencingRun { centre: c, .. } if c == centre)
                });
                if !policy::centre_scope_over(centre, &ancestry) && !sequenced_here {
                    return Err(AppError::NotFound("library"));
                }
            }
            _ => {
                let p = self
                    .store()
                    .participant(&node.participant)
                    .await?
                    .ok_or(AppError::NotFound("library"))?;
                policy::can_read_participant(actor, &p.participant).map_err(|e| match e {
                    AppError::NotFound(_) => AppError::NotFound("library"),
                    e => e,
                })?;
            }
        }
        let mut below = descendants(&all, &node.id);
        if let Role::SequencingCentre { centre } = &actor.role {
            // only this centre's runs (and what hangs under them)
            let own: Vec<NodeId> = below
                .iter()
                .filter(|n| matches!(&n.details, NodeDetails::SequencingRun { centre: c, .. } if c == centre))
                .map(|n| n.id.clone())
                .collect();
            below.retain(|n| {
                own.contains(&n.id)
                    || own
                        .iter()
                        .any(|r| descendants(&all, r).iter().any(|d| d.id == n.id))
            });
        }
        Ok(LibraryInfo {
            library: node,
            ancestry,
            descendants: below,
        })
    }
}
