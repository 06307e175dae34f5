{#-
    An operation (dbt run-operation raw_inventory) that make transform runs after the build: what the raw schema
    holds, for the build's closing lines (python -m transform). Logs one line per raw table (dlt's own
    `_dlt_*` tables left out), `raw_inventory {"table": ..., "column": null, "rows": <rows>}`, and one per
    variant column (`<field>__v_<type>`: values dlt kept aside because they did not fit the column's type),
    `raw_inventory {"table": ..., "column": ..., "rows": <non-null values>}`. Tables with rows are the sources
    whose freshness the build reports; the variant columns are the type drift it names. Logged at debug level:
    the caller reads the lines, the console stays quiet.
-#}
{% macro raw_inventory(raw_schema=env_var('OPENF1_RAW_SCHEMA', 'raw_openf1')) -%}
    {%- set catalog = run_query(raw_column_catalog(raw_schema)) -%}
    {%- set tables = {} -%}
    {%- for row in catalog.rows if not row['table_name'].startswith('_dlt') -%}
        {%- do tables.setdefault(row['table_name'], []) -%}
        {%- if '__v_' in row['column_name'] -%}
            {%- do tables[row['table_name']].append(row['column_name']) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set counts = [] -%}
    {%- for table_name in tables | sort -%}
        {%- set relation = api.Relation.create(database=target.database, schema=raw_schema, identifier=table_name) -%}
        {%- do counts.append(
            "select '" ~ table_name ~ "' as table_name, cast(null as " ~ dbt.type_string() ~ ") as column_name,"
            ~ " count(*) as row_count from " ~ relation
        ) -%}
        {%- for column_name in tables[table_name] | sort -%}
            {%- do counts.append(
                "select '" ~ table_name ~ "' as table_name, '" ~ column_name ~ "' as column_name,"
                ~ " count(" ~ adapter.quote(column_name) ~ ") as row_count from " ~ relation
            ) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- if counts -%}
        {%- for row in run_query(counts | join('\nunion all\n')).rows -%}
            {%- do log('raw_inventory ' ~ tojson(
                {'table': row['table_name'], 'column': row['column_name'], 'rows': row['row_count'] | int}
            )) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
