//! A small tmpfs mounted for one test, whose free space can be used up and given back: a
//! disk that fills while a server writes to it, then has space freed. Mounting needs root
//! (or CAP_SYS_ADMIN), as the test suite runs in CI; without it the test fails and says so.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A mounted tmpfs, unmounted when dropped.
pub struct Tmpfs {
    dir: tempfile::TempDir,
    filler: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs of `megabytes` on a fresh temporary directory.
    pub fn mount(megabytes: u32) -> Tmpfs {
        let dir = tempfile::tempdir().expect("creating a mount point");
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={megabytes}m,mode=0777"),
                "tmpfs",
            ])
            .arg(dir.path())
            .output()
            .expect("running mount");
        assert!(
            out.status.success(),
            "mounting a tmpfs failed (this test needs root, as CI runs it): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let filler = dir.path().join("filler");
        Tmpfs { dir, filler }
    }

    /// The mount point.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Uses up every free byte with a filler file; returns how many bytes it took.
    pub fn fill(&self) -> u64 {
        let mut file = std::fs::File::create(&self.filler).expect("creating the filler");
        let block = vec![0u8; 64 * 1024];
        let mut written = 0u64;
        loop {
            match file.write(&block) {
                Ok(0) => break,
                Ok(n) => written += n as u64,
                Err(e) if e.raw_os_error() == Some(28) => break, // ENOSPC
                Err(e) => panic!("filling the tmpfs: {e}"),
            }
        }
        written
    }

    /// Frees the space [`Tmpfs::fill`] took.
    pub fn free(&self) {
        std::fs::remove_file(&self.filler).expect("removing the filler");
    }

    /// Bytes free on the mount.
    pub fn available(&self) -> u64 {
        let out = Command::new("df")
            .args(["--output=avail", "-B1"])
            .arg(self.path())
            .output()
            .expect("running df");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .nth(1)
            .and_then(|l| l.trim().parse().ok())
            .expect("df's answer")
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        // Lazily: a process still holding a file there does not keep the mount alive.
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}
