using Mediator;
using Metrics.Application.Common.Exceptions;
using Metrics.Application.Keys.Commands.CreateApiKey;
using Metrics.Application.Keys.Commands.RevokeApiKey;
using Metrics.Application.Keys.Queries.ListApiKeys;

namespace Metrics.Api.Security;

/// <summary>
/// <c>keys create --scopes a,b [--name N] [--project P]</c>, <c>keys list</c>, <c>keys revoke ID</c>:
/// key management from the command line (<c>./build/run keys …</c>), which is how the first admin key is made.
/// </summary>
internal static class KeyCommands
{
    private const string Usage = """
        usage: keys create --scopes metrics:write,metrics:read[,admin] [--name NAME] [--project PROJECT]
               keys list
               keys revoke KEY_ID
        """;

    public static async Task<int> RunAsync(IServiceProvider services, string[] args, TextWriter output)
    {
        await using var scope = services.CreateAsyncScope();
        var sender = scope.ServiceProvider.GetRequiredService<ISender>();
        try
        {
            switch (args)
            {
                case ["create", .. var options] when Options(options) is { } o && o.TryGetValue("--scopes", out var scopes):
                    var created = await sender.Send(new CreateApiKeyCommand(
                        o.GetValueOrDefault("--name") ?? "cli", scopes.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), o.GetValueOrDefault("--project")));
                    await output.WriteLineAsync($"id:      {created.Id}\nscopes:  {string.Join(",", created.Scopes)}{(created.Project is { } p ? $"\nproject: {p}" : string.Empty)}\nkey:     {created.Key}\n(the key is shown only now; keep it)");
                    return 0;
                case ["list"]:
                    foreach (var key in (await sender.Send(new ListApiKeysQuery())).Keys)
                    {
                        await output.WriteLineAsync($"{key.Id}  {Shown(key.Name)}  {string.Join(",", key.Scopes)}  {key.Project ?? "-"}  created {key.CreatedAt:O}{(key.RevokedAt is { } r ? $"  revoked {r:O}" : string.Empty)}");
                    }

                    return 0;
                case ["revoke", var id] when Guid.TryParse(id, out var keyId):
                    await sender.Send(new RevokeApiKeyCommand(keyId));
                    await output.WriteLineAsync($"revoked {keyId}");
                    return 0;
                default:
                    await output.WriteLineAsync(Usage);
                    return 2;
            }
        }
        catch (FluentValidation.ValidationException e)
        {
            await output.WriteLineAsync(string.Join('\n', e.Errors.Select(x => x.ErrorMessage)));
            return 1;
        }
        catch (NotFoundException e)
        {
            await output.WriteLineAsync(e.Message);
            return 1;
        }
    }

    private static Dictionary<string, string>? Options(string[] args)
    {
        if (args.Length % 2 != 0)
        {
            return null;
        }

        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i += 2)
        {
            options[args[i]] = args[i + 1];
        }

        return options;
    }

    /// <summary>A name as one line: characters that could fake lines or hide text (kept by keys made before names were checked) as \uXXXX.</summary>
    private static string Shown(string name) =>
        string.Concat(name.Select(c => char.GetUnicodeCategory(c) is System.Globalization.UnicodeCategory.Control or System.Globalization.UnicodeCategory.Format
            or System.Globalization.UnicodeCategory.LineSeparator or System.Globalization.UnicodeCategory.ParagraphSeparator
            ? $"\\u{(int)c:x4}" : c.ToString()));
}
