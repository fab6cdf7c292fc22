//! The store's one writer: a thread of its own that holds the write
//! connection and commits queued writes in groups.
//!
//! Why a thread: with sqlx every statement is a round trip to the
//! connection's worker thread, and a write that awaits it from a busy tokio
//! worker holds SQLite's write lock (and the in-process lock before it) for
//! that round trip *plus* the time its task waits to be scheduled again,
//! behind every other request. On two cores that wait, not SQLite, set the
//! ceiling of the relay. Here the writer is the only task of a
//! single-threaded runtime on its own thread, so it resumes the moment its
//! statement is done, and the request handlers only wait for the answer.
//!
//! Why groups: the writes queued while one runs are committed together
//! (`BEGIN IMMEDIATE` … `COMMIT`), so the table and index pages they share
//! go to the WAL once per group instead of once per write. No caller hears
//! of its write before the group's `COMMIT` succeeded: a reply is durability
//! (in the WAL), exactly as with one transaction per write.
//!
//! Each job is one statement, atomic by itself (a failing statement undoes
//! only itself and the group goes on), or runs inside a `SAVEPOINT` when it
//! makes several statements, so a failing job never leaves half its writes
//! in the group. Should SQLite roll the whole transaction back after an
//! error (disk full, I/O), the jobs before it are told their write failed
//! and the rest of the group goes on in a new transaction.

use std::future::Future;
use std::pin::Pin;

use sqlx::sqlite::SqliteConnection;
use sqlx::{Connection as _, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use crate::store::{StoreError, StoreResult};

/// Most writes committed in one group.
const MAX_GROUP: usize = 128;
/// Writes waiting for the writer before callers wait to enqueue.
const QUEUE: usize = 4096;

/// A boxed, sendable future borrowing the connection.
pub(crate) type BoxFut<'c, T> = Pin<Box<dyn Future<Output = T> + Send + 'c>>;

/// Hands a job's result to its caller once the commit outcome is known.
type Deliver = Box<dyn FnOnce(StoreResult<()>) + Send>;
/// What running a job leaves: its delivery, and whether it failed.
type Ran = (Deliver, bool);
type Work = Box<dyn for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFut<'c, Ran> + Send>;

/// One write: its statements and where its result goes.
pub(crate) struct Job(Work);

impl Job {
    /// A job running `work` (inside a savepoint when `atomic`); the receiver
    /// gets its result after the commit.
    pub(crate) fn new<T, F>(atomic: bool, work: F) -> (Self, oneshot::Receiver<StoreResult<T>>)
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFut<'c, StoreResult<T>> + Send + 'static,
    {
        let (reply, receiver) = oneshot::channel();
        let run: Work = Box::new(move |conn| {
            Box::pin(async move {
                let result = if atomic {
                    in_savepoint(conn, work).await
                } else {
                    work(conn).await
                };
                let failed = result.is_err();
                let deliver: Deliver = Box::new(move |commit: StoreResult<()>| {
                    // The caller may have gone (request cancelled): nothing to do.
                    let _ = reply.send(commit.and(result));
                });
                (deliver, failed)
            })
        });
        (Self(run), receiver)
    }

    async fn run(self, conn: &mut SqliteConnection) -> Ran {
        (self.0)(conn).await
    }
}

async fn in_savepoint<T, F>(conn: &mut SqliteConnection, work: F) -> StoreResult<T>
where
    F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFut<'c, StoreResult<T>>,
{
    sqlx::query("SAVEPOINT job").execute(&mut *conn).await?;
    let result = work(conn).await;
    let end = if result.is_ok() {
        "RELEASE job"
    } else {
        "ROLLBACK TO job"
    };
    sqlx::query(end).execute(&mut *conn).await?;
    if result.is_err() {
        sqlx::query("RELEASE job").execute(&mut *conn).await?;
    }
    result
}

/// Where writes run: the writer thread (file databases), or in place on the
/// pool's only connection (the in-memory test database, which exists on
/// that one connection only).
#[derive(Debug)]
pub(crate) enum Writes {
    /// Queued to the writer thread.
    Thread(mpsc::Sender<Job>),
    /// Run in place, one at a time, on a pooled connection.
    Inline(SqlitePool),
}

pub(crate) fn stopped() -> StoreError {
    StoreError::Unavailable("the database writer stopped".to_owned())
}

impl Writes {
    /// Starts the writer thread on `conn`. It ends when every sender is gone.
    pub(crate) fn spawn(conn: SqliteConnection) -> StoreResult<Self> {
        let (queue, jobs) = mpsc::channel(QUEUE);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| StoreError::Internal(format!("writer runtime: {e}")))?;
        std::thread::Builder::new()
            .name("assent-db-writer".to_owned())
            .spawn(move || runtime.block_on(serve(conn, jobs)))
            .map_err(|e| StoreError::Internal(format!("writer thread: {e}")))?;
        Ok(Self::Thread(queue))
    }

    /// Whether writes can still be made (the writer thread is running).
    pub(crate) fn alive(&self) -> bool {
        match self {
            Self::Thread(queue) => !queue.is_closed(),
            Self::Inline(pool) => !pool.is_closed(),
        }
    }

    /// Runs `work` as one write (see [`Job::new`]) and returns its result
    /// once committed.
    pub(crate) async fn run<T, F>(&self, atomic: bool, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFut<'c, StoreResult<T>> + Send + 'static,
    {
        let (job, result) = Job::new(atomic, work);
        match self {
            Self::Thread(queue) => queue.send(job).await.map_err(|_| stopped())?,
            Self::Inline(pool) => {
                let mut conn = pool.acquire().await?;
                let (deliver, _) = job.run(&mut conn).await;
                deliver(Ok(()));
            }
        }
        result.await.map_err(|_| stopped())?
    }
}

/// The writer's loop: take what is queued (up to [`MAX_GROUP`]), run it as
/// one transaction, answer everyone.
async fn serve(mut conn: SqliteConnection, mut jobs: mpsc::Receiver<Job>) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while jobs.recv_many(&mut group, MAX_GROUP).await > 0 {
        if group.len() == 1 || !begin(&mut conn).await {
            // Alone (or no transaction could start): each job commits by
            // itself and reports its own failure.
            for job in group.drain(..) {
                let (deliver, _) = job.run(&mut conn).await;
                deliver(Ok(()));
            }
            continue;
        }
        let mut delivers = Vec::with_capacity(group.len());
        for job in group.drain(..) {
            let (deliver, failed) = job.run(&mut conn).await;
            delivers.push(deliver);
            // Some errors (disk full, I/O) make SQLite roll the whole
            // transaction back: then the writes so far are gone, and the
            // next ones would commit one by one. Tell those callers, and go
            // on in a new transaction.
            if failed && transaction_lost(&mut conn).await {
                tracing::warn!(writes = delivers.len(), "a group of writes was rolled back");
                for deliver in delivers.drain(..) {
                    deliver(Err(StoreError::Unavailable(
                        "the write was rolled back".to_owned(),
                    )));
                }
            }
        }
        let commit = sqlx::query("COMMIT").execute(&mut conn).await;
        if let Err(e) = &commit {
            tracing::warn!(error = %e, writes = delivers.len(), "group commit failed");
            let _ = sqlx::query("ROLLBACK").execute(&mut conn).await;
        }
        for deliver in delivers {
            deliver(match &commit {
                Ok(_) => Ok(()),
                Err(e) => Err(StoreError::Unavailable(format!("commit failed: {e}"))),
            });
        }
    }
    let _ = conn.close().await;
}

/// After a failed job inside a group: whether SQLite ended the group's
/// transaction. `BEGIN` succeeds only outside a transaction, so when it does,
/// the old one is gone and this opened its successor.
async fn transaction_lost(conn: &mut SqliteConnection) -> bool {
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut *conn)
        .await
        .is_ok()
}

async fn begin(conn: &mut SqliteConnection) -> bool {
    match sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await {
        Ok(_) => true,
        Err(e) => {
            tracing::warn!(error = %e, "cannot begin a group of writes");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use sqlx::sqlite::SqliteConnectOptions;
    use sqlx::ConnectOptions as _;

    use super::*;

    async fn writer() -> (tempfile::TempDir, Writes, SqliteConnectOptions) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("w.db").display());
        let options = SqliteConnectOptions::from_str(&url)
            .unwrap()
            .create_if_missing(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
        let mut conn = options.connect().await.unwrap();
        sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY)")
            .execute(&mut conn)
            .await
            .unwrap();
        let writes = Writes::spawn(options.connect().await.unwrap()).unwrap();
        (dir, writes, options)
    }

    fn insert(
        id: i64,
    ) -> impl for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFut<'c, StoreResult<()>> {
        move |conn| {
            Box::pin(async move {
                sqlx::query("INSERT INTO t (id) VALUES ($1)")
                    .bind(id)
                    .execute(conn)
                    .await?;
                Ok(())
            })
        }
    }

    /// Sends jobs to the writer while it is held up by a first job, so that
    /// they reach it together and run as one group.
    async fn as_one_group(writes: &Writes, jobs: Vec<Job>) {
        let Writes::Thread(queue) = writes else {
            panic!("a thread writer")
        };
        let (release, held) = oneshot::channel::<()>();
        let (gate, gate_done) = Job::new(false, move |_conn| {
            Box::pin(async move {
                let _ = held.await;
                Ok(())
            })
        });
        queue.send(gate).await.unwrap();
        // The writer takes the gate alone; what follows queues behind it.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        for job in jobs {
            queue.send(job).await.unwrap();
        }
        release.send(()).unwrap();
        // (Should the gate have landed in the same group, its own result
        // follows the group's: not what these tests look at.)
        let _ = gate_done.await;
    }

    async fn ids(options: &SqliteConnectOptions) -> Vec<i64> {
        let mut conn = options.connect().await.unwrap();
        sqlx::query_scalar("SELECT id FROM t ORDER BY id")
            .fetch_all(&mut conn)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_group_commits_together_and_a_failed_statement_only_fails_itself() {
        let (_dir, writes, options) = writer().await;
        let (a, a_done) = Job::new(false, insert(1));
        let (dup, dup_done) = Job::new(false, insert(1));
        let (b, b_done) = Job::new(false, insert(2));
        as_one_group(&writes, vec![a, dup, b]).await;
        assert!(a_done.await.unwrap().is_ok());
        assert!(matches!(dup_done.await.unwrap(), Err(StoreError::Conflict)));
        assert!(b_done.await.unwrap().is_ok());
        assert_eq!(ids(&options).await, vec![1, 2]);
    }

    #[tokio::test]
    async fn when_sqlite_drops_the_groups_transaction_the_callers_are_told() {
        let (_dir, writes, options) = writer().await;
        let (a, a_done) = Job::new(false, insert(1));
        // As SQLite does on some errors (disk full): the whole transaction
        // is rolled back, and the statement fails.
        let (lost, lost_done) = Job::new(false, |conn: &mut SqliteConnection| {
            Box::pin(async move {
                sqlx::query("ROLLBACK").execute(&mut *conn).await?;
                Err::<(), _>(StoreError::Unavailable("disk full".to_owned()))
            }) as BoxFut<'_, StoreResult<()>>
        });
        let (c, c_done) = Job::new(false, insert(3));
        as_one_group(&writes, vec![a, lost, c]).await;
        // The first write is gone and says so; the last one committed.
        assert!(a_done.await.unwrap().is_err());
        assert!(lost_done.await.unwrap().is_err());
        assert!(c_done.await.unwrap().is_ok());
        assert_eq!(ids(&options).await, vec![3]);
    }
}
