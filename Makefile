# QEMU for WebAssembly: the verbs a user says.  Each target is a few
# lines calling scripts/; they print what they do and fail with one line.
#
#   make run      build everything and boot the demo guest on this terminal
#   make check    build everything and run the tests
#   make build    toolchain, dependencies, QEMU (wasm32) and the guest
#   make native   the same QEMU tree built natively with gcc (reference)
#   make series   the port as an upstream-style patch series (git format-patch)
#   make site     the browser page, QEMU and the guests as a static site
#   make serve    serve that site on http://127.0.0.1:8080/ (PORT=, HOST=)

SHELL = /bin/sh
OUT ?= $(CURDIR)/build
PORT ?= 8080
HOST ?= 127.0.0.1

.PHONY: all run build toolchain deps qemu guest native site serve check series clean

all: build

toolchain:
	scripts/toolchain.sh setup

deps: toolchain
	scripts/deps.sh > /dev/null

qemu: deps
	scripts/qemu.sh wasm

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

check: build native site
	scripts/web.sh chromium
	tests/run.sh

series:
	scripts/series.sh format $(OUT)/series

clean:
	rm -rf $(OUT)
