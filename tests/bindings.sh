#!/usr/bin/env bash
# Generates the Kotlin and Swift bindings from the built debug library (library mode; two uniffi crates:
# egov_mobile, and egov_api whose wire records it uses), checks that the generated C headers compile
# (gcc -fsyntax-only) and that the Swift committed under ios-sample/ is what this library generates. Used by tests/run.sh; run it by hand after changing the exports:
#   cargo build -p egov-mobile && bash tests/bindings.sh /tmp/bindings --write
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:?usage: tests/bindings.sh OUT_DIR [--write]}
WRITE=${2:-}
LIB=target/debug/libegov_mobile.so
[ -f "$LIB" ] || { echo "$LIB is missing: cargo build -p egov-mobile" >&2; exit 1; }
SWIFT_DIR=ios-sample/EgovMobile/Sources/EgovMobile
HEADER_DIR=ios-sample/EgovMobile/Headers

for lang in kotlin swift; do
  rm -rf "$OUT/$lang"
  cargo run -q -p egov-mobile --features bindgen --bin uniffi-bindgen -- generate --library "$LIB" \
    --language "$lang" --out-dir "$OUT/$lang" --no-format >/dev/null
done
CRATES="egov_api egov_mobile"
for crate in $CRATES; do
  ls "$OUT/kotlin/uniffi/$crate/$crate.kt" "$OUT/swift/$crate.swift" "$OUT/swift/${crate}FFI.h" >/dev/null
done
# One Swift module holds both files; one module map names both FFI modules (as the XCFramework ships it).
for crate in $CRATES; do cat "$OUT/swift/${crate}FFI.modulemap"; echo; done >"$OUT/swift/module.modulemap"

# Included from a C file as Swift's module map does. The nullability qualifiers are Clang's (what Xcode
# compiles with); gcc is told they are empty, and everything else must be plain, warning-free C.
printf '#include "egov_apiFFI.h"\n#include "egov_mobileFFI.h"\n' | gcc -fsyntax-only -Wall -Wextra -Werror \
  -D_Nullable= -D_Nonnull= -I "$OUT/swift" -x c -
echo "bindings: the generated C headers pass gcc -fsyntax-only -Wall -Wextra -Werror, together"

# Every exported function (top-level, and each method of EgovClient and PlatformSigner) must carry its
# Rust doc comment into the generated Kotlin: that is the app developers' documentation.
python3 - "$OUT/kotlin/uniffi/egov_mobile/egov_mobile.kt" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().split("\n")
pattern = re.compile(r"\s*(?:@Throws\(MobileException::class\)\s*)?fun `(\w+)`\(")
found = [(i, m.group(1)) for i, l in enumerate(lines) if (m := pattern.match(l))]
bare = [name for i, name in found if "*/" not in "\n".join(lines[max(0, i - 3):i])]
if not found or bare:
    sys.exit(f"bindings: exported functions without a doc comment in the generated Kotlin: {bare or 'none found'}")
print(f"bindings: all {len(found)} exported functions are documented in the generated Kotlin")
PY

if [ "$WRITE" = --write ]; then
  mkdir -p "$SWIFT_DIR" "$HEADER_DIR"
  for crate in $CRATES; do
    cp "$OUT/swift/$crate.swift" "$SWIFT_DIR/"
    cp "$OUT/swift/${crate}FFI.h" "$HEADER_DIR/"
  done
  cp "$OUT/swift/module.modulemap" "$HEADER_DIR/module.modulemap"
  echo "bindings: wrote the Swift bindings under ios-sample/EgovMobile"
  exit 0
fi
stale=0
for crate in $CRATES; do
  diff -q "$OUT/swift/$crate.swift" "$SWIFT_DIR/$crate.swift" >/dev/null || stale=1
  diff -q "$OUT/swift/${crate}FFI.h" "$HEADER_DIR/${crate}FFI.h" >/dev/null || stale=1
done
diff -q "$OUT/swift/module.modulemap" "$HEADER_DIR/module.modulemap" >/dev/null || stale=1
if [ "$stale" = 1 ]; then
  echo "bindings: the Swift bindings committed under ios-sample/EgovMobile are out of date; regenerate them:" >&2
  echo "  cargo build -p egov-mobile && bash tests/bindings.sh /tmp/bindings --write" >&2
  exit 1
fi
echo "bindings: the committed Swift bindings are current"
