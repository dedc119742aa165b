# Sourced by setup.sh and pipx-install.sh: the CMake flags llama-cpp-python is always built with.
# shellcheck shell=bash

llama_cmake_args() {
    # A portable build for the CPU we are on: never GGML_NATIVE (it enables AMX on new Xeons).
    local args="-DGGML_NATIVE=OFF"
    if [ "$(uname -s)" = Linux ] && [ -r /proc/cpuinfo ]; then
        local flags
        flags=$(grep -m1 '^flags' /proc/cpuinfo || true)
        for pair in avx:GGML_AVX avx2:GGML_AVX2 fma:GGML_FMA f16c:GGML_F16C avx512f:GGML_AVX512; do
            if grep -qw "${pair%%:*}" <<<"$flags"; then args="$args -D${pair##*:}=ON"; else args="$args -D${pair##*:}=OFF"; fi
        done
        if grep -qw avx512bw <<<"$flags" && grep -qw avx512vl <<<"$flags"; then :; else args="$args -DGGML_AVX512=OFF"; fi
    fi
    # An NVIDIA GPU with its toolkit: CUDA (SCALLOP_FORCE_CPU=1 keeps a CPU-only build). Metal is
    # llama.cpp's default on Apple Silicon; forcing CPU turns it off there.
    if [ "${SCALLOP_FORCE_CPU:-0}" = 1 ]; then
        if [ "$(uname -s)" = Darwin ]; then args="$args -DGGML_METAL=OFF"; fi
    elif command -v nvcc >/dev/null 2>&1 && command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
        # Only for the GPU that is here (CMake asks nvcc): a fraction of the build time of every
        # architecture, and the CPU flags above stay portable.
        args="$args -DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=native"
    fi
    echo "$args"
}
