// Each test runs a whole FeedSync (capture, Hangfire workers, HTTP) on a 2-core machine: one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
