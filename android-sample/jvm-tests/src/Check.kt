// The smallest test harness that does the job on a bare JVM: named checks, typed-exception assertions,
// and a count the test script reads ("N passed, N failed").
private var passed = 0
private var failed = 0

fun check(name: String, block: () -> Unit) {
    try {
        block()
        println("ok - $name")
        passed++
    } catch (e: Throwable) {
        println("not ok - $name: $e")
        e.stackTrace.take(4).forEach { println("    at $it") }
        failed++
    }
}

inline fun <reified T : Throwable> expectThrows(block: () -> Unit): T {
    try {
        block()
    } catch (e: Throwable) {
        if (e is T) return e
        throw AssertionError("expected ${T::class.simpleName}, got $e")
    }
    throw AssertionError("expected ${T::class.simpleName}, nothing was thrown")
}

fun main() {
    val calendars = System.getenv("EGOV_CALENDAR_DIR") ?: error("EGOV_CALENDAR_DIR is not set")
    val server = System.getenv("EGOV_URL") ?: error("EGOV_URL (a running dev server) is not set")
    coreTests(calendars)
    clientTests(server)
    println("$passed passed, $failed failed")
    if (failed > 0 || passed == 0) kotlin.system.exitProcess(1)
}
