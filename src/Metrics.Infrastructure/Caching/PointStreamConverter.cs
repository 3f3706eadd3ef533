using System.Text.Json;
using System.Text.Json.Serialization;
using Metrics.Application.Common.Models;

namespace Metrics.Infrastructure.Caching;

/// <summary>
/// Cache entries hold a <see cref="PointStream{T}"/>'s points as a plain array. Only answers read
/// whole are cached; HTTP responses leave the type to System.Text.Json, which writes it as the
/// async sequence it is.
/// </summary>
internal sealed class PointStreamConverter : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) =>
        typeToConvert.IsGenericType && typeToConvert.GetGenericTypeDefinition() == typeof(PointStream<>);

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(Converter<>).MakeGenericType(typeToConvert.GetGenericArguments()[0]))!;

    private sealed class Converter<T> : JsonConverter<PointStream<T>>
    {
        public override PointStream<T> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            PointStream<T>.Of(JsonSerializer.Deserialize<List<T>>(ref reader, options) ?? []);

        public override void Write(Utf8JsonWriter writer, PointStream<T> value, JsonSerializerOptions options) =>
            JsonSerializer.Serialize(
                writer,
                value.Items ?? throw new InvalidOperationException("A streamed answer is never cached."),
                options);
    }
}
