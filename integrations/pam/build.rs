//! Links the PAM module with `-z nodelete`: libpam `dlclose`s modules at `pam_end`, and the
//! store's and runtime's worker threads may still be finishing then; a module that is never
//! unmapped cannot pull code out from under them.

fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-z,nodelete");
}
