using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.Mvc.ModelBinding.Binders;

namespace Metrics.Api.Wire;

/// <summary>
/// Query-string times (start_time, end_time) follow the body's rule: RFC 3339, UTC when no
/// offset is given. An unencoded '+' of an offset arrives as a space; it is read back as '+'.
/// </summary>
internal sealed partial class UtcDateTimeOffsetModelBinder : IModelBinder
{
    public Task BindModelAsync(ModelBindingContext bindingContext)
    {
        var value = bindingContext.ValueProvider.GetValue(bindingContext.ModelName).FirstValue;
        if (string.IsNullOrEmpty(value))
        {
            return Task.CompletedTask;
        }

        value = UtcDateTimeOffsetConverter.TruncateFraction(SpaceOffset().Replace(value, "+$1"));
        if (Rfc3339().IsMatch(value) &&
            DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            bindingContext.Result = ModelBindingResult.Success(time.ToUniversalTime());
        }
        else
        {
            bindingContext.ModelState.TryAddModelError(
                bindingContext.ModelName,
                $"'{bindingContext.ModelName}' must be an RFC 3339 time such as 2024-05-01T12:00:00Z.");
        }

        return Task.CompletedTask;
    }

    [GeneratedRegex(@" (\d{2}:\d{2})$")]
    private static partial Regex SpaceOffset();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:\d{2})?)?$")]
    private static partial Regex Rfc3339();
}

internal sealed class UtcDateTimeOffsetModelBinderProvider : IModelBinderProvider
{
    public IModelBinder? GetBinder(ModelBinderProviderContext context) =>
        context.Metadata.UnderlyingOrModelType == typeof(DateTimeOffset)
            ? new BinderTypeModelBinder(typeof(UtcDateTimeOffsetModelBinder))
            : null;
}
