#!/usr/bin/env bash
# (The publish builds into artifacts/gpu-bundle-build: the CLI's Release OutDir, artifacts/engine, stays a framework-dependent build.)
# Builds what the GPU checks carry to a machine with a GPU but no .NET: the engine CLI published
# self-contained for linux-x64, every staged plugin (the cuDNN one included), OpenBLAS and the
# libraries it links (the CPU reference); one xz archive (about 30 MB), which with the working tree
# (MNIST is in data/mnist) stays under the device tool's 64 MiB carry limit.
#
#   benchmarks/gpu/publish-gpu-bundle.sh          -> artifacts/gpu-bundle.tar.xz
#
# On the GPU machine, benchmarks/gpu/run_cudnn_checks.sh unpacks it, builds the shim there from
# native/ (so that the header check runs against the real headers) and runs the checks.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
STAGE=artifacts/gpu-bundle
ARCHIVE=artifacts/gpu-bundle.tar.xz
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

step() { printf '==> %s\n' "$*"; }

step "Building native/ and the plugins (staged into artifacts/plugins)"
cmake -S native -B build/native -DCMAKE_BUILD_TYPE=Release --log-level=WARNING >/dev/null
cmake --build build/native >/dev/null
for project in plugins/*/*.csproj; do
  dotnet build "$project" -c Release --nologo -v quiet
done

step "Publishing the engine self-contained for linux-x64 into $STAGE/engine"
rm -rf "$STAGE"
dotnet publish src/Engine.Cli/Engine.Cli.csproj -c Release -r linux-x64 --self-contained \
  -p:DebugType=none -p:GenerateDocumentationFile=false -p:EngineCliOutDir="$ROOT/artifacts/gpu-bundle-build/" --nologo -v quiet -o "$STAGE/engine"
rm -rf "$STAGE/engine/plugins"
mkdir -p "$STAGE/engine/plugins"
cp -r artifacts/plugins/. "$STAGE/engine/plugins/"
find "$STAGE/engine/plugins" \( -name '*.pdb' -o -name '*.xml' \) -delete
# The device tool carries at most 64 MiB with the working tree: drop what a Linux GPU run never loads
# (other platforms' native libraries, the debugger's data-access libraries).
find "$STAGE/engine" -path '*/runtimes/*' -type d \( -name 'win-*' -o -name 'osx*' -o -name 'linux-arm*' -o -name 'linux-musl*' \) -prune -exec rm -rf {} +
rm -f "$STAGE/engine/libmscordaccore.so" "$STAGE/engine/libmscordbi.so"

step "Bundling OpenBLAS and the libraries it links"
benchmarks/gpu/bundle-openblas.sh "$STAGE/lib"

step "Archiving"
tar -C artifacts -cf - gpu-bundle | xz -9 -T2 > "$ARCHIVE.part" && mv "$ARCHIVE.part" "$ARCHIVE"
printf '    %s (%s)\n' "$ARCHIVE" "$(du -h "$ARCHIVE" | cut -f1)"
