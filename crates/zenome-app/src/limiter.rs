//! Rate limits on failed logins, per user name and per client address, in a
//! sliding window. In memory: one server process. (A cluster would keep the
//! counters in the store; the audit trail already records every failure.)

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::SecurityConfig;

#[derive(Debug)]
pub(crate) struct LoginLimiter {
    window: Duration,
    per_user: usize,
    per_ip: usize,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginLimiter {
    pub(crate) fn new(c: &SecurityConfig) -> Self {
        Self {
            window: Duration::from_secs(u64::from(c.login_window_minutes) * 60),
            per_user: c.login_max_failures_per_user as usize,
            per_ip: c.login_max_failures_per_ip as usize,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn keys(user: &str, ip: Option<&str>) -> Vec<(String, bool)> {
        let mut k = vec![(format!("u:{}", user.to_lowercase()), true)];
        if let Some(ip) = ip {
            k.push((format!("ip:{ip}"), false));
        }
        k
    }

    /// Seconds to wait if the user or address is locked out now.
    pub(crate) fn locked(&self, user: &str, ip: Option<&str>) -> Option<u64> {
        let now = Instant::now();
        let mut m = self.failures.lock().expect("limiter lock");
        let mut wait = None;
        for (k, is_user) in Self::keys(user, ip) {
            let limit = if is_user { self.per_user } else { self.per_ip };
            if let Some(q) = m.get_mut(&k) {
                while q
                    .front()
                    .is_some_and(|t| now.duration_since(*t) > self.window)
                {
                    q.pop_front();
                }
                if q.len() >= limit {
                    let oldest = *q.front().expect("non-empty");
                    let secs = self
                        .window
                        .saturating_sub(now.duration_since(oldest))
                        .as_secs()
                        .max(1);
                    wait = Some(wait.map_or(secs, |w: u64| w.max(secs)));
                }
            }
        }
        wait
    }

    pub(crate) fn fail(&self, user: &str, ip: Option<&str>) {
        let now = Instant::now();
        let mut m = self.failures.lock().expect("limiter lock");
        for (k, _) in Self::keys(user, ip) {
            m.entry(k).or_default().push_back(now);
        }
    }

    pub(crate) fn succeed(&self, user: &str) {
        let mut m = self.failures.lock().expect("limiter lock");
        m.remove(&format!("u:{}", user.to_lowercase()));
    }
}
