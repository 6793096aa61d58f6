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
