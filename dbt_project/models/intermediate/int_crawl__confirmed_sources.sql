{#-
    Per (government, crawled source): is it a confirmed report column of this government (issue 21 §2)? Only a
    confirmed column that was read and had no link for a year can make that year `missing`: a page discovery
    settled on (a directory such as 法定主动公开内容 one click above the real column, a home page crawled as is) says
    nothing about reports it could never list.

    Confirmed when
      - it has listed at least one annual report of this government (a `report` link judged from it, other than
        the source itself: a report URL the registry gives is a report, not a column), or
      - the registry names it as a list URL and it was crawled as is (crawl_log.discovery null; landing rows from
        before discovery existed have no discovery and count as crawled as is).
    A build for a past day sees only the links and runs landed by then (macros/vars.sql landed_by_as_of).
-#}
with

landed_links as (
    select * from {{ ref('stg_landing__links') }}
    where {{ landed_by_as_of('seen_at') }}
),

{{ drop_quarantined('landed_links', 'links') }},

links as (
    select * from kept
),

crawl_log as (
    select * from {{ ref('stg_landing__crawl_log') }}
    where {{ landed_by_as_of('coalesce(finished_at, started_at)') }}
),

governments as (
    select * from {{ ref('stg_registry__governments') }}
),

listed_reports as (
    select
        government_id as government_id,
        list_url as list_url,
        count(distinct url) as reports_listed,
        min(seen_at) as first_listed_at
    from links
    where decision = 'report'
        and list_url is not null
        and url <> list_url
    group by government_id, list_url
),

sources as (
    select
        government_id as government_id,
        list_url as list_url,
        bool_or(discovery is null) as was_crawled_as_is
    from crawl_log
    where list_url is not null
    group by government_id, list_url
),

final as (
    select
        sources.government_id as government_id,
        sources.list_url as list_url,
        case
            when listed_reports.reports_listed > 0 then 'listed a report'
            when sources.was_crawled_as_is and list_contains(governments.list_urls, sources.list_url)
                then 'named by the registry'
        end as confirmed_by,
        coalesce(listed_reports.reports_listed, 0) as reports_listed,
        coalesce(listed_reports.reports_listed, 0) > 0
        or coalesce(sources.was_crawled_as_is and list_contains(governments.list_urls, sources.list_url), false)
            as is_confirmed,
        listed_reports.first_listed_at as first_listed_at
    from sources
    left join listed_reports
        on sources.government_id = listed_reports.government_id
        and sources.list_url = listed_reports.list_url
    left join governments
        on sources.government_id = governments.government_id
)

select * from final
