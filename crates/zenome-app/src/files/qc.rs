//! QC per sequencing centre (R4.2): every stored file of a centre with its
//! metrics, for the periodic re-evaluation of the centre.

use zenome_domain::organisation::{OrgCode, OrgKind};
use zenome_domain::role::Role;
use zenome_store::ObjectRow;

use crate::{Actor, App, AppError};

impl App {
    /// The sequencing centres the actor may see the QC of.
    pub async fn qc_centres(&self, actor: &Actor) -> Result<Vec<OrgCode>, AppError> {
        let all: Vec<OrgCode> = self
            .store()
            .organisations()
            .await?
            .into_iter()
            .filter(|o| o.kind == OrgKind::SequencingCentre)
            .map(|o| o.code)
            .collect();
        match &actor.role {
            Role::DataCentreStaff => Ok(all),
            Role::SequencingCentre { centre } => {
                Ok(all.into_iter().filter(|c| c == centre).collect())
            }
            _ => Err(AppError::Forbidden(format!(
                "role {} may not read sequencing QC",
                actor.role.name()
            ))),
        }
    }

    /// A centre's stored files with their QC, oldest first.
    pub async fn centre_files(
        &self,
        actor: &Actor,
        centre: &OrgCode,
    ) -> Result<Vec<ObjectRow>, AppError> {
        if !self.qc_centres(actor).await?.contains(centre) {
            return Err(AppError::NotFound("sequencing centre"));
        }
        Ok(self.store().objects_of_centre(centre.as_str()).await?)
    }
}
