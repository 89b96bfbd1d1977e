// JVM tests of the generated Kotlin bindings against the real libegov_mobile: what the Android app calls
// offline. Run by tests/run.sh (suite 4) through the main() in Check.kt.
import uniffi.egov_mobile.*
import java.io.File

/** The offline functions: what the app calls without the network. */
fun coreTests(calendars: String) {

    check("an IIN with a correct check digit is valid and a changed digit is not") {
        require(isValidIin("871008401427"))
        require(!isValidIin("871008401428"))
    }
    check("spaced national phone input normalises to E.164") {
        require(normalizePhone("8 701 000 00 01") == "+77010000001")
    }
    check("a landline arrives as a typed MobileException.InvalidInput") {
        val e = expectThrows<MobileException.InvalidInput> { normalizePhone("+7 717 212 34 56") }
        require(e.reason.contains("mobile"), { e.reason })
    }
    check("scanned codes are told apart and look-alike domains are not ours") {
        val base = "https://egov.kz"
        require(parseScanned("https://egov.kz/s/tok_1", base) == ScannedCode.Share("tok_1"))
        require(parseScanned("https://egov.kz/ql/sec", base) == ScannedCode.WebLogin("sec"))
        require(parseScanned("https://egov.kz/qs/42", base) == ScannedCode.SignRequest("42"))
        require(parseScanned("https://egov.kz.evil.example/s/tok_1", base) == ScannedCode.NotOurs)
    }
    check("a QR matrix is square with the finder patterns dark") {
        val m = qrMatrix("https://egov.kz/s/AAAAAAAAAAAAAAAAAAAAAAAA")
        require(m.size >= 21 && m.all { it.size == m.size })
        require(m[0][0] && m[0][m.size - 1] && m[m.size - 1][0])
        require(qrSvg("https://egov.kz/s/x").contains("<svg"))
    }
    check("a forged signed copy arrives as a typed MobileException.InvalidSignature") {
        expectThrows<MobileException.InvalidSignature> { verifyDocumentCopy("a.b.c", """{"keys": []}""") }
    }
    check("a malformed key set is InvalidInput, not a crash") {
        expectThrows<MobileException.InvalidInput> { verifyReceipt("a.b.c", "not json") }
    }
    check("the share countdown and its 30-minute ceiling") {
        require(shareSecondsLeft(1_300, 1_000) == 300L)
        require(shareSecondsLeft(1_000, 2_000) == 0L)
        require(shareMaxExpiry(1_000) == 2_800L)
    }
    check("the fine discount of the egov.kz example ends on 10 August 2022") {
        val years = "[" + File(calendars, "kz-2022.json").readText() + "]"
        val d = fineDiscount("officer", "2022-08-01", null, null, 1_297_500, years, 1_659_679_200)
        require(d.lastDay == "2022-08-10", { d.toString() })
        require(d.amountTiyn == 648_750L && d.dueNowTiyn == 648_750L, { d.toString() })
    }

}
