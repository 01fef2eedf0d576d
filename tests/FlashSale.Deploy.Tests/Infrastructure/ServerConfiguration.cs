using System.Reflection;
using System.Text.RegularExpressions;
using FlashSale.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Options;

namespace FlashSale.Deploy.Tests.Infrastructure;

/// <summary>
/// What the server reads, learnt from the server itself rather than from a list kept here: its options types (every
/// shipped type with a <c>Section</c> constant, bound with the configuration binder that refuses keys it has no property
/// for), its validators (the secrets they require outside Development), the connection strings its distributed adapters
/// read while they register, and the host's own keys (ASPNETCORE_*, OTEL_* where the server ships OpenTelemetry).
/// </summary>
public static partial class ServerConfiguration
{
    /// <summary>The server's assemblies: FlashSale.Server and the FlashSale.* it references.</summary>
    public static IReadOnlyList<Assembly> Shipped { get; } =
    [
        typeof(FlashSaleOptions).Assembly,
        .. typeof(FlashSaleOptions).Assembly.GetReferencedAssemblies()
            .Where(a => a.Name!.StartsWith("FlashSale.", StringComparison.Ordinal))
            .Select(Assembly.Load),
    ];

    /// <summary>Each options type and the configuration section it is bound from (its <c>Section</c> constant).</summary>
    public static IReadOnlyList<(string Section, Type Type)> OptionsSections { get; } =
    [
        .. Shipped.SelectMany(a => a.GetTypes())
            .Select(t => (Field: t.GetField("Section", BindingFlags.Public | BindingFlags.Static), Type: t))
            .Where(s => s.Field is { IsLiteral: true } && s.Field.FieldType == typeof(string))
            .Select(s => ((string)s.Field!.GetRawConstantValue()!, s.Type)),
    ];

    /// <summary>
    /// Why the server would not read the environment variable <paramref name="variable"/> set to <paramref name="value"/>,
    /// or null when it does: FlashSale__* must bind to a property of its options type (and its value convert),
    /// ConnectionStrings__* must be one the adapters read, ASPNETCORE_* a host key, OTEL_* a key of the OpenTelemetry
    /// the server ships. Anything else is a key the server does not read.
    /// </summary>
    public static string? Problem(string variable, string value)
    {
        var key = variable.Replace("__", ":", StringComparison.Ordinal);
        if (key.StartsWith("FlashSale:", StringComparison.OrdinalIgnoreCase)) return OptionsProblem(variable, key, value);
        if (key.StartsWith("ConnectionStrings:", StringComparison.OrdinalIgnoreCase))
        {
            var name = key["ConnectionStrings:".Length..];
            return ConnectionStringNames.Contains(name, StringComparer.OrdinalIgnoreCase)
                ? null
                : $"{variable}: the server reads no connection string '{name}' (it reads {string.Join(", ", ConnectionStringNames)}).";
        }
        if (variable.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase))
        {
            var name = variable["ASPNETCORE_".Length..];
            return HostKeys.Contains(name, StringComparer.OrdinalIgnoreCase) ? null : $"{variable}: no ASP.NET Core host key '{name}' (known: {string.Join(", ", HostKeys)}).";
        }
        if (variable.StartsWith("OTEL_", StringComparison.Ordinal))
        {
            return OpenTelemetryKeys.Contains(variable, StringComparer.Ordinal)
                ? null
                : OpenTelemetryKeys.Count == 0
                    ? $"{variable}: the server ships no OpenTelemetry, which would read it."
                    : $"{variable}: not a variable the OpenTelemetry the server ships reads.";
        }
        return $"{variable}: not a key the server reads (FlashSale__*, ConnectionStrings__*, ASPNETCORE_*, OTEL_*).";
    }

    private static string? OptionsProblem(string variable, string key, string value)
    {
        var owner = OptionsSections
            .Where(s => key.StartsWith(s.Section + ":", StringComparison.OrdinalIgnoreCase))
            .OrderByDescending(s => s.Section.Length)
            .FirstOrDefault();
        if (owner.Type is null) return $"{variable}: under no options section of the server.";
        var relative = key[(owner.Section.Length + 1)..];
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new(relative, value)]).Build();
        try
        {
            configuration.Get(owner.Type, o => o.ErrorOnUnknownConfiguration = true);
            return null;
        }
        catch (InvalidOperationException ex)
        {
            return $"{variable}: {owner.Type.Name} (section {owner.Section}) does not take '{relative}' = '{value}': {ex.Message}";
        }
    }

    /// <summary>The connection strings the distributed adapters read, recorded while they register (nothing connects then).</summary>
    public static IReadOnlyList<string> ConnectionStringNames { get; } = RecordConnectionStrings();

    private static List<string> RecordConnectionStrings()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        var recording = new RecordingSource();
        builder.Configuration.Sources.Clear();
        ((IConfigurationBuilder)builder.Configuration).Add(recording);
        builder.AddFlashSaleAdapters(new FlashSaleOptions { Mode = FlashSaleMode.Distributed, Roles = ProcessRoles.Api | ProcessRoles.Worker });
        return [.. recording.Read.Where(k => k.StartsWith("ConnectionStrings:", StringComparison.OrdinalIgnoreCase)).Select(k => k["ConnectionStrings:".Length..]).Distinct()];
    }

    /// <summary>
    /// The secrets the server requires outside Development: what its options validators answer "... is required outside
    /// Development" for, given each options type as it is when nothing is configured.
    /// </summary>
    public static IReadOnlyList<string> RequiredSecrets { get; } = FindRequiredSecrets();

    private static List<string> FindRequiredSecrets()
    {
        var services = new ServiceCollection()
            .AddSingleton<IHostEnvironment>(new HostingEnvironment { EnvironmentName = Environments.Production, ApplicationName = "FlashSale.Server" })
            .BuildServiceProvider();
        var required = new List<string>();
        foreach (var validator in Shipped.SelectMany(a => a.GetTypes()).Where(t => t is { IsClass: true, IsAbstract: false }))
        {
            var interfaces = validator.GetInterfaces().Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IValidateOptions<>)).ToList();
            if (interfaces.Count == 0) continue;
            var instance = ActivatorUtilities.CreateInstance(services, validator);
            foreach (var contract in interfaces)
            {
                var options = Activator.CreateInstance(contract.GetGenericArguments()[0])!;
                var result = (ValidateOptionsResult)contract.GetMethod(nameof(IValidateOptions<object>.Validate))!.Invoke(instance, [null, options])!;
                required.AddRange((result.Failures ?? []).Select(f => RequiredMessage().Match(f)).Where(m => m.Success).Select(m => m.Groups["key"].Value));
            }
        }
        return [.. required.Distinct().Select(k => k.Replace(":", "__", StringComparison.Ordinal))];
    }

    /// <summary>The host's configuration keys, as ASPNETCORE_* variables set them: the web host's and the generic host's key fields.</summary>
    public static IReadOnlyList<string> HostKeys { get; } =
    [
        .. new[] { typeof(WebHostDefaults), typeof(HostDefaults) }
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static))
            .Where(f => f.FieldType == typeof(string))
            .Select(f => (string)(f.IsLiteral ? f.GetRawConstantValue() : f.GetValue(null))!),
    ];

    /// <summary>The OTEL_* variables named in the OpenTelemetry assemblies the server ships (none when it ships none).</summary>
    public static IReadOnlyList<string> OpenTelemetryKeys { get; } =
    [
        .. OpenTelemetryAssemblies()
            .SelectMany(a => a.GetTypes())
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static))
            .Where(f => f is { IsLiteral: true } && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!)
            .Where(v => v.StartsWith("OTEL_", StringComparison.Ordinal))
            .Distinct(),
    ];

    /// <summary>The OpenTelemetry assemblies the shipped ones reference, directly or through each other.</summary>
    private static List<Assembly> OpenTelemetryAssemblies()
    {
        var found = new Dictionary<string, Assembly>(StringComparer.Ordinal);
        var pending = new Queue<Assembly>(Shipped);
        while (pending.TryDequeue(out var assembly))
        {
            foreach (var reference in assembly.GetReferencedAssemblies().Where(r => r.Name!.StartsWith("OpenTelemetry", StringComparison.Ordinal)))
            {
                if (found.ContainsKey(reference.Name!)) continue;
                var loaded = Assembly.Load(reference);
                found[reference.Name!] = loaded;
                pending.Enqueue(loaded);
            }
        }
        return [.. found.Values];
    }

    [GeneratedRegex(@"^(?<key>FlashSale(:\w+)+) is required outside Development")]
    private static partial Regex RequiredMessage();

    /// <summary>A configuration source that answers every key (with a value no adapter connects with at registration) and remembers it.</summary>
    private sealed class RecordingSource : IConfigurationSource
    {
        public List<string> Read { get; } = [];

        public IConfigurationProvider Build(IConfigurationBuilder builder) => new Provider(this);

        private sealed class Provider(RecordingSource source) : ConfigurationProvider
        {
            public override bool TryGet(string key, out string? value)
            {
                lock (source.Read) source.Read.Add(key);
                value = "recorded";
                return true;
            }
        }
    }
}
