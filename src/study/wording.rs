//! Counts in the messages the studies print: `1 trial`, `3 trials`.

/// `n` and `noun`, the noun taking an `s` unless `n` is 1: `counted(1, "trial")` is `1 trial`,
/// `counted(0, "trial")` is `0 trials`.
pub fn counted(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::counted;

    #[test]
    fn one_is_singular_and_every_other_count_plural() {
        assert_eq!(counted(1, "trial"), "1 trial");
        assert_eq!(counted(0, "trial"), "0 trials");
        assert_eq!(counted(2, "thread"), "2 threads");
    }
}
