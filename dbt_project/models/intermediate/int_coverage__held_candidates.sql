{#-
    Per (government, report year): evidence that a report exists although none is published, so that the year is
    `unknown` (with the reason) and never `missing`:
      - a link whose title reads as that year's report, whose latest answer was an error (HTTP error, timeout,
        an error page; the crawler keeps asking it again, see scrapers/collect/state.py);
      - a landed report whose text the landing gate held back (chrome left, too short): the page is a report.
    A link the crawler later judged (landed, skipped) is no longer evidence: only its latest decision counts.
-#}
with

landed_links as (
    select * from {{ ref('stg_landing__links') }}
),

{{ drop_quarantined('landed_links', 'links') }},

links as (
    select * from kept
),

-- every landed report row, with the gate's verdict (int_reports__landed holds only the rows the gate let through)
landed_reports as (
    select * exclude (landing_file, landing_file_size, landing_file_modified_at)
    from {{ ref('stg_landing__reports') }}
),

{{ flag_quarantined('landed_reports', 'reports') }},

reports as (
    select * from flagged
),

latest_link as (
    select
        government_id,
        url,
        report_year,
        decision,
        reason,
        http_status,
        seen_at,
        count(*) filter (where decision = 'error') over (partition by government_id, url) as error_rows,
        count(distinct run_id) filter (where decision = 'error') over (partition by government_id, url) as error_runs,
        min(seen_at) filter (where decision = 'error') over (partition by government_id, url) as first_error_at
    from links
    where url is not null
    qualify row_number() over (partition by government_id, url order by seen_at desc, run_id desc) = 1
),

failed_links as (
    select
        government_id,
        report_year,
        count(*) as candidates,
        max(error_runs) as runs,
        min(first_error_at) as since_at,
        arg_max(url, seen_at) as url,
        arg_max(coalesce('HTTP ' || http_status::varchar || ', ', '') || reason, seen_at) as last_error
    from latest_link
    where decision = 'error'
        and report_year is not null
    group by government_id, report_year
),

held_reports as (
    select
        government_id,
        report_year,
        count(distinct record_id) as candidates,
        arg_max(url, fetched_at) as url,
        arg_max(quarantine_reason, fetched_at) as quarantine_reason
    from reports
    where is_quarantined
        and is_annual_report
        and report_year is not null
        and {{ is_text_quarantine('quarantine_reason') }}
    group by government_id, report_year
),

final as (
    select
        coalesce(failed_links.government_id, held_reports.government_id) || ':'
        || coalesce(failed_links.report_year, held_reports.report_year) as report_id,
        coalesce(failed_links.government_id, held_reports.government_id) as government_id,
        coalesce(failed_links.report_year, held_reports.report_year) as report_year,
        case
            when held_reports.government_id is not null
                then 'report found but held back by the landing gate: ' || held_reports.quarantine_reason
            else 'link found, could not be fetched on ' || failed_links.runs || ' run(s) since '
                || strftime(failed_links.since_at, '%Y-%m-%d') || ', retrying: ' || failed_links.last_error
        end as held_reason,
        coalesce(held_reports.url, failed_links.url) as candidate_url,
        coalesce(failed_links.candidates, 0) as failed_links,
        coalesce(held_reports.candidates, 0) as held_reports
    from failed_links
    full outer join held_reports
        on failed_links.government_id = held_reports.government_id
        and failed_links.report_year = held_reports.report_year
)

select * from final
