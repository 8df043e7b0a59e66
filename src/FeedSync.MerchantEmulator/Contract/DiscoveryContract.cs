using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;

namespace FeedSync.MerchantEmulator;

/// <summary>
/// Validates HTTP requests against one of Google's discovery documents embedded in this assembly:
/// the URL must name a method of the document, query parameters must be declared for it (or be
/// global ones such as <c>alt</c>), and the JSON body must fit the method's request schema.
/// Parsed documents are cached, so validation costs a regex match and one walk over the body.
/// </summary>
public sealed class DiscoveryContract
{
    private static readonly ConcurrentDictionary<string, Lazy<DiscoveryContract>> Loaded = new(StringComparer.Ordinal);

    private readonly string _servicePath;
    private readonly IReadOnlyList<DiscoveryMethod> _methods;
    private readonly Dictionary<string, DiscoveryParameter> _globalParameters;
    private readonly Dictionary<string, SchemaNode> _schemas;
    private readonly BodyValidator _bodies;

    private DiscoveryContract(JsonElement root)
    {
        _servicePath = root.TryGetProperty("servicePath", out var sp) ? sp.GetString() ?? "" : "";
        _globalParameters = root.TryGetProperty("parameters", out var gp)
            ? gp.EnumerateObject().ToDictionary(p => p.Name, p => DiscoveryParameter.From(p.Name, p.Value), StringComparer.Ordinal)
            : [];
        _schemas = root.GetProperty("schemas").EnumerateObject()
            .ToDictionary(s => s.Name, s => SchemaNode.Compile(s.Name, s.Value), StringComparer.Ordinal);
        var methods = new List<DiscoveryMethod>();
        CollectMethods(root, methods);
        _methods = methods;
        _bodies = new BodyValidator(_schemas);
    }

    /// <summary>The Products sub-API v1 contract (<c>merchantapi.products_v1.json</c>).</summary>
    public static DiscoveryContract Products => Load("merchantapi.products_v1.json");

    /// <summary>Loads (once) an embedded discovery document by file name, e.g. <c>merchantapi.inventories_v1.json</c>.</summary>
    public static DiscoveryContract Load(string embeddedFileName) =>
        Loaded.GetOrAdd(embeddedFileName, name => new Lazy<DiscoveryContract>(() => Parse(name))).Value;

    /// <summary>Returns every contract violation of the request; an empty list means valid.</summary>
    public IReadOnlyList<string> ValidateRequest(string httpMethod, string pathAndQuery, string? jsonBody) =>
        Check(httpMethod, pathAndQuery, jsonBody).Errors;

    internal ContractCheck Check(string httpMethod, string pathAndQuery, string? jsonBody)
    {
        var (path, rawQuery) = SplitUrl(pathAndQuery);
        var query = QueryString.Parse(rawQuery);
        if (!path.StartsWith(_servicePath, StringComparison.Ordinal))
        {
            return NotFound($"{httpMethod} /{path}: outside the service path \"{_servicePath}\"", query);
        }

        var relative = path[_servicePath.Length..];
        DiscoveryMethod? method = null;
        Dictionary<string, string>? pathParameters = null;
        var otherVerbs = new List<string>();
        foreach (var candidate in _methods)
        {
            if (candidate.Match(relative) is not { } values)
            {
                continue;
            }

            if (string.Equals(candidate.HttpMethod, httpMethod, StringComparison.OrdinalIgnoreCase))
            {
                (method, pathParameters) = (candidate, values);
                break;
            }

            otherVerbs.Add(candidate.HttpMethod);
        }

        if (method is null || pathParameters is null)
        {
            var hint = otherVerbs.Count > 0 ? $" (the path exists for {string.Join(", ", otherVerbs)})" : "";
            return NotFound($"{httpMethod} /{path}: the Merchant API has no such method{hint}", query);
        }

        var errors = new List<string>();
        CheckQuery(method, query, errors);
        CheckBody(method, jsonBody, errors);
        return new ContractCheck(method, pathParameters, query, errors);
    }

    private void CheckQuery(DiscoveryMethod method, IReadOnlyList<KeyValuePair<string, string>> query, List<string> errors)
    {
        foreach (var group in query.GroupBy(p => p.Key, StringComparer.Ordinal))
        {
            var declared = method.Parameters.TryGetValue(group.Key, out var p) && p.Location == "query" ? p
                : _globalParameters.GetValueOrDefault(group.Key);
            if (declared is null)
            {
                errors.Add($"query parameter \"{group.Key}\" is not defined for {method.Id}");
                continue;
            }

            if (!declared.Repeated && group.Count() > 1)
            {
                errors.Add($"query parameter \"{group.Key}\" is given {group.Count()} times but is not repeated");
            }

            foreach (var (_, value) in group)
            {
                if (QueryValueProblem(declared, value) is { } problem)
                {
                    errors.Add($"query parameter \"{group.Key}\": {problem}");
                }
                else if (declared.Format == "google-fieldmask" && method.RequestSchema is { } request)
                {
                    FieldMaskCheck.Check(value, _bodies, _bodies.Resolve(_schemas[request]), group.Key, errors);
                }
            }
        }
    }

    private static string? QueryValueProblem(DiscoveryParameter p, string value)
    {
        if (p.Enum is { } allowed && !allowed.Contains(value))
        {
            return $"invalid value \"{value}\"; expected one of {string.Join(", ", allowed)}";
        }

        return p.Type switch
        {
            "integer" when !long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)
                => $"expected an integer, got \"{value}\"",
            "integer" when p.Format == "int32" && !int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)
                => $"value \"{value}\" is out of int32 range",
            "boolean" when value is not ("true" or "false")
                => $"expected true or false, got \"{value}\"",
            _ => null,
        };
    }

    private void CheckBody(DiscoveryMethod method, string? jsonBody, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(jsonBody))
        {
            return; // An absent body is an empty message; required fields are the server's business.
        }

        if (method.RequestSchema is null)
        {
            errors.Add($"{method.Id} takes no request body, but one was sent");
            return;
        }

        try
        {
            using var doc = JsonDocument.Parse(jsonBody);
            _bodies.Validate(doc.RootElement, _schemas[method.RequestSchema], "$", errors);
        }
        catch (JsonException ex)
        {
            errors.Add($"$: invalid JSON payload: {ex.Message}");
        }
    }

    private static ContractCheck NotFound(string error, IReadOnlyList<KeyValuePair<string, string>> query) =>
        new(null, new Dictionary<string, string>(), query, [error]);

    private static (string Path, string Query) SplitUrl(string pathAndQuery)
    {
        var url = pathAndQuery;
        if (Uri.TryCreate(url, UriKind.Absolute, out var absolute) && absolute.Scheme is "http" or "https")
        {
            url = absolute.PathAndQuery;
        }

        var hash = url.IndexOf('#', StringComparison.Ordinal);
        url = hash >= 0 ? url[..hash] : url;
        var question = url.IndexOf('?', StringComparison.Ordinal);
        var path = (question >= 0 ? url[..question] : url).TrimStart('/');
        return (path, question >= 0 ? url[(question + 1)..] : "");
    }

    private static void CollectMethods(JsonElement node, List<DiscoveryMethod> into)
    {
        if (node.TryGetProperty("methods", out var methods))
        {
            into.AddRange(methods.EnumerateObject().Select(m => DiscoveryMethod.From(m.Value)));
        }

        if (node.TryGetProperty("resources", out var resources))
        {
            foreach (var resource in resources.EnumerateObject())
            {
                CollectMethods(resource.Value, into);
            }
        }
    }

    private static DiscoveryContract Parse(string fileName)
    {
        var assembly = typeof(DiscoveryContract).Assembly;
        var resource = assembly.GetManifestResourceNames()
            .FirstOrDefault(n => n.EndsWith("." + fileName, StringComparison.OrdinalIgnoreCase) || n == fileName)
            ?? throw new FileNotFoundException($"No embedded discovery document named {fileName}.", fileName);
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var doc = JsonDocument.Parse(stream);
        return new DiscoveryContract(doc.RootElement);
    }
}
