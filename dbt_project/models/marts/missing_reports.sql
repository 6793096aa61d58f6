-- The reports that are missing as of the build's as-of day: past due + grace, not published, portal readable.
with

coverage as (
    select * from {{ ref('report_coverage') }}
),

governments as (
    select * from {{ ref('stg_registry__governments') }}
),

final as (
    select
        -- ids
        coverage.report_id as report_id,
        coverage.government_id as government_id,
        governments.parent_id as parent_id,
        -- strings
        governments.name as name,
        governments.province as province,
        governments.level as level,
        governments.list_urls[1] as list_url,
        -- numbers
        coverage.report_year as report_year,
        coverage.days_overdue as days_overdue,
        coverage.grace_days as grace_days,
        -- dates and timestamps
        coverage.as_of as as_of,
        coverage.due_date as due_date,
        coverage.grace_end_date as grace_end_date,
        coverage.last_success_at as last_success_at
    from coverage
    inner join governments
        on coverage.government_id = governments.government_id
    where coverage.status = 'missing'
)

select * from final
