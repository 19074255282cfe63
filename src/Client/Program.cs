return await Chorus.Client.ChorusCommandLine.RunAsync(args);
