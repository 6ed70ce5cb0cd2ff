// One test at a time: the shim has one stream per process, and while a CUDA graph test captures it,
// work another test queues from another thread would be refused (as CUDA refuses it) or recorded.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
