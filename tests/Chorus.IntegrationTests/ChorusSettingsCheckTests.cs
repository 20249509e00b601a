using System.Collections;
using System.Globalization;
using System.Reflection;
using Chorus.Server.Hosting;
using Microsoft.Extensions.Configuration;

namespace Chorus.IntegrationTests;

/// <summary>
/// The settings check covers every setting of the options classes by reflection: each one, set to its default, passes;
/// each one misspelled is refused. A setting added to any class of <see cref="ChorusSettingsCheck.OptionsTypes"/> or to
/// <see cref="AppOptions"/> is covered here without changing this test.
/// </summary>
public class ChorusSettingsCheckTests
{
    private static Dictionary<string, string?> EverySetting()
    {
        var settings = new Dictionary<string, string?>();
        foreach (var type in ChorusSettingsCheck.OptionsTypes)
        foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod?.IsPublic == true))
        {
            object? value = p.GetValue(Activator.CreateInstance(type));
            string key = $"Chorus:{p.Name}";
            if (p.PropertyType == typeof(List<AppOptions>))
            {
                var app = new AppOptions { AppId = 9, ServerSecret = new string('s', 32), CallbackUrl = "http://127.0.0.1:9/cb", CallbackSecret = "cb" };
                foreach (var ap in typeof(AppOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(x => x.SetMethod?.IsPublic == true))
                    settings[$"{key}:0:{ap.Name}"] = Text(ap.GetValue(app));
            }
            else if (value is IDictionary dictionary)
            {
                foreach (DictionaryEntry e in dictionary) settings[$"{key}:{e.Key}"] = Text(e.Value);
            }
            else settings[key] = Text(value);
        }
        return settings;
    }

    private static string Text(object? value) => value switch
    {
        null => "",
        TimeSpan t => t.ToString("c", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static IReadOnlyList<string> Check(Dictionary<string, string?> settings) =>
        ChorusSettingsCheck.Check(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());

    [Fact]
    public void Every_setting_of_the_options_classes_passes_at_its_default()
    {
        var settings = EverySetting();
        Assert.Contains("Chorus:Apps:0:ServerSecret", settings.Keys);
        Assert.Contains("Chorus:ServerApiRatePerSecond:CloseRoom", settings.Keys);
        Assert.Empty(Check(settings));
    }

    [Fact]
    public void Every_setting_misspelled_is_refused_and_its_value_not_echoed()
    {
        foreach (var (key, value) in EverySetting())
        {
            var errors = Check(new Dictionary<string, string?> { [key + "x"] = "v4lue-not-echoed" });
            var error = Assert.Single(errors);
            Assert.StartsWith($"{key}x: unknown setting", error);
            Assert.DoesNotContain("v4lue-not-echoed", error);
        }
    }

    [Fact]
    public void A_value_that_does_not_convert_is_refused_and_host_settings_are_known()
    {
        Assert.Equal(["Chorus:MaxFrameBytes: '16k' is not a whole number"], Check(new() { ["Chorus:MaxFrameBytes"] = "16k" }));
        Assert.Equal(["Chorus:Port: unknown setting"], Check(new() { ["Chorus:Port"] = "8080" }));
        var extra = new Dictionary<string, Type> { ["Port"] = typeof(int) };
        Assert.Empty(ChorusSettingsCheck.Check(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Chorus:Port"] = "8080" }).Build(), extra));
        Assert.Single(ChorusSettingsCheck.Check(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Chorus:Port"] = "http" }).Build(), extra));
        // Keys outside the Chorus section are not this check's business.
        Assert.Empty(Check(new() { ["Logging:LogLevel:Default"] = "Warning" }));
    }
}
