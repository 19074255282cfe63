using System.Runtime.CompilerServices;
using Chorus.Grains;

namespace Chorus.Grains.Tests.Sessions;

/// <summary>
/// The session's read-ahead: the source runs ahead of the reader (bounded), the reader sees every item in order and
/// the source's failure, and a reader that stops early leaves the source cancelled and finished (its finally blocks run).
/// </summary>
public sealed class ReadAheadTests
{
    private sealed class Source
    {
        public int Made;
        public bool Finished;
        public bool SawCancellation;

        public async IAsyncEnumerable<int> Items(int count, Exception? failAfter, [EnumeratorCancellation] CancellationToken ct)
        {
            try
            {
                for (var i = 0; i < count; i++)
                {
                    if (ct.IsCancellationRequested) { SawCancellation = true; yield break; }
                    await Task.Yield();
                    Made++;
                    yield return i;
                }
                if (failAfter is not null) throw failAfter;
            }
            finally
            {
                Finished = true;
            }
        }
    }

    [Fact]
    public async Task The_reader_gets_every_item_in_order()
    {
        var source = new Source();
        var read = new List<int>();
        await foreach (var item in ReadAhead.Run(ct => source.Items(100, null, ct), capacity: 4)) read.Add(item);
        Assert.Equal(Enumerable.Range(0, 100), read);
        Assert.True(source.Finished);
    }

    [Fact]
    public async Task The_source_runs_ahead_of_a_slow_reader_but_no_further_than_the_buffer()
    {
        var source = new Source();
        await using var reader = ReadAhead.Run(ct => source.Items(100, null, ct), capacity: 4).GetAsyncEnumerator();
        Assert.True(await reader.MoveNextAsync());
        Assert.Equal(0, reader.Current);
        await WaitUntil(() => source.Made >= 5); // item 0 read, 4 buffered
        await Task.Delay(100);
        Assert.InRange(source.Made, 5, 6); // 4 buffered + the one read (+ one made and waiting for room)
    }

    [Fact]
    public async Task A_failure_reaches_the_reader_after_the_items_before_it()
    {
        var source = new Source();
        var read = new List<int>();
        var e = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await foreach (var item in ReadAhead.Run(ct => source.Items(3, new InvalidOperationException("member lost"), ct), capacity: 8)) read.Add(item);
        });
        Assert.Equal("member lost", e.Message);
        Assert.Equal([0, 1, 2], read);
    }

    [Fact]
    public async Task A_failure_before_the_first_item_is_the_readers_first_move()
    {
        static async IAsyncEnumerable<int> Refuses([EnumeratorCancellation] CancellationToken ct)
        {
            await Task.Yield();
            throw new ArgumentException("bad request");
#pragma warning disable CS0162 // an iterator needs a yield
            yield break;
#pragma warning restore CS0162
        }
        await using var reader = ReadAhead.Run(Refuses, capacity: 2).GetAsyncEnumerator();
        var e = await Assert.ThrowsAsync<ArgumentException>(async () => await reader.MoveNextAsync());
        Assert.Equal("bad request", e.Message);
    }

    [Fact]
    public async Task A_reader_that_stops_early_leaves_the_source_cancelled_and_finished()
    {
        var source = new Source();
        await foreach (var item in ReadAhead.Run(ct => source.Items(1_000_000, null, ct), capacity: 4))
            if (item == 10) break;
        // the enumeration's end waited for the source: its finally (which frees a session's slots) has run
        Assert.True(source.Finished);
        Assert.True(source.Made < 1_000_000);
    }

    [Fact]
    public async Task The_callers_cancellation_reaches_the_source_which_ends_as_it_chooses()
    {
        var source = new Source();
        using var cts = new CancellationTokenSource();
        var read = new List<int>();
        await foreach (var item in ReadAhead.Run(ct => source.Items(1_000_000, null, ct), capacity: 2, cts.Token))
        {
            read.Add(item);
            if (item == 5) await cts.CancelAsync();
        }
        Assert.True(source.SawCancellation);
        Assert.True(source.Finished);
        Assert.Equal(Enumerable.Range(0, read.Count), read);
    }

    private static readonly AsyncLocal<string?> Ambient = new();

    private static async IAsyncEnumerable<string?> AmbientAfterYields(int count, [EnumeratorCancellation] CancellationToken ct)
    {
        for (var i = 0; i < count; i++)
        {
            await Task.Yield();
            yield return Ambient.Value;
        }
    }

    [Fact]
    public async Task What_the_ambient_sets_holds_for_the_whole_source_and_ends_with_it()
    {
        var ended = false;
        var seen = new List<string?>();
        await foreach (var value in ReadAhead.Run(ct => AmbientAfterYields(20, ct), capacity: 2, ambient: () =>
        {
            Ambient.Value = "session span";
            return new Ending(() => ended = true);
        }))
            seen.Add(value);

        // every item, after as many yields, still sees it (state set inside an iterator would be gone after the first yield)
        Assert.Equal(Enumerable.Repeat<string?>("session span", 20), seen);
        Assert.True(ended);
        Assert.Null(Ambient.Value); // the reader's own flow is untouched
    }

    private sealed class Ending(Action ended) : IDisposable
    {
        public void Dispose() => ended();
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++) await Task.Delay(10);
        Assert.True(condition());
    }
}
