using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Console;

namespace Chorus.Silo;

/// <summary>
/// The console log format comes from the standard keys (<c>Logging:Console:FormatterName</c> simple or json,
/// <c>Logging:Console:FormatterOptions:*</c>; appsettings.json: dated UTC timestamps, scopes on). One shared
/// <c>TimestampFormat</c> serves both formatters: the simple one needs a trailing space before the level, which a JSON
/// timestamp must not have, so the JSON formatter gets it trimmed.
/// </summary>
internal static class LogFormat
{
    public static void Apply(WebApplicationBuilder builder) =>
        builder.Services.PostConfigure<JsonConsoleFormatterOptions>(o => o.TimestampFormat = o.TimestampFormat?.TrimEnd());
}
