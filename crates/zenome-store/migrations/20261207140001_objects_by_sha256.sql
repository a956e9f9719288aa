-- Identical content is found by its plaintext SHA-256 (a second upload of
-- the same bytes is refused naming the object that holds them).
CREATE INDEX objects_by_sha256 ON objects (sha256);
