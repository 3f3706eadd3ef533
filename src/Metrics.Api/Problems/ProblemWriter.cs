using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Infrastructure;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace Metrics.Api.Problems;

/// <summary>
/// The one place this service's errors are written, wherever a request is refused: every answer is
/// <c>application/problem+json</c> with <c>type</c>, <c>title</c>, <c>status</c>, <c>detail</c> and
/// <c>traceId</c> (and <c>errors</c>, by field, for a 400).
/// </summary>
internal static class ProblemWriter
{
    /// <summary>
    /// From middleware, authentication and the exception handler: ASP.NET Core's problem result,
    /// written through <see cref="IProblemDetailsService"/>.
    /// </summary>
    public static Task WriteAsync(HttpContext http, int status, string title, string detail) =>
        WriteAsync(http, new ProblemDetails { Status = status, Title = title, Detail = detail });

    public static Task WriteAsync(HttpContext http, ProblemDetails problem) =>
        Results.Problem(problem).ExecuteAsync(http);

    /// <summary>
    /// From MVC filters: MVC's own factory and result, which keep a validation problem's
    /// <c>errors</c> (its problem writer for controller endpoints rebuilds a problem without them).
    /// </summary>
    public static IActionResult Result(HttpContext http, int status, string title, string detail) =>
        Answer(Factory(http).CreateProblemDetails(http, status, title, detail: detail));

    /// <summary>The model binder's and JSON reader's failures, by field.</summary>
    public static IActionResult ValidationResult(HttpContext http, ModelStateDictionary errors, string title) =>
        Answer(Factory(http).CreateValidationProblemDetails(http, errors, StatusCodes.Status400BadRequest, title));

    private static ProblemDetailsFactory Factory(HttpContext http) => http.RequestServices.GetRequiredService<ProblemDetailsFactory>();

    private static ObjectResult Answer(ProblemDetails problem) =>
        new(problem) { StatusCode = problem.Status, ContentTypes = { "application/problem+json" } };
}
