# hoso: `make run` sets everything up and starts the service; `make test` sets up and tests.
# Both are idempotent and quick once done. Run as root on Debian 12 (or with sudo available).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_PACKAGES := tesseract-ocr tesseract-ocr-vie tesseract-ocr-osd poppler-utils \
	fonts-liberation2 fonts-noto-core fonts-dejavu-core python3-venv ca-certificates
# OCRmyPDF (the benchmark's reference) needs these too; Chromium runs the browser tests.
TEST_PACKAGES := ghostscript qpdf unpaper pngquant softhsm2 chromium

.PHONY: setup system venv models db run test lint bench bench-accuracy bench-extraction bench-linking bench-search bench-web clean help
.DEFAULT_GOAL := help

help:
	@echo "make run    set up everything, then serve the web UI on :8000 and watch inbox/ (Ctrl-C stops; work resumes on restart)"
	@echo "make test   set up everything, then run the tests"
	@echo "make lint   ruff and mypy"
	@echo "make bench  speed, memory and accuracy against OCRmyPDF"
	@echo "make bench-accuracy    hoso, OCRmyPDF and Tesseract on three corpora: own, independent, real (REAL=dir)"
	@echo "make bench-extraction  field extraction accuracy on scanned case files of every kind"
	@echo "make bench-linking  linking documents among 100,000 cases with near-misses"
	@echo "make bench-search   search over 100,000 generated documents: latency, recall"
	@echo "make bench-web      how fast each web page answers, with 2,000 documents"

system:
	@scripts/apt-install.sh $(RUN_PACKAGES)
	@command -v npm >/dev/null || scripts/apt-install.sh npm

$(BIN)/.installed: requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e .
	@touch $@

venv: system $(BIN)/.installed

models: venv
	@scripts/fetch-models.sh ocr_models

db: venv
	@$(BIN)/hoso db upgrade

setup: system venv models db
	@mkdir -p inbox archive var

run: setup
	@$(BIN)/hoso keys init >/dev/null  # a development key, so the demo signs (kept if present)
	exec $(BIN)/hoso serve

test: setup lint
	@scripts/apt-install.sh $(TEST_PACKAGES)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check pipeline tests benchmarks
	$(BIN)/ruff format --check pipeline tests benchmarks
	$(BIN)/mypy pipeline

bench: setup
	@scripts/apt-install.sh $(TEST_PACKAGES)
	$(BIN)/python -m benchmarks.speed $(BENCH_ARGS)

# REAL=<folder of transcribed real scans> adds the third corpus (kept outside the repository).
bench-accuracy: setup
	@scripts/apt-install.sh $(TEST_PACKAGES)
	$(BIN)/python -m benchmarks.accuracy $(if $(REAL),--real $(REAL)) $(BENCH_ARGS)

bench-extraction: setup
	$(BIN)/python -m benchmarks.extraction $(BENCH_ARGS)

bench-linking: setup
	$(BIN)/python -m benchmarks.linking $(BENCH_ARGS)

bench-search: setup
	$(BIN)/python -m benchmarks.search $(BENCH_ARGS)

bench-web: setup
	$(BIN)/python -m benchmarks.web $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
