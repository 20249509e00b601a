using System.Collections;
using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Chorus.Server.Hosting;

/// <summary>
/// Checks every key under the <c>Chorus</c> configuration section against the options classes (<see cref="OptionsTypes"/>), by
/// reflection over the options classes (so a setting added to them is covered without further work): a key that names
/// no setting, or a value the configuration binder could not convert, is reported. The binder itself ignores unknown
/// keys and throws on a bad value; this check turns both into one plain line each.
/// </summary>
public static class ChorusSettingsCheck
{
    /// <summary>
    /// The options classes bound from the <c>Chorus</c> section, one per area; each key names a setting of one of them.
    /// A new area's class is added here (and bound in <see cref="ChorusServerApp.AddChorusServer"/>).
    /// </summary>
    public static IReadOnlyList<Type> OptionsTypes { get; } =
    [
        typeof(ChorusServerOptions), typeof(StorageOptions), typeof(GatewayOptions), typeof(AuthOptions), typeof(RoomOptions),
        typeof(ChatOptions), typeof(WebhookOptions), typeof(ServerApiOptions), typeof(ClusterOptions), typeof(AdminOptions),
    ];

    /// <summary>
    /// Binds and validates every class of <see cref="OptionsTypes"/> now (as <c>ValidateOnStart</c> would at start), so that
    /// every problem of every area is known at once.
    /// </summary>
    /// <param name="services">The application's services (after <see cref="ChorusServerApp.AddChorusServer"/>).</param>
    /// <exception cref="OptionsValidationException">One or more settings were refused; <see cref="OptionsValidationException.Failures"/> has them all.</exception>
    public static void Validate(IServiceProvider services)
    {
        var failures = new List<string>();
        foreach (var type in OptionsTypes)
        {
            var accessor = typeof(IOptions<>).MakeGenericType(type);
            try
            {
                accessor.GetProperty(nameof(IOptions<object>.Value))!.GetValue(services.GetRequiredService(accessor), BindingFlags.DoNotWrapExceptions, null, null, null);
            }
            catch (OptionsValidationException ex)
            {
                failures.AddRange(ex.Failures);
            }
        }
        if (failures.Count > 0) throw new OptionsValidationException(ChorusServerOptions.SectionName, typeof(ChorusServerOptions), failures);
    }

    /// <summary>
    /// Returns one message per problem (empty when every key is known and every value converts). Values are never echoed
    /// for string settings (a secret may be one) or for unknown keys.
    /// </summary>
    /// <param name="configuration">The whole configuration (the <c>Chorus</c> section is read from it).</param>
    /// <param name="extraSettings">More settings read from the section by the host (e.g. <c>Port</c>, <c>Host</c>), by name and type.</param>
    public static IReadOnlyList<string> Check(IConfiguration configuration, IReadOnlyDictionary<string, Type>? extraSettings = null)
    {
        var errors = new List<string>();
        var section = configuration.GetSection(ChorusServerOptions.SectionName);
        var numbered = new Dictionary<string, SortedSet<int>>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in section.AsEnumerable(makePathsRelative: true).OrderBy(kv => kv.Key, StringComparer.OrdinalIgnoreCase))
        {
            if (value is null) continue; // a section, not a value: its children are checked
            if (CheckKey(key.Split(':'), value, extraSettings, numbered) is { } error)
                errors.Add($"{ChorusServerOptions.SectionName}:{key}{(error.StartsWith("is ", StringComparison.Ordinal) ? " " : ": ")}{error}");
        }
        // The binder would skip a missing number silently (Apps:1 without Apps:0 is one app, Apps:0 and Apps:2 two).
        foreach (var (list, numbers) in numbered)
            if (Enumerable.Range(0, numbers.Count).FirstOrDefault(n => !numbers.Contains(n), -1) is >= 0 and int missing)
                errors.Add($"{ChorusServerOptions.SectionName}:{list}: entries must be numbered 0, 1, 2, ... without gaps ({ChorusServerOptions.SectionName}:{list}:{missing} is missing)");
        return errors;
    }

    private static string? CheckKey(string[] path, string value, IReadOnlyDictionary<string, Type>? extra, Dictionary<string, SortedSet<int>> numbered)
    {
        if (extra is not null && extra.FirstOrDefault(e => string.Equals(e.Key, path[0], StringComparison.OrdinalIgnoreCase)) is { Key: not null } hit)
        {
            if (path.Length > 1) return "unknown setting";
            return CheckValue(hit.Value, value);
        }
        // The area whose options class has the first segment as a setting (keys stay flat: Chorus:Redis, Chorus:MaxFrameBytes).
        Type? type = OptionsTypes.FirstOrDefault(t => Settable(t).Any(p => string.Equals(p.Name, path[0], StringComparison.OrdinalIgnoreCase)));
        if (type is null)
            return Unknown(OptionsTypes.SelectMany(t => Settable(t).Select(p => p.Name)).Concat(extra?.Keys ?? []), path[0], []);
        // The defaults, walked alongside: a dictionary setting that has default entries (ServerApiRatePerSecond) takes only
        // those keys, spelled exactly (the lookup is ordinal; another spelling would be a new entry nobody reads).
        object? current = Activator.CreateInstance(type);
        for (int i = 0; i < path.Length; i++)
        {
            string segment = path[i];
            if (ElementType(type, out bool byIndex) is { } element)
            {
                if (byIndex && !int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                    return $"unknown setting (entries of {string.Join(':', path[..i])} are numbered 0, 1, ...)";
                if (byIndex)
                {
                    string list = string.Join(':', path[..i]);
                    if (!numbered.TryGetValue(list, out var numbers)) numbered[list] = numbers = [];
                    numbers.Add(int.Parse(segment, NumberStyles.None, CultureInfo.InvariantCulture));
                }
                if (!byIndex && current is IDictionary { Count: > 0 } defaults)
                {
                    if (!defaults.Contains(segment))
                        return Unknown(defaults.Keys.Cast<object>().Select(k => k.ToString()!), segment, path[..i]);
                    current = defaults[segment];
                }
                else current = null;
                type = element;
                continue;
            }
            if (IsValueType(type)) return "unknown setting";
            var property = Settable(type).FirstOrDefault(p => string.Equals(p.Name, segment, StringComparison.OrdinalIgnoreCase));
            if (property is null)
                return Unknown(Settable(type).Select(p => p.Name).Concat(i == 0 && extra is not null ? extra.Keys : []), segment, path[..i]);
            current = current is null ? null : property.GetValue(current);
            type = property.PropertyType;
        }
        if (!IsValueType(type)) return "is a group of settings, not a value";
        return CheckValue(type, value);
    }

    private static string Unknown(IEnumerable<string> names, string segment, string[] parent)
    {
        string? guess = names.Select(n => (Name: n, Distance: Distance(n.ToLowerInvariant(), segment.ToLowerInvariant())))
            .Where(c => c.Distance <= Math.Max(2, c.Name.Length / 4)).OrderBy(c => c.Distance).Select(c => c.Name).FirstOrDefault();
        string prefix = string.Join(':', [ChorusServerOptions.SectionName, .. parent]);
        return guess is null ? "unknown setting" : $"unknown setting (did you mean {prefix}:{guess}?)";
    }

    private static string? CheckValue(Type type, string value)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        if (target == typeof(string)) return null;
        if (value.Length == 0 && target != type) return null;
        try
        {
            // The converter the configuration binder uses.
            if (TypeDescriptor.GetConverter(target).ConvertFromInvariantString(value) is not null) return null;
        }
        catch (Exception ex) when (ex is FormatException or NotSupportedException or ArgumentException or OverflowException or InvalidOperationException)
        {
        }
        string shown = value.Length <= 40 ? value : value[..40] + "…";
        return $"'{shown}' is not {Describe(target)}";
    }

    private static string Describe(Type t) =>
        t == typeof(TimeSpan) ? "a duration such as 00:01:30 (hh:mm:ss)"
        : t == typeof(bool) ? "true or false"
        : t == typeof(int) ? "a whole number"
        : t == typeof(uint) ? "a whole number from 0 to 4294967295"
        : t == typeof(long) ? "a whole number"
        : t.IsEnum ? $"one of {string.Join(", ", Enum.GetNames(t))}"
        : $"a valid {t.Name}";

    private static bool IsValueType(Type t)
    {
        var target = Nullable.GetUnderlyingType(t) ?? t;
        return target.IsPrimitive || target.IsEnum || target == typeof(string) || target == typeof(decimal) || target == typeof(TimeSpan)
            || target == typeof(DateTime) || target == typeof(DateTimeOffset) || target == typeof(Guid) || target == typeof(Uri);
    }

    /// <summary>The element type of a list (entries named 0, 1, ...) or string-keyed dictionary (entries named by key).</summary>
    private static Type? ElementType(Type t, out bool byIndex)
    {
        byIndex = false;
        if (IsValueType(t)) return null;
        if (t.IsArray) { byIndex = true; return t.GetElementType(); }
        if (!t.IsGenericType) return null;
        var dictionary = t.GetInterfaces().Append(t).FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IDictionary<,>));
        if (dictionary is not null) return dictionary.GetGenericArguments()[1];
        var list = t.GetInterfaces().Append(t).FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>));
        if (list is not null && typeof(IEnumerable).IsAssignableFrom(t)) { byIndex = true; return list.GetGenericArguments()[0]; }
        return null;
    }

    // What the binder fills: public instance properties with a public setter (or a collection it can add to).
    private static IEnumerable<PropertyInfo> Settable(Type t) =>
        t.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && (p.SetMethod?.IsPublic == true || (p.CanRead && ElementType(p.PropertyType, out _) is not null && !p.PropertyType.Name.StartsWith("IReadOnly", StringComparison.Ordinal))));

    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
        return d[a.Length, b.Length];
    }
}
