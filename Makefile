# Every target calls `python -m grading <verb>`; the first call builds .venv.
# Override the torch build with e.g. `make check phase=0 TORCH='torch==2.5.1'`.
PYTHON ?= python3
TORCH ?= torch==2.13.0
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

ARGS = $(if $(phase),--phase $(phase)) $(if $(ex),--exercise $(ex)) $(if $(impl),--impl $(impl)) $(if $(seed),--seed $(seed))

.PHONY: setup check grade hint compare stubs reset doctor test capstone capstone-grade bench prepare notebooks

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "setting up $(VENV) (first run only; torch spec: $(TORCH))"
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q "$(TORCH)"
	@$(PY) -m pip install -q -e ".[test]"
	@touch $(STAMP)

check: $(STAMP)
	@$(PY) -m grading check $(ARGS) $(if $(extra),--extra-checks $(extra))

grade: $(STAMP)
	@$(PY) -m grading grade $(if $(impl),--impl $(impl)) $(if $(extra),--extra-checks $(extra))

hint: $(STAMP)
	@$(PY) -m grading hint $(ex) $(if $(level),--level $(level))

compare: $(STAMP)
	@$(PY) -m grading compare $(ex) $(if $(impl),--impl $(impl)) $(if $(seed),--seed $(seed))

stubs: $(STAMP)
	@$(PY) -m grading stubs $(if $(CHECK),--check)

reset: $(STAMP)
	@$(PY) -m grading reset $(ex)

notebooks: $(STAMP)
	@$(PY) -m grading notebooks

doctor: $(STAMP)
	@$(PY) -m grading doctor

test: $(STAMP)
	@$(PY) -m pytest tests -q

capstone: $(STAMP)
	@$(PY) -m grading capstone $(if $(resume),--resume $(resume)) $(if $(tier),--tier $(tier)) $(if $(impl),--impl $(impl)) $(if $(device),--device $(device))

capstone-grade: $(STAMP)
	@$(PY) -m grading capstone-grade $(if $(run),--run $(run))

bench: $(STAMP)
	@$(PY) -m grading bench $(if $(impl),--impl $(impl)) $(if $(device),--device $(device))

prepare: $(STAMP)
	@$(PY) -m data.prepare $(if $(source),$(source),shakespeare)
