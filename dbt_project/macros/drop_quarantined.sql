{#-
    `kept`: the rows of CTE `from_cte` whose record_id the landing gate did not quarantine for `stream`.
    Every landing stream's staging view uses it, so the quarantine rule lives in one place.
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
quarantined as (
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
        quarantined.record_id is not null as is_quarantined,
        quarantined.quarantine_reason as quarantine_reason
    from {{ from_cte }}
    left join quarantined
        on {{ from_cte }}.record_id = quarantined.record_id
)
{% endmacro %}

{#-
    Quarantine reasons about a report's *text* (chrome left, too short, too little Chinese): the page is a report
    whose text the gate held back, so its year is `unknown`, never `missing`. Reasons about the title or year
    (a look-alike, no year) say the row is not a usable report, and do not count. Reason prefixes are those of
    expectations/landing_reports.json.
-#}
{% macro is_text_quarantine(reason_column) -%}
    regexp_matches(coalesce({{ reason_column }}, ''), '(^|; )(body too short|too little Chinese text|page chrome left|no body text)')
{%- endmacro %}
