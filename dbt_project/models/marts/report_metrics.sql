-- One row per figure extracted from each canonical annual report (scrapers.metrics, carried by the landing record).
with

canonical as (
    select
        report_id,
        record_id,
        run_id,
        government_id,
        report_year,
        fetched_at
    from {{ ref('int_reports__ranked') }}
    where is_canonical
),

landed as (
    select
        record_id,
        run_id,
        fetched_at,
        metrics
    from {{ ref('int_reports__landed') }}
    where len(metrics) > 0
),

reports as (
    select
        canonical.*,
        landed.metrics as metrics
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
