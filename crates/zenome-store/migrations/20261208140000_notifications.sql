-- In-app notifications (issue 15): one row per person told, written in the
-- same transaction as the change it tells of. `read_at` is set when the
-- person reads the list.
CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    at BIGINT NOT NULL,
    -- what happened, in both languages
    text_en TEXT NOT NULL,
    text_ja TEXT NOT NULL,
    -- where to look (a portal path)
    link TEXT NOT NULL,
    read_at BIGINT
);
CREATE INDEX notifications_by_user ON notifications (username, at);
