using System.Net;
using Chorus.Grains;
using Orleans.Runtime;

namespace Chorus.Grains.Tests.Placement;

/// <summary>Replica keys of a model spread over the silos that serve it, each silo owning as many as it declares.</summary>
public sealed class ReplicaOwnerTests
{
    private static readonly SiloAddress A = SiloAddress.New(new IPEndPoint(IPAddress.Parse("10.0.0.1"), 11111), 1);
    private static readonly SiloAddress B = SiloAddress.New(new IPEndPoint(IPAddress.Parse("10.0.0.2"), 11111), 1);

    [Fact]
    public void Each_silo_owns_as_many_consecutive_replicas_as_it_declares_and_an_index_past_the_total_wraps()
    {
        (SiloAddress, int)[] serving = [(B, 1), (A, 2)]; // any order in, address order out
        Assert.Equal([A, A, B, A], new[] { 0, 1, 2, 3 }.Select(r => ServedModels.Owner(serving, r)));
    }

    [Fact]
    public void A_replica_whose_silo_left_goes_to_a_live_one()
    {
        Assert.Equal(B, ServedModels.Owner([(A, 1), (B, 1)], 1));
        Assert.Equal(A, ServedModels.Owner([(A, 1)], 1)); // B is gone: its replica key lands on A
    }

    [Fact]
    public void Replica_keys_name_the_model_and_the_index()
    {
        Assert.Equal(("m", 0), (ServedModels.ModelId("m"), ServedModels.Replica("m")));
        Assert.Equal(("m", 2), (ServedModels.ModelId("m/2"), ServedModels.Replica("m/2")));
    }
}
