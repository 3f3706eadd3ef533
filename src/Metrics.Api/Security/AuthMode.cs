namespace Metrics.Api.Security;

/// <summary>AUTH_MODE: <c>keys</c> (API keys required; the default, and always so in production) or <c>none</c>.</summary>
public enum AuthMode
{
    Keys,

    /// <summary>Every request acts with every scope: local development only.</summary>
    None,
}

public sealed class AuthOptions
{
    /// <summary>Unset: keys, except in Development (<see cref="SecurityServices"/> decides).</summary>
    [ConfigurationKeyName("AUTH_MODE")]
    public AuthMode? Mode { get; set; }
}
