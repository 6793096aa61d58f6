{#-
    Every (government, report year) from reports_from to the as-of year, and whether the report is out.

    A report counts as published on its stated publish date, or, when the page states none, the day we first saw it;
    and only when that day is on or before the as-of day (a build as of a past day sees the past).

      published on or before the due date                       -> on_time
      published after the due date                              -> late
      not published, as-of on or before the due date            -> not_due
      not published, past due, and the registry has no list page
        for the government (only report URLs, a home page, or
        no URL at all: absence cannot be seen)                  -> unknown (status_reason says which)
      not published, past due, and no successful crawl of the
        government's portal since as-of - unknown_after_days    -> unknown (nobody can tell)
      not published, past due, but a link titled as the report
        could not be fetched, or the report's text was held
        back by the landing gate (int_coverage__held_candidates) -> unknown (a report exists; status_reason says)
      not published, past due, as-of <= due date + grace days   -> overdue
      not published, as-of > due date + grace days              -> missing
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
        max(finished_at) as last_success_at
    from runs
    where is_success
        and finished_at::date >= {{ as_of_date() }} - {{ unknown_after_days() }}
    group by government_id
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
            when coalesce(reports.page_publish_date, reports.page_first_seen_at::date) <= {{ as_of_date() }}
                then coalesce(reports.page_publish_date, reports.page_first_seen_at::date)
        end as effective_publish_date,
        recent_success.last_success_at as last_success_at,
        held.held_reason as held_reason
    from report_years
    left join reports
        on report_years.government_id = reports.government_id
        and report_years.report_year = reports.report_year
    left join recent_success
        on report_years.government_id = recent_success.government_id
    left join held
        on report_years.government_id = held.government_id
        and report_years.report_year = held.report_year
),

statused as (
    select
        *,
        case
            when effective_publish_date <= due_date then 'on_time'
            when effective_publish_date > due_date then 'late'
            when {{ as_of_date() }} <= due_date then 'not_due'
            -- registry-urls (issue 12): no list page known, so a report not found is not a report absent.
            -- null (a test fixture without the column) reads as a list page: the rules below decide.
            when url_status in ('report', 'home', 'none') then 'unknown'
            when last_success_at is null then 'unknown'
            when held_reason is not null then 'unknown'
            when {{ as_of_date() }} <= grace_end_date then 'overdue'
            else 'missing'
        end as status
    from joined
),

final as (
    select
        -- ids
        report_id as report_id,
        government_id as government_id,
        record_id as record_id,
        -- strings
        status as status,
        case
            when status <> 'unknown' then null
            -- registry-urls (issue 12): no list page, so a year not found cannot be seen missing
            when url_status = 'none' then 'no URL known for this government'
            when url_status = 'home' then 'only the portal''s home page is known: no report column to read yet'
            when url_status = 'report' and held_reason is null
                then 'only report URLs are known, no list page: a year not among them cannot be seen missing'
            -- end registry-urls
            when last_success_at is null
                then 'portal not read successfully in the ' || {{ unknown_after_days() }} || ' days before as-of'
            else held_reason
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
        -- dates and timestamps
        {{ as_of_date() }} as as_of,
        due_date as due_date,
        grace_end_date as grace_end_date,
        publish_date as publish_date,
        effective_publish_date as effective_publish_date,
        last_success_at as last_success_at
    from statused
)

select * from final
