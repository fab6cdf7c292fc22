//! The organization tables: `org_policies` (what each organization asks of its
//! members) and `org_members` (one row per member account). The statements are
//! shared with the other SQL backend (`store/shared_sql/orgs.rs`).

use sqlx::{Row as _, SqlitePool};

use super::{opt_u64, to_i64, to_u64};
use crate::error::Result;
use crate::store::{MemberAdded, OrgMemberRecord, OrgPolicy};

crate::store::shared_sql::org_statements!(SqlitePool, "org_policies", "org_members", "rowid");
