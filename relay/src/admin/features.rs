//! `assent-relay admin tenant` commands for managed mode and webhooks
//! (`create --managed`, `set-managed`, `set-webhook`, `clear-webhook`).

use std::io::Write;

use assent_protocol::RpId;

use super::{find_tenant, AdminError};
use crate::cli::TenantCommand;
use crate::settings::{SettingsStore, WebhookConfig};
use crate::store::{DbTime, Store, Tenant};
use crate::webhook::{check_url, make_secret, Destinations};

fn need(settings: Option<&dyn SettingsStore>) -> Result<&dyn SettingsStore, AdminError> {
    settings.ok_or_else(|| {
        AdminError::Usage("tenant settings are not available with this database".into())
    })
}

/// Puts `tenant` in managed mode with `rp_id` (default: its name).
pub async fn make_managed(
    settings: Option<&dyn SettingsStore>,
    tenant: &Tenant,
    rp_id: Option<&str>,
    now: DbTime,
    out: &mut dyn Write,
) -> Result<(), AdminError> {
    let settings = need(settings)?;
    let rp_id = rp_id.unwrap_or(&tenant.name);
    let rp_id = RpId::parse(rp_id).map_err(|e| {
        AdminError::Usage(format!(
            "{rp_id:?} is not a valid RP id (a lowercase host name): {e}; give --rp-id"
        ))
    })?;
    settings
        .set_managed(&tenant.id, true, Some(rp_id.as_str()), now)
        .await?;
    writeln!(
        out,
        "tenant {} is in MANAGED mode for RP id {}: the relay holds this RP's keys and gives \
         verdicts over /v1/managed/..., so this RP trusts the relay (offers say custody=relay)",
        tenant.id,
        rp_id.as_str()
    )?;
    Ok(())
}

/// Runs `set-managed`, `set-webhook` or `clear-webhook`.
pub async fn run(
    store: &dyn Store,
    settings: Option<&dyn SettingsStore>,
    destinations: &Destinations,
    command: &TenantCommand,
    now: DbTime,
    out: &mut dyn Write,
) -> Result<(), AdminError> {
    match command {
        TenantCommand::SetManaged { tenant, rp_id, off } => {
            let tenant = find_tenant(store, tenant).await?;
            if *off {
                need(settings)?
                    .set_managed(&tenant.id, false, None, now)
                    .await?;
                writeln!(out, "tenant {} is end-to-end (not managed)", tenant.id)?;
            } else {
                make_managed(settings, &tenant, rp_id.as_deref(), now, out).await?;
            }
        }
        TenantCommand::SetWebhook { tenant, url } => {
            let settings = need(settings)?;
            let tenant = find_tenant(store, tenant).await?;
            check_url(url, destinations).map_err(AdminError::Usage)?;
            let secret = make_secret()?;
            let config = WebhookConfig {
                url: url.clone(),
                secret,
            };
            settings.set_webhook(&tenant.id, Some(&config), now).await?;
            writeln!(out, "webhook of tenant {} set to {}", tenant.id, config.url)?;
            writeln!(
                out,
                "signing secret (HMAC-SHA256 key of Assent-Webhook-Signature), not shown again:"
            )?;
            writeln!(out, "{}", config.secret.as_str())?;
        }
        TenantCommand::ClearWebhook { tenant } => {
            let tenant = find_tenant(store, tenant).await?;
            need(settings)?.set_webhook(&tenant.id, None, now).await?;
            writeln!(out, "webhook of tenant {} removed", tenant.id)?;
        }
        TenantCommand::Create { .. } | TenantCommand::List => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admin::run_with;
    use crate::cli::AdminCommand;
    use crate::settings::SqliteSettings;
    use crate::store::sqlite::SqliteStore;
    use crate::store::TenantStore;

    async fn ok(store: &SqliteStore, settings: &SqliteSettings, command: TenantCommand) -> String {
        let mut out = Vec::new();
        run_with(
            store,
            Some(settings),
            &Destinations::default(),
            &AdminCommand::Tenant(command),
            5,
            &mut out,
        )
        .await
        .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[tokio::test]
    async fn managed_and_webhook_commands() {
        let store = SqliteStore::in_memory().await.unwrap();
        let settings = SqliteSettings::new(&store);
        let out = ok(
            &store,
            &settings,
            TenantCommand::Create {
                name: "login.example.com".into(),
                managed: true,
                rp_id: None,
            },
        )
        .await;
        assert!(
            out.contains("MANAGED") && out.contains("trusts the relay"),
            "{out}"
        );
        let tenant = store
            .tenant_by_name("login.example.com")
            .await
            .unwrap()
            .unwrap();
        let got = settings.settings(&tenant.id).await.unwrap();
        assert!(got.managed);
        assert_eq!(got.rp_id.as_deref(), Some("login.example.com"));

        // A name that is no RP id needs --rp-id.
        let mut out = Vec::new();
        let bad = run_with(
            &store,
            Some(&settings),
            &Destinations::default(),
            &AdminCommand::Tenant(TenantCommand::Create {
                name: "My Shop".into(),
                managed: true,
                rp_id: None,
            }),
            5,
            &mut out,
        )
        .await;
        assert!(matches!(bad, Err(AdminError::Usage(_))));
        ok(
            &store,
            &settings,
            TenantCommand::SetManaged {
                tenant: "My Shop".into(),
                rp_id: Some("shop.example".into()),
                off: false,
            },
        )
        .await;
        ok(
            &store,
            &settings,
            TenantCommand::SetManaged {
                tenant: "login.example.com".into(),
                rp_id: None,
                off: true,
            },
        )
        .await;
        assert!(!settings.settings(&tenant.id).await.unwrap().managed);

        let out = ok(
            &store,
            &settings,
            TenantCommand::SetWebhook {
                tenant: tenant.id.clone(),
                url: "https://login.example.com/assent".into(),
            },
        )
        .await;
        let secret = out.lines().find(|l| l.starts_with("whsec_")).unwrap();
        let hook = settings
            .settings(&tenant.id)
            .await
            .unwrap()
            .webhook
            .unwrap();
        assert_eq!(hook.secret.as_str(), secret);
        let mut out = Vec::new();
        let http = run_with(
            &store,
            Some(&settings),
            &Destinations::default(),
            &AdminCommand::Tenant(TenantCommand::SetWebhook {
                tenant: tenant.id.clone(),
                url: "http://127.0.0.1:9/h".into(),
            }),
            5,
            &mut out,
        )
        .await;
        assert!(matches!(http, Err(AdminError::Usage(_))));
        ok(
            &store,
            &settings,
            TenantCommand::ClearWebhook {
                tenant: tenant.id.clone(),
            },
        )
        .await;
        assert!(settings
            .settings(&tenant.id)
            .await
            .unwrap()
            .webhook
            .is_none());
    }
}
