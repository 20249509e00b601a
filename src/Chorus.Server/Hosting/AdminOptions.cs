namespace Chorus.Server.Hosting;

/// <summary>Settings of the operators' admin page (<c>Chorus:AdminKey</c>).</summary>
public sealed class AdminOptions
{
    /// <summary>The key every admin request must carry; without it there is no admin surface at all.</summary>
    public string? AdminKey { get; set; }
}
