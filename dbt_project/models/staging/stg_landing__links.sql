with

source as (
    select * from {{ source('landing', 'links') }}
),

keyed as (
    select
        -- links rows have no id of their own: the landing gate quarantines them under this one
        sha256(concat_ws('|', run_id, government_id, list_url, url)) as record_id,
        *
    from source
),

{{ drop_quarantined('keyed', 'links') }},

renamed as (
    select
        -- ids
        record_id as record_id,
        run_id as run_id,
        government_id as government_id,
        -- strings
        list_url as list_url,
        url as url,
        title as title,
        decision as decision,
        reason as reason,
        -- numbers
        report_year as report_year,
        http_status as http_status,
        -- timestamps
        seen_at as seen_at
    from kept
)

select * from renamed
