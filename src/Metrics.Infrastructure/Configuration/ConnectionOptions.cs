using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace Metrics.Infrastructure.Configuration;

/// <summary>Where PostgreSQL (TimescaleDB) and Redis are, in either form <see cref="ConnectionStrings"/> reads.</summary>
public sealed class ConnectionOptions : IValidatableObject
{
    [ConfigurationKeyName("TIMESCALE_URL")]
    [Required(ErrorMessage = "TIMESCALE_URL must not be blank.")]
    public string DatabaseUrl { get; set; } = "postgresql://postgres:postgres@localhost:5432/metrics";

    [ConfigurationKeyName("REDIS_URL")]
    [Required(ErrorMessage = "REDIS_URL must not be blank.")]
    public string RedisUrl { get; set; } = "redis://localhost:6379";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Refusal(() => ConnectionStrings.ParsePostgres(DatabaseUrl)) is { } database)
        {
            yield return new ValidationResult($"TIMESCALE_URL is neither a postgresql:// URL nor an Npgsql connection string: {database}", [nameof(DatabaseUrl)]);
        }

        if (Refusal(() => ConnectionStrings.ParseRedis(RedisUrl)) is { } redis)
        {
            yield return new ValidationResult($"REDIS_URL is neither a redis:// URL nor a StackExchange.Redis configuration: {redis}", [nameof(RedisUrl)]);
        }
    }

    private static string? Refusal(Action parse)
    {
        try
        {
            parse();
            return null;
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }
    }
}
