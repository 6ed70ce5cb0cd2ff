#!/usr/bin/env python3
"""Records the facts the cuDNN shim (issue 14) is written from, on the lent GPU machine.

Writes to $OUT (or ./out): where CUDA, cuBLAS, cuDNN, NVRTC and NCCL live (sonames the shim will
dlopen), their versions, and the numeric values of every enumerator of the enum types the shim
declares in its own header, read by compiling a program against the real headers (so a machine
without CUDA can build the shim from these numbers, and the header check on a GPU machine can
compare against them). Also the prototypes of the functions the shim calls, as the preprocessor
sees them, so the shim's declarations can be checked by eye against them.
"""
import glob, os, re, subprocess, sys, textwrap

OUT = os.environ.get("OUT", "out")
os.makedirs(OUT, exist_ok=True)
log = open(os.path.join(OUT, "cuda-environment.txt"), "w")

def say(*parts):
    line = " ".join(str(p) for p in parts)
    print(line)
    log.write(line + "\n")

def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=120).stdout.strip()
    except Exception as e:  # noqa: BLE001 - a probe reports, it does not stop
        return f"<{e}>"

say("== machine")
say(sh("nvidia-smi --query-gpu=name,memory.total,driver_version,compute_cap --format=csv,noheader"))
say(sh("nvcc --version | tail -2"))
say("python", sys.version.split()[0], sys.executable)
try:
    import torch
    say("torch", torch.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version())
except Exception as e:  # noqa: BLE001
    say("torch unavailable:", e)

say("== libraries (what the shim dlopens)")
roots = ["/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib", "/usr/lib/x86_64-linux-gnu", "/usr/local/nvidia/lib64"]
try:
    import nvidia
    roots += [os.path.join(p, sub, "lib") for p in nvidia.__path__ for sub in os.listdir(p)]
except Exception as e:  # noqa: BLE001
    say("python nvidia packages unavailable:", e)
for pattern in ["libcudart.so*", "libcuda.so*", "libcublas.so*", "libcublasLt.so*", "libcudnn.so*", "libcudnn_ops.so*",
                "libcudnn_cnn.so*", "libcudnn_graph.so*", "libnvrtc.so*", "libnvrtc-builtins.so*", "libnccl.so*"]:
    found = sorted({p for r in roots for p in glob.glob(os.path.join(r, pattern))})
    say(f"{pattern:22}", " ".join(found) if found else "NOT FOUND")

includes = ["/usr/local/cuda/include"]
try:
    import nvidia
    includes += [os.path.join(p, sub, "include") for p in nvidia.__path__ for sub in os.listdir(p)
                 if os.path.isdir(os.path.join(p, sub, "include"))]
except Exception:  # noqa: BLE001
    pass
def header(name):
    for inc in includes:
        path = os.path.join(inc, name)
        if os.path.exists(path):
            return path
    return None
for name in ["cuda_runtime_api.h", "cuda.h", "cublas_v2.h", "cudnn.h", "cudnn_version.h", "nvrtc.h", "nccl.h"]:
    say(f"{name:20}", header(name) or "NOT FOUND")

say("== versions from headers")
for name, macros in [("cudnn_version.h", ["CUDNN_MAJOR", "CUDNN_MINOR", "CUDNN_PATCHLEVEL"]),
                     ("cuda_runtime_api.h", ["CUDART_VERSION"]), ("cublas_api.h", ["CUBLAS_VER_MAJOR", "CUBLAS_VER_MINOR"]),
                     ("nccl.h", ["NCCL_MAJOR", "NCCL_MINOR", "NCCL_PATCH"])]:
    path = header(name)
    if path:
        text = open(path, errors="replace").read()
        for m in macros:
            hit = re.search(rf"#define\s+{m}\s+(\S+)", text)
            say(f"{m} = {hit.group(1) if hit else '?'}")

ENUMS = {
    "cuda_runtime_api.h": ["cudaMemcpyKind", "cudaError", "cudaStreamCaptureMode", "cudaDeviceAttr"],
    "cuda.h": ["cudaError_enum", "CUjit_option_enum"],
    "cublas_v2.h": ["cublasStatus_t", "cublasOperation_t", "cublasMath_t", "cublasComputeType_t", "cudaDataType_t", "cublasGemmAlgo_t"],
    "cudnn.h": ["cudnnStatus_t", "cudnnDataType_t", "cudnnTensorFormat_t", "cudnnConvolutionMode_t", "cudnnConvolutionFwdAlgo_t",
                "cudnnConvolutionBwdDataAlgo_t", "cudnnConvolutionBwdFilterAlgo_t", "cudnnPoolingMode_t", "cudnnActivationMode_t",
                "cudnnNanPropagation_t", "cudnnSoftmaxAlgorithm_t", "cudnnSoftmaxMode_t", "cudnnBatchNormMode_t", "cudnnLRNMode_t",
                "cudnnMathType_t", "cudnnOpTensorOp_t", "cudnnDeterminism_t", "cudnnReduceTensorOp_t"],
    "nvrtc.h": ["nvrtcResult"],
    "nccl.h": ["ncclResult_t", "ncclDataType_t", "ncclRedOp_dummy_t", "ncclRedOp_t"],
}
FUNCTIONS = {
    "cuda_runtime_api.h": ["cudaGetDeviceCount", "cudaSetDevice", "cudaGetDeviceProperties", "cudaMalloc", "cudaFree", "cudaMallocHost",
                           "cudaFreeHost", "cudaMemcpy", "cudaMemcpyAsync", "cudaMemsetAsync", "cudaStreamCreate", "cudaStreamCreateWithFlags",
                           "cudaStreamSynchronize", "cudaStreamDestroy", "cudaEventCreate", "cudaEventRecord", "cudaEventSynchronize",
                           "cudaEventElapsedTime", "cudaStreamWaitEvent", "cudaGetErrorString", "cudaGetLastError", "cudaRuntimeGetVersion",
                           "cudaDriverGetVersion", "cudaMemGetInfo", "cudaStreamBeginCapture", "cudaStreamEndCapture", "cudaGraphInstantiate",
                           "cudaGraphLaunch", "cudaMallocAsync", "cudaFreeAsync"],
    "cuda.h": ["cuInit", "cuModuleLoadData", "cuModuleGetFunction", "cuLaunchKernel", "cuGetErrorString", "cuCtxGetCurrent", "cuDevicePrimaryCtxRetain"],
    "cublas_v2.h": ["cublasCreate_v2", "cublasDestroy_v2", "cublasSetStream_v2", "cublasSetMathMode", "cublasSgemm_v2", "cublasDgemm_v2",
                    "cublasSgemmStridedBatched", "cublasDgemmStridedBatched", "cublasGemmEx", "cublasGetVersion_v2", "cublasSetWorkspace_v2"],
    "cudnn.h": ["cudnnGetVersion", "cudnnGetErrorString", "cudnnCreate", "cudnnDestroy", "cudnnSetStream", "cudnnCreateTensorDescriptor",
                "cudnnSetTensorNdDescriptor", "cudnnSetTensor4dDescriptor", "cudnnDestroyTensorDescriptor", "cudnnCreateFilterDescriptor",
                "cudnnSetFilterNdDescriptor", "cudnnDestroyFilterDescriptor", "cudnnCreateConvolutionDescriptor", "cudnnSetConvolutionNdDescriptor",
                "cudnnSetConvolutionGroupCount", "cudnnSetConvolutionMathType", "cudnnDestroyConvolutionDescriptor",
                "cudnnGetConvolutionForwardAlgorithm_v7", "cudnnFindConvolutionForwardAlgorithmEx", "cudnnGetConvolutionForwardWorkspaceSize",
                "cudnnConvolutionForward", "cudnnGetConvolutionBackwardDataAlgorithm_v7", "cudnnFindConvolutionBackwardDataAlgorithmEx",
                "cudnnGetConvolutionBackwardDataWorkspaceSize", "cudnnConvolutionBackwardData", "cudnnGetConvolutionBackwardFilterAlgorithm_v7",
                "cudnnFindConvolutionBackwardFilterAlgorithmEx", "cudnnGetConvolutionBackwardFilterWorkspaceSize", "cudnnConvolutionBackwardFilter",
                "cudnnConvolutionBackwardBias", "cudnnConvolutionBiasActivationForward", "cudnnCreatePoolingDescriptor", "cudnnSetPoolingNdDescriptor",
                "cudnnDestroyPoolingDescriptor", "cudnnPoolingForward", "cudnnPoolingBackward", "cudnnCreateActivationDescriptor",
                "cudnnSetActivationDescriptor", "cudnnDestroyActivationDescriptor", "cudnnActivationForward", "cudnnActivationBackward",
                "cudnnSoftmaxForward", "cudnnSoftmaxBackward", "cudnnBatchNormalizationForwardTraining", "cudnnBatchNormalizationForwardInference",
                "cudnnBatchNormalizationBackward", "cudnnCreateLRNDescriptor", "cudnnSetLRNDescriptor", "cudnnDestroyLRNDescriptor",
                "cudnnLRNCrossChannelForward", "cudnnLRNCrossChannelBackward", "cudnnAddTensor", "cudnnCreateOpTensorDescriptor",
                "cudnnSetOpTensorDescriptor", "cudnnOpTensor", "cudnnScaleTensor", "cudnnSetTensor"],
    "nvrtc.h": ["nvrtcVersion", "nvrtcCreateProgram", "nvrtcCompileProgram", "nvrtcGetProgramLogSize", "nvrtcGetProgramLog", "nvrtcGetPTXSize",
                "nvrtcGetPTX", "nvrtcGetCUBINSize", "nvrtcGetCUBIN", "nvrtcDestroyProgram", "nvrtcGetErrorString"],
    "nccl.h": ["ncclGetVersion", "ncclGetUniqueId", "ncclCommInitRank", "ncclAllReduce", "ncclCommDestroy", "ncclGetErrorString"],
}

flags = " ".join(f"-I{i}" for i in includes)
for name, enums in ENUMS.items():
    path = header(name)
    if not path:
        continue
    pre = sh(f"echo '#include <{name}>' | gcc -E -P -x c {flags} - 2>/dev/null")
    say(f"== enums of {name}")
    program = ["#include <stdio.h>", f"#include <{name}>", "int main(void) {"]
    for enum in enums:
        blocks = re.finditer(r"(?:typedef\s+)?enum\s*(\w*)\s*\{(.*?)\}\s*(\w*)\s*;", pre, re.S)
        body = None
        for b in blocks:
            if enum in (b.group(1), b.group(3)):
                body = b.group(2)
                break
        if body is None:
            program.append(f'  puts("{enum}: not declared");')
            continue
        program.append(f'  puts("{enum}");')
        for item in body.split(","):
            ident = item.split("=")[0].strip()
            if re.fullmatch(r"[A-Za-z_]\w*", ident or ""):
                program.append(f'  printf("  %-60s %lld\\n", "{ident}", (long long){ident});')
    program.append("  return 0; }")
    src = os.path.join(OUT, f"enums_{name.replace('.', '_')}.c")
    open(src, "w").write("\n".join(program))
    exe = src[:-2]
    err = subprocess.run(f"gcc {flags} -o {exe} {src}", shell=True, capture_output=True, text=True)
    say(sh(exe) if err.returncode == 0 else f"compile failed: {err.stderr[-2000:]}")
    say(f"== prototypes from {name}")
    flat = re.sub(r"\s+", " ", pre)
    for fn in FUNCTIONS.get(name, []):
        hit = re.search(r"[^;{}]*\b" + re.escape(fn) + r"\s*\([^;{}]*\)\s*;", flat)
        say("  " + (hit.group(0).strip() if hit else f"{fn}: not declared"))
log.close()
