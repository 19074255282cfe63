using System.Text;
using System.Text.Json;
using Chorus.Api;
using Chorus.Silo.Tests.Support;
using Grpc.Core;

namespace Chorus.Silo.Tests;

/// <summary>The CheckPack RPC over real gRPC against a real silo process: one member, an unknown model, evidence of the wrong length.</summary>
public sealed class CheckPackRpcTests(SingleSiloFixture fixture) : IClassFixture<SingleSiloFixture>
{
    private const string Sample = "The quick brown fox jumps over the lazy dog, and the dog does not mind at all.";

    [Fact]
    public async Task A_single_member_maps_onto_itself_exactly_and_scores_the_sample()
    {
        var request = new CheckPackRequest { Members = new Members { Models = { "a" } }, Text = Sample };
        var reply = await fixture.Client.Raw.CheckPackAsync(request);

        Assert.Equal("a", reply.MainModel);
        var m = Assert.Single(reply.Members);
        Assert.Equal(m.VocabularySize, m.Exact); // the identity map: every main token matches its own piece
        Assert.Equal(1.0, m.ExactShare);
        Assert.Equal(1.0, m.VocabularyOverlap);
        Assert.InRange(m.BitsPerByte, 0.1, 64); // a random model: high, but a real figure
        Assert.InRange(m.Bytes, Encoding.UTF8.GetByteCount(Sample) / 2, Encoding.UTF8.GetByteCount(Sample));
        Assert.False(reply.CanEnsemble);
        Assert.Contains("only 'a' remains", reply.Verdict);
    }

    [Fact]
    public async Task An_unknown_model_is_NotFound_and_evidence_of_the_wrong_length_is_InvalidArgument()
    {
        var unknown = await Assert.ThrowsAsync<RpcException>(() => fixture.Client.Raw.CheckPackAsync(
            new CheckPackRequest { Members = new Members { Models = { "a", "nonexistent" } } }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);

        var request = new CheckPackRequest { Members = new Members { Models = { "a" } }, TaskScores = { 50, 60 } };
        var invalid = await Assert.ThrowsAsync<RpcException>(() => fixture.Client.Raw.CheckPackAsync(request).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, invalid.StatusCode);
        Assert.Contains("task_scores has 2 values for 1 members", invalid.Status.Detail);
    }
}

/// <summary><c>chorus check-pack</c> over an in-process silo with two vocabularies (spm and gpt-2).</summary>
public sealed class CheckPackCommandTests
{
    [Fact]
    public async Task Heterogeneous_members_report_MinED_coverage_bits_per_byte_and_the_Determine_verdict()
    {
        var spm = TestModels.Spm(31);
        var gpt2 = TestModels.Gpt2(34);
        var sample = Path.Combine(TestModels.Directory, $"sample-{Guid.NewGuid():N}.txt");
        await File.WriteAllTextAsync(sample, "Once upon a time there was a small model that wanted to know whether it could be fused with another one.");
        try
        {
            var (code, output, error) = await CommandLineTests.RunAsync("check-pack", "-m", spm, "-m", gpt2, "--text", sample,
                "--task-score", "60", "--task-score", "45", "--json");
            Assert.True(code == 0, error);
            var json = JsonDocument.Parse(output).RootElement;
            Assert.Equal("spm-31", json.GetProperty("mainModel").GetString());
            var members = json.GetProperty("members").EnumerateArray().ToList();
            var main = members[0];
            var other = members[1];
            var mainSize = main.GetProperty("vocabularySize").GetInt32();
            // every main token is mapped once: by piece, by normalised text, by edit distance, or as a special token by role
            Assert.Equal(mainSize, other.GetProperty("exact").GetInt32() + other.GetProperty("marker").GetInt32()
                + other.GetProperty("editDistance").GetInt32() + other.GetProperty("special").GetInt32());
            Assert.True(other.GetProperty("marker").GetInt32() > 1000, "spm's ▁word pieces meet gpt-2's Ġword pieces only after normalising the marker");
            Assert.True(other.GetProperty("editDistance").GetInt32() > 0);
            Assert.True(other.GetProperty("special").GetInt32() > 0, "special tokens pair by role");
            Assert.InRange(other.GetProperty("vocabularyOverlap").GetDouble(), 0.05, 0.95);
            Assert.All(members, m => Assert.True(m.GetProperty("bitsPerByte").GetDouble() is > 0 and < 64));
            // 60 vs 45 points: 15 apart, beyond UniTE's 10 — the weaker member is excluded, so no ensemble remains
            Assert.False(json.GetProperty("canEnsemble").GetBoolean());
            Assert.False(other.GetProperty("compatible").GetBoolean());
            Assert.Contains("15 points below", other.GetProperty("excludedReason").GetString());
            Assert.Contains("no response lengths given", json.GetProperty("verdict").GetString());

            (code, output, error) = await CommandLineTests.RunAsync("check-pack", "-m", spm, "-m", gpt2, "--task-score", "60", "--task-score", "55");
            Assert.True(code == 0, error);
            Assert.Contains("verdict: UniTE ensembles 2 members around 'spm-31'", output);
        }
        finally
        {
            File.Delete(sample);
        }
    }
}
