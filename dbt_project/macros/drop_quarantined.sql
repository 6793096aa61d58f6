{#-
    `kept`: the rows of CTE `from_cte` whose record_id the landing gate did not quarantine for `stream`.
    The first model that reads each landing stream's staging table uses it (int_reports__landed,
    int_crawl__government_runs, int_links__page_events), at read time, so the quarantine rule lives in one place
    and a row the gate holds back in a later build drops out of tables loaded incrementally before.
-#}
{% macro drop_quarantined(from_cte, stream) %}
quarantined as (
    select record_id from {{ ref('stg_gate__quarantine') }}
    where stream = '{{ stream }}'
),

kept as (
    select {{ from_cte }}.*
    from {{ from_cte }}
    anti join quarantined
        on {{ from_cte }}.record_id = quarantined.record_id
)
{% endmacro %}

{#-
    `flagged`: every row of `from_cte`, with `is_quarantined` and the gate's reasons (`quarantine_reason`). The
    reports stream keeps its held-back rows this way, so that coverage can tell "a report was found but held back"
    (unknown) from "no report was found" (missing); every model that ranks or publishes reports filters them out.
-#}
{% macro flag_quarantined(from_cte, stream) %}
quarantine_reasons as (
    select
        record_id,
        string_agg(reason, '; ' order by reason) as quarantine_reason
    from {{ ref('stg_gate__quarantine') }}
    where stream = '{{ stream }}'
    group by record_id
),

flagged as (
    select
        {{ from_cte }}.*,
        quarantine_reasons.record_id is not null as is_quarantined,
        quarantine_reasons.quarantine_reason as quarantine_reason
    from {{ from_cte }}
    left join quarantine_reasons
        on {{ from_cte }}.record_id = quarantine_reasons.record_id
)
{% endmacro %}
