//! In-app notifications (issue 15): what changed in the applications a
//! person takes part in (as applicant, co-applicant or DAC member), in both
//! languages, newest first; reading the list marks it read. Written by the
//! services in the transaction of the change (see `access::applications`).

use serde::Serialize;
use time::format_description::well_known::Rfc3339;

use crate::{Actor, App, AppError, AuthMethod};

/// One notification.
#[derive(Debug, Clone, Serialize)]
pub struct NotificationView {
    pub id: String,
    /// RFC 3339.
    pub at: String,
    pub text_en: String,
    pub text_ja: String,
    /// A portal path.
    pub link: String,
    pub read: bool,
}

fn person(actor: &Actor) -> Result<&str, AppError> {
    match actor.via {
        AuthMethod::Local => Err(AppError::Forbidden(
            "the local operator has no notifications".into(),
        )),
        _ => Ok(&actor.username),
    }
}

impl App {
    /// The caller's notifications, newest first (at most 200).
    pub async fn notifications(&self, actor: &Actor) -> Result<Vec<NotificationView>, AppError> {
        let who = person(actor)?;
        Ok(self
            .store()
            .notifications(who, 200)
            .await?
            .into_iter()
            .map(|n| NotificationView {
                id: n.id,
                at: n.at.format(&Rfc3339).unwrap_or_default(),
                text_en: n.text_en,
                text_ja: n.text_ja,
                link: n.link,
                read: n.read_at.is_some(),
            })
            .collect())
    }

    /// How many of the caller's notifications are unread (0 for the local
    /// operator).
    pub async fn unread_notifications(&self, actor: &Actor) -> Result<i64, AppError> {
        match person(actor) {
            Ok(who) => Ok(self.store().unread_notifications(who).await?),
            Err(_) => Ok(0),
        }
    }

    /// Marks all of the caller's notifications read; how many were unread.
    pub async fn read_notifications(&self, actor: &Actor) -> Result<u64, AppError> {
        let who = person(actor)?;
        Ok(self.store().mark_notifications_read(who).await?)
    }
}
