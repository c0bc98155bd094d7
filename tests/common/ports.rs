//! Local ports: finding a free one, and waiting for a freshly started process to listen on
//! one. Shared by the tests' helpers and the benchmarks (which include this file alone).

use std::process::Child;
use std::time::{Duration, Instant};

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Waits until something accepts connections on `port`, failing if `child` (the process
/// meant to listen there) exits first or 30 s pass. `what` names the process in failures.
pub fn wait_for_listener(port: u16, child: &mut Child, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Some(status) = child.try_wait().expect("polling the child process") {
            panic!("{what} exited with {status} before listening on port {port}");
        }
        assert!(
            Instant::now() < deadline,
            "{what} did not listen on port {port} within 30 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
