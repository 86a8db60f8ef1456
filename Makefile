# The two set-up commands on a fresh machine are `make run` and `make test`;
# both install what is missing through `deps` first.
CARGO ?= cargo
CDSL := target/release/cdsl
EXAMPLES := $(sort $(wildcard fs-examples/cdsl/*.cdsl))

.PHONY: all deps build run test lint fuzz soak bench bench-fs proofs

all: build

deps:
	@scripts/deps.sh

build: deps
	$(CARGO) build --release -p cdsl

# The main job. For now: check every example program, print a summary, and run
# one program on both semantics and compiled to Rust and to C.
# Then the ext2 example mounted through FUSE: a source tree copied in, read
# back, unmounted and checked by e2fsck (scripts/demo.sh).
run: build
	@scripts/run-examples.sh $(CDSL) $(EXAMPLES)
	@CARGO=$(CARGO) scripts/demo.sh

test: deps lint
	$(CARGO) test --workspace
	@scripts/check-generated.sh

lint: deps
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# Long no-panic run over random and mutated inputs (>= 100,000 cases), and
# 10,000 randomly corrupted ext2 images under a full workload.
fuzz: deps
	CDSL_FUZZ_CASES=100000 $(CARGO) test --release -p cdsl --test no_panic -- --nocapture
	CDSL_TYPECK_FUZZ_CASES=100000 $(CARGO) test --release -p cdsl --test typeck_no_panic -- --nocapture
	DDSL_FUZZ_CASES=20000 $(CARGO) test --release -p ddsl --test no_panic -- --nocapture
	CDSL_FS_CORRUPTIONS=10000 $(CARGO) test --release -p fs-examples --test corrupt -- --nocapture

# Long runs of the generated-program tests: 50,000 random well-typed programs
# type-checked, and run on both engines; 5,000 also compiled to Rust and to C;
# 3,000 random traces of file operations on the ext2 example against the model.
soak: deps
	CDSL_PROGEN_CASES=50000 $(CARGO) test --release -p cdsl --test progen --test engines_generated -- --nocapture
	CDSL_RUST_PROGEN_CASES=5000 CDSL_C_PROGEN_CASES=5000 $(CARGO) test --release -p cdsl --test backend_rust --test backend_c agrees -- --nocapture
	DDSL_GEN_C_CASES=50000 $(CARGO) test --release -p ddsl --test gen_c agree -- --nocapture
	CDSL_FS_TRACES=3000 $(CARGO) test --release -p fs-examples --test differential -- --nocapture

# Throughput and ratio benchmarks (numbers are printed, not asserted).
bench: deps
	$(CARGO) bench -p cdsl --bench parse
	$(CARGO) bench -p cdsl --bench typecheck
	$(CARGO) bench -p cdsl --bench engines
	$(CARGO) bench -p cdsl --bench backends
	$(CARGO) bench -p ddsl-bench --bench decode
	$(MAKE) bench-fs

# The ext2 example through FUSE against fuse2fs on identical fresh images:
# 256 MiB written and read, 5,000 small files, a source tree untarred.
bench-fs: deps
	$(CARGO) bench -p fs-examples --bench fs

# The ext2 example's Isabelle theories (shallow embedding, obligations,
# layout round trips) and their obligation count; `isabelle build` where
# Isabelle is installed, else coqc on the Coq mirror and the structural
# check of the Isabelle text (scripts/proofs.sh, docs/proofs.md).
proofs: deps
	$(CARGO) build --release -p cdsl -p ddsl
	@scripts/proofs.sh $(CDSL) target/release/ddsl target/release/cdsl-thycheck
