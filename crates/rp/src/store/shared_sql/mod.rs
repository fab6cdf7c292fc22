//! Statements that are the same on both SQL backends, as macros each backend expands
//! in its family file with its own pool type and table names (the older families keep
//! a copy per backend).

mod orgs;
mod trusted_browsers;

pub(crate) use orgs::org_statements;
pub(crate) use trusted_browsers::trusted_browser_statements;
