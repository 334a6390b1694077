# Every target covers every module of the workspace (go test ./... does not
# cross module boundaries).
MODULES := $(shell go list -f '{{.Dir}}' -m)

.PHONY: test test-pkgs fuzz vet fmt ci bench demo integration
# The README's test command, in two runs. The core module, the examples
# that start goroutines of their own and the operator run with the race
# detector. The driver modules and the Kubernetes example run without it:
# their own code starts no goroutine, and compiling the cloud SDKs with -race
# took most of the suite's time. .ci/run checks that the two lists cover every package
# of the workspace and that the README shows these commands.
RACE_PKGS := ./... ./examples/forecast/... ./examples/httptee/... ./examples/simulate/... ./operator/...
PLAIN_PKGS := ./drivers/aws/... ./drivers/gcp/... ./drivers/k8s/... ./drivers/prometheus/... ./examples/kubernetes/...
test:
	go test -race -count=1 $(RACE_PKGS)
	go test -count=1 $(PLAIN_PKGS)

test-pkgs:
	@echo $(RACE_PKGS) $(PLAIN_PKGS)

# Every fuzz target for 10,000 inputs each (FUZZTIME, default 10000x).
fuzz:
	bash scripts/fuzz.sh

# The drivers and the operator against real servers the tests start
# themselves (Prometheus, moto_server, etcd + kube-apiserver +
# kube-controller-manager); scripts/integration-deps.sh installs and builds
# them.
integration:
	bash scripts/integration.sh

# The tool modules stand outside the workspace, each with a go.work of its own.
vet:
	for m in $(MODULES) scripts/etcd-tool scripts/kube-tools; do (cd $$m && go vet ./...) || exit 1; done

fmt:
	gofmt -l -w $$(git ls-files '*.go')

ci:
	bash .ci/run

bench:
	go test -run '^$$' -bench . -benchmem ./forecast/ ./mirror/ ./transition/ ./policy/

demo:
	go run ./examples/simulate
