using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Chorus.Api;
using Chorus.Client.Cluster;
using Chorus.Silo.Tests.Support;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace Chorus.Silo.Tests;

/// <summary>
/// One real silo process with two API keys (one configured, one from a key file): every gRPC call but health needs a
/// key, reflection and the metrics endpoint included, over the wire as any client sees it.
/// </summary>
public sealed class AuthenticationTests(KeyedSiloFixture fixture) : IClassFixture<KeyedSiloFixture>
{
    private SiloProcess Silo => fixture.Silo;

    [Fact]
    public async Task Calls_without_a_key_are_Unauthenticated_and_say_how_to_send_one()
    {
        using var anonymous = ChorusApiClient.ForAddress(Silo.Endpoint);

        var list = await Assert.ThrowsAsync<RpcException>(() => anonymous.ListModelsAsync());
        var generate = await Assert.ThrowsAsync<RpcException>(() => ClusterOfTwoSilosTests.GenerateAsync(anonymous, ["a"], "single", maxTokens: 2));
        var reflection = await Assert.ThrowsAsync<RpcException>(() => ListServicesAsync(Silo.Endpoint, apiKey: null));

        foreach (var e in new[] { list, generate, reflection })
        {
            Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
            Assert.Contains("authorization: Bearer <key>", e.Status.Detail, StringComparison.Ordinal);
        }
        await AssertServingAsync();
    }

    [Fact]
    public async Task A_wrong_key_is_Unauthenticated_and_never_logged()
    {
        const string wrong = "not-the-key-7d1f";
        using var client = ChorusApiClient.ForAddress(Silo.Endpoint, wrong);

        var list = await Assert.ThrowsAsync<RpcException>(() => client.ListModelsAsync());
        var generate = await Assert.ThrowsAsync<RpcException>(() => ClusterOfTwoSilosTests.GenerateAsync(client, ["a"], "single", maxTokens: 2));

        Assert.All(new[] { list, generate }, e =>
        {
            Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
            Assert.Equal("the API key is not valid", e.Status.Detail);
        });
        Assert.DoesNotContain(wrong, Silo.Log, StringComparison.Ordinal);
        await AssertServingAsync();
    }

    [Theory]
    [InlineData(KeyedSiloFixture.ConfiguredKey)]
    [InlineData(KeyedSiloFixture.FileKey)]
    public async Task Either_configured_key_lists_models_generates_and_reflects(string key)
    {
        using var client = ChorusApiClient.ForAddress(Silo.Endpoint, key);

        var models = await client.ListModelsAsync();
        var events = await ClusterOfTwoSilosTests.GenerateAsync(client, ["a"], "single", maxTokens: 3);
        var services = await ListServicesAsync(Silo.Endpoint, key);

        var model = Assert.Single(models);
        Assert.Equal("a", model.Id);
        Assert.Equal(Path.GetFileName(TestModels.Spm(31)), model.Path); // a file name: the silo's folders stay private
        Assert.Equal("max_tokens", events[^1].Finished.Reason);
        Assert.Equal(3, events[^1].Finished.Usage.CompletionTokens);
        Assert.Contains("chorus.", services, StringComparison.Ordinal);
        await AssertServingAsync();
    }

    [Fact]
    public async Task Health_stays_open_and_metrics_need_a_key()
    {
        using var anonymous = ChorusApiClient.ForAddress(Silo.Endpoint);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{fixture.MetricsPort}") };

        var health = await anonymous.CheckHealthAsync();
        using var healthz = await http.GetAsync(new Uri("/healthz", UriKind.Relative));
        using var refused = await http.GetAsync(new Uri("/metrics", UriKind.Relative));
        using var wrong = await SendAsync(http, "/metrics", "wrong");
        using var metrics = await SendAsync(http, "/metrics", KeyedSiloFixture.FileKey);

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health);
        Assert.Equal(HttpStatusCode.OK, healthz.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("Bearer", Assert.Single(refused.Headers.WwwAuthenticate).Scheme);
        Assert.Contains("authorization: Bearer <key>", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Contains("# TYPE", await metrics.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await AssertServingAsync();
    }

    [Fact]
    public async Task The_command_line_sends_its_api_key_from_the_flag_or_the_environment()
    {
        var withFlag = await CommandLineTests.RunAsync("models", "--endpoint", Silo.Endpoint, "--api-key", KeyedSiloFixture.ConfiguredKey, "--json");
        var without = await CommandLineTests.RunAsync("models", "--endpoint", Silo.Endpoint, "--json");
        var tokenize = await CommandLineTests.RunAsync("tokenize", "--endpoint", Silo.Endpoint, "--api-key", KeyedSiloFixture.FileKey, "-m", "a", "Hello");
        (int ExitCode, string Output, string Error) fromEnvironment;
        Environment.SetEnvironmentVariable("CHORUS_API_KEY", KeyedSiloFixture.FileKey);
        try
        {
            fromEnvironment = await CommandLineTests.RunAsync("models", "--endpoint", Silo.Endpoint, "--json");
        }
        finally
        {
            Environment.SetEnvironmentVariable("CHORUS_API_KEY", null);
        }

        Assert.True(withFlag.ExitCode == 0, withFlag.Error);
        Assert.Contains("\"a\"", withFlag.Output, StringComparison.Ordinal);
        Assert.True(tokenize.ExitCode == 0, tokenize.Error);
        Assert.True(fromEnvironment.ExitCode == 0, fromEnvironment.Error);
        Assert.Equal(1, without.ExitCode);
        Assert.StartsWith("error: Unauthenticated: an API key is required", without.Error, StringComparison.Ordinal);
        Assert.Contains("--api-key", without.Error, StringComparison.Ordinal);
        await AssertServingAsync();
    }

    private async Task AssertServingAsync()
    {
        using var client = ChorusApiClient.ForAddress(Silo.Endpoint, KeyedSiloFixture.ConfiguredKey);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await client.CheckHealthAsync());
        Assert.Single(await client.ListModelsAsync());
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, string path, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await http.SendAsync(request);
    }

    // gRPC reflection without its generated client: one raw ServerReflectionRequest { list_services = "" }
    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(b => b, b => b);
    private static readonly Method<byte[], byte[]> ReflectionInfo =
        new(MethodType.DuplexStreaming, "grpc.reflection.v1alpha.ServerReflection", "ServerReflectionInfo", Bytes, Bytes);

    private static async Task<string> ListServicesAsync(string endpoint, string? apiKey)
    {
        using var channel = GrpcChannel.ForAddress(endpoint);
        var headers = new Metadata();
        if (apiKey is not null) headers.Add("authorization", $"Bearer {apiKey}");
        using var call = channel.CreateCallInvoker().AsyncDuplexStreamingCall(ReflectionInfo, null,
            new CallOptions(headers, DateTime.UtcNow.AddSeconds(30)));
        await call.RequestStream.WriteAsync([0x3A, 0x00]);
        await call.RequestStream.CompleteAsync();
        var reply = new List<byte>();
        await foreach (var message in call.ResponseStream.ReadAllAsync()) reply.AddRange(message);
        return Encoding.UTF8.GetString(reply.ToArray());
    }
}

/// <summary>A silo serving model "a" with <see cref="ConfiguredKey"/> configured and <see cref="FileKey"/> in a key file.</summary>
public sealed class KeyedSiloFixture : IAsyncLifetime
{
    public const string ConfiguredKey = "configured-key-1";
    public const string FileKey = "file-key-2";
    private readonly string _folder = Directory.CreateTempSubdirectory("chorus-auth-tests-").FullName;

    internal SiloProcess Silo { get; private set; } = null!;
    public int MetricsPort { get; private set; }

    public async Task InitializeAsync()
    {
        var keyFile = Path.Combine(_folder, "api-keys");
        await File.WriteAllTextAsync(keyFile, $"# mounted from a secret\n\n  {FileKey}  \n");
        var ports = FreePorts.Take(4);
        MetricsPort = ports[3];
        Silo = SiloProcess.Start("keyed", ports[0], ports[2],
        [
            .. SecureStartTests.Ports(ports),
            $"--Chorus:Cluster:MetricsPort={MetricsPort}",
            $"--Chorus:Security:ApiKeys:0={ConfiguredKey}",
            $"--Chorus:Security:ApiKeysFile={keyFile}",
            "--Chorus:Models:0:Id=a", $"--Chorus:Models:0:Path={TestModels.Spm(31)}", "--Chorus:Models:0:ContextSize=256",
            "--Logging:LogLevel:Default=Warning", "--Logging:LogLevel:Chorus=Information",
        ]);
        await Silo.WaitUntilServingAsync(TimeSpan.FromSeconds(60));
    }

    public Task DisposeAsync()
    {
        Silo?.Dispose();
        Directory.Delete(_folder, recursive: true);
        return Task.CompletedTask;
    }
}
