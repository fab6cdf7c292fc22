//! The accounts vault: accounts, their codes, and the encrypted vault that
//! holds them.

pub(crate) mod account;
mod account_list;
mod codes;
mod env;
mod generate;
mod push;
#[cfg(test)]
mod tests;
#[allow(clippy::module_inception)]
mod vault;

pub(crate) use account::{check_name, default_name};
pub use account::{Account, AccountFields, AccountId, AccountKind, MAX_NAME_CHARS};
pub use codes::{CodeTiming, CodeView};
pub use env::{VaultEnv, DEFAULT_VAULT_NAME};
#[cfg(test)]
pub(crate) use push::sample_enrollment;
pub use push::{PushEnrollment, PushHandover};
pub(crate) use push::{PushState, SeenChallenge};
pub use vault::Vault;
