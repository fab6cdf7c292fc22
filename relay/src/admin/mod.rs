//! `assent-relay admin ...`: tenants and API keys, straight on the store.

pub(crate) mod features;

use std::io::Write;

use crate::auth::make_api_key;
use crate::cli::{AdminCommand, KeyCommand, TenantCommand};
use crate::random::{random_id, RandomError};
use crate::settings::SettingsStore;
use crate::store::{db_time, DbTime, Store, StoreError, Tenant};
use crate::webhook::Destinations;

/// An admin command failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// Bad argument (unknown tenant or key, duplicate name...).
    #[error("{0}")]
    Usage(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Randomness failed.
    #[error(transparent)]
    Random(#[from] RandomError),
    /// Writing the output failed.
    #[error("cannot write output: {0}")]
    Io(#[from] std::io::Error),
}

/// Makes tenant `name` (trimmed, 1 to 200 characters, unique): what `admin tenant
/// create` and the embedding API's `create_tenant` both do.
pub(crate) async fn create_tenant(
    store: &dyn Store,
    name: &str,
    now: DbTime,
) -> Result<Tenant, AdminError> {
    let name = name.trim();
    if name.is_empty() || name.len() > 200 {
        return Err(AdminError::Usage(
            "tenant name must be 1 to 200 characters".into(),
        ));
    }
    let tenant = Tenant {
        id: random_id()?,
        name: name.to_owned(),
        created_at: now,
    };
    match store.create_tenant(&tenant).await {
        Err(StoreError::Conflict) => Err(AdminError::Usage(format!(
            "a tenant named {name:?} already exists"
        ))),
        other => other.map(|()| tenant).map_err(AdminError::from),
    }
}

pub(crate) async fn find_tenant(store: &dyn Store, id_or_name: &str) -> Result<Tenant, AdminError> {
    if let Some(tenant) = store.tenant(id_or_name).await? {
        return Ok(tenant);
    }
    store
        .tenant_by_name(id_or_name)
        .await?
        .ok_or_else(|| AdminError::Usage(format!("no tenant with id or name {id_or_name:?}")))
}

/// Runs one admin command, writing its human-readable output to `out`
/// (without tenant settings: managed mode and webhooks are refused).
#[cfg(test)]
pub async fn run(
    store: &dyn Store,
    command: &AdminCommand,
    now: u64,
    out: &mut dyn Write,
) -> Result<(), AdminError> {
    run_with(store, None, &Destinations::default(), command, now, out).await
}

/// [`run`] with the tenant settings store (managed mode, webhooks) and where webhooks
/// may go.
pub async fn run_with(
    store: &dyn Store,
    settings: Option<&dyn SettingsStore>,
    destinations: &Destinations,
    command: &AdminCommand,
    now: u64,
    out: &mut dyn Write,
) -> Result<(), AdminError> {
    let now = db_time(now);
    match command {
        AdminCommand::Tenant(TenantCommand::Create {
            name,
            managed,
            rp_id,
        }) => {
            let tenant = create_tenant(store, name, now).await?;
            writeln!(out, "created tenant {} ({})", tenant.id, tenant.name)?;
            if *managed {
                features::make_managed(settings, &tenant, rp_id.as_deref(), now, out).await?;
            }
            writeln!(out, "next: assent-relay admin key create {}", tenant.id)?;
        }
        AdminCommand::Tenant(
            other @ (TenantCommand::SetManaged { .. }
            | TenantCommand::SetWebhook { .. }
            | TenantCommand::ClearWebhook { .. }),
        ) => features::run(store, settings, destinations, other, now, out).await?,
        AdminCommand::Tenant(TenantCommand::List) => {
            let tenants = store.list_tenants().await?;
            if tenants.is_empty() {
                writeln!(out, "no tenants")?;
            }
            for tenant in tenants {
                writeln!(out, "{}\t{}\t{}", tenant.id, tenant.name, tenant.created_at)?;
            }
        }
        AdminCommand::Key(KeyCommand::Create { tenant }) => {
            let tenant = find_tenant(store, tenant).await?;
            let made = make_api_key(&tenant.id, now)?;
            store.create_api_key(&made.record).await?;
            writeln!(
                out,
                "created API key {} for tenant {} ({})",
                made.record.id, tenant.id, tenant.name
            )?;
            writeln!(out, "store it now, it is not shown again:")?;
            writeln!(out, "{}", made.key.as_str())?;
        }
        AdminCommand::Key(KeyCommand::Revoke { key_id }) => {
            if store.revoke_api_key(key_id, now).await? {
                writeln!(out, "revoked API key {key_id}")?;
            } else {
                return Err(AdminError::Usage(format!(
                    "no active API key with id {key_id:?}"
                )));
            }
        }
        AdminCommand::Key(KeyCommand::List { tenant }) => {
            let tenant = find_tenant(store, tenant).await?;
            let keys = store.list_api_keys(&tenant.id).await?;
            if keys.is_empty() {
                writeln!(out, "no keys")?;
            }
            for key in keys {
                let state = match key.revoked_at {
                    Some(at) => format!("revoked at {at}"),
                    None => "active".to_owned(),
                };
                writeln!(out, "{}\t{}\t{}", key.id, key.created_at, state)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::verify_api_key;
    use crate::store::sqlite::SqliteStore;
    use crate::store::TenantStore;

    async fn run_ok(store: &dyn Store, command: AdminCommand) -> String {
        let mut out = Vec::new();
        run(store, &command, 100, &mut out).await.unwrap();
        String::from_utf8(out).unwrap()
    }

    #[tokio::test]
    async fn tenant_and_key_lifecycle() {
        let store = SqliteStore::in_memory().await.unwrap();
        let out = run_ok(
            &store,
            AdminCommand::Tenant(TenantCommand::Create {
                name: "example.com".into(),
                managed: false,
                rp_id: None,
            }),
        )
        .await;
        assert!(out.contains("example.com"));
        let listed = run_ok(&store, AdminCommand::Tenant(TenantCommand::List)).await;
        assert!(listed.contains("example.com"));

        let dup = run(
            &store,
            &AdminCommand::Tenant(TenantCommand::Create {
                name: "example.com".into(),
                managed: false,
                rp_id: None,
            }),
            100,
            &mut Vec::new(),
        )
        .await;
        assert!(matches!(dup, Err(AdminError::Usage(_))));

        let out = run_ok(
            &store,
            AdminCommand::Key(KeyCommand::Create {
                tenant: "example.com".into(),
            }),
        )
        .await;
        let key = out
            .lines()
            .find(|l| l.starts_with("ask_"))
            .unwrap()
            .to_owned();
        let tenant = store.tenant_by_name("example.com").await.unwrap().unwrap();
        assert_eq!(
            verify_api_key(&store, &key).await.unwrap(),
            Some(tenant.id.clone())
        );
        let key_id = key[4..20].to_owned();
        let keys = run_ok(
            &store,
            AdminCommand::Key(KeyCommand::List {
                tenant: tenant.id.clone(),
            }),
        )
        .await;
        assert!(keys.contains(&key_id) && keys.contains("active"));
        assert!(!keys.contains(&key), "list must not show the secret");

        run_ok(
            &store,
            AdminCommand::Key(KeyCommand::Revoke {
                key_id: key_id.clone(),
            }),
        )
        .await;
        assert_eq!(verify_api_key(&store, &key).await.unwrap(), None);
        let again = run(
            &store,
            &AdminCommand::Key(KeyCommand::Revoke { key_id }),
            100,
            &mut Vec::new(),
        )
        .await;
        assert!(matches!(again, Err(AdminError::Usage(_))));
    }

    #[tokio::test]
    async fn key_for_unknown_tenant_is_refused() {
        let store = SqliteStore::in_memory().await.unwrap();
        let result = run(
            &store,
            &AdminCommand::Key(KeyCommand::Create {
                tenant: "nobody".into(),
            }),
            0,
            &mut Vec::new(),
        )
        .await;
        assert!(matches!(result, Err(AdminError::Usage(_))));
    }
}
