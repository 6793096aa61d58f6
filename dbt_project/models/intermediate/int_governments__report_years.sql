-- Every (government, report year) from the government's reports_from to the as-of year, with its due date.
-- The report for year Y is due on the government's due day (MM-DD, registry default 04-01) of Y + 1.
with

governments as (
    select * from {{ ref('stg_registry__governments') }}
),

years as (
    select
        governments.government_id as government_id,
        governments.name as name,
        governments.province as province,
        governments.level as level,
        governments.url_status as url_status,
        governments.grace_days as grace_days,
        governments.due_month as due_month,
        governments.due_day as due_day,
        report_year.report_year::integer as report_year
    from governments
    cross join
        generate_series(
            governments.reports_from::bigint, year({{ as_of_date() }})::bigint
        ) as report_year (report_year)
),

final as (
    select
        government_id || ':' || report_year as report_id,
        government_id as government_id,
        name as name,
        province as province,
        level as level,
        url_status as url_status,
        report_year as report_year,
        grace_days as grace_days,
        make_date(report_year + 1, due_month, due_day) as due_date,
        make_date(report_year + 1, due_month, due_day) + grace_days::integer as grace_end_date
    from years
)

select * from final
