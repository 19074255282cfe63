using System.Collections.Concurrent;
using System.Net.Sockets;
using Chorus.Api;
using Grpc.Core;
using Grpc.Net.Client;
using static Chorus.Silo.Tests.Hostile.HostileChecks;

namespace Chorus.Silo.Tests.Hostile;

/// <summary>A client that dies mid-stream (its TCP connection reset, no gRPC cancellation sent): its sessions' slots are freed.</summary>
[Collection(HostileSiloCollection.Name)]
public sealed class KilledClientTests(HostileSiloFixture fixture) : HostileTest(fixture)
{
    private const int Sessions = 6;

    [Fact]
    public async Task A_client_whose_connection_is_reset_mid_stream_leaves_no_slot_taken()
    {
        var sockets = new ConcurrentBag<Socket>();
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(context.DnsEndPoint, ct);
                sockets.Add(socket);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        using var channel = GrpcChannel.ForAddress(Fixture.Silo.Endpoint, new GrpcChannelOptions { HttpHandler = handler });
        var client = new Api.Chorus.ChorusClient(channel);
        var calls = Enumerable.Range(0, Sessions)
            .Select(_ => client.Generate(Generate(HostileSiloFixture.EightSlotModels, maxTokens: 400), deadline: DateTime.UtcNow.AddSeconds(60)))
            .ToList();
        try
        {
            foreach (var call in calls) await ReadUntilFirstTokenAsync(call);
            var holding = await ActiveSequencesAsync(Fixture.Client);
            Assert.Equal(Sessions * HostileSiloFixture.EightSlotModels.Length, holding.Values.Sum()); // mid-stream: one slot per member

            foreach (var socket in sockets)
            {
                socket.LingerState = new LingerOption(true, 0); // close with RST, as when the client process dies
                socket.Close();
            }
        }
        finally
        {
            foreach (var call in calls) call.Dispose();
        }

        await AssertSlotsFreeAndServingAsync(Fixture);
    }

    private static async Task ReadUntilFirstTokenAsync(AsyncServerStreamingCall<GenerateEvent> call)
    {
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
            if (call.ResponseStream.Current.Token is not null) return;
        throw new InvalidOperationException($"the stream ended before its first token: {call.GetStatus()}");
    }
}
