// JVM tests of EgovClient (the generated Kotlin bindings over the real libegov_mobile) against a live dev
// server with the demo data: the journeys of the Android app, end to end over real HTTP. The "website"
// side (a browser's login or signing request) and the dev SMS outbox are plain java.net.http calls.
import uniffi.egov_api.*
import uniffi.egov_mobile.*
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.security.KeyPairGenerator
import java.security.PrivateKey
import java.security.PublicKey
import java.security.Signature
import java.security.spec.ECGenParameterSpec
import java.util.UUID

private const val CITIZEN_PHONE = "+77010000001"
private const val CITIZEN_IIN = "871008401427"
/** What the app sends as identity evidence (its liveness session); the dev server's demo verifier accepts any. */
private const val EVIDENCE = "demo-liveness-session"
/** How long a key enrolled by identity re-proofing waits before it signs (the server's default hold). */
private const val DEVICE_HOLD_SECONDS = 24 * 3600
private const val SECOND_PHONE = "+77010000002"
private const val UNREGISTERED_IIN = "850202301111"
private const val UNREGISTERED_BIRTH = "1985-02-02"

/** What Android Keystore does: a P-256 key, SHA256withECDSA signatures in DER, the key as SPKI DER. */
class JavaSecuritySigner : PlatformSigner {
    private val pair = KeyPairGenerator.getInstance("EC").apply { initialize(ECGenParameterSpec("secp256r1")) }
        .generateKeyPair()
    private val privateKey: PrivateKey = pair.private
    private val publicKey: PublicKey = pair.public

    override fun publicKey(): ByteArray = publicKey.encoded

    override fun sign(message: ByteArray): ByteArray =
        Signature.getInstance("SHA256withECDSA").run {
            initSign(privateKey)
            update(message)
            sign()
        }
}

/** A signer whose user cancelled the biometric prompt. */
class CancelledSigner(private val inner: PlatformSigner) : PlatformSigner {
    override fun publicKey(): ByteArray = inner.publicKey()
    override fun sign(message: ByteArray): ByteArray = throw MobileException.Signer("the user cancelled")
}

/** A signer with a bug: it throws something that is not a MobileException. */
class BrokenSigner : PlatformSigner {
    override fun publicKey(): ByteArray = throw IllegalStateException("keystore unavailable")
    override fun sign(message: ByteArray): ByteArray = throw IllegalStateException("keystore unavailable")
}

private val http: HttpClient = HttpClient.newHttpClient()

private fun field(json: String, key: String): String? =
    Regex("\"$key\"\\s*:\\s*(\"((?:[^\"\\\\]|\\\\.)*)\"|(-?\\d+))").find(json)?.let {
        it.groups[2]?.value ?: it.groups[3]?.value
    }

/** The SMS messages the dev server "sent" to a phone, newest first: (id, status, text). */
private fun outbox(base: String, phone: String): List<Triple<String, String, String>> {
    val url = "$base/dev/sms-outbox?phone=" + java.net.URLEncoder.encode(phone, "UTF-8")
    val body = http.send(HttpRequest.newBuilder(URI(url)).build(), HttpResponse.BodyHandlers.ofString()).body()
    return Regex("\\{[^{}]*\\}").findAll(body).map { m ->
        Triple(field(m.value, "id") ?: "", field(m.value, "status") ?: "", field(m.value, "text") ?: "")
    }.toList()
}

/** Moves the dev server's clock forward (the tests reuse phones faster than the resend cooldown allows). */
private fun advanceClock(base: String, seconds: Int) {
    val request = HttpRequest.newBuilder(URI("$base/dev/clock/advance"))
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("""{"seconds":$seconds}""")).build()
    require(http.send(request, HttpResponse.BodyHandlers.ofString()).statusCode() == 200)
}

/** Runs `start` past the resend cooldown, then waits for the new SMS it caused and returns its digits. */
private fun <T> withCode(base: String, phone: String, start: () -> T): Pair<T, String> {
    advanceClock(base, 61)
    val seen = outbox(base, phone).map { it.first }.toSet()
    val started = start()
    repeat(100) {
        val fresh = outbox(base, phone).firstOrNull { it.first !in seen && it.second == "delivered" }
        if (fresh != null) {
            val code = Regex("\\d{6}").find(fresh.third)?.value ?: error("no code in the SMS")
            return started to code
        }
        Thread.sleep(50)
    }
    error("no SMS to $phone within 5 s")
}

internal fun signedIn(base: String, phone: String = CITIZEN_PHONE): EgovClient {
    val client = EgovClient(base)
    val (flow, code) = withCode(base, phone) { client.startOtp(phone) }
    client.verifyOtp(flow.flowId, code)
    return client
}

/** A call of this service's own web pages (same origin as the public URL), as the browser makes it. */
private fun website(base: String, path: String, body: String): Pair<String, String> {
    val request = HttpRequest.newBuilder(URI(base + path))
        .header("content-type", "application/json")
        .header("origin", base)
        .header("user-agent", "Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0 Safari/537.36")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build()
    val r = http.send(request, HttpResponse.BodyHandlers.ofString())
    require(r.statusCode() == 201) { "website $path: ${r.statusCode()} ${r.body()}" }
    return r.body() to (r.headers().firstValue("x-poll-secret").orElse(""))
}

internal fun nationalId(client: EgovClient): DocumentSummary =
    client.documents("en").documents.first { it.kind == "national_id" }

fun clientTests(base: String) {
    check("OTP sign-in opens a limited session for the right citizen") {
        val client = EgovClient(base)
        val (flow, code) = withCode(base, CITIZEN_PHONE) { client.startOtp("8 701 000 00 01") }
        require(flow.expiresIn == 300L && flow.resendAfter == 60L) { flow.toString() }
        val session = client.verifyOtp(flow.flowId, code)
        require(session.acr == Acr.OTP) { session.toString() }
        val me = client.me()
        require(me.person.iin == CITIZEN_IIN && me.phone == CITIZEN_PHONE && me.citizenId != CITIZEN_IIN) { me.toString() }
    }

    check("a wrong SMS code is MobileException.Unauthorized naming otp-wrong") {
        val client = EgovClient(base)
        val (flow, code) = withCode(base, SECOND_PHONE) { client.startOtp(SECOND_PHONE) }
        val wrong = if (code == "000000") "111111" else "000000"
        val e = expectThrows<MobileException.Unauthorized> { client.verifyOtp(flow.flowId, wrong) }
        require(e.problem == "otp-wrong") { e.toString() }
        require(client.exportSession() == null)
    }

    check("bad input is refused by the server as InvalidInput, and no server is a Network error") {
        expectThrows<MobileException.InvalidInput> { EgovClient(base).startOtp("+7 717 212 34 56") }
        expectThrows<MobileException.Network> { EgovClient("http://127.0.0.1:9").startOtp(CITIZEN_PHONE) }
        expectThrows<MobileException.Unauthorized> { EgovClient(base).documents("en") }
    }

    val citizen = signedIn(base)

    check("documents: the list in English, a detail with labelled fields, and its JPEG photo") {
        val list = citizen.documents("en")
        require(list.documents.size >= 10) { "only ${list.documents.size} documents" }
        require(list.sources.isNotEmpty())
        val id = nationalId(citizen)
        require(id.titles["en"] == id.title && id.titles.keys == setOf("kk", "ru", "en")) { id.toString() }
        val detail = citizen.document(id.id, "ru")
        require(detail.holder.iin == CITIZEN_IIN && detail.labels.isNotEmpty()) { detail.labels.toString() }
        require(detail.fields.startsWith("{") && detail.summary.status == DocumentStatus.VALID) { detail.fields }
        val photo = citizen.documentPhoto(id.id)
        require(photo.size > 100 && photo[0] == 0xFF.toByte() && photo[1] == 0xD8.toByte()) { "not a JPEG" }
        expectThrows<MobileException.NotFound> { citizen.document("no-such-document", "en") }
        expectThrows<MobileException.NotFound> { citizen.document("../me", "en") }
    }

    check("share a document, redeem it once as demo-verifier and verify the copy offline") {
        val share = citizen.shareDocument(nationalId(citizen).id, null, Preset.IDENTITY)
        require(share.state == ShareState.ACTIVE && share.shortCode.count { it.isDigit() } == 12) { share.toString() }
        require(parseScanned(share.qrUrl, citizen.baseUrl()) is ScannedCode.Share) { share.qrUrl }
        require(shareSecondsLeft(share.expiresAt.epochSecond, share.createdAt.epochSecond) == 300L)
        require(share.secondsLeft in 290L..300L) { "seconds left ${share.secondsLeft}" }

        val verifier = EgovClient(base)
        verifier.signInOrganisation("demo-verifier", "demo-verifier-secret")
        val redeemed = verifier.redeemQr(share.qrUrl)
        require(redeemed.shareId == share.shareId)
        val verified = verifyDocumentCopy(redeemed.copy, verifier.jwks())
        require(verified.payloadJson.contains(share.shareId) && verified.payloadJson.contains(CITIZEN_IIN)) {
            verified.payloadJson
        }
        val again = expectThrows<MobileException.Gone> { verifier.redeemQr(share.qrUrl) }
        require(again.problem == "share-used") { again.toString() }
        val seen = citizen.share(share.shareId)
        require(seen.state == ShareState.USED && seen.viewedBy != null && seen.viewedAt != null) { seen.toString() }
        require(verifier.copyStatus(share.shareId).documentStatus == DocumentStatus.VALID)
        require(citizen.history(20u).any { it.detail.contains(share.shareId) }) { "the view is not in the history" }
    }

    check("a share redeemed by its short code; a tampered copy fails offline verification") {
        val share = citizen.shareDocument(nationalId(citizen).id, 120, null)
        val verifier = EgovClient(base)
        verifier.signInOrganisation("demo-verifier", "demo-verifier-secret")
        val typed = share.shortCode.filter { it.isDigit() }.chunked(3).joinToString("-")
        val copy = verifier.redeemShortCode(typed).copy
        val parts = copy.split(".")
        val forged = parts[0] + "." + parts[1].reversed() + "." + parts[2]
        expectThrows<MobileException.InvalidSignature> { verifyDocumentCopy(forged, verifier.jwks()) }
    }

    check("extending a share stops at 30 minutes after creation and says so") {
        val share = citizen.shareDocument(nationalId(citizen).id, null, null)
        val extended = citizen.extendShare(share.shareId, 1800)
        require(extended.capped && extended.share.expiresAt == extended.share.maxExpiresAt) { extended.toString() }
        require(shareMaxExpiry(share.createdAt.epochSecond) == share.maxExpiresAt.epochSecond)
        citizen.revokeShare(share.shareId)
        expectThrows<MobileException.Gone> { citizen.extendShare(share.shareId, 60) }
    }

    check("approve a website login: scan, type the browser's digits, the browser gets its code") {
        val (created, poll) = website(base, "/v1/web-login/requests", "{}")
        val requestId = field(created, "request_id")!!
        val qrUrl = field(created, "qr_url")!!
        val checkCode = field(created, "check_code")!!
        require(parseScanned(qrUrl, base) is ScannedCode.WebLogin) { qrUrl }
        val prompt = citizen.scanWebLogin(qrUrl)
        require(prompt.requestId == requestId && prompt.site == "egov.kz") { prompt.toString() }
        require(prompt.browser.contains("Chrome")) { prompt.browser }
        expectThrows<MobileException.InvalidInput> { citizen.approveWebLogin(requestId, "7") }
        citizen.approveWebLogin(requestId, checkCode)
        val state = http.send(
            HttpRequest.newBuilder(URI("$base/v1/web-login/requests/$requestId/events?wait=1"))
                .header("x-poll-secret", poll).build(),
            HttpResponse.BodyHandlers.ofString(),
        ).body()
        require(field(state, "status") == "approved" && field(state, "login_code") != null) { state }
        val second = expectThrows<MobileException> { citizen.scanWebLogin(qrUrl) }
        require(second is MobileException.Conflict || second is MobileException.Gone) { second.toString() }
    }

    check("a limited session asked for a signature-only action gets EdsRequired") {
        expectThrows<MobileException.EdsRequired> { citizen.startPhoneChange("+77019998877") }
    }

    check("fines: list with the discount, pay by card, the receipt verifies offline, retries are idempotent") {
        val unpaid = citizen.fines(FineStatus.UNPAID)
        val fine = unpaid.first { it.protocolNumber == "DEMO-000001" }
        require(fine.discount.eligible && fine.amountDue.tiyn * 2 == fine.amount.tiyn) { fine.toString() }
        require(fine.discount.lastDay != null && fine.amountDue.currency == Currency.KZT) { fine.toString() }
        val key = UUID.randomUUID().toString()
        val paid = citizen.payFine(fine.id, PaymentMethod.Card("tok_ok"), key)
        require(paid.status == PaymentStatus.PAID && paid.receipt != null) { paid.toString() }
        val receipt = paid.receipt!!
        require(receipt.fineId == fine.id && receipt.amount.tiyn == fine.amountDue.tiyn) { receipt.toString() }
        val verified = verifyReceipt(receipt.jws, citizen.jwks())
        require(verified.payloadJson.contains(fine.protocolNumber)) { verified.payloadJson }
        val retried = citizen.payFine(fine.id, PaymentMethod.Card("tok_ok"), key)
        require(retried.status == PaymentStatus.PAID && retried.paymentId == paid.paymentId) { retried.toString() }
        require(citizen.fine(fine.id).status == FineStatus.PAID)
        require(citizen.receipts().any { it.id == receipt.id })
    }

    check("a declined card is PaymentDeclined with the acquirer's code, and nothing is charged") {
        val fine = citizen.fines(FineStatus.UNPAID).first { it.protocolNumber == "DEMO-000002" }
        val e = expectThrows<MobileException.PaymentDeclined> {
            citizen.payFine(fine.id, PaymentMethod.Card("tok_51"), UUID.randomUUID().toString())
        }
        require(e.declineCode == "51") { e.toString() }
        require(citizen.fine(fine.id).status == FineStatus.UNPAID)
    }

    check("a java.security SHA256withECDSA signer enrols the device, signs in by key after the hold and signs a website request") {
        val signer = JavaSecuritySigner()
        val deviceId = citizen.enrolDevice(EVIDENCE, signer, "JVM test phone")
        val early = expectThrows<MobileException.Unauthorized> { EgovClient(base).signInWithKey(CITIZEN_IIN, deviceId, signer) }
        require(early.problem == "eds-invalid") { "a re-proofed key signs nothing during its hold: $early" }
        advanceClock(base, DEVICE_HOLD_SECONDS + 1)
        val phone = EgovClient(base)
        val session = phone.signInWithKey(CITIZEN_IIN, deviceId, signer)
        require(session.acr == Acr.EDS) { session.toString() }
        require(phone.me().acr == Acr.EDS)

        val digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
        val (created, _) = website(base, "/v1/sign-requests",
            """{"digest":"$digest","description":{"kk":"Шарт","ru":"Договор","en":"Contract"}}""")
        val requestId = field(created, "request_id")!!
        require(phone.signRequest(requestId).description["en"] == "Contract")
        expectThrows<MobileException.EdsRequired> { citizen.signWebsiteRequest(requestId, deviceId, signer) }
        val signed = phone.signWebsiteRequest(requestId, deviceId, signer)
        require(signed.status == SignStatus.SIGNED && signed.signature != null) { signed.toString() }
    }

    check("a signer that fails arrives as MobileException.Signer, whatever it throws") {
        val signer = JavaSecuritySigner()
        val deviceId = citizen.enrolDevice(EVIDENCE, signer, "JVM test phone 2")
        val cancelled = expectThrows<MobileException.Signer> {
            EgovClient(base).signInWithKey(CITIZEN_IIN, deviceId, CancelledSigner(signer))
        }
        require(cancelled.reason.contains("cancelled")) { cancelled.toString() }
        expectThrows<MobileException.Signer> { citizen.enrolDevice(EVIDENCE, BrokenSigner(), "broken") }
        val wrongKey = expectThrows<MobileException.Unauthorized> {
            EgovClient(base).signInWithKey(CITIZEN_IIN, deviceId, JavaSecuritySigner())
        }
        require(wrongKey.problem.startsWith("eds")) { wrongKey.toString() }
    }

    check("registration by SMS, registry check and the Rust software signer, then a key sign-in") {
        val phone = "+77019990123"
        val client = EgovClient(base)
        val (flow, code) = withCode(base, phone) { client.startRegistration(phone) }
        val mismatch = expectThrows<MobileException.InvalidInput> {
            client.verifyRegistration(flow.flowId, code, UNREGISTERED_IIN, "1999-01-01", EVIDENCE)
        }
        require(mismatch.reason.isNotEmpty())
        val enrolment = client.verifyRegistration(flow.flowId, code, UNREGISTERED_IIN, UNREGISTERED_BIRTH, EVIDENCE)
        val signer = softwareSigner()
        val deviceId = client.completeRegistration(enrolment, signer, "Emulator")
        require(client.me().person.iin == UNREGISTERED_IIN && client.me().phone == phone)
        val again = EgovClient(base)
        require(again.signInWithKey(UNREGISTERED_IIN, deviceId, signer).acr == Acr.EDS)
    }

    check("a kept session survives a restart, refresh rotates it, logout ends it") {
        val kept = citizen.exportSession() ?: error("no session to keep")
        val restarted = EgovClient(base)
        restarted.restoreSession(kept)
        require(restarted.me().person.iin == CITIZEN_IIN)
        restarted.refresh()
        val rotated = restarted.exportSession()!!
        require(rotated.refreshToken != kept.refreshToken && rotated.sessionId == kept.sessionId)
        restarted.logout()
        require(restarted.exportSession() == null)
        val ended = expectThrows<MobileException.Unauthorized> { citizen.me() }
        require(ended.problem == "session-ended" || ended.problem == "refresh-replayed") { ended.toString() }
    }
}
