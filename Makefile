# fediguard: build, run and test the nginx module.
#
#   make run     set up, build, start nginx with the demo config on 127.0.0.1:$(PORT)
#   make test    set up, build, run unit and integration tests
#   make check   rustfmt, clippy, and the layout of both crates (tools/check-layout.py,
#                read from the source: no import circle, glue below the capabilities,
#                unsafe code only in src/glue/ and the core's shm* modules)
#   make build   objs/ngx_http_fediguard_module.so and the nginx it was built for, objs/nginx
#   make bench   benchmarks against plain nginx and nginx's own modules, and the
#                link-preview stampede simulator (BENCHMARKS.md);
#                BENCH_ARGS=--stampede-only runs only the stampede
#
# Build against another nginx source tree (instead of the vendored 1.28.3):
#   make build NGINX_SOURCE_DIR=/path/to/nginx NGINX_BUILD_DIR=/path/to/nginx/objs
#
# Debian's own nginx (1.22.1 on Debian 12), from the nginx-dev package:
#   make build-debian   objs-debian/ngx_http_fediguard_module.so for /usr/sbin/nginx
#   make test-debian    the integration tests against /usr/sbin/nginx and that module
#   make deb            objs-debian/libnginx-mod-http-fediguard_<version>+deb12_<arch>.deb
#   make check-deb      installs, tries and purges that package (tests/deb/check.sh)
# Another Debian release's nginx, e.g. Debian 13's 1.26.3 on a Debian 12
# machine: the same targets with DIST=trixie work in a Debian 13 tree,
# tmp/debian-trixie/, made with debootstrap and kept (tools/debian-root.sh):
# the module is built in it with this machine's Rust toolchain, the tests run
# its /usr/sbin/nginx, the package (objs-debian-trixie/) is installed into it.

CARGO ?= cargo
PORT ?= 8080
OBJS := objs
RUN_DIR := $(CURDIR)/tmp/run
MODULE := $(OBJS)/ngx_http_fediguard_module.so

ifneq ($(NGINX_BUILD_DIR),)
CARGO_FEATURES := --no-default-features
export NGINX_SOURCE_DIR NGINX_BUILD_DIR
endif

# Debian's nginx: nginx-dev's tree (headers, configure, conf_flags) copied
# and configured with Debian's flags, built in a target directory of its own
# so that the vendored and the Debian builds do not rebuild each other.
# DIST: the machine's own release by default (its apt's nginx); another
# release works in a debootstrap tree, IN_DEBIAN running each step there.
HOST_DIST := $(shell . /etc/os-release 2>/dev/null && echo $$VERSION_CODENAME)
DIST ?= $(HOST_DIST)
ifeq ($(DIST),$(HOST_DIST))
IN_DEBIAN :=
DEBIAN_NGINX := /usr/sbin/nginx
DEBIAN_TREE := $(CURDIR)/tmp/debian-nginx
DEBIAN_OBJS := objs-debian
DEBIAN_TARGET_DIR := $(CURDIR)/target/debian-nginx
else
DEBIAN_ROOT := $(CURDIR)/tmp/debian-$(DIST)
IN_DEBIAN := tools/debian-root.sh run $(DEBIAN_ROOT)
# The tree's nginx run from outside it (its own loader and libraries), so
# that the tests start it as any other nginx.
DEBIAN_NGINX := $(DEBIAN_ROOT).nginx
DEBIAN_TREE := $(CURDIR)/tmp/debian-$(DIST)-nginx
DEBIAN_OBJS := objs-debian-$(DIST)
DEBIAN_TARGET_DIR := $(CURDIR)/target/debian-$(DIST)
endif
DEBIAN_MODULE := $(DEBIAN_OBJS)/ngx_http_fediguard_module.so
# The package's changelog: the last commit's date and hash (git runs here,
# not in a tree, which does not see the repository's .git).
DEB_DATE = $(shell git log -1 --format=%cD 2>/dev/null || date -R)
DEB_REV = $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

.PHONY: all deps deps-test deps-bench deps-debian build build-debian run test test-debian \
	unit bench check fmt clean deb check-deb

all: build

# System packages: `deps` for building, `deps-test` adds what tests start.
deps:
	@tools/install-deps.sh build

deps-test:
	@tools/install-deps.sh test

deps-bench:
	@tools/install-deps.sh bench

deps-debian:
ifeq ($(IN_DEBIAN),)
	@tools/install-deps.sh debian
else
	@tools/debian-root.sh ensure $(DIST) $(DEBIAN_ROOT)
endif

build: deps
	$(CARGO) build --release -p fediguard $(CARGO_FEATURES) $(CARGO_BUILD_FLAGS)
	@mkdir -p $(OBJS)
	cp target/release/libfediguard.so $(MODULE)
	@nginx_dir=$$(cat target/release/nginx-build-dir 2>/dev/null); \
	if [ -x "$$nginx_dir/nginx" ]; then cp "$$nginx_dir/nginx" $(OBJS)/nginx; \
	echo "built $(MODULE) for $$($(OBJS)/nginx -v 2>&1 | sed 's/.*: //')"; \
	else rm -f $(OBJS)/nginx; \
	echo "built $(MODULE) (no nginx binary in '$$nginx_dir': an unbuilt tree)"; fi

build-debian: deps-debian
	@$(IN_DEBIAN) tools/debian-nginx-tree.sh $(DEBIAN_TREE)
	$(IN_DEBIAN) env CARGO_TARGET_DIR=$(DEBIAN_TARGET_DIR) NGINX_SOURCE_DIR=$(DEBIAN_TREE) \
		NGINX_BUILD_DIR=$(DEBIAN_TREE)/objs \
		$(CARGO) build --release -p fediguard --no-default-features
	@mkdir -p $(DEBIAN_OBJS)
	cp $(DEBIAN_TARGET_DIR)/release/libfediguard.so $(DEBIAN_MODULE)
	@echo "built $(DEBIAN_MODULE) for $$($(DEBIAN_NGINX) -v 2>&1 | sed 's/.*: //')"

run: build
	@mkdir -p $(RUN_DIR)/logs $(RUN_DIR)/modules
	@ln -sf $(CURDIR)/$(MODULE) $(RUN_DIR)/modules/
	@sed -e 's/127\.0\.0\.1:8080/127.0.0.1:$(PORT)/' nginx-conf/demo.conf > $(RUN_DIR)/demo.conf
	@$(OBJS)/nginx -t -q -p $(RUN_DIR)/ -c $(RUN_DIR)/demo.conf -e $(RUN_DIR)/logs/error.log
	@echo
	@echo "fediguard demo on http://127.0.0.1:$(PORT)/ (Ctrl-C stops it). Try:"
	@echo "  curl -i -A 'Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0' 127.0.0.1:$(PORT)/"
	@echo "  curl -i -A 'GPTBot/1.1' 127.0.0.1:$(PORT)/"
	@echo "  curl -i -A 'Mastodon/4.4.1 (http.rb/5.3.1; +https://example.social/)' 127.0.0.1:$(PORT)/"
	@echo "  curl -i -A 'Python/3.6 aiohttp/3.6.2' 127.0.0.1:$(PORT)/"
	@echo "  curl -i -A 'Python/3.6 aiohttp/3.6.2' 127.0.0.1:$(PORT)/dry-run/"
	@echo "  curl -i -H 'Authorization: Bearer demo-app-token' 127.0.0.1:$(PORT)/api/v1/timelines/public"
	@echo "  curl -i '127.0.0.1:$(PORT)/api/v1/timelines/public?access_token=demo-user-token'"
	@echo "  curl 127.0.0.1:$(PORT)/fediguard/metrics"
	@echo "Decisions are printed below (error_log), requests with their class (access_log)."
	@echo
	exec $(OBJS)/nginx -p $(RUN_DIR)/ -c $(RUN_DIR)/demo.conf -e stderr -g 'daemon off;'

# The agent corpora (crawler-user-agents, fake-useragent) come from PyPI,
# pinned, into tmp/corpora/; the core's corpus test reads them.
# tools/rebuild-check.sh: a second `make build` compiles nothing.
test: deps-test build
	tools/rebuild-check.sh
	eval "$$(tools/agent-corpora.sh --env)" && $(CARGO) test -p fediguard-core
	$(CARGO) test -p fediguard-tests -- --test-threads=4

# The integration tests against Debian's nginx binary and the module built
# for it (the unit tests need no nginx: `make test` runs them).
test-debian: deps-test build-debian
	FEDIGUARD_NGINX=$(DEBIAN_NGINX) FEDIGUARD_MODULE=$(CURDIR)/$(DEBIAN_MODULE) \
		$(CARGO) test -p fediguard-tests -- --test-threads=4

deb: build-debian
	$(IN_DEBIAN) env DEB_DATE='$(DEB_DATE)' DEB_REV='$(DEB_REV)' \
		packaging/build-deb.sh $(DEBIAN_MODULE) $(DEBIAN_OBJS)

ifeq ($(IN_DEBIAN),)
check-deb: deps-test
else
check-deb: deps-debian
endif
	$(IN_DEBIAN) tests/deb/check.sh $(DEBIAN_OBJS)

unit:
	eval "$$(tools/agent-corpora.sh --env)" && $(CARGO) test -p fediguard-core

# Ratios against plain nginx and nginx's own modules, measured in one run,
# then the link-preview stampede at full scale; writes BENCHMARKS.md.
# BENCH_ARGS=--quick for a short run, --stampede-only for the stampede alone.
bench: deps-bench build
	python3 bench/run.py $(BENCH_ARGS)

# The layout check first: it reads the source, needs no build and takes a second.
check: deps
	python3 tools/check-layout.py
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --release --workspace --all-targets $(CARGO_FEATURES) -- -D warnings

fmt:
	$(CARGO) fmt --all

clean:
	$(CARGO) clean
	rm -rf $(OBJS) objs-debian objs-debian-* tmp

# Reliability harness (docs/reliability.md):
#   make fuzz           every fuzz target of fuzz/ for FUZZ_SECONDS (60) each
#                       (cargo fuzz, nightly); FUZZ_TARGETS="a b" for some
#   make soak           the fault soak for SOAK_SECONDS (600): every capability on,
#                       under load, while nginx reloads, workers are killed, Redis
#                       restarts and the backend fails (tests/soak/)
.PHONY: fuzz soak

FUZZ_SECONDS ?= 60
SOAK_SECONDS ?= 600

fuzz:
	@tools/install-deps.sh fuzz
	FUZZ_SECONDS=$(FUZZ_SECONDS) tools/fuzz.sh $(FUZZ_TARGETS)

#   make test-sanitize  nginx and the module built with AddressSanitizer
#                       (objs/sanitize/), then the integration suite and a 60 s
#                       fault soak against them; any sanitizer report fails it
.PHONY: build-sanitize test-sanitize

build-sanitize:
	tools/sanitize.sh build

test-sanitize: deps-test build-sanitize
	tools/sanitize.sh test

soak: deps-test build
	$(CARGO) build --release -p fediguard-tests --bin soak
	nice -n 5 target/release/soak --seconds $(SOAK_SECONDS)
