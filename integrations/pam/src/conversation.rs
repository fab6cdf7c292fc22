//! What the login flow needs of the PAM conversation, as a trait (the module's is
//! [`crate::pam::Pam`]; tests use a scripted one).

use zeroize::Zeroizing;

use crate::error::Result;

/// The user's side of a login: messages out, one typed line in.
pub trait Conversation {
    /// An informational message (`PAM_TEXT_INFO`).
    fn info(&mut self, text: &str) -> Result<()>;
    /// An error message (`PAM_ERROR_MSG`).
    fn error(&mut self, text: &str) -> Result<()>;
    /// A prompt with echo on (`PAM_PROMPT_ECHO_ON`); the typed line.
    fn prompt(&mut self, text: &str) -> Result<Zeroizing<String>>;
}
