using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace FeedSync.IntegrationTests.Infrastructure;

/// <summary>
/// Headless Chromium from Debian's packages (test.sh installs chromium and chromium-driver), driven through
/// chromedriver. Both paths are given explicitly so Selenium never tries to download a browser or a driver.
/// </summary>
internal sealed class Browser : IDisposable
{
    private const string ChromiumPath = "/usr/bin/chromium";
    private const string DriverDirectory = "/usr/bin";

    private Browser(ChromeDriver driver) => Driver = driver;

    public ChromeDriver Driver { get; }

    public static Browser Start()
    {
        if (!File.Exists(ChromiumPath) || !File.Exists(Path.Combine(DriverDirectory, "chromedriver")))
        {
            throw new InvalidOperationException("Browser tests need Debian's chromium and chromium-driver (./test.sh installs them: apt-get install chromium chromium-driver).");
        }

        var options = new ChromeOptions { BinaryLocation = ChromiumPath };
        options.AddArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
            "--disable-component-update", "--no-first-run", "--window-size=1280,1000");
        var service = ChromeDriverService.CreateDefaultService(DriverDirectory, "chromedriver");
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        return new Browser(new ChromeDriver(service, options, TimeSpan.FromSeconds(60)));
    }

    public void SignIn(string baseUrl, string user, string password)
    {
        Driver.Navigate().GoToUrl(baseUrl + "/hangfire/feedsync");
        Driver.FindElement(By.Id("username")).SendKeys(user);
        Driver.FindElement(By.Id("password")).SendKeys(password);
        Driver.FindElement(By.Id("sign-in")).Click();
        WaitFor(d => d.FindElements(By.Id("overview")).Count > 0, "the overview after signing in");
    }

    public void WaitFor(Func<IWebDriver, bool> condition, string what)
    {
        var wait = new WebDriverWait(Driver, TimeSpan.FromSeconds(20)) { Message = "waiting for " + what };
        wait.Until(condition);
    }

    public string Text(string id) => Driver.FindElement(By.Id(id)).Text;

    public bool Has(string id) => Driver.FindElements(By.Id(id)).Count > 0;

    /// <summary>POSTs from inside the signed-in page, as a script on another tab could; returns the HTTP status.</summary>
    public long Post(string url, bool withAntiforgeryToken)
    {
        var script = """
            const done = arguments[arguments.length - 1];
            const headers = {};
            if (arguments[1]) {
              const header = document.querySelector('meta[name="csrf-header"]');
              const token = document.querySelector('meta[name="csrf-token"]');
              if (header && token) headers[header.content] = token.content;
            }
            fetch(arguments[0], { method: 'POST', headers: headers, credentials: 'same-origin' }).then(r => done(r.status), e => done(-1));
            """;
        return Convert.ToInt64(Driver.ExecuteAsyncScript(script, url, withAntiforgeryToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    public void Dispose()
    {
        Driver.Quit();
        Driver.Dispose();
    }
}
