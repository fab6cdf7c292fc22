"""Web Push (UnifiedPush) checked against an independent implementation: Mozilla's
`http_ece` (RFC 8188 / RFC 8291, what pywebpush uses) and `py_vapid` (RFC 8292),
pinned in requirements-test.txt.

- What the real relay's Web Push provider sends (to a push service played here, over
  TLS on loopback) is decrypted by http_ece, its VAPID token verified by py_vapid, and
  the decrypted push payload handed to the core's `handle_push`, which fetches and
  answers the challenge.
- What http_ece encrypts to the core's subscription keys, the core decrypts.
"""

import asyncio
import base64
import datetime
import http.server
import ipaddress
import json
import queue
import ssl
import threading
import time

import http_ece
import py_vapid
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

import assent_ffi as assent

from conftest import DictStorage
from test_push_relay import Relay

CONTACT = "mailto:ops@login.test"


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def tls_files(directory):
    """A throwaway CA and a 127.0.0.1 server certificate signed by it."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "push service test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                         critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    (directory / "push-ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (directory / "push-cert.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (directory / "push-key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return directory / "push-ca.pem"


class PushService:
    """A Web Push service on loopback (HTTPS, HTTP/1.1) that records every POST and
    answers 201 Created."""

    def __init__(self, directory):
        received = self.received = queue.Queue()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                received.put((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(201)
                self.send_header("Location", "https://127.0.0.1/message/1")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.ca = tls_files(directory)
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(directory / "push-cert.pem", directory / "push-key.pem")
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.origin = f"https://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def endpoint(self, name):
        return f"{self.origin}/push/{name}"

    def stop(self):
        self.server.shutdown()


@pytest.fixture
def webpush_relay(tmp_path):
    service = PushService(tmp_path)
    vapid = py_vapid.Vapid02()
    vapid.generate_keys()
    vapid.save_key(str(tmp_path / "vapid.pem"))  # PKCS#8 PEM, as `vapid --gen` writes
    relay = Relay(tmp_path, extra_args=[
        "--webpush-vapid-key", str(tmp_path / "vapid.pem"),
        "--webpush-contact", CONTACT,
        "--webpush-ca", str(service.ca),
        # The push service runs on loopback: opened as an operator opens a network.
        "--webhook-allow-network", "127.0.0.0/8",
    ])
    try:
        relay.start()
        yield relay, service, vapid
    finally:
        relay.stop()
        service.stop()


def enroll(relay, phone):
    """Managed-mode enrollment of account "alice" (as in test_push_relay)."""
    status, offer = relay.post("/v1/managed/enrollments", {"account": "alice", "issuer": "Example"})
    assert status == 201, offer
    eid = offer["eid"]

    async def run():
        pending = await phone.enroll_uri(offer["uri"])
        # The login page's wait is what has the managed relay answer the registration.
        status, seen = relay.get(f"/v1/managed/enrollments/{eid}?wait=10")
        assert (status, seen["status"]) == (200, "awaiting_activation"), seen
        deadline = time.monotonic() + 30
        while (account := await phone.finish_enrollment(pending)) is None:
            assert time.monotonic() < deadline, "the relay never delivered the answer"
            await asyncio.sleep(0.2)
        return account

    account = asyncio.run(run())
    status, done = relay.post(f"/v1/managed/enrollments/{eid}/activate",
                              {"account": "alice", "code": phone.activation_code(account).code})
    assert (status, done["activated"]) == (200, True), done
    return account


def test_what_the_relay_sends_opens_with_http_ece_and_verifies_with_py_vapid(webpush_relay):
    relay, service, vapid = webpush_relay
    public = b64(vapid.public_key.public_bytes(serialization.Encoding.X962,
                                               serialization.PublicFormat.UncompressedPoint))
    status, info = relay.request("GET", "/v1/webpush", auth=False)
    assert (status, info) == (200, {"vapid_public_key": public})

    storage = DictStorage()
    device = assent.DeviceInfo(platform=assent.Platform.POLL, name="Alice's Fairphone", push_token="")
    phone = assent.Assent(storage, assent.software_key_store(storage), device,
                          relay_ca_pem=relay.ca_pem)
    enroll(relay, phone)

    # Subscription keys made here, so that http_ece can open what the relay sends.
    ua_key = ec.generate_private_key(ec.SECP256R1())
    ua_public = ua_key.public_key().public_bytes(serialization.Encoding.X962,
                                                 serialization.PublicFormat.UncompressedPoint)
    auth = bytes(range(16))
    token = f"{b64(ua_public)}.{b64(auth)}.{service.endpoint('alice')}"
    failed = asyncio.run(phone.update_push_token(assent.Platform.WEB_PUSH, token))
    assert failed == []

    status, started = relay.post("/v1/managed/challenges", {
        "account": "alice", "client": "Firefox 126 on Windows",
        "ip": "203.0.113.7", "location": "Bern, CH"})
    assert status == 201, started
    path, headers, body = service.received.get(timeout=30)
    assert path == "/push/alice"
    assert headers["content-encoding"] == "aes128gcm"
    assert headers["urgency"] == "high"
    assert 0 < int(headers["ttl"]) <= 120
    assert len(body) == 152, "the fixed-size push payload, encrypted"

    # VAPID (RFC 8292): `vapid t=<jwt>, k=<key>`; py_vapid's parser wants no space.
    authorization = headers["authorization"]
    assert authorization.startswith("vapid t=") and f", k={public}" in authorization
    assert py_vapid.Vapid02.verify(authorization.replace(", k=", ",k="))
    claims = json.loads(unb64(authorization.split("t=")[1].split(",")[0].split(".")[1]))
    assert claims["aud"] == service.origin
    assert claims["sub"] == CONTACT
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600

    # RFC 8291 decryption by http_ece, then the core handles the push payload.
    payload = json.loads(http_ece.decrypt(body, private_key=ua_key, auth_secret=auth,
                                          version="aes128gcm"))
    assert set(payload) == {"p", "r"}
    assert "alice" not in json.dumps(payload) and "Bern" not in json.dumps(payload)

    async def approve():
        challenge = await phone.handle_push(payload["p"], payload["r"])
        info = challenge.info()
        assert info.challenge_id == started["challenge_id"]
        assert info.location == "Bern, CH"
        await phone.answer(challenge, assent.Decision.APPROVE, started["display"], False)

    asyncio.run(approve())
    status, verdict = relay.post("/v1/managed/challenges/verdict",
                                 {"handle": started["handle"], "wait": 10})
    assert (status, verdict["status"]) == (200, "approved"), verdict

    # An endpoint on an internal address is refused by the relay (its outbound rules).
    failed = asyncio.run(phone.update_push_token(
        assent.Platform.WEB_PUSH, f"{b64(ua_public)}.{b64(auth)}.https://169.254.169.254/x"))
    assert len(failed) == 1 and "400" in failed[0].reason, failed


def test_the_core_opens_what_http_ece_encrypts(storage, open_assent):
    phone = open_assent()
    keys = phone.webpush_keys()
    assert len(keys.p256dh) == 87 and len(keys.auth) == 22
    assert phone.webpush_keys() == keys, "made once, kept in the secure storage"
    assert "webpush-keys" in storage.blobs
    assert keys.auth not in repr(keys)

    payload = b'{"p":"AAAAAAAAAAAAAAAAAAAAAA","r":"AAAAAAAAAAAA"}'
    body = http_ece.encrypt(payload, private_key=ec.generate_private_key(ec.SECP256R1()),
                            dh=unb64(keys.p256dh), auth_secret=unb64(keys.auth),
                            version="aes128gcm")
    assert bytes(phone.decrypt_webpush(body)) == payload
    # Another record size, as other senders may choose.
    padded = http_ece.encrypt(payload, private_key=ec.generate_private_key(ec.SECP256R1()),
                              dh=unb64(keys.p256dh), auth_secret=unb64(keys.auth),
                              version="aes128gcm", rs=1024)
    assert bytes(phone.decrypt_webpush(padded)) == payload

    tampered = bytearray(body)
    tampered[-1] ^= 1
    with pytest.raises(assent.AssentError.NotAuthentic):
        phone.decrypt_webpush(bytes(tampered))
    other = http_ece.encrypt(payload, private_key=ec.generate_private_key(ec.SECP256R1()),
                             dh=unb64(keys.p256dh), auth_secret=bytes(16), version="aes128gcm")
    with pytest.raises(assent.AssentError.NotAuthentic):
        phone.decrypt_webpush(other)


def test_http_ece_reproduces_the_rfc_8291_example_the_rust_tests_use():
    """RFC 8291 Appendix A (crates/protocol/testdata/rfc8291-appendix-a.json, which the
    protocol crate's tests encrypt and decrypt): http_ece gives the same body from the
    RFC's keys and salt, so the vector file and the independent implementation agree."""
    from pathlib import Path
    vector = json.loads((Path(__file__).resolve().parents[3] / "crates" / "protocol"
                         / "testdata" / "rfc8291-appendix-a.json").read_text())
    sender = ec.derive_private_key(int.from_bytes(unb64(vector["as_private"]), "big"),
                                   ec.SECP256R1())
    body = http_ece.encrypt(unb64(vector["plaintext"]), salt=unb64(vector["salt"]),
                            private_key=sender, dh=unb64(vector["ua_public"]),
                            auth_secret=unb64(vector["auth"]), version="aes128gcm", rs=4096)
    assert b64(body) == vector["body"]
