//! The C entry points libpam calls. Each one catches panics (none may cross the C
//! boundary) and maps every outcome to a PAM return code.
#![allow(unsafe_code)]

use std::ffi::CStr;
use std::os::raw::{c_char, c_int};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

use crate::authenticate::{authenticate, Login, Verdict};
use crate::config::{self, Config};
use crate::error::Error;
use crate::ffi::{self, PamHandle};
use crate::pam::Pam;

/// `auth` step: the push approval, or a TOTP or backup code.
///
/// # Safety
///
/// Called by libpam with its live handle and `argc` argument strings.
#[no_mangle]
pub unsafe extern "C" fn pam_sm_authenticate(
    pamh: *mut PamHandle,
    flags: c_int,
    argc: c_int,
    argv: *const *const c_char,
) -> c_int {
    catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: libpam's argv: `argc` NUL-terminated strings.
        let args = unsafe { arguments(argc, argv) };
        // SAFETY: the live handle of this call, used on this thread during it.
        let pam = unsafe { Pam::new(pamh, flags) };
        run(pam, &args)
    }))
    .unwrap_or(ffi::PAM_SYSTEM_ERR)
}

/// `auth` credentials step: nothing to set.
///
/// # Safety
///
/// Called by libpam; the arguments are not used.
#[no_mangle]
pub unsafe extern "C" fn pam_sm_setcred(
    _pamh: *mut PamHandle,
    _flags: c_int,
    _argc: c_int,
    _argv: *const *const c_char,
) -> c_int {
    ffi::PAM_SUCCESS
}

/// The module arguments, as text.
unsafe fn arguments(argc: c_int, argv: *const *const c_char) -> Vec<String> {
    if argv.is_null() || argc <= 0 {
        return Vec::new();
    }
    (0..argc as usize)
        .filter_map(|i| {
            // SAFETY: i < argc, per the caller's contract.
            let p = unsafe { *argv.add(i) };
            // SAFETY: non-null NUL-terminated string.
            (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
        })
        .collect()
}

fn run(mut pam: Pam, args: &[String]) -> c_int {
    let path = args
        .iter()
        .find_map(|a| a.strip_prefix("config="))
        .map_or_else(|| PathBuf::from(config::DEFAULT_PATH), PathBuf::from);
    let config = match Config::load(&path) {
        Ok(c) => c,
        Err(e) => {
            pam.log(ffi::LOG_ERR, &e.to_string());
            return ffi::PAM_AUTHINFO_UNAVAIL;
        }
    };
    let user = match pam.user() {
        Ok(u) => u,
        Err(e) => {
            pam.log(ffi::LOG_ERR, &e.to_string());
            return ffi::PAM_SERVICE_ERR;
        }
    };
    if !config.applies_to(&user, |u, g| pam.user_in_group(u, g)) {
        return ffi::PAM_IGNORE;
    }
    let login = Login {
        service: pam.item(ffi::PAM_SERVICE).unwrap_or_else(|| "login".into()),
        rhost: pam.item(ffi::PAM_RHOST).filter(|r| !r.is_empty()),
        hostname: config::hostname(),
        user,
    };
    let result = crate::setup::runtime().and_then(|runtime| {
        runtime.block_on(async {
            let rp = crate::setup::open_rp(&config).await?;
            let mut lines = Vec::new();
            let verdict = {
                let mut log = |line: &str| lines.push(line.to_owned());
                authenticate(&rp, &config, &login, &mut pam, &mut log).await
            };
            for line in lines {
                pam.log(ffi::LOG_NOTICE, &line);
            }
            verdict
        })
    });
    match result {
        Ok(Verdict::Success) => ffi::PAM_SUCCESS,
        Ok(Verdict::Failure) => ffi::PAM_AUTH_ERR,
        Ok(Verdict::Throttled) => ffi::PAM_MAXTRIES,
        Err(e) => {
            pam.log(ffi::LOG_ERR, &format!("{}: {e}", login.user));
            match e {
                Error::Conversation => ffi::PAM_CONV_ERR,
                _ => ffi::PAM_AUTHINFO_UNAVAIL,
            }
        }
    }
}
