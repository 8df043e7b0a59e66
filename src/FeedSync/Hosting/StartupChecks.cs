using FeedSync.Catalog;
using FeedSync.Publish;
using Microsoft.Extensions.Options;

namespace FeedSync.Hosting;

/// <summary>
/// Runs before the worker starts: migrates FeedSync's schema and checks the catalog against the configuration.
/// A problem stops start-up with a message that names the setting and the fix.
/// </summary>
internal sealed partial class StartupChecks(
    StateMigrator migrator,
    CatalogSchemaCheck catalogCheck,
    IOptions<MerchantCenterOptions> merchantOptions,
    ILogger<StartupChecks> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await migrator.MigrateAsync(cancellationToken);
        var problems = await catalogCheck.FindProblemsAsync(cancellationToken);
        if (problems.Count > 0)
        {
            throw new StartupException(problems);
        }

        WarnIfKeyFileIsReadableByOthers();
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void WarnIfKeyFileIsReadableByOthers()
    {
        if (OperatingSystem.IsWindows() || GoogleAuthHandler.ResolveKeyFile(merchantOptions.Value) is not { } keyFile || !File.Exists(keyFile))
        {
            return;
        }

        if ((File.GetUnixFileMode(keyFile) & (UnixFileMode.OtherRead | UnixFileMode.GroupRead)) != 0)
        {
            LogKeyFileReadable(keyFile);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The service-account key file {KeyFile} is readable by other users; restrict it with chmod 600")]
    private partial void LogKeyFileReadable(string keyFile);
}

/// <summary>Configuration or catalog problems found at start-up; each line names a key and a fix.</summary>
internal sealed class StartupException(IReadOnlyList<string> problems)
    : Exception("FeedSync cannot start:" + Environment.NewLine + string.Join(Environment.NewLine, problems.Select(p => "  - " + p)))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
