# The two set-up commands: `make demo` and `make test`. Both create .venv when missing and install pmhub into it,
# at the versions in constraints.txt (the lock: what the suite last passed with). `make lock` refreshes it.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
LOCK := constraints.txt
LOCK_VENV := .lock-venv

.PHONY: demo test lint lock bench bench-quick system clean

$(STAMP): pyproject.toml $(LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c $(LOCK) -e '.[test]'
	@touch $(STAMP)

# Resolve pyproject.toml afresh (the newest versions it allows) in a scratch venv and write them to the lock;
# then `make test`, and commit constraints.txt with the change that needed it.
lock:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install -q --upgrade pip
	$(LOCK_VENV)/bin/python -m pip install -q -e '.[test]'
	{ echo "# The versions make test and make demo install (pip install -c $(LOCK)); written by make lock."; \
	  $(LOCK_VENV)/bin/python -m pip freeze --exclude-editable; } > $(LOCK)
	rm -rf $(LOCK_VENV)

demo: $(STAMP)
	$(BIN)/pmhub demo

system:
	bash .ci/system-deps
	bash .ci/postgres

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy .

test: $(STAMP) system lint
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python -m bench

bench-quick: $(STAMP)
	$(BIN)/python -m bench --quick

clean:
	rm -rf $(VENV) $(LOCK_VENV) .pmhub .bench build *.egg-info
