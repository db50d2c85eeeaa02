# The two commands a newcomer needs: `make demo` and `make test`.
# Everything installs into .venv from PyPI/crates.io; system packages come from Debian.

VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install system-deps demo test lint typecheck cargo-test pytest bench clean

install: $(STAMP)

# fastecdsa (pulled in by py-libp2p) builds from source against GMP.
system-deps:
	@dpkg -s libgmp-dev >/dev/null 2>&1 || { \
	  echo "installing libgmp-dev (needed to build fastecdsa)"; \
	  apt-get update -qq && apt-get install -y -qq libgmp-dev >/dev/null; }

$(STAMP): pyproject.toml crypto/kernel/Cargo.toml $(wildcard crypto/kernel/src/*.rs) | system-deps
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

# The main job: a local network of node processes proves a job; its proof is verified.
demo: install
	$(VENV)/bin/novanode demo

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy crypto protocol node

cargo-test:
	cd crypto/kernel && cargo test --release --no-default-features -q

pytest: install
	$(PY) -m pytest -q -p no:cacheprovider

# The test command: everything a reviewer would run.
test: lint typecheck cargo-test pytest

bench: install
	for script in msm field poseidon folding witness_stats tree ipa spartan snark network; do \
	  $(PY) benchmarks/$$script.py --quick || exit 1; done

clean:
	rm -rf $(VENV) crypto/kernel/target crypto/_kernel*.so
