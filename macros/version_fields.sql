{#-
    The list of SQL expressions dbt.concat hashes to fingerprint a version of a row: each column as text, with
    a marker for null and a separator, so (1, null) and (null, 1) or ('1', '2') and ('12', '') never collide.
-#}
{% macro version_fields(columns, relation) -%}
    {%- set fields = [] -%}
    {%- for column in columns -%}
        {%- do fields.append("coalesce(" ~ dbt.safe_cast(relation ~ "." ~ column, dbt.type_string()) ~ ", '<null>')") -%}
        {%- if not loop.last -%}{%- do fields.append("'|'") -%}{%- endif -%}
    {%- endfor -%}
    {{ return(fields) }}
{%- endmacro %}

{#- The classification fields whose change makes a new version of a result (fct_classification_versions) and a
    row of fct_classification_changes: the one list both read. -#}
{% macro classification_tracked_fields() -%}
    {{ return(['classified_position', 'status', 'points', 'laps_completed', 'gap_to_leader_s', 'grid_position']) }}
{%- endmacro %}
