using System.Diagnostics;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace Chorus.Bench.Cluster;

/// <summary>Two chorus-silo processes on loopback (development clustering): m0, m2 on the primary, m1, m3 on the second.</summary>
internal sealed class SiloProcesses : IAsyncDisposable
{
    private readonly List<Process> _processes;
    private readonly GrpcChannel _channel;

    private SiloProcesses(List<Process> processes, GrpcChannel channel)
    {
        _processes = processes;
        _channel = channel;
        Client = new Api.Chorus.ChorusClient(channel);
    }

    public Api.Chorus.ChorusClient Client { get; }

    public static async Task<SiloProcesses> StartAsync(IReadOnlyList<string> paths, int threads)
    {
        var silo = Path.Combine(AppContext.BaseDirectory, "chorus-silo.dll");
        if (!File.Exists(silo)) throw new FileNotFoundException($"silo executable not found at {silo}; build bench/Chorus.Bench first");
        var primaryPort = FreePorts.Next();
        var processes = new List<Process>();
        var grpcPorts = new List<int>();
        for (var s = 0; s < 2; s++)
        {
            var grpc = FreePorts.Next();
            grpcPorts.Add(grpc);
            var args = new List<string>
            {
                silo, "--Chorus:Cluster:Provider=development", $"--Chorus:Cluster:SiloPort={(s == 0 ? primaryPort : FreePorts.Next())}",
                $"--Chorus:Cluster:GatewayPort={FreePorts.Next()}", $"--Chorus:Cluster:GrpcPort={grpc}", $"--Chorus:Cluster:PrimarySilo=127.0.0.1:{primaryPort}",
                "--Logging:LogLevel:Default=Warning",
            };
            var index = 0;
            for (var m = s; m < paths.Count; m += 2, index++)
            {
                args.Add($"--Chorus:Models:{index}:Id=m{m}");
                args.Add($"--Chorus:Models:{index}:Path={paths[m]}");
                args.Add($"--Chorus:Models:{index}:Threads={threads}");
                args.Add($"--Chorus:Models:{index}:ThreadPriority={ClusterBench.Priority}");
                args.Add($"--Chorus:Models:{index}:ContextSize=512");
                if (ClusterBench.Gpu is { } gpu) args.Add($"--Chorus:Models:{index}:Gpu={gpu}");
            }
            var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in args) info.ArgumentList.Add(a);
            var p = Process.Start(info)!;
            p.OutputDataReceived += (_, _) => { };
            p.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"[silo{s}] {e.Data}"); };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            processes.Add(p);
            await WaitHealthy(grpc, p);
        }
        // the primary must see the second silo's models before sessions start
        var channel = ClusterBench.Channel(grpcPorts[0]);
        var client = new Api.Chorus.ChorusClient(channel);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while ((await client.ListModelsAsync(new Api.ListModelsRequest())).Models.Count < paths.Count)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the two silos did not see each other's models within 60 s");
            await Task.Delay(250);
        }
        return new SiloProcesses(processes, channel);
    }

    private static async Task WaitHealthy(int port, Process process)
    {
        using var channel = ClusterBench.Channel(port);
        var health = new Health.HealthClient(channel);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"silo process exited with code {process.ExitCode}");
            try
            {
                if ((await health.CheckAsync(new HealthCheckRequest())).Status == HealthCheckResponse.Types.ServingStatus.Serving) return;
            }
            catch (Grpc.Core.RpcException) when (DateTime.UtcNow < deadline) { }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"silo on gRPC port {port} not healthy within 60 s");
            await Task.Delay(250);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        foreach (var p in _processes)
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
            p.Dispose();
        }
    }
}
