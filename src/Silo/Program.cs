using Chorus.Silo;

// A Chorus silo: Orleans + the gRPC API in one process. Configuration: appsettings.json, CHORUS__* environment
// variables, or --Chorus:Models:0:Id=... on the command line (see README).
var app = ChorusSiloHost.Build(args);
await app.RunAsync();
