# Every target calls `python -m grading <verb>`; the first call builds .venv.
# Override the torch build on the first call (it is remembered), e.g. `make check phase=0 TORCH='torch==2.5.1'`;
# on Linux without a GPU, PyTorch's CPU wheels: `make check phase=0 TORCH_INDEX=https://download.pytorch.org/whl/cpu`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TORCH_SAVED := $(VENV)/.torch
SAVED := $(shell cat $(TORCH_SAVED) 2>/dev/null)
TORCH ?= $(or $(word 1,$(SAVED)),torch==2.13.0)
TORCH_INDEX ?= $(word 2,$(SAVED))

ARGS = $(if $(phase),--phase $(phase)) $(if $(ex),--exercise $(ex)) $(if $(impl),--impl $(impl)) $(if $(seed),--seed $(seed)) $(if $(verbose),--verbose)

.PHONY: setup check grade hint compare stubs reset doctor test capstone capstone-grade bench prepare notebooks \
	progress next watch blog release FORCE

setup: $(STAMP)

# Rewritten only when the torch spec (or its index) changes, so the stamp below is out of date exactly then.
$(TORCH_SAVED): FORCE
	@mkdir -p $(VENV)
	@echo '$(TORCH) $(TORCH_INDEX)' | cmp -s - $@ || echo '$(TORCH) $(TORCH_INDEX)' > $@

$(STAMP): pyproject.toml $(TORCH_SAVED)
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10) and "Python 3.10 or newer is needed; $(PYTHON) is " + sys.version.split()[0] + ": choose one with make PYTHON=python3.12 ...")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "setting up $(VENV) (first run only; torch spec: $(TORCH)$(if $(TORCH_INDEX), from $(TORCH_INDEX)))"
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)) "$(TORCH)"
	@$(PY) -m pip install -q -e ".[checks]"
	@touch $(STAMP)

# Extras, installed the first time a target needs them.
$(VENV)/.hf-data: $(STAMP)
	@$(PY) -m pip install -q -e ".[checks,hf-data]" && touch $@
$(VENV)/.notebooks: $(STAMP)
	@$(PY) -m pip install -q -e ".[checks,notebooks]" && touch $@

check: $(STAMP)
	@$(PY) -m grading check $(ARGS) $(if $(extra),--extra-checks $(extra)) $(if $(notebook),--notebook $(notebook)) $(if $(pytest),-- $(pytest))

grade: $(STAMP)
	@$(PY) -m grading grade $(if $(impl),--impl $(impl)) $(if $(extra),--extra-checks $(extra)) $(if $(out),--out $(out))

progress: $(STAMP)
	@$(PY) -m grading progress $(if $(impl),--impl $(impl))

next: $(STAMP)
	@$(PY) -m grading next $(if $(impl),--impl $(impl))

watch: $(STAMP)
	@$(PY) -m grading watch $(if $(phase),--phase $(phase)) $(if $(impl),--impl $(impl))

hint: $(STAMP)
	@$(PY) -m grading hint $(ex) $(if $(level),--level $(level)) $(if $(fn),--function $(fn))

compare: $(STAMP)
	@$(PY) -m grading compare $(ex) $(if $(impl),--impl $(impl)) $(if $(seed),--seed $(seed))

stubs: $(STAMP)
	@$(PY) -m grading stubs $(if $(CHECK),--check)

reset: $(STAMP)
	@$(PY) -m grading reset $(ex)

notebooks: $(VENV)/.notebooks
	@$(PY) -m ipykernel install --user --name transformers-from-scratch --display-name "Transformers From Scratch (.venv)" >/dev/null
	@$(PY) -m grading notebooks
	@echo "open them with the kernel 'Transformers From Scratch (.venv)'; then: make check phase=N notebook=build/notebooks/<file>"

doctor: $(STAMP)
	@$(PY) -m grading doctor

test: $(VENV)/.hf-data $(VENV)/.notebooks
	@$(PY) -m pytest tests -q -o cache_dir=.test-build/.pytest_cache

capstone: $(STAMP)
	@$(PY) -m grading capstone $(if $(resume),--resume $(resume)) $(if $(tier),--tier $(tier)) $(if $(impl),--impl $(impl)) $(if $(device),--device $(device)) $(if $(variant),--variant $(variant)) $(if $(optimizer),--optimizer $(optimizer)) $(if $(nproc),--nproc $(nproc))

capstone-grade: $(STAMP)
	@$(PY) -m grading capstone-grade $(if $(run),--run $(run))

bench: $(STAMP)
	@$(PY) -m grading bench $(if $(impl),--impl $(impl)) $(if $(device),--device $(device))

blog: $(STAMP)
	@$(PY) -m grading blog $(if $(impl),--impl $(impl)) $(if $(run),--run $(run)) $(if $(posts),--posts $(posts))

prepare: $(if $(filter hf:%,$(source)),$(VENV)/.hf-data,$(STAMP))
	@$(PY) -m data.prepare $(if $(source),$(source),shakespeare)

# A learner's copy for a class (no solutions/; local checks replay the reference's recorded answers).
release: $(STAMP)
	@$(PY) -m grading release $(out) $(if $(phase),--phase $(phase))
