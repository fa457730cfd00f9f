# cmpkit: convenience targets around CMake. See README.md.
#   make demo    install missing packages, release build, run scripts/demo.sh
#   make test    install missing packages, ASan+UBSan build with clang
#                (unit tests, fuzz targets, benchmarks), a gcc -Werror build,
#                run ctest
#   make build   install missing packages, release build in build/
#   make deps    install missing Debian packages (scripts/install-deps.sh)
#   make clean   remove the build directories

BUILD_DIR ?= build
TEST_DIR  ?= build-asan
GCC_DIR   ?= build-gcc
JOBS      ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all deps build test demo clean

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

demo: build
	bash scripts/demo.sh $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR) $(TEST_DIR) $(GCC_DIR)
