# trawl: a fast, stateless TCP SYN port scanner. Run "make help".

GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X github.com/trawlscan/trawl/internal/cli.version=$(VERSION)
BIN      := bin
PKGS     := ./...
# System packages the build and the tests need (Debian names).
DEB_PKGS := libpcap-dev nftables iproute2 nmap libxml2-utils python3 time openssh-server nginx-light redis-server vsftpd exim4-daemon-light openssl
FUZZTIME ?= 20s

.PHONY: help build deps test lint fuzz demo bench image clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

deps: ## install the system packages the build and tests need (Debian, as root)
	@missing=""; for p in $(DEB_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# build installs nothing (libpcap-dev must be there: make deps). It waits for
# deps when a target that installs them is asked for in the same run, as
# make test, demo and bench do, so that make -j does not build before the
# install ends.
DEPS_FIRST := test demo bench

build: | $(if $(filter $(DEPS_FIRST),$(MAKECMDGOALS)),deps) ## build bin/trawl (libpcap) and bin/trawl-static (no cgo, AF_PACKET capture)
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/trawl ./cmd/trawl
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/trawl-static ./cmd/trawl
	$(GO) build -o $(BIN)/trawl-lab-listen ./internal/lab/listen

test: deps build lint ## run every test: unit, race, fuzz seeds, benchmarks once, lab integration (as root)
	$(GO) test -count=1 $(PKGS)
	$(GO) test -count=1 -tags nopcap ./internal/netio/ ./internal/e2e/
	$(GO) test -count=1 -race -short $(PKGS)
	$(GO) test -count=1 -run '^$$' -bench . -benchtime 1x $(PKGS)
	GOOS=darwin $(GO) build $(PKGS)
	GOOS=windows $(GO) build $(PKGS)

lint: ## gofmt, go vet and staticcheck
	@out=$$(gofmt -l cmd internal pkg); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 $(PKGS)

fuzz: ## run every fuzz target for FUZZTIME each
	@for pkg in $$($(GO) list $(PKGS)); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

demo: deps build ## bring up the lab, scan it, print the results, tear it down
	./scripts/demo.sh

bench: deps build ## run trawl and its peers side by side in the lab and print ratios
	./scripts/bench.sh

image: ## build the trawl:latest container image (FROM scratch, static binary)
	VERSION=$(VERSION) ./scripts/image.sh

clean: ## remove build output
	rm -rf $(BIN)
