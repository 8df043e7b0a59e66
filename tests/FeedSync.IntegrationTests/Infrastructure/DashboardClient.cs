using System.Net;
using System.Text.RegularExpressions;

namespace FeedSync.IntegrationTests.Infrastructure;

/// <summary>
/// The dashboard over plain HTTP, signed in through the real login form (antiforgery token and all). The cookie
/// container is public so a test can carry a sign-in cookie to another FeedSync instance.
/// </summary>
internal sealed partial class DashboardClient : IDisposable
{
    private readonly HttpClient _http;

    public DashboardClient(CookieContainer? cookies = null)
    {
        Cookies = cookies ?? new CookieContainer();
        _http = new HttpClient(new HttpClientHandler { CookieContainer = Cookies, AllowAutoRedirect = false });
    }

    public CookieContainer Cookies { get; }

    /// <summary>Signs in at <paramref name="baseUrl"/>; true when the server accepted the password (a redirect to the dashboard).</summary>
    public async Task<bool> SignInAsync(string baseUrl, string user, string password)
    {
        var form = await _http.GetStringAsync(baseUrl + "/login");
        var token = TokenField().Match(form);
        Assert.True(token.Success, "the login form carries an antiforgery token");
        using var content = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            [token.Groups["name"].Value] = token.Groups["value"].Value,
            ["username"] = user,
            ["password"] = password,
        });
        using var response = await _http.PostAsync(baseUrl + "/login", content);
        return response.StatusCode == HttpStatusCode.Redirect;
    }

    /// <summary>GETs a page without following redirects: (status, body); a 302 to /login means "not signed in".</summary>
    public async Task<(HttpStatusCode Status, string Body)> GetAsync(string url)
    {
        using var response = await _http.GetAsync(url);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public void Dispose() => _http.Dispose();

    [GeneratedRegex("""<input type="hidden" name="(?<name>[^"]+)" value="(?<value>[^"]+)">""")]
    private static partial Regex TokenField();
}
