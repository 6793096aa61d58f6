-- Per registered government: when its portal was last crawled, last crawled successfully, and how it is failing.
with

governments as (
    select * from {{ ref('stg_registry__governments') }}
),

runs as (
    select * from {{ ref('int_crawl__government_runs') }}
),

last_success as (
    select
        government_id as government_id,
        max(finished_at) as last_success_at,
        max(finished_at) filter (where run_status = 'ok') as last_ok_at
    from runs
    where is_success
    group by government_id
),

per_government as (
    select
        runs.government_id as government_id,
        arg_max(runs.run_id, runs.finished_at) as last_run_id,
        arg_max(runs.run_status, runs.finished_at) as last_run_status,
        arg_max(runs.first_error, runs.finished_at) filter (where runs.first_error is not null) as last_error,
        max(runs.finished_at) filter (where runs.first_error is not null) as last_error_at,
        count(*) as runs,
        count(*) filter (where not runs.is_success) as failed_runs,
        count(*) filter (
            where not runs.is_success
            and runs.finished_at > coalesce(last_success.last_success_at, '-infinity'::timestamp)
        ) as consecutive_failures,
        max(runs.finished_at) as last_crawl_at
    from runs
    left join last_success
        on runs.government_id = last_success.government_id
    group by runs.government_id
),

final as (
    select
        -- ids
        governments.government_id as government_id,
        per_government.last_run_id as last_run_id,
        -- strings
        governments.name as name,
        governments.level as level,
        governments.province as province,
        coalesce(per_government.last_run_status, 'never_crawled') as last_run_status,
        per_government.last_error as last_error,
        -- numbers
        coalesce(per_government.runs, 0) as runs,
        coalesce(per_government.failed_runs, 0) as failed_runs,
        coalesce(per_government.consecutive_failures, 0) as consecutive_failures,
        date_diff('day', {{ beijing_day('last_success.last_success_at') }}, {{ as_of_date() }}) as days_since_success,
        -- booleans
        (
            last_success.last_success_at is null
            or {{ beijing_day('last_success.last_success_at') }} < {{ as_of_date() }} - {{ unknown_after_days() }}
        ) as is_stale,
        -- timestamps
        per_government.last_crawl_at as last_crawl_at,
        last_success.last_success_at as last_success_at,
        last_success.last_ok_at as last_ok_at,
        per_government.last_error_at as last_error_at
    from governments
    left join per_government
        on governments.government_id = per_government.government_id
    left join last_success
        on governments.government_id = last_success.government_id
)

select * from final
