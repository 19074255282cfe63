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
/// The chart where it meets the silo: a silo process started with exactly what helm renders for a pod of the CPU trial
/// (the ConfigMap's chorus.json, the StatefulSet's environment, the image's own ENV), with json logs, serves the
/// example's models and pack. Only what a pod gets from Kubernetes is substituted: the pod IP (127.0.0.1), the mounts
/// (/etc/chorus and /models are temp folders), the in-chart Redis (a real redis-server), and free ports instead of the
/// fixed ones (other tests share this machine; the dashboard answering on the file's metrics port shows the file wins
/// over the image's ENV default). A variable the test cannot give as Kubernetes would fails it.
/// </summary>
[Collection(MembershipStoresCollection.Name)]
public sealed partial class ChartEnvironmentTests(MembershipStoresFixture stores, ITestOutputHelper output)
{
    [Fact]
    public async Task A_silo_started_as_the_chart_starts_a_pod_of_the_cpu_trial_serves_its_models_and_pack()
    {
        var values = ChartValues.With(Path.Combine(ChartFiles.Directory, "examples", "cpu-trial.yaml"));
        values["logging"] = new JsonObject { ["format"] = "json" };
        var rendered = ChartRender.Template(values);
        Assert.True(rendered.Succeeded, rendered.Error);
        var config = (JsonObject)JsonNode.Parse((string)rendered.Single("ConfigMap", "chorus-trial")["data"]!["chorus.json"]!)!;
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
            // the ConfigMap, mounted at /etc/chorus
            var etc = Directory.CreateDirectory(Path.Combine(folder, "etc-chorus")).FullName;
            await File.WriteAllTextAsync(Path.Combine(etc, "chorus.json"), config.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));

            var environment = new Dictionary<string, string>
            {
                ["Chorus__Cluster__ListenOnAnyAddress"] = "true",                       // deploy/docker/Dockerfile's ENV …
                ["Chorus__Cluster__MetricsPort"] = "9464",                              // … which the chart's file overrides
            };
            foreach (var variable in rendered.Silo("chorus-trial")["env"]!.AsArray())
                environment[(string)variable!["name"]!] = AsKubernetesGives(variable, etc);
            foreach (var (key, value) in environment) output.WriteLine($"{key}={value}");
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

                // logging.format json: one JSON object a line, each with a dated UTC timestamp
                var line = JsonLogLine().Match(silo.Log);
                Assert.True(line.Success, $"no JSON log line with a dated UTC timestamp in:\n{silo.Log}");
                output.WriteLine($"a log line: {line.Groups[1].Value}");
                var logged = JsonNode.Parse(line.Groups[1].Value)!;
                Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$", (string)logged["Timestamp"]!);
                Assert.NotNull((string?)logged["Category"]);
                var stamp = DateTimeOffset.Parse((string)logged["Timestamp"]!, System.Globalization.CultureInfo.InvariantCulture);
                Assert.InRange(stamp, DateTimeOffset.UtcNow.AddMinutes(-15), DateTimeOffset.UtcNow.AddMinutes(1));
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

    // a variable's value as the kubelet gives it to this pod
    private string AsKubernetesGives(JsonNode variable, string etcChorus)
    {
        var name = (string)variable["name"]!;
        if (variable["valueFrom"]?["fieldRef"]?["fieldPath"] is { } field)
            return (string?)field == "status.podIP" ? "127.0.0.1" : throw new InvalidOperationException($"{name}: the test does not know the field {field}");
        if (variable["valueFrom"] is not null) throw new InvalidOperationException($"{name}: the test cannot give {variable["valueFrom"]!.ToJsonString()}");
        var value = (string)variable["value"]!;
        return name switch
        {
            "CHORUS_CONFIG_FILE" when value.StartsWith("/etc/chorus/", StringComparison.Ordinal) => Path.Combine(etcChorus, value["/etc/chorus/".Length..]),
            "Chorus__Cluster__ConnectionString" when value == "chorus-redis:6379" => stores.Redis.ConnectionString, // the in-chart Redis Service
            _ => value,
        };
    }

    // SiloProcess prefixes each line with the silo's name
    [GeneratedRegex(@"^\[chart-pod\] (\{""Timestamp"":.*\})$", RegexOptions.Multiline)]
    private static partial Regex JsonLogLine();
}
