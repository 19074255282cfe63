using Chorus.Client.Cluster;
using Chorus.Silo.Tests.Support;

namespace Chorus.Silo.Tests.OpenAi;

/// <summary>The OpenAI API's port must be its own: a silo told to share it with gRPC refuses to start, saying why.</summary>
public sealed class HttpPortStartTests
{
    [Fact]
    public async Task A_silo_whose_http_port_is_its_grpc_port_refuses_to_start()
    {
        var ports = FreePorts.Take(3);
        using var silo = SiloProcess.Start("same-port", ports[0], ports[2], [.. SecureStartTests.Ports(ports), $"--Chorus:Cluster:HttpPort={ports[2]}"]);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await silo.WaitForExitAsync(timeout.Token);
        Assert.True(silo.HasExited, $"the silo kept running:\n{silo.Log}");
        Assert.Equal(2, silo.ExitCode);
        Assert.Contains($"Chorus:Cluster:HttpPort {ports[2]} is also the gRPC or metrics port", silo.Log, StringComparison.Ordinal);
    }
}
