-- Credentials that can be listed and revoked. API tokens and sessions get a
-- public id (never the secret or its hash): listings name tokens by it, and
-- GA4GH Passports name the session or token they were issued under (`sid`),
-- so they die with it. Rows made before this migration take the first 32
-- hex characters of their hash as id.
ALTER TABLE api_tokens ADD COLUMN id TEXT;
UPDATE api_tokens SET id = substr(token_hash, 1, 32);
CREATE UNIQUE INDEX api_tokens_by_id ON api_tokens (id);

ALTER TABLE sessions ADD COLUMN id TEXT;
UPDATE sessions SET id = substr(token_hash, 1, 32);
CREATE UNIQUE INDEX sessions_by_id ON sessions (id);
