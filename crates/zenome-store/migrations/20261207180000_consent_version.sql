-- A counter bumped in the same transaction as every consent event, so that a
-- reader can tell with one single-row read whether anyone's consent changed
-- since it last folded all the histories (the variant queries' "who may be
-- counted now", which otherwise reads and parses every history per query).
CREATE TABLE consent_version (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO consent_version (id, version) SELECT 1, COUNT(*) FROM consent_events;
