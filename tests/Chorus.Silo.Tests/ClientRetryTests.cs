using System.Net;
using Chorus.Api;
using Chorus.Client.Cluster;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Chorus.Silo.Tests;

/// <summary>
/// <see cref="ChorusApiClient"/>'s retry policy, against a real gRPC server on a real socket whose answers the test
/// scripts (a fake of the cluster, inside a unit test of the client): Unavailable is retried, a generation that has
/// streamed an event is not run twice, other failures are not retried.
/// </summary>
public sealed class ClientRetryTests : IAsyncLifetime
{
    private readonly FlakyChorus _server = new();
    private WebApplication _app = null!;
    private ChorusApiClient _client = null!;

    public async Task InitializeAsync()
    {
        var port = FreePorts.Take(1)[0];
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(_server);
        _app = builder.Build();
        _app.MapGrpcService<FlakyChorus>();
        await _app.StartAsync();
        _client = ChorusApiClient.ForAddress($"http://127.0.0.1:{port}");
    }

    [Fact]
    public async Task Unavailable_is_retried_until_the_server_answers()
    {
        _server.FailFirst = 2;
        var models = await _client.ListModelsAsync();
        Assert.Equal("m", Assert.Single(models).Id);
        Assert.Equal(3, _server.Attempts);
    }

    [Fact]
    public async Task Retries_are_bounded()
    {
        _server.FailFirst = 100;
        var e = await Assert.ThrowsAsync<RpcException>(() => _client.ListModelsAsync());
        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.Equal(ChorusApiClient.UnavailableRetry.RetryPolicy!.MaxAttempts, _server.Attempts);
    }

    [Fact]
    public async Task A_generation_refused_before_its_first_event_is_retried()
    {
        _server.FailFirst = 1;
        var events = await GenerateAsync("before");
        Assert.Equal(2, events.Count);
        Assert.Equal(2, _server.Attempts);
    }

    [Fact]
    public async Task A_generation_that_fails_after_its_first_event_is_not_run_again()
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => GenerateAsync("after"));
        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.Equal(1, _server.Attempts);
    }

    [Fact]
    public async Task Other_failures_are_not_retried()
    {
        _server.FailFirst = 1;
        _server.Failure = StatusCode.InvalidArgument;
        await Assert.ThrowsAsync<RpcException>(() => _client.ListModelsAsync());
        Assert.Equal(1, _server.Attempts);
    }

    private async Task<List<GenerateEvent>> GenerateAsync(string when)
    {
        var events = new List<GenerateEvent>();
        await foreach (var e in _client.GenerateAsync(new GenerateRequest { Prompt = when }))
            events.Add(e);
        return events;
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>Fails the first <see cref="FailFirst"/> calls with <see cref="Failure"/>; a generation "after" fails once it has sent an event.</summary>
public sealed class FlakyChorus : Api.Chorus.ChorusBase
{
    private int _attempts;

    public int FailFirst { get; set; }

    public StatusCode Failure { get; set; } = StatusCode.Unavailable;

    public int Attempts => Volatile.Read(ref _attempts);

    public override Task<ListModelsReply> ListModels(ListModelsRequest request, ServerCallContext context)
    {
        if (Interlocked.Increment(ref _attempts) <= FailFirst) throw new RpcException(new Status(Failure, "the silo is restarting"));
        return Task.FromResult(new ListModelsReply { Models = { new ModelDescription { Id = "m" } } });
    }

    public override async Task Generate(GenerateRequest request, IServerStreamWriter<GenerateEvent> responseStream, ServerCallContext context)
    {
        var attempt = Interlocked.Increment(ref _attempts);
        if (request.Prompt == "before" && attempt <= FailFirst) throw new RpcException(new Status(Failure, "the silo is restarting"));
        await responseStream.WriteAsync(new GenerateEvent { Started = new Started { Session = attempt.ToString(System.Globalization.CultureInfo.InvariantCulture) } });
        if (request.Prompt == "after") throw new RpcException(new Status(StatusCode.Unavailable, "the member's silo died"));
        await responseStream.WriteAsync(new GenerateEvent { Finished = new Finished { Reason = "eog" } });
    }
}
