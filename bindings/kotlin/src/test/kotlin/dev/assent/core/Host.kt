package dev.assent.core

import java.math.BigInteger
import java.security.KeyPair
import java.security.KeyPairGenerator
import java.security.Signature
import java.security.interfaces.ECPublicKey
import java.security.spec.ECGenParameterSpec
import java.util.concurrent.ConcurrentHashMap

/**
 * What an Android app provides: secure blob storage (in a real app,
 * EncryptedFile / Keystore-wrapped blobs); here a map, with a switch that
 * makes writes fail like a full disk.
 */
class KotlinStorage : SecureStorage {
    val blobs = ConcurrentHashMap<String, ByteArray>()
    @Volatile var failWrites = false

    override fun get(name: String): ByteArray? = blobs[name]

    override fun put(name: String, bytes: ByteArray) {
        if (failWrites) throw AssentException.Storage("disk full")
        blobs[name] = bytes.copyOf()
    }

    override fun delete(name: String) {
        blobs.remove(name)
    }
}

/**
 * A device key store over java.security, shaped like the Android Keystore
 * version (KeyPairGenerator "EC" with secp256r1, "SHA256withECDSA", which
 * returns DER signatures as the core expects).
 */
class KotlinKeyStore : DeviceKeyStore {
    val keys = ConcurrentHashMap<String, KeyPair>()
    val userVerification = ConcurrentHashMap<String, Boolean>()

    override fun create(alias: String, requireUserVerification: Boolean): ByteArray {
        val generator = KeyPairGenerator.getInstance("EC")
        generator.initialize(ECGenParameterSpec("secp256r1"))
        val pair = generator.generateKeyPair()
        keys[alias] = pair
        userVerification[alias] = requireUserVerification
        val point = (pair.public as ECPublicKey).w
        return byteArrayOf(0x04) + fixed32(point.affineX) + fixed32(point.affineY)
    }

    override fun sign(alias: String, message: ByteArray): ByteArray {
        val pair = keys[alias] ?: throw AssentException.NotFound("no key $alias")
        return Signature.getInstance("SHA256withECDSA").run {
            initSign(pair.private)
            update(message)
            sign()
        }
    }

    override fun delete(alias: String) {
        keys.remove(alias)
    }

    private fun fixed32(n: BigInteger): ByteArray {
        val raw = n.toByteArray().dropWhile { it == 0.toByte() }.toByteArray()
        return ByteArray(32 - raw.size) + raw
    }
}

/** A clock the test sets, like a device whose time is known. */
class FixedClock(@Volatile var now: Long) : Clock {
    override fun nowUnix(): Long = now
}
