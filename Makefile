# The short front of the CMake build. See README.md for what each target does.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
LINT_BUILD ?= build-lint
LINT_JOBS  ?= 2
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE      ?= cmake
PREFIX     ?= /usr/local
DESTDIR    ?=

.PHONY: all help build demo deps test lint bench fuzz packetdrill install format clean

all: build

help:
	@echo "make build        RelWithDebInfo build in $(BUILD)"
	@echo "make demo         the in-process demo"
	@echo "make deps         the Debian packages of the tests and tools (as root)"
	@echo "make test         ASan+UBSan build, every test through ctest (lint_quick included)"
	@echo "make lint         cppcheck, clang-tidy, scan-build, gcc+clang release builds; zero findings"
	@echo "make bench        the benchmarks (link-time optimised build in $(BUILD))"
	@echo "make fuzz         the libFuzzer targets for FUZZ_SECONDS each"
	@echo "make packetdrill  tests/packetdrill/*.pkt with PACKETDRILL=/path/to/packetdrill"
	@echo "make install      a release build installed under PREFIX"
	@echo "make format       clang-format -i over the tree"
	@echo "make clean        remove the build directories"

build:
	@$(CMAKE) -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@$(CMAKE) --build $(BUILD) -j $(JOBS)

# The in-process demo: two stacks over the simulated link, no root, no network. The build's
# own output goes to $(BUILD)/build.log (shown only if the build fails), so that the ladder
# is what the reader sees.
demo:
	@echo "building synack (log: $(BUILD)/build.log) ..."
	@mkdir -p $(BUILD)
	@{ $(CMAKE) -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo && \
	   $(CMAKE) --build $(BUILD) -j $(JOBS); } >$(BUILD)/build.log 2>&1 || \
	   { cat $(BUILD)/build.log; exit 1; }
	@./$(BUILD)/synack demo

# Debian packages the tests and tools use; installed only when run as root.
deps:
	@sh scripts/deps.sh

# Sanitizer build, every test through ctest; root-only tests are skipped when not root.
test: deps
	@$(CMAKE) -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DSYNACK_SANITIZE=ON >/dev/null
	@$(CMAKE) --build $(ASAN_BUILD) -j $(JOBS)
	@cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS)

# Static analysis, zero findings: cppcheck, clang-tidy (.clang-tidy) and scan-build, over the
# compile_commands.json of $(LINT_BUILD) (scan-build: a fresh $(LINT_BUILD)-scan). make test
# runs the quick part (cppcheck over src/, tests/scripts/lint_quick.sh).
lint: deps
	@JOBS=$(LINT_JOBS) bash scripts/lint.sh $(LINT_BUILD)

# The benchmarks time the stack as it is meant to run: link-time optimised (SYNACK_LTO, off in a
# plain `make` for the time of a first build; the setting stays in $(BUILD)'s cache).
bench:
	@$(CMAKE) -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSYNACK_LTO=ON >/dev/null
	@$(CMAKE) --build $(BUILD) -j $(JOBS)
	@bash scripts/bench.sh $(BUILD)

# clang, the library instrumented for coverage (-fsanitize=fuzzer-no-link) and ASan+UBSan;
# each fuzz/*.c target runs FUZZ_SECONDS (600) from its seed corpus fuzz/corpus/<target>/.
fuzz:
	@CC=clang $(CMAKE) -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug -DSYNACK_FUZZ=ON -DSYNACK_SANITIZE=ON >/dev/null
	@$(CMAKE) --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz-targets
	@sh scripts/fuzz.sh $(FUZZ_BUILD)

# Runs tests/packetdrill/*.pkt when PACKETDRILL=/path/to/packetdrill is given.
packetdrill: build
	@sh scripts/packetdrill.sh $(BUILD) "$(PACKETDRILL)"

# A release build in $(BUILD) (without LTO, which make bench may have left in its cache: an
# installed libsynack.a holds machine code only), installed under $(PREFIX) (staged under $(DESTDIR) if given):
# libsynack and libsynack-trace (static and shared), include/synack/*.h, pkg-config files,
# the CMake package (find_package(synack)), bin/synack and its man page.
install:
	@$(CMAKE) -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DSYNACK_SANITIZE=OFF -DSYNACK_LTO=OFF \
		-DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	@$(CMAKE) --build $(BUILD) -j $(JOBS)
	@DESTDIR="$(DESTDIR)" $(CMAKE) --install $(BUILD)

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(LINT_BUILD) $(LINT_BUILD)-scan
