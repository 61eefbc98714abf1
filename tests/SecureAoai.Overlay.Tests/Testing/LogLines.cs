using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace SecureAoai.Overlay.Tests.Testing;

/// <summary>A logger factory that keeps every line an overlay context logs, with its event id, so a test can check what a user's logs would say.</summary>
internal sealed class LogLines : ILoggerFactory
{
    public ConcurrentQueue<(int EventId, LogLevel Level, string Message)> Lines { get; } = new();

    /// <summary>The messages logged with <paramref name="eventId"/> so far.</summary>
    public IReadOnlyList<string> Of(int eventId) => [.. Lines.Where(l => l.EventId == eventId).Select(l => l.Message)];

    /// <summary>The waits, in ms, that the lines with <paramref name="eventId"/> announce ("… in 200 ms"), in the order logged.</summary>
    public IReadOnlyList<double> DelaysMs(int eventId) =>
        [.. Of(eventId).Select(m => Regex.Match(m, @"in (\d+(?:\.\d+)?) ms")).Where(m => m.Success).Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))];

    public ILogger CreateLogger(string categoryName) => new Logger(Lines);

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException("LogLines keeps the lines itself.");

    public void Dispose()
    {
    }

    private sealed class Logger(ConcurrentQueue<(int, LogLevel, string)> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue((eventId.Id, logLevel, formatter(state, exception)));
    }
}
