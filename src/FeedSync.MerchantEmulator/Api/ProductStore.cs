namespace FeedSync.MerchantEmulator;

/// <summary>
/// A stored product input. <see cref="InputJson"/> is kept as text so that a record can be shared
/// between threads without anyone mutating it; readers parse their own copy.
/// </summary>
internal sealed record StoredProduct(
    string Account, string PlainId, string DataSource, string InputJson, DateTimeOffset Created, DateTimeOffset Updated)
{
    public string Key => ProductStore.Key(Account, PlainId);
}

/// <summary>
/// The emulator's product inputs, keyed by <c>accounts/{a}/productInputs/{plain id}</c>. One lock
/// guards everything: operations are microseconds long, and read-modify-write (patch, versioned
/// insert) must be atomic when FeedSync sends many calls at once. Keys are also kept sorted so
/// that <c>products.list</c> pages are stable while products change between pages.
/// </summary>
internal sealed class ProductStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, StoredProduct> _items = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _order = new(StringComparer.Ordinal);

    /// <summary>Google's processing results set by tests for stored products.</summary>
    public ProductStatuses Statuses { get; } = new();

    public static string Key(string account, string plainId) => $"accounts/{account}/productInputs/{plainId}";

    public StoredProduct? Get(string key)
    {
        lock (_gate)
        {
            return _items.GetValueOrDefault(key);
        }
    }

    /// <summary>Stores what <paramref name="change"/> returns for the current value (null = absent); throwing aborts.</summary>
    public StoredProduct Change(string key, Func<StoredProduct?, StoredProduct> change)
    {
        lock (_gate)
        {
            var updated = change(_items.GetValueOrDefault(key));
            _items[key] = updated;
            _order.Add(key);
            return updated;
        }
    }

    /// <summary>Removes the product if <paramref name="shouldRemove"/> agrees; returns whether it did.</summary>
    public bool Remove(string key, Func<StoredProduct, bool> shouldRemove)
    {
        lock (_gate)
        {
            if (!_items.TryGetValue(key, out var existing) || !shouldRemove(existing))
            {
                return false;
            }

            _items.Remove(key);
            _order.Remove(key);
            return true;
        }
    }

    /// <summary>Up to <paramref name="count"/> products whose key starts with <paramref name="prefix"/>, after <paramref name="afterKey"/>.</summary>
    public List<StoredProduct> Page(string prefix, string? afterKey, int count)
    {
        lock (_gate)
        {
            var page = new List<StoredProduct>(Math.Min(count, 1024));
            if (_order.Count == 0)
            {
                return page;
            }

            var lower = afterKey is not null && string.CompareOrdinal(afterKey, prefix) > 0 ? afterKey : prefix;
            var upper = prefix + char.MaxValue;
            if (string.CompareOrdinal(lower, upper) > 0)
            {
                return page;
            }

            foreach (var key in _order.GetViewBetween(lower, upper))
            {
                if (key == afterKey)
                {
                    continue;
                }

                if (page.Count == count)
                {
                    break;
                }

                page.Add(_items[key]);
            }

            return page;
        }
    }

    public List<StoredProduct> All()
    {
        lock (_gate)
        {
            return _order.Select(k => _items[k]).ToList();
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _items.Clear();
            _order.Clear();
            Statuses.Clear();
        }
    }
}
