using System.Threading.Channels;
using Chorus.Fusion;
using Chorus.Llama;

namespace Chorus.Grains;

/// <summary>
/// Runs a model's native work on one dedicated thread (never on the Orleans scheduler or the thread pool):
/// single-token appends that arrive together — from many sessions — are decoded in one batched
/// <see cref="ModelRunner.Step"/>; other work (prefill, sync, release) runs alone, in arrival order.
/// </summary>
internal sealed class StepBatcher : IDisposable
{
    private readonly ModelRunner _runner;
    private readonly Channel<WorkItem> _queue = Channel.CreateUnbounded<WorkItem>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Thread _thread;
    private long _batchedSteps;

    public StepBatcher(ModelRunner runner, string name)
    {
        _runner = runner;
        _thread = new Thread(Loop) { IsBackground = true, Name = $"chorus-model-{name}" };
        _thread.Start();
    }

    /// <summary>Decodes that had more than one sequence in them.</summary>
    public long BatchedSteps => Interlocked.Read(ref _batchedSteps);

    /// <summary>Appends tokens to a sequence, batched with other sequences' appends.</summary>
    public Task<TokenDistribution> Append(RunnerSequence sequence, int[] tokens, DistributionRequest request, CancellationToken cancellationToken)
    {
        var item = new AppendItem(sequence, tokens, request, cancellationToken);
        Enqueue(item);
        return item.Completion.Task;
    }

    /// <summary>Runs work alone on the model thread.</summary>
    public Task<T> Run<T>(Func<CancellationToken, T> work, CancellationToken cancellationToken)
    {
        var item = new ExclusiveItem<T>(work, cancellationToken);
        Enqueue(item);
        return item.Completion.Task;
    }

    private void Enqueue(WorkItem item)
    {
        if (!_queue.Writer.TryWrite(item))
            item.Fail(new ObjectDisposedException("model runner", "the model is shutting down; retry on another replica"));
    }

    private void Loop()
    {
        var reader = _queue.Reader;
        var appends = new List<AppendItem>();
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            appends.Clear();
            while (reader.TryRead(out var item))
            {
                if (item.Cancellation.IsCancellationRequested) { item.Cancel(); continue; }
                if (item is AppendItem a && appends.TrueForAll(x => x.Sequence != a.Sequence)) { appends.Add(a); continue; }
                RunAppends(appends);
                item.Execute(_runner);
            }
            RunAppends(appends);
        }
    }

    private void RunAppends(List<AppendItem> appends)
    {
        if (appends.Count == 0) return;
        try
        {
            var work = appends.ConvertAll(a => new SequenceWork(a.Sequence, a.Tokens, a.Request));
            var results = _runner.Step(work);
            if (appends.Count > 1) Interlocked.Increment(ref _batchedSteps);
            for (var i = 0; i < appends.Count; i++) appends[i].Completion.TrySetResult(results[i]);
        }
        catch (Exception e)
        {
            foreach (var a in appends) a.Fail(e);
        }
        appends.Clear();
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _thread.Join(TimeSpan.FromSeconds(30));
    }

    private abstract class WorkItem(CancellationToken cancellation)
    {
        public CancellationToken Cancellation { get; } = cancellation;
        public abstract void Execute(ModelRunner runner);
        public abstract void Fail(Exception e);
        public abstract void Cancel();
    }

    private sealed class AppendItem(RunnerSequence sequence, int[] tokens, DistributionRequest request, CancellationToken cancellation) : WorkItem(cancellation)
    {
        public RunnerSequence Sequence { get; } = sequence;
        public int[] Tokens { get; } = tokens;
        public DistributionRequest Request { get; } = request;
        public TaskCompletionSource<TokenDistribution> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override void Execute(ModelRunner runner) => throw new InvalidOperationException("appends run batched");
        public override void Fail(Exception e) => Completion.TrySetException(e);
        public override void Cancel() => Completion.TrySetCanceled(Cancellation);
    }

    private sealed class ExclusiveItem<T>(Func<CancellationToken, T> work, CancellationToken cancellation) : WorkItem(cancellation)
    {
        public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override void Execute(ModelRunner runner)
        {
            try { Completion.TrySetResult(work(Cancellation)); }
            catch (OperationCanceledException) when (Cancellation.IsCancellationRequested) { Completion.TrySetCanceled(Cancellation); }
            catch (Exception e) { Completion.TrySetException(e); }
        }

        public override void Fail(Exception e) => Completion.TrySetException(e);
        public override void Cancel() => Completion.TrySetCanceled(Cancellation);
    }
}
