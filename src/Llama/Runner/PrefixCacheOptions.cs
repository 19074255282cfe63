namespace Chorus.Llama;

/// <summary>How a <see cref="ModelRunner"/> keeps the KV of ended sequences for new ones that share their token prefix.</summary>
public sealed record PrefixCacheOptions
{
    /// <summary>
    /// Fewest tokens worth copying from another slot's cache (default 16). A copy moves the source slot's whole KV
    /// buffer, whatever the prefix length; below this a common prefix is mostly a BOS and a chat template's header,
    /// which decode in about the time the copy takes. Taking over a slot's own leftover copies nothing and needs one token.
    /// </summary>
    public int MinimumTokens { get; init; } = 16;
}
