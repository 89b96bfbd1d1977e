import EgovMobile
import Foundation
import Security

/// The device key in the Secure Enclave: a P-256 key that never leaves the chip, guarded by Face ID /
/// Touch ID or the passcode. The Rust client asks it for the public key (the 65-byte point) and for
/// ECDSA SHA-256 signatures (DER, X9.62), which is what the server expects.
final class SecureEnclaveSigner: PlatformSigner, @unchecked Sendable {
    private let tag = Data("kz.egov.mobile.device-key".utf8)

    var exists: Bool { (try? privateKey()) != nil }

    /// Creates the key, replacing an old one (a new enrolment).
    func create() throws {
        SecItemDelete([kSecClass: kSecClassKey, kSecAttrApplicationTag: tag] as CFDictionary)
        var error: Unmanaged<CFError>?
        guard let access = SecAccessControlCreateWithFlags(
            nil, kSecAttrAccessibleWhenUnlockedThisDeviceOnly, [.privateKeyUsage, .userPresence], &error)
        else { throw MobileError.Signer(reason: "no access control: \(String(describing: error))") }
        let attributes: [CFString: Any] = [
            kSecAttrKeyType: kSecAttrKeyTypeECSECPrimeRandom,
            kSecAttrKeySizeInBits: 256,
            kSecAttrTokenID: kSecAttrTokenIDSecureEnclave,
            kSecPrivateKeyAttrs: [kSecAttrIsPermanent: true, kSecAttrApplicationTag: tag, kSecAttrAccessControl: access],
        ]
        guard SecKeyCreateRandomKey(attributes as CFDictionary, &error) != nil else {
            throw MobileError.Signer(reason: "the Secure Enclave could not create a key: \(String(describing: error))")
        }
    }

    private func privateKey() throws -> SecKey {
        let query: [CFString: Any] = [
            kSecClass: kSecClassKey, kSecAttrApplicationTag: tag,
            kSecAttrKeyType: kSecAttrKeyTypeECSECPrimeRandom, kSecReturnRef: true,
        ]
        var item: CFTypeRef?
        guard SecItemCopyMatching(query as CFDictionary, &item) == errSecSuccess, let key = item else {
            throw MobileError.Signer(reason: "this phone has no device key: enrol it again")
        }
        return key as! SecKey
    }

    func publicKey() throws -> Data {
        var error: Unmanaged<CFError>?
        guard let pub = SecKeyCopyPublicKey(try privateKey()),
              let data = SecKeyCopyExternalRepresentation(pub, &error) as Data?
        else { throw MobileError.Signer(reason: "no public key") }
        return data
    }

    func sign(message: Data) throws -> Data {
        var error: Unmanaged<CFError>?
        guard let signature = SecKeyCreateSignature(
            try privateKey(), .ecdsaSignatureMessageX962SHA256, message as CFData, &error) as Data?
        else { throw MobileError.Signer(reason: "not signed: \(String(describing: error?.takeRetainedValue()))") }
        return signature
    }
}
