//! Holm's step-down adjustment of p-values (R's `p.adjust(p, "holm")`).

/// The Holm-adjusted value of each p-value, in the order given.
///
/// With `m` p-values sorted ascending, the `i`-th smallest (from 0) becomes
/// `min(1, max over j <= i of (m - j) p_(j))`, so the adjusted values keep the order of the
/// raw ones and are never smaller than them.
pub(crate) fn holm(p_values: &[f64]) -> Vec<f64> {
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    // Stable, like R's `order`: ties keep their positions (the running maximum makes the
    // adjusted values of ties equal anyway).
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    let mut adjusted = vec![0.0; m];
    let mut running = 0.0_f64;
    for (rank, &i) in order.iter().enumerate() {
        let scaled = ((m - rank) as f64 * p_values[i]).min(1.0);
        running = running.max(scaled);
        adjusted[i] = running;
    }
    adjusted
}

#[cfg(test)]
mod tests {
    use super::holm;

    #[test]
    fn matches_r_p_adjust_holm() {
        // p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") = 0.03 0.06 0.06 0.02
        let adjusted = holm(&[0.01, 0.04, 0.03, 0.005]);
        let expected = [0.03, 0.06, 0.06, 0.02];
        for (a, e) in adjusted.iter().zip(expected) {
            assert!((a - e).abs() < 1e-15, "{adjusted:?}");
        }
    }

    #[test]
    fn caps_at_one_and_handles_no_values() {
        assert_eq!(holm(&[0.6, 0.9]), vec![1.0, 1.0]);
        assert!(holm(&[]).is_empty());
    }
}
