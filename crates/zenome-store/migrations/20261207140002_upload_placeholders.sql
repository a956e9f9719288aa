-- An upload that made its file's placeholder itself (metadata `parent`)
-- removes it again when it is rejected or cancelled, so a failed upload
-- leaves nothing on the run: `created_node` says which uploads did. The
-- upload's record outlives that node (its state and error stay readable), so
-- `node_id` names the node it was for without a foreign key.

CREATE TABLE uploads_v2 (
    id TEXT PRIMARY KEY,
    uploader TEXT NOT NULL,
    node_id TEXT NOT NULL,
    file_name TEXT NOT NULL,
    format TEXT NOT NULL,
    length BIGINT NOT NULL,
    received BIGINT NOT NULL,
    declared_md5 TEXT,
    declared_sha256 TEXT,
    pipeline TEXT,
    reference TEXT,
    state TEXT NOT NULL CHECK (state IN ('receiving', 'stored', 'rejected', 'cancelled')),
    error TEXT,
    object_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    created_node BIGINT NOT NULL DEFAULT 0
);

INSERT INTO uploads_v2 (id, uploader, node_id, file_name, format, length, received,
    declared_md5, declared_sha256, pipeline, reference, state, error, object_id,
    created_at, updated_at, created_node)
SELECT id, uploader, node_id, file_name, format, length, received,
    declared_md5, declared_sha256, pipeline, reference, state, error, object_id,
    created_at, updated_at, 0
FROM uploads;

DROP TABLE uploads;
ALTER TABLE uploads_v2 RENAME TO uploads;
CREATE INDEX uploads_by_node ON uploads (node_id);
