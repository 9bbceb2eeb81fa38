//! End to end: an evaluation of the emulator's default centre recovers the effects the
//! scenario planted (`Scenario::true_effects`), where the pooled ranking is reversed
//! (Predictive deployed on the hard queues, better within each).

use chrono::{TimeZone, Utc};
use genesys_routing_eval::comparison::{ComparisonResult, Verdict};
use genesys_routing_eval::evaluation::Evaluation;
use genesys_routing_eval::scoring::Direction;
use genesys_routing_eval::time::FixedJitter;
use routing_eval_emulator::scenario::EffectScale;

use crate::support::{client_builder, clock, emulator, run_evaluation};

#[tokio::test]
async fn the_comparison_recovers_the_planted_effects_where_the_pooled_view_reverses() {
    let emu = emulator(|b| b).await;
    let client = client_builder(&emu, clock().time_source(FixedJitter(1.0)))
        .build()
        .unwrap();
    let outcome = run_evaluation(Evaluation::builder().client(client).between(
        Utc.with_ymd_and_hms(2024, 4, 1, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2024, 4, 29, 0, 0, 0).unwrap(),
    ))
    .await;
    let comparison = outcome.report.comparison.as_ref().expect("a comparison");
    assert_eq!(comparison.baseline, "Standard");

    let mut checked = 0;
    for effect in emu.scenario().true_effects() {
        if effect.method != "Predictive" {
            continue;
        }
        let result: &ComparisonResult = comparison
            .results
            .iter()
            .find(|r| r.contender == effect.method && r.kpi.name() == effect.kpi)
            .unwrap_or_else(|| panic!("a result for {} {}", effect.method, effect.kpi));
        let difference = result.difference.expect("a difference");
        let se = result.standard_error.expect("a standard error");
        match effect.scale {
            EffectScale::Difference => assert!(
                (difference - effect.value).abs() <= 4.0 * se + 1e-3,
                "{}: planted {:+.4}, measured {difference:+.4} (SE {se:.4})",
                effect.kpi,
                effect.value
            ),
            _ => {
                let relative = difference / result.baseline_adjusted.unwrap();
                assert!(
                    (relative - effect.value).abs() <= 0.03,
                    "{}: planted {:+.3}, measured {relative:+.3}",
                    effect.kpi,
                    effect.value
                );
            }
        }
        // Every planted effect on Predictive is an improvement, and the data is strong enough
        // to say so; the pooled view says the opposite.
        let better = match result.direction {
            Direction::LowerIsBetter => effect.value < 0.0,
            Direction::HigherIsBetter => effect.value > 0.0,
        };
        assert!(
            better,
            "{}: the planted effect is an improvement",
            effect.kpi
        );
        assert_eq!(result.verdict, Verdict::ContenderBetter, "{}", effect.kpi);
        assert!(
            result.reversal,
            "{}: the pooled view is reversed",
            effect.kpi
        );
        checked += 1;
    }
    assert_eq!(checked, 5, "all five KPIs of Predictive");
    assert!(comparison.has_reversal());
}
