{{ canonical_incremental_config(canonical_built_from()) }}
-- One row per section of each canonical annual report, in document order (sections come from the landing record).
with

{{ unnest_canonical('sections', 'section') }},

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
