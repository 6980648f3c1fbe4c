# The two commands of the README: `make run` starts the app, `make test` runs every test.
# Both set up what they need first: Debian packages (scripts/setup-system.sh) and a
# virtualenv in .venv with the locked Python dependencies.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SETUP_STAMP := $(VENV)/.setup-$(shell cat pyproject.toml requirements.lock scripts/setup-system.sh | sha1sum | cut -c1-12)

.PHONY: run test setup lint typecheck sanitizers unit clean

run: setup
	$(BIN)/jitskit tui specs/demo.yaml

test: setup lint typecheck sanitizers unit

setup: $(SETUP_STAMP)

$(SETUP_STAMP):
	bash scripts/setup-system.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade 'pip>=24'
	$(BIN)/python -m pip install -q -c requirements.lock -e '.[dev,claude]'
	rm -f $(VENV)/.setup-*
	touch $@

lint: setup
	$(BIN)/ruff check jitskit_tui tests benchmarks
	$(BIN)/lint-imports

typecheck: setup
	$(BIN)/mypy

# The harness's own tests and the reference store's gates under ASan+UBSan and TSan.
sanitizers: setup
	bash scripts/harness-sanitizers.sh

# The Docker and Slurm tests run against a real daemon and a real one-node cluster: start
# them when they are not running. Two pytest workers (tests/conftest.py says how tests are
# grouped on them). A cluster that cannot be installed here (exit 2) is
# reported by the Slurm tests, which skip saying why.
unit: setup
	bash scripts/start-dockerd.sh
	bash scripts/start-slurm.sh || test $$? -eq 2
	$(BIN)/python -m pytest --numprocesses 2 --dist loadgroup

clean:
	rm -rf $(VENV) build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache
