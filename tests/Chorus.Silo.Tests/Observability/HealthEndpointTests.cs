using System.Net;
using System.Text.Json;
using Chorus.Client.Cluster;
using Chorus.Silo.Tests.Support;

namespace Chorus.Silo.Tests.Observability;

/// <summary>/health (liveness) and /ready (readiness) over real sockets, on the HTTP port and the metrics port, from the same checks as gRPC health.</summary>
[Collection(ObservedSiloCollection.Name)]
public sealed class HealthEndpointTests(ObservedSiloFixture fixture)
{
    [Fact]
    public async Task Health_and_ready_answer_on_the_http_and_the_metrics_port_with_every_check()
    {
        foreach (var endpoint in new[] { fixture.HttpEndpoint, fixture.MetricsEndpoint })
        {
            using var http = new HttpClient { BaseAddress = endpoint };
            using var live = await http.GetAsync(new Uri("/health", UriKind.Relative));
            using var ready = await http.GetAsync(new Uri("/ready", UriKind.Relative));

            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            var liveChecks = Checks(await live.Content.ReadAsStringAsync());
            var readyChecks = Checks(await ready.Content.ReadAsStringAsync());
            Assert.Equal(["models"], liveChecks.Keys); // a drain or a store outage must not restart the pod
            Assert.Equal(["drain", "membership", "models"], readyChecks.Keys.Order(StringComparer.Ordinal));
            Assert.All(readyChecks.Values, status => Assert.Equal("Healthy", status));
        }
    }

    [Fact]
    public async Task A_model_whose_file_is_gone_makes_the_silo_neither_live_nor_ready_and_says_which()
    {
        var folder = Directory.CreateTempSubdirectory("chorus-health-").FullName;
        var model = Path.Combine(folder, "doomed.gguf");
        File.Copy(TestModels.Spm(31), model);
        var ports = FreePorts.Take(4);
        var silo = SiloProcess.Start("health", ports[0], ports[2], Arguments(ports, model, folder));
        try
        {
            await silo.WaitUntilServingAsync(TimeSpan.FromSeconds(90));
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{ports[3]}") };
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/ready", UriKind.Relative))).StatusCode);

            File.Delete(model);
            using var live = await http.GetAsync(new Uri("/health", UriKind.Relative));
            using var ready = await http.GetAsync(new Uri("/ready", UriKind.Relative));

            Assert.Equal(HttpStatusCode.ServiceUnavailable, live.StatusCode);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Contains("model files missing: doomed", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        finally
        {
            silo.Dispose();
            TempFolders.Delete(folder);
        }
    }

    private static IEnumerable<string> Arguments(int[] ports, string model, string folder)
    {
        yield return "--Chorus:Cluster:Provider=localhost";
        yield return $"--Chorus:Cluster:ClusterId=health-{Guid.NewGuid():N}";
        foreach (var arg in SiloArguments.Ports(ports[0], ports[1], ports[2])) yield return arg;
        yield return $"--Chorus:Cluster:HttpPort={ports[3]}";
        yield return $"--Chorus:CacheDirectory={folder}";
        foreach (var arg in SiloArguments.Model(0, "doomed", model, contextSize: 256)) yield return arg;
        yield return "--Logging:LogLevel:Default=Warning";
    }

    private static Dictionary<string, string> Checks(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.GetProperty("checks").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetProperty("status").GetString()!);
    }
}
