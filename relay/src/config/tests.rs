//! Tests of configuration resolution: precedence, defaults, TLS modes and
//! refused input.

use super::*;

#[test]
fn defaults_are_zero_config() {
    let config = Config::resolve(&ConfigArgs::default()).unwrap();
    assert_eq!(config.listen.to_string(), DEFAULT_LISTEN);
    assert_eq!(config.database_url, DEFAULT_DATABASE_URL);
    assert_eq!(config.public_origin.as_str(), "https://127.0.0.1:8080");
}

#[test]
fn flags_beat_file_beat_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("relay.toml");
    std::fs::write(
        &path,
        "listen = \"0.0.0.0:9000\"\nbody_limit = 2048\nmax_pending_per_device = 2\n\
         public_origin = \"https://relay.example.com\"\n",
    )
    .unwrap();
    let args = ConfigArgs {
        config: Some(path),
        body_limit: Some(4096),
        ..ConfigArgs::default()
    };
    let config = Config::resolve(&args).unwrap();
    assert_eq!(config.listen.to_string(), "0.0.0.0:9000");
    assert_eq!(config.body_limit, 4096);
    assert_eq!(config.limits.max_pending_per_device, 2);
    assert_eq!(config.public_origin.as_str(), "https://relay.example.com");
    assert_eq!(config.purge_interval_secs, 60);

    let with_path = ConfigArgs {
        public_origin: Some("https://example.com/relay".into()),
        ..ConfigArgs::default()
    };
    assert_eq!(
        Config::resolve(&with_path).unwrap().public_origin.as_str(),
        "https://example.com/relay"
    );
}

#[test]
fn tls_modes() {
    assert_eq!(Config::defaults().unwrap().tls, TlsMode::Dev);
    let files = ConfigArgs {
        tls_cert: Some("c.pem".into()),
        tls_key: Some("k.pem".into()),
        ..ConfigArgs::default()
    };
    assert_eq!(
        Config::resolve(&files).unwrap().tls,
        TlsMode::Files {
            cert: "c.pem".into(),
            key: "k.pem".into()
        }
    );
    let half = ConfigArgs {
        tls_cert: Some("c.pem".into()),
        ..ConfigArgs::default()
    };
    assert!(Config::resolve(&half).is_err());
    let plain_without_origin = ConfigArgs {
        plain_http: true,
        ..ConfigArgs::default()
    };
    let err = Config::resolve(&plain_without_origin)
        .unwrap_err()
        .to_string();
    assert!(err.contains("public_origin"), "{err}");
    let plain = ConfigArgs {
        plain_http: true,
        public_origin: Some("https://relay.example.com".into()),
        ..ConfigArgs::default()
    };
    assert_eq!(Config::resolve(&plain).unwrap().tls, TlsMode::Plain);
    let both = ConfigArgs {
        tls_key: Some("k.pem".into()),
        ..files.clone()
    };
    let both = ConfigArgs {
        plain_http: true,
        public_origin: Some("https://relay.example.com".into()),
        ..both
    };
    assert!(Config::resolve(&both).is_err());
}

#[test]
fn unknown_file_keys_and_bad_values_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("relay.toml");
    std::fs::write(&path, "lisen = \"0.0.0.0:9000\"\n").unwrap();
    let args = ConfigArgs {
        config: Some(path.clone()),
        ..ConfigArgs::default()
    };
    let err = Config::resolve(&args).unwrap_err().to_string();
    assert!(err.contains("lisen"), "{err}");

    for origin in [
        "relay.example.com",
        "https://relay.example.com/",
        "http://relay.example.com",
        "https://Relay.example.com",
        "https://relay.example.com:443",
        "ftp://x",
    ] {
        let args = ConfigArgs {
            public_origin: Some(origin.into()),
            ..ConfigArgs::default()
        };
        assert!(Config::resolve(&args).is_err(), "{origin}");
    }
    let missing = ConfigArgs {
        config: Some(dir.path().join("missing.toml")),
        ..ConfigArgs::default()
    };
    assert!(matches!(
        Config::resolve(&missing),
        Err(ConfigError::Read { .. })
    ));
}

#[test]
fn connection_limits_have_defaults_and_refuse_zero() {
    let config = Config::resolve(&ConfigArgs::default()).unwrap();
    assert_eq!(config.connections, ConnectionLimits::default());
    assert_eq!(config.connections.header_read_timeout.as_secs(), 30);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("relay.toml");
    std::fs::write(
        &path,
        "max_connections = 500\nheader_read_timeout_secs = 5\n",
    )
    .unwrap();
    let config = Config::resolve(&ConfigArgs {
        config: Some(path),
        ..ConfigArgs::default()
    })
    .unwrap();
    assert_eq!(config.connections.max_connections, 500);
    assert_eq!(config.connections.header_read_timeout.as_secs(), 5);
    for args in [
        ConfigArgs {
            max_connections: Some(0),
            ..ConfigArgs::default()
        },
        ConfigArgs {
            header_read_timeout_secs: Some(0),
            ..ConfigArgs::default()
        },
    ] {
        assert!(Config::resolve(&args).is_err());
    }
}

#[test]
fn metrics_and_webhook_networks_from_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("relay.toml");
    let token = "k".repeat(32);
    std::fs::write(
        &path,
        format!(
            "metrics_listen = \"10.0.0.5:9100\"\nmetrics_token = \"{token}\"\n\
             webhook_allow_networks = [\"10.0.0.0/8\"]\nmax_long_polls_per_tenant = 50\n"
        ),
    )
    .unwrap();
    let config = Config::resolve(&ConfigArgs {
        config: Some(path.clone()),
        ..ConfigArgs::default()
    })
    .unwrap();
    assert_eq!(config.metrics.listen, "10.0.0.5:9100".parse().ok());
    assert!(config
        .metrics
        .token
        .as_ref()
        .is_some_and(|t| t.admits(Some(format!("Bearer {token}").as_bytes()))));
    assert_eq!(config.webhook_allow_networks.len(), 1);
    assert_eq!(config.limits.max_long_polls_per_tenant, 50);
    // The resolved configuration never prints the token.
    assert!(!format!("{config:?}").contains(&token));

    std::fs::write(&path, "webhook_allow_networks = [\"10.0.0.0/99\"]\n").unwrap();
    let err = Config::resolve(&ConfigArgs {
        config: Some(path),
        ..ConfigArgs::default()
    })
    .unwrap_err()
    .to_string();
    assert!(err.contains("10.0.0.0/99"), "{err}");
}
