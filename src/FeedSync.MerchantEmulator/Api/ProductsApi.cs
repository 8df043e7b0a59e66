using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace FeedSync.MerchantEmulator;

/// <summary>The five methods of the Products sub-API v1, on top of an already contract-checked request.</summary>
internal sealed partial class ProductsApi(ProductStore store, TimeProvider time)
{
    private const int DefaultPageSize = 25;
    private const int MaxPageSize = 1000;

    public JsonNode Handle(ContractCheck check, string? body) => check.Method!.Id switch
    {
        "merchantapi.accounts.productInputs.insert" => Insert(check, ProductJson.ParseObject(body)),
        "merchantapi.accounts.productInputs.patch" => Patch(check, ProductJson.ParseObject(body)),
        "merchantapi.accounts.productInputs.delete" => Delete(check),
        "merchantapi.accounts.products.get" => Get(check),
        "merchantapi.accounts.products.list" => List(check),
        var id => throw new ApiException(501, "UNIMPLEMENTED", "UNIMPLEMENTED", $"The emulator does not implement {id}."),
    };

    private JsonObject Insert(ContractCheck check, JsonObject input)
    {
        var account = Account(check.PathParameters["parent"], "parent");
        var dataSource = DataSource(check, account);
        foreach (var field in ProductJson.OutputOnly)
        {
            input.Remove(field);
        }

        // Google trims the offer id and collapses inner whitespace on submission.
        var offerId = WhitespaceRun().Replace(Required(input, "offerId").Trim(), " ");
        input["offerId"] = offerId;
        var language = Required(input, "contentLanguage");
        var feedLabel = Required(input, "feedLabel");
        Check(offerId.Length <= 50, "INVALID_OFFER_ID", "offerId", $"offerId must be at most 50 characters, got {offerId.Length}.");
        Check(LanguagePattern().IsMatch(language), "INVALID_CONTENT_LANGUAGE", "contentLanguage",
            $"contentLanguage must be a two-letter ISO 639-1 code, got `{language}`.");
        Check(FeedLabelPattern().IsMatch(feedLabel), "INVALID_FEED_LABEL", "feedLabel",
            $"feedLabel must be 1-20 characters of A-Z, 0-9, hyphen and underscore, got `{feedLabel}`.");

        var plain = ProductName.Plain(language, feedLabel, offerId, input["legacyLocal"]?.GetValue<bool>() == true);
        var version = Version(input);
        var now = time.GetUtcNow();
        var stored = store.Change(ProductStore.Key(account, plain), existing =>
        {
            // versionNumber guards against out-of-order writers: a lower version is refused with ABORTED.
            if (existing is not null && version is { } v && Version(ProductJson.ParseObject(existing.InputJson)) is { } current && v < current)
            {
                throw ApiException.Aborted("VERSION_NUMBER_TOO_LOW",
                    $"The versionNumber {v} is lower than the current version number {current} of the product input.");
            }

            return new StoredProduct(account, plain, dataSource, input.ToJsonString(), existing?.Created ?? now, now);
        });
        return ProductJson.ProductInput(stored);
    }

    private JsonObject Patch(ContractCheck check, JsonObject body)
    {
        var (account, plain) = Name(check.PathParameters["name"], "name");
        var dataSource = DataSource(check, account);
        CheckImmutable(body, plain);
        Check(body["versionNumber"] is null, "VERSION_NUMBER_ON_UPDATE", "versionNumber",
            "versionNumber is only supported for insertions; do not set it for updates.");
        var mask = check.QueryValue("updateMask");
        var stored = store.Change(ProductStore.Key(account, plain), existing =>
        {
            if (existing is null || existing.DataSource != dataSource)
            {
                throw NotFound("productInputs", account, plain, dataSource);
            }

            var input = ProductJson.ParseObject(existing.InputJson);
            PatchMask.Apply(input, body, mask);
            return existing with { InputJson = input.ToJsonString(), Updated = time.GetUtcNow() };
        });
        return ProductJson.ProductInput(stored);
    }

    private JsonObject Delete(ContractCheck check)
    {
        var (account, plain) = Name(check.PathParameters["name"], "name");
        var dataSource = DataSource(check, account);
        return store.Remove(ProductStore.Key(account, plain), existing => existing.DataSource == dataSource)
            ? []
            : throw NotFound("productInputs", account, plain, dataSource);
    }

    private JsonObject Get(ContractCheck check)
    {
        var (account, plain) = Name(check.PathParameters["name"], "name");
        return store.Get(ProductStore.Key(account, plain)) is { } stored
            ? store.Statuses.WithStatus(stored)
            : throw NotFound("products", account, plain, null);
    }

    private JsonObject List(ContractCheck check)
    {
        var account = Account(check.PathParameters["parent"], "parent");
        var size = check.QueryValue("pageSize") is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : 0;
        Check(size >= 0, "INVALID_PAGE_SIZE", "page_size", $"pageSize must not be negative, got {size}.");
        size = size == 0 ? DefaultPageSize : Math.Min(size, MaxPageSize);

        var prefix = ProductStore.Key(account, "");
        var after = check.QueryValue("pageToken") is { Length: > 0 } token ? PageTokenKey(token, prefix) : null;
        var page = store.Page(prefix, after, size + 1);
        var response = new JsonObject();
        if (page.Count > 0)
        {
            response["products"] = new JsonArray(page.Take(size).Select(p => (JsonNode)store.Statuses.WithStatus(p)).ToArray());
        }

        if (page.Count > size)
        {
            // Opaque to clients; it names the last key returned, so paging survives concurrent writes.
            response["nextPageToken"] = ProductName.Encode("after:" + page[size - 1].Key);
        }

        return response;
    }

    private static string PageTokenKey(string token, string prefix) =>
        ProductName.TryDecodeBase64Url(token, out var decoded)
        && decoded.StartsWith("after:" + prefix, StringComparison.Ordinal)
            ? decoded["after:".Length..]
            : throw ApiException.Invalid("INVALID_PAGE_TOKEN", "The page token is invalid.", "page_token");

    private static string Account(string parent, string field)
    {
        var account = parent["accounts/".Length..];
        Check(account.All(char.IsAsciiDigit), "INVALID_NAME_PART_NOT_NUMBER", field,
            $"[{field}] The part `account` of the resource name in field `{field}` must be a number, but has value: `{Uri.UnescapeDataString(account)}`.");
        return account;
    }

    private static (string Account, string Plain) Name(string name, string field)
    {
        var parts = name.Split('/');
        return (Account($"accounts/{parts[1]}", field), ProductName.Decode(parts[3]));
    }

    private static string DataSource(ContractCheck check, string account)
    {
        var dataSource = check.QueryValue("dataSource");
        Check(!string.IsNullOrEmpty(dataSource), "MISSING_DATA_SOURCE", "data_source", "[data_source] Required parameter not provided.");
        var match = DataSourcePattern().Match(dataSource!);
        Check(match.Success, "INVALID_DATA_SOURCE_NAME", "data_source",
            $"[data_source] `{dataSource}` is not of the form accounts/{{account}}/dataSources/{{datasource}} with numeric ids.");
        Check(match.Groups[1].Value == account, "DATA_SOURCE_ACCOUNT_MISMATCH", "data_source",
            $"[data_source] The data source `{dataSource}` does not belong to account {account}.");
        return dataSource!;
    }

    private static void CheckImmutable(JsonObject body, string plain)
    {
        var parts = plain.Split('~');
        var local = parts[0] == "local";
        var offset = local ? 1 : 0;
        var expected = new (string Field, string Value)[]
        {
            ("contentLanguage", parts[offset]),
            ("feedLabel", parts[offset + 1]),
            ("offerId", string.Join('~', parts.Skip(offset + 2))),
        };
        foreach (var (field, value) in expected)
        {
            if (body[field]?.GetValue<string>() is { } given)
            {
                Check(given == value, "IMMUTABLE_FIELD", field, $"[{field}] is immutable: body has `{given}`, the name has `{value}`.");
            }
        }

        if (body["legacyLocal"]?.GetValue<bool>() is { } legacy)
        {
            Check(legacy == local, "IMMUTABLE_FIELD", "legacyLocal", "[legacyLocal] is immutable and does not match the name.");
        }
    }

    private static string Required(JsonObject input, string field)
    {
        var value = input[field]?.GetValue<string>();
        Check(!string.IsNullOrWhiteSpace(value), "MISSING_REQUIRED_FIELD", field, $"[{field}] Required field was not provided.");
        return value!;
    }

    private static long? Version(JsonObject input) =>
        input["versionNumber"] is { } v ? long.Parse(v.ToString(), CultureInfo.InvariantCulture) : null;

    private static ApiException NotFound(string collection, string account, string plain, string? dataSource) =>
        ApiException.NotFound("NOT_FOUND", $"`accounts/{account}/{collection}/{plain}` not found"
            + (dataSource is null ? "." : $" in data source `{dataSource}`."));

    private static void Check(bool ok, string reason, string field, string message)
    {
        if (!ok)
        {
            throw ApiException.Invalid(reason, message, field);
        }
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhitespaceRun();

    [GeneratedRegex("^[A-Za-z]{2}$")]
    private static partial Regex LanguagePattern();

    [GeneratedRegex("^[A-Z0-9_-]{1,20}$")]
    private static partial Regex FeedLabelPattern();

    [GeneratedRegex(@"^accounts/(\d+)/dataSources/(\d+)$")]
    private static partial Regex DataSourcePattern();
}
