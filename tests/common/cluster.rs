//! A PostgreSQL cluster of one test's own (for the fault tests): stopped, frozen, killed,
//! made a standby of, on a disk the test chooses.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sea_orm::{ConnectionTrait, Database};

use super::ports::{free_port, wait_for_listener};
use super::postgres::{as_cluster_owner, bin_dir, is_root, wait_until_accepting_connections};

/// A PostgreSQL cluster of one test's own, in a directory the test chooses (a tmpfs that
/// fills, say), which the test stops, freezes, kills and starts again; standbys are made
/// from it with `pg_basebackup`. Dropping it kills its processes; a guardian does so too if
/// the test process dies first.
pub struct OwnCluster {
    /// Where it listens (on 127.0.0.1).
    pub port: u16,
    dir: PathBuf,
    data: PathBuf,
    postmaster: Option<std::process::Child>,
}

impl OwnCluster {
    /// `initdb` in `dir/data` (its WAL in `waldir` if given, else inside), then starts it.
    /// `settings` are `postgresql.conf` lines.
    pub fn init(dir: &Path, waldir: Option<&Path>, settings: &[&str]) -> OwnCluster {
        give_to_cluster_owner(dir);
        let data = dir.join("data");
        let mut initdb = as_cluster_owner(&bin_dir().join("initdb"));
        initdb.args(["-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
        if let Some(waldir) = waldir {
            give_to_cluster_owner(waldir);
            initdb.arg("-X").arg(waldir.join("pg_wal"));
        }
        let out = initdb
            .arg("-D")
            .arg(&data)
            .output()
            .expect("running initdb");
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut conf = String::from(
            "listen_addresses = '127.0.0.1'\nmax_connections = 200\nshared_buffers = 32MB\n",
        );
        for setting in settings {
            conf.push_str(setting);
            conf.push('\n');
        }
        append(&data.join("postgresql.conf"), &conf);
        OwnCluster::started(dir.to_owned(), data)
    }

    /// A hot standby of this cluster in `dir/data`, made with `pg_basebackup` and streaming
    /// from it as `application_name` (so that `synchronous_standby_names` can name it).
    pub fn standby(&self, dir: &Path, application_name: &str) -> OwnCluster {
        give_to_cluster_owner(dir);
        let data = dir.join("data");
        let out = as_cluster_owner(&bin_dir().join("pg_basebackup"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
            ])
            .args(["-R", "-X", "stream", "-c", "fast", "-D"])
            .arg(&data)
            .output()
            .expect("running pg_basebackup");
        assert!(
            out.status.success(),
            "pg_basebackup failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        append(
            &data.join("postgresql.auto.conf"),
            &format!(
                "primary_conninfo = 'host=127.0.0.1 port={} user=postgres \
                 application_name={application_name}'\n",
                self.port
            ),
        );
        OwnCluster::started(dir.to_owned(), data)
    }

    // The guardian outlives this process on purpose: it reaps the cluster.
    #[allow(clippy::zombie_processes)]
    fn started(dir: PathBuf, data: PathBuf) -> OwnCluster {
        let mut cluster = OwnCluster {
            port: free_port(),
            dir,
            data,
            postmaster: None,
        };
        cluster.start();
        let guardian = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; \
             pkill -KILL -f -- '-D {data}' 2>/dev/null",
            pid = std::process::id(),
            data = cluster.data.display(),
        );
        Command::new("sh")
            .args(["-c", &guardian])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting the cluster guardian");
        cluster
    }

    /// Starts the cluster (again, on the same port) and waits until it listens.
    pub fn start(&mut self) {
        assert!(self.postmaster.is_none(), "the cluster is running");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("opening the log");
        let mut postmaster = as_cluster_owner(&bin_dir().join("postgres"))
            .arg("-D")
            .arg(&self.data)
            .args(["-p", &self.port.to_string(), "-k"])
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("starting postgres");
        let what = format!("postgres (log: {})", self.log_path().display());
        wait_for_listener(self.port, &mut postmaster, &what);
        self.postmaster = Some(postmaster);
        wait_until_accepting_connections(self.port, &what);
    }

    /// Stops the cluster the way an operator does (`pg_ctl stop -m fast`: sessions are
    /// ended, the shutdown checkpoint written).
    pub fn stop(&mut self) {
        let out = as_cluster_owner(&bin_dir().join("pg_ctl"))
            .args(["stop", "-m", "fast", "-w", "-D"])
            .arg(&self.data)
            .output()
            .expect("running pg_ctl stop");
        assert!(
            out.status.success(),
            "pg_ctl stop failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if let Some(mut postmaster) = self.postmaster.take() {
            postmaster.wait().ok();
        }
    }

    /// Kills every process of the cluster with SIGKILL, as a crash of its host would.
    pub fn kill(&mut self) {
        self.signal_all("KILL");
        if let Some(mut postmaster) = self.postmaster.take() {
            // The wrapper (runuser) too, whatever state it is in.
            postmaster.kill().ok();
            postmaster.wait().ok();
        }
    }

    /// Sends `signal` (`STOP`, `CONT`, `KILL`) to every process of the cluster: its
    /// backends, checkpointer, WAL writer, walsenders…, then the postmaster.
    pub fn signal_all(&self, signal: &str) {
        let pid_file = std::fs::read_to_string(self.data.join("postmaster.pid"))
            .expect("reading postmaster.pid");
        let postmaster = pid_file
            .lines()
            .next()
            .expect("the postmaster's pid")
            .trim();
        Command::new("pkill")
            .arg(format!("-{signal}"))
            .args(["-P", postmaster])
            .status()
            .expect("running pkill");
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(postmaster)
            .status()
            .expect("running kill");
        assert!(status.success(), "signalling the postmaster {postmaster}");
        // runuser, which started the postmaster as the cluster's owner, stops itself when
        // its child stops (as su does): it must be continued too, or it never reaps it.
        if signal == "CONT"
            && let Some(wrapper) = &self.postmaster
        {
            Command::new("kill")
                .arg("-CONT")
                .arg(wrapper.id().to_string())
                .status()
                .ok();
        }
    }

    /// Promotes a standby to a primary and waits until it takes writes.
    pub fn promote(&self) {
        let out = as_cluster_owner(&bin_dir().join("pg_ctl"))
            .args(["promote", "-w", "-D"])
            .arg(&self.data)
            .output()
            .expect("running pg_ctl promote");
        assert!(
            out.status.success(),
            "pg_ctl promote failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Waits (at most 30 s) until a standby named `application_name` streams from this
    /// cluster synchronously: every commit acknowledged from now on is on both.
    pub async fn wait_for_synchronous_standby(&self, application_name: &str) {
        let admin = Database::connect(self.url("postgres"))
            .await
            .expect("connecting to the cluster");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let row = admin
                .query_one_raw(sea_orm::Statement::from_string(
                    sea_orm::DatabaseBackend::Postgres,
                    format!(
                        "SELECT sync_state FROM pg_stat_replication \
                         WHERE application_name = '{application_name}'"
                    ),
                ))
                .await
                .expect("reading pg_stat_replication");
            let state: Option<String> = row.and_then(|r| r.try_get("", "sync_state").ok());
            if state.as_deref() == Some("sync") {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "standby {application_name} not synchronous after 30 s ({state:?}):\n{}",
                self.log()
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        admin.close().await.ok();
    }

    /// Runs `statement` in database `postgres`.
    pub async fn sql(&self, statement: &str) {
        let admin = Database::connect(self.url("postgres"))
            .await
            .expect("connecting to the cluster");
        admin
            .execute_unprepared(statement)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
        admin.close().await.ok();
    }

    /// Creates database `name` and returns its URL.
    pub async fn create_database(&self, name: &str) -> String {
        let admin = Database::connect(self.url("postgres"))
            .await
            .expect("connecting to the cluster");
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("creating the database");
        admin.close().await.ok();
        self.url(name)
    }

    /// The URL of database `name`.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// The cluster's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join("postgres.log")
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        if self.postmaster.is_some() {
            // Thawed first: a stopped process does not die of SIGKILL until continued.
            self.signal_all("CONT");
            self.kill();
        }
    }
}

/// Makes `dir` the cluster owner's (initdb refuses to run as root).
fn give_to_cluster_owner(dir: &Path) {
    std::fs::create_dir_all(dir).expect("creating the cluster directory");
    if is_root() {
        let status = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(dir)
            .status();
        assert!(
            status.is_ok_and(|s| s.success()),
            "chown of {} failed",
            dir.display()
        );
    }
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .expect("opening a configuration file");
    file.write_all(text.as_bytes())
        .expect("writing a configuration file");
}
