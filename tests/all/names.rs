//! Names for queue, skill and user ids, read from the emulator's directory listings over
//! HTTP: resolved, paged, batched, and a 403 degrading to ids with one warning.

use std::sync::{Arc, Mutex};

use genesys_routing_eval::names::{Directory, MAX_IDS_PER_REQUEST, NameRequest, resolve};
use genesys_routing_eval::progress::{Progress, ProgressEvent};
use routing_eval_emulator::Emulator;
use routing_eval_emulator::directory::{QUEUES_PERMISSION, USERS_PERMISSION};

use crate::support::{
    emulator, emulator_client as client, march_week as week, run_evaluation as run,
};

fn request(emu: &Emulator) -> NameRequest {
    let mut request = NameRequest::new();
    for dimension in ["queueId", "requestedRoutingSkillId", "userId"] {
        for id in emu.dimension_values(dimension) {
            request.add_dimension_value(dimension, &id);
        }
    }
    request
}

#[tokio::test]
async fn every_queue_skill_and_user_id_gets_its_name() {
    let emu = emulator(|b| b).await;
    let names = resolve(&client(&emu), &request(&emu), &Progress::none())
        .await
        .expect("names resolve");
    let expected = emu.entity_names();
    let queues = emu.dimension_values("queueId");
    assert_eq!(names.queues.len(), queues.len());
    for queue in &emu.scenario().queues {
        assert_eq!(
            names.get(Directory::Queues, &queue.id),
            Some(queue.name.as_str())
        );
    }
    for dimension in ["requestedRoutingSkillId", "userId"] {
        for id in emu.dimension_values(dimension) {
            assert_eq!(
                names.for_dimension(dimension, &id),
                expected.get(&id).map(String::as_str),
                "{dimension} {id}"
            );
        }
    }
    assert!(!names.skills.is_empty() && !names.users.is_empty());
    assert!(names.warnings.is_empty());
}

#[tokio::test]
async fn only_the_ids_asked_for_are_named() {
    let emu = emulator(|b| b).await;
    let queue = &emu.scenario().queues[3];
    let mut request = NameRequest::new();
    request.add(Directory::Queues, queue.id.clone());
    request.add(Directory::Queues, "00000000-0000-0000-0000-000000000000");
    let names = resolve(&client(&emu), &request, &Progress::none())
        .await
        .unwrap();
    assert_eq!(names.queues.len(), 1);
    assert_eq!(names.any(&queue.id), Some(queue.name.as_str()));
    assert_eq!(emu.stats().directory_pages, 1);
}

#[tokio::test]
async fn small_pages_are_followed_to_the_last() {
    let emu = emulator(|b| b.directory_page_size(5)).await;
    let queues = emu.dimension_values("queueId");
    assert!(queues.len() > 10);
    let mut request = NameRequest::new();
    for id in &queues {
        request.add(Directory::Queues, id.clone());
    }
    let names = resolve(&client(&emu), &request, &Progress::none())
        .await
        .unwrap();
    assert_eq!(names.queues.len(), queues.len());
    assert_eq!(emu.stats().directory_pages, queues.len().div_ceil(5) as u64);
}

#[tokio::test]
async fn more_ids_than_one_request_takes_are_sent_in_batches() {
    let emu = emulator(|b| b).await;
    let users = emu.dimension_values("userId");
    let mut request = NameRequest::new();
    for id in &users {
        request.add(Directory::Users, id.clone());
    }
    // Unknown ids push the request over the per-request limit, which the emulator enforces
    // with a 400.
    let extra = MAX_IDS_PER_REQUEST * 2 - users.len().min(MAX_IDS_PER_REQUEST) + 1;
    for n in 0..extra {
        request.add(Directory::Users, format!("00000000-0000-0000-0000-{n:012}"));
    }
    let total = users.len() + extra;
    let names = resolve(&client(&emu), &request, &Progress::none())
        .await
        .expect("batched requests stay within the limit");
    assert_eq!(names.users.len(), users.len());
    assert_eq!(
        emu.stats().directory_pages,
        total.div_ceil(MAX_IDS_PER_REQUEST) as u64
    );
}

#[tokio::test]
async fn a_missing_permission_leaves_ids_and_one_warning_naming_it() {
    let emu = emulator(|b| b.deny_permission(QUEUES_PERMISSION)).await;
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&events);
    let progress = Progress::with_observer(move |e| seen.lock().unwrap().push(e.clone()));
    let names = resolve(&client(&emu), &request(&emu), &progress)
        .await
        .expect("a 403 is not a failure");
    assert!(names.queues.is_empty());
    assert!(!names.users.is_empty(), "other directories still resolve");
    assert_eq!(names.warnings.len(), 1);
    assert_eq!(names.warnings[0].directory, Directory::Queues);
    assert_eq!(
        names.warnings[0].permission.as_deref(),
        Some("routing:queue:view")
    );
    assert!(names.warnings[0].to_string().contains("routing:queue:view"));
    let unavailable: Vec<_> = events
        .lock()
        .unwrap()
        .iter()
        .filter(|e| matches!(e, ProgressEvent::NamesUnavailable { .. }))
        .cloned()
        .collect();
    assert_eq!(
        unavailable,
        vec![ProgressEvent::NamesUnavailable {
            directory: "queues".into(),
            permission: Some("routing:queue:view".into())
        }]
    );
}

#[tokio::test]
async fn an_evaluation_by_queue_names_each_result_in_the_report_and_its_json() {
    let emu = emulator(|b| b).await;
    let outcome = run(week(&emu).group_by("queueId")).await;
    let report = &outcome.report;
    let expected = emu.entity_names();
    assert!(!report.results.is_empty());
    for line in &report.results {
        assert_eq!(
            line.name.as_deref(),
            expected.get(&line.strategy_id).map(String::as_str)
        );
        assert!(line.name.is_some());
    }
    let json = serde_json::to_value(report).unwrap();
    let first = &json["data"][0];
    assert_eq!(
        first["name"],
        expected[first["strategyId"].as_str().unwrap()].as_str()
    );
    assert_eq!(
        json["names"]["queues"].as_object().unwrap().len(),
        report.results.len()
    );
}

#[tokio::test]
async fn routing_methods_have_no_names_and_cost_no_directory_request() {
    let emu = emulator(|b| b).await;
    let outcome = run(week(&emu).without_comparison()).await;
    assert!(outcome.report.results.iter().all(|l| l.name.is_none()));
    let json = serde_json::to_value(&outcome.report).unwrap();
    assert!(json.get("names").is_none());
    assert!(json["data"][0].get("name").is_none());
    assert_eq!(emu.stats().directory_pages, 0);
}

#[tokio::test]
async fn names_can_be_turned_off() {
    let emu = emulator(|b| b).await;
    let outcome = run(week(&emu).group_by("queueId").resolve_names(false)).await;
    assert!(outcome.report.results.iter().all(|l| l.name.is_none()));
    assert_eq!(emu.stats().directory_pages, 0);
}

#[tokio::test]
async fn an_evaluation_without_the_permission_keeps_ids_and_reports_the_warning() {
    let emu = emulator(|b| b.deny_permission(QUEUES_PERMISSION)).await;
    // A 403 on names does not fail the evaluation.
    let outcome = run(week(&emu).group_by("queueId")).await;
    let report = &outcome.report;
    assert!(report.results.iter().all(|l| l.name.is_none()));
    assert_eq!(report.names.warnings.len(), 1);
    let json = serde_json::to_value(report).unwrap();
    assert_eq!(
        json["names"]["warnings"][0]["permission"],
        "routing:queue:view"
    );
}

#[tokio::test]
async fn the_comparisons_queue_cells_are_named() {
    let emu = emulator(|b| b).await;
    let outcome = run(week(&emu)).await;
    let report = &outcome.report;
    assert!(
        report.comparison.is_some(),
        "the default comparison runs within queues"
    );
    assert!(report.results.iter().all(|l| l.name.is_none()));
    for queue in &emu.scenario().queues {
        if let Some(name) = report.names.get(Directory::Queues, &queue.id) {
            assert_eq!(name, queue.name);
        }
    }
    assert!(!report.names.queues.is_empty());
}

#[tokio::test]
async fn a_denied_listing_without_a_documented_permission_warns_without_naming_one() {
    let emu = emulator(|b| b.deny_permission(USERS_PERMISSION)).await;
    let names = resolve(&client(&emu), &request(&emu), &Progress::none())
        .await
        .expect("a 403 is not a failure");
    assert!(names.users.is_empty());
    assert!(!names.queues.is_empty() && !names.skills.is_empty());
    let [warning] = &names.warnings[..] else {
        panic!("one warning: {:?}", names.warnings)
    };
    assert_eq!(warning.directory, Directory::Users);
    assert_eq!(
        warning.permission, None,
        "the SDKs document no permission for GET /api/v2/users"
    );
    assert!(
        warning
            .to_string()
            .starts_with("users shown as ids: the server refused the listing with 403"),
        "{warning}"
    );
    let json = serde_json::to_value(warning).unwrap();
    assert!(json.get("permission").is_none(), "{json}");
}

#[tokio::test]
async fn a_comparison_of_queues_names_its_baseline_and_contenders_in_the_report_json() {
    let emu = emulator(|b| b).await;
    let comparison = genesys_routing_eval::comparison::ComparisonConfig::builder()
        .treatment("queueId")
        .within(["mediaType"])
        .build()
        .unwrap();
    let outcome = run(week(&emu).group_by("queueId").comparison(comparison)).await;
    let expected = emu.entity_names();
    let json = serde_json::to_value(&outcome.report).unwrap();
    let c = &json["comparison"];
    let baseline = c["baseline"].as_str().expect("a comparison ran");
    assert_eq!(c["baselineName"], expected[baseline].as_str());
    let results = c["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        let contender = r["contender"].as_str().unwrap();
        assert_eq!(r["contenderName"], expected[contender].as_str());
    }
}
