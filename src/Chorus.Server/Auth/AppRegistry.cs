using Chorus.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Chorus.Server.Auth;

/// <summary>The apps this server hosts, by AppId.</summary>
public sealed class AppRegistry
{
    private readonly Dictionary<uint, AppOptions> _apps;

    /// <summary>Builds the registry from the options in force.</summary>
    public AppRegistry(IOptions<ChorusServerOptions> options)
    {
        _apps = options.Value.EffectiveApps.ToDictionary(a => a.AppId);
        UsesDevApp = options.Value.Apps.Count == 0;
    }

    /// <summary>True when no app was configured and the development app is in use.</summary>
    public bool UsesDevApp { get; }

    /// <summary>All hosted apps.</summary>
    public IEnumerable<AppOptions> Apps => _apps.Values;

    /// <summary>Finds an app.</summary>
    public bool TryGet(uint appId, out AppOptions app) => _apps.TryGetValue(appId, out app!);
}
