//! TLS to PostgreSQL (docs/deploy.md: `sslmode=verify-full` with `sslrootcert` for a
//! private CA): the store's connections are encrypted and the server's certificate is
//! checked, so a server with a certificate from another CA is refused.

use std::path::Path;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use sqlx::Connection as _;

use crate::store::postgres::PgStore;
use crate::store::{StoreOptions, Tenant, TenantStore as _};

/// A CA and a certificate chain for 127.0.0.1 signed by it: (CA PEM, chain PEM, key PEM).
fn certificates(name: &str) -> (String, String, String) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.distinguished_name.push(DnType::CommonName, name);
    let ca = ca.self_signed(&ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &ca, &ca_key)
        .unwrap();
    (
        ca.pem(),
        format!("{}{}", leaf.pem(), ca.pem()),
        leaf_key.serialize_pem(),
    )
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[tokio::test]
async fn the_store_talks_tls_and_checks_the_servers_certificate() {
    let server = assent_pg_testkit::Server::start().unwrap();
    let (ca, chain, key) = certificates("Test database CA");
    server.enable_tls(&chain, &key).unwrap();
    let url = server.database().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let right_ca = write(dir.path(), "ca.pem", &ca);
    let options = || StoreOptions {
        max_connections: 2,
        cache_ttl: std::time::Duration::ZERO,
    };

    let tls_url = format!("{url}?sslmode=verify-full&sslrootcert={right_ca}");
    let store = PgStore::open_with(&tls_url, options()).await.unwrap();
    let tenant = Tenant {
        id: "t1".into(),
        name: "example.com".into(),
        created_at: 1,
    };
    store.create_tenant(&tenant).await.unwrap();
    assert_eq!(store.tenant("t1").await.unwrap(), Some(tenant));

    // Every connection the store holds is encrypted.
    let mut check = sqlx::PgConnection::connect(&url).await.unwrap();
    let (connections, encrypted): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COUNT(*) FILTER (WHERE s.ssl)
         FROM pg_stat_activity AS a JOIN pg_stat_ssl AS s USING (pid)
         WHERE a.datname = current_database() AND a.application_name = 'assent-relay'",
    )
    .fetch_one(&mut check)
    .await
    .unwrap();
    assert!(connections >= 1, "the store is connected");
    assert_eq!(encrypted, connections, "all of its connections use TLS");

    // The same server seen through another CA: refused, nothing opened.
    let (other_ca, _, _) = certificates("Some other CA");
    let wrong_ca = write(dir.path(), "other.pem", &other_ca);
    let refused = PgStore::open_with(
        &format!("{url}?sslmode=verify-full&sslrootcert={wrong_ca}"),
        options(),
    )
    .await;
    let Err(err) = refused else {
        panic!("a certificate from another CA is refused");
    };
    assert!(
        !err.to_string().contains("BEGIN CERTIFICATE"),
        "the error names the problem, not the files: {err}"
    );
}
