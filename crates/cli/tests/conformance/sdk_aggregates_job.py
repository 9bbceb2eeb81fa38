"""Runs an aggregates job end to end against the emulator with the official Python SDK.

Usage: python sdk_aggregates_job.py BASE_URL CLIENT_ID CLIENT_SECRET

Token by client credentials on the same host (the SDK derives the login host from the API
host and keeps it when there is no `api.` label), submit, poll to FULFILLED, then every
results page by cursor, each decoded by the SDK's own models. Exits non-zero on any
mismatch; prints one summary line on success.
"""

import json
import sys
import time
from importlib.metadata import version

import PureCloudPlatformClientV2 as genesys
from PureCloudPlatformClientV2.rest import ApiException

ROUTING_METHODS = {
    "Bullseye", "Conditional", "Direct", "Last", "Manual",
    "Predictive", "Preferred", "Standard", "Vip",
}
# Genesys's mediaType values (the SDK's AnalyticsSession.media_type): a scenario may serve
# several, and every answer is split by them.
MEDIA_TYPES = {
    "callback", "chat", "cobrowse", "email", "internalmessage", "message",
    "screenmonitoring", "screenshare", "unknown", "video", "voice",
}
METRICS = ["nOffered", "tAnswered", "tAbandon", "tHandle", "oServiceLevel", "nTransferred"]


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def client(base_url, client_id, client_secret):
    genesys.configuration.host = base_url.rstrip("/")
    api_client = genesys.api_client.ApiClient()
    return api_client.get_client_credentials_token(client_id, client_secret)


def wrong_secret_is_refused(base_url, client_id):
    try:
        client(base_url, client_id, "not-the-secret")
    except ApiException as e:
        check(e.status == 401, f"wrong secret: expected 401, got {e.status}")
        check(json.loads(e.body)["error"] == "invalid_client", f"wrong secret: body {e.body}")
        return
    raise AssertionError("a wrong client secret was accepted")


def invalid_query_is_a_400_with_context_id(analytics):
    query = genesys.ConversationAsyncAggregationQuery()
    query.interval = "2024-05-08T00:00:00.000Z/2024-05-01T00:00:00.000Z"
    query.metrics = ["nOffered"]
    try:
        analytics.post_analytics_conversations_aggregates_jobs(query)
    except ApiException as e:
        check(e.status == 400, f"invalid query: expected 400, got {e.status}")
        body = json.loads(e.body)
        headers = {k.lower(): v for k, v in e.headers.items()}
        check(body["code"] == "bad.request", f"invalid query: code {body['code']}")
        check(body["contextId"] == headers["inin-correlation-id"], "contextId differs from the header")
        return
    raise AssertionError("an interval ending before it starts was accepted")


def run_job(analytics):
    query = genesys.ConversationAsyncAggregationQuery()
    query.interval = "2024-05-01T00:00:00.000Z/2024-05-08T00:00:00.000Z"
    query.granularity = "P1D"
    query.time_zone = "UTC"
    query.group_by = ["usedRouting", "queueId"]
    query.metrics = METRICS
    query.page_size = 4

    submitted = analytics.post_analytics_conversations_aggregates_jobs(query)
    check(isinstance(submitted, genesys.AsyncQueryResponse), f"submit decoded as {type(submitted)}")
    job_id = submitted.job_id
    check(job_id, "no jobId")

    deadline = time.monotonic() + 30
    states = []
    while True:
        status = analytics.get_analytics_conversations_aggregates_job(job_id)
        check(isinstance(status, genesys.AsyncQueryStatus), f"status decoded as {type(status)}")
        states.append(status.state)
        if status.state == "FULFILLED":
            break
        check(status.state in ("QUEUED", "PENDING"), f"job ended {status.state}: {status.error_message}")
        check(time.monotonic() < deadline, "job did not finish in 30 s")
        time.sleep(0.1)
    check(status.submission_date is not None, "no submissionDate")

    pages, groups, cursor = 0, [], None
    while True:
        kwargs = {"cursor": cursor} if cursor else {}
        page = analytics.get_analytics_conversations_aggregates_job_results(job_id, **kwargs)
        check(isinstance(page, genesys.ConversationAsyncAggregateQueryResponse), f"page decoded as {type(page)}")
        pages += 1
        check(page.results, f"page {pages} has no results")
        check(len(page.results) <= 4, f"page {pages} ignores pageSize: {len(page.results)}")
        groups.extend(page.results)
        cursor = page.cursor
        if not cursor:
            break
        check(pages < 100, "cursor never ends")
    return states, pages, groups


def check_groups(groups):
    check(groups, "no groups")
    unrouted = 0
    for container in groups:
        check(isinstance(container, genesys.ConversationAggregateDataContainer), f"group decoded as {type(container)}")
        check(container.group is not None, "a result without a group")
        check(container.group.get("mediaType") in MEDIA_TYPES, f"group without a mediaType: {container.group}")
        routing = container.group.get("usedRouting")
        if routing is None:
            unrouted += 1
        else:
            check(routing in ROUTING_METHODS, f"unknown routing method {routing}")
        check(container.data, "a group without data")
        for bucket in container.data:
            check(isinstance(bucket, genesys.StatisticalResponse), f"bucket decoded as {type(bucket)}")
            check(bucket.interval and "/" in bucket.interval, f"bad interval {bucket.interval}")
            for metric in bucket.metrics:
                check(isinstance(metric, genesys.AggregateMetricData), f"metric decoded as {type(metric)}")
                check(metric.metric in METRICS, f"unexpected metric {metric.metric}")
                check(isinstance(metric.stats, genesys.StatisticalSummary), "stats not decoded")
                if metric.metric == "oServiceLevel":
                    check(metric.stats.denominator > 0, "service level without denominator")
                else:
                    check(metric.stats.count > 0, f"{metric.metric} with a zero count")
    check(unrouted > 0, "no group without usedRouting")
    return unrouted


def synchronous_query(analytics):
    query = genesys.ConversationAggregationQuery()
    query.interval = "2024-05-01T00:00:00.000Z/2024-05-03T00:00:00.000Z"
    query.group_by = ["usedRouting"]
    query.metrics = ["nOffered", "tAnswered"]
    view = genesys.ConversationAggregationView()
    view.name = "tAnsweredFast"
    view.target = "tAnswered"
    view.function = "rangeBound"
    view.range = genesys.AggregationRange()
    view.range.lt = 20000
    query.views = [view]
    answer = analytics.post_analytics_conversations_aggregates_query(query)
    check(isinstance(answer, genesys.ConversationAggregateQueryResponse), f"query decoded as {type(answer)}")
    check(answer.results, "synchronous query has no results")
    views = [v for r in answer.results for b in r.data for v in (b.views or [])]
    check(views, "no bucket carries the view")
    for v in views:
        check(isinstance(v, genesys.AggregateViewData), f"view decoded as {type(v)}")
        check(v.name == "tAnsweredFast", f"view named {v.name}")
        check(isinstance(v.stats, genesys.StatisticalSummary), "view stats not decoded")
        check(0 < v.stats.count and v.stats.max < 20000, f"view out of its range: {v.stats}")


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    base_url, client_id, client_secret = sys.argv[1:]
    wrong_secret_is_refused(base_url, client_id)
    analytics = genesys.AnalyticsApi(client(base_url, client_id, client_secret))
    invalid_query_is_a_400_with_context_id(analytics)
    states, pages, groups = run_job(analytics)
    unrouted = check_groups(groups)
    synchronous_query(analytics)
    print(
        f"conformance ok: PureCloudPlatformClientV2 {version('PureCloudPlatformClientV2')}, "
        f"states {'>'.join(dict.fromkeys(states))}, {pages} pages, {len(groups)} groups ({unrouted} without usedRouting)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
