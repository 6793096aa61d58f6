{#-
    Every (government, report year) from reports_from to the as-of year, and whether the report is out.
    The status rule is macros/coverage_status.sql.
-#}
with

report_years as (
    select * from {{ ref('int_governments__report_years') }}
),

reports as (
    select * from {{ ref('int_reports__ranked') }}
    where is_canonical
),

runs as (
    select * from {{ ref('int_crawl__government_runs') }}
),

held as (
    select * from {{ ref('int_coverage__held_candidates') }}
),


recent_success as (
    select
        government_id as government_id,
        max(finished_at) as last_success_at,
        -- a read of a confirmed report column (issue 21 §2); null in a fixture without the column reads as one
        max(finished_at) filter (where coalesce(reads_confirmed_column, true)) as confirmed_read_at,
        arg_max(discovery_requests, finished_at) filter (where discovery_requests is not null)
            as discovery_requests
    from runs
    where is_success
        and {{ beijing_day('finished_at') }} >= {{ as_of_date() }} - {{ unknown_after_days() }}
    group by government_id
),

-- The latest run in the window that read the portal. A list source that failed in it (and so was not read after
-- it) may list any year not found elsewhere: those years cannot be seen missing until a run reads it.
latest_success as (
    select
        government_id as government_id,
        case
            when list_sources_failed > 0
                then 'list page ' || failed_list_url || ' failed on the latest crawl that read this portal ('
                    || strftime({{ beijing_day('finished_at') }}, '%Y-%m-%d') || '): ' || failed_list_error
                    || case
                        when list_sources_failed > 1 then ' (and ' || (list_sources_failed - 1) || ' more)'
                        else ''
                    end
                    || '; a year it may list cannot be seen missing until it is read'
        end as failed_source_reason
    from runs
    where is_success
        and {{ beijing_day('finished_at') }} >= {{ as_of_date() }} - {{ unknown_after_days() }}
    qualify row_number() over (partition by government_id order by finished_at desc, run_id desc) = 1
),

joined as (
    select
        report_years.report_id as report_id,
        report_years.government_id as government_id,
        reports.record_id as record_id,
        report_years.name as name,
        report_years.province as province,
        report_years.level as level,
        reports.title as title,
        reports.url as url,
        report_years.report_year as report_year,
        report_years.grace_days as grace_days,
        report_years.url_status as url_status,  -- registry-urls (issue 12)
        report_years.due_date as due_date,
        report_years.grace_end_date as grace_end_date,
        reports.publish_date as publish_date,
        case
            when coalesce(reports.page_publish_date, {{ beijing_day('reports.page_first_seen_at') }}) <= {{ as_of_date() }}
                then coalesce(reports.page_publish_date, {{ beijing_day('reports.page_first_seen_at') }})
        end as effective_publish_date,
        recent_success.last_success_at as last_success_at,
        recent_success.confirmed_read_at as confirmed_read_at,
        recent_success.discovery_requests as discovery_requests,
        latest_success.failed_source_reason as failed_source_reason,
        reports.page_publish_date as page_publish_date,
        {{ beijing_day('reports.page_first_seen_at') }} as first_seen_day,
        held.held_kind as candidate_kind,
        held.held_reason as candidate_reason
    from report_years
    left join reports
        on report_years.government_id = reports.government_id
        and report_years.report_year = reports.report_year
    left join recent_success
        on report_years.government_id = recent_success.government_id
    left join latest_success
        on report_years.government_id = latest_success.government_id
    left join held
        on report_years.government_id = held.government_id
        and report_years.report_year = held.report_year
),

-- A canonical report whose stated date is after the as-of day although we saw it on or before that day
-- (issue 20.3): the page exists, its date is wrong or not yet true; a person must look, never `missing`.
dated as (
    select
        *,
        page_publish_date > {{ as_of_date() }} and first_seen_day <= {{ as_of_date() }} as is_dated_after_as_of
    from joined
),

evidenced as (
    select
        * exclude (candidate_kind, candidate_reason),
        case when is_dated_after_as_of then 'odd_date' else candidate_kind end as held_kind,
        case
            when is_dated_after_as_of
                then 'report found, but its stated date ' || strftime(page_publish_date, '%Y-%m-%d')
                    || ' is after the as-of day (first seen ' || strftime(first_seen_day, '%Y-%m-%d') || ')'
            else candidate_reason
        end as held_reason
    from dated
),

statused as (
    select
        *,
        {{ coverage_status() }} as status
    from evidenced
),

final as (
    select
        -- ids
        report_id as report_id,
        government_id as government_id,
        record_id as record_id,
        -- strings
        status as status,
        -- what kind of `unknown` (null for every other status): the category an alerts digest counts by
        case
            when status <> 'unknown' then null
            when not {{ has_url() }} then 'no_url'
            when url_status = 'report' and held_reason is null then 'report_urls_only'
            when last_success_at is null then 'portal_unreachable'
            when held_kind is not null then held_kind
            when confirmed_read_at is null then 'column_not_confirmed'
            else 'source_failed'
        end as status_reason_kind,
        case
            when status <> 'unknown' then null
            -- registry-urls (issue 12): no list page, so a year not found cannot be seen missing
            when not {{ has_url() }} then 'no URL known for this government'
            when url_status = 'report' and held_reason is null
                then 'only report URLs are known, no list page: a year not among them cannot be seen missing'
            -- end registry-urls
            when last_success_at is null
                then 'portal not read successfully in the ' || {{ unknown_after_days() }} || ' days before as-of'
            when held_reason is not null then held_reason
            when confirmed_read_at is not null then failed_source_reason
            when discovery_requests is not null
                then 'report column not found from the home page after ' || discovery_requests
                    || ' requests: no page read has listed a report of this government'
            else 'report column not confirmed: no page read has listed a report of this government'
        end as status_reason,
        name as name,
        province as province,
        level as level,
        title as title,
        url as url,
        url_status as url_status,  -- registry-urls (issue 12)
        -- numbers
        report_year as report_year,
        grace_days as grace_days,
        {{ unknown_after_days() }} as unknown_after_days,
        case
            when status in ('on_time', 'late') then date_diff('day', due_date, effective_publish_date)
        end as days_late,
        case
            when status in ('overdue', 'missing', 'unknown') then date_diff('day', due_date, {{ as_of_date() }})
        end as days_overdue,
        -- booleans
        status in ('on_time', 'late') as is_published,
        -- what a share published counts (the README's published_pct): due years of governments with a URL
        {{ is_due() }} as is_due,
        {{ has_url() }} as has_url,
        -- dates and timestamps
        {{ as_of_date() }} as as_of,
        due_date as due_date,
        grace_end_date as grace_end_date,
        publish_date as publish_date,
        effective_publish_date as effective_publish_date,
        last_success_at as last_success_at,
        confirmed_read_at as confirmed_read_at
    from statused
)

select * from final
