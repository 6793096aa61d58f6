{#-
    For every coverage row that is not published (not_due, overdue, missing, unknown): why, in one line.

    The evidence is the crawler's own: link decisions (landing/links) and crawl runs (landing/crawl_log), both up to
    the as-of day in a build for a past day (macros/vars.sql landed_by_as_of). A link "points at" a year when its
    row carries that report year (page-level decisions, and the error rows once they carry the title's year) or,
    failing that, when its title names the year (NNNN年).
    The reason is the first that applies:

      no list page in the registry (unknown rows only)     -> report_coverage's status_reason ("no URL known for
                                                               this government", "only report URLs are known, …")
      no successful crawl since as-of - unknown_after_days -> portal not reached since D  (or: never reached / crawled)
      a report landed but held back by the gate             -> report_coverage's status_reason ("report found but held
                                                               back by the landing gate: …")
      a report landed whose stated date is after as-of      -> report_coverage's status_reason ("report found, but its
                                                               stated date D is after the as-of day (first seen D')")
      no confirmed report column read lately                 -> report_coverage's status_reason ("report column not
                                                               found from the home page after N requests: …")
      a list page failed on the latest run that read the     -> report_coverage's status_reason ("list page URL failed
      portal                                                     on the latest crawl that read this portal (D): …")
      every link for the year answered 404/410 for 14 days  -> listed but the page is gone since D
      a link for the year whose last judgement is an error  -> link found, HTTP 500 on 2 runs, retrying
      a link skipped as a repost or a duplicate text         -> only a repost: signed by …, not by …
      a link skipped as a look-alike                         -> only a look-alike: 政府信息公开工作年度报告
      a link skipped as off the government's site            -> only an off-site link: host
      a link titled with the year, its page not a report     -> only a non-report link: <the crawler's reason>
      a report page collected before, now 404/410            -> report page gone: HTTP 404 since D
      nothing at all                                         -> no link for this year on 3 list pages
    A not_due row gets the same evidence after "not due until D: ".
-#}
with

coverage as (
    select * from {{ ref('report_coverage') }}
    where not is_published
),

links as (
    select * from {{ ref('stg_landing__links') }}
    where {{ landed_by_as_of('seen_at') }}
),

held as (
    select * from {{ ref('int_coverage__held_candidates') }}
),

-- the runs landed by the as-of day in a build for a past day, every run otherwise: the same runs report_coverage
-- reads, so "portal never crawled" here can never sit beside a `missing` there
runs as (
    select * from {{ ref('int_crawl__government_runs') }}
),

-- `known` rows repeat an earlier judgement ("judged before: skipped") and carry no year: the earlier row speaks.
titled as (
    select
        *,
        try_cast(regexp_extract(title, '((?:19|20)\d\d)\s*年', 1) as integer) as title_year
    from links
    where decision <> 'known'
),

link_rows as (
    select
        *,
        coalesce(report_year, title_year) as pointed_year
    from titled
),

-- One row per (government, year, URL): the URL's last judgement and how often it failed.
link_history as (
    select
        government_id as government_id,
        pointed_year as report_year,
        url as url,
        arg_max(decision, seen_at) as last_decision,
        arg_max(reason, seen_at) as last_reason,
        arg_max(title, seen_at) as last_title,
        -- Attempts: error rows, re-checks ("re-check N: …") included. A run that only noted the link still waits
        -- for its backoff writes "pending: …": no request, so no attempt.
        arg_max(reason, seen_at) filter (where decision = 'error' and reason not like 'pending:%') as last_error_reason,
        arg_max(http_status, seen_at) filter (where decision = 'error' and reason not like 'pending:%')
            as last_error_status,
        count(distinct run_id) filter (where decision = 'error' and reason not like 'pending:%') as error_runs,
        bool_or(title_year = pointed_year) as is_titled_with_year,
        max(seen_at) as last_seen_at
    from link_rows
    where pointed_year is not null
    group by government_id, pointed_year, url
),

ranked_links as (
    select
        *,
        case
            when last_decision = 'error' then 1
            when last_reason like 'repost:%' or last_reason like 'duplicate:%' then 2
            when last_reason like '%look-alike:%' then 3
            when last_reason like 'off-site:%' then 4
            -- a page judged not a report counts only when its title names the year: a year-less news item gets
            -- the year from its publication date, which says nothing about the missing report
            when last_decision = 'skipped' and is_titled_with_year then 5
            when last_decision = 'gone' then 6
        end as evidence_rank
    from link_history
),

-- The most telling link per (government, year); a landed report (`report`) is no evidence of a gap.
evidence as (
    select *
    from ranked_links
    where evidence_rank is not null
    qualify row_number() over (
        partition by government_id, report_year
        order by evidence_rank, last_seen_at desc, url
    ) = 1
),

portal as (
    select
        government_id as government_id,
        count(*) as crawl_runs,
        max(finished_at) filter (where is_success) as last_reached_at,
        arg_max(first_error, started_at) as last_error,
        -- the most list pages one run read: incremental runs stop at the first page of known links and a 304 run
        -- reads none, so only a full read says how long the list is
        max(pages_fetched) as list_pages_read
    from runs
    group by government_id
),

explained as (
    select
        coverage.report_id as report_id,
        coverage.government_id as government_id,
        coverage.name as name,
        coverage.status as status,
        coverage.status_reason_kind as status_reason_kind,
        coverage.report_year as report_year,
        coverage.due_date as due_date,
        coverage.as_of as as_of,
        evidence.url as evidence_url,
        evidence.last_title as evidence_title,
        evidence.last_decision as evidence_decision,
        evidence.last_error_status as http_status,
        coalesce(evidence.error_runs, 0) as error_runs,
        coalesce(portal.crawl_runs, 0) as crawl_runs,
        coalesce(portal.list_pages_read, 0) as list_pages_read,
        portal.last_reached_at as last_reached_at,
        case
            -- registry-urls (issue 12): no list page in the registry; report_coverage's status_reason says what is
            when coverage.status_reason_kind in ('no_url', 'report_urls_only') then 'no_list_url'
            when portal.crawl_runs is null then 'never_crawled'
            when portal.last_reached_at is null or coverage.last_success_at is null then 'portal_unreached'
            -- the page was landed as the report (its link says `report`): only report_coverage knows the gate
            -- held it back, or that its stated date is after as-of
            when coverage.status_reason_kind in ('held_back', 'odd_date', 'column_not_confirmed', 'source_failed')
                then coverage.status_reason_kind
            -- every link of the year answered 404/410 for gone_after_days: no longer evidence (issue 20.12)
            when held.gone_since_at is not null and coverage.status <> 'unknown' then 'listed_gone'
            when evidence.evidence_rank = 1 then 'link_error'
            when evidence.evidence_rank = 2 then 'repost'
            when evidence.evidence_rank = 3 then 'look_alike'
            when evidence.evidence_rank = 4 then 'off_site'
            when evidence.evidence_rank = 5 then 'not_a_report'
            when evidence.evidence_rank = 6 then 'gone'
            else 'no_link'
        end as reason_kind,
        coalesce(evidence.last_error_reason, evidence.last_reason) as evidence_reason,
        evidence.last_seen_at as evidence_seen_at,
        portal.last_error as last_error,
        held.gone_since_at as gone_since_at,
        coverage.status_reason as status_reason
    from coverage
    left join held
        on coverage.government_id = held.government_id
        and coverage.report_year = held.report_year
    left join evidence
        on coverage.government_id = evidence.government_id
        and coverage.report_year = evidence.report_year
    left join portal
        on coverage.government_id = portal.government_id
),

worded as (
    select
        *,
        case reason_kind
            when 'never_crawled' then 'portal never crawled'
            when 'portal_unreached' then
                case
                    when last_reached_at is null then 'portal never reached: ' || coalesce(last_error, 'no answer')
                    else 'portal not reached since ' || strftime({{ beijing_day('last_reached_at') }}, '%Y-%m-%d')
                end
            when 'link_error' then
                'link found, '
                || case
                    when evidence_reason ilike '%robots%' then 'blocked by robots.txt'
                    when http_status is not null then 'HTTP ' || http_status
                    else regexp_replace(evidence_reason, '^re-check \d+: ', '')
                end
                || ' on ' || error_runs || ' run' || case when error_runs = 1 then '' else 's' end
                -- the crawler never gives a failed link up (scrapers.collect.state): it stays pending, asked again
                || ', retrying'
            when 'held_back' then status_reason
            when 'odd_date' then status_reason
            when 'column_not_confirmed' then status_reason
            when 'source_failed' then status_reason
            when 'listed_gone' then 'listed but the page is gone since '
                || strftime({{ beijing_day('gone_since_at') }}, '%Y-%m-%d')
            when 'no_list_url' then status_reason  -- registry-urls (issue 12)
            when 'repost' then 'only a ' || evidence_reason
            when 'look_alike' then 'only a look-alike: ' || regexp_extract(evidence_reason, 'look-alike: (.*)$', 1)
            when 'off_site' then 'only an off-site link: ' || coalesce(evidence_url, '')
            when 'not_a_report' then 'only a non-report link: ' || coalesce(evidence_reason, '')
            when 'gone' then 'report page gone since ' || strftime({{ beijing_day('evidence_seen_at') }}, '%Y-%m-%d')
            else 'no link for this year on ' || list_pages_read || ' list page'
                || case when list_pages_read = 1 then '' else 's' end
        end as evidence_line
    from explained
),

final as (
    select
        -- ids
        report_id as report_id,
        government_id as government_id,
        -- strings
        status as status,
        name as name,
        case
            when status = 'not_due' then 'not due until ' || strftime(due_date, '%Y-%m-%d') || ': ' || evidence_line
            else evidence_line
        end as reason,
        reason_kind as reason_kind,
        status_reason_kind as status_reason_kind,
        evidence_url as evidence_url,
        evidence_title as evidence_title,
        evidence_decision as evidence_decision,
        evidence_reason as evidence_reason,
        -- numbers
        report_year as report_year,
        http_status as http_status,
        error_runs as error_runs,
        crawl_runs as crawl_runs,
        list_pages_read as list_pages_read,
        -- dates and timestamps
        as_of as as_of,
        due_date as due_date,
        last_reached_at as last_reached_at
    from worded
)

select * from final
