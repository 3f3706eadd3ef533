using System.Text.Json;

namespace Metrics.Application.Common;

internal static class ValidationConventions
{
    /// <summary>Failures name fields as clients write them: metrics[17].run_id, not Metrics[17].RunId.</summary>
    public static void Apply() =>
        ValidatorOptions.Global.PropertyNameResolver = (_, member, _) =>
            member is null ? null : JsonNamingPolicy.SnakeCaseLower.ConvertName(member.Name);
}
