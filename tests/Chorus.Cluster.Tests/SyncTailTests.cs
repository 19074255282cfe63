using Chorus.Contracts;

namespace Chorus.Cluster.Tests;

/// <summary>A member of another vocabulary synced by difference (keep the chars it covers, append the tail) ends up exactly where a sync to the whole text (keep 0 chars) does.</summary>
[Collection(ClusterCollection.Name)]
public sealed class SyncTailTests(ClusterFixture fixture)
{
    [Fact]
    public async Task Syncing_by_difference_equals_syncing_the_whole_text_step_by_step()
    {
        var grain = fixture.Client.GetGrain<IModelGrain>("g");
        var owner = Guid.NewGuid();
        SequenceHandle[] handles = [];
        await foreach (var e in grain.Admit(owner, 2))
            if (e is AdmissionGranted granted) handles = granted.Handles;
        try
        {
            const string prompt = "The river ran";
            string[] pieces = [" quietly", " through", " the", " old", " é", "t", "é", "-town", ",", " and", "", " then", " past"];
            await grain.Edit(handles[0], SequenceEditRequest.Prefill(prompt, 8));
            await grain.Edit(handles[1], SequenceEditRequest.Prefill(prompt, 8));
            var text = prompt;
            foreach (var piece in pieces)
            {
                var kept = text.Length;
                text += piece;
                var whole = await grain.Edit(handles[0], SequenceEditRequest.Sync(0, text, 8));
                var tail = await grain.Edit(handles[1], SequenceEditRequest.Sync(kept, piece, 8));
                Assert.Equal(whole.Decoded, tail.Decoded);
                Assert.Equal(whole.RolledBack, tail.RolledBack);
                Assert.Equal(whole.Next!.TopTokens, tail.Next!.TopTokens);
                Assert.Equal(whole.Next.TopLogProbs!.Select(x => Math.Round(x, 3)), tail.Next.TopLogProbs!.Select(x => Math.Round(x, 3)));
            }
            var e = await Assert.ThrowsAsync<ChorusException>(() => grain.Edit(handles[1], SequenceEditRequest.Sync(text.Length + 1, "x", 8)));
            Assert.Equal(ChorusErrorKind.InvalidArgument, e.Kind);
        }
        finally
        {
            await grain.ReleaseOwner(owner);
        }
    }
}
