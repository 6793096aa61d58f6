-- One row per (government, crawl run): the run's outcome over all the government's sources.
-- ok: every source ok; failed: every source failed; partial: anything in between.
-- A run is successful (the portal could be read) unless every source failed.
with

landed as (
    select * from {{ ref('stg_landing__crawl_log') }}
),

{{ drop_quarantined('landed', 'crawl_log') }},

crawl_log as (
    select * from kept
),

runs as (
    select
        run_id as run_id,
        government_id as government_id,
        count(*) as sources,
        count(*) filter (where status = 'ok') as sources_ok,
        count(*) filter (where status = 'failed') as sources_failed,
        sum(pages_fetched) as pages_fetched,
        sum(reports_found) as reports_found,
        sum(reports_new) as reports_new,
        sum(errors) as errors,
        -- the first error of the run, in source order
        arg_min(error, started_at) filter (where error is not null and error <> '') as first_error,
        min(started_at) as started_at,
        max(finished_at) as finished_at
    from crawl_log
    group by run_id, government_id
),

final as (
    select
        run_id as run_id,
        government_id as government_id,
        first_error as first_error,
        case
            when sources_ok = sources then 'ok'
            when sources_failed = sources then 'failed'
            else 'partial'
        end as run_status,
        sources as sources,
        pages_fetched as pages_fetched,
        reports_found as reports_found,
        reports_new as reports_new,
        errors as errors,
        sources_failed < sources as is_success,
        started_at as started_at,
        finished_at as finished_at
    from runs
)

select * from final
