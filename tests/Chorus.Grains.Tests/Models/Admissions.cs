using System.Threading.Channels;
using Chorus.Contracts;
using Chorus.Grains;

namespace Chorus.Grains.Tests.Models;

/// <summary>Reads a request's admission stream: waits (on the stream, never polling) for the next update.</summary>
internal sealed class Admissions(ChannelReader<AdmissionEvent> updates)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    public static Admissions Ask(ModelScheduler scheduler, Guid owner, int count, CancellationToken ct = default) => new(scheduler.Admit(owner, count, ct));

    public async Task<AdmissionQueued> Queued()
    {
        var next = await Next();
        return Assert.IsType<AdmissionQueued>(next);
    }

    public async Task<SequenceHandle[]> Granted()
    {
        while (true)
        {
            var next = await Next();
            if (next is AdmissionGranted g) return g.Handles;
        }
    }

    /// <summary>The error the request ended with (after any queue updates).</summary>
    public async Task<Exception> Failure()
    {
        try
        {
            while (await updates.WaitToReadAsync().AsTask().WaitAsync(Patience))
                while (updates.TryRead(out var e))
                    Assert.IsNotType<AdmissionGranted>(e);
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            return e;
        }
        throw new Xunit.Sdk.XunitException("the admission ended without an error");
    }

    public bool HasUpdate => updates.TryPeek(out _);

    private async Task<AdmissionEvent> Next()
    {
        if (!await updates.WaitToReadAsync().AsTask().WaitAsync(Patience)) throw new Xunit.Sdk.XunitException("the admission stream ended");
        Assert.True(updates.TryRead(out var e));
        return e!;
    }
}
