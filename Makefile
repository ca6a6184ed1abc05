# QEMU for WebAssembly: the verbs a user says.  Each target is a few
# lines calling scripts/; they print what they do and fail with one line.
#
#   make run      build everything and boot the demo guest on this terminal
#   make check    build everything and run the tests
#   make build    toolchain, dependencies, QEMU (wasm32) and the guest
#   make native   the same QEMU tree built natively with gcc (reference)
#   make qemu-profiling  the wasm32 build linked with its functions' names,
#                 for profiles (build/qemu-profiling/)
#   make tcg-tests  QEMU's own x86_64 TCG tests, built with the host's gcc
#   make series   the port as an upstream-style patch series (git format-patch)
#   make site     the browser page, QEMU and the guests as a static site
#   make serve    serve that site on http://127.0.0.1:8080/ (PORT=, HOST=)
#   make bench    time guest workloads on the wasm32 build, native QEMU and
#                 v86 (a report in build/bench/, not a test)

SHELL = /bin/sh
OUT ?= $(CURDIR)/build
PORT ?= 8080
HOST ?= 127.0.0.1

.PHONY: all run build toolchain deps qemu qemu-profiling guest native tcg-tests site serve check series bench clean

all: build

toolchain:
	scripts/toolchain.sh setup

deps: toolchain
	scripts/deps.sh > /dev/null

qemu: deps
	scripts/qemu.sh wasm

qemu-profiling: deps
	scripts/qemu.sh profiling

guest:
	scripts/guest.sh amd64

build: qemu guest

native: toolchain
	scripts/qemu.sh native

run: build
	scripts/run-demo.sh

site: build
	scripts/web.sh site

serve: site
	scripts/web.sh serve --host $(HOST) --port $(PORT)

tcg-tests:
	scripts/tcg-tests.sh

check: build native site tcg-tests
	scripts/web.sh chromium
	tests/run.sh

series:
	scripts/series.sh format $(OUT)/series

# BENCH_QUICK=1, BENCH=..., BENCH_CONFIGS=..., BENCH_ARCH=... on the
# command line reach bench/run.mjs through the environment.
bench: build native
	bench/setup.sh
	node bench/run.mjs

clean:
	rm -rf $(OUT)
