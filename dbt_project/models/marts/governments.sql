with

governments as (
    select * from {{ ref('stg_registry__governments') }}
),

final as (
    select
        -- ids
        government_id as government_id,
        parent_id as parent_id,
        division_code as division_code,
        -- strings
        name as name,
        level as level,
        province as province,
        due as due,
        note as note,
        url_status as url_status,
        list_urls as list_urls,
        report_urls as report_urls,
        home_url as home_url,
        extra_hosts as extra_hosts,
        aliases as aliases,
        -- numbers
        reports_from as reports_from,
        grace_days as grace_days,
        -- booleans
        is_verified as is_verified
    from governments
)

select * from final
