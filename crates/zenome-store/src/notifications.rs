//! In-app notifications (`notifications`; see migration `notifications`):
//! written with the change they tell of, listed and marked read per person.

use time::OffsetDateTime;

use crate::time_ms::{from_ms, to_ms};
use crate::{Store, StoreError, WriteTx};

/// One notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationRow {
    pub id: String,
    pub username: String,
    pub at: OffsetDateTime,
    pub text_en: String,
    pub text_ja: String,
    pub link: String,
    pub read_at: Option<OffsetDateTime>,
}

type NotificationTuple = (String, String, i64, String, String, String, Option<i64>);

impl WriteTx {
    /// Tells `username` (at this transaction's time).
    pub async fn notify(
        &mut self,
        username: &str,
        text_en: &str,
        text_ja: &str,
        link: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO notifications (id, username, at, text_en, text_ja, link) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(username)
        .bind(to_ms(self.at()))
        .bind(text_en)
        .bind(text_ja)
        .bind(link)
        .execute(self.conn())
        .await
        .map_err(|e| StoreError::on_write(e, "notification"))?;
        Ok(())
    }
}

impl Store {
    /// A person's notifications, newest first, at most `limit`.
    pub async fn notifications(
        &self,
        username: &str,
        limit: i64,
    ) -> Result<Vec<NotificationRow>, StoreError> {
        let rows: Vec<NotificationTuple> = sqlx::query_as(
            "SELECT id, username, at, text_en, text_ja, link, read_at FROM notifications WHERE username = $1 ORDER BY at DESC, id DESC LIMIT $2",
        )
        .bind(username)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(NotificationRow {
                    id: r.0,
                    username: r.1,
                    at: from_ms(r.2)?,
                    text_en: r.3,
                    text_ja: r.4,
                    link: r.5,
                    read_at: r.6.map(from_ms).transpose()?,
                })
            })
            .collect()
    }

    /// How many are unread.
    pub async fn unread_notifications(&self, username: &str) -> Result<i64, StoreError> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM notifications WHERE username = $1 AND read_at IS NULL",
        )
        .bind(username)
        .fetch_one(self.pool())
        .await?;
        Ok(n)
    }

    /// Marks every notification of `username` read (not an audited change:
    /// reading one's own list changes nobody's data).
    pub async fn mark_notifications_read(&self, username: &str) -> Result<u64, StoreError> {
        let r = sqlx::query(
            "UPDATE notifications SET read_at = $1 WHERE username = $2 AND read_at IS NULL",
        )
        .bind(to_ms(OffsetDateTime::now_utc()))
        .bind(username)
        .execute(self.pool())
        .await?;
        Ok(r.rows_affected())
    }
}
