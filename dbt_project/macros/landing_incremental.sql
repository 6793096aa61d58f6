{#-
    Incremental loading of the append-only landing files.

    Landing files are immutable and only ever added, one per (run, government) and stream, so a staging table keeps
    every row it loaded with the file it came from (landing_file, its size and modification time) and, on an
    incremental run, parses only the files it has not loaded in that very size and modification time: a new crawl's
    run folder costs what that run landed, not the whole history. A file that changed anyway is loaded again
    (incremental_strategy delete+insert on landing_file replaces its rows) and the rows of a file that vanished are
    deleted (post_hook), so the table always equals a full refresh (tests/dbt/test_incremental.py builds both).

    The column types come from the source declaration (_landing__sources.yml, checked against scrapers.landing by
    tests/dbt/test_sources.py); the files are the landing gate's list (landing_listed), not the source's glob.
    Quarantine is applied downstream (int_* models), never here: a row the gate holds back later must still go.
-#}

{% macro _landing_source(stream) -%}
    {%- set node = graph.sources['source.' ~ project_name ~ '.landing.' ~ stream] -%}
    {{ return(node) }}
{%- endmacro %}

{#- The landing files this build reads: DATA_DIR/build/landing_files.jsonl, which scrapers.warehouse.dbt_runner
    writes from the landing gate's list before dbt runs. Never a glob: a file landed after the gate checked the
    others waits for the next build (and its gate). -#}
{% macro landing_listed(stream) -%}
    (
        select filename
        from read_json({{ data_path('build/landing_files.jsonl') }}, format = 'newline_delimited',
            columns = {'stream': 'VARCHAR', 'filename': 'VARCHAR'})
        where stream = '{{ stream }}'
    )
{%- endmacro %}

{#- The files to parse this run, as a SQL list literal: all the listed ones, or the new and changed ones. -#}
{% macro landing_files_to_load(stream) -%}
    {%- set empty = "[" ~ data_path('landing/' ~ stream ~ '/_empty.jsonl') ~ "]" -%}
    {%- if not execute -%}{{ return(empty) }}{%- endif -%}
    {%- set listed = run_query("select filename from " ~ landing_listed(stream) ~ " order by filename").columns[0].values() -%}
    {%- if listed | length == 0 -%}
        {#- read_text needs a file: the stream's zero-byte marker (Landing.ensure) yields no rows -#}
        {{ return(empty) }}
    {%- endif -%}
    {%- if not is_incremental() -%}
        {{ return("[" ~ quoted_list(listed) ~ "]") }}
    {%- endif -%}
    {%- set query -%}
        -- without `content` in the projection read_text only lists and stats the files
        select files.filename
        from read_text([{{ quoted_list(listed) }}]) as files
        anti join (
            select distinct landing_file, landing_file_size, landing_file_modified_at from {{ this }}
        ) as loaded
            on files.filename = loaded.landing_file
            and files.size = loaded.landing_file_size
            and files.last_modified = loaded.landing_file_modified_at
        order by files.filename
    {%- endset -%}
    {%- set files = run_query(query).columns[0].values() -%}
    {{ return("[" ~ quoted_list(files) ~ "]" if files | length else empty) }}
{%- endmacro %}

{#- SQL string literals, comma-separated. -#}
{% macro quoted_list(values) -%}
    {%- set out = [] -%}
    {%- for value in values -%}
        {%- do out.append("'" ~ (value | replace("'", "''")) ~ "'") -%}
    {%- endfor -%}
    {{ return(out | join(', ')) }}
{%- endmacro %}

{#- Every landed row of the files to load, typed as the source declares, with the file it came from. -#}
{% macro landing_rows(stream) -%}
    {%- if not execute -%}
        {#- parse time: the graph (and so the source's columns) is not there yet; only the SQL's shape matters -#}
        {{ return("(select null as landing_file)") }}
    {%- endif -%}
    {%- set columns = _landing_source(stream).columns.values() | list -%}
    {%- set structure = {} -%}
    {%- for column in columns -%}
        {%- do structure.update({column.name: column.data_type}) -%}
    {%- endfor -%}
    {%- set names = columns | map(attribute='name') | list -%}
    (
        select
            landing_file,
            landing_file_size,
            landing_file_modified_at,
            {% for name in names -%}
            record.{{ adapter.quote(name) }} as {{ adapter.quote(name) }}{{ "," if not loop.last }}
            {% endfor %}
        from (
            select
                filename as landing_file,
                size as landing_file_size,
                last_modified as landing_file_modified_at,
                json_transform_strict(
                    case
                        when {% for name in names %}list_contains(keys, '{{ name }}'){{ " and " if not loop.last }}{% endfor %}
                            then line
                        -- a file landed before a column existed (issue 20.8: crawl_log.discovery came later): the
                        -- absent keys read as null; wrong types still stop the build (json_transform_strict)
                        else '{' || concat_ws(',',
                            {% for name in names -%}
                            case when not list_contains(keys, '{{ name }}') then '"{{ name }}":null' end,
                            {% endfor -%}
                            case when len(keys) > 0 then substr(ltrim(line), 2) end
                        ) || case when len(keys) = 0 then '}' else '' end
                    end,
                    '{{ tojson(structure) }}'
                ) as record
            from (
                select filename, size, last_modified, line, json_keys(line) as keys
                from (
                    select filename, size, last_modified, unnest(string_split(content, chr(10))) as line
                    from read_text({{ landing_files_to_load(stream) }})
                )
                where trim(line) <> ''
            )
        )
    )
{%- endmacro %}

{#- post_hook: rows of files that are no longer there go, as they would in a full refresh. -#}
{% macro delete_vanished_landing_files(stream) -%}
    {%- if not execute -%}{{ return("") }}{%- endif %}
    delete from {{ this }}
    where landing_file not in {{ landing_listed(stream) }}
{%- endmacro %}
