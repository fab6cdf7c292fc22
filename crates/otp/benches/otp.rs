//! TOTP code generation and otpauth:// parsing throughput.
#![allow(missing_docs)]
// Benches are not cfg(test), so clippy.toml's allow-unwrap-in-tests does not cover them.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use assent_otp::{Algorithm, OtpAuth, Secret, Totp};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn totp_codes(c: &mut Criterion) {
    let secret = Secret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
    let totp = Totp::new(secret, Algorithm::Sha1, 6, 30).unwrap();
    let mut group = c.benchmark_group("totp");
    group.throughput(Throughput::Elements(1));
    let mut t = 1_700_000_000u64;
    group.bench_function("code_at/sha1/6", |b| {
        b.iter(|| {
            t = t.wrapping_add(30);
            black_box(totp.code_at(black_box(t)))
        })
    });
    // Peer in the same run: totp-rs (the crate the issue names), same secret
    // and parameters, so the report can give a ratio.
    let peer = totp_rs::TOTP::new_unchecked(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        30,
        b"12345678901234567890".to_vec(),
    );
    let mut t = 1_700_000_000u64;
    group.bench_function("peer_totp_rs/sha1/6", |b| {
        b.iter(|| {
            t = t.wrapping_add(30);
            black_box(peer.generate(black_box(t)))
        })
    });
    for (name, algorithm) in [("sha256", Algorithm::Sha256), ("sha512", Algorithm::Sha512)] {
        let secret = Secret::from_bytes(b"12345678901234567890123456789012".to_vec()).unwrap();
        let totp = Totp::new(secret, algorithm, 8, 30).unwrap();
        group.bench_function(format!("code_at/{name}/8"), |b| {
            b.iter(|| {
                t = t.wrapping_add(30);
                black_box(totp.code_at(black_box(t)))
            })
        });
    }
    group.finish();
}

fn uri_parse(c: &mut Criterion) {
    let uri = "otpauth://totp/ACME%20Co:john.doe%40email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30";
    let mut group = c.benchmark_group("uri");
    group.throughput(Throughput::Elements(1));
    group.bench_function("parse", |b| {
        b.iter(|| black_box(OtpAuth::parse(black_box(uri)).unwrap()))
    });
    let auth = OtpAuth::parse(uri).unwrap();
    group.bench_function("to_uri", |b| b.iter(|| black_box(auth.to_uri())));
    group.finish();
}

criterion_group!(benches, totp_codes, uri_parse);
criterion_main!(benches);
