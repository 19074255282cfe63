using Chorus.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace Chorus.Grains.Tests.Models;

/// <summary>Distributions and embedding matrices crossing silos: exact values back, and the arrays as raw bytes (4 per value), not element by element.</summary>
public sealed class DistributionDataWireTests
{
    private static readonly IServiceProvider Services = new ServiceCollection()
        .AddSerializer(b => b.AddAssembly(typeof(DistributionData).Assembly))
        .BuildServiceProvider();

    private static readonly Serializer Serializer = Services.GetRequiredService<Serializer>();

    [Fact]
    public void In_one_silo_a_distribution_is_passed_by_reference_not_copied()
    {
        var copier = Services.GetRequiredService<DeepCopier>();
        var data = new DistributionData(4, 0.5f, [1f, 2f, 3f, 4f], null, null);
        Assert.Same(data, copier.Copy(data));
        var export = new EmbeddingExport(2, [1f, 2f]);
        Assert.Same(export, copier.Copy(export));
    }

    [Fact]
    public void Full_logits_come_back_exactly_in_about_four_bytes_a_value()
    {
        var logits = new float[32_000];
        var random = new Random(7);
        for (var i = 0; i < logits.Length; i++) logits[i] = (float)(random.NextDouble() * 40 - 20);
        logits[5] = float.NegativeInfinity; // a masked token survives the trip
        var data = new DistributionData(logits.Length, 12.5f, logits, null, null);

        var wire = Serializer.SerializeToArray(data);
        var back = Serializer.Deserialize<DistributionData>(wire)!;

        Assert.Equal(data.VocabularySize, back.VocabularySize);
        Assert.Equal(data.LogSumExp, back.LogSumExp);
        Assert.Equal(logits, back.Logits);
        Assert.Null(back.TopTokens);
        Assert.Null(back.TopLogProbs);
        Assert.InRange(wire.Length, logits.Length * 4, logits.Length * 4 + 200); // element by element it was 160 KB
    }

    [Fact]
    public void Top_k_comes_back_exactly()
    {
        var data = new DistributionData(50_257, -3.25f, null, [11, 7, 50_000], [-0.5f, -1.25f, -9f]);
        var back = Serializer.Deserialize<DistributionData>(Serializer.SerializeToArray(data))!;
        Assert.Equal(data.VocabularySize, back.VocabularySize);
        Assert.Equal(data.LogSumExp, back.LogSumExp);
        Assert.Null(back.Logits);
        Assert.Equal(data.TopTokens, back.TopTokens);
        Assert.Equal(data.TopLogProbs, back.TopLogProbs);
    }

    [Fact]
    public void Distributions_inside_other_messages_use_the_same_form()
    {
        var rows = new DistributionData?[] { new(4, 0.5f, [1f, 2f, 3f, 4f], null, null), null };
        var back = Serializer.Deserialize<DistributionData?[]>(Serializer.SerializeToArray(rows))!;
        Assert.Equal(rows[0]!.Logits, back[0]!.Logits);
        Assert.Null(back[1]);
    }

    [Fact]
    public void An_embedding_matrix_comes_back_exactly_as_raw_bytes()
    {
        var data = new float[3 * 1000];
        for (var i = 0; i < data.Length; i++) data[i] = MathF.Sin(i);
        var export = new EmbeddingExport(3, data);
        var wire = Serializer.SerializeToArray(export);
        var back = Serializer.Deserialize<EmbeddingExport>(wire)!;
        Assert.Equal(3, back.Dimension);
        Assert.Equal(data, back.Data);
        Assert.InRange(wire.Length, data.Length * 4, data.Length * 4 + 100);
    }
}
