# flaskdeploy: one entry point for setup, tests, the local cloud and the demo.
# Needs root on a fresh Debian 12 machine (it installs and starts Docker).
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
APP_VENV := .cache/venv-sampleapp
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export ANSIBLE_FORCE_COLOR ?= true
export PY_COLORS ?= 1

ROLES := $(sort $(notdir $(patsubst %/molecule/default/molecule.yml,%,$(wildcard roles/*/molecule/default/molecule.yml))))
SCENARIOS := $(sort $(notdir $(patsubst %/molecule.yml,%,$(wildcard molecule/*/molecule.yml))))

.PHONY: help setup engine image lint test test-app test-repo cloud cloud-corpus drills bench molecule local-cloud local-cloud-destroy demo demo-destroy

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-22s %s\n", $$1, $$2}'

$(VENV)/.stamp: requirements-dev.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	ln -sf ../../bin/flaskdeploy $(VENV)/bin/flaskdeploy
	touch $@

setup: $(VENV)/.stamp ## Install the pinned controller tooling and the flaskdeploy command into .venv/

engine: ## Install and start the Docker engine when it is not running
	scripts/ensure-docker.sh

image: engine ## Build the cached systemd base image (no registry)
	scripts/build-base-image.sh

lint: setup ## ansible-lint (production profile), yamllint, role docs in sync
	yamllint --strict .
	ansible-lint
	scripts/role-docs.py --check

$(APP_VENV)/.stamp: examples/sampleapp/requirements.txt examples/sampleapp/requirements-test.txt
	python3 -m venv $(APP_VENV)
	$(APP_VENV)/bin/pip install --quiet -r examples/sampleapp/requirements-test.txt
	touch $@

test-app: $(APP_VENV)/.stamp ## The sample app's own tests, against a real PostgreSQL
	scripts/ensure-apt-packages.sh postgresql
	cd examples/sampleapp && $(CURDIR)/$(APP_VENV)/bin/python -m pytest -q

test-repo: setup image ## Repository tests: role docs, requirements, variables, inspection, EC2 and DigitalOcean
	python -m pytest -q --durations=10 tests --ignore=tests/cloud

# Two local clouds, run at once by `make test`: the whole site and the release
# drills on one (make cloud), the app corpus and the failure drills, which
# break and remove corpus apps, on the other (make cloud-corpus).
cloud: setup image ## The whole site and the release drills on a local cloud; table + reports/cloud.json
	CLOUD_NAME=cloud python -m pytest -q -s -p no:cacheprovider --durations=0 tests/cloud/test_site.py tests/cloud/test_contract.py tests/cloud/test_drills.py tests/cloud/test_cli.py

cloud-corpus: setup image ## The app corpus, then the failure drills, on a local cloud of its own; table + reports/corpus.json
	CLOUD_NAME=corpus python -m pytest -q -s -p no:cacheprovider --durations=0 tests/cloud/test_corpus.py tests/cloud/test_front_door.py tests/cloud/test_failures.py tests/cloud/test_data.py

drills: setup image ## The release drills alone (on the `cloud` cloud)
	CLOUD_NAME=cloud python -m pytest -q -s -p no:cacheprovider tests/cloud/test_drills.py

# The benchmark's 30 minutes count from `make bench`, setup and image included.
BENCH_START := $(shell date +%s)
bench: setup image ## Benchmarks on a local cloud of their own (about 20 min, at most 30); writes docs/benchmarks.md + .json
	@left=$$(( 1760 - $$(date +%s) + $(BENCH_START) )); \
	echo "make bench: $$left s left of 30 min"; \
	BENCH_BUDGET=$$(( left - 60 )) timeout --signal=INT --kill-after=30 $$left python bench/run.py

# make molecule ROLE=base | make molecule SCENARIO=default
molecule: setup image ## One role's (ROLE=) or top-level scenario's (SCENARIO=) full molecule test
ifdef ROLE
	cd roles/$(ROLE) && MOLECULE_HOST_PREFIX=$(ROLE)- MOLECULE_NETWORK=flaskdeploy-$(ROLE) molecule test
else ifdef SCENARIO
	MOLECULE_HOST_PREFIX=$(SCENARIO)- MOLECULE_NETWORK=flaskdeploy-$(SCENARIO) molecule test -s $(SCENARIO)
else
	@echo "usage: make molecule ROLE=<$(subst $() ,|,$(ROLES))> or SCENARIO=<$(subst $() ,|,$(SCENARIOS))>"; exit 2
endif

test: ## Everything: lint, app tests, repository tests, every molecule scenario
	scripts/run-tests.sh

local-cloud: setup ## Start the local cloud (containers standing in for droplets)
	ansible-playbook playbooks/provision-local.yml

# The local cloud's data is throwaway: no backup is asked for before teardown.
local-cloud-destroy: setup ## Remove the local cloud
	ansible-playbook playbooks/teardown-local.yml -e teardown_without_backup=true

DEMO_URL := http://127.0.0.1:8080/

demo: setup ## Local cloud + the whole site deployed on it; prints the app's URL
	ansible-playbook playbooks/provision-local.yml
	ansible-playbook site.yml -i inventories/local
	scripts/loadgen.py $(DEMO_URL)healthz --requests 4 --rate 4 --threads 1 >/dev/null || { echo "The app does not answer at $(DEMO_URL)" >&2; exit 1; }
	@printf '\n\033[1mThe sample app answers at %s\033[0m (through the load balancer lb1, served by web1 and web2)\n' "$(DEMO_URL)"

demo-destroy: setup ## Remove the demo (the local cloud and its fixtures)
	ansible-playbook playbooks/teardown-local.yml -e teardown_without_backup=true
