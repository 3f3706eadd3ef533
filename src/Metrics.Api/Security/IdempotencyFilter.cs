using System.Security.Cryptography;
using Metrics.Api.Problems;
using Metrics.Application.Common.Abstractions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;

namespace Metrics.Api.Security;

/// <summary>
/// Idempotency-Key on writes (IETF httpapi-idempotency-key-header): the first request with a key
/// is processed and its final answer (2xx, or a 4xx other than 408/409/425/429) kept; the same key
/// with the same body replays that answer (header <c>Idempotent-Replayed: true</c>); with another
/// body it is a 422; while the first is still being processed, a 409. Answers that invite a retry
/// (5xx, 429) are not kept, so the retry runs. Keys are per API key, remembered for
/// IDEMPOTENCY_TTL_HOURS (default 24); a claim whose request died is taken over after 30 s.
/// </summary>
internal sealed class IdempotencyFilter(IIdempotencyStore store) : IAsyncResourceFilter
{
    public const string Header = "Idempotency-Key";
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    public async Task OnResourceExecutionAsync(ResourceExecutingContext context, ResourceExecutionDelegate next)
    {
        var http = context.HttpContext;
        if (!http.Request.Headers.TryGetValue(Header, out var values))
        {
            await next();
            return;
        }

        var key = values.ToString();
        if (values.Count != 1 || key.Length is 0 or > 255 || key.Any(c => c is < ' ' or > '~'))
        {
            context.Result = ProblemWriter.Result(http, StatusCodes.Status400BadRequest, "Invalid Idempotency-Key", "Send one Idempotency-Key of 1–255 printable ASCII characters.");
            return;
        }

        var scope = ApiKeyAuthenticationHandler.KeyIdOf(http.User) ?? "anonymous";
        var hash = await HashBodyAsync(http.Request, http.RequestAborted);
        var existing = await store.TryClaimAsync(scope, key, hash, Lease, http.RequestAborted);
        if (existing is not null)
        {
            context.Result = existing switch
            {
                { RequestHash: var h } when h != hash => ProblemWriter.Result(http, StatusCodes.Status422UnprocessableEntity, "Idempotency-Key reused",
                    "This Idempotency-Key was used with a different request body; use a new key for a new request."),
                { Status: null } => ProblemWriter.Result(http, StatusCodes.Status409Conflict, "Request in progress",
                    "A request with this Idempotency-Key is still being processed; retry after it completes."),
                { Status: { } status } => Replay(http, status, existing.ContentType, existing.Body ?? []),
            };
            return;
        }

        // Our claim: answer, keeping a copy of what is sent.
        var original = http.Response.Body;
        using var copy = new MemoryStream();
        http.Response.Body = copy;
        var kept = false;
        try
        {
            var executed = await next();
            var status = http.Response.StatusCode;
            // An exception left unhandled here becomes its problem later (the exception handler):
            // a validation failure answers the same again, a 503 must be retried, so neither is kept.
            if ((executed.Exception is null || executed.ExceptionHandled) && status < 500 && status is not (408 or 409 or 425 or 429))
            {
                await store.CompleteAsync(scope, key, status, http.Response.ContentType, copy.ToArray(), CancellationToken.None);
                kept = true;
            }
        }
        finally
        {
            http.Response.Body = original;
            copy.Position = 0;
            await copy.CopyToAsync(original, CancellationToken.None);
            if (!kept)
            {
                await ReleaseQuietlyAsync(scope, key);
            }
        }
    }

    private async Task ReleaseQuietlyAsync(string scope, string key)
    {
        try
        {
            await store.ReleaseAsync(scope, key, CancellationToken.None);
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or TimeoutException or InvalidOperationException)
        {
            // The database is away (that is likely why the request failed); the claim lapses after its lease.
        }
    }

    private static async Task<string> HashBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        request.EnableBuffering();
        var hash = Convert.ToHexStringLower(await SHA256.HashDataAsync(request.Body, cancellationToken));
        request.Body.Position = 0;
        return hash;
    }

    private static ContentResult Replay(HttpContext http, int status, string? contentType, byte[] body)
    {
        http.Response.Headers["Idempotent-Replayed"] = "true";
        return new ContentResult { StatusCode = status, ContentType = contentType ?? "application/json", Content = System.Text.Encoding.UTF8.GetString(body) };
    }
}
