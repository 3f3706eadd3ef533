using System.ComponentModel;
using System.Globalization;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace Metrics.Api.Wire;

/// <summary>
/// Binds <c>?run_ids=a,b,c</c> (and repeated <c>?run_ids=a&amp;run_ids=b</c>) to an array; an element
/// that does not convert is a 400 naming the parameter.
/// </summary>
internal sealed class CommaSeparatedModelBinder : IModelBinder
{
    public Task BindModelAsync(ModelBindingContext bindingContext)
    {
        var values = bindingContext.ValueProvider.GetValue(bindingContext.ModelName);
        if (values == ValueProviderResult.None)
        {
            return Task.CompletedTask;
        }

        var elementType = bindingContext.ModelType.GetElementType()!;
        var converter = TypeDescriptor.GetConverter(elementType);
        var parts = values.SelectMany(v => (v ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToList();
        var result = Array.CreateInstance(elementType, parts.Count);
        for (var i = 0; i < parts.Count; i++)
        {
            try
            {
                result.SetValue(converter.ConvertFromString(null, CultureInfo.InvariantCulture, parts[i]), i);
            }
            catch (Exception ex) when (ex is FormatException or NotSupportedException or ArgumentException)
            {
                bindingContext.ModelState.TryAddModelError(
                    bindingContext.ModelName, $"'{parts[i]}' in '{bindingContext.ModelName}' is not a valid {elementType.Name}.");
                return Task.CompletedTask;
            }
        }

        bindingContext.Result = ModelBindingResult.Success(result);
        return Task.CompletedTask;
    }
}
