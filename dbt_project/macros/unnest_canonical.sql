{#-
    The list column `list_column` (sections or metrics) of every canonical annual report, one row per element:
    report_id, record_id, government_id, report_year, the element as `element_name` and its 1-based index as
    `element_name`_index. Both report_sections and report_metrics start from this; both are incremental per report
    (macros/canonical_incremental.sql), so on an incremental run only the reports in `to_build` are unnested.
-#}
{% macro unnest_canonical(list_column, element_name) %}
{{ canonical_to_build(canonical_built_from()) }},

canonical as (
    select
        report_id,
        record_id,
        run_id,
        government_id,
        report_year,
        fetched_at
    from to_build
),

landed as (
    select
        record_id,
        run_id,
        fetched_at,
        {{ list_column }}
    from {{ ref('int_reports__landed') }}
    where len({{ list_column }}) > 0
),

reports as (
    select
        canonical.*,
        landed.{{ list_column }} as {{ list_column }}
    from canonical
    inner join landed
        on canonical.record_id = landed.record_id
        and canonical.run_id is not distinct from landed.run_id
        and canonical.fetched_at = landed.fetched_at
),

unnested as (
    select
        report_id as report_id,
        record_id as record_id,
        government_id as government_id,
        report_year as report_year,
        unnest({{ list_column }}) as {{ element_name }},
        generate_subscripts({{ list_column }}, 1) as {{ element_name }}_index
    from reports
)
{% endmacro %}

{#- What a row of report_sections or report_metrics is built from: the report it belongs to and the landed row whose
    list it unnests (that row's key, and what it was made of). -#}
{% macro canonical_built_from() -%}
    {{ return(['government_id', 'report_year', 'record_id', 'run_id', 'fetched_at', 'raw_sha256', 'extractor_version']) }}
{%- endmacro %}
