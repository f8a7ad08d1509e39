using System.Diagnostics;
using System.Text;

namespace MasterMcp.Tests.Fixtures;

/// <summary>
/// tests/Backends/oidc/server.mjs: a real OpenID Provider (npm oidc-provider) on 127.0.0.1, as the gateway's upstream IdP
/// and as the external authorization server of jwt mode. Disposing kills it.
/// </summary>
public sealed class OidcProviderProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, TaskCompletionSource> _marks = new(StringComparer.Ordinal);

    private OidcProviderProcess(Process process) => _process = process;

    /// <summary>The issuer URL (no trailing slash).</summary>
    public string Issuer { get; private set; } = "";

    /// <summary>A second issuer with the same signing keys (only with secondIssuer).</summary>
    public string? SecondIssuer { get; private set; }

    public string Output
    {
        get { lock (_output) { return _output.ToString(); } }
    }

    /// <summary>Starts the provider and waits until it listens.</summary>
    public static async Task<OidcProviderProcess> StartAsync(bool secondIssuer = false, params string[] extraArgs)
    {
        var tools = Path.Combine(RepositoryRoot.Path, "tools", "node_modules");
        var node = Path.Combine(tools, ".bin", "node");
        if (!File.Exists(node) || !Directory.Exists(Path.Combine(tools, "oidc-provider")))
        {
            throw new InvalidOperationException($"Node or oidc-provider is missing under {tools}; run `cd tools && npm install`.");
        }
        var start = new ProcessStartInfo(node)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(RepositoryRoot.Path, "tests", "Backends", "oidc", "server.mjs"));
        start.ArgumentList.Add("--modules");
        start.ArgumentList.Add(tools);
        if (secondIssuer)
        {
            start.ArgumentList.Add("--second-issuer");
        }
        foreach (var extra in extraArgs)
        {
            start.ArgumentList.Add(extra);
        }
        var provider = new OidcProviderProcess(new Process { StartInfo = start });
        var first = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var second = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        provider._process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                first.TrySetException(new InvalidOperationException("oidc provider exited:\n" + provider.Output));
                second.TrySetException(new InvalidOperationException("oidc provider exited:\n" + provider.Output));
                return;
            }
            provider.Append(e.Data);
            if (e.Data.StartsWith("MARK ", StringComparison.Ordinal) && provider._marks.TryRemove(e.Data["MARK ".Length..].Trim(), out var mark))
            {
                mark.TrySetResult();
            }
            else if (e.Data.StartsWith("LISTENING2 ", StringComparison.Ordinal))
            {
                second.TrySetResult(e.Data["LISTENING2 ".Length..].Trim());
            }
            else if (e.Data.StartsWith("LISTENING ", StringComparison.Ordinal))
            {
                first.TrySetResult(e.Data["LISTENING ".Length..].Trim());
            }
        };
        provider._process.ErrorDataReceived += (_, e) => provider.Append(e.Data);
        provider._process.Start();
        provider._process.BeginOutputReadLine();
        provider._process.BeginErrorReadLine();
        try
        {
            provider.Issuer = await first.Task.WaitAsync(TimeSpan.FromSeconds(30));
            if (secondIssuer)
            {
                provider.SecondIssuer = await second.Task.WaitAsync(TimeSpan.FromSeconds(30));
            }
            return provider;
        }
        catch
        {
            await provider.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Returns once everything the provider printed before this call has been read into <see cref="Output"/> (the provider
    /// echoes a mark sent on stdin), so counting grants afterwards cannot miss one still in the pipe.
    /// </summary>
    public async Task SyncAsync()
    {
        var id = Guid.NewGuid().ToString("N");
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _marks[id] = seen;
        await _process.StandardInput.WriteLineAsync("mark " + id);
        await _process.StandardInput.FlushAsync();
        await seen.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>Gets a client_credentials access token (a JWT) for <paramref name="resource"/> from <paramref name="issuer"/> (default: the first).</summary>
    public async Task<string> ClientCredentialsTokenAsync(string resource, string scope, string clientId = "m2m", string secret = "m2m-secret", string? issuer = null)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, (issuer ?? Issuer) + "/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["resource"] = resource, ["scope"] = scope }),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(clientId + ":" + secret)));
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, "token request failed: " + body);
        return System.Text.Json.Nodes.JsonNode.Parse(body)!["access_token"]!.GetValue<string>();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            // Already gone.
        }
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
