namespace Metrics.Application.Common.Abstractions;

/// <summary>Who sends the current request, as far as use cases care.</summary>
public interface ICaller
{
    /// <summary>The project the caller's key is bound to; null when it may touch every run.</summary>
    string? Project { get; }
}
