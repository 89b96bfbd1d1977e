// The call overhead of the bindings from the JVM: one core call (verify a signed document copy, the
// heaviest thing the app does offline) and one trivial call (IIN check), timed one call at a time after
// a warm-up. A real copy comes from a live dev server; it and the key set are written out for the
// native Rust baseline (bench-mobile) that times the same facade functions without the FFI.
// Run by `bash tests/bench.sh mobile`.
import uniffi.egov_mobile.*
import java.io.File

private fun measure(name: String, n: Int, block: () -> Unit) {
    repeat(n / 4) { block() }
    val times = LongArray(n)
    val started = System.nanoTime()
    for (i in 0 until n) {
        val t = System.nanoTime()
        block()
        times[i] = System.nanoTime() - t
    }
    val total = System.nanoTime() - started
    times.sort()
    val p = { q: Double -> times[((n - 1) * q).toInt()] }
    println("KOTLIN $name n=$n mean_ns=${total / n} p50_ns=${p(0.5)} p99_ns=${p(0.99)}")
}

fun main() {
    val base = System.getenv("EGOV_URL") ?: error("EGOV_URL is not set")
    val out = File(System.getenv("EGOV_BENCH_OUT") ?: error("EGOV_BENCH_OUT is not set"))
    val citizen = signedIn(base)
    val share = citizen.shareDocument(nationalId(citizen).id, null, null)
    val verifier = EgovClient(base)
    verifier.signInOrganisation("demo-verifier", "demo-verifier-secret")
    val copy = verifier.redeemQr(share.qrUrl).copy
    val jwks = verifier.jwks()
    File(out, "copy.jws").writeText(copy)
    File(out, "jwks.json").writeText(jwks)
    println("copy: ${copy.length} bytes (photo included), key set: ${jwks.length} bytes")
    measure("verifyDocumentCopy", 20_000) { verifyDocumentCopy(copy, jwks) }
    measure("isValidIin", 200_000) { isValidIin("871008401427") }
}
