# Thin wrappers; the work is done by the `keystone` command and pytest.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: dev test install lint bench lock clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

dev: $(STAMP)
	$(VENV)/bin/keystone dev

test: $(STAMP)
	scripts/ensure-mariadb.sh
	$(PY) -m pytest -n 2 --dist loadgroup

lint: $(STAMP)
	$(VENV)/bin/ruff check keystone_api keystone_pipelines keystone_dev keystone_sim tests bench
	$(VENV)/bin/mypy keystone_api keystone_pipelines keystone_dev

lock: $(STAMP)
	$(PY) -m pip freeze --exclude-editable | grep -vi '^keystone' > constraints.txt

clean:
	rm -rf $(VENV) .keystone .pytest_cache
