# The OpenF1 warehouse. `make help` lists every target; `make build` and `make test` are the two that matter.
.DEFAULT_GOAL := help
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
MAKEFLAGS += --no-print-directory

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
INSTALLED := $(VENV)/.installed

# ---- what to load ---------------------------------------------------------------------------------------
SOURCE ?= sample#            sample | live | a snapshot folder | an http(s)://…/v1 base URL
SEASON ?=#                   a year (2023 on)
MEETING ?=#                  a meeting_key or latest
SESSION ?=#                  a session_key or latest
ENDPOINTS ?=#                comma-separated subset (default: every endpoint but telemetry)
FULL_REFRESH ?= 0#           1 = fetch again sessions already loaded for good (and dbt build --full-refresh)
REFRESH_RESULTS ?= 0#        1 = fetch the results (classification, grid, race control, championships) again for
#                            every session in scope, even sessions loaded for good: results amended after the race
# a session's results are fetched again on every load until this many days after it ended (penalties, DSQs,
# appeals); the loader reads it from OPENF1_RESULTS_WINDOW_DAYS, which also sets its default here
RESULTS_WINDOW_DAYS ?= $(or $(OPENF1_RESULTS_WINDOW_DAYS),7)
export OPENF1_RESULTS_WINDOW_DAYS := $(RESULTS_WINDOW_DAYS)
UNIT_TESTS ?= 0#             1 = dbt's unit tests too (logic, not data: make test runs them; dbt's advice)
DESTINATION ?= duckdb#       duckdb | bigquery
DEFAULT_WAREHOUSE := warehouse/openf1.duckdb
WAREHOUSE ?= $(DEFAULT_WAREHOUSE)
# each warehouse has its own report folder: reports/site for the default one, reports/site-<name> for
# WAREHOUSE=warehouse/<name>.duckdb (warehouses side by side never overwrite each other's pages)
REPORT_DIR ?= $(if $(filter-out $(DEFAULT_WAREHOUSE),$(WAREHOUSE)),reports/site-$(patsubst _%,%,$(patsubst warehouse_%,%,$(subst /,_,$(basename $(WAREHOUSE))))),reports/site)
# The serving copy readers open (make query, reports, features, metrics, BI tools): the public schemas (marts,
# features) of the last build that passed, in a file DuckDB 1.4 and 1.5 read, and the same tables as Parquet.
# It sits beside its own warehouse: WAREHOUSE=warehouse/x.duckdb publishes warehouse/published/x.duckdb.
PUBLISHED := $(dir $(WAREHOUSE))published/$(notdir $(WAREHOUSE))
PUBLISHED_PARQUET := $(basename $(PUBLISHED))
export OPENF1_PUBLISHED := $(PUBLISHED)

# The simulated sample: a small season with a sprint weekend and telemetry for the races.
SAMPLE_SEASON ?= 2025
SAMPLE_ROUNDS ?= 4
SAMPLE_SEED ?= 7
SAMPLE_HZ ?= 1
SAMPLE_DIR := warehouse/samples/season-$(SAMPLE_SEASON)-r$(SAMPLE_ROUNDS)-s$(SAMPLE_SEED)-hz$(SAMPLE_HZ)
ifeq ($(SOURCE),sample)
TELEMETRY ?= 1
LOAD_FROM := $(SAMPLE_DIR)
else
TELEMETRY ?= 0
LOAD_FROM := $(SOURCE)
endif

# dbt reads these (profiles.yml); its artefacts sit beside the warehouse so warehouses never share them.
ifeq ($(filter duckdb bigquery,$(DESTINATION)),)
$(error DESTINATION=$(DESTINATION): give duckdb (the default) or bigquery)
endif
IS_BIGQUERY := $(filter bigquery,$(DESTINATION))
# a BigQuery build's artefacts (run_results.json, sources.json) never mix with a DuckDB file's
WAREHOUSE_ID := $(if $(IS_BIGQUERY),bigquery,$(subst /,_,$(basename $(WAREHOUSE))))
export OPENF1_WAREHOUSE := $(WAREHOUSE)
export DBT_PROFILES_DIR := $(CURDIR)
export DBT_TARGET_PATH := $(CURDIR)/target/$(WAREHOUSE_ID)
export DBT_LOG_PATH := $(CURDIR)/target/$(WAREHOUSE_ID)/logs
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export DO_NOT_TRACK := 1
DBT_TARGET := $(if $(IS_BIGQUERY),bigquery,dev)
# where the models land, for messages (dbt's project when BIGQUERY_PROJECT is unset: profiles.yml)
BUILT_IN := $(if $(IS_BIGQUERY),BigQuery project $(or $(BIGQUERY_PROJECT),openf1-warehouse (BIGQUERY_PROJECT unset)),$(WAREHOUSE))
DBT := $(BIN)/dbt
DBT_ARGS := --target $(DBT_TARGET)
# make transform: seeds, models and data tests; the unit tests check the SQL's logic on fixtures, not the data,
# so they run in make test (UNIT_TESTS=1), not in every build. bench/__main__.py builds the same way.
WITH_UNIT_TESTS := $(filter 1 true yes,$(UNIT_TESTS))
WITH_FULL_REFRESH := $(filter 1 true yes,$(FULL_REFRESH))
# sessions fetched again may be older than the newest one built: the incremental models (fct_laps,
# lap_telemetry_features) only add newer sessions, so a full refresh of the data rebuilds them from scratch
TRANSFORM_ARGS := --target $(DBT_TARGET) --dbt-target "$(DBT_TARGET_PATH)" --built-in "$(BUILT_IN)" \
	$(if $(WITH_UNIT_TESTS),--unit-tests) $(if $(WITH_FULL_REFRESH),--full-refresh)

LOAD_ARGS := --source "$(LOAD_FROM)" --destination $(DESTINATION) --warehouse "$(WAREHOUSE)" \
	$(if $(SEASON),--season $(SEASON)) $(if $(MEETING),--meeting $(MEETING)) \
	$(if $(SESSION),--session $(SESSION)) $(if $(ENDPOINTS),--endpoints $(ENDPOINTS)) \
	$(if $(filter 1 true yes,$(TELEMETRY)),--telemetry) $(if $(WITH_FULL_REFRESH),--full-refresh) \
	$(if $(filter 1 true yes,$(REFRESH_RESULTS)),--refresh-results)

# A command about to write the working file stops in one line when another process holds it (naming it).
GUARD_WAREHOUSE := $(if $(IS_BIGQUERY),:,$(PY) -m serving.holder "$(WAREHOUSE)" --published "$(PUBLISHED)")
# One build at a time per warehouse (serving/buildlock.py): build, load, transform, publish, docs and test-dbt take
# the warehouse's lock before anything else, and a second one stops at once in one line naming the first. A
# command run under it gets OPENF1_BUILD_LOCK: its steps (make load inside make build) see it held and go on.
# `$(LOCKED) $(MAKE) _step` runs the target _step under the lock (directly when this make already holds it, or -n).
BUILD_LOCK := $(if $(IS_BIGQUERY),warehouse/.bigquery.build-lock,$(dir $(WAREHOUSE)).$(notdir $(basename $(WAREHOUSE))).build-lock)
DRY_RUN := $(findstring n,$(filter-out -% %=%,$(firstword $(MAKEFLAGS))))
LOCKED = $(if $(DRY_RUN)$(filter $(BUILD_LOCK),$(OPENF1_BUILD_LOCK)),,$(PY) -m serving.buildlock "$(BUILD_LOCK)" \
	--warehouse "$(if $(IS_BIGQUERY),$(BUILT_IN),$(WAREHOUSE))" --label "make $(MAKECMDGOALS)" --)
# Readers open the published copy; before the first passing build there is none.
REQUIRE_PUBLISHED := test -f "$(PUBLISHED)" || { echo "error: no published copy at $(PUBLISHED) yet: run make build \
	$(if $(filter-out $(DEFAULT_WAREHOUSE),$(WAREHOUSE)),WAREHOUSE=$(WAREHOUSE) )(or make publish after a passing make transform)" >&2; exit 1; }

# ---- variables ------------------------------------------------------------------------------------------
# A variable on the command line that no target reads (SEASONS=2024), or a yes/no that is neither (TELEMETRY=on),
# stops make in one line naming the valid ones: a typo never widens or narrows what a build does in silence.
# Values with a program of their own check them there, in one line too (SEASON: the loader; FORMAT: make query).
# The variables are those declared with ?= in this file, the tools' ones below, and the environment's settings
# (BIGQUERY_*, OPENF1_*, DBT_*, GOOGLE_*), which recipes read when given on the command line too.
TOOL_VARIABLES := SPEED PAGE PORT OUT ROUNDS SEED HZ TELEMETRY_SCOPE AMEND AMEND_ROUND SNAPSHOT CSV EXPLAIN STAGES \
	ALL_SESSIONS PUBLISHED PUBLISHED_PARQUET
# SEASONS= is make bench's (how many seasons it keeps); for any other target it stays the typo of SEASON= it would be
TOOL_VARIABLES += $(if $(filter bench,$(MAKECMDGOALS)),SEASONS)
VARIABLES := $(sort $(shell sed -nE 's/^([A-Z_]+) \?=.*/\1/p' $(firstword $(MAKEFILE_LIST))) $(TOOL_VARIABLES))
GIVEN_VARIABLES := $(foreach v,$(.VARIABLES),$(if $(filter command line,$(origin $(v))),$(v)))
UNKNOWN_VARIABLES := $(filter-out $(VARIABLES) BIGQUERY_% OPENF1_% DBT_% GOOGLE_%,$(GIVEN_VARIABLES))
ifneq ($(UNKNOWN_VARIABLES),)
$(error unknown variable $(firstword $(UNKNOWN_VARIABLES))=$($(firstword $(UNKNOWN_VARIABLES)))$(if \
	$(filter $(patsubst %S,%,$(firstword $(UNKNOWN_VARIABLES))),$(VARIABLES)), (did you mean \
	$(patsubst %S,%,$(firstword $(UNKNOWN_VARIABLES)))?)); the variables are: $(VARIABLES))
endif
YES_NO := 1 0 true false yes no
$(foreach v,TELEMETRY FULL_REFRESH REFRESH_RESULTS UNIT_TESTS ALL_SESSIONS EXPLAIN,$(if $(filter-out $(YES_NO),$($(v))),\
	$(error $(v)=$($(v)) is not a yes/no: give one of $(YES_NO))))

# ---- help -------------------------------------------------------------------------------------------------
.PHONY: help
help: ## List the targets and their variables
	@echo "OpenF1 warehouse — make <target> [VAR=value ...]"
	@# colour on a terminal only: a log or a pipe gets plain text
	@colour=; if test -t 1; then colour=1; fi; grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | \
		awk -v colour="$$colour" 'BEGIN {FS = ":.*?## "; on = colour ? "\033[36m" : ""; off = colour ? "\033[0m" : ""}; \
		{printf "  %s%-15s%s %s\n", on, $$1, off, $$2}'
	@echo "Variables: SOURCE=$(SOURCE) SEASON MEETING SESSION ENDPOINTS TELEMETRY FULL_REFRESH REFRESH_RESULTS RESULTS_WINDOW_DAYS=$(RESULTS_WINDOW_DAYS) UNIT_TESTS DESTINATION=$(DESTINATION) WAREHOUSE=$(WAREHOUSE)"

# ---- environment ------------------------------------------------------------------------------------------
# The lock installs with uv (the same pins, ~20 s instead of pip's minutes on a fresh machine, with a progress bar
# on a terminal and a line per step in a log); uv itself comes from the lock through pip. Should uv fail, pip does it.
UV_PIN = $(shell grep -m1 '^uv==' requirements.lock)
$(INSTALLED): requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing the pinned environment into $(VENV) (once; seconds when up to date)"
	@$(PY) -m pip install --quiet --disable-pip-version-check "$(UV_PIN)" 2>&1 | grep -v "is ignored" || true
	@# a terminal gets uv's progress bars; a log gets its step lines, without the list of every package
	@# --compile-bytecode: every later process imports dbt, dlt and pyarrow from .pyc, not from source (seconds
	@# each where PYTHONDONTWRITEBYTECODE is set and nothing else would ever compile them)
	@{ if test -t 2; then $(BIN)/uv pip install --compile-bytecode --python $(PY) -r requirements.lock; \
		else $(BIN)/uv pip install --compile-bytecode --python $(PY) -r requirements.lock 2>&1 | grep -vE '^ [-+] '; fi; } || \
		{ echo "uv could not install the lock: trying pip"; $(PY) -m pip install --disable-pip-version-check \
		--progress-bar off -r requirements.lock | grep -E "^(Collecting|Successfully)"; }
	@$(PY) -c "import dlt, dbt, duckdb, jinja2, pyarrow" # fail here, not later, if the install did not take
	@touch $@

.PHONY: venv
venv: $(INSTALLED) ## Create .venv from the lock (idempotent)

.PHONY: lock
lock: $(INSTALLED) ## Re-pin requirements.lock from pyproject.toml's dependencies
	@rm -rf /tmp/openf1-lock-venv && $(PYTHON) -m venv /tmp/openf1-lock-venv
	@/tmp/openf1-lock-venv/bin/pip install --quiet . 2>&1 | grep -v "is ignored" || true
	@{ echo "# Full, pinned lock of the Python environment (pip freeze of pyproject.toml's dependencies)."; \
	   echo "# Regenerate with: make lock"; /tmp/openf1-lock-venv/bin/pip freeze --exclude openf1-warehouse; } > requirements.lock
	@echo "requirements.lock rewritten"

# ---- the warehouse ----------------------------------------------------------------------------------------
.PHONY: build
build: $(INSTALLED) ## Load, transform, data-test and report: the whole warehouse (default: the simulated sample; load's variables apply, e.g. REFRESH_RESULTS=1)
	@$(LOCKED) $(MAKE) _build

.PHONY: _build
_build:
	@$(MAKE) _load
	@$(MAKE) _transform
ifeq ($(IS_BIGQUERY),)
	@$(MAKE) _publish
	@$(MAKE) reports
else
	@# the report reads a DuckDB file: it would show whatever the local file holds, not this build
	@echo "Reports: not rendered (they read a DuckDB warehouse; on BigQuery point a BI tool at the marts dataset)"
endif
	@$(MAKE) where

.PHONY: sample
sample: $(SAMPLE_DIR)/.complete ## Simulate the sample season (once) into warehouse/samples/

$(SAMPLE_DIR)/.complete: $(wildcard openf1_replay/simulator/*.py) | $(INSTALLED)
	@echo "Simulating the sample: season $(SAMPLE_SEASON), $(SAMPLE_ROUNDS) rounds, seed $(SAMPLE_SEED) (simulated data, not real results)"
	@rm -rf "$(SAMPLE_DIR)"
	@$(PY) -m openf1_replay.simulator --season $(SAMPLE_SEASON) --rounds $(SAMPLE_ROUNDS) --seed $(SAMPLE_SEED) \
		--telemetry races --telemetry-hz $(SAMPLE_HZ) --out "$(SAMPLE_DIR)"
	@touch $@

.PHONY: load
load: $(INSTALLED) ## Load OpenF1 into raw_openf1 (SOURCE, SEASON, MEETING, SESSION, ENDPOINTS, TELEMETRY, FULL_REFRESH, REFRESH_RESULTS, RESULTS_WINDOW_DAYS)
	@$(LOCKED) $(MAKE) _load

.PHONY: _load
_load: $(INSTALLED) $(if $(filter sample,$(SOURCE)),$(SAMPLE_DIR)/.complete)
	@$(if $(filter sample,$(SOURCE)),echo "SOURCE=sample: loading SIMULATED data (a made-up season, not real results)")
	@$(GUARD_WAREHOUSE)
	@# a snapshot folder loaded whole and unchanged since is not served and fetched again (dlt_pipelines/unchanged.py)
	@$(PY) -m dlt_pipelines.unchanged $(LOAD_ARGS) || $(PY) -m dlt_pipelines.pipeline $(LOAD_ARGS)

.PHONY: transform
transform: $(INSTALLED) ## dbt build: seeds, models and their data tests (DESTINATION picks the dbt target; UNIT_TESTS=1 adds unit tests; FULL_REFRESH=1: --full-refresh)
	@$(LOCKED) $(MAKE) _transform

.PHONY: _transform
_transform: $(INSTALLED)
	@$(GUARD_WAREHOUSE)
	@# transform/: dbt's progress as a count; on success build_results.json + build_manifest.json (what make
	@# publish reads), a note on stale sources, the raw schema's variant columns; on failure the failing nodes
	@$(PY) -m transform $(TRANSFORM_ARGS)

.PHONY: publish
publish: $(INSTALLED) ## Publish the last passing build's marts and features: PUBLISHED (DuckDB 1.4+ file) and PUBLISHED_PARQUET/ (make build ends with it)
	@$(LOCKED) $(MAKE) _publish

.PHONY: _publish
_publish: $(INSTALLED)
ifeq ($(IS_BIGQUERY),)
	@$(PY) -m serving.publish --warehouse "$(WAREHOUSE)" --dbt-target "$(DBT_TARGET_PATH)" \
		--out "$(PUBLISHED)" --parquet "$(PUBLISHED_PARQUET)"
else
	@echo "publish: nothing to do on BigQuery: the marts and features datasets are the public interface (README, BigQuery)"
endif

.PHONY: reports
reports: $(INSTALLED) ## Render the static site into REPORT_DIR (default reports/site/) from the published copy: races, seasons, data quality
	@$(REQUIRE_PUBLISHED)
	@$(PY) -m reports.render --warehouse "$(PUBLISHED)" --out "$(REPORT_DIR)" --dbt-target "$(DBT_TARGET_PATH)"

.PHONY: pdf
pdf: $(INSTALLED) ## PDF of a race report via headless Chromium: PAGE=reports/site/races/<race>.html (default: the last Grand Prix)
	@$(PY) -m reports.browser pdf "$(or $(PAGE),$(REPORT_DIR))"

.PHONY: reports-check
reports-check: $(INSTALLED) ## Open every page of REPORT_DIR in headless Chromium: console errors, empty charts, network
	@$(PY) -m reports.browser check "$(REPORT_DIR)" --screenshots target/report-screenshots

.PHONY: screenshots
screenshots: $(INSTALLED) ## The README's screenshots: a JPEG of one page of each kind of REPORT_DIR into docs/screenshots/ (run make reports first)
	@$(PY) -m reports.browser gallery "$(REPORT_DIR)" --out docs/screenshots

.PHONY: where
where:
	@echo ""
ifeq ($(IS_BIGQUERY),)
	@echo "Warehouse: $(WAREHOUSE)   (DuckDB; schemas raw_openf1, staging, intermediate, marts, features: the build's own)"
	@echo "Published: $(PUBLISHED)   (marts and features for readers and BI tools; DuckDB 1.4+) and $(PUBLISHED_PARQUET)/ (Parquet)"
	@echo "Report:    $(REPORT_DIR)/index.html"
	@$(if $(filter sample,$(SOURCE)),echo "Data:      SIMULATED by the project's simulator (SOURCE=sample) — not real results")
	@echo "Try:"
	@echo "  make query SQL=\"select session_name, count(*) as laps, min(lap_duration_s) as fastest_lap_s from marts.fct_laps group by all order by 2 desc\"$(SQL_WAREHOUSE_ARG)"
	@echo "  make query SQL=\"select driver_code, session_name, lap_number, lap_duration_s from marts.fct_laps where lap_duration_s is not null order by lap_duration_s limit 10\"$(SQL_WAREHOUSE_ARG)"
	@echo "  make query SQL_FILE=analyses/championship_after_each_round.sql$(SQL_WAREHOUSE_ARG)"
	@echo "  make sql$(SQL_WAREHOUSE_ARG)"
else
	@echo "Warehouse: $(BUILT_IN)   (datasets raw_openf1, staging, intermediate, marts, features)"
	@$(if $(filter sample,$(SOURCE)),echo "Data:      SIMULATED by the project's simulator (SOURCE=sample) — not real results")
	@echo "Query the marts dataset from the BigQuery console or any BigQuery client (make query reads DuckDB only)."
endif

FEATURES_DIR ?= features
FEATURES_TEST_FRACTION ?= 0.2

.PHONY: features
features: $(INSTALLED) ## Export the feature tables to Parquet (FEATURES_DIR, default features/) with a train/test split column
	@$(REQUIRE_PUBLISHED)
	@$(PY) -m features_export --warehouse "$(PUBLISHED)" --out "$(FEATURES_DIR)" --test-fraction $(FEATURES_TEST_FRACTION)

# ---- status ---------------------------------------------------------------------------------------------
# Reads, never waits: the working file only if DuckDB lets a reader in at once (else it names the build holding
# it), the published copy and dbt's target folder; one quick request to SOURCE when it is live or a URL.
.PHONY: status
status: $(INSTALLED) ## What WAREHOUSE holds, its last load and passing build, what is provisional or incomplete, whether SOURCE answers (and as whom), the published copy's age
	@$(PY) -m status --warehouse "$(WAREHOUSE)" --published "$(PUBLISHED)" --dbt-target "$(DBT_TARGET_PATH)" \
		--build-lock "$(BUILD_LOCK)" \
		--source "$(SOURCE)" --load-from "$(LOAD_FROM)" --destination $(DESTINATION) --make-args "$(strip $(SQL_WAREHOUSE_ARG) $(if $(IS_BIGQUERY),DESTINATION=bigquery))"

# ---- SQL on the published copy: make query, make sql --------------------------------------------------------
# make query hands its variables to python -m sqlcli through the environment ($(value ...): as typed, never
# re-parsed by a shell or expanded by make), so any SQL works: several lines, both kinds of quotes, $.
SQL ?=#                      the SQL to run (make query)
SQL_FILE ?=#                 or a file of SQL; {{ ref('table') }} (dbt's analyses/) becomes schema.table
FORMAT ?= table#             table | csv | json | markdown
LIMIT ?=#                    rows to print: default 100 for a table, every row for csv/json/markdown; 0 = all
# make where's hints name WAREHOUSE when it is not the default, so they work when pasted
SQL_WAREHOUSE_ARG = $(if $(filter-out $(DEFAULT_WAREHOUSE),$(WAREHOUSE)), WAREHOUSE=$(WAREHOUSE))

.PHONY: query
query: export OPENF1_SQL = $(value SQL)
query: export OPENF1_SQL_FILE = $(value SQL_FILE)
query: export OPENF1_SQL_FORMAT = $(value FORMAT)
query: export OPENF1_SQL_LIMIT = $(value LIMIT)
query: $(INSTALLED) ## SQL on the published copy, read-only: SQL="select ..." or SQL_FILE=path [FORMAT=table|csv|json|markdown LIMIT=n]
	@$(PY) -m sqlcli

.PHONY: sql
sql: $(INSTALLED) ## Interactive SQL shell (harlequin) on the published copy, read-only (installs .venv-sql once)
	@$(PY) -m sqlcli.shell

# ---- strategy ---------------------------------------------------------------------------------------------
# make whatif prices another strategy for a driver with the strategy engine (its marts on the published copy,
# read-only) and ranks the time it implies against the others' real times. SESSION (the loader's filter above) names
# the race: a session_key or latest. Its variables reach python -m whatif through the environment, as typed.
DRIVER ?=#                   a car number in the race (make whatif)
STRATEGY ?=#                 stints as compound initial:first-last lap, "M:1-18,H:19-57" (make whatif)

.PHONY: whatif
whatif: export OPENF1_WHATIF_SESSION = $(value SESSION)
whatif: export OPENF1_WHATIF_DRIVER = $(value DRIVER)
whatif: export OPENF1_WHATIF_STRATEGY = $(value STRATEGY)
whatif: $(INSTALLED) ## A strategy's race time and position by the model, beside the real ones: SESSION=<key>|latest DRIVER=<number> STRATEGY="M:1-18,H:19-57"
	@$(PY) -m whatif

.PHONY: bench-live
bench-live: $(INSTALLED) $(SAMPLE_DIR)/.complete ## Live mode's figures: a simulated race at x20 through the live loop; delay to the board p50/p95, CPU per cycle
	@$(PY) -m bench.live --snapshot "$(SAMPLE_DIR)" --speed $(or $(SPEED),20)

.PHONY: bench-strategy
bench-strategy: $(INSTALLED) ## The strategy engine's figures on the published copy: backtest error, pit loss vs TUM's range, VSC/SC vs green
	@$(PY) -m bench.strategy --warehouse "$(PUBLISHED)"

# ---- metrics layer (dbt MetricFlow): make metrics, make metrics-list ----------------------------------------
# mf queries the published copy through profiles.yml's `published` target (attached read-only: never the working
# file, never the build's lock), or with DESTINATION=bigquery the marts dataset (target bigquery). Its manifest
# is parsed into target/<warehouse id>-metrics, apart from the build's; dbt-metricflow 0.15 reads
# <dbt project dir>/target/semantic_manifest.json, so that folder is mf's project dir (dbt_project.yml copied in).
METRICS ?=#                  metrics, comma-separated (make metrics-list names them)
GROUP_BY ?=#                 dimensions, entities or metric_time__<grain>, comma-separated
WHERE ?=#                    a filter: "{{ Dimension('session__season') }} = 2024"
ORDER_BY ?=#                 comma-separated; a leading - sorts descending (-points)
SAVED_QUERY ?=#              a saved query instead of (or with) METRICS/GROUP_BY
METRICS_DIR := $(CURDIR)/target/$(WAREHOUSE_ID)-metrics
METRICS_MANIFEST := $(METRICS_DIR)/target/semantic_manifest.json
MF_TARGET := $(if $(IS_BIGQUERY),bigquery,published)
MF_ENV := DBT_TARGET=$(MF_TARGET) OPENF1_PUBLISHED="$(abspath $(PUBLISHED))" DBT_TARGET_PATH="$(METRICS_DIR)/target" \
	DBT_LOG_PATH="$(METRICS_DIR)/logs"
MF := $(MF_ENV) DBT_PROJECT_DIR="$(METRICS_DIR)" $(BIN)/mf
METRICS_INPUTS := $(shell find models macros seeds -type f 2>/dev/null) dbt_project.yml profiles.yml
REQUIRE_METRICS_SOURCE := $(if $(IS_BIGQUERY),:,$(REQUIRE_PUBLISHED))

$(METRICS_MANIFEST): $(METRICS_INPUTS) | $(INSTALLED)
	@mkdir -p "$(METRICS_DIR)/target" && cp dbt_project.yml "$(METRICS_DIR)/dbt_project.yml"
	@$(MF_ENV) DBT_PROJECT_DIR="$(CURDIR)" $(DBT) parse --target $(MF_TARGET) --quiet || \
		{ echo "error: dbt parse of the semantic models failed: see $(METRICS_DIR)/logs/dbt.log"; exit 1; }

.PHONY: metrics
metrics: export OPENF1_METRICS_WHERE = $(value WHERE)
metrics: $(INSTALLED) ## MetricFlow on the published copy: METRICS=points GROUP_BY=driver__driver_code,metric_time__year [WHERE= ORDER_BY= LIMIT= SAVED_QUERY= CSV=file EXPLAIN=1]
	@$(REQUIRE_METRICS_SOURCE)
	@test -n "$(METRICS)$(SAVED_QUERY)" || { echo "error: give METRICS=points,wins (make metrics-list names them) or SAVED_QUERY=driver_season" >&2; exit 2; }
	@$(MAKE) -s "$(METRICS_MANIFEST)"
	@$(MF) query --quiet $(if $(METRICS),--metrics $(METRICS)) $(if $(GROUP_BY),--group-by $(GROUP_BY)) \
		$(if $(WHERE),--where "$$OPENF1_METRICS_WHERE") $(if $(ORDER_BY),--order $(ORDER_BY)) \
		$(if $(LIMIT),--limit $(LIMIT)) $(if $(SAVED_QUERY),--saved-query $(SAVED_QUERY)) \
		$(if $(CSV),--csv "$(CSV)") $(if $(filter 1 true yes,$(EXPLAIN)),--explain)

.PHONY: metrics-list
metrics-list: $(INSTALLED) ## The metrics (with their dimensions) and saved queries of the metrics layer
	@$(REQUIRE_METRICS_SOURCE)
	@$(MAKE) -s "$(METRICS_MANIFEST)"
	@$(MF) list metrics 2>/dev/null | sed 's/^.*✔/✔/'
	@$(MF) list saved-queries 2>/dev/null | sed 's/^.*✔/✔/'

.PHONY: metrics-validate
metrics-validate: $(INSTALLED) ## mf validate-configs: the semantic models, then their columns on the published copy
	@$(REQUIRE_METRICS_SOURCE)
	@$(MAKE) -s "$(METRICS_MANIFEST)"
	@$(MF) validate-configs 2>&1 | sed 's/^.*✔/✔/'

# ---- tools ----------------------------------------------------------------------------------------------
.PHONY: simulate
simulate: $(INSTALLED) ## Simulate a season snapshot: SEASON=2025 ROUNDS=4 SEED=7 OUT=DIR [TELEMETRY_SCOPE=races HZ=3.7] [AMEND=both|penalty|dsq AMEND_ROUND=K: also OUT.amended/]
	@test -n "$(OUT)" || { echo "error: give OUT=DIR, the snapshot folder to write"; exit 2; }
	@$(PY) -m openf1_replay.simulator --season $(or $(SEASON),2025) --rounds $(or $(ROUNDS),4) --seed $(or $(SEED),7) \
		--telemetry $(or $(TELEMETRY_SCOPE),races) --telemetry-hz $(or $(HZ),3.7) --out "$(OUT)" \
		$(if $(AMEND),--amend $(AMEND)) $(if $(AMEND_ROUND),--amend-round $(AMEND_ROUND))

# make serve LIVE=1: the snapshot as if its last race were running now (openf1_replay/server/live.py); SPEED
# (TOOL_VARIABLES) = virtual seconds per real second, default 20
LIVE ?= 0#                   1 = make serve on the live clock: only what the session has shown, 401 without a token
START ?=#                    make serve LIVE=1: the virtual time to start at, ISO (default 2 min before the race)
MQTT ?= 0#                   1 = make serve LIVE=1 also publishes to a throwaway mosquitto (apt-get install mosquitto)
SERVE_USER = $(or $(OPENF1_USERNAME),replay@example.com)
SERVE_PASSWORD = $(or $(OPENF1_PASSWORD),replay)
SERVE_LIVE = $(filter 1 true yes,$(LIVE))
SERVE_ARGS = --snapshot "$(SNAPSHOT)" --port $(or $(PORT),8765) $(if $(SERVE_LIVE),--live --speed $(or $(SPEED),20) \
	$(if $(START),--start "$(START)") --username "$(SERVE_USER)" --password "$(SERVE_PASSWORD)")

.PHONY: serve
serve: $(INSTALLED) ## Serve a snapshot over HTTP like api.openf1.org: SNAPSHOT=DIR [PORT=8765, 0 = any free port] [LIVE=1 SPEED=20 START=ISO: on a live clock] [MQTT=1: and over MQTT]
	@test -n "$(SNAPSHOT)" || { echo "error: give SNAPSHOT=DIR, a snapshot folder to serve"; exit 2; }
	@$(foreach v,LIVE MQTT,$(if $(filter-out $(YES_NO),$($(v))),echo "error: $(v)=$($(v)) is not a yes/no: give one of $(YES_NO)"; exit 2;))
	@$(if $(and $(filter 1 true yes,$(MQTT)),$(if $(SERVE_LIVE),,x)),echo "error: MQTT=1 needs LIVE=1 (records are published as the live clock shows them)"; exit 2)
	@$(if $(SERVE_LIVE),echo "live clock x$(or $(SPEED),20): a token: curl -s -d username=$(SERVE_USER) -d password=$(SERVE_PASSWORD) http://127.0.0.1:$(or $(PORT),8765)/token")
	@$(PY) -m $(if $(filter 1 true yes,$(MQTT)),openf1_replay.broker --,openf1_replay.server) $(SERVE_ARGS)

# ---- live weekend mode (live/): make live ---------------------------------------------------------------------
TRANSPORT ?= rest#           make live: rest (polling, within the request budget) | mqtt (OpenF1's push channel)
BUDGET ?= 30/10#             make live: at most this many requests per this many seconds, every endpoint together
# the board: reports/live/board.html for the default warehouse, reports/live-<name>/ beside reports/site-<name>/
BOARD ?= $(patsubst reports/site%,reports/live%,$(REPORT_DIR))/board.html
LIVE_TARGET := $(DBT_TARGET_PATH)-live
# SOURCE=sample or a snapshot folder: make live replays it itself on the live clock (SPEED, default 20)
LIVE_FROM = $(if $(filter live http://% https://%,$(SOURCE)),--source "$(SOURCE)",--replay "$(LOAD_FROM)" --speed $(or $(SPEED),20))

.PHONY: live
live: $(INSTALLED) $(if $(filter sample,$(SOURCE)),$(SAMPLE_DIR)/.complete) ## Follow a session as it runs: warehouse + strategy board (BOARD) kept current, then make build [SESSION=latest] [TRANSPORT=rest|mqtt]
	@$(if $(IS_BIGQUERY),echo "error: make live builds into DuckDB: run it without DESTINATION=bigquery (make build DESTINATION=bigquery after the session)" >&2; exit 2)
	@$(LOCKED) $(MAKE) _live

.PHONY: _live
_live:
	@$(GUARD_WAREHOUSE)
	@mkdir -p "$(LIVE_TARGET)"
	@$(PY) -m live $(LIVE_FROM) --session "$(or $(SESSION),latest)" --transport $(TRANSPORT) --rate-limit "$(BUDGET)" \
		$(if $(and $(filter 1 true yes,$(TELEMETRY)),$(filter command line,$(origin TELEMETRY))),--telemetry) \
		--warehouse "$(WAREHOUSE)" --published "$(PUBLISHED)" --board "$(BOARD)" --dbt-target "$(LIVE_TARGET)" \
		--cycle-log "$(LIVE_TARGET)/cycles.jsonl" --handover-file "$(LIVE_TARGET)/handover"
	@if test -f "$(LIVE_TARGET)/handover"; then \
		echo "The session is over: handing over to make build SOURCE=$(SOURCE) SESSION=$$(cat "$(LIVE_TARGET)/handover")"; \
		$(MAKE) build SESSION=$$(cat "$(LIVE_TARGET)/handover"); fi

.PHONY: record
record: $(INSTALLED) ## Record the live API into a snapshot: SEASON=2024 OUT=DIR [TELEMETRY=1] (resumable)
	@test -n "$(OUT)" || { echo "error: give OUT=DIR, the snapshot folder to write"; exit 2; }
	@test -n "$(SEASON)" || { echo "error: give SEASON=YYYY, the season to record"; exit 2; }
	@$(PY) -m openf1_replay.recorder --season $(SEASON) --out "$(OUT)" \
		$(if $(and $(filter 1 true yes,$(TELEMETRY)),$(filter-out file,$(origin TELEMETRY))),--telemetry)

.PHONY: docs
docs: $(INSTALLED) ## Generate and serve the dbt docs site offline on http://127.0.0.1:8080
	@$(LOCKED) $(MAKE) _docs-generate
	@$(DBT) docs serve $(DBT_ARGS) --host 127.0.0.1 --port $(or $(PORT),8080) --no-browser

.PHONY: _docs-generate
_docs-generate:
	@$(GUARD_WAREHOUSE)
	@$(DBT) docs generate $(DBT_ARGS) --quiet

# ---- checks -----------------------------------------------------------------------------------------------
TEST_WAREHOUSE := warehouse/test/sample.duckdb

.PHONY: test
test: $(INSTALLED) ## Every check: ruff, sqlfluff, dbt build on the sample, pytest, BI tools on its published copy, the sample on BigQuery (emulator)
	@started=$$(date +%s); \
	$(MAKE) lint; \
	$(MAKE) test-dbt; \
	$(MAKE) pytest; \
	$(MAKE) bi-check WAREHOUSE=$(TEST_WAREHOUSE); \
	$(MAKE) test-bigquery; \
	mkdir -p bench/results; \
	printf '{"seconds": %s, "finished_at": "%s", "commit": "%s"}\n' "$$(( $$(date +%s) - started ))" \
		"$$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$$(git rev-parse --short HEAD 2>/dev/null || echo ?)" > bench/results/make-test.json

.PHONY: test-fast
# The inner loop: no warehouse built, no snapshot loaded end to end (pyproject.toml's slow marker), the cases spread
# over the cores a file at a time (a module's fixtures stay in one worker); the ten slowest are named at the end.
test-fast: $(INSTALLED) $(SAMPLE_DIR)/.complete ## The inner loop (about 2 min): ruff and the pytest cases not marked slow, on every core
	@$(BIN)/ruff check .
	@$(PY) -m pytest -q -m "not slow" -n auto --dist loadfile --durations=10

.PHONY: lint
lint: $(INSTALLED) ## ruff (check + format) and sqlfluff (dbt templater)
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .
	@OPENF1_WAREHOUSE=:memory: $(BIN)/sqlfluff lint models tests/dbt macros analyses --processes 2 --disable-progress-bar 2>&1 | tail -n 25

.PHONY: test-dbt
test-dbt: $(INSTALLED) ## Load the sample into a scratch warehouse and dbt build it (models + data tests + unit tests)
	@$(MAKE) _locked/_test-dbt WAREHOUSE=$(TEST_WAREHOUSE) SOURCE=sample UNIT_TESTS=1

.PHONY: _test-dbt
_test-dbt:
	@rm -f $(WAREHOUSE) && mkdir -p $(dir $(WAREHOUSE))
	@$(MAKE) _load _transform _publish

# any step under the lock of the WAREHOUSE given to it: $(MAKE) _locked/<target> WAREHOUSE=...
_locked/%:
	@$(LOCKED) $(MAKE) $*

# BigQuery, the scale-out target, proven on a local emulator (bqemulator, in its own .venv-bqemulator).
BIGQUERY_TEST_DIR := warehouse/bigquery-test

.PHONY: test-bigquery
test-bigquery: $(INSTALLED) $(SAMPLE_DIR)/.complete ## The sample on a BigQuery emulator: dlt load, dbt build twice, SQL check, row counts = DuckDB's
	@$(PY) -m bigquery.e2e "$(SAMPLE_DIR)" --telemetry --workdir $(BIGQUERY_TEST_DIR)

.PHONY: bq-emulator
bq-emulator: $(INSTALLED) ## Serve a local BigQuery emulator until Ctrl-C; prints the variables pointing DESTINATION=bigquery at it
	@$(PY) -m bigquery.emulator

.PHONY: pytest
pytest: $(INSTALLED) ## pytest: replay server, simulator, loader, marts vs truth, reports
	@$(PY) -m pytest -q

# ---- BI tools ---------------------------------------------------------------------------------------------
# BI tools embed DuckDB 1.x: the check runs in its own .venv-bi (DuckDB 1.5 + duckdb-engine + SQLAlchemy 2.0.x,
# and DuckDB 1.4), made from bi/requirements*.lock on first use (about a minute) and whenever a lock changes.
.PHONY: bi-check
bi-check: $(INSTALLED) ## BI tools on the published copy: SQLAlchemy/duckdb-engine reflect every mart and feature column as the contracts say, analyst queries, DuckDB 1.4 reads it (WAREHOUSE picks the copy)
	@$(REQUIRE_PUBLISHED)
	@$(PY) -m bi "$(PUBLISHED)" --dbt-target "$(DBT_TARGET_PATH)"

# ---- superset ---------------------------------------------------------------------------------------------
# Apache Superset 6.1.0 in its own .venv-superset (superset_bi/requirements.lock: SQLAlchemy 1.4, pandas 2.1 and
# DuckDB 1.5.x, which .venv cannot hold), on the published copy, read-only, offline. Its working folder holds the
# SQLite metadata DB, the generated SECRET_KEY and admin password (never committed).
SUPERSET_DIR ?= warehouse/superset

.PHONY: superset
superset: $(INSTALLED) ## Apache Superset on the published copy, offline: installs it once (2-3 min), a season dashboard, SQL Lab; serves http://127.0.0.1:PORT (8088) with a printed login until Ctrl-C
	@$(REQUIRE_PUBLISHED)
	@$(PY) -m superset_bi serve --published "$(PUBLISHED)" --home "$(SUPERSET_DIR)" --port $(or $(PORT),8088)

.PHONY: test-superset
test-superset: $(INSTALLED) ## Superset end to end (installs .venv-superset once): REST login, SQL Lab, every chart's data = plain DuckDB SQL
	@OPENF1_SUPERSET_TEST=1 $(PY) -m pytest -q tests/superset_bi/test_superset.py

# ---- benchmark (not part of make test) ---------------------------------------------------------------------
.PHONY: bench
bench: $(INSTALLED) ## Benchmark snapshot -> marts, each figure beside its target: SEASONS=1..3 ROUNDS=24 [ALL_SESSIONS=1] [STAGES=simulate,limit,ingest,dbt,publish,reports,incremental,requests,feedback]
	@$(PY) -m bench --seasons $(or $(SEASONS),1) --rounds $(or $(ROUNDS),24) \
		$(if $(filter 1 true yes,$(ALL_SESSIONS)),--all-sessions) $(if $(STAGES),--stages $(STAGES))

.PHONY: clean
clean: ## Remove build outputs (keeps .venv and the sample)
	@rm -rf target logs $(REPORT_DIR) reports/site-* warehouse/*.duckdb warehouse/published warehouse/test warehouse/.dlt $(BIGQUERY_TEST_DIR)
