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
