# MUT: build, test, demo, install.  `make test` is what CI runs (.ci/run).
SHELL       := /bin/bash
PREFIX      ?= /usr/local
DESTDIR     ?=
SYSTEMD_UNIT_DIR ?= /lib/systemd/system
DOC_DIR     ?= $(PREFIX)/share/doc/mut
SWIFT       ?= swift
CONFIG      ?= debug
BIN_DIR     := .build/$(CONFIG)

# What a fresh Debian machine lacks for building and for the network-namespace suite.
DEB_PACKAGES := pkg-config libnetfilter-queue-dev libmnl-dev libnfnetlink-dev \
                nftables iptables smcroute igmpproxy tcpdump iproute2 procps python3 python3-prometheus-client util-linux \
                ffmpeg vlc-bin vlc-plugin-base man-db groff-base systemd gcc python3-matplotlib \
                qemu-system-x86 mmdebstrap e2fsprogs

.PHONY: all build release deps test test-unit test-shell test-netns test-wifi demo install clean fuzz soak test-sanitize
SECONDS     ?= 20
MINUTES     ?= 1

all: build

# Installs only what is missing (idempotent); as non-root it says what is missing instead.
deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "deps: all Debian packages present"; \
	elif [ "$$(id -u)" -eq 0 ]; then \
		echo "deps: installing$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	else echo "deps: MISSING Debian packages:$$missing (run 'sudo make deps')"; exit 1; fi

build: deps
	$(SWIFT) build -c $(CONFIG)

# Release binaries carry the Swift runtime, so a router needs no Swift installation.
release:
	$(SWIFT) build -c release --static-swift-stdlib

test: deps build test-unit test-shell test-netns bench-smoke fuzz soak test-sanitize test-wifi

test-unit:
	$(SWIFT) test

test-shell:
	@set -e; for t in Tests/shell/*-test.sh; do [ -e "$$t" ] || continue; echo "== $$t"; bash "$$t"; done
	sh Tests/shell/metrics-check.sh
	sh Tests/shell/metrics-check.sh Tests/shell/metrics-sample-per-client.prom

# The network-namespace suite needs root; as non-root run.sh says loudly what it skipped.
test-netns: build
	MUT_BIN_DIR=$(CURDIR)/$(BIN_DIR) bash Tests/netns/run.sh

# Real 802.11 in a qemu guest (docs/wifi.md): CI-sized by default, WIFI=full for
# the whole matrix.  Builds the guest image once (cached outside the tree) and the
# project with `make install`; skips loudly where it cannot run.
WIFI        ?= ci
test-wifi: deps
	WIFI=$(WIFI) bash tools/wifi/run.sh

# libFuzzer targets (Tests/Fuzz), SECONDS each; make test runs a 20 s smoke of each.
fuzz:
	SWIFT=$(SWIFT) bash tools/fuzz.sh $(SECONDS)

# 50 clients, 20 groups, join/leave churn while streams run; needs root.
soak: build
	@MUT_BIN_DIR=$(CURDIR)/$(BIN_DIR) bash tools/soak.sh $(MINUTES); rc=$$?; \
	if [ $$rc -eq 77 ]; then echo "soak: SKIPPED (needs root)"; else exit $$rc; fi

test-sanitize:
	$(SWIFT) test --sanitize=address --scratch-path .build-asan --disable-xctest
	$(SWIFT) test --sanitize=thread --scratch-path .build-tsan --disable-xctest

demo: build
	MUT_BIN_DIR=$(CURDIR)/$(BIN_DIR) bash tools/demo.sh

install: release
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin \
		$(DESTDIR)$(PREFIX)/share/mut/nft-rules $(DESTDIR)$(PREFIX)/share/mut/openwrt \
		$(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man8 \
		$(DESTDIR)$(DOC_DIR) $(DESTDIR)$(SYSTEMD_UNIT_DIR)
	install -s -m 0755 .build/release/mutd $(DESTDIR)$(PREFIX)/sbin/mutd
	install -s -m 0755 .build/release/mutctl $(DESTDIR)$(PREFIX)/bin/mutctl
	install -m 0644 nft-rules/mut.nft nft-rules/README.md $(DESTDIR)$(PREFIX)/share/mut/nft-rules/
	install -m 0755 nft-rules/load $(DESTDIR)$(PREFIX)/share/mut/nft-rules/load
	install -m 0644 man/mutd.8 man/mutctl.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 0644 man/mutd.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 0644 dist/mutd.conf.example dist/grafana-dashboard.json docs/operations.md $(DESTDIR)$(DOC_DIR)/
	sed -e 's#/usr/sbin/mutd#$(PREFIX)/sbin/mutd#g' -e 's#/usr/share/mut/#$(PREFIX)/share/mut/#g' \
		-e 's#/usr/share/doc/mut/#$(DOC_DIR)/#g' dist/openwrt/mutd.init >$(DESTDIR)$(PREFIX)/share/mut/openwrt/mutd.init
	chmod 0755 $(DESTDIR)$(PREFIX)/share/mut/openwrt/mutd.init
	sed -e 's#/usr/sbin/mutd#$(PREFIX)/sbin/mutd#g' -e 's#/usr/share/mut/#$(PREFIX)/share/mut/#g' \
		-e 's#/usr/share/doc/mut/#$(DOC_DIR)/#g' dist/mutd.service >$(DESTDIR)$(SYSTEMD_UNIT_DIR)/mutd.service
	chmod 0644 $(DESTDIR)$(SYSTEMD_UNIT_DIR)/mutd.service

clean:
	rm -rf .build .build-fuzz .build-asan .build-tsan out

include tools/bench/Makefile.inc
