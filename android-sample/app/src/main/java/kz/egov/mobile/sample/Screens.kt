package kz.egov.mobile.sample

import android.graphics.BitmapFactory
import androidx.compose.foundation.Canvas
import androidx.compose.foundation.Image
import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableLongStateOf
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.geometry.Offset
import androidx.compose.ui.geometry.Size
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.graphics.asImageBitmap
import androidx.compose.ui.unit.dp
import java.time.Instant
import java.util.Locale
import java.util.UUID
import kotlinx.coroutines.delay
import uniffi.egov_api.*
import uniffi.egov_mobile.*

private val lang: String get() = Locale.getDefault().language.takeIf { it in setOf("kk", "ru", "en") } ?: "kk"

private fun tenge(m: Money) = "%,.2f ₸".format(m.tiyn / 100.0)

// ----- sign-in -----

@Composable
fun LoginScreen(model: AppModel) {
    var phone by remember { mutableStateOf("") }
    var flow by remember { mutableStateOf<OtpFlow?>(null) }
    var code by remember { mutableStateOf("") }
    Column(Modifier.padding(24.dp), verticalArrangement = Arrangement.spacedBy(12.dp)) {
        Text("Sign in to eGov Mobile")
        val deviceId = model.deviceId
        val iin = model.iin
        if (deviceId != null && iin != null) {
            Button({ model.io({ signInWithKey(iin, deviceId, model.signer) }) }, Modifier.fillMaxWidth()) {
                Text("Sign in with this phone's key")
            }
            HorizontalDivider()
        }
        OutlinedTextField(phone, { phone = it }, label = { Text("Phone (+7 7xx ...)") }, modifier = Modifier.fillMaxWidth())
        val current = flow
        if (current == null) {
            Button({ model.io({ startOtp(phone) }) { flow = it } }) { Text("Send code") }
        } else {
            OutlinedTextField(code, { code = it }, label = { Text("Code from the SMS") })
            Button({ model.io({ verifyOtp(current.flowId, code) }) { model.io({ me() }) { me -> model.rememberIdentity(me.person.iin, null) } } }) {
                Text("Sign in")
            }
            ResendButton(current) { model.io({ startOtp(phone) }) { flow = it } }
        }
    }
}

@Composable
private fun ResendButton(flow: OtpFlow, resend: () -> Unit) {
    var left by remember(flow) { mutableLongStateOf(flow.resendAfter) }
    LaunchedEffect(flow) { while (left > 0) { delay(1000); left-- } }
    OutlinedButton(resend, enabled = left == 0L) { Text(if (left > 0) "Send again in $left s" else "Send again") }
}

/**
 * Enrols the Keystore key with the approval of the citizen's already enrolled phone: this screen shows the
 * pairing code, the other phone (signed in with its key) types it. Until then the key signs nothing.
 */
@Composable
private fun EnrolKey(model: AppModel) {
    var code by remember { mutableStateOf<String?>(null) }
    Card(Modifier.fillMaxWidth().padding(8.dp)) {
        Column(Modifier.padding(12.dp)) {
            Text("Sign in with this phone's key next time (needed for signing and phone changes).")
            Button({
                model.signer.create()
                model.io({ requestDeviceApproval(model.signer, android.os.Build.MODEL) }) { approval ->
                    code = approval.pairingCode
                    model.io({ me() }) { me -> model.rememberIdentity(me.person.iin, approval.deviceId) }
                }
            }) { Text("Ask my enrolled phone to approve this one") }
            code?.let { Text("On your enrolled phone, approve this device with the code $it") }
        }
    }
}

// ----- documents -----

@Composable
fun DocumentsScreen(model: AppModel, open: (String) -> Unit) {
    var list by remember { mutableStateOf<DocumentList?>(null) }
    LaunchedEffect(Unit) { model.io({ documents(lang) }) { list = it } }
    LazyColumn {
        if (model.deviceId == null) item { EnrolKey(model) }
        item {
            OutlinedButton({ model.io({ refreshDocuments() }) { model.io({ documents(lang) }) { list = it } } }) {
                Text("Refresh from the agencies")
            }
        }
        list?.sources?.filter { it.unavailableSince != null }?.forEach { s ->
            item { Text("${s.source} is not answering: its documents are shown as last confirmed.", color = Color.Gray) }
        }
        items(list?.documents.orEmpty()) { d ->
            Card(Modifier.fillMaxWidth().padding(8.dp).clickable { open(d.id) }) {
                Column(Modifier.padding(12.dp)) {
                    Text(d.title)
                    Text("${d.number} · ${d.status}", color = if (d.status == DocumentStatus.VALID) Color.Unspecified else Color.Red)
                }
            }
        }
    }
}

@Composable
fun DocumentScreen(model: AppModel, id: String, shared: (String) -> Unit) {
    var doc by remember { mutableStateOf<DocumentDetail?>(null) }
    var photo by remember { mutableStateOf<ByteArray?>(null) }
    LaunchedEffect(id) {
        model.io({ document(id, lang) }) { doc = it }
        model.io({ documentPhoto(id) }) { photo = it }
    }
    val d = doc ?: return
    LazyColumn(Modifier.padding(12.dp)) {
        item {
            photo?.let { BitmapFactory.decodeByteArray(it, 0, it.size) }?.let {
                Image(it.asImageBitmap(), contentDescription = "Photo", modifier = Modifier.size(120.dp, 160.dp))
            }
            Text(d.summary.title)
            Text("${d.holder.surname} ${d.holder.givenName} ${d.holder.patronymic.orEmpty()}")
            Text("Confirmed by ${d.summary.sourceName} at ${d.summary.checkedAt}", color = Color.Gray)
        }
        items(d.labels.entries.toList()) { (field, label) -> Text("$label: ${fieldValue(d.fields, field)}") }
        if (d.summary.status == DocumentStatus.VALID) item {
            Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                listOf(Preset.FULL to "Open access", Preset.AGE_OVER18 to "Age only").forEach { (preset, label) ->
                    Button({ model.io({ shareDocument(id, null, preset) }) { shared(it.shareId) } }) { Text(label) }
                }
            }
        }
    }
}

/** A field's value as text (multilingual values show the app's language). */
private fun fieldValue(fieldsJson: String, field: String): String {
    val obj = org.json.JSONObject(fieldsJson)
    return when (val v = obj.opt(field)) {
        is org.json.JSONObject -> v.optString(lang, v.optString("ru"))
        null -> ""
        else -> v.toString()
    }
}

// ----- open access -----

@Composable
fun ShareScreen(model: AppModel, shareId: String) {
    var share by remember { mutableStateOf<DocumentShare?>(null) }
    var now by remember { mutableLongStateOf(Instant.now().epochSecond) }
    LaunchedEffect(shareId) {
        while (true) {
            model.io({ share(shareId) }) { share = it } // shows "viewed by" as soon as it is used
            repeat(3) { delay(1000); now = Instant.now().epochSecond }
        }
    }
    val s = share ?: return
    Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(12.dp)) {
        when (s.state) {
            ShareState.ACTIVE -> {
                QrImage(s.qrUrl)
                Text("Code: ${s.shortCode}")
                val left = shareSecondsLeft(s.expiresAt.epochSecond, now)
                Text("Valid for %d:%02d".format(left / 60, left % 60))
                val ceiling = shareMaxExpiry(s.createdAt.epochSecond)
                Button({ model.io({ extendShare(shareId, 300) }) { share = it.share } }, enabled = s.expiresAt.epochSecond < ceiling) {
                    Text("Extend by 5 minutes")
                }
                OutlinedButton({ model.io({ revokeShare(shareId) }) { model.io({ share(shareId) }) { share = it } } }) { Text("Cancel") }
            }
            ShareState.USED -> Text("Viewed by ${s.viewedBy} at ${s.viewedAt}")
            else -> Text("This code is ${s.state}.")
        }
    }
}

@Composable
fun QrImage(text: String) {
    val matrix = remember(text) { qrMatrix(text) }
    Canvas(Modifier.size(260.dp)) {
        val quiet = 4
        val cell = size.width / (matrix.size + 2 * quiet)
        drawRect(Color.White)
        matrix.forEachIndexed { y, row ->
            row.forEachIndexed { x, dark ->
                if (dark) drawRect(Color.Black, Offset((x + quiet) * cell, (y + quiet) * cell), Size(cell, cell))
            }
        }
    }
}

/** A citizen checking someone else's document (a landlord, a shop checking age). */
@Composable
fun VerifyScreen(model: AppModel, url: String) {
    var copy by remember { mutableStateOf<RedeemedCopy?>(null) }
    var verified by remember { mutableStateOf<String?>(null) }
    LaunchedEffect(url) {
        model.io({ Pair(redeemQr(url), jwks()) }) { (c, jwks) ->
            copy = c
            verified = try { verifyDocumentCopy(c.copy, jwks).payloadJson } catch (e: MobileException) { null }
        }
    }
    Column(Modifier.padding(16.dp)) {
        val c = copy
        if (c == null) {
            Text("Checking…")
        } else {
            val genuine = verified != null
            Text(
                if (genuine) "Signed by eGov: genuine" else "The signature does NOT verify",
                color = if (genuine) Color(0xFF1B5E20) else Color.Red,
            )
            Text(c.document)
        }
    }
}

// ----- website login and signing -----

@Composable
fun WebLoginScreen(model: AppModel, url: String, done: () -> Unit) {
    var prompt by remember { mutableStateOf<WebLoginPrompt?>(null) }
    LaunchedEffect(url) { model.io({ scanWebLogin(url) }) { prompt = it } }
    val p = prompt ?: return
    Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(12.dp)) {
        Text("Sign in to ${p.site}?")
        Text("${p.browser} on ${p.os}${p.city?.let { ", $it" } ?: ""}")
        var typed by remember { mutableStateOf("") }
        Text("Type the two digits shown on the website:")
        OutlinedTextField(typed, { typed = it.filter(Char::isDigit).take(2) }, label = { Text("Code") })
        Row(horizontalArrangement = Arrangement.spacedBy(12.dp)) {
            Button({ model.io({ approveWebLogin(p.requestId, typed) }) { done() } }, enabled = typed.length == 2) {
                Text("Sign in")
            }
            Button({ model.io({ denyWebLogin(p.requestId) }) { done() } }) { Text("It wasn't me") }
        }
    }
}

@Composable
fun SignScreen(model: AppModel, id: String, done: () -> Unit) {
    var request by remember { mutableStateOf<SignRequest?>(null) }
    LaunchedEffect(id) { model.io({ signRequest(id) }) { request = it } }
    val r = request ?: return
    val deviceId = model.deviceId
    Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(12.dp)) {
        Text("${r.organisation} asks you to sign:")
        Text(r.description[lang] ?: r.description["ru"].orEmpty())
        Text("SHA-256 ${r.digest}", color = Color.Gray)
        if (deviceId == null) Text("Create this phone's key first (Documents tab).")
        else Button({ model.io({ signWebsiteRequest(id, deviceId, model.signer) }) { done() } }) { Text("Sign") }
    }
}

// ----- fines -----

@Composable
fun FinesScreen(model: AppModel) {
    var fines by remember { mutableStateOf<List<Fine>>(emptyList()) }
    // One idempotency key per fine for as long as its payment is retried.
    val keys = remember { mutableMapOf<String, String>() }
    LaunchedEffect(Unit) { model.io({ fines(null) }) { fines = it } }
    LazyColumn {
        items(fines) { f ->
            Card(Modifier.fillMaxWidth().padding(8.dp)) {
                Column(Modifier.padding(12.dp)) {
                    Text("${f.description} · ${f.vehiclePlate.orEmpty()}")
                    Text("Protocol ${f.protocolNumber}, ${f.noticeDate}")
                    if (f.status == FineStatus.PAID) Text("Paid", color = Color(0xFF1B5E20))
                    else {
                        Text("Due now: ${tenge(f.amountDue)}" + if (f.amountDue != f.amount) " (was ${tenge(f.amount)})" else "")
                        if (f.discount.eligible) Text(
                            f.discount.lastDay?.let { "50% discount until $it inclusive" } ?: "50% discount starts when the notice is delivered",
                        )
                        if (f.overdue) Text("Overdue: driving-licence services are closed until it is paid", color = Color.Red)
                        Button({
                            val key = keys.getOrPut(f.id) { UUID.randomUUID().toString() }
                            // The card token comes from the acquirer's SDK; tok_ok is the dev acquirer's test card.
                            model.io({ payFine(f.id, PaymentMethod.Card("tok_ok"), key) }) { result ->
                                if (result.status == PaymentStatus.PAID) keys.remove(f.id)
                                model.io({ fines(null) }) { fines = it }
                            }
                        }) { Text("Pay ${tenge(f.amountDue)}") }
                    }
                }
            }
        }
    }
}

// ----- history -----

@Composable
fun HistoryScreen(model: AppModel) {
    var history by remember { mutableStateOf<List<HistoryEntry>>(emptyList()) }
    var notes by remember { mutableStateOf<List<Notification>>(emptyList()) }
    LaunchedEffect(Unit) {
        model.io({ notifications(50u) }) { notes = it }
        model.io({ history(100u) }) { history = it }
    }
    LazyColumn(Modifier.padding(8.dp)) {
        item { Text("Notifications") }
        items(notes) { n -> Text("${n.at} · ${n.kind}") }
        item { HorizontalDivider(); Text("History") }
        items(history) { h -> Text("${h.at} · ${h.kind}") }
        item { OutlinedButton({ model.logout() }) { Text("Sign out") } }
    }
}
