using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace SecureAoai.Emulator.Internal.DataPlane;

/// <summary>
/// Writes server-sent events, one flush per event so a client sees each word as it is
/// "generated", and applies an injected stream cut: once the instance's byte budget is spent, the
/// connection is aborted (not ended), so the client sees a broken stream.
/// </summary>
internal sealed class EventStreamWriter(HttpContext context, EmulatorInstance instance)
{
    // Kestrel's abort drops bytes still in its output pipe, and a flush returns once they are in the
    // pipe, not on the wire; without this pause a cut could swallow the headers and earlier events.
    private static readonly TimeSpan CutDrainTime = TimeSpan.FromMilliseconds(200);

    private readonly long? _cutAfterBytes = instance.Faults.StreamCutAfterBytes;
    private long _written;

    public Task<bool> WriteEventAsync(JsonObject chunk) => WriteAsync($"data: {chunk.ToJsonString()}\n\n");

    /// <summary>Writes and flushes the text; returns <see langword="false"/> if the stream was cut instead.</summary>
    public async Task<bool> WriteAsync(string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        Stream body = context.Response.Body;
        if (_cutAfterBytes is long budget && _written + bytes.Length > budget)
        {
            int allowed = (int)(budget - _written);
            if (allowed > 0)
            {
                await body.WriteAsync(bytes.AsMemory(0, allowed), context.RequestAborted).ConfigureAwait(false);
                await body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
            }

            await Task.Delay(CutDrainTime, context.RequestAborted).ConfigureAwait(false);
            instance.CountFaulted();
            context.Abort();
            return false;
        }

        await body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
        await body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
        _written += bytes.Length;
        return true;
    }
}
