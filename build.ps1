#!/usr/bin/env pwsh
#Requires -Version 7.0
<#
.SYNOPSIS
  Build, test and run the engine (PowerShell 7, Windows and Linux). Kept in step with build.sh.

.DESCRIPTION
  ./build.ps1 [build]      prerequisites, native/ (CMake), Engine.sln (dotnet build)
  ./build.ps1 test         prerequisites, native/, then ctest and dotnet test; prints "N passed, N failed"
  ./build.ps1 demo [ARGS]  build, then train LeNet-5 on the bundled MNIST (ARGS override the defaults)
  ./build.ps1 clean        remove build outputs
  ./build.ps1 help         usage

  Environment: CONFIGURATION (default Release), ENGINE_OPENBLAS_LIBRARY (the OpenBLAS library to use;
  on Windows, a libopenblas.dll found on PATH is used otherwise).
#>

# No param() block on purpose: every argument (including ones like --epochs, which PowerShell would
# otherwise try to bind as parameters) arrives untouched in $args.
Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
# Native commands' exit codes are checked by hand ($LASTEXITCODE), never turned into exceptions.
$PSNativeCommandUseErrorActionPreference = $false

$ScriptArgs = @($args)
$Verb = if ($ScriptArgs.Count -gt 0) { [string]$ScriptArgs[0] } else { 'build' }
$Rest = @($ScriptArgs | Select-Object -Skip 1 | ForEach-Object { [string]$_ })

$Root = $PSScriptRoot
$Configuration = if ($env:CONFIGURATION) { $env:CONFIGURATION } else { 'Release' }
$Solution = 'Engine.sln'
$NativeSourceDir = 'native'
$NativeBuildDir = 'build/native'
$TestResultsDir = 'artifacts/test-results'
# Release builds of the engine go to artifacts/engine, others to artifacts/engine-<configuration>.
$EngineDir = if ($Configuration -eq 'Release') { 'artifacts/engine' } else { "artifacts/engine-$($Configuration.ToLowerInvariant())" }

if (-not $env:DOTNET_NOLOGO) { $env:DOTNET_NOLOGO = '1' }
if (-not $env:DOTNET_CLI_TELEMETRY_OPTOUT) { $env:DOTNET_CLI_TELEMETRY_OPTOUT = '1' }

# The main job `demo` runs; extra arguments given to `demo` replace these values.
$DemoKeys = @('model', 'dataset', 'data', 'epochs', 'batch-size', 'lr', 'momentum', 'schedule', 'seed', 'checkpoint', 'metrics', 'curves')
$DemoValues = @('lenet5', 'mnist', 'data/mnist', '5', '64', '0.05', '0.9', 'cosine', '1', 'artifacts/demo/lenet5.ckpt', 'artifacts/demo/metrics.csv', 'artifacts/demo/curves.svg')

function Write-Step([string]$Message) { Write-Host "==> $Message" }
function Write-Info([string]$Message) { Write-Host "    $Message" }
function Write-Warn([string]$Message) { [Console]::Error.WriteLine("warning: $Message") }

function Stop-Build {
  param([Parameter(Mandatory)][string]$Message, [string[]]$Details = @(), [int]$Code = 1)
  [Console]::Error.WriteLine("error: $Message")
  foreach ($line in $Details) { [Console]::Error.WriteLine("       $line") }
  exit $Code
}

function Show-Usage {
  @'
Usage: ./build.ps1 [VERB] [ARGS...]

Verbs:
  build (default)  check prerequisites (OpenBLAS, CMake, a C compiler; on Debian/Ubuntu missing ones
                   are installed with apt-get; the .NET 10 SDK must be present), build native/ with
                   CMake into build/native, then dotnet build Engine.sln. ARGS go to dotnet build.
  test             prerequisites and native/ as above, then ctest (build/native) and dotnet test
                   (TRX results in artifacts/test-results). Ends with the line "N passed, N failed";
                   exits non-zero when anything failed. ARGS go to dotnet test (e.g. --filter X).
  demo [ARGS]      build, then run from the repository root:
                     artifacts/engine/engine train --model lenet5 --dataset mnist --data data/mnist
                       --epochs 5 --batch-size 64 --lr 0.05 --momentum 0.9 --schedule cosine --seed 1
                       --checkpoint artifacts/demo/lenet5.ckpt --metrics artifacts/demo/metrics.csv
                       --curves artifacts/demo/curves.svg
                   ARGS replace those values or add options (./build.ps1 demo --epochs 2 --limit 1000).
  clean            remove artifacts/, build/ and the bin/ and obj/ folders of the projects.
  help             show this text.

Environment:
  CONFIGURATION            build configuration for dotnet and CMake (default: Release)
  ENGINE_OPENBLAS_LIBRARY  path of the OpenBLAS library to use (Windows: libopenblas.dll; otherwise the
                           system's libopenblas.so.0 is looked up)
'@ | Write-Host
}

function Test-Command([string]$Name) { [bool](Get-Command $Name -CommandType Application -ErrorAction SilentlyContinue) }

# Runs a native command; stops the build when it fails.
function Invoke-Checked {
  param([Parameter(Mandatory)][string]$File, [string[]]$Arguments = @())
  & $File @Arguments
  if ($LASTEXITCODE -ne 0) {
    Stop-Build "'$File $($Arguments -join ' ')' failed (exit code $LASTEXITCODE)." -Code $LASTEXITCODE
  }
}

# ---------------------------------------------------------------------------------------------
# Prerequisites
# ---------------------------------------------------------------------------------------------

# 'root', 'sudo' (passwordless sudo), or '' when packages cannot be installed.
function Get-RootMode {
  $ErrorActionPreference = 'Continue'
  $uid = (& id -u 2>$null | Out-String).Trim()
  if ($uid -eq '0') { return 'root' }
  if (Test-Command 'sudo') {
    & sudo -n true *> $null
    if ($LASTEXITCODE -eq 0) { return 'sudo' }
  }
  return ''
}

# apt-get ARGS as root (directly or through sudo -n), output appended to $Log; returns the exit code.
function Invoke-AptGet([string]$Mode, [string]$Log, [string[]]$AptArgs = @()) {
  $ErrorActionPreference = 'Continue'
  $common = @('-q', '-o', 'DPkg::Lock::Timeout=300')
  if ($Mode -eq 'sudo') {
    & sudo -n env DEBIAN_FRONTEND=noninteractive apt-get @common @AptArgs *>> $Log
  } else {
    $saved = $env:DEBIAN_FRONTEND
    $env:DEBIAN_FRONTEND = 'noninteractive'
    try { & apt-get @common @AptArgs *>> $Log } finally { $env:DEBIAN_FRONTEND = $saved }
  }
  return $LASTEXITCODE
}

# Installs packages with apt-get, running apt-get update and retrying once when the first try fails.
function Install-AptPackages([string[]]$Packages = @()) {
  $mode = Get-RootMode
  if (-not $mode) {
    Stop-Build "cannot install $($Packages -join ' '): not root and 'sudo -n' is not available." `
      -Details @("Install them yourself: sudo apt-get install -y $($Packages -join ' ')")
  }
  $log = [IO.Path]::GetTempFileName()
  try {
    Write-Info "installing: $($Packages -join ' ') (apt-get install -y $($Packages -join ' '))"
    if ((Invoke-AptGet $mode $log (@('install', '-y') + $Packages)) -ne 0) {
      Write-Info 'apt-get install failed; running apt-get update and retrying'
      $ok = ((Invoke-AptGet $mode $log @('update')) -eq 0) -and
            ((Invoke-AptGet $mode $log (@('install', '-y') + $Packages)) -eq 0)
      if (-not $ok) {
        Get-Content -LiteralPath $log -Tail 20 | ForEach-Object { [Console]::Error.WriteLine($_) }
        Stop-Build "apt-get could not install $($Packages -join ' ')." `
          -Details @("Install them yourself: sudo apt-get install -y $($Packages -join ' ')")
      }
    }
  } finally {
    Remove-Item -LiteralPath $log -Force -ErrorAction SilentlyContinue
  }
}

# Where OpenBLAS is, or $null.
function Find-OpenBlas {
  if ($env:ENGINE_OPENBLAS_LIBRARY) {
    if (Test-Path -LiteralPath $env:ENGINE_OPENBLAS_LIBRARY -PathType Leaf) {
      return "$($env:ENGINE_OPENBLAS_LIBRARY) (ENGINE_OPENBLAS_LIBRARY)"
    }
    return $null
  }
  if ($IsWindows) {
    foreach ($dir in ($env:PATH -split [IO.Path]::PathSeparator)) {
      if (-not $dir) { continue }
      $candidate = Join-Path $dir 'libopenblas.dll'
      if (Test-Path -LiteralPath $candidate -PathType Leaf) { return $candidate }
    }
    return $null
  }
  $ldconfig = (Get-Command ldconfig -CommandType Application -ErrorAction SilentlyContinue |
    Select-Object -First 1 -ExpandProperty Source)
  if (-not $ldconfig) {
    $ldconfig = @('/sbin/ldconfig', '/usr/sbin/ldconfig') | Where-Object { Test-Path $_ } | Select-Object -First 1
  }
  if (-not $ldconfig) { return $null }
  $ErrorActionPreference = 'Continue'
  $line = & $ldconfig -p 2>$null | Where-Object { $_ -match 'libopenblas\.so\.0' } | Select-Object -First 1
  if (-not $line) { return $null }
  return ($line -split '=>\s*')[-1].Trim()
}

function Write-OpenBlasInstructions {
  if ($IsWindows) {
    @'
OpenBLAS (libopenblas.dll) is needed by the CPU backend and was not found. Either:
  - download the Windows x64 zip of an OpenBLAS release (https://github.com/OpenMathLib/OpenBLAS/releases),
    unzip it, and add its bin\ folder (the one holding libopenblas.dll) to PATH, or set
    $env:ENGINE_OPENBLAS_LIBRARY = 'C:\path\to\bin\libopenblas.dll'
  - or with vcpkg: vcpkg install openblas:x64-windows, then set ENGINE_OPENBLAS_LIBRARY to
    <vcpkg root>\installed\x64-windows\bin\openblas.dll
'@ | ForEach-Object { [Console]::Error.WriteLine($_) }
  } else {
    @'
OpenBLAS (libopenblas.so.0) is needed by the CPU backend. Install it with your package manager:
  Debian/Ubuntu:  apt-get install -y libopenblas-dev
  Fedora/RHEL:    dnf install -y openblas-devel
  Arch:           pacman -S openblas
  openSUSE:       zypper install openblas-devel
  macOS:          brew install openblas
or point ENGINE_OPENBLAS_LIBRARY at an OpenBLAS shared library.
'@ | ForEach-Object { [Console]::Error.WriteLine($_) }
  }
}

function Test-CCompiler { (Test-Command 'cc') -or (Test-Command 'gcc') -or (Test-Command 'clang') }
# CMake's default generator on Linux is Unix Makefiles; a chosen CMAKE_GENERATOR brings its own tool.
function Test-MakeTool { [bool]$env:CMAKE_GENERATOR -or (Test-Command 'make') }

function Assert-Prerequisites {
  Write-Step 'Checking prerequisites'

  # .NET 10 SDK: never installed by this script.
  if (-not (Test-Command 'dotnet')) {
    Stop-Build "'dotnet' was not found on PATH." -Details @(
      'Install the .NET 10 SDK: https://dotnet.microsoft.com/download/dotnet/10.0')
  }
  $sdks = @(& dotnet --list-sdks 2>$null)
  if (-not ($sdks | Where-Object { $_ -match '^10\.' })) {
    Stop-Build "no .NET 10 SDK found (dotnet --list-sdks: $(if ($sdks) { $sdks -join '; ' } else { 'none' }))." `
      -Details @('Install the .NET 10 SDK: https://dotnet.microsoft.com/download/dotnet/10.0')
  }
  $dotnetVersion = (& dotnet --version 2>$null | Out-String).Trim()
  Write-Info "dotnet: $dotnetVersion ($((Get-Command dotnet -CommandType Application | Select-Object -First 1).Source))"

  if ($env:ENGINE_OPENBLAS_LIBRARY -and -not (Test-Path -LiteralPath $env:ENGINE_OPENBLAS_LIBRARY -PathType Leaf)) {
    Stop-Build "ENGINE_OPENBLAS_LIBRARY is set to '$($env:ENGINE_OPENBLAS_LIBRARY)', which is not a file." -Details @(
      'Point it at an OpenBLAS shared library, or unset it.')
  }

  if ($IsWindows) {
    $blas = Find-OpenBlas
    if (-not $blas) {
      Write-OpenBlasInstructions
      Stop-Build 'OpenBLAS was not found.'
    }
    if (-not (Test-Command 'cmake')) {
      Stop-Build "'cmake' was not found on PATH." -Details @(
        'Install CMake 3.20 or newer (winget install Kitware.CMake, or the "C++ CMake tools for Windows"',
        'component of Visual Studio) and a C compiler (Visual Studio or its Build Tools with',
        '"Desktop development with C++"), then run this again from a shell that has them on PATH.')
    }
  } else {
    $packages = [System.Collections.Generic.List[string]]::new()
    if (-not (Find-OpenBlas)) { $packages.Add('libopenblas-dev') }
    if (-not (Test-Command 'cmake')) { $packages.Add('cmake') }
    if (-not (Test-CCompiler)) { $packages.Add('gcc'); $packages.Add('libc6-dev') }
    if (-not (Test-MakeTool)) { $packages.Add('make') }
    # Open MPI for 'engine train --distributed mpi' (mpirun and libmpi.so.40); installed where apt-get
    # can, as OpenBLAS is, and optional elsewhere: only distributed training needs it.
    if ($IsLinux -and (Test-Command 'apt-get') -and -not (Test-Command 'mpirun')) { $packages.Add('openmpi-bin'); $packages.Add('libopenmpi-dev') }
    if ($packages.Count -gt 0) {
      Write-Info "missing: $($packages -join ' ')"
      if ($IsLinux -and (Test-Command 'apt-get')) {
        Install-AptPackages $packages.ToArray()
      } else {
        if ($packages.Contains('libopenblas-dev')) { Write-OpenBlasInstructions }
        Stop-Build "missing prerequisites (Debian/Ubuntu package names): $($packages -join ' ')" -Details @(
          'Install OpenBLAS, CMake (3.20 or newer), a C compiler and make, then run this again.')
      }
    }
    $blas = Find-OpenBlas
    if (-not $blas) {
      Write-OpenBlasInstructions
      Stop-Build 'OpenBLAS (libopenblas.so.0) is still not found after installing libopenblas-dev.'
    }
    if (-not (Test-Command 'cmake')) { Stop-Build 'cmake is still not found after installing it.' }
  }
  Write-Info "OpenBLAS: $blas"
  Write-Info "cmake: $((& cmake --version | Select-Object -First 1))"
}

# ---------------------------------------------------------------------------------------------
# Steps
# ---------------------------------------------------------------------------------------------

function Build-Native {
  Write-Step "Configuring native/ (CMake, $Configuration) in $NativeBuildDir"
  Invoke-Checked cmake @('-S', $NativeSourceDir, '-B', $NativeBuildDir, "-DCMAKE_BUILD_TYPE=$Configuration", '-DENGINE_BUILD_CUDNN_SHIM=ON', '--log-level=WARNING')
  Write-Step 'Building native/'
  Invoke-Checked cmake @('--build', $NativeBuildDir, '--config', $Configuration)
}

function Build-DotNet([string[]]$ExtraArgs = @()) {
  Write-Step "Building $Solution ($Configuration)"
  Invoke-Checked dotnet (@('build', $Solution, '-c', $Configuration, '--nologo') + $ExtraArgs)
}

function Invoke-Build([string[]]$ExtraArgs = @()) {
  Assert-Prerequisites
  Build-Native
  Build-DotNet $ExtraArgs
}

# Runs ctest; returns its counts and exit code.
function Invoke-NativeTests {
  Write-Step 'Running native tests (ctest)'
  $ErrorActionPreference = 'Continue'
  $output = @(& ctest --test-dir $NativeBuildDir -C $Configuration --output-on-failure --no-tests=error 2>&1 |
    ForEach-Object { $line = "$_"; Write-Host $line; $line })
  $rc = $LASTEXITCODE
  $result = [pscustomobject]@{ Passed = 0; Failed = 0; Skipped = 0; ExitCode = $rc }
  # "100% tests passed, 0 tests failed out of 3"; tests that did not run are listed as
  # "  4 - name (Skipped)" or "(Disabled)" and are not counted as failed.
  $summary = $output | Where-Object { $_ -match '\d+ tests? failed out of \d+' } | Select-Object -Last 1
  if ($summary -and $summary -match '(\d+) tests? failed out of (\d+)') {
    $failed = [int]$Matches[1]
    $total = [int]$Matches[2]
    $skipped = @($output | Where-Object { $_ -match '^\s*\d+ - .*\((Skipped|Disabled)\)\s*$' }).Count
    $result.Failed = $failed
    $result.Skipped = $skipped
    $result.Passed = [Math]::Max(0, $total - $failed - $skipped)
  }
  return $result
}

# Adds up the <Counters> of every .trx under $TestResultsDir.
function Get-TrxTotals {
  $totals = [pscustomobject]@{ Files = 0; Broken = 0; Passed = 0; Failed = 0; Skipped = 0 }
  if (-not (Test-Path -LiteralPath $TestResultsDir)) { return $totals }
  $files = @(Get-ChildItem -LiteralPath $TestResultsDir -Recurse -File -Filter '*.trx')
  foreach ($file in $files) {
    $counters = $null
    try {
      $xml = [xml](Get-Content -LiteralPath $file.FullName -Raw)
      $counters = $xml.SelectSingleNode("//*[local-name()='ResultSummary']/*[local-name()='Counters']")
    } catch {
      $counters = $null
    }
    if ($null -eq $counters) {
      Write-Warn "no <Counters> element in $($file.FullName)"
      $totals.Broken++
      continue
    }
    $get = {
      param($name)
      $value = $counters.GetAttribute($name)
      if ($value -match '^\d+$') { [int]$value } else { 0 }
    }
    $totals.Files++
    $totals.Passed += & $get 'passed'
    $totals.Failed += (& $get 'failed') + (& $get 'error') + (& $get 'timeout') + (& $get 'aborted')
    # Skipped tests: not executed. xunit's skips show as total - executed, not as notExecuted.
    $totals.Skipped += [Math]::Max((& $get 'notExecuted'), (& $get 'total') - (& $get 'executed'))
  }
  return $totals
}

# Sets $script:ExitCode. Not a function that returns a value on purpose: everything the native
# commands print goes to this function's output, which must reach the console, not a variable.
function Invoke-Test([string[]]$ExtraArgs = @()) {
  Assert-Prerequisites
  Build-Native

  $native = Invoke-NativeTests

  Write-Step "Running .NET tests (dotnet test, results in $TestResultsDir)"
  if (Test-Path -LiteralPath $TestResultsDir) { Remove-Item -LiteralPath $TestResultsDir -Recurse -Force }
  New-Item -ItemType Directory -Path $TestResultsDir -Force | Out-Null
  # `--logger trx` without LogFileName: every test project writes its own uniquely named file.
  & dotnet test $Solution -c $Configuration --nologo --logger trx --results-directory $TestResultsDir @ExtraArgs
  $dotnetRc = $LASTEXITCODE

  $trx = Get-TrxTotals

  Write-Step 'Test summary'
  $errors = $false
  Write-Info ".NET:   $($trx.Passed) passed, $($trx.Failed) failed, $($trx.Skipped) skipped ($($trx.Files) .trx file(s) in $TestResultsDir)"
  Write-Info "native: $($native.Passed) passed, $($native.Failed) failed, $($native.Skipped) skipped (ctest)"
  if ($dotnetRc -ne 0) { Write-Host "error: dotnet test failed (exit code $dotnetRc)"; $errors = $true }
  if ($trx.Files -eq 0) { Write-Host "error: no test results (.trx) found under $TestResultsDir"; $errors = $true }
  if ($trx.Broken -ne 0) { Write-Host "error: $($trx.Broken) .trx file(s) could not be read"; $errors = $true }
  if ($native.ExitCode -ne 0) { Write-Host "error: ctest failed (exit code $($native.ExitCode))"; $errors = $true }

  $passed = $trx.Passed + $native.Passed
  $failed = $trx.Failed + $native.Failed
  $skipped = $trx.Skipped + $native.Skipped
  if ($failed -gt 0) { $errors = $true }
  # The last line is exactly "N passed, N failed", which CI reads; skipped tests are counted before it.
  if ($skipped -gt 0) { Write-Info "skipped: $skipped (each names its reason in the TRX results)" }
  Write-Host "$passed passed, $failed failed"
  if ($errors) { $script:ExitCode = 1 }
}

function Invoke-Demo([string[]]$UserArgs = @()) {
  Invoke-Build @()

  # Defaults, with each --name VALUE / --name=VALUE the user gave for one of them replacing it;
  # anything else is passed on after them.
  $values = [string[]]$DemoValues.Clone()
  $extra = [System.Collections.Generic.List[string]]::new()
  $given = @{}
  $i = 0
  while ($i -lt $UserArgs.Count) {
    $arg = $UserArgs[$i]
    $found = -1
    for ($k = 0; $k -lt $DemoKeys.Count; $k++) {
      $key = "--$($DemoKeys[$k])"
      if ($arg -eq $key -and ($i + 1) -lt $UserArgs.Count) {
        $values[$k] = $UserArgs[$i + 1]; $found = $k; $i += 2; break
      } elseif ($arg.StartsWith("$key=", [StringComparison]::Ordinal)) {
        $values[$k] = $arg.Substring($key.Length + 1); $found = $k; $i += 1; break
      }
    }
    if ($found -lt 0) { $extra.Add($arg); $i += 1 } else { $given[$DemoKeys[$found]] = $true }
  }

  $engineArgs = [System.Collections.Generic.List[string]]::new()
  $engineArgs.Add('train')
  for ($k = 0; $k -lt $DemoKeys.Count; $k++) {
    # Another data set without --data: let the engine use its default, data/<dataset>.
    if ($DemoKeys[$k] -eq 'data' -and $given.ContainsKey('dataset') -and -not $given.ContainsKey('data')) { continue }
    $engineArgs.Add("--$($DemoKeys[$k])")
    $engineArgs.Add($values[$k])
  }
  $engineArgs.AddRange($extra)

  $exe = [IO.Path]::Combine($Root, $EngineDir, $(if ($IsWindows) { 'engine.exe' } else { 'engine' }))
  $dll = [IO.Path]::Combine($Root, $EngineDir, 'engine.dll')
  if (Test-Path -LiteralPath $exe -PathType Leaf) {
    $command = $exe; $commandArgs = $engineArgs.ToArray()
  } elseif (Test-Path -LiteralPath $dll -PathType Leaf) {
    $command = 'dotnet'; $commandArgs = @($dll) + $engineArgs.ToArray()
  } else {
    Stop-Build "the engine was not found in $EngineDir after the build."
  }

  Write-Step 'Running the demo'
  $shown = if ([IO.Path]::IsPathRooted($command)) { [IO.Path]::GetRelativePath($Root, $command) } else { $command }
  Write-Info "$shown $($commandArgs -join ' ')"
  & $command @commandArgs
  $rc = $LASTEXITCODE
  if ($rc -ne 0) {
    Stop-Build "the demo failed (exit code $rc)." -Code $rc -Details @(
      "Training needs a CPU backend plugin (the OpenBLAS one) in $EngineDir/plugins;",
      "'$EngineDir/engine plugins' lists the plugins found and why any failed to load.")
  }
}

function Invoke-Clean {
  Write-Step 'Cleaning'
  foreach ($dir in @('artifacts', 'build')) {
    if (Test-Path -LiteralPath $dir) {
      Write-Info "removing $dir/"
      Remove-Item -LiteralPath $dir -Recurse -Force
    }
  }
  foreach ($dir in @('src', 'plugins', 'tests', 'samples')) {
    if (-not (Test-Path -LiteralPath $dir -PathType Container)) { continue }
    $targets = Get-ChildItem -LiteralPath $dir -Directory -Recurse -Force |
      Where-Object { $_.Name -in @('bin', 'obj', 'TestResults') } |
      Sort-Object { $_.FullName.Length }
    foreach ($target in $targets) {
      if (Test-Path -LiteralPath $target.FullName) {
        Write-Info "removing $([IO.Path]::GetRelativePath($Root, $target.FullName))/"
        Remove-Item -LiteralPath $target.FullName -Recurse -Force
      }
    }
  }
}

# ---------------------------------------------------------------------------------------------

$script:ExitCode = 0
Push-Location -LiteralPath $Root
try {
  switch -CaseSensitive ($Verb) {
    'build' { Invoke-Build $Rest }
    'test' { Invoke-Test $Rest }
    'demo' { Invoke-Demo $Rest }
    'clean' { Invoke-Clean }
    { $_ -in @('help', '-h', '--help', '-?', '/?') } { Show-Usage }
    default {
      [Console]::Error.WriteLine("error: unknown verb `"$Verb`"")
      [Console]::Error.WriteLine('')
      Show-Usage
      $script:ExitCode = 2
    }
  }
} finally {
  Pop-Location
}
exit $script:ExitCode
