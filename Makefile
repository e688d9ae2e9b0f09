# Every target sets up what it needs: `.venv` with the project installed, idempotently.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
# llama.cpp built for AVX2, not -march=native: on CPUs with AMX (Sapphire Rapids and later)
# a native build routes Q4 matmuls through ggml's AMX backend, which segfaults in decode
# (ggml-org/llama.cpp#20824). Built from source, uncached, so a native wheel in pip's cache
# is never reused.
LLAMA_VERSION    := 0.3.36
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON

.PHONY: demo test lint bench clean install

install: $(STAMP)

$(BIN)/python:
	$(PY) -m venv $(VENV)

# torch first, pinned: 2.13.0 is the CPU build on this machine's disk; anything looser
# makes sentence-transformers pull a multi-GB CUDA build.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check torch==2.13.0
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip install --quiet --disable-pip-version-check \
		--no-cache-dir --no-binary llama-cpp-python 'llama-cpp-python[server]==$(LLAMA_VERSION)'
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/verify demo

# The usage report's screenshot test renders HTML in headless Chromium (Debian package).
test: $(STAMP)
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends chromium >/dev/null)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/retrieval_bench.py
	$(BIN)/python benchmarks/usage_bench.py

clean:
	rm -rf $(VENV) .verify reports/out
