//! `cargo run -p dixa-tests --example decode_mock -- BASE_URL [ROUNDS]`:
//! sends a schema-valid request for every operation of the wire spec to a
//! server (a Prism mock of `spec/dixa-v1.wire.json` in CI) ROUNDS times and
//! decodes every success answer with the generated client's types.
//!
//! Prints the decode rate and every failure; exits non-zero unless every
//! operation got a success answer and every success answer decoded.

use std::collections::BTreeSet;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(base) = args.next() else {
        eprintln!("usage: decode_mock BASE_URL [ROUNDS]");
        return ExitCode::from(2);
    };
    let rounds: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(10);
    let client = reqwest::Client::new();
    // Prism checks that the security scheme's header is present.
    let auth = Some("contract-check-key");
    let (mut answers, mut decoded, mut failures) = (0usize, 0usize, Vec::new());
    let mut operations = BTreeSet::new();
    let mut succeeded = BTreeSet::new();
    for _ in 0..rounds {
        for o in dixa_tests::exercise(&client, base.trim_end_matches('/'), auth, &|_| None).await {
            operations.insert(o.operation.clone());
            if !o.success {
                failures.push(format!("{}: status {}: {}", o.operation, o.status, o.decoded.err().unwrap_or_default()));
                continue;
            }
            succeeded.insert(o.operation.clone());
            answers += 1;
            match o.decoded {
                Ok(()) => decoded += 1,
                Err(e) => failures.push(format!("{}: does not decode: {e}", o.operation)),
            }
        }
    }
    for f in &failures {
        println!("FAIL {f}");
    }
    println!(
        "decode_mock: {} operations, {} with a success answer; {decoded} of {answers} success answers decoded ({:.1}%)",
        operations.len(),
        succeeded.len(),
        if answers == 0 { 0.0 } else { 100.0 * decoded as f64 / answers as f64 }
    );
    if failures.is_empty() && succeeded.len() == operations.len() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
