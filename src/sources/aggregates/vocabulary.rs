//! What the aggregates API accepts before it is asked: the dimensions a conversation
//! aggregate query can group by, and the granularities it buckets by.
//!
//! Checking these in the builder turns a 400 after a token request and a job submission
//! into a configuration error that names the setting.

/// The dimensions a conversation aggregate query can group or filter by: the `groupBy` enum
/// of `ConversationAggregationQuery` in the official Genesys Cloud SDKs. The emulator
/// (`routing-eval-emulator`) accepts exactly these, so the client's check and the server's
/// answer cannot drift apart.
pub const CONVERSATION_DIMENSIONS: &[&str] = &[
    "activeRouting",
    "activeSkillId",
    "addressFrom",
    "addressTo",
    "agentAssistantId",
    "agentBullseyeRing",
    "agentOwned",
    "agentRank",
    "agentScore",
    "ani",
    "assignerId",
    "authenticated",
    "canonicalExternalContactId",
    "conversationId",
    "conversationInitiator",
    "convertedFrom",
    "convertedTo",
    "customerParticipation",
    "deliveryStatus",
    "destinationAddress",
    "direction",
    "disconnectType",
    "divisionId",
    "dnis",
    "edgeId",
    "eligibleAgentCount",
    "errorCode",
    "extendedDeliveryStatus",
    "externalContactId",
    "externalMediaCount",
    "externalOrganizationId",
    "externalTag",
    "firstQueue",
    "flaggedReason",
    "flowInType",
    "flowOutType",
    "groupId",
    "interactionType",
    "journeyActionId",
    "journeyActionMapId",
    "journeyActionMapVersion",
    "journeyCustomerId",
    "journeyCustomerIdType",
    "journeyCustomerSessionId",
    "journeyCustomerSessionIdType",
    "knowledgeBaseId",
    "mediaCount",
    "mediaType",
    "messageType",
    "originatingDirection",
    "originatingSocialMediaPublic",
    "outboundCampaignId",
    "outboundContactId",
    "outboundContactListId",
    "participantName",
    "peerId",
    "proposedAgentId",
    "provider",
    "purpose",
    "queueId",
    "remote",
    "removedSkillId",
    "requestedLanguageId",
    "requestedRouting",
    "requestedRoutingSkillId",
    "roomId",
    "routingPriority",
    "routingRing",
    "routingRule",
    "routingRuleType",
    "scoredAgentId",
    "selectedAgentId",
    "selectedAgentRank",
    "selfServed",
    "sessionDnis",
    "sessionId",
    "skillExpressionId",
    "stationId",
    "teamId",
    "usedRouting",
    "userId",
    "videoPresent",
    "waitingInteractionCount",
    "wrapUpCode",
];

/// Whether `name` is a dimension of [`CONVERSATION_DIMENSIONS`].
pub fn is_conversation_dimension(name: &str) -> bool {
    CONVERSATION_DIMENSIONS.contains(&name)
}

/// The known dimension closest to `name` (fewest single-character edits, ignoring case), for
/// a "did you mean" hint.
pub fn nearest_dimension(name: &str) -> &'static str {
    crate::error::nearest(name, CONVERSATION_DIMENSIONS.iter().copied()).unwrap_or("usedRouting")
}

/// Why Genesys would refuse `text` as a granularity, or `None` when it is accepted: an
/// ISO-8601 period (`P1D`, `PT30M`, `P1W`, `P1M`, `P1DT12H`) that is not zero and whose time
/// part is a whole number of quarter hours (the finest bucket Genesys keeps is `PT15M`).
///
/// # Example
/// ```
/// use genesys_routing_eval::sources::aggregates::granularity_problem;
/// assert_eq!(granularity_problem("PT30M"), None);
/// assert!(granularity_problem("PT10M").unwrap().contains("multiple of PT15M"));
/// assert!(granularity_problem("byDay").unwrap().contains("ISO-8601"));
/// ```
pub fn granularity_problem(text: &str) -> Option<String> {
    let Some(period) = parse_period(text) else {
        return Some(format!(
            "`{text}` is not an ISO-8601 period; use PT15M, PT30M, PT1H, P1D, P1W or P1M"
        ));
    };
    if period.months == 0.0 && period.days == 0.0 && period.seconds == 0.0 {
        return Some(format!("`{text}` is zero; use a period of at least PT15M"));
    }
    let quarters = (period.days * 86_400.0 + period.seconds) / 900.0;
    if (quarters - quarters.round()).abs() > 1e-9 {
        return Some(format!(
            "`{text}` is not a multiple of PT15M, which Genesys refuses; use PT15M, PT30M, PT1H or P1D"
        ));
    }
    None
}

/// An ISO-8601 period split the way buckets are: calendar months, days, and seconds.
#[derive(Debug, PartialEq)]
struct Period {
    months: f64,
    days: f64,
    seconds: f64,
}

/// Parses `P[n]Y[n]M[n]W[n]D[T[n]H[n]M[n]S]` (at least one component, units in order).
fn parse_period(text: &str) -> Option<Period> {
    let rest = text.strip_prefix('P')?;
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (rest, None),
    };
    let date_parts = components(date, &['Y', 'M', 'W', 'D'])?;
    let time_parts = match time {
        Some(t) => {
            let parts = components(t, &['H', 'M', 'S'])?;
            if parts.is_empty() {
                return None;
            }
            parts
        }
        None => Vec::new(),
    };
    if date_parts.is_empty() && time_parts.is_empty() {
        return None;
    }
    let mut period = Period {
        months: 0.0,
        days: 0.0,
        seconds: 0.0,
    };
    for (unit, n) in date_parts {
        match unit {
            'Y' => period.months += n * 12.0,
            'M' => period.months += n,
            'W' => period.days += n * 7.0,
            _ => period.days += n,
        }
    }
    for (unit, n) in time_parts {
        period.seconds += n * match unit {
            'H' => 3600.0,
            'M' => 60.0,
            _ => 1.0,
        };
    }
    Some(period)
}

/// `<number><unit>` pairs with units in the order of `units`, each at most once.
fn components(part: &str, units: &[char]) -> Option<Vec<(char, f64)>> {
    let mut found = Vec::new();
    let mut number = String::new();
    let mut last = 0;
    for c in part.chars() {
        if c.is_ascii_digit() || (c == '.' && !number.is_empty()) {
            number.push(c);
            continue;
        }
        let position = units.iter().position(|u| *u == c)? + 1;
        if number.is_empty() || position <= last {
            return None;
        }
        found.push((c, number.parse::<f64>().ok()?));
        number.clear();
        last = position;
    }
    number.is_empty().then_some(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn granularities_genesys_accepts_pass() {
        for ok in [
            "PT15M", "PT30M", "PT1H", "P1D", "P7D", "P1W", "P1M", "P1Y", "P1DT12H", "PT0.25H",
        ] {
            assert_eq!(granularity_problem(ok), None, "{ok}");
        }
    }

    #[test]
    fn granularities_genesys_refuses_are_named() {
        for bad in ["PT10M", "PT1M", "PT0.5S", "PT20M", "P1DT5M"] {
            assert!(
                granularity_problem(bad)
                    .unwrap()
                    .contains("multiple of PT15M"),
                "{bad}"
            );
        }
        for zero in ["P0D", "PT0M", "PT0H0M"] {
            assert!(
                granularity_problem(zero).unwrap().contains("zero"),
                "{zero}"
            );
        }
        for bad in [
            "", "P", "1D", "PT", "P1H", "PD", "P1D1D", "byDay", "PT1D", "p1d",
        ] {
            assert!(
                granularity_problem(bad).unwrap().contains("ISO-8601"),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_nearest_dimension_fixes_a_slip() {
        assert!(is_conversation_dimension("usedRouting"));
        assert!(!is_conversation_dimension("usedrouting"));
        assert_eq!(nearest_dimension("usedrouting"), "usedRouting");
        assert_eq!(nearest_dimension("queueID"), "queueId");
    }
}
