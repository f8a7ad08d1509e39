namespace MasterMcp.Hosting;

/// <summary>Finds an exception of a given type among the inner exceptions (and aggregates) that wrap it.</summary>
public static class ExceptionChain
{
    /// <summary>The first <typeparamref name="T"/> in <paramref name="exception"/>'s chain of inner and aggregated exceptions, if any.</summary>
    public static T? Find<T>(Exception? exception)
        where T : Exception
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is T found)
            {
                return found;
            }
            if (e is AggregateException aggregate && aggregate.InnerExceptions.Select(Find<T>).FirstOrDefault(x => x is not null) is { } inner)
            {
                return inner;
            }
        }
        return null;
    }
}
