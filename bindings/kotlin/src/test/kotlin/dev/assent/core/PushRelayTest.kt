package dev.assent.core

import java.io.ByteArrayInputStream
import java.io.File
import java.net.ServerSocket
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.security.KeyStore
import java.security.cert.CertificateFactory
import java.time.Duration
import java.util.concurrent.TimeUnit
import javax.net.ssl.SSLContext
import javax.net.ssl.TrustManagerFactory
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.fail
import org.junit.jupiter.api.io.TempDir

/**
 * A full push approval through the generated Kotlin bindings against a real
 * `assent-relay` process (zero-config HTTPS with its development CA) in
 * managed mode: the test plays the login server over the /v1/managed/... HTTP
 * API and the phone through `Assent`, with the Kotlin storage and key store.
 */
class PushRelayTest {
    @TempDir
    lateinit var dir: File

    private lateinit var relay: RelayProcess

    @BeforeEach
    fun startRelay() {
        relay = RelayProcess(dir)
        relay.start()
    }

    @AfterEach
    fun stopRelay() {
        relay.stop()
    }

    @Test
    fun `full push approval against a real relay`() {
        val storage = KotlinStorage()
        val keys = KotlinKeyStore()
        // Poll-only: the test relay has no push credentials.
        val device = DeviceInfo(Platform.POLL, "Alice's Pixel", "")
        val phone = Assent(storage, keys, device, relayCaPem = relay.caPem)

        // The login server makes an offer; managed mode says custody=relay.
        val (offerStatus, offer) = relay.post("/v1/managed/enrollments", mapOf("account" to "alice", "issuer" to "Example"))
        assertEquals(201, offerStatus, "$offer")
        assertEquals("relay", offer.str("custody"))
        assertEquals("relay", offer.obj("offer").str("custody"))
        val uri = offer.str("uri")
        assertTrue(uri.contains("&custody=relay&"), uri)
        val eid = offer.str("eid")

        val account = runBlocking {
            val pending = phone.enrollUri(uri)
            assertEquals(Custody.RELAY, pending.custody())
            assertEquals("alice", pending.accountName())
            val (status, seen) = relay.get("/v1/managed/enrollments/$eid?wait=10")
            assertEquals(200, status, "$seen")
            assertEquals("awaiting_activation", seen.str("status"), "$seen")
            assertEquals("Alice's Pixel", seen.obj("device").str("name"))
            val deadline = System.nanoTime() + 30_000_000_000L
            var id: String? = phone.finishEnrollment(pending)
            while (id == null) {
                assertTrue(System.nanoTime() < deadline, "the relay never delivered the answer")
                delay(200)
                id = phone.finishEnrollment(pending)
            }
            id
        }
        assertNotNull(phone.accounts().single().push)
        assertEquals(1, keys.keys.size, "the device key lives in the Kotlin key store")

        val code = phone.activationCode(account).code
        val (activateStatus, done) = relay.post("/v1/managed/enrollments/$eid/activate", mapOf("account" to "alice", "code" to code))
        assertEquals(200, activateStatus, "$done")
        assertEquals(true, done["activated"], "$done")
        assertEquals(10, (done["backup_codes"] as List<*>).size)

        // A login: the page shows the number and keeps the handle.
        val (startStatus, started) = relay.post(
            "/v1/managed/challenges",
            mapOf("account" to "alice", "client" to "Firefox 126 on Windows", "ip" to "203.0.113.7", "location" to "Bern, CH"),
        )
        assertEquals(201, startStatus, "$started")
        assertEquals("number", started.str("kind"))
        val number = started.str("display")
        assertEquals(2, number.length)
        val handle = started.str("handle")
        val (_, early) = relay.post("/v1/managed/challenges/verdict", mapOf("handle" to handle))
        assertEquals("pending", early.str("status"))

        runBlocking {
            val pending = phone.pending()
            assertEquals(1, pending.shown.size, "${pending.refused}")
            val challenge = pending.shown.single()
            val info = challenge.info()
            assertEquals(account, info.accountId)
            assertEquals("Example: alice", info.accountName)
            assertEquals("Example", info.issuer)
            assertEquals("Firefox 126 on Windows", info.client)
            assertEquals("203.0.113.7", info.ip)
            assertEquals("Bern, CH", info.location)
            assertEquals(Custody.RELAY, info.custody)
            assertEquals(ApprovalKind.NUMBER, info.kind)
            assertEquals(Entry.NUMBER, info.entry)
            assertEquals(2u, info.entryDigits)
            phone.answer(challenge, Decision.APPROVE, number, false)
        }

        val (verdictStatus, verdict) = relay.post("/v1/managed/challenges/verdict", mapOf("handle" to handle, "wait" to 10))
        assertEquals(200, verdictStatus)
        assertEquals("approved", verdict.str("status"), "$verdict")
        val (redeemStatus, redeemed) = relay.post("/v1/managed/challenges/redeem", mapOf("handle" to handle))
        assertEquals(200, redeemStatus, "$redeemed")
        assertEquals("alice", redeemed.str("account"))
        assertEquals(started.str("challenge_id"), redeemed.str("challenge_id"))
        val (againStatus, again) = relay.post("/v1/managed/challenges/redeem", mapOf("handle" to handle))
        assertEquals(409, againStatus, "redeemed once only")
        assertEquals("not_redeemable", again.obj("error").str("code"))
    }
}

/** One relay process in its own working directory, with a managed tenant. */
class RelayProcess(private val dir: File) {
    private val bin: String = System.getProperty("assent.relay.bin").orEmpty().ifEmpty { "../../target/debug/assent-relay" }
    private val db = "sqlite://" + File(dir, "relay.db").absolutePath
    private val port = ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()).use { it.localPort }
    private val origin = "https://127.0.0.1:$port"
    private val log = File(dir, "relay.log")
    private var process: Process? = null
    private lateinit var key: String
    private lateinit var http: HttpClient
    lateinit var caPem: String

    private fun admin(vararg args: String): String {
        val p = ProcessBuilder(bin, "--database-url", db, "admin", *args)
            .directory(dir).redirectErrorStream(true).start()
        val out = p.inputStream.bufferedReader().readText()
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "admin ${args.toList()} hung")
        assertEquals(0, p.exitValue(), out)
        return out
    }

    fun start() {
        if (!File(bin).canExecute()) {
            fail("no relay binary at $bin: build it with `cargo build -p assent-relay` or pass -Dassent.relay.bin (run-tests.sh does)")
        }
        admin("tenant", "create", "login.test", "--managed", "--rp-id", "127.0.0.1")
        key = admin("key", "create", "login.test").lines().map { it.trim() }.first { it.startsWith("ask_") }
        process = ProcessBuilder(bin, "--listen", "127.0.0.1:$port", "--public-origin", origin, "--database-url", db, "--metrics-listen", "off")
            .directory(dir).redirectErrorStream(true).redirectOutput(log).start()
        val ca = File(dir, "assent-relay-ca.pem")
        val deadline = System.nanoTime() + 60_000_000_000L
        while (true) {
            val p = process!!
            if (!p.isAlive) fail("relay exited with ${p.exitValue()}:\n${logs()}")
            if (ca.exists()) {
                try {
                    http = client(ca.readText())
                    if (request("GET", "/healthz", null, auth = false).first == 200) break
                } catch (e: Exception) {
                    // Not listening yet, or the CA file is half written.
                }
            }
            if (System.nanoTime() > deadline) fail("relay not healthy within 60 s:\n${logs()}")
            Thread.sleep(100)
        }
        caPem = ca.readText()
    }

    fun stop() {
        process?.let {
            it.destroyForcibly()
            it.waitFor(30, TimeUnit.SECONDS)
        }
    }

    private fun logs(): String = if (log.exists()) log.readText().takeLast(4000) else ""

    /** An HTTP client that trusts only the relay's development CA. */
    private fun client(pem: String): HttpClient {
        val cert = CertificateFactory.getInstance("X.509").generateCertificate(ByteArrayInputStream(pem.toByteArray()))
        val store = KeyStore.getInstance(KeyStore.getDefaultType()).apply {
            load(null, null)
            setCertificateEntry("assent-relay-ca", cert)
        }
        val tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm()).apply { init(store) }
        val ssl = SSLContext.getInstance("TLS").apply { init(null, tmf.trustManagers, null) }
        return HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(10)).build()
    }

    fun request(method: String, path: String, body: Any?, auth: Boolean = true): Pair<Int, Map<String, Any?>> {
        val builder = HttpRequest.newBuilder(URI.create(origin + path)).timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
        if (auth) builder.header("Authorization", "Bearer $key")
        val publisher = if (body == null) HttpRequest.BodyPublishers.noBody() else HttpRequest.BodyPublishers.ofString(Json.write(body))
        val reply = http.send(builder.method(method, publisher).build(), HttpResponse.BodyHandlers.ofString())
        val text = reply.body()
        @Suppress("UNCHECKED_CAST")
        val json = if (text.isBlank()) emptyMap() else Json.parse(text) as? Map<String, Any?> ?: mapOf("value" to Json.parse(text))
        return reply.statusCode() to json
    }

    fun post(path: String, body: Map<String, Any?>) = request("POST", path, body)

    fun get(path: String) = request("GET", path, null)
}

private fun Map<String, Any?>.str(name: String): String =
    this[name] as? String ?: fail("no string \"$name\" in $this")

@Suppress("UNCHECKED_CAST")
private fun Map<String, Any?>.obj(name: String): Map<String, Any?> =
    this[name] as? Map<String, Any?> ?: fail("no object \"$name\" in $this")

/** Just enough JSON for the relay's answers (no library in the test classpath). */
object Json {
    fun write(v: Any?): String = when (v) {
        null -> "null"
        is String -> buildString {
            append('"')
            for (c in v) {
                when {
                    c == '"' -> append("\\\"")
                    c == '\\' -> append("\\\\")
                    c < ' ' -> append("\\u%04x".format(c.code))
                    else -> append(c)
                }
            }
            append('"')
        }
        is Number, is Boolean -> v.toString()
        is Map<*, *> -> v.entries.joinToString(",", "{", "}") { write(it.key.toString()) + ":" + write(it.value) }
        is List<*> -> v.joinToString(",", "[", "]") { write(it) }
        else -> error("cannot write $v as JSON")
    }

    fun parse(text: String): Any? {
        val p = Parser(text)
        val v = p.value()
        p.ws()
        check(p.i == text.length) { "trailing text in JSON: $text" }
        return v
    }

    private class Parser(val s: String) {
        var i = 0

        fun ws() {
            while (i < s.length && s[i].isWhitespace()) i++
        }

        fun value(): Any? {
            ws()
            return when (s[i]) {
                '{' -> obj()
                '[' -> arr()
                '"' -> string()
                't' -> { i += 4; true }
                'f' -> { i += 5; false }
                'n' -> { i += 4; null }
                else -> {
                    val start = i
                    while (i < s.length && (s[i].isDigit() || s[i] in "+-.eE")) i++
                    val n = s.substring(start, i)
                    n.toLongOrNull() ?: n.toDouble()
                }
            }
        }

        fun obj(): Map<String, Any?> {
            expect('{')
            val m = LinkedHashMap<String, Any?>()
            ws()
            if (s[i] == '}') { i++; return m }
            while (true) {
                ws()
                val k = string()
                ws(); expect(':')
                m[k] = value()
                ws()
                if (s[i++] == '}') return m
            }
        }

        fun arr(): List<Any?> {
            expect('[')
            val l = ArrayList<Any?>()
            ws()
            if (s[i] == ']') { i++; return l }
            while (true) {
                l.add(value())
                ws()
                if (s[i++] == ']') return l
            }
        }

        fun expect(c: Char) {
            check(s[i] == c) { "expected '$c' at $i in $s" }
            i++
        }

        fun string(): String {
            expect('"')
            val b = StringBuilder()
            while (s[i] != '"') {
                val c = s[i++]
                if (c != '\\') { b.append(c); continue }
                when (val e = s[i++]) {
                    'n' -> b.append('\n')
                    't' -> b.append('\t')
                    'r' -> b.append('\r')
                    'b' -> b.append('\b')
                    'f' -> b.append('\u000c')
                    'u' -> { b.append(s.substring(i, i + 4).toInt(16).toChar()); i += 4 }
                    else -> b.append(e)
                }
            }
            i++
            return b.toString()
        }
    }
}
