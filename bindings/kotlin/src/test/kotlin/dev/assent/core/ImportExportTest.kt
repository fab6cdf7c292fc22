package dev.assent.core

import java.io.File
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/**
 * Import from another authenticator and export, as an Android app would.
 * The file is the encrypted test export of the Aegis repository
 * (beemdevelopment/Aegis, app/src/test/resources/com/beemdevelopment/aegis/
 * importers/aegis_encrypted.json, password "test"), kept in
 * crates/core/tests/data/import/ (see the README there).
 */
class ImportExportTest {
    private val clock = FixedClock(1_700_000_000)
    private val device = DeviceInfo(Platform.ANDROID, "Test Pixel", "")

    private fun open(storage: KotlinStorage = KotlinStorage()) =
        Assent(storage, KotlinKeyStore(), device, clock = clock)

    private val aegis: ByteArray = File(
        System.getProperty("user.dir"),
        "../../crates/core/tests/data/import/aegis/aegis_encrypted.json",
    ).readBytes()

    @Test
    fun `import an encrypted Aegis file then export it`() {
        val assent = open()
        val missing = assertThrows<AssentException.Password> { assent.importAccounts(aegis, null) }
        assertEquals(false, missing.wrong)
        val wrong = assertThrows<AssentException.Password> { assent.importAccounts(aegis, "nope") }
        assertEquals(true, wrong.wrong)
        assertTrue(assent.accounts().isEmpty())

        val report = assent.importAccounts(aegis, "test")
        assertEquals("Aegis", report.format)
        assertEquals(7u, report.imported)
        assertEquals(ImportOutcome.IMPORTED, report.entries.first().outcome)
        val steam = assent.accounts().single { it.steam }
        assertEquals("Boeing: Sophia", steam.name)
        assertEquals("747JR", assent.code(steam.id).code)
        assertEquals(7u, assent.importAccounts(aegis, "test").alreadyPresent)

        val exported = assent.exportAccounts(ExportFormat.AEGIS, "pw")
        val other = open()
        assertEquals(7u, other.importAccounts(exported.text.toByteArray(), "pw").imported)
        assertEquals(assent.accounts().map { it.name }, other.accounts().map { it.name })

        val google = assent.exportAccounts(ExportFormat.GOOGLE, null)
        assertTrue(google.lines.all { it.startsWith("otpauth-migration://offline?data=") })
        assertEquals(4, google.skipped.size)
    }
}
