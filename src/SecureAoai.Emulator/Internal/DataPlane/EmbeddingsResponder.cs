using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace SecureAoai.Emulator.Internal.DataPlane;

/// <summary>
/// Answers embeddings with unit vectors derived from a hash of each input, so equal texts get equal
/// vectors, as floats or as base64 of little-endian float32 (what the OpenAI .NET client asks for).
/// </summary>
internal static class EmbeddingsResponder
{
    public const int DefaultDimensions = 64;
    public const int MaxDimensions = 3072;

    /// <summary>The tokens Azure's rate limiter would charge on arrival: the input's.</summary>
    public static int EstimateTokens(DataPlaneRequest request) => ReadInputs(request.Body)?.Sum(TextMetrics.CountTokens) ?? 0;

    public static Task RespondAsync(HttpContext context, DataPlaneRequest request)
    {
        List<string>? inputs = ReadInputs(request.Body);
        if (inputs is null)
        {
            return AzureError.BadRequest("'input' must be a non-empty string or a non-empty array of strings (token arrays are not emulated).").WriteAsync(context);
        }

        string encoding = request.GetString("encoding_format") ?? "float";
        if (encoding is not ("float" or "base64"))
        {
            return AzureError.BadRequest($"'encoding_format' must be 'float' or 'base64', not '{encoding}'.").WriteAsync(context);
        }

        int dimensions = request.GetInt32("dimensions") ?? DefaultDimensions;
        if (dimensions is < 1 or > MaxDimensions)
        {
            return AzureError.BadRequest($"'dimensions' must be between 1 and {MaxDimensions}.").WriteAsync(context);
        }

        var data = new JsonArray();
        for (int index = 0; index < inputs.Count; index++)
        {
            float[] vector = CreateVector(inputs[index], dimensions);
            data.Add(new JsonObject
            {
                ["object"] = "embedding",
                ["index"] = index,
                ["embedding"] = encoding == "base64" ? ToBase64(vector) : new JsonArray(vector.Select(v => (JsonNode?)v).ToArray()),
            });
        }

        int tokens = inputs.Sum(TextMetrics.CountTokens);
        var body = new JsonObject
        {
            ["object"] = "list",
            ["data"] = data,
            ["model"] = request.Deployment.Model,
            ["usage"] = new JsonObject { ["prompt_tokens"] = tokens, ["total_tokens"] = tokens },
        };
        return context.Response.WriteJsonAsync(body, context.RequestAborted);
    }

    /// <summary>
    /// A deterministic unit vector for <paramref name="text"/>: the normalized sum of one hashed
    /// vector per lower-cased word, so texts that share words point the same way (as real
    /// embeddings of related texts do) and retrieval over emulated embeddings ranks sensibly.
    /// </summary>
    internal static float[] CreateVector(string text, int dimensions)
    {
        var words = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)
            .Select(w => new string(w.Where(char.IsLetterOrDigit).ToArray()).ToLowerInvariant())
            .Where(w => w.Length > 0)
            .ToArray();
        if (words.Length == 0)
        {
            return HashVector(text, dimensions);
        }

        var sum = new double[dimensions];
        foreach (string word in words)
        {
            float[] part = HashVector(word, dimensions);
            for (int i = 0; i < dimensions; i++)
            {
                sum[i] += part[i];
            }
        }

        double length = Math.Sqrt(sum.Sum(v => v * v));
        return sum.Select(v => (float)(v / length)).ToArray();
    }

    /// <summary>A deterministic pseudo-random unit vector seeded by <paramref name="text"/> (SHA-256 in counter mode).</summary>
    private static float[] HashVector(string text, int dimensions)
    {
        byte[] seed = Encoding.UTF8.GetBytes(text);
        var vector = new float[dimensions];
        Span<byte> block = stackalloc byte[SHA256.HashSizeInBytes];
        Span<byte> counter = stackalloc byte[sizeof(int)];
        const int valuesPerBlock = SHA256.HashSizeInBytes / sizeof(uint);
        for (int blockIndex = 0; blockIndex * valuesPerBlock < dimensions; blockIndex++)
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            BinaryPrimitives.WriteInt32LittleEndian(counter, blockIndex);
            hash.AppendData(counter);
            hash.AppendData(seed);
            hash.GetHashAndReset(block);
            for (int i = 0; i < valuesPerBlock && blockIndex * valuesPerBlock + i < dimensions; i++)
            {
                uint raw = BinaryPrimitives.ReadUInt32LittleEndian(block[(i * sizeof(uint))..]);
                vector[blockIndex * valuesPerBlock + i] = (float)(raw / (double)uint.MaxValue * 2 - 1);
            }
        }

        double norm = Math.Sqrt(vector.Sum(v => (double)v * v));
        for (int i = 0; i < vector.Length; i++)
        {
            vector[i] = (float)(vector[i] / norm);
        }

        return vector;
    }

    private static string ToBase64(float[] vector)
    {
        var bytes = new byte[vector.Length * sizeof(float)];
        for (int i = 0; i < vector.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), vector[i]);
        }

        return Convert.ToBase64String(bytes);
    }

    private static List<string>? ReadInputs(JsonElement body)
    {
        if (!body.TryGetProperty("input", out JsonElement input))
        {
            return null;
        }

        if (input.ValueKind == JsonValueKind.String)
        {
            return [input.GetString()!];
        }

        if (input.ValueKind != JsonValueKind.Array || input.GetArrayLength() == 0
            || input.EnumerateArray().Any(item => item.ValueKind != JsonValueKind.String))
        {
            return null;
        }

        return [.. input.EnumerateArray().Select(item => item.GetString()!)];
    }
}
