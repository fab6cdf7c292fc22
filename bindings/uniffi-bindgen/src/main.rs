//! `uniffi-bindgen`, built from the workspace's pinned uniffi so that the
//! generator always matches the scaffolding compiled into `assent-ffi`.
//!
//! ```sh
//! cargo run -p uniffi-bindgen -- generate --library target/debug/libassent_ffi.so \
//!     --language kotlin --out-dir bindings/kotlin/target/generated
//! ```

fn main() {
    uniffi::uniffi_bindgen_main()
}
