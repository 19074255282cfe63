namespace Chorus.Silo.Tests.Support;

/// <summary>One real redis-server and one real PostgreSQL server for the tests of one collection, stopped after them.</summary>
public sealed class MembershipStoresFixture : IAsyncLifetime
{
    public RedisServer Redis { get; private set; } = null!;

    public PostgresServer Postgres { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var redis = RedisServer.StartAsync();
        var postgres = PostgresServer.StartAsync();
        try
        {
            Redis = await redis;
            Postgres = await postgres;
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    /// <summary>A new empty PostgreSQL database (its own name) — one per test, so their tables never meet.</summary>
    public Task<string> NewDatabaseAsync() => Postgres.CreateDatabaseAsync($"chorus_{Guid.NewGuid():N}");

    public async Task DisposeAsync()
    {
        if (Redis is not null) await Redis.DisposeAsync();
        if (Postgres is not null) await Postgres.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class MembershipStoresCollection : ICollectionFixture<MembershipStoresFixture>
{
    public const string Name = "membership stores (redis-server, postgres)";
}
