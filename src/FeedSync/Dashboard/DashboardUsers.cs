using Microsoft.Extensions.Options;

namespace FeedSync.Dashboard;

/// <summary>One dashboard user from <c>FeedSync:Dashboard:Users</c>: a name, a PBKDF2 hash and a role.</summary>
internal sealed class DashboardUser
{
    public string Name { get; set; } = "";

    /// <summary>From <c>feedsync hash-password</c>; never the password itself.</summary>
    public string PasswordHash { get; set; } = "";

    /// <summary><c>viewer</c> (read-only dashboard) or <c>operator</c> (may resync).</summary>
    public string Role { get; set; } = DashboardRoles.Viewer;
}

internal static class DashboardRoles
{
    public const string Viewer = "viewer";
    public const string Operator = "operator";

    public static bool IsKnown(string? role) => role is Viewer or Operator;
}

/// <summary>
/// Checks the dashboard's users and refuses an anonymous dashboard outside Development: with no users and no
/// external sign-in, the dashboard would be open to anyone who can reach the port.
/// </summary>
internal sealed class DashboardOptionsValidator(IHostEnvironment environment) : IValidateOptions<FeedSyncDashboardOptions>
{
    public ValidateOptionsResult Validate(string? name, FeedSyncDashboardOptions options)
    {
        var failures = new List<string>();
        if (!options.Path.StartsWith('/') || options.Path.Length < 2)
        {
            failures.Add($"{FeedSyncDashboardOptions.Section}:Path '{options.Path}' must start with '/' and name a path, e.g. /hangfire.");
        }

        if (!environment.IsDevelopment() && options.Users.Count == 0 && !options.ExternalAuthentication)
        {
            failures.Add($"{FeedSyncDashboardOptions.Section}:Users is empty, so the dashboard would be anonymous in the {environment.EnvironmentName} environment. "
                + "Add at least one user (Name, PasswordHash from `feedsync hash-password`, Role viewer|operator), "
                + $"or set {FeedSyncDashboardOptions.Section}:ExternalAuthentication to true after adding your identity provider (see README).");
        }

        for (var i = 0; i < options.Users.Count; i++)
        {
            var user = options.Users[i];
            var key = $"{FeedSyncDashboardOptions.Section}:Users:{i}";
            if (string.IsNullOrWhiteSpace(user.Name))
            {
                failures.Add($"{key}:Name is empty; give each dashboard user a name.");
            }

            if (!PasswordHashing.IsWellFormed(user.PasswordHash))
            {
                failures.Add($"{key}:PasswordHash is not a FeedSync password hash; create one with `feedsync hash-password` (never configure the password itself).");
            }

            if (!DashboardRoles.IsKnown(user.Role))
            {
                failures.Add($"{key}:Role '{user.Role}' is unknown; use '{DashboardRoles.Viewer}' (read-only) or '{DashboardRoles.Operator}' (may resync).");
            }
        }

        if (options.Users.GroupBy(u => u.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1) is { } duplicate)
        {
            failures.Add($"{FeedSyncDashboardOptions.Section}:Users names '{duplicate.Key}' more than once.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
