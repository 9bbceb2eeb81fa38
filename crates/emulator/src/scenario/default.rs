//! The built-in centre (`crates/emulator/scenarios/default.json` is the same, as JSON).
//!
//! Predictive is deployed on the five hard queues (long waits, high abandons) and on little
//! else, while the easy, busy queues route with Standard: Predictive beats Standard within
//! every queue they share, yet pooled over the centre it looks worse (Simpson's paradox).

use std::collections::BTreeMap;

use super::{Curves, Deployment, Fallback, MethodEffect, QueueSpec, Scenario, Weighted};

fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A fixed, UUID-shaped id for the `n`-th thing of a kind.
fn id(kind: u64, n: u64) -> String {
    let a = mix(mix(kind) ^ n);
    let b = mix(a);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0x0fff,
        0x8000 | ((b >> 48) & 0x3fff),
        b & 0xffff_ffff_ffff
    )
}

const DIVISION: u64 = 0xd1;
const SKILL: u64 = 0x5c;
const AGENT: u64 = 0xa6;
const WRAP_UP: u64 = 0x3c;

fn curves() -> Curves {
    let hourly = BTreeMap::from([
        (
            "businessHours".to_owned(),
            vec![
                0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 1.5, 4.0, 7.0, 9.0, 9.5, 9.0, 7.5, 8.0, 8.5, 8.0,
                7.0, 5.0, 3.0, 1.8, 1.2, 0.8, 0.5, 0.3,
            ],
        ),
        (
            "extendedHours".to_owned(),
            vec![
                0.5, 0.3, 0.2, 0.2, 0.3, 0.8, 2.0, 4.5, 6.5, 7.5, 8.0, 7.5, 7.0, 7.0, 7.5, 7.5,
                7.0, 6.5, 6.0, 5.5, 4.5, 3.0, 1.8, 0.9,
            ],
        ),
        (
            "allDay".to_owned(),
            vec![
                2.0, 1.6, 1.4, 1.3, 1.4, 1.8, 2.6, 3.6, 4.6, 5.2, 5.4, 5.3, 5.0, 5.0, 5.1, 5.0,
                4.8, 4.6, 4.4, 4.2, 3.9, 3.4, 2.9, 2.4,
            ],
        ),
    ]);
    let weekly = BTreeMap::from([
        (
            "weekdays".to_owned(),
            vec![1.15, 1.05, 1.0, 1.0, 0.95, 0.3, 0.15],
        ),
        (
            "sevenDays".to_owned(),
            vec![1.05, 1.0, 1.0, 1.0, 1.0, 0.85, 0.75],
        ),
        (
            "mondayPeak".to_owned(),
            vec![1.4, 1.1, 1.0, 0.95, 0.85, 0.25, 0.1],
        ),
    ]);
    Curves { hourly, weekly }
}

fn effect(asa: f64, aht: f64, abandon: f64, sl: f64, transfer: f64) -> MethodEffect {
    MethodEffect {
        speed_of_answer: asa,
        handle_time: aht,
        abandon,
        service_level: sl,
        transfer,
    }
}

fn methods() -> BTreeMap<String, MethodEffect> {
    BTreeMap::from([
        (
            "Predictive".to_owned(),
            effect(-0.15, -0.07, -0.02, 0.05, -0.015),
        ),
        (
            "Bullseye".to_owned(),
            effect(-0.05, 0.02, -0.005, 0.02, 0.005),
        ),
        (
            "Conditional".to_owned(),
            effect(-0.08, -0.02, -0.01, 0.03, -0.005),
        ),
        (
            "Preferred".to_owned(),
            effect(0.10, -0.05, 0.005, -0.02, -0.02),
        ),
        ("Last".to_owned(), effect(0.05, -0.03, 0.0, -0.01, -0.01)),
        ("Direct".to_owned(), effect(0.20, -0.04, 0.01, -0.04, -0.02)),
        ("Vip".to_owned(), effect(-0.30, 0.10, -0.01, 0.06, 0.0)),
        ("Manual".to_owned(), effect(0.25, 0.05, 0.015, -0.05, 0.02)),
    ])
}

fn wrap_up_codes() -> Vec<Weighted> {
    [5.0, 2.0, 1.0, 1.5, 3.0, 0.5]
        .iter()
        .enumerate()
        .map(|(i, w)| Weighted {
            id: id(WRAP_UP, i as u64),
            weight: *w,
        })
        .collect()
}

/// One row of the centre's table.
struct Row {
    name: &'static str,
    division: u64,
    media: &'static [(&'static str, f64)],
    volume: f64,
    hourly: &'static str,
    weekly: &'static str,
    /// abandon before routing, abandon, ASA s, AHT s, SL s, SL reached, transfer
    base: (f64, f64, f64, f64, f64, f64, f64),
    routing: Deployment,
    fallback: Option<f64>,
}

fn split(shares: &[(&str, f64)]) -> Deployment {
    Deployment::Split {
        shares: shares.iter().map(|(m, s)| ((*m).to_owned(), *s)).collect(),
    }
}

fn sliced(share: f64) -> Deployment {
    Deployment::TimeSliced {
        treatment: "Predictive".to_owned(),
        baseline: "Standard".to_owned(),
        treatment_share: share,
    }
}

const VOICE: &[(&str, f64)] = &[("voice", 1.0)];
const MOSTLY_VOICE: &[(&str, f64)] = &[("voice", 0.85), ("message", 0.15)];

fn rows() -> Vec<Row> {
    let row = |name, division, media, volume, hourly, weekly, base, routing, fallback| Row {
        name,
        division,
        media,
        volume,
        hourly,
        weekly,
        base,
        routing,
        fallback,
    };
    let predictive = |share: f64, rest: f64| split(&[("Predictive", share), ("Standard", rest)]);
    vec![
        // The hard queues: Predictive on most of their traffic.
        row(
            "Technical Support L2",
            2,
            VOICE,
            520.0,
            "extendedHours",
            "weekdays",
            (0.02, 0.14, 95.0, 720.0, 20.0, 0.50, 0.16),
            predictive(0.8, 0.2),
            Some(0.08),
        ),
        row(
            "Claims",
            1,
            VOICE,
            610.0,
            "businessHours",
            "weekdays",
            (0.02, 0.12, 80.0, 610.0, 20.0, 0.55, 0.12),
            predictive(0.75, 0.25),
            Some(0.06),
        ),
        row(
            "Collections",
            1,
            VOICE,
            480.0,
            "businessHours",
            "mondayPeak",
            (0.03, 0.13, 85.0, 540.0, 20.0, 0.52, 0.10),
            predictive(0.7, 0.3),
            Some(0.05),
        ),
        row(
            "Retention",
            0,
            MOSTLY_VOICE,
            450.0,
            "extendedHours",
            "weekdays",
            (0.02, 0.11, 70.0, 650.0, 20.0, 0.60, 0.14),
            predictive(0.8, 0.2),
            Some(0.07),
        ),
        row(
            "Fraud",
            2,
            VOICE,
            300.0,
            "allDay",
            "sevenDays",
            (0.01, 0.10, 65.0, 700.0, 20.0, 0.62, 0.18),
            predictive(0.7, 0.3),
            None,
        ),
        // The easy, busy queues: Standard.
        row(
            "General Enquiries",
            0,
            MOSTLY_VOICE,
            1900.0,
            "businessHours",
            "weekdays",
            (0.02, 0.03, 18.0, 240.0, 20.0, 0.90, 0.04),
            split(&[("Standard", 1.0)]),
            None,
        ),
        row(
            "Billing",
            0,
            MOSTLY_VOICE,
            1200.0,
            "businessHours",
            "mondayPeak",
            (0.02, 0.04, 22.0, 300.0, 20.0, 0.87, 0.05),
            predictive(0.1, 0.9),
            None,
        ),
        row(
            "Orders",
            0,
            MOSTLY_VOICE,
            1150.0,
            "extendedHours",
            "sevenDays",
            (0.01, 0.035, 20.0, 260.0, 20.0, 0.88, 0.03),
            split(&[("Standard", 1.0)]),
            None,
        ),
        row(
            "Password Reset",
            2,
            VOICE,
            800.0,
            "allDay",
            "sevenDays",
            (0.01, 0.02, 12.0, 180.0, 20.0, 0.94, 0.02),
            split(&[("Standard", 1.0)]),
            None,
        ),
        row(
            "Delivery Tracking",
            0,
            MOSTLY_VOICE,
            850.0,
            "extendedHours",
            "sevenDays",
            (0.02, 0.03, 16.0, 200.0, 20.0, 0.90, 0.03),
            split(&[("Standard", 0.85), ("Last", 0.15)]),
            None,
        ),
        // Predictive Routing's comparison test, time-sliced.
        row(
            "Technical Support L1",
            2,
            VOICE,
            900.0,
            "extendedHours",
            "weekdays",
            (0.02, 0.07, 45.0, 420.0, 20.0, 0.72, 0.09),
            sliced(0.5),
            Some(0.05),
        ),
        row(
            "Sales Inbound",
            1,
            VOICE,
            700.0,
            "businessHours",
            "weekdays",
            (0.02, 0.06, 35.0, 380.0, 20.0, 0.78, 0.06),
            sliced(0.8),
            Some(0.04),
        ),
        // Conditional routing.
        row(
            "Mortgages",
            1,
            VOICE,
            380.0,
            "businessHours",
            "weekdays",
            (0.02, 0.06, 40.0, 560.0, 20.0, 0.74, 0.08),
            split(&[("Conditional", 0.6), ("Standard", 0.4)]),
            None,
        ),
        // The other methods.
        row(
            "Sales Priority",
            1,
            VOICE,
            420.0,
            "businessHours",
            "weekdays",
            (0.02, 0.05, 30.0, 400.0, 20.0, 0.80, 0.06),
            split(&[("Bullseye", 0.7), ("Standard", 0.3)]),
            None,
        ),
        row(
            "Premium Members",
            0,
            VOICE,
            260.0,
            "extendedHours",
            "sevenDays",
            (0.01, 0.03, 20.0, 480.0, 20.0, 0.88, 0.05),
            split(&[("Vip", 0.6), ("Standard", 0.4)]),
            None,
        ),
        row(
            "Account Managers",
            1,
            VOICE,
            240.0,
            "businessHours",
            "weekdays",
            (0.01, 0.04, 25.0, 350.0, 20.0, 0.85, 0.03),
            split(&[("Direct", 0.5), ("Preferred", 0.3), ("Standard", 0.2)]),
            None,
        ),
        row(
            "Returning Customers",
            0,
            MOSTLY_VOICE,
            520.0,
            "extendedHours",
            "weekdays",
            (0.02, 0.05, 28.0, 330.0, 20.0, 0.82, 0.05),
            split(&[("Last", 0.5), ("Standard", 0.5)]),
            None,
        ),
        row(
            "Business Banking",
            1,
            VOICE,
            330.0,
            "businessHours",
            "weekdays",
            (0.02, 0.05, 32.0, 450.0, 20.0, 0.80, 0.07),
            split(&[("Preferred", 0.4), ("Bullseye", 0.3), ("Standard", 0.3)]),
            None,
        ),
        row(
            "Insurance Renewals",
            1,
            VOICE,
            400.0,
            "businessHours",
            "mondayPeak",
            (0.02, 0.05, 30.0, 360.0, 20.0, 0.80, 0.06),
            split(&[("Standard", 0.9), ("Manual", 0.1)]),
            None,
        ),
        row(
            "Chat Support",
            0,
            &[("message", 0.7), ("voice", 0.3)],
            650.0,
            "extendedHours",
            "sevenDays",
            (0.03, 0.04, 25.0, 500.0, 30.0, 0.85, 0.05),
            split(&[("Standard", 0.6), ("Bullseye", 0.4)]),
            None,
        ),
        row(
            "Email Care",
            0,
            &[("email", 1.0)],
            300.0,
            "businessHours",
            "weekdays",
            (0.0, 0.01, 300.0, 420.0, 240.0, 0.60, 0.04),
            split(&[("Standard", 1.0)]),
            None,
        ),
        row(
            "Spanish Line",
            0,
            VOICE,
            360.0,
            "extendedHours",
            "sevenDays",
            (0.02, 0.06, 40.0, 390.0, 20.0, 0.76, 0.07),
            split(&[("Standard", 0.7), ("Bullseye", 0.3)]),
            None,
        ),
        row(
            "Outage Hotline",
            2,
            VOICE,
            280.0,
            "allDay",
            "sevenDays",
            (0.04, 0.08, 50.0, 300.0, 20.0, 0.68, 0.05),
            split(&[("Standard", 1.0)]),
            None,
        ),
        row(
            "Complaints",
            0,
            MOSTLY_VOICE,
            260.0,
            "businessHours",
            "weekdays",
            (0.02, 0.07, 42.0, 600.0, 20.0, 0.72, 0.10),
            split(&[("Standard", 0.6), ("Preferred", 0.4)]),
            None,
        ),
    ]
}

fn queue(i: usize, r: Row) -> QueueSpec {
    let (before, abandon, asa, aht, sl_secs, sl, transfer) = r.base;
    let i = i as u64;
    // A shared language skill, then two or three product skills of the queue's own.
    let mut skills = vec![Weighted {
        id: id(SKILL, 0),
        weight: 3.0,
    }];
    for k in 0..(2 + i % 2) {
        skills.push(Weighted {
            id: id(SKILL, 1 + i * 4 + k),
            weight: 1.0 + k as f64,
        });
    }
    // Nine agents each, the first three shared with the previous queue.
    let agents = (0..9).map(|a| id(AGENT, (i * 6 + a) % 150)).collect();
    let fallbacks = r
        .fallback
        .map(|share| Fallback {
            from: "Predictive".to_owned(),
            to: "Standard".to_owned(),
            share,
        })
        .into_iter()
        .collect();
    QueueSpec {
        id: id(0x9e, i),
        name: r.name.to_owned(),
        division_id: id(DIVISION, r.division),
        media_types: r.media.iter().map(|(m, s)| ((*m).to_owned(), *s)).collect(),
        daily_volume: r.volume,
        hourly_curve: r.hourly.to_owned(),
        weekly_curve: r.weekly.to_owned(),
        abandon_before_routing: before,
        abandon,
        speed_of_answer_secs: asa,
        handle_time_secs: aht,
        service_level_secs: sl_secs,
        service_level_target: 0.8,
        service_level: sl,
        transfer,
        skills,
        agents,
        routing: r.routing,
        fallbacks,
    }
}

pub(super) fn centre() -> Scenario {
    Scenario {
        name: "default-centre".to_owned(),
        description: "24 queues; Predictive on the hard queues (better within each, worse pooled), a time-sliced Predictive test on Technical Support L1 (50:50) and Sales Inbound (80:20), conditional routing on Mortgages, abandons before routing on most queues.".to_owned(),
        curves: curves(),
        methods: methods(),
        wrap_up_codes: wrap_up_codes(),
        queues: rows().into_iter().enumerate().map(|(i, r)| queue(i, r)).collect(),
    }
}
