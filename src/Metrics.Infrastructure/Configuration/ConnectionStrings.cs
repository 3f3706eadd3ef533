using Npgsql;
using StackExchange.Redis;

namespace Metrics.Infrastructure.Configuration;

/// <summary>Accepts both the URL forms the old service documented and the native client formats.</summary>
public static class ConnectionStrings
{
    /// <summary>
    /// <c>postgresql://user:pass@host:port[,host2:port2…]/db?sslmode=…&amp;target_session_attrs=…</c>
    /// (libpq's form) or an Npgsql connection string. Fails fast: a short connect timeout turns an
    /// unreachable database into a quick 503. With several hosts, writes go to the primary unless
    /// the string says otherwise, and a host's role is rechecked every 2 s, so a promoted standby
    /// is found within seconds of a failover, without a restart.
    /// </summary>
    public static NpgsqlConnectionStringBuilder ParsePostgres(string value)
    {
        var builder = value.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || value.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
            ? FromUrl(value)
            : new NpgsqlConnectionStringBuilder(value);
        if (builder.Host?.Contains(',', StringComparison.Ordinal) == true)
        {
            if (!value.Contains("target", StringComparison.OrdinalIgnoreCase))
            {
                builder.TargetSessionAttributes = "primary";
            }

            if (!value.Contains("recheck", StringComparison.OrdinalIgnoreCase))
            {
                builder.HostRecheckSeconds = 2;
            }
        }

        return builder;
    }

    // By hand rather than with Uri, which refuses libpq's list of hosts.
    private static NpgsqlConnectionStringBuilder FromUrl(string value)
    {
        var rest = value[(value.IndexOf("://", StringComparison.Ordinal) + 3)..];
        var query = string.Empty;
        if (rest.IndexOf('?', StringComparison.Ordinal) is var q and >= 0)
        {
            (rest, query) = (rest[..q], rest[(q + 1)..]);
        }

        var database = string.Empty;
        if (rest.IndexOf('/', StringComparison.Ordinal) is var slash and >= 0)
        {
            (rest, database) = (rest[..slash], Uri.UnescapeDataString(rest[(slash + 1)..]));
        }

        var builder = new NpgsqlConnectionStringBuilder { Database = database.Length > 0 ? database : "postgres", Timeout = 5 };
        if (rest.LastIndexOf('@') is var at and >= 0)
        {
            var userInfo = rest[..at].Split(':', 2);
            rest = rest[(at + 1)..];
            if (userInfo[0].Length > 0)
            {
                builder.Username = Uri.UnescapeDataString(userInfo[0]);
            }

            if (userInfo.Length == 2)
            {
                builder.Password = Uri.UnescapeDataString(userInfo[1]);
            }
        }

        // Npgsql's own multi-host form: "a:5432,b:5433" in Host, each host with its port.
        var hosts = rest.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(HostAndPort).ToList();
        if (hosts.Count == 0)
        {
            throw new ArgumentException("The URL names no host.");
        }

        builder.Host = hosts.Count == 1 ? hosts[0].Host : string.Join(',', hosts.Select(h => h.Host.Contains(':', StringComparison.Ordinal) ? $"[{h.Host}]:{h.Port}" : $"{h.Host}:{h.Port}"));
        builder.Port = hosts[0].Port;
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            if (kv.Length != 2)
            {
                continue;
            }

            var setting = Uri.UnescapeDataString(kv[1]);
            if (kv[0] == "sslmode" && Enum.TryParse<SslMode>(setting.Replace("-", string.Empty, StringComparison.Ordinal), ignoreCase: true, out var mode))
            {
                builder.SslMode = mode;
            }
            else if (kv[0] == "target_session_attrs")
            {
                // libpq's names, which Npgsql spells the same apart from the dashes.
                builder.TargetSessionAttributes = setting.Replace("-", string.Empty, StringComparison.Ordinal) switch
                {
                    "readwrite" => "read-write",
                    "readonly" => "read-only",
                    "preferstandby" => "prefer-standby",
                    var other => other,
                };
            }
        }

        return builder;
    }

    private static (string Host, int Port) HostAndPort(string hostPort)
    {
        // [v6]:port, host:port or host alone.
        var colon = hostPort.LastIndexOf(':');
        if (colon > 0 && hostPort.IndexOf(']', StringComparison.Ordinal) < colon)
        {
            return int.TryParse(hostPort[(colon + 1)..], out var port) && port is > 0 and < 65536
                ? (hostPort[..colon].Trim('[', ']'), port)
                : throw new ArgumentException($"'{hostPort}' has no valid port.");
        }

        return (hostPort.Trim('[', ']'), 5432);
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
