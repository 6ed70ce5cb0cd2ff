using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Engine.Tests;
using Xunit.Abstractions;

namespace Engine.Cli.Tests;

/// <summary>
/// <c>engine train --dashboard</c>: a real browser (headless Chromium, Debian's <c>chromium</c>, which
/// .ci/run installs) opens the page after the first epoch of a short run; the page's epoch list must
/// end up holding every epoch with the values the run printed (so it updated live), and a screenshot
/// goes into the test output. The bind and port errors are checked without a browser.
/// </summary>
public sealed partial class DashboardTests(ITestOutputHelper log)
{
    private const string Chromium = "/usr/bin/chromium";
    private const int Epochs = 8;

    [ChromiumFact]
    public async Task A_browser_sees_the_curves_of_every_epoch_as_the_run_goes()
    {
        var output = new StringWriter();
        TextWriter synchronized = TextWriter.Synchronized(output);
        Task<int> run = Task.Run(() => EngineCli.Run(
            ["train", "--model", "lenet5", "--data", RepoPaths.Mnist, "--limit", "20000", "--epochs", $"{Epochs}", "--dashboard", "--no-progress", "--plugins", RepoPaths.StagedPlugins],
            synchronized, TextWriter.Synchronized(new StringWriter())));
        string url = await WaitFor(output, DashboardLine(), run);
        await WaitFor(output, FirstEpoch(), run);

        // The run must outlast the screenshot (20,000 examples an epoch: 8 epochs of 300 ended within the 8 s
        // once LeNet-5 training got faster). The screenshot 8 s after the page opens, mid-run; then a page opened while the run goes on: virtual
        // time waits for the event stream, so its DOM is dumped when the run ends and closes the stream,
        // and every epoch it holds beyond the ones already done came live.
        string screenshot = Path.Combine(RepoPaths.Root, "artifacts", "test-output", "dashboard.png");
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        await Browser($"--timeout=8000 --window-size=1000,1100 --screenshot={screenshot} {url}");
        int done = EpochLine().Matches(output.ToString()).Count;
        string dom = await Browser($"--virtual-time-budget=5000 --dump-dom {url}");
        Assert.Equal(0, await run);
        log.WriteLine($"screenshot: {screenshot}");
        Assert.True(new FileInfo(screenshot).Length > 10_000, "the screenshot is empty");

        var printed = EpochLine().Matches(output.ToString()).ToDictionary(m => int.Parse(m.Groups["epoch"].Value, CultureInfo.InvariantCulture));
        var shown = ListItem().Matches(dom).ToList();
        Assert.Equal(Epochs, printed.Count);
        Assert.Equal(Epochs, shown.Count);
        Assert.True(done < Epochs, $"the run had finished ({done} epochs) before the page opened");
        foreach (Match item in shown)
        {
            Match line = printed[int.Parse(item.Groups["epoch"].Value, CultureInfo.InvariantCulture)];
            Assert.Equal(line.Groups["loss"].Value, Round(item.Groups["loss"].Value));
            Assert.Equal(line.Groups["train"].Value, Round(item.Groups["train"].Value));
            Assert.Equal(line.Groups["test"].Value, Round(item.Groups["test"].Value));
        }
        Assert.Matches(@"<img id=""filters""[^>]* src=""filters\.png\?epoch=8""", dom);
        Assert.Contains("<table id=\"confusion\" data-epoch=\"8\">", dom);
    }

    [Fact]
    public void A_port_in_use_is_one_clear_line()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        (int code, _, string error) = CliRunner.Run("train", "--model", "mlp", "--data", RepoPaths.Mnist, "--limit", "64", "--epochs", "1", "--dashboard", $"127.0.0.1:{port}");
        Assert.Equal(1, code);
        Assert.Equal($"error: --dashboard 127.0.0.1:{port}: the port is in use; give another, or port 0 for a free one", error.Trim());
    }

    [Fact]
    public void A_bad_address_is_refused()
    {
        (int code, _, string error) = CliRunner.Run("train", "--model", "mlp", "--data", RepoPaths.Mnist, "--limit", "64", "--epochs", "1", "--dashboard", "example.com:80");
        Assert.Equal(1, code);
        Assert.Equal("error: --dashboard must be HOST:PORT with an IP address or localhost and a port 0–65535 (0: any free one), got 'example.com:80'", error.Trim());
    }

    private static string Round(string value) =>
        double.Parse(value, CultureInfo.InvariantCulture).ToString("F4", CultureInfo.InvariantCulture);

    private static async Task<string> WaitFor(StringWriter output, Regex pattern, Task run)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMinutes(2))
        {
            Match m = pattern.Match(output.ToString());
            if (m.Success)
            {
                return m.Groups[1].Value;
            }
            if (run.IsCompleted)
            {
                throw new Xunit.Sdk.XunitException($"the run ended before '{pattern}': {output}");
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"no '{pattern}' within 2 minutes: {output}");
    }

    private static async Task<string> Browser(string arguments)
    {
        var start = new ProcessStartInfo(Chromium, $"--headless --no-sandbox --disable-gpu --user-data-dir={Path.Combine(Path.GetTempPath(), "engine-chromium-" + Guid.NewGuid().ToString("N"))} {arguments}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"chromium {arguments} did not finish in 2 minutes");
        }
        return await stdout;
    }

    [GeneratedRegex(@"^dashboard (http://127\.0\.0\.1:\d+/) ", RegexOptions.Multiline)]
    private static partial Regex DashboardLine();

    [GeneratedRegex(@"^(epoch 1/8) ", RegexOptions.Multiline)]
    private static partial Regex FirstEpoch();

    [GeneratedRegex(@"^epoch (?<epoch>\d)/8  loss (?<loss>[\d.]+)  train acc (?<train>[\d.]+)  test acc (?<test>[\d.]+) ", RegexOptions.Multiline)]
    private static partial Regex EpochLine();

    [GeneratedRegex(@"<li data-epoch=""(?<epoch>\d)"" data-train-loss=""(?<loss>[^""]+)"" data-train-accuracy=""(?<train>[^""]+)"" data-test-accuracy=""(?<test>[^""]+)"">")]
    private static partial Regex ListItem();

    /// <summary>Skipped, saying so, where Debian's chromium is not installed (.ci/run installs it).</summary>
    [AttributeUsage(AttributeTargets.Method)]
    private sealed class ChromiumFactAttribute : FactAttribute
    {
        public ChromiumFactAttribute()
        {
            if (!File.Exists(Chromium))
            {
                Skip = $"{Chromium} is absent: install Debian's chromium (apt-get install chromium) to run the browser test";
            }
        }
    }
}
