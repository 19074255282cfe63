using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Chorus.Primitives;
using Chorus.Llama.Native;

namespace Chorus.Llama;

/// <summary>A model's vocabulary: tokenize, token pieces, detokenize, special tokens. Thread-safe (llama.cpp's tokenizer is).</summary>
public sealed unsafe class LlamaVocabulary : IVocabulary
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly LlamaModel _model; // keeps the model (and so the vocab pointer) alive
    private readonly nint _vocab;
    private string? _contentHash;
    private int? _unknown;

    internal LlamaVocabulary(LlamaModel model, nint vocab)
    {
        _model = model;
        _vocab = vocab;
        Count = LlamaNative.llama_vocab_n_tokens(vocab);
    }

    public int Count { get; }
    public int Bos => LlamaNative.llama_vocab_bos(_vocab);
    public int Eos => LlamaNative.llama_vocab_eos(_vocab);
    public int Eot => LlamaNative.llama_vocab_eot(_vocab);
    public int NewLine => LlamaNative.llama_vocab_nl(_vocab);
    public bool AddsBos => LlamaNative.llama_vocab_get_add_bos(_vocab);
    public bool AddsEos => LlamaNative.llama_vocab_get_add_eos(_vocab);

    /// <summary>Tokenizer family: none, spm, bpe, wpm, ugm, rwkv, plamo2.</summary>
    public string Kind => LlamaNative.llama_vocab_type(_vocab) switch
    {
        0 => "none", 1 => "spm", 2 => "bpe", 3 => "wpm", 4 => "ugm", 5 => "rwkv", 6 => "plamo2", var t => $"type{t}",
    };

    int[] IVocabulary.Tokenize(string text) => Tokenize(text);

    public bool IsEndOfGeneration(int token) => LlamaNative.llama_vocab_is_eog(_vocab, token);
    public bool IsControl(int token) => LlamaNative.llama_vocab_is_control(_vocab, token);

    /// <summary>The unknown token: llama.cpp has no getter for it, only the token attribute (LLAMA_TOKEN_ATTR_UNKNOWN).</summary>
    public int Unknown => _unknown ??= FindUnknown();

    public SpecialTokens Specials => new(Bos, Eos, Eot, Unknown);

    private int FindUnknown()
    {
        const int AttrUnknown = 1;
        for (var id = 0; id < Count; id++) if ((LlamaNative.llama_vocab_get_attr(_vocab, id) & AttrUnknown) != 0) return id;
        return -1;
    }

    /// <summary>The raw vocabulary entry (e.g. "▁the", "Ġthe", "&lt;0x0A&gt;").</summary>
    public string TokenText(int token)
    {
        CheckToken(token);
        return Marshal.PtrToStringUTF8((nint)LlamaNative.llama_vocab_get_text(_vocab, token)) ?? "";
    }

    /// <summary>Tokenizes text. <paramref name="addSpecial"/> adds BOS/EOS as the model is configured to.</summary>
    public int[] Tokenize(string text, bool addSpecial = false, bool parseSpecial = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        byte[] utf8;
        try { utf8 = StrictUtf8.GetBytes(text); }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException($"text is not valid Unicode (lone surrogate at index {e.Index}); fix the input encoding", nameof(text), e);
        }
        return TokenizeUtf8(utf8, addSpecial, parseSpecial);
    }

    /// <summary>Tokenizes UTF-8 bytes; invalid UTF-8 is rejected with the offset of the first bad byte.</summary>
    public int[] TokenizeUtf8(ReadOnlySpan<byte> utf8, bool addSpecial = false, bool parseSpecial = false)
    {
        if (!System.Text.Unicode.Utf8.IsValid(utf8))
        {
            var bad = Encoding.UTF8.GetCharCount(utf8); // position hint only
            throw new ArgumentException($"text is not valid UTF-8 (near character {bad}); send UTF-8 encoded text", nameof(utf8));
        }
        var capacity = utf8.Length + 8;
        var tokens = new int[capacity];
        int n;
        fixed (byte* t = utf8)
        fixed (int* o = tokens)
            n = LlamaNative.llama_tokenize(_vocab, t, utf8.Length, o, capacity, addSpecial, parseSpecial);
        if (n == int.MinValue) throw new LlamaException("tokenization overflowed int32 tokens");
        if (n < 0)
        {
            tokens = new int[-n];
            fixed (byte* t = utf8)
            fixed (int* o = tokens)
                n = LlamaNative.llama_tokenize(_vocab, t, utf8.Length, o, tokens.Length, addSpecial, parseSpecial);
        }
        return n == tokens.Length ? tokens : tokens[..n];
    }

    /// <summary>The bytes a token stands for (may be an incomplete UTF-8 sequence for byte tokens).</summary>
    public int TokenToPiece(int token, Span<byte> destination, bool special = false)
    {
        CheckToken(token);
        fixed (byte* d = destination)
            return LlamaNative.llama_token_to_piece(_vocab, token, d, destination.Length, 0, special);
    }

    /// <summary>The bytes of one token as a new array.</summary>
    public byte[] TokenBytes(int token, bool special = false)
    {
        Span<byte> buf = stackalloc byte[128];
        var n = TokenToPiece(token, buf, special);
        if (n >= 0) return buf[..n].ToArray();
        var big = new byte[-n];
        TokenToPiece(token, big, special);
        return big;
    }

    /// <summary>The text of one token (invalid UTF-8 bytes become U+FFFD; use <see cref="Utf8TokenDecoder"/> for streams).</summary>
    public string TokenToString(int token, bool special = false) => Encoding.UTF8.GetString(TokenBytes(token, special));

    /// <summary>Detokenizes a whole token sequence (the inverse of <see cref="Tokenize"/>).</summary>
    public string Detokenize(ReadOnlySpan<int> tokens, bool removeSpecial = false, bool unparseSpecial = false)
    {
        foreach (var t in tokens) CheckToken(t);
        var buf = new byte[Math.Max(16, tokens.Length * 8)];
        int n;
        fixed (int* tk = tokens)
        {
            fixed (byte* b = buf) n = LlamaNative.llama_detokenize(_vocab, tk, tokens.Length, b, buf.Length, removeSpecial, unparseSpecial);
            if (n < 0)
            {
                buf = new byte[-n];
                fixed (byte* b = buf) n = LlamaNative.llama_detokenize(_vocab, tk, tokens.Length, b, buf.Length, removeSpecial, unparseSpecial);
            }
        }
        return Encoding.UTF8.GetString(buf, 0, n);
    }

    /// <summary>SHA-256 over every token's raw text, in order: equal hashes mean interchangeable vocabularies.</summary>
    public string ContentHash => _contentHash ??= ComputeHash();

    private string ComputeHash()
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (var i = 0; i < Count; i++)
        {
            var p = LlamaNative.llama_vocab_get_text(_vocab, i);
            var len = 0;
            while (p[len] != 0) len++;
            sha.AppendData(new ReadOnlySpan<byte>(p, len));
            sha.AppendData([0]);
        }
        return Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
    }

    private void CheckToken(int token)
    {
        if ((uint)token >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(token), token, $"token id {token} is outside the vocabulary of {Count} tokens of '{Path.GetFileName(_model.FilePath)}'");
    }
}
