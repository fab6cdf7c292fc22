-- Per-tenant options: managed mode (the relay acts as the tenant's RP and is
-- trusted by it) and the optional webhook.
--
-- webhook_secret is kept in clear: the relay must sign every delivery with
-- it, so a hash would be useless, and a key to encrypt it would sit on the
-- same host. Whoever reads this table can forge webhooks to the tenant; the
-- webhooks carry no verdict in end-to-end mode (only "fetch and verify"),
-- and a managed tenant trusts this relay anyway.
CREATE TABLE tenant_settings (
    tenant_id       TEXT PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    managed         BOOLEAN NOT NULL,
    rp_id           TEXT,
    webhook_url     TEXT,
    webhook_secret  TEXT,
    updated_at      BIGINT NOT NULL
);
