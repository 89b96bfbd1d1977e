import EgovMobile
import SwiftUI

@main
struct EgovSampleApp: App {
    @StateObject private var model = AppModel()

    var body: some Scene {
        WindowGroup {
            Group {
                if model.signedIn { MainTabs() } else { LoginView() }
            }
            .environmentObject(model)
            .overlay(alignment: .top) { if model.busy { ProgressView().padding() } }
            .alert("eGov Mobile", isPresented: Binding(get: { model.error != nil }, set: { if !$0 { model.error = nil } })) {
                Button("OK") { model.error = nil }
            } message: { Text(model.error ?? "") }
        }
    }
}

/// Where a scanned code leads (decided by the Rust core against this deployment's URL).
enum ScanRoute: Hashable {
    case webLogin(String), sign(String), verify(String)
}

struct MainTabs: View {
    @EnvironmentObject var model: AppModel
    @State private var scanning = false
    @State private var route: ScanRoute?

    var body: some View {
        TabView {
            NavigationStack { DocumentsView().toolbar { scanButton } .navigationDestination(item: $route, destination: scanned) }
                .tabItem { Label("Documents", systemImage: "person.text.rectangle") }
            NavigationStack { FinesView() }.tabItem { Label("Fines", systemImage: "car") }
            NavigationStack { HistoryView() }.tabItem { Label("History", systemImage: "clock") }
        }
        .sheet(isPresented: $scanning) {
            QRScannerView { text in
                scanning = false
                switch parseScanned(text: text, publicUrl: model.client.baseUrl()) {
                case .webLogin: route = .webLogin(text)
                case .signRequest(let id): route = .sign(id)
                case .share: route = .verify(text)
                case .notOurs: model.error = "This QR code is not from eGov. Do not enter your data on the site it leads to."
                }
            }
        }
    }

    private var scanButton: some ToolbarContent {
        ToolbarItem { Button("Scan") { scanning = true } }
    }

    @ViewBuilder private func scanned(_ route: ScanRoute) -> some View {
        switch route {
        case .webLogin(let url): WebLoginView(url: url)
        case .sign(let id): SignView(id: id)
        case .verify(let url): VerifyView(url: url)
        }
    }
}
