package kz.egov.mobile.sample

import android.content.Context
import android.content.pm.PackageManager
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import android.security.keystore.StrongBoxUnavailableException
import java.security.KeyPairGenerator
import java.security.KeyStore
import java.security.PrivateKey
import java.security.Signature
import java.security.spec.ECGenParameterSpec
import uniffi.egov_mobile.MobileException
import uniffi.egov_mobile.PlatformSigner

/**
 * The device key in Android Keystore (in StrongBox when the phone has one): a P-256 key that never
 * leaves the secure hardware. The Rust client asks it for the public key and for SHA256withECDSA
 * signatures (DER), which is what the server expects.
 */
class KeystoreSigner(private val context: Context, private val alias: String = "egov-device-key") : PlatformSigner {
    private val keyStore: KeyStore = KeyStore.getInstance("AndroidKeyStore").apply { load(null) }

    /** Whether the key exists (the device is enrolled on this phone). */
    fun exists(): Boolean = keyStore.containsAlias(alias)

    /** Creates the key, replacing an old one (a new enrolment). */
    fun create() {
        keyStore.deleteEntry(alias)
        val strongBox = context.packageManager.hasSystemFeature(PackageManager.FEATURE_STRONGBOX_KEYSTORE)
        try {
            generate(strongBox)
        } catch (e: StrongBoxUnavailableException) {
            generate(false)
        }
    }

    private fun generate(strongBox: Boolean) {
        val spec = KeyGenParameterSpec.Builder(alias, KeyProperties.PURPOSE_SIGN)
            .setAlgorithmParameterSpec(ECGenParameterSpec("secp256r1"))
            .setDigests(KeyProperties.DIGEST_SHA256)
            .setIsStrongBoxBacked(strongBox)
            .build()
        KeyPairGenerator.getInstance(KeyProperties.KEY_ALGORITHM_EC, "AndroidKeyStore").run {
            initialize(spec)
            generateKeyPair()
        }
    }

    override fun publicKey(): ByteArray =
        keyStore.getCertificate(alias)?.publicKey?.encoded
            ?: throw MobileException.Signer("this phone has no device key: enrol it again")

    override fun sign(message: ByteArray): ByteArray {
        val key = keyStore.getKey(alias, null) as? PrivateKey
            ?: throw MobileException.Signer("this phone has no device key: enrol it again")
        return try {
            Signature.getInstance("SHA256withECDSA").run {
                initSign(key)
                update(message)
                sign()
            }
        } catch (e: Exception) {
            throw MobileException.Signer("the device key could not sign: ${e.message}")
        }
    }
}
