//! Rate limits on logins, in a sliding window, and the bound on concurrent
//! password hashes. In memory: one server process. (A cluster would keep the
//! counters in the store; the audit trail already records every failure.)
//!
//! Every attempt is counted *before* its password is hashed: [`LoginLimiter::reserve`]
//! checks and records it under one lock, so parallel attempts cannot all slip
//! past the check. A success converts the reservation (it clears the
//! failures of that user from that address and takes the attempt off the
//! address's count); anything else leaves it counted as a failure.
//!
//! Three counts, following OWASP ASVS V2.2 (anti-automation without a
//! lock-out anyone can trigger):
//! - per (user name, address): `login_max_failures_per_user` failures, then
//!   429 — someone guessing from one address cannot lock the user out
//!   elsewhere;
//! - per address: `login_max_failures_per_ip`, then 429;
//! - per user name, over all addresses: after `login_max_failures_per_user`
//!   failures each further attempt waits a delay that doubles up to
//!   `login_max_delay_seconds` (never a lock); an address the user logged in
//!   from before is not delayed.
//!
//! Password hashes (argon2id, `memory_kib` each) run at most
//! `login_max_concurrent_hashes` at a time; an attempt that finds them all
//! busy is refused at once (429, `Retry-After: 1`), not queued.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::SecurityConfig;

/// Above this many keys, a reservation first drops the keys whose attempts
/// have all left the window (bounds the memory an attacker can make us use).
const PRUNE_ABOVE: usize = 50_000;
/// How long an address stays "known" for a user after a successful login.
const KNOWN_FOR: Duration = Duration::from_secs(90 * 24 * 3600);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Pair(String, Option<String>),
    Ip(String),
    User(String),
}

#[derive(Debug, Default)]
struct State {
    attempts: HashMap<Key, VecDeque<Instant>>,
    /// (user, address) pairs with a successful login, and when.
    known: HashMap<(String, String), Instant>,
}

/// A counted login attempt; dropped as a failure unless converted.
#[derive(Debug)]
pub(crate) struct Attempt {
    user: String,
    ip: Option<String>,
    at: Instant,
    /// How long to wait before checking the password.
    pub(crate) delay: Duration,
}

/// The login limiter and the password-hash gate.
#[derive(Debug)]
pub(crate) struct LoginLimiter {
    window: Duration,
    per_pair: usize,
    per_ip: usize,
    max_delay: Duration,
    state: Mutex<State>,
    hashes: Arc<Semaphore>,
    checks: AtomicU64,
    running: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
}

/// A permit to run one password hash; counts it while alive.
#[derive(Debug)]
pub(crate) struct HashPermit {
    _permit: OwnedSemaphorePermit,
    running: Arc<AtomicUsize>,
}

impl Drop for HashPermit {
    fn drop(&mut self) {
        self.running.fetch_sub(1, Ordering::SeqCst);
    }
}

fn norm(user: &str) -> String {
    user.to_lowercase()
}

fn prune(q: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while q.front().is_some_and(|t| now.duration_since(*t) > window) {
        q.pop_front();
    }
}

impl LoginLimiter {
    pub(crate) fn new(c: &SecurityConfig) -> Self {
        let permits = match c.login_max_concurrent_hashes {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()) * 2,
            n => n as usize,
        };
        Self {
            window: Duration::from_secs(u64::from(c.login_window_minutes) * 60),
            per_pair: c.login_max_failures_per_user as usize,
            per_ip: c.login_max_failures_per_ip as usize,
            max_delay: Duration::from_secs(u64::from(c.login_max_delay_seconds)),
            state: Mutex::new(State::default()),
            hashes: Arc::new(Semaphore::new(permits)),
            checks: AtomicU64::new(0),
            running: Arc::new(AtomicUsize::new(0)),
            peak: Arc::new(AtomicUsize::new(0)),
        }
    }

    fn wait_for(&self, q: &VecDeque<Instant>, now: Instant) -> u64 {
        q.front().map_or(1, |oldest| {
            self.window
                .saturating_sub(now.duration_since(*oldest))
                .as_secs()
                .max(1)
        })
    }

    /// Counts an attempt before its password is checked, or says how many
    /// seconds to wait when the (user, address) pair or the address is over
    /// its limit.
    pub(crate) fn reserve(&self, user: &str, ip: Option<&str>) -> Result<Attempt, u64> {
        let now = Instant::now();
        let user = norm(user);
        let ip = ip.map(str::to_string);
        let mut s = self.state.lock().expect("limiter lock");
        if s.attempts.len() > PRUNE_ABOVE {
            let w = self.window;
            s.attempts.retain(|_, q| {
                prune(q, now, w);
                !q.is_empty()
            });
            s.known.retain(|_, t| now.duration_since(*t) < KNOWN_FOR);
        }
        let pair = Key::Pair(user.clone(), ip.clone());
        let mut wait = None;
        for (key, limit) in [
            (Some(pair.clone()), self.per_pair),
            (ip.clone().map(Key::Ip), self.per_ip),
        ] {
            let Some(key) = key else { continue };
            if let Some(q) = s.attempts.get_mut(&key) {
                prune(q, now, self.window);
                if q.len() >= limit {
                    let w = self.wait_for(q, now);
                    wait = Some(wait.map_or(w, |x: u64| x.max(w)));
                }
            }
        }
        if let Some(w) = wait {
            return Err(w);
        }
        let known = ip.as_ref().is_some_and(|ip| {
            s.known
                .get(&(user.clone(), ip.clone()))
                .is_some_and(|t| now.duration_since(*t) < KNOWN_FOR)
        });
        let user_q = s.attempts.entry(Key::User(user.clone())).or_default();
        prune(user_q, now, self.window);
        let delay = if known {
            Duration::ZERO
        } else {
            self.delay_after(user_q.len())
        };
        user_q.push_back(now);
        s.attempts.entry(pair).or_default().push_back(now);
        if let Some(ip) = &ip {
            s.attempts
                .entry(Key::Ip(ip.clone()))
                .or_default()
                .push_back(now);
        }
        Ok(Attempt {
            user,
            ip,
            at: now,
            delay,
        })
    }

    /// The delay before checking a password when the user has `failures`
    /// recent failures (over all addresses): none up to the per-user limit,
    /// then 1 s, 2 s, 4 s … up to the maximum.
    fn delay_after(&self, failures: usize) -> Duration {
        if failures < self.per_pair {
            return Duration::ZERO;
        }
        let doublings = u32::try_from(failures - self.per_pair)
            .unwrap_or(u32::MAX)
            .min(20);
        Duration::from_secs(1u64 << doublings).min(self.max_delay)
    }

    fn remove(q: Option<&mut VecDeque<Instant>>, at: Instant) {
        if let Some(q) = q
            && let Some(i) = q.iter().position(|t| *t == at)
        {
            q.remove(i);
        }
    }

    /// Takes back an attempt that was never checked (no hash slot free).
    pub(crate) fn release(&self, a: &Attempt) {
        let mut s = self.state.lock().expect("limiter lock");
        Self::remove(
            s.attempts.get_mut(&Key::Pair(a.user.clone(), a.ip.clone())),
            a.at,
        );
        Self::remove(s.attempts.get_mut(&Key::User(a.user.clone())), a.at);
        if let Some(ip) = &a.ip {
            Self::remove(s.attempts.get_mut(&Key::Ip(ip.clone())), a.at);
        }
    }

    /// A successful login: the user's failures are forgiven, the attempt
    /// does not count against the address, and the address becomes known.
    pub(crate) fn succeed(&self, a: &Attempt) {
        let mut s = self.state.lock().expect("limiter lock");
        s.attempts.remove(&Key::Pair(a.user.clone(), a.ip.clone()));
        s.attempts.remove(&Key::User(a.user.clone()));
        if let Some(ip) = &a.ip {
            Self::remove(s.attempts.get_mut(&Key::Ip(ip.clone())), a.at);
            s.known.insert((a.user.clone(), ip.clone()), Instant::now());
        }
    }

    /// A slot to run one password hash, or `None` when all are busy.
    pub(crate) fn hash_permit(&self) -> Option<HashPermit> {
        let permit = self.hashes.clone().try_acquire_owned().ok()?;
        self.checks.fetch_add(1, Ordering::SeqCst);
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        Some(HashPermit {
            _permit: permit,
            running: self.running.clone(),
        })
    }

    /// Password checks run since start, and the most that ran at once.
    pub(crate) fn stats(&self) -> (u64, usize) {
        (
            self.checks.load(Ordering::SeqCst),
            self.peak.load(Ordering::SeqCst),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter() -> LoginLimiter {
        LoginLimiter::new(&SecurityConfig {
            login_max_concurrent_hashes: 2,
            ..SecurityConfig::default()
        })
    }

    #[test]
    fn parallel_reservations_stop_at_the_pair_limit() {
        let l = Arc::new(limiter());
        let ok: usize = std::thread::scope(|s| {
            let hs: Vec<_> = (0..40)
                .map(|_| {
                    let l = l.clone();
                    s.spawn(move || l.reserve("dac", Some("10.0.0.1")).is_ok())
                })
                .collect();
            hs.into_iter().map(|h| usize::from(h.join().unwrap())).sum()
        });
        assert_eq!(ok, 5);
    }

    #[test]
    fn failures_from_one_address_do_not_lock_out_another() {
        let l = limiter();
        for _ in 0..5 {
            l.reserve("dac", Some("10.0.0.1")).unwrap();
        }
        assert!(l.reserve("dac", Some("10.0.0.1")).is_err());
        let a = l.reserve("DAC", Some("10.0.0.2")).unwrap();
        assert_eq!(a.delay, Duration::from_secs(1));
        l.succeed(&a);
        // a known address is never delayed, whatever others try
        for i in 0..20 {
            let _ = l.reserve("dac", Some(&format!("10.1.0.{i}")));
        }
        assert_eq!(
            l.reserve("dac", Some("10.0.0.2")).unwrap().delay,
            Duration::ZERO
        );
    }

    #[test]
    fn the_user_delay_doubles_up_to_the_maximum() {
        let l = limiter();
        assert_eq!(l.delay_after(4), Duration::ZERO);
        assert_eq!(l.delay_after(5), Duration::from_secs(1));
        assert_eq!(l.delay_after(7), Duration::from_secs(4));
        assert_eq!(l.delay_after(500), l.max_delay);
    }

    #[test]
    fn a_released_attempt_is_not_counted() {
        let l = limiter();
        for _ in 0..10 {
            let a = l.reserve("dac", Some("10.0.0.1")).unwrap();
            l.release(&a);
        }
        assert!(l.reserve("dac", Some("10.0.0.1")).is_ok());
    }

    #[test]
    fn hash_permits_are_bounded() {
        let l = limiter();
        let a = l.hash_permit().unwrap();
        let _b = l.hash_permit().unwrap();
        assert!(l.hash_permit().is_none());
        drop(a);
        assert!(l.hash_permit().is_some());
        assert_eq!(l.stats(), (3, 2));
    }
}
