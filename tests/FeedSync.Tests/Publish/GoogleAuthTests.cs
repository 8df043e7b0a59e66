using System.Security.Cryptography;
using System.Text.Json.Nodes;
using FeedSync.Publish;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using MerchantEmulatorServer = FeedSync.MerchantEmulator.MerchantEmulator;

namespace FeedSync.Tests.Publish;

/// <summary>Service-account auth: tokens come from Google's credential (cached), and the key never shows in errors.</summary>
public sealed class GoogleAuthTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("feedsync-auth-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string KeyFile(string tokenUri, out string privateKeyPem)
    {
        using var rsa = RSA.Create(2048);
        privateKeyPem = rsa.ExportPkcs8PrivateKeyPem();
        var json = new JsonObject
        {
            ["type"] = "service_account",
            ["project_id"] = "feedsync-test",
            ["private_key_id"] = "k1",
            ["private_key"] = privateKeyPem,
            ["client_email"] = "feedsync@feedsync-test.iam.gserviceaccount.com",
            ["client_id"] = "1",
            ["token_uri"] = tokenUri,
        };
        var path = Path.Combine(_dir, "key.json");
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }

    [Fact]
    public async Task BearerToken_FetchedOnceAndReused_AcceptedByAnEmulatorThatRequiresAuth()
    {
        using var tokenServer = WireMockServer.Start();
        tokenServer.Given(Request.Create().WithPath("/token").UsingPost())
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json")
                .WithBody("""{"access_token":"ya29.test-token","expires_in":3600,"token_type":"Bearer"}"""));
        using var emulator = MerchantEmulatorServer.Start();
        emulator.RequireBearerToken = true;
        var credential = GoogleAuthHandler.LoadCredential(KeyFile(tokenServer.Url + "/token", out _));
        using var http = new HttpClient(new GoogleAuthHandler(credential) { InnerHandler = new HttpClientHandler() }) { BaseAddress = new Uri(emulator.Url) };
        using var clients = new MerchantClients(http, MerchantClients.Options(emulator.Url));

        var first = await clients.Client.InsertAsync(Catalog.FeedRows.Input(("offer_id", "a")), CancellationToken.None);
        var second = await clients.Client.InsertAsync(Catalog.FeedRows.Input(("offer_id", "b")), CancellationToken.None);

        Assert.Equal(ResultKind.Success, first.Kind);
        Assert.Equal(ResultKind.Success, second.Kind);
        Assert.Single(tokenServer.LogEntries); // the credential cached the token
        Assert.Contains("assertion=", tokenServer.LogEntries.Single().RequestMessage.Body, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadCredential_BrokenKeyFile_ErrorNamesTheFileButNoKeyMaterial()
    {
        var path = KeyFile("https://oauth2.googleapis.com/token", out var pem);
        var secretLine = pem.Split('\n')[3];
        // A key file whose JSON is cut off in the middle of the private key.
        var text = File.ReadAllText(path);
        File.WriteAllText(path, text[..(text.IndexOf("MII", StringComparison.Ordinal) + 400)]);

        var error = Assert.Throws<InvalidOperationException>(() => GoogleAuthHandler.LoadCredential(path));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("CredentialsFile", error.Message, StringComparison.Ordinal);
        Assert.Null(error.InnerException);
        Assert.DoesNotContain("MII", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(secretLine, error.ToString(), StringComparison.Ordinal);
    }
}

/// <summary>Changes a process-wide environment variable, so it runs alone (other tests read it through the options validator).</summary>
[CollectionDefinition(nameof(EnvironmentVariableTests), DisableParallelization = true)]
[Collection(nameof(EnvironmentVariableTests))]
public sealed class EnvironmentVariableTests
{
    [Fact]
    public void ResolveKeyFile_NoSetting_FallsBackToGoogleApplicationCredentials()
    {
        var previous = Environment.GetEnvironmentVariable("GOOGLE_APPLICATION_CREDENTIALS");
        try
        {
            Environment.SetEnvironmentVariable("GOOGLE_APPLICATION_CREDENTIALS", "/run/secrets/google-key.json");

            Assert.Equal("/run/secrets/google-key.json", GoogleAuthHandler.ResolveKeyFile(new MerchantCenterOptions()));
            Assert.Equal("/etc/feedsync/key.json", GoogleAuthHandler.ResolveKeyFile(new MerchantCenterOptions { CredentialsFile = "/etc/feedsync/key.json" }));
        }
        finally
        {
            Environment.SetEnvironmentVariable("GOOGLE_APPLICATION_CREDENTIALS", previous);
        }
    }
}
