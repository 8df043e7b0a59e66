namespace FeedSync.Hosting;

/// <summary>
/// Registers recurring Hangfire jobs beside start-up, never in its way: after a crash Hangfire's lock on a
/// recurring job can outlive the killed process for a while, so a failed attempt is logged and retried instead of
/// stopping FeedSync from starting. Every instance registers; the result is the same.
/// </summary>
internal abstract partial class RecurringJobRegistration(ILogger logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(30);

    /// <summary>Adds, updates or removes the jobs (Hangfire's calls are synchronous).</summary>
    protected abstract void Register();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Leave the start-up path first.
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                Register();
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogRegistrationFailed(logger, ex, GetType().Name, RetryDelay);
            }

            await Task.Delay(RetryDelay, stoppingToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Registering recurring jobs ({Registration}) failed; retrying in {Delay}")]
    private static partial void LogRegistrationFailed(ILogger logger, Exception exception, string registration, TimeSpan delay);
}
