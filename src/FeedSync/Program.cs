using FeedSync.Cli;
using FeedSync.Dashboard;
using FeedSync.Demo;
using FeedSync.Freshness;
using FeedSync.Hosting;
using Serilog;
using Serilog.Formatting.Compact;

// FeedSync: one executable for the worker, the dashboard and the CLI. The verbs live in Cli/.
return await CliApp.RunAsync(args);

namespace FeedSync
{
    internal static class FeedSyncApp
    {
        /// <summary>The whole service, feature by feature; every verb and every integration test builds it here.</summary>
        internal static WebApplication BuildHost(HostSettings settings)
        {
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions
            {
                Args = settings.Args,
                ContentRootPath = AppContext.BaseDirectory,
            });
            builder.Configuration.AddFeedSyncConfiguration(builder.Environment, settings);

            // Serilog, configured once: levels from configuration, readable console in Development, compact JSON elsewhere.
            builder.Services.AddSerilog((_, logging) =>
            {
                logging.ReadFrom.Configuration(builder.Configuration).Enrich.FromLogContext();
                if (builder.Environment.IsDevelopment())
                {
                    logging.WriteTo.Console(outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext:l}: {Message:lj}{NewLine}{Exception}");
                }
                else
                {
                    logging.WriteTo.Console(new RenderedCompactJsonFormatter());
                }
            });

            builder.Services
                .AddStartupChecks()
                .AddFeedSyncCore(builder.Configuration)
                .AddPushJobs(builder.Configuration, runServer: settings.RunWorker)
                .AddOperations(builder.Configuration, runWorker: settings.RunWorker)
                .AddFreshness(builder.Configuration, runWorker: settings.RunWorker);
            if (settings.Time is { } clock)
            {
                builder.Services.AddSingleton(clock);
            }

            if (settings.RunWorker)
            {
                builder.Services
                    .AddCapture(builder.Configuration)
                    .AddFeedSyncDashboard(builder.Configuration, builder.WebHost);
            }

            if (settings.DemoChangesPerSecond > 0)
            {
                builder.Services.AddDemoChangeStream(settings.DemoChangesPerSecond);
            }

            var app = builder.Build();
            if (settings.RunWorker)
            {
                app.MapFeedSyncDashboard();
            }

            return app;
        }
    }
}
