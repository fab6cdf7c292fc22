//! The few libpam declarations this module needs (Linux-PAM's `security/_pam_types.h`,
//! `pam_modules.h`, `pam_ext.h`, `pam_modutil.h`), written out instead of generated.
#![allow(unsafe_code)]

use std::os::raw::{c_char, c_int, c_void};

/// `pam_handle_t`, opaque.
#[repr(C)]
pub struct PamHandle {
    _private: [u8; 0],
}

/// `struct pam_message`.
#[repr(C)]
pub struct PamMessage {
    pub msg_style: c_int,
    pub msg: *const c_char,
}

/// `struct pam_response`: the conversation `malloc`s the array and each `resp`.
#[repr(C)]
pub struct PamResponse {
    pub resp: *mut c_char,
    pub resp_retcode: c_int,
}

/// The application's conversation function.
pub type ConvFn = unsafe extern "C" fn(
    num_msg: c_int,
    msg: *mut *const PamMessage,
    resp: *mut *mut PamResponse,
    appdata_ptr: *mut c_void,
) -> c_int;

/// `struct pam_conv`.
#[repr(C)]
pub struct PamConv {
    pub conv: Option<ConvFn>,
    pub appdata_ptr: *mut c_void,
}

pub const PAM_SUCCESS: c_int = 0;
pub const PAM_SERVICE_ERR: c_int = 3;
pub const PAM_SYSTEM_ERR: c_int = 4;
pub const PAM_AUTH_ERR: c_int = 7;
pub const PAM_AUTHINFO_UNAVAIL: c_int = 9;
pub const PAM_MAXTRIES: c_int = 11;
pub const PAM_CONV_ERR: c_int = 19;
pub const PAM_IGNORE: c_int = 25;

pub const PAM_SILENT: c_int = 0x8000;

pub const PAM_SERVICE: c_int = 1;
pub const PAM_RHOST: c_int = 4;
pub const PAM_CONV: c_int = 5;

pub const PAM_PROMPT_ECHO_ON: c_int = 2;
pub const PAM_ERROR_MSG: c_int = 3;
pub const PAM_TEXT_INFO: c_int = 4;

pub const LOG_ERR: c_int = 3;
pub const LOG_NOTICE: c_int = 5;

#[link(name = "pam")]
extern "C" {
    pub fn pam_get_user(
        pamh: *mut PamHandle,
        user: *mut *const c_char,
        prompt: *const c_char,
    ) -> c_int;
    pub fn pam_get_item(
        pamh: *const PamHandle,
        item_type: c_int,
        item: *mut *const c_void,
    ) -> c_int;
    pub fn pam_syslog(pamh: *const PamHandle, priority: c_int, fmt: *const c_char, ...);
    pub fn pam_modutil_user_in_group_nam_nam(
        pamh: *mut PamHandle,
        user: *const c_char,
        group: *const c_char,
    ) -> c_int;
}

extern "C" {
    /// libc's `free`, for what the conversation allocated.
    pub fn free(ptr: *mut c_void);
}
