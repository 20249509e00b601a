using Microsoft.Extensions.Options;

namespace Chorus.Server.Hosting;

/// <summary>Settings of room callbacks (webhooks): retries, timeout, queue (flat keys under <c>Chorus</c>, e.g. <c>Chorus:WebhookRetries</c>).</summary>
public sealed class WebhookOptions
{
    /// <summary>First retry delay of a failed callback; it doubles for each of <see cref="WebhookRetries"/> retries. Default 2 s (2, 4, 8, 16, 32 s).</summary>
    public TimeSpan WebhookRetryBaseDelay { get; set; } = TimeSpan.FromSeconds(2);
    /// <summary>Retries of a failed callback. Default 5.</summary>
    public int WebhookRetries { get; set; } = 5;
    /// <summary>How long one callback POST may take. Default 5 s.</summary>
    public TimeSpan WebhookTimeout { get; set; } = TimeSpan.FromSeconds(5);
    /// <summary>Callbacks waiting for delivery at most; beyond it new ones are dropped (and logged). Default 10000.</summary>
    public int WebhookQueueCapacity { get; set; } = 10_000;
}

/// <summary>Checks <see cref="WebhookOptions"/> at start.</summary>
public sealed class WebhookOptionsValidator : IValidateOptions<WebhookOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, WebhookOptions options)
    {
        if (options.WebhookRetries < 0 || options.WebhookRetryBaseDelay < TimeSpan.Zero || options.WebhookTimeout <= TimeSpan.Zero || options.WebhookQueueCapacity < 1)
            return ValidateOptionsResult.Fail("Chorus: webhook settings must be non-negative (timeout and queue capacity positive).");
        return ValidateOptionsResult.Success;
    }
}
