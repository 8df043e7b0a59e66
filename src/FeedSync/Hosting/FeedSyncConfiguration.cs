namespace FeedSync.Hosting;

internal static class FeedSyncConfiguration
{
    /// <summary>
    /// Configuration sources, lowest precedence first: <c>config/appsettings.json</c>, the environment's file,
    /// files named on the command line (<c>--config</c>), <c>FeedSync__…</c> environment variables, then overrides.
    /// </summary>
    public static void AddFeedSyncConfiguration(this ConfigurationManager configuration, IHostEnvironment environment, HostSettings settings)
    {
        var configDirectory = Path.Combine(AppContext.BaseDirectory, "config");
        configuration.AddJsonFile(Path.Combine(configDirectory, "appsettings.json"), optional: true, reloadOnChange: false);
        configuration.AddJsonFile(Path.Combine(configDirectory, $"appsettings.{environment.EnvironmentName}.json"), optional: true, reloadOnChange: false);
        foreach (var file in settings.ConfigFiles)
        {
            var path = File.Exists(file) ? Path.GetFullPath(file) : Path.Combine(configDirectory, file);
            configuration.AddJsonFile(path, optional: false, reloadOnChange: false);
        }

        configuration.AddEnvironmentVariables();
        configuration.AddInMemoryCollection(settings.Overrides);
    }
}
