using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;

namespace Chorus.Grains;

/// <summary>
/// Runs a generation ahead of its reader. Orleans advances a grain's <see cref="IAsyncEnumerable{T}"/> only when the
/// caller's next request reaches the grain, so without this the next fused step started one round trip (grain →
/// front end → stream write → grain) after the last token was sampled, and every token paid that trip on top of the
/// members' decode. Here the source is pumped into a bounded buffer by a task on the grain's own scheduler: the next
/// step starts as soon as the last one is sampled, while the front end streams; and a reader that falls behind gets
/// the tokens already made in one Orleans response (the grain extension batches what is ready).
/// </summary>
/// <remarks>
/// The reader gets every item in order, then the source's exception if it failed. When the reader stops early
/// (cancelled, disconnected, an error on its side), the source is cancelled and awaited before the enumeration ends,
/// so its <c>finally</c> blocks — which free the session's KV slots — have run. At most <c>capacity</c> items are made
/// that nobody reads.
/// </remarks>
internal static class ReadAhead
{
    public static IAsyncEnumerable<T> Run<T>(Func<CancellationToken, IAsyncEnumerable<T>> source, int capacity, CancellationToken cancellationToken = default) =>
        Run(source, capacity, ambient: null, cancellationToken);

    /// <summary>
    /// As above, with <c>ambient</c> entered when the pump starts and disposed when it ends: what it sets in the async flow
    /// (the session's span) holds for the whole source, unlike state set inside an iterator, which a yield drops.
    /// </summary>
    public static async IAsyncEnumerable<T> Run<T>(Func<CancellationToken, IAsyncEnumerable<T>> source, int capacity, Func<IDisposable?>? ambient,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        var buffer = Channel.CreateBounded<T>(new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pump = new Pump<T>(buffer.Writer);
        var pumping = pump.FillAsync(source, ambient, stop.Token);
        try
        {
            // no token here: the source sees the caller's cancellation itself and ends the way it chooses (a final event or an exception)
            while (await buffer.Reader.WaitToReadAsync(CancellationToken.None))
                while (buffer.Reader.TryRead(out var item))
                    yield return item;
            pump.Failure?.Throw();
        }
        finally
        {
            await stop.CancelAsync();
            buffer.Writer.TryComplete(); // a source blocked on a full buffer gets ChannelClosedException and stops
            await pumping;
        }
    }

    private sealed class Pump<T>(ChannelWriter<T> writer)
    {
        public ExceptionDispatchInfo? Failure { get; private set; }

        public async Task FillAsync(Func<CancellationToken, IAsyncEnumerable<T>> source, Func<IDisposable?>? ambient, CancellationToken cancellationToken)
        {
            using var context = ambient?.Invoke();
            try
            {
                await foreach (var item in source(cancellationToken))
                    await writer.WriteAsync(item, CancellationToken.None);
            }
            catch (ChannelClosedException)
            {
                // the reader stopped; the source has been disposed by the await foreach above
            }
            catch (Exception e)
            {
                Failure = ExceptionDispatchInfo.Capture(e);
            }
            finally
            {
                writer.TryComplete();
            }
        }
    }
}
