namespace FlashSale.Core.Hosting;

/// <summary>
/// What a configured secret (admin key, signing key, token and webhook secrets) must be: long enough everywhere, and
/// outside Development neither a placeholder out of a README (<c>change-me-...</c>) nor a string with too little variety
/// to be random (<c>aaaa...</c>, <c>abab...</c>). One rule for every secret; each failure names its key.
/// </summary>
public static class Secrets
{
    /// <summary>
    /// Bits <see cref="EstimatedBits"/> must reach per character of the minimum length: 32 for a 16-character key, 64 for
    /// a 32-character one. Random hex of that length scores about 3.5 per character (under 2 in about one draw in
    /// 500,000 for 16 characters); "aaaa...", "abab..." or "1111...2222..." score 0 to 1.3.
    /// </summary>
    public const double MinBitsPerRequiredCharacter = 2;

    private static readonly string[] Placeholders = ["changeme", "replaceme", "placeholder", "example", "yoursecret", "yourkey", "password", "xxxxxx"];

    /// <summary>Why <paramref name="value"/> (set) cannot be <paramref name="key"/>'s secret, or null when it can.</summary>
    public static string? Weakness(string key, string value, int minLength, bool production)
    {
        if (value.Length < minLength) return $"{key} must be at least {minLength} characters.";
        if (!production) return null;
        if (IsPlaceholder(value))
            return $"{key} is a placeholder, not a secret; outside Development set a random value, for example `openssl rand -hex 32`.";
        if (IsRepetitive(value) || EstimatedBits(value) < MinBitsPerRequiredCharacter * minLength)
            return $"{key} has too little variety to be a secret; outside Development set a random value, for example `openssl rand -hex 32`.";
        return null;
    }

    /// <summary>Contains a word people put where a secret goes, ignoring case and punctuation ("Change_Me", "change-me").</summary>
    public static bool IsPlaceholder(string value)
    {
        Span<char> letters = value.Length <= 256 ? stackalloc char[value.Length] : new char[value.Length];
        var length = 0;
        foreach (var c in value)
        {
            if (char.IsLetterOrDigit(c)) letters[length++] = char.ToLowerInvariant(c);
        }
        var normalized = letters[..length];
        foreach (var word in Placeholders)
        {
            if (normalized.IndexOf(word, StringComparison.Ordinal) >= 0) return true;
        }
        return false;
    }

    /// <summary>One shorter piece over and over ("abcabcabc...", "aaaa...").</summary>
    public static bool IsRepetitive(string value)
    {
        for (var period = 1; period <= value.Length / 2; period++)
        {
            var repeats = true;
            for (var i = period; i < value.Length && repeats; i++) repeats = value[i] == value[i - period];
            if (repeats) return true;
        }
        return false;
    }

    /// <summary>Length times the Shannon entropy of the string's own character frequencies: a floor, not a measure of randomness.</summary>
    public static double EstimatedBits(string value)
    {
        if (value.Length == 0) return 0;
        var counts = new Dictionary<char, int>();
        foreach (var c in value) counts[c] = counts.GetValueOrDefault(c) + 1;
        var bits = 0.0;
        foreach (var count in counts.Values)
        {
            var p = count / (double)value.Length;
            bits -= p * Math.Log2(p);
        }
        return bits * value.Length;
    }
}
