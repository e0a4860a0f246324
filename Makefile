# tongdao — see README.md. `make test` is what CI runs (.ci/run).
GO        ?= go
PKGS      ?= ./...
FUZZTIME  ?= 2s
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
BENCHTIME ?= 1s

.PHONY: all run test build vet unit race crash fuzz-smoke fuzz compat lint bench cover clean

all: build

## run: the main job — the in-process demo (simulator + bundled scenario suites)
run:
	$(GO) run ./cmd/tongdao demo

## test: build, vet, unit tests with the race detector, the crash test at full strength, a short fuzz smoke of every fuzz target
test: build vet race crash fuzz-smoke

build:
	$(GO) build $(PKGS)

vet:
	$(GO) vet $(PKGS)

unit:
	$(GO) test -count=1 $(PKGS)

race:
	$(GO) test -race -count=1 $(PKGS)

## crash: SIGKILL `tongdao gateway serve` 50 times during a load (the race run above kills it 5 times)
crash:
	$(GO) test -count=1 -run TestCrash ./cmd/tongdao/

## fuzz-smoke: every Fuzz* target for FUZZTIME (seed corpus + a short random run)
fuzz-smoke:
	FUZZTIME=$(FUZZTIME) ./scripts/fuzz.sh

## fuzz: a longer fuzz run of every target (FUZZTIME=1m make fuzz)
fuzz:
	FUZZTIME=$(if $(filter 2s,$(FUZZTIME)),30s,$(FUZZTIME)) ./scripts/fuzz.sh

## compat: third-party clients against the simulator (nested modules, so gopay never enters go.mod)
compat:
	cd simulator/wechat/internal/gopaytest && $(GO) test -race -count=1 ./...
	cd simulator/alipay/internal/alipaycompat && $(GO) test -race -count=1 ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) run $(STATICCHECK) $(PKGS)

bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) $(PKGS)

cover:
	$(GO) test -count=1 -coverprofile=coverage.out $(PKGS)
	$(GO) tool cover -func=coverage.out | tail -1

clean:
	rm -f coverage.out tongdao
