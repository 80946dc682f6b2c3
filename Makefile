# The README's two commands: `make demo` and `make test`. Both create or reuse .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv demo test lint unit e2e bench wheel clean

$(STAMP): setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	# Keep the tools, not the package: az appends its extension folder to sys.path, so an importable
	# azext_azurelinux in .venv would shadow the wheel that the tests and the demo install, as users do.
	$(BIN)/python -m pip uninstall --quiet --yes azurelinux
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/python demo/run.py

test: $(STAMP) lint
	$(BIN)/python -m pytest -n auto tests

# pylint and flake8 as the azure-cli-extensions repository runs them on an extension (pylintrc, .flake8)
lint: $(STAMP)
	$(BIN)/python -m pylint --rcfile=pylintrc azext_azurelinux
	$(BIN)/python -m flake8 azext_azurelinux

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

e2e: $(STAMP)
	$(BIN)/python -m pytest -n auto tests/e2e

bench: $(STAMP)
	$(BIN)/python bench/run.py

wheel: $(STAMP)
	$(BIN)/python -m build --wheel --no-isolation --outdir dist .

clean:
	rm -rf build dist *.egg-info .pytest_cache .demo .bench
