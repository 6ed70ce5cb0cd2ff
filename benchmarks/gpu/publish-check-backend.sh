#!/usr/bin/env bash
# Publishes the conformance kit as a self-contained linux-x64 program (no .NET needed where it runs),
# with every staged plugin in plugins/ beside it and the CPU reference's OpenBLAS (and the libraries
# it needs) in lib/, and tars it: this is what is carried to a GPU machine.
#
#   benchmarks/gpu/publish-check-backend.sh [OUTPUT_DIR]     (default artifacts/check-backend)
#
# Then, on the target machine:
#   tar xzf check-backend-linux-x64.tar.gz && check-backend/run.sh NAME [--filter TEXT] [--hide-skipped]
# run.sh points the OpenBLAS plugin at the bundled library (ENGINE_OPENBLAS_LIBRARY) unless the
# caller set it, and runs check-backend, which prints a line per case and ends with "N passed, N failed".
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
OUT="${1:-artifacts/check-backend}"
ARCHIVE="$(dirname "$OUT")/check-backend-linux-x64.tar.gz"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

step() { printf '==> %s\n' "$*"; }

step "Building the plugins (staged into artifacts/plugins)"
for project in plugins/*/*.csproj; do
  dotnet build "$project" -c Release --nologo -v quiet
done

step "Publishing check-backend self-contained for linux-x64 into $OUT"
rm -rf "$OUT"
dotnet publish src/Engine.Conformance.Runner/Engine.Conformance.Runner.csproj -c Release -r linux-x64 --self-contained \
  -p:DebugType=none -p:GenerateDocumentationFile=false --nologo -v quiet -o "$OUT"
mkdir -p "$OUT/plugins"
cp -r artifacts/plugins/. "$OUT/plugins/"
# Documentation and symbol files of the plugins are not needed to run.
find "$OUT/plugins" \( -name '*.pdb' -o -name '*.xml' \) -delete

step "Bundling OpenBLAS and the libraries it links (the CPU reference)"
benchmarks/gpu/bundle-openblas.sh "$OUT/lib"

cat > "$OUT/run.sh" <<'RUN'
#!/usr/bin/env bash
# Runs check-backend with the bundled OpenBLAS unless ENGINE_OPENBLAS_LIBRARY is already set.
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ -z "${ENGINE_OPENBLAS_LIBRARY:-}" && -f "$HERE/lib/libopenblas.so.0" ]]; then
  export ENGINE_OPENBLAS_LIBRARY="$HERE/lib/libopenblas.so.0"
  export LD_LIBRARY_PATH="$HERE/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
exec "$HERE/check-backend" "$@"
RUN
chmod +x "$OUT/run.sh" "$OUT/check-backend"

step "Archiving"
tar -C "$(dirname "$OUT")" -czf "$ARCHIVE" "$(basename "$OUT")"
printf '    %s (%s)\n' "$ARCHIVE" "$(du -h "$ARCHIVE" | cut -f1)"
printf '    run: tar xzf %s && %s/run.sh openblas\n' "$(basename "$ARCHIVE")" "$(basename "$OUT")"
