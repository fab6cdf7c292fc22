//! The accounts vault: accounts, their codes, and the encrypted vault that
//! holds them.

mod account;
mod codes;
#[allow(clippy::module_inception)]
mod vault;

pub(crate) use account::default_name;
pub use account::{Account, AccountFields, AccountId, AccountKind, PushEnrollment, MAX_NAME_CHARS};
pub use codes::{CodeTiming, CodeView};
pub use vault::{Vault, VaultEnv, DEFAULT_VAULT_NAME};
