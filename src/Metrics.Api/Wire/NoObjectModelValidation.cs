using Microsoft.AspNetCore.Mvc.ModelBinding.Validation;

namespace Metrics.Api.Wire;

/// <summary>
/// Turns off MVC's DataAnnotations walk over bound objects: requests are validated once, by the
/// FluentValidation validators in the mediator pipeline. The walk is also costly on the hot path
/// (it visits all 1000 items of a batch, metadata included). Binding errors (malformed JSON, bad
/// UUIDs and numbers) still reach ModelState and become 400 problems.
/// </summary>
internal sealed class NoObjectModelValidation : IObjectModelValidator
{
    public void Validate(Microsoft.AspNetCore.Mvc.ActionContext actionContext, ValidationStateDictionary? validationState, string prefix, object? model)
    {
        // Bound values count as valid unless binding itself recorded an error.
        foreach (var (key, entry) in actionContext.ModelState)
        {
            if (entry.ValidationState == Microsoft.AspNetCore.Mvc.ModelBinding.ModelValidationState.Unvalidated)
            {
                actionContext.ModelState.MarkFieldValid(key);
            }
        }
    }
}
