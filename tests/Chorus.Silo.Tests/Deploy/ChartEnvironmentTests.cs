using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Chorus.Api;
using Chorus.Client.Cluster;
using Chorus.Silo.Tests.Support;
using Grpc.Core;
using Grpc.Health.V1;
using Xunit.Abstractions;

namespace Chorus.Silo.Tests.Deploy;

/// <summary>
/// No helm binary runs here, so the chart is tested where it meets the silo: a silo process started with exactly the
/// configuration file and environment the chart gives a pod of the CPU trial (the same chorus.json the ConfigMap holds,
/// the same variables the StatefulSet sets, the image's own ENV) serves the example's models and pack. Only what a
/// pod gets from Kubernetes is substituted: the pod IP (127.0.0.1), the /models volume (a temp folder), the in-chart
/// Redis (a real redis-server), and free ports instead of the fixed ones (other tests share this machine; the
/// dashboard answering on the file's metrics port shows the file wins over the image's ENV default).
/// </summary>
[Collection(MembershipStoresCollection.Name)]
public sealed partial class ChartEnvironmentTests(MembershipStoresFixture stores, ITestOutputHelper output)
{
    // every variable templates/statefulset.yaml may set; the test below gives each one the value a pod would get
    private static readonly string[] Reproduced =
    [
        "CHORUS_CONFIG_FILE", "Chorus__Cluster__AdvertisedAddress", "Chorus__Cluster__ConnectionString",
        "Chorus__Security__ApiKeysFile", "Chorus__Security__AllowAnonymous",
    ];

    [Fact]
    public void The_chart_sets_only_the_variables_these_tests_reproduce()
    {
        var template = File.ReadAllText(ChartFiles.Template("statefulset.yaml"));
        var set = EnvName().Matches(template).Select(m => m.Groups[1].Value).Distinct().Order(StringComparer.Ordinal).ToArray();
        output.WriteLine($"the StatefulSet sets: {string.Join(", ", set)}");
        Assert.Equal(Reproduced.Order(StringComparer.Ordinal), set);
    }

    [Fact]
    public async Task A_silo_started_as_the_chart_starts_a_pod_of_the_cpu_trial_serves_its_models_and_pack()
    {
        var values = ChartValues.With(Path.Combine(ChartFiles.Directory, "examples", "cpu-trial.yaml"));
        var config = ChartValues.SiloConfig(values, group: 0);
        var folder = Directory.CreateTempSubdirectory("chorus-chart-pod-").FullName;
        try
        {
            // the model volume, mounted at /models in a pod
            var models = Directory.CreateDirectory(Path.Combine(folder, "models")).FullName;
            var seed = 41UL;
            foreach (var model in config["Chorus"]!["Models"]!.AsArray())
            {
                var path = (string)model!["path"]!;
                Assert.StartsWith("/models/", path, StringComparison.Ordinal);
                var local = Path.Combine(models, path["/models/".Length..]);
                File.Copy(TestModels.Spm(seed++), local);
                model["path"] = local;
            }
            var ports = FreePorts.Take(5);
            var cluster = config["Chorus"]!["Cluster"]!;
            (cluster["SiloPort"], cluster["GatewayPort"], cluster["GrpcPort"], cluster["MetricsPort"]) = (ports[0], ports[1], ports[2], ports[3]);
            if (cluster["HttpPort"]!.ToJsonString() != "0") cluster["HttpPort"] = ports[4]; // the OpenAI-compatible API, when the chart turns it on
            var file = Path.Combine(folder, "chorus.json");
            await File.WriteAllTextAsync(file, config.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
            output.WriteLine(await File.ReadAllTextAsync(file));

            var environment = new Dictionary<string, string>
            {
                ["CHORUS_CONFIG_FILE"] = file,
                ["Chorus__Cluster__AdvertisedAddress"] = "127.0.0.1",
                ["Chorus__Cluster__ConnectionString"] = stores.Redis.ConnectionString, // the in-chart Redis
                ["Chorus__Security__AllowAnonymous"] = "true",                          // cpu-trial: security.allowAnonymous
                ["Chorus__Cluster__ListenOnAnyAddress"] = "true",                       // deploy/docker/Dockerfile's ENV …
                ["Chorus__Cluster__MetricsPort"] = "9464",                              // … which the chart's file overrides
            };
            using var silo = SiloProcess.Start("chart-pod", ports[0], ports[2], [], environment: environment);
            try
            {
                await silo.WaitUntilServingAsync(StoreCluster.StartTimeout);
                using var client = ChorusApiClient.ForAddress(silo.Endpoint);
                Assert.Equal(["code", "wiki"], (await client.ListModelsAsync()).Select(m => m.Id).Order(StringComparer.Ordinal));

                // the probes the chart declares: readiness on "", liveness on "liveness"
                var health = new Health.HealthClient(Grpc.Net.Client.GrpcChannel.ForAddress(silo.Endpoint));
                Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest { Service = "" })).Status);
                Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest { Service = "liveness" })).Status);

                // the trial turns the Orleans dashboard on: served on the metrics port
                using (var http = new HttpClient())
                {
                    var dashboard = await http.GetAsync(new Uri($"http://127.0.0.1:{ports[3]}/dashboard/"));
                    Assert.True(dashboard.IsSuccessStatusCode, $"GET /dashboard/ → {(int)dashboard.StatusCode}");
                    // ports.http (values.yaml: 8080, here a free port): the OpenAI-compatible API lists the models and the pack
                    var listed = await http.GetStringAsync(new Uri($"http://127.0.0.1:{ports[4]}/v1/models"));
                    Assert.Contains("\"domains\"", listed, StringComparison.Ordinal);
                    Assert.Contains("\"wiki\"", listed, StringComparison.Ordinal);
                }

                // `chorus models` shows the silo with its replicas, sessions and KV slots
                using (var stdout = new StringWriter())
                {
                    Assert.Equal(0, await Chorus.Client.ChorusCommandLine.RunAsync(["models", "--endpoint", silo.Endpoint], stdout, TextWriter.Null));
                    output.WriteLine(stdout.ToString());
                    Assert.Matches(@"silo \S+: 2 replica\(s\), 0 session\(s\), 0/8 KV slots, 0 queued", stdout.ToString());
                }

                // the example's pack, by name
                var request = new GenerateRequest { Members = new Members { Pack = "domains" }, Prompt = "The", Limits = new Limits { MaxTokens = 4 } };
                GenerateEvent? last = null;
                await foreach (var e in client.GenerateAsync(request)) last = e;
                Assert.Equal(4, last!.Finished.Usage.CompletionTokens);
            }
            finally
            {
                output.WriteLine(silo.Log);
            }
        }
        finally
        {
            TempFolders.Delete(folder);
        }
    }

    [GeneratedRegex(@"-\s+name:\s+((?:CHORUS_|Chorus__|ASPNETCORE_|DOTNET_)[A-Za-z0-9_]+)")]
    private static partial Regex EnvName();
}
