package dev.assent.core

import java.math.BigInteger
import java.security.KeyFactory
import java.security.KeyPairGenerator
import java.security.SecureRandom
import java.security.interfaces.ECPublicKey
import java.security.spec.ECGenParameterSpec
import java.security.spec.ECPoint
import java.security.spec.ECPublicKeySpec
import java.util.Base64
import javax.crypto.Cipher
import javax.crypto.KeyAgreement
import javax.crypto.Mac
import javax.crypto.spec.GCMParameterSpec
import javax.crypto.spec.SecretKeySpec
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/**
 * UnifiedPush on a Google-free Android phone: the core's Web Push keys, and a message
 * encrypted here with the JDK's own crypto (RFC 8291 over RFC 8188 `aes128gcm`, written
 * out below as a push sender does it) that the core must open.
 */
class WebPushTest {
    private val storage = KotlinStorage()

    private fun open() =
        Assent(storage, KotlinKeyStore(), DeviceInfo(Platform.POLL, "Fairphone", ""), clock = FixedClock(59))

    private fun unb64(s: String) = Base64.getUrlDecoder().decode(s)

    @Test
    fun `keys are made once and kept in the secure storage`() {
        val assent = open()
        val keys = assent.webpushKeys()
        assertEquals(87, keys.p256dh.length)
        assertEquals(22, keys.auth.length)
        assertEquals(keys, open().webpushKeys())
        assertTrue(storage.blobs.containsKey("webpush-keys"))
    }

    @Test
    fun `the core opens a message the JDK encrypts and refuses altered ones`() {
        val assent = open()
        val keys = assent.webpushKeys()
        val payload = """{"p":"AAAAAAAAAAAAAAAAAAAAAA","r":"AAAAAAAAAAAA"}""".toByteArray()
        val body = encrypt(payload, unb64(keys.p256dh), unb64(keys.auth))
        assertEquals(16 + 4 + 1 + 65 + payload.size + 1 + 16, body.size)
        assertArrayEquals(payload, assent.decryptWebpush(body))
        body[body.size - 1] = (body[body.size - 1].toInt() xor 1).toByte()
        assertThrows<AssentException.NotAuthentic> { assent.decryptWebpush(body) }
    }

    @Test
    fun `only https endpoints are registered`() = runBlocking {
        val assent = open()
        assertThrows<AssentException.InvalidInput> {
            runBlocking { assent.useWebpushEndpoint("http://push.example.net/up/1") }
        }
        // No push account yet: nothing to update, nothing fails.
        assertEquals(emptyList<PushTokenFailure>(), assent.useWebpushEndpoint("https://push.example.net/up/1"))
    }

    /** RFC 8291 §3.4 and RFC 8188 §2 with a fresh sender key and salt: one record, rs 4096. */
    private fun encrypt(plaintext: ByteArray, uaPublic: ByteArray, auth: ByteArray): ByteArray {
        val gen = KeyPairGenerator.getInstance("EC").apply { initialize(ECGenParameterSpec("secp256r1")) }
        val sender = gen.generateKeyPair()
        val params = (sender.public as ECPublicKey).params
        val x = BigInteger(1, uaPublic.copyOfRange(1, 33))
        val y = BigInteger(1, uaPublic.copyOfRange(33, 65))
        val ua = KeyFactory.getInstance("EC").generatePublic(ECPublicKeySpec(ECPoint(x, y), params))
        val ecdh = KeyAgreement.getInstance("ECDH").run {
            init(sender.private)
            doPhase(ua, true)
            generateSecret()
        }
        val asPublic = uncompressed(sender.public as ECPublicKey)
        val salt = ByteArray(16).also { SecureRandom().nextBytes(it) }
        val prkKey = hmac(auth, ecdh)
        val ikm = hmac(prkKey, "WebPush: info".toByteArray() + 0 + uaPublic + asPublic + 1).copyOf(32)
        val prk = hmac(salt, ikm)
        val cek = hmac(prk, "Content-Encoding: aes128gcm".toByteArray() + 0 + 1).copyOf(16)
        val nonce = hmac(prk, "Content-Encoding: nonce".toByteArray() + 0 + 1).copyOf(12)
        val cipher = Cipher.getInstance("AES/GCM/NoPadding")
        cipher.init(Cipher.ENCRYPT_MODE, SecretKeySpec(cek, "AES"), GCMParameterSpec(128, nonce))
        val sealed = cipher.doFinal(plaintext + 2)
        val header = salt + byteArrayOf(0, 0, 0x10, 0) + 65.toByte() + asPublic
        return header + sealed
    }

    private fun hmac(key: ByteArray, data: ByteArray): ByteArray =
        Mac.getInstance("HmacSHA256").run {
            init(SecretKeySpec(key, "HmacSHA256"))
            doFinal(data)
        }

    private fun uncompressed(key: ECPublicKey): ByteArray {
        fun fixed(n: BigInteger): ByteArray {
            val raw = n.toByteArray().dropWhile { it == 0.toByte() }.toByteArray()
            return ByteArray(32 - raw.size) + raw
        }
        return byteArrayOf(4) + fixed(key.w.affineX) + fixed(key.w.affineY)
    }

    private operator fun ByteArray.plus(b: Int): ByteArray = this + byteArrayOf(b.toByte())
}
