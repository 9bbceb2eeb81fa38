//! The dimensions the emulator's data has, read off a conversation's leaf.

use crate::scenario::generate::{Leaf, LeafFields, Model, NONE};

/// A modelled dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dim {
    QueueId,
    UsedRouting,
    ActiveRouting,
    RequestedRouting,
    RequestedRoutingSkillId,
    UserId,
    DivisionId,
    MediaType,
    WrapUpCode,
    Direction,
    OriginatingDirection,
    Purpose,
    InteractionType,
}

/// Every modelled dimension, by its Genesys name.
pub(crate) const MODELLED_DIMENSIONS: &[(&str, Dim)] = &[
    ("queueId", Dim::QueueId),
    ("usedRouting", Dim::UsedRouting),
    ("activeRouting", Dim::ActiveRouting),
    ("requestedRouting", Dim::RequestedRouting),
    ("requestedRoutingSkillId", Dim::RequestedRoutingSkillId),
    ("userId", Dim::UserId),
    ("divisionId", Dim::DivisionId),
    ("mediaType", Dim::MediaType),
    ("wrapUpCode", Dim::WrapUpCode),
    ("direction", Dim::Direction),
    ("originatingDirection", Dim::OriginatingDirection),
    ("purpose", Dim::Purpose),
    ("interactionType", Dim::InteractionType),
];

impl Dim {
    pub(crate) fn parse(name: &str) -> Option<Dim> {
        MODELLED_DIMENSIONS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, d)| *d)
    }

    /// The interned code of this dimension's value on `leaf` ([`NONE`]: absent).
    pub(crate) fn code(self, model: &Model, leaf: &Leaf) -> u16 {
        match self {
            Dim::QueueId => leaf.queue,
            Dim::UsedRouting | Dim::ActiveRouting => leaf.used,
            Dim::RequestedRouting => leaf.requested,
            Dim::RequestedRoutingSkillId => leaf.skill,
            Dim::UserId => leaf.user,
            Dim::DivisionId => model.queues[leaf.queue as usize].division,
            Dim::MediaType => leaf.media,
            Dim::WrapUpCode => leaf.wrap_up,
            Dim::Direction | Dim::OriginatingDirection | Dim::Purpose | Dim::InteractionType => 0,
        }
    }

    /// The text of a code of this dimension.
    pub(crate) fn text(self, model: &Model, code: u16) -> Option<&str> {
        if code == NONE {
            return None;
        }
        let list = match self {
            Dim::QueueId => &model.queue_ids,
            Dim::UsedRouting | Dim::ActiveRouting | Dim::RequestedRouting => &model.methods,
            Dim::RequestedRoutingSkillId => &model.skills,
            Dim::UserId => &model.agents,
            Dim::DivisionId => &model.divisions,
            Dim::MediaType => &model.media,
            Dim::WrapUpCode => &model.wrap_ups,
            Dim::Direction | Dim::OriginatingDirection => return Some("inbound"),
            Dim::Purpose => return Some("acd"),
            Dim::InteractionType => return Some("contactCenter"),
        };
        list.get(code as usize).map(String::as_str)
    }

    /// The value on `leaf`, as text.
    pub(crate) fn value<'m>(self, model: &'m Model, leaf: &Leaf) -> Option<&'m str> {
        self.text(model, self.code(model, leaf))
    }

    /// Marks the leaf fields this dimension reads.
    pub(crate) fn mark(self, fields: &mut LeafFields) {
        match self {
            Dim::UsedRouting | Dim::ActiveRouting | Dim::RequestedRouting => fields.routing = true,
            Dim::RequestedRoutingSkillId => fields.skill = true,
            Dim::UserId => fields.user = true,
            Dim::MediaType => fields.media = true,
            Dim::WrapUpCode => fields.wrap_up = true,
            Dim::QueueId
            | Dim::DivisionId
            | Dim::Direction
            | Dim::OriginatingDirection
            | Dim::Purpose
            | Dim::InteractionType => {}
        }
    }
}

/// The value of the dimension named `name` on `leaf` (unmodelled dimensions are absent).
pub(crate) fn value_by_name<'m>(model: &'m Model, leaf: &Leaf, name: &str) -> Option<&'m str> {
    Dim::parse(name).and_then(|d| d.value(model, leaf))
}
