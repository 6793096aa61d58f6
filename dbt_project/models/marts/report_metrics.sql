{{ canonical_incremental_config(canonical_built_from()) }}
-- One row per figure extracted from each canonical annual report (scrapers.extract.metrics, carried by the landing record).
with

{{ unnest_canonical('metrics', 'metric') }},

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
