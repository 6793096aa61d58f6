-- One row per section of each canonical annual report, in document order (sections come from the landing record).
with

canonical as (
    select
        report_id,
        record_id,
        run_id,
        government_id,
        report_year,
        fetched_at
    from {{ ref('int_reports__ranked') }}
    where is_canonical
),

landed as (
    select
        record_id,
        run_id,
        fetched_at,
        sections
    from {{ ref('int_reports__landed') }}
    where len(sections) > 0
),

reports as (
    select
        canonical.*,
        landed.sections as sections
    from canonical
    inner join landed
        on canonical.record_id = landed.record_id
        and canonical.run_id is not distinct from landed.run_id
        and canonical.fetched_at = landed.fetched_at
),

unnested as (
    select
        report_id as report_id,
        record_id as record_id,
        government_id as government_id,
        report_year as report_year,
        unnest(sections) as section,
        generate_subscripts(sections, 1) as section_index
    from reports
),

final as (
    select
        -- ids
        report_id || ':' || section_index as section_id,
        report_id as report_id,
        record_id as record_id,
        government_id as government_id,
        -- strings
        section.heading as heading,
        section.text as text,
        -- numbers
        report_year as report_year,
        section_index as section_index,
        section.ord as section_ord,
        section.level as section_level,
        length(coalesce(section.text, '')) as char_count
    from unnested
)

select * from final
