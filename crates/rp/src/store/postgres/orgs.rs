//! The organization tables: `rp_org_policies` (what each organization asks of its
//! members) and `rp_org_members` (one row per member account). The statements are
//! shared with the other SQL backend (`store/shared_sql/orgs.rs`).

use sqlx::{PgPool, Row as _};

use super::{opt_u64, to_i64, to_u64};
use crate::error::Result;
use crate::store::{MemberAdded, OrgMemberRecord, OrgPolicy};

crate::store::shared_sql::org_statements!(PgPool, "rp_org_policies", "rp_org_members", "seq");
