# Every target installs what it needs into .venv first, so a fresh machine with
# only Python 3.11 needs nothing but `make demo` or `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
DEMO_DIR     ?= .demo-clinic
DEMO_PATIENTS ?= 2000

.PHONY: pot po catalogues demo test test-medplum lint docs keys-doc keycard typecheck unit bench bench-bytes bench-encryption bench-sync bench-data crash faults clean install install-dev

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found; install Python 3.11 or run make PYTHON=/path/to/python3.11"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The message catalogues (docs/translating.md). pip's build runs hatch_build.py, which
# compiles each .po to its .mo, so an install after a .po changed recompiles them.
CATALOGUE_PO := $(wildcard src/clinic_tui/locale/*/LC_MESSAGES/clinic_tui.po)

$(VENV)/.installed: $(BIN)/python pyproject.toml hatch_build.py $(CATALOGUE_PO)
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(BIN)/python pyproject.toml hatch_build.py $(CATALOGUE_PO)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev catalogues

## Compile every catalogue (.po -> .mo beside it); the install and the tests do it first.
catalogues: $(VENV)/.installed-dev
	$(BIN)/python scripts/i18n_catalogue.py compile

## Extract every msgid (source, the command line as built, argparse's own words) into
## build/locale/clinic_tui.pot.
pot: $(VENV)/.installed-dev
	$(BIN)/python scripts/i18n_catalogue.py pot

## pot, then bring every .po in line with it (new msgids empty, unused ones dropped).
po: $(VENV)/.installed-dev
	$(BIN)/python scripts/i18n_catalogue.py update

## Install, create a demo township clinic (once) and open the app on it.
demo: $(VENV)/.installed
	@test -f $(DEMO_DIR)/clinic.sqlite3 || $(BIN)/clinic-tui demo-data --patients $(DEMO_PATIENTS) --seed 7 --data-dir $(DEMO_DIR)
	@echo "The county hospital's triage inbox (expert role), same cache: $(BIN)/clinic-tui --data-dir $(DEMO_DIR) --role expert"
	$(BIN)/clinic-tui --data-dir $(DEMO_DIR)

## Install everything and run the whole default suite: format, lint, types, layers, tests.
## Three workers on two cores: many tests wait on a real FHIR server, serve or the browser,
## so a third keeps both cores busy (6 min 36 s against 8 min 57 s with two, 2026-12-07).
test: $(VENV)/.installed-dev catalogues
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python scripts/fhir_server.py install
	$(BIN)/python scripts/browser.py install
	$(BIN)/pytest -n 3 -q

## The sync integration tests against a second FHIR server: Medplum's FHIR router (npm
## packages into .fhir-server/medplum, Node 22 included; needs npm). Tests that lean on
## sekmet-only behaviour skip with the reason; see "Servers known to work" in docs/admin/server.md.
MEDPLUM_TESTS ?= tests/integration/test_sync_engine.py tests/integration/test_changes_feed.py \
	tests/integration/test_download.py tests/integration/test_delete_conflicts.py \
	tests/integration/test_cli_commands.py tests/integration/test_sync_scope.py
## MEDPLUM=medplum-transactions: as a Medplum project with transaction-bundles on.
MEDPLUM ?= medplum
test-medplum: $(VENV)/.installed-dev
	$(BIN)/python scripts/medplum_server.py install
	CLINIC_TUI_FHIR_SERVER=$(MEDPLUM) $(BIN)/pytest -n auto -q -rs $(MEDPLUM_TESTS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

## The documentation site (mkdocs.yml) into site/, with --strict: a link to a missing page or
## anchor fails it. The home page and the keys pages are written from README.md and the code first.
docs: $(VENV)/.installed-dev
	$(BIN)/python scripts/docs_home.py
	$(BIN)/python scripts/keys_doc.py markdown
	$(BIN)/mkdocs build --strict

## The keys pages of the clinician guide (docs/clinician/keys-*.md), from the screens' bindings.
keys-doc: $(VENV)/.installed
	$(BIN)/python scripts/keys_doc.py markdown

## A one-page A4 key card per language to pin beside the screen: build/keycard/keycard-{en,zh}.pdf.
keycard: $(VENV)/.installed
	$(BIN)/python scripts/keys_doc.py keycard

## Benchmarks print figures beside a baseline measured in the same run. The first run
## generates a 100,000-patient demo cache under .bench/ (about a minute, 1.5 GB).
bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/startup.py
	$(BIN)/python benchmarks/search.py
	$(BIN)/python benchmarks/queue_ops.py
	$(BIN)/python benchmarks/chart_load.py
	$(BIN)/python benchmarks/demo_data.py
	$(BIN)/python benchmarks/merge.py
	$(BIN)/python benchmarks/upload.py
	$(BIN)/python benchmarks/terminology_search.py
	$(BIN)/python benchmarks/triage_inbox.py
	$(BIN)/python benchmarks/formulary_complete.py
	$(BIN)/python benchmarks/prescribing_checks.py
	$(BIN)/python benchmarks/form_open.py
	$(BIN)/python benchmarks/followup_list.py
	$(BIN)/python benchmarks/followup_indicators.py
	$(BIN)/python benchmarks/followup_indicators.py --share 0.3

## Bytes written per keystroke through a pty and through `serve`'s websocket, beside a bare
## DataTable app (a 2,000-patient demo cache under .bench/; a few minutes).
bench-bytes: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/bytes_per_keystroke.py

## Start-up and search on a plain and a SQLCipher-encrypted copy of the 100,000-patient cache
## (the copy takes about 4 minutes and 2 GB more under .bench/).
bench-encryption: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/encryption.py

## Sync over an emulated 1 Mbit/s, 100 ms RTT link through nginx gzip (installs nginx from
## Debian's packages if missing, fhirpy into .bench/fhirpy-venv); several minutes.
SYNC_PATIENTS ?= 5000
bench-sync: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/lowband.py --patients $(SYNC_PATIENTS)

## Crash harness: SIGKILL the sync (and the workstation) at seeded random moments, restart,
## check nothing is lost, duplicated or half-written; a few minutes.
CRASH_TRIALS ?= 50
CRASH_TUI_TRIALS ?= 5
CRASH_SEED ?= 1
crash: $(VENV)/.installed-dev
	$(BIN)/python scripts/fhir_server.py install
	$(BIN)/python -m tests.crash.harness --trials $(CRASH_TRIALS) --tui-trials $(CRASH_TUI_TRIALS) --seed $(CRASH_SEED)

## Network-fault harness, long version: the faulty-link sync test (resets, stalls, truncated
## bodies, latency spikes at 5 % and 20 %, half the uploads failing) over FAULT_RUNS seeds.
FAULT_RUNS ?= 20
faults: $(VENV)/.installed-dev
	$(BIN)/python scripts/fhir_server.py install
	FAULT_SEEDS=$$(seq -s, 1 $(FAULT_RUNS)) $(BIN)/pytest -q -n auto tests/integration/test_sync_faults.py

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache build dist site
