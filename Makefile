# Every target covers every module of the workspace (go test ./... does not
# cross module boundaries).
MODULES := $(shell go list -f '{{.Dir}}' -m)

.PHONY: test vet fmt ci bench demo
test:
	go test -race -count=1 $(shell go list -f '{{.Dir}}/...' -m)

vet:
	for m in $(MODULES); do (cd $$m && go vet ./...) || exit 1; done

fmt:
	gofmt -l -w $$(git ls-files '*.go')

ci:
	bash .ci/run

bench:
	go test -run '^$$' -bench . -benchmem ./forecast/ ./mirror/ ./transition/ ./policy/

demo:
	go run ./examples/simulate
