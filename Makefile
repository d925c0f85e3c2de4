# Two commands: `make reproduce` (the claims profile, from its committed runs, on a CPU) and `make test`.
# PROFILE=smoke is the from-scratch pipeline check, tiny what CI runs.
# Each creates .venv on first use, installs the pinned requirements, then runs.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PROFILE ?= claims
# RECOMPUTE=none reuses cached and committed runs; online retrains every run that starts from an offline run; all
RECOMPUTE ?= none
STAMP := $(VENV)/.installed

.PHONY: install test test-slow reproduce bench clean

install: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	$(PY) -m ipykernel install --sys-prefix --name acalib --display-name "acalib (.venv)" >/dev/null
	touch $(STAMP)

# the optional Ray executor (pip install acalib[ray]): `make test` checks it, `make reproduce` does not need it
RAY_STAMP := $(VENV)/.installed-ray
$(RAY_STAMP): $(STAMP) requirements-ray.txt
	$(PY) -m pip install --quiet -r requirements-ray.txt
	touch $(RAY_STAMP)

test: $(STAMP) $(RAY_STAMP)
	.ci/ensure-chromium
	$(PY) -m pytest -q

test-slow: $(STAMP)
	$(PY) -m pytest -q -m slow

reproduce: $(STAMP)
	$(VENV)/bin/acalib reproduce --profile $(PROFILE) --recompute $(RECOMPUTE)

bench: $(STAMP)
	$(VENV)/bin/acalib bench

clean:
	rm -rf $(VENV) reports .pytest_cache
