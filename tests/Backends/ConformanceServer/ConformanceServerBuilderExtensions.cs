using ConformanceServer;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers everything the conformance server scenarios call, independent of the transport.</summary>
public static class ConformanceServerBuilderExtensions
{
    /// <summary>Adds the conformance tools, prompts, resources, subscriptions, completion and logging handlers.</summary>
    public static IMcpServerBuilder WithConformancePrimitives(this IMcpServerBuilder builder)
    {
        builder.Services.AddSingleton<ResourceSubscriptions>();

        return builder
            .WithTools<ConformanceTools>()
            .WithTools([JsonSchema202012Tool.Create()])
            .WithPrompts<ConformancePrompts>()
            .WithResources<ConformanceResources>()
            .WithSubscribeToResourcesHandler((context, _) =>
            {
                var uri = context.Params?.Uri ?? throw new McpProtocolException("Missing required parameter 'uri'.", McpErrorCode.InvalidParams);
                context.Services!.GetRequiredService<ResourceSubscriptions>().Add(context.Server.SessionId, uri);
                return ValueTask.FromResult(new EmptyResult());
            })
            .WithUnsubscribeFromResourcesHandler((context, _) =>
            {
                var uri = context.Params?.Uri ?? throw new McpProtocolException("Missing required parameter 'uri'.", McpErrorCode.InvalidParams);
                context.Services!.GetRequiredService<ResourceSubscriptions>().Remove(context.Server.SessionId, uri);
                return ValueTask.FromResult(new EmptyResult());
            })
            .WithCompleteHandler((context, _) => ValueTask.FromResult(Complete(context.Params)))
            .WithSetLoggingLevelHandler((context, _) =>
            {
                // The SDK stores the level on the server (McpServer.LoggingLevel); tools read it from there.
                if (context.Params is null)
                {
                    throw new McpProtocolException("Missing required parameter 'level'.", McpErrorCode.InvalidParams);
                }

                return ValueTask.FromResult(new EmptyResult());
            });
    }

    private static CompleteResult Complete(CompleteRequestParams? request)
    {
        string[] candidates = (request?.Ref, request?.Argument.Name) switch
        {
            (PromptReference { Name: "test_prompt_with_arguments" }, "arg1") => ["paris", "park", "party", "test", "testValue1"],
            (PromptReference { Name: "test_prompt_with_arguments" }, "arg2") => ["testValue2", "world"],
            (ResourceTemplateReference { Uri: "test://template/{id}/data" }, "id") => ["123", "456", "789"],
            _ => [],
        };

        var prefix = request?.Argument.Value ?? "";
        var values = candidates.Where(v => v.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)).ToList();
        return new CompleteResult { Completion = new Completion { Values = values, Total = values.Count, HasMore = false } };
    }
}
