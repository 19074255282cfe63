using Chorus.Client.Cluster;
using Chorus.Silo.Tests.Support;

namespace Chorus.Silo.Tests.OpenAi;

/// <summary>
/// One real silo process with its OpenAI-compatible HTTP API on, an API key, and four small synthetic models: "chatml"
/// (llama-spm vocabulary, ChatML template), "llama2" (gpt-2 vocabulary, Llama 2 template), "plain" (no template) and
/// "phi3" (phi-3's vocabulary and its own template, whose markers are special tokens);
/// the pack "duet" fuses the two chat models (packllm-sim, which allows their different vocabularies). Each model has
/// <see cref="Slots"/> slots and a queue of <see cref="QueueDepth"/>.
/// </summary>
public sealed class OpenAiSiloFixture : IAsyncLifetime
{
    public const string ApiKey = "openai-test-key";
    public const string Pack = "duet";
    public const string PackMethod = "packllm-sim";
    public static readonly string[] PackMembers = ["chatml", "llama2"];

    /// <summary>A pack whose second member ("phi3", phi-3's vocabulary and template) has special tokens for its template's markers.</summary>
    public const string SpecialPack = "special";
    public static readonly string[] SpecialPackMembers = ["chatml", "phi3"];
    public static string Phi3Path => TestModels.ChatOfVocabulary("phi-3", 64);

    /// <summary>KV slots of each model.</summary>
    public const int Slots = 4;

    /// <summary>Requests that may wait for a model's slots; one more is refused (429).</summary>
    public const int QueueDepth = 1;

    /// <summary>A model the cluster knows of (Chorus:KnownModels) that no silo serves (503).</summary>
    public const string UnservedModel = "elsewhere";

    private readonly string _cacheDirectory = Directory.CreateTempSubdirectory("chorus-openai-tests-").FullName;

    internal SiloProcess Silo { get; private set; } = null!;

    /// <summary>The silo's HTTP API root, e.g. http://127.0.0.1:5081 (the OpenAI base URL is this plus /v1).</summary>
    public string HttpEndpoint { get; private set; } = "";

    /// <summary>A gRPC client of the same silo (with the key); also the <see cref="Microsoft.Extensions.AI.IChatClient"/> under test.</summary>
    public ChorusApiClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        OpenAiClientPackage.NodeModules(); // install the npm client before the silo starts, not inside a test's time
        var ports = FreePorts.Take(4);
        HttpEndpoint = $"http://127.0.0.1:{ports[3]}";
        Silo = SiloProcess.Start("openai", ports[0], ports[2], Arguments(ports));
        await Silo.WaitUntilServingAsync(TimeSpan.FromSeconds(90));
        Client = ChorusApiClient.ForAddress(Silo.Endpoint, ApiKey);
    }

    private IEnumerable<string> Arguments(int[] ports)
    {
        yield return "--Chorus:Cluster:Provider=localhost";
        yield return $"--Chorus:Cluster:ClusterId=openai-tests-{Guid.NewGuid():N}";
        foreach (var arg in SiloArguments.Ports(ports[0], ports[1], ports[2])) yield return arg;
        yield return $"--Chorus:Cluster:HttpPort={ports[3]}";
        yield return $"--Chorus:CacheDirectory={_cacheDirectory}";
        yield return $"--Chorus:Security:ApiKeys:0={ApiKey}";
        yield return $"--Chorus:Sessions:QueueDepth={QueueDepth}";
        yield return $"--Chorus:KnownModels:0={UnservedModel}";
        var models = new[]
        {
            ("chatml", TestModels.Chat("llama-spm", "chatml", 61)),
            ("llama2", TestModels.Chat("gpt-2", "llama2", 62)),
            ("plain", TestModels.Spm(63)),
            ("phi3", Phi3Path),
        };
        for (var i = 0; i < models.Length; i++)
            foreach (var arg in SiloArguments.Model(i, models[i].Item1, models[i].Item2, contextSize: 2048, slots: Slots)) yield return arg;
        yield return $"--Chorus:Packs:0:Name={Pack}";
        yield return $"--Chorus:Packs:0:Method={PackMethod}";
        for (var i = 0; i < PackMembers.Length; i++) yield return $"--Chorus:Packs:0:Members:{i}:Model={PackMembers[i]}";
        yield return $"--Chorus:Packs:1:Name={SpecialPack}";
        yield return $"--Chorus:Packs:1:Method={PackMethod}";
        for (var i = 0; i < SpecialPackMembers.Length; i++) yield return $"--Chorus:Packs:1:Members:{i}:Model={SpecialPackMembers[i]}";
        yield return "--Logging:LogLevel:Default=Warning";
        yield return "--Logging:LogLevel:Chorus=Warning";
    }

    public Task DisposeAsync()
    {
        Client?.Dispose();
        Silo?.Dispose();
        TempFolders.Delete(_cacheDirectory);
        return Task.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class OpenAiSiloCollection : ICollectionFixture<OpenAiSiloFixture>
{
    public const string Name = "the OpenAI-compatible HTTP API of one silo process";
}
