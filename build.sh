#!/usr/bin/env bash
# Build, test and run the engine. Kept in step with build.ps1.
#
#   ./build.sh [build]      prerequisites, native/ (CMake), Engine.sln (dotnet build)
#   ./build.sh test         prerequisites, native/, then ctest and dotnet test; prints "N passed, N failed"
#   ./build.sh demo [ARGS]  build, then train LeNet-5 on the bundled MNIST (ARGS override the defaults)
#   ./build.sh pack         build, then the NuGet packages (SDK, core, host, conformance kit, the
#                           `engine` tool, the plugin templates) into artifacts/packages
#   ./build.sh clean        remove build outputs
#   ./build.sh help         this text
#
# Environment: CONFIGURATION (default Release), ENGINE_OPENBLAS_LIBRARY (an OpenBLAS library to use
# instead of the system's libopenblas.so.0).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"

CONFIGURATION="${CONFIGURATION:-Release}"
SOLUTION="Engine.sln"
NATIVE_SOURCE_DIR="native"
NATIVE_BUILD_DIR="build/native"
TEST_RESULTS_DIR="artifacts/test-results"
# `pack` writes here what packaging/Pack.proj lists (versions: Directory.Build.props).
PACKAGES_DIR="artifacts/packages"
# Release builds of the engine go to artifacts/engine, others to artifacts/engine-<configuration>.
if [[ "$CONFIGURATION" == Release ]]; then ENGINE_DIR="artifacts/engine"; else ENGINE_DIR="artifacts/engine-${CONFIGURATION,,}"; fi

export DOTNET_NOLOGO="${DOTNET_NOLOGO:-1}"
export DOTNET_CLI_TELEMETRY_OPTOUT="${DOTNET_CLI_TELEMETRY_OPTOUT:-1}"

# The main job `demo` runs; extra arguments given to `demo` replace these values.
DEMO_KEYS=(model dataset data epochs batch-size lr momentum schedule seed checkpoint metrics curves)
DEMO_VALUES=(lenet5 mnist data/mnist 5 64 0.05 0.9 cosine 1 artifacts/demo/lenet5.ckpt artifacts/demo/metrics.csv artifacts/demo/curves.svg)

step() { printf '==> %s\n' "$*"; }
info() { printf '    %s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$1" >&2
  shift
  local line
  for line in "$@"; do printf '       %s\n' "$line" >&2; done
  exit 1
}

usage() {
  cat <<'EOF'
Usage: ./build.sh [VERB] [ARGS...]

Verbs:
  build (default)  check/install prerequisites (OpenBLAS, CMake, a C compiler; .NET 10 SDK must be
                   present), build native/ with CMake into build/native, then dotnet build Engine.sln.
                   ARGS go to dotnet build.
  test             prerequisites and native/ as above, then ctest (build/native) and dotnet test
                   (TRX results in artifacts/test-results). Ends with the line "N passed, N failed";
                   exits non-zero when anything failed. ARGS go to dotnet test (e.g. --filter X).
  demo [ARGS]      build, then run from the repository root:
                     artifacts/engine/engine train --model lenet5 --dataset mnist --data data/mnist \
                       --epochs 5 --batch-size 64 --lr 0.05 --momentum 0.9 --schedule cosine --seed 1 \
                       --checkpoint artifacts/demo/lenet5.ckpt --metrics artifacts/demo/metrics.csv \
                       --curves artifacts/demo/curves.svg
                   ARGS replace those values or add options (./build.sh demo --epochs 2 --limit 1000).
  pack             build as above, then the NuGet packages into artifacts/packages (emptied first):
                   Engine.Abstractions (the plugin SDK), Engine.Core, Engine.Host (with the standard
                   plugins), Engine.Conformance (the backend conformance kit), Engine.Cli (the
                   `engine` .NET tool) and Engine.Templates (dotnet new engine-layer, engine-backend,
                   engine-dataset). ARGS go to dotnet build.
  clean            remove artifacts/, build/ and the bin/ and obj/ folders of the projects.
  help             show this text.

Environment:
  CONFIGURATION            build configuration for dotnet and CMake (default: Release)
  ENGINE_OPENBLAS_LIBRARY  path of an OpenBLAS library to use instead of the system's libopenblas.so.0
EOF
}

# ---------------------------------------------------------------------------------------------
# Prerequisites
# ---------------------------------------------------------------------------------------------

have() { command -v "$1" >/dev/null 2>&1; }

# Sets SUDO to the prefix that runs a command as root; fails when there is none.
SUDO=()
find_root_prefix() {
  if [[ "$(id -u)" -eq 0 ]]; then
    SUDO=()
  elif have sudo && sudo -n true >/dev/null 2>&1; then
    SUDO=(sudo -n)
  else
    return 1
  fi
}

run_apt_get() {
  ${SUDO[@]+"${SUDO[@]}"} env DEBIAN_FRONTEND=noninteractive \
    apt-get -q -o DPkg::Lock::Timeout=300 "$@"
}

# apt_install PACKAGE...: installs with apt-get (as root, or through passwordless sudo), running
# apt-get update and retrying once when the first try fails (e.g. no package lists yet).
apt_install() {
  local log
  if ! find_root_prefix; then
    return 1
  fi
  log="$(mktemp)"
  info "installing: $* (apt-get install -y $*)"
  if ! run_apt_get install -y "$@" >"$log" 2>&1; then
    info "apt-get install failed; running apt-get update and retrying"
    if ! run_apt_get update >"$log" 2>&1 || ! run_apt_get install -y "$@" >>"$log" 2>&1; then
      tail -n 20 "$log" >&2
      rm -f "$log"
      return 1
    fi
  fi
  rm -f "$log"
}

find_ldconfig() {
  if have ldconfig; then
    command -v ldconfig
  elif [[ -x /sbin/ldconfig ]]; then
    echo /sbin/ldconfig
  elif [[ -x /usr/sbin/ldconfig ]]; then
    echo /usr/sbin/ldconfig
  fi
}

# Prints where OpenBLAS was found; fails when it was not.
find_openblas() {
  if [[ -n "${ENGINE_OPENBLAS_LIBRARY:-}" ]]; then
    [[ -f "$ENGINE_OPENBLAS_LIBRARY" ]] || return 1
    echo "$ENGINE_OPENBLAS_LIBRARY (ENGINE_OPENBLAS_LIBRARY)"
    return 0
  fi
  local ldconfig_bin cache line
  ldconfig_bin="$(find_ldconfig)"
  [[ -n "$ldconfig_bin" ]] || return 1
  # No `ldconfig -p | grep -q`: grep quitting early makes ldconfig fail with SIGPIPE (pipefail).
  cache="$("$ldconfig_bin" -p 2>/dev/null || true)"
  line="$(grep -m 1 'libopenblas\.so\.0' <<<"$cache" || true)"
  [[ -n "$line" ]] || return 1
  echo "${line##*=> }"
}

have_c_compiler() { have cc || have gcc || have clang; }
# CMake's default generator on Linux is Unix Makefiles; a chosen CMAKE_GENERATOR brings its own tool.
have_make_tool() { [[ -n "${CMAKE_GENERATOR:-}" ]] || have make; }

# Charts (ScottPlot on SkiaSharp) draw their text in DejaVu Sans; without any font on Linux the
# text of a chart would be missing. Other systems ship fonts of their own.
have_chart_font() {
  [[ "$(uname -s)" != Linux ]] || [[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]]
}

# libSkiaSharp.so (SkiaSharp.NativeAssets.Linux) needs libfontconfig.so.1; other systems ship their own.
have_fontconfig() {
  [[ "$(uname -s)" != Linux ]] || /sbin/ldconfig -p 2>/dev/null | grep -q 'libfontconfig\.so\.1 '
}

openblas_instructions() {
  cat <<'EOF'
OpenBLAS (libopenblas.so.0) is needed by the CPU backend. Install it with your package manager:
  Debian/Ubuntu:  apt-get install -y libopenblas-dev
  Fedora/RHEL:    dnf install -y openblas-devel
  Arch:           pacman -S openblas
  openSUSE:       zypper install openblas-devel
  macOS:          brew install openblas
or point ENGINE_OPENBLAS_LIBRARY at an OpenBLAS shared library.
EOF
}

ensure_prerequisites() {
  step "Checking prerequisites"

  # .NET 10 SDK: never installed by this script.
  if ! have dotnet; then
    die "'dotnet' was not found on PATH." \
      "Install the .NET 10 SDK: https://dotnet.microsoft.com/download/dotnet/10.0" \
      "(Debian/Ubuntu: https://learn.microsoft.com/dotnet/core/install/linux)."
  fi
  local sdks
  sdks="$(dotnet --list-sdks 2>/dev/null || true)"
  if ! grep -q '^10\.' <<<"$sdks"; then
    die "no .NET 10 SDK found (dotnet --list-sdks: ${sdks:-none})." \
      "Install the .NET 10 SDK: https://dotnet.microsoft.com/download/dotnet/10.0"
  fi
  info "dotnet: $(dotnet --version 2>/dev/null || echo '?') ($(command -v dotnet))"

  if [[ -n "${ENGINE_OPENBLAS_LIBRARY:-}" && ! -f "$ENGINE_OPENBLAS_LIBRARY" ]]; then
    die "ENGINE_OPENBLAS_LIBRARY is set to '$ENGINE_OPENBLAS_LIBRARY', which is not a file." \
      "Point it at an OpenBLAS shared library, or unset it to use the system's libopenblas.so.0."
  fi

  local -a packages=()
  find_openblas >/dev/null || packages+=(libopenblas-dev)
  have cmake || packages+=(cmake)
  have_c_compiler || packages+=(gcc libc6-dev)
  # C++ builds the cuDNN shim's host tests (its CUDA kernels compiled and checked on the CPU).
  { have c++ || have g++ || have clang++; } || packages+=(g++)
  have_make_tool || packages+=(make)
  have_chart_font || packages+=(fonts-dejavu-core)
  # Skia's native library (images and charts) links the system's fontconfig.
  have_fontconfig || packages+=(libfontconfig1)
  # The ONNX plugin generates its protobuf types from the official schema, which libonnx-dev ships.
  [[ -f "${ENGINE_ONNX_PROTO:-/usr/include/onnx/onnx.proto}" ]] || packages+=(libonnx-dev)
  # Open MPI for 'engine train --distributed mpi' (mpirun and libmpi.so.40); installed where apt-get
  # can, as OpenBLAS is, and optional elsewhere: only distributed training needs it.
  if [[ "$(uname -s)" == Linux ]] && have apt-get && ! have mpirun; then packages+=(openmpi-bin libopenmpi-dev); fi

  if ((${#packages[@]} > 0)); then
    info "missing: ${packages[*]}"
    if [[ "$(uname -s)" == Linux ]] && have apt-get; then
      if ! find_root_prefix; then
        die "cannot install ${packages[*]}: not root and 'sudo -n' is not available." \
          "Install them yourself: sudo apt-get install -y ${packages[*]}"
      fi
      apt_install "${packages[@]}" \
        || die "apt-get could not install ${packages[*]}." \
          "Install them yourself: sudo apt-get install -y ${packages[*]}"
    else
      if [[ " ${packages[*]} " == *" libopenblas-dev "* ]]; then
        openblas_instructions >&2
      fi
      die "missing prerequisites (Debian/Ubuntu package names): ${packages[*]}" \
        "Install OpenBLAS, CMake (3.20 or newer), a C and C++ compiler and make, then run this again."
    fi
  fi

  local where
  where="$(find_openblas)" || {
    openblas_instructions >&2
    die "OpenBLAS (libopenblas.so.0) is still not found after installing libopenblas-dev."
  }
  info "OpenBLAS: $where"
  have cmake || die "cmake is still not found after installing it."
  info "cmake: $(cmake --version | head -n 1)"
}

# ---------------------------------------------------------------------------------------------
# Steps
# ---------------------------------------------------------------------------------------------

build_native() {
  step "Configuring native/ (CMake, $CONFIGURATION) in $NATIVE_BUILD_DIR"
  cmake -S "$NATIVE_SOURCE_DIR" -B "$NATIVE_BUILD_DIR" -DCMAKE_BUILD_TYPE="$CONFIGURATION" -DENGINE_BUILD_CUDNN_SHIM=ON --log-level=WARNING
  step "Building native/"
  cmake --build "$NATIVE_BUILD_DIR" --config "$CONFIGURATION"
}

build_dotnet() {
  step "Building $SOLUTION ($CONFIGURATION)"
  dotnet build "$SOLUTION" -c "$CONFIGURATION" --nologo "$@"
}

do_build() {
  ensure_prerequisites
  build_native
  build_dotnet "$@"
}

# Runs ctest; sets NATIVE_PASSED, NATIVE_FAILED, NATIVE_SKIPPED, NATIVE_RC.
NATIVE_PASSED=0 NATIVE_FAILED=0 NATIVE_SKIPPED=0 NATIVE_RC=0
run_native_tests() {
  step "Running native tests (ctest)"
  local log="$NATIVE_BUILD_DIR/ctest-output.log" summary re total
  set +e
  ctest --test-dir "$NATIVE_BUILD_DIR" -C "$CONFIGURATION" --output-on-failure --no-tests=error 2>&1 | tee "$log"
  NATIVE_RC=${PIPESTATUS[0]}
  set -e
  # "100% tests passed, 0 tests failed out of 3"; tests that did not run are listed as
  # "  4 - name (Skipped)" or "(Disabled)" and are not counted as failed.
  summary="$(grep -E '[0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1 || true)"
  re='([0-9]+) tests? failed out of ([0-9]+)'
  if [[ "$summary" =~ $re ]]; then
    NATIVE_FAILED=${BASH_REMATCH[1]}
    total=${BASH_REMATCH[2]}
    NATIVE_SKIPPED="$(grep -cE '^[[:space:]]*[0-9]+ - .*\((Skipped|Disabled)\)[[:space:]]*$' "$log" || true)"
    NATIVE_PASSED=$((total - NATIVE_FAILED - NATIVE_SKIPPED))
    ((NATIVE_PASSED >= 0)) || NATIVE_PASSED=0
  elif ((NATIVE_RC != 0)); then
    NATIVE_FAILED=0
  fi
}

# Adds the <Counters> of every .trx under TEST_RESULTS_DIR; sets TRX_FILES, TRX_PASSED,
# TRX_FAILED (failed + error + timeout + aborted) and TRX_SKIPPED (tests that did not run).
TRX_FILES=0 TRX_PASSED=0 TRX_FAILED=0 TRX_SKIPPED=0 TRX_BROKEN=0
counter() { # counter NAME ELEMENT
  local re="[[:space:]]$1=\"([0-9]+)\""
  if [[ "$2" =~ $re ]]; then echo "${BASH_REMATCH[1]}"; else echo 0; fi
}
sum_trx_files() {
  local file content counters total executed not_executed re='<Counters[^>]*>'
  [[ -d "$TEST_RESULTS_DIR" ]] || return 0
  while IFS= read -r -d '' file; do
    content="$(<"$file")"
    if [[ ! "$content" =~ $re ]]; then
      warn "no <Counters> element in $file"
      TRX_BROKEN=$((TRX_BROKEN + 1))
      continue
    fi
    counters="${BASH_REMATCH[0]}"
    TRX_FILES=$((TRX_FILES + 1))
    TRX_PASSED=$((TRX_PASSED + $(counter passed "$counters")))
    TRX_FAILED=$((TRX_FAILED + $(counter failed "$counters") + $(counter error "$counters") \
      + $(counter timeout "$counters") + $(counter aborted "$counters")))
    # Skipped tests: not executed. xunit's skips show as total - executed, not as notExecuted.
    total=$(counter total "$counters")
    executed=$(counter executed "$counters")
    not_executed=$(counter notExecuted "$counters")
    ((total - executed > not_executed)) && not_executed=$((total - executed))
    TRX_SKIPPED=$((TRX_SKIPPED + not_executed))
  done < <(find "$TEST_RESULTS_DIR" -type f -name '*.trx' -print0)
}

do_test() {
  ensure_prerequisites
  build_native

  run_native_tests

  step "Running .NET tests (dotnet test, results in $TEST_RESULTS_DIR)"
  rm -rf "$TEST_RESULTS_DIR"
  mkdir -p "$TEST_RESULTS_DIR"
  # `--logger trx` without LogFileName: every test project writes its own uniquely named file.
  local dotnet_rc=0
  dotnet test "$SOLUTION" -c "$CONFIGURATION" --nologo \
    --logger trx --results-directory "$TEST_RESULTS_DIR" "$@" || dotnet_rc=$?

  sum_trx_files

  step "Test summary"
  local errors=0
  info ".NET:   $TRX_PASSED passed, $TRX_FAILED failed, $TRX_SKIPPED skipped ($TRX_FILES .trx file(s) in $TEST_RESULTS_DIR)"
  info "native: $NATIVE_PASSED passed, $NATIVE_FAILED failed, $NATIVE_SKIPPED skipped (ctest)"
  if ((dotnet_rc != 0)); then
    printf 'error: dotnet test failed (exit code %d)\n' "$dotnet_rc"
    errors=1
  fi
  if ((TRX_FILES == 0)); then
    printf 'error: no test results (.trx) found under %s\n' "$TEST_RESULTS_DIR"
    errors=1
  fi
  if ((TRX_BROKEN != 0)); then
    printf 'error: %d .trx file(s) could not be read\n' "$TRX_BROKEN"
    errors=1
  fi
  if ((NATIVE_RC != 0)); then
    printf 'error: ctest failed (exit code %d)\n' "$NATIVE_RC"
    errors=1
  fi

  local passed=$((TRX_PASSED + NATIVE_PASSED))
  local failed=$((TRX_FAILED + NATIVE_FAILED))
  local skipped=$((TRX_SKIPPED + NATIVE_SKIPPED))
  ((failed == 0)) || errors=1
  # The last line is exactly "N passed, N failed", which CI reads; skipped tests (data sets not on
  # this machine) are counted on the line before it.
  ((skipped == 0)) || info "skipped: $skipped (each names its reason in the TRX results)"
  printf '%d passed, %d failed\n' "$passed" "$failed"
  return "$errors"
}

do_demo() {
  do_build

  # Defaults, with each --name VALUE / --name=VALUE the user gave for one of them replacing it;
  # anything else is passed on after them.
  local -a values=("${DEMO_VALUES[@]}") extra=()
  local data_given=0 dataset_given=0 i key found
  while (($# > 0)); do
    found=-1
    for i in "${!DEMO_KEYS[@]}"; do
      key="--${DEMO_KEYS[$i]}"
      if [[ "$1" == "$key" && $# -ge 2 ]]; then
        values[i]="$2"
        found=$i
        shift 2
        break
      elif [[ "$1" == "$key="* ]]; then
        values[i]="${1#"$key="}"
        found=$i
        shift
        break
      fi
    done
    if ((found < 0)); then
      extra+=("$1")
      shift
    else
      [[ "${DEMO_KEYS[$found]}" == data ]] && data_given=1
      [[ "${DEMO_KEYS[$found]}" == dataset ]] && dataset_given=1
    fi
  done

  local -a args=(train)
  for i in "${!DEMO_KEYS[@]}"; do
    # Another data set without --data: let the engine use its default, data/<dataset>.
    if [[ "${DEMO_KEYS[$i]}" == data && $dataset_given -eq 1 && $data_given -eq 0 ]]; then
      continue
    fi
    args+=("--${DEMO_KEYS[$i]}" "${values[i]}")
  done
  args+=(${extra[@]+"${extra[@]}"})

  local -a engine
  if [[ -x "$ENGINE_DIR/engine" ]]; then
    engine=("$ENGINE_DIR/engine")
  elif [[ -f "$ENGINE_DIR/engine.dll" ]]; then
    engine=(dotnet "$ENGINE_DIR/engine.dll")
  else
    die "the engine was not found in $ENGINE_DIR after the build."
  fi

  step "Running the demo"
  info "$(printf '%q ' "${engine[@]}" "${args[@]}")"
  local rc=0
  "${engine[@]}" "${args[@]}" || rc=$?
  if ((rc != 0)); then
    die "the demo failed (exit code $rc)." \
      "Training needs a CPU backend plugin (the OpenBLAS one) in $ENGINE_DIR/plugins;" \
      "'$ENGINE_DIR/engine plugins' lists the plugins found and why any failed to load."
  fi
}

do_pack() {
  do_build "$@"
  step "Packing into $PACKAGES_DIR"
  rm -rf "$PACKAGES_DIR"
  dotnet msbuild packaging/Pack.proj -nologo -v:m -p:Configuration="$CONFIGURATION" -p:PackageOutputPath="$ROOT/$PACKAGES_DIR/"
  local package
  for package in "$PACKAGES_DIR"/*.nupkg; do info "$package"; done
}

do_clean() {
  step "Cleaning"
  local dir
  for dir in artifacts build; do
    if [[ -e "$dir" ]]; then
      info "removing $dir/"
      rm -rf "$dir"
    fi
  done
  for dir in src plugins tests samples packaging; do
    [[ -d "$dir" ]] || continue
    find "$dir" -type d \( -name bin -o -name obj -o -name TestResults \) -prune -print0 \
      | while IFS= read -r -d '' found; do
        info "removing $found/"
        rm -rf "$found"
      done
  done
}

# ---------------------------------------------------------------------------------------------

verb="${1:-build}"
(($# == 0)) || shift

case "$verb" in
  build) do_build "$@" ;;
  test) do_test "$@" ;;
  demo) do_demo "$@" ;;
  pack) do_pack "$@" ;;
  clean) do_clean ;;
  help | -h | --help) usage ;;
  *)
    printf 'error: unknown verb "%s"\n\n' "$verb" >&2
    usage >&2
    exit 2
    ;;
esac
