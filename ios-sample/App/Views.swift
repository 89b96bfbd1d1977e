import EgovMobile
import SwiftUI
import VisionKit

private var lang: String {
    let code = Locale.current.language.languageCode?.identifier ?? "kk"
    return ["kk", "ru", "en"].contains(code) ? code : "kk"
}

private func tenge(_ m: Money) -> String { String(format: "%.2f ₸", Double(m.tiyn) / 100) }

// MARK: sign-in

struct LoginView: View {
    @EnvironmentObject var model: AppModel
    @State private var phone = ""
    @State private var code = ""
    @State private var flow: OtpFlow?

    var body: some View {
        Form {
            if let deviceId = model.deviceId, let iin = model.iin, model.signer.exists {
                Button("Sign in with this phone's key") {
                    let signer = model.signer
                    model.io({ try $0.signInWithKey(iin: iin, deviceId: deviceId, signer: signer) })
                }
            }
            TextField("Phone (+7 7xx ...)", text: $phone).keyboardType(.phonePad)
            if let flow {
                TextField("Code from the SMS", text: $code).keyboardType(.numberPad).textContentType(.oneTimeCode)
                Button("Sign in") {
                    let (id, c) = (flow.flowId, code)
                    model.io({ try $0.verifyOtp(flowId: id, code: c) }) { _ in
                        model.io({ try $0.me() }) { me in model.remember(iin: me.person.iin, deviceId: nil) }
                    }
                }
            } else {
                Button("Send code") { let p = phone; model.io({ try $0.startOtp(phone: p) }) { flow = $0 } }
            }
        }
        .navigationTitle("eGov Mobile")
    }
}

struct EnrolKeyView: View {
    @EnvironmentObject var model: AppModel
    @State private var pairingCode: String?

    var body: some View {
        Section("Sign in with this phone's key next time") {
            Button("Ask my enrolled phone to approve this one") {
                do { try model.signer.create() } catch { model.error = "\(error)"; return }
                let signer = model.signer
                model.io({ try $0.requestDeviceApproval(signer: signer, deviceName: "iPhone") }) { approval in
                    pairingCode = approval.pairingCode
                    model.io({ try $0.me() }) { me in model.remember(iin: me.person.iin, deviceId: approval.deviceId) }
                }
            }
            if let code = pairingCode {
                Text("On your enrolled phone, approve this device with the code \(code)")
            }
        }
    }
}

// MARK: documents

struct DocumentsView: View {
    @EnvironmentObject var model: AppModel
    @State private var list: DocumentList?

    var body: some View {
        List {
            if model.deviceId == nil { EnrolKeyView() }
            ForEach(list?.sources.filter { $0.unavailableSince != nil } ?? [], id: \.source) { s in
                Text("\(s.source) is not answering: its documents are shown as last confirmed.").foregroundStyle(.secondary)
            }
            ForEach(list?.documents ?? [], id: \.id) { d in
                NavigationLink(value: d.id) {
                    VStack(alignment: .leading) {
                        Text(d.title)
                        Text("\(d.number) · \(d.status)").foregroundStyle(d.status == .valid ? .secondary : Color.red)
                    }
                }
            }
        }
        .navigationDestination(for: String.self) { DocumentView(id: $0) }
        .refreshable { model.io({ _ = try $0.refreshDocuments(); return try $0.documents(lang: lang) }) { list = $0 } }
        .onAppear { model.io({ try $0.documents(lang: lang) }) { list = $0 } }
        .navigationTitle("Documents")
    }
}

struct DocumentView: View {
    @EnvironmentObject var model: AppModel
    let id: String
    @State private var doc: DocumentDetail?
    @State private var photo: UIImage?
    @State private var share: DocumentShare?

    var body: some View {
        List {
            if let photo { Image(uiImage: photo).resizable().scaledToFit().frame(height: 160) }
            if let d = doc {
                Text("\(d.holder.surname) \(d.holder.givenName) \(d.holder.patronymic ?? "")")
                Text("Confirmed by \(d.summary.sourceName), \(d.summary.checkedAt.formatted())").foregroundStyle(.secondary)
                ForEach(d.labels.sorted(by: { $0.key < $1.key }), id: \.key) { field, label in
                    Text("\(label): \(Self.value(d.fields, field))")
                }
                if d.summary.status == .valid {
                    Button("Open access") { open(.full) }
                    Button("Show age only") { open(.ageOver18) }
                }
            }
        }
        .navigationTitle(doc?.summary.title ?? "")
        .sheet(item: $share) { ShareView(share: $0) }
        .onAppear {
            model.io({ [id] in try $0.document(documentId: id, lang: lang) }) { doc = $0 }
            model.io({ [id] in try $0.documentPhoto(documentId: id) }) { photo = UIImage(data: $0) }
        }
    }

    private func open(_ preset: Preset) {
        model.io({ [id] in try $0.shareDocument(documentId: id, ttlSeconds: nil, preset: preset) }) { share = $0 }
    }

    static func value(_ json: String, _ field: String) -> String {
        guard let obj = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return "" }
        switch obj[field] {
        case let m as [String: Any]: return (m[lang] ?? m["ru"]).map { "\($0)" } ?? ""
        case nil, is NSNull: return ""
        case let v?: return "\(v)"
        }
    }
}

extension DocumentShare: Identifiable { public var id: String { shareId } }

// MARK: open access

struct ShareView: View {
    @EnvironmentObject var model: AppModel
    @State var share: DocumentShare
    @State private var now = Date()
    private let tick = Timer.publish(every: 1, on: .main, in: .common).autoconnect()

    var body: some View {
        VStack(spacing: 16) {
            switch share.state {
            case .active:
                QRView(text: share.qrUrl).frame(width: 260, height: 260)
                Text("Code: \(share.shortCode)").font(.title3.monospacedDigit())
                let left = shareSecondsLeft(expiresAtUnix: Int64(share.expiresAt.timeIntervalSince1970),
                                            nowUnix: Int64(now.timeIntervalSince1970))
                Text(String(format: "Valid for %d:%02d", left / 60, left % 60))
                Button("Extend by 5 minutes") {
                    let id = share.shareId
                    model.io({ try $0.extendShare(shareId: id, ttlSeconds: 300) }) { share = $0.share }
                }
                .disabled(share.expiresAt >= share.maxExpiresAt)
            case .used:
                Text("Viewed by \(share.viewedBy ?? "") at \(share.viewedAt?.formatted() ?? "")")
            default:
                Text("This code is \(share.state).")
            }
        }
        .padding()
        .onReceive(tick) { date in
            now = date
            // Every 3 s: has it been viewed?
            if Int(date.timeIntervalSince1970) % 3 == 0 {
                let id = share.shareId
                model.io({ try $0.share(shareId: id) }) { share = $0 }
            }
        }
    }
}

struct QRView: View {
    let text: String

    var body: some View {
        let matrix = (try? qrMatrix(text: text)) ?? []
        Canvas { context, size in
            let quiet = 4
            let cell = size.width / CGFloat(matrix.count + 2 * quiet)
            context.fill(Path(CGRect(origin: .zero, size: size)), with: .color(.white))
            for (y, row) in matrix.enumerated() {
                for (x, dark) in row.enumerated() where dark {
                    let rect = CGRect(x: CGFloat(x + quiet) * cell, y: CGFloat(y + quiet) * cell, width: cell, height: cell)
                    context.fill(Path(rect), with: .color(.black))
                }
            }
        }
    }
}

/// Checks someone else's shared document: redeems it once and verifies the signature on the phone.
struct VerifyView: View {
    @EnvironmentObject var model: AppModel
    let url: String
    @State private var copy: RedeemedCopy?
    @State private var genuine = false

    var body: some View {
        VStack(alignment: .leading, spacing: 12) {
            if let copy {
                Text(genuine ? "Signed by eGov: genuine" : "The signature does NOT verify")
                    .foregroundStyle(genuine ? .green : .red)
                Text(copy.document).font(.caption.monospaced())
            } else {
                ProgressView("Checking…")
            }
        }
        .padding()
        .onAppear {
            model.io({ [url] in (try $0.redeemQr(qrUrl: url), try $0.jwks()) }) { c, jwks in
                copy = c
                genuine = (try? verifyDocumentCopy(copy: c.copy, jwksJson: jwks)) != nil
            }
        }
    }
}

// MARK: website login and signing

struct WebLoginView: View {
    @EnvironmentObject var model: AppModel
    @Environment(\.dismiss) private var dismiss
    let url: String
    @State private var prompt: WebLoginPrompt?
    @State private var typed = ""

    var body: some View {
        VStack(spacing: 16) {
            if let p = prompt {
                Text("Sign in to \(p.site)?").font(.title2)
                Text("\(p.browser) on \(p.os)\(p.city.map { ", \($0)" } ?? "")")
                Text("Type the two digits shown on the website:")
                TextField("Code", text: $typed).keyboardType(.numberPad)
                HStack {
                    Button("Sign in") {
                        let code = typed
                        model.io({ try $0.approveWebLogin(requestId: p.requestId, checkCode: code) }) { dismiss() }
                    }
                    .buttonStyle(.borderedProminent)
                    .disabled(typed.count != 2)
                    Button("It wasn't me") {
                        model.io({ try $0.denyWebLogin(requestId: p.requestId) }) { dismiss() }
                    }
                    .buttonStyle(.borderedProminent)
                }
            }
        }
        .onAppear { model.io({ [url] in try $0.scanWebLogin(qrUrl: url) }) { prompt = $0 } }
    }
}

struct SignView: View {
    @EnvironmentObject var model: AppModel
    @Environment(\.dismiss) private var dismiss
    let id: String
    @State private var request: SignRequest?

    var body: some View {
        VStack(alignment: .leading, spacing: 12) {
            if let r = request {
                Text("\(r.organisation) asks you to sign:")
                Text(r.description[lang] ?? r.description["ru"] ?? "")
                Text("SHA-256 \(r.digest)").font(.caption.monospaced()).foregroundStyle(.secondary)
                if let deviceId = model.deviceId {
                    Button("Sign") {
                        let signer = model.signer
                        model.io({ [id] in try $0.signWebsiteRequest(requestId: id, deviceId: deviceId, signer: signer) }) { _ in dismiss() }
                    }
                } else {
                    Text("Create this phone's key first (Documents).")
                }
            }
        }
        .padding()
        .onAppear { model.io({ [id] in try $0.signRequest(requestId: id) }) { request = $0 } }
    }
}

// MARK: fines

struct FinesView: View {
    @EnvironmentObject var model: AppModel
    @State private var fines: [Fine] = []
    /// One idempotency key per fine for as long as its payment is retried.
    @State private var keys: [String: String] = [:]

    var body: some View {
        List(fines, id: \.id) { f in
            VStack(alignment: .leading, spacing: 4) {
                Text("\(f.description) · \(f.vehiclePlate ?? "")")
                Text("Protocol \(f.protocolNumber), \(f.noticeDate)").foregroundStyle(.secondary)
                if f.status == .paid {
                    Text("Paid").foregroundStyle(.green)
                } else {
                    Text("Due now: \(tenge(f.amountDue))" + (f.amountDue != f.amount ? " (was \(tenge(f.amount)))" : ""))
                    if f.discount.eligible {
                        Text(f.discount.lastDay.map { "50% discount until \($0) inclusive" } ?? "50% discount starts when the notice is delivered")
                    }
                    if f.overdue { Text("Overdue: driving-licence services are closed until it is paid").foregroundStyle(.red) }
                    Button("Pay \(tenge(f.amountDue))") { pay(f) }
                }
            }
        }
        .navigationTitle("Fines")
        .onAppear(perform: load)
    }

    private func load() { model.io({ try $0.fines(status: nil) }) { fines = $0 } }

    private func pay(_ f: Fine) {
        let key = keys[f.id] ?? UUID().uuidString
        keys[f.id] = key
        // The card token comes from the acquirer's SDK; tok_ok is the dev acquirer's test card.
        model.io({ try $0.payFine(fineId: f.id, method: .card(cardToken: "tok_ok"), idempotencyKey: key) }) { result in
            if result.status == .paid { keys[f.id] = nil }
            load()
        }
    }
}

// MARK: history

struct HistoryView: View {
    @EnvironmentObject var model: AppModel
    @State private var history: [HistoryEntry] = []
    @State private var notes: [EgovMobile.Notification] = []

    var body: some View {
        List {
            Section("Notifications") { ForEach(notes, id: \.id) { Text("\($0.at.formatted()) · \($0.kind)") } }
            Section("History") { ForEach(history, id: \.id) { Text("\($0.at.formatted()) · \($0.kind)") } }
            Button("Sign out", role: .destructive) { model.logout() }
        }
        .navigationTitle("History")
        .onAppear {
            model.io({ try $0.notifications(limit: 50) }) { notes = $0 }
            model.io({ try $0.history(limit: 100) }) { history = $0 }
        }
    }
}

// MARK: scanner

struct QRScannerView: UIViewControllerRepresentable {
    let found: (String) -> Void

    func makeUIViewController(context: Context) -> DataScannerViewController {
        let scanner = DataScannerViewController(recognizedDataTypes: [.barcode(symbologies: [.qr])])
        scanner.delegate = context.coordinator
        try? scanner.startScanning()
        return scanner
    }

    func updateUIViewController(_ controller: DataScannerViewController, context: Context) {}

    func makeCoordinator() -> Coordinator { Coordinator(found: found) }

    final class Coordinator: NSObject, DataScannerViewControllerDelegate {
        let found: (String) -> Void
        init(found: @escaping (String) -> Void) { self.found = found }

        func dataScanner(_ scanner: DataScannerViewController, didAdd items: [RecognizedItem], allItems: [RecognizedItem]) {
            for case .barcode(let code) in items { if let text = code.payloadStringValue { found(text); return } }
        }
    }
}
