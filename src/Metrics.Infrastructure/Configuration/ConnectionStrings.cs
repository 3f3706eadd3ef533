using Npgsql;
using StackExchange.Redis;

namespace Metrics.Infrastructure.Configuration;

/// <summary>Accepts both the URL forms the old service documented and the native client formats.</summary>
public static class ConnectionStrings
{
    /// <summary>
    /// <c>postgresql://user:pass@host:port/db?sslmode=…</c> or an Npgsql connection string.
    /// Fails fast: a short connect timeout turns an unreachable database into a quick 503.
    /// </summary>
    public static NpgsqlConnectionStringBuilder ParsePostgres(string value)
    {
        NpgsqlConnectionStringBuilder builder;
        if (Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "postgres" or "postgresql")
        {
            builder = new NpgsqlConnectionStringBuilder
            {
                Host = uri.Host,
                Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
                Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')) is { Length: > 0 } db ? db : "postgres",
            };
            var userInfo = uri.UserInfo.Split(':', 2);
            if (userInfo[0].Length > 0)
            {
                builder.Username = Uri.UnescapeDataString(userInfo[0]);
            }

            if (userInfo.Length == 2)
            {
                builder.Password = Uri.UnescapeDataString(userInfo[1]);
            }

            foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var kv = pair.Split('=', 2);
                if (kv.Length == 2 && kv[0] == "sslmode" && Enum.TryParse<SslMode>(kv[1].Replace("-", string.Empty, StringComparison.Ordinal), ignoreCase: true, out var mode))
                {
                    builder.SslMode = mode;
                }
            }

            builder.Timeout = 5;
        }
        else
        {
            builder = new NpgsqlConnectionStringBuilder(value);
        }

        return builder;
    }

    /// <summary><c>redis://[:password@]host:port[/db]</c> or a StackExchange.Redis configuration string.</summary>
    public static ConfigurationOptions ParseRedis(string value)
    {
        ConfigurationOptions options;
        if (Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "redis" or "rediss")
        {
            options = new ConfigurationOptions { Ssl = uri.Scheme == "rediss" };
            options.EndPoints.Add(uri.Host, uri.IsDefaultPort || uri.Port <= 0 ? 6379 : uri.Port);
            var userInfo = uri.UserInfo.Split(':', 2);
            if (userInfo.Length == 2)
            {
                if (userInfo[0].Length > 0)
                {
                    options.User = Uri.UnescapeDataString(userInfo[0]);
                }

                options.Password = Uri.UnescapeDataString(userInfo[1]);
            }

            if (int.TryParse(uri.AbsolutePath.Trim('/'), out var db))
            {
                options.DefaultDatabase = db;
            }
        }
        else
        {
            options = ConfigurationOptions.Parse(value);
        }

        // Redis is an accelerator, never a dependency: start without it, and fail commands at
        // once while it is away instead of queueing them behind the request.
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.ConnectTimeout = 2000;
        options.AsyncTimeout = 1000;
        options.SyncTimeout = 1000;
        options.ConnectRetry = 1;
        return options;
    }
}
