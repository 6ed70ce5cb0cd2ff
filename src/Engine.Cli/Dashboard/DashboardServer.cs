using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Engine.Cli.Dashboard;

/// <summary>
/// The live training dashboard: Kestrel (from the ASP.NET Core shared framework) serving the page,
/// a server-sent event stream of the run's events (every past event replayed to a new client, then
/// each new one), the events as JSON, and the latest first-layer filter picture. Read-only: only GET
/// routes exist. Bound to loopback unless told another address.
/// </summary>
internal sealed class DashboardServer : IAsyncDisposable, IDisposable
{
    private readonly WebApplication _app;
    private readonly List<string> _events = [];
    private readonly List<Channel<string>> _clients = [];
    private readonly Lock _gate = new();
    private byte[]? _filters;

    private DashboardServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>The page's address, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri Address { get; }

    /// <summary>Every event published so far, as JSON lines.</summary>
    public IReadOnlyList<string> Events
    {
        get
        {
            lock (_gate)
            {
                return [.. _events];
            }
        }
    }

    /// <summary>Parses <c>HOST:PORT</c> (<c>""</c>: 127.0.0.1 and a free port; port 0: a free port).</summary>
    public static IPEndPoint ParseEndPoint(string text)
    {
        if (text.Length == 0)
        {
            return new IPEndPoint(IPAddress.Loopback, 0);
        }
        int colon = text.LastIndexOf(':');
        string host = colon < 0 ? text : text[..colon];
        string port = colon < 0 ? "0" : text[(colon + 1)..];
        host = host.Trim('[', ']');
        IPAddress? address = host is "localhost" ? IPAddress.Loopback : IPAddress.TryParse(host, out IPAddress? parsed) ? parsed : null;
        if (address is null || !int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int number) || number > 65535)
        {
            throw new ConfigurationException($"--dashboard must be HOST:PORT with an IP address or localhost and a port 0–65535 (0: any free one), got '{text}'");
        }
        return new IPEndPoint(address, number);
    }

    /// <summary>Starts serving on <paramref name="endPoint"/>; a port in use is a <see cref="ConfigurationException"/> naming it.</summary>
    public static async Task<DashboardServer> StartAsync(IPEndPoint endPoint)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(endPoint));
        WebApplication app = builder.Build();
        DashboardServer? server = null;
        app.MapGet("/", () => Results.Content(DashboardPage.Html, "text/html; charset=utf-8"));
        app.MapGet("/events.json", () => Results.Content("[" + string.Join(",", server!.Events) + "]", "application/json"));
        app.MapGet("/filters.png", () => server!._filters is byte[] png ? Results.Bytes(png, "image/png") : Results.NotFound());
        app.MapGet("/events", (HttpContext context) => server!.StreamAsync(context));
        try
        {
            await app.StartAsync();
        }
        catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } || e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
        {
            await app.DisposeAsync();
            throw new ConfigurationException($"--dashboard {endPoint}: the port is in use; give another, or port 0 for a free one");
        }
        catch (SocketException e)
        {
            await app.DisposeAsync();
            throw new ConfigurationException($"--dashboard {endPoint}: cannot listen there ({e.Message})");
        }
        string bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server = new DashboardServer(app, new Uri(bound.EndsWith('/') ? bound : bound + "/"));
        return server;
    }

    /// <summary>Sends <paramref name="json"/> (one event) to every client and keeps it for those who come later.</summary>
    public void Publish(string json)
    {
        lock (_gate)
        {
            _events.Add(json);
            foreach (Channel<string> client in _clients)
            {
                client.Writer.TryWrite(json);
            }
        }
    }

    /// <summary>Replaces the filter picture served at /filters.png.</summary>
    public void SetFilters(byte[] png) => _filters = png;

    private int ClientCount()
    {
        lock (_gate)
        {
            return _clients.Count;
        }
    }

    private async Task StreamAsync(HttpContext context)
    {
        context.Response.Headers.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        var channel = Channel.CreateUnbounded<string>();
        // Each event's id is its index: a browser that reconnects sends the last one it saw, and gets only what followed.
        int next = int.TryParse(context.Request.Headers["Last-Event-ID"], NumberStyles.None, CultureInfo.InvariantCulture, out int seen) ? seen + 1 : 0;
        lock (_gate)
        {
            for (int i = Math.Min(next, _events.Count); i < _events.Count; i++)
            {
                channel.Writer.TryWrite(_events[i]);
            }
            _clients.Add(channel);
        }
        try
        {
            await foreach (string json in channel.Reader.ReadAllAsync(context.RequestAborted))
            {
                await context.Response.WriteAsync($"id: {next++}\ndata: {json}\n\n", context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
            }
        }
        catch (OperationCanceledException)
        {
            // The client went away, or the server is stopping.
        }
        finally
        {
            lock (_gate)
            {
                _clients.Remove(channel);
            }
        }
    }

    /// <summary>Stops serving (the training run has ended).</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Stops serving: open event streams end, then Kestrel stops.</summary>
    public async ValueTask DisposeAsync()
    {
        // Pages close their stream on "end"; give them a moment to, and to fetch the last filter picture,
        // so that no browser is left with a request the stopped server never answers.
        Publish("""{"type":"end"}""");
        for (int waited = 0; waited < 3000 && ClientCount() > 0; waited += 50)
        {
            await Task.Delay(50);
        }
        await Task.Delay(200);
        lock (_gate)
        {
            foreach (Channel<string> client in _clients)
            {
                client.Writer.TryComplete();
            }
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
    }
}
