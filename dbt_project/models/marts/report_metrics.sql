-- One row per figure extracted from each canonical annual report (scrapers.metrics, carried by the landing record).
with

canonical as (
    select record_id from {{ ref('int_reports__ranked') }}
    where is_canonical
),

versions as (
    select * from {{ ref('int_reports__versions') }}
),

reports as (
    select versions.*
    from versions
    semi join canonical
        on versions.record_id = canonical.record_id
    where len(versions.metrics) > 0
),

unnested as (
    select
        report_id as report_id,
        record_id as record_id,
        government_id as government_id,
        report_year as report_year,
        unnest(metrics) as metric,
        generate_subscripts(metrics, 1) as metric_index
    from reports
),

final as (
    select
        -- ids
        report_id || ':' || metric_index as metric_id,
        report_id as report_id,
        record_id as record_id,
        government_id as government_id,
        -- strings
        metric.metric as metric,
        metric.unit as unit,
        metric.scope as scope,
        metric.sentence as sentence,
        metric.section as section,
        -- numbers
        report_year as report_year,
        metric_index as metric_index,
        metric.value as value
    from unnested
)

select * from final
