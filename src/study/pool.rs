//! The worker pool of a study binary (`--threads`).

use crate::error::{Error, Result};

/// The most worker threads a study accepts.
pub const MAX_THREADS: usize = 1024;

/// A pool of `threads` workers, or one per core when `None` (rayon's default).
///
/// `Some(0)` is refused: rayon would read it as "all cores", which a user asking for zero
/// threads does not mean. So is more than [`MAX_THREADS`]: each worker reserves a stack, and
/// a typing slip such as `--threads 99999` would otherwise start thousands of them.
pub fn thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    match threads {
        Some(0) => {
            return Err(Error::parameter(
                "--threads",
                0,
                "needs at least one thread (leave it out to use every core)",
            ))
        }
        Some(n) if n > MAX_THREADS => {
            return Err(Error::parameter(
                "--threads",
                n,
                &format!("at most {MAX_THREADS} (leave it out to use every core)"),
            ))
        }
        Some(n) => builder = builder.num_threads(n),
        None => {}
    }
    builder
        .build()
        .map_err(|e| Error::parameter("--threads", format!("{threads:?}"), &e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::thread_pool;

    #[test]
    fn zero_and_huge_thread_counts_are_refused_and_a_count_is_honoured() {
        let err = thread_pool(Some(0)).unwrap_err().to_string();
        assert!(err.contains("--threads") && err.contains("at least one"), "{err}");
        let err = thread_pool(Some(99_999)).unwrap_err().to_string();
        assert!(err.contains("99999") && err.contains("at most 1024"), "{err}");
        assert_eq!(thread_pool(Some(2)).unwrap().current_num_threads(), 2);
        assert!(thread_pool(None).unwrap().current_num_threads() >= 1);
    }
}
