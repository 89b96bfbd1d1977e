#!/usr/bin/env bash
# Builds egov_mobileFFI.xcframework for the Swift package: the Rust static library for iOS devices and
# for the simulators (Apple silicon and Intel), with the generated header and module map. Needs macOS
# with Xcode and: rustup target add aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios
set -euo pipefail
cd "$(dirname "$0")/.."
for target in aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios; do
  cargo build --release -p egov-mobile --target "$target"
done
# The Swift bindings and header come from the library itself (library mode); the committed copies must match.
cargo build -p egov-mobile
bash tests/bindings.sh target/bindings --write
OUT=ios-sample/EgovMobile
mkdir -p target/ios-sim
lipo -create target/aarch64-apple-ios-sim/release/libegov_mobile.a target/x86_64-apple-ios/release/libegov_mobile.a \
  -output target/ios-sim/libegov_mobile.a
rm -rf "$OUT/egov_mobileFFI.xcframework"
xcodebuild -create-xcframework \
  -library target/aarch64-apple-ios/release/libegov_mobile.a -headers "$OUT/Headers" \
  -library target/ios-sim/libegov_mobile.a -headers "$OUT/Headers" \
  -output "$OUT/egov_mobileFFI.xcframework"
echo "built $OUT/egov_mobileFFI.xcframework"
