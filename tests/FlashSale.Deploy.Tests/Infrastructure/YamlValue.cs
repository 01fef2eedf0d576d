using YamlDotNet.RepresentationModel;

namespace FlashSale.Deploy.Tests.Infrastructure;

/// <summary>
/// One node of a parsed YAML file (YamlDotNet): a mapping, a sequence or a scalar (kept as its text), with the path that
/// reached it for failure messages. Aliases are followed and merge keys (<c>&lt;&lt;: *anchor</c>) merged, as compose does.
/// </summary>
public sealed class YamlValue
{
    private readonly YamlNode _node;

    private YamlValue(YamlNode node, string path) => (_node, Path) = (node, path);

    /// <summary>Where this node is: the file and the keys and indexes that lead to it.</summary>
    public string Path { get; }

    /// <summary>Every document of a YAML file.</summary>
    public static IReadOnlyList<YamlValue> LoadAll(string file)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(file)) stream.Load(reader);
        var name = System.IO.Path.GetRelativePath(TestServices.RepositoryRoot, file);
        return [.. stream.Documents.Select((d, i) => new YamlValue(d.RootNode, stream.Documents.Count == 1 ? name : $"{name}[document {i}]"))];
    }

    /// <summary>The one document of a YAML file.</summary>
    public static YamlValue Load(string file) => LoadAll(file) is [var single] ? single : throw new InvalidOperationException($"{file} holds more than one document.");

    public bool IsMapping => _node is YamlMappingNode;

    public bool IsSequence => _node is YamlSequenceNode;

    /// <summary>A scalar's text ("" for an empty one); fails the test on a mapping or sequence.</summary>
    public string Text => _node is YamlScalarNode scalar ? scalar.Value ?? "" : throw new InvalidOperationException($"{Path} is not a scalar.");

    /// <summary>A mapping's entries, merge keys merged (the mapping's own entries win).</summary>
    public IReadOnlyList<KeyValuePair<string, YamlValue>> Entries
    {
        get
        {
            if (_node is not YamlMappingNode mapping) throw new InvalidOperationException($"{Path} is not a mapping.");
            var entries = new List<KeyValuePair<string, YamlValue>>();
            void Put(string key, YamlValue value)
            {
                entries.RemoveAll(e => e.Key == key);
                entries.Add(new(key, value));
            }
            foreach (var (key, value) in mapping.Children)
            {
                if (key is YamlScalarNode { Value: "<<" })
                {
                    var merged = value is YamlSequenceNode many ? many.Children : [value];
                    foreach (var source in merged) foreach (var entry in new YamlValue(source, Path).Entries) Put(entry.Key, entry.Value);
                }
            }
            foreach (var (key, value) in mapping.Children)
            {
                var name = ((YamlScalarNode)key).Value ?? "";
                if (name != "<<") Put(name, new YamlValue(value, $"{Path}.{name}"));
            }
            return entries;
        }
    }

    /// <summary>A sequence's items.</summary>
    public IReadOnlyList<YamlValue> Items =>
        _node is YamlSequenceNode sequence
            ? [.. sequence.Children.Select((n, i) => new YamlValue(n, $"{Path}[{i}]"))]
            : throw new InvalidOperationException($"{Path} is not a sequence.");

    /// <summary>The value under <paramref name="key"/>, or null.</summary>
    public YamlValue? Get(string key) => Entries.FirstOrDefault(e => e.Key == key).Value;

    /// <summary>The value under <paramref name="key"/>; fails the test, naming the path, when it is missing.</summary>
    public YamlValue this[string key] => Get(key) ?? throw new InvalidOperationException($"{Path} has no '{key}'.");

    /// <summary>A path of keys from here, or null where any is missing.</summary>
    public YamlValue? At(params string[] keys)
    {
        var value = this;
        foreach (var key in keys)
        {
            value = value.IsMapping ? value.Get(key) : null;
            if (value is null) return null;
        }
        return value;
    }

    /// <summary>A mapping of scalars as a dictionary (labels, selectors, a ConfigMap's data).</summary>
    public Dictionary<string, string> ToDictionary() => Entries.ToDictionary(e => e.Key, e => e.Value.Text, StringComparer.Ordinal);

    public override string ToString() => Path;
}
