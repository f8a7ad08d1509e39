using System.Net;
using System.Text.RegularExpressions;

namespace MasterMcp.Tests.Auth;

/// <summary>
/// Plays the browser for the OAuth flows: follows redirects, keeps cookies, and submits the real forms it is shown — the
/// gateway's consent form (approving, unless told to deny) and the identity provider's login form.
/// </summary>
public sealed partial class BrowserDriver : IDisposable
{
    private readonly HttpClient _http;

    public BrowserDriver()
    {
        Cookies = new CookieContainer();
        _http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = Cookies, UseCookies = true });
    }

    public CookieContainer Cookies { get; }

    /// <summary>The login name given to the identity provider (becomes the subject).</summary>
    public string Login { get; init; } = "alice";

    /// <summary>What to press on the gateway's consent page.</summary>
    public string Decision { get; init; } = "approve";

    /// <summary>Rewrites each URL before it is requested (e.g. to send the next hop to another gateway instance).</summary>
    public Func<Uri, Uri>? Rewrite { get; set; }

    /// <summary>Every URL requested, in order.</summary>
    public List<Uri> Visited { get; } = [];

    /// <summary>Every consent page shown (HTML).</summary>
    public List<string> ConsentPages { get; } = [];

    /// <summary>The last HTML page seen.</summary>
    public string? LastPage { get; private set; }

    /// <summary>Starts at <paramref name="start"/>; returns the first redirect target that starts with <paramref name="stopPrefix"/>.</summary>
    public async Task<Uri> RunAsync(Uri start, string stopPrefix)
    {
        var url = start;
        HttpContent? content = null;
        var method = HttpMethod.Get;
        string? origin = null;
        for (var hop = 0; hop < 30; hop++)
        {
            var target = Rewrite?.Invoke(url) ?? url;
            Visited.Add(target);
            using var request = new HttpRequestMessage(method, target) { Content = content };
            if (origin is not null)
            {
                request.Headers.Add("Origin", origin);
            }
            using var response = await _http.SendAsync(request);
            if ((int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is { } location)
            {
                var next = new Uri(target, location);
                if (next.ToString().StartsWith(stopPrefix, StringComparison.Ordinal))
                {
                    return next;
                }
                (url, method, content, origin) = (next, HttpMethod.Get, null, null);
                continue;
            }
            var body = await response.Content.ReadAsStringAsync();
            LastPage = body;
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new BrowserFlowException(response.StatusCode, target, body);
            }
            var form = FormRegex().Match(body);
            if (!form.Success)
            {
                throw new BrowserFlowException(response.StatusCode, target, body);
            }
            var fields = new Dictionary<string, string>();
            foreach (Match input in InputRegex().Matches(body))
            {
                var name = Attribute(input.Value, "name");
                if (name is not null)
                {
                    fields[name] = WebUtility.HtmlDecode(Attribute(input.Value, "value") ?? "");
                }
            }
            if (fields.ContainsKey("login"))
            {
                fields["login"] = Login;
                fields["password"] = "any-password";
            }
            if (fields.ContainsKey("csrf"))
            {
                ConsentPages.Add(body);
                fields["decision"] = Decision;
            }
            // As a browser does: a form POST carries the page's origin, or "null" when the page's Referrer-Policy is no-referrer.
            origin = response.Headers.TryGetValues("Referrer-Policy", out var policy) && policy.Contains("no-referrer") ? "null" : target.GetLeftPart(UriPartial.Authority);
            (url, method, content) = (new Uri(target, WebUtility.HtmlDecode(form.Groups[1].Value)), HttpMethod.Post, new FormUrlEncodedContent(fields));
        }
        throw new InvalidOperationException("too many hops: " + string.Join(" -> ", Visited));
    }

    /// <summary>GET a URL with this browser's cookies (no redirects followed).</summary>
    public Task<HttpResponseMessage> GetAsync(Uri url) => _http.GetAsync(url);

    /// <summary>
    /// POST a form with this browser's cookies, as a page of the target's own origin would (with that Origin);
    /// <paramref name="headers"/> may change the request's headers (another Origin, none, a Referer).
    /// </summary>
    public async Task<HttpResponseMessage> PostFormAsync(Uri url, IDictionary<string, string> fields, Action<System.Net.Http.Headers.HttpRequestHeaders>? headers = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(fields) };
        request.Headers.Add("Origin", url.GetLeftPart(UriPartial.Authority));
        headers?.Invoke(request.Headers);
        return await _http.SendAsync(request);
    }

    public void Dispose() => _http.Dispose();

    private static string? Attribute(string tag, string name)
    {
        var match = Regex.Match(tag, "\\s" + name + "=\"([^\"]*)\"");
        return match.Success ? match.Groups[1].Value : null;
    }

    [GeneratedRegex("<form[^>]*action=\"([^\"]*)\"", RegexOptions.IgnoreCase)]
    private static partial Regex FormRegex();

    [GeneratedRegex("<input[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex InputRegex();
}

/// <summary>The flow stopped on a page that is not a form (an error page).</summary>
public sealed class BrowserFlowException(HttpStatusCode status, Uri url, string body) : Exception($"{(int)status} at {url}: {body[..Math.Min(body.Length, 600)]}")
{
    public HttpStatusCode Status { get; } = status;
    public string Body { get; } = body;
}
