//! A real PostgreSQL server for tests, started by the tests themselves.
//!
//! [`Server::start`] runs `initdb` in a fresh temporary directory and starts
//! `postgres` on a free loopback port (and a Unix socket in the same
//! directory), as the `postgres` user when the tests run as root. Nothing
//! here uses a server that happens to be running.
//!
//! A small shell supervisor owns the server: it stops it and deletes the
//! directory when its standard input closes, which happens when the test
//! process exits for any reason (a failed assertion, `kill -9`). So a
//! [`Server::shared`] server, one per test process, needs no cleanup code, and
//! a private [`Server::start`] one is dropped like any value.
//!
//! Each test takes a database of its own ([`Server::database`]), so tests
//! share the server but no rows.
//!
//! The binaries are looked up in `ASSENT_PG_BIN` (a directory), then in
//! `/usr/lib/postgresql/<newest>/bin` (Debian's layout), then on `PATH`. A
//! machine without them fails with a message that says how to get them
//! (`Error::NotInstalled`): a test without a server is a failed test.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};

use sqlx::Connection as _;

/// Why a test server could not be provided.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The PostgreSQL server binaries are not installed.
    #[error(
        "PostgreSQL's server binaries (initdb, pg_ctl, postgres) were not found in \
         $ASSENT_PG_BIN, /usr/lib/postgresql/*/bin or on PATH: run \
         `bash scripts/install-test-deps.sh` (it installs Debian's postgresql package)"
    )]
    NotInstalled,
    /// Running as root but there is no `postgres` user to run the server as.
    #[error(
        "running as root, and PostgreSQL refuses to run as root, but there is no \
         `postgres` user (Debian's postgresql package creates it)"
    )]
    NoPostgresUser,
    /// A step of setting the server up failed.
    #[error("{step}: {detail}")]
    Setup {
        /// What was being done.
        step: &'static str,
        /// What went wrong (the command's output).
        detail: String,
    },
    /// The server is up but a statement failed.
    #[error("PostgreSQL: {0}")]
    Sql(#[from] sqlx::Error),
}

/// Result of this crate's operations.
pub type Result<T> = std::result::Result<T, Error>;

/// A throwaway PostgreSQL server; stopped, with its files deleted, when
/// dropped or when the test process exits.
#[derive(Debug)]
pub struct Server {
    port: u16,
    data: PathBuf,
    bin: PathBuf,
    as_postgres: bool,
    supervisor: Mutex<Option<(Child, ChildStdin)>>,
    // Kept only so that the directory outlives the server; the supervisor
    // deletes it too (it may run after this process is gone).
    _dir: tempfile::TempDir,
}

/// The supervisor: starts the server, says `ready`, waits for its standard
/// input to close, stops the server and deletes the directory.
/// Arguments: `$1` the directory, `$2` the bin directory, `$3` the port,
/// `$4` a command prefix to run as `postgres` (empty when not root).
const SUPERVISOR: &str = r#"
dir="$1"; bin="$2"; port="$3"; as="$4"
if ! $as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off \
        -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >"$dir/pg_ctl.log" 2>&1; then
  echo failed; cat "$dir/pg_ctl.log" "$dir/server.log" 2>/dev/null | tail -n 20 >&2
  rm -rf "$dir"; exit 1
fi
echo ready
cat >/dev/null
$as "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1
rm -rf "$dir"
"#;

impl Server {
    /// The server of this test process, started on first use.
    pub fn shared() -> Result<&'static Server> {
        static SHARED: OnceLock<std::result::Result<Server, String>> = OnceLock::new();
        SHARED
            .get_or_init(|| Server::start().map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|detail| Error::Setup {
                step: "starting the shared test server",
                detail: detail.clone(),
            })
    }

    /// Starts a private server (for tests that stop and restart it).
    pub fn start() -> Result<Server> {
        let bin = find_bin_dir().ok_or(Error::NotInstalled)?;
        let as_postgres = running_as_root();
        if as_postgres && !user_exists("postgres") {
            return Err(Error::NoPostgresUser);
        }
        let dir = tempfile::Builder::new()
            .prefix("assent-pg.")
            .tempdir()
            .map_err(|e| setup("making the temporary directory", e))?;
        let data = dir.path().join("data");
        if as_postgres {
            run(
                "handing the directory to postgres",
                Command::new("chown")
                    .arg("postgres:postgres")
                    .arg(dir.path()),
            )?;
        }
        let mut initdb = as_user(as_postgres, &bin.join("initdb"));
        initdb.arg("-D").arg(&data).args([
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
            "-N",
        ]);
        run("initdb", &mut initdb)?;

        // A free port can be taken by someone else before the server binds
        // it: try a few.
        let mut last = String::new();
        for _ in 0..5 {
            let port = free_port()?;
            match spawn_supervisor(dir.path(), &bin, port, as_postgres) {
                Ok(supervisor) => {
                    return Ok(Server {
                        port,
                        data,
                        bin,
                        as_postgres,
                        supervisor: Mutex::new(Some(supervisor)),
                        _dir: dir,
                    })
                }
                Err(e) => last = e.to_string(),
            }
        }
        Err(Error::Setup {
            step: "starting postgres",
            detail: last,
        })
    }

    /// The loopback port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of database `name` on this server (superuser `postgres`,
    /// trust authentication on loopback).
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Creates a new, empty database and returns its URL.
    pub async fn database(&self) -> Result<String> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "t{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut conn = sqlx::PgConnection::connect(&self.url("postgres")).await?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await?;
        conn.close().await?;
        Ok(self.url(&name))
    }

    /// Stops the server (fast shutdown: clients are disconnected); for
    /// outage tests. [`Server::resume`] starts it again on the same port.
    pub fn pause(&self) -> Result<()> {
        let mut stop = as_user(self.as_postgres, &self.bin.join("pg_ctl"));
        stop.arg("-D")
            .arg(&self.data)
            .args(["-m", "fast", "-w", "stop"]);
        run("pg_ctl stop", &mut stop)
    }

    /// Turns TLS on (`ssl = on` with this certificate chain and key, both PEM) and
    /// restarts the server. Clients that ask for TLS get it; the loopback trust rules
    /// still accept plain connections too, so a test checks `pg_stat_ssl`.
    pub fn enable_tls(&self, cert_chain_pem: &str, key_pem: &str) -> Result<()> {
        use std::os::unix::fs::PermissionsExt as _;
        let write = |name: &str, text: &str, mode: u32| -> Result<()> {
            let path = self.data.join(name);
            std::fs::write(&path, text).map_err(|e| setup("writing a TLS file", e))?;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
                .map_err(|e| setup("setting a TLS file's mode", e))?;
            if self.as_postgres {
                run(
                    "handing a TLS file to postgres",
                    Command::new("chown").arg("postgres:postgres").arg(&path),
                )?;
            }
            Ok(())
        };
        write("server.crt", cert_chain_pem, 0o644)?;
        write("server.key", key_pem, 0o600)?;
        let conf = self.data.join("postgresql.conf");
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&conf)
            .map_err(|e| setup("opening postgresql.conf", e))?;
        file.write_all(b"\nssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n")
            .map_err(|e| setup("writing postgresql.conf", e))?;
        self.pause()?;
        self.resume()
    }

    /// Starts a [`Server::pause`]d server again.
    pub fn resume(&self) -> Result<()> {
        let dir = self.data.parent().unwrap_or(&self.data);
        let mut start = as_user(self.as_postgres, &self.bin.join("pg_ctl"));
        start
            .arg("-D")
            .arg(&self.data)
            .arg("-l")
            .arg(dir.join("server.log"))
            .args(["-w", "-t", "60", "-o"])
            .arg(format!(
                "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off \
                 -c synchronous_commit=off -c full_page_writes=off -c max_connections=300",
                self.port,
                dir.display()
            ))
            .arg("start");
        run("pg_ctl start", &mut start)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let taken = match self.supervisor.get_mut() {
            Ok(slot) => slot.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        if let Some((mut child, stdin)) = taken {
            drop(stdin);
            let _ = child.wait();
        }
    }
}

fn spawn_supervisor(
    dir: &Path,
    bin: &Path,
    port: u16,
    as_postgres: bool,
) -> Result<(Child, ChildStdin)> {
    let prefix = if as_postgres {
        "runuser -u postgres --"
    } else {
        ""
    };
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(SUPERVISOR)
        .arg("sh")
        .arg(dir)
        .arg(bin)
        .arg(port.to_string())
        .arg(prefix)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| setup("spawning the supervisor", e))?;
    let stdin = child.stdin.take();
    let mut line = String::new();
    if let Some(stdout) = child.stdout.take() {
        let _ = BufReader::new(stdout).read_line(&mut line);
    }
    match (line.trim(), stdin) {
        ("ready", Some(mut stdin)) => {
            let _ = stdin.flush();
            Ok((child, stdin))
        }
        _ => {
            let output = child.wait_with_output();
            let detail = output
                .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
                .unwrap_or_default();
            Err(Error::Setup {
                step: "pg_ctl start",
                detail,
            })
        }
    }
}

fn find_bin_dir() -> Option<PathBuf> {
    let has_all = |dir: &Path| {
        ["initdb", "pg_ctl", "postgres"]
            .iter()
            .all(|b| dir.join(b).is_file())
    };
    if let Some(dir) = std::env::var_os("ASSENT_PG_BIN").map(PathBuf::from) {
        return has_all(&dir).then_some(dir);
    }
    let mut debian: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    debian.sort();
    if let Some((_, dir)) = debian.into_iter().rev().find(|(_, dir)| has_all(dir)) {
        return Some(dir);
    }
    std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .find(|dir| has_all(dir))
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn user_exists(name: &str) -> bool {
    Command::new("id")
        .arg("-u")
        .arg(name)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn as_user(as_postgres: bool, program: &Path) -> Command {
    if as_postgres {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--"]).arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

fn run(step: &'static str, cmd: &mut Command) -> Result<()> {
    let output = cmd.output().map_err(|e| setup(step, e))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(Error::Setup {
            step,
            detail: format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
        })
    }
}

fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| setup("finding a free port", e))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| setup("finding a free port", e))
}

fn setup(step: &'static str, err: std::io::Error) -> Error {
    Error::Setup {
        step,
        detail: err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_database_of_its_own_answers_and_the_server_goes_away_when_dropped() {
        let server = Server::start().unwrap();
        let url = server.database().await.unwrap();
        let other = server.database().await.unwrap();
        assert_ne!(url, other);
        let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
        let one: i32 = sqlx::query_scalar("SELECT 1")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(one, 1);
        conn.close().await.unwrap();

        let port = server.port();
        let dir = server.data.parent().unwrap().to_path_buf();
        drop(server);
        assert!(!dir.exists(), "the supervisor deletes the directory");
        assert!(
            sqlx::PgConnection::connect(&format!("postgres://postgres@127.0.0.1:{port}/postgres"))
                .await
                .is_err(),
            "the server is stopped"
        );
    }

    #[tokio::test]
    async fn a_paused_server_refuses_and_resumes_with_its_data() {
        let server = Server::start().unwrap();
        let url = server.database().await.unwrap();
        let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::raw_sql("CREATE TABLE kept (n INT); INSERT INTO kept VALUES (7)")
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();

        server.pause().unwrap();
        assert!(sqlx::PgConnection::connect(&url).await.is_err());
        server.resume().unwrap();
        let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
        let n: i32 = sqlx::query_scalar("SELECT n FROM kept")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(n, 7);
    }

    #[tokio::test]
    async fn the_shared_server_is_one_per_process() {
        let a = Server::shared().unwrap();
        let b = Server::shared().unwrap();
        assert_eq!(a.port(), b.port());
        let url = a.database().await.unwrap();
        assert!(sqlx::PgConnection::connect(&url).await.is_ok());
    }
}
