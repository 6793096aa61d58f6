with

source as (
    select * from {{ source('landing', 'crawl_log') }}
),

keyed as (
    select
        -- crawl_log rows have no id of their own: the landing gate quarantines them under this one
        sha256(concat_ws('|', run_id, government_id, list_url)) as record_id,
        *
    from source
),

{{ drop_quarantined('keyed', 'crawl_log') }},

renamed as (
    select
        -- ids
        record_id as record_id,
        run_id as run_id,
        government_id as government_id,
        -- strings
        list_url as list_url,
        status as status,
        error as error,
        -- numbers
        pages_fetched as pages_fetched,
        requests as requests,
        links_seen as links_seen,
        reports_found as reports_found,
        reports_new as reports_new,
        links_skipped as links_skipped,
        errors as errors,
        -- timestamps
        started_at as started_at,
        finished_at as finished_at
    from kept
)

select * from renamed
