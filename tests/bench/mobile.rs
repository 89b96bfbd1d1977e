//! The native baseline of the mobile call-overhead benchmark: the same `egov-mobile` facade functions the
//! JVM benchmark calls through uniffi, called directly from Rust, one call at a time after a warm-up.
//! Usage: bench-mobile <copy.jws> <jwks.json> (written by the JVM side). Run by `bash tests/bench.sh mobile`.

use std::time::Instant;

fn measure(name: &str, n: usize, mut f: impl FnMut()) {
    for _ in 0..n / 4 {
        f();
    }
    let mut times = Vec::with_capacity(n);
    let started = Instant::now();
    for _ in 0..n {
        let t = Instant::now();
        f();
        times.push(t.elapsed().as_nanos() as u64);
    }
    let total = started.elapsed().as_nanos() as u64;
    times.sort_unstable();
    let p = |q: f64| times[((n - 1) as f64 * q) as usize];
    println!("NATIVE {name} n={n} mean_ns={} p50_ns={} p99_ns={}", total / n as u64, p(0.5), p(0.99));
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, copy, jwks] = args.as_slice() else {
        eprintln!("usage: bench-mobile <copy.jws> <jwks.json>");
        std::process::exit(2);
    };
    let copy = std::fs::read_to_string(copy).expect("copy");
    let jwks = std::fs::read_to_string(jwks).expect("jwks");
    egov_mobile::verify_document_copy(copy.clone(), jwks.clone()).expect("the copy verifies");
    measure("verifyDocumentCopy", 20_000, || {
        std::hint::black_box(egov_mobile::verify_document_copy(copy.clone(), jwks.clone()).unwrap());
    });
    measure("isValidIin", 200_000, || {
        std::hint::black_box(egov_mobile::is_valid_iin(std::hint::black_box("871008401427".to_string())));
    });
}
