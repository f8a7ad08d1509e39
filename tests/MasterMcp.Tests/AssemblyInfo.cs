// Test classes run one at a time: many start real backends, gateways and Azurite and assert on timings (a dead backend
// must be left out within its timeout, cancellation must arrive within a second). On a machine with two cores, classes
// competing for the CPU made those timings meaningless; run serially, each measures what it claims to.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
