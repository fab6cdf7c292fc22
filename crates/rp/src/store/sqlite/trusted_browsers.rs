//! The `trusted_browsers` table: browsers where the account's second step is skipped until
//! they expire or are revoked. Rows are keyed by account and id; the token is stored only
//! as its SHA-256, looked up together with the account. The statements are shared with
//! the other SQL backend (`store/shared_sql/trusted_browsers.rs`).

use sqlx::sqlite::SqliteRow;
use sqlx::{Row as _, SqlitePool};

use super::{count_u32, opt_i64, opt_u64, to_i64, to_u64};
use crate::error::{Error, Result};
use crate::store::{TrustedBrowserInfo, TrustedBrowserRecord};

crate::store::shared_sql::trusted_browser_statements!(
    SqlitePool,
    SqliteRow,
    "trusted_browsers",
    "rowid"
);
