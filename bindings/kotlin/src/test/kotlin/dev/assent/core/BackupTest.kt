package dev.assent.core

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** Encrypted backup, then restore on a new phone, as an Android app would. */
class BackupTest {
    private val clock = FixedClock(1_700_000_000)
    private val device = DeviceInfo(Platform.ANDROID, "Test Pixel", "")

    private fun open(storage: KotlinStorage = KotlinStorage()) =
        Assent(storage, KotlinKeyStore(), device, clock = clock)

    @Test
    fun `back up, refuse a wrong password, restore into a new vault`() {
        val old = open()
        old.addUri("otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example")
        old.addUri("otpauth://hotp/Ex:h?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=4")
        val file = old.backupAccounts("s3cret pass")

        val new = open()
        val wrong = assertThrows<AssentException.Password> { new.restoreAccounts(file, "nope") }
        assertEquals(true, wrong.wrong)
        assertThrows<AssentException.InvalidInput> {
            new.restoreAccounts(file.copyOf(file.size - 1), "s3cret pass")
        }
        assertTrue(new.accounts().isEmpty())

        val report = new.restoreAccounts(file, "s3cret pass")
        assertEquals(2u, report.restored)
        assertEquals(RestoreOutcome.RESTORED, report.entries.first().outcome)
        assertEquals(old.accounts().map { it.name }, new.accounts().map { it.name })
        assertEquals(
            old.code(old.accounts().first().id).code,
            new.code(new.accounts().first().id).code,
        )
        assertTrue(new.reactivationNeeded().isEmpty())
        assertEquals(2u, new.restoreAccounts(file, "s3cret pass").alreadyPresent)
    }
}
