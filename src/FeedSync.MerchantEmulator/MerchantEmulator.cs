using System.Collections.Concurrent;
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
public sealed partial class MerchantEmulator : IDisposable
{
    private const string AdminPrefix = "/emulator/";
    private const string BatchPath = "/batch/products/v1";
    private const int MaxBatchParts = 1000;

    // Google writes quotes as \" rather than \u0022; relaxed escaping keeps messages readable.
    private static readonly JsonSerializerOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly WireMockServer _server;
    private readonly DiscoveryContract _contract = DiscoveryContract.Products;
    private readonly ProductStore _store = new();
    private readonly RequestJournal _journal = new();
    private readonly ProductsApi _api;
    private readonly TimeProvider _time;
    private readonly FaultInjector _faults = new();
    private readonly ConcurrentDictionary<string, JsonObject> _dataSources = new(StringComparer.Ordinal);
    private long _nextDataSourceId = 10_000_000;

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
            .RespondWith(Response.Create().WithCallback(HandleAsync));
        Url = $"http://127.0.0.1:{port}/";
    }

    /// <summary>Base URL with a trailing slash, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public string Url { get; }

    /// <summary>Snapshot of stored product inputs, keyed by <c>accounts/{a}/productInputs/{lang}~{label}~{offerId}</c>.</summary>
    public IReadOnlyDictionary<string, JsonObject> Products =>
        _store.All().ToDictionary(p => p.Key, ProductJson.ProductInput, StringComparer.Ordinal);

    /// <summary>Snapshot of every API request received (admin calls excluded).</summary>
    public IReadOnlyList<RecordedRequest> Requests => _journal.Requests();

    /// <summary>
    /// Whether <see cref="Requests"/> keeps every request (the default, for tests). Benchmarks turn it off: counts
    /// and contract violations are still kept, but not the bodies, which would grow to gigabytes.
    /// </summary>
    public bool KeepRequests
    {
        get => _journal.KeepRequests;
        set => _journal.KeepRequests = value;
    }

    /// <summary>Number of API requests received (admin calls excluded).</summary>
    public int CallCount => _journal.Calls;

    /// <summary>Every discovery-contract error the emulator answered with 400 (or 404 for an unknown URL).</summary>
    public IReadOnlyList<string> ContractViolations => _journal.Violations();

    /// <summary>Faults injected into API calls from now on (also settable through <c>POST /emulator/faults</c>).</summary>
    public FaultSettings Faults
    {
        get => _faults.Settings;
        set => _faults.Settings = value.Problem() is { } problem ? throw new ArgumentException(problem, nameof(value)) : value;
    }

    /// <summary>When on, API calls without an <c>Authorization: Bearer</c> header are answered 401 UNAUTHENTICATED.</summary>
    public bool RequireBearerToken { get; set; }

    /// <summary>Data sources created through <c>dataSources.create</c>, by name.</summary>
    public IReadOnlyDictionary<string, JsonObject> DataSources => _dataSources.ToDictionary(p => p.Key, p => (JsonObject)p.Value.DeepClone(), StringComparer.Ordinal);

    /// <summary>
    /// Holds a data source as if it had been set up in Merchant Center (<paramref name="source"/> is a DataSource
    /// resource; name, id and, unless given, input API are filled in). <c>dataSources.get</c> then returns it.
    /// </summary>
    public void PutDataSource(string account, string dataSourceId, JsonObject source)
    {
        var copy = (JsonObject)source.DeepClone();
        var name = $"accounts/{account}/dataSources/{dataSourceId}";
        copy["name"] = name;
        copy["dataSourceId"] = dataSourceId;
        copy["input"] ??= "API";
        _dataSources[name] = copy;
    }

    private static DiscoveryContract DataSourcesContract => DiscoveryContract.Load("merchantapi.datasources_v1.json");

    /// <summary>The per-minute limit the Quota sub-API reports for product writes.</summary>
    public long QuotaMinuteLimit { get; set; } = 60_000;

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

    private async Task<IResponseMessage> HandleAsync(IRequestMessage request)
    {
        // request.Path is fully decoded (a %2F would split a product id); Url keeps %2F, and
        // Uri re-escapes the rest, giving a path whose segments are safe to match and decode.
        var path = Uri.TryCreate(request.Url, UriKind.Absolute, out var url) ? url.AbsolutePath : request.Path;
        var query = (request.RawQuery ?? "").TrimStart('?');
        var body = request.Body ?? (request.BodyAsBytes is { Length: > 0 } bytes ? Encoding.UTF8.GetString(bytes) : null);
        if (path.StartsWith(AdminPrefix, StringComparison.Ordinal))
        {
            return path.StartsWith(AdminPrefix + "status/", StringComparison.Ordinal) && request.Method == "POST"
                ? Json(200, SetStatusFromAdmin(path[(AdminPrefix.Length + "status/".Length)..], query, body))
                : Admin(request.Method, path[AdminPrefix.Length..], body);
        }

        if (RequireBearerToken && !(Header(request, "Authorization")?.StartsWith("Bearer ", StringComparison.Ordinal) ?? false))
        {
            return Json(401, new ApiException(401, "UNAUTHENTICATED", "ACCESS_TOKEN_MISSING",
                "Request is missing required authentication credential. Expected OAuth 2 access token.").ToJson());
        }

        if (await _faults.DelayAsync(request.Method) is { } timeout)
        {
            return Json(timeout.Code, timeout.ToJson());
        }

        if (request.Method == "GET" && QuotasRoute().Match(path) is { Success: true } quotas)
        {
            return Json(200, Quotas(quotas.Groups[1].Value));
        }

        if (path == BatchPath)
        {
            return Batch(request.Method, Header(request, "Content-Type"), body);
        }

        var (status, json) = Call(request.Method, path, query, body);
        return Json(status, json);
    }

    /// <summary><c>batch/products/v1</c>: every part is validated, fault-drawn, served and recorded like a single call.</summary>
    private ResponseMessage Batch(string method, string? contentType, string? body)
    {
        List<BatchPart> parts;
        try
        {
            if (method != "POST")
            {
                throw ApiException.NotFound("UNKNOWN_ROUTE", $"{method} {BatchPath}: batch requests must be POST.");
            }

            var boundary = BatchMultipart.Boundary(contentType)
                ?? throw ApiException.Invalid("INVALID_BATCH", "A batch request needs Content-Type: multipart/mixed; boundary=...");
            parts = BatchMultipart.Parse(body ?? "", boundary);
            if (parts.Count > MaxBatchParts)
            {
                throw ApiException.Invalid("BATCH_TOO_LARGE", $"A batch request may hold at most {MaxBatchParts} calls, got {parts.Count}.");
            }
        }
        catch (ApiException ex)
        {
            return Json(ex.Code, ex.ToJson());
        }

        var answers = parts.Select(part =>
        {
            var question = part.PathAndQuery.IndexOf('?', StringComparison.Ordinal);
            var (path, query) = question < 0 ? (part.PathAndQuery, "") : (part.PathAndQuery[..question], part.PathAndQuery[(question + 1)..]);
            var (status, json) = Call(part.Method, path, query, part.Body);
            return (part.ContentId, status, json.ToJsonString(JsonOptions));
        }).ToList();
        var responseBoundary = "batch_" + Guid.NewGuid().ToString("N");
        var message = new ResponseMessage
        {
            StatusCode = 200,
            BodyData = new BodyData
            {
                BodyAsString = BatchMultipart.Write(answers, responseBoundary),
                DetectedBodyType = BodyType.String,
                Encoding = Encoding.UTF8,
            },
        };
        message.AddHeader("Content-Type", $"multipart/mixed; boundary={responseBoundary}");
        return message;
    }

    /// <summary>One API call: contract check, injected fault, the products API; recorded in the journal.</summary>
    private (int Status, JsonNode Json) Call(string method, string path, string query, string? body)
    {
        var receivedAt = _time.GetUtcNow();
        ContractCheck? check = null;
        int status;
        JsonNode json;
        try
        {
            var dataSources = path.StartsWith("/datasources/", StringComparison.Ordinal);
            check = (dataSources ? DataSourcesContract : _contract).Check(method, query.Length > 0 ? $"{path}?{query}" : path, body);
            json = check switch
            {
                { Method: null } => throw ApiException.NotFound("UNKNOWN_ROUTE", check.Errors[0]),
                { Errors.Count: > 0 } => throw ApiException.Invalid("CONTRACT_VIOLATION",
                    "Request violates the Merchant API discovery contract: " + string.Join("; ", check.Errors)),
                _ when _faults.Draw() is { } fault => throw fault,
                _ when dataSources => DataSourcesCall(check, body),
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
            : check.Errors.Select(e => $"{method} {path}: {e}");
        _journal.Record(new RecordedRequest(receivedAt, method, path, query, body, status),
            check?.Method?.Id ?? "unknown", violations);
        return (status, json);
    }

    /// <summary>The Data sources methods FeedSync uses: <c>create</c> (assigns an id, input API) and <c>get</c> (what the emulator holds).</summary>
    private JsonObject DataSourcesCall(ContractCheck check, string? body)
    {
        switch (check.Method!.Id)
        {
            case "merchantapi.accounts.dataSources.create":
                break;
            case "merchantapi.accounts.dataSources.get":
                var wanted = check.PathParameters["name"];
                return _dataSources.TryGetValue(wanted, out var held)
                    ? (JsonObject)held.DeepClone()
                    : throw ApiException.NotFound("DATA_SOURCE_NOT_FOUND", $"[name] Data source `{wanted}` not found.");
            default:
                throw new ApiException(501, "UNIMPLEMENTED", "UNIMPLEMENTED", $"The emulator does not implement {check.Method.Id}.");
        }

        var source = ProductJson.ParseObject(body);
        if (source["displayName"]?.GetValue<string>() is not { Length: > 0 })
        {
            throw ApiException.Invalid("MISSING_DISPLAY_NAME", "displayName is required.", "displayName");
        }

        var id = Interlocked.Increment(ref _nextDataSourceId).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var name = $"{check.PathParameters["parent"]}/dataSources/{id}";
        source["name"] = name;
        source["dataSourceId"] = id;
        source["input"] = "API";
        _dataSources[name] = source;
        return (JsonObject)source.DeepClone();
    }

    /// <summary><c>quota/v1/accounts/{a}/quotas</c> (no discovery document is stored for it): one products group.</summary>
    private JsonObject Quotas(string account) => new()
    {
        ["quotaGroups"] = new JsonArray(
            new JsonObject
            {
                ["name"] = $"accounts/{account}/quotas/products-write",
                ["quotaUsage"] = _journal.Calls.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["quotaLimit"] = (QuotaMinuteLimit * 60 * 24).ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["quotaMinuteLimit"] = QuotaMinuteLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["methodDetails"] = new JsonArray(
                    new JsonObject { ["method"] = "products.v1.ProductInputsService.InsertProductInput", ["version"] = "v1", ["subapi"] = "products", ["path"] = "products/v1/productInputs.insert" },
                    new JsonObject { ["method"] = "products.v1.ProductInputsService.DeleteProductInput", ["version"] = "v1", ["subapi"] = "products", ["path"] = "products/v1/productInputs.delete" }),
            }),
    };

    [System.Text.RegularExpressions.GeneratedRegex(@"^/quota/v1/accounts/(\d+)/quotas$")]
    private static partial System.Text.RegularExpressions.Regex QuotasRoute();

    private static string? Header(IRequestMessage request, string name) =>
        request.Headers?.FirstOrDefault(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value?.FirstOrDefault();

    private ResponseMessage Admin(string method, string route, string? body)
    {
        switch (method, route)
        {
            case ("GET", "faults"):
                return Json(200, JsonSerializer.SerializeToNode(Faults)!);
            case ("DELETE", "faults"):
                Faults = FaultSettings.None;
                return Json(200, JsonSerializer.SerializeToNode(Faults)!);
            case ("POST", "faults"):
                FaultSettings? settings;
                try
                {
                    settings = JsonSerializer.Deserialize<FaultSettings>(body ?? "{}");
                }
                catch (JsonException ex)
                {
                    return Json(400, ApiException.Invalid("INVALID_FAULTS", $"Fault settings are not valid JSON: {ex.Message}").ToJson());
                }

                if (settings is null || settings.Problem() is { } problem)
                {
                    return Json(400, ApiException.Invalid("INVALID_FAULTS", settings?.Problem() ?? "Fault settings must be a JSON object.").ToJson());
                }

                Faults = settings;
                return Json(200, JsonSerializer.SerializeToNode(settings)!);
            case ("GET", "products"):
                return Json(200, new JsonArray(_store.All().Select(p => (JsonNode)ProductJson.ProductInput(p)).ToArray()));
            case ("GET", "stats"):
                var byMethod = new JsonObject();
                foreach (var (name, count) in _journal.ByMethod().OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    byMethod[name] = count;
                }

                return Json(200, new JsonObject { ["calls"] = _journal.Calls, ["contractViolations"] = _journal.Violations().Length, ["byMethod"] = byMethod });
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
