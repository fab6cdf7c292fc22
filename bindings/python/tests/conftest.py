"""Host capabilities implemented in Python, as an app implements them in
Kotlin or Swift: secure storage, a device key store, a settable clock."""

import pytest

import assent_ffi as assent


class DictStorage(assent.SecureStorage):
    """Secure storage over a dict; writes can be made to fail."""

    def __init__(self):
        self.blobs = {}
        self.fail_writes = False

    def get(self, name):
        return self.blobs.get(name)

    def put(self, name, bytes):
        if self.fail_writes:
            raise assent.AssentError.Storage("disk full")
        self.blobs[name] = bytes

    def delete(self, name):
        self.blobs.pop(name, None)


class FixedClock(assent.Clock):
    def __init__(self, now):
        self.now = now

    def now_unix(self):
        return self.now


@pytest.fixture
def storage():
    return DictStorage()


@pytest.fixture
def clock():
    return FixedClock(59)


@pytest.fixture
def device():
    return assent.DeviceInfo(platform=assent.Platform.POLL, name="QA box", push_token="")


@pytest.fixture
def open_assent(storage, clock, device):
    keys = assent.software_key_store(storage)

    def open_():
        return assent.Assent(storage, keys, device, clock=clock)

    return open_
