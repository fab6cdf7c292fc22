-- What the relay carries between relying parties and phones. Protocol
-- messages are stored as the JSON text they arrived in; the relay never
-- needs to read inside sealed parts.

-- Enrollment ids announced by a tenant; a phone may register once per eid.
CREATE TABLE enrollments (
    eid            TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    registration   TEXT,
    device_pub     BYTEA,
    registered_at  BIGINT,
    answer         TEXT,
    device_id      TEXT,
    answered_at    BIGINT
);

CREATE INDEX enrollments_tenant ON enrollments (tenant_id, registered_at);
CREATE INDEX enrollments_expiry ON enrollments (expires_at);

-- Enrolled devices (created when the tenant delivers the enrollment answer).
CREATE TABLE devices (
    device_id    TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    device_pub   BYTEA NOT NULL,
    platform     TEXT NOT NULL,
    push_token   TEXT NOT NULL,
    push_seq     BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    unenroll     TEXT,
    unenroll_at  BIGINT
);

CREATE INDEX devices_tenant ON devices (tenant_id);

-- Challenges, from creation to answer; expiry is by the relay's clock.
CREATE TABLE challenges (
    challenge_id  TEXT PRIMARY KEY,
    push_id       TEXT NOT NULL UNIQUE,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    device_id     TEXT NOT NULL REFERENCES devices (device_id) ON DELETE CASCADE,
    challenge     TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    state         TEXT NOT NULL,
    answer        TEXT,
    answered_at   BIGINT
);

CREATE INDEX challenges_device ON challenges (device_id, state, expires_at);
CREATE INDEX challenges_expiry ON challenges (expires_at);

-- Removal confirmations sealed by the tenant for phones that asked to
-- unenroll; kept after the device is gone until the purge.
CREATE TABLE removals (
    device_id     TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    device_pub    BYTEA NOT NULL,
    confirmation  TEXT,
    removed_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);
