-- One row per (government, crawl run): the run's outcome over all the government's sources.
-- ok: every source ok; failed: every source failed; partial: anything in between.
-- A run is successful (the portal could be read) unless every source failed; it reads a confirmed column when a
-- source read is one (int_crawl__confirmed_sources). A list source that failed in a successful run is named
-- (failed_list_url): report_coverage keeps the years it may list `unknown` until a later run reads it.
-- A build for a past day sees only the runs landed by then (macros/vars.sql landed_by_as_of).
with

landed as (
    select * from {{ ref('stg_landing__crawl_log') }}
    where {{ landed_by_as_of('coalesce(finished_at, started_at)') }}
),

{{ drop_quarantined('landed', 'crawl_log') }},

crawl_log as (
    select * from kept
),

confirmed as (
    select * from {{ ref('int_crawl__confirmed_sources') }}
),

governments as (
    select * from {{ ref('stg_registry__governments') }}
),

-- A list source failed when it could not be read, or when list pages after its first could not be (their links
-- were not seen). A registry report URL is crawled as a source of its own (a link judged as itself): it lists
-- nothing, so its failure says nothing about the years a list holds (its own year has the link's evidence).
sourced as (
    select
        crawl_log.*,
        (status = 'failed' or coalesce(list_pages_lost, 0) > 0)
        and not coalesce(list_contains(governments.report_urls, crawl_log.list_url), false) as is_failed_list,
        case
            when status = 'failed' then coalesce(error, 'failed')
            else list_pages_lost || ' of its later list pages could not be read'
        end as list_failure
    from crawl_log
    left join governments
        on crawl_log.government_id = governments.government_id
),

runs as (
    select
        sourced.run_id as run_id,
        sourced.government_id as government_id,
        count(*) as sources,
        count(*) filter (where status = 'ok') as sources_ok,
        count(*) filter (where status = 'failed') as sources_failed,
        sum(pages_fetched) as pages_fetched,
        sum(reports_found) as reports_found,
        sum(reports_new) as reports_new,
        sum(errors) as errors,
        -- the first error of the run, in source order
        arg_min(error, started_at) filter (where error is not null and error <> '') as first_error,
        -- sources read (not failed) that are confirmed report columns (int_crawl__confirmed_sources, issue 21 §2)
        count(*) filter (where status <> 'failed' and confirmed.is_confirmed) as confirmed_sources_read,
        -- list sources that failed this run, and the first of them (in source order) with its error
        count(*) filter (where is_failed_list) as list_sources_failed,
        arg_min(sourced.list_url, started_at) filter (where is_failed_list) as failed_list_url,
        arg_min(list_failure, started_at) filter (where is_failed_list) as failed_list_error,
        -- requests column discovery spent this run (the crawl log's discovery note: "… in N requests of B …")
        max(try_cast(regexp_extract(discovery, 'in (\d+) requests of', 1) as integer)) as discovery_requests,
        min(started_at) as started_at,
        max(finished_at) as finished_at
    from sourced
    left join confirmed
        on sourced.government_id = confirmed.government_id
        and sourced.list_url = confirmed.list_url
    group by sourced.run_id, sourced.government_id
),

final as (
    select
        run_id as run_id,
        government_id as government_id,
        first_error as first_error,
        failed_list_url as failed_list_url,
        failed_list_error as failed_list_error,
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
        discovery_requests as discovery_requests,
        list_sources_failed as list_sources_failed,
        sources_failed < sources as is_success,
        confirmed_sources_read > 0 as reads_confirmed_column,
        started_at as started_at,
        finished_at as finished_at
    from runs
)

select * from final
