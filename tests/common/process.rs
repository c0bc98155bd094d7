//! Local ports and child processes: the `stockledger` binary run as a user runs it, and the
//! waiting for a freshly started server to listen.

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::thread::JoinHandle;

use tonic::transport::Channel;

use super::ports::wait_for_listener;

/// `stockledger` (the binary under test), with no arguments yet.
pub fn stockledger() -> Command {
    Command::new(env!("CARGO_BIN_EXE_stockledger"))
}

/// Runs `stockledger args…` on `database_url` to completion.
pub fn run(args: &[&str], database_url: &str) -> Output {
    stockledger()
        .args(args)
        .env("DATABASE_URL", database_url)
        .output()
        .expect("running stockledger")
}

/// `stockledger serve --listen 127.0.0.1:<port>` on `database_url`, its output discarded:
/// add arguments, environment or piped output before [`ServeProcess::spawn`].
pub fn serve(database_url: &str, port: u16) -> Command {
    let mut command = stockledger();
    command
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", database_url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// A running `stockledger serve` process. Its piped output is read as it comes, so that a
/// talkative server never blocks on a full pipe. Dropping it kills the process.
pub struct ServeProcess {
    /// The port it listens on.
    pub port: u16,
    /// The process; `None` once it has been waited for.
    child: Option<Child>,
    stdout: Option<JoinHandle<String>>,
    stderr: Option<JoinHandle<String>>,
}

/// How a [`ServeProcess`] ended, with whatever it wrote to piped output.
pub struct Ended {
    /// Its exit status.
    pub status: ExitStatus,
    /// Its standard output, if piped.
    pub stdout: String,
    /// Its standard error, if piped.
    pub stderr: String,
}

impl ServeProcess {
    /// Starts `command`, a server told to listen on `port`, and waits until it listens.
    pub fn spawn(mut command: Command, port: u16) -> ServeProcess {
        let mut child = command.spawn().expect("starting stockledger serve");
        let stdout = child.stdout.take().map(read_to_end);
        let stderr = child.stderr.take().map(read_to_end);
        let mut process = ServeProcess {
            port,
            child: Some(child),
            stdout,
            stderr,
        };
        // Waiting after `process` exists: a server that never listens is killed on drop.
        let child = process.child.as_mut().expect("just started");
        wait_for_listener(port, child, "stockledger serve");
        process
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("not waited for yet").id()
    }

    /// A new connection to the server.
    pub async fn channel(&self) -> Channel {
        super::connect(([127, 0, 0, 1], self.port).into()).await
    }

    /// Sends SIGTERM and waits for the process to exit.
    pub async fn terminate(mut self) -> Ended {
        let mut child = self.child.take().expect("not waited for yet");
        let signalled = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("running kill");
        assert!(signalled.success(), "kill -TERM failed");
        let status = tokio::task::spawn_blocking(move || child.wait())
            .await
            .expect("waiting task")
            .expect("waiting for stockledger serve");
        let joined = |reader: Option<JoinHandle<String>>| {
            reader
                .map(|r| r.join().expect("output reader"))
                .unwrap_or_default()
        };
        Ended {
            status,
            stdout: joined(self.stdout.take()),
            stderr: joined(self.stderr.take()),
        }
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().ok();
            child.wait().ok();
        }
    }
}

fn read_to_end(mut pipe: impl Read + Send + 'static) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        pipe.read_to_string(&mut text)
            .expect("reading piped output");
        text
    })
}
