using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using WireMock;
using WireMock.Logging;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;
using WireMock.Types;
using WireMock.Util;

namespace FeedSync.MerchantEmulator;

/// <summary>
/// An in-process stand-in for the Merchant API Products sub-API v1 (WireMock.Net underneath).
/// Every API request is first checked against Google's discovery document; a contract break is
/// answered with 400 and remembered in <see cref="ContractViolations"/>, so tests catch requests
/// that real Google would reject. Paths under <c>emulator/</c> are admin calls and are not counted.
/// </summary>
public sealed class MerchantEmulator : IDisposable
{
    private const string AdminPrefix = "/emulator/";

    // Google writes quotes as \" rather than \u0022; relaxed escaping keeps messages readable.
    private static readonly JsonSerializerOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly WireMockServer _server;
    private readonly DiscoveryContract _contract = DiscoveryContract.Products;
    private readonly ProductStore _store = new();
    private readonly RequestJournal _journal = new();
    private readonly ProductsApi _api;
    private readonly TimeProvider _time;

    private MerchantEmulator(int port, TimeProvider time)
    {
        _time = time;
        _api = new ProductsApi(_store, time);
        _server = WireMockServer.Start(new WireMockServerSettings
        {
            Urls = [$"http://127.0.0.1:{port}"],
            StartAdminInterface = false,
            // Google accepts a body on every method; we parse JSON ourselves, once.
            AllowBodyForAllHttpMethods = true,
            DisableJsonBodyParsing = true,
            // The journal records requests; WireMock's own log would only grow without bound.
            MaxRequestLogCount = 0,
            Logger = new WireMockNullLogger(),
        });
        _server.Given(Request.Create().UsingAnyMethod().WithPath(_ => true))
            .RespondWith(Response.Create().WithCallback(Handle));
        Url = $"http://127.0.0.1:{port}/";
    }

    /// <summary>Base URL with a trailing slash, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public string Url { get; }

    /// <summary>Snapshot of stored product inputs, keyed by <c>accounts/{a}/productInputs/{lang}~{label}~{offerId}</c>.</summary>
    public IReadOnlyDictionary<string, JsonObject> Products =>
        _store.All().ToDictionary(p => p.Key, ProductJson.ProductInput, StringComparer.Ordinal);

    /// <summary>Snapshot of every API request received (admin calls excluded).</summary>
    public IReadOnlyList<RecordedRequest> Requests => _journal.Requests();

    /// <summary>Number of API requests received (admin calls excluded).</summary>
    public int CallCount => _journal.Calls;

    /// <summary>Every discovery-contract error the emulator answered with 400 (or 404 for an unknown URL).</summary>
    public IReadOnlyList<string> ContractViolations => _journal.Violations();

    /// <summary>Binds 127.0.0.1:<paramref name="port"/>; 0 picks a free port.</summary>
    public static MerchantEmulator Start(int port = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        if (port != 0)
        {
            return new MerchantEmulator(port, TimeProvider.System);
        }

        // Another process may grab the free port between probing and binding; try a few times.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return new MerchantEmulator(FreePort(), TimeProvider.System);
            }
            catch (Exception) when (attempt < 5)
            {
            }
        }
    }

    /// <summary>Forgets all products, recorded requests, counts and violations.</summary>
    public void Reset()
    {
        _store.Clear();
        _journal.Clear();
    }

    public void Dispose()
    {
        _server.Stop();
        _server.Dispose();
    }

    private ResponseMessage Handle(IRequestMessage request)
    {
        // request.Path is fully decoded (a %2F would split a product id); Url keeps %2F, and
        // Uri re-escapes the rest, giving a path whose segments are safe to match and decode.
        var path = Uri.TryCreate(request.Url, UriKind.Absolute, out var url) ? url.AbsolutePath : request.Path;
        var query = (request.RawQuery ?? "").TrimStart('?');
        var body = request.Body;
        if (path.StartsWith(AdminPrefix, StringComparison.Ordinal))
        {
            return Admin(request.Method, path[AdminPrefix.Length..]);
        }

        var receivedAt = _time.GetUtcNow();
        ContractCheck? check = null;
        int status;
        JsonNode json;
        try
        {
            check = _contract.Check(request.Method, query.Length > 0 ? $"{path}?{query}" : path, body);
            json = check switch
            {
                { Method: null } => throw ApiException.NotFound("UNKNOWN_ROUTE", check.Errors[0]),
                { Errors.Count: > 0 } => throw ApiException.Invalid("CONTRACT_VIOLATION",
                    "Request violates the Merchant API discovery contract: " + string.Join("; ", check.Errors)),
                _ => _api.Handle(check, body),
            };
            status = 200;
        }
        catch (ApiException ex)
        {
            (status, json) = (ex.Code, ex.ToJson());
        }
        catch (Exception ex)
        {
            // A bug in the emulator must surface as a failed call, not as a hung or reset connection.
            var error = new ApiException(500, "INTERNAL", "EMULATOR_BUG", $"{ex.GetType().Name}: {ex.Message}");
            (status, json) = (500, error.ToJson());
        }

        // An unknown-route error already names the method and path.
        var violations = check is null ? [] : check.Method is null ? check.Errors
            : check.Errors.Select(e => $"{request.Method} {path}: {e}");
        _journal.Record(new RecordedRequest(receivedAt, request.Method, path, query, body, status),
            check?.Method?.Id ?? "unknown", violations);
        return Json(status, json);
    }

    private ResponseMessage Admin(string method, string route)
    {
        switch (method, route)
        {
            case ("GET", "products"):
                return Json(200, new JsonArray(_store.All().Select(p => (JsonNode)ProductJson.ProductInput(p)).ToArray()));
            case ("GET", "stats"):
                var byMethod = new JsonObject();
                foreach (var (name, count) in _journal.ByMethod().OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    byMethod[name] = count;
                }

                return Json(200, new JsonObject { ["calls"] = _journal.Calls, ["byMethod"] = byMethod });
            case ("POST", "reset"):
                Reset();
                return Json(200, new JsonObject());
            default:
                return Json(404, ApiException.NotFound("UNKNOWN_ROUTE", $"No emulator admin route {method} {AdminPrefix}{route}.").ToJson());
        }
    }

    private static ResponseMessage Json(int status, JsonNode body)
    {
        var message = new ResponseMessage
        {
            StatusCode = status,
            BodyData = new BodyData
            {
                BodyAsString = body.ToJsonString(JsonOptions),
                DetectedBodyType = BodyType.String,
                Encoding = Encoding.UTF8,
            },
        };
        message.AddHeader("Content-Type", "application/json; charset=UTF-8");
        return message;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
