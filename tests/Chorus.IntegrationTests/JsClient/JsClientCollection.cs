namespace Chorus.IntegrationTests.JsClient;

/// <summary>
/// The TypeScript client's tests run the TypeScript compiler and node processes, which take both cores of a small
/// machine for several seconds: they run in a collection of their own, after the parallel tests of this assembly, so
/// that they never slow down tests that count requests per second.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class JsClientCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "JsClient";
}
