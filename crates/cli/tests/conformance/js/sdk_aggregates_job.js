// Runs the aggregates API end to end against the emulator with the official JavaScript SDK.
//
// Usage: node sdk_aggregates_job.js BASE_URL CLIENT_ID CLIENT_SECRET
//
// The SDK is pointed at the emulator with ApiClient.setGateway({host, protocol: "http", port}):
// login and API then share that host (the SDK's getConfUrl builds both from the gateway).
// Checks: a wrong secret is a 401 invalid_client; an invalid interval is a 400 whose contextId
// equals the ININ-Correlation-ID header; a job goes QUEUED/PENDING to FULFILLED; every page
// comes back by cursor, each within pageSize, every result with a group naming its
// mediaType; a job cancelled with DELETE reads CANCELLED and its results are refused; an
// unknown job is a 404; the synchronous query answers, with views and topN honoured.
// Exits non-zero on any mismatch; prints one summary line on success.

"use strict";

const platformClient = require("purecloud-platform-client-v2");
const sdkVersion = require("purecloud-platform-client-v2/package.json").version;

const ROUTING_METHODS = new Set([
  "Bullseye", "Conditional", "Direct", "Last", "Manual",
  "Predictive", "Preferred", "Standard", "Vip",
]);
// Genesys's mediaType values (the SDK's AnalyticsSession mediaType): a scenario may serve
// several, and every answer is split by them.
const MEDIA_TYPES = new Set([
  "callback", "chat", "cobrowse", "email", "internalmessage", "message",
  "screenmonitoring", "screenshare", "unknown", "video", "voice",
]);
const METRICS = ["nOffered", "tAnswered", "tAbandon", "tHandle", "oServiceLevel", "nTransferred"];
const WEEK = "2024-05-01T00:00:00.000Z/2024-05-08T00:00:00.000Z";

function check(condition, message) {
  if (!condition) throw new Error(message);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A fresh ApiClient pointed at the emulator, with its own token (`platformClient.ApiClient`
 * is the shared instance; `ApiClientClass` is its class). */
function clientFor(baseUrl) {
  const url = new URL(baseUrl);
  const client = new platformClient.ApiClientClass();
  client.setGateway({ host: url.hostname, protocol: "http", port: Number(url.port) });
  // Status and headers with every answer, so contextId can be compared with its header.
  client.setReturnExtendedResponses(true);
  client.config.logger.log_level = client.config.logger.logLevelEnum.level.LNone;
  return client;
}

/** The error the SDK rejects with, for a call expected to fail. */
async function failure(promise, what) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error(`${what} was accepted`);
}

async function wrongSecretIsRefused(baseUrl, clientId) {
  const error = await failure(
    clientFor(baseUrl).loginClientCredentialsGrant(clientId, "not-the-secret"),
    "a wrong client secret",
  );
  const response = error.response;
  check(response, `wrong secret: no HTTP answer: ${error}`);
  check(response.status === 401, `wrong secret: expected 401, got ${response.status}`);
  check(response.data.error === "invalid_client", `wrong secret: body ${JSON.stringify(response.data)}`);
}

async function badIntervalIsA400WithContextId(analytics) {
  const error = await failure(
    analytics.postAnalyticsConversationsAggregatesJobs({
      interval: "2024-05-08T00:00:00.000Z/2024-05-01T00:00:00.000Z",
      metrics: ["nOffered"],
    }),
    "an interval ending before it starts",
  );
  check(error.status === 400, `bad interval: expected 400, got ${error.status}: ${error.error || ""}`);
  check(error.body.code === "bad.request", `bad interval: code ${error.body.code}`);
  check(
    error.body.contextId === error.headers["inin-correlation-id"],
    `contextId ${error.body.contextId} differs from the header ${error.headers["inin-correlation-id"]}`,
  );
  check(
    error.body.errors.some((e) => /interval/i.test(e.message)),
    `bad interval: no message names the interval: ${JSON.stringify(error.body)}`,
  );
}

async function pollToEnd(analytics, jobId) {
  const deadline = Date.now() + 30000;
  const states = [];
  for (;;) {
    const status = (await analytics.getAnalyticsConversationsAggregatesJob(jobId)).body;
    states.push(status.state);
    if (!["QUEUED", "PENDING"].includes(status.state)) return { status, states };
    check(Date.now() < deadline, "job did not finish in 30 s");
    await sleep(50);
  }
}

async function runJob(analytics) {
  const submitted = await analytics.postAnalyticsConversationsAggregatesJobs({
    interval: WEEK,
    granularity: "P1D",
    timeZone: "UTC",
    groupBy: ["usedRouting", "queueId"],
    metrics: METRICS,
    pageSize: 4,
  });
  check(submitted.status === 202, `submit: status ${submitted.status}`);
  const jobId = submitted.body.jobId;
  check(jobId, `no jobId in ${JSON.stringify(submitted.body)}`);
  const { status, states } = await pollToEnd(analytics, jobId);
  check(status.state === "FULFILLED", `job ended ${status.state}: ${status.errorMessage}`);
  check(status.submissionDate && status.completionDate, `status lacks dates: ${JSON.stringify(status)}`);

  let pages = 0;
  let cursor;
  const groups = [];
  for (;;) {
    const opts = cursor ? { cursor } : {};
    const page = (await analytics.getAnalyticsConversationsAggregatesJobResults(jobId, opts)).body;
    pages += 1;
    check(Array.isArray(page.results) && page.results.length > 0, `page ${pages} has no results`);
    check(page.results.length <= 4, `page ${pages} ignores pageSize: ${page.results.length}`);
    groups.push(...page.results);
    cursor = page.cursor;
    if (!cursor) break;
    check(pages < 100, "cursor never ends");
  }
  return { states, pages, groups };
}

function checkGroups(groups) {
  check(groups.length > 0, "no groups");
  let unrouted = 0;
  for (const container of groups) {
    check(container.group && typeof container.group === "object", `a result without a group: ${JSON.stringify(container)}`);
    check(MEDIA_TYPES.has(container.group.mediaType), `group without a mediaType: ${JSON.stringify(container.group)}`);
    const routing = container.group.usedRouting;
    if (routing === undefined) unrouted += 1;
    else check(ROUTING_METHODS.has(routing), `unknown routing method ${routing}`);
    check(container.data && container.data.length > 0, "a group without data");
    for (const bucket of container.data) {
      check(/^[^/]+\/[^/]+$/.test(bucket.interval), `bad interval ${bucket.interval}`);
      for (const metric of bucket.metrics) {
        check(METRICS.includes(metric.metric), `unexpected metric ${metric.metric}`);
        if (metric.metric === "oServiceLevel") {
          check(metric.stats.denominator > 0, "service level without denominator");
        } else {
          check(metric.stats.count > 0, `${metric.metric} with a zero count`);
        }
      }
    }
  }
  check(unrouted > 0, "no group without usedRouting");
  return unrouted;
}

async function cancelledJobReadsCancelled(analytics) {
  const submitted = await analytics.postAnalyticsConversationsAggregatesJobs({
    interval: WEEK,
    metrics: ["nOffered"],
  });
  const jobId = submitted.body.jobId;
  const deleted = await analytics.deleteAnalyticsConversationsAggregatesJob(jobId);
  check(deleted.status === 204, `DELETE: status ${deleted.status}`);
  const status = (await analytics.getAnalyticsConversationsAggregatesJob(jobId)).body;
  check(status.state === "CANCELLED", `cancelled job reads ${status.state}`);
  const error = await failure(
    analytics.getAnalyticsConversationsAggregatesJobResults(jobId),
    "results of a cancelled job",
  );
  check(error.status === 400, `results of a cancelled job: expected 400, got ${error.status}`);
}

async function unknownJobIs404(analytics) {
  const error = await failure(
    analytics.getAnalyticsConversationsAggregatesJob("no-such-job"),
    "an unknown job id",
  );
  check(error.status === 404, `unknown job: expected 404, got ${error.status}`);
  check(error.body.code === "not.found", `unknown job: code ${error.body.code}`);
}

async function synchronousQuery(analytics) {
  const answer = await analytics.postAnalyticsConversationsAggregatesQuery({
    interval: "2024-05-01T00:00:00.000Z/2024-05-03T00:00:00.000Z",
    groupBy: ["queueId"],
    metrics: ["nOffered", "tAnswered"],
    views: [{ name: "tAnsweredFast", target: "tAnswered", function: "rangeBound", range: { lt: 20000 } }],
    queryType: "topN",
    limit: 2,
    sortMetric: { name: "nOffered", function: "count" },
  });
  check(answer.status === 200, `query: status ${answer.status}`);
  const results = answer.body.results;
  check(results.length === 2, `topN limit 2 gave ${results.length} groups`);
  const offered = results.map((r) =>
    r.data.flatMap((b) => b.metrics).filter((m) => m.metric === "nOffered").reduce((s, m) => s + m.stats.count, 0));
  check(offered[0] >= offered[1], `topN not in descending order: ${offered}`);
  for (const r of results) {
    check(MEDIA_TYPES.has(r.group.mediaType), `query group without a mediaType: ${JSON.stringify(r.group)}`);
    const bucket = r.data[0];
    const view = (bucket.views || []).find((v) => v.name === "tAnsweredFast");
    const whole = bucket.metrics.find((m) => m.metric === "tAnswered");
    check(view && whole, `bucket lacks the view or tAnswered: ${JSON.stringify(bucket)}`);
    check(view.stats.count <= whole.stats.count && view.stats.max < 20000, `view out of range: ${JSON.stringify(view)}`);
  }

  const error = await failure(
    analytics.postAnalyticsConversationsAggregatesQuery({
      interval: WEEK,
      metrics: ["nOffered"],
      views: [{ name: "nOffered", target: "tAnswered", function: "rangeBound", range: { lt: 1 } }],
    }),
    "a view named as a built-in metric",
  );
  check(error.status === 400, `view named nOffered: expected 400, got ${error.status}`);
  check(/nOffered/.test(error.body.message), `view named nOffered: message ${error.body.message}`);
}

async function main() {
  if (process.argv.length !== 5) {
    console.error("usage: node sdk_aggregates_job.js BASE_URL CLIENT_ID CLIENT_SECRET");
    return 2;
  }
  const [baseUrl, clientId, clientSecret] = process.argv.slice(2);
  await wrongSecretIsRefused(baseUrl, clientId);
  const client = clientFor(baseUrl);
  const auth = await client.loginClientCredentialsGrant(clientId, clientSecret);
  check(auth.accessToken, `login gave no token: ${JSON.stringify(auth)}`);
  const analytics = new platformClient.AnalyticsApi(client);
  await badIntervalIsA400WithContextId(analytics);
  const { states, pages, groups } = await runJob(analytics);
  const unrouted = checkGroups(groups);
  await cancelledJobReadsCancelled(analytics);
  await unknownJobIs404(analytics);
  await synchronousQuery(analytics);
  const seen = [...new Set(states)].join(">");
  console.log(
    `conformance ok: purecloud-platform-client-v2 ${sdkVersion}, states ${seen}, ` +
      `${pages} pages, ${groups.length} groups (${unrouted} without usedRouting)`,
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error && error.stack ? error.stack : JSON.stringify(error));
    process.exit(1);
  },
);
