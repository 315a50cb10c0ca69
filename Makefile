# axon's front door. The real build is CMake; these targets install what
# they need (Debian packages), configure, build and run.
#
#   make demo    train the 784-256-128-10 MLP on Fashion-MNIST
#   make test    every test, in a release build and under ASan + UBSan
#   make bench   axon vs PyTorch: MLP and CNN epochs, inference, a busy machine, an LSTM step, batch-1 latency,
#                logging, data-parallel epochs over MPI (bench/README.md)
#   make fuzz    every reader's libFuzzer harness for FUZZ_SECONDS (600) each (fuzz/)
#   make install install the libraries, headers and axon.pc (PREFIX=/usr/local)
#   make catalog rewrite the op reference of docs/catalog.md from the op schemas

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 600
PREFIX     ?= /usr/local
JOBS       ?= $(shell nproc)

.PHONY: all deps-build deps-demo deps-test deps-bench build build-asan build-fuzz demo test test-release test-asan \
	test-fuzz fuzz bench install clean catalog

all: build

deps-build:
	@scripts/install-deps.sh build
deps-demo:
	@scripts/install-deps.sh demo
deps-test:
	@scripts/install-deps.sh test
deps-bench:
	@scripts/install-deps.sh bench

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=$(PREFIX)

build: deps-build $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

$(ASAN_BUILD)/CMakeCache.txt:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DAXON_SANITIZE=ON

build-asan: deps-build $(ASAN_BUILD)/CMakeCache.txt
	cmake --build $(ASAN_BUILD) -j $(JOBS)

# the demo alone: its packages (no test stack) and its one program
demo: deps-demo $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS) --target fashion_mnist
	./$(BUILD)/fashion_mnist

test-release: deps-test build
	cd $(BUILD) && ctest --output-on-failure

test-asan: deps-test build-asan
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=86 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=87 ctest --output-on-failure

# The readers' fuzzers (clang, libFuzzer, ASan + UBSan with float-cast-overflow):
# 30 s each and the kept reproducers in make test, FUZZ_SECONDS each in make fuzz.
$(FUZZ_BUILD)/CMakeCache.txt:
	cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DAXON_FUZZ=ON

build-fuzz: deps-test $(FUZZ_BUILD)/CMakeCache.txt
	cmake --build $(FUZZ_BUILD) -j $(JOBS)

test-fuzz: build-fuzz
	cd $(FUZZ_BUILD) && ctest --output-on-failure

fuzz: build-fuzz
	cd $(FUZZ_BUILD) && AXON_FUZZ_SECONDS=$(FUZZ_SECONDS) ctest --output-on-failure

test: test-release test-asan test-fuzz

bench: deps-bench build
	bench/run.sh $(BUILD)
	bench/run_cnn.sh $(BUILD)
	bench/contention.sh $(BUILD)
	$(BUILD)/bench_arena examples/specs/fashion_cnn.spec 256
	bench/lstm.sh $(BUILD)
	bench/latency.sh $(BUILD)
	$(BUILD)/bench_logging 1 5
	bench/dist.sh $(BUILD)

# the generated block of docs/catalog.md, from `axon ops --markdown`
catalog: build
	$(BUILD)/axon ops --markdown > $(BUILD)/ops.md
	python3 -c "import sys; d = open('docs/catalog.md').read(); b, e = '<!-- ops:begin -->\\n', '<!-- ops:end -->'; \
	  i, j = d.index(b) + len(b), d.index(e); open('docs/catalog.md', 'w').write(d[:i] + open(sys.argv[1]).read() + d[j:])" \
	  $(BUILD)/ops.md

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
