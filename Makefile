# Every target bootstraps what it needs: system packages (as root), then .venv.
VENV  := .venv
BIN   := $(VENV)/bin
STAMP := $(VENV)/.bootstrapped

.PHONY: demo test bench lint

$(STAMP): pyproject.toml scripts/bootstrap.sh
	./scripts/bootstrap.sh
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/voelgoed demo --data .demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

bench: $(STAMP)
	@mkdir -p bench/out
	@set -e; for b in $$(ls bench/*.py | grep -v __init__); do \
	  name=$$(basename $$b .py); echo "== $$b" >&2; \
	  $(BIN)/python -m bench.$$name | tee bench/out/$$name.json; \
	done
