using System.Net;
using System.Security.Cryptography.X509Certificates;
using Chorus.Grains;
using Chorus.Silo.OpenAi;
using Chorus.Silo.Services;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Chorus.Silo;

/// <summary>Builds a Chorus silo process: Orleans silo, gRPC API, health, reflection and metrics.</summary>
public static class ChorusSiloHost
{
    /// <summary>
    /// Builds the host from args/config; <paramref name="configure"/> can adjust the options and <paramref name="configureHost"/>
    /// the host itself (logging, lifetime) — for in-process hosting and tests.
    /// </summary>
    public static WebApplication Build(string[] args, Action<ChorusOptions>? configure = null, Action<WebApplicationBuilder>? configureHost = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddEnvironmentVariables("CHORUS_");
        ConfigFile.AddIfConfigured(builder, args);
        var options = new ChorusOptions();
        BindOptions(builder.Configuration, options);
        configure?.Invoke(options);
        var apiKeys = ApiKeySet.Load(options.Security);
        ConfigurationCheck.ThrowIfInvalid(options, apiKeys);
        Membership.MembershipStoreCheck.ThrowIfUnusable(options.Cluster);
        var certificate = SiloCertificate.Load(options.Security);

        builder.UseOrleans(silo =>
        {
            ClusteringSetup.Apply(silo, options.Cluster);
            if (options.Security.SiloTls && certificate is not null)
                silo.UseTls(certificate, tls => tls.RemoteCertificateValidation = (remote, _, _) => SiloCertificate.IsSameCertificate(certificate, remote));
            silo.AddChorus(options);
            DashboardSetup.AddTo(silo, options.Cluster);
        });
        builder.Services.AddSingleton(apiKeys);
        builder.Services.AddGrpc(o =>
        {
            o.EnableDetailedErrors = false;
            o.Interceptors.Add<ErrorTranslationInterceptor>();
        });
        builder.Services.AddOpenAiApi();
        builder.Services.AddChorusHealthChecks();
        // registered after the silo: on SIGTERM it drains before Orleans and the gRPC server stop
        builder.Services.AddHostedService<DrainOnShutdown>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = DrainOnShutdown.ShutdownTimeout(options.Sessions));
        builder.Services.AddGrpcReflection();
        TelemetrySetup.Add(builder, options);
        LogFormat.Apply(builder);
        builder.WebHost.ConfigureKestrel(k =>
        {
            var address = options.Cluster.ListenOnAnyAddress ? IPAddress.Any : IPAddress.Loopback;
            if (options.Cluster.GrpcPort > 0)
                k.Listen(address, options.Cluster.GrpcPort, l => Serve(l, HttpProtocols.Http2, certificate));
            if (options.Cluster.HttpPort > 0)
                k.Listen(address, options.Cluster.HttpPort, l => Serve(l, HttpProtocols.Http1, certificate));
            if (options.Cluster.MetricsPort > 0)
                k.Listen(address, options.Cluster.MetricsPort, l => Serve(l, HttpProtocols.Http1, certificate));
        });

        ParentProcessWatch.AddIfConfigured(builder);
        configureHost?.Invoke(builder);

        var app = builder.Build();
        app.UseChorusHealth(options.Cluster.HttpPort, options.Cluster.MetricsPort);
        app.UseApiKeyAuthentication(apiKeys);
        app.MapGrpcService<ChorusGrpcService>();
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        if (options.Cluster.HttpPort > 0) app.MapOpenAiApi(options.Cluster.HttpPort);
        if (options.Cluster.MetricsPort > 0)
        {
            app.MapPrometheusScrapingEndpoint();
            DashboardSetup.MapOn(app, options.Cluster);
        }
        return app;
    }

    // a value the binder cannot convert names its path; the hint says how such values are written
    private static void BindOptions(IConfiguration configuration, ChorusOptions options)
    {
        try
        {
            configuration.GetSection(ChorusOptions.Section).Bind(options);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidOperationException($"{e.Message} Write times like \"00:00:05\" (hh:mm:ss), counts and ports as whole numbers, switches as true or false.", e);
        }
    }

    /// <summary>The gRPC health service name of the liveness probe.</summary>
    public const string LivenessService = HealthEndpoints.Liveness;

    private static void Serve(ListenOptions listen, HttpProtocols protocols, X509Certificate2? certificate)
    {
        listen.Protocols = protocols;
        if (certificate is not null) listen.UseHttps(certificate);
    }
}
