//! The CPU time and memory of the edge's workerd, read from Linux's own accounting of the
//! processes `wrangler dev` started in its process group: per thread, the nanoseconds each spent
//! on a CPU (`/proc/<pid>/task/<tid>/schedstat`, first field), which a request's CPU is the change
//! of; per process, `utime + stime` in clock ticks (`/proc/<pid>/stat`), which also keeps the time
//! of threads that ended, for a cross-check over a batch; and the resident set (`VmRSS`). This is
//! workerd's CPU as a whole (HTTP, the isolate's JS and wasm, SQLite), not only what Cloudflare
//! bills as a request's CPU time, so it is an upper bound of that; `wrangler dev`'s Node proxy in
//! front of workerd is not counted.

use anyhow::{Context, Result, bail};
use std::fs;

/// The workerd processes of one `wrangler dev`.
pub struct WorkerdCpu {
    pids: Vec<u32>,
}

/// Linux's clock tick for `/proc/<pid>/stat` times (`USER_HZ`, 100 on every Linux port we run).
pub const TICK_NS: u64 = 10_000_000;

impl WorkerdCpu {
    /// The `workerd` processes in process group `group` (the `wrangler dev` the harness started).
    pub fn of_group(group: u32) -> Result<WorkerdCpu> {
        let mut pids = Vec::new();
        for entry in fs::read_dir("/proc")? {
            let Some(pid) = entry?.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
            let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
            let Some((comm, rest)) = split_stat(&stat) else { continue };
            if comm == "workerd" && rest.get(2).and_then(|g| g.parse::<u32>().ok()) == Some(group) {
                pids.push(pid);
            }
        }
        if pids.is_empty() {
            bail!("no workerd process in process group {group}");
        }
        Ok(WorkerdCpu { pids })
    }

    /// Nanoseconds on a CPU, summed over the live threads of every workerd process.
    pub fn ns(&self) -> Result<u64> {
        let mut total = 0;
        for pid in &self.pids {
            for task in fs::read_dir(format!("/proc/{pid}/task"))? {
                let path = task?.path().join("schedstat");
                // A thread may end between the listing and the read.
                let Ok(text) = fs::read_to_string(&path) else { continue };
                let first = text.split_whitespace().next().context("empty schedstat")?;
                total += first.parse::<u64>().with_context(|| format!("{}", path.display()))?;
            }
        }
        Ok(total)
    }

    /// `utime + stime` in clock ticks, summed over the workerd processes (ended threads included).
    pub fn ticks(&self) -> Result<u64> {
        let mut total = 0;
        for pid in &self.pids {
            let stat = fs::read_to_string(format!("/proc/{pid}/stat"))?;
            let (_, rest) = split_stat(&stat).context("unreadable stat")?;
            // Fields 14 and 15 of the line; `rest` starts at field 3.
            for field in [11, 12] {
                total += rest.get(field).context("short stat")?.parse::<u64>()?;
            }
        }
        Ok(total)
    }

    /// Resident memory in KiB, summed over the workerd processes.
    pub fn rss_kib(&self) -> Result<u64> {
        let mut total = 0;
        for pid in &self.pids {
            let status = fs::read_to_string(format!("/proc/{pid}/status"))?;
            let line = status.lines().find(|l| l.starts_with("VmRSS:")).context("no VmRSS")?;
            total += line.split_whitespace().nth(1).context("VmRSS value")?.parse::<u64>()?;
        }
        Ok(total)
    }
}

/// `(comm, fields from the state on)` of a `/proc/<pid>/stat` line (`comm` may hold spaces and
/// parentheses: it ends at the last `)`).
fn split_stat(stat: &str) -> Option<(&str, Vec<&str>)> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    Some((&stat[open + 1..close], stat[close + 1..].split_whitespace().collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stat_line_is_split_after_the_last_parenthesis() {
        let (comm, rest) = split_stat("42 (a (b) c) S 1 7 7 0 -1 0 0 0 0 0 15 3 0 0").unwrap();
        assert_eq!(comm, "a (b) c");
        assert_eq!((rest[0], rest[2], rest[11], rest[12]), ("S", "7", "15", "3"));
    }
}
