using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace Metrics.Api.Problems;

/// <summary>
/// Binding failures (malformed JSON, wrong types, bad UUIDs or numbers in the path or query)
/// as the same 400 problem as validation failures, with keys in the clients' own terms:
/// "$.metrics[17].run_id" becomes "metrics[17].run_id".
/// </summary>
internal static partial class ModelStateProblems
{
    public static IActionResult Create(ActionContext context)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var (key, entry) in context.ModelState)
        {
            if (entry.ValidationState != ModelValidationState.Invalid || entry.Errors.Count == 0)
            {
                continue;
            }

            var messages = entry.Errors.Select(e => Describe(e.ErrorMessage)).ToArray();
            var name = key switch
            {
                "$" or "" => "body",
                _ when key.StartsWith("$.", StringComparison.Ordinal) => key[2..],
                _ => key,
            };
            errors[name] = errors.TryGetValue(name, out var existing) ? [.. existing, .. messages] : messages;
        }

        // A body that failed to parse also reports its parameter as missing; that adds nothing.
        if (errors.Count > 1)
        {
            foreach (var parameter in context.ActionDescriptor.Parameters.Where(p => p.BindingInfo?.BindingSource == BindingSource.Body))
            {
                errors.Remove(parameter.Name);
            }
        }

        var renamed = new ModelStateDictionary();
        foreach (var (name, messages) in errors)
        {
            foreach (var message in messages)
            {
                renamed.AddModelError(name, message);
            }
        }

        return ProblemWriter.ValidationResult(context.HttpContext, renamed, Title(context.HttpContext.Request));
    }

    /// <summary>Only a write can say that nothing was written.</summary>
    public static string Title(HttpRequest request) =>
        HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) ? "The request is invalid." : "The request is invalid; nothing was written.";

    // System.Text.Json names the CLR type it failed to build; clients need the field, not our types.
    private static string Describe(string message) =>
        string.IsNullOrEmpty(message)
            ? "The value is invalid."
            : NotValidFor().Replace(ConvertedTo().Replace(message, "has the wrong type or format for this field."), "is not valid here.");

    // MVC's binder names the C# property ("is not valid for Limit"); the key already names the parameter.
    [GeneratedRegex(@"is not valid for [^ ]+\.$")]
    private static partial Regex NotValidFor();

    [GeneratedRegex(@"could not be converted to [^ ]+\.")]
    private static partial Regex ConvertedTo();
}
