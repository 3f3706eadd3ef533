using System.Security.Cryptography;
using System.Text;

namespace Metrics.Application.Keys;

/// <summary>
/// Key material: "msk_" and 43 URL-safe characters (256 random bits). With that much entropy a
/// plain SHA-256 is a sound stored form (no salt or slow hash needed), and lookups stay one index probe.
/// </summary>
public static class ApiKeySecrets
{
    public const string Prefix = "msk_";

    public static string Generate() => Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
