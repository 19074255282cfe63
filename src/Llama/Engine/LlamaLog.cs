using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Chorus.Llama.Native;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Chorus.Llama;

/// <summary>
/// Routes llama.cpp's and ggml's log to <see cref="ILogger"/> (category "llama.cpp"), line by line, and lets a
/// caller capture the warnings and errors raised on its own thread (to put llama.cpp's reason into an exception).
/// </summary>
internal static unsafe class LlamaLog
{
    private static ILogger _logger = NullLogger.Instance;
    [ThreadStatic] private static StringBuilder? _line;
    [ThreadStatic] private static LogLevel _lineLevel;
    [ThreadStatic] private static Capture? _capture;

    public static void Install(ILoggerFactory? factory)
    {
        _logger = factory?.CreateLogger("llama.cpp") ?? NullLogger.Instance;
        LlamaNative.llama_log_set(&OnLog, null);
        LlamaNative.ggml_log_set(&OnLog, null);
    }

    /// <summary>
    /// Collects the warning and error lines logged on this thread until disposed. A deferred capture also holds them
    /// back from the log until disposed, so the caller can say they were expected (<see cref="Capture.Expected"/>).
    /// </summary>
    public static Capture BeginCapture(bool deferred = false) => new(deferred);

    [UnmanagedCallersOnly]
    private static void OnLog(int level, byte* text, void* userData)
    {
        try
        {
            var s = Marshal.PtrToStringUTF8((nint)text) ?? "";
            var line = _line ??= new StringBuilder();
            if (level != 5) _lineLevel = Map(level); // 5 = GGML_LOG_LEVEL_CONT continues the previous line
            line.Append(s);
            if (!s.EndsWith('\n')) return;
            var message = line.ToString().TrimEnd();
            line.Clear();
            if (_lineLevel >= LogLevel.Warning && _capture is { } capture)
            {
                capture.Lines.Add(message);
                if (capture.Deferred) { capture.Held.Add((_lineLevel, message)); return; }
            }
            if (_logger.IsEnabled(_lineLevel)) _logger.Log(_lineLevel, "{Message}", message);
        }
        catch
        {
            // never let an exception cross back into native code
        }
    }

    private static LogLevel Map(int level) => level switch
    {
        1 => LogLevel.Debug,
        2 => LogLevel.Debug, // llama.cpp is chatty at INFO: keep it out of normal output
        3 => LogLevel.Warning,
        4 => LogLevel.Error,
        _ => LogLevel.Trace,
    };

    public sealed class Capture : IDisposable
    {

        private readonly Capture? _previous;
        private bool _expected;

        internal Capture(bool deferred)
        {
            Deferred = deferred;
            _previous = _capture;
            _capture = this;
        }

        public List<string> Lines { get; } = new();

        internal bool Deferred { get; }

        internal List<(LogLevel Level, string Message)> Held { get; } = new();

        /// <summary>The held lines are the expected echo of what the caller did (an abort it asked for): they go to the log at Debug.</summary>
        public void Expected() => _expected = true;

        /// <summary>The captured lines as one reason, the most specific (last error) first.</summary>
        public string Reason(string fallback)
        {
            if (Lines.Count == 0) return fallback;
            var errors = Lines.Where(l => l.Contains("error", StringComparison.OrdinalIgnoreCase) || l.Contains("failed", StringComparison.OrdinalIgnoreCase)).ToList();
            var chosen = errors.Count > 0 ? errors : Lines;
            return string.Join("; ", chosen.Select(Strip).Distinct().Take(3));
        }

        private static string Strip(string l)
        {
            var i = l.IndexOf(": ", StringComparison.Ordinal);
            return i > 0 && i < 40 && !l[..i].Contains(' ') ? l[(i + 2)..] : l;
        }

        public void Dispose()
        {
            _capture = _previous;
            foreach (var (level, message) in Held)
            {
                var at = _expected ? LogLevel.Debug : level;
                if (_logger.IsEnabled(at)) _logger.Log(at, "{Message}", message);
            }
            Held.Clear();
        }
    }
}
