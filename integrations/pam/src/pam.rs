//! A safe face on the PAM handle: the user, items, the conversation and syslog. Every
//! `unsafe` block of the module is here or in `entry.rs`, each with the reason it holds.
#![allow(unsafe_code)]

use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_int, c_void};
use std::ptr;

use zeroize::Zeroizing;

use crate::conversation::Conversation;
use crate::error::{Error, Result};
use crate::ffi;

/// The handle libpam passed to `pam_sm_authenticate`, for the length of that call.
pub struct Pam {
    handle: *mut ffi::PamHandle,
    silent: bool,
}

impl Pam {
    /// Wraps `handle`; `flags` are the call's (`PAM_SILENT` drops informational messages).
    ///
    /// # Safety
    ///
    /// `handle` must be the live handle of the current PAM call (or null, which every
    /// method refuses), used on this thread only while the call lasts.
    pub unsafe fn new(handle: *mut ffi::PamHandle, flags: c_int) -> Self {
        Self {
            handle,
            silent: flags & ffi::PAM_SILENT != 0,
        }
    }

    fn live(&self) -> Result<()> {
        if self.handle.is_null() {
            return Err(Error::Pam("null PAM handle"));
        }
        Ok(())
    }

    /// The user being authenticated (asked through the conversation if not yet known).
    pub fn user(&self) -> Result<String> {
        self.live()?;
        let mut user: *const c_char = ptr::null();
        // SAFETY: the handle is live; libpam writes a pointer to a string it owns, valid
        // until the item changes, and we copy it at once.
        let rc = unsafe { ffi::pam_get_user(self.handle, &mut user, ptr::null()) };
        if rc != ffi::PAM_SUCCESS || user.is_null() {
            return Err(Error::Pam("pam_get_user failed"));
        }
        // SAFETY: non-null, NUL-terminated, owned by libpam for the call.
        let user = unsafe { CStr::from_ptr(user) };
        user.to_str()
            .map(str::to_owned)
            .map_err(|_| Error::Pam("user name is not UTF-8"))
    }

    /// A string item (`PAM_SERVICE`, `PAM_RHOST`), if set.
    pub fn item(&self, item: c_int) -> Option<String> {
        self.live().ok()?;
        let mut value: *const c_void = ptr::null();
        // SAFETY: the handle is live; for string items libpam writes a pointer to a
        // NUL-terminated string it owns.
        let rc = unsafe { ffi::pam_get_item(self.handle, item, &mut value) };
        if rc != ffi::PAM_SUCCESS || value.is_null() {
            return None;
        }
        // SAFETY: a string item, non-null.
        let text = unsafe { CStr::from_ptr(value.cast::<c_char>()) };
        text.to_str().ok().map(str::to_owned)
    }

    /// Whether `user` is a member of `group` (NSS, primary or supplementary).
    pub fn user_in_group(&self, user: &str, group: &str) -> bool {
        let (Ok(user), Ok(group)) = (CString::new(user), CString::new(group)) else {
            return false;
        };
        if self.live().is_err() {
            return false;
        }
        // SAFETY: live handle, two NUL-terminated strings that outlive the call.
        unsafe {
            ffi::pam_modutil_user_in_group_nam_nam(self.handle, user.as_ptr(), group.as_ptr()) == 1
        }
    }

    /// Logs `message` to syslog (authpriv) through libpam. Never pass a secret.
    pub fn log(&self, priority: c_int, message: &str) {
        if self.live().is_err() {
            return;
        }
        let clean: String = message.chars().filter(|c| !c.is_control()).collect();
        let Ok(message) = CString::new(clean) else {
            return;
        };
        // SAFETY: live handle; the format is a constant "%s" with one string argument.
        unsafe { ffi::pam_syslog(self.handle, priority, c"%s".as_ptr(), message.as_ptr()) };
    }

    /// One message through the application's conversation function; the response text for
    /// prompts (zeroized, as is libpam's copy).
    fn converse(&self, style: c_int, text: &str) -> Result<Option<Zeroizing<String>>> {
        self.live()?;
        let mut conv: *const c_void = ptr::null();
        // SAFETY: live handle; PAM_CONV is a `struct pam_conv *` owned by libpam.
        let rc = unsafe { ffi::pam_get_item(self.handle, ffi::PAM_CONV, &mut conv) };
        if rc != ffi::PAM_SUCCESS || conv.is_null() {
            return Err(Error::Conversation);
        }
        // SAFETY: non-null PAM_CONV item, a `struct pam_conv`.
        let conv = unsafe { &*conv.cast::<ffi::PamConv>() };
        let Some(function) = conv.conv else {
            return Err(Error::Conversation);
        };
        let text = CString::new(text.replace('\0', "")).map_err(|_| Error::Conversation)?;
        let message = ffi::PamMessage {
            msg_style: style,
            msg: text.as_ptr(),
        };
        let mut messages: [*const ffi::PamMessage; 1] = [&message];
        let mut response: *mut ffi::PamResponse = ptr::null_mut();
        // SAFETY: one message, valid for the call; the application allocates `response`
        // (an array of one `pam_response`) with malloc, which we free below.
        let rc = unsafe { function(1, messages.as_mut_ptr(), &mut response, conv.appdata_ptr) };
        let answer = if response.is_null() {
            None
        } else {
            // SAFETY: the array the application allocated, of one element.
            let resp = unsafe { (*response).resp };
            let answer = if resp.is_null() {
                None
            } else {
                // SAFETY: a malloc'd NUL-terminated string; copied here, then wiped and freed.
                let (copy, len) = unsafe {
                    let bytes = CStr::from_ptr(resp).to_bytes();
                    (
                        Zeroizing::new(String::from_utf8_lossy(bytes).into_owned()),
                        bytes.len(),
                    )
                };
                // SAFETY: `len` bytes of the same allocation, no longer borrowed; then the
                // allocation is freed once.
                unsafe {
                    ptr::write_bytes(resp, 0, len);
                    ffi::free(resp.cast());
                }
                Some(copy)
            };
            // SAFETY: the malloc'd array.
            unsafe { ffi::free(response.cast()) };
            answer
        };
        if rc != ffi::PAM_SUCCESS {
            return Err(Error::Conversation);
        }
        Ok(answer)
    }
}

impl Conversation for Pam {
    fn info(&mut self, text: &str) -> Result<()> {
        if self.silent {
            return Ok(());
        }
        self.converse(ffi::PAM_TEXT_INFO, text).map(|_| ())
    }

    fn error(&mut self, text: &str) -> Result<()> {
        if self.silent {
            return Ok(());
        }
        self.converse(ffi::PAM_ERROR_MSG, text).map(|_| ())
    }

    fn prompt(&mut self, text: &str) -> Result<Zeroizing<String>> {
        Ok(self
            .converse(ffi::PAM_PROMPT_ECHO_ON, text)?
            .unwrap_or_default())
    }
}
