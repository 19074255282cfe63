using Chorus.Contracts;
using Chorus.Llama;
using Chorus.Primitives;

namespace Chorus.Cluster.Tests;

/// <summary>
/// The model grain's one edit verb, through a real silo (the request and reply cross Orleans): every shape a session uses —
/// prefill with evidence, a chat prefill with its special tokens parsed, token appends, text syncs, verification rows, a
/// draft, a text verification — leaves the sequence holding what it should and returns the rows a fresh runner computes for
/// the same tokens; a malformed request is refused with InvalidArgument naming the field, and the sequence stays usable.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class SequenceEditTests(ClusterFixture fixture)
{
    private const string Model = "g"; // gpt-2's vocabulary: "<|endoftext|>" is a special token

    [Fact]
    public async Task Every_edit_shape_returns_the_rows_a_fresh_runner_gives_for_the_same_tokens()
    {
        var grain = fixture.Client.GetGrain<IModelGrain>(Model);
        var owner = Guid.NewGuid();
        var handles = await AdmitAsync(grain, owner, 3);
        using var reference = new Reference();
        try
        {
            // prefill with evidence: the prompt's tokens, each one's log-probability, and the distribution after it
            const string prompt = "The river ran quietly through the old town";
            var opened = await grain.Edit(handles[0], SequenceEditRequest.Prefill(prompt, 0, evidence: true, positionsTopK: 4));
            var held = reference.Vocabulary.Tokenize(prompt, addSpecial: true);
            Assert.Equal(held, opened.Decoded);
            Assert.Equal(held, opened.Evidence!.TokenIds);
            Assert.Equal(held.Length, opened.Length);
            var expected = reference.Prefill(held);
            AssertRow(expected.Next, opened.Next);
            Assert.True(float.IsNaN(opened.Evidence.LogProbs[0]));
            for (var i = 1; i < held.Length; i++) Assert.Equal(expected.TokenLogProbs[i], opened.Evidence.LogProbs[i], 1e-3f);
            Assert.Equal(reference.Prefill(held[..3]).Next.ArgMax(), opened.Evidence.Positions![3]!.TopTokens![0]);

            // append tokens by id
            var appended = await grain.Edit(handles[0], SequenceEditRequest.Append([262, 1110], 0));
            held = [.. held, 262, 1110];
            Assert.Equal([262, 1110], appended.Decoded);
            Assert.Equal(held.Length, appended.Length);
            AssertRow(reference.Prefill(held).Next, appended.Next);

            // verify k rows: roll back the two appended tokens, append three others, one row after each
            var keep = held.Length - 2;
            int[] verified = [351, 1110, 290];
            var rows = await grain.Edit(handles[0], SequenceEditRequest.Verify(keep, verified, 0));
            Assert.Null(rows.Next);
            Assert.Equal(2, rows.RolledBack);
            Assert.Equal(verified.Length, rows.Rows.Length);
            held = [.. held[..keep], .. verified];
            for (var i = 0; i < verified.Length; i++) AssertRow(reference.Prefill(held[..(keep + i + 1)]).Next, rows.Rows[i]);

            // draft k greedily after one more token: the proposals are the fresh runner's arg-max chain, with its rows
            const int k = 3;
            var draft = await grain.Edit(handles[0], SequenceEditRequest.Drafting(held.Length, [13], new EditDraft(k, DecodeLast: true, ReturnRows: true), 0));
            held = [.. held, 13];
            Assert.Equal(k, draft.Drafted.Length);
            Assert.Equal(k + 1, draft.Rows.Length);
            Assert.Equal(held.Length + k, draft.Length);
            Assert.Equal([13, .. draft.Drafted], draft.Decoded);
            for (var i = 0; i <= k; i++)
            {
                var after = reference.Prefill([.. held, .. draft.Drafted[..i]]).Next;
                AssertRow(after, draft.Rows[i]);
                if (i < k) Assert.Equal(after.ArgMax(), draft.Drafted[i]);
            }

            // a text sequence: prefill, then sync tails by difference; the cache holds the text's tokens
            var text = prompt;
            await grain.Edit(handles[1], SequenceEditRequest.Prefill(text, 0));
            foreach (var tail in new[] { ",", " and", " then", " past the mill" })
            {
                var synced = await grain.Edit(handles[1], SequenceEditRequest.Sync(text.Length, tail, 0));
                text += tail;
                var tokens = reference.Vocabulary.Tokenize(text, addSpecial: true);
                Assert.Equal(tokens.Length, synced.Length);
                Assert.Equal(tokens[(synced.Length - synced.Decoded.Length)..], synced.Decoded);
                AssertRow(reference.Prefill(tokens).Next, synced.Next);
            }

            // sync a drafted text and read the row after each prefix of it (null only where the prefix tokenizes differently)
            var drafted = text + " and the bridge";
            int[] prefixes = [text.Length, text.Length + 4, drafted.Length];
            var textRows = await grain.Edit(handles[1], SequenceEditRequest.VerifyText(drafted, prefixes, 0));
            Assert.Equal(prefixes.Length, textRows.Rows.Length);
            Assert.NotNull(textRows.Rows[0]);
            for (var j = 0; j < prefixes.Length; j++)
                if (textRows.Rows[j] is { } row) AssertRow(reference.Prefill(reference.Vocabulary.Tokenize(drafted[..prefixes[j]], addSpecial: true)).Next, row);
            Assert.NotNull(textRows.Rows[^1]);

            // a chat prompt: its special-token markers become special tokens, here and in its syncs
            const string chat = "<|endoftext|>user: hello<|endoftext|>assistant:";
            var parsed = reference.Vocabulary.Tokenize(chat, addSpecial: true, parseSpecial: true);
            Assert.True(parsed.Length < reference.Vocabulary.Tokenize(chat, addSpecial: true).Length, "the markers should be special tokens of this vocabulary");
            var chatOpened = await grain.Edit(handles[2], SequenceEditRequest.Prefill(chat, 0, parseSpecial: true));
            Assert.Equal(parsed, chatOpened.Decoded);
            AssertRow(reference.Prefill(parsed).Next, chatOpened.Next);
            var reply = await grain.Edit(handles[2], SequenceEditRequest.Sync(chat.Length, " hi there", 0, parseSpecial: true));
            var whole = reference.Vocabulary.Tokenize(chat + " hi there", addSpecial: true, parseSpecial: true);
            Assert.Equal(whole.Length, reply.Length);
            AssertRow(reference.Prefill(whole).Next, reply.Next);
            var unparsed = await Assert.ThrowsAsync<ChorusException>(() => grain.Edit(handles[2], SequenceEditRequest.Sync(chat.Length, " more", 0)));
            Assert.Equal(ChorusErrorKind.InvalidArgument, unparsed.Kind);
            Assert.Equal("ParseSpecial", unparsed.Field);
        }
        finally
        {
            await grain.ReleaseOwner(owner);
        }
    }

    [Fact]
    public async Task A_malformed_edit_is_invalid_argument_naming_the_field_and_leaves_the_sequence_as_it_was()
    {
        var grain = fixture.Client.GetGrain<IModelGrain>(Model);
        var owner = Guid.NewGuid();
        var handle = (await AdmitAsync(grain, owner, 1))[0];
        try
        {
            const string prompt = "The river ran";
            var opened = await grain.Edit(handle, SequenceEditRequest.Prefill(prompt, 4));
            var length = opened.Length;
            var context = (await grain.Describe()).ContextSize;
            (SequenceEditRequest Request, string Field)[] malformed =
            [
                (SequenceEditRequest.Verify(-1, [5], 4), "KeepTokens"),
                (SequenceEditRequest.Sync(-1, "x", 4), "KeepChars"),
                (SequenceEditRequest.Verify(length + 1, [5], 4), "KeepTokens"),
                (SequenceEditRequest.Sync(prompt.Length + 1, "x", 4), "KeepChars"),
                (new SequenceEditRequest { Tokens = [5], Text = "x", TopK = 4 }, "Tokens"),
                (new SequenceEditRequest { TopK = 4 }, "Tokens"),
                (SequenceEditRequest.Append([], 4), "Tokens"),
                (new SequenceEditRequest { KeepTokens = 1, KeepChars = 1, Text = "x" }, "KeepChars"),
                (SequenceEditRequest.Drafting(length, [5], new EditDraft(-1, false, false), 4), "Draft.Count"),
                (SequenceEditRequest.Drafting(length, [5], new EditDraft(context + 1, false, false), 4), "Draft.Count"),
                (SequenceEditRequest.Append([5], -1), "TopK"),
                (SequenceEditRequest.Append([5], 4) with { Evidence = true }, "Evidence"),
                (SequenceEditRequest.VerifyText(prompt, [], 4), "PrefixLengths"),
            ];
            foreach (var (request, field) in malformed)
            {
                var e = await Assert.ThrowsAsync<ChorusException>(() => grain.Edit(handle, request));
                Assert.Equal(ChorusErrorKind.InvalidArgument, e.Kind);
                Assert.Equal(field, e.Field);
                Assert.Contains(field.Split('.')[^1], e.Message);
            }

            var step = await grain.Edit(handle, SequenceEditRequest.Append([5], 4));
            Assert.Equal(length + 1, step.Length); // every refusal left the prompt as it was
            Assert.Equal(0, step.RolledBack);
        }
        finally
        {
            await grain.ReleaseOwner(owner);
        }
    }

    private static void AssertRow(TokenDistribution expected, DistributionData? actual)
    {
        Assert.NotNull(actual);
        Assert.NotNull(actual.Logits);
        var logits = expected.Logits;
        Assert.Equal(logits.Length, actual.Logits.Length);
        for (var t = 0; t < logits.Length; t++) Assert.Equal(logits[t], actual.Logits[t], 1e-3f);
    }

    private static async Task<SequenceHandle[]> AdmitAsync(IModelGrain grain, Guid owner, int count)
    {
        await foreach (var e in grain.Admit(owner, count))
            if (e is AdmissionGranted granted) return granted.Handles;
        throw new InvalidOperationException("admission ended without a grant");
    }

    /// <summary>The same model in this process, outside the cluster: each call prefills a fresh sequence with exactly the tokens given.</summary>
    private sealed class Reference : IDisposable
    {
        private readonly LlamaModel _model = LlamaModel.Load(ClusterFixture.PathOf(Model));
        private readonly ModelRunner _runner;

        public Reference() => _runner = new ModelRunner(_model, new LlamaContextOptions { ContextSize = 512, Threads = 1 });

        public LlamaVocabulary Vocabulary => _model.Vocabulary;

        public PrefillResult Prefill(int[] tokens)
        {
            var sequence = _runner.Open();
            try
            {
                return _runner.Prefill(sequence, tokens, DistributionRequest.Full);
            }
            finally
            {
                _runner.Release(sequence);
            }
        }

        public void Dispose()
        {
            _runner.Dispose();
            _model.Dispose();
        }
    }
}
