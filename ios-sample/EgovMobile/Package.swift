// swift-tools-version:5.9
// The generated Swift bindings of egov-mobile as a Swift package. `egov_mobileFFI.xcframework` is built by
// ../build-xcframework.sh (static libraries for the device and the simulators, with the generated header
// and module map); `Sources/EgovMobile/egov_mobile.swift` is generated and committed, and the project's
// test command fails when it no longer matches the Rust library.
import PackageDescription

let package = Package(
    name: "EgovMobile",
    platforms: [.iOS(.v16)],
    products: [.library(name: "EgovMobile", targets: ["EgovMobile"])],
    targets: [
        .binaryTarget(name: "egov_mobileFFI", path: "egov_mobileFFI.xcframework"),
        .target(name: "EgovMobile", dependencies: ["egov_mobileFFI"], path: "Sources/EgovMobile"),
    ]
)
