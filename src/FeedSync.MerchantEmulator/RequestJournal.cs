namespace FeedSync.MerchantEmulator;

/// <summary>What the emulator was asked, kept for tests and the stats endpoint. Thread-safe.</summary>
internal sealed class RequestJournal
{
    private readonly Lock _gate = new();
    private readonly List<RecordedRequest> _requests = [];
    private readonly List<string> _violations = [];
    private readonly Dictionary<string, int> _byMethod = new(StringComparer.Ordinal);
    private int _calls;

    /// <summary>Off: count calls but keep no request (a long benchmark would otherwise hold every body it sent).</summary>
    public bool KeepRequests { get; set; } = true;

    public void Record(RecordedRequest request, string method, IEnumerable<string> violations)
    {
        lock (_gate)
        {
            _calls++;
            if (KeepRequests)
            {
                _requests.Add(request);
            }

            _violations.AddRange(violations);
            _byMethod[method] = _byMethod.GetValueOrDefault(method) + 1;
        }
    }

    public int Calls
    {
        get
        {
            lock (_gate)
            {
                return _calls;
            }
        }
    }

    public RecordedRequest[] Requests()
    {
        lock (_gate)
        {
            return [.. _requests];
        }
    }

    public string[] Violations()
    {
        lock (_gate)
        {
            return [.. _violations];
        }
    }

    public Dictionary<string, int> ByMethod()
    {
        lock (_gate)
        {
            return new Dictionary<string, int>(_byMethod, StringComparer.Ordinal);
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _requests.Clear();
            _calls = 0;
            _violations.Clear();
            _byMethod.Clear();
        }
    }
}
