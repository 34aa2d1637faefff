# tscni — see README.md. Every target brings what it needs itself.
PREFIX  ?= /opt/cni/bin
DESTDIR ?=
FORCE   ?=
BUN     := node_modules/.bin/bun
SOURCES := $(shell find src plugins build -name '*.ts' 2>/dev/null) package.json

.PHONY: all build install uninstall test test-unit test-variants test-mutants typecheck bench demo demo-cluster clean release image test-release soak

all: build

# npm ci when node_modules is missing or older than the lockfile. Without network it fails in
# seconds (no retries, bounded) instead of hanging; OFFLINE=1 installs from the npm cache only.
# Nodes without npm install a release tarball instead (README "Air-gapped install").
OFFLINE ?=
NPM_CI  := npm ci --no-audit --no-fund --fetch-retries=0 --fetch-timeout=30000 $(if $(OFFLINE),--offline)
node_modules/.installed: package.json package-lock.json
	@timeout 900 $(NPM_CI) || { echo "make: npm ci failed: no network? OFFLINE=1 installs from a warm npm cache; a node without npm installs a release tarball (README \"Air-gapped install\")" >&2; exit 1; }
	@touch $@

$(BUN): node_modules/.installed

dist/tscni: node_modules/.installed $(SOURCES)
	$(BUN) build/compile.ts

build: dist/tscni

# TSCNI_INSTALL_CALLER=make: a refusal then says FORCE=1 instead of --force.
# A stripped dist/tscni is plain Bun, whose `install` is Bun's package manager: ask it who it is first.
IS_TSCNI = dist/tscni --version | grep -q '^tscni v' || { echo "make: dist/tscni does not answer as tscni (stripped?): make clean build" >&2; exit 1; }
install: build
	@$(IS_TSCNI)
	TSCNI_INSTALL_CALLER=make dist/tscni install --dir "$(DESTDIR)$(PREFIX)" $(if $(FORCE),--force)

uninstall: build
	@$(IS_TSCNI)
	TSCNI_INSTALL_CALLER=make dist/tscni install --uninstall --dir "$(DESTDIR)$(PREFIX)"

typecheck: node_modules/.installed
	node_modules/.bin/tsc --noEmit -p .

# Unit tests, then each netns/differential file in its own throwaway network namespace.
test: build typecheck
	$(BUN) test/run.ts

# Node variants (br_netfilter, iptables-legacy, nft-only, no firewall tool, IPv6 off, existing
# state, conntrack fallback), each run against tscni and the v1.9.1 reference (../shared/reference-bin);
# then again with tscni's lists in chain mode (one tscni-chain exec per call, test/variants/chain.ts).
test-variants: build
	$(BUN) test/run.ts test/variants/
	TSCNI_VARIANT_CHAIN_MODE=1 $(BUN) test/run.ts test/variants/

# Deliberate breakages (test/mutants/mutants.ts), each against the tests that must notice it, in a
# copy of the tree; prints "N/N mutants killed" (about 10 minutes).
test-mutants: build
	$(BUN) test/mutants/run.ts

test-unit: node_modules/.installed
	$(BUN) test/run.ts test/unit

bench: build
	$(BUN) test/bench/bench.ts

# Churn, kills, faults and fuzz against tscni and the v1.9.1 reference, in a throwaway host.
# SOAK_DURATION (s, default 480), SOAK_OPS (churn cycles per implementation), SOAK_ARGS (more options).
SOAK_DURATION ?= 480
SOAK_OPS      ?= 400
soak: build
	$(BUN) test/soak/soak.ts --duration=$(SOAK_DURATION) --ops=$(SOAK_OPS) --json=soak-results.json $(SOAK_ARGS)

# See it work: two containers on the default network, in a throwaway network namespace.
demo: build
	$(BUN) test/demo/demo.ts

# tscni agent giving three simulated nodes (netns on one L2 underlay, a fake API server) their pod
# network: routes, cross-node ping, a hostPort from another node, a node's removal.
demo-cluster: build
	$(BUN) test/demo/demo-cluster.ts

# Air-gapped artefacts in dist/release/: five tarballs (glibc x64, x64-baseline, arm64; musl x64, arm64), two .debs, the OCI image, SHA256SUMS
# (docs/release.md). Cross targets' Bun runtimes come from the npm registry into dist/cache.
release: node_modules/.installed
	$(BUN) build/release.ts

# The OCI image alone (podman; one index of amd64, from the baseline build, and arm64).
image: node_modules/.installed
	$(BUN) build/release.ts --image-only

# Slow release checks (artefacts, reproducibility, .deb into a temp root, image, offline make).
test-release: build release
	$(BUN) test --timeout 1200000 test/release

clean:
	rm -rf dist bench-results.json bench-results.md bench-results.svg soak-results.json
