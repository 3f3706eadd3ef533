namespace Metrics.Application.Common.Exceptions;

/// <summary>The caller is known but may not touch what it asked for (403).</summary>
public sealed class ForbiddenException(string message) : Exception(message);
