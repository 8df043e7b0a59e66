using System.Text.Json;
using System.Text.RegularExpressions;

namespace FeedSync.MerchantEmulator;

/// <summary>A query or path parameter as declared in a discovery document.</summary>
internal sealed record DiscoveryParameter(
    string Name, string Location, string? Type, string? Format, HashSet<string>? Enum, bool Repeated, string? Pattern)
{
    public static DiscoveryParameter From(string name, JsonElement json) => new(
        name,
        json.TryGetProperty("location", out var l) ? l.GetString() ?? "query" : "query",
        json.TryGetProperty("type", out var t) ? t.GetString() : null,
        json.TryGetProperty("format", out var f) ? f.GetString() : null,
        json.TryGetProperty("enum", out var e) ? e.EnumerateArray().Select(v => v.GetString() ?? "").ToHashSet(StringComparer.Ordinal) : null,
        json.TryGetProperty("repeated", out var r) && r.ValueKind == JsonValueKind.True,
        json.TryGetProperty("pattern", out var p) ? p.GetString() : null);
}

/// <summary>
/// One REST method of a discovery document with its URL template compiled to a regex. The regex is
/// built from <c>path</c> (for example <c>products/v1/{+name}</c>) and each path parameter's
/// declared <c>pattern</c>, so matching a URL also checks the shape of its resource names.
/// </summary>
internal sealed class DiscoveryMethod
{
    private readonly Regex _pathRegex;
    private readonly List<string> _pathParameterNames;

    private DiscoveryMethod(string id, string httpMethod, Regex pathRegex, List<string> pathParameterNames,
        Dictionary<string, DiscoveryParameter> parameters, string? requestSchema)
    {
        Id = id;
        HttpMethod = httpMethod;
        _pathRegex = pathRegex;
        _pathParameterNames = pathParameterNames;
        Parameters = parameters;
        RequestSchema = requestSchema;
    }

    public string Id { get; }
    public string HttpMethod { get; }
    public IReadOnlyDictionary<string, DiscoveryParameter> Parameters { get; }
    public string? RequestSchema { get; }

    public static DiscoveryMethod From(JsonElement json)
    {
        var parameters = new Dictionary<string, DiscoveryParameter>(StringComparer.Ordinal);
        if (json.TryGetProperty("parameters", out var ps))
        {
            foreach (var p in ps.EnumerateObject())
            {
                parameters[p.Name] = DiscoveryParameter.From(p.Name, p.Value);
            }
        }

        var names = new List<string>();
        var template = json.GetProperty("path").GetString()!;
        var regex = "^" + Regex.Replace(Regex.Escape(template), @"\\\{((?:\\\+)?)([A-Za-z0-9_.]+)}", m =>
        {
            var name = m.Groups[2].Value;
            names.Add(name);
            var pattern = parameters.TryGetValue(name, out var p) && p.Pattern is { } declared
                ? declared.TrimStart('^').TrimEnd('$')
                : m.Groups[1].Length > 0 ? ".+" : "[^/]+";
            return $"(?<p{names.Count - 1}>{pattern})";
        }) + "$";
        // Regex.Escape escapes '{' and '+' but not '}', hence the asymmetric pattern above.

        return new DiscoveryMethod(
            json.GetProperty("id").GetString()!,
            json.GetProperty("httpMethod").GetString()!,
            new Regex(regex, RegexOptions.CultureInvariant | RegexOptions.Compiled),
            names,
            parameters,
            json.TryGetProperty("request", out var req) && req.TryGetProperty("$ref", out var r) ? r.GetString() : null);
    }

    /// <summary>Matches a service-relative, still percent-encoded path; returns its path parameters, still encoded.</summary>
    public Dictionary<string, string>? Match(string path)
    {
        var m = _pathRegex.Match(path);
        if (!m.Success)
        {
            return null;
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < _pathParameterNames.Count; i++)
        {
            values[_pathParameterNames[i]] = m.Groups[$"p{i}"].Value;
        }

        return values;
    }
}
