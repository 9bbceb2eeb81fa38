//! [`EvaluationBuilder`]: every setting of an evaluation, validated at once by `build()`.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::comparing::{self, Choice};
use super::{
    AuditRecord, DEFAULT_MAX_JOBS, Evaluation, Plan, Report, ReportSink, SourceKind, Window,
    WindowSpec, budget, fetch,
};
use crate::client::Client;
use crate::comparison::ComparisonConfig;
use crate::error::{Error, Result, ValidationError};
use crate::metrics::Kpi;
use crate::progress::{Progress, ProgressEvent};
use crate::scoring::ScoringConfig;
use crate::sink::{Sink, WebhookSink};
use crate::sources::aggregates::{
    ROUTING_METRICS, granularity_problem, is_conversation_dimension, nearest_dimension,
};
use crate::sources::{ROUTING_DIMENSIONS, routing_method_for};

/// Default grouping dimension of the aggregates source.
pub const DEFAULT_GROUP_BY: &str = "usedRouting";
/// Default number of window chunks queried at once.
pub const DEFAULT_CONCURRENCY: usize = 4;
/// Default longest window one job covers, in days.
pub const DEFAULT_MAX_WINDOW_DAYS: u32 = 30;

/// Builds an [`Evaluation`]. Setters take `impl Into<_>`; every default is on its setter.
///
/// [`build`](EvaluationBuilder::build) checks everything and reports every problem at once,
/// so that after it nothing can fail for a reason it could have seen. Nothing touches the
/// network before [`Evaluation::run`].
///
/// # Example
/// ```no_run
/// use genesys_routing_eval::{ClientBuilder, evaluation::Evaluation};
///
/// # async fn run() -> genesys_routing_eval::Result<()> {
/// let client = ClientBuilder::from_env().build()?;
/// let outcome = Evaluation::builder()
///     .client(client)
///     .last_days(30)
///     .time_zone("Europe/Berlin")
///     .strategies(["Bullseye", "Standard", "Predictive"])
///     .build()?
///     .run()
///     .await?;
/// for line in outcome.report.ranked() {
///     println!("{} {:?}", line.strategy_id, line.score);
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Default)]
#[must_use]
pub struct EvaluationBuilder {
    client: Option<Client>,
    source: SourceKind,
    group_by: Option<String>,
    strategy_ids: Vec<String>,
    window: Option<WindowSpec>,
    time_zone: Option<String>,
    granularity: Option<String>,
    metrics: Option<Vec<String>>,
    scoring: Option<ScoringConfig>,
    report_sinks: Vec<ReportSink>,
    audit_sinks: Vec<Arc<dyn Sink<AuditRecord>>>,
    concurrency: Option<usize>,
    max_window_days: Option<u32>,
    page_size: Option<u32>,
    max_jobs: Option<usize>,
    deadline: Option<Duration>,
    allow_emulator_data: bool,
    fallbacks: bool,
    /// Names are resolved unless this is set (`resolve_names(false)`).
    skip_names: bool,
    comparison: Choice,
    progress: Progress,
}

impl EvaluationBuilder {
    /// The client that talks to Genesys Cloud (required).
    pub fn client(mut self, client: Client) -> Self {
        self.client = Some(client);
        self
    }

    /// The source to query. Default: [`SourceKind::Aggregates`], the real API.
    pub fn source(mut self, source: SourceKind) -> Self {
        self.source = source;
        self
    }

    /// The dimension whose values are the strategies. Default: `usedRouting` for the
    /// aggregates source, `strategyId` (the only one it has) for the strategies source.
    pub fn group_by(mut self, dimension: impl Into<String>) -> Self {
        self.group_by = Some(dimension.into());
        self
    }

    /// Also fetches the fallback table ([`Fallbacks`](crate::evaluation::Fallbacks)): one more
    /// query per chunk, grouped by `[requestedRouting, usedRouting]`, that shows how much of
    /// each requested method's traffic another method delivered (Predictive timing out to
    /// Standard, say). Aggregates source only. Default: off.
    pub fn fallbacks(mut self, fetch: bool) -> Self {
        self.fallbacks = fetch;
        self
    }

    /// Resolves the ids shown in the report (queue, skill and user ids of the grouping and
    /// `within` dimensions) to names after the fetch ([`names`](crate::names)), filling
    /// [`Report::names`](crate::evaluation::Report::names) and each result's `name`. A
    /// missing permission leaves ids and one warning. Default: on.
    pub fn resolve_names(mut self, resolve: bool) -> Self {
        self.skip_names = !resolve;
        self
    }

    /// Compares strategies on the same traffic with `config` ([`comparison`](crate::comparison)):
    /// the query also groups by `config.within`, requests every metric the comparison's KPIs
    /// need, and the [`Report`](crate::evaluation::Report) carries the result. The
    /// comparison's treatment is the evaluation's [`group_by`](Self::group_by) (set either).
    ///
    /// Default: a comparison within `queueId` per bucket, against the most offered strategy,
    /// whenever the strategies are routing methods (`usedRouting`, `requestedRouting`) on the
    /// aggregates source; none otherwise, with the reason in
    /// [`Report::comparison_note`](crate::evaluation::Report::comparison_note).
    ///
    /// # Errors
    /// [`build`](Self::build) refuses, before any request: the strategies source, a within
    /// dimension equal to the treatment or unknown to Genesys, `hour-of-day` with a
    /// granularity that does not divide an hour, and a treatment other than the grouping.
    ///
    /// # Example
    /// ```
    /// # fn main() -> genesys_routing_eval::Result<()> {
    /// use genesys_routing_eval::comparison::{CellMatch, ComparisonConfig};
    /// use genesys_routing_eval::{Client, evaluation::Evaluation};
    /// let client = Client::builder().api_base("http://127.0.0.1:9").credentials("id", "s").build()?;
    /// let hourly = ComparisonConfig::builder()
    ///     .cell_match(CellMatch::HourOfDay)
    ///     .baseline("Standard")
    ///     .build()?;
    /// let refused = Evaluation::builder().client(client).last_days(7).comparison(hourly).build();
    /// assert!(refused.unwrap_err().to_string().contains("hour-of-day"), "P1D buckets span hours");
    /// # Ok(()) }
    /// ```
    pub fn comparison(mut self, config: ComparisonConfig) -> Self {
        self.comparison = Choice::On(config);
        self
    }

    /// Runs no comparison, not even the default one.
    pub fn without_comparison(mut self) -> Self {
        self.comparison = Choice::Off;
        self
    }

    /// Adds one strategy to compare. Default: none, meaning every value observed (aggregates
    /// source; the strategies source needs at least one).
    pub fn strategy(mut self, id: impl Into<String>) -> Self {
        self.strategy_ids.push(id.into());
        self
    }

    /// Adds several strategies to compare.
    pub fn strategies<I, S>(mut self, ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.strategy_ids.extend(ids.into_iter().map(Into::into));
        self
    }

    /// Evaluates the `days` most recent complete days in the time zone, ending at today's
    /// midnight (read when the evaluation runs).
    pub fn last_days(mut self, days: u32) -> Self {
        self.window = Some(WindowSpec::LastDays(days));
        self
    }

    /// Evaluates `[from, to)`.
    pub fn between(mut self, from: DateTime<Utc>, to: DateTime<Utc>) -> Self {
        self.window = Some(WindowSpec::Range { from, to });
        self
    }

    /// Sets the window from a [`WindowSpec`] (required, or use `last_days` / `between`).
    pub fn window(mut self, spec: WindowSpec) -> Self {
        self.window = Some(spec);
        self
    }

    /// IANA time zone for days and buckets (`Europe/Berlin`). Default: `UTC`.
    pub fn time_zone(mut self, tz: impl Into<String>) -> Self {
        self.time_zone = Some(tz.into());
        self
    }

    /// ISO-8601 bucket size (`P1D`, `PT1H`). Default: `P1D`.
    pub fn granularity(mut self, granularity: impl Into<String>) -> Self {
        self.granularity = Some(granularity.into());
        self
    }

    /// Source metrics to request. Default: derived from the scoring KPIs (plus offered,
    /// abandons and service level for the confidence figures on the aggregates source).
    pub fn metrics<I, S>(mut self, metrics: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.metrics = Some(metrics.into_iter().map(Into::into).collect());
        self
    }

    /// How strategies are scored. Default: [`SourceKind::default_preset`], the rates preset on
    /// the aggregates source (it supplies every rate KPI) and the tutorial's weights on the
    /// strategies facade (which reports only handled calls, speed of answer and abandons).
    pub fn scoring(mut self, config: ScoringConfig) -> Self {
        self.scoring = Some(config);
        self
    }

    /// Adds a sink that receives the report. Default: none.
    pub fn report_sink(mut self, sink: impl Sink<Report> + 'static) -> Self {
        self.report_sinks.push(Arc::new(sink));
        self
    }

    /// Adds a webhook sink for the report, as [`report_sink`](Self::report_sink) does. The
    /// audit record's `webhook_sync_status` is read from the report sinks' outcomes that carry
    /// a `webhook-id` ([`SinkOutcome::webhook_id`](crate::sink::SinkOutcome::webhook_id)), as
    /// every [`WebhookSink`] outcome does: `success` when all of them delivered, `failed` when
    /// one failed, `skipped` when there is none.
    pub fn webhook(self, sink: WebhookSink) -> Self {
        self.report_sink(sink)
    }

    /// Adds a sink that receives the audit record. Default: none.
    pub fn audit_sink(mut self, sink: impl Sink<AuditRecord> + 'static) -> Self {
        self.audit_sinks.push(Arc::new(sink));
        self
    }

    /// Adds one sink as both a report sink and an audit sink (a JSON lines file, say).
    pub fn sink<S>(self, sink: S) -> Self
    where
        S: Sink<Report> + Sink<AuditRecord> + 'static,
    {
        let shared = Arc::new(sink);
        let mut this = self.report_sink(Arc::clone(&shared));
        this.audit_sinks.push(shared);
        this
    }

    /// Window chunks queried at once. Default: 4.
    pub fn concurrency(mut self, chunks: usize) -> Self {
        self.concurrency = Some(chunks);
        self
    }

    /// Longest window one aggregates job covers; longer windows are split into chunks.
    /// Default: 30 days.
    pub fn max_window_days(mut self, days: u32) -> Self {
        self.max_window_days = Some(days);
        self
    }

    /// Results page size asked of the aggregates jobs API. Default: the server's.
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = Some(size);
        self
    }

    /// Most jobs one run may submit; a longer window is refused by `build` (and again by
    /// `run`) with [`ValidationError::OverBudget`], before any request. Default:
    /// [`DEFAULT_MAX_JOBS`] (50). See [`Evaluation::estimate`] for how jobs are counted.
    pub fn max_jobs(mut self, jobs: usize) -> Self {
        self.max_jobs = Some(jobs);
        self
    }

    /// Longest time the queries of one run may take, from its start. When it passes, the
    /// jobs still running are cancelled and the run fails with
    /// [`ErrorKind::Timeout`](crate::ErrorKind::Timeout). Measured with the client's
    /// [`TimeSource`](crate::time::TimeSource) sleeper. Delivery to sinks is not under it (each
    /// sink has its own timeouts), so a finished report is never lost to the deadline.
    /// Default: none (each job still has the client's [`PollPolicy`](crate::config::PollPolicy) deadline, each request its
    /// timeout and retry policy).
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Lets emulator data (a client whose [`data_origin`](Client::data_origin) is
    /// [`DataOrigin::Emulator`](crate::DataOrigin::Emulator)) reach sinks that leave the
    /// process: webhooks, files, your own sinks. Default: `false`, and `build` refuses such an
    /// evaluation with [`ValidationError::EmulatorData`], so synthetic figures never reach a
    /// BI system or an audit trail by accident. In-memory sinks always accept them.
    pub fn allow_emulator_data(mut self, allow: bool) -> Self {
        self.allow_emulator_data = allow;
        self
    }

    /// Calls `observer` with every progress event (job submitted, state, pages, sinks).
    pub fn on_progress(
        mut self,
        observer: impl Fn(&ProgressEvent) + Send + Sync + 'static,
    ) -> Self {
        self.progress = Progress::with_observer(observer);
        self
    }

    /// Validates everything and returns the evaluation.
    ///
    /// # Errors
    /// An [`ErrorKind::Config`](crate::ErrorKind::Config) error whose
    /// [`validation`](crate::Error::validation) lists every problem found.
    pub fn build(self) -> Result<Evaluation> {
        let mut problems = Vec::new();
        let client = self.client.clone();
        if client.is_none() {
            problems.push(ValidationError::Missing {
                name: "client".into(),
                hint: "pass .client(Client::builder()...build()?)".into(),
            });
        }
        let scoring = self
            .scoring
            .clone()
            .unwrap_or_else(|| self.source.default_preset().config());
        problems.extend(scoring.problems());
        if let Some(client) = &client {
            self.check_emulator_data(client, &mut problems);
        }
        let plan = self.plan(&scoring, &mut problems);
        match (client, plan) {
            (Some(client), Some(plan)) if problems.is_empty() => Ok(Evaluation {
                client,
                plan: Arc::new(plan),
                scoring: Arc::new(scoring),
                report_sinks: self.report_sinks,
                audit_sinks: self.audit_sinks,
                progress: self.progress,
            }),
            _ => Err(Error::validation_errors(problems)),
        }
    }

    /// Emulator data may only reach in-memory sinks unless allowed.
    fn check_emulator_data(&self, client: &Client, problems: &mut Vec<ValidationError>) {
        if !client.data_origin().is_emulator() || self.allow_emulator_data {
            return;
        }
        let mut leaving: Vec<&str> = self
            .report_sinks
            .iter()
            .map(|s| s.as_ref())
            .filter(|s| !s.is_in_memory())
            .map(|s| s.name())
            .chain(
                self.audit_sinks
                    .iter()
                    .filter(|s| !s.is_in_memory())
                    .map(|s| s.name()),
            )
            .collect();
        leaving.dedup();
        if !leaving.is_empty() {
            problems.push(ValidationError::EmulatorData {
                sinks: leaving.join(", "),
            });
        }
    }

    fn plan(&self, scoring: &ScoringConfig, problems: &mut Vec<ValidationError>) -> Option<Plan> {
        let time_zone = parse_time_zone(self.time_zone.as_deref().unwrap_or("UTC"), problems);
        let now = self.now();
        let window = self.window_spec(now, problems);
        let granularity = self.granularity.clone().unwrap_or_else(|| "P1D".into());
        if self.source != SourceKind::Strategies
            && let Some(reason) = granularity_problem(&granularity)
        {
            problems.push(ValidationError::Invalid {
                name: "granularity".into(),
                reason,
            });
        }
        let group_by =
            self.group_by
                .clone()
                .unwrap_or_else(|| match (&self.comparison, self.source) {
                    (_, SourceKind::Strategies) => "strategyId".into(),
                    (Choice::On(config), _) => config.treatment.clone(),
                    _ => DEFAULT_GROUP_BY.into(),
                });
        if group_by.trim().is_empty() {
            problems.push(ValidationError::Invalid {
                name: "group_by".into(),
                reason: "is empty; name a dimension such as usedRouting or queueId".into(),
            });
        } else if self.source != SourceKind::Strategies && !is_conversation_dimension(&group_by) {
            problems.push(ValidationError::UnsupportedGroupBy {
                value: group_by.clone(),
                source_name: self.source.name().into(),
                supported: format!(
                    "a conversation aggregate dimension such as `{}` (the Genesys SDK's list; names are case-sensitive)",
                    nearest_dimension(&group_by)
                ),
            });
        }
        check_strategy_ids(&self.strategy_ids, problems);
        if ROUTING_DIMENSIONS.contains(&group_by.as_str()) || self.source == SourceKind::Strategies
        {
            check_routing_method_case(&self.strategy_ids, problems);
        }
        check_kpis_derivable(scoring, problems);
        let concurrency = self.concurrency.unwrap_or(DEFAULT_CONCURRENCY);
        if concurrency == 0 {
            problems.push(ValidationError::Invalid {
                name: "concurrency".into(),
                reason: "must be at least 1".into(),
            });
        }
        let max_window_days = self.max_window_days.unwrap_or(DEFAULT_MAX_WINDOW_DAYS);
        if max_window_days == 0 {
            problems.push(ValidationError::Invalid {
                name: "max_window_days".into(),
                reason: "must be at least 1".into(),
            });
        }
        if self.page_size == Some(0) {
            problems.push(ValidationError::Invalid {
                name: "page_size".into(),
                reason: "must be at least 1".into(),
            });
        }
        let comparison = comparing::settle(
            &self.comparison,
            self.source,
            &group_by,
            &granularity,
            problems,
        );
        let mut metrics = self
            .metrics
            .clone()
            .unwrap_or_else(|| fetch::default_metrics(self.source, scoring));
        if comparison.config().is_some() {
            // The comparison's KPIs need every routing metric; one fetch serves both views.
            for metric in ROUTING_METRICS {
                if !metrics.iter().any(|m| m == metric) {
                    metrics.push((*metric).to_owned());
                }
            }
        }
        if self.fallbacks && self.source == SourceKind::Strategies {
            problems.push(ValidationError::Invalid {
                name: "fallbacks".into(),
                reason: "needs the aggregates source (the strategies facade has no requestedRouting); drop it or use the aggregates source".into(),
            });
        }
        let plan = Plan {
            source: self.source,
            group_by,
            within: comparison
                .config()
                .map(|c| c.within.clone())
                .unwrap_or_default(),
            fallbacks: self.fallbacks,
            resolve_names: !self.skip_names,
            comparison,
            strategy_ids: self.strategy_ids.clone(),
            window: window?,
            time_zone: time_zone?,
            granularity,
            metrics,
            max_window_days,
            concurrency: concurrency.max(1),
            page_size: self.page_size,
            max_jobs: self.max_jobs.unwrap_or(DEFAULT_MAX_JOBS),
            deadline: self.deadline,
        };
        if plan.deadline.is_some_and(|d| d.is_zero()) {
            problems.push(ValidationError::Invalid {
                name: "deadline".into(),
                reason: "is 0; give the run a positive duration such as 10m".into(),
            });
        }
        if let Ok(window) = Window::resolve(plan.window, plan.time_zone, now) {
            fetch::validate(&plan, window, scoring, problems);
            if let Err(problem) = budget::check(&plan, window) {
                problems.push(problem);
            }
        }
        Some(plan)
    }

    /// The time on the client's clock (the system clock when no client was given, which is
    /// an error reported anyway).
    fn now(&self) -> DateTime<Utc> {
        match &self.client {
            Some(client) => client.time_source().clock.now(),
            None => crate::time::TimeSource::default().clock.now(),
        }
    }

    fn window_spec(
        &self,
        now: DateTime<Utc>,
        problems: &mut Vec<ValidationError>,
    ) -> Option<WindowSpec> {
        let Some(spec) = self.window else {
            problems.push(ValidationError::Missing {
                name: "window".into(),
                hint: "call .last_days(n) or .between(from, to)".into(),
            });
            return None;
        };
        // Resolving now checks the spec's shape and that it does not end in the future; the run
        // resolves it again at its start.
        match Window::resolve(spec, chrono_tz::UTC, now) {
            Ok(_) => Some(spec),
            Err(problem) => {
                problems.push(problem);
                None
            }
        }
    }
}

fn parse_time_zone(name: &str, problems: &mut Vec<ValidationError>) -> Option<Tz> {
    match name.parse::<Tz>() {
        Ok(tz) => Some(tz),
        Err(_) => {
            problems.push(ValidationError::Invalid {
                name: "time_zone".into(),
                reason: format!(
                    "`{name}` is not an IANA time zone; use a name such as UTC or Europe/Berlin"
                ),
            });
            None
        }
    }
}

fn check_strategy_ids(ids: &[String], problems: &mut Vec<ValidationError>) {
    if ids.iter().any(|id| id.trim().is_empty()) {
        problems.push(ValidationError::Invalid {
            name: "strategy".into(),
            reason: "a strategy id is empty; remove it or name the strategy".into(),
        });
    }
    let mut seen = std::collections::HashSet::new();
    for id in ids {
        if !seen.insert(id) {
            problems.push(ValidationError::Invalid {
                name: "strategy".into(),
                reason: format!("`{id}` is given twice; name each strategy once"),
            });
        }
    }
}

/// Routing method values are case-sensitive on the server: `bullseye` would match nothing
/// and the strategy would come back without data, so a case slip is refused with the spelling.
fn check_routing_method_case(ids: &[String], problems: &mut Vec<ValidationError>) {
    for id in ids {
        if let Some(method) = routing_method_for(id) {
            problems.push(ValidationError::Invalid {
                name: "strategy".into(),
                reason: format!(
                    "`{id}` is not a routing method; did you mean `{method}`? (values are case-sensitive)"
                ),
            });
        }
    }
}

/// Every scoring KPI must be one the pipeline derives from a metric table.
fn check_kpis_derivable(scoring: &ScoringConfig, problems: &mut Vec<ValidationError>) {
    for metric in scoring.metrics() {
        if Kpi::from_name(metric).is_none() {
            let known: Vec<&str> = Kpi::ALL.iter().map(|k| k.name()).collect();
            problems.push(ValidationError::Kpi {
                metric: metric.to_owned(),
                reason: format!(
                    "is not a KPI the pipeline derives; use one of: {}",
                    known.join(", ")
                ),
            });
        }
    }
}
