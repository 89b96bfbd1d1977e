package kz.egov.mobile.sample

import android.app.Application
import android.content.SharedPreferences
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.setValue
import androidx.lifecycle.AndroidViewModel
import androidx.lifecycle.viewModelScope
import androidx.security.crypto.EncryptedSharedPreferences
import androidx.security.crypto.MasterKey
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import uniffi.egov_api.Acr
import uniffi.egov_api.SessionTokens
import uniffi.egov_mobile.EgovClient
import uniffi.egov_mobile.MobileException

/**
 * The app's state: one EgovClient (blocking: every call runs on Dispatchers.IO), the session's tokens
 * kept in encrypted preferences across restarts, the device id of the Keystore key, and the last error
 * as a sentence for the citizen.
 */
class AppModel(app: Application) : AndroidViewModel(app) {
    val client = EgovClient(BuildConfig.EGOV_BASE_URL)
    val signer = KeystoreSigner(app)
    private val prefs: SharedPreferences = EncryptedSharedPreferences.create(
        app, "egov-session",
        MasterKey.Builder(app).setKeyScheme(MasterKey.KeyScheme.AES256_GCM).build(),
        EncryptedSharedPreferences.PrefKeyEncryptionScheme.AES256_SIV,
        EncryptedSharedPreferences.PrefValueEncryptionScheme.AES256_GCM,
    )

    var signedIn by mutableStateOf(false)
        private set
    var acr by mutableStateOf<Acr?>(null)
        private set
    var busy by mutableStateOf(false)
        private set
    var error by mutableStateOf<String?>(null)
    var jwks: String? = null
        private set

    val iin: String? get() = prefs.getString("iin", null)
    val deviceId: String? get() = prefs.getString("device_id", null)?.takeIf { signer.exists() }

    init {
        val access = prefs.getString("access", null)
        val refresh = prefs.getString("refresh", null)
        if (access != null && refresh != null) {
            client.restoreSession(
                SessionTokens(access, refresh, storedAcr(), prefs.getString("sid", "")!!),
            )
            signedIn = true
            acr = storedAcr()
        }
    }

    /** Runs a client call off the main thread; a failure becomes [error]. */
    fun <T> io(call: EgovClient.() -> T, done: (T) -> Unit = {}) {
        viewModelScope.launch {
            busy = true
            try {
                val result = withContext(Dispatchers.IO) { client.call() }
                keepSession()
                done(result)
            } catch (e: MobileException) {
                error = describe(e)
                if (e is MobileException.Unauthorized && e.problem in setOf("session-ended", "signed-out", "refresh-invalid", "refresh-replayed")) {
                    forget()
                }
            } finally {
                busy = false
            }
        }
    }

    /** Saves the tokens after every call (a refresh may have rotated them). */
    private fun keepSession() {
        val tokens = client.exportSession() ?: return
        prefs.edit()
            .putString("access", tokens.accessToken).putString("refresh", tokens.refreshToken)
            .putString("acr", tokens.acr.name).putString("sid", tokens.sessionId).apply()
        signedIn = true
        acr = tokens.acr
    }

    /** The kept level; a value this version cannot read counts as the lower one. */
    private fun storedAcr(): Acr = runCatching { Acr.valueOf(prefs.getString("acr", "")!!) }.getOrDefault(Acr.OTP)

    fun rememberIdentity(iin: String, deviceId: String?) {
        prefs.edit().putString("iin", iin).apply { deviceId?.let { putString("device_id", it) } }.apply()
    }

    fun loadJwks() = io({ jwks() }) { jwks = it }

    fun logout() = io({ logout() }) { forget() }

    private fun forget() {
        prefs.edit().remove("access").remove("refresh").remove("acr").remove("sid").apply()
        signedIn = false
        acr = null
    }

    private fun describe(e: MobileException): String = when (e) {
        is MobileException.Unauthorized -> when (e.problem) {
            "otp-wrong" -> "Wrong code. Check the SMS and try again."
            "otp-expired", "otp-burned", "otp-used" -> "This code can no longer be used. Ask for a new one."
            else -> "Please sign in again."
        }
        is MobileException.EdsRequired -> "This needs a sign-in with your device key."
        is MobileException.RateLimited -> "Too many attempts. Try again in ${e.retryAfterSeconds} s."
        is MobileException.PaymentDeclined -> "The bank declined the payment: ${e.detail}"
        is MobileException.Gone -> "This code has already been used or has expired."
        is MobileException.Network -> "No connection. Check the network and try again."
        is MobileException.Unavailable -> "The service is temporarily unavailable. Try again later."
        is MobileException.InvalidInput -> e.reason
        is MobileException.Signer -> e.reason
        else -> e.message ?: "Something went wrong."
    }
}
