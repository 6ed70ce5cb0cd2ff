#!/usr/bin/env bash
# Regenerates src/Engine.Abstractions/PublicAPI.{Shipped,Unshipped}.txt from the current source, for
# the public API analyzer (Microsoft.CodeAnalysis.PublicApiAnalyzers) that fails the SDK's build
# when a public symbol is not declared in them.
#
#   tools/update-public-api.sh            the whole current API becomes PublicAPI.Shipped.txt (the
#                                         released SDK, now 2.0); PublicAPI.Unshipped.txt is left empty
#   tools/update-public-api.sh --unshipped keep PublicAPI.Shipped.txt; list what the source adds beyond
#                                         it in PublicAPI.Unshipped.txt (work towards the next minor)
#   tools/update-public-api.sh --check    fail (exit 1) when the files do not match the source; changes nothing
#
# Use the first after merging SDK changes while 2.0 is not yet released, the second once it is.
# The entries are written by the analyzer's own code fix (RS0016, through `dotnet format analyzers`),
# so their format is exactly what the analyzer reads.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PROJECT="$ROOT/src/Engine.Abstractions/Engine.Abstractions.csproj"
SHIPPED="$ROOT/src/Engine.Abstractions/PublicAPI.Shipped.txt"
UNSHIPPED="$ROOT/src/Engine.Abstractions/PublicAPI.Unshipped.txt"
HEADER='#nullable enable'

mode="${1:-ship}"
case "$mode" in
  ship | --ship) mode=ship ;;
  --unshipped) mode=unshipped ;;
  --check) mode=check ;;
  -h | --help)
    sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *)
    printf 'error: unknown option "%s" (expected --unshipped, --check or nothing)\n' "$mode" >&2
    exit 2
    ;;
esac

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

# Entries of a PublicAPI file without the header and blank lines, sorted (ordinal) and unique.
entries() { grep -v -e '^#nullable enable$' -e '^[[:space:]]*$' "$1" | LC_ALL=C sort -u || true; }

write_file() { # write_file FILE < entries
  { echo "$HEADER"; cat; } >"$1"
}

# Declares every undeclared public symbol in PublicAPI.Unshipped.txt (the analyzer's RS0016 fix).
# A fix-all pass may leave some symbols (e.g. members of types it added in the same pass), so repeat
# until the file stops changing.
declare_missing() {
  local pass before after
  for pass in 1 2 3 4 5; do
    before="$(cksum <"$UNSHIPPED")"
    dotnet format analyzers "$PROJECT" --diagnostics RS0016 --severity warn -v q
    after="$(cksum <"$UNSHIPPED")"
    [[ "$before" != "$after" ]] || return 0
  done
}

backup="$(mktemp -d)"
cp "$SHIPPED" "$UNSHIPPED" "$backup/"
restore() { cp "$backup/$(basename "$SHIPPED")" "$SHIPPED"; cp "$backup/$(basename "$UNSHIPPED")" "$UNSHIPPED"; }
trap 'rm -rf "$backup"' EXIT

case "$mode" in
  ship | check)
    # Start from nothing declared, so removed or changed symbols disappear too.
    echo "$HEADER" >"$SHIPPED"
    echo "$HEADER" >"$UNSHIPPED"
    if ! declare_missing; then
      restore
      echo "error: dotnet format failed; the PublicAPI files are unchanged" >&2
      exit 1
    fi
    entries "$UNSHIPPED" | write_file "$SHIPPED"
    echo "$HEADER" >"$UNSHIPPED"
    if [[ "$mode" == check ]]; then
      current="$(entries "$SHIPPED")"
      restore
      # Shipped plus what Unshipped adds, less what Unshipped marks *REMOVED*.
      removed="$(entries "$UNSHIPPED" | sed -n 's/^\*REMOVED\*//p')"
      declared="$( (entries "$SHIPPED"; entries "$UNSHIPPED") | grep -v '^\*REMOVED\*' | LC_ALL=C sort -u | LC_ALL=C comm -23 - <(echo "$removed" | LC_ALL=C sort -u))"
      if [[ "$current" != "$declared" ]]; then
        echo "error: the PublicAPI files do not match the source of Engine.Abstractions:" >&2
        diff <(echo "$declared") <(echo "$current") | grep '^[<>]' | sed -e 's/^</  declared, not in source:/' -e 's/^>/  in source, not declared:/' >&2 || true
        echo "run tools/update-public-api.sh (or --unshipped) to update them" >&2
        exit 1
      fi
      echo "the PublicAPI files match the source"
      exit 0
    fi
    ;;
  unshipped)
    # Shipped stays; Unshipped is rebuilt: new symbols, and *REMOVED* lines for shipped ones gone.
    echo "$HEADER" >"$UNSHIPPED"
    echo "$HEADER" >"$SHIPPED"
    if ! declare_missing; then
      restore
      echo "error: dotnet format failed; the PublicAPI files are unchanged" >&2
      exit 1
    fi
    current="$(entries "$UNSHIPPED")"
    shipped="$(entries "$backup/$(basename "$SHIPPED")" | grep -v '^\*REMOVED\*' || true)"
    cp "$backup/$(basename "$SHIPPED")" "$SHIPPED"
    {
      LC_ALL=C comm -13 <(echo "$shipped") <(echo "$current")
      LC_ALL=C comm -23 <(echo "$shipped") <(echo "$current") | sed '/^$/d; s/^/*REMOVED*/'
    } | sed '/^$/d' | write_file "$UNSHIPPED"
    ;;
esac

echo "$(($(wc -l <"$SHIPPED") - 1)) shipped, $(($(wc -l <"$UNSHIPPED") - 1)) unshipped entries in src/Engine.Abstractions/PublicAPI.*.txt"
