//! What the app's benches share: where PostgreSQL is, and a URL for a database of their own.

/// The server named by `CLOISON_BENCH_POSTGRES_URL` or `CLOISON_TEST_POSTGRES_URL`, if any.
pub fn postgres_admin_url() -> Option<String> {
    ["CLOISON_BENCH_POSTGRES_URL", "CLOISON_TEST_POSTGRES_URL"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|url| !url.is_empty()))
}

/// `url` with its database name replaced by `database`.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    // The database name is the path after the authority; a URL without one gets it appended.
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{database}?{query}"),
        None => format!("{base}/{database}"),
    }
}
