using Chorus.Silo;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

// A Chorus silo: Orleans + the gRPC API in one process. Configuration: appsettings.json, CHORUS__* environment
// variables, or --Chorus:Models:0:Id=... on the command line (see docs/cli.md and docs/cluster.md; --help lists them).
if (SiloHelp.Asked(args))
{
    await Console.Out.WriteAsync(SiloHelp.Text());
    return 0;
}
WebApplication app;
try
{
    app = ChorusSiloHost.Build(args, configureHost: BoundedStop.AddTo);
}
catch (InvalidOperationException e)
{
    // a configuration problem: the message says what to change, a stack trace would only bury it
    await Console.Error.WriteLineAsync($"chorus-silo: {e.Message}");
    return SiloExitCodes.ConfigurationError;
}
// read before the run: the host disposes its services when it stops
var stop = app.Services.GetRequiredService<BoundedStop>();
await app.RunAsync();
return stop.ExitCode;
