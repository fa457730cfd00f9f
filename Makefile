# cmpkit: convenience targets around CMake. See README.md.
#   make demo    install missing packages, build, run scripts/demo.sh: a CA and
#                its client (KEEP=1 or DEMO_DIR=FOLDER keeps the files)
#   make test    install missing packages, ASan+UBSan build with clang
#                (unit tests, fuzz targets, benchmarks), a gcc -Werror build,
#                run ctest
#   make build   install missing packages, release build in build/
#   make deps    install missing Debian packages (scripts/install-deps.sh)
#   make install release build, then install it under PREFIX (default
#                /usr/local), staged under DESTDIR if set:
#                  make install PREFIX=/usr DESTDIR=/tmp/stage
#   make uninstall  remove what the last `make install` installed (give
#                the same DESTDIR)
#   make clean   remove the build directories

BUILD_DIR ?= build
TEST_DIR  ?= build-asan
GCC_DIR   ?= build-gcc
JOBS      ?= $(shell nproc 2>/dev/null || echo 2)
PREFIX    ?= /usr/local

.PHONY: all deps build test demo clean install uninstall

all: build

deps:
	bash scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD_DIR) -j$(JOBS)

# clang for the whole tree, so that the libFuzzer targets build alongside the
# sanitized library and tests.
test: deps
	cmake -S . -B $(TEST_DIR) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
	    -DCMPKIT_WERROR=ON -DCMPKIT_SANITIZE=ON -DCMPKIT_FUZZ=ON -DCMPKIT_BENCH=ON
	cmake --build $(TEST_DIR) -j$(JOBS)
	@echo "== gcc release build with -Werror (the warnings clang does not give)"
	cmake -S . -B $(GCC_DIR) -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=Release \
	    -DCMPKIT_WERROR=ON -DCMPKIT_FUZZ=OFF -DCMPKIT_BENCH=ON
	cmake --build $(GCC_DIR) -j$(JOBS)
	cd $(TEST_DIR) && \
	    ASAN_OPTIONS=detect_leaks=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    ctest --output-on-failure -j2

# cmake --install reads DESTDIR from the environment; make passes it there
# whether it is given on the command line or in the environment.
install: build
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD_DIR) --prefix "$(PREFIX)"

# CMake lists every file it installed in install_manifest.txt, without
# DESTDIR: give the same DESTDIR as to `make install`.
uninstall:
	@test -f $(BUILD_DIR)/install_manifest.txt || \
	    { echo "nothing to uninstall: no $(BUILD_DIR)/install_manifest.txt" >&2; exit 1; }
	sed 's|^|$(DESTDIR)|' $(BUILD_DIR)/install_manifest.txt | xargs -d '\n' rm -f --
	rm -f $(BUILD_DIR)/install_manifest.txt

# The build's output only if it fails; KEEP=1 or DEMO_DIR=FOLDER keeps the demo's files.
demo:
	@echo "building cmpkit in $(BUILD_DIR) (output only on failure)"
	@log=$$(mktemp) && if $(MAKE) --no-print-directory build >"$$log" 2>&1; then rm -f "$$log"; \
	    else cat "$$log"; rm -f "$$log"; exit 1; fi
	@KEEP="$(KEEP)" DEMO_DIR="$(DEMO_DIR)" bash scripts/demo.sh $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR) $(TEST_DIR) $(GCC_DIR)
