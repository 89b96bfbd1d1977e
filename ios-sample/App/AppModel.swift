import EgovMobile
import Foundation
import Security

/// The app's state. `EgovClient` blocks, so every call runs in a detached task and the result comes back
/// on the main actor. The session's tokens are kept in the Keychain across launches.
@MainActor
final class AppModel: ObservableObject {
    let client: EgovClient
    let signer = SecureEnclaveSigner()
    @Published var signedIn = false
    @Published var busy = false
    @Published var error: String?
    @Published var deviceId: String? = UserDefaults.standard.string(forKey: "device_id")
    @Published var iin: String? = UserDefaults.standard.string(forKey: "iin")

    init() {
        let base = Bundle.main.object(forInfoDictionaryKey: "EgovBaseURL") as? String ?? "https://mobile.egov.kz"
        client = try! EgovClient(baseUrl: base) // the URL is the app's own constant
        if let tokens = Keychain.load() {
            client.restoreSession(tokens: tokens)
            signedIn = true
        }
    }

    /// Runs a client call off the main thread; a failure becomes `error`.
    func io<T>(_ call: @escaping @Sendable (EgovClient) throws -> T, done: @escaping (T) -> Void = { _ in }) {
        busy = true
        let client = self.client
        Task.detached {
            let result = Result { try call(client) }
            await MainActor.run {
                self.busy = false
                switch result {
                case .success(let value):
                    if let tokens = client.exportSession() { Keychain.save(tokens); self.signedIn = true }
                    done(value)
                case .failure(let e as MobileError):
                    self.error = Self.describe(e)
                    if case .Unauthorized(let problem, _) = e, ["session-ended", "signed-out", "refresh-replayed"].contains(problem) {
                        self.forget()
                    }
                case .failure(let e):
                    self.error = e.localizedDescription
                }
            }
        }
    }

    func remember(iin: String, deviceId: String?) {
        self.iin = iin
        UserDefaults.standard.set(iin, forKey: "iin")
        if let deviceId { self.deviceId = deviceId; UserDefaults.standard.set(deviceId, forKey: "device_id") }
    }

    func logout() { io({ try $0.logout() }) { self.forget() } }

    private func forget() { Keychain.clear(); signedIn = false }

    static func describe(_ e: MobileError) -> String {
        switch e {
        case .Unauthorized(let problem, _) where problem == "otp-wrong": return "Wrong code. Check the SMS and try again."
        case .Unauthorized: return "Please sign in again."
        case .EdsRequired: return "This needs a sign-in with your device key."
        case .RateLimited(_, _, let wait): return "Too many attempts. Try again in \(wait) s."
        case .PaymentDeclined(_, let detail): return "The bank declined the payment: \(detail)"
        case .Gone: return "This code has already been used or has expired."
        case .Network: return "No connection. Check the network and try again."
        case .Unavailable: return "The service is temporarily unavailable. Try again later."
        case .InvalidInput(let reason), .Signer(let reason): return reason
        default: return "\(e)"
        }
    }
}

/// The session's tokens in the Keychain (this device only, after first unlock).
enum Keychain {
    private static let account = "egov-session"

    static func save(_ t: SessionTokens) {
        let data = try! JSONSerialization.data(withJSONObject: [
            "access": t.accessToken, "refresh": t.refreshToken, "acr": t.acr == .eds ? "eds" : "otp", "sid": t.sessionId,
        ])
        clear()
        SecItemAdd([kSecClass: kSecClassGenericPassword, kSecAttrAccount: account, kSecValueData: data,
                    kSecAttrAccessible: kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly] as CFDictionary, nil)
    }

    static func load() -> SessionTokens? {
        var item: CFTypeRef?
        let query = [kSecClass: kSecClassGenericPassword, kSecAttrAccount: account, kSecReturnData: true] as CFDictionary
        guard SecItemCopyMatching(query, &item) == errSecSuccess, let data = item as? Data,
              let d = try? JSONSerialization.jsonObject(with: data) as? [String: String],
              let access = d["access"], let refresh = d["refresh"] else { return nil }
        return SessionTokens(accessToken: access, refreshToken: refresh, acr: d["acr"] == "eds" ? .eds : .otp, sessionId: d["sid"] ?? "")
    }

    static func clear() {
        SecItemDelete([kSecClass: kSecClassGenericPassword, kSecAttrAccount: account] as CFDictionary)
    }
}
