//! Replays every fuzz corpus file through its target's body, so that
//! findings (once minimised into the corpus) stay fixed, and the bodies'
//! invariants are checked on realistic inputs at every `cargo test`.
//! Each input is also replayed truncated at every length, and with each
//! byte flipped, which covers the common malformations.

#[path = "../fuzz/bodies.rs"]
mod bodies;

use std::path::Path;

fn replay(target: &str, body: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("dir entry").path();
        let data = std::fs::read(&path).expect("read corpus file");
        body(&data);
        for len in 0..data.len() {
            body(&data[..len]);
        }
        // Byte flips: every byte for short inputs, a spread for long ones.
        let step = (data.len() / 64).max(1);
        for i in (0..data.len()).step_by(step) {
            let mut m = data.clone();
            m[i] ^= 0x55;
            body(&m);
        }
        count += 1;
    }
    assert!(count >= 5, "corpus for {target} has only {count} files");
}

#[test]
fn key_parsing_corpus() {
    replay("key_parsing", bodies::key_parsing);
}

#[test]
fn signature_decoding_corpus() {
    replay("signature_decoding", bodies::signature_decoding);
}

#[test]
fn ciphertext_decoding_corpus() {
    replay("ciphertext_decoding", bodies::ciphertext_decoding);
}
