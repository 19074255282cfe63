using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Chorus.Api;
using Chorus.Client.Cluster;
using Chorus.Silo.Tests.Support;
using Grpc.Core;
using Grpc.Health.V1;
using Xunit.Abstractions;

namespace Chorus.Silo.Tests;

/// <summary>
/// A draining silo refuses new work at one place, the gateway both front ends call: gRPC Generate and Score and HTTP
/// completions and chat completions are all refused, with the same message, while an in-flight generation goes on.
/// </summary>
public sealed class GatewayDrainTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_draining_silo_refuses_every_front_end_with_the_same_message_from_the_gateway()
    {
        var ports = FreePorts.Take(4);
        var http = $"http://127.0.0.1:{ports[3]}";
        using var silo = SiloProcess.Start("gateway-drain", ports[0], ports[2],
        [
            .. SiloArguments.Ports(ports[0], ports[1], ports[2]), $"--Chorus:Cluster:HttpPort={ports[3]}",
            $"--Chorus:Cluster:ClusterId=gateway-drain-{Guid.NewGuid():N}", "--Chorus:Sessions:DrainSeconds=120",
            .. SiloArguments.Model(0, "a", TestModels.Spm(31), contextSize: 2048),
            "--Logging:LogLevel:Default=Warning", "--Logging:LogLevel:Chorus=Information",
        ]);
        await silo.WaitUntilServingAsync(TimeSpan.FromSeconds(90));
        using var client = ChorusApiClient.ForAddress(silo.Endpoint);
        using var inFlight = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var tokens = 0;
        var refusedEverywhere = false;
        await foreach (var e in client.GenerateAsync(ClusterOfTwoSilosTests.Request(["a"], "single", maxTokens: 1500), inFlight.Token))
        {
            if (e.Token is null || ++tokens != 5) continue;
            silo.Terminate();
            while (await client.CheckHealthAsync(inFlight.Token) == HealthCheckResponse.Types.ServingStatus.Serving)
                await Task.Delay(50, inFlight.Token);

            var generate = await Assert.ThrowsAsync<RpcException>(() => ClusterOfTwoSilosTests.GenerateAsync(client, ["a"], "single", maxTokens: 2));
            var score = await Assert.ThrowsAsync<RpcException>(() => client.ScoreAsync(new ScoreRequest { Members = new Members { Models = { "a" } }, Text = "a short text" }));
            var completion = await PostAsync(http, "/v1/completions", new { model = "a", prompt = "Once", max_tokens = 2 });
            var chat = await PostAsync(http, "/v1/chat/completions", new { model = "a", messages = new[] { new { role = "user", content = "Hi" } }, max_tokens = 2 });
            output.WriteLine($"gRPC Generate: {generate.StatusCode}: {generate.Status.Detail}\nHTTP completions: {completion.Status}: {completion.Message}");

            foreach (var refused in new[] { generate, score })
            {
                Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
                Assert.Contains("shutting down and takes no new sessions", refused.Status.Detail, StringComparison.Ordinal);
            }
            foreach (var refused in new[] { completion, chat })
            {
                Assert.Equal(503, refused.Status);
                Assert.Equal("model_unavailable", refused.Code);
                Assert.Equal(TimeSpan.FromSeconds(2), refused.RetryAfter);
                Assert.Equal(generate.Status.Detail, refused.Message); // the one refusal, mapped twice
            }
            refusedEverywhere = true;
            break; // the in-flight generation has shown what it had to: leaving ends it, and the silo stops
        }
        Assert.True(refusedEverywhere, $"the in-flight generation ended after {tokens} tokens, before the drain was checked\n{silo.Log}");
        using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await silo.WaitForExitAsync(exit.Token);
        Assert.Equal(0, silo.ExitCode);
    }

    private static async Task<(int Status, string? Code, string? Message, TimeSpan? RetryAfter)> PostAsync(string endpoint, string path, object body)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromMinutes(1) };
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint + path)
        {
            Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"),
        };
        using var response = await client.SendAsync(request);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        return ((int)response.StatusCode, error.GetProperty("code").GetString(), error.GetProperty("message").GetString(), response.Headers.RetryAfter?.Delta);
    }
}
