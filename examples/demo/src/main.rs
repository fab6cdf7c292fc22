//! `assent-demo`: starts the demo login site and prints its URL.

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use assent_core::https::HttpsTransport;
use assent_demo::config::Config;
use assent_demo::db::Db;
use assent_demo::embedded::EmbeddedRelay;
use assent_demo::error::AppError;
use assent_demo::routes::second_step::parse_kind;
use assent_demo::sim::SimPhone;
use assent_demo::{app, make_rp, AppState, Settings};
use assent_protocol::{RelayUrl, RpId};
use assent_rp::relay_http::HttpRelay;
use assent_rp::{Argon2idHasher, RelayApi, SqliteStore};
use clap::Parser;

#[derive(Debug, thiserror::Error)]
enum StartError {
    #[error("{0}")]
    Config(String),
    #[error("{0}")]
    App(#[from] AppError),
    #[error("{0}")]
    Rp(#[from] assent_rp::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,assent_demo=info".into()),
        )
        .init();
    let config = Config::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("assent-demo: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("assent-demo: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The relay the RP talks to, the URL offers name, the simulated phone when
/// there is one, and the embedded relay when the demo runs it.
struct RelaySetup {
    api: Arc<dyn RelayApi>,
    url: RelayUrl,
    phone: Option<SimPhone>,
    embedded: Option<EmbeddedRelay>,
}

async fn relay(config: &Config, data_dir: &Path) -> Result<RelaySetup, StartError> {
    let Some(url) = &config.relay_url else {
        let relay =
            assent_demo::embedded::start(&data_dir.join("relay"), config.embedded_relay_listen)
                .await
                .map_err(StartError::Config)?;
        let api = HttpRelay::with_extra_ca(relay.url.clone(), &relay.api_key, &relay.ca_pem)
            .map_err(|e| StartError::Config(format!("relay client: {e}")))?;
        let transport = HttpsTransport::with_extra_ca(&relay.ca_pem)
            .map_err(|e| StartError::Config(format!("phone transport: {e}")))?;
        let phone = SimPhone::open(&data_dir.join("phone"), Arc::new(transport))?;
        println!(
            "Embedded relay: {} (CA for phones: {})",
            relay.url.as_str(),
            relay.ca_path.display()
        );
        return Ok(RelaySetup {
            api: Arc::new(api),
            url: relay.url.clone(),
            phone: Some(phone),
            embedded: Some(relay),
        });
    };
    let url = RelayUrl::parse(url).map_err(|e| StartError::Config(format!("--relay-url: {e}")))?;
    let key = config
        .relay_api_key
        .as_deref()
        .ok_or_else(|| StartError::Config("--relay-url needs --relay-api-key".into()))?;
    let api = match &config.relay_ca {
        Some(path) => HttpRelay::with_extra_ca(url.clone(), key, &std::fs::read(path)?),
        None => HttpRelay::new(url.clone(), key),
    }
    .map_err(|e| StartError::Config(format!("relay client: {e}")))?;
    Ok(RelaySetup {
        api: Arc::new(api),
        url,
        phone: None,
        embedded: None,
    })
}

async fn run(config: Config) -> Result<(), StartError> {
    let data_dir = config.data_dir();
    std::fs::create_dir_all(&data_dir)?;
    let approval = parse_kind(&config.approval)
        .ok_or_else(|| StartError::Config("--approval must be number or code".into()))?;
    let rp_id =
        RpId::parse(&config.rp_id).map_err(|e| StartError::Config(format!("--rp-id: {e}")))?;
    let db = Arc::new(Db::open(&data_dir.join("demo.sqlite"))?);
    let store = Arc::new(SqliteStore::open(data_dir.join("rp.sqlite")).await?);
    let RelaySetup {
        api,
        url: relay_url,
        phone,
        embedded,
    } = relay(&config, &data_dir).await?;
    let hasher = Arc::new(Argon2idHasher::owasp());
    let rp = make_rp(store, rp_id, api, db.clone(), hasher.clone()).with_push_policy(
        assent_rp::PushPolicy {
            max_per_window: config.pushes_per_window,
            ..assent_rp::PushPolicy::default()
        },
    );
    let relay_text = relay_url.as_str().to_owned();
    let settings = Settings {
        issuer: config.issuer.clone(),
        relay_url,
        secure_cookies: config.secure_cookies(),
        approval,
    };
    let mut state = AppState::new(db.clone(), rp, settings, hasher);
    let simulated = phone.is_some();
    if let Some(phone) = phone {
        state = state.with_sim(Arc::new(phone));
    }
    tokio::spawn(purge_sessions(state.clone()));
    tokio::spawn(process_unenroll_requests(state.clone()));
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let url = config.public_url();
    println!("Assent demo: open {url}/");
    if simulated {
        println!("The simulated phone is at {url}/phone");
    } else {
        println!("Relay: {relay_text}");
    }
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown())
    .await?;
    if let Some(embedded) = embedded {
        embedded.running.shutdown().await;
    }
    Ok(())
}

async fn purge_sessions(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(600));
    loop {
        tick.tick().await;
        if let Err(e) = state.db.purge_sessions(state.now()) {
            tracing::warn!(error = %e, "session purge failed");
        }
    }
}

/// Phones may ask to be removed ("remove this account" in the app): the RP
/// verifies and confirms each request it finds at the relay.
async fn process_unenroll_requests(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(30));
    loop {
        tick.tick().await;
        let Ok(mut rng) = assent_demo::state::rng() else {
            continue;
        };
        match state.rp.process_unenroll_requests(&mut rng).await {
            Ok(report) if report.confirmed > 0 || report.refused > 0 => {
                tracing::info!(?report, "unenroll requests processed");
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "unenroll requests not processed"),
        }
    }
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
