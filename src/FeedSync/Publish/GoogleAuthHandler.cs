using System.Net.Http.Headers;
using Google.Apis.Auth.OAuth2;

namespace FeedSync.Publish;

/// <summary>
/// Adds a service-account bearer token to every Merchant API request. Google's credential caches the token
/// and refreshes it before expiry; the key itself never leaves this object and is never logged.
/// </summary>
internal sealed class GoogleAuthHandler(ITokenAccess credential) : DelegatingHandler
{
    public const string Scope = "https://www.googleapis.com/auth/content";

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var token = await credential.GetAccessTokenForRequestAsync(cancellationToken: cancellationToken);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await base.SendAsync(request, cancellationToken);
    }

    /// <summary>The configured key file, else GOOGLE_APPLICATION_CREDENTIALS, else none (the emulator needs no auth).</summary>
    public static string? ResolveKeyFile(MerchantCenterOptions options) =>
        !string.IsNullOrWhiteSpace(options.CredentialsFile) ? options.CredentialsFile
        : Environment.GetEnvironmentVariable("GOOGLE_APPLICATION_CREDENTIALS") is { Length: > 0 } env ? env
        : null;

    public static ITokenAccess LoadCredential(string keyFile)
    {
        ServiceAccountCredential serviceAccount;
        try
        {
            // CredentialFactory only accepts a service-account key: the untyped loaders also accept external
            // account configurations that can point token requests at arbitrary URLs.
            serviceAccount = CredentialFactory.FromFile<ServiceAccountCredential>(keyFile);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The parser's message may quote the file's content, i.e. the private key: name the file and the
            // kind of failure only, and do not chain the original exception into logs.
            throw new InvalidOperationException(
                $"FeedSync:MerchantCenter:CredentialsFile (or GOOGLE_APPLICATION_CREDENTIALS) '{keyFile}' is not a usable service-account JSON key " +
                $"({ex.GetType().Name}). Download a new JSON key for the service account in the Google Cloud console and point the setting at it.");
        }

        return serviceAccount.ToGoogleCredential().CreateScoped(Scope);
    }
}
