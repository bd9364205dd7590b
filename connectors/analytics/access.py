"""What an analytics key reaches: one day of the first configured metric, asked as a sync asks it.

One request under the source's retry policy (for a ratio, its first event): a refused key, a project the key cannot
read (Mixpanel: a service account that is not a member of it) and an answer that is no daily series are each
named.
"""

from __future__ import annotations

from datetime import date

from connectors.access import Finding, ok, reached, warn
from connectors.analytics.client import SERIES, AnalyticsClient, daily_query, saved_report_query
from schema import BadDataError


def probe(client: AnalyticsClient, today: date) -> list[Finding]:
    config = client.config
    metric = config.metrics[0]
    if metric.bookmark_id is not None:
        query = saved_report_query(config, metric.bookmark_id)
    else:
        query = daily_query(config, metric.event or "", metric.measure, metric.filters, today, today)
    what = f"project {config.project_id}"
    answer = reached(what, lambda: client.fetch(query, describe=f"{metric.name} of {today}"), client.policy.credential)
    if isinstance(answer, Finding):
        return [answer]
    try:
        SERIES[config.kind](answer)
    except BadDataError as exc:
        return [warn(what, f"answers, but {metric.name} is no daily series: {exc}", f"check the metric {metric.name}")]
    return [ok(what, f"answers {metric.name} for {today}")]
