using Azure;
using Azure.Identity;

namespace MasterMcp.Storage;

/// <summary>Recognises "storage is not there" failures and describes them without secrets.</summary>
internal static class StorageErrors
{
    /// <summary>True for failures that mean storage could not be reached, as opposed to a refused request.</summary>
    public static bool IsUnavailable(Exception exception, CancellationToken callerToken) => exception switch
    {
        RequestFailedException { Status: 0 or 408 or 502 or 503 or 504 } => true,
        // Azure.Core's retry policy reports "retry failed after N tries" as an AggregateException of the attempts.
        AggregateException aggregate => aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(e => IsUnavailable(e, callerToken)),
        OperationCanceledException => !callerToken.IsCancellationRequested,
        AuthenticationFailedException => true,
        HttpRequestException or TimeoutException or System.Net.Sockets.SocketException => true,
        _ => false,
    };

    public static StorageUnavailableException Unavailable(string endpoint, Exception exception, TimeSpan timeout, IEnumerable<string> secrets)
    {
        var reason = exception switch
        {
            AggregateException { InnerExceptions.Count: > 0 } aggregate =>
                $"{Describe(aggregate.InnerExceptions[^1], timeout)} (after {aggregate.InnerExceptions.Count} attempts)",
            _ => Describe(exception, timeout),
        };

        foreach (var secret in secrets)
        {
            if (secret.Length > 0)
            {
                reason = reason.Replace(secret, "***", StringComparison.Ordinal);
            }
        }

        return new StorageUnavailableException(endpoint, reason, exception);
    }

    private static string Describe(Exception exception, TimeSpan timeout) =>
        exception switch
        {
            RequestFailedException { Status: 0 } failed => FirstLine(failed.InnerException?.Message ?? failed.Message),
            RequestFailedException failed => $"HTTP {failed.Status}{(failed.ErrorCode is null ? "" : $" ({failed.ErrorCode})")}",
            OperationCanceledException => $"no answer within {timeout.TotalSeconds:0.#} s",
            _ => $"{exception.GetType().Name}: {FirstLine(exception.Message)}",
        };

    /// <summary>The endpoint with user info, query (SAS) and fragment removed.</summary>
    public static string Redact(Uri endpoint)
    {
        var builder = new UriBuilder(endpoint) { UserName = "", Password = "", Query = "", Fragment = "" };
        return builder.Uri.GetLeftPart(UriPartial.Path).TrimEnd('/');
    }

    private static string FirstLine(string message)
    {
        var end = message.AsSpan().IndexOfAny('\r', '\n');
        return end < 0 ? message : message[..end];
    }
}
