"""The accounts half of the API through the generated Python bindings."""

import asyncio

import pytest

import assent_ffi as assent

RFC = "otpauth://totp/RFC:sha1?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=8&issuer=RFC"
HOTP = "otpauth://hotp/Ex:h?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=0"


def test_codes_match_rfc_6238_at_fixed_times(open_assent, clock):
    a = open_assent()
    account = a.add_uri(RFC)
    view = a.code(account)
    assert view.code == "94287082"
    assert view.seconds_left == 1
    assert view.period_seconds == 30
    assert view.name == "RFC: sha1"
    clock.now = 1111111109
    assert [c.code for c in a.codes()] == ["07081804"]
    clock.now = 2000000000
    assert a.codes()[0].code == "69279037"


def test_hotp_advances_only_on_request(open_assent):
    a = open_assent()
    account = a.add_uri(HOTP)
    assert a.code(account).code == "755224"
    assert a.code(account).seconds_left is None
    nxt = a.next_hotp_code(account)
    assert (nxt.code, nxt.counter) == ("287082", 1)


def test_rename_reorder_remove_persist_across_restart(open_assent, storage):
    a = open_assent()
    first = a.add_uri(RFC)
    second = a.add_uri(HOTP)
    a.rename(first, "  Work  ")
    a.reorder([second, first])
    assert [x.id for x in a.accounts()] == [second, first]
    a.move_account(first, 0)
    third = a.add_uri(RFC)
    a.remove(third)

    again = open_assent().accounts()
    assert [x.id for x in again] == [first, second]
    assert again[0].name == "Work"
    assert again[0].push is None
    assert "vault.key" in storage.blobs


def test_bad_input_is_a_typed_exception(open_assent):
    a = open_assent()
    with pytest.raises(assent.AssentError.InvalidInput) as e:
        a.add_uri("otpauth://totp/x?secret=!!")
    assert "otpauth" in e.value.reason
    account = a.add_uri(RFC)
    with pytest.raises(assent.AssentError.InvalidInput):
        a.rename(account, "  ")
    with pytest.raises(assent.AssentError.InvalidInput):
        a.reorder([account, account])
    with pytest.raises(assent.AssentError.NotFound):
        a.code("nope")
    assert len(a.accounts()) == 1


def test_failing_host_storage_leaves_vault_unchanged(open_assent, storage):
    a = open_assent()
    a.add_uri(RFC)
    storage.fail_writes = True
    with pytest.raises(assent.AssentError.Storage) as e:
        a.rename(a.accounts()[0].id, "x")
    assert "disk full" in e.value.reason
    storage.fail_writes = False
    assert a.accounts()[0].name == "RFC: sha1"


def test_async_calls_cross_the_boundary_and_fail_typed(open_assent):
    a = open_assent()

    async def run():
        with pytest.raises(assent.AssentError.InvalidInput):
            await a.enroll_uri("assent://enroll?nonsense")
        with pytest.raises(assent.AssentError.InvalidInput):
            await a.handle_push("not a push id", "AAAAAAAAAAAA")
        # A well-formed push whose routing tag matches no account: refused, nothing sent.
        with pytest.raises(assent.AssentError.ChallengeUnavailable):
            await a.handle_push("AAAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAA")
        pending = await a.pending()
        assert pending.shown == [] and pending.refused == []

    asyncio.run(run())
