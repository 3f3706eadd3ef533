using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Metrics.Application.Common.Settings;

/// <summary>
/// The service's settings are environment variables (BATCH_SIZE, TIMESCALE_URL, …). Each belongs to
/// the options class of its concern, named there by <see cref="ConfigurationKeyNameAttribute"/>, its
/// default the property's initial value and its range a validation attribute: one home per setting.
/// A bad value stops the start with a message naming it (ADR 0025).
/// </summary>
public static class SettingsRegistration
{
    /// <summary>Binds <typeparamref name="T"/> once, for <see cref="IOptions{T}"/>, validated when the host starts.</summary>
    public static OptionsBuilder<T> AddSettings<T>(this IServiceCollection services, IConfiguration configuration)
        where T : class =>
        services.AddOptions<T>()
            .Configure(settings => Bind(configuration, settings))
            .ValidateDataAnnotations()
            .ValidateOnStart();

    /// <summary>
    /// The same binding and validation, now: for the few choices made while services are registered
    /// (the listening address, which telemetry exporters exist).
    /// </summary>
    public static T ReadSettings<T>(this IConfiguration configuration)
        where T : class, new()
    {
        var settings = new T();
        Bind(configuration, settings);
        var failures = new List<ValidationResult>();
        if (!Validator.TryValidateObject(settings, new ValidationContext(settings), failures, validateAllProperties: true))
        {
            throw new OptionsValidationException(typeof(T).Name, typeof(T), failures.Select(f => f.ErrorMessage ?? f.ToString()));
        }

        return settings;
    }

    /// <summary>
    /// Each setting is one flat value. Blank counts as unset (compose files and shells pass empty
    /// variables), and a value that is not even of the setting's type is refused in the user's
    /// words ("BATCH_SIZE must be a whole number, not 'lots'"), not the binder's CLR type names.
    /// </summary>
    private static void Bind<T>(IConfiguration configuration, T settings)
        where T : class
    {
        var failures = new List<string>();
        foreach (var property in typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetCustomAttribute<ConfigurationKeyNameAttribute>()?.Name is not { } key
                || configuration[key] is not { } text
                || string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (TryConvert(type, text.Trim(), out var value))
            {
                property.SetValue(settings, value);
            }
            else
            {
                failures.Add($"{key} must be {Describe(type)}, not '{text}'.");
            }
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException(typeof(T).Name, typeof(T), failures);
        }
    }

    private static bool TryConvert(Type type, string text, out object? value)
    {
        value = null;
        if (type.IsEnum)
        {
            // By name only: "7" would parse as an undefined member.
            return !char.IsAsciiDigit(text[0]) && text[0] != '-' && Enum.TryParse(type, text, ignoreCase: true, out value) && Enum.IsDefined(type, value!);
        }

        try
        {
            value = TypeDescriptor.GetConverter(type).ConvertFromInvariantString(text);
            return true;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or NotSupportedException or OverflowException)
        {
            return false;
        }
    }

    private static string Describe(Type type) =>
        type == typeof(int) || type == typeof(long) ? "a whole number"
        : type == typeof(bool) ? "true or false"
        : type.IsEnum ? Alternatives(Enum.GetNames(type).Select(n => $"'{n.ToLowerInvariant()}'").ToArray())
        : $"a {type.Name}";

    private static string Alternatives(string[] names) =>
        names.Length == 1 ? names[0] : string.Join(", ", names[..^1]) + " or " + names[^1];
}
