//! Erlang C staffing: how many operators a principal needs for its service-level target.
//!
//! Each principal staffs its own queues (R12: operators are not shared between the DSO and
//! suppliers), so each needs its own forecast. Erlang C models a queue with Poisson arrivals,
//! exponential handling times and callers who wait; it is the planning standard of contact
//! centers and slightly pessimistic (it ignores abandons), which is the safe side.
//!
//! The textbook formula divides powers and factorials of the traffic, which overflows past a
//! hundred or so agents. It is computed here through the Erlang B recursion
//! `B(0) = 1, B(n) = A·B(n−1) / (n + A·B(n−1))`, which stays within [0, 1] at every step,
//! then `C = N·B / (N − A·(1 − B))`.

/// The probability that an interaction has to wait, with `agents` operators and
/// `traffic_erlangs` of offered traffic (arrival rate × handling time). 1.0 when the agents
/// cannot keep up (`agents <= traffic`), where the queue grows without bound.
pub fn erlang_c(agents: u32, traffic_erlangs: f64) -> f64 {
    let a = traffic_erlangs;
    if a.is_nan() || a <= 0.0 {
        return 0.0;
    }
    let n = f64::from(agents);
    if n <= a {
        return 1.0;
    }
    let mut b = 1.0;
    for k in 1..=agents {
        b = a * b / (f64::from(k) + a * b);
    }
    let c = n * b / (n - a * (1.0 - b));
    c.clamp(0.0, 1.0)
}

/// The offered traffic in erlangs: `calls` over `period_seconds`, each `handling_seconds` long.
pub fn traffic(calls: f64, period_seconds: f64, handling_seconds: f64) -> f64 {
    if period_seconds > 0.0 && calls > 0.0 && handling_seconds > 0.0 {
        calls * handling_seconds / period_seconds
    } else {
        0.0
    }
}

/// The share of interactions answered within `threshold_seconds`, with `agents` operators,
/// `calls` arriving over `period_seconds`, each taking `handling_seconds`:
/// `1 − C · e^(−(N − A)·t / AHT)`.
pub fn service_level(
    agents: u32,
    calls: f64,
    period_seconds: f64,
    handling_seconds: f64,
    threshold_seconds: f64,
) -> f64 {
    let a = traffic(calls, period_seconds, handling_seconds);
    if a == 0.0 {
        return 1.0;
    }
    let n = f64::from(agents);
    if n <= a {
        return 0.0;
    }
    let c = erlang_c(agents, a);
    let level = 1.0 - c * (-(n - a) * threshold_seconds.max(0.0) / handling_seconds).exp();
    level.clamp(0.0, 1.0)
}

/// The average wait before answer, in seconds: `C · AHT / (N − A)`; infinite when the agents
/// cannot keep up.
pub fn average_speed_of_answer(agents: u32, calls: f64, period_seconds: f64, handling_seconds: f64) -> f64 {
    let a = traffic(calls, period_seconds, handling_seconds);
    if a == 0.0 {
        return 0.0;
    }
    let n = f64::from(agents);
    if n <= a {
        return f64::INFINITY;
    }
    erlang_c(agents, a) * handling_seconds / (n - a)
}

/// The fewest operators that reach a service level of `target` (a share, 0.0 to 1.0).
///
/// The target is clamped to [0, 1]; the search starts just above the traffic (fewer cannot
/// keep up) and ends when the target is met, which always happens since the service level
/// reaches 1.0 in floating point once `N − A` is large enough.
pub fn agents_needed(
    target: f64,
    calls: f64,
    period_seconds: f64,
    handling_seconds: f64,
    threshold_seconds: f64,
) -> u32 {
    let a = traffic(calls, period_seconds, handling_seconds);
    if a == 0.0 {
        return 0;
    }
    let target = if target.is_nan() { 1.0 } else { target.clamp(0.0, 1.0) };
    // Traffic beyond u32 agents is not a contact center; saturate rather than overflow.
    if a >= f64::from(u32::MAX) {
        return u32::MAX;
    }
    let mut agents = a.floor() as u32 + 1;
    while service_level(agents, calls, period_seconds, handling_seconds, threshold_seconds) < target {
        if agents == u32::MAX {
            break;
        }
        agents += 1;
    }
    agents
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_agents_always_wait_and_none_needed_without_traffic() {
        assert_eq!(erlang_c(10, 10.0), 1.0);
        assert_eq!(erlang_c(3, 0.0), 0.0);
        assert_eq!(agents_needed(0.8, 0.0, 1800.0, 180.0, 20.0), 0);
        assert_eq!(service_level(10, 100.0, 1800.0, 180.0, 20.0), 0.0);
    }

    #[test]
    fn large_centers_do_not_overflow() {
        let c = erlang_c(2000, 1900.0);
        assert!(c.is_finite() && (0.0..=1.0).contains(&c), "{c}");
        assert!(agents_needed(1.0, 100.0, 1800.0, 180.0, 20.0) >= 14);
    }
}
