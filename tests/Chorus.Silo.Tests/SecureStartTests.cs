using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Chorus.Client.Cluster;
using Chorus.Silo.Tests.Support;
using Grpc.Core;

namespace Chorus.Silo.Tests;

/// <summary>What a silo refuses at start-up (an open silo on every address, an unreadable key file) and TLS.</summary>
public sealed class SecureStartTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Silo, gateway and gRPC ports of <paramref name="ports"/>, and a cluster of its own.</summary>
    internal static string[] Ports(int[] ports) =>
    [
        $"--Chorus:Cluster:SiloPort={ports[0]}", $"--Chorus:Cluster:GatewayPort={ports[1]}", $"--Chorus:Cluster:GrpcPort={ports[2]}",
        $"--Chorus:Cluster:ClusterId=secure-{Guid.NewGuid():N}",
    ];

    [Fact]
    public async Task A_silo_on_every_address_without_keys_refuses_to_start_unless_anonymous_access_is_allowed()
    {
        var ports = FreePorts.Take(3);
        string[] open = [.. Ports(ports), "--Chorus:Cluster:ListenOnAnyAddress=true"];

        using (var refused = SiloProcess.Start("open", ports[0], ports[2], open))
        {
            await ExitAsync(refused);
            Assert.Equal(2, refused.ExitCode);
            Assert.Contains("Chorus:Security:ApiKeys", refused.Log, StringComparison.Ordinal);
            Assert.Contains("Chorus:Security:ApiKeysFile", refused.Log, StringComparison.Ordinal);
            Assert.Contains("Chorus:Security:AllowAnonymous=true", refused.Log, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", refused.Log, StringComparison.Ordinal);
        }

        using var anonymous = SiloProcess.Start("anonymous", ports[0], ports[2], [.. open, "--Chorus:Security:AllowAnonymous=true"]);
        await anonymous.WaitUntilServingAsync(StartTimeout);
        using var client = ChorusApiClient.ForAddress(anonymous.Endpoint);
        Assert.Empty(await client.ListModelsAsync());
    }

    [Fact]
    public async Task A_missing_key_file_or_certificate_fails_start_up_naming_the_file()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"chorus-no-such-{Guid.NewGuid():N}");
        var ports = FreePorts.Take(3);

        using var noKeys = SiloProcess.Start("no-keys", ports[0], ports[2], [.. Ports(ports), $"--Chorus:Security:ApiKeysFile={missing}.keys"]);
        using var noCertificate = SiloProcess.Start("no-cert", ports[0], ports[2], [.. Ports(ports), $"--Chorus:Security:CertificatePath={missing}.pem"]);
        await Task.WhenAll(ExitAsync(noKeys), ExitAsync(noCertificate));

        Assert.Equal(2, noKeys.ExitCode);
        Assert.Contains($"Chorus:Security:ApiKeysFile '{missing}.keys' cannot be read", noKeys.Log, StringComparison.Ordinal);
        Assert.Equal(2, noCertificate.ExitCode);
        Assert.Contains($"Chorus:Security:CertificatePath '{missing}.pem'", noCertificate.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_a_certificate_the_api_metrics_and_silo_to_silo_traffic_are_served_over_tls()
    {
        var folder = Directory.CreateTempSubdirectory("chorus-tls-tests-").FullName;
        try
        {
            using var certificate = SelfSigned(folder, out var certificatePath, out var keyPath);
            var ports = FreePorts.Take(7);
            var clusterId = $"tls-{Guid.NewGuid():N}";
            string[] Silo(int first, string model, ulong seed) =>
            [
                "--Chorus:Cluster:Provider=development", $"--Chorus:Cluster:ClusterId={clusterId}",
                $"--Chorus:Cluster:SiloPort={ports[first]}", $"--Chorus:Cluster:GatewayPort={ports[first + 1]}", $"--Chorus:Cluster:GrpcPort={ports[first + 2]}",
                $"--Chorus:Cluster:PrimarySilo=127.0.0.1:{ports[0]}", "--Chorus:KnownModels:0=a", "--Chorus:KnownModels:1=b",
                $"--Chorus:Security:CertificatePath={certificatePath}", $"--Chorus:Security:CertificateKeyPath={keyPath}",
                "--Chorus:Security:SiloTls=true",
                $"--Chorus:Models:0:Id={model}", $"--Chorus:Models:0:Path={TestModels.Spm(seed)}", "--Chorus:Models:0:ContextSize=256",
                "--Chorus:Models:0:Threads=1",
            ];
            var endpoint = $"https://127.0.0.1:{ports[2]}";
            using var client = ChorusApiClient.ForAddress(endpoint, httpHandler: Trusting(certificate));
            using var primary = SiloProcess.Start("tls1", ports[0], ports[2], [.. Silo(0, "a", 31), $"--Chorus:Cluster:MetricsPort={ports[3]}"]);
            await primary.WaitUntilServingAsync(StartTimeout, client);
            using var secondary = SiloProcess.Start("tls2", ports[4], ports[6], Silo(4, "b", 33));
            using var secondClient = ChorusApiClient.ForAddress($"https://127.0.0.1:{ports[6]}", httpHandler: Trusting(certificate));
            await secondary.WaitUntilServingAsync(StartTimeout, secondClient);

            // a fused generation through silo 1 steps model "b" on silo 2: silo-to-silo traffic, over TLS
            var fused = await ClusterOfTwoSilosTests.GenerateAsync(client, ["a", "b"], "uniform", maxTokens: 3);
            using var untrusted = ChorusApiClient.ForAddress(endpoint);
            var refused = await Assert.ThrowsAsync<RpcException>(() => untrusted.ListModelsAsync());
            using var http = new HttpClient(Trusting(certificate));
            using var healthz = await http.GetAsync(new Uri($"https://127.0.0.1:{ports[3]}/healthz"));

            Assert.True(fused[^1].Finished.Usage.CompletionTokens == 3, primary.Log + "\n" + secondary.Log);
            Assert.Contains("SSL connection could not be established", refused.Status.Detail, StringComparison.Ordinal); // not trusted
            Assert.Equal(HttpStatusCode.OK, healthz.StatusCode);
            Assert.True(await client.IsServingAsync(), primary.Log);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task ExitAsync(SiloProcess silo)
    {
        using var timeout = new CancellationTokenSource(StartTimeout);
        await silo.WaitForExitAsync(timeout.Token);
        Assert.True(silo.HasExited, $"silo {silo.Name} did not refuse to start:\n{silo.Log}");
    }

    // A self-signed certificate for 127.0.0.1, written as PEM certificate and PEM key files.
    internal static X509Certificate2 SelfSigned(string folder, out string certificatePath, out string keyPath)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=chorus-test", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, 0, critical: true));
        // server and client auth: for silo-to-silo TLS every silo shows the same certificate on both ends
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], critical: false));
        var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        certificatePath = Path.Combine(folder, "chorus.crt");
        keyPath = Path.Combine(folder, "chorus.key");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return certificate;
    }

    // trusts exactly this certificate as a root, with the usual chain and host-name checks
    private static SocketsHttpHandler Trusting(X509Certificate2 certificate)
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.CertificateChainPolicy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
        };
        handler.SslOptions.CertificateChainPolicy.CustomTrustStore.Add(certificate);
        return handler;
    }
}
