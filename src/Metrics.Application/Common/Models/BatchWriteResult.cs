namespace Metrics.Application.Common.Models;

/// <param name="Count">Points accepted, duplicates included: a retry is acknowledged like the first try.</param>
/// <param name="Inserted">Points that were new.</param>
/// <param name="Duplicates">Points already stored (retries), not stored again.</param>
public sealed record BatchWriteResult(string Message, int Count, int Inserted, int Duplicates);
