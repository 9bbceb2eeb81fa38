//! [`CompactCounts`]: a bucket's [`RawCounts`] as the [`MetricTable`](super::MetricTable)
//! keeps them.
//!
//! A long window at `PT1H` is half a million buckets, and the table of its counts is what
//! decoding writes and the comparison reads (twice). `RawCounts` takes 184 bytes: each of its
//! nine `Option`s pads 8 bytes to 16, and the strategies facade's reported averages take 40
//! more in every bucket though only that facade fills them. Kept as nine plain values and a
//! bit each for presence, a bucket takes 80; the reported averages are kept apart by the
//! table, for the buckets that have them.

use super::RawCounts;

/// Nine [`RawCounts`] fields (all but `reported_speed_of_answer`): a count as it is, a sum
/// as its bits, and which of them are present.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CompactCounts {
    /// Bit `i` set: `values[i]` is present.
    present: u16,
    values: [u64; FIELDS],
}

const FIELDS: usize = 9;

// The fields' positions in `values`, in `RawCounts`'s order.
const OFFERED: usize = 0;
const ANSWERED: usize = 1;
const ANSWER_TIME: usize = 2;
const ABANDONED: usize = 3;
const HANDLED: usize = 4;
const HANDLE_TIME: usize = 5;
const SERVICE_LEVEL_MET: usize = 6;
const SERVICE_LEVEL_TOTAL: usize = 7;
const TRANSFERRED: usize = 8;

impl CompactCounts {
    /// `counts` without its `reported_speed_of_answer`.
    pub(crate) fn pack(counts: &RawCounts) -> Self {
        let mut packed = CompactCounts::default();
        packed.set(OFFERED, counts.offered);
        packed.set(ANSWERED, counts.answered);
        packed.set(ANSWER_TIME, counts.answer_time_ms.map(f64::to_bits));
        packed.set(ABANDONED, counts.abandoned);
        packed.set(HANDLED, counts.handled);
        packed.set(HANDLE_TIME, counts.handle_time_ms.map(f64::to_bits));
        packed.set(
            SERVICE_LEVEL_MET,
            counts.service_level_met.map(f64::to_bits),
        );
        packed.set(
            SERVICE_LEVEL_TOTAL,
            counts.service_level_total.map(f64::to_bits),
        );
        packed.set(TRANSFERRED, counts.transferred);
        packed
    }

    /// The counts packed, with no `reported_speed_of_answer`.
    pub(crate) fn unpack(&self) -> RawCounts {
        RawCounts {
            offered: self.get(OFFERED),
            answered: self.get(ANSWERED),
            answer_time_ms: self.sum(ANSWER_TIME),
            abandoned: self.get(ABANDONED),
            handled: self.get(HANDLED),
            handle_time_ms: self.sum(HANDLE_TIME),
            service_level_met: self.sum(SERVICE_LEVEL_MET),
            service_level_total: self.sum(SERVICE_LEVEL_TOTAL),
            transferred: self.get(TRANSFERRED),
            reported_speed_of_answer: None,
        }
    }

    /// `offered`, read alone.
    pub(crate) fn offered(&self) -> Option<u64> {
        self.get(OFFERED)
    }

    fn set(&mut self, field: usize, value: Option<u64>) {
        if let Some(value) = value {
            self.present |= 1 << field;
            self.values[field] = value;
        }
    }

    fn get(&self, field: usize) -> Option<u64> {
        (self.present & (1 << field) != 0).then_some(self.values[field])
    }

    fn sum(&self, field: usize) -> Option<f64> {
        self.get(field).map(f64::from_bits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::MeanParts;

    #[test]
    fn packing_keeps_every_field_but_the_reported_averages_bit_for_bit() {
        let full = RawCounts {
            offered: Some(u64::MAX),
            answered: Some(0),
            answer_time_ms: Some(-0.0),
            abandoned: Some(3),
            handled: Some(4),
            handle_time_ms: Some(f64::NAN),
            service_level_met: Some(f64::INFINITY),
            service_level_total: Some(2.5),
            transferred: Some(7),
            reported_speed_of_answer: Some(MeanParts::of(1.0, 2.0)),
        };
        let back = CompactCounts::pack(&full).unpack();
        assert_eq!(
            back.reported_speed_of_answer, None,
            "kept apart by the table"
        );
        let bits = |c: &RawCounts| {
            [
                c.answer_time_ms,
                c.handle_time_ms,
                c.service_level_met,
                c.service_level_total,
            ]
            .map(|v| v.map(f64::to_bits))
        };
        assert_eq!(bits(&back), bits(&full), "sums bit for bit (-0, NaN, inf)");
        let counts = |c: &RawCounts| [c.offered, c.answered, c.abandoned, c.handled, c.transferred];
        assert_eq!(counts(&back), counts(&full));

        for field in 0..FIELDS {
            let mut one = CompactCounts::default();
            one.set(field, Some(1));
            let unpacked = one.unpack();
            let present = counts(&unpacked).iter().flatten().count()
                + bits(&unpacked).iter().flatten().count();
            assert_eq!(present, 1, "field {field} alone is present");
        }
        assert_eq!(
            CompactCounts::pack(&RawCounts::default()).unpack(),
            RawCounts::default(),
            "absent stays absent, not 0"
        );
        assert!(size_of::<CompactCounts>() <= 80);
    }
}
