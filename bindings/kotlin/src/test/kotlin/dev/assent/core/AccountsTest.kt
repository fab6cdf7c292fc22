package dev.assent.core

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** The accounts half of the API, used as an Android app would. */
class AccountsTest {
    private val storage = KotlinStorage()
    private val keys = KotlinKeyStore()
    private val clock = FixedClock(59)
    private val device = DeviceInfo(Platform.ANDROID, "Test Pixel", "")

    private fun open() = Assent(storage, keys, device, clock = clock)

    companion object {
        // RFC 6238 appendix B, SHA-1, 8 digits.
        const val RFC = "otpauth://totp/RFC:sha1?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=8&issuer=RFC"
        const val HOTP = "otpauth://hotp/Ex:h?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=0"
    }

    @Test
    fun `codes match RFC 6238 at fixed times`() {
        val assent = open()
        val id = assent.addUri(RFC)
        val view = assent.code(id)
        assertEquals("94287082", view.code)
        assertEquals(1u, view.secondsLeft)
        assertEquals(30u, view.periodSeconds)
        assertEquals("RFC: sha1", view.name)
        clock.now = 1111111109
        assertEquals("07081804", assent.codes().single().code)
        clock.now = 2000000000
        assertEquals("69279037", assent.codes().single().code)
    }

    @Test
    fun `hotp advances only on request`() {
        val assent = open()
        val id = assent.addUri(HOTP)
        assertEquals("755224", assent.code(id).code)
        assertNull(assent.code(id).secondsLeft)
        val next = assent.nextHotpCode(id)
        assertEquals("287082", next.code)
        assertEquals(1uL, next.counter)
    }

    @Test
    fun `rename reorder and remove persist across a restart`() {
        val assent = open()
        val a = assent.addUri(RFC)
        val b = assent.addUri(HOTP)
        assent.rename(a, "  Work  ")
        assent.reorder(listOf(b, a))
        assertEquals(listOf(b, a), assent.accounts().map { it.id })
        assent.moveAccount(a, 0u)
        val c = assent.addUri(RFC)
        assent.remove(c)

        val again = open()
        val accounts = again.accounts()
        assertEquals(listOf(a, b), accounts.map { it.id })
        assertEquals("Work", accounts[0].name)
        assertEquals("RFC", accounts[0].issuer)
        assertNull(accounts[0].push)
        assertTrue(storage.blobs.containsKey("vault.key"))
    }

    @Test
    fun `bad input is a typed exception`() {
        val assent = open()
        val e = assertThrows<AssentException.InvalidInput> { assent.addUri("otpauth://totp/x?secret=!!") }
        assertTrue(e.reason.contains("otpauth"), e.reason)
        assertThrows<AssentException.InvalidInput> { assent.addUri("https://example.com") }
        val id = assent.addUri(RFC)
        assertThrows<AssentException.InvalidInput> { assent.rename(id, "   ") }
        assertThrows<AssentException.InvalidInput> { assent.reorder(listOf(id, id)) }
        assertThrows<AssentException.NotFound> { assent.code("nope") }
        assertThrows<AssentException.InvalidInput> { assent.nextHotpCode(id) }
        assertEquals(1, assent.accounts().size)
    }

    @Test
    fun `a failing host storage leaves the vault unchanged`() {
        val assent = open()
        val id = assent.addUri(RFC)
        storage.failWrites = true
        val e = assertThrows<AssentException.Storage> { assent.rename(id, "x") }
        assertTrue(e.reason.contains("disk full"), e.reason)
        storage.failWrites = false
        assertEquals("RFC: sha1", assent.accounts().single().name)
    }

    @Test
    fun `a vault without its key is refused, never replaced`() {
        open().addUri(RFC)
        storage.blobs.remove("vault.key")
        assertThrows<AssentException.Storage> { open() }
        assertTrue(storage.blobs.containsKey("vault"))
    }

    @Test
    fun `async calls cross the boundary and fail typed`() = runBlocking {
        val assent = open()
        assertThrows<AssentException.InvalidInput> { runBlocking { assent.enrollUri("assent://enroll?nonsense") } }
        assertThrows<AssentException.InvalidInput> { runBlocking { assent.handlePush("not a push id", "AAAAAAAAAAAA") } }
        // A well-formed push whose routing tag matches no account: refused, nothing sent.
        assertThrows<AssentException.ChallengeUnavailable> {
            runBlocking { assent.handlePush("AAAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAA") }
        }
        val pending = assent.pending()
        assertTrue(pending.shown.isEmpty() && pending.refused.isEmpty())
        assertTrue(assent.updatePushToken(Platform.ANDROID, "token").isEmpty())
        assertEquals(0L, assent.clockStatus().relayOffsetSeconds)
    }

    @Test
    fun `software defaults work from Kotlin`() {
        val memory = memoryStorage()
        val assent = Assent(memory, softwareKeyStore(memory), device, clock = clock)
        assertEquals("94287082", assent.code(assent.addUri(RFC)).code)
        val public = softwareKeyStore(memory).create("k", false)
        assertEquals(65, public.size)
    }
}
