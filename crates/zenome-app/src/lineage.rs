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

/// The library and specimen in a chain (node first, up to the specimen).
fn library_and_tumour(chain: &[LineageNode]) -> Option<(&LineageNode, bool)> {
    let library = chain
        .iter()
        .find(|n| n.details.kind() == NodeKind::Library)?;
    let tumour = chain.iter().any(|n| {
        matches!(&n.details, NodeDetails::Specimen { specimen_type, .. } if specimen_type.is_tumour())
    });
    Some((library, tumour))
}

/// How a member was named, for messages.
fn member_name(r: &NodeRef) -> String {
    match r {
        NodeRef::Id(id) => id.to_string(),
        NodeRef::Barcode(b) => b.to_string(),
    }
}

/// Whether the participant's consent is in force now (read inside `tx`).
async fn consent_in_force(
    tx: &mut zenome_store::WriteTx,
    p: &ParticipantId,
) -> Result<bool, AppError> {
    Ok(tx.consent_history(p).await?.current().active().is_some())
}

/// The sample columns of a VCF placeholder hanging under `parent` (a CRAM or
/// BAM file node) with `members` declared: the parent's own column first,
/// then each member's. A member is a CRAM/BAM file node (by id) or a
/// library (by barcode); it must be in the caller's scope exactly as the
/// parent is (`NotFound("member")` otherwise, like an absent one) and its
/// participant's consent must be in force. A column is named by its
/// participant's id, or — when one participant has several columns, as in a
/// tumour/normal pair — by its library's barcode.
async fn vcf_columns(
    tx: &mut zenome_store::WriteTx,
    run_centre: &Option<zenome_domain::organisation::OrgCode>,
    node: &NodeId,
    parent: &LineageNode,
    members: &[NodeRef],
) -> Result<Vec<zenome_store::VcfSampleRow>, AppError> {
    let mut cols: Vec<(LineageNode, LineageNode, bool)> = Vec::new();
    let chain = chain_in(tx, parent).await?;
    let (lib, tumour) = library_and_tumour(&chain)
        .ok_or_else(|| AppError::invalid("parent_id", "the alignment leads to no library"))?;
    cols.push((parent.clone(), lib.clone(), tumour));
    for m in members {
        let source = match m {
            NodeRef::Id(id) => tx.node(id).await?,
            NodeRef::Barcode(b) => tx.node_by_barcode(b).await?,
        }
        .ok_or(AppError::NotFound("member"))?;
        let chain = chain_in(tx, &source).await?;
        // scope first, as for the parent: out of scope looks absent
        if let Some(centre) = run_centre
            && !policy::centre_scope_over(centre, &chain)
        {
            return Err(AppError::NotFound("member"));
        }
        let kind_ok = matches!(
            (&source.details, m),
            (
                NodeDetails::File {
                    format: zenome_domain::lineage::FileFormat::Cram
                        | zenome_domain::lineage::FileFormat::Bam,
                    ..
                },
                NodeRef::Id(_),
            ) | (NodeDetails::Library { .. }, NodeRef::Barcode(_))
        );
        if !kind_ok {
            return Err(AppError::invalid(
                "members",
                format!(
                    "member {}: name a CRAM or BAM file node by id, or a library by barcode",
                    member_name(m)
                ),
            ));
        }
        let (lib, tumour) = library_and_tumour(&chain).ok_or_else(|| {
            AppError::invalid(
                "members",
                format!("member {}: leads to no library", member_name(m)),
            )
        })?;
        if cols.iter().any(|(_, l, _)| l.id == lib.id) {
            return Err(AppError::invalid(
                "members",
                format!(
                    "member {}: its library {} has a column already",
                    member_name(m),
                    lib.barcode
                        .as_ref()
                        .map(|b| b.to_string())
                        .unwrap_or_default()
                ),
            ));
        }
        if tx.participant(&source.participant).await?.is_none() {
            return Err(AppError::NotFound("member"));
        }
        if !consent_in_force(tx, &source.participant).await? {
            return Err(AppError::Conflict {
                field: Some("members".into()),
                message: format!(
                    "member {}: the participant has no consent in force: their sample may not be ingested",
                    member_name(m)
                ),
            });
        }
        cols.push((source, lib.clone(), tumour));
    }
    let mut rows = Vec::with_capacity(cols.len());
    for (i, (source, lib, tumour)) in cols.iter().enumerate() {
        let shared = cols
            .iter()
            .filter(|(s, _, _)| s.participant == source.participant)
            .count()
            > 1;
        let sample = match (&lib.barcode, shared) {
            (Some(b), true) => b.to_string(),
            _ => source.participant.to_string(),
        };
        rows.push(zenome_store::VcfSampleRow {
            node_id: node.to_string(),
            sample,
            position: i as i64,
            participant_id: source.participant.to_string(),
            library_id: lib.id.to_string(),
            source_id: source.id.to_string(),
            tumour: *tumour,
        });
    }
    Ok(rows)
}

impl App {
    /// Registers a lineage node: facility submitters register specimens and
    /// their derivatives up to libraries; sequencing centres (and staff)
    /// register runs and file placeholders.
    pub async fn register_node(&self, actor: &Actor, nn: NewNode) -> Result<LineageNode, AppError> {
        self.register_node_with_members(actor, nn, &[]).await
    }

    /// As [`App::register_node`]; a VCF placeholder may declare `members`,
    /// the other samples of a joint-called file (trio, tumour/normal pair,
    /// cohort batch): CRAM/BAM file nodes by id or libraries by barcode, each
    /// in the caller's scope and with its participant's consent in force.
    /// The file's sample columns are recorded (`vcf_samples`): the parent's
    /// participant and each member, named by participant id (by library
    /// barcode where one participant has several columns).
    pub async fn register_node_with_members(
        &self,
        actor: &Actor,
        nn: NewNode,
        members: &[NodeRef],
    ) -> Result<LineageNode, AppError> {
        let kind = nn.details.kind();
        let is_vcf = matches!(
            nn.details,
            NodeDetails::File {
                format: zenome_domain::lineage::FileFormat::Vcf,
                ..
            }
        );
        if !members.is_empty() && !is_vcf {
            return Err(AppError::invalid(
                "members",
                "only a VCF file declares members (the other samples of a joint call)",
            ));
        }
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
                    .with_detail(if members.is_empty() {
                        json!({ "barcode": barcode.as_ref().map(|b| b.to_string()) })
                    } else {
                        json!({ "barcode": null, "members": members.iter().map(member_name).collect::<Vec<_>>() })
                    }),
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
                    (parent.participant.clone(), Some(parent))
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
            let columns = match (&parent, is_vcf) {
                (Some(p), true) => {
                    let centre = run_centre.clone().flatten();
                    vcf_columns(&mut tx, &centre, &id, p, members).await?
                }
                _ => Vec::new(),
            };
            let node = LineageNode::new(
                id,
                participant_id,
                parent.map(|p| p.id),
                barcode,
                nn.details.clone(),
                tx.at(),
            )?;
            match tx.insert_node(&node, &actor.audit_name()).await {
                Ok(()) => {
                    tx.insert_vcf_samples(&columns).await?;
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
