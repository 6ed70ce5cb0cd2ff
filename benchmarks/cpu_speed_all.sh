#!/usr/bin/env bash
# Issue 16 figures in one run (run it on an otherwise idle machine): 3x3 convolutions with and without
# the own GEMM, with and without Winograd, LeNet-5 training vs PyTorch (1 and 2 threads), LeNet-5 inference vs ONNX Runtime,
# models vs PyTorch/ORT with peak memory, ResNet/VGG inference vs ORT. Needs ./build.sh first, and Debian python3-torch + numpy.
cd "$(dirname "$0")/.."
export OPENBLAS_CORETYPE=Haswell
step() { printf '\n==> %s  [%s]\n' "$*" "$(date -u +%H:%M:%S)"; uptime; }
step "bench layers, 3x3 convolutions: own GEMM (default), then ENGINE_GEMM=off"
timeout 300 artifacts/engine/engine bench layers --repeat 5 --only "3x3 s1 p1"
ENGINE_GEMM=off timeout 300 artifacts/engine/engine bench layers --repeat 5 --only "3x3 s1 p1"
step "bench layers, 3x3 convolutions: ENGINE_WINOGRAD=off (im2col + own GEMM; the default above runs 3x3 stride 1 by Winograd)"
ENGINE_WINOGRAD=off timeout 300 artifacts/engine/engine bench layers --repeat 5 --only "3x3 s1 p1"
step "bench layers, 3x3 convolutions: ENGINE_WINOGRAD_FILTER=off (forward and backward data by Winograd, backward filter by im2col)"
ENGINE_WINOGRAD_FILTER=off timeout 300 artifacts/engine/engine bench layers --repeat 5 --only "3x3 s1 p1"
step "Winograd against im2col per pass, one process alternating call by call (1 thread: CPU clock; 2 threads: wall clock)"
dotnet build benchmarks/Engine.Bench.Kernels -c Release 2>&1 | tail -1
for t in 1 2; do timeout 300 dotnet benchmarks/Engine.Bench.Kernels/bin/Release/net10.0/Engine.Bench.Kernels.dll --quick-winograd 20 $t; done
step "LeNet-5 training vs PyTorch, 1 thread"
timeout 400 /usr/bin/python3 benchmarks/lenet5_torch.py --repeat 3 --steps 100 --threads 1 --as-set-only
step "LeNet-5 training vs PyTorch, 2 threads"
timeout 400 /usr/bin/python3 benchmarks/lenet5_torch.py --repeat 3 --steps 100 --threads 2 --as-set-only
step "LeNet-5 inference vs ONNX Runtime"
mkdir -p artifacts/bench-onnx
artifacts/engine/engine export --model lenet5 --input 1x28x28 --seed 1 --output artifacts/bench-onnx/lenet5.onnx --force >/dev/null 2>&1 || artifacts/engine/engine export --model lenet5 --input 1x28x28 --seed 1 --output artifacts/bench-onnx/lenet5.onnx
/usr/bin/python3 -c "import numpy as np; np.save('artifacts/bench-onnx/lenet5-x256.npy', np.random.default_rng(13).uniform(-1,1,size=[256,1,28,28]).astype('<f4'))"
dotnet build benchmarks/Engine.Bench.OnnxRuntime/Engine.Bench.OnnxRuntime.csproj -c Release -o artifacts/bench-onnx/bench 2>&1 | tail -1
for t in 1 2; do OPENBLAS_NUM_THREADS=$t timeout 300 dotnet artifacts/bench-onnx/bench/Engine.Bench.OnnxRuntime.dll \
  --model artifacts/bench-onnx/lenet5.onnx --input artifacts/bench-onnx/lenet5-x256.npy --plugins artifacts/engine/plugins \
  --repeat 7 --warmup 3 --passes 20; done
step "LeNet-5 inference vs ONNX Runtime, 2 threads, convolution + pooling kernel off (ENGINE_CONV_POOL=off), then its kernels alone"
ENGINE_CONV_POOL=off OPENBLAS_NUM_THREADS=2 timeout 300 dotnet artifacts/bench-onnx/bench/Engine.Bench.OnnxRuntime.dll \
  --model artifacts/bench-onnx/lenet5.onnx --input artifacts/bench-onnx/lenet5-x256.npy --plugins artifacts/engine/plugins \
  --repeat 7 --warmup 3 --passes 20
for t in 1 2; do OPENBLAS_NUM_THREADS=$t timeout 300 dotnet benchmarks/Engine.Bench.Kernels/bin/Release/net10.0/Engine.Bench.Kernels.dll --quick-conv-pool 300; done
step "models vs PyTorch and ORT, peak memory"
timeout 720 /usr/bin/python3 benchmarks/models_vs_torch.py --repeat 1 --rounds 1
step "ResNet-20, VGG-CIFAR, ResNet-18 inference vs ONNX Runtime (one thread each, small-plane batching on and off; two threads)"
WARMUP=20 timeout 900 benchmarks/inference_vs_ort.sh
step done
