"""A full push approval through the generated Python bindings against a real
`assent-relay` process (zero-config HTTPS with its development CA) in managed
mode: the test plays the login server over the /v1/managed/* HTTP API and
the phone through `Assent`."""

import asyncio
import json
import os
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

import assent_ffi as assent

from conftest import DictStorage

ROOT = Path(__file__).resolve().parents[3]


def relay_binary():
    path = os.environ.get("ASSENT_RELAY_BIN") or str(ROOT / "target" / "debug" / "assent-relay")
    if not os.access(path, os.X_OK):
        pytest.fail(f"no relay binary at {path}: build it with `cargo build -p assent-relay` "
                    "or set ASSENT_RELAY_BIN (run-tests.sh does)")
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Relay:
    """One relay process in its own working directory, with a managed tenant."""

    def __init__(self, workdir, extra_args=()):
        self.bin = relay_binary()
        self.extra_args = list(extra_args)
        self.dir = Path(workdir)
        self.db = "sqlite://" + str(self.dir / "relay.db")
        self.port = free_port()
        self.origin = f"https://127.0.0.1:{self.port}"
        self.proc = None
        self.log = open(self.dir / "relay.log", "wb")

    def admin(self, *args):
        out = subprocess.run([self.bin, "--database-url", self.db, "admin", *args],
                             cwd=self.dir, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr + out.stdout
        return out.stdout

    def start(self):
        self.admin("tenant", "create", "login.test", "--managed", "--rp-id", "127.0.0.1")
        printed = self.admin("key", "create", "login.test")
        self.key = next(line.strip() for line in printed.splitlines()
                        if line.strip().startswith("ask_"))
        self.proc = subprocess.Popen(
            [self.bin, "--listen", f"127.0.0.1:{self.port}", "--public-origin", self.origin,
             "--database-url", self.db, "--metrics-listen", "off", *self.extra_args],
            cwd=self.dir, stdout=self.log, stderr=subprocess.STDOUT)
        ca = self.dir / "assent-relay-ca.pem"
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"relay exited with {self.proc.returncode}:\n{self.logs()}")
            if ca.exists():
                try:
                    self.ssl = ssl.create_default_context(cafile=str(ca))
                    if self.request("GET", "/healthz", auth=False)[0] == 200:
                        break
                except (OSError, ssl.SSLError):
                    pass
            if time.monotonic() > deadline:
                raise AssertionError(f"relay not healthy within 60 s:\n{self.logs()}")
            time.sleep(0.1)
        self.ca_pem = ca.read_text()

    def logs(self):
        self.log.flush()
        return (self.dir / "relay.log").read_text(errors="replace")[-4000:]

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        self.log.close()

    def request(self, method, path, body=None, auth=True):
        headers = {"Content-Type": "application/json"}
        if auth:
            headers["Authorization"] = f"Bearer {self.key}"
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.origin + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, context=self.ssl, timeout=30) as reply:
                status, raw = reply.status, reply.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        return status, (json.loads(raw) if raw.strip() else None)

    def post(self, path, body):
        return self.request("POST", path, body)

    def get(self, path):
        return self.request("GET", path)


@pytest.fixture
def relay(tmp_path):
    r = Relay(tmp_path)
    try:
        r.start()
        yield r
    finally:
        r.stop()


def test_full_push_approval_against_a_real_relay(relay):
    storage = DictStorage()
    device = assent.DeviceInfo(platform=assent.Platform.POLL, name="Alice's laptop", push_token="")
    phone = assent.Assent(storage, assent.software_key_store(storage), device,
                          relay_ca_pem=relay.ca_pem)

    # The login server makes an offer (managed mode says custody=relay).
    status, offer = relay.post("/v1/managed/enrollments", {"account": "alice", "issuer": "Example"})
    assert status == 201, offer
    assert offer["custody"] == "relay"
    assert offer["offer"]["custody"] == "relay"
    uri = offer["uri"]
    assert "&custody=relay&" in uri, uri
    eid = offer["eid"]

    async def enroll():
        pending = await phone.enroll_uri(uri)
        assert pending.custody() == assent.Custody.RELAY
        assert pending.account_name() == "alice"
        status, seen = relay.get(f"/v1/managed/enrollments/{eid}?wait=10")
        assert status == 200, seen
        assert seen["status"] == "awaiting_activation", seen
        assert seen["device"]["name"] == "Alice's laptop"
        deadline = time.monotonic() + 30
        while (account := await phone.finish_enrollment(pending)) is None:
            assert time.monotonic() < deadline, "the relay never delivered the answer"
            await asyncio.sleep(0.2)
        return account

    account = asyncio.run(enroll())
    assert phone.accounts()[0].push is not None

    code = phone.activation_code(account).code
    status, done = relay.post(f"/v1/managed/enrollments/{eid}/activate",
                              {"account": "alice", "code": code})
    assert status == 200, done
    assert done["activated"] is True, done
    assert len(done["backup_codes"]) == 10

    # A login: the page shows the number and keeps the handle.
    status, started = relay.post("/v1/managed/challenges", {
        "account": "alice", "client": "Firefox 126 on Windows",
        "ip": "203.0.113.7", "location": "Bern, CH"})
    assert status == 201, started
    assert started["kind"] == "number"
    number, handle = started["display"], started["handle"]
    assert len(number) == 2
    status, verdict = relay.post("/v1/managed/challenges/verdict", {"handle": handle})
    assert (status, verdict["status"]) == (200, "pending")

    async def approve():
        pending = await phone.pending()
        assert len(pending.shown) == 1, pending.refused
        challenge = pending.shown[0]
        info = challenge.info()
        assert info.account_id == account
        assert info.account_name == "Example: alice"
        assert info.issuer == "Example"
        assert info.client == "Firefox 126 on Windows"
        assert info.ip == "203.0.113.7"
        assert info.location == "Bern, CH"
        assert info.custody == assent.Custody.RELAY
        assert info.kind == assent.ApprovalKind.NUMBER
        assert info.entry == assent.Entry.NUMBER
        assert info.entry_digits == 2
        await phone.answer(challenge, assent.Decision.APPROVE, number, False)

    asyncio.run(approve())

    status, verdict = relay.post("/v1/managed/challenges/verdict", {"handle": handle, "wait": 10})
    assert (status, verdict["status"]) == (200, "approved"), verdict
    status, redeemed = relay.post("/v1/managed/challenges/redeem", {"handle": handle})
    assert status == 200, redeemed
    assert redeemed["account"] == "alice"
    assert redeemed["challenge_id"] == started["challenge_id"]
    status, again = relay.post("/v1/managed/challenges/redeem", {"handle": handle})
    assert status == 409, "redeemed once only"
    assert again["error"]["code"] == "not_redeemable"
